//! Worker side: read the assignment from the environment and open the [`Device`] on exactly
//! those cores.

use super::contract::*;
use crate::Error;
use crate::{Device, DeviceBuilder, Lnc};
use ncg_planner::CoreRange;
use std::fmt;

/// A worker's assignment, read from its environment (see [the contract](super#the-contract)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerEnv {
    /// The global cores to run on (`NEURON_RT_VISIBLE_CORES`), contiguous.
    pub cores: CoreRange,
    /// The text of `NEURON_RT_VISIBLE_CORES` as given (`4-7`, `4,5,6,7`, …).
    pub visible_cores_text: String,
    /// `NEURON_LOGICAL_NC_CONFIG`, when set.
    pub lnc: Option<Lnc>,
    /// `NEURON_RT_WORKER_MODEL`, when set (the launcher always sets it; Ray does not).
    pub model: Option<String>,
    /// `NEURON_RT_WORKER_REPLICA`, when set.
    pub replica: Option<u32>,
    /// `NEURON_RT_WORKER_RESTARTS` (0 when unset).
    pub restarts: u32,
}

/// Why a worker could not start on its assignment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// A required variable is not set.
    #[error(
        "{name} is not set: this process was not started with a NeuronCore assignment; start it \
         with neuron_rt::launch::Launcher (or set {name}, e.g. {name}={example})"
    )]
    MissingVariable {
        /// The variable.
        name: &'static str,
        /// An example value.
        example: &'static str,
    },
    /// A variable has a value that cannot be parsed.
    #[error("{name}={given:?} is invalid: expected {expected}")]
    InvalidVariable {
        /// The variable.
        name: &'static str,
        /// Its value.
        given: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// `NEURON_RT_VISIBLE_CORES` names cores that are not one contiguous run.
    #[error(
        "NEURON_RT_VISIBLE_CORES={given:?} names cores {cores:?}, which are not contiguous: the \
         Neuron runtime needs one contiguous run of cores (e.g. \"4-7\"); ask the scheduler for \
         adjacent cores (Ray assigns arbitrary ids unless its placement keeps them together)"
    )]
    NotContiguous {
        /// The variable's text.
        given: String,
        /// The ids, sorted.
        cores: Vec<u32>,
    },
    /// Two variables, or a variable and the runtime, disagree.
    #[error("{what}: {detail}")]
    Disagree {
        /// What disagrees.
        what: &'static str,
        /// The values on both sides and the fix.
        detail: String,
    },
    /// The runtime could not be started on the cores (`nrt_init` failed; usually another process
    /// holds them — the runtime's log line above says which).
    #[error("could not reserve NeuronCores {cores} (NEURON_RT_VISIBLE_CORES={text}): {source}")]
    CoresUnavailable {
        /// The cores asked for.
        cores: CoreRange,
        /// The variable's text.
        text: String,
        /// The runtime's error.
        source: Box<Error>,
    },
    /// Another runtime error while opening the device.
    #[error(transparent)]
    Runtime(Box<Error>),
}

impl WorkerError {
    /// The exit code a worker should use for this error, so the supervisor knows whether a
    /// restart can help: [`EXIT_CORES_UNAVAILABLE`], [`EXIT_BAD_ASSIGNMENT`], or 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            WorkerError::CoresUnavailable { .. } => EXIT_CORES_UNAVAILABLE,
            WorkerError::Runtime(_) => 1,
            _ => EXIT_BAD_ASSIGNMENT,
        }
    }

    /// Print the error on stderr and exit the process with [`WorkerError::exit_code`].
    pub fn exit(&self) -> ! {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "neuron-rt worker: {self}");
        std::process::exit(self.exit_code())
    }
}

impl WorkerEnv {
    /// Read the assignment from this process's environment.
    ///
    /// # Errors
    /// [`WorkerError::MissingVariable`] when `NEURON_RT_VISIBLE_CORES` is unset,
    /// [`WorkerError::InvalidVariable`] / [`WorkerError::NotContiguous`] /
    /// [`WorkerError::Disagree`] when the variables are malformed or inconsistent.
    pub fn from_env() -> Result<WorkerEnv, WorkerError> {
        WorkerEnv::from_lookup(|name| std::env::var(name).ok())
    }

    /// Read the assignment through `get` (a variable name → its value), e.g. from a map in
    /// tests.
    ///
    /// ```
    /// use neuron_rt::launch::WorkerEnv;
    /// let env = WorkerEnv::from_lookup(|name| match name {
    ///     "NEURON_RT_VISIBLE_CORES" => Some("4,5,6,7".into()), // what Ray writes
    ///     "NEURON_RT_WORKER_MODEL" => Some("bert".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(env.cores.to_string(), "4-7");
    /// assert_eq!(env.model.as_deref(), Some("bert"));
    /// # Ok::<(), neuron_rt::launch::WorkerError>(())
    /// ```
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<WorkerEnv, WorkerError> {
        let text = get(ENV_VISIBLE_CORES)
            .filter(|v| !v.trim().is_empty())
            .ok_or(WorkerError::MissingVariable {
                name: ENV_VISIBLE_CORES,
                example: "4-7",
            })?;
        let cores = parse_visible_cores(&text)?;
        if let Some(n) = get(ENV_NUM_CORES).filter(|v| !v.trim().is_empty()) {
            let n_parsed = n.trim().parse::<u32>().ok();
            if n_parsed != Some(cores.count()) {
                return Err(WorkerError::Disagree {
                    what: "NEURON_RT_NUM_CORES and NEURON_RT_VISIBLE_CORES",
                    detail: format!(
                        "NEURON_RT_NUM_CORES={n:?} but NEURON_RT_VISIBLE_CORES={text:?} is {} \
                         core(s); unset NEURON_RT_NUM_CORES (visible cores take precedence and \
                         pin which cores)",
                        cores.count()
                    ),
                });
            }
        }
        let lnc = match get(ENV_LNC).filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(1) => Some(Lnc::One),
                Ok(2) => Some(Lnc::Two),
                _ => {
                    return Err(WorkerError::InvalidVariable {
                        name: ENV_LNC,
                        given: v,
                        expected: "1 or 2",
                    });
                }
            },
        };
        let model = get(ENV_WORKER_MODEL).filter(|v| !v.is_empty());
        let replica = parse_u32(&get, ENV_WORKER_REPLICA)?;
        let restarts = parse_u32(&get, ENV_WORKER_RESTARTS)?.unwrap_or(0);
        Ok(WorkerEnv {
            cores,
            visible_cores_text: text,
            lnc,
            model,
            replica,
            restarts,
        })
    }

    /// Open the process's [`Device`] on exactly the assigned cores, with the default settings
    /// ([`Device::builder`]). See [`WorkerEnv::open_device_with`].
    pub fn open_device(&self) -> Result<Device, WorkerError> {
        self.open_device_with(Device::builder())
    }

    /// Open the device with `builder` (backend, lock directory, log level) and check that the
    /// runtime reserved exactly the assigned cores. Do not set the builder's visible cores: the
    /// runtime reads them from the environment, as on hardware.
    ///
    /// # Errors
    /// [`WorkerError::CoresUnavailable`] when `nrt_init` fails (the cores are held by another
    /// process, or do not exist on this instance); [`WorkerError::Disagree`] when the runtime
    /// reserved other cores than assigned.
    pub fn open_device_with(&self, builder: DeviceBuilder) -> Result<Device, WorkerError> {
        let builder = match self.lnc {
            Some(l) => builder.logical_nc_config(l),
            None => builder,
        };
        let device = builder.open().map_err(|e| match e {
            Error::Runtime {
                call: "nrt_init", ..
            } => WorkerError::CoresUnavailable {
                cores: self.cores,
                text: self.visible_cores_text.clone(),
                source: Box::new(e),
            },
            other => WorkerError::Runtime(Box::new(other)),
        })?;
        let range = device.visible_range();
        if device.visible_cores() != self.cores.count() || range != Some(self.cores) {
            return Err(WorkerError::Disagree {
                what: "the runtime's reserved cores and NEURON_RT_VISIBLE_CORES",
                detail: format!(
                    "assigned {} ({} core(s)) but the runtime reserved {} core(s){}; the \
                     variable must be set before the process starts and not overridden in code",
                    self.cores,
                    self.cores.count(),
                    device.visible_cores(),
                    range.map(|r| format!(" at {r}")).unwrap_or_default()
                ),
            });
        }
        Ok(device)
    }

    /// `model#replica` when both are known, else the cores.
    pub fn id(&self) -> String {
        match (&self.model, self.replica) {
            (Some(m), Some(r)) => format!("{m}#{r}"),
            _ => format!("cores {}", self.cores),
        }
    }
}

impl fmt::Display for WorkerEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "worker {} on cores {}", self.id(), self.cores)?;
        if let Some(l) = self.lnc {
            write!(f, " (LNC {})", l.get())?;
        }
        Ok(())
    }
}

/// Read the assignment and open the device on it: the one call a worker makes.
///
/// ```no_run
/// let (assignment, device) = neuron_rt::launch::open_worker_device()
///     .unwrap_or_else(|e| e.exit()); // exit code tells the supervisor whether to restart
/// println!("{assignment}: {} core(s)", device.visible_cores());
/// ```
pub fn open_worker_device() -> Result<(WorkerEnv, Device), WorkerError> {
    let env = WorkerEnv::from_env()?;
    let device = env.open_device()?;
    Ok((env, device))
}

fn parse_u32(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<u32>, WorkerError> {
    match get(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| WorkerError::InvalidVariable {
                name,
                given: v,
                expected: "a non-negative integer",
            }),
    }
}

/// Parse `NEURON_RT_VISIBLE_CORES`: one id (`4`), an inclusive range (`4-7`), a comma list
/// (`4,5,6,7`, what Ray writes) or a mix (`4-5,6`), which must cover one contiguous run
/// without repeats.
///
/// ```
/// use neuron_rt::launch::parse_visible_cores;
/// assert_eq!(parse_visible_cores("4-7")?.to_string(), "4-7");
/// assert_eq!(parse_visible_cores("7,4,6,5")?.to_string(), "4-7");
/// assert_eq!(parse_visible_cores("3")?.to_string(), "3");
/// assert!(parse_visible_cores("3,5").is_err()); // not contiguous
/// # Ok::<(), neuron_rt::launch::WorkerError>(())
/// ```
pub fn parse_visible_cores(text: &str) -> Result<CoreRange, WorkerError> {
    let invalid = || WorkerError::InvalidVariable {
        name: ENV_VISIBLE_CORES,
        given: text.to_string(),
        expected: "core ids and inclusive ranges separated by commas, e.g. \"4-7\", \"4\" or \
                   \"4,5,6,7\"",
    };
    let mut ids: Vec<u32> = Vec::new();
    for piece in text.split(',') {
        let piece = piece.trim();
        if piece.is_empty() {
            return Err(invalid());
        }
        let range: CoreRange = piece.parse().map_err(|_| invalid())?;
        // Bounded: a range larger than any instance (128 logical cores) is not a core set.
        if range.count() > ncg_planner::MAX_TOTAL_CORES {
            return Err(invalid());
        }
        ids.extend(range.iter());
        if ids.len() > ncg_planner::MAX_TOTAL_CORES as usize {
            return Err(invalid());
        }
    }
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(WorkerError::InvalidVariable {
            name: ENV_VISIBLE_CORES,
            given: text.to_string(),
            expected: "each core at most once",
        });
    }
    let first = *ids.first().ok_or_else(invalid)?;
    let last = *ids.last().ok_or_else(invalid)?;
    if (last - first) as usize + 1 != ids.len() {
        return Err(WorkerError::NotContiguous {
            given: text.to_string(),
            cores: ids,
        });
    }
    CoreRange::inclusive(first, last).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Result<WorkerEnv, WorkerError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WorkerEnv::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn visible_cores_forms() {
        for (text, want) in [
            ("4-7", "4-7"),
            ("4", "4"),
            ("4,5,6,7", "4-7"),
            (" 6 , 4,5 ,7", "4-7"),
            ("4-5,6-7", "4-7"),
            ("0", "0"),
        ] {
            assert_eq!(
                parse_visible_cores(text).unwrap().to_string(),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn non_contiguous_sets_are_refused_naming_the_rule() {
        let err = parse_visible_cores("4,5,7").unwrap_err();
        assert!(matches!(&err, WorkerError::NotContiguous { cores, .. } if cores == &[4, 5, 7]));
        let msg = err.to_string();
        assert!(
            msg.contains("contiguous") && msg.contains("\"4,5,7\""),
            "{msg}"
        );
        assert_eq!(err.exit_code(), EXIT_BAD_ASSIGNMENT);
    }

    #[test]
    fn malformed_sets_are_invalid() {
        for text in [
            "",
            "a",
            "4-",
            "7-4",
            "4,,5",
            "4,4",
            "4-5,5",
            "-3",
            "0-4294967295",
        ] {
            let err = parse_visible_cores(text).unwrap_err();
            assert!(
                matches!(err, WorkerError::InvalidVariable { .. }),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn missing_and_disagreeing_variables() {
        let err = env(&[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("NEURON_RT_VISIBLE_CORES is not set")
        );
        let err = env(&[
            ("NEURON_RT_VISIBLE_CORES", "0-3"),
            ("NEURON_RT_NUM_CORES", "2"),
        ])
        .unwrap_err();
        assert!(matches!(err, WorkerError::Disagree { .. }), "{err}");
        assert!(
            env(&[
                ("NEURON_RT_VISIBLE_CORES", "0-3"),
                ("NEURON_RT_NUM_CORES", "4")
            ])
            .is_ok()
        );
        let err = env(&[
            ("NEURON_RT_VISIBLE_CORES", "0"),
            ("NEURON_LOGICAL_NC_CONFIG", "3"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("NEURON_LOGICAL_NC_CONFIG"),
            "{err}"
        );
        let err = env(&[
            ("NEURON_RT_VISIBLE_CORES", "0"),
            ("NEURON_RT_WORKER_REPLICA", "x"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("NEURON_RT_WORKER_REPLICA"),
            "{err}"
        );
    }

    #[test]
    fn full_assignment() {
        let e = env(&[
            ("NEURON_RT_VISIBLE_CORES", "8-9"),
            ("NEURON_LOGICAL_NC_CONFIG", "1"),
            ("NEURON_RT_WORKER_MODEL", "bert"),
            ("NEURON_RT_WORKER_REPLICA", "2"),
            ("NEURON_RT_WORKER_RESTARTS", "1"),
        ])
        .unwrap();
        assert_eq!(e.cores, CoreRange::new(8, 2).unwrap());
        assert_eq!((e.lnc, e.replica, e.restarts), (Some(Lnc::One), Some(2), 1));
        assert_eq!(e.id(), "bert#2");
        assert_eq!(e.to_string(), "worker bert#2 on cores 8-9 (LNC 1)");
    }
}
