//! A standard Open Inference Protocol client against the server: Triton's `tritonclient[http]`
//! (PyPI) reads the metadata and gets correct results, JSON and binary. `.ci/run` installs the
//! client; without it this test says so and checks nothing else.

mod common;

use common::*;
use std::process::Command;

#[test]
fn tritonclient_reads_metadata_and_gets_correct_results() {
    let probe = Command::new("python3")
        .args(["-c", "import tritonclient.http, numpy"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            println!(
                "SKIPPED tritonclient check: the Python client is not installed ({}); install it \
                 with: python3 -m pip install 'tritonclient[http]'",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            );
            return;
        }
        Err(e) => {
            println!("SKIPPED tritonclient check: python3 cannot be run: {e}");
            return;
        }
    }
    let spec = mlp(100);
    let server = start(config("tc", 1, spec.clone()));
    let rows: Vec<[f32; 4]> = (0..3)
        .map(|i| std::array::from_fn(|j| ((i * 4 + j) as f32 * 0.7).cos()))
        .collect();
    let probs: Vec<Vec<f32>> = rows.iter().map(|r| reference_row(&spec, "tc", r)).collect();
    let expected = serde_json::json!({ "inputs": rows, "probs": probs }).to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tritonclient_check.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(server.addr.to_string())
        .arg("tc")
        .arg(&expected)
        .output()
        .expect("run the tritonclient script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tritonclient check failed:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
    assert!(stdout.contains("JSON inference matches"), "{stdout}");
    assert!(stdout.contains("binary inference matches"), "{stdout}");
    assert!(stdout.contains("tritonclient check passed"), "{stdout}");
    server.shutdown().unwrap();
}
