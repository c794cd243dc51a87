//! Our headers compile, as C11 and as C++, in a program that uses every declared name.

use std::process::Command;

fn compile(compiler: &str, extra: &[&str]) {
    let dir = std::env::temp_dir().join(format!(
        "neuron-rt-sys-hdr-{}-{compiler}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(compiler)
        .args(extra)
        .args(["-Wall", "-Wextra", "-Werror", "-c", "-o"])
        .arg(dir.join("uses_every_name.o"))
        .arg(format!("-I{}", neuron_rt_sys::INCLUDE_DIR))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/c/uses_every_name.c"
        ))
        .output()
        .unwrap_or_else(|e| panic!("running {compiler}: {e}"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "{compiler} rejected the headers:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn headers_compile_as_c11_with_every_name_used() {
    compile(
        &std::env::var("CC").unwrap_or_else(|_| "cc".into()),
        &["-std=c11", "-pedantic"],
    );
}

#[test]
fn headers_compile_as_cplusplus() {
    // The flexible array member of nrt_tensor_info_array_t is a C++ extension, as in the SDK.
    compile(
        &std::env::var("CXX").unwrap_or_else(|_| "c++".into()),
        &["-x", "c++", "-std=c++17"],
    );
}
