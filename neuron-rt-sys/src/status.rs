//! `NRT_STATUS`: names and descriptions for the runtime's status codes.
//!
//! The status is an integer newtype ([`NRT_STATUS`]) with one associated constant per known
//! code, never a Rust `enum`: a newer runtime may return a code this crate does not know, and
//! that must stay a plain value, not undefined behaviour.

use crate::bindings::NRT_STATUS;
use std::fmt;

/// Every code of `nrt_status.h`, with its name and what it means.
const TABLE: &[(NRT_STATUS, &str, &str)] = &[
    (NRT_STATUS::NRT_SUCCESS, "NRT_SUCCESS", "the call succeeded"),
    (
        NRT_STATUS::NRT_FAILURE,
        "NRT_FAILURE",
        "unspecified failure (also: tensor not in the set, NeuronCores held by another process)",
    ),
    (
        NRT_STATUS::NRT_INVALID,
        "NRT_INVALID",
        "invalid argument, NEFF, or input name/size",
    ),
    (
        NRT_STATUS::NRT_INVALID_HANDLE,
        "NRT_INVALID_HANDLE",
        "the handle does not refer to a live object",
    ),
    (
        NRT_STATUS::NRT_RESOURCE,
        "NRT_RESOURCE",
        "failed to allocate a resource such as device memory",
    ),
    (
        NRT_STATUS::NRT_TIMEOUT,
        "NRT_TIMEOUT",
        "the operation timed out",
    ),
    (
        NRT_STATUS::NRT_HW_ERROR,
        "NRT_HW_ERROR",
        "the hardware reported an error",
    ),
    (
        NRT_STATUS::NRT_QUEUE_FULL,
        "NRT_QUEUE_FULL",
        "too many executions are pending",
    ),
    (
        NRT_STATUS::NRT_LOAD_NOT_ENOUGH_NC,
        "NRT_LOAD_NOT_ENOUGH_NC",
        "not enough NeuronCores to load the NEFF",
    ),
    (
        NRT_STATUS::NRT_UNSUPPORTED_NEFF_VERSION,
        "NRT_UNSUPPORTED_NEFF_VERSION",
        "the NEFF's version or features are not supported by this runtime",
    ),
    (
        NRT_STATUS::NRT_FAIL_HOST_MEM_ALLOC,
        "NRT_FAIL_HOST_MEM_ALLOC",
        "host memory allocation failed (kept for backward compatibility)",
    ),
    (
        NRT_STATUS::NRT_UNINITIALIZED,
        "NRT_UNINITIALIZED",
        "called before nrt_init",
    ),
    (
        NRT_STATUS::NRT_CLOSED,
        "NRT_CLOSED",
        "called after nrt_close",
    ),
    (
        NRT_STATUS::NRT_QUEUE_EMPTY,
        "NRT_QUEUE_EMPTY",
        "the queue is empty",
    ),
    (
        NRT_STATUS::NRT_EXEC_UNIT_UNRECOVERABLE,
        "NRT_EXEC_UNIT_UNRECOVERABLE",
        "the execution unit is in an unrecoverable state",
    ),
    (
        NRT_STATUS::NRT_EXEC_BAD_INPUT,
        "NRT_EXEC_BAD_INPUT",
        "the execution rejected its inputs",
    ),
    (
        NRT_STATUS::NRT_EXEC_COMPLETED_WITH_NUM_ERR,
        "NRT_EXEC_COMPLETED_WITH_NUM_ERR",
        "the execution completed with numerical errors (NaN)",
    ),
    (
        NRT_STATUS::NRT_EXEC_COMPLETED_WITH_ERR,
        "NRT_EXEC_COMPLETED_WITH_ERR",
        "the execution completed with errors",
    ),
    (
        NRT_STATUS::NRT_EXEC_NC_BUSY,
        "NRT_EXEC_NC_BUSY",
        "the NeuronCore is locked by another model or thread",
    ),
    (
        NRT_STATUS::NRT_EXEC_OOB,
        "NRT_EXEC_OOB",
        "out-of-bounds indirect copy or embedding update",
    ),
    (
        NRT_STATUS::NRT_COLL_PENDING,
        "NRT_COLL_PENDING",
        "a collective operation is still pending",
    ),
    (
        NRT_STATUS::NRT_EXEC_HW_ERR_COLLECTIVES,
        "NRT_EXEC_HW_ERR_COLLECTIVES",
        "hardware error in collective communication",
    ),
    (
        NRT_STATUS::NRT_EXEC_HW_ERR_HBM_UE,
        "NRT_EXEC_HW_ERR_HBM_UE",
        "uncorrectable HBM memory error",
    ),
    (
        NRT_STATUS::NRT_EXEC_HW_ERR_NC_UE,
        "NRT_EXEC_HW_ERR_NC_UE",
        "uncorrectable NeuronCore error",
    ),
    (
        NRT_STATUS::NRT_EXEC_HW_ERR_DMA_ABORT,
        "NRT_EXEC_HW_ERR_DMA_ABORT",
        "a DMA transfer was aborted",
    ),
    (
        NRT_STATUS::NRT_EXEC_SW_NQ_OVERFLOW,
        "NRT_EXEC_SW_NQ_OVERFLOW",
        "notification queue overflow (workaround: NEURON_RT_ENABLE_DGE_NOTIFICATIONS=0)",
    ),
    (
        NRT_STATUS::NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE,
        "NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE",
        "repairable uncorrectable HBM error",
    ),
    (
        NRT_STATUS::NRT_NETWORK_PROXY_FAILURE,
        "NRT_NETWORK_PROXY_FAILURE",
        "the network proxy failed",
    ),
];

impl NRT_STATUS {
    /// Every status code this crate knows, in numeric order.
    pub fn known() -> impl ExactSizeIterator<Item = NRT_STATUS> {
        TABLE.iter().map(|(status, _, _)| *status)
    }

    /// `true` for [`NRT_STATUS::NRT_SUCCESS`].
    #[inline]
    pub const fn is_success(self) -> bool {
        self.0 == 0
    }

    /// The C enumerator name (`"NRT_INVALID"`), or `None` for a code this crate does not know
    /// (for example one added by a newer runtime).
    ///
    /// ```
    /// use neuron_rt_sys::NRT_STATUS;
    /// assert_eq!(NRT_STATUS::NRT_LOAD_NOT_ENOUGH_NC.name(), Some("NRT_LOAD_NOT_ENOUGH_NC"));
    /// assert_eq!(NRT_STATUS(4242).name(), None);
    /// ```
    pub fn name(self) -> Option<&'static str> {
        TABLE
            .iter()
            .find(|(s, _, _)| *s == self)
            .map(|(_, name, _)| *name)
    }

    /// A one-line description of what the code means (`"unknown status code"` when unknown).
    pub fn description(self) -> &'static str {
        TABLE
            .iter()
            .find(|(s, _, _)| *s == self)
            .map_or("unknown status code", |(_, _, text)| *text)
    }

    /// The code whose enumerator name is `name` (`"NRT_TIMEOUT"`), if any.
    ///
    /// ```
    /// use neuron_rt_sys::NRT_STATUS;
    /// assert_eq!(NRT_STATUS::from_name("NRT_TIMEOUT"), Some(NRT_STATUS::NRT_TIMEOUT));
    /// ```
    pub fn from_name(name: &str) -> Option<NRT_STATUS> {
        TABLE
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(s, _, _)| *s)
    }
}

impl fmt::Display for NRT_STATUS {
    /// `NRT_INVALID (2): invalid argument, NEFF, or input name/size`; unknown codes print as
    /// `status 4242 (unknown to this version of neuron-rt-sys)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({}): {}", self.0, self.description()),
            None => write!(
                f,
                "status {} (unknown to this version of neuron-rt-sys)",
                self.0
            ),
        }
    }
}
