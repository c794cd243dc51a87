/* Compiled (not run) by tests/headers_compile.rs: uses every name our headers declare, the way a
 * program written for the Neuron SDK would, and checks the documented layouts at compile time. */
#include <nrt/nrt.h>
#include <nrt/nrt_async.h>
#include <nrt/nrt_experimental.h>
#include <nrt/nrt_profile.h>
#include <nrt/nrt_status.h>
#include <nrt/nrt_version.h>
#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
#define STATIC_ASSERT static_assert
#else
#define STATIC_ASSERT _Static_assert
#endif

typedef void (*any_fn)(void);

STATIC_ASSERT(sizeof(nrt_tensor_info_t) == 296, "nrt_tensor_info_t size");
STATIC_ASSERT(offsetof(nrt_tensor_info_t, usage) == 256, "usage offset");
STATIC_ASSERT(offsetof(nrt_tensor_info_t, size) == 264, "size offset");
STATIC_ASSERT(offsetof(nrt_tensor_info_t, dtype) == 272, "dtype offset");
STATIC_ASSERT(offsetof(nrt_tensor_info_t, shape) == 280, "shape offset");
STATIC_ASSERT(offsetof(nrt_tensor_info_t, ndim) == 288, "ndim offset");
STATIC_ASSERT(offsetof(nrt_tensor_info_array_t, tensor_array) == 8, "tensor_array offset");
STATIC_ASSERT(sizeof(nrt_version_t) == 224, "nrt_version_t size");
STATIC_ASSERT(offsetof(nrt_version_t, git_hash) == 160, "git_hash offset");
STATIC_ASSERT(sizeof(nrt_instance_info_t) == 32, "nrt_instance_info_t size");
STATIC_ASSERT(offsetof(nrt_instance_info_t, device_revision) == 24, "device_revision offset");
STATIC_ASSERT(sizeof(NRT_STATUS) == 4, "NRT_STATUS size");
STATIC_ASSERT(sizeof(nrta_error_t) == 16, "nrta_error_t size");
STATIC_ASSERT(offsetof(nrta_error_t, error_code) == 8, "error_code offset");
STATIC_ASSERT(sizeof(nrta_seq_t) == 8 && sizeof(nrta_xu_id_t) == 2, "sequence id sizes");
STATIC_ASSERT(sizeof(nrta_xu_t) == 4, "nrta_xu_t size");
STATIC_ASSERT(NRTA_SEQ_NUM_MAX == 0xFFFFFFFFFFFFull, "NRTA_SEQ_NUM_MAX");
STATIC_ASSERT(NRTA_SEQ_NUM_MASK == NRTA_SEQ_NUM_MAX, "NRTA_SEQ_NUM_MASK");
STATIC_ASSERT(NRTA_SEQ_GET_XU_ID(0x0003000000000007ull) == 3, "NRTA_SEQ_GET_XU_ID");
STATIC_ASSERT(NRTA_SEQ_GET_SEQ_NUM(0x0003000000000007ull) == 7, "NRTA_SEQ_GET_SEQ_NUM");

/* Every async function with its exact signature (a mismatch is a compile error). */
static NRT_STATUS (*const nrta_signatures_write)(nrt_tensor_t *, const void *, uint64_t, uint64_t,
                                                  int, nrta_error_tracker_t *, nrta_seq_t *) =
    nrta_tensor_write;
static NRT_STATUS (*const nrta_signatures_read)(void *, nrt_tensor_t *, uint64_t, uint64_t, int,
                                                 nrta_error_tracker_t *, nrta_seq_t *) =
    nrta_tensor_read;
static NRT_STATUS (*const nrta_signatures_copy)(nrt_tensor_t *, uint64_t, nrt_tensor_t *, uint64_t,
                                                 uint64_t, int, nrta_error_tracker_t *,
                                                 nrta_seq_t *) = nrta_tensor_copy;
static NRT_STATUS (*const nrta_signatures_exec)(nrt_model_t *, const nrt_tensor_set_t *,
                                                 nrt_tensor_set_t *, int, nrta_error_tracker_t *,
                                                 nrta_seq_t *) = nrta_execute_schedule;
static NRT_STATUS (*const nrta_signatures_cc_prepare)(nrt_cc_comm_t *, nrt_tensor_list_t *,
                                                       nrt_tensor_list_t *, nrt_dtype_t,
                                                       nrt_op_type_t, nrt_cc_op_type_t,
                                                       nrt_cc_context_t **) = nrta_cc_prepare;
static NRT_STATUS (*const nrta_signatures_cc_schedule)(nrt_cc_context_t **, int,
                                                        nrta_error_tracker_t *, nrta_seq_t *) =
    nrta_cc_schedule;
static NRT_STATUS (*const nrta_signatures_done)(nrta_seq_t, bool *) = nrta_is_completed;
static NRT_STATUS (*const nrta_signatures_seq)(uint32_t, nrta_xu_t, int, nrta_seq_t *) =
    nrta_get_sequence;
static NRT_STATUS (*const nrta_signatures_handle)(nrta_seq_t, int *) = nrta_get_completion_handle;
static NRT_STATUS (*const nrta_signatures_tr_create)(uint32_t, nrta_error_tracker_t **) =
    nrta_error_tracker_create;
static void (*const nrta_signatures_tr_destroy)(nrta_error_tracker_t *) =
    nrta_error_tracker_destroy;
static NRT_STATUS (*const nrta_signatures_tr_list)(nrta_error_tracker_t *, const nrta_error_t **,
                                                    size_t *) = nrta_error_tracker_get_list;
STATIC_ASSERT(sizeof(nrt_tensor_batch_op_t) == 24, "nrt_tensor_batch_op_t size");
STATIC_ASSERT(offsetof(nrt_tensor_batch_op_t, buffer) == 16, "batch op buffer offset");
STATIC_ASSERT(sizeof(nrt_tensor_batch_t) == 24, "nrt_tensor_batch_t size");
STATIC_ASSERT(offsetof(nrt_tensor_batch_t, num_ops) == 16, "batch num_ops offset");
STATIC_ASSERT(sizeof(nrt_tensor_device_allocation_info_t) == 24, "allocation info size");
STATIC_ASSERT(offsetof(nrt_tensor_device_allocation_info_t, hbm_index) == 16, "hbm_index offset");
STATIC_ASSERT(sizeof(nrt_vnc_memory_stats_t) == 16, "nrt_vnc_memory_stats_t size");
STATIC_ASSERT(sizeof(nrt_model_info_t) == 4, "nrt_model_info_t size");
STATIC_ASSERT(sizeof(nrt_cc_comm_t) == 32, "nrt_cc_comm_t size");
STATIC_ASSERT(sizeof(nrt_tensor_list_t) == 16, "nrt_tensor_list_t size");
STATIC_ASSERT(sizeof(nrt_ucode_info) == 32, "nrt_ucode_info size");

int uses_every_name(void);
int uses_every_name(void) {
    static const int values[] = {
        NRT_SUCCESS, NRT_FAILURE, NRT_INVALID, NRT_INVALID_HANDLE, NRT_RESOURCE, NRT_TIMEOUT,
        NRT_HW_ERROR, NRT_QUEUE_FULL, NRT_LOAD_NOT_ENOUGH_NC, NRT_UNSUPPORTED_NEFF_VERSION,
        NRT_FAIL_HOST_MEM_ALLOC, NRT_UNINITIALIZED, NRT_CLOSED, NRT_QUEUE_EMPTY,
        NRT_EXEC_UNIT_UNRECOVERABLE, NRT_EXEC_BAD_INPUT, NRT_EXEC_COMPLETED_WITH_NUM_ERR,
        NRT_EXEC_COMPLETED_WITH_ERR, NRT_EXEC_NC_BUSY, NRT_EXEC_OOB, NRT_COLL_PENDING,
        NRT_EXEC_HW_ERR_COLLECTIVES, NRT_EXEC_HW_ERR_HBM_UE, NRT_EXEC_HW_ERR_NC_UE,
        NRT_EXEC_HW_ERR_DMA_ABORT, NRT_EXEC_SW_NQ_OVERFLOW, NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE,
        NRT_NETWORK_PROXY_FAILURE,
        NRT_TENSOR_PLACEMENT_DEVICE, NRT_TENSOR_PLACEMENT_HOST, NRT_TENSOR_PLACEMENT_VIRTUAL,
        NRT_FRAMEWORK_TYPE_INVALID, NRT_FRAMEWORK_TYPE_NO_FW, NRT_FRAMEWORK_TYPE_TENSORFLOW,
        NRT_FRAMEWORK_TYPE_PYTORCH, NRT_FRAMEWORK_TYPE_MXNET, NRT_FRAMEWORK_TYPE_PRECHECK,
        NRT_INSTANCE_UNKNOWN, NRT_INSTANCE_INF1, NRT_INSTANCE_TRN1, NRT_INSTANCE_TRN1N,
        NRT_INSTANCE_INF2, NRT_INSTANCE_TRN2, NRT_INSTANCE_TRN2N, NRT_INSTANCE_INF2E,
        NRT_INSTANCE_TRN2P, NRT_INSTANCE_TRN2U, NRT_INSTANCE_TRN2E, NRT_INSTANCE_TRN2EU,
        NRT_INSTANCE_TRN2AC, NRT_INSTANCE_TRN2UAC, NRT_INSTANCE_TRN3, NRT_INSTANCE_TRN3PDS98,
        NRT_INSTANCE_SIZE_1XL, NRT_INSTANCE_SIZE_2XL, NRT_INSTANCE_SIZE_4XL, NRT_INSTANCE_SIZE_6XL,
        NRT_INSTANCE_SIZE_8XL, NRT_INSTANCE_SIZE_24XL, NRT_INSTANCE_SIZE_32XL,
        NRT_INSTANCE_SIZE_48XL, NRT_INSTANCE_SIZE_3XL, NRT_INSTANCE_SIZE_UNKNOWN,
        NRT_INSTANCE_SIZE_NUM,
        NRT_DTYPE_UNKNOWN, NRT_DTYPE_INVALID, NRT_DTYPE_UINT64, NRT_DTYPE_INT8, NRT_DTYPE_UINT8,
        NRT_DTYPE_INT16, NRT_DTYPE_UINT16, NRT_DTYPE_BFLOAT16, NRT_DTYPE_FLOAT16, NRT_DTYPE_INT32,
        NRT_DTYPE_UINT32, NRT_DTYPE_FLOAT32, NRT_DTYPE_FP32R, NRT_DTYPE_INT64, NRT_DTYPE_FP8_E3,
        NRT_DTYPE_FP8_E4, NRT_DTYPE_FP8_E5,
        NRT_TENSOR_USAGE_INPUT, NRT_TENSOR_USAGE_OUTPUT,
        NRT_OP_ADD, NRT_OP_FMA, NRT_OP_MAX, NRT_OP_MIN, NRT_OP_INVALID,
        NRT_CC_ALLGATHER, NRT_CC_ALLREDUCE, NRT_CC_REDUCESCATTER,
        NRT_MAJOR_VERSION, NRT_MINOR_VERSION, NRT_TENSOR_NAME_MAX, RT_VERSION_DETAIL_LEN,
        GIT_HASH_LEN,
        NRTA_XU_TENSOR_READ, NRTA_XU_TENSOR_WRITE, NRTA_XU_TENSOR_OP, NRTA_XU_COMPUTE,
        NRTA_XU_COLLECTIVES, NRTA_XU_TYPE_NUM,
    };
    static const any_fn functions[] = {
        (any_fn)nrt_get_status_as_str, (any_fn)nrt_get_instance_info,
        (any_fn)nrt_init, (any_fn)nrt_close, (any_fn)nrt_get_version,
        (any_fn)nrt_get_total_nc_count, (any_fn)nrt_get_total_vnc_count,
        (any_fn)nrt_get_visible_nc_count, (any_fn)nrt_get_visible_vnc_count,
        (any_fn)nrt_load, (any_fn)nrt_load_collectives, (any_fn)nrt_unload,
        (any_fn)nrt_get_model_nc_count, (any_fn)nrt_get_model_vnc_count,
        (any_fn)nrt_get_model_tensor_info, (any_fn)nrt_get_model_instance_count,
        (any_fn)nrt_free_model_tensor_info, (any_fn)nrt_allocate_tensor_set,
        (any_fn)nrt_destroy_tensor_set, (any_fn)nrt_add_tensor_to_tensor_set,
        (any_fn)nrt_get_tensor_from_tensor_set, (any_fn)nrt_execute,
        (any_fn)nrt_execute_repeat, (any_fn)nrt_tensor_allocate,
        (any_fn)nrt_tensor_free, (any_fn)nrt_tensor_read, (any_fn)nrt_tensor_write,
        (any_fn)nrt_tensor_copy, (any_fn)nrt_tensor_get_size,
        (any_fn)nrt_tensor_memset, (any_fn)nrt_tensor_allocate_empty,
        (any_fn)nrt_tensor_attach_buffer, (any_fn)nrt_tensor_allocate_slice,
        (any_fn)nrt_tensor_get_va, (any_fn)nrt_profile_start,
        (any_fn)nrt_profile_stop,
        (any_fn)nrt_build_global_comm,
        (any_fn)nrt_cc_global_comm_init,
        (any_fn)nrt_get_attached_efa_bdf,
        (any_fn)nrt_get_dmabuf_fd,
        (any_fn)nrt_get_hbm_mmap_va,
        (any_fn)nrt_get_vnc_memory_stats,
        (any_fn)nrt_host_device_id_get,
        (any_fn)nrt_host_device_id_rid_map_get,
        (any_fn)nrt_tensor_check_output_completion,
        (any_fn)nrt_tensor_get_device_allocation_info,
        (any_fn)nrt_tensor_read_batch,
        (any_fn)nrt_tensor_reset_output_completion,
        (any_fn)nrt_tensor_write_batch,
        (any_fn)nrt_all_gather,
        (any_fn)nrt_async_drain_queued_execs,
        (any_fn)nrt_barrier,
        (any_fn)nrt_get_libnccl_net,
        (any_fn)nrt_get_model_info,
        (any_fn)nrt_memcpy_to_device,
        (any_fn)nrt_register_async_exec_callback,
        (any_fn)nrt_set_pool_eng_ucode,
        (any_fn)nrt_trace_start,
        (any_fn)nrt_trace_stop,
        (any_fn)nrt_profile_continuous_options_allocate,
        (any_fn)nrt_profile_continuous_options_free,
        (any_fn)nrt_profile_continuous_options_set_output_dir,
        (any_fn)nrt_profile_continuous_start,
        (any_fn)nrt_profile_continuous_save,
        (any_fn)nrt_profile_continuous_stop,
        (any_fn)nrt_inspect_begin,
        (any_fn)nrt_inspect_stop,
        (any_fn)nrt_inspect_config_allocate,
        (any_fn)nrt_inspect_config_set_defaults,
        (any_fn)nrt_inspect_config_free,
        (any_fn)nrt_inspect_config_set_session_id,
        (any_fn)nrt_inspect_config_set_output_dir,
        (any_fn)nrt_inspect_config_set_sys_trace_max_events_per_nc,
        (any_fn)nrt_inspect_config_set_capture_enabled_for_nc,
        (any_fn)nrt_inspect_config_set_capture_enabled_for_event_type_string,
        (any_fn)nrt_inspect_config_set_enable_inspect,
        (any_fn)nrt_inspect_config_set_enable_inspect_on_fail,
        (any_fn)nrt_inspect_begin_with_options,
        (any_fn)nrt_inspect_config_get_all_activity_types,
        (any_fn)nrt_inspect_config_get_enabled_activity_types,
        (any_fn)nrt_inspect_config_free_activity_types,
        (any_fn)nrt_inspect_config_set_activity,
        (any_fn)nrta_signatures_write, (any_fn)nrta_signatures_read,
        (any_fn)nrta_signatures_copy, (any_fn)nrta_signatures_exec,
        (any_fn)nrta_signatures_cc_prepare, (any_fn)nrta_signatures_cc_schedule,
        (any_fn)nrta_signatures_done, (any_fn)nrta_signatures_seq,
        (any_fn)nrta_signatures_handle, (any_fn)nrta_signatures_tr_create,
        (any_fn)nrta_signatures_tr_destroy, (any_fn)nrta_signatures_tr_list,
    };
    nrt_tensor_info_t info;
    nrt_version_t version;
    nrt_instance_info_t instance;
    memset(&info, 0, sizeof info);
    memset(&version, 0, sizeof version);
    memset(&instance, 0, sizeof instance);
    nrt_tensor_usage_t usage = info.usage;
    nrt_dtype_t dtype = info.dtype;
    nrt_tensor_placement_t placement = NRT_TENSOR_PLACEMENT_DEVICE;
    nrt_framework_type_t framework = NRT_FRAMEWORK_TYPE_NO_FW;
    nrt_tensor_set_t *set = NULL;
    nrt_model_t *model = NULL;
    nrt_tensor_t *tensor = NULL;
    nrt_tensor_info_array_t *array = NULL;
    nrt_cc_context_t *cc = NULL;
    nrt_op_type_t op = NRT_OP_ADD;
    nrt_cc_op_type_t cc_op = NRT_CC_ALLREDUCE;
    nrt_profile_continuous_options_t *continuous = NULL;
    nrt_inspect_config_t *inspect = NULL;
    NRT_ASYNC_EXEC_STATUS_CALLBACK callback = NULL;
    nrt_tensor_batch_offset_t batch_offset = 0;
    nrt_tensor_batch_size_t batch_size = 0;
    nrta_error_t error;
    memset(&error, 0, sizeof error);
    nrta_xu_t xu = NRTA_XU_COMPUTE;
    nrta_xu_id_t xu_id = (nrta_xu_id_t)NRTA_SEQ_GET_XU_ID(error.seq_id);
    nrta_error_tracker_t *tracker = NULL;
    return (int)(sizeof values + sizeof functions) + (int)info.size + (int)info.ndim +
           (int)version.rt_major + (int)instance.family + (int)usage + (int)dtype +
           (int)placement + (int)framework + (set == NULL) + (model == NULL) + (tensor == NULL) +
           (array == NULL) + (cc == NULL) + (int)op + (int)cc_op + (continuous == NULL) +
           (inspect == NULL) + (callback == NULL) + (int)batch_offset + (int)batch_size + version.rt_detail[0] + version.git_hash[0] + info.name[0] +
           (info.shape == NULL) + (int)error.error_code + (int)xu + (int)xu_id +
           (tracker == NULL);
}
