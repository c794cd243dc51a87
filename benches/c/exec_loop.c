/* exec_loop.c: the C baseline for benches/execute_overhead.rs.
 *
 * Calls the emulator's nrt_execute directly (its prefixed symbol, resolved against the emulator
 * static library that neuron-rt-sys links) in a tight loop, timed with clock_gettime; and the same
 * loop through a function pointer for a library loaded at run time. */
#include <string.h>
#include <time.h>

#include "nrt/nrt.h"

/* The emulator compiled into neuron-rt-sys exports every API symbol with this prefix; the
 * signature is nrt_execute's from nrt/nrt.h. */
NRT_STATUS neuron_rt_emu_nrt_execute(nrt_model_t *model, const nrt_tensor_set_t *input_set,
                                     nrt_tensor_set_t *output_set);

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs `iters` executions; returns ns per call, or -(status) if a call failed. */
double nrt_bench_c_exec_loop(void *model, const void *in, void *out, long iters) {
    if (iters <= 0) return 0.0;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        NRT_STATUS st = neuron_rt_emu_nrt_execute((nrt_model_t *)model,
                                                  (const nrt_tensor_set_t *)in,
                                                  (nrt_tensor_set_t *)out);
        if (st != NRT_SUCCESS) return -(double)st;
    }
    return (now_ns() - t0) / (double)iters;
}

/* The same loop through a function pointer: nrt_execute of a library loaded at run time (the
 * drop-in libnrt.so.1 through Backend::Hardware), as a C client calls it through the PLT. */
typedef NRT_STATUS (*nrt_execute_fn)(nrt_model_t *, const nrt_tensor_set_t *,
                                     nrt_tensor_set_t *);

double nrt_bench_c_exec_loop_fn(void *execute, void *model, const void *in, void *out,
                                long iters) {
    if (iters <= 0) return 0.0;
    nrt_execute_fn f;
    /* Object pointer to function pointer: how dlsym results are used (POSIX guarantees it). */
    memcpy(&f, &execute, sizeof f);
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        NRT_STATUS st =
            f((nrt_model_t *)model, (const nrt_tensor_set_t *)in, (nrt_tensor_set_t *)out);
        if (st != NRT_SUCCESS) return -(double)st;
    }
    return (now_ns() - t0) / (double)iters;
}
