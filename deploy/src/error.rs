//! [`DeployError`].

use ncg_planner::fleet::FleetError;

/// Errors of manifest generation, the models file and the worker environment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// A requested core count the Neuron scheduler extension cannot satisfy.
    #[error(
        "model `{model}` requests {size} NeuronCores on {instance_type}, which the Neuron \
         scheduler extension cannot allocate there; legal sizes: {}; give the model a group of \
         a legal size (ModelSpec::with_group_cores) or plan with Strictness::Strict",
        .legal.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
    )]
    IllegalSchedulerSize {
        /// Model name.
        model: String,
        /// Instance type.
        instance_type: String,
        /// Cores requested.
        size: u32,
        /// Core counts the extension can allocate on that instance type.
        legal: Vec<u32>,
    },

    /// `neurondevice` requests need whole chips.
    #[error(
        "model `{model}` uses {size} cores on {instance_type}, not whole chips of {per_chip} \
         cores, so it cannot request aws.amazon.com/neurondevice; request \
         aws.amazon.com/neuroncore instead (the default)"
    )]
    NotWholeDevices {
        /// Model name.
        model: String,
        /// Instance type.
        instance_type: String,
        /// Group size.
        size: u32,
        /// Cores per chip.
        per_chip: u32,
    },

    /// A name that cannot become a Kubernetes object name.
    #[error(
        "`{name}` cannot name a Kubernetes object: {reason} (names are lowercase letters, digits \
         and `-`, at most 63 characters)"
    )]
    InvalidName {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },

    /// A missing or invalid option.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// Why, and what is expected.
        reason: String,
    },

    /// The models file could not be read.
    #[error("models file {path}: {reason}")]
    ModelsFile {
        /// File path (or `<input>`).
        path: String,
        /// What is wrong, and where.
        reason: String,
    },

    /// Planning failed.
    #[error(transparent)]
    Fleet(#[from] FleetError),

    /// Planner error outside a fleet (presets, core ranges).
    #[error(transparent)]
    Plan(#[from] ncg_planner::PlanError),

    /// Serialisation failed.
    #[error("cannot serialize {what}: {reason}")]
    Serialize {
        /// What was being written.
        what: &'static str,
        /// The serializer's message.
        reason: String,
    },
}
