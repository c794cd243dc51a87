//! The one error type of neuron-rt.

use ncg_planner::CoreRange;
use neuron_rt_sys::NRT_STATUS;
use std::fmt;

/// What a failed runtime call returned: a status other than `NRT_SUCCESS`.
///
/// A thin wrapper over [`NRT_STATUS`], the runtime's own status type, so the codes, names and
/// descriptions are defined once (in the C header, from which neuron-rt-sys generates them) and a
/// code from a newer runtime is kept as is. Compare with the named constants:
///
/// ```
/// use neuron_rt::RuntimeStatus;
/// use neuron_rt::neuron_rt_sys::NRT_STATUS;
/// let status = RuntimeStatus::from_raw(NRT_STATUS::NRT_EXEC_NC_BUSY).unwrap();
/// assert_eq!(status, NRT_STATUS::NRT_EXEC_NC_BUSY);
/// assert_eq!(status.name(), Some("NRT_EXEC_NC_BUSY"));
/// assert_eq!(status.code(), 1005);
/// assert!(RuntimeStatus::from_raw(NRT_STATUS::NRT_SUCCESS).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuntimeStatus(NRT_STATUS);

impl RuntimeStatus {
    /// The failure `status`; `None` for `NRT_SUCCESS`.
    #[inline]
    pub fn from_raw(status: NRT_STATUS) -> Option<RuntimeStatus> {
        (!status.is_success()).then_some(RuntimeStatus(status))
    }

    /// The runtime's status value.
    pub fn raw(self) -> NRT_STATUS {
        self.0
    }

    /// The numeric code.
    pub fn code(self) -> u32 {
        self.0.0
    }

    /// The C name (`"NRT_TIMEOUT"`), `None` for a code neuron-rt-sys does not know.
    pub fn name(self) -> Option<&'static str> {
        self.0.name()
    }

    /// What the code means.
    pub fn description(self) -> &'static str {
        self.0.description()
    }
}

impl PartialEq<NRT_STATUS> for RuntimeStatus {
    fn eq(&self, other: &NRT_STATUS) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for RuntimeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
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
            parts.push(format!("model {model:?}"));
        }
        if let Some(cores) = &self.cores {
            parts.push(format!("cores {cores}"));
        }
        if let Some(tensor) = &self.tensor {
            parts.push(format!("tensor {tensor:?}"));
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
    /// A runtime call reported success but returned a NULL handle (a broken runtime): nothing
    /// was created.
    #[error(
        "{call} returned NRT_SUCCESS but a NULL handle{context}; the loaded libnrt is broken — \
         check NEURON_RT_LIB_PATH points at aws-neuronx-runtime-lib's libnrt.so.1"
    )]
    NullHandle {
        /// The C function, e.g. `"nrt_load"`.
        call: &'static str,
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
         loaded, so neuron-rt will not fall back to the emulator (the cause follows); install \
         aws-neuronx-runtime-lib, or set NEURON_RT_LIB_PATH; to use the emulator on purpose, \
         choose Backend::Emulator (or NEURON_RT_BACKEND=emulator)"
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
        /// The open device's settings, in one line (`"emulator inf2.xlarge, log level ERROR"`).
        existing: String,
        /// The settings asked for, in the same form.
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
    #[error("invalid NEFF{context}")]
    Neff {
        /// The header problem.
        source: neuron_neff::NeffError,
        /// Which group it was being loaded into.
        context: ErrorContext,
    },
    /// The model needs more cores than the group has.
    #[error(
        "model {model:?} was compiled for {model_cores} NeuronCore(s) but group {group} has \
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
        "model {model:?} needs {model_cores} NeuronCore(s) but group {group} has {group_cores}: \
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
    #[error("model {model:?} has no {kind} tensor named {name:?}; its {kind}s are: {available}")]
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
    #[error("model {model:?}: input {name:?} was not given ({expected})")]
    MissingInput {
        /// The model's name.
        model: String,
        /// The missing input.
        name: String,
        /// Its dtype and shape.
        expected: String,
    },
    /// The same input was given more than once.
    #[error("model {model:?}: input {name:?} was given {times} times; give each input once")]
    DuplicateInput {
        /// The model's name.
        model: String,
        /// The repeated input.
        name: String,
        /// How many times it was given.
        times: usize,
    },
    /// The element type does not match the tensor's.
    #[error("model {model:?}, tensor {tensor:?}: expected dtype {expected}, given {given}")]
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
    #[error("model {model:?}, tensor {tensor:?}: expected {expected}, given {given}")]
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
    #[error("model {model:?}, tensor {tensor:?}: {problem}")]
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

/// Report an error that cannot be returned (from `Drop`) through the `log` facade, so services
/// route it like their other logs. Never panics.
#[cold]
pub(crate) fn report_dropped_error(what: &str, error: &Error) {
    log::error!(target: "neuron_rt", "{what}: {error}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_but_success_is_a_runtime_status_with_the_tables_name() {
        for status in NRT_STATUS::known().chain([NRT_STATUS(4242)]) {
            match RuntimeStatus::from_raw(status) {
                None => assert!(status.is_success()),
                Some(mapped) => {
                    assert_eq!(mapped.code(), status.0);
                    assert_eq!(mapped.name(), status.name());
                    assert_eq!(mapped.to_string(), status.to_string());
                }
            }
        }
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
             as device memory [model \"mlp\", cores 2-3, tensor \"x\"]"
        );
        assert!(check(NRT_STATUS::NRT_SUCCESS, "nrt_init", ErrorContext::default).is_ok());
    }
}
