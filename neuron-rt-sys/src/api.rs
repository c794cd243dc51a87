//! The function table: every libnrt entry point the SDK calls, filled either by loading the real
//! `libnrt.so.1` ([`NrtApi::load`]) or by the built-in emulator ([`NrtApi::emulator`]). The safe
//! crate calls through this one table whatever filled it.
//!
//! Required entry points are plain function pointers: a library without one of them fails to
//! load. Optional ones (added by newer runtimes, or not needed to run a model) are
//! [`OptionalFn`]s: their absence fails only the call that needs them, with a
//! [`MissingSymbol`] error that names the function.

use crate::bindings::*;
use std::ffi::{c_char, c_int, c_void};
use std::fmt;
use std::path::PathBuf;

/// An optional entry point: present in this library or not.
#[derive(Clone, Copy)]
pub struct OptionalFn<F> {
    f: Option<F>,
    name: &'static str,
}

impl<F: Copy> OptionalFn<F> {
    /// The function, or a [`MissingSymbol`] error naming it.
    #[inline]
    pub fn get(&self) -> Result<F, MissingSymbol> {
        self.f.ok_or(MissingSymbol { name: self.name })
    }

    /// Whether the library provides this entry point.
    #[inline]
    pub fn is_present(&self) -> bool {
        self.f.is_some()
    }

    /// The C symbol name (`"nrt_tensor_copy"`).
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<F> fmt::Debug for OptionalFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.f.is_some() {
            "present"
        } else {
            "missing"
        };
        write!(f, "{} ({state})", self.name)
    }
}

/// An optional libnrt function that the loaded library does not export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSymbol {
    /// The C symbol name.
    pub name: &'static str,
}

impl fmt::Display for MissingSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the loaded libnrt does not export `{}`: it is older than the runtime that added it; \
             upgrade aws-neuronx-runtime-lib to use this call",
            self.name
        )
    }
}

impl std::error::Error for MissingSymbol {}

/// Where the table's functions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiSource {
    /// The real runtime, loaded from this file.
    Library {
        /// The path (or bare file name for the system loader) that was opened.
        path: PathBuf,
        /// Which step of the search order found it.
        origin: crate::LibraryOrigin,
    },
    /// The emulator compiled into this crate.
    Emulator,
}

macro_rules! nrt_api {
    (
        required { $( $(#[$rdoc:meta])* fn $rname:ident( $($rarg:ident: $rty:ty),* $(,)? ) $(-> $rret:ty)?; )* }
        optional { $( $(#[$odoc:meta])* fn $oname:ident( $($oarg:ident: $oty:ty),* $(,)? ) $(-> $oret:ty)?; )* }
    ) => {
        /// Every libnrt entry point used by the SDK, as function pointers.
        ///
        /// Calling any of them is `unsafe`: the caller upholds the C API's contract (valid
        /// pointers, handles from this same table, no use after free). A loaded library stays
        /// mapped for the life of the process (see [`NrtApi::load`]), so the pointers stay
        /// callable after the table is dropped.
        pub struct NrtApi {
            $( $(#[$rdoc])* pub $rname: unsafe extern "C" fn($($rty),*) $(-> $rret)?, )*
            $( $(#[$odoc])* pub $oname: OptionalFn<unsafe extern "C" fn($($oty),*) $(-> $oret)?>, )*
            /// `nrt_emu_set_option`: present only in the emulator (see `emulator/include/nrt_emu.h`).
            pub nrt_emu_set_option: OptionalFn<unsafe extern "C" fn(*const c_char, *const c_char) -> NRT_STATUS>,
            /// `nrt_emu_set_reference_kernel`: present only in the emulator (see
            /// `emulator/include/nrt_emu.h` and [`crate::emu`]).
            pub nrt_emu_set_reference_kernel: OptionalFn<crate::emu::SetReferenceKernelFn>,
            source: ApiSource,
            version: RuntimeVersion,
        }

        /// Compile-time proof that the table's signatures are exactly the headers' (the
        /// declarations bindgen generated from them). Never instantiated, so it references no
        /// symbol at link time (generic so that it is never code-generated).
        #[allow(dead_code, clippy::extra_unused_type_parameters)]
        fn signatures_match_headers<T>() {
            $( let _: unsafe extern "C" fn($($rty),*) $(-> $rret)? = crate::declarations::$rname; )*
            $( let _: unsafe extern "C" fn($($oty),*) $(-> $oret)? = crate::declarations::$oname; )*
        }

        impl NrtApi {
            /// The functions a library must export to load (the rest are [`OptionalFn`]s).
            pub const REQUIRED_FUNCTIONS: &'static [&'static str] = &[$(stringify!($rname)),*];

            /// The C name of every entry point in the table: required ones, then optional ones,
            /// then `nrt_emu_set_option`. Every function our headers declare is here (tested).
            pub const ENTRY_POINTS: &'static [&'static str] = &[
                $( stringify!($rname), )*
                $( stringify!($oname), )*
                "nrt_emu_set_option",
            ];

            /// Resolve every symbol in `library`; the names of missing required ones on failure.
            fn resolve(library: &libloading::Library) -> Result<Resolved, Vec<&'static str>> {
                let mut missing = Vec::new();
                $(
                    // SAFETY: the symbol is looked up by its C name and given the exact signature
                    // declared in our headers (checked against them by `signatures_match_headers`).
                    let $rname = unsafe {
                        library.get::<unsafe extern "C" fn($($rty),*) $(-> $rret)?>(
                            concat!(stringify!($rname), "\0").as_bytes(),
                        )
                    }
                    .map(|symbol| *symbol)
                    .map_err(|_| missing.push(stringify!($rname)))
                    .ok();
                )*
                if !missing.is_empty() {
                    return Err(missing);
                }
                Ok(Resolved {
                    $( $rname: $rname.expect("checked above: no required symbol is missing"), )*
                    $(
                        $oname: OptionalFn {
                            // SAFETY: as above; absence is allowed for optional entry points.
                            f: unsafe {
                                library.get::<unsafe extern "C" fn($($oty),*) $(-> $oret)?>(
                                    concat!(stringify!($oname), "\0").as_bytes(),
                                )
                            }
                            .ok()
                            .map(|symbol| *symbol),
                            name: stringify!($oname),
                        },
                    )*
                    nrt_emu_set_option: OptionalFn {
                        f: None,
                        name: "nrt_emu_set_option",
                    },
                    nrt_emu_set_reference_kernel: OptionalFn {
                        f: None,
                        name: "nrt_emu_set_reference_kernel",
                    },
                })
            }

            fn from_resolved(r: Resolved, source: ApiSource) -> NrtApi {
                NrtApi {
                    $( $rname: r.$rname, )*
                    $( $oname: r.$oname, )*
                    nrt_emu_set_option: r.nrt_emu_set_option,
                    nrt_emu_set_reference_kernel: r.nrt_emu_set_reference_kernel,
                    source,
                    version: RuntimeVersion::default(),
                }
            }
        }

        struct Resolved {
            $( $rname: unsafe extern "C" fn($($rty),*) $(-> $rret)?, )*
            $( $oname: OptionalFn<unsafe extern "C" fn($($oty),*) $(-> $oret)?>, )*
            nrt_emu_set_option: OptionalFn<unsafe extern "C" fn(*const c_char, *const c_char) -> NRT_STATUS>,
            nrt_emu_set_reference_kernel: OptionalFn<crate::emu::SetReferenceKernelFn>,
        }

        #[cfg(feature = "emulator")]
        mod emulator_symbols {
            #[allow(unused_imports)]
            use super::*;
            // The emulator is compiled into this crate with every symbol prefixed, so it can
            // never clash with a real libnrt loaded into the same process.
            unsafe extern "C" {
                $(
                    #[link_name = concat!("neuron_rt_emu_", stringify!($rname))]
                    pub fn $rname($($rarg: $rty),*) $(-> $rret)?;
                )*
                $(
                    #[link_name = concat!("neuron_rt_emu_", stringify!($oname))]
                    pub fn $oname($($oarg: $oty),*) $(-> $oret)?;
                )*
                #[link_name = "neuron_rt_emu_nrt_emu_set_option"]
                pub fn nrt_emu_set_option(key: *const c_char, value: *const c_char) -> NRT_STATUS;
                #[link_name = "neuron_rt_emu_nrt_emu_set_reference_kernel"]
                pub fn nrt_emu_set_reference_kernel(
                    model_name: *const c_char,
                    kernel: crate::emu::nrt_emu_kernel_fn,
                    user_data: *mut c_void,
                ) -> NRT_STATUS;
            }
        }

        #[cfg(feature = "emulator")]
        impl NrtApi {
            fn emulator_table() -> NrtApi {
                let resolved = Resolved {
                    $( $rname: emulator_symbols::$rname, )*
                    $( $oname: OptionalFn { f: Some(emulator_symbols::$oname), name: stringify!($oname) }, )*
                    nrt_emu_set_option: OptionalFn {
                        f: Some(emulator_symbols::nrt_emu_set_option),
                        name: "nrt_emu_set_option",
                    },
                    nrt_emu_set_reference_kernel: OptionalFn {
                        f: Some(emulator_symbols::nrt_emu_set_reference_kernel),
                        name: "nrt_emu_set_reference_kernel",
                    },
                };
                NrtApi::from_resolved(resolved, ApiSource::Emulator)
            }
        }
    };
}

nrt_api! {
    required {
        /// `nrt_init`: start the runtime and reserve this process's NeuronCores.
        fn nrt_init(framework: nrt_framework_type_t, fw_version: *const c_char, fal_version: *const c_char) -> NRT_STATUS;
        /// `nrt_close`: stop the runtime and release the NeuronCores.
        fn nrt_close();
        /// `nrt_get_version`: runtime version (callable before init).
        fn nrt_get_version(ver: *mut nrt_version_t, size: usize) -> NRT_STATUS;
        /// `nrt_get_total_nc_count`: logical cores in the instance (deprecated name, present in every runtime).
        fn nrt_get_total_nc_count(vnc_count: *mut u32) -> NRT_STATUS;
        /// `nrt_get_visible_nc_count`: logical cores visible to this process (deprecated name).
        fn nrt_get_visible_nc_count(vnc_count: *mut u32) -> NRT_STATUS;
        /// `nrt_load`: load a NEFF onto NeuronCores.
        fn nrt_load(neff_bytes: *const c_void, size: usize, vnc: i32, vnc_count: i32, model: *mut *mut nrt_model_t) -> NRT_STATUS;
        /// `nrt_load_collectives`: load a NEFF containing collective operations.
        fn nrt_load_collectives(neff_bytes: *const c_void, size: usize, vnc: i32, vnc_count: i32, ctx_device_id: u32, ctx_device_count: u32, model: *mut *mut nrt_model_t) -> NRT_STATUS;
        /// `nrt_unload`: unload a model.
        fn nrt_unload(model: *mut nrt_model_t) -> NRT_STATUS;
        /// `nrt_get_model_nc_count`: cores a model occupies (deprecated name).
        fn nrt_get_model_nc_count(model: *const nrt_model_t, vnc_count: *mut u32) -> NRT_STATUS;
        /// `nrt_get_model_tensor_info`: a model's inputs and outputs.
        fn nrt_get_model_tensor_info(model: *mut nrt_model_t, tensor_info: *mut *mut nrt_tensor_info_array_t) -> NRT_STATUS;
        /// `nrt_free_model_tensor_info`: release what `nrt_get_model_tensor_info` returned.
        fn nrt_free_model_tensor_info(tensor_info: *mut nrt_tensor_info_array_t) -> NRT_STATUS;
        /// `nrt_allocate_tensor_set`.
        fn nrt_allocate_tensor_set(result: *mut *mut nrt_tensor_set_t) -> NRT_STATUS;
        /// `nrt_destroy_tensor_set`.
        fn nrt_destroy_tensor_set(tensor_set: *mut *mut nrt_tensor_set_t);
        /// `nrt_add_tensor_to_tensor_set`: add or replace by name.
        fn nrt_add_tensor_to_tensor_set(tensor_set: *mut nrt_tensor_set_t, tensor_name: *const c_char, tensor: *mut nrt_tensor_t) -> NRT_STATUS;
        /// `nrt_get_tensor_from_tensor_set`.
        fn nrt_get_tensor_from_tensor_set(tensor_set: *mut nrt_tensor_set_t, tensor_name: *const c_char, tensor: *mut *mut nrt_tensor_t) -> NRT_STATUS;
        /// `nrt_tensor_allocate`.
        fn nrt_tensor_allocate(tensor_placement: nrt_tensor_placement_t, vnc: c_int, size: usize, name: *const c_char, tensor: *mut *mut nrt_tensor_t) -> NRT_STATUS;
        /// `nrt_tensor_free`.
        fn nrt_tensor_free(tensor: *mut *mut nrt_tensor_t);
        /// `nrt_tensor_read`: device to host.
        fn nrt_tensor_read(tensor: *const nrt_tensor_t, buf: *mut c_void, offset: usize, size: usize) -> NRT_STATUS;
        /// `nrt_tensor_write`: host to device.
        fn nrt_tensor_write(tensor: *mut nrt_tensor_t, buf: *const c_void, offset: usize, size: usize) -> NRT_STATUS;
        /// `nrt_tensor_get_size`.
        fn nrt_tensor_get_size(tensor: *const nrt_tensor_t) -> usize;
        /// `nrt_execute`: run a model once.
        fn nrt_execute(model: *mut nrt_model_t, input_set: *const nrt_tensor_set_t, output_set: *mut nrt_tensor_set_t) -> NRT_STATUS;
    }
    optional {
        /// `nrt_get_status_as_str` (absent from some older runtimes).
        fn nrt_get_status_as_str(status: NRT_STATUS) -> *const c_char;
        /// `nrt_get_instance_info` (absent from the 2022 runtimes).
        fn nrt_get_instance_info(info: *mut nrt_instance_info_t, instance_info_len: usize) -> NRT_STATUS;
        /// `nrt_get_total_vnc_count` (current name).
        fn nrt_get_total_vnc_count(vnc_count: *mut u32) -> NRT_STATUS;
        /// `nrt_get_visible_vnc_count` (current name).
        fn nrt_get_visible_vnc_count(vnc_count: *mut u32) -> NRT_STATUS;
        /// `nrt_get_model_vnc_count` (current name).
        fn nrt_get_model_vnc_count(model: *const nrt_model_t, vnc_count: *mut u32) -> NRT_STATUS;
        /// `nrt_get_model_instance_count` (experimental, deprecated).
        fn nrt_get_model_instance_count(model: *mut nrt_model_t, instance_count: *mut u32) -> NRT_STATUS;
        /// `nrt_execute_repeat`.
        fn nrt_execute_repeat(model: *mut nrt_model_t, input_set: *const nrt_tensor_set_t, output_set: *mut nrt_tensor_set_t, repeat_count: c_int) -> NRT_STATUS;
        /// `nrt_tensor_copy`.
        fn nrt_tensor_copy(src: *const nrt_tensor_t, src_offset: usize, dst: *mut nrt_tensor_t, dst_offset: usize, size: usize) -> NRT_STATUS;
        /// `nrt_tensor_memset`.
        fn nrt_tensor_memset(tensor: *mut nrt_tensor_t, offset: u64, value: c_int, size: usize) -> NRT_STATUS;
        /// `nrt_tensor_allocate_empty`.
        fn nrt_tensor_allocate_empty(name: *const c_char, tensor: *mut *mut nrt_tensor_t) -> NRT_STATUS;
        /// `nrt_tensor_attach_buffer`.
        fn nrt_tensor_attach_buffer(tensor: *mut nrt_tensor_t, buffer: *mut c_void, size: usize) -> NRT_STATUS;
        /// `nrt_tensor_allocate_slice`.
        fn nrt_tensor_allocate_slice(tensor_source: *const nrt_tensor_t, offset: usize, size: usize, name: *const c_char, tensor_slice: *mut *mut nrt_tensor_t) -> NRT_STATUS;
        /// `nrt_tensor_get_va`.
        fn nrt_tensor_get_va(tensor: *const nrt_tensor_t) -> *mut c_void;
        /// `nrt_profile_start`.
        fn nrt_profile_start(model: *mut nrt_model_t, filename: *const c_char) -> NRT_STATUS;
        /// `nrt_profile_stop`.
        fn nrt_profile_stop(filename: *const c_char) -> NRT_STATUS;
        // The explicit async API (`nrt_async.h`, experimental): exported by runtime 2.29 and
        // later under the ELF symbol version NRT_3.0.0 (2.31.24.0 exports 8 `nrta_*` symbols);
        // absent from older runtimes, where neuron-rt's async API falls back to `nrt_execute` on
        // a thread. Runtime 2.32.31 added `nrta_event_register_seq_id_completion` and
        // `nrta_event_register_xu_completion` (register a caller's eventfd) next to
        // `nrta_get_completion_handle`; clients built for the NRT 3.0 line need those names.
        /// `nrta_tensor_write`: queue a host-to-device copy (runtime 2.29+).
        fn nrta_tensor_write(tensor: *mut nrt_tensor_t, buf: *const c_void, offset: u64, size: u64, queue: c_int, err: *mut nrta_error_tracker_t, req_sequence: *mut nrta_seq_t) -> NRT_STATUS;
        /// `nrta_tensor_read`: queue a device-to-host copy (runtime 2.29+).
        fn nrta_tensor_read(buf: *mut c_void, tensor: *mut nrt_tensor_t, offset: u64, size: u64, queue: c_int, err: *mut nrta_error_tracker_t, req_sequence: *mut nrta_seq_t) -> NRT_STATUS;
        /// `nrta_tensor_copy`: queue a device-to-device copy (runtime 2.29+).
        fn nrta_tensor_copy(src: *mut nrt_tensor_t, src_offset: u64, dst: *mut nrt_tensor_t, dst_offset: u64, size: u64, queue: c_int, err: *mut nrta_error_tracker_t, req_sequence: *mut nrta_seq_t) -> NRT_STATUS;
        /// `nrta_execute_schedule`: queue a model execution (runtime 2.29+).
        fn nrta_execute_schedule(model: *mut nrt_model_t, input: *const nrt_tensor_set_t, output: *mut nrt_tensor_set_t, queue: c_int, err: *mut nrta_error_tracker_t, req_sequence: *mut nrta_seq_t) -> NRT_STATUS;
        /// `nrta_cc_prepare`: prepare a collective operation (runtime 2.29+).
        fn nrta_cc_prepare(comm: *mut nrt_cc_comm_t, input: *mut nrt_tensor_list_t, output: *mut nrt_tensor_list_t, dtype: nrt_dtype_t, op: nrt_op_type_t, cc_op: nrt_cc_op_type_t, cc_ctx: *mut *mut nrt_cc_context_t) -> NRT_STATUS;
        /// `nrta_cc_schedule`: queue a prepared collective (runtime 2.29+).
        fn nrta_cc_schedule(cc_ctx: *mut *mut nrt_cc_context_t, queue: c_int, err: *mut nrta_error_tracker_t, req_sequence: *mut nrta_seq_t) -> NRT_STATUS;
        /// `nrta_is_completed`: whether a request has completed (runtime 2.29+).
        fn nrta_is_completed(seq: nrta_seq_t, is_completed: *mut bool) -> NRT_STATUS;
        /// `nrta_get_sequence`: last completed request of a unit (runtime 2.29+).
        fn nrta_get_sequence(lnc: u32, xu: nrta_xu_t, queue: c_int, seq: *mut nrta_seq_t) -> NRT_STATUS;
        /// `nrta_get_completion_handle`: a pollable fd readable on completion (runtime 2.29+;
        /// superseded by the `nrta_event_register_*` functions of 2.32.31).
        fn nrta_get_completion_handle(seq: nrta_seq_t, fd: *mut c_int) -> NRT_STATUS;
        /// `nrta_error_tracker_create` (runtime 2.29+).
        fn nrta_error_tracker_create(lnc_idx: u32, error_tracker: *mut *mut nrta_error_tracker_t) -> NRT_STATUS;
        /// `nrta_error_tracker_destroy` (runtime 2.29+).
        fn nrta_error_tracker_destroy(error_tracker: *mut nrta_error_tracker_t);
        /// `nrta_error_tracker_get_list` (runtime 2.29+).
        fn nrta_error_tracker_get_list(error_tracker: *mut nrta_error_tracker_t, list: *mut *const nrta_error_t, error_count: *mut usize) -> NRT_STATUS;

        // ---- The rest of nrt.h ----
        /// `nrt_build_global_comm`: build the global collectives communicator.
        fn nrt_build_global_comm(vnc: i32, g_device_id: u32, g_device_count: u32) -> NRT_STATUS;
        /// `nrt_tensor_read_batch`: many tensor-to-host transfers in one call. Runtime 2.34
        /// declares only the first two parameters; on x86-64 and aarch64 an extra argument is
        /// ignored by such a callee, so this table's signature works with both.
        fn nrt_tensor_read_batch(batches: *const nrt_tensor_batch_t, num_batches: u64, unsafe_: bool) -> NRT_STATUS;
        /// `nrt_tensor_write_batch`: many host-to-tensor transfers in one call (see
        /// `nrt_tensor_read_batch` about the third parameter).
        fn nrt_tensor_write_batch(batches: *const nrt_tensor_batch_t, num_batches: u64, unsafe_: bool) -> NRT_STATUS;
        /// `nrt_tensor_get_device_allocation_info`: where a device tensor lives.
        fn nrt_tensor_get_device_allocation_info(tensor: *const nrt_tensor_t, alloc_info: *mut nrt_tensor_device_allocation_info_t) -> NRT_STATUS;
        /// `nrt_get_vnc_memory_stats` (runtime 2.27+): device memory used by one logical core.
        fn nrt_get_vnc_memory_stats(vnc: u32, stats: *mut nrt_vnc_memory_stats_t, stats_size_in: usize, stats_size_out: *mut usize) -> NRT_STATUS;
        /// `nrt_get_hbm_mmap_va`: map a device's HBM region into the process.
        fn nrt_get_hbm_mmap_va(device_id: c_int, hbm_idx: c_int, addr: *mut *mut c_void, size: *mut usize) -> NRT_STATUS;
        /// `nrt_tensor_check_output_completion`: wait for an output tensor's completions.
        fn nrt_tensor_check_output_completion(output_tensor: *const nrt_tensor_t, timeout: i64, expected_completion_count: u64) -> NRT_STATUS;
        /// `nrt_tensor_reset_output_completion`: reset an output tensor's completion count.
        fn nrt_tensor_reset_output_completion(output_tensor: *mut nrt_tensor_t) -> NRT_STATUS;
        /// `nrt_host_device_id_get`: the host's id of a device seen in a container.
        fn nrt_host_device_id_get(neuron_dev: c_int, host_device_id: *mut u32) -> NRT_STATUS;
        /// `nrt_host_device_id_rid_map_get`: routing ids by host device id.
        fn nrt_host_device_id_rid_map_get(count: *mut u32, host_did_to_rid_map: *mut u32) -> NRT_STATUS;
        /// `nrt_get_dmabuf_fd`: dma-buf of a device memory region (EFA peer-direct).
        fn nrt_get_dmabuf_fd(va: u64, size: u64, fd: *mut c_int) -> NRT_STATUS;
        /// `nrt_get_attached_efa_bdf`: PCI BDF of the EFA device next to a device allocation.
        fn nrt_get_attached_efa_bdf(va: *const c_void, efa_bdf: *mut c_char, len: *mut usize) -> NRT_STATUS;
        /// `nrt_cc_global_comm_init`: communicator for host-driven collectives.
        fn nrt_cc_global_comm_init(vnc: u32, g_device_id: u32, g_device_count: u32) -> NRT_STATUS;

        // ---- The rest of nrt_experimental.h ----
        /// `nrt_get_model_info` (experimental): the model's first core.
        fn nrt_get_model_info(model: *const nrt_model_t, info: *mut nrt_model_info_t, info_size_in: usize, info_size_out: *mut usize) -> NRT_STATUS;
        /// `nrt_trace_start` (experimental).
        fn nrt_trace_start(trace_mem: bool) -> NRT_STATUS;
        /// `nrt_trace_stop` (experimental).
        fn nrt_trace_stop(filename: *const c_char) -> NRT_STATUS;
        /// `nrt_register_async_exec_callback` (experimental; implicit async mode, removed in 2.34).
        fn nrt_register_async_exec_callback(callback: NRT_ASYNC_EXEC_STATUS_CALLBACK, params: *mut c_void) -> NRT_STATUS;
        /// `nrt_async_drain_queued_execs` (experimental).
        fn nrt_async_drain_queued_execs(vnc: i32) -> NRT_STATUS;
        /// `nrt_get_libnccl_net` (experimental).
        fn nrt_get_libnccl_net(err: *mut c_int, err_msg: *mut c_char, err_msg_size: usize) -> *mut c_void;
        /// `nrt_set_pool_eng_ucode` (experimental; before `nrt_init`).
        fn nrt_set_pool_eng_ucode(ucode_info: *const nrt_ucode_info) -> NRT_STATUS;
        /// `nrt_memcpy_to_device` (experimental): copy into mapped HBM.
        fn nrt_memcpy_to_device(dest: *mut c_void, src: *const c_void, size: usize) -> NRT_STATUS;
        /// `nrt_barrier` (experimental).
        fn nrt_barrier(vnc: i32, g_device_id: u32, g_device_count: u32) -> NRT_STATUS;
        /// `nrt_all_gather` (experimental).
        fn nrt_all_gather(vnc: i32, g_device_id: u32, g_device_count: u32, rank_input_size: u32, input: *mut c_void, output: *mut c_void) -> NRT_STATUS;

        // ---- The rest of nrt_profile.h ----
        /// `nrt_profile_continuous_options_allocate`.
        fn nrt_profile_continuous_options_allocate(options: *mut *mut nrt_profile_continuous_options_t) -> NRT_STATUS;
        /// `nrt_profile_continuous_options_free`.
        fn nrt_profile_continuous_options_free(options: *mut nrt_profile_continuous_options_t) -> NRT_STATUS;
        /// `nrt_profile_continuous_options_set_output_dir`.
        fn nrt_profile_continuous_options_set_output_dir(options: *mut nrt_profile_continuous_options_t, output_dir: *const c_char) -> NRT_STATUS;
        /// `nrt_profile_continuous_start`.
        fn nrt_profile_continuous_start(options: *mut nrt_profile_continuous_options_t) -> NRT_STATUS;
        /// `nrt_profile_continuous_save`.
        fn nrt_profile_continuous_save(vnc: u32, options: *mut nrt_profile_continuous_options_t) -> NRT_STATUS;
        /// `nrt_profile_continuous_stop`.
        fn nrt_profile_continuous_stop() -> NRT_STATUS;
        /// `nrt_inspect_begin`: whole-process profiles configured by `NEURON_RT_INSPECT_*`.
        fn nrt_inspect_begin() -> NRT_STATUS;
        /// `nrt_inspect_stop`.
        fn nrt_inspect_stop() -> NRT_STATUS;
        /// `nrt_inspect_config_allocate`.
        fn nrt_inspect_config_allocate(options: *mut *mut nrt_inspect_config_t) -> NRT_STATUS;
        /// `nrt_inspect_config_set_defaults`.
        fn nrt_inspect_config_set_defaults(options: *mut nrt_inspect_config_t) -> NRT_STATUS;
        /// `nrt_inspect_config_free`.
        fn nrt_inspect_config_free(options: *mut nrt_inspect_config_t) -> NRT_STATUS;
        /// `nrt_inspect_config_set_session_id`.
        fn nrt_inspect_config_set_session_id(options: *mut nrt_inspect_config_t, session_id: c_int) -> NRT_STATUS;
        /// `nrt_inspect_config_set_output_dir`.
        fn nrt_inspect_config_set_output_dir(options: *mut nrt_inspect_config_t, output_dir: *const c_char) -> NRT_STATUS;
        /// `nrt_inspect_config_set_sys_trace_max_events_per_nc`.
        fn nrt_inspect_config_set_sys_trace_max_events_per_nc(options: *mut nrt_inspect_config_t, sys_trace_max_events_per_nc: u64) -> NRT_STATUS;
        /// `nrt_inspect_config_set_capture_enabled_for_nc`.
        fn nrt_inspect_config_set_capture_enabled_for_nc(options: *mut nrt_inspect_config_t, nc_idx: u32, enabled: bool) -> NRT_STATUS;
        /// `nrt_inspect_config_set_capture_enabled_for_event_type_string`.
        fn nrt_inspect_config_set_capture_enabled_for_event_type_string(options: *mut nrt_inspect_config_t, event_type: *const c_char, enabled: bool) -> NRT_STATUS;
        /// `nrt_inspect_config_set_enable_inspect`.
        fn nrt_inspect_config_set_enable_inspect(options: *mut nrt_inspect_config_t, enable_inspect: bool) -> NRT_STATUS;
        /// `nrt_inspect_config_set_enable_inspect_on_fail`.
        fn nrt_inspect_config_set_enable_inspect_on_fail(options: *mut nrt_inspect_config_t, enable_inspect_on_fail: bool) -> NRT_STATUS;
        /// `nrt_inspect_begin_with_options`.
        fn nrt_inspect_begin_with_options(options: *mut nrt_inspect_config_t) -> NRT_STATUS;
        /// `nrt_inspect_config_get_all_activity_types`.
        fn nrt_inspect_config_get_all_activity_types(activity_types: *mut *mut *const c_char, count: *mut usize) -> NRT_STATUS;
        /// `nrt_inspect_config_get_enabled_activity_types`.
        fn nrt_inspect_config_get_enabled_activity_types(options: *mut nrt_inspect_config_t, activity_types: *mut *mut *const c_char, count: *mut usize) -> NRT_STATUS;
        /// `nrt_inspect_config_free_activity_types`.
        fn nrt_inspect_config_free_activity_types(activity_types: *mut *const c_char, count: usize);
        /// `nrt_inspect_config_set_activity`.
        fn nrt_inspect_config_set_activity(options: *mut nrt_inspect_config_t, activity_type: *const c_char, enabled: bool) -> NRT_STATUS;
    }
}

/// The runtime's version, read with `nrt_get_version` right after the table is filled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeVersion {
    /// `rt_major`.
    pub major: u64,
    /// `rt_minor`.
    pub minor: u64,
    /// `rt_patch`.
    pub patch: u64,
    /// `rt_maintenance`.
    pub maintenance: u64,
    /// `rt_detail`: the runtime's description (on the emulator it says so).
    pub detail: String,
    /// `git_hash`.
    pub git_hash: String,
}

impl fmt::Display for RuntimeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.major, self.minor, self.patch, self.maintenance
        )?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

impl NrtApi {
    /// The table over `library`, which is never unloaded (it comes from the process-wide
    /// registry of [`crate::loader`]), so the function pointers never dangle.
    pub(crate) fn from_library(
        library: &'static libloading::Library,
        source: ApiSource,
    ) -> Result<NrtApi, Vec<&'static str>> {
        let resolved = Self::resolve(library)?;
        Ok(Self::from_resolved(resolved, source))
    }

    /// The table filled by the emulator compiled into this crate.
    ///
    /// Every call returns a table over the same process-wide emulator state: the runtime is one
    /// per process, as with the real library.
    ///
    /// ```
    /// let api = neuron_rt_sys::NrtApi::emulator();
    /// assert!(api.version().detail.contains("emulator"));
    /// ```
    #[cfg(feature = "emulator")]
    pub fn emulator() -> NrtApi {
        let mut api = Self::emulator_table();
        // The emulator always answers nrt_get_version.
        api.version = api.query_version().unwrap_or_default();
        api
    }

    /// Read the version with `nrt_get_version` (callable before `nrt_init`).
    pub(crate) fn query_version(&self) -> Result<RuntimeVersion, NRT_STATUS> {
        let mut raw = nrt_version_t {
            rt_major: 0,
            rt_minor: 0,
            rt_patch: 0,
            rt_maintenance: 0,
            rt_detail: [0; RT_VERSION_DETAIL_LEN as usize],
            git_hash: [0; GIT_HASH_LEN as usize],
        };
        // SAFETY: `raw` is a valid, writable nrt_version_t and we pass its exact size, so the
        // runtime writes within it.
        let status = unsafe { (self.nrt_get_version)(&mut raw, size_of::<nrt_version_t>()) };
        if !status.is_success() {
            return Err(status);
        }
        Ok(RuntimeVersion {
            major: raw.rt_major,
            minor: raw.rt_minor,
            patch: raw.rt_patch,
            maintenance: raw.rt_maintenance,
            detail: c_chars_to_string(&raw.rt_detail),
            git_hash: c_chars_to_string(&raw.git_hash),
        })
    }

    /// Read the version again with `nrt_get_version`.
    ///
    /// The version is read when the table is filled; the emulator's `rt_detail` names the
    /// instance it emulates, which is known only once its options are set, so call this after
    /// `nrt_init` to describe the runtime as initialised. On failure the previous version is kept
    /// and the status is returned.
    pub fn refresh_version(&mut self) -> Result<(), NRT_STATUS> {
        self.version = self.query_version()?;
        Ok(())
    }

    pub(crate) fn set_version(&mut self, version: RuntimeVersion) {
        self.version = version;
    }

    /// The runtime version read when the table was filled.
    pub fn version(&self) -> &RuntimeVersion {
        &self.version
    }

    /// Where the functions come from.
    pub fn source(&self) -> &ApiSource {
        &self.source
    }

    /// Whether this table is the built-in emulator.
    pub fn is_emulator(&self) -> bool {
        matches!(self.source, ApiSource::Emulator)
    }
}

impl fmt::Debug for NrtApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NrtApi")
            .field("source", &self.source)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A fixed-size C string field as a `String`: up to the first NUL (or the whole field when there
/// is none), invalid UTF-8 replaced.
pub fn c_chars_to_string(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
