//! A runtime failure is a 500 naming the runtime's status, and the server keeps serving.
//!
//! The emulator reads `NEURON_RT_EXEC_TIMEOUT` from the environment at model load, and setting
//! the environment of a running (threaded) test process is unsound, so the test re-runs this
//! binary with the variable set and checks that run.

mod common;

use common::*;
use hyper::StatusCode;

const TIMEOUT_S: &str = "0.05";

#[test]
fn execution_timeout_is_a_500_with_the_status_name() {
    if std::env::var("NEURON_RT_EXEC_TIMEOUT").as_deref() == Ok(TIMEOUT_S) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        return rt.block_on(timeout_case());
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "execution_timeout_is_a_500_with_the_status_name",
            "--nocapture",
        ])
        .env("NEURON_RT_EXEC_TIMEOUT", TIMEOUT_S)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "{text}");
}

async fn timeout_case() {
    // 200 ms device time against a 50 ms timeout: every execution times out.
    let server = start(config("slow", 1, mlp(200_000)));
    let mut c = connect(&server).await;
    let body = serde_json::json!({
        "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}],
    })
    .to_string();
    for _ in 0..2 {
        let r = post(&mut c, "/v2/models/slow/infer", &body).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        let msg = r.json().unwrap()["error"].as_str().unwrap().to_string();
        assert!(
            msg.contains("NRT_TIMEOUT") && msg.contains("nrt_execute"),
            "{msg}"
        );
    }
    let text = String::from_utf8(c.get("/metrics").await.unwrap().body.to_vec()).unwrap();
    assert!(
        text.contains("nrt_serve_request_errors_total{model=\"slow\",kind=\"runtime\"} 2\n"),
        "{text}"
    );
    server.shutdown().unwrap();
}
