//! Environment variables given to a worker, one definition each.
//!
//! The runtime's variables and the worker contract (model, replica) are those of
//! `neuron_rt::launch`, so a worker started by the launcher, by Kubernetes from these
//! manifests or by Ray reads the same names; the rest are this package's additions.

use neuron_rt::launch;

/// The cores a worker may use (`NEURON_RT_VISIBLE_CORES`; global ids: one id, a range
/// `a-b`, or a comma list of contiguous ids as Ray writes it). Read by libnrt at
/// `nrt_init`.
pub const VISIBLE_CORES: &str = launch::ENV_VISIBLE_CORES;
/// Logical NeuronCore config (`NEURON_LOGICAL_NC_CONFIG`; trn2: 1 or 2).
pub const LOGICAL_NC_CONFIG: &str = launch::ENV_LNC;
/// Name of the model the worker serves (`NEURON_RT_WORKER_MODEL`).
pub const MODEL: &str = launch::ENV_WORKER_MODEL;
/// Replica index of the worker within its model (`NEURON_RT_WORKER_REPLICA`; static
/// per-node form and Ray).
pub const REPLICA: &str = launch::ENV_WORKER_REPLICA;
/// Path of the model's NEFF file inside the container (when the models file gives one).
pub const MODEL_PATH: &str = "NEURON_RT_WORKER_MODEL_PATH";
/// Worker identity: the pod name (Deployment form, from the downward API), where the
/// replica index is not known in advance.
pub const WORKER_ID: &str = "NEURON_RT_WORKER_ID";
/// Cores the model was compiled for.
pub const COMPILED_CORES: &str = "NEURON_RT_WORKER_COMPILED_CORES";
/// Workers in the whole plan (`NEURON_RT_WORKER_COUNT`; static per-node form).
pub const WORKER_COUNT: &str = launch::ENV_WORKER_COUNT;
