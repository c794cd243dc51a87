//! Asynchronous execution: runtime-agnostic futures over libnrt's explicit async API
//! (`nrt_async.h`), with a blocking fallback for runtimes that lack it.
//!
//! # Model
//!
//! A request is *write every input → execute → read every output* on one **slot** (device
//! tensors plus host staging buffers, allocated once and reused). With the async API
//! ([`AsyncMode::Native`]) each step is queued on an execution unit of the model's NeuronCore
//! (`TENSOR_WRITE`, `COMPUTE`, `TENSOR_READ`): requests on one unit complete in order, and the
//! units run in parallel, so the copies of one request overlap the compute of another. Nothing
//! orders different units, so the next step of a request is queued when the previous one has
//! completed — by the **reactor**, one thread per [`Device`](crate::Device), which waits on the
//! runtime's completion handles (`epoll`, one armed handle per unit with pending requests) and
//! wakes the futures. The futures are plain [`std::future::Future`]s: any executor (tokio,
//! async-std, smol, `block_on`) drives them.
//!
//! Entry points:
//! - [`Model::run_async`](crate::Model::run_async): named arrays in, owned [`Outputs`](crate::Outputs)
//!   out, on a slot from the model's pool ([`Model::set_async_slots`](crate::Model::set_async_slots),
//!   default 4): thousands of concurrent calls share a few slots, waiting (asynchronously) for one;
//! - [`Model::async_binding`](crate::Model::async_binding): one slot of your own —
//!   [`AsyncBinding::submit`] allocates nothing;
//! - [`Model::pipeline`](crate::Model::pipeline): `k` slots kept in flight ([`Pipeline::run`]).
//!
//! # Ownership and cancellation
//!
//! A slot's buffers belong to the device while a request is in flight. [`AsyncBinding::submit`]
//! borrows the binding mutably, so its buffers cannot be touched until the future completes.
//! **Dropping a future never frees memory the device may still use: it detaches.** The request
//! runs to completion; a detached [`AsyncBinding`] refuses access ([`Error::RequestInFlight`](crate::Error::RequestInFlight))
//! until [`AsyncBinding::ready`] / [`AsyncBinding::wait`]; a binding or `run_async` future dropped
//! in flight hands its slot to the reactor, which returns it to the model's pool on completion.
//! Nothing blocks in `Drop` except the model's: unloading a model waits for its in-flight
//! requests (at most their remaining device time).
//!
//! # Errors
//!
//! A failed request gives [`Error::Request`](crate::Error::Request) with a [`RequestError`]: the
//! call, the runtime status, the execution unit and, for a failure reported by the runtime's
//! error tracker after scheduling, the request's sequence id.
//!
//! # Fallback
//!
//! Runtimes without the `nrta_*` functions (before 2.29), or a model forced with
//! [`Model::force_async_fallback`](crate::Model::force_async_fallback) or the environment
//! variable `NEURON_RT_ASYNC_FALLBACK=1`, run the same API on one thread per model (that is, per
//! core group) calling the blocking `nrt_tensor_write` / `nrt_execute` / `nrt_tensor_read`.
//! Differences: requests of one model run one at a time, so copies do not overlap compute; errors
//! carry no sequence id; the futures and ownership rules are the same.

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
