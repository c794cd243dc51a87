//! [`PlanError`]: every way a topology, a request or a plan can be wrong, with what
//! was expected and what would fit.

use std::fmt;

use crate::range::CoreRange;

fn list(v: &[u32]) -> String {
    if v.is_empty() {
        return "none".to_string();
    }
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Errors of the planner. Every message names what was wrong, what was expected and,
/// where the planner can compute it, what would fit instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// `Topology::preset` got a name it does not know.
    #[error("unknown instance type `{name}`{hint}; known presets: {}", .known.join(", "))]
    UnknownInstance {
        /// The name asked for.
        name: String,
        /// Extra explanation (starts with `: ` when present, else empty).
        hint: String,
        /// Every preset name accepted.
        known: Vec<String>,
    },

    /// The LNC (logical NeuronCore config) is not available on this instance.
    #[error(
        "LNC {lnc} is not available on {instance}: {reason}; accepted LNC values: {}",
        list(.allowed)
    )]
    InvalidLnc {
        /// Instance name.
        instance: String,
        /// The LNC asked for.
        lnc: u32,
        /// Why it is refused.
        reason: String,
        /// LNC values this instance accepts.
        allowed: Vec<u32>,
    },

    /// A core range with no cores.
    #[error("empty core range starting at core {start}: a range needs at least 1 core")]
    EmptyCoreRange {
        /// First id of the rejected range.
        start: u32,
    },

    /// A core range whose end does not fit in 32 bits.
    #[error(
        "core range of {count} cores starting at core {start} runs past the largest core id {}",
        u32::MAX
    )]
    CoreRangeOverflow {
        /// First id of the rejected range.
        start: u32,
        /// Number of cores asked for.
        count: u32,
    },

    /// Text that is not `a` or `a-b`.
    #[error(
        "cannot parse core range `{text}`: {reason}; expected `a` or `a-b` (inclusive), e.g. `0-3`"
    )]
    InvalidCoreRangeSyntax {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A custom topology is inconsistent.
    #[error("invalid topology `{name}`: {reason}")]
    InvalidTopology {
        /// Topology name.
        name: String,
        /// What is inconsistent, and what is expected.
        reason: String,
    },

    /// Busy cores outside the instance.
    #[error(
        "busy cores {range} are outside {instance}, whose cores are 0-{}; \
         check the LNC (core ids count logical cores) and the instance type",
        .total_cores.saturating_sub(1)
    )]
    BusyOutOfRange {
        /// The offending range.
        range: CoreRange,
        /// Instance name.
        instance: String,
        /// Cores on the instance.
        total_cores: u32,
    },

    /// A model name that cannot name a worker.
    #[error("invalid model name `{name}`: {reason}")]
    InvalidModelName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Two models with the same name.
    #[error(
        "model `{name}` appears twice in the request; give each model a distinct name \
         (or merge them and add their replica counts)"
    )]
    DuplicateModel {
        /// The repeated name.
        name: String,
    },

    /// A model compiled for zero cores.
    #[error("model `{model}` is compiled for 0 NeuronCores; a model needs at least 1 core")]
    ZeroCores {
        /// Model name.
        model: String,
    },

    /// A model with zero replicas.
    #[error("model `{model}` asks for 0 replicas; ask for at least 1 (or leave the model out)")]
    ZeroReplicas {
        /// Model name.
        model: String,
    },

    /// The group given to a model is smaller than the model's compiled core count.
    #[error(
        "model `{model}` is compiled for {compiled} NeuronCores but its group has only {group}; \
         the runtime would fail the load (NRT_LOAD_NOT_ENOUGH_NC): give it a group of at least \
         {compiled} cores or recompile it for {group}"
    )]
    CompiledExceedsGroup {
        /// Model name.
        model: String,
        /// Compiled core count.
        compiled: u32,
        /// Group size asked for.
        group: u32,
    },

    /// A group size that no legal placement on this instance has.
    #[error(
        "model `{model}` needs a group of {size} NeuronCores, which is not a legal group size on \
         {instance} ({detail}); legal group sizes: {}{}",
        list(.legal),
        match .suggestion { Some(s) => format!("; the next legal size is {s}: compile for it or \
         set the model's group size to {s}"), None => String::new() }
    )]
    IllegalGroupSize {
        /// Model name.
        model: String,
        /// Group size asked for.
        size: u32,
        /// Instance name.
        instance: String,
        /// Why (cores per chip, legal device sets, instance size).
        detail: String,
        /// Legal group sizes under the request's strictness.
        legal: Vec<u32>,
        /// Smallest legal size above `size`, if any.
        suggestion: Option<u32>,
    },

    /// A Cortex-style request with a zero field.
    #[error("cortex request: {field} must be at least 1 (got 0)")]
    CortexZero {
        /// `chips_per_replica` or `workers_per_replica`.
        field: &'static str,
    },

    /// A Cortex-style request asking for more chips than the instance has.
    #[error(
        "cortex request asks for {chips} chips per replica but {instance} has {available}; \
         ask for at most {available}"
    )]
    CortexTooManyChips {
        /// Chips asked for.
        chips: u32,
        /// Chips on the instance.
        available: u32,
        /// Instance name.
        instance: String,
    },

    /// Cortex's divisibility rule: cores per replica must split evenly over the workers.
    #[error(
        "cannot evenly distribute {chips} chip(s) ({total_cores} NeuronCores total) over {workers} \
         worker(s) - acceptable numbers of workers are {}",
        list(.acceptable)
    )]
    CortexIndivisible {
        /// Chips per replica.
        chips: u32,
        /// Cores per replica.
        total_cores: u32,
        /// Workers asked for.
        workers: u32,
        /// Worker counts that divide the cores into legal group sizes.
        acceptable: Vec<u32>,
    },

    /// The request cannot be placed; the report says which model blocks it and what fits.
    #[error("{0}")]
    DoesNotFit(Box<DoesNotFit>),

    /// A model compiled for another LNC than the instance runs at.
    #[error(
        "model `{model}` was compiled for LNC {model_lnc} but {instance} runs at LNC \
         {instance_lnc}; the runtime would refuse the load: recompile with -lnc {instance_lnc} \
         or plan for LNC {model_lnc}"
    )]
    LncMismatch {
        /// Model name.
        model: String,
        /// LNC in the model (NEFF `lnc_size`).
        model_lnc: u32,
        /// Instance name.
        instance: String,
        /// LNC of the topology (1 where LNC does not apply).
        instance_lnc: u32,
    },

    /// A model gives a device-memory need but the topology has no memory figure.
    #[error(
        "model `{model}` gives a device-memory need but {instance} has no device-memory figure; \
         set it with TopologyBuilder::memory_per_chip_bytes or leave the need out"
    )]
    MemoryUnknown {
        /// Model name.
        model: String,
        /// Instance name.
        instance: String,
    },

    /// A replica needs more device memory than the chips of its group hold.
    #[error(
        "model `{model}` needs {memory} bytes of device memory per replica, more than a group of \
         {group} cores can hold on {instance} ({per_chip} bytes per chip){}",
        match .suggestion { Some(s) => format!("; a group of {s} cores spans enough chips: set \
         the model's group size to {s} or shrink the model"), None => "; no group on this \
         instance is large enough: use an instance with more device memory".to_string() }
    )]
    MemoryTooLarge {
        /// Model name.
        model: String,
        /// Bytes per replica.
        memory: u64,
        /// Group size asked for.
        group: u32,
        /// Instance name.
        instance: String,
        /// Device memory per chip.
        per_chip: u64,
        /// Smallest legal group size whose chips hold the need, if any.
        suggestion: Option<u32>,
    },

    /// A NEFF header could not be used.
    #[error("cannot read the NEFF header: {reason}")]
    Neff {
        /// What went wrong.
        reason: String,
    },

    /// The request is too large for the exact search's state encoding (far beyond any
    /// real instance).
    #[error("request too large for the exact planner: {reason}")]
    TooLarge {
        /// Which limit was exceeded.
        reason: String,
    },
}

/// Why a request does not fit, and what would.
///
/// Models are considered in request order: the *blocking* model is the first one that
/// cannot be added to the models before it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DoesNotFit {
    /// Instance name (with LNC where relevant).
    pub instance: String,
    /// Cores on the instance.
    pub total_cores: u32,
    /// Cores neither busy nor reserved.
    pub free_cores: u32,
    /// Cores the whole request needs (saturating).
    pub needed_cores: u64,
    /// The first model (request order) that cannot be placed after the ones before it.
    pub blocking_model: String,
    /// Its group size.
    pub group_size: u32,
    /// Replicas it asked for.
    pub requested_replicas: u32,
    /// The most replicas of it that fit next to the models before it.
    pub max_replicas_that_fit: u32,
    /// The most groups of this size that fit on the instance alone (busy cores respected).
    pub max_alone: u32,
    /// Legal group sizes on the instance.
    pub legal_sizes: Vec<u32>,
    /// Set when the request would fit under [`crate::Strictness::Prefer`].
    pub fits_if_irregular_allowed: bool,
    /// Whether the request came from the Cortex form (changes wording to workers).
    pub cortex: bool,
}

impl fmt::Display for DoesNotFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request does not fit on {} ({} cores, {} free, {} needed): ",
            self.instance, self.total_cores, self.free_cores, self.needed_cores
        )?;
        let unit = if self.cortex { "workers" } else { "replicas" };
        if self.cortex {
            write!(
                f,
                "{} workers of {} cores do not fit; at most {} workers fit",
                self.requested_replicas, self.group_size, self.max_replicas_that_fit
            )?;
        } else {
            write!(
                f,
                "model `{}` (groups of {} cores x {} replicas) is the first that cannot be placed \
                 after the models before it; at most {} of its {} {} fit next to them \
                 ({} would fit on the instance alone)",
                self.blocking_model,
                self.group_size,
                self.requested_replicas,
                self.max_replicas_that_fit,
                self.requested_replicas,
                unit,
                self.max_alone
            )?;
        }
        write!(
            f,
            "; legal group sizes on this instance: {}",
            list(&self.legal_sizes)
        )?;
        if self.fits_if_irregular_allowed {
            write!(
                f,
                "; it would fit with Strictness::Prefer (some groups crossing a chip boundary \
                 or off the standard device sets)"
            )?;
        }
        Ok(())
    }
}
