//! The bindings' layouts and values against the documented ABI (shared/reference/nrt-abi.md §3,
//! §4). bindgen's own layout checks only compare Rust with our header; these compare both with
//! the runtime's documented numbers, so a mistake in the header fails here.

use neuron_rt_sys::*;
use std::mem::{align_of, offset_of, size_of};

#[test]
fn nrt_tensor_info_layout() {
    assert_eq!(size_of::<nrt_tensor_info_t>(), 296);
    assert_eq!(align_of::<nrt_tensor_info_t>(), 8);
    assert_eq!(offset_of!(nrt_tensor_info_t, name), 0);
    assert_eq!(offset_of!(nrt_tensor_info_t, usage), 256);
    assert_eq!(offset_of!(nrt_tensor_info_t, size), 264);
    assert_eq!(offset_of!(nrt_tensor_info_t, dtype), 272);
    assert_eq!(offset_of!(nrt_tensor_info_t, shape), 280);
    assert_eq!(offset_of!(nrt_tensor_info_t, ndim), 288);
    assert_eq!(NRT_TENSOR_NAME_MAX, 256);
}

#[test]
fn nrt_tensor_info_array_layout() {
    assert_eq!(offset_of!(nrt_tensor_info_array_t, tensor_count), 0);
    assert_eq!(offset_of!(nrt_tensor_info_array_t, tensor_array), 8);
    assert_eq!(size_of::<nrt_tensor_info_array_t>(), 8);
    assert_eq!(align_of::<nrt_tensor_info_array_t>(), 8);
}

#[test]
fn nrt_version_layout() {
    assert_eq!(size_of::<nrt_version_t>(), 224);
    assert_eq!(align_of::<nrt_version_t>(), 8);
    assert_eq!(offset_of!(nrt_version_t, rt_major), 0);
    assert_eq!(offset_of!(nrt_version_t, rt_minor), 8);
    assert_eq!(offset_of!(nrt_version_t, rt_patch), 16);
    assert_eq!(offset_of!(nrt_version_t, rt_maintenance), 24);
    assert_eq!(offset_of!(nrt_version_t, rt_detail), 32);
    assert_eq!(offset_of!(nrt_version_t, git_hash), 160);
    assert_eq!((RT_VERSION_DETAIL_LEN, GIT_HASH_LEN), (128, 64));
}

#[test]
fn nrt_instance_info_layout() {
    assert_eq!(size_of::<nrt_instance_info_t>(), 32);
    assert_eq!(align_of::<nrt_instance_info_t>(), 4);
    assert_eq!(offset_of!(nrt_instance_info_t, family), 0);
    assert_eq!(offset_of!(nrt_instance_info_t, size), 4);
    assert_eq!(offset_of!(nrt_instance_info_t, arch_name), 8);
    assert_eq!(offset_of!(nrt_instance_info_t, device_revision), 24);
}

#[test]
fn enums_are_four_byte_unsigned() {
    assert_eq!(size_of::<NRT_STATUS>(), 4);
    assert_eq!(size_of::<nrt_dtype_t>(), 4);
    assert_eq!(size_of::<nrt_tensor_placement_t>(), 4);
    assert_eq!(size_of::<nrt_framework_type_t>(), 4);
    assert_eq!(size_of::<nrt_tensor_usage_t>(), 4);
}

#[test]
fn placement_framework_usage_values() {
    assert_eq!(
        [
            NRT_TENSOR_PLACEMENT_DEVICE,
            NRT_TENSOR_PLACEMENT_HOST,
            NRT_TENSOR_PLACEMENT_VIRTUAL
        ],
        [0, 1, 2]
    );
    assert_eq!(
        [
            NRT_FRAMEWORK_TYPE_INVALID,
            NRT_FRAMEWORK_TYPE_NO_FW,
            NRT_FRAMEWORK_TYPE_TENSORFLOW,
            NRT_FRAMEWORK_TYPE_PYTORCH,
            NRT_FRAMEWORK_TYPE_MXNET,
            NRT_FRAMEWORK_TYPE_PRECHECK
        ],
        [0, 1, 2, 3, 4, 5]
    );
    assert_eq!([NRT_TENSOR_USAGE_INPUT, NRT_TENSOR_USAGE_OUTPUT], [0, 1]);
    assert_eq!((NRT_MAJOR_VERSION, NRT_MINOR_VERSION), (2, 0));
}

#[test]
fn dtype_values_are_the_current_hardware_codes() {
    let expected = [
        (NRT_DTYPE_UNKNOWN, 0x0),
        (NRT_DTYPE_INVALID, 0x0),
        (NRT_DTYPE_UINT64, 0x1),
        (NRT_DTYPE_INT8, 0x2),
        (NRT_DTYPE_UINT8, 0x3),
        (NRT_DTYPE_INT16, 0x4),
        (NRT_DTYPE_UINT16, 0x5),
        (NRT_DTYPE_BFLOAT16, 0x6),
        (NRT_DTYPE_FLOAT16, 0x7),
        (NRT_DTYPE_INT32, 0x8),
        (NRT_DTYPE_UINT32, 0x9),
        (NRT_DTYPE_FLOAT32, 0xA),
        (NRT_DTYPE_FP32R, 0xB),
        (NRT_DTYPE_INT64, 0xC),
        (NRT_DTYPE_FP8_E3, 0xD),
        (NRT_DTYPE_FP8_E4, 0xE),
        (NRT_DTYPE_FP8_E5, 0xF),
    ];
    for (got, want) in expected {
        assert_eq!(got, want);
    }
}

#[test]
fn instance_family_and_size_values() {
    let families = [
        NRT_INSTANCE_UNKNOWN,
        NRT_INSTANCE_INF1,
        NRT_INSTANCE_TRN1,
        NRT_INSTANCE_TRN1N,
        NRT_INSTANCE_INF2,
        NRT_INSTANCE_TRN2,
        NRT_INSTANCE_TRN2N,
        NRT_INSTANCE_INF2E,
        NRT_INSTANCE_TRN2P,
        NRT_INSTANCE_TRN2U,
        NRT_INSTANCE_TRN2E,
        NRT_INSTANCE_TRN2EU,
        NRT_INSTANCE_TRN2AC,
        NRT_INSTANCE_TRN2UAC,
        NRT_INSTANCE_TRN3,
        NRT_INSTANCE_TRN3PDS98,
    ];
    assert_eq!(families.to_vec(), (0..16).collect::<Vec<u32>>());
    let sizes = [
        NRT_INSTANCE_SIZE_1XL,
        NRT_INSTANCE_SIZE_2XL,
        NRT_INSTANCE_SIZE_4XL,
        NRT_INSTANCE_SIZE_6XL,
        NRT_INSTANCE_SIZE_8XL,
        NRT_INSTANCE_SIZE_24XL,
        NRT_INSTANCE_SIZE_32XL,
        NRT_INSTANCE_SIZE_48XL,
        NRT_INSTANCE_SIZE_3XL,
        NRT_INSTANCE_SIZE_UNKNOWN,
    ];
    assert_eq!(sizes.to_vec(), (0..10).collect::<Vec<u32>>());
    assert_eq!(NRT_INSTANCE_SIZE_NUM, NRT_INSTANCE_SIZE_UNKNOWN);
}

#[test]
fn batch_allocation_and_stats_layouts() {
    assert_eq!(size_of::<nrt_tensor_batch_op_t>(), 24);
    assert_eq!(offset_of!(nrt_tensor_batch_op_t, offset), 0);
    assert_eq!(offset_of!(nrt_tensor_batch_op_t, size), 8);
    assert_eq!(offset_of!(nrt_tensor_batch_op_t, buffer), 16);
    assert_eq!(size_of::<nrt_tensor_batch_t>(), 24);
    assert_eq!(offset_of!(nrt_tensor_batch_t, tensor), 0);
    assert_eq!(offset_of!(nrt_tensor_batch_t, ops), 8);
    assert_eq!(offset_of!(nrt_tensor_batch_t, num_ops), 16);
    assert_eq!(size_of::<nrt_tensor_device_allocation_info_t>(), 24);
    assert_eq!(offset_of!(nrt_tensor_device_allocation_info_t, size), 8);
    assert_eq!(
        offset_of!(nrt_tensor_device_allocation_info_t, hbm_index),
        16
    );
    assert_eq!(size_of::<nrt_vnc_memory_stats_t>(), 16);
    assert_eq!(offset_of!(nrt_vnc_memory_stats_t, bytes_limit), 8);
    assert_eq!(size_of::<nrt_model_info_t>(), 4);
    assert_eq!(size_of::<nrt_cc_comm_t>(), 32);
    assert_eq!(size_of::<nrt_ucode_info>(), 32);
}

#[test]
fn collective_op_values() {
    assert_eq!(
        [
            NRT_OP_ADD,
            NRT_OP_FMA,
            NRT_OP_MAX,
            NRT_OP_MIN,
            NRT_OP_INVALID
        ],
        [0, 1, 2, 3, 0xF]
    );
    assert_eq!(
        [NRT_CC_ALLGATHER, NRT_CC_ALLREDUCE, NRT_CC_REDUCESCATTER],
        [0, 1, 2]
    );
}

#[test]
fn async_types_layout() {
    // nrt_async.h (runtime 2.29): the error record is 16 bytes by the header's own assertion.
    assert_eq!(size_of::<nrta_error_t>(), 16);
    assert_eq!(align_of::<nrta_error_t>(), 8);
    assert_eq!(offset_of!(nrta_error_t, seq_id), 0);
    assert_eq!(offset_of!(nrta_error_t, error_code), 8);
    assert_eq!(size_of::<nrta_seq_t>(), 8);
    assert_eq!(size_of::<nrta_xu_id_t>(), 2);
    assert_eq!(size_of::<nrta_xu_t>(), 4);
}

#[test]
fn async_values() {
    assert_eq!(
        [
            NRTA_XU_TENSOR_READ,
            NRTA_XU_TENSOR_WRITE,
            NRTA_XU_TENSOR_OP,
            NRTA_XU_COMPUTE,
            NRTA_XU_COLLECTIVES,
            NRTA_XU_TYPE_NUM
        ],
        [0, 1, 2, 3, 4, 5]
    );
    assert_eq!(NRTA_SEQ_NUM_MAX, (1u64 << 48) - 1);
    assert_eq!(NRTA_SEQ_NUM_MASK, NRTA_SEQ_NUM_MAX);
    // The sequence-id helpers agree with the header's macros (also checked in C by
    // tests/c/uses_every_name.c).
    let seq: nrta_seq_t = 0x0003_0000_0000_0007;
    assert_eq!(seq_xu_id(seq), 3);
    assert_eq!(seq_num(seq), 7);
    assert_eq!(make_seq(3, 7), seq);
    assert_eq!(seq_num(u64::MAX), NRTA_SEQ_NUM_MAX);
    assert_eq!(seq_xu_id(u64::MAX), u16::MAX);
}
