//! Multi-process mode end to end: the launcher starts one serving process per NeuronCore Group,
//! they share one port (SO_REUSEPORT), answer inference, and stop on SIGTERM to the launcher.
//!
//! `harness = false`: with `NRT_SERVE_TEST_ROLE=serve` this binary *is* the serve example
//! (`cli::serve_main`), so the launcher can start it again as its workers.

use neuron_rt_serve::client::Connection;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROLE: &str = "NRT_SERVE_TEST_ROLE";
const PATIENCE: Duration = Duration::from_secs(120);

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("serve") {
        std::process::exit(neuron_rt_serve::cli::serve_main());
    }
    let ok = std::panic::catch_unwind(two_worker_processes_share_the_port).is_ok();
    println!(
        "test two_worker_processes_share_the_port ... {}",
        if ok { "ok" } else { "FAILED" }
    );
    println!("{} passed, {} failed", ok as u32, !ok as u32);
    if !ok {
        std::process::exit(1);
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn two_worker_processes_share_the_port() {
    let dir = std::env::temp_dir().join(format!("nrt-serve-mp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let log = dir.join("launcher.log");
    let mut launcher = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, "serve")
        .args([
            "--processes",
            "--groups",
            "2",
            "--instance",
            "inf2.24xlarge",
        ])
        .args([
            "--layers",
            "4,8,3",
            "--batch",
            "4",
            "--device-time-us",
            "200",
        ])
        .args(["--shutdown-timeout-s", "5", "--port", &port.to_string()])
        .arg("--emulator-lock-dir")
        .arg(dir.join("locks"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            // Both workers answer on the one port: new connections are spread by the kernel.
            let until = Instant::now() + PATIENCE;
            let mut workers = BTreeSet::new();
            while workers.len() < 2 {
                assert!(
                    Instant::now() < until,
                    "both workers answering; seen {workers:?}"
                );
                if let Ok(mut c) = Connection::connect(addr).await {
                    if let Ok(r) = c.get("/metrics").await {
                        let text = String::from_utf8_lossy(&r.body).to_string();
                        if let Some(w) = text
                            .lines()
                            .find_map(|l| l.split("worker=\"").nth(1)?.split('"').next())
                        {
                            workers.insert(w.to_string());
                        }
                    }
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            assert_eq!(
                workers,
                BTreeSet::from(["mlp#0".to_string(), "mlp#1".to_string()])
            );
            for i in 0..8 {
                let mut c = Connection::connect(addr).await.unwrap();
                let body = serde_json::json!({
                    "inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32",
                                "data": [i, 1, 2, 3, 4, 5, 6, 7]}],
                });
                let r = c.post_json("/v2/models/mlp/infer", &body).await.unwrap();
                assert!(r.status.is_success(), "{:?}", r.body);
                let v = r.json().unwrap();
                assert_eq!(v["outputs"][0]["shape"], serde_json::json!([2, 3]));
            }
        })
    }));
    // SIGTERM to the launcher: forwarded to the workers, which drain and exit.
    use rustix::process::{Pid, Signal, kill_process};
    kill_process(Pid::from_raw(launcher.id() as i32).unwrap(), Signal::TERM).unwrap();
    let until = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(s) = launcher.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > until {
            let _ = launcher.kill();
            panic!("launcher did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        eprintln!("launcher log:\n{text}");
        std::panic::resume_unwind(e);
    }
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("shutdown: signal 15 (SIGTERM) received"),
        "{text}"
    );
    assert_eq!(text.matches("exit code 0").count(), 2, "{text}");
    assert_eq!(text.matches("; stopped").count(), 2, "{text}");
    assert!(text.contains("SIGTERM received, draining"), "{text}");
}
