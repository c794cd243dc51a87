//! Turn an [`ncg_planner::Plan`] into running worker processes, one per NeuronCore Group.
//!
//! **Supervisor side** ([`Launcher`], feature `launch`, on by default): spawn one process per
//! worker of the plan with its environment, restart crashed workers on the same cores with
//! backoff and a limit ([`RestartPolicy`]), report a worker that cannot get its cores with the
//! runtime's reason instead of restarting it, forward SIGTERM/SIGINT and shut down within a
//! deadline, and report every exit as a [`LaunchEvent`].
//!
//! **Worker side** ([`open_worker_device`], always available): read the assignment from the
//! environment and open the [`Device`](crate::Device) on exactly those cores.
//!
//! # The contract
//!
//! | variable | set by the launcher | meaning |
//! |---|---|---|
//! | `NEURON_RT_VISIBLE_CORES` | always, as the plan renders it: `4-7` or `4` | the worker's global cores (read by the runtime) |
//! | `NEURON_LOGICAL_NC_CONFIG` | when the plan has an LNC (trn2) | logical core size |
//! | `NEURON_RT_WORKER_MODEL` | always | the plan's model name |
//! | `NEURON_RT_WORKER_REPLICA` | always | replica index within the model, from 0 |
//! | `NEURON_RT_WORKER_COUNT` | always | workers in the plan |
//! | `NEURON_RT_WORKER_RESTARTS` | always | restarts before this start (0 first) |
//! | `NEURON_RT_NUM_CORES`, `NEURONCORE_GROUP_SIZES` | removed | never set together with visible cores |
//!
//! | worker exit | supervisor does |
//! |---|---|
//! | 0 | worker finished; not restarted |
//! | [`EXIT_CORES_UNAVAILABLE`] (75) | reports the worker's stderr tail (the runtime's "NeuronCore(s) not available …"); not restarted |
//! | [`EXIT_BAD_ASSIGNMENT`] (78) | reports the stderr tail; not restarted |
//! | anything else, or a signal | restart on the same cores after a backoff, up to the limit |
//!
//! Workers run in their own process groups (so a terminal's Ctrl-C is forwarded once, not
//! delivered twice). If the launcher itself is killed with SIGKILL, its workers keep running and
//! keep their cores until they exit: run the launcher under something that stops the whole
//! process tree (systemd unit, container), as with any supervisor.
//!
//! The worker side also accepts what other schedulers write: Ray's comma lists
//! (`NEURON_RT_VISIBLE_CORES=4,5,6,7`) when they are contiguous; a non-contiguous set is
//! refused with [`WorkerError::NotContiguous`], since the runtime needs one contiguous run.
//!
//! ```no_run
//! // A worker's main:
//! use neuron_rt::launch::open_worker_device;
//! let (assignment, device) = open_worker_device().unwrap_or_else(|e| e.exit());
//! let group = device.core_group_of_size(assignment.cores.count())
//!     .unwrap_or_else(|e| { eprintln!("{e}"); std::process::exit(1) });
//! ```

mod contract;
#[cfg(feature = "launch")]
mod events;
#[cfg(feature = "launch")]
mod supervisor;
mod worker;

pub use contract::*;
#[cfg(feature = "launch")]
pub use events::{
    ExitAction, FinalState, LaunchEvent, LaunchReport, WorkerExit, WorkerOutcome, WorkerRef,
};
#[cfg(feature = "launch")]
pub use supervisor::{LaunchError, Launcher, RestartPolicy, ShutdownHandle, Supervisor};
pub use worker::{WorkerEnv, WorkerError, open_worker_device, parse_visible_cores};
