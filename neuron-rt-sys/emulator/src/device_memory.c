/* device_memory.c: device-memory introspection.
 *
 * nrt_get_vnc_memory_stats: bytes_used is what the emulator has charged to the core (its device
 * tensors and the constants of models whose first core it is); bytes_limit is the device memory
 * of the core's chip, which the emulator manages as one pool shared by the chip's cores (README
 * "Choices"): a core can use up to that much while its neighbours use nothing.
 * nrt_tensor_get_device_allocation_info: emulated device memory has no device address space; the
 * reported physical_address is the storage's host address (unique while the tensor lives), the
 * size is the storage's, hbm_index is 0. */
#include "emu.h"

#include <string.h>

NRTEMU_API NRT_STATUS nrt_get_vnc_memory_stats(uint32_t vnc, nrt_vnc_memory_stats_t *stats,
                                               size_t stats_size_in, size_t *stats_size_out) {
    static const char fn[] = "nrt_get_vnc_memory_stats";
    if (stats == NULL || stats_size_out == NULL) {
        LOG_ERROR(fn, "%s is NULL", stats == NULL ? "stats" : "stats_size_out");
        return NRT_INVALID;
    }
    NRT_STATUS st = nrtemu_check_vnc(vnc, fn);
    if (st != NRT_SUCCESS) return st;
    nrt_vnc_memory_stats_t full;
    memset(&full, 0, sizeof full);
    pthread_rwlock_rdlock(&nrtemu_rt.lock);
    pthread_mutex_lock(&nrtemu_rt.mem_mu);
    full.bytes_used = (size_t)nrtemu_rt.core_used[vnc];
    full.bytes_limit = (size_t)nrtemu_rt.topo.mem_per_chip;
    pthread_mutex_unlock(&nrtemu_rt.mem_mu);
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    size_t n = stats_size_in < sizeof full ? stats_size_in : sizeof full;
    memcpy(stats, &full, n);
    *stats_size_out = n;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_get_device_allocation_info(
    const nrt_tensor_t *tensor, nrt_tensor_device_allocation_info_t *alloc_info) {
    static const char fn[] = "nrt_tensor_get_device_allocation_info";
    NRT_STATUS st = nrtemu_tensor_check(tensor, fn, "the");
    if (st != NRT_SUCCESS) return st;
    if (alloc_info == NULL) {
        LOG_ERROR(fn, "alloc_info is NULL");
        return NRT_INVALID;
    }
    if (tensor->placement != NRT_TENSOR_PLACEMENT_DEVICE || tensor->st == NULL) {
        LOG_ERROR(fn, "tensor '%s' is not in device memory (placement %d)",
                  tensor->name ? tensor->name : "(unnamed)", tensor->placement);
        return NRT_INVALID;
    }
    memset(alloc_info, 0, sizeof *alloc_info);
    alloc_info->physical_address = (uint64_t)(uintptr_t)nrtemu_tensor_data(tensor);
    alloc_info->size = tensor->st->size;
    alloc_info->hbm_index = 0;
    return NRT_SUCCESS;
}
