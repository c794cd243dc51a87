/* async.c: the explicit async API (nrta_*, nrt/nrt_async.h).
 *
 * Model (README.md "Async execution"): every visible logical core has one queue (queue 0) per
 * execution unit (TENSOR_READ, TENSOR_WRITE, TENSOR_OP, COMPUTE, COLLECTIVES). A request gets the
 * next sequence number of its unit and a completion time computed when it is scheduled:
 *   - COMPUTE: the timing model of nrt_execute (FORMAT.md §4), sharing the cores' free_at with
 *     the synchronous path, so sync and async executions on a core queue behind each other;
 *   - TENSOR_READ / TENSOR_WRITE: the unit is busy for size / host bandwidth after the requests
 *     already queued on it (option host_bandwidth; unlimited by default);
 *   - TENSOR_OP: device copies take no time.
 * Completion times on one unit never decrease, so requests complete in order. The data effect of
 * a request (copy, program run) happens when it is scheduled, on the calling thread; the caller
 * may observe it only after completion, as on the device. No thread is started: completion is a
 * comparison with CLOCK_MONOTONIC, and a completion handle is a timerfd armed at the completion
 * time (pollable, readable once it has passed; the caller closes it), or an eventfd that is
 * readable at once when the request has already completed.
 *
 * Each unit remembers the completion times of its last NRTEMU_ASYNC_DEPTH requests; scheduling
 * one more while the oldest remembered one is still pending returns NRT_QUEUE_FULL.
 *
 * Sequence ids: bits 63..48 = xu_id = core * NRTA_XU_TYPE_NUM + xu, bits 47..0 = the unit's
 * sequence number, starting at 1 (0 = nothing completed yet). nrt_init forgets every queue.
 * Failures found when a request is scheduled with valid arguments (a timeout, a program run
 * error) are reported through the error tracker once the request completes; argument errors are
 * returned by the scheduling call and get no sequence number. */
#include "emu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NRTEMU_ASYNC_DEPTH 4096u /* remembered requests per unit (a power of two) */
#define NRTEMU_TRACKER_MAGIC 0x54524b52u /* "TRKR" */
#define IO_STACK 32

typedef struct unit {
    uint64_t submitted; /* last sequence number handed out */
    uint64_t free_at;   /* TENSOR_*: busy until (CLOCK_MONOTONIC ns) */
    uint64_t *end;      /* completion time of request n at end[n % DEPTH]; lazily allocated */
} unit;

static pthread_mutex_t async_mu = PTHREAD_MUTEX_INITIALIZER;
static unit units[NRTEMU_MAX_CORES][NRTA_XU_TYPE_NUM];
atomic_uint_fast64_t nrtemu_host_bandwidth;

/* async_mu is taken alone or innermost (nrt_init: rt.lock -> async_mu). lifecycle.c registers
 * these fork handlers before its own, so prepare runs last: rt.lock -> ... -> async_mu. */
static void fork_prepare(void) { pthread_mutex_lock(&async_mu); }
static void fork_parent(void) { pthread_mutex_unlock(&async_mu); }
static void fork_child(void) { pthread_mutex_init(&async_mu, NULL); }
void nrtemu_async_register_atfork(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

void nrtemu_async_reset(void) {
    atomic_store(&nrtemu_host_bandwidth, nrtemu_host_bandwidth_config("nrt_init"));
    pthread_mutex_lock(&async_mu);
    for (uint32_t c = 0; c < NRTEMU_MAX_CORES; c++)
        for (uint32_t x = 0; x < NRTA_XU_TYPE_NUM; x++) {
            units[c][x].submitted = 0;
            units[c][x].free_at = 0;
        }
    pthread_mutex_unlock(&async_mu);
}

static uint64_t copy_ns(uint64_t size) {
    uint64_t bw = atomic_load_explicit(&nrtemu_host_bandwidth, memory_order_relaxed);
    if (bw == 0 || size == 0) return 0;
    /* size / bw seconds, rounded up, without overflow for any size below 2^64 / 1e9 * bw */
    long double ns = (long double)size * 1e9L / (long double)bw;
    return ns >= 1.8e19L ? UINT64_MAX / 2 : (uint64_t)ns + 1;
}

static inline nrta_seq_t make_seq(uint32_t core, uint32_t xu, uint64_t n) {
    return ((uint64_t)(core * NRTA_XU_TYPE_NUM + xu) << 48) | n;
}

/* async_mu held. Whether (core, xu) can take one more request (allocating its window on first
 * use): NRT_QUEUE_FULL while the oldest remembered request is pending. */
static NRT_STATUS unit_room(uint32_t core, uint32_t xu, uint64_t now, const char *fn) {
    unit *u = &units[core][xu];
    if (u->end == NULL && (u->end = calloc(NRTEMU_ASYNC_DEPTH, sizeof *u->end)) == NULL) {
        LOG_ERROR(fn, "cannot allocate the request queue of nc %u", core);
        return NRT_RESOURCE;
    }
    uint64_t n = u->submitted + 1;
    if (n > NRTA_SEQ_NUM_MAX) {
        LOG_ERROR(fn, "sequence numbers of nc %u exhausted", core);
        return NRT_QUEUE_FULL;
    }
    if (n > NRTEMU_ASYNC_DEPTH && u->end[n % NRTEMU_ASYNC_DEPTH] > now) {
        LOG_ERROR(fn, "queue of nc %u unit %u is full: %u requests pending; wait for one to "
                      "complete", core, xu, NRTEMU_ASYNC_DEPTH);
        return NRT_QUEUE_FULL;
    }
    return NRT_SUCCESS;
}

/* async_mu held, unit_room succeeded. Hands out the next sequence number of (core, xu),
 * completing at `end` raised to the unit's last completion (so the order holds). Returns the
 * completion time. */
static uint64_t unit_push(uint32_t core, uint32_t xu, uint64_t end, nrta_seq_t *seq) {
    unit *u = &units[core][xu];
    if (u->submitted > 0) {
        uint64_t last = u->end[u->submitted % NRTEMU_ASYNC_DEPTH];
        if (end < last) end = last;
    }
    uint64_t n = ++u->submitted;
    u->end[n % NRTEMU_ASYNC_DEPTH] = end;
    *seq = make_seq(core, xu, n);
    return end;
}

/* ---- error trackers ----------------------------------------------------------------------- */

typedef struct pending_error {
    nrta_error_t e;
    uint64_t at; /* completion time of the failed request */
} pending_error;

struct nrta_error_tracker {
    uint32_t magic;
    uint32_t lnc;
    pthread_mutex_t mu;
    pending_error *pending; /* failures not listed yet */
    size_t n_pending, cap_pending;
    nrta_error_t *listed; /* what the last get_list returned */
    size_t cap_listed;
};

static NRT_STATUS check_tracker(const nrta_error_tracker_t *t, const char *fn) {
    if (t != NULL && t->magic != NRTEMU_TRACKER_MAGIC) {
        LOG_ERROR(fn, "error tracker %p is not a live tracker", (const void *)t);
        return NRT_INVALID_HANDLE;
    }
    return NRT_SUCCESS;
}

static void tracker_add(nrta_error_tracker_t *t, nrta_seq_t seq, NRT_STATUS st, uint64_t at,
                        const char *fn) {
    if (t == NULL) return;
    pthread_mutex_lock(&t->mu);
    if (t->n_pending == t->cap_pending) {
        size_t cap = t->cap_pending ? 2 * t->cap_pending : 16;
        pending_error *p = realloc(t->pending, cap * sizeof *p);
        if (p == NULL) {
            pthread_mutex_unlock(&t->mu);
            LOG_ERROR(fn, "cannot record the failure of request 0x%llx: out of memory",
                      (unsigned long long)seq);
            return;
        }
        t->pending = p;
        t->cap_pending = cap;
    }
    t->pending[t->n_pending++] = (pending_error){{seq, (uint64_t)st}, at};
    pthread_mutex_unlock(&t->mu);
}

NRTEMU_API NRT_STATUS nrta_error_tracker_create(uint32_t lnc_idx,
                                                nrta_error_tracker_t **error_tracker) {
    static const char fn[] = "nrta_error_tracker_create";
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) return st;
    if (error_tracker == NULL) {
        LOG_ERROR(fn, "error_tracker is NULL");
        return NRT_INVALID;
    }
    if (lnc_idx >= nrtemu_rt.visible) {
        LOG_ERROR(fn, "lnc %u is not a visible NeuronCore (this process has %u)", lnc_idx,
                  nrtemu_rt.visible);
        return NRT_INVALID;
    }
    nrta_error_tracker_t *t = calloc(1, sizeof *t);
    if (t == NULL) return NRT_RESOURCE;
    t->magic = NRTEMU_TRACKER_MAGIC;
    t->lnc = lnc_idx;
    pthread_mutex_init(&t->mu, NULL);
    *error_tracker = t;
    return NRT_SUCCESS;
}

NRTEMU_API void nrta_error_tracker_destroy(nrta_error_tracker_t *error_tracker) {
    if (error_tracker == NULL) return;
    if (error_tracker->magic != NRTEMU_TRACKER_MAGIC) {
        LOG_ERROR("nrta_error_tracker_destroy", "error tracker %p is not a live tracker",
                  (void *)error_tracker);
        return;
    }
    error_tracker->magic = 0;
    pthread_mutex_destroy(&error_tracker->mu);
    free(error_tracker->pending);
    free(error_tracker->listed);
    free(error_tracker);
}

NRTEMU_API NRT_STATUS nrta_error_tracker_get_list(nrta_error_tracker_t *error_tracker,
                                                  const nrta_error_t **list,
                                                  size_t *error_count) {
    static const char fn[] = "nrta_error_tracker_get_list";
    if (error_tracker == NULL || list == NULL || error_count == NULL) {
        LOG_ERROR(fn, "%s is NULL",
                  error_tracker == NULL ? "error_tracker" : (list == NULL ? "list" : "error_count"));
        return NRT_INVALID;
    }
    NRT_STATUS st = check_tracker(error_tracker, fn);
    if (st != NRT_SUCCESS) return st;
    nrta_error_tracker_t *t = error_tracker;
    uint64_t now = nrtemu_now_ns();
    pthread_mutex_lock(&t->mu);
    size_t done = 0;
    for (size_t i = 0; i < t->n_pending; i++) done += t->pending[i].at <= now;
    if (done > t->cap_listed) {
        nrta_error_t *l = realloc(t->listed, done * sizeof *l);
        if (l == NULL) {
            pthread_mutex_unlock(&t->mu);
            return NRT_RESOURCE;
        }
        t->listed = l;
        t->cap_listed = done;
    }
    size_t n = 0, keep = 0;
    for (size_t i = 0; i < t->n_pending; i++) {
        if (t->pending[i].at <= now)
            t->listed[n++] = t->pending[i].e;
        else
            t->pending[keep++] = t->pending[i];
    }
    t->n_pending = keep;
    pthread_mutex_unlock(&t->mu);
    *list = n ? t->listed : NULL;
    *error_count = n;
    return NRT_SUCCESS;
}

/* ---- scheduling --------------------------------------------------------------------------- */

static NRT_STATUS check_common(int queue, nrta_error_tracker_t *err, nrta_seq_t *seq,
                               const char *fn) {
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) return st;
    if (seq == NULL) {
        LOG_ERROR(fn, "req_sequence is NULL");
        return NRT_INVALID;
    }
    if (queue != 0) {
        LOG_ERROR(fn, "queue %d does not exist: every execution unit has one queue, 0", queue);
        return NRT_INVALID;
    }
    return check_tracker(err, fn);
}

/* A DEVICE tensor with storage and [offset, offset + size) inside it. */
static NRT_STATUS check_device_tensor(const nrt_tensor_t *t, uint64_t offset, uint64_t size,
                                      const char *fn, const char *what) {
    NRT_STATUS st = nrtemu_tensor_check(t, fn, what); /* NULL, foreign, closed session */
    if (st != NRT_SUCCESS) return st;
    if (t->placement != NRT_TENSOR_PLACEMENT_DEVICE || t->st == NULL) {
        LOG_ERROR(fn, "%s tensor '%s' is not a device tensor: async copies run on the units of "
                      "the NeuronCore that allocated the tensor (use nrt_tensor_read/write for "
                      "host tensors)", what, t->name ? t->name : "(unnamed)");
        return NRT_INVALID;
    }
    if (offset > t->size || size > t->size - offset) {
        LOG_ERROR(fn, "out of bounds on %s tensor '%s': offset %llu + size %llu exceeds the "
                      "tensor size %zu", what, t->name ? t->name : "(unnamed)",
                  (unsigned long long)offset, (unsigned long long)size, t->size);
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}

/* Schedule a copy on (core, xu) taking `dur` ns after the unit's previous requests. */
static NRT_STATUS schedule_copy(uint32_t core, uint32_t xu, uint64_t dur, nrta_seq_t *seq,
                                const char *fn) {
    uint64_t now = nrtemu_now_ns();
    pthread_mutex_lock(&async_mu);
    unit *u = &units[core][xu];
    NRT_STATUS st = unit_room(core, xu, now, fn);
    if (st == NRT_SUCCESS)
        u->free_at = unit_push(core, xu, (u->free_at > now ? u->free_at : now) + dur, seq);
    pthread_mutex_unlock(&async_mu);
    return st;
}

void nrtemu_copy_sync(int vnc, int xu, uint64_t size) {
    uint64_t dur = copy_ns(size);
    if (dur == 0 || vnc < 0) return;
    uint64_t now = nrtemu_now_ns();
    pthread_mutex_lock(&async_mu);
    unit *u = &units[vnc][xu];
    uint64_t end = (u->free_at > now ? u->free_at : now) + dur;
    u->free_at = end;
    pthread_mutex_unlock(&async_mu);
    nrtemu_sleep_until(end);
}

NRTEMU_API NRT_STATUS nrta_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset,
                                        uint64_t size, int queue, nrta_error_tracker_t *err,
                                        nrta_seq_t *req_sequence) {
    static const char fn[] = "nrta_tensor_write";
    NRT_STATUS st = check_common(queue, err, req_sequence, fn);
    if (st == NRT_SUCCESS) st = check_device_tensor(tensor, offset, size, fn, "destination");
    if (st != NRT_SUCCESS) return st;
    if (buf == NULL && size > 0) {
        LOG_ERROR(fn, "buf is NULL");
        return NRT_INVALID;
    }
    st = schedule_copy((uint32_t)tensor->vnc, NRTA_XU_TENSOR_WRITE, copy_ns(size), req_sequence,
                       fn);
    if (st == NRT_SUCCESS && size) memmove(nrtemu_tensor_data(tensor) + offset, buf, size);
    return st;
}

NRTEMU_API NRT_STATUS nrta_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset,
                                       uint64_t size, int queue, nrta_error_tracker_t *err,
                                       nrta_seq_t *req_sequence) {
    static const char fn[] = "nrta_tensor_read";
    NRT_STATUS st = check_common(queue, err, req_sequence, fn);
    if (st == NRT_SUCCESS) st = check_device_tensor(tensor, offset, size, fn, "source");
    if (st != NRT_SUCCESS) return st;
    if (buf == NULL && size > 0) {
        LOG_ERROR(fn, "buf is NULL");
        return NRT_INVALID;
    }
    st = schedule_copy((uint32_t)tensor->vnc, NRTA_XU_TENSOR_READ, copy_ns(size), req_sequence,
                       fn);
    if (st == NRT_SUCCESS && size) memmove(buf, nrtemu_tensor_data(tensor) + offset, size);
    return st;
}

NRTEMU_API NRT_STATUS nrta_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst,
                                       uint64_t dst_offset, uint64_t size, int queue,
                                       nrta_error_tracker_t *err, nrta_seq_t *req_sequence) {
    static const char fn[] = "nrta_tensor_copy";
    NRT_STATUS st = check_common(queue, err, req_sequence, fn);
    if (st == NRT_SUCCESS) st = check_device_tensor(src, src_offset, size, fn, "source");
    if (st == NRT_SUCCESS) st = check_device_tensor(dst, dst_offset, size, fn, "destination");
    if (st != NRT_SUCCESS) return st;
    if (src->vnc != dst->vnc) {
        LOG_ERROR(fn, "source and destination are on different NeuronCores (vnc %d, vnc %d): "
                      "nrta_tensor_copy copies within one logical core", src->vnc, dst->vnc);
        return NRT_INVALID;
    }
    st = schedule_copy((uint32_t)src->vnc, NRTA_XU_TENSOR_OP, 0, req_sequence, fn);
    if (st == NRT_SUCCESS && size)
        memmove(nrtemu_tensor_data(dst) + dst_offset, nrtemu_tensor_data(src) + src_offset, size);
    return st;
}

NRTEMU_API NRT_STATUS nrta_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input,
                                            nrt_tensor_set_t *output, int queue,
                                            nrta_error_tracker_t *err,
                                            nrta_seq_t *req_sequence) {
    static const char fn[] = "nrta_execute_schedule";
    NRT_STATUS st = check_common(queue, err, req_sequence, fn);
    if (st != NRT_SUCCESS) return st;
    struct nrt_model *m = nrtemu_execute_begin(model, input, output, &st, fn);
    if (m == NULL) return st;
    void *io_stack[IO_STACK];
    void **io = m->n_io <= IO_STACK ? io_stack : malloc(m->n_io * sizeof *io);
    if (io == NULL) {
        nrtemu_model_put(m);
        return NRT_RESOURCE;
    }
    st = nrtemu_bind_io(m, input, output, io, fn);
    if (st != NRT_SUCCESS) goto out; /* argument error: no request */
    pthread_mutex_lock(&async_mu);
    st = unit_room(m->first_vnc, NRTA_XU_COMPUTE, nrtemu_now_ns(), fn);
    pthread_mutex_unlock(&async_mu);
    if (st != NRT_SUCCESS) goto out;
    /* From here on the request exists: failures are reported through the tracker. */
    NRT_STATUS run = nrtemu_run_model(m, io, fn);
    uint64_t now = nrtemu_now_ns(), end = now;
    if (run == NRT_SUCCESS && nrtemu_device_schedule(m, now, &end) == NRT_TIMEOUT) {
        nrtemu_log_timeout(m, end - now, fn);
        run = NRT_TIMEOUT;
        end = now + m->timeout_ns;
    }
    pthread_mutex_lock(&async_mu);
    /* Another thread may have filled the queue meanwhile: then the request is refused although
       its outputs are written and the cores were reserved for it (a rare race, harmless). */
    st = unit_room(m->first_vnc, NRTA_XU_COMPUTE, now, fn);
    if (st == NRT_SUCCESS) end = unit_push(m->first_vnc, NRTA_XU_COMPUTE, end, req_sequence);
    pthread_mutex_unlock(&async_mu);
    if (st == NRT_SUCCESS && run != NRT_SUCCESS) tracker_add(err, *req_sequence, run, end, fn);
out:
    if (io != io_stack) free(io);
    nrtemu_model_put(m);
    return st;
}

NRTEMU_API NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input,
                                      nrt_tensor_list_t *output, nrt_dtype_t dtype,
                                      nrt_op_type_t op, nrt_cc_op_type_t cc_op,
                                      nrt_cc_context_t **cc_ctx) {
    static const char fn[] = "nrta_cc_prepare";
    (void)comm, (void)input, (void)output, (void)dtype, (void)op, (void)cc_op;
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) return st;
    if (cc_ctx != NULL) *cc_ctx = NULL;
    LOG_ERROR(fn, "%s is not supported by the neuron-rt emulator: async collectives are not "
                  "emulated", fn);
    return NRT_FAILURE;
}

NRTEMU_API NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue,
                                       nrta_error_tracker_t *err, nrta_seq_t *req_sequence) {
    static const char fn[] = "nrta_cc_schedule";
    (void)cc_ctx;
    NRT_STATUS st = check_common(queue, err, req_sequence, fn);
    if (st != NRT_SUCCESS) return st;
    LOG_ERROR(fn, "%s is not supported by the neuron-rt emulator: async collectives are not "
                  "emulated (nrta_cc_prepare never succeeds)", fn);
    return NRT_FAILURE;
}

/* ---- progress ----------------------------------------------------------------------------- */

/* async_mu held. Completion time of seq; false when seq was never handed out. Requests older
 * than the remembered window completed long ago (0). */
static bool seq_end(nrta_seq_t seq, uint64_t *end) {
    uint64_t xu_id = NRTA_SEQ_GET_XU_ID(seq), n = NRTA_SEQ_GET_SEQ_NUM(seq);
    uint32_t core = (uint32_t)(xu_id / NRTA_XU_TYPE_NUM), xu = (uint32_t)(xu_id % NRTA_XU_TYPE_NUM);
    if (core >= nrtemu_rt.visible || n == 0) return false;
    const unit *u = &units[core][xu];
    if (n > u->submitted) return false;
    *end = u->submitted - n >= NRTEMU_ASYNC_DEPTH ? 0 : u->end[n % NRTEMU_ASYNC_DEPTH];
    return true;
}

NRTEMU_API NRT_STATUS nrta_is_completed(nrta_seq_t seq, bool *is_completed) {
    static const char fn[] = "nrta_is_completed";
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) return st;
    if (is_completed == NULL) {
        LOG_ERROR(fn, "is_completed is NULL");
        return NRT_INVALID;
    }
    uint64_t end = 0, now = nrtemu_now_ns();
    pthread_mutex_lock(&async_mu);
    bool known = seq_end(seq, &end);
    pthread_mutex_unlock(&async_mu);
    if (!known) {
        LOG_DEBUG(fn, "sequence 0x%llx was never scheduled", (unsigned long long)seq);
        return NRT_INVALID;
    }
    *is_completed = end <= now;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrta_get_sequence(uint32_t lnc, nrta_xu_t xu, int queue, nrta_seq_t *seq) {
    static const char fn[] = "nrta_get_sequence";
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) return st;
    if (seq == NULL) {
        LOG_ERROR(fn, "seq is NULL");
        return NRT_INVALID;
    }
    if (lnc >= nrtemu_rt.visible || (uint32_t)xu >= NRTA_XU_TYPE_NUM || queue != 0) {
        LOG_ERROR(fn, "no execution unit (lnc %u, xu %u, queue %d): this process has %u "
                      "NeuronCores, %u units each, queue 0 only", lnc, (unsigned)xu, queue,
                  nrtemu_rt.visible, (unsigned)NRTA_XU_TYPE_NUM);
        return NRT_INVALID;
    }
    uint64_t now = nrtemu_now_ns();
    pthread_mutex_lock(&async_mu);
    const unit *u = &units[lnc][xu];
    /* completion times are non-decreasing: binary search the remembered window */
    uint64_t lo = u->submitted > NRTEMU_ASYNC_DEPTH ? u->submitted - NRTEMU_ASYNC_DEPTH : 0;
    uint64_t hi = u->submitted; /* answer in [lo, hi]; requests <= lo are complete */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (u->end[mid % NRTEMU_ASYNC_DEPTH] <= now)
            lo = mid;
        else
            hi = mid - 1;
    }
    pthread_mutex_unlock(&async_mu);
    *seq = make_seq(lnc, (uint32_t)xu, lo);
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrta_get_completion_handle(nrta_seq_t seq, int *fd) {
    static const char fn[] = "nrta_get_completion_handle";
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) return st;
    if (fd == NULL) {
        LOG_ERROR(fn, "fd is NULL");
        return NRT_INVALID;
    }
    uint64_t end = 0;
    pthread_mutex_lock(&async_mu);
    bool known = seq_end(seq, &end);
    pthread_mutex_unlock(&async_mu);
    if (!known) {
        LOG_ERROR(fn, "sequence 0x%llx was never scheduled", (unsigned long long)seq);
        return NRT_INVALID;
    }
    if (end <= nrtemu_now_ns()) {
        /* already complete: an eventfd that is readable at once (a timer armed in the past
           would still go through the kernel's timer path, tens of microseconds) */
        int e = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
        if (e < 0) {
            LOG_ERROR(fn, "eventfd: %s", strerror(errno));
            return NRT_RESOURCE;
        }
        *fd = e;
        return NRT_SUCCESS;
    }
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (t < 0) {
        LOG_ERROR(fn, "timerfd_create: %s", strerror(errno));
        return NRT_RESOURCE;
    }
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(end / 1000000000u);
    its.it_value.tv_nsec = (long)(end % 1000000000u);
    if (timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
        LOG_ERROR(fn, "timerfd_settime: %s", strerror(errno));
        close(t);
        return NRT_RESOURCE;
    }
    *fd = t;
    return NRT_SUCCESS;
}
