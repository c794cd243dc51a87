/*
 * nrt_experimental.h: model tensor introspection (declared experimental by the runtime).
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0).
 */
#pragma once

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

#ifdef __cplusplus
}
#endif
