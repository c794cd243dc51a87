//! Fake `libnrt.so.1`s for tests that need a runtime to misbehave in one precise way: compiled
//! on the fly with the system C compiler (`$CC`, default `cc`) and loaded through
//! `Backend::Hardware`, as the real runtime is.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Well-behaved definitions used unless a test defines the function itself: a runtime with two
/// cores that starts and stops.
const DEFAULTS: &[(&str, &str)] = &[
    (
        "nrt_init",
        "int nrt_init(int fw, const char *a, const char *b) { (void)fw; (void)a; (void)b; return 0; }",
    ),
    ("nrt_close", "void nrt_close(void) {}"),
    (
        "nrt_get_total_nc_count",
        "int nrt_get_total_nc_count(uint32_t *n) { *n = 2; return 0; }",
    ),
    (
        "nrt_get_visible_nc_count",
        "int nrt_get_visible_nc_count(uint32_t *n) { *n = 2; return 0; }",
    ),
];

/// Compile `body` (C code defining the functions named in `defined`) into `dir/libnrt.so.1`.
/// `nrt_get_version` is always provided here; a required function neither defined nor in
/// `DEFAULTS` returns `NRT_FAILURE`.
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
    for name in neuron_rt::neuron_rt_sys::NrtApi::REQUIRED_FUNCTIONS {
        if *name == "nrt_get_version" || defined.contains(name) {
            continue;
        }
        match DEFAULTS.iter().find(|(n, _)| n == name) {
            Some((_, definition)) => src.push_str(definition),
            None => src.push_str(&format!("int {name}(void) {{ return 1; }}")),
        }
        src.push('\n');
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
