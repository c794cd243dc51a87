//! Wrappers of optional entry points: calls that older runtimes may not export. A missing symbol
//! is an [`Error::MissingSymbol`](crate::Error::MissingSymbol) naming the function, never a crash.

use super::RawModel;
use super::RawTensorSet;
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

impl RawModel {
    /// `nrt_execute_repeat`: `count` back-to-back executions, outputs fed back as inputs.
    pub(crate) fn execute_repeat(
        &self,
        api: &NrtApi,
        inputs: &RawTensorSet,
        outputs: &RawTensorSet,
        count: c_int,
    ) -> Result<NRT_STATUS> {
        let f = api.nrt_execute_repeat.get()?;
        // SAFETY: live model and tensor sets of this table, as for `execute`; the sets' tensors
        // are alive (owned by the binding, borrowed mutably for the call).
        Ok(unsafe {
            f(
                self.0.as_ptr(),
                inputs.0.as_ptr(),
                outputs.0.as_ptr(),
                count,
            )
        })
    }
}
