/* collectives.c: host-driven collectives, emulated for a world of one worker only. With
 * g_device_count = 1 the results are exact (a barrier returns at once, an all-gather copies the
 * input); more workers need a network between processes (EFA), which the emulator does not model:
 * those calls log an ERROR and fail (unsupported.c). */
#include "emu.h"

#include <string.h>

static NRT_STATUS check_world(int64_t vnc, uint32_t id, uint32_t count, const char *fn) {
    NRT_STATUS st = nrtemu_check_vnc(vnc, fn);
    if (st != NRT_SUCCESS) return st;
    if (count == 0 || id >= count) {
        LOG_ERROR(fn, "invalid worker %u of %u (expected g_device_id < g_device_count)", id, count);
        return NRT_INVALID;
    }
    if (count > 1)
        return nrtemu_unsupported(fn, "collectives across several workers need a network between "
                                      "processes (EFA); the emulator runs worlds of one worker "
                                      "(g_device_count = 1) only");
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_build_global_comm(int32_t vnc, uint32_t g_device_id,
                                            uint32_t g_device_count) {
    return check_world(vnc, g_device_id, g_device_count, "nrt_build_global_comm");
}

NRTEMU_API NRT_STATUS nrt_cc_global_comm_init(uint32_t vnc, uint32_t g_device_id,
                                              uint32_t g_device_count) {
    return check_world(vnc, g_device_id, g_device_count, "nrt_cc_global_comm_init");
}

NRTEMU_API NRT_STATUS nrt_barrier(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count) {
    return check_world(vnc, g_device_id, g_device_count, "nrt_barrier");
}

NRTEMU_API NRT_STATUS nrt_all_gather(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count,
                                     uint32_t rank_input_size, void *input, void *output) {
    static const char fn[] = "nrt_all_gather";
    if (rank_input_size > 0 && (input == NULL || output == NULL)) {
        LOG_ERROR(fn, "%s is NULL", input == NULL ? "input" : "output");
        return NRT_INVALID;
    }
    NRT_STATUS st = check_world(vnc, g_device_id, g_device_count, fn);
    if (st != NRT_SUCCESS) return st;
    if (rank_input_size > 0 && input != output) memmove(output, input, rank_input_size);
    return NRT_SUCCESS;
}
