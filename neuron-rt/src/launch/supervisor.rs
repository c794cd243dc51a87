//! Supervisor side: spawn one process per planned worker, restart crashed ones, forward
//! SIGTERM/SIGINT, shut down with a deadline.

use super::contract::*;
use super::events::*;
use ncg_planner::{ENV_TO_REMOVE, Plan, WorkerAssignment};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// When and how often a crashed worker is restarted.
///
/// A crash is any exit other than code 0, [`EXIT_CORES_UNAVAILABLE`] and
/// [`EXIT_BAD_ASSIGNMENT`] (those two are not restarted: waiting would not help). The n-th
/// consecutive restart waits `initial_backoff × 2^(n-1)`, at most `max_backoff`; after
/// `max_restarts` consecutive restarts the worker is given up. A worker that ran at least
/// `reset_after` before crashing starts counting again from zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Consecutive restarts allowed (0 = never restart).
    pub max_restarts: u32,
    /// Wait before the first restart.
    pub initial_backoff: Duration,
    /// Longest wait between restarts.
    pub max_backoff: Duration,
    /// Uptime after which a crash counts as the first again.
    pub reset_after: Duration,
}

impl Default for RestartPolicy {
    /// 5 restarts, 200 ms doubling up to 10 s, reset after 60 s of uptime.
    fn default() -> Self {
        RestartPolicy {
            max_restarts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            reset_after: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    fn backoff(&self, restart: u32) -> Duration {
        let factor = 1u32
            .checked_shl(restart.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// Why the launcher could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The plan has no workers.
    #[error("the plan has no workers: nothing to launch")]
    EmptyPlan,
    /// A worker process could not be spawned; workers already started were stopped.
    #[error("could not start worker {worker} ({program:?}): {source}")]
    Spawn {
        /// The worker.
        worker: String,
        /// The program.
        program: OsString,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The SIGTERM/SIGINT handlers could not be installed.
    #[error("could not install the SIGTERM/SIGINT handlers: {0}")]
    Signals(std::io::Error),
}

/// Starts one process per worker of an [`ncg_planner::Plan`].
///
/// Each worker gets the plan's environment ([`WorkerAssignment::env`]:
/// `NEURON_RT_VISIBLE_CORES` and, on trn2, `NEURON_LOGICAL_NC_CONFIG`) plus
/// `NEURON_RT_WORKER_MODEL`, `NEURON_RT_WORKER_REPLICA`, `NEURON_RT_WORKER_COUNT` and
/// `NEURON_RT_WORKER_RESTARTS` ([the contract](super#the-contract)); `NEURON_RT_NUM_CORES` and
/// the other variables of [`ncg_planner::ENV_TO_REMOVE`] are removed. Workers run in their own
/// process group, so a terminal's Ctrl-C reaches only the launcher, which forwards it once.
/// Their stdout is inherited; their stderr is copied to the launcher's, each line prefixed with
/// the worker, and its last lines are kept for the exit report.
///
/// ```no_run
/// use ncg_planner::{ModelSpec, PlanRequest, Topology};
/// use neuron_rt::launch::Launcher;
/// let plan = PlanRequest::new(Topology::preset("inf2.24xlarge")?)
///     .model(ModelSpec::new("mlp", 1, 4))
///     .solve()?;
/// let report = Launcher::new(&plan, "/usr/local/bin/my-worker")
///     .arg("--port=8000")
///     .start()?
///     .run(|event| eprintln!("launcher: {event}"));
/// std::process::exit(report.exit_code());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Launcher {
    workers: Vec<WorkerAssignment>,
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    restart: RestartPolicy,
    shutdown_timeout: Duration,
    tail_lines: usize,
    forward_signals: bool,
    poll_interval: Duration,
}

impl Launcher {
    /// A launcher for every worker of `plan`, each running `program`.
    pub fn new(plan: &Plan, program: impl AsRef<OsStr>) -> Launcher {
        Launcher {
            workers: plan.workers().to_vec(),
            program: program.as_ref().to_os_string(),
            args: Vec::new(),
            env: Vec::new(),
            restart: RestartPolicy::default(),
            shutdown_timeout: Duration::from_secs(10),
            tail_lines: 20,
            forward_signals: true,
            poll_interval: Duration::from_millis(20),
        }
    }

    /// Append an argument for every worker.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Append arguments for every worker.
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Set an extra environment variable for every worker (the assignment's variables win).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// The restart policy (default [`RestartPolicy::default`]).
    pub fn restart_policy(mut self, policy: RestartPolicy) -> Self {
        self.restart = policy;
        self
    }

    /// How long workers get to exit after the shutdown signal before they are killed
    /// (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How many stderr lines of each worker to keep for exit reports (default 20).
    pub fn stderr_tail_lines(mut self, lines: usize) -> Self {
        self.tail_lines = lines;
        self
    }

    /// Whether to catch SIGTERM and SIGINT and forward them to the workers (default true).
    /// Turn it off when the launcher is embedded in a program that handles signals itself, and
    /// use [`Supervisor::shutdown_handle`] instead. Use at most one signal-forwarding
    /// supervisor at a time per process: when it is dropped, SIGTERM and SIGINT terminate the
    /// process again (their default action).
    pub fn forward_signals(mut self, on: bool) -> Self {
        self.forward_signals = on;
        self
    }

    /// Start every worker.
    ///
    /// # Errors
    /// [`LaunchError::EmptyPlan`], [`LaunchError::Signals`], or [`LaunchError::Spawn`] when a
    /// worker cannot be spawned (the workers already started are killed and reaped first).
    pub fn start(self) -> Result<Supervisor, LaunchError> {
        if self.workers.is_empty() {
            return Err(LaunchError::EmptyPlan);
        }
        let flag = Arc::new(AtomicUsize::new(0));
        let signals = if self.forward_signals {
            Some(SignalGuard::install(&flag).map_err(LaunchError::Signals)?)
        } else {
            None
        };
        let mut sup = Supervisor {
            slots: Vec::with_capacity(self.workers.len()),
            config: self,
            flag,
            _signals: signals,
            pending: VecDeque::new(),
        };
        let workers = sup.config.workers.clone();
        for a in workers {
            let worker = WorkerRef {
                model: a.model.clone(),
                replica: a.replica,
                cores: a.cores,
            };
            sup.slots.push(Slot {
                assignment: a,
                worker,
                running: None,
                consecutive: 0,
                total_restarts: 0,
                last_exit: None,
                state: SlotState::Waiting(Instant::now()),
            });
        }
        for i in 0..sup.slots.len() {
            if let Err(source) = sup.spawn(i) {
                let worker = sup.slots[i].worker.to_string();
                sup.kill_all();
                return Err(LaunchError::Spawn {
                    worker,
                    program: sup.config.program.clone(),
                    source,
                });
            }
        }
        Ok(sup)
    }
}

/// Asks a running [`Supervisor`] to shut down, from any thread (as SIGTERM would).
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    flag: Arc<AtomicUsize>,
}

/// Stored in the flag by [`ShutdownHandle::shutdown`]: not a signal number.
const REQUESTED: usize = usize::MAX;

impl ShutdownHandle {
    /// Start a graceful shutdown: SIGTERM to every worker, kill at the deadline. A second call
    /// kills the remaining workers at once.
    pub fn shutdown(&self) {
        self.flag.store(REQUESTED, Ordering::SeqCst);
    }
}

enum SlotState {
    Running,
    /// Start (again) at this instant.
    Waiting(Instant),
    Final(FinalState),
}

struct RunningChild {
    child: Child,
    pid: u32,
    started: Instant,
    tail: Arc<Mutex<VecDeque<String>>>,
    pump_done: mpsc::Receiver<()>,
}

struct Slot {
    assignment: WorkerAssignment,
    worker: WorkerRef,
    running: Option<RunningChild>,
    consecutive: u32,
    total_restarts: u32,
    last_exit: Option<WorkerExit>,
    state: SlotState,
}

/// The running workers. [`Supervisor::run`] supervises them until every worker has ended
/// (finished, given up, or stopped by shutdown). Dropping a supervisor without running it
/// kills its workers.
pub struct Supervisor {
    config: Launcher,
    slots: Vec<Slot>,
    flag: Arc<AtomicUsize>,
    _signals: Option<SignalGuard>,
    /// Events produced before `run` was called (the initial starts).
    pending: VecDeque<LaunchEvent>,
}

impl Supervisor {
    /// A handle that starts a graceful shutdown from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            flag: Arc::clone(&self.flag),
        }
    }

    /// The workers and their current process ids (`None` while waiting to restart).
    pub fn pids(&self) -> Vec<(WorkerRef, Option<u32>)> {
        self.slots
            .iter()
            .map(|s| (s.worker.clone(), s.running.as_ref().map(|r| r.pid)))
            .collect()
    }

    /// Supervise until every worker has ended, calling `on_event` for each event (start, exit,
    /// restart, shutdown, kill). Returns each worker's outcome.
    pub fn run(mut self, mut on_event: impl FnMut(&LaunchEvent)) -> LaunchReport {
        while let Some(e) = self.pending.pop_front() {
            on_event(&e);
        }
        let mut shutdown_deadline: Option<Instant> = None;
        let mut force = false;
        loop {
            let sig = self.flag.swap(0, Ordering::SeqCst);
            if sig != 0 {
                if shutdown_deadline.is_some() {
                    force = true; // a second signal: do not wait any longer
                } else {
                    let signal = (sig != REQUESTED).then_some(sig as i32);
                    shutdown_deadline = Some(Instant::now() + self.config.shutdown_timeout);
                    self.begin_shutdown(signal);
                    on_event(&LaunchEvent::ShutdownStarted {
                        signal,
                        deadline: self.config.shutdown_timeout,
                    });
                }
            }
            let shutting_down = shutdown_deadline.is_some();
            for i in 0..self.slots.len() {
                self.poll_slot(i, shutting_down, &mut on_event);
            }
            if let Some(deadline) = shutdown_deadline {
                if force || Instant::now() >= deadline {
                    for i in 0..self.slots.len() {
                        self.kill_slot(i, &mut on_event);
                    }
                }
            }
            if self
                .slots
                .iter()
                .all(|s| matches!(s.state, SlotState::Final(_)))
            {
                break;
            }
            std::thread::sleep(self.config.poll_interval);
        }
        LaunchReport {
            workers: self
                .slots
                .iter()
                .map(|s| WorkerOutcome {
                    worker: s.worker.clone(),
                    restarts: s.total_restarts,
                    last_exit: s.last_exit,
                    state: match &s.state {
                        SlotState::Final(f) => f.clone(),
                        // Unreachable: the loop ends only when every slot is final.
                        _ => FinalState::Stopped,
                    },
                })
                .collect(),
        }
    }

    fn poll_slot(
        &mut self,
        i: usize,
        shutting_down: bool,
        on_event: &mut impl FnMut(&LaunchEvent),
    ) {
        match self.slots[i].state {
            SlotState::Final(_) => {}
            SlotState::Waiting(at) => {
                if shutting_down {
                    self.slots[i].state = SlotState::Final(FinalState::Stopped);
                } else if Instant::now() >= at {
                    if let Err(e) = self.spawn(i) {
                        let slot = &mut self.slots[i];
                        slot.state = SlotState::Final(FinalState::SpawnFailed {
                            error: e.to_string(),
                        });
                        on_event(&LaunchEvent::SpawnFailed {
                            worker: slot.worker.clone(),
                            error: e.to_string(),
                        });
                    }
                    while let Some(e) = self.pending.pop_front() {
                        on_event(&e);
                    }
                }
            }
            SlotState::Running => {
                let slot = &mut self.slots[i];
                let Some(running) = slot.running.as_mut() else {
                    slot.state = SlotState::Waiting(Instant::now());
                    return;
                };
                let status = match running.child.try_wait() {
                    Ok(Some(status)) => status,
                    Ok(None) => return,
                    Err(e) => {
                        // Cannot happen for our own child; treat it as a crash and reap.
                        let _ = writeln!(std::io::stderr(), "launcher: wait failed: {e}");
                        let _ = running.child.kill();
                        match running.child.wait() {
                            Ok(s) => s,
                            Err(_) => return,
                        }
                    }
                };
                let Some(running) = slot.running.take() else {
                    return;
                };
                let event = self.exited(i, running, status, shutting_down);
                on_event(&event);
            }
        }
    }

    /// Classify an exit and decide what happens next.
    fn exited(
        &mut self,
        i: usize,
        running: RunningChild,
        status: std::process::ExitStatus,
        shutting_down: bool,
    ) -> LaunchEvent {
        // Let the stderr pump drain the last lines (bounded: a grandchild may hold the pipe).
        let _ = running.pump_done.recv_timeout(Duration::from_millis(500));
        let stderr_tail: Vec<String> = running.tail.lock().iter().cloned().collect();
        let exit = WorkerExit::from_status(status);
        let uptime = running.started.elapsed();
        let policy = self.config.restart.clone();
        let slot = &mut self.slots[i];
        slot.last_exit = Some(exit);
        let reason = stderr_tail.join("\n");
        let action = if shutting_down {
            slot.state = SlotState::Final(FinalState::Stopped);
            ExitAction::Stopped
        } else {
            match exit {
                WorkerExit::Code(0) => {
                    slot.state = SlotState::Final(FinalState::Finished);
                    ExitAction::Finished
                }
                WorkerExit::Code(EXIT_CORES_UNAVAILABLE) => {
                    slot.state = SlotState::Final(FinalState::CoresUnavailable { reason });
                    ExitAction::CoresUnavailable
                }
                WorkerExit::Code(EXIT_BAD_ASSIGNMENT) => {
                    slot.state = SlotState::Final(FinalState::BadAssignment { reason });
                    ExitAction::BadAssignment
                }
                _ => {
                    if uptime >= policy.reset_after {
                        slot.consecutive = 0;
                    }
                    if slot.consecutive < policy.max_restarts {
                        slot.consecutive += 1;
                        slot.total_restarts += 1;
                        let after = policy.backoff(slot.consecutive);
                        slot.state = SlotState::Waiting(Instant::now() + after);
                        ExitAction::Restart {
                            after,
                            restart: slot.consecutive,
                        }
                    } else {
                        slot.state = SlotState::Final(FinalState::GaveUp);
                        ExitAction::GaveUp {
                            restarts: slot.consecutive,
                        }
                    }
                }
            }
        };
        LaunchEvent::Exited {
            worker: slot.worker.clone(),
            pid: running.pid,
            exit,
            uptime,
            action,
            stderr_tail,
        }
    }

    fn spawn(&mut self, i: usize) -> std::io::Result<()> {
        let count = self.slots.len().to_string();
        let tail_lines = self.config.tail_lines;
        let slot = &mut self.slots[i];
        let a = &slot.assignment;
        let mut cmd = Command::new(&self.config.program);
        cmd.args(&self.config.args);
        for var in ENV_TO_REMOVE.iter().chain(WORKER_ENV) {
            cmd.env_remove(var);
        }
        cmd.envs(
            self.config
                .env
                .iter()
                .filter(|(k, _)| !ENV_TO_REMOVE.iter().any(|r| OsStr::new(r) == k))
                .map(|(k, v)| (k, v)),
        );
        cmd.envs(a.env());
        cmd.env(ENV_WORKER_MODEL, &a.model)
            .env(ENV_WORKER_REPLICA, a.replica.to_string())
            .env(ENV_WORKER_COUNT, &count)
            .env(ENV_WORKER_RESTARTS, slot.total_restarts.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::piped())
            // Own process group: a terminal's Ctrl-C reaches only the launcher, which forwards
            // it, so workers never see the signal twice.
            .process_group(0);
        let mut child = cmd.spawn()?;
        let pid = child.id();
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(tail_lines)));
        let (done_tx, pump_done) = mpsc::channel();
        if let Some(stderr) = child.stderr.take() {
            let tail = Arc::clone(&tail);
            let prefix = format!("[{}#{} pid {pid}] ", a.model, a.replica);
            std::thread::Builder::new()
                .name(format!("stderr-{}#{}", a.model, a.replica))
                .spawn(move || {
                    pump_stderr(stderr, &prefix, &tail, tail_lines);
                    let _ = done_tx.send(());
                })?;
        }
        slot.running = Some(RunningChild {
            child,
            pid,
            started: Instant::now(),
            tail,
            pump_done,
        });
        slot.state = SlotState::Running;
        self.pending.push_back(LaunchEvent::Started {
            worker: slot.worker.clone(),
            pid,
            restarts: slot.total_restarts,
        });
        Ok(())
    }

    fn begin_shutdown(&mut self, signal: Option<i32>) {
        for slot in &mut self.slots {
            if let Some(r) = &slot.running {
                send_signal(r.pid, signal);
            }
        }
    }

    fn kill_slot(&mut self, i: usize, on_event: &mut impl FnMut(&LaunchEvent)) {
        let slot = &mut self.slots[i];
        if let Some(mut r) = slot.running.take() {
            let _ = r.child.kill();
            let status = r.child.wait();
            on_event(&LaunchEvent::Killed {
                worker: slot.worker.clone(),
                pid: r.pid,
            });
            if let Ok(status) = status {
                slot.last_exit = Some(WorkerExit::from_status(status));
            }
            slot.state = SlotState::Final(FinalState::Stopped);
        } else if !matches!(slot.state, SlotState::Final(_)) {
            slot.state = SlotState::Final(FinalState::Stopped);
        }
    }

    fn kill_all(&mut self) {
        for slot in &mut self.slots {
            if let Some(mut r) = slot.running.take() {
                let _ = r.child.kill();
                let _ = r.child.wait();
            }
            slot.state = SlotState::Final(FinalState::Stopped);
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // Never leave workers (and their cores) behind.
        self.kill_all();
    }
}

fn pump_stderr(
    stderr: std::process::ChildStderr,
    prefix: &str,
    tail: &Mutex<VecDeque<String>>,
    keep: usize,
) {
    let mut reader = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end_matches(['\n', '\r']);
                let _ = writeln!(std::io::stderr(), "{prefix}{line}");
                if keep > 0 {
                    let mut t = tail.lock();
                    if t.len() == keep {
                        t.pop_front();
                    }
                    t.push_back(line.to_string());
                }
            }
        }
    }
}

/// Send SIGTERM (or the signal received, SIGINT) to a worker.
fn send_signal(pid: u32, signal: Option<i32>) {
    use rustix::process::{Pid, Signal, kill_process};
    let sig = match signal {
        Some(s) if s == Signal::INT.as_raw() => Signal::INT,
        _ => Signal::TERM,
    };
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        // ESRCH (already gone) is fine: the next poll reaps it.
        let _ = kill_process(pid, sig);
    }
}

/// SIGTERM and SIGINT handlers that store the signal number. On drop they are removed and the
/// signals' default action (terminate) is re-armed: signal-hook cannot restore the previous
/// disposition, and a process that goes on after its launcher must still stop on Ctrl-C.
struct SignalGuard {
    ids: Vec<signal_hook::SigId>,
    default_again: Arc<std::sync::atomic::AtomicBool>,
}

impl SignalGuard {
    fn install(flag: &Arc<AtomicUsize>) -> std::io::Result<SignalGuard> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let default_again = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [SIGTERM, SIGINT] {
            // Stays registered: once re-armed, the signal terminates the process as by default.
            signal_hook::flag::register_conditional_default(sig, Arc::clone(&default_again))?;
            ids.push(signal_hook::flag::register_usize(
                sig,
                Arc::clone(flag),
                sig as usize,
            )?);
        }
        Ok(SignalGuard { ids, default_again })
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        self.default_again.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RestartPolicy {
            max_restarts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            reset_after: Duration::from_secs(1),
        };
        let got: Vec<u128> = (1..=5).map(|n| p.backoff(n).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 500, 500]);
        assert_eq!(p.backoff(200), Duration::from_millis(500));
    }
}
