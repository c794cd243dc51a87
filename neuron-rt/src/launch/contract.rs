//! The launcher ↔ worker contract: environment variable names and exit codes. One definition
//! each; the supervisor writes them, [`WorkerEnv`](super::WorkerEnv) reads them.

/// Global NeuronCores the worker reserves, exactly as the plan renders them (`4-7`, or `4` for
/// one core). Read by the Neuron runtime at `nrt_init`. The launcher never also sets
/// `NEURON_RT_NUM_CORES` (the runtime warns when both are set) and removes it, with the other
/// variables of [`ncg_planner::ENV_TO_REMOVE`], from the inherited environment.
pub const ENV_VISIBLE_CORES: &str = "NEURON_RT_VISIBLE_CORES";

/// The runtime's "reserve N cores" variable; never set by the launcher. A worker that finds it
/// set to a different count than its visible cores refuses to start (the two disagree).
pub const ENV_NUM_CORES: &str = "NEURON_RT_NUM_CORES";

/// Logical NeuronCore size (`1` or `2`), set on trn2 where the plan has an LNC; core ids then
/// count logical cores.
pub const ENV_LNC: &str = "NEURON_LOGICAL_NC_CONFIG";

/// The model this worker serves (the plan's model name, e.g. `bert`).
pub const ENV_WORKER_MODEL: &str = "NEURON_RT_WORKER_MODEL";

/// The worker's replica index within its model, from 0.
pub const ENV_WORKER_REPLICA: &str = "NEURON_RT_WORKER_REPLICA";

/// How many workers the plan has in total (all models), so a worker can size shared things.
pub const ENV_WORKER_COUNT: &str = "NEURON_RT_WORKER_COUNT";

/// How many times this worker has been restarted (0 on the first start).
pub const ENV_WORKER_RESTARTS: &str = "NEURON_RT_WORKER_RESTARTS";

/// Exit code of a worker that could not reserve its NeuronCores (`nrt_init` failed, e.g.
/// another process holds them). The supervisor reports it with the worker's stderr tail (the
/// runtime's reason) and does **not** restart it: waiting would not free the cores.
pub const EXIT_CORES_UNAVAILABLE: i32 = 75;

/// Exit code of a worker whose assignment variables are missing, malformed or disagree with
/// the runtime. Not restarted: the same environment would fail the same way.
pub const EXIT_BAD_ASSIGNMENT: i32 = 78;

/// Every variable the launcher sets for a worker, for documentation and tests.
pub const WORKER_ENV: &[&str] = &[
    ENV_VISIBLE_CORES,
    ENV_LNC,
    ENV_WORKER_MODEL,
    ENV_WORKER_REPLICA,
    ENV_WORKER_COUNT,
    ENV_WORKER_RESTARTS,
];
