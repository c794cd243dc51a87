//! The emulator's own extensions (`emulator/include/nrt_emu.h`), not part of libnrt: the types of
//! [`NrtApi::nrt_emu_set_reference_kernel`](crate::NrtApi::nrt_emu_set_reference_kernel).
//!
//! A NEFF built by the Neuron compiler cannot be computed by the emulator; it runs as a timed
//! execution whose outputs are zeros (or a pattern). A *reference kernel* registered for the
//! model's name computes the outputs on the CPU instead. These types mirror the C header; the
//! layout is pinned by compile-time assertions below and exercised end to end by the tests.

use crate::NRT_STATUS;
use std::ffi::{c_char, c_void};

/// One input or output handed to a reference kernel (`nrt_emu_tensor` in `nrt_emu.h`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct nrt_emu_tensor {
    /// Tensor name, NUL-terminated, as `nrt_get_model_tensor_info` reports it.
    pub name: *const c_char,
    /// `nrt_dtype_t` code.
    pub dtype: u32,
    /// Number of dimensions.
    pub ndim: u32,
    /// `ndim` dimensions.
    pub shape: *const u32,
    /// `size` bytes of tensor data; inputs must not be written.
    pub data: *mut c_void,
    /// Size in bytes.
    pub size: usize,
}

/// A reference kernel (`nrt_emu_kernel_fn`): `(user_data, model_name, inputs, input_count,
/// outputs, output_count) -> status`, called on the thread that runs `nrt_execute`.
#[allow(non_camel_case_types)]
pub type nrt_emu_kernel_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        model_name: *const c_char,
        inputs: *const nrt_emu_tensor,
        input_count: usize,
        outputs: *const nrt_emu_tensor,
        output_count: usize,
    ) -> NRT_STATUS,
>;

/// Signature of `nrt_emu_set_reference_kernel(model_name, fn, user_data)`.
pub type SetReferenceKernelFn =
    unsafe extern "C" fn(*const c_char, nrt_emu_kernel_fn, *mut c_void) -> NRT_STATUS;

// The C layout on LP64 (the only targets the emulator builds for): pointer, two u32, three
// pointer-sized fields.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<nrt_emu_tensor>() == 40);
    assert!(std::mem::offset_of!(nrt_emu_tensor, dtype) == 8);
    assert!(std::mem::offset_of!(nrt_emu_tensor, ndim) == 12);
    assert!(std::mem::offset_of!(nrt_emu_tensor, shape) == 16);
    assert!(std::mem::offset_of!(nrt_emu_tensor, data) == 24);
    assert!(std::mem::offset_of!(nrt_emu_tensor, size) == 32);
};
