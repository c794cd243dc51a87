/* Compiled (not run) by tests/headers_compile.rs: uses every name our headers declare, the way a
 * program written for the Neuron SDK would, and checks the documented layouts at compile time. */
#include <nrt/nrt.h>
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
    return (int)(sizeof values + sizeof functions) + (int)info.size + (int)info.ndim +
           (int)version.rt_major + (int)instance.family + (int)usage + (int)dtype +
           (int)placement + (int)framework + (set == NULL) + (model == NULL) + (tensor == NULL) +
           (array == NULL) + version.rt_detail[0] + version.git_hash[0] + info.name[0] +
           (info.shape == NULL);
}
