//! The thin FFI layer: the only module of neuron-rt with `unsafe`. Each wrapper makes one runtime
//! call through the function table and turns its status into a `Result`; the owning types
//! elsewhere keep the handles' invariants (created by this device's table, used and freed once,
//! never after `nrt_close`, which the borrow of the `Device` guarantees).

use crate::error::{ErrorContext, Result, check};
use neuron_rt_sys::*;
use std::ffi::{CStr, CString, c_void};
use std::ptr::{self, NonNull};

pub(crate) mod nrta;

/// Start the runtime.
pub(crate) fn init(api: &NrtApi) -> Result<()> {
    // SAFETY: nrt_init takes a framework enum and two NUL-terminated strings, which we pass.
    let status = unsafe { (api.nrt_init)(NRT_FRAMEWORK_TYPE_NO_FW, c"".as_ptr(), c"".as_ptr()) };
    check(status, "nrt_init", ErrorContext::default)
}

/// Stop the runtime (the Device's last handle is going away).
pub(crate) fn close(api: &NrtApi) {
    // SAFETY: nrt_close takes no arguments; every model, tensor and set of this device is gone
    // (they borrow the Device).
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
            CString::new(v).map_err(|_| crate::Error::NulInName {
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

/// A loaded model handle.
pub(crate) struct RawModel(NonNull<nrt_model_t>);

// SAFETY: a model handle is a pointer to runtime-owned state that is not tied to the thread that
// created it; the runtime's developer guide describes executing one model from several threads
// (it pipelines them) and provides NRT_EXEC_NC_BUSY for contention, and the emulator guards its
// model state with locks. Unload takes the model by value, so it never races an execution.
unsafe impl Send for RawModel {}
// SAFETY: see above: shared (&) access only ever calls nrt_execute / nrt_get_model_tensor_info.
unsafe impl Sync for RawModel {}

/// One input or output as the runtime reports it.
pub(crate) struct RawTensorInfo {
    pub name: String,
    pub usage: u32,
    pub size: usize,
    pub dtype: u32,
    pub shape: Vec<u32>,
}

impl RawModel {
    pub(crate) fn load(
        api: &NrtApi,
        neff: &[u8],
        vnc: i32,
        context: impl Fn() -> ErrorContext,
    ) -> Result<RawModel> {
        let mut model: *mut nrt_model_t = ptr::null_mut();
        // SAFETY: `neff` is a valid byte slice for the call; `model` is a valid out-pointer.
        // vnc_count -1 is the documented "as the NEFF needs".
        let status =
            unsafe { (api.nrt_load)(neff.as_ptr().cast(), neff.len(), vnc, -1, &mut model) };
        check(status, "nrt_load", &context)?;
        NonNull::new(model)
            .map(RawModel)
            .ok_or_else(|| crate::Error::Runtime {
                call: "nrt_load",
                status: crate::RuntimeStatus::Failure,
                context: context(),
            })
    }

    pub(crate) fn unload(self, api: &NrtApi) -> Result<()> {
        // SAFETY: the handle came from nrt_load of this table and is unloaded exactly once
        // (`self` is consumed).
        let status = unsafe { (api.nrt_unload)(self.0.as_ptr()) };
        check(status, "nrt_unload", ErrorContext::default)
    }

    pub(crate) fn tensor_info(&self, api: &NrtApi) -> Result<Vec<RawTensorInfo>> {
        let mut array: *mut nrt_tensor_info_array_t = ptr::null_mut();
        // SAFETY: live model handle and a valid out-pointer.
        let status = unsafe { (api.nrt_get_model_tensor_info)(self.0.as_ptr(), &mut array) };
        check(status, "nrt_get_model_tensor_info", ErrorContext::default)?;
        if array.is_null() {
            return Ok(Vec::new());
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

    #[inline]
    pub(crate) fn execute(
        &self,
        api: &NrtApi,
        inputs: &RawTensorSet,
        outputs: &RawTensorSet,
    ) -> NRT_STATUS {
        // SAFETY: live model and tensor sets of this table; the sets' tensors are alive (owned by
        // the same binding) and exclusively used by this call (the binding is borrowed mutably).
        unsafe { (api.nrt_execute)(self.0.as_ptr(), inputs.0.as_ptr(), outputs.0.as_ptr()) }
    }
}

/// A device tensor handle.
pub(crate) struct RawTensor(NonNull<nrt_tensor_t>);

// SAFETY: a tensor handle is runtime-owned memory with no thread affinity; neuron-rt gives each
// tensor a single owner (a binding) and accesses it through &mut or from one thread at a time.
unsafe impl Send for RawTensor {}

impl RawTensor {
    pub(crate) fn allocate(api: &NrtApi, vnc: i32, size: usize, name: &CStr) -> Result<RawTensor> {
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
        NonNull::new(tensor)
            .map(RawTensor)
            .ok_or_else(|| crate::Error::Runtime {
                call: "nrt_tensor_allocate",
                status: crate::RuntimeStatus::Failure,
                context: context(),
            })
    }

    /// Write `data` at byte `offset`. The caller checked the bounds against the tensor's size.
    #[inline]
    pub(crate) fn write(&mut self, api: &NrtApi, offset: usize, data: &[u8]) -> NRT_STATUS {
        // SAFETY: `data` is valid for reads of its length; the runtime bounds-checks offset+len.
        unsafe {
            (api.nrt_tensor_write)(
                self.0.as_ptr(),
                data.as_ptr().cast::<c_void>(),
                offset,
                data.len(),
            )
        }
    }

    /// Read into `out` from byte `offset`.
    #[inline]
    pub(crate) fn read(&self, api: &NrtApi, offset: usize, out: &mut [u8]) -> NRT_STATUS {
        // SAFETY: `out` is valid for writes of its length; the runtime bounds-checks offset+len.
        unsafe {
            (api.nrt_tensor_read)(
                self.0.as_ptr(),
                out.as_mut_ptr().cast::<c_void>(),
                offset,
                out.len(),
            )
        }
    }

    pub(crate) fn free(self, api: &NrtApi) {
        let mut ptr = self.0.as_ptr();
        // SAFETY: the tensor came from nrt_tensor_allocate and is freed once (`self` consumed);
        // no tensor set that refers to it is used afterwards (sets are destroyed first).
        unsafe { (api.nrt_tensor_free)(&mut ptr) }
    }
}

/// A tensor set handle.
pub(crate) struct RawTensorSet(NonNull<c_void>);

// SAFETY: as RawTensor: runtime-owned, no thread affinity, single owner.
unsafe impl Send for RawTensorSet {}

impl RawTensorSet {
    pub(crate) fn allocate(api: &NrtApi) -> Result<RawTensorSet> {
        let mut set: *mut nrt_tensor_set_t = ptr::null_mut();
        // SAFETY: valid out-pointer.
        let status = unsafe { (api.nrt_allocate_tensor_set)(&mut set) };
        check(status, "nrt_allocate_tensor_set", ErrorContext::default)?;
        NonNull::new(set)
            .map(RawTensorSet)
            .ok_or(crate::Error::Runtime {
                call: "nrt_allocate_tensor_set",
                status: crate::RuntimeStatus::Failure,
                context: ErrorContext::default(),
            })
    }

    /// Add `tensor` under `name`. The tensor must outlive the set (both are owned by one binding,
    /// which destroys the set first).
    pub(crate) fn add(&mut self, api: &NrtApi, name: &CStr, tensor: &RawTensor) -> Result<()> {
        // SAFETY: live set and tensor; name is NUL-terminated and copied by the runtime.
        let status = unsafe {
            (api.nrt_add_tensor_to_tensor_set)(self.0.as_ptr(), name.as_ptr(), tensor.0.as_ptr())
        };
        check(status, "nrt_add_tensor_to_tensor_set", || ErrorContext {
            tensor: Some(name.to_string_lossy().into_owned()),
            ..Default::default()
        })
    }

    pub(crate) fn destroy(self, api: &NrtApi) {
        let mut ptr = self.0.as_ptr();
        // SAFETY: the set came from nrt_allocate_tensor_set and is destroyed once.
        unsafe { (api.nrt_destroy_tensor_set)(&mut ptr) }
    }
}
