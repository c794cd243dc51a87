//! Emulator timing model: how close one thread executing a model back-to-back gets to the
//! device-bound rate (plain `Instant` harness, `harness = false`).
//!
//! Run: `cargo bench --bench device_timing`. A no-op model with a 500 µs device time runs
//! `ITERS` times back-to-back on one thread, `ROUNDS` times; the device-bound rate is one
//! execution per 500 µs, so the achieved fraction is `ITERS × 500 µs / elapsed`. Target: ≥ 0.98.
//! Two waits are compared in the same run, alternating round by round (each round reopens the
//! device, since the setting is read by `nrt_init`):
//!
//! * `spin` (the default): sleep to an absolute deadline that is early by the wake-up lateness
//!   seen so far, then spin on the clock to the completion;
//! * `sleep` (`NEURON_RT_EMULATOR_TIMING_SPIN=0`): a plain absolute `clock_nanosleep` to the
//!   completion, late by the timer slack and the wake-up latency.
//!
//! The median time per call is printed too: on a loaded machine preemption bursts lower the
//! throughput of both, while the median call shows the wait itself. Two threads on one core
//! queue on it, so they are device-bound by design; they are measured with the default.
//! The figures are ratios within one run; they are reported, never asserted by a test.

use std::time::{Duration, Instant};

use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, Device};

const DEVICE_TIME: Duration = Duration::from_micros(500);
const ITERS: u32 = 2_000;
const ROUNDS: usize = 7;
const TARGET: f64 = 0.98;
const SPIN_ENV: &str = "NEURON_RT_EMULATOR_TIMING_SPIN";

type BoxError = Box<dyn std::error::Error>;

#[derive(Default)]
struct Series {
    rate: Vec<f64>,
    per_call: Vec<Duration>,
}

impl Series {
    fn report(&mut self, label: &str) -> f64 {
        self.rate.sort_by(f64::total_cmp);
        self.per_call.sort();
        let median = self.rate[self.rate.len() / 2];
        let call = self.per_call[self.per_call.len() / 2];
        let p99 = self.per_call[self.per_call.len() * 99 / 100];
        println!(
            "| {label} | {median:.4} | {:.4} | {:.4} | {:.1} ({:.4}) | {:.1} |",
            self.rate[0],
            self.rate[self.rate.len() - 1],
            call.as_secs_f64() * 1e6,
            DEVICE_TIME.as_secs_f64() / call.as_secs_f64(),
            p99.as_secs_f64() * 1e6
        );
        median
    }
}

fn open(lock_dir: &std::path::Path, spin: bool) -> Result<Device, BoxError> {
    // SAFETY: the benchmark is single-threaded here (no device is open, no worker runs), so no
    // other thread reads the environment while it changes.
    unsafe { std::env::set_var(SPIN_ENV, if spin { "1" } else { "0" }) };
    Ok(Device::builder()
        .backend(Backend::emulator("inf2.xlarge"))
        .emulator_lock_dir(lock_dir)
        .open()?)
}

fn main() -> Result<(), BoxError> {
    let lock_dir = std::env::temp_dir().join(format!("neuron-rt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&lock_dir)?;
    let neff = ModelBuilder::noop("timed", 64, 64)
        .device_time(DEVICE_TIME)
        .build()?;
    let (mut spin, mut sleep, mut two) = (Series::default(), Series::default(), Vec::new());
    for round in 0..2 * ROUNDS {
        let spinning = round % 2 == 0;
        let device = open(&lock_dir, spinning)?;
        let model = device.core_group_of_size(1)?.load(&neff)?;
        let series = if spinning { &mut spin } else { &mut sleep };
        let mut binding = model.binding()?;
        let start = Instant::now();
        let mut last = start;
        for _ in 0..ITERS {
            binding.execute()?;
            let now = Instant::now();
            series.per_call.push(now - last);
            last = now;
        }
        series
            .rate
            .push(DEVICE_TIME.as_secs_f64() * f64::from(ITERS) / start.elapsed().as_secs_f64());
        drop(binding);
        if spinning {
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
        drop(model);
        device.close()?;
    }
    two.sort_by(f64::total_cmp);
    println!(
        "device_timing: 500 µs model, {ITERS} executions per round, {ROUNDS} rounds per variant"
    );
    println!(
        "| wait | fraction of device-bound rate (median) | min | max | median µs/call (fraction) | p99 µs/call |"
    );
    println!("|---|---|---|---|---|---|");
    let m_spin = spin.report("1 thread, spin (default)");
    let m_sleep = sleep.report("1 thread, plain sleep");
    println!(
        "| 2 threads, spin | {:.4} | {:.4} | {:.4} | | |",
        two[two.len() / 2],
        two[0],
        two[two.len() - 1]
    );
    println!(
        "one thread: {m_spin:.4} of the device-bound rate (plain sleep: {m_sleep:.4}), target >= \
         {TARGET}: {}",
        if m_spin >= TARGET { "PASS" } else { "FAIL" }
    );
    let _ = std::fs::remove_dir_all(&lock_dir);
    Ok(())
}
