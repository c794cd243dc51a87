/* unsupported.c: the calls that need Neuron hardware the emulator does not model: EFA and dma-buf
 * (peer-direct networking), HBM mapped into the process, pooling-engine microcode and the
 * collectives network plugin. Each checks its pointer arguments like the runtime would (NULL ->
 * NRT_INVALID), then logs an ERROR naming the function and returns NRT_FAILURE: NRT_STATUS has no
 * "unsupported" code, and NRT_FAILURE is its non-specific failure (README "Choices"). The one
 * exception is nrt_get_hbm_mmap_va, whose header documents NRT_INVALID for "the interface is not
 * supported". */
#include "emu.h"

#include <stdio.h>
#include <string.h>

NRT_STATUS nrtemu_unsupported(const char *fn, const char *why) {
    LOG_ERROR(fn, "%s is not supported by the neuron-rt emulator: %s", fn, why);
    return NRT_FAILURE;
}

NRTEMU_API NRT_STATUS nrt_get_dmabuf_fd(uint64_t va, uint64_t size, int *fd) {
    static const char fn[] = "nrt_get_dmabuf_fd";
    (void)va;
    (void)size;
    if (fd == NULL) {
        LOG_ERROR(fn, "fd is NULL");
        return NRT_INVALID;
    }
    *fd = -1;
    return nrtemu_unsupported(fn, "emulated device memory is host memory, never registered for "
                                  "EFA peer-direct, so it has no dma-buf");
}

NRTEMU_API NRT_STATUS nrt_get_attached_efa_bdf(const void *va, char *efa_bdf, size_t *len) {
    static const char fn[] = "nrt_get_attached_efa_bdf";
    if (va == NULL || efa_bdf == NULL || len == NULL) {
        LOG_ERROR(fn, "%s is NULL", va == NULL ? "va" : (efa_bdf == NULL ? "efa_bdf" : "len"));
        return NRT_INVALID;
    }
    return nrtemu_unsupported(fn, "an emulated instance has no EFA devices");
}

NRTEMU_API NRT_STATUS nrt_get_hbm_mmap_va(int device_id, int hbm_idx, void **addr, size_t *size) {
    static const char fn[] = "nrt_get_hbm_mmap_va";
    if (addr == NULL || size == NULL) {
        LOG_ERROR(fn, "%s is NULL", addr == NULL ? "addr" : "size");
        return NRT_INVALID;
    }
    *addr = NULL;
    *size = 0;
    LOG_ERROR(fn, "%s is not supported by the neuron-rt emulator: device %d HBM %d cannot be "
                  "mapped (emulated device memory has no HBM regions)", fn, device_id, hbm_idx);
    return NRT_INVALID; /* the header's status for an unsupported interface */
}

NRTEMU_API NRT_STATUS nrt_memcpy_to_device(void *dest, const void *src, size_t size) {
    static const char fn[] = "nrt_memcpy_to_device";
    (void)size;
    if (dest == NULL || src == NULL) {
        LOG_ERROR(fn, "%s is NULL", dest == NULL ? "dest" : "src");
        return NRT_INVALID;
    }
    return nrtemu_unsupported(fn, "it copies into HBM mapped with nrt_get_hbm_mmap_va, which the "
                                  "emulator cannot map; use nrt_tensor_write");
}

NRTEMU_API NRT_STATUS nrt_set_pool_eng_ucode(const nrt_ucode_info *ucode_info) {
    static const char fn[] = "nrt_set_pool_eng_ucode";
    if (ucode_info == NULL) {
        LOG_ERROR(fn, "ucode_info is NULL");
        return NRT_INVALID;
    }
    return nrtemu_unsupported(fn, "there is no pooling engine to load microcode into");
}

NRTEMU_API void *nrt_get_libnccl_net(int *err, char *err_msg, size_t err_msg_size) {
    static const char fn[] = "nrt_get_libnccl_net";
    static const char msg[] = "the neuron-rt emulator has no collectives network plugin";
    nrtemu_unsupported(fn, "multi-worker collectives are not emulated");
    if (err != NULL) *err = 1;
    if (err_msg != NULL && err_msg_size > 0) snprintf(err_msg, err_msg_size, "%s", msg);
    return NULL;
}
