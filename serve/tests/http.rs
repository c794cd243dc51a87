//! The HTTP server end to end on the emulator: protocol endpoints, JSON and binary inference
//! against the model run directly, every error case, metrics content, graceful drain.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use neuron_rt_serve::protocol::HEADER_CONTENT_LENGTH;
use serde_json::{Value, json};
use std::time::Duration;

fn input_json(rows: &[[f32; 4]]) -> String {
    json!({
        "id": "req-1",
        "inputs": [{ "name": "input", "shape": [rows.len(), 4], "datatype": "FP32", "data": rows }],
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_endpoints_and_json_inference() {
    let server = start(config("m1", 2, mlp(100)));
    let mut c = connect(&server).await;

    let r = c.get("/v2/health/live").await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    // Ready once the executors have their bindings (bounded wait).
    let mut ready = false;
    for _ in 0..500 {
        if c.get("/v2/health/ready").await.unwrap().status == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(ready, "server became ready");
    assert_eq!(
        c.get("/v2/models/m1/ready").await.unwrap().status,
        StatusCode::OK
    );
    assert_eq!(
        c.get("/v2/models/m1/versions/1/ready")
            .await
            .unwrap()
            .status,
        StatusCode::OK
    );

    let meta = c.get("/v2").await.unwrap().json().unwrap();
    assert!(
        meta["extensions"]
            .as_array()
            .unwrap()
            .contains(&json!("binary_tensor_data"))
    );

    let md = c.get("/v2/models/m1").await.unwrap();
    assert_eq!(md.status, StatusCode::OK);
    let md = md.json().unwrap();
    assert_eq!(md["name"], "m1");
    assert_eq!(md["versions"], json!(["1"]));
    assert_eq!(
        md["inputs"],
        json!([{ "name": "input", "datatype": "FP32", "shape": [-1, 4] }])
    );
    assert_eq!(
        md["outputs"],
        json!([{ "name": "probs", "datatype": "FP32", "shape": [-1, 3] }])
    );
    let cfg = c.get("/v2/models/m1/config").await.unwrap().json().unwrap();
    assert_eq!(cfg["max_batch_size"], 4);

    let rows = [[0.1f32, 0.2, 0.3, 0.4], [1.0, -1.0, 0.5, 2.0]];
    let r = post(&mut c, "/v2/models/m1/infer", &input_json(&rows)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let v = r.json().unwrap();
    assert_eq!(v["model_name"], "m1");
    assert_eq!(v["id"], "req-1");
    let out = &v["outputs"][0];
    assert_eq!(out["name"], "probs");
    assert_eq!(out["datatype"], "FP32");
    assert_eq!(out["shape"], json!([2, 3]));
    let got: Vec<f32> = out["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    let spec = mlp(0);
    assert_close(&got[..3], &reference_row(&spec, "m1", &rows[0]));
    assert_close(&got[3..], &reference_row(&spec, "m1", &rows[1]));

    // The versioned path answers the same.
    let r2 = post(&mut c, "/v2/models/m1/versions/1/infer", &input_json(&rows)).await;
    assert_eq!(r2.json().unwrap()["outputs"], v["outputs"]);
    server.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_tensor_extension_round_trip() {
    let server = start(config("m2", 1, mlp(100)));
    let mut c = connect(&server).await;
    let rows = [
        [0.5f32, -0.25, 1.5, 0.0],
        [0.3, 0.3, 0.3, 0.3],
        [2.0, 1.0, 0.0, -1.0],
    ];
    let bin: Vec<u8> = rows
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let head = json!({
        "inputs": [{ "name": "input", "shape": [3, 4], "datatype": "FP32",
                      "parameters": { "binary_data_size": bin.len() } }],
        "outputs": [{ "name": "probs", "parameters": { "binary_data": true } }],
    })
    .to_string();
    let mut body = head.clone().into_bytes();
    body.extend_from_slice(&bin);
    let r = c
        .request(
            Method::POST,
            "/v2/models/m2/infer",
            &[(HEADER_CONTENT_LENGTH, head.len().to_string())],
            body.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let n = r
        .header_len
        .expect("binary response carries the header length");
    let v: Value = serde_json::from_slice(&r.body[..n]).unwrap();
    assert_eq!(v["outputs"][0]["parameters"]["binary_data_size"], 36);
    assert!(v["outputs"][0].get("data").is_none());
    let got: Vec<f32> = r
        .binary()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(got.len(), 9);
    // Same numbers as the JSON path.
    let j = post(&mut c, "/v2/models/m2/infer", &input_json(&rows))
        .await
        .json()
        .unwrap();
    let want: Vec<f32> = j["outputs"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_close(&got, &want);
    server.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors_naming_the_problem() {
    let mut cfg = config("m3", 1, mlp(50));
    cfg.max_body_bytes = 2048;
    let server = start(cfg);
    let mut c = connect(&server).await;
    let ok_input = |shape: Value, datatype: &str, data: Value| {
        json!({"inputs": [{"name": "input", "shape": shape, "datatype": datatype, "data": data}]})
            .to_string()
    };
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        ("/v2/models/nope/infer", input_json(&[[0.0; 4]]), StatusCode::NOT_FOUND, "unknown model 'nope'; this server serves: 'm3'"),
        ("/v2/models/m3/versions/2/infer", input_json(&[[0.0; 4]]), StatusCode::NOT_FOUND, "has no version '2'"),
        ("/v2/models/m3/infer", "{not json".into(), StatusCode::BAD_REQUEST, "malformed infer request JSON"),
        ("/v2/models/m3/infer", ok_input(json!([1, 4]), "FP16", json!([1, 2, 3, 4])), StatusCode::BAD_REQUEST, "datatype FP16 does not match the model's FP32"),
        ("/v2/models/m3/infer", ok_input(json!([1, 5]), "FP32", json!([1, 2, 3, 4, 5])), StatusCode::BAD_REQUEST, "dimension 1 is 5, expected 4"),
        ("/v2/models/m3/infer", ok_input(json!([5, 4]), "FP32", json!([])), StatusCode::BAD_REQUEST, "maximum batch size 4"),
        ("/v2/models/m3/infer", ok_input(json!([1, 4]), "FP32", json!([1, 2, 3])), StatusCode::BAD_REQUEST, "has 3 element(s) but the shape needs 4"),
        ("/v2/models/m3/infer", json!({"inputs": []}).to_string(), StatusCode::BAD_REQUEST, "input 'input' (FP32 [-1, 4]) was not given"),
        ("/v2/models/m3/infer", json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}).to_string(), StatusCode::BAD_REQUEST, "has no input named 'x'"),
        ("/v2/models/m3/infer", format!("{{\"inputs\":[],\"pad\":\"{}\"}}", "x".repeat(4096)), StatusCode::PAYLOAD_TOO_LARGE, "larger than the server's limit of 2048 bytes"),
    ];
    for (path, body, status, needle) in &cases {
        let r = post(&mut c, path, body).await;
        assert_eq!(r.status, *status, "{path} {body:.80}: {:?}", r.body);
        let v = r.json().expect("error bodies are JSON");
        let msg = v["error"].as_str().expect("an \"error\" string");
        assert!(msg.contains(needle), "{path}: {msg}");
    }
    // A malformed binary header.
    let r = c
        .request(
            Method::POST,
            "/v2/models/m3/infer",
            &[(HEADER_CONTENT_LENGTH, "abc".into())],
            input_json(&[[0.0; 4]]).into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("must be a byte count")
    );
    // Routes and methods.
    let r = c.get("/v2/models/m3/infer").await.unwrap();
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        r.json().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("GET is not allowed")
    );
    let r = c.get("/v1/models").await.unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.json().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("Open Inference Protocol")
    );
    assert_eq!(
        c.get("/v2/models/nope").await.unwrap().status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get("/v2/models/nope/ready").await.unwrap().status,
        StatusCode::NOT_FOUND
    );

    // The server still serves after all that.
    let r = post(&mut c, "/v2/models/m3/infer", &input_json(&[[0.0; 4]])).await;
    assert_eq!(r.status, StatusCode::OK);

    // Metrics: every request and error counted by kind.
    let m = c.get("/metrics").await.unwrap();
    assert_eq!(m.status, StatusCode::OK);
    assert_eq!(m.content_type.as_deref(), Some("text/plain; version=0.0.4"));
    let text = String::from_utf8(m.body.to_vec()).unwrap();
    let sample = |line: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no sample {line} in\n{text}"))
    };
    // 8 listed cases + the bad header reached model m3 (the unknown model/version did not),
    // + the final good one = 10.
    assert_eq!(sample("nrt_serve_requests_total{model=\"m3\"}"), 10.0);
    assert_eq!(
        sample("nrt_serve_request_errors_total{model=\"m3\",kind=\"bad_request\"}"),
        8.0
    );
    assert_eq!(
        sample("nrt_serve_request_errors_total{model=\"m3\",kind=\"payload_too_large\"}"),
        1.0
    );
    assert_eq!(
        sample("nrt_serve_request_errors_total{model=\"\",kind=\"not_found\"}"),
        5.0
    );
    assert_eq!(
        sample("nrt_serve_request_errors_total{model=\"\",kind=\"method_not_allowed\"}"),
        1.0
    );
    assert_eq!(
        sample("nrt_serve_request_duration_seconds_count{model=\"m3\"}"),
        10.0
    );
    assert_eq!(sample("nrt_serve_batch_size_count{model=\"m3\"}"), 1.0);
    assert_eq!(sample("nrt_serve_inferences_total{model=\"m3\"}"), 1.0);
    assert_eq!(sample("nrt_serve_queue_depth{model=\"m3\"}"), 0.0);
    assert!(text.contains("# TYPE nrt_serve_request_duration_seconds histogram"));
    assert!(
        text.contains("nrt_serve_request_duration_seconds_bucket{model=\"m3\",le=\"+Inf\"} 10\n")
    );
    let busy: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("nrt_serve_group_busy_fraction{model=\"m3\""))
        .collect();
    assert_eq!(busy.len(), 1, "one line per group");
    assert!(text.contains("nrt_serve_group_executions_total{model=\"m3\""));
    server.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_in_flight_requests() {
    // 300 ms per execution, no batching: requests are still running when shutdown starts.
    let mut cfg = config("m4", 1, mlp(300_000));
    cfg.batching = false;
    // Three HTTP shards: the four connections below land on all of them, and every shard
    // must drain its own.
    cfg.http_threads = Some(3);
    let server = start(cfg);
    let addr = server.addr;
    let mut tasks = Vec::new();
    for i in 0..3 {
        tasks.push(tokio::spawn(async move {
            let mut c = neuron_rt_serve::client::Connection::connect(addr)
                .await
                .unwrap();
            post(&mut c, "/v2/models/m4/infer", &input_json(&[[i as f32; 4]]))
                .await
                .status
        }));
    }
    // Wait until all three are queued or running (bounded).
    let mut c = neuron_rt_serve::client::Connection::connect(addr)
        .await
        .unwrap();
    for _ in 0..500 {
        let text = String::from_utf8(c.get("/metrics").await.unwrap().body.to_vec()).unwrap();
        if text.contains("nrt_serve_requests_total{model=\"m4\"} 3") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(c);
    let stopper = tokio::task::spawn_blocking(move || server.shutdown());
    for t in tasks {
        assert_eq!(
            t.await.unwrap(),
            StatusCode::OK,
            "in-flight requests finish"
        );
    }
    stopper.await.unwrap().unwrap();
    assert!(
        neuron_rt_serve::client::Connection::connect(addr)
            .await
            .is_err(),
        "the port is closed after shutdown"
    );
}

#[test]
fn loadgen_measures_a_real_server_closed_and_open_loop() {
    use neuron_rt_serve::loadgen::{LoadConfig, LoadMode, run};
    let server = start(config("m5", 2, mlp(200)));
    let mut cfg = LoadConfig {
        addr: server.addr,
        model: "m5".into(),
        mode: LoadMode::Closed,
        connections: 4,
        requests: 300,
        duration: Duration::from_secs(60),
        rows: 2,
        binary: false,
        record_each: false,
    };
    let closed = run(&cfg).unwrap();
    assert_eq!(
        (closed.ok, closed.failures()),
        (300, 0),
        "{}",
        closed.summary()
    );
    assert_eq!(closed.latencies_us.len(), 300);
    assert!(
        closed.latencies_us.windows(2).all(|w| w[0] <= w[1]),
        "sorted"
    );
    // Each answer took at least the 200 µs device time.
    assert!(closed.latencies_us[0] >= 200, "{}", closed.summary());
    assert_eq!(closed.inferences_per_second(), closed.throughput() * 2.0);

    // Open loop, binary tensors: 400 req/s for 0.5 s is 200 requests, each recorded.
    cfg.mode = LoadMode::Open { rate: 400.0 };
    cfg.duration = Duration::from_millis(500);
    cfg.binary = true;
    cfg.record_each = true;
    let open = run(&cfg).unwrap();
    assert_eq!(open.failures() + open.unsent, 0, "{}", open.summary());
    assert_eq!(open.ok, 200, "{}", open.summary());
    assert_eq!(open.requests.len(), 200);
    let mut due: Vec<u64> = open.requests.iter().map(|r| r.due_us).collect();
    due.sort_unstable();
    assert_eq!(due, (0..200).map(|k| k * 2500).collect::<Vec<_>>());

    // An unknown model is refused before the run, naming it.
    cfg.model = "nope".into();
    let err = run(&cfg).unwrap_err().to_string();
    assert!(err.contains("nope"), "{err}");
    server.shutdown().unwrap();
}
