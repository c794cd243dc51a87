//! The device open/close race: one thread drops (or `Device::close`s) the last clone while
//! another opens the device. Every open must succeed — either getting the device before it
//! closes, or a fresh runtime after `nrt_close` — and never see a runtime that is still closing
//! (before the fix: `nrt_emu_set_option: NRT_FAILURE`, "option cannot be changed while the
//! runtime is initialised", 9 to 29 times in 10,000 rounds).
//!
//! Two tests, each its own process (the runtime is one per process):
//! - `a_slow_close_never_overlaps_an_open` loads a fake `libnrt.so.1`, compiled here, whose
//!   `nrt_close` takes a millisecond and whose `nrt_init` fails if called while a runtime is
//!   open or closing: a window that wide catches any open not serialised with close, however the
//!   threads are scheduled on a loaded machine;
//! - `opening_while_the_last_clone_closes_never_fails` races the real thing.
//!
//! CI runs `DEFAULT_ROUNDS` rounds. The long run (100,000 rounds), on the built-in emulator:
//!
//! ```text
//! NEURON_RT_RACE_ROUNDS=100000 cargo test --release -p neuron-rt --test lifecycle_race -- --nocapture
//! ```
//!
//! and on the drop-in `libnrt.so.1` loaded as the real runtime (`Backend::Hardware`):
//!
//! ```text
//! make -C neuron-rt-sys/emulator OUT=/tmp/emu
//! NEURON_RT_RACE_LIBRARY=/tmp/emu/libnrt.so.1 NEURON_RT_EMULATOR_LOCK_DIR=/tmp/emu-locks \
//!   NEURON_RT_RACE_ROUNDS=100000 cargo test --release -p neuron-rt --test lifecycle_race -- --nocapture
//! ```

use neuron_rt::{Backend, Device, DeviceBuilder, Error};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// A two-thread barrier that spins, so both threads leave it within nanoseconds of each other
/// (a sleeping barrier wakes the second thread tens of microseconds late, and the race window
/// is far smaller). Yields while waiting long, for loaded machines.
struct SpinBarrier {
    arrived: AtomicUsize,
}

impl SpinBarrier {
    /// Wait for the other thread at `phase` (0, 1, 2, ...: each thread passes every phase once).
    fn wait(&self, phase: usize) {
        let target = 2 * (phase + 1);
        self.arrived.fetch_add(1, Ordering::AcqRel);
        let mut spins = 0u32;
        while self.arrived.load(Ordering::Acquire) < target {
            spins += 1;
            if spins % 1024 == 0 {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

/// Spin for `n` iterations: shifts one thread against the other, sweeping the race window.
fn delay(n: usize) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// Rounds in CI: a few seconds on a loaded 2-core machine in a debug build.
const DEFAULT_ROUNDS: usize = 1_000;

fn rounds() -> usize {
    std::env::var("NEURON_RT_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS)
}

/// The settings both threads open with: the built-in emulator, or the library named by
/// `NEURON_RT_RACE_LIBRARY` as the real runtime.
fn settings() -> (DeviceBuilder, &'static str) {
    match std::env::var_os("NEURON_RT_RACE_LIBRARY") {
        Some(path) => (
            Device::builder().backend(Backend::Hardware {
                library: Some(PathBuf::from(path)),
            }),
            "drop-in libnrt.so.1 through Backend::Hardware",
        ),
        None => {
            let dir = std::env::temp_dir().join(format!("neuron-rt-race-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            (
                Device::builder()
                    .backend(Backend::emulator("inf2.xlarge"))
                    .emulator_lock_dir(dir),
                "built-in emulator",
            )
        }
    }
}

#[test]
fn opening_while_the_last_clone_closes_never_fails() {
    let (builder, backend) = settings();
    let rounds = rounds();
    let barrier = Arc::new(SpinBarrier {
        arrived: AtomicUsize::new(0),
    });
    let opener = {
        let (builder, barrier) = (builder.clone(), Arc::clone(&barrier));
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            for round in 0..rounds {
                barrier.wait(2 * round); // the closer holds the only clone
                delay((round / 2) % 97);
                match builder.clone().open() {
                    Ok(device) => {
                        if device.total_cores() != 2 {
                            failures.push(format!("round {round}: {device:?}"));
                        }
                    }
                    Err(e) => failures.push(format!("round {round}: open: {e}")),
                }
                barrier.wait(2 * round + 1); // both handles gone: closed or closing
            }
            failures
        })
    };
    let start = Instant::now();
    let (mut closer_failures, mut in_use) = (Vec::new(), 0usize);
    for round in 0..rounds {
        let device = builder.clone().open().expect("the closer's open");
        barrier.wait(2 * round);
        delay((round / 2) % 89);
        if round % 2 == 0 {
            drop(device);
        } else {
            match device.close() {
                Ok(()) => {}
                // The opener got this device first: closing is refused, and its drop closes.
                Err(Error::DeviceInUse { others: 1 }) => in_use += 1,
                Err(e) => closer_failures.push(format!("round {round}: close: {e}")),
            }
        }
        barrier.wait(2 * round + 1);
    }
    let opener_failures = opener.join().unwrap();
    let elapsed = start.elapsed();
    println!(
        "lifecycle race on the {backend}: {rounds} rounds in {:.2} s ({:.0} rounds/s), \
         {} open failures, {} close failures, {in_use} closes refused because the opener \
         shared the device",
        elapsed.as_secs_f64(),
        rounds as f64 / elapsed.as_secs_f64(),
        opener_failures.len(),
        closer_failures.len(),
    );
    assert!(
        opener_failures.is_empty() && closer_failures.is_empty(),
        "{} of {rounds} rounds failed; first: {:?} {:?}",
        opener_failures.len() + closer_failures.len(),
        opener_failures.iter().take(3).collect::<Vec<_>>(),
        closer_failures.iter().take(3).collect::<Vec<_>>(),
    );
}
