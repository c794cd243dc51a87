//! The thin FFI layer: the only module of neuron-rt with `unsafe`. Each wrapper makes one runtime
//! call through the function table and turns its status into a `Result`.
//!
//! Every handle is an owning type that frees itself in `Drop` (reporting a failure through the
//! `log` facade) and has a consuming method for callers who want the error instead; none can be
//! empty while alive, so no code path invents a status for a missing handle. Each handle borrows
//! the table it came from for `'a`, the borrow of the `Device`, so none outlives `nrt_close`.
//!
//! Other FFI wrappers (a feature's calls) go in submodules, one file per feature under
//! `neuron-rt/src/ffi/`, declared at the end of this file.

use crate::error::{Error, ErrorContext, Result, check, report_dropped_error};
use neuron_rt_sys::*;
use std::ffi::{CStr, CString, c_void};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};

pub(crate) mod nrta;

/// Start the runtime.
pub(crate) fn init(api: &NrtApi) -> Result<()> {
    // SAFETY: nrt_init takes a framework enum and two NUL-terminated strings, which we pass.
    let status = unsafe { (api.nrt_init)(NRT_FRAMEWORK_TYPE_NO_FW, c"".as_ptr(), c"".as_ptr()) };
    check(status, "nrt_init", ErrorContext::default)
}

/// Stop the runtime. The caller holds the device lifecycle lock and no handle of this runtime is
/// alive (they all borrow the `Device`, or were freed by a failed open).
pub(crate) fn close(api: &NrtApi) {
    // SAFETY: nrt_close takes no arguments; every model, tensor and set of this runtime is gone.
    unsafe { (api.nrt_close)() }
}

/// Total and visible logical NeuronCores.
pub(crate) fn core_counts(api: &NrtApi) -> Result<(u32, u32)> {
    let (mut total, mut visible) = (0u32, 0u32);
    // SAFETY: valid out-pointers to u32.
    let status = unsafe { (api.nrt_get_total_nc_count)(&mut total) };
    check(status, "nrt_get_total_nc_count", ErrorContext::default)?;
    // SAFETY: as above.
    let status = unsafe { (api.nrt_get_visible_nc_count)(&mut visible) };
    check(status, "nrt_get_visible_nc_count", ErrorContext::default)?;
    Ok((total, visible))
}

/// The instance description, when the runtime has `nrt_get_instance_info`.
pub(crate) fn instance_info(api: &NrtApi) -> Option<nrt_instance_info_t> {
    let f = api.nrt_get_instance_info.get().ok()?;
    let mut info = nrt_instance_info_t::default();
    // SAFETY: `info` is writable and we pass its exact size.
    let status = unsafe { f(&mut info, size_of::<nrt_instance_info_t>()) };
    status.is_success().then_some(info)
}

/// Set (or with `None`, clear) an emulator option before `nrt_init`.
pub(crate) fn set_emulator_option(api: &NrtApi, key: &CStr, value: Option<&str>) -> Result<()> {
    let f = api.nrt_emu_set_option.get()?;
    let value = value
        .map(|v| {
            CString::new(v).map_err(|_| Error::NulInName {
                what: "emulator option",
                name: v.into(),
            })
        })
        .transpose()?;
    let value_ptr = value.as_ref().map_or(ptr::null(), |v| v.as_ptr());
    // SAFETY: both pointers are NUL-terminated strings (or NULL for the value) that outlive the call.
    let status = unsafe { f(key.as_ptr(), value_ptr) };
    check(status, "nrt_emu_set_option", ErrorContext::default)
}

/// A runtime call reported success but left its out-pointer NULL.
#[cold]
fn null_handle(call: &'static str, context: ErrorContext) -> Error {
    Error::NullHandle { call, context }
}

/// One input or output as the runtime reports it.
pub(crate) struct RawTensorInfo {
    pub name: String,
    pub usage: u32,
    pub size: usize,
    pub dtype: u32,
    pub shape: Vec<u32>,
}

/// A loaded model handle; unloads itself when dropped.
pub(crate) struct RawModel<'a> {
    handle: NonNull<nrt_model_t>,
    api: &'a NrtApi,
}

// SAFETY: a model handle points to runtime-owned state with no thread affinity (the runtime is
// process-wide; nothing in the headers or the developer guide ties a model to its loading
// thread). Unload takes the model by value, so it never races another call on it.
unsafe impl Send for RawModel<'_> {}
// SAFETY: shared (&) access to a RawModel can only call `nrt_execute` (see `Execution`); the
// tensor info is read once in `load`, before the handle is shared. Concurrent `nrt_execute` on
// one model is the documented use: the Neuron Runtime developer guide (aws-neuron/aws-neuron-sdk,
// neuron-runtime/guides/nrt-developer-guide.rst, section "Graph Walker and CPU Node Executor")
// describes several threads calling nrt_execute so that executions are pipelined inside the
// runtime, and its reference for `nrt_get_model_instance_count` defines that count as how many
// threads can optimally call nrt_execute on one nrt_model_t; NRT_EXEC_NC_BUSY is the status for
// a core locked by another thread. What no AWS source promises is that one *tensor set* may be
// used by concurrent executions: neuron-rt never does that — every execution's sets belong to one `IoBinding`, used through `&mut`.
unsafe impl Sync for RawModel<'_> {}

impl<'a> RawModel<'a> {
    /// Load `neff` on the cores starting at `vnc` and read its tensor info.
    pub(crate) fn load(
        api: &'a NrtApi,
        neff: &[u8],
        vnc: i32,
        context: impl Fn() -> ErrorContext,
    ) -> Result<(RawModel<'a>, Vec<RawTensorInfo>)> {
        let mut model: *mut nrt_model_t = ptr::null_mut();
        // SAFETY: `neff` is a valid byte slice for the call; `model` is a valid out-pointer.
        // vnc_count -1 is the documented "as the NEFF needs".
        let status =
            unsafe { (api.nrt_load)(neff.as_ptr().cast(), neff.len(), vnc, -1, &mut model) };
        check(status, "nrt_load", &context)?;
        let handle = NonNull::new(model).ok_or_else(|| null_handle("nrt_load", context()))?;
        let model = RawModel { handle, api };
        // On error `model` is dropped here, which unloads it.
        let infos = model.tensor_info()?;
        Ok((model, infos))
    }

    /// Unload now and report the result (`Drop` unloads too, logging a failure).
    pub(crate) fn unload(self) -> Result<()> {
        // The handle and table are `Copy`: read them and skip `Drop`, which would unload again.
        let this = ManuallyDrop::new(self);
        // SAFETY: the handle came from nrt_load of this table and is unloaded exactly once:
        // `self` is consumed and its `Drop` does not run.
        let status = unsafe { (this.api.nrt_unload)(this.handle.as_ptr()) };
        check(status, "nrt_unload", ErrorContext::default)
    }

    /// The runtime's description of the model's tensors. Private: called once by `load`, before
    /// the handle can be shared (see the `Sync` justification above).
    fn tensor_info(&self) -> Result<Vec<RawTensorInfo>> {
        let api = self.api;
        let mut array: *mut nrt_tensor_info_array_t = ptr::null_mut();
        // SAFETY: live model handle and a valid out-pointer.
        let status = unsafe { (api.nrt_get_model_tensor_info)(self.handle.as_ptr(), &mut array) };
        check(status, "nrt_get_model_tensor_info", ErrorContext::default)?;
        if array.is_null() {
            return Err(null_handle(
                "nrt_get_model_tensor_info",
                ErrorContext::default(),
            ));
        }
        // SAFETY: the runtime returned an array of `tensor_count` entries that stays valid until
        // nrt_free_model_tensor_info; each `shape` points at `ndim` u32 (or is NULL when ndim is 0).
        let infos = unsafe {
            let count = usize::try_from((*array).tensor_count).unwrap_or(0);
            let entries = (*array).tensor_array.as_slice(count);
            entries
                .iter()
                .map(|e| RawTensorInfo {
                    name: c_chars_to_string(&e.name),
                    usage: e.usage,
                    size: e.size,
                    dtype: e.dtype,
                    shape: if e.shape.is_null() || e.ndim == 0 {
                        Vec::new()
                    } else {
                        std::slice::from_raw_parts(e.shape, e.ndim as usize).to_vec()
                    },
                })
                .collect()
        };
        // SAFETY: the array came from nrt_get_model_tensor_info and is freed once.
        let status = unsafe { (api.nrt_free_model_tensor_info)(array) };
        check(status, "nrt_free_model_tensor_info", ErrorContext::default)?;
        Ok(infos)
    }
}

impl Drop for RawModel<'_> {
    fn drop(&mut self) {
        // SAFETY: as in `unload`; `Drop` runs at most once and `unload` skips it.
        let status = unsafe { (self.api.nrt_unload)(self.handle.as_ptr()) };
        if let Err(e) = check(status, "nrt_unload", ErrorContext::default) {
            report_dropped_error("unloading a dropped model", &e);
        }
    }
}

/// A device tensor handle; freed when dropped.
pub(crate) struct RawTensor<'a> {
    handle: NonNull<nrt_tensor_t>,
    api: &'a NrtApi,
}

// SAFETY: a tensor handle is runtime-owned memory with no thread affinity; neuron-rt gives each
// tensor a single owner (a binding), which reads and writes it through &self / &mut self from one
// thread at a time (`IoBinding` is not Sync).
unsafe impl Send for RawTensor<'_> {}

impl<'a> RawTensor<'a> {
    pub(crate) fn allocate(
        api: &'a NrtApi,
        vnc: i32,
        size: usize,
        name: &CStr,
    ) -> Result<RawTensor<'a>> {
        let mut tensor: *mut nrt_tensor_t = ptr::null_mut();
        // SAFETY: name is NUL-terminated, `tensor` a valid out-pointer.
        let status = unsafe {
            (api.nrt_tensor_allocate)(
                NRT_TENSOR_PLACEMENT_DEVICE,
                vnc,
                size,
                name.as_ptr(),
                &mut tensor,
            )
        };
        let context = || ErrorContext {
            tensor: Some(name.to_string_lossy().into_owned()),
            ..Default::default()
        };
        check(status, "nrt_tensor_allocate", context)?;
        let handle =
            NonNull::new(tensor).ok_or_else(|| null_handle("nrt_tensor_allocate", context()))?;
        Ok(RawTensor { handle, api })
    }

    /// Write `data` at byte `offset`. The caller checked the bounds against the tensor's size.
    #[inline]
    pub(crate) fn write(&mut self, offset: usize, data: &[u8]) -> NRT_STATUS {
        // SAFETY: live tensor; `data` is valid for reads of its length; the runtime
        // bounds-checks offset+len.
        unsafe {
            (self.api.nrt_tensor_write)(
                self.handle.as_ptr(),
                data.as_ptr().cast::<c_void>(),
                offset,
                data.len(),
            )
        }
    }

    /// Read into `out` from byte `offset`.
    #[inline]
    pub(crate) fn read(&self, offset: usize, out: &mut [u8]) -> NRT_STATUS {
        // SAFETY: live tensor; `out` is valid for writes of its length; the runtime
        // bounds-checks offset+len.
        unsafe {
            (self.api.nrt_tensor_read)(
                self.handle.as_ptr(),
                out.as_mut_ptr().cast::<c_void>(),
                offset,
                out.len(),
            )
        }
    }
}

impl Drop for RawTensor<'_> {
    fn drop(&mut self) {
        let mut ptr = self.handle.as_ptr();
        // SAFETY: the tensor came from nrt_tensor_allocate and is freed once (`Drop`); the sets
        // that refer to it are destroyed first (`BindingBuffers` declares them first).
        unsafe { (self.api.nrt_tensor_free)(&mut ptr) }
    }
}

/// A tensor set handle; destroyed when dropped.
pub(crate) struct RawTensorSet<'a> {
    handle: NonNull<nrt_tensor_set_t>,
    api: &'a NrtApi,
}

// SAFETY: as RawTensor: runtime-owned, no thread affinity, single owner.
unsafe impl Send for RawTensorSet<'_> {}

impl<'a> RawTensorSet<'a> {
    pub(crate) fn allocate(api: &'a NrtApi) -> Result<RawTensorSet<'a>> {
        let mut set: *mut nrt_tensor_set_t = ptr::null_mut();
        // SAFETY: valid out-pointer.
        let status = unsafe { (api.nrt_allocate_tensor_set)(&mut set) };
        check(status, "nrt_allocate_tensor_set", ErrorContext::default)?;
        let handle = NonNull::new(set)
            .ok_or_else(|| null_handle("nrt_allocate_tensor_set", ErrorContext::default()))?;
        Ok(RawTensorSet { handle, api })
    }

    /// Add `tensor` under `name`. The tensor must outlive the set (both are owned by one
    /// `BindingBuffers`, which drops the sets first).
    pub(crate) fn add(&mut self, name: &CStr, tensor: &RawTensor<'a>) -> Result<()> {
        // SAFETY: live set and tensor; name is NUL-terminated and copied by the runtime.
        let status = unsafe {
            (self.api.nrt_add_tensor_to_tensor_set)(
                self.handle.as_ptr(),
                name.as_ptr(),
                tensor.handle.as_ptr(),
            )
        };
        check(status, "nrt_add_tensor_to_tensor_set", || ErrorContext {
            tensor: Some(name.to_string_lossy().into_owned()),
            ..Default::default()
        })
    }
}

impl Drop for RawTensorSet<'_> {
    fn drop(&mut self) {
        let mut ptr = self.handle.as_ptr();
        // SAFETY: the set came from nrt_allocate_tensor_set and is destroyed once (`Drop`).
        unsafe { (self.api.nrt_destroy_tensor_set)(&mut ptr) }
    }
}

/// `nrt_execute` on one model with an owned input/output set pair. The function pointer and the
/// three handles are copied out once, so the hot path is one indirect call with no table lookup.
/// Safe by construction: the model is borrowed for `'m` and the sets are owned, so all three
/// outlive every call, and `call` takes `&mut self`, so the output set is used by one execution
/// at a time.
pub(crate) struct Execution<'m, 'a> {
    execute: unsafe extern "C" fn(
        *mut nrt_model_t,
        *const nrt_tensor_set_t,
        *mut nrt_tensor_set_t,
    ) -> NRT_STATUS,
    model: NonNull<nrt_model_t>,
    inputs: NonNull<nrt_tensor_set_t>,
    outputs: NonNull<nrt_tensor_set_t>,
    sets: (RawTensorSet<'a>, RawTensorSet<'a>),
    _model: PhantomData<&'m RawModel<'a>>,
}

// SAFETY: copies of handles that are Send themselves (RawModel is Sync, so a shared borrow of it
// may cross threads; the sets are owned); the function pointer stays valid for the process
// (loaded libraries are never unloaded; the emulator is linked in). Not Sync (raw pointers):
// executions on one output set never overlap.
unsafe impl Send for Execution<'_, '_> {}

impl<'m, 'a> Execution<'m, 'a> {
    /// Bind `model` to the sets `inputs` and `outputs` (whose tensors the caller keeps alive for
    /// as long as the sets: see [`RawTensorSet::add`]).
    pub(crate) fn new(
        model: &'m RawModel<'a>,
        inputs: RawTensorSet<'a>,
        outputs: RawTensorSet<'a>,
    ) -> Execution<'m, 'a> {
        Execution {
            execute: model.api.nrt_execute,
            model: model.handle,
            inputs: inputs.handle,
            outputs: outputs.handle,
            sets: (inputs, outputs),
            _model: PhantomData,
        }
    }

    /// Execute once.
    #[inline]
    pub(crate) fn call(&mut self) -> NRT_STATUS {
        // SAFETY: the model is alive (borrowed for 'm) and so are the sets (owned); the output
        // set is used exclusively (&mut self); concurrent executions of the same model with
        // other sets are the documented use (see RawModel's Sync).
        unsafe {
            (self.execute)(
                self.model.as_ptr(),
                self.inputs.as_ptr(),
                self.outputs.as_ptr(),
            )
        }
    }

    /// The sets back, unbound from the model.
    pub(crate) fn into_sets(self) -> (RawTensorSet<'a>, RawTensorSet<'a>) {
        self.sets
    }
}

// Feature submodules: one file per feature under `neuron-rt/src/ffi/`, declared here.

mod reference_kernel;

pub(crate) use reference_kernel::{clear_reference_kernels, register_reference_kernels};

mod optional;
pub(crate) use optional::vnc_memory_stats;
