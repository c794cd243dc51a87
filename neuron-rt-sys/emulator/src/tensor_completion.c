/* tensor_completion.c: output completion counters. Every tensor counts how many executions have
 * completed writing it as an output (nrt_execute: one per call; nrt_execute_repeat: one per call,
 * after the last iteration). nrt_tensor_check_output_completion waits, up to a timeout, for the
 * count to reach the caller's expectation: with synchronous execution it is usually already
 * there, but another thread's execution may still be running. */
#include "emu.h"

#include <time.h>

void nrtemu_outputs_completed(const struct nrt_model *m, const nrtemu_tensor_set *out) {
    for (size_t i = m->n_in; i < m->n_io; i++) {
        const nrtemu_io_slot *sl = &m->io[i];
        nrt_tensor_t *t = nrtemu_set_find(out, sl->name, sl->len, sl->hash, i - m->n_in);
        if (t != NULL) atomic_fetch_add_explicit(&t->completions, 1, memory_order_release);
    }
}

NRTEMU_API NRT_STATUS nrt_tensor_check_output_completion(const nrt_tensor_t *output_tensor,
                                                         int64_t timeout,
                                                         uint64_t expected_completion_count) {
    static const char fn[] = "nrt_tensor_check_output_completion";
    NRT_STATUS st = nrtemu_tensor_check(output_tensor, fn, "output");
    if (st != NRT_SUCCESS) return st;
    uint64_t start = nrtemu_now_ns(), warned_at = start;
    for (uint32_t spins = 0;; spins++) {
        uint64_t n = atomic_load_explicit(&output_tensor->completions, memory_order_acquire);
        if (n >= expected_completion_count) return NRT_SUCCESS;
        uint64_t now = nrtemu_now_ns(), waited_us = (now - start) / 1000u;
        if (timeout >= 0 && waited_us >= (uint64_t)timeout) {
            LOG_ERROR(fn, "output tensor '%s' completed %llu of %llu expected times within %lld us",
                      output_tensor->name ? output_tensor->name : "(unnamed)",
                      (unsigned long long)n, (unsigned long long)expected_completion_count,
                      (long long)timeout);
            return NRT_TIMEOUT;
        }
        if (timeout < 0 && now - warned_at >= 30000000000ull) {
            LOG_WARN(fn, "still waiting for output tensor '%s': %llu of %llu completions after "
                         "%llu s (unbounded wait)",
                     output_tensor->name ? output_tensor->name : "(unnamed)", (unsigned long long)n,
                     (unsigned long long)expected_completion_count,
                     (unsigned long long)((now - start) / 1000000000u));
            warned_at = now;
        }
        /* poll: a short sleep (completions come from other threads' executions) */
        struct timespec ts = {0, spins < 100 ? 10000 : 100000};
        nanosleep(&ts, NULL);
    }
}

NRTEMU_API NRT_STATUS nrt_tensor_reset_output_completion(nrt_tensor_t *output_tensor) {
    NRT_STATUS st = nrtemu_tensor_check(output_tensor, "nrt_tensor_reset_output_completion", "output");
    if (st != NRT_SUCCESS) return st;
    atomic_store_explicit(&output_tensor->completions, 0, memory_order_release);
    return NRT_SUCCESS;
}
