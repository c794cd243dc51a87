/* nrta_loop.c: the C baseline for benches/async_overhead.rs.
 *
 * A tight C loop over the emulator's async API (its prefixed symbols, from the emulator static
 * library that neuron-rt-sys links): per request write the input, execute, read the output, each
 * step waited for before the next (nothing orders different execution units). Two ways to wait:
 *   mode 0 "spin":   nrta_is_completed in a loop (lowest latency, burns the CPU);
 *   mode 1 "handle": nrta_get_completion_handle + poll + close (what a reactor does).
 * Loads its own copy of the model (on `vnc`) with its own tensors; the runtime is already
 * initialised by the Rust side. Timed with clock_gettime. */
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "nrt/nrt.h"
#include "nrt/nrt_async.h"

#define P(name) neuron_rt_emu_##name
NRT_STATUS P(nrt_load)(const void *, size_t, int32_t, int32_t, nrt_model_t **);
NRT_STATUS P(nrt_unload)(nrt_model_t *);
NRT_STATUS P(nrt_allocate_tensor_set)(nrt_tensor_set_t **);
void P(nrt_destroy_tensor_set)(nrt_tensor_set_t **);
NRT_STATUS P(nrt_add_tensor_to_tensor_set)(nrt_tensor_set_t *, const char *, nrt_tensor_t *);
NRT_STATUS P(nrt_tensor_allocate)(nrt_tensor_placement_t, int, size_t, const char *,
                                  nrt_tensor_t **);
void P(nrt_tensor_free)(nrt_tensor_t **);
NRT_STATUS P(nrta_tensor_write)(nrt_tensor_t *, const void *, uint64_t, uint64_t, int,
                                nrta_error_tracker_t *, nrta_seq_t *);
NRT_STATUS P(nrta_tensor_read)(void *, nrt_tensor_t *, uint64_t, uint64_t, int,
                               nrta_error_tracker_t *, nrta_seq_t *);
NRT_STATUS P(nrta_execute_schedule)(nrt_model_t *, const nrt_tensor_set_t *, nrt_tensor_set_t *,
                                    int, nrta_error_tracker_t *, nrta_seq_t *);
NRT_STATUS P(nrta_is_completed)(nrta_seq_t, bool *);
NRT_STATUS P(nrta_get_completion_handle)(nrta_seq_t, int *);

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static NRT_STATUS wait_seq(nrta_seq_t seq, int mode) {
    if (mode == 0) {
        bool done = false;
        NRT_STATUS st;
        while ((st = P(nrta_is_completed)(seq, &done)) == NRT_SUCCESS && !done) {
        }
        return st;
    }
    int fd = -1;
    NRT_STATUS st = P(nrta_get_completion_handle)(seq, &fd);
    if (st != NRT_SUCCESS) return st;
    struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
    int r = poll(&p, 1, 10000);
    close(fd);
    return r == 1 ? NRT_SUCCESS : NRT_TIMEOUT;
}

/* `iters` requests of a model with one input "input" and one output "output" of `size` bytes;
 * returns ns per request, or -(status) on failure. */
double nrt_bench_c_nrta_loop(const void *neff, size_t neff_len, int vnc, size_t size, long iters,
                             int mode) {
    nrt_model_t *m = NULL;
    nrt_tensor_set_t *is = NULL, *os = NULL;
    nrt_tensor_t *in = NULL, *out = NULL;
    static unsigned char host_in[1 << 16], host_out[1 << 16];
    double result = -(double)NRT_INVALID;
    if (size > sizeof host_in) return result;
    NRT_STATUS st = P(nrt_load)(neff, neff_len, vnc, -1, &m);
    if (st == NRT_SUCCESS) st = P(nrt_allocate_tensor_set)(&is);
    if (st == NRT_SUCCESS) st = P(nrt_allocate_tensor_set)(&os);
    if (st == NRT_SUCCESS)
        st = P(nrt_tensor_allocate)(NRT_TENSOR_PLACEMENT_DEVICE, vnc, size, "input", &in);
    if (st == NRT_SUCCESS)
        st = P(nrt_tensor_allocate)(NRT_TENSOR_PLACEMENT_DEVICE, vnc, size, "output", &out);
    if (st == NRT_SUCCESS) st = P(nrt_add_tensor_to_tensor_set)(is, "input", in);
    if (st == NRT_SUCCESS) st = P(nrt_add_tensor_to_tensor_set)(os, "output", out);
    if (st == NRT_SUCCESS) {
        double t0 = now_ns();
        for (long i = 0; i < iters && st == NRT_SUCCESS; i++) {
            nrta_seq_t seq;
            st = P(nrta_tensor_write)(in, host_in, 0, size, 0, NULL, &seq);
            if (st == NRT_SUCCESS) st = wait_seq(seq, mode);
            if (st == NRT_SUCCESS) st = P(nrta_execute_schedule)(m, is, os, 0, NULL, &seq);
            if (st == NRT_SUCCESS) st = wait_seq(seq, mode);
            if (st == NRT_SUCCESS) st = P(nrta_tensor_read)(host_out, out, 0, size, 0, NULL, &seq);
            if (st == NRT_SUCCESS) st = wait_seq(seq, mode);
        }
        result = st == NRT_SUCCESS ? (now_ns() - t0) / (double)(iters > 0 ? iters : 1)
                                   : -(double)st;
    } else {
        result = -(double)st;
    }
    if (is) P(nrt_destroy_tensor_set)(&is);
    if (os) P(nrt_destroy_tensor_set)(&os);
    if (in) P(nrt_tensor_free)(&in);
    if (out) P(nrt_tensor_free)(&out);
    if (m) P(nrt_unload)(m);
    return result;
}
