/* nrta_tests.c: the async API (nrt/nrt_async.h) through the public ABI. Included by
 * nrt_api_test.c (it uses that file's harness and NEFF builders). */
#include <poll.h>

#include "nrt/nrt_async.h"

/* Poll a completion handle; returns the ms waited, or -1 on timeout/error. Closes the fd. */
static double wait_handle(nrta_seq_t seq, int timeout_ms) {
    int fd = -1;
    if (nrta_get_completion_handle(seq, &fd) != NRT_SUCCESS) return -1;
    uint64_t t0 = now_ns();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    close(fd);
    return r == 1 && (p.revents & POLLIN) ? (double)(now_ns() - t0) / 1e6 : -1;
}

static bool completed(nrta_seq_t seq) {
    bool c = false;
    return nrta_is_completed(seq, &c) == NRT_SUCCESS && c;
}

typedef struct {
    nrt_model_t *m;
    nrt_tensor_set_t *in, *out;
    nrta_seq_t seqs[100];
    NRT_STATUS worst;
} async_worker_arg;

static void *async_worker(void *p) {
    async_worker_arg *a = p;
    a->worst = NRT_SUCCESS;
    for (int i = 0; i < 100; i++) {
        NRT_STATUS s = nrta_execute_schedule(a->m, a->in, a->out, 0, NULL, &a->seqs[i]);
        if (s != NRT_SUCCESS) a->worst = s;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_async(void) {
    bool flag = false;
    nrta_seq_t seq = 0;
    /* the previous test closed the runtime */
    EXPECT_ST(nrta_is_completed(1, &flag), NRT_CLOSED);
    EXPECT_ST(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &seq), NRT_CLOSED);

    /* 1600 bytes/s: a 16-byte copy occupies its unit for 10 ms */
    opt("host_bandwidth", "1600");
    EXPECT_LOG(nrt_emu_set_option("host_bandwidth", "fast"), NRT_INVALID, "malformed value");
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    nrta_error_tracker_t *trk = NULL;
    EXPECT_LOG(nrta_error_tracker_create(7, &trk), NRT_INVALID, "not a visible NeuronCore");
    EXPECT_ST(nrta_error_tracker_create(0, &trk), NRT_SUCCESS);

    buf_t pp = prog_plus_one(20000000), np = neff_of(&pp, "async-plus-one", 1);
    nrt_model_t *m = NULL;
    EXPECT_ST(nrt_load(np.p, np.n, 0, -1, &m), NRT_SUCCESS);
    nrt_tensor_t *x = dev_tensor(0, 16, "x"), *y = dev_tensor(0, 16, "y");
    nrt_tensor_set_t *is = NULL, *os = NULL;
    nrt_allocate_tensor_set(&is);
    nrt_allocate_tensor_set(&os);
    nrt_add_tensor_to_tensor_set(is, "x", x);
    nrt_add_tensor_to_tensor_set(os, "y", y);

    /* argument errors get no sequence number */
    const float in[4] = {1, 2, 3, 4};
    float out[4] = {0};
    EXPECT_LOG(nrta_tensor_write(x, in, 0, 16, 1, trk, &seq), NRT_INVALID, "queue 1");
    EXPECT_LOG(nrta_tensor_write(x, in, 8, 16, 0, trk, &seq), NRT_INVALID, "out of bounds");
    EXPECT_LOG(nrta_tensor_write(x, in, 0, 16, 0, trk, NULL), NRT_INVALID, "req_sequence");
    EXPECT_LOG(nrta_execute_schedule(m, is, os, 1, trk, &seq), NRT_INVALID, "queue 1");
    nrt_tensor_t *host = NULL;
    CAPTURE(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 16, "h", &host));
    EXPECT_LOG(nrta_tensor_write(host, in, 0, 16, 0, trk, &seq), NRT_INVALID,
               "not a device tensor");
    nrt_tensor_free(&host);

    /* write -> execute -> read, each waited for through its completion handle */
    nrta_seq_t w = 0, e = 0, r = 0;
    uint64_t t0 = now_ns();
    EXPECT_ST(nrta_tensor_write(x, in, 0, 16, 0, trk, &w), NRT_SUCCESS);
    EXPECT(NRTA_SEQ_GET_XU_ID(w) == NRTA_XU_TENSOR_WRITE && NRTA_SEQ_GET_SEQ_NUM(w) == 1);
    EXPECT(!completed(w));
    EXPECT(wait_handle(w, 2000) >= 0);
    EXPECT(now_ns() - t0 >= 10000000 && completed(w));
    EXPECT_ST(nrta_execute_schedule(m, is, os, 0, trk, &e), NRT_SUCCESS);
    EXPECT(NRTA_SEQ_GET_XU_ID(e) == NRTA_XU_COMPUTE && NRTA_SEQ_GET_SEQ_NUM(e) == 1);
    EXPECT(wait_handle(e, 2000) >= 0 && completed(e));
    EXPECT_ST(nrta_tensor_read(out, y, 0, 16, 0, trk, &r), NRT_SUCCESS);
    EXPECT(wait_handle(r, 2000) >= 0 && completed(r));
    EXPECT(out[0] == 2 && out[1] == 3 && out[2] == 4 && out[3] == 5);
    EXPECT(now_ns() - t0 >= 40000000); /* 10 + 20 + 10 ms */
    /* a handle of a completed request is readable at once */
    EXPECT(wait_handle(w, 0) >= 0);
    /* unknown sequences */
    EXPECT_ST(nrta_is_completed(e + 1, &flag), NRT_INVALID);
    EXPECT_ST(nrta_is_completed(((nrta_seq_t)(99 * NRTA_XU_TYPE_NUM) << 48) | 1, &flag),
              NRT_INVALID);
    EXPECT_ST(nrta_is_completed(e & ~NRTA_SEQ_NUM_MASK, &flag), NRT_INVALID);
    int fd = -1;
    EXPECT_LOG(nrta_get_completion_handle(e + 1, &fd), NRT_INVALID, "never scheduled");

    /* in-order completion on one unit: three 20 ms executions */
    nrta_seq_t es[3];
    t0 = now_ns();
    for (int i = 0; i < 3; i++) EXPECT_ST(nrta_execute_schedule(m, is, os, 0, trk, &es[i]), NRT_SUCCESS);
    EXPECT(NRTA_SEQ_GET_SEQ_NUM(es[2]) == NRTA_SEQ_GET_SEQ_NUM(es[0]) + 2);
    EXPECT(wait_handle(es[1], 2000) >= 0);
    EXPECT(completed(es[0]) && completed(es[1]));
    EXPECT_ST(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &seq), NRT_SUCCESS);
    EXPECT(NRTA_SEQ_GET_SEQ_NUM(seq) >= NRTA_SEQ_GET_SEQ_NUM(es[1]));
    EXPECT(wait_handle(es[2], 2000) >= 0);
    EXPECT(now_ns() - t0 >= 60000000);
    EXPECT_ST(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &seq), NRT_SUCCESS);
    EXPECT(seq == es[2]);
    EXPECT_ST(nrta_get_sequence(0, NRTA_XU_TENSOR_OP, 0, &seq), NRT_SUCCESS);
    EXPECT(NRTA_SEQ_GET_SEQ_NUM(seq) == 0 && NRTA_SEQ_GET_XU_ID(seq) == NRTA_XU_TENSOR_OP);
    EXPECT_ST(nrta_get_sequence(5, NRTA_XU_COMPUTE, 0, &seq), NRT_INVALID);
    EXPECT_ST(nrta_get_sequence(0, NRTA_XU_TYPE_NUM, 0, &seq), NRT_INVALID);

    /* copies overlap compute: the write unit is free while the core computes */
    EXPECT_ST(nrta_execute_schedule(m, is, os, 0, trk, &e), NRT_SUCCESS);
    EXPECT_ST(nrta_tensor_write(x, in, 0, 16, 0, trk, &w), NRT_SUCCESS);
    EXPECT(wait_handle(w, 2000) >= 0);
    EXPECT(!completed(e)); /* 10 ms write done, 20 ms execution still running */
    EXPECT(wait_handle(e, 2000) >= 0);

    /* synchronous copies of device tensors pay the bandwidth too */
    t0 = now_ns();
    EXPECT_ST(nrt_tensor_write(x, in, 0, 16), NRT_SUCCESS);
    EXPECT(now_ns() - t0 >= 10000000);

    /* device-to-device copy on the TENSOR_OP unit (no time) */
    EXPECT_ST(nrta_tensor_copy(y, 0, x, 0, 16, 0, trk, &seq), NRT_SUCCESS);
    EXPECT(NRTA_SEQ_GET_XU_ID(seq) == NRTA_XU_TENSOR_OP && wait_handle(seq, 2000) >= 0);
    EXPECT_ST(nrt_tensor_read(x, out, 0, 16), NRT_SUCCESS);
    EXPECT(out[0] == 2 && out[3] == 5);

    /* error tracker: a timed-out execution is reported once it completes, with its sequence */
    const nrta_error_t *list = NULL;
    size_t count = 99;
    EXPECT_ST(nrta_error_tracker_get_list(trk, &list, &count), NRT_SUCCESS);
    EXPECT(count == 0);
    buf_t ps = prog_noop(2000000000), ns = neff_of(&ps, "async-slow", 1);
    nrt_model_t *slow = NULL;
    setenv("NEURON_RT_EXEC_TIMEOUT", "0.05", 1);
    EXPECT_ST(nrt_load(ns.p, ns.n, 0, -1, &slow), NRT_SUCCESS);
    unsetenv("NEURON_RT_EXEC_TIMEOUT");
    nrt_tensor_t *sx = dev_tensor(0, 16, "sx"), *sy = dev_tensor(0, 16, "sy");
    nrt_tensor_set_t *sis = NULL, *sos = NULL;
    nrt_allocate_tensor_set(&sis);
    nrt_allocate_tensor_set(&sos);
    nrt_add_tensor_to_tensor_set(sis, "x", sx);
    nrt_add_tensor_to_tensor_set(sos, "y", sy);
    EXPECT_LOG(nrta_execute_schedule(slow, sis, sos, 0, trk, &e), NRT_SUCCESS, "timed out");
    EXPECT_ST(nrta_error_tracker_get_list(trk, &list, &count), NRT_SUCCESS);
    EXPECT(count == 0); /* not completed yet */
    EXPECT(wait_handle(e, 2000) >= 0);
    EXPECT_ST(nrta_error_tracker_get_list(trk, &list, &count), NRT_SUCCESS);
    EXPECT(count == 1 && list != NULL && list[0].seq_id == e && list[0].error_code == NRT_TIMEOUT);
    EXPECT_ST(nrta_error_tracker_get_list(trk, &list, &count), NRT_SUCCESS);
    EXPECT(count == 0); /* each failure is listed once */
    EXPECT_ST(nrta_error_tracker_get_list(NULL, &list, &count), NRT_INVALID);
    EXPECT(sizeof(nrta_error_t) == 16);

    /* collectives are not emulated */
    nrt_cc_context_t *cc = NULL;
    EXPECT_LOG(nrta_cc_prepare(NULL, NULL, NULL, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE,
                               &cc), NRT_FAILURE, "not supported by the neuron-rt emulator");
    EXPECT_LOG(nrta_cc_schedule(&cc, 0, NULL, &seq), NRT_FAILURE, "not supported");

    /* four threads schedule on one unit at once: every sequence number handed out once */
    buf_t pz = prog_noop(0), nz = neff_of(&pz, "async-zero", 1);
    nrt_model_t *z = NULL;
    EXPECT_ST(nrt_load(nz.p, nz.n, 1, -1, &z), NRT_SUCCESS);
    nrt_tensor_t *zx = dev_tensor(1, 16, "zx"), *zy[4];
    nrt_tensor_set_t *zis = NULL, *zos[4];
    nrt_allocate_tensor_set(&zis);
    nrt_add_tensor_to_tensor_set(zis, "x", zx);
    async_worker_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        zy[i] = dev_tensor(1, 16, "zy");
        nrt_allocate_tensor_set(&zos[i]);
        nrt_add_tensor_to_tensor_set(zos[i], "y", zy[i]);
        args[i] = (async_worker_arg){.m = z, .in = zis, .out = zos[i]};
        pthread_create(&th[i], NULL, async_worker, &args[i]);
    }
    uint64_t all[400];
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        EXPECT(args[i].worst == NRT_SUCCESS);
        memcpy(all + 100 * i, args[i].seqs, sizeof args[i].seqs);
    }
    qsort(all, 400, sizeof all[0], cmp_u64);
    bool distinct = true;
    for (int i = 0; i < 400; i++) distinct &= NRTA_SEQ_GET_SEQ_NUM(all[i]) == (uint64_t)i + 1;
    EXPECT(distinct);
    EXPECT(wait_handle(all[399], 2000) >= 0);
    EXPECT_ST(nrta_get_sequence(1, NRTA_XU_COMPUTE, 0, &seq), NRT_SUCCESS);
    EXPECT(NRTA_SEQ_GET_SEQ_NUM(seq) == 400);

    /* a unit remembers 4096 pending requests; one more is refused */
    buf_t pl = prog_noop(100000000), nl = neff_of(&pl, "async-100ms", 1);
    nrt_model_t *l = NULL;
    setenv("NEURON_RT_EXEC_TIMEOUT", "1000", 1); /* 4096 x 100 ms queued: no timeout */
    EXPECT_ST(nrt_load(nl.p, nl.n, 1, -1, &l), NRT_SUCCESS);
    unsetenv("NEURON_RT_EXEC_TIMEOUT");
    NRT_STATUS worst = NRT_SUCCESS;
    for (int i = 0; i < 4096; i++) {
        NRT_STATUS s = nrta_execute_schedule(l, zis, zos[0], 0, NULL, &seq);
        if (s != NRT_SUCCESS) worst = s;
    }
    EXPECT(worst == NRT_SUCCESS);
    EXPECT_LOG(nrta_execute_schedule(l, zis, zos[0], 0, NULL, &seq), NRT_QUEUE_FULL, "is full");

    /* trackers: NULL is accepted, garbage is not, destroy(NULL) is a no-op */
    nrta_error_tracker_destroy(NULL);
    EXPECT_ST(nrta_tensor_write(x, in, 0, 16, 0, NULL, &seq), NRT_SUCCESS);
    nrta_error_tracker_destroy(trk);

    nrt_destroy_tensor_set(&is);
    nrt_destroy_tensor_set(&os);
    nrt_destroy_tensor_set(&sis);
    nrt_destroy_tensor_set(&sos);
    nrt_destroy_tensor_set(&zis);
    for (int i = 0; i < 4; i++) {
        nrt_destroy_tensor_set(&zos[i]);
        nrt_tensor_free(&zy[i]);
    }
    nrt_tensor_free(&x);
    nrt_tensor_free(&y);
    nrt_tensor_free(&sx);
    nrt_tensor_free(&sy);
    nrt_tensor_free(&zx);
    nrt_unload(m);
    nrt_unload(slow);
    nrt_unload(z);
    nrt_unload(l);
    CAPTURE(nrt_close());
    /* nrt_init forgets every queue (the pending requests above included) */
    opt("host_bandwidth", NULL);
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    EXPECT_ST(nrta_is_completed(es[0], &flag), NRT_INVALID);
    CAPTURE(nrt_close());
    free(pp.p);
    free(np.p);
    free(ps.p);
    free(ns.p);
    free(pz.p);
    free(nz.p);
    free(pl.p);
    free(nl.p);
}
