/*
 * nrt_experimental.h: model introspection, tracing, implicit-async and collective helpers
 * (declared experimental by the runtime: subject to change).
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NRT_TENSOR_NAME_MAX 256

typedef enum nrt_tensor_usage {
    NRT_TENSOR_USAGE_INPUT = 0,
    NRT_TENSOR_USAGE_OUTPUT = 1,
} nrt_tensor_usage_t;

/* One input or output of a loaded model. 296 bytes on LP64. */
typedef struct nrt_tensor_info {
    char name[NRT_TENSOR_NAME_MAX]; /* NUL-terminated NEFF tensor name */
    nrt_tensor_usage_t usage;       /* input or output */
    size_t size;                    /* bytes */
    nrt_dtype_t dtype;              /* element type */
    uint32_t *shape;                /* ndim dimensions, owned by the array */
    uint32_t ndim;
} nrt_tensor_info_t;

/* tensor_count entries follow the count (inputs and outputs mixed: check usage). */
typedef struct nrt_tensor_info_array {
    uint64_t tensor_count;
    nrt_tensor_info_t tensor_array[];
} nrt_tensor_info_array_t;

/* Allocate and fill *tensor_info; release it with nrt_free_model_tensor_info only. */
NRT_STATUS nrt_get_model_tensor_info(nrt_model_t *model, nrt_tensor_info_array_t **tensor_info);

/* How many threads can usefully call nrt_execute on the model at once (>= 1). Deprecated. */
NRT_STATUS nrt_get_model_instance_count(nrt_model_t *model, uint32_t *instance_count);

/* Release an array returned by nrt_get_model_tensor_info. Call once per array. */
NRT_STATUS nrt_free_model_tensor_info(nrt_tensor_info_array_t *tensor_info);

/* Information about a loaded model. Append-only: pass sizeof, read *info_size_out. */
typedef struct nrt_model_info {
    uint32_t vnc; /* first core of the model, relative to the visible cores */
} nrt_model_info_t;

NRT_STATUS nrt_get_model_info(const nrt_model_t *model, nrt_model_info_t *info,
                              size_t info_size_in, size_t *info_size_out);

/* Start tracing every visible core (trace_mem: also memory allocations). */
NRT_STATUS nrt_trace_start(bool trace_mem);

/* Stop tracing and write the trace to filename. */
NRT_STATUS nrt_trace_stop(const char *filename);

/* Status callback of the implicit async execution mode (removed in runtime 2.34). */
typedef void (*NRT_ASYNC_EXEC_STATUS_CALLBACK)(void *params, uint32_t model_id, uint32_t vnc,
                                               uint64_t job_id, NRT_STATUS status);

/* Register (or replace) the callback that receives async execution statuses. */
NRT_STATUS nrt_register_async_exec_callback(NRT_ASYNC_EXEC_STATUS_CALLBACK callback, void *params);

/* Block until every execution queued on core vnc by the async worker has finished. */
NRT_STATUS nrt_async_drain_queued_execs(int32_t vnc);

/* The network plugin used by collectives (NULL with *err set on failure). */
void *nrt_get_libnccl_net(int *err, char *err_msg, size_t err_msg_size);

/* A microcode image, and the pooling engine's pair of them. */
typedef struct nrt_ucode_img {
    uint8_t *bin;
    size_t size;
} nrt_ucode_img;

typedef struct nrt_ucode_info {
    nrt_ucode_img iram;
    nrt_ucode_img dram;
} nrt_ucode_info;

/* Pooling engine microcode for nrt_init to load; call before nrt_init. */
NRT_STATUS nrt_set_pool_eng_ucode(const nrt_ucode_info *ucode_info);

/* Copy size bytes into device memory mapped into this process (nrt_get_hbm_mmap_va). */
NRT_STATUS nrt_memcpy_to_device(void *dest, const void *src, size_t size);

/* A barrier across g_device_count workers (a small all-reduce). */
NRT_STATUS nrt_barrier(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count);

/* All-gather rank_input_size bytes from every worker into output (g_device_count times as
 * large), ordered by worker id. */
NRT_STATUS nrt_all_gather(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count,
                          uint32_t rank_input_size, void *input, void *output);

#ifdef __cplusplus
}
#endif
