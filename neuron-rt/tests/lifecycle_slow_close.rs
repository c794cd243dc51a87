//! The device open/close race with a wide window (see `lifecycle_race.rs`): a fake
//! `libnrt.so.1`, compiled here with the system C compiler, whose `nrt_close` takes a
//! millisecond and whose `nrt_init` fails (and counts) when called while a runtime is open or
//! still closing. Without the lifecycle lock, an open racing the drop of the last clone calls
//! `nrt_init` inside that millisecond.

mod common;

use neuron_rt::{Backend, Device, Error};
use std::sync::Barrier;

const ROUNDS: usize = 300;

/// `nrt_init` fails (and counts) unless the runtime is closed; `nrt_close` takes 1 ms.
const SLOW_CLOSE: &str = r#"
enum { CLOSED, OPEN, CLOSING };
static atomic_int state = CLOSED;
int nrt_init(int fw, const char *a, const char *b) {
    (void)fw; (void)a; (void)b;
    int expected = CLOSED;
    return atomic_compare_exchange_strong(&state, &expected, OPEN) ? 0 : 1;
}
void nrt_close(void) {
    atomic_store(&state, CLOSING);
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    atomic_store(&state, CLOSED);
}
int nrt_get_total_nc_count(uint32_t *n) { *n = 2; return atomic_load(&state) == OPEN ? 0 : 13; }
int nrt_get_visible_nc_count(uint32_t *n) { *n = 2; return atomic_load(&state) == OPEN ? 0 : 13; }
"#;

#[test]
fn a_slow_close_never_overlaps_an_open() {
    let dir = std::env::temp_dir().join(format!("neuron-rt-slow-close-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let library = common::build(
        &dir,
        &[
            "nrt_init",
            "nrt_close",
            "nrt_get_total_nc_count",
            "nrt_get_visible_nc_count",
        ],
        SLOW_CLOSE,
    );
    let builder = Device::builder().backend(Backend::Hardware {
        library: Some(library),
    });
    let barrier = Barrier::new(2);
    let (mut failures, mut shared) = (Vec::new(), 0usize);
    std::thread::scope(|scope| {
        let opener = scope.spawn(|| {
            let mut failures = Vec::new();
            for round in 0..ROUNDS {
                barrier.wait(); // the closer holds the only clone and is about to let it go
                match builder.clone().open() {
                    Ok(device) => assert_eq!(device.total_cores(), 2),
                    Err(e) => failures.push(format!("round {round}: open: {e}")),
                }
                barrier.wait();
            }
            failures
        });
        for round in 0..ROUNDS {
            let device = builder.clone().open().expect("the closer's open");
            barrier.wait();
            if round % 2 == 0 {
                drop(device);
            } else {
                match device.close() {
                    Ok(()) => {}
                    Err(Error::DeviceInUse { others: 1 }) => shared += 1,
                    Err(e) => failures.push(format!("round {round}: close: {e}")),
                }
            }
            barrier.wait();
        }
        failures.extend(opener.join().unwrap());
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!("{ROUNDS} rounds, {shared} closes refused because the opener shared the device");
    assert!(
        failures.is_empty(),
        "{} of {ROUNDS} rounds failed (nrt_init while a runtime was open or closing); first: {:?}",
        failures.len(),
        failures.iter().take(3).collect::<Vec<_>>()
    );
}
