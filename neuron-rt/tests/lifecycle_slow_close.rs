//! The device open/close race with a wide window (see `lifecycle_race.rs`): a fake
//! `libnrt.so.1`, compiled here with the system C compiler, whose `nrt_close` takes a
//! millisecond and whose `nrt_init` fails (and counts) when called while a runtime is open or
//! still closing. Without the lifecycle lock, an open racing the drop of the last clone calls
//! `nrt_init` inside that millisecond.

use neuron_rt::{Backend, Device, Error};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Barrier;

const ROUNDS: usize = 300;

/// The C source of the fake runtime: every function the table requires, the lifecycle ones
/// checked, the rest failing if ever called.
fn fake_runtime() -> String {
    let unused = [
        "nrt_load",
        "nrt_load_collectives",
        "nrt_unload",
        "nrt_get_model_nc_count",
        "nrt_get_model_tensor_info",
        "nrt_free_model_tensor_info",
        "nrt_allocate_tensor_set",
        "nrt_destroy_tensor_set",
        "nrt_add_tensor_to_tensor_set",
        "nrt_get_tensor_from_tensor_set",
        "nrt_tensor_allocate",
        "nrt_tensor_free",
        "nrt_tensor_read",
        "nrt_tensor_write",
        "nrt_tensor_get_size",
        "nrt_execute",
    ];
    let mut src = String::from(
        r#"#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
enum { CLOSED, OPEN, CLOSING };
static atomic_int state = CLOSED;
static atomic_int bad_inits = 0;
int fake_bad_inits(void) { return atomic_load(&bad_inits); }
int nrt_init(int fw, const char *a, const char *b) {
    (void)fw; (void)a; (void)b;
    int expected = CLOSED;
    if (!atomic_compare_exchange_strong(&state, &expected, OPEN)) {
        atomic_fetch_add(&bad_inits, 1);
        return 1; /* NRT_FAILURE: a runtime is open or still closing */
    }
    return 0;
}
void nrt_close(void) {
    atomic_store(&state, CLOSING);
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    atomic_store(&state, CLOSED);
}
int nrt_get_total_nc_count(uint32_t *n) { *n = 2; return atomic_load(&state) == OPEN ? 0 : 13; }
int nrt_get_visible_nc_count(uint32_t *n) { *n = 2; return atomic_load(&state) == OPEN ? 0 : 13; }
typedef struct { uint64_t a, b, c, d; char detail[128]; char hash[64]; } v_t;
int nrt_get_version(v_t *v, size_t size) {
    if (size < sizeof(v_t)) return 2;
    memset(v, 0, sizeof *v); v->a = 2; v->b = 29; v->c = 40;
    strcpy(v->detail, "fake runtime with a slow close");
    return 0;
}
"#,
    );
    for name in unused {
        src.push_str(&format!("int {name}(void) {{ return 1; }}\n"));
    }
    src
}

fn build_fake(dir: &Path) -> PathBuf {
    let (c, so) = (dir.join("slow_close.c"), dir.join("libnrt.so.1"));
    std::fs::write(&c, fake_runtime()).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c11", "-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(&c)
        .output()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

#[test]
fn a_slow_close_never_overlaps_an_open() {
    let dir = std::env::temp_dir().join(format!("neuron-rt-slow-close-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let library = build_fake(&dir);
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
