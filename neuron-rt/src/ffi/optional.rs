//! Wrappers of optional entry points: calls that older runtimes may not export. A missing symbol
//! is an [`Error::MissingSymbol`](crate::Error::MissingSymbol) naming the function, never a crash.

use super::Execution;
use crate::error::{ErrorContext, Result, check};
use neuron_rt_sys::*;
use std::ffi::c_int;

/// `nrt_get_vnc_memory_stats` for visible core `vnc`. Fields the runtime did not write (an older
/// runtime with a smaller struct) stay 0.
pub(crate) fn vnc_memory_stats(
    api: &NrtApi,
    vnc: u32,
    context: impl Fn() -> ErrorContext,
) -> Result<nrt_vnc_memory_stats_t> {
    let f = api.nrt_get_vnc_memory_stats.get()?;
    let mut stats = nrt_vnc_memory_stats_t::default();
    let mut written = 0usize;
    // SAFETY: `stats` is a valid, writable nrt_vnc_memory_stats_t and we pass its exact size, so
    // the runtime writes at most that many bytes; `written` is a valid out-pointer.
    let status = unsafe {
        f(
            vnc,
            &mut stats,
            size_of::<nrt_vnc_memory_stats_t>(),
            &mut written,
        )
    };
    check(status, "nrt_get_vnc_memory_stats", context)?;
    Ok(stats)
}

impl Execution<'_, '_> {
    /// `nrt_execute_repeat` on this execution's model and sets: `count` back-to-back
    /// executions, outputs fed back as inputs. `api` is the table the model was loaded with.
    pub(crate) fn call_repeat(&mut self, api: &NrtApi, count: c_int) -> Result<NRT_STATUS> {
        let f = api.nrt_execute_repeat.get()?;
        // SAFETY: as `Execution::call`: the model is alive (borrowed) and so are the sets
        // (owned), the output set is used exclusively (&mut self); `api` is the table the model
        // and sets came from, so `f` belongs to the same runtime.
        Ok(unsafe {
            f(
                self.model.as_ptr(),
                self.inputs.as_ptr(),
                self.outputs.as_ptr(),
                count,
            )
        })
    }
}
