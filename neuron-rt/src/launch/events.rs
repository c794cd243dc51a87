//! What the supervisor reports: one [`LaunchEvent`] per thing that happens, and a
//! [`LaunchReport`] at the end.

use ncg_planner::CoreRange;
use std::fmt;
use std::time::Duration;

/// Which worker an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerRef {
    /// The plan's model name.
    pub model: String,
    /// Replica index within the model.
    pub replica: u32,
    /// The worker's global cores.
    pub cores: CoreRange,
}

impl fmt::Display for WorkerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} (cores {})", self.model, self.replica, self.cores)
    }
}

/// How a worker process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerExit {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it (e.g. 9 for SIGKILL, 11 for SIGSEGV).
    Signal(i32),
}

impl WorkerExit {
    pub(crate) fn from_status(status: std::process::ExitStatus) -> WorkerExit {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(c), _) => WorkerExit::Code(c),
            (None, Some(s)) => WorkerExit::Signal(s),
            // Neither: stopped/continued states are not reported by `wait`; keep a value.
            (None, None) => WorkerExit::Code(-1),
        }
    }

    /// Exit code 0.
    pub fn success(self) -> bool {
        self == WorkerExit::Code(0)
    }
}

impl fmt::Display for WorkerExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerExit::Code(c) => write!(f, "exit code {c}"),
            WorkerExit::Signal(s) => write!(f, "signal {s}{}", signal_name(*s)),
        }
    }
}

fn signal_name(s: i32) -> &'static str {
    match s {
        1 => " (SIGHUP)",
        2 => " (SIGINT)",
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    }
}

/// What the supervisor does after a worker exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitAction {
    /// Restart it on the same cores after a backoff; `restart` counts consecutive restarts.
    Restart {
        /// The backoff before the restart.
        after: Duration,
        /// The number of this restart (1 for the first).
        restart: u32,
    },
    /// It exited with code 0: done, not restarted.
    Finished,
    /// It stopped during shutdown.
    Stopped,
    /// It could not reserve its cores (exit code
    /// [`EXIT_CORES_UNAVAILABLE`](super::EXIT_CORES_UNAVAILABLE)); not restarted.
    CoresUnavailable,
    /// Its assignment variables were rejected (exit code
    /// [`EXIT_BAD_ASSIGNMENT`](super::EXIT_BAD_ASSIGNMENT)); not restarted.
    BadAssignment,
    /// It crashed more often in a row than the restart limit allows.
    GaveUp {
        /// The restarts already made.
        restarts: u32,
    },
}

/// One thing that happened under the supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LaunchEvent {
    /// A worker process started.
    Started {
        /// The worker.
        worker: WorkerRef,
        /// Its process id.
        pid: u32,
        /// Restarts before this start (0 on the first).
        restarts: u32,
    },
    /// A worker process exited.
    Exited {
        /// The worker.
        worker: WorkerRef,
        /// Its process id.
        pid: u32,
        /// How it ended.
        exit: WorkerExit,
        /// How long it ran.
        uptime: Duration,
        /// What happens next.
        action: ExitAction,
        /// Its last stderr lines (the runtime's reason, for a worker that could not get its
        /// cores).
        stderr_tail: Vec<String>,
    },
    /// A worker could not be started again (the program vanished, out of processes).
    SpawnFailed {
        /// The worker.
        worker: WorkerRef,
        /// The operating system's error.
        error: String,
    },
    /// Shutdown began: the signal (or `None` for [`ShutdownHandle::shutdown`]) was forwarded to
    /// every worker.
    ///
    /// [`ShutdownHandle::shutdown`]: super::ShutdownHandle::shutdown
    ShutdownStarted {
        /// The signal received, e.g. 15 for SIGTERM.
        signal: Option<i32>,
        /// How long workers get before they are killed.
        deadline: Duration,
    },
    /// A worker outlived the shutdown deadline (or a second signal came) and was killed.
    Killed {
        /// The worker.
        worker: WorkerRef,
        /// Its process id.
        pid: u32,
    },
}

impl fmt::Display for LaunchEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaunchEvent::Started {
                worker,
                pid,
                restarts,
            } => {
                write!(f, "worker {worker}: started, pid {pid}")?;
                if *restarts > 0 {
                    write!(f, " (restart {restarts})")?;
                }
                Ok(())
            }
            LaunchEvent::Exited {
                worker,
                pid,
                exit,
                uptime,
                action,
                stderr_tail,
            } => {
                write!(
                    f,
                    "worker {worker}: pid {pid} ended with {exit} after {:.1} s; ",
                    uptime.as_secs_f64()
                )?;
                match action {
                    ExitAction::Restart { after, restart } => write!(
                        f,
                        "restarting on the same cores in {} ms (restart {restart})",
                        after.as_millis()
                    ),
                    ExitAction::Finished => write!(f, "finished"),
                    ExitAction::Stopped => write!(f, "stopped"),
                    ExitAction::CoresUnavailable => write!(
                        f,
                        "it could not reserve its NeuronCores, not restarting; runtime said: {}",
                        tail_text(stderr_tail)
                    ),
                    ExitAction::BadAssignment => write!(
                        f,
                        "its assignment was rejected, not restarting: {}",
                        tail_text(stderr_tail)
                    ),
                    ExitAction::GaveUp { restarts } => write!(
                        f,
                        "restart limit reached after {restarts} restart(s), giving up; last \
                         stderr: {}",
                        tail_text(stderr_tail)
                    ),
                }
            }
            LaunchEvent::SpawnFailed { worker, error } => {
                write!(f, "worker {worker}: could not start: {error}")
            }
            LaunchEvent::ShutdownStarted { signal, deadline } => {
                match signal {
                    Some(s) => write!(f, "shutdown: signal {s}{} received", signal_name(*s))?,
                    None => write!(f, "shutdown requested")?,
                }
                write!(
                    f,
                    ", forwarded to the workers; {:.1} s before they are killed",
                    deadline.as_secs_f64()
                )
            }
            LaunchEvent::Killed { worker, pid } => {
                write!(f, "worker {worker}: pid {pid} killed (shutdown deadline)")
            }
        }
    }
}

fn tail_text(tail: &[String]) -> String {
    if tail.is_empty() {
        "(no stderr output)".into()
    } else {
        tail.join(" | ")
    }
}

/// How a worker ended up when the supervisor returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinalState {
    /// Exited with code 0 on its own.
    Finished,
    /// Stopped by shutdown (exited, or killed at the deadline).
    Stopped,
    /// Could not reserve its cores; the runtime's reason (the worker's last stderr lines).
    CoresUnavailable {
        /// The worker's last stderr lines.
        reason: String,
    },
    /// Its assignment variables were rejected.
    BadAssignment {
        /// The worker's last stderr lines.
        reason: String,
    },
    /// Crashed past the restart limit.
    GaveUp,
    /// Could not be (re)started.
    SpawnFailed {
        /// The operating system's error.
        error: String,
    },
}

/// One worker's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOutcome {
    /// The worker.
    pub worker: WorkerRef,
    /// Restarts made in total.
    pub restarts: u32,
    /// Its last exit, if it ever exited.
    pub last_exit: Option<WorkerExit>,
    /// How it ended.
    pub state: FinalState,
}

/// What [`Supervisor::run`](super::Supervisor::run) returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchReport {
    /// One entry per worker, in plan order.
    pub workers: Vec<WorkerOutcome>,
}

impl LaunchReport {
    /// Whether every worker finished or was stopped by shutdown (none failed).
    pub fn success(&self) -> bool {
        self.workers
            .iter()
            .all(|w| matches!(w.state, FinalState::Finished | FinalState::Stopped))
    }

    /// An exit code for a launcher process: 0 on success, else 1.
    pub fn exit_code(&self) -> i32 {
        if self.success() { 0 } else { 1 }
    }
}
