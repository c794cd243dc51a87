//! The one error type of neuron-rt.

use ncg_planner::CoreRange;
use neuron_rt_sys::NRT_STATUS;
use std::fmt;

/// What a runtime call returned, mapped by value. Unknown codes (a newer runtime) are kept as
/// [`RuntimeStatus::Unknown`], never lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuntimeStatus {
    /// `NRT_FAILURE` (1).
    Failure,
    /// `NRT_INVALID` (2).
    Invalid,
    /// `NRT_INVALID_HANDLE` (3).
    InvalidHandle,
    /// `NRT_RESOURCE` (4): e.g. out of device memory.
    Resource,
    /// `NRT_TIMEOUT` (5).
    Timeout,
    /// `NRT_HW_ERROR` (6).
    HwError,
    /// `NRT_QUEUE_FULL` (7).
    QueueFull,
    /// `NRT_LOAD_NOT_ENOUGH_NC` (9).
    LoadNotEnoughNc,
    /// `NRT_UNSUPPORTED_NEFF_VERSION` (10).
    UnsupportedNeffVersion,
    /// `NRT_FAIL_HOST_MEM_ALLOC` (11).
    FailHostMemAlloc,
    /// `NRT_UNINITIALIZED` (13).
    Uninitialized,
    /// `NRT_CLOSED` (14).
    Closed,
    /// `NRT_QUEUE_EMPTY` (15).
    QueueEmpty,
    /// `NRT_EXEC_UNIT_UNRECOVERABLE` (101).
    ExecUnitUnrecoverable,
    /// `NRT_EXEC_BAD_INPUT` (1002).
    ExecBadInput,
    /// `NRT_EXEC_COMPLETED_WITH_NUM_ERR` (1003): NaN produced.
    ExecCompletedWithNumErr,
    /// `NRT_EXEC_COMPLETED_WITH_ERR` (1004).
    ExecCompletedWithErr,
    /// `NRT_EXEC_NC_BUSY` (1005).
    ExecNcBusy,
    /// `NRT_EXEC_OOB` (1006).
    ExecOob,
    /// `NRT_COLL_PENDING` (1100).
    CollPending,
    /// `NRT_EXEC_HW_ERR_COLLECTIVES` (1200).
    ExecHwErrCollectives,
    /// `NRT_EXEC_HW_ERR_HBM_UE` (1201).
    ExecHwErrHbmUe,
    /// `NRT_EXEC_HW_ERR_NC_UE` (1202).
    ExecHwErrNcUe,
    /// `NRT_EXEC_HW_ERR_DMA_ABORT` (1203).
    ExecHwErrDmaAbort,
    /// `NRT_EXEC_SW_NQ_OVERFLOW` (1204).
    ExecSwNqOverflow,
    /// `NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE` (1205).
    ExecHwErrRepairableHbmUe,
    /// `NRT_NETWORK_PROXY_FAILURE` (1206).
    NetworkProxyFailure,
    /// A code this version of neuron-rt does not know.
    Unknown(u32),
}

impl RuntimeStatus {
    /// Map a raw status; `None` for `NRT_SUCCESS`.
    pub fn from_raw(status: NRT_STATUS) -> Option<RuntimeStatus> {
        use RuntimeStatus::*;
        Some(match status.0 {
            0 => return None,
            1 => Failure,
            2 => Invalid,
            3 => InvalidHandle,
            4 => Resource,
            5 => Timeout,
            6 => HwError,
            7 => QueueFull,
            9 => LoadNotEnoughNc,
            10 => UnsupportedNeffVersion,
            11 => FailHostMemAlloc,
            13 => Uninitialized,
            14 => Closed,
            15 => QueueEmpty,
            101 => ExecUnitUnrecoverable,
            1002 => ExecBadInput,
            1003 => ExecCompletedWithNumErr,
            1004 => ExecCompletedWithErr,
            1005 => ExecNcBusy,
            1006 => ExecOob,
            1100 => CollPending,
            1200 => ExecHwErrCollectives,
            1201 => ExecHwErrHbmUe,
            1202 => ExecHwErrNcUe,
            1203 => ExecHwErrDmaAbort,
            1204 => ExecSwNqOverflow,
            1205 => ExecHwErrRepairableHbmUe,
            1206 => NetworkProxyFailure,
            other => Unknown(other),
        })
    }

    /// The raw code.
    pub fn code(self) -> u32 {
        use RuntimeStatus::*;
        match self {
            Failure => 1,
            Invalid => 2,
            InvalidHandle => 3,
            Resource => 4,
            Timeout => 5,
            HwError => 6,
            QueueFull => 7,
            LoadNotEnoughNc => 9,
            UnsupportedNeffVersion => 10,
            FailHostMemAlloc => 11,
            Uninitialized => 13,
            Closed => 14,
            QueueEmpty => 15,
            ExecUnitUnrecoverable => 101,
            ExecBadInput => 1002,
            ExecCompletedWithNumErr => 1003,
            ExecCompletedWithErr => 1004,
            ExecNcBusy => 1005,
            ExecOob => 1006,
            CollPending => 1100,
            ExecHwErrCollectives => 1200,
            ExecHwErrHbmUe => 1201,
            ExecHwErrNcUe => 1202,
            ExecHwErrDmaAbort => 1203,
            ExecSwNqOverflow => 1204,
            ExecHwErrRepairableHbmUe => 1205,
            NetworkProxyFailure => 1206,
            Unknown(code) => code,
        }
    }
}

impl fmt::Display for RuntimeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        NRT_STATUS(self.code()).fmt(f)
    }
}

/// Which model, cores and tensor a failed call was about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorContext {
    /// The model's name.
    pub model: Option<String>,
    /// The NeuronCore range (relative to the process's visible cores).
    pub cores: Option<CoreRange>,
    /// The tensor's name.
    pub tensor: Option<String>,
}

impl fmt::Display for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(model) = &self.model {
            parts.push(format!("model '{model}'"));
        }
        if let Some(cores) = &self.cores {
            parts.push(format!("cores {cores}"));
        }
        if let Some(tensor) = &self.tensor {
            parts.push(format!("tensor '{tensor}'"));
        }
        if !parts.is_empty() {
            write!(f, " [{}]", parts.join(", "))?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in neuron-rt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A runtime call returned a failure status.
    #[error("{call} failed with {status}{context}")]
    Runtime {
        /// The C function, e.g. `"nrt_load"`.
        call: &'static str,
        /// What it returned.
        status: RuntimeStatus,
        /// What it was about.
        context: ErrorContext,
    },
    /// The real runtime library could not be loaded.
    #[error(transparent)]
    Load(#[from] neuron_rt_sys::LoadError),
    /// This machine has Neuron devices but the runtime library is missing: neuron-rt never
    /// silently falls back to the emulator there.
    #[error(
        "this machine has Neuron hardware ({devices}) but the Neuron runtime could not be \
         loaded, so neuron-rt will not fall back to the emulator: {source}\n\
         fix: install aws-neuronx-runtime-lib, or set NEURON_RT_LIB_PATH; to use the emulator \
         on purpose, choose Backend::Emulator (or NEURON_RT_BACKEND=emulator)"
    )]
    HardwareWithoutRuntime {
        /// The device nodes found, e.g. `/dev/neuron0, /dev/neuron1`.
        devices: String,
        /// Why the library did not load.
        source: neuron_rt_sys::LoadError,
    },
    /// The emulator was requested but this build does not include it.
    #[error(
        "the emulator backend was requested but neuron-rt was built without its `emulator` \
         feature; enable it (it is on by default)"
    )]
    EmulatorNotBuilt,
    /// A device is already open in this process with different settings.
    #[error(
        "a Device is already open in this process ({existing}); the Neuron runtime is one per \
         process, so a second one with different settings ({requested}) cannot be opened — \
         reuse the open Device, or drop every handle to it first"
    )]
    DeviceAlreadyOpen {
        /// The open device's settings.
        existing: String,
        /// The settings asked for.
        requested: String,
    },
    /// `Device::close` was called while other clones of the device are still alive.
    #[error(
        "Device::close: {others} other clone(s) of the Device are still alive; drop them first \
         — the runtime closes when the last clone goes"
    )]
    DeviceInUse {
        /// How many other clones exist.
        others: usize,
    },
    /// A setting has a value the runtime cannot take.
    #[error("invalid {what}: {given:?}; expected {expected}")]
    InvalidSetting {
        /// Which setting.
        what: &'static str,
        /// The value given.
        given: String,
        /// What would be accepted.
        expected: String,
    },
    /// A NeuronCore group would overlap one already claimed in this process.
    #[error(
        "NeuronCore group {requested} overlaps group {existing}, which is already claimed in this \
         process; each core belongs to at most one group — pick cores outside {existing} or drop \
         that group first"
    )]
    GroupOverlap {
        /// The range asked for.
        requested: CoreRange,
        /// The claimed range it overlaps.
        existing: CoreRange,
    },
    /// A NeuronCore group reaches past the process's visible cores.
    #[error(
        "NeuronCore group {requested} is outside this process's {visible} visible core(s) \
         (valid: 0-{last}); core numbers are relative to the visible cores — set \
         NEURON_RT_VISIBLE_CORES (or the builder's visible_cores) to reserve more"
    , last = visible.saturating_sub(1))]
    GroupOutOfRange {
        /// The range asked for.
        requested: CoreRange,
        /// How many cores the process sees.
        visible: u32,
    },
    /// No free block of the requested size exists.
    #[error(
        "no free block of {size} contiguous NeuronCore(s): this process sees {visible} core(s) \
         and the free blocks are [{free}]; drop a group, ask for fewer cores, or make more cores \
         visible"
    )]
    NoFreeCores {
        /// The size asked for.
        size: u32,
        /// How many cores the process sees.
        visible: u32,
        /// The free blocks, e.g. `"0-1, 4"`.
        free: String,
    },
    /// The NEFF's header is malformed or unsupported.
    #[error("invalid NEFF{context}: {source}")]
    Neff {
        /// The header problem.
        source: neuron_neff::NeffError,
        /// Which group it was being loaded into.
        context: ErrorContext,
    },
    /// The model needs more cores than the group has.
    #[error(
        "model '{model}' was compiled for {model_cores} NeuronCore(s) but group {group} has \
         {group_cores}; create a group of {model_cores} core(s) for it (or recompile the model \
         for {group_cores})"
    )]
    ModelNeedsMoreCores {
        /// The model's name.
        model: String,
        /// Cores the NEFF needs.
        model_cores: u32,
        /// The group.
        group: CoreRange,
        /// Cores the group has.
        group_cores: u32,
    },
    /// The group is larger than the model needs and idle cores were not allowed.
    #[error(
        "model '{model}' needs {model_cores} NeuronCore(s) but group {group} has {group_cores}: \
         {idle} core(s) would sit idle; create a group of {model_cores}, or allow idle cores with \
         LoadOptions::allow_idle_cores(true)"
        , idle = group_cores - model_cores)]
    GroupLargerThanModel {
        /// The model's name.
        model: String,
        /// Cores the NEFF needs.
        model_cores: u32,
        /// The group.
        group: CoreRange,
        /// Cores the group has.
        group_cores: u32,
    },
    /// No tensor of that name in the model.
    #[error("model '{model}' has no {kind} tensor named '{name}'; its {kind}s are: {available}")]
    UnknownTensor {
        /// The model's name.
        model: String,
        /// `"input"` or `"output"`.
        kind: &'static str,
        /// The name given.
        name: String,
        /// The valid names.
        available: String,
    },
    /// An input the model needs was not given.
    #[error("model '{model}': input '{name}' was not given ({expected})")]
    MissingInput {
        /// The model's name.
        model: String,
        /// The missing input.
        name: String,
        /// Its dtype and shape.
        expected: String,
    },
    /// The element type does not match the tensor's.
    #[error("model '{model}', tensor '{tensor}': expected dtype {expected}, given {given}")]
    DTypeMismatch {
        /// The model's name.
        model: String,
        /// The tensor.
        tensor: String,
        /// The tensor's dtype.
        expected: String,
        /// The dtype given.
        given: String,
    },
    /// The shape or length does not match the tensor's.
    #[error("model '{model}', tensor '{tensor}': expected {expected}, given {given}")]
    ShapeMismatch {
        /// The model's name.
        model: String,
        /// The tensor.
        tensor: String,
        /// What the tensor takes.
        expected: String,
        /// What was given.
        given: String,
    },
    /// The model reports a tensor dtype neuron-rt cannot map.
    #[error("model '{model}', tensor '{tensor}': {problem}")]
    UnsupportedTensor {
        /// The model's name.
        model: String,
        /// The tensor.
        tensor: String,
        /// What is wrong.
        problem: String,
    },
    /// An optional runtime function is missing from the loaded library.
    #[error(transparent)]
    MissingSymbol(#[from] neuron_rt_sys::MissingSymbol),
    /// The planner rejected a request or a plan does not fit this device.
    #[error(transparent)]
    Plan(#[from] ncg_planner::PlanError),
    /// A name contains an interior NUL byte and cannot be passed to C.
    #[error("{what} {name:?} contains a NUL byte; names passed to the runtime cannot")]
    NulInName {
        /// What the name is of.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// An asynchronous request failed: which call, on which execution unit, with which sequence
    /// id (see [`RequestError`](crate::RequestError)).
    #[error(transparent)]
    Request(#[from] crate::async_exec::RequestError),
    /// An async binding (or pipeline slot) still has a request in flight, submitted by a future
    /// that was dropped before it completed.
    #[error(
        "model '{model}': a request of this async binding is still in flight (its future was \
         dropped before completion); await `AsyncBinding::ready()` or call `wait()` first"
    )]
    RequestInFlight {
        /// The model.
        model: String,
    },
    /// The async reactor (or fallback worker) could not get an operating-system resource.
    #[error(
        "async execution: {call} failed: {source}; the system is out of threads or descriptors"
    )]
    AsyncIo {
        /// The system call, e.g. `"epoll_create"`.
        call: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// `Result` with neuron-rt's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turn a raw status into `Ok(())` or an [`Error::Runtime`].
#[inline]
pub(crate) fn check(
    status: NRT_STATUS,
    call: &'static str,
    context: impl FnOnce() -> ErrorContext,
) -> Result<()> {
    match RuntimeStatus::from_raw(status) {
        None => Ok(()),
        Some(status) => Err(runtime_error(call, status, context())),
    }
}

#[cold]
fn runtime_error(call: &'static str, status: RuntimeStatus, context: ErrorContext) -> Error {
    Error::Runtime {
        call,
        status,
        context,
    }
}

/// Report an error that cannot be returned (from `Drop`). Never panics.
#[cold]
pub(crate) fn report_dropped_error(what: &str, error: &Error) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "neuron-rt: {what}: {error}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_status_maps_by_value_and_back() {
        for status in NRT_STATUS::known() {
            match RuntimeStatus::from_raw(status) {
                None => assert!(status.is_success()),
                Some(mapped) => {
                    assert!(!matches!(mapped, RuntimeStatus::Unknown(_)), "{status}");
                    assert_eq!(mapped.code(), status.0);
                    assert_eq!(mapped.to_string(), status.to_string());
                }
            }
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        assert_eq!(
            RuntimeStatus::from_raw(NRT_STATUS(4242)),
            Some(RuntimeStatus::Unknown(4242))
        );
        assert_eq!(RuntimeStatus::Unknown(8).code(), 8);
    }

    #[test]
    fn runtime_errors_name_the_call_status_and_context() {
        let err = check(NRT_STATUS::NRT_RESOURCE, "nrt_tensor_allocate", || {
            ErrorContext {
                model: Some("mlp".into()),
                cores: Some(CoreRange::new(2, 2).unwrap()),
                tensor: Some("x".into()),
            }
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "nrt_tensor_allocate failed with NRT_RESOURCE (4): failed to allocate a resource such \
             as device memory [model 'mlp', cores 2-3, tensor 'x']"
        );
        assert!(check(NRT_STATUS::NRT_SUCCESS, "nrt_init", ErrorContext::default).is_ok());
    }
}
