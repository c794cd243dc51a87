//! Asynchronous execution: runtime-agnostic futures over libnrt's explicit async API
//! (`nrt_async.h`), with a blocking fallback for runtimes that lack it.
//!
//! The user-facing documentation of this module is on [`AsyncBinding`] (public docs).

mod binding;
mod block_on;
mod fallback;
mod model_ext;
mod pipeline;
mod reactor;
mod run;
mod slot;

pub use binding::{AsyncBinding, Ready, Submission};
pub use block_on::block_on;
pub use pipeline::Pipeline;
pub use run::RunAsync;
pub(crate) use slot::AsyncState;

use crate::error::{ErrorContext, RuntimeStatus};
use std::fmt;

/// Environment variable that forces the fallback path (`1`, `true` or `yes`).
pub const ASYNC_FALLBACK_ENV: &str = "NEURON_RT_ASYNC_FALLBACK";

/// How a model's asynchronous requests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsyncMode {
    /// libnrt's async API (`nrta_*`): copies and compute on separate execution units.
    Native,
    /// Blocking calls on one thread per model (runtime without `nrta_*`, or forced).
    Fallback,
}

/// An execution unit of a logical NeuronCore (`nrta_xu_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecUnit {
    /// Device → host copies (`NRTA_XU_TENSOR_READ`).
    TensorRead,
    /// Host → device copies (`NRTA_XU_TENSOR_WRITE`).
    TensorWrite,
    /// Other tensor operations (`NRTA_XU_TENSOR_OP`).
    TensorOp,
    /// Model executions (`NRTA_XU_COMPUTE`).
    Compute,
    /// Collective operations (`NRTA_XU_COLLECTIVES`).
    Collectives,
}

impl ExecUnit {
    /// The unit's `nrta_xu_t` value.
    pub fn code(self) -> u32 {
        use neuron_rt_sys::*;
        match self {
            ExecUnit::TensorRead => NRTA_XU_TENSOR_READ,
            ExecUnit::TensorWrite => NRTA_XU_TENSOR_WRITE,
            ExecUnit::TensorOp => NRTA_XU_TENSOR_OP,
            ExecUnit::Compute => NRTA_XU_COMPUTE,
            ExecUnit::Collectives => NRTA_XU_COLLECTIVES,
        }
    }
}

impl fmt::Display for ExecUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecUnit::TensorRead => "TENSOR_READ",
            ExecUnit::TensorWrite => "TENSOR_WRITE",
            ExecUnit::TensorOp => "TENSOR_OP",
            ExecUnit::Compute => "COMPUTE",
            ExecUnit::Collectives => "COLLECTIVES",
        })
    }
}

/// A failed asynchronous request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The C function that scheduled (or, on the fallback path, ran) the failed step, e.g.
    /// `"nrta_execute_schedule"`.
    pub call: &'static str,
    /// The runtime's status.
    pub status: RuntimeStatus,
    /// The execution unit of the failed step.
    pub unit: ExecUnit,
    /// The failed request's sequence id (`nrta_seq_t`) when the runtime's error tracker reported
    /// it after scheduling; `None` when the scheduling call itself failed, or on the fallback path.
    pub seq: Option<u64>,
    /// The model, cores and tensor.
    pub context: ErrorContext,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed with {} on the {} unit",
            self.call, self.status, self.unit
        )?;
        if let Some(seq) = self.seq {
            write!(
                f,
                " (request {:#x}: unit id {}, number {})",
                seq,
                neuron_rt_sys::seq_xu_id(seq),
                neuron_rt_sys::seq_num(seq)
            )?;
        }
        write!(f, "{}", self.context)
    }
}

impl std::error::Error for RequestError {}
