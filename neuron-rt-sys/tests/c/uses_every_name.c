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
STATIC_ASSERT(sizeof(nrta_xu_t) == 4 && sizeof(nrt_op_type_t) == 4, "enum sizes");
STATIC_ASSERT(sizeof(nrt_cc_op_type_t) == 4, "nrt_cc_op_type_t size");
STATIC_ASSERT(sizeof(nrt_cc_comm_t) == 32, "nrt_cc_comm_t size");
STATIC_ASSERT(offsetof(nrt_cc_comm_t, rank) == 8, "rank offset");
STATIC_ASSERT(offsetof(nrt_cc_comm_t, vnc) == 24, "vnc offset");
STATIC_ASSERT(sizeof(nrt_tensor_list_t) == 16, "nrt_tensor_list_t size");
STATIC_ASSERT(offsetof(nrt_tensor_list_t, num_tensors) == 8, "num_tensors offset");
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
        NRT_MAJOR_VERSION, NRT_MINOR_VERSION, NRT_TENSOR_NAME_MAX, RT_VERSION_DETAIL_LEN,
        GIT_HASH_LEN,
        NRT_OP_ADD, NRT_OP_FMA, NRT_OP_MAX, NRT_OP_MIN, NRT_OP_INVALID,
        NRT_CC_ALLGATHER, NRT_CC_ALLREDUCE, NRT_CC_REDUCESCATTER,
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
        (any_fn)nrta_signatures_write, (any_fn)nrta_signatures_read,
        (any_fn)nrta_signatures_copy, (any_fn)nrta_signatures_exec,
        (any_fn)nrta_signatures_cc_prepare, (any_fn)nrta_signatures_cc_schedule,
        (any_fn)nrta_signatures_done, (any_fn)nrta_signatures_seq,
        (any_fn)nrta_signatures_handle, (any_fn)nrta_signatures_tr_create,
        (any_fn)nrta_signatures_tr_destroy, (any_fn)nrta_signatures_tr_list,
    };
    nrta_error_t error;
    nrt_cc_comm_t comm;
    nrt_tensor_list_t list;
    memset(&error, 0, sizeof error);
    memset(&comm, 0, sizeof comm);
    memset(&list, 0, sizeof list);
    nrta_xu_t xu = NRTA_XU_COMPUTE;
    nrta_xu_id_t xu_id = (nrta_xu_id_t)NRTA_SEQ_GET_XU_ID(error.seq_id);
    nrta_error_tracker_t *tracker = NULL;
    nrt_cc_context_t *cc = NULL;
    nrt_op_type_t op = NRT_OP_ADD;
    nrt_cc_op_type_t cc_op = NRT_CC_ALLGATHER;
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
    return (int)(sizeof values + sizeof functions) + (int)info.size + (int)info.ndim +
           (int)version.rt_major + (int)instance.family + (int)usage + (int)dtype +
           (int)placement + (int)framework + (set == NULL) + (model == NULL) + (tensor == NULL) +
           (array == NULL) + version.rt_detail[0] + version.git_hash[0] + info.name[0] +
           (info.shape == NULL) + (int)error.error_code + (int)comm.rank + (int)list.num_tensors +
           (int)xu + (int)xu_id + (tracker == NULL) + (cc == NULL) + (int)op + (int)cc_op +
           (comm.replica_group == NULL) + (list.tensors == NULL);
}
