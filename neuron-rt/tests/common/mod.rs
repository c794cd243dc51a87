//! Fake `libnrt.so.1`s for tests that need a runtime to misbehave in one precise way: compiled
//! on the fly with the system C compiler (`$CC`, default `cc`) and loaded through
//! `Backend::Hardware`, as the real runtime is.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every function the function table requires (a library lacking one does not load).
const REQUIRED: &[&str] = &[
    "nrt_init",
    "nrt_close",
    "nrt_get_version",
    "nrt_get_total_nc_count",
    "nrt_get_visible_nc_count",
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

/// Compile `body` (C code defining some of the required functions, `nrt_get_version` always
/// provided here) into `dir/libnrt.so.1`; every required function it leaves out returns
/// `NRT_FAILURE`.
pub fn build(dir: &Path, defined: &[&str], body: &str) -> PathBuf {
    let mut src = String::from(
        r#"#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
typedef struct { uint64_t a, b, c, d; char detail[128]; char hash[64]; } v_t;
int nrt_get_version(v_t *v, size_t size) {
    if (size < sizeof(v_t)) return 2;
    memset(v, 0, sizeof *v); v->a = 2; v->b = 29; v->c = 40;
    strcpy(v->detail, "fake runtime for neuron-rt tests");
    return 0;
}
"#,
    );
    src.push_str(body);
    for name in REQUIRED {
        if *name != "nrt_get_version" && !defined.contains(name) {
            src.push_str(&format!("int {name}(void) {{ return 1; }}\n"));
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    let (c, so) = (dir.join("fake_nrt.c"), dir.join("libnrt.so.1"));
    std::fs::write(&c, src).unwrap();
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
