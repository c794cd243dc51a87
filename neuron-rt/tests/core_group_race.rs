//! `Device::core_group_of_size` from many threads: while a block of the size is free, a call
//! never fails. Before the fix it chose a block from a copy of the claimed list and claimed it
//! under a second lock, so two threads could pick the same block and the loser got "group 0
//! overlaps group 0" (2 threads on 2 cores: 99 wrong errors in 2,000,000 calls).
//!
//! CI makes `DEFAULT_CALLS` calls per thread; the long run:
//! `NEURON_RT_RACE_CALLS=1000000 cargo test --release -p neuron-rt --test core_group_race`.

use neuron_rt::{Backend, Device};
use std::sync::Barrier;

const DEFAULT_CALLS: usize = 50_000;

fn calls() -> usize {
    std::env::var("NEURON_RT_RACE_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CALLS)
}

/// `threads` threads each claim and release a group of `size(thread)` cores `calls` times;
/// returns every error.
fn hammer(device: &Device, threads: usize, size: impl Fn(usize) -> u32 + Sync) -> Vec<String> {
    let barrier = Barrier::new(threads);
    let calls = calls();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, size) = (&barrier, &size);
                scope.spawn(move || {
                    barrier.wait();
                    let mut errors = Vec::new();
                    for _ in 0..calls {
                        match device.core_group_of_size(size(t)) {
                            Ok(group) => assert_eq!(group.len(), size(t)),
                            Err(e) => errors.push(e.to_string()),
                        }
                    }
                    errors
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

#[test]
fn concurrent_claims_never_report_a_spurious_overlap() {
    let dir = std::env::temp_dir().join(format!("neuron-rt-group-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // Two threads on two cores: each holds at most one core, so one is always free.
    let device = Device::builder()
        .backend(Backend::emulator("inf2.xlarge"))
        .emulator_lock_dir(&dir)
        .open()
        .unwrap();
    let errors = hammer(&device, 2, |_| 1);
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    device.close().unwrap();

    // Eight threads on 32 cores (16 chips of 2), sizes 1 and 2: at most 8 chips are touched at
    // once, so a whole free chip always exists for either size.
    let device = Device::builder()
        .backend(Backend::emulator("trn1.32xlarge"))
        .emulator_lock_dir(&dir)
        .open()
        .unwrap();
    let errors = hammer(&device, 8, |t| 1 + (t % 2) as u32);
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(
        device.free_core_blocks().len(),
        1,
        "every group was released"
    );
    device.close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
