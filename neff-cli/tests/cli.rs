//! The `neff` command: happy paths and helpful failures.

use std::process::Command;

fn neff(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_neff"))
        .args(args)
        .output()
        .expect("run neff");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("neff-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
#[cfg_attr(
    miri,
    ignore = "runs the neff binary as a process, which Miri cannot do"
)]
fn help() {
    let (code, out, _) = neff(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("inspect"));
    assert!(out.contains("Usage: neff <COMMAND>"));
    let (code, out, _) = neff(&["mlp", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--device-time-us"));
    let (code, _, err) = neff(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("Usage: neff <COMMAND>"));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "runs the neff binary as a process, which Miri cannot do"
)]
fn mlp_then_inspect() {
    let f = tmp("m.neff");
    let (code, out, err) = neff(&[
        "mlp",
        &f,
        "--layers",
        "4,8,3",
        "--batch",
        "2",
        "--cores",
        "2",
        "--device-time-us",
        "50",
        "--seed",
        "3",
        "--name",
        "clim",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("wrote "));
    let (code, out, err) = neff(&["inspect", &f]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("name                 clim"));
    assert!(out.contains("num_tpb              2 (cores: 2)"));
    assert!(out.contains("hash check           ok"));
    assert!(out.contains("nrtemu/program.bin"));
    assert!(out.contains("device time 50000 ns"));
    assert!(out.contains("input         input"));
    assert!(out.contains("[2,3]"));
    assert!(out.contains("op 5    SOFTMAX   z2 -> probs"));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "runs the neff binary as a process, which Miri cannot do"
)]
fn noop_then_inspect() {
    let f = tmp("n.neff");
    let (code, _, err) = neff(&["noop", &f, "--input-bytes", "64", "--output-bytes", "16"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = neff(&["inspect", &f]);
    assert_eq!(code, 0);
    assert!(out.contains("2 tensors, 0 ops, device time 0 ns"));
    assert!(out.contains("uint8    [64] 64 bytes"));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "runs the neff binary as a process, which Miri cannot do"
)]
fn bad_input_is_reported_without_panicking() {
    let (code, _, err) = neff(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unrecognized subcommand 'frobnicate'"));
    let (code, _, err) = neff(&["inspect"]);
    assert_eq!(code, 2);
    assert!(err.contains("required arguments were not provided") && err.contains("<FILE>"));
    let (code, _, err) = neff(&["inspect", "/nonexistent/x.neff"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/x.neff"));
    let f = tmp("short.neff");
    std::fs::write(&f, [0u8; 10]).unwrap();
    let (code, _, err) = neff(&["inspect", &f]);
    assert_eq!(code, 2);
    assert!(err.contains("NEFF is truncated"));
    assert!(err.contains("(the runtime returns NRT_INVALID)"));
    let (code, _, err) = neff(&["mlp", &tmp("x.neff"), "--layers", "4,x"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'x' for '--layers <LAYERS>'"));
    let (code, _, err) = neff(&["mlp", &tmp("x.neff"), "--batch"]);
    assert_eq!(code, 2);
    assert!(err.contains("a value is required for '--batch <BATCH>'"));
    let (code, _, err) = neff(&["mlp", &tmp("x.neff"), "--layers", "4"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot build the model: mlp layer count is 1"));
    let (code, _, err) = neff(&["noop", &tmp("x.neff"), "--layers", "4"]);
    assert_eq!(code, 2);
    assert!(err.contains("unexpected argument '--layers'"));
    let (code, _, err) = neff(&["mlp", "--batch", "2"]);
    assert_eq!(code, 2);
    assert!(err.contains("<OUT>"));
    let (code, _, err) = neff(&["mlp", &tmp("x.neff"), "--cores", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("cores is 0, expected at least 1"));
    // a corrupted program is shown as invalid, not a crash
    let f = tmp("bad.neff");
    let (code, _, _) = neff(&["mlp", &f]);
    assert_eq!(code, 0);
    let mut b = std::fs::read(&f).unwrap();
    b[1024 + 512 + 12] = 1;
    std::fs::write(&f, &b).unwrap();
    let (code, out, _) = neff(&["inspect", &f]);
    assert_eq!(code, 0);
    assert!(out.contains("hash check           MISMATCH"));
    assert!(out.contains("program              INVALID: invalid emulator program"));
}

#[test]
fn inspect_prints_the_tensors_of_a_compiler_neff() {
    let f = tmp("compiled.neff");
    let bytes = neuron_neff::CompilerNeffBuilder::matmul("file.neff", 128, 256, 128)
        .build()
        .unwrap();
    std::fs::write(&f, bytes).unwrap();
    let (code, out, err) = neff(&["inspect", &f]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pkg_version          2 (gzip tar)"));
    assert!(out.contains("(gzip payload, decompressed)"));
    assert!(out.contains("sg01/def.json"));
    assert!(out.contains("compiler layout      3 tensors, 2 subgraphs (sg00, sg01)"));
    assert!(out.contains("  input  x: float16[128, 256] 65536 bytes"));
    assert!(out.contains("  input  y: float16[256, 128] 65536 bytes"));
    assert!(out.contains("  output output0: float16[128, 128] 32768 bytes"));
    // a malformed one is reported, not a crash
    let bad = neuron_neff::CompilerNeffBuilder::matmul("file.neff", 2, 2, 2)
        .replace_member("neff.json", "{\"nodes\": [")
        .build()
        .unwrap();
    std::fs::write(&f, bad).unwrap();
    let (code, out, _) = neff(&["inspect", &f]);
    assert_eq!(code, 0);
    assert!(
        out.contains("compiler layout      INVALID: NEFF built by the Neuron compiler: neff.json:")
    );
}
