/*
 * nrt_version.h: runtime version query.
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "nrt/nrt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_VERSION_DETAIL_LEN 128
#define GIT_HASH_LEN 64

/* 224 bytes on LP64. */
typedef struct nrt_version {
    uint64_t rt_major;
    uint64_t rt_minor;
    uint64_t rt_patch;
    uint64_t rt_maintenance;
    char rt_detail[RT_VERSION_DETAIL_LEN]; /* NUL-terminated description */
    char git_hash[GIT_HASH_LEN];           /* NUL-terminated build hash */
} nrt_version_t;

/* Fill at most `size` bytes of *ver (pass sizeof(nrt_version_t)). Callable before nrt_init. */
NRT_STATUS nrt_get_version(nrt_version_t *ver, size_t size);

#ifdef __cplusplus
}
#endif
