//! Rust writer vs C parser: builds the emulator's program_test.c (when gcc and the emulator
//! sources are present) and runs every NEFF written by the cross_check_vectors example through
//! the C tar reader, program parser and interpreter, comparing with `Program::evaluate`.

#[path = "../examples/cross_check_vectors.rs"]
mod vectors;

use std::path::PathBuf;
use std::process::Command;

#[test]
#[cfg_attr(
    miri,
    ignore = "compiles and runs the C emulator with gcc, which Miri cannot do"
)]
fn c_emulator_agrees_with_rust() {
    let emu = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../neuron-rt-sys/emulator");
    let test_c = emu.join("tests/program_test.c");
    if !test_c.exists() || Command::new("gcc").arg("--version").output().is_err() {
        eprintln!("skipping: gcc or {} not available", test_c.display());
        return;
    }
    let dir = std::env::temp_dir().join(format!("neff-cross-check-{}", std::process::id()));
    let names = vectors::write_all(&dir).expect("write vectors");
    assert!(names.len() >= 10);
    let bin = dir.join("program_test");
    let status = Command::new("gcc")
        .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&bin)
        .arg(&test_c)
        .arg(emu.join("src/program.c"))
        .arg(emu.join("src/tar.c"))
        .arg(emu.join("src/sha256.c"))
        .arg(emu.join("src/errbuf.c"))
        .arg("-lm")
        .status()
        .expect("run gcc");
    assert!(status.success(), "gcc failed");
    let mut cmd = Command::new(&bin);
    for n in &names {
        cmd.arg("--check")
            .arg(dir.join(format!("{n}.neff")))
            .arg(dir.join(format!("{n}.in.bin")))
            .arg(dir.join(format!("{n}.expected.bin")));
    }
    let out = cmd.output().expect("run program_test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "C check failed:\n{stdout}\n{stderr}");
    assert_eq!(
        stdout.matches("cross-check ok:").count(),
        names.len(),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
