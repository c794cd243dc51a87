//! FFI for reference kernels (`nrt_emu_set_reference_kernel`, emulator only): registration and
//! the `extern "C"` trampoline that calls a Rust closure. A kernel's error or panic fails the
//! execution (`NRT_FAILURE`) and is reported through the `log` facade.

use super::*;
use crate::reference_kernel::{Kernel, KernelInput, KernelIo, KernelOutput, ReferenceKernels};
use neuron_rt_sys::emu::nrt_emu_tensor;
use parking_lot::Mutex;
use std::ffi::c_char;
use std::sync::Arc;

/// Names registered in the emulator's process-global registry by this process, so that a later
/// Device never inherits an earlier one's kernels.
static REGISTERED: Mutex<Vec<CString>> = Mutex::new(Vec::new());

fn unregister_all(f: neuron_rt_sys::emu::SetReferenceKernelFn, names: &mut Vec<CString>) {
    for name in names.drain(..) {
        // SAFETY: a NUL-terminated name; a NULL kernel removes the entry. Only called while the
        // runtime is not initialised (before nrt_init / after nrt_close), as the function needs.
        // Removal fails only while the runtime is initialised, which the callers rule out.
        let _ = unsafe { f(name.as_ptr(), None, ptr::null_mut()) };
    }
}

/// Replace the emulator's kernels with `kernels` (before `nrt_init`). The emulator keeps raw
/// pointers to the `Kernel`s: the caller keeps `kernels` alive until [`clear_reference_kernels`]
/// after `nrt_close`.
pub(crate) fn register_reference_kernels(api: &NrtApi, kernels: &ReferenceKernels) -> Result<()> {
    let Ok(f) = api.nrt_emu_set_reference_kernel.get() else {
        return match kernels.0.first() {
            None => Ok(()),
            Some(_) => Err(api.nrt_emu_set_reference_kernel.get().unwrap_err().into()),
        };
    };
    let mut registered = REGISTERED.lock();
    unregister_all(f, &mut registered);
    for k in &kernels.0 {
        let name = CString::new(k.model.clone()).map_err(|_| crate::Error::NulInName {
            what: "reference kernel model name",
            name: k.model.clone(),
        })?;
        // SAFETY: NUL-terminated name, a trampoline with the C signature, and a pointer to the
        // Kernel that the caller keeps alive until the kernels are cleared after nrt_close.
        let status = unsafe {
            f(
                name.as_ptr(),
                Some(trampoline),
                Arc::as_ptr(k).cast_mut().cast(),
            )
        };
        check(
            status,
            "nrt_emu_set_reference_kernel",
            ErrorContext::default,
        )?;
        registered.push(name);
    }
    Ok(())
}

/// Remove every kernel this process registered (after `nrt_close`).
pub(crate) fn clear_reference_kernels(api: &NrtApi) {
    if let Ok(f) = api.nrt_emu_set_reference_kernel.get() {
        unregister_all(f, &mut REGISTERED.lock());
    }
}

/// Whether [from, from+len) of two buffers overlap.
fn overlaps(a: &nrt_emu_tensor, b: &nrt_emu_tensor) -> bool {
    let (a0, b0) = (a.data as usize, b.data as usize);
    a.size > 0 && b.size > 0 && a0 < b0 + b.size && b0 < a0 + a.size
}

/// # Safety
/// Called by the emulator only, with `user_data` a `*const Kernel` registered above (alive, see
/// [`register_reference_kernels`]), `model_name` NUL-terminated, and `inputs`/`outputs` arrays of
/// `input_count`/`output_count` descriptors whose `data` has `size` bytes and `shape` `ndim`
/// entries, valid for the duration of the call.
unsafe extern "C" fn trampoline(
    user_data: *mut c_void,
    model_name: *const c_char,
    inputs: *const nrt_emu_tensor,
    input_count: usize,
    outputs: *const nrt_emu_tensor,
    output_count: usize,
) -> NRT_STATUS {
    // SAFETY: see the function's contract (the emulator passes what it documents in nrt_emu.h).
    let kernel = unsafe { &*(user_data as *const Kernel) };
    // SAFETY: as above: arrays of the given lengths, or dangling-but-unused when the length is 0.
    let (ins, outs) = unsafe {
        (
            slice_or_empty(inputs, input_count),
            slice_or_empty(outputs, output_count),
        )
    };
    // A tensor added to both sets (or twice) would alias a `&[u8]` with a `&mut [u8]`.
    for (i, o) in outs.iter().enumerate() {
        if ins.iter().chain(&outs[..i]).any(|t| overlaps(t, o)) {
            log::error!(
                "reference kernel of '{}' not called: output tensor memory overlaps \
                 another input or output; give every output its own tensor",
                kernel.model
            );
            return NRT_STATUS::NRT_INVALID;
        }
    }
    // SAFETY: NUL-terminated per the contract.
    let model = unsafe { CStr::from_ptr(model_name) }
        .to_str()
        .unwrap_or(&kernel.model);
    // SAFETY: descriptors valid for the call; inputs are only read; outputs do not overlap
    // anything else (checked above), so each `&mut [u8]` is unique.
    let mut io = unsafe {
        KernelIo {
            model,
            inputs: ins
                .iter()
                .map(|t| KernelInput {
                    name: name_of(t),
                    dtype: DType::from_code(t.dtype),
                    shape: shape_of(t),
                    data: bytes_of(t),
                })
                .collect(),
            outputs: outs
                .iter()
                .map(|t| KernelOutput {
                    name: name_of(t),
                    dtype: DType::from_code(t.dtype),
                    shape: shape_of(t),
                    data: bytes_of_mut(t),
                })
                .collect(),
        }
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (kernel.f)(&mut io)));
    match result {
        Ok(Ok(())) => NRT_STATUS::NRT_SUCCESS,
        Ok(Err(msg)) => {
            log::error!("reference kernel of '{model}' failed: {msg}");
            NRT_STATUS::NRT_FAILURE
        }
        Err(_) => {
            log::error!("reference kernel of '{model}' panicked");
            NRT_STATUS::NRT_FAILURE
        }
    }
}

use crate::element::DType;

/// # Safety
/// `p` points at `n` valid descriptors (any value when `n` is 0).
unsafe fn slice_or_empty<'a>(p: *const nrt_emu_tensor, n: usize) -> &'a [nrt_emu_tensor] {
    if n == 0 || p.is_null() {
        &[]
    } else {
        // SAFETY: per the function's contract.
        unsafe { std::slice::from_raw_parts(p, n) }
    }
}

/// # Safety
/// `t.name` is NUL-terminated and outlives the call.
unsafe fn name_of<'a>(t: &nrt_emu_tensor) -> &'a str {
    // SAFETY: per the function's contract; names are UTF-8 (checked by the loader) or shown lossily.
    unsafe { CStr::from_ptr(t.name) }.to_str().unwrap_or("?")
}

/// # Safety
/// `t.shape` has `t.ndim` entries (or ndim is 0).
unsafe fn shape_of(t: &nrt_emu_tensor) -> Vec<usize> {
    if t.ndim == 0 || t.shape.is_null() {
        return Vec::new();
    }
    // SAFETY: per the function's contract.
    unsafe { std::slice::from_raw_parts(t.shape, t.ndim as usize) }
        .iter()
        .map(|&d| d as usize)
        .collect()
}

/// # Safety
/// `t.data` has `t.size` readable bytes for the call.
unsafe fn bytes_of<'a>(t: &nrt_emu_tensor) -> &'a [u8] {
    if t.size == 0 || t.data.is_null() {
        return &[];
    }
    // SAFETY: per the function's contract.
    unsafe { std::slice::from_raw_parts(t.data.cast::<u8>(), t.size) }
}

/// # Safety
/// `t.data` has `t.size` writable bytes for the call, referenced by nothing else.
unsafe fn bytes_of_mut<'a>(t: &nrt_emu_tensor) -> &'a mut [u8] {
    if t.size == 0 || t.data.is_null() {
        return &mut [];
    }
    // SAFETY: per the function's contract.
    unsafe { std::slice::from_raw_parts_mut(t.data.cast::<u8>(), t.size) }
}
