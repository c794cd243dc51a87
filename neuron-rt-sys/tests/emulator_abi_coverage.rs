//! ABI coverage through the function table: the table has an entry for every function our
//! headers declare, the built-in emulator fills all of them, and the new entry points behave as
//! documented when called through the table.
#![cfg(feature = "emulator")]

use neuron_rt_sys::*;
use std::collections::BTreeSet;
use std::ptr;

/// Function names bindgen generated from our headers (`src/declarations.rs`).
fn declared_functions() -> BTreeSet<String> {
    include_str!("../src/declarations.rs")
        .split("pub fn ")
        .skip(1)
        .map(|rest| rest.split('(').next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn the_table_covers_every_declared_function() {
    let declared = declared_functions();
    assert!(
        declared.len() >= 82,
        "nrt.h, nrt_experimental.h, nrt_profile.h, version, status"
    );
    let table: BTreeSet<String> = NrtApi::ENTRY_POINTS.iter().map(|s| s.to_string()).collect();
    let missing: Vec<_> = declared.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "declared but not in NrtApi: {missing:?}"
    );
    let extra: Vec<_> = table
        .difference(&declared)
        .filter(|n| *n != "nrt_emu_set_option")
        .collect();
    assert!(extra.is_empty(), "in NrtApi but not declared: {extra:?}");
}

#[test]
fn new_entry_points_work_through_the_emulator_table() {
    let api = NrtApi::emulator();
    let dir = std::env::temp_dir().join(format!("nrt-abi-cov-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let set = api.nrt_emu_set_option.get().unwrap();
    let lock_dir = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    // SAFETY: NUL-terminated strings alive for the calls; the runtime is initialised before use
    // and closed at the end; every handle below is used only while live.
    unsafe {
        assert_eq!(
            set(c"lock_dir".as_ptr(), lock_dir.as_ptr()),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            set(c"instance".as_ptr(), c"inf2.xlarge".as_ptr()),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            set(c"log_level".as_ptr(), c"QUIET".as_ptr()),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            (api.nrt_init)(NRT_FRAMEWORK_TYPE_NO_FW, c"".as_ptr(), c"".as_ptr()),
            NRT_STATUS::NRT_SUCCESS
        );
        let stats_fn = api.nrt_get_vnc_memory_stats.get().unwrap();
        let mut stats = nrt_vnc_memory_stats_t::default();
        let mut written = 0usize;
        let size = size_of::<nrt_vnc_memory_stats_t>();
        assert_eq!(
            stats_fn(0, &mut stats, size, &mut written),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!((stats.bytes_used, written), (0, size));
        assert_eq!(stats.bytes_limit, 32 << 30, "inf2: 32 GiB per chip");

        let mut t: *mut nrt_tensor_t = ptr::null_mut();
        assert_eq!(
            (api.nrt_tensor_allocate)(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, c"t".as_ptr(), &mut t),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            stats_fn(0, &mut stats, size, &mut written),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(stats.bytes_used, 64);

        // batched writes and reads
        let src: Vec<u8> = (0..16).collect();
        let mut dst = vec![0u8; 16];
        let wop = [nrt_tensor_batch_op_t {
            offset: 48,
            size: 16,
            buffer: src.as_ptr() as *mut _,
        }];
        let rop = [nrt_tensor_batch_op_t {
            offset: 48,
            size: 16,
            buffer: dst.as_mut_ptr().cast(),
        }];
        let wb = nrt_tensor_batch_t {
            tensor: t,
            ops: wop.as_ptr(),
            num_ops: 1,
        };
        let rb = nrt_tensor_batch_t {
            tensor: t,
            ops: rop.as_ptr(),
            num_ops: 1,
        };
        assert_eq!(
            api.nrt_tensor_write_batch.get().unwrap()(&wb, 1, false),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(
            api.nrt_tensor_read_batch.get().unwrap()(&rb, 1, false),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(dst, src);

        // device allocation info
        let mut info = nrt_tensor_device_allocation_info_t::default();
        assert_eq!(
            api.nrt_tensor_get_device_allocation_info.get().unwrap()(t, &mut info),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(info.size, 64);

        // a hardware-only call fails with a status, never silently
        let mut fd = 0;
        assert_eq!(
            api.nrt_get_dmabuf_fd.get().unwrap()(0, 64, &mut fd),
            NRT_STATUS::NRT_FAILURE
        );

        (api.nrt_tensor_free)(&mut t);
        assert_eq!(
            stats_fn(0, &mut stats, size, &mut written),
            NRT_STATUS::NRT_SUCCESS
        );
        assert_eq!(stats.bytes_used, 0);
        (api.nrt_close)();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
