//! FFI of the async execution path (`nrt_async.h`), and the host staging memory that the device
//! reads and writes while a request is in flight. Everything unsafe of `async_exec` is here.
//!
//! Invariants kept by `async_exec` (and relied on below):
//! - a [`SlotBuffers`] is touched through `&`/`&mut` only while no request of its is in flight:
//!   while one is, it sits inside its slot's state and only its raw pointers are in the runtime's
//!   hands (the state machine in `async_exec::slot` enforces this);
//! - a [`ModelPtr`] is used only while the model is loaded: a model's async state waits for every
//!   in-flight request before the model is unloaded.

use super::{RawModel, null_handle};
use crate::error::{ErrorContext, Result, check};
use neuron_rt_sys::*;
use std::ffi::{CStr, c_int, c_void};
use std::os::fd::{FromRawFd, OwnedFd};
use std::ptr::{self, NonNull};

type WriteFn = unsafe extern "C" fn(
    *mut nrt_tensor_t,
    *const c_void,
    u64,
    u64,
    c_int,
    *mut nrta_error_tracker_t,
    *mut nrta_seq_t,
) -> NRT_STATUS;
type ReadFn = unsafe extern "C" fn(
    *mut c_void,
    *mut nrt_tensor_t,
    u64,
    u64,
    c_int,
    *mut nrta_error_tracker_t,
    *mut nrta_seq_t,
) -> NRT_STATUS;
type ExecFn = unsafe extern "C" fn(
    *mut nrt_model_t,
    *const nrt_tensor_set_t,
    *mut nrt_tensor_set_t,
    c_int,
    *mut nrta_error_tracker_t,
    *mut nrta_seq_t,
) -> NRT_STATUS;

/// The `nrta_*` functions the async path needs, copied out of the table. Present only when the
/// runtime exports all of them (runtime 2.29 and later, or the emulator).
#[derive(Clone, Copy)]
pub(crate) struct AsyncFns {
    write: WriteFn,
    read: ReadFn,
    execute: ExecFn,
    is_completed: unsafe extern "C" fn(nrta_seq_t, *mut bool) -> NRT_STATUS,
    completion_handle: unsafe extern "C" fn(nrta_seq_t, *mut c_int) -> NRT_STATUS,
    tracker_create: unsafe extern "C" fn(u32, *mut *mut nrta_error_tracker_t) -> NRT_STATUS,
    tracker_destroy: unsafe extern "C" fn(*mut nrta_error_tracker_t),
    tracker_list: unsafe extern "C" fn(
        *mut nrta_error_tracker_t,
        *mut *const nrta_error_t,
        *mut usize,
    ) -> NRT_STATUS,
}

impl AsyncFns {
    /// The functions, or the name of the first one the library lacks.
    pub(crate) fn load(api: &NrtApi) -> std::result::Result<AsyncFns, MissingSymbol> {
        Ok(AsyncFns {
            write: api.nrta_tensor_write.get()?,
            read: api.nrta_tensor_read.get()?,
            execute: api.nrta_execute_schedule.get()?,
            is_completed: api.nrta_is_completed.get()?,
            completion_handle: api.nrta_get_completion_handle.get()?,
            tracker_create: api.nrta_error_tracker_create.get()?,
            tracker_destroy: api.nrta_error_tracker_destroy.get()?,
            tracker_list: api.nrta_error_tracker_get_list.get()?,
        })
    }

    /// Whether request `seq` has completed (`Err` with the status for an unknown sequence).
    pub(crate) fn is_completed(&self, seq: u64) -> std::result::Result<bool, NRT_STATUS> {
        let mut done = false;
        // SAFETY: a valid out-pointer; any sequence value is accepted (unknown → NRT_INVALID).
        let status = unsafe { (self.is_completed)(seq, &mut done) };
        if status.is_success() {
            Ok(done)
        } else {
            Err(status)
        }
    }

    /// A pollable descriptor that becomes readable once `seq` completes; closed on drop.
    pub(crate) fn completion_handle(&self, seq: u64) -> std::result::Result<OwnedFd, NRT_STATUS> {
        let mut fd: c_int = -1;
        // SAFETY: a valid out-pointer.
        let status = unsafe { (self.completion_handle)(seq, &mut fd) };
        if !status.is_success() {
            return Err(status);
        }
        if fd < 0 {
            return Err(NRT_STATUS::NRT_FAILURE);
        }
        // SAFETY: the runtime returned a new descriptor that the caller owns and must close
        // (nrt_async.h); nothing else closes it. It is only polled and closed.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// An error tracker of one logical core. Not shared between threads without a lock (the owner
/// wraps it in a mutex): the runtime documents no thread safety for it.
pub(crate) struct Tracker {
    ptr: NonNull<nrta_error_tracker_t>,
    fns: AsyncFns,
}

// SAFETY: the tracker is runtime-owned memory with no thread affinity; neuron-rt uses it under a
// mutex (async_exec::slot::ModelAsync), so one thread at a time.
unsafe impl Send for Tracker {}

impl Tracker {
    pub(crate) fn create(
        fns: AsyncFns,
        lnc: u32,
        context: impl Fn() -> ErrorContext,
    ) -> Result<Tracker> {
        let mut ptr = ptr::null_mut();
        // SAFETY: a valid out-pointer.
        let status = unsafe { (fns.tracker_create)(lnc, &mut ptr) };
        check(status, "nrta_error_tracker_create", &context)?;
        let ptr =
            NonNull::new(ptr).ok_or_else(|| null_handle("nrta_error_tracker_create", context()))?;
        Ok(Tracker { ptr, fns })
    }

    /// Append the failures listed since the last call to `out` as (sequence, status).
    pub(crate) fn drain(&mut self, out: &mut Vec<(u64, u64)>) -> NRT_STATUS {
        let mut list: *const nrta_error_t = ptr::null();
        let mut count = 0usize;
        // SAFETY: live tracker, valid out-pointers.
        let status = unsafe { (self.fns.tracker_list)(self.ptr.as_ptr(), &mut list, &mut count) };
        if status.is_success() && !list.is_null() {
            // SAFETY: the runtime returned `count` records that stay valid until the next call on
            // this tracker (we hold it exclusively) or its destruction.
            let errors = unsafe { std::slice::from_raw_parts(list, count) };
            out.extend(errors.iter().map(|e| (e.seq_id, e.error_code)));
        }
        status
    }

    fn raw(&mut self) -> *mut nrta_error_tracker_t {
        self.ptr.as_ptr()
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        // SAFETY: created by nrta_error_tracker_create, destroyed once; no request in flight refers
        // to it (the model's async state waits for them before dropping the tracker).
        unsafe { (self.fns.tracker_destroy)(self.ptr.as_ptr()) }
    }
}

/// A model handle usable from the reactor thread.
#[derive(Clone, Copy)]
pub(crate) struct ModelPtr(NonNull<nrt_model_t>);

// SAFETY: see RawModel's Send/Sync (runtime-owned, no thread affinity); the pointer is used only
// while the model is loaded (module invariants).
unsafe impl Send for ModelPtr {}
// SAFETY: as above: shared use only schedules executions.
unsafe impl Sync for ModelPtr {}

impl ModelPtr {
    pub(crate) fn of(model: &RawModel<'_>) -> ModelPtr {
        ModelPtr(model.handle)
    }
}

// The Send/Sync impls above and below, pinned at compile time.
const _: () = {
    const fn send<T: Send>() {}
    const fn send_sync<T: Send + Sync>() {}
    send::<Tracker>();
    send_sync::<ModelPtr>();
    send_sync::<HostBuf>();
    send::<SlotBuffers>();
};

/// Host memory the device copies from or into while a request is in flight: a raw heap
/// allocation, never aliased by a Rust reference while the runtime may access it.
pub(crate) struct HostBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: plain heap memory owned by this value.
unsafe impl Send for HostBuf {}
// SAFETY: shared access only reads (through `as_slice`), and only when no request is in flight.
unsafe impl Sync for HostBuf {}

impl HostBuf {
    pub(crate) fn zeroed(len: usize) -> HostBuf {
        let boxed: Box<[u8]> = vec![0u8; len].into_boxed_slice();
        let raw = Box::into_raw(boxed);
        HostBuf {
            // SAFETY: Box::into_raw never returns null.
            ptr: unsafe { NonNull::new_unchecked(raw.cast::<u8>()) },
            len,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` initialised bytes owned by self; no request is in flight while a
        // reference exists (module invariants), so the runtime does not write them meanwhile.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` makes the reference unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for HostBuf {
    fn drop(&mut self) {
        let slice = ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
        // SAFETY: allocated by Box<[u8]> of this length in `zeroed`, freed once; no request is in
        // flight (module invariants).
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// A device tensor or tensor set handle owned by a slot. Unlike the binding's handles these do
/// not borrow the table: a slot lives in an `Arc` shared with the reactor thread, so it is freed
/// explicitly ([`SlotBuffers::free`]) by the model's async state while the device is open.
struct Handle<T>(NonNull<T>);

// SAFETY: runtime-owned memory with no thread affinity; a slot's handles are used by one thread
// at a time (the slot's state machine).
unsafe impl<T> Send for Handle<T> {}
// SAFETY: shared access only passes the pointer to the runtime, from the one thread that
// schedules the slot's next step (under the slot's lock).
unsafe impl<T> Sync for Handle<T> {}

/// One slot's device tensors, tensor sets and host staging buffers.
pub(crate) struct SlotBuffers {
    inputs: Vec<Handle<nrt_tensor_t>>,
    outputs: Vec<Handle<nrt_tensor_t>>,
    input_set: Option<Handle<nrt_tensor_set_t>>,
    output_set: Option<Handle<nrt_tensor_set_t>>,
    pub(crate) host_in: Vec<HostBuf>,
    pub(crate) host_out: Vec<HostBuf>,
}

impl SlotBuffers {
    /// Allocate device tensors on `vnc` for `inputs` and `outputs` (name, bytes), their sets and
    /// zeroed staging buffers; on failure everything made so far is freed.
    pub(crate) fn allocate(
        api: &NrtApi,
        vnc: i32,
        inputs: &[(&CStr, usize)],
        outputs: &[(&CStr, usize)],
    ) -> Result<SlotBuffers> {
        let mut made = SlotBuffers {
            inputs: Vec::with_capacity(inputs.len()),
            outputs: Vec::with_capacity(outputs.len()),
            input_set: None,
            output_set: None,
            host_in: inputs.iter().map(|&(_, n)| HostBuf::zeroed(n)).collect(),
            host_out: outputs.iter().map(|&(_, n)| HostBuf::zeroed(n)).collect(),
        };
        match made.fill(api, vnc, inputs, outputs) {
            Ok(()) => Ok(made),
            Err(e) => {
                made.free(api);
                Err(e)
            }
        }
    }

    fn fill(
        &mut self,
        api: &NrtApi,
        vnc: i32,
        inputs: &[(&CStr, usize)],
        outputs: &[(&CStr, usize)],
    ) -> Result<()> {
        for (list, set_slot, infos) in [
            (&mut self.inputs, &mut self.input_set, inputs),
            (&mut self.outputs, &mut self.output_set, outputs),
        ] {
            let mut set: *mut nrt_tensor_set_t = ptr::null_mut();
            // SAFETY: valid out-pointer.
            let status = unsafe { (api.nrt_allocate_tensor_set)(&mut set) };
            check(status, "nrt_allocate_tensor_set", ErrorContext::default)?;
            let set = NonNull::new(set)
                .ok_or_else(|| null_handle("nrt_allocate_tensor_set", ErrorContext::default()))?;
            *set_slot = Some(Handle(set));
            for &(name, size) in infos {
                let context = || ErrorContext {
                    tensor: Some(name.to_string_lossy().into_owned()),
                    ..Default::default()
                };
                let mut tensor: *mut nrt_tensor_t = ptr::null_mut();
                // SAFETY: NUL-terminated name, valid out-pointer.
                let status = unsafe {
                    (api.nrt_tensor_allocate)(
                        NRT_TENSOR_PLACEMENT_DEVICE,
                        vnc,
                        size,
                        name.as_ptr(),
                        &mut tensor,
                    )
                };
                check(status, "nrt_tensor_allocate", context)?;
                let tensor = NonNull::new(tensor)
                    .ok_or_else(|| null_handle("nrt_tensor_allocate", context()))?;
                list.push(Handle(tensor));
                // SAFETY: live set and tensor of this table; the name is copied by the runtime;
                // the tensor outlives the set (`free` destroys the sets first).
                let status = unsafe {
                    (api.nrt_add_tensor_to_tensor_set)(set.as_ptr(), name.as_ptr(), tensor.as_ptr())
                };
                check(status, "nrt_add_tensor_to_tensor_set", context)?;
            }
        }
        Ok(())
    }

    /// Free the handles (sets first: they refer to the tensors). No request may be in flight.
    pub(crate) fn free(mut self, api: &NrtApi) {
        for set in [self.input_set.take(), self.output_set.take()]
            .into_iter()
            .flatten()
        {
            let mut ptr = set.0.as_ptr();
            // SAFETY: from nrt_allocate_tensor_set of this table, destroyed once (taken).
            unsafe { (api.nrt_destroy_tensor_set)(&mut ptr) }
        }
        for tensor in self.inputs.drain(..).chain(self.outputs.drain(..)) {
            let mut ptr = tensor.0.as_ptr();
            // SAFETY: from nrt_tensor_allocate of this table, freed once (drained); no set
            // refers to it any more.
            unsafe { (api.nrt_tensor_free)(&mut ptr) }
        }
    }

    fn sets(
        &self,
    ) -> std::result::Result<(*mut nrt_tensor_set_t, *mut nrt_tensor_set_t), NRT_STATUS> {
        match (&self.input_set, &self.output_set) {
            (Some(i), Some(o)) => Ok((i.0.as_ptr(), o.0.as_ptr())),
            _ => Err(NRT_STATUS::NRT_INVALID_HANDLE),
        }
    }

    /// Queue the write of every input (host staging → device) on the write unit; the last
    /// request's sequence, or `None` when the model has no inputs. On failure: the input index
    /// and status.
    pub(crate) fn schedule_writes(
        &self,
        fns: &AsyncFns,
        tracker: &mut Tracker,
    ) -> std::result::Result<Option<(u64, u64)>, (usize, NRT_STATUS)> {
        let mut range: Option<(u64, u64)> = None;
        for (i, (tensor, host)) in self.inputs.iter().zip(&self.host_in).enumerate() {
            let mut seq = 0;
            let tensor = &tensor.0;
            // SAFETY: live tensor of this table; the host buffer stays allocated and untouched
            // until the request completes (it is owned by the in-flight slot); sizes match the
            // tensor (both from the model's tensor info).
            let status = unsafe {
                (fns.write)(
                    tensor.as_ptr(),
                    host.ptr.as_ptr().cast::<c_void>(),
                    0,
                    host.len as u64,
                    0,
                    tracker.raw(),
                    &mut seq,
                )
            };
            if !status.is_success() {
                return Err((i, status));
            }
            range = Some((range.map_or(seq, |r| r.0), seq));
        }
        Ok(range)
    }

    /// Queue the execution on the model's compute unit.
    pub(crate) fn schedule_execute(
        &self,
        fns: &AsyncFns,
        model: ModelPtr,
        tracker: &mut Tracker,
    ) -> std::result::Result<u64, NRT_STATUS> {
        let mut seq = 0;
        let (input_set, output_set) = self.sets()?;
        // SAFETY: the model is loaded (module invariants); the sets and their tensors belong to
        // this slot and stay alive and unused by anything else until completion.
        let status = unsafe {
            (fns.execute)(
                model.0.as_ptr(),
                input_set,
                output_set,
                0,
                tracker.raw(),
                &mut seq,
            )
        };
        if status.is_success() {
            Ok(seq)
        } else {
            Err(status)
        }
    }

    /// Queue the read of every output (device → host staging) on the read unit.
    pub(crate) fn schedule_reads(
        &self,
        fns: &AsyncFns,
        tracker: &mut Tracker,
    ) -> std::result::Result<Option<(u64, u64)>, (usize, NRT_STATUS)> {
        let mut range: Option<(u64, u64)> = None;
        for (i, (tensor, host)) in self.outputs.iter().zip(&self.host_out).enumerate() {
            let mut seq = 0;
            let tensor = &tensor.0;
            // SAFETY: as in schedule_writes; the runtime writes `len` bytes into the staging
            // buffer, which no Rust reference aliases until completion.
            let status = unsafe {
                (fns.read)(
                    host.ptr.as_ptr().cast::<c_void>(),
                    tensor.as_ptr(),
                    0,
                    host.len as u64,
                    0,
                    tracker.raw(),
                    &mut seq,
                )
            };
            if !status.is_success() {
                return Err((i, status));
            }
            range = Some((range.map_or(seq, |r| r.0), seq));
        }
        Ok(range)
    }

    /// The fallback path: write, execute and read with the blocking calls, on the calling thread.
    /// On failure: the call and its status.
    pub(crate) fn run_blocking(
        &self,
        api: &NrtApi,
        model: ModelPtr,
    ) -> std::result::Result<(), (&'static str, NRT_STATUS)> {
        for (tensor, host) in self.inputs.iter().zip(&self.host_in) {
            // SAFETY: live tensor of this table; the staging buffer is valid for reads of its
            // length (the tensor's size), and this thread owns the slot meanwhile.
            let status = unsafe {
                (api.nrt_tensor_write)(
                    tensor.0.as_ptr(),
                    host.ptr.as_ptr().cast::<c_void>(),
                    0,
                    host.len,
                )
            };
            if !status.is_success() {
                return Err(("nrt_tensor_write", status));
            }
        }
        let (input_set, output_set) = self.sets().map_err(|s| ("nrt_execute", s))?;
        // SAFETY: loaded model (module invariants); this slot's sets, used by this call only.
        let status = unsafe { (api.nrt_execute)(model.0.as_ptr(), input_set, output_set) };
        if !status.is_success() {
            return Err(("nrt_execute", status));
        }
        for (tensor, host) in self.outputs.iter().zip(&self.host_out) {
            // SAFETY: as above; the runtime writes `len` bytes into the staging buffer, which no
            // Rust reference aliases meanwhile.
            let status = unsafe {
                (api.nrt_tensor_read)(
                    tensor.0.as_ptr(),
                    host.ptr.as_ptr().cast::<c_void>(),
                    0,
                    host.len,
                )
            };
            if !status.is_success() {
                return Err(("nrt_tensor_read", status));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_buffers_are_zeroed_and_writable() {
        let mut buf = HostBuf::zeroed(16);
        assert_eq!(buf.len(), 16);
        assert!(buf.as_slice().iter().all(|&b| b == 0));
        buf.as_mut_slice()[3] = 7;
        assert_eq!(buf.as_slice()[3], 7);
        let empty = HostBuf::zeroed(0);
        assert!(empty.as_slice().is_empty());
    }
}
