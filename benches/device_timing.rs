//! Emulator timing model: how close one thread executing a model back-to-back gets to the
//! device-bound rate (plain `Instant` harness, `harness = false`).
//!
//! Run: `cargo bench --bench device_timing`. A no-op model with a 500 µs device time runs
//! `ITERS` times back-to-back on one thread, `ROUNDS` times; the device-bound rate is one
//! execution per 500 µs, so the achieved fraction is `ITERS × 500 µs / elapsed`. Target: ≥ 0.98
//! (the emulator sleeps to an absolute deadline and spins the last microseconds); the median and
//! p99 time per call of the single thread are printed too (robust to a loaded machine). Two threads on
//! the same core are measured too: they queue on the core, so they are device-bound by design.
//! The figure is a ratio within one run; it is reported, never asserted by a test.

use std::time::{Duration, Instant};

use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, Device};

const DEVICE_TIME: Duration = Duration::from_micros(500);
const ITERS: u32 = 2_000;
const ROUNDS: usize = 9;
const TARGET: f64 = 0.98;

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let lock_dir = std::env::temp_dir().join(format!("neuron-rt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&lock_dir)?;
    let device = Device::builder()
        .backend(Backend::emulator("inf2.xlarge"))
        .emulator_lock_dir(&lock_dir)
        .open()?;
    let neff = ModelBuilder::noop("timed", 64, 64)
        .device_time(DEVICE_TIME)
        .build()?;
    let model = device.core_group_of_size(1)?.load(&neff)?;

    let mut one = Vec::new();
    let mut two = Vec::new();
    let mut per_call = Vec::with_capacity(ITERS as usize * ROUNDS);
    for _ in 0..ROUNDS {
        let mut binding = model.binding()?;
        let start = Instant::now();
        let mut last = start;
        for _ in 0..ITERS {
            binding.execute()?;
            let now = Instant::now();
            per_call.push(now - last);
            last = now;
        }
        one.push(DEVICE_TIME.as_secs_f64() * f64::from(ITERS) / start.elapsed().as_secs_f64());

        let start = Instant::now();
        std::thread::scope(|s| -> Result<(), BoxError> {
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| -> Result<(), neuron_rt::Error> {
                        let mut binding = model.binding()?;
                        for _ in 0..ITERS / 2 {
                            binding.execute()?;
                        }
                        Ok(())
                    })
                })
                .collect();
            for w in workers {
                w.join().map_err(|_| "worker panicked")??;
            }
            Ok(())
        })?;
        two.push(DEVICE_TIME.as_secs_f64() * f64::from(ITERS) / start.elapsed().as_secs_f64());
    }
    per_call.sort();
    let median_call = per_call[per_call.len() / 2];
    let p99_call = per_call[per_call.len() * 99 / 100];
    one.sort_by(f64::total_cmp);
    two.sort_by(f64::total_cmp);
    let (m1, m2) = (one[ROUNDS / 2], two[ROUNDS / 2]);
    println!("device_timing: 500 µs model, {ITERS} executions per round, {ROUNDS} rounds (median)");
    println!("| threads | fraction of device-bound rate (median) | min | max |");
    println!("|---|---|---|---|");
    println!("| 1 | {m1:.4} | {:.4} | {:.4} |", one[0], one[ROUNDS - 1]);
    println!("| 2 | {m2:.4} | {:.4} | {:.4} |", two[0], two[ROUNDS - 1]);
    println!(
        "one thread, per call: median {:.1} µs ({:.4} of the device-bound rate), p99 {:.1} µs",
        median_call.as_secs_f64() * 1e6,
        DEVICE_TIME.as_secs_f64() / median_call.as_secs_f64(),
        p99_call.as_secs_f64() * 1e6
    );
    println!(
        "one thread: {m1:.4} of the device-bound rate, target >= {TARGET}: {}",
        if m1 >= TARGET { "PASS" } else { "FAIL" }
    );
    drop(model);
    device.close()?;
    let _ = std::fs::remove_dir_all(&lock_dir);
    Ok(())
}
