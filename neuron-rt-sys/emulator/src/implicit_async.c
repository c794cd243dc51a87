/* implicit_async.c: the implicit async execution mode (NEURON_RT_ASYNC_EXEC_MAX_INFLIGHT_REQUESTS,
 * removed in runtime 2.34). The emulator executes synchronously: nrt_execute returns after
 * completion, so no execution is ever queued, and a status callback would never be called;
 * registering one is refused rather than silently ignored. */
#include "emu.h"

NRTEMU_API NRT_STATUS nrt_register_async_exec_callback(NRT_ASYNC_EXEC_STATUS_CALLBACK callback,
                                                       void *params) {
    static const char fn[] = "nrt_register_async_exec_callback";
    (void)params;
    if (callback == NULL) {
        LOG_ERROR(fn, "callback is NULL");
        return NRT_INVALID;
    }
    return nrtemu_unsupported(fn, "the implicit async execution mode is not emulated (and was "
                                  "removed in runtime 2.34): nrt_execute is synchronous, the "
                                  "callback would never be called");
}

NRTEMU_API NRT_STATUS nrt_async_drain_queued_execs(int32_t vnc) {
    /* nothing is ever queued: drained as soon as the core is known to be valid */
    return nrtemu_check_vnc(vnc, "nrt_async_drain_queued_execs");
}
