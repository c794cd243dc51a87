//! Launcher tests: real worker processes on the emulator.
//!
//! This test binary is its own worker and launcher (`harness = false`): started with
//! `NRT_LAUNCH_TEST_ROLE=worker` it behaves as a worker (opens the device from its assignment,
//! logs each start to a file, then does what `NRT_LAUNCH_TEST_BEHAVIOUR` says); with
//! `NRT_LAUNCH_TEST_ROLE=launcher` it runs a launcher with signal forwarding, so the signal test
//! can send a real SIGTERM to a launcher process. Without a role it runs the tests.

use ncg_planner::{ModelSpec, Plan, PlanRequest, Topology};
use neuron_rt::launch::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROLE: &str = "NRT_LAUNCH_TEST_ROLE";
const BEHAVIOUR: &str = "NRT_LAUNCH_TEST_BEHAVIOUR";
const LOG: &str = "NRT_LAUNCH_TEST_LOG";
const INSTANCE: &str = "inf2.24xlarge";
/// Upper bound for anything to happen on a loaded machine; never a speed assertion.
const PATIENCE: Duration = Duration::from_secs(60);

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("worker") => worker_main(),
        Ok("launcher") => launcher_main(),
        _ => run_tests(),
    }
}

// ---------------------------------------------------------------- worker and launcher roles

fn append(log: &Path, line: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the test log");
    // One write per line: processes append to the same file, and a line written in two calls
    // (text, then newline) can interleave with another process's line.
    f.write_all(format!("{line}\n").as_bytes())
        .expect("write the test log");
}

fn worker_main() -> ! {
    let log = PathBuf::from(std::env::var(LOG).expect("NRT_LAUNCH_TEST_LOG"));
    let behaviour = std::env::var(BEHAVIOUR).unwrap_or_default();
    let (env, device) = open_worker_device().unwrap_or_else(|e| e.exit());
    let pid = std::process::id();
    let range = device
        .visible_range()
        .map(|r| r.to_string())
        .unwrap_or_default();
    append(
        &log,
        &format!(
            "start pid={pid} model={} replica={} restarts={} cores={range} env_cores={}",
            env.model.as_deref().unwrap_or("-"),
            env.replica.map(|r| r.to_string()).unwrap_or_default(),
            env.restarts,
            std::env::var("NEURON_RT_VISIBLE_CORES").unwrap_or_default(),
        ),
    );
    match behaviour.as_str() {
        "always-crash" => std::process::exit(3),
        "crash-first" if env.restarts == 0 => std::process::exit(3),
        _ => {}
    }
    let flag = Arc::new(AtomicUsize::new(0));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register_usize(sig, Arc::clone(&flag), sig as usize)
            .expect("signal handler");
    }
    let until = Instant::now() + PATIENCE;
    while Instant::now() < until {
        let sig = flag.load(Ordering::SeqCst);
        if sig != 0 && behaviour != "ignore-term" {
            append(&log, &format!("term pid={pid} signal={sig}"));
            drop(device);
            std::process::exit(0);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    append(&log, &format!("timeout pid={pid}"));
    std::process::exit(0)
}

fn launcher_main() -> ! {
    let workers: u32 = std::env::var("NRT_LAUNCH_TEST_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);
    let plan = plan(workers);
    let launcher = base_launcher(&plan, &PathBuf::from(std::env::var(LOG).unwrap()), "serve")
        .forward_signals(true);
    let report = launcher
        .start()
        .expect("start")
        .run(|e| println!("EVENT {e}"));
    println!("REPORT success={}", report.success());
    std::process::exit(report.exit_code())
}

// ---------------------------------------------------------------- helpers

fn plan(workers: u32) -> Plan {
    PlanRequest::new(Topology::preset(INSTANCE).unwrap())
        .model(ModelSpec::new("m", 1, workers))
        .solve()
        .unwrap()
}

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("nrt-launch-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }
    fn log(&self) -> PathBuf {
        self.dir.join("log")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A launcher running this test binary as worker, on the emulator, with a lock directory next
/// to `log`.
fn base_launcher(plan: &Plan, log: &Path, behaviour: &str) -> Launcher {
    let locks = log.parent().unwrap().join("locks");
    Launcher::new(plan, std::env::current_exe().unwrap())
        .env(ROLE, "worker")
        .env(BEHAVIOUR, behaviour)
        .env(LOG, log)
        .env("NEURON_RT_BACKEND", "emulator")
        .env("NEURON_RT_EMULATOR_INSTANCE", INSTANCE)
        .env("NEURON_RT_EMULATOR_LOCK_DIR", locks)
        // Must be removed by the launcher: never set together with visible cores.
        .env("NEURON_RT_NUM_CORES", "3")
        .restart_policy(RestartPolicy {
            max_restarts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            reset_after: Duration::from_secs(600),
        })
        .shutdown_timeout(Duration::from_secs(20))
}

fn read_log(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

/// Wait until `pred` holds for the log's lines; panics after [`PATIENCE`].
fn wait_log(log: &Path, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
    let until = Instant::now() + PATIENCE;
    loop {
        let lines = read_log(log);
        if pred(&lines) {
            return lines;
        }
        assert!(
            Instant::now() < until,
            "timed out waiting for {what}; log: {lines:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

fn starts(lines: &[String]) -> Vec<&String> {
    lines.iter().filter(|l| l.starts_with("start ")).collect()
}

/// Run a supervisor on a thread, collecting its events.
fn run_in_thread(
    sup: Supervisor,
) -> (
    std::thread::JoinHandle<LaunchReport>,
    mpsc::Receiver<LaunchEvent>,
) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        sup.run(|e| {
            eprintln!("event: {e}");
            let _ = tx.send(e.clone());
        })
    });
    (handle, rx)
}

fn kill9(pid: u32) {
    use rustix::process::{Pid, Signal, kill_process};
    kill_process(Pid::from_raw(pid as i32).unwrap(), Signal::KILL).unwrap();
}

// ---------------------------------------------------------------- tests

fn spawn_gives_each_worker_its_planned_cores_and_shutdown_stops_them() {
    let s = Scratch::new("spawn");
    let plan = plan(3);
    let sup = base_launcher(&plan, &s.log(), "serve")
        .forward_signals(false)
        .start()
        .unwrap();
    assert_eq!(sup.pids().len(), 3);
    assert!(sup.pids().iter().all(|(_, pid)| pid.is_some()));
    let handle = sup.shutdown_handle();
    let (join, events) = run_in_thread(sup);
    let lines = wait_log(&s.log(), "3 starts", |l| starts(l).len() == 3);
    for w in plan.workers() {
        let line = starts(&lines)
            .into_iter()
            .find(|l| field(l, "replica") == Some(&w.replica.to_string()))
            .unwrap_or_else(|| panic!("no start for replica {}: {lines:?}", w.replica));
        assert_eq!(field(line, "model"), Some("m"));
        assert_eq!(field(line, "cores"), Some(w.cores.to_string().as_str()));
        assert_eq!(
            field(line, "env_cores"),
            Some(w.visible_cores_env().as_str())
        );
        assert_eq!(field(line, "restarts"), Some("0"));
    }
    handle.shutdown();
    let report = join.join().unwrap();
    assert!(report.success(), "{report:?}");
    for w in &report.workers {
        assert_eq!(w.state, FinalState::Stopped);
        assert_eq!(w.last_exit, Some(WorkerExit::Code(0)), "graceful exit");
    }
    let lines = read_log(&s.log());
    assert_eq!(lines.iter().filter(|l| l.starts_with("term ")).count(), 3);
    let events: Vec<LaunchEvent> = events.try_iter().collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, LaunchEvent::ShutdownStarted { signal: None, .. }))
    );
    let stopped = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                LaunchEvent::Exited {
                    action: ExitAction::Stopped,
                    ..
                }
            )
        })
        .count();
    assert_eq!(stopped, 3, "{events:#?}");
}

fn killed_worker_is_restarted_on_the_same_cores() {
    let s = Scratch::new("restart");
    let plan = plan(2);
    let sup = base_launcher(&plan, &s.log(), "serve")
        .forward_signals(false)
        .start()
        .unwrap();
    let handle = sup.shutdown_handle();
    let (join, events) = run_in_thread(sup);
    let lines = wait_log(&s.log(), "2 starts", |l| starts(l).len() == 2);
    let victim = starts(&lines)
        .into_iter()
        .find(|l| field(l, "replica") == Some("1"))
        .unwrap()
        .clone();
    let pid: u32 = field(&victim, "pid").unwrap().parse().unwrap();
    kill9(pid);
    let lines = wait_log(&s.log(), "the restart", |l| starts(l).len() == 3);
    let again = starts(&lines)[2];
    assert_eq!(field(again, "replica"), Some("1"));
    assert_eq!(field(again, "restarts"), Some("1"));
    assert_eq!(field(again, "cores"), field(&victim, "cores"), "same cores");
    assert_ne!(field(again, "pid"), Some(pid.to_string().as_str()));
    handle.shutdown();
    let report = join.join().unwrap();
    assert!(report.success(), "{report:?}");
    assert_eq!(report.workers[1].restarts, 1);
    assert_eq!(report.workers[0].restarts, 0);
    let events: Vec<LaunchEvent> = events.try_iter().collect();
    let crash = events
        .iter()
        .find_map(|e| match e {
            LaunchEvent::Exited {
                pid: p,
                exit,
                action,
                ..
            } if *p == pid => Some((*exit, action.clone())),
            _ => None,
        })
        .expect("an exit event for the killed worker");
    assert_eq!(crash.0, WorkerExit::Signal(9));
    assert!(
        matches!(crash.1, ExitAction::Restart { restart: 1, .. }),
        "{crash:?}"
    );
}

fn crash_loop_stops_at_the_restart_limit() {
    let s = Scratch::new("limit");
    let plan = plan(1);
    let sup = base_launcher(&plan, &s.log(), "always-crash")
        .forward_signals(false)
        .restart_policy(RestartPolicy {
            max_restarts: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            reset_after: Duration::from_secs(600),
        })
        .start()
        .unwrap();
    let (join, events) = run_in_thread(sup);
    // Ends on its own: the worker is given up after 2 restarts.
    let report = join.join().unwrap();
    assert!(!report.success());
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.workers[0].state, FinalState::GaveUp);
    assert_eq!(report.workers[0].restarts, 2);
    assert_eq!(report.workers[0].last_exit, Some(WorkerExit::Code(3)));
    assert_eq!(
        starts(&read_log(&s.log())).len(),
        3,
        "first start + 2 restarts"
    );
    let actions: Vec<ExitAction> = events
        .try_iter()
        .filter_map(|e| match e {
            LaunchEvent::Exited { action, .. } => Some(action),
            _ => None,
        })
        .collect();
    assert_eq!(actions.len(), 3);
    assert!(matches!(actions[0], ExitAction::Restart { restart: 1, .. }));
    assert!(matches!(actions[1], ExitAction::Restart { restart: 2, .. }));
    assert_eq!(actions[2], ExitAction::GaveUp { restarts: 2 });
}

fn sigterm_to_the_launcher_is_forwarded_and_workers_exit_gracefully() {
    let s = Scratch::new("signal");
    let mut launcher = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, "launcher")
        .env(LOG, s.log())
        .env("NRT_LAUNCH_TEST_WORKERS", "2")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_log(&s.log(), "2 starts", |l| starts(l).len() == 2);
    use rustix::process::{Pid, Signal, kill_process};
    kill_process(Pid::from_raw(launcher.id() as i32).unwrap(), Signal::TERM).unwrap();
    let until = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(st) = launcher.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > until {
            let _ = launcher.kill();
            panic!("the launcher did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    use std::io::Read;
    launcher
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{out}");
    assert!(
        out.contains("shutdown: signal 15 (SIGTERM) received"),
        "{out}"
    );
    assert_eq!(out.matches("stopped").count(), 2, "{out}");
    assert!(out.contains("REPORT success=true"), "{out}");
    let lines = read_log(&s.log());
    let terms: Vec<_> = lines.iter().filter(|l| l.starts_with("term ")).collect();
    assert_eq!(terms.len(), 2, "{lines:?}");
    assert!(terms.iter().all(|l| field(l, "signal") == Some("15")));
}

fn workers_ignoring_sigterm_are_killed_at_the_deadline() {
    let s = Scratch::new("deadline");
    let plan = plan(2);
    let sup = base_launcher(&plan, &s.log(), "ignore-term")
        .forward_signals(false)
        .shutdown_timeout(Duration::from_millis(300))
        .start()
        .unwrap();
    let handle = sup.shutdown_handle();
    let (join, events) = run_in_thread(sup);
    wait_log(&s.log(), "2 starts", |l| starts(l).len() == 2);
    handle.shutdown();
    let report = join.join().unwrap();
    assert!(report.success(), "stopped by shutdown counts as success");
    for w in &report.workers {
        assert_eq!(w.state, FinalState::Stopped);
        assert_eq!(w.last_exit, Some(WorkerExit::Signal(9)));
    }
    let killed = events
        .try_iter()
        .filter(|e| matches!(e, LaunchEvent::Killed { .. }))
        .count();
    assert_eq!(killed, 2);
}

fn second_launcher_on_the_same_cores_reports_the_conflict() {
    let s = Scratch::new("conflict");
    let plan = plan(1);
    let first = base_launcher(&plan, &s.log(), "serve")
        .forward_signals(false)
        .start()
        .unwrap();
    let handle = first.shutdown_handle();
    let (join, _events) = run_in_thread(first);
    wait_log(&s.log(), "the first launcher's worker", |l| {
        starts(l).len() == 1
    });

    let second = base_launcher(&plan, &s.log(), "serve")
        .forward_signals(false)
        .start()
        .unwrap();
    let (join2, events2) = run_in_thread(second);
    let report = join2.join().unwrap();
    assert!(!report.success());
    let w = &report.workers[0];
    assert_eq!(w.last_exit, Some(WorkerExit::Code(EXIT_CORES_UNAVAILABLE)));
    assert_eq!(w.restarts, 0, "not restarted");
    match &w.state {
        FinalState::CoresUnavailable { reason } => {
            assert!(
                reason.contains("NeuronCore(s) not available"),
                "the runtime's reason: {reason}"
            );
            assert!(reason.contains("could not reserve NeuronCores"), "{reason}");
        }
        other => panic!("expected CoresUnavailable, got {other:?}"),
    }
    let exited = events2
        .try_iter()
        .find(|e| matches!(e, LaunchEvent::Exited { .. }))
        .unwrap();
    let text = exited.to_string();
    assert!(
        text.contains("could not reserve its NeuronCores, not restarting")
            && text.contains("not available"),
        "{text}"
    );
    assert_eq!(
        starts(&read_log(&s.log())).len(),
        1,
        "the second worker never started"
    );

    handle.shutdown();
    assert!(join.join().unwrap().success());
}

fn missing_program_is_a_spawn_error() {
    let plan = plan(1);
    let err = Launcher::new(&plan, "/nonexistent/neuron-worker")
        .forward_signals(false)
        .start()
        .err()
        .expect("spawning a missing program fails");
    assert!(matches!(err, LaunchError::Spawn { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("m#0") && msg.contains("/nonexistent/neuron-worker"),
        "{msg}"
    );
}

fn run_tests() {
    let tests: &[(&str, fn())] = &[
        (
            "spawn_gives_each_worker_its_planned_cores_and_shutdown_stops_them",
            spawn_gives_each_worker_its_planned_cores_and_shutdown_stops_them,
        ),
        (
            "killed_worker_is_restarted_on_the_same_cores",
            killed_worker_is_restarted_on_the_same_cores,
        ),
        (
            "crash_loop_stops_at_the_restart_limit",
            crash_loop_stops_at_the_restart_limit,
        ),
        (
            "sigterm_to_the_launcher_is_forwarded_and_workers_exit_gracefully",
            sigterm_to_the_launcher_is_forwarded_and_workers_exit_gracefully,
        ),
        (
            "workers_ignoring_sigterm_are_killed_at_the_deadline",
            workers_ignoring_sigterm_are_killed_at_the_deadline,
        ),
        (
            "second_launcher_on_the_same_cores_reports_the_conflict",
            second_launcher_on_the_same_cores_reports_the_conflict,
        ),
        (
            "missing_program_is_a_spawn_error",
            missing_program_is_a_spawn_error,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match std::panic::catch_unwind(test) {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
