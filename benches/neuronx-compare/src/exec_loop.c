/* exec_loop.c: `iters` calls of the linked nrt_execute, timed with clock_gettime. */
#include <time.h>

#include "nrt/nrt.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per call, or -(status) if a call failed. */
double neuronx_compare_c_loop(void *model, const void *in, void *out, long iters) {
    if (iters <= 0) return 0.0;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        NRT_STATUS st = nrt_execute((nrt_model_t *)model, (const nrt_tensor_set_t *)in,
                                    (nrt_tensor_set_t *)out);
        if (st != NRT_SUCCESS) return -(double)st;
    }
    return (now_ns() - t0) / (double)iters;
}
