//! Environment variables given to a worker, one definition each.
//!
//! The runtime's own variables come first; the `NEURON_RT_WORKER_*` names are this
//! package's worker contract (the model to load and which replica this is).

/// The cores a worker may use (global ids; one id, a range `a-b`, or a comma list of
/// contiguous ids as Ray writes it). Read by libnrt at `nrt_init`.
pub const VISIBLE_CORES: &str = "NEURON_RT_VISIBLE_CORES";
/// Logical NeuronCore config (trn2: 1 or 2); must match the model's `-lnc`.
pub const LOGICAL_NC_CONFIG: &str = "NEURON_LOGICAL_NC_CONFIG";
/// Name of the model the worker serves.
pub const MODEL: &str = "NEURON_RT_WORKER_MODEL";
/// Path of the model's NEFF file inside the container (when the models file gives one).
pub const MODEL_PATH: &str = "NEURON_RT_WORKER_MODEL_PATH";
/// Replica index of the worker within its model (static per-node form and Ray).
pub const REPLICA: &str = "NEURON_RT_WORKER_REPLICA";
/// Worker identity: the pod name (Deployment form, from the downward API).
pub const WORKER_ID: &str = "NEURON_RT_WORKER_ID";
/// Cores the model was compiled for.
pub const COMPILED_CORES: &str = "NEURON_RT_WORKER_COMPILED_CORES";
