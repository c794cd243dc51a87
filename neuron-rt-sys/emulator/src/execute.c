/* execute.c: nrt_execute / nrt_execute_repeat.
 *
 * 1. Look the model up (registry, read lock held only for the lookup; a reference keeps the
 *    model alive while it runs even if another thread unloads it).
 * 2. Bind each program input/output to the tensor of the same name in the input/output set
 *    (cached name hashes, the io position tried first); check presence and exact byte size.
 * 3. Run the program on the CPU, on the calling thread (scratch malloc'd only when needed); for a
 *    NEFF built by the Neuron compiler, call its reference kernel or fill its outputs instead.
 * 4. Timing model (FORMAT.md §4): the device time is split into k pipeline stages, one per core
 *    of the model; per-core free_at timestamps live under one mutex, held only to compute the
 *    schedule; the thread then waits for its completion: clock_nanosleep to an absolute
 *    CLOCK_MONOTONIC deadline, then a spin over the last few microseconds (sleep_until). A model
 *    with device_time_ns = 0 reads no clock and never sleeps.
 * The no-op path performs no allocation, no system call and no log formatting. */
#include "emu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#define IO_STACK 32

/* Waking from clock_nanosleep is late by the thread's timer slack (50 us by default) plus the
 * scheduler's wake-up latency: ~75-90 us per wait measured, 15% of a 500 us model. So the thread
 * sleeps with a 1 us timer slack to an absolute deadline that is early by the lateness seen so
 * far (a moving average, plus a small margin) and spins on the clock for the rest: one thread
 * executing back-to-back then keeps the device-bound rate. The spin is capped (SPIN_MAX_NS): on a
 * loaded machine a thread that spins long loses the scheduler's sleeper credit and is preempted
 * for milliseconds, so spinning must stay short. */
#define SPIN_MARGIN_NS 5000u
#define SPIN_MAX_NS 50000u
#define TIMER_SLACK_NS 1000ul
static atomic_uint_fast64_t wake_lateness_ns = 20000u; /* initial guess: wake-up latency */
atomic_bool nrtemu_timing_spin = true; /* NEURON_RT_EMULATOR_TIMING_SPIN, read by nrt_init */

/* An absolute sleep with the calling thread's timer slack lowered to 1 us for its duration (the
 * default 50 us slack is most of the lateness), restored before returning: the caller's thread
 * keeps its own setting. */
static void sleep_abs(uint64_t t_ns) {
    struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000u), .tv_nsec = (long)(t_ns % 1000000000u)};
    int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    bool lowered = slack > (int)TIMER_SLACK_NS && prctl(PR_SET_TIMERSLACK, TIMER_SLACK_NS, 0, 0, 0) == 0;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
    if (lowered) prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
}

static void sleep_until(uint64_t t_ns) {
    if (!atomic_load_explicit(&nrtemu_timing_spin, memory_order_relaxed)) {
        sleep_abs(t_ns); /* plain absolute sleep: late by the wake-up latency */
        return;
    }
    uint64_t late = atomic_load_explicit(&wake_lateness_ns, memory_order_relaxed);
    uint64_t early = late + SPIN_MARGIN_NS;
    if (early > SPIN_MAX_NS) early = SPIN_MAX_NS;
    uint64_t now = nrtemu_now_ns();
    if (t_ns > now + early) {
        uint64_t target = t_ns - early;
        sleep_abs(target);
        now = nrtemu_now_ns();
        /* a moving average of how late the wake-ups were (a maximum spins longer, which on a
           loaded machine costs more in preemption than it gains) */
        uint64_t seen = now > target ? now - target : 0;
        uint64_t next = late - late / 8 + seen / 8;
        atomic_store_explicit(&wake_lateness_ns, next, memory_order_relaxed);
    }
    while (now < t_ns) now = nrtemu_now_ns(); /* the last few microseconds */
}

void nrtemu_sleep_until(uint64_t t_ns) { sleep_until(t_ns); }

NRT_STATUS nrtemu_device_schedule(struct nrt_model *m, uint64_t now, uint64_t *end_out) {
    uint64_t dt = m->device_time_ns;
    uint32_t k = m->k;
    uint64_t stage = dt / k, last = dt - stage * (k - 1);
    pthread_mutex_lock(&nrtemu_rt.timing_mu);
    uint64_t end = now;
    for (uint32_t i = 0; i < k; i++) {
        uint64_t f = nrtemu_rt.free_at[m->first_vnc + i];
        end = (end > f ? end : f) + (i + 1 == k ? last : stage);
    }
    bool timeout = end - now > m->timeout_ns;
    if (!timeout) {
        end = now;
        for (uint32_t i = 0; i < k; i++) {
            uint64_t *f = &nrtemu_rt.free_at[m->first_vnc + i];
            end = (end > *f ? end : *f) + (i + 1 == k ? last : stage);
            *f = end;
        }
    }
    pthread_mutex_unlock(&nrtemu_rt.timing_mu);
    *end_out = end;
    return timeout ? NRT_TIMEOUT : NRT_SUCCESS;
}

void nrtemu_log_timeout(const struct nrt_model *m, uint64_t would_take_ns, const char *fn) {
    LOG_ERROR(fn, "execution of '%s' timed out: it would complete after %.3f s, "
                  "NEURON_RT_EXEC_TIMEOUT is %.3f s", m->name, (double)would_take_ns / 1e9,
              (double)m->timeout_ns / 1e9);
}

/* Returns NRT_TIMEOUT when the scheduled completion is later than the model's timeout. */
static NRT_STATUS device_wait(struct nrt_model *m, const char *fn) {
    if (m->device_time_ns == 0) return NRT_SUCCESS;
    uint64_t now = nrtemu_now_ns(), end;
    if (nrtemu_device_schedule(m, now, &end) == NRT_TIMEOUT) {
        sleep_until(now + m->timeout_ns);
        nrtemu_log_timeout(m, end - now, fn);
        return NRT_TIMEOUT;
    }
    sleep_until(end);
    return NRT_SUCCESS;
}

static NRT_STATUS check_set(const void *set, const char *fn, const char *what) {
    const nrtemu_tensor_set *s = set;
    if (s == NULL) {
        LOG_ERROR(fn, "%s set is NULL", what);
        return NRT_INVALID;
    }
    if (s->magic != NRTEMU_SET_MAGIC) {
        LOG_ERROR(fn, "%s set %p is not a live tensor set", what, set);
        return NRT_INVALID_HANDLE;
    }
    if (s->session != nrtemu_session()) {
        LOG_ERROR(fn, "%s set belongs to a runtime session closed by nrt_close", what);
        return NRT_CLOSED;
    }
    return NRT_SUCCESS;
}

NRT_STATUS nrtemu_bind_io(const struct nrt_model *m, const nrtemu_tensor_set *in,
                          const nrtemu_tensor_set *out, void **io, const char *fn) {
    for (size_t i = 0; i < m->n_io; i++) {
        bool input = i < m->n_in;
        const nrtemu_io_slot *sl = &m->io[i];
        nrt_tensor_t *t = nrtemu_set_find(input ? in : out, sl->name, sl->len, sl->hash,
                                          input ? i : i - m->n_in);
        if (t == NULL) {
            LOG_ERROR(fn, "%s: %s tensor '%s' missing from the %s set", fn,
                      input ? "input" : "output", sl->name, input ? "input" : "output");
            return NRT_INVALID;
        }
        if (t->magic != NRTEMU_TENSOR_MAGIC) {
            LOG_ERROR(fn, "%s: %s tensor '%s' is not a live tensor", fn, input ? "input" : "output",
                      sl->name);
            return NRT_INVALID_HANDLE;
        }
        if (t->st == NULL) {
            LOG_ERROR(fn, "%s: %s tensor '%s' has no storage", fn, input ? "input" : "output",
                      sl->name);
            return NRT_INVALID;
        }
        if (t->size != sl->size) {
            LOG_ERROR(fn, "%s: %s tensor '%s' has the wrong size: expected %zu bytes, given %zu "
                          "bytes", fn, input ? "input" : "output", sl->name, sl->size, t->size);
            return NRT_INVALID;
        }
        io[i] = t->st->data + t->offset;
    }
    return NRT_SUCCESS;
}

static NRT_STATUS run_cpu(const struct nrt_model *m, void *const *io, const char *fn) {
    void *scratch = NULL;
    if (m->scratch_bytes > 0 && (scratch = malloc(m->scratch_bytes)) == NULL) {
        LOG_ERROR(fn, "cannot allocate %zu bytes of scratch for '%s'", m->scratch_bytes, m->name);
        return NRT_RESOURCE;
    }
    char err[256];
    int rc = nrtemu_program_run(m->prog, io, scratch, err, sizeof err);
    free(scratch);
    if (rc != 0) {
        LOG_ERROR(fn, "execution of '%s' failed: %s", m->name, err);
        return NRT_FAILURE;
    }
    return NRT_SUCCESS;
}

/* A compiler NEFF's execution (FORMAT.md §5): the reference kernel, else the output fill. */
static NRT_STATUS run_compiled(const struct nrt_model *m, void *const *io, const char *fn) {
    size_t n_out = m->n_io - m->n_in;
    if (m->kernel == NULL) {
        for (size_t i = 0; i < n_out; i++) {
            uint8_t *o = io[m->n_in + i];
            size_t size = m->io[m->n_in + i].size;
            if (m->fill == NRTEMU_FILL_PATTERN)
                for (size_t b = 0; b < size; b++) o[b] = (uint8_t)(b % 251u);
            else
                memset(o, 0, size);
        }
        return NRT_SUCCESS;
    }
    nrt_emu_tensor stack[IO_STACK];
    nrt_emu_tensor *t = m->n_io <= IO_STACK ? stack : malloc(m->n_io * sizeof *t);
    if (t == NULL) return NRT_RESOURCE;
    for (size_t i = 0; i < m->n_io; i++) {
        const nrtemu_io_desc *d = nrtemu_model_io(m, i);
        t[i] = (nrt_emu_tensor){.name = d->name, .dtype = d->dtype, .ndim = d->ndim,
                                .shape = d->dims, .data = io[i], .size = d->size_bytes};
    }
    NRT_STATUS st = m->kernel(m->kernel_data, m->name, t, m->n_in, t + m->n_in, n_out);
    if (st != NRT_SUCCESS)
        LOG_ERROR(fn, "the reference kernel of '%s' failed with status %d (%s)", m->name, (int)st,
                  nrtemu_status_name(st));
    if (t != stack) free(t);
    return st;
}

/* The CPU part of an execution: the program, or for a compiler NEFF its reference kernel or
 * output fill. */
NRT_STATUS nrtemu_run_model(const struct nrt_model *m, void *const *io, const char *fn) {
    return m->prog ? run_cpu(m, io, fn) : run_compiled(m, io, fn);
}

/* Common prologue: model lookup, program presence, sets. */
struct nrt_model *nrtemu_execute_begin(nrt_model_t *model, const nrt_tensor_set_t *in,
                               const nrt_tensor_set_t *out, NRT_STATUS *st, const char *fn) {
    struct nrt_model *m = nrtemu_model_get(model, st, fn);
    if (m == NULL) return NULL;
    if (m->prog == NULL && m->compiled == NULL) {
        LOG_ERROR(fn, "model '%s' has no emulator program (nrtemu/program.bin): the emulator can "
                      "load a NEFF built by the Neuron compiler for its metadata but cannot execute "
                      "it", m->name);
        *st = NRT_INVALID;
    } else if ((*st = check_set(in, fn, "input")) == NRT_SUCCESS) {
        *st = check_set(out, fn, "output");
    }
    if (*st != NRT_SUCCESS) {
        nrtemu_model_put(m);
        return NULL;
    }
    return m;
}

NRTEMU_API NRT_STATUS nrt_execute(nrt_model_t *model, const nrt_tensor_set_t *input_set,
                                  nrt_tensor_set_t *output_set) {
    static const char fn[] = "nrt_execute";
    NRT_STATUS st;
    struct nrt_model *m = nrtemu_execute_begin(model, input_set, output_set, &st, fn);
    if (m == NULL) return st;
    bool profiling = atomic_load_explicit(&m->prof, memory_order_relaxed) != NULL;
    bool tracing = atomic_load_explicit(&nrtemu_trace_active, memory_order_relaxed) != 0;
    uint64_t t0 = profiling || tracing ? nrtemu_now_ns() : 0, t1 = 0;
    void *io_stack[IO_STACK];
    void **io = m->n_io <= IO_STACK ? io_stack : malloc(m->n_io * sizeof *io);
    if (io == NULL) {
        st = NRT_RESOURCE;
    } else {
        st = nrtemu_bind_io(m, input_set, output_set, io, fn);
        if (st == NRT_SUCCESS) st = nrtemu_run_model(m, io, fn);
        if (profiling) t1 = nrtemu_now_ns();
        if (st == NRT_SUCCESS) st = device_wait(m, fn);
        if (st == NRT_SUCCESS) nrtemu_outputs_completed(m, output_set);
        if (io != io_stack) free(io);
    }
    if (profiling || tracing) {
        uint64_t t2 = nrtemu_now_ns();
        if (profiling) nrtemu_profile_record(m, t0, t1, t2, st);
        if (tracing) nrtemu_trace_record(m, t0, t2, st);
    }
    nrtemu_model_put(m);
    return st;
}

static bool repeatable(const struct nrt_model *m, size_t n_in, size_t n_io) {
    if (n_in == 0 || n_io != 2 * n_in) return false;
    for (size_t i = 0; i < n_in; i++) {
        const nrtemu_io_desc *a = nrtemu_model_io(m, i), *b = nrtemu_model_io(m, n_in + i);
        if (a->dtype != b->dtype || a->ndim != b->ndim || a->size_bytes != b->size_bytes)
            return false;
        for (uint32_t d = 0; d < a->ndim; d++)
            if (a->dims[d] != b->dims[d]) return false;
    }
    return true;
}

NRTEMU_API NRT_STATUS nrt_execute_repeat(nrt_model_t *model, const nrt_tensor_set_t *input_set,
                                         nrt_tensor_set_t *output_set, int repeat_count) {
    static const char fn[] = "nrt_execute_repeat";
    NRT_STATUS st;
    struct nrt_model *m = nrtemu_execute_begin(model, input_set, output_set, &st, fn);
    if (m == NULL) return st;
    if (repeat_count < 1) {
        LOG_ERROR(fn, "repeat_count must be >= 1, got %d", repeat_count);
        nrtemu_model_put(m);
        return NRT_INVALID;
    }
    if (!repeatable(m, m->n_in, m->n_io)) {
        LOG_ERROR(fn, "model '%s' requires a NEFF built for repeat: every output must match the "
                      "input at the same position in dtype and shape", m->name);
        nrtemu_model_put(m);
        return NRT_INVALID;
    }
    bool profiling = atomic_load_explicit(&m->prof, memory_order_relaxed) != NULL;
    bool tracing = atomic_load_explicit(&nrtemu_trace_active, memory_order_relaxed) != 0;
    uint64_t t0 = profiling || tracing ? nrtemu_now_ns() : 0;
    void **io = malloc(m->n_io * sizeof *io);
    size_t feed_bytes = 0;
    for (size_t i = 0; i < m->n_in; i++) feed_bytes += m->io[i].size;
    uint8_t *feed = repeat_count > 1 ? malloc(feed_bytes ? feed_bytes : 1) : NULL;
    if (io == NULL || (repeat_count > 1 && feed == NULL)) {
        st = NRT_RESOURCE;
    } else {
        st = nrtemu_bind_io(m, input_set, output_set, io, fn);
        for (int r = 0; st == NRT_SUCCESS && r < repeat_count; r++) {
            st = nrtemu_run_model(m, io, fn);
            if (st == NRT_SUCCESS) st = device_wait(m, fn);
            if (st == NRT_SUCCESS && r + 1 < repeat_count) {
                /* iteration r's outputs become iteration r+1's inputs (by position) */
                size_t off = 0;
                for (size_t i = 0; i < m->n_in; i++) {
                    memcpy(feed + off, io[m->n_in + i], m->io[i].size);
                    io[i] = feed + off;
                    off += m->io[i].size;
                }
            }
        }
    }
    free(feed);
    free(io);
    if (st == NRT_SUCCESS) nrtemu_outputs_completed(m, output_set); /* one per call */
    if (profiling || tracing) {
        uint64_t t2 = nrtemu_now_ns();
        if (profiling) nrtemu_profile_record(m, t0, t0, t2, st);
        if (tracing) nrtemu_trace_record(m, t0, t2, st);
    }
    nrtemu_model_put(m);
    return st;
}
