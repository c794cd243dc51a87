/*
 * abi_coverage_tests.h: tests of the calls added for full coverage of nrt.h, nrt_experimental.h
 * and nrt_profile.h, of rt_detail and of the fork handlers. Included by nrt_api_test.c (it uses
 * that file's harness and NEFF builders); call test_abi_coverage() with the runtime closed.
 */

static int file_contains(const char *path, const char *text) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static void test_version_detail(void) {
    nrt_version_t v;
    opt("instance", "inf2.24xlarge");
    EXPECT_ST(nrt_get_version(&v, sizeof v), NRT_SUCCESS);
    EXPECT(strstr(v.rt_detail, "instance inf2.24xlarge") != NULL);
    opt("instance", "trn1.32xlarge");
    EXPECT_ST(nrt_get_version(&v, sizeof v), NRT_SUCCESS);
    EXPECT(strstr(v.rt_detail, "instance trn1.32xlarge") != NULL); /* not the first call's */
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    EXPECT_ST(nrt_get_version(&v, sizeof v), NRT_SUCCESS);
    EXPECT(strstr(v.rt_detail, "instance trn1.32xlarge") != NULL);
    nrt_close();
    clear_options();
}

/* ---- fork while other threads hold the option and profile mutexes ------------------------ */

static atomic_int g_hammer_stop;
static void *hammer(void *arg) {
    (void)arg;
    while (!atomic_load(&g_hammer_stop)) {
        nrt_emu_set_option("lnc", NULL);    /* option mutex */
        nrt_profile_stop("/nonexistent");   /* profile mutex */
        nrt_trace_stop("/nonexistent");     /* trace mutex */
    }
    return NULL;
}

static void test_fork_with_mutexes_held(void) {
    opt("log_level", "QUIET");
    atomic_store(&g_hammer_stop, 0);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, hammer, NULL);
    int hung = 0, failed = 0;
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(5); /* a mutex left locked in the child would hang it: SIGALRM kills it */
            NRT_STATUS a = nrt_emu_set_option("lnc", NULL);
            nrt_profile_stop("/nonexistent");
            nrt_trace_stop("/nonexistent");
            _exit(a == NRT_SUCCESS ? 0 : 1);
        }
        int ws = 0;
        waitpid(pid, &ws, 0);
        if (WIFSIGNALED(ws)) hung++;
        else if (WEXITSTATUS(ws) != 0) failed++;
    }
    atomic_store(&g_hammer_stop, 1);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    EXPECT(hung == 0);
    EXPECT(failed == 0);
    opt("log_level", "ERROR");
}

/* ---- memory stats, allocation info, batches ---------------------------------------------- */

static void test_memory_stats_and_batches(void) {
    nrt_vnc_memory_stats_t ms;
    size_t out = 99;
    EXPECT_ST(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, &out), NRT_CLOSED); /* closed by earlier tests */
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS); /* inf2.xlarge: 2 cores */
    EXPECT_ST(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, &out), NRT_SUCCESS);
    EXPECT(out == sizeof ms && ms.bytes_used == 0 && ms.bytes_limit == ((size_t)32 << 30));
    nrt_tensor_t *t = dev_tensor(0, 1000, "t");
    EXPECT_ST(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, &out), NRT_SUCCESS);
    EXPECT(ms.bytes_used == 1000);
    EXPECT_ST(nrt_get_vnc_memory_stats(1, &ms, sizeof ms, &out), NRT_SUCCESS);
    EXPECT(ms.bytes_used == 0);
    /* model constants count on the model's core (plus_one: 16 bytes) */
    buf_t p = prog_plus_one(0), nb = neff_of(&p, "plus-one", 1);
    nrt_model_t *m = NULL;
    EXPECT_ST(nrt_load(nb.p, nb.n, 1, -1, &m), NRT_SUCCESS);
    EXPECT_ST(nrt_get_vnc_memory_stats(1, &ms, sizeof ms, &out), NRT_SUCCESS);
    EXPECT(ms.bytes_used == 16);
    /* an older caller's smaller struct: only its prefix is written */
    nrt_vnc_memory_stats_t small = {7, 7};
    EXPECT_ST(nrt_get_vnc_memory_stats(0, &small, sizeof(size_t), &out), NRT_SUCCESS);
    EXPECT(out == sizeof(size_t) && small.bytes_used == 1000 && small.bytes_limit == 7);
    EXPECT_LOG(nrt_get_vnc_memory_stats(2, &ms, sizeof ms, &out), NRT_INVALID, "invalid vnc 2");
    EXPECT_ST(nrt_get_vnc_memory_stats(0, NULL, sizeof ms, &out), NRT_INVALID);
    EXPECT_ST(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, NULL), NRT_INVALID);

    /* device allocation info */
    nrt_tensor_device_allocation_info_t ai;
    EXPECT_ST(nrt_tensor_get_device_allocation_info(t, &ai), NRT_SUCCESS);
    EXPECT(ai.size == 1000 && ai.hbm_index == 0 &&
           ai.physical_address == (uint64_t)(uintptr_t)nrt_tensor_get_va(t));
    nrt_tensor_t *h = NULL;
    CAPTURE(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 64, "h", &h));
    EXPECT_LOG(nrt_tensor_get_device_allocation_info(h, &ai), NRT_INVALID, "not in device memory");
    EXPECT_ST(nrt_tensor_get_device_allocation_info(t, NULL), NRT_INVALID);
    EXPECT_ST(nrt_tensor_get_device_allocation_info(NULL, &ai), NRT_INVALID);

    /* batches: two tensors, several ops each; a bad op moves nothing */
    uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {9, 9, 9, 9, 9, 9, 9, 9}, c[4] = {42, 43, 44, 45};
    nrt_tensor_batch_op_t wops[2] = {{0, 8, a}, {992, 8, b}}, hops[1] = {{60, 4, c}};
    nrt_tensor_batch_t wb[2] = {{t, wops, 2}, {h, hops, 1}};
    EXPECT_ST(nrt_tensor_write_batch(wb, 2, false), NRT_SUCCESS);
    uint8_t ra[8] = {0}, rb[8] = {0}, rc[4] = {0};
    nrt_tensor_batch_op_t rops[2] = {{0, 8, ra}, {992, 8, rb}}, rhops[1] = {{60, 4, rc}};
    nrt_tensor_batch_t rbt[2] = {{t, rops, 2}, {h, rhops, 1}};
    EXPECT_ST(nrt_tensor_read_batch(rbt, 2, true), NRT_SUCCESS);
    EXPECT(memcmp(ra, a, 8) == 0 && memcmp(rb, b, 8) == 0 && memcmp(rc, c, 4) == 0);
    uint8_t z[8] = {0};
    nrt_tensor_batch_op_t bad[2] = {{0, 8, z}, {996, 8, z}}; /* second op out of bounds */
    nrt_tensor_batch_t badb = {t, bad, 2};
    EXPECT_LOG(nrt_tensor_write_batch(&badb, 1, false), NRT_INVALID, "batch 0 op 1 is invalid");
    memset(ra, 0, sizeof ra);
    nrt_tensor_batch_op_t one = {0, 8, ra};
    nrt_tensor_batch_t oneb = {t, &one, 1};
    EXPECT_ST(nrt_tensor_read_batch(&oneb, 1, false), NRT_SUCCESS);
    EXPECT(memcmp(ra, a, 8) == 0); /* the valid first op was not applied either */
    nrt_tensor_batch_op_t nullbuf = {0, 8, NULL};
    nrt_tensor_batch_t nb2 = {t, &nullbuf, 1};
    EXPECT_LOG(nrt_tensor_read_batch(&nb2, 1, false), NRT_INVALID, "buffer is NULL");
    nrt_tensor_batch_t nt = {NULL, &one, 1};
    EXPECT_ST(nrt_tensor_read_batch(&nt, 1, false), NRT_INVALID);
    EXPECT_ST(nrt_tensor_read_batch(NULL, 0, false), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_write_batch(NULL, 1, false), NRT_INVALID);

    /* model info */
    nrt_model_info_t mi = {99};
    size_t mo = 0;
    EXPECT_ST(nrt_get_model_info(m, &mi, sizeof mi, &mo), NRT_SUCCESS);
    EXPECT(mi.vnc == 1 && mo == sizeof mi);
    EXPECT_ST(nrt_get_model_info(m, &mi, 0, &mo), NRT_SUCCESS);
    EXPECT(mo == 0);
    EXPECT_ST(nrt_get_model_info(NULL, &mi, sizeof mi, &mo), NRT_INVALID_HANDLE);
    EXPECT_ST(nrt_get_model_info(m, NULL, sizeof mi, &mo), NRT_INVALID);

    nrt_tensor_free(&t);
    nrt_tensor_free(&h);
    EXPECT_ST(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, &out), NRT_SUCCESS);
    EXPECT(ms.bytes_used == 0);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    EXPECT_ST(nrt_get_vnc_memory_stats(1, &ms, sizeof ms, &out), NRT_SUCCESS);
    EXPECT(ms.bytes_used == 0);
    free(p.p);
    free(nb.p);
    nrt_close();
}

/* ---- output completion, traces, inspect, continuous profiling ------------------------------ */

typedef struct {
    nrt_model_t *m;
    nrt_tensor_set_t *is, *os;
    NRT_STATUS st;
} later_exec;
static void *exec_later(void *arg) {
    later_exec *e = arg;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    e->st = nrt_execute(e->m, e->is, e->os);
    return NULL;
}

static void test_completion_and_recordings(const char *dir) {
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    buf_t p = prog_plus_one(1000000), nb = neff_of(&p, "plus-one-1ms", 1);
    nrt_model_t *m = NULL;
    EXPECT_ST(nrt_load(nb.p, nb.n, 1, -1, &m), NRT_SUCCESS);
    nrt_tensor_t *x = dev_tensor(1, 16, "x"), *y = dev_tensor(1, 16, "y");
    nrt_tensor_set_t *is = NULL, *os = NULL;
    nrt_allocate_tensor_set(&is);
    nrt_allocate_tensor_set(&os);
    nrt_add_tensor_to_tensor_set(is, "x", x);
    nrt_add_tensor_to_tensor_set(os, "y", y);

    /* completion counters */
    EXPECT_LOG(nrt_tensor_check_output_completion(y, 0, 1), NRT_TIMEOUT, "completed 0 of 1");
    EXPECT_ST(nrt_tensor_check_output_completion(y, 0, 0), NRT_SUCCESS);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_check_output_completion(y, 0, 1), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_check_output_completion(y, 1000, 2), NRT_TIMEOUT);
    EXPECT_ST(nrt_execute_repeat(m, is, os, 3), NRT_SUCCESS); /* one completion per call */
    EXPECT_ST(nrt_tensor_check_output_completion(y, 0, 2), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_check_output_completion(y, 0, 3), NRT_TIMEOUT);
    EXPECT_ST(nrt_tensor_check_output_completion(x, 0, 1), NRT_TIMEOUT); /* inputs never count */
    EXPECT_ST(nrt_tensor_reset_output_completion(y), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_check_output_completion(y, 0, 1), NRT_TIMEOUT);
    EXPECT_ST(nrt_tensor_check_output_completion(NULL, 0, 1), NRT_INVALID);
    EXPECT_ST(nrt_tensor_reset_output_completion(NULL), NRT_INVALID);
    /* an unbounded wait returns once another thread's execution completes */
    later_exec e = {m, is, os, NRT_FAILURE};
    pthread_t th;
    pthread_create(&th, NULL, exec_later, &e);
    EXPECT_ST(nrt_tensor_check_output_completion(y, -1, 1), NRT_SUCCESS);
    pthread_join(th, NULL);
    EXPECT(e.st == NRT_SUCCESS);

    /* nrt_trace_* */
    char path[1400];
    snprintf(path, sizeof path, "%s/trace.json", dir);
    EXPECT_LOG(nrt_trace_stop(path), NRT_INVALID, "tracing is not on");
    EXPECT_ST(nrt_trace_start(false), NRT_SUCCESS);
    EXPECT_LOG(nrt_trace_start(false), NRT_INVALID, "already on");
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    EXPECT_ST(nrt_trace_stop(path), NRT_SUCCESS);
    EXPECT(file_contains(path, "\"execution_count\": 2"));
    EXPECT(file_contains(path, "\"model\": \"plus-one-1ms\", \"vnc\": 1"));
    EXPECT_ST(nrt_trace_stop(NULL), NRT_INVALID);

    /* inspect with options */
    nrt_inspect_config_t *cfg = NULL;
    const char **types = NULL;
    size_t ntypes = 0;
    EXPECT_ST(nrt_inspect_config_allocate(&cfg), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_get_all_activity_types(&types, &ntypes), NRT_SUCCESS);
    EXPECT(ntypes == 4 && strcmp(types[0], "system_profile") == 0 &&
           strcmp(types[3], "cpu_util") == 0);
    nrt_inspect_config_free_activity_types(types, ntypes);
    EXPECT_ST(nrt_inspect_config_set_activity(cfg, "device_profile", false), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_get_enabled_activity_types(cfg, &types, &ntypes), NRT_SUCCESS);
    EXPECT(ntypes == 3 && strcmp(types[1], "host_memory") == 0);
    nrt_inspect_config_free_activity_types(types, ntypes);
    EXPECT_LOG(nrt_inspect_config_set_activity(cfg, "bogus", true), NRT_INVALID,
               "unknown activity type 'bogus'");
    char idir[700];
    snprintf(idir, sizeof idir, "%s/inspect/out", dir);
    EXPECT_ST(nrt_inspect_config_set_output_dir(cfg, idir), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_set_output_dir(cfg, ""), NRT_INVALID);
    EXPECT_ST(nrt_inspect_config_set_session_id(cfg, 7), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_set_sys_trace_max_events_per_nc(cfg, 1000), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_set_capture_enabled_for_nc(cfg, 0, false), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_set_capture_enabled_for_nc(cfg, 100000, true), NRT_INVALID);
    EXPECT_ST(nrt_inspect_config_set_capture_enabled_for_event_type_string(cfg, "nc_exec", false),
              NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_set_capture_enabled_for_event_type_string(cfg, "nc_exec", true),
              NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_set_capture_enabled_for_event_type_string(cfg, NULL, true),
              NRT_INVALID);
    EXPECT_ST(nrt_inspect_config_set_enable_inspect_on_fail(cfg, false), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_set_enable_inspect(cfg, true), NRT_SUCCESS);
    EXPECT_LOG(nrt_inspect_stop(), NRT_INVALID, "has not begun");
    EXPECT_ST(nrt_inspect_begin_with_options(cfg), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_begin_with_options(cfg), NRT_INVALID);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_stop(), NRT_SUCCESS);
    snprintf(path, sizeof path, "%s/emulator-inspect-s7-p%ld.json", idir, (long)getpid());
    EXPECT(file_contains(path, "\"execution_count\": 1"));
    EXPECT(file_contains(path, "neuron-rt-emulator-inspect"));
    EXPECT_ST(nrt_inspect_config_set_defaults(cfg), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_get_enabled_activity_types(cfg, &types, &ntypes), NRT_SUCCESS);
    EXPECT(ntypes == 4);
    nrt_inspect_config_free_activity_types(types, ntypes);
    EXPECT_ST(nrt_inspect_config_free(cfg), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_config_free(NULL), NRT_INVALID);
    /* inspect from the environment */
    snprintf(idir, sizeof idir, "%s/inspect-env", dir);
    setenv("NEURON_RT_INSPECT_ENABLE", "1", 1);
    setenv("NEURON_RT_INSPECT_OUTPUT_DIR", idir, 1);
    EXPECT_ST(nrt_inspect_begin(), NRT_SUCCESS);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    EXPECT_ST(nrt_inspect_stop(), NRT_SUCCESS);
    unsetenv("NEURON_RT_INSPECT_ENABLE");
    unsetenv("NEURON_RT_INSPECT_OUTPUT_DIR");
    snprintf(path, sizeof path, "%s/emulator-inspect-s1-p%ld.json", idir, (long)getpid());
    EXPECT(file_contains(path, "\"execution_count\": 2"));

    /* continuous profiling */
    nrt_profile_continuous_options_t *co = NULL;
    EXPECT_ST(nrt_profile_continuous_options_allocate(&co), NRT_SUCCESS);
    snprintf(idir, sizeof idir, "%s/continuous", dir);
    EXPECT_ST(nrt_profile_continuous_options_set_output_dir(co, idir), NRT_SUCCESS);
    EXPECT_LOG(nrt_profile_continuous_save(1, co), NRT_INVALID, "not on");
    EXPECT_ST(nrt_profile_continuous_start(co), NRT_SUCCESS);
    EXPECT_ST(nrt_profile_continuous_start(co), NRT_INVALID);
    EXPECT_LOG(nrt_profile_continuous_save(1, co), NRT_INVALID, "no execution on vnc 1");
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    EXPECT_ST(nrt_profile_continuous_save(1, co), NRT_SUCCESS);
    EXPECT_ST(nrt_profile_continuous_save(7, co), NRT_INVALID);
    snprintf(path, sizeof path, "%s/emulator-continuous-vnc1-0-p%ld.json", idir, (long)getpid());
    EXPECT(file_contains(path, "\"model\": \"plus-one-1ms\""));
    EXPECT_ST(nrt_profile_continuous_stop(), NRT_SUCCESS);
    EXPECT_ST(nrt_profile_continuous_stop(), NRT_INVALID);
    EXPECT_ST(nrt_profile_continuous_options_free(co), NRT_SUCCESS);

    nrt_destroy_tensor_set(&is);
    nrt_destroy_tensor_set(&os);
    nrt_tensor_free(&x);
    nrt_tensor_free(&y);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    free(p.p);
    free(nb.p);
    nrt_close();
}

/* ---- device ids, collectives, implicit async, hardware-only calls ------------------------- */

static void async_cb(void *params, uint32_t model_id, uint32_t vnc, uint64_t job, NRT_STATUS st) {
    (void)params, (void)model_id, (void)vnc, (void)job, (void)st;
}

static void test_devices_collectives_unsupported(void) {
    uint32_t id = 99, map[4] = {7, 7, 7, 7}, count = 4;
    opt("instance", "inf2.24xlarge"); /* 6 devices */
    EXPECT_ST(nrt_host_device_id_get(5, &id), NRT_SUCCESS); /* before init too */
    EXPECT(id == 5);
    EXPECT_LOG(nrt_host_device_id_get(6, &id), NRT_INVALID, "the instance has 6 Neuron devices");
    EXPECT_LOG(nrt_host_device_id_rid_map_get(&count, map), NRT_INVALID, "room for 4 entries");
    opt("instance", "inf2.xlarge");
    EXPECT_ST(nrt_host_device_id_rid_map_get(&count, map), NRT_SUCCESS);
    EXPECT(count == 1 && map[0] == 0 && map[1] == 7);
    EXPECT_ST(nrt_host_device_id_get(0, NULL), NRT_INVALID);
    EXPECT_ST(nrt_host_device_id_rid_map_get(NULL, map), NRT_INVALID);

    EXPECT_ST(nrt_build_global_comm(0, 0, 1), NRT_CLOSED);
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    EXPECT_ST(nrt_build_global_comm(0, 0, 1), NRT_SUCCESS);
    EXPECT_LOG(nrt_build_global_comm(0, 0, 2), NRT_FAILURE,
               "nrt_build_global_comm is not supported by the neuron-rt emulator");
    EXPECT_LOG(nrt_build_global_comm(0, 1, 1), NRT_INVALID, "invalid worker 1 of 1");
    EXPECT_ST(nrt_build_global_comm(5, 0, 1), NRT_INVALID);
    EXPECT_ST(nrt_cc_global_comm_init(1, 0, 1), NRT_SUCCESS);
    EXPECT_LOG(nrt_cc_global_comm_init(1, 3, 4), NRT_FAILURE, "nrt_cc_global_comm_init is not");
    EXPECT_ST(nrt_barrier(0, 0, 1), NRT_SUCCESS);
    EXPECT_LOG(nrt_barrier(0, 0, 8), NRT_FAILURE, "nrt_barrier is not supported");
    uint8_t in[16], outb[16] = {0};
    for (int i = 0; i < 16; i++) in[i] = (uint8_t)(i * 3);
    EXPECT_ST(nrt_all_gather(0, 0, 1, 16, in, outb), NRT_SUCCESS);
    EXPECT(memcmp(in, outb, 16) == 0);
    EXPECT_LOG(nrt_all_gather(0, 0, 2, 16, in, outb), NRT_FAILURE, "nrt_all_gather is not");
    EXPECT_ST(nrt_all_gather(0, 0, 1, 16, NULL, outb), NRT_INVALID);

    EXPECT_ST(nrt_async_drain_queued_execs(1), NRT_SUCCESS);
    EXPECT_LOG(nrt_async_drain_queued_execs(2), NRT_INVALID, "invalid vnc 2");
    EXPECT_LOG(nrt_register_async_exec_callback(async_cb, NULL), NRT_FAILURE,
               "nrt_register_async_exec_callback is not supported by the neuron-rt emulator");
    EXPECT_ST(nrt_register_async_exec_callback(NULL, NULL), NRT_INVALID);

    int fd = 5;
    EXPECT_LOG(nrt_get_dmabuf_fd(4096, 4096, &fd), NRT_FAILURE,
               "nrt_get_dmabuf_fd is not supported by the neuron-rt emulator");
    EXPECT(fd == -1);
    EXPECT_ST(nrt_get_dmabuf_fd(4096, 4096, NULL), NRT_INVALID);
    char bdf[32];
    size_t len = sizeof bdf;
    EXPECT_LOG(nrt_get_attached_efa_bdf(in, bdf, &len), NRT_FAILURE,
               "nrt_get_attached_efa_bdf is not supported");
    EXPECT_ST(nrt_get_attached_efa_bdf(NULL, bdf, &len), NRT_INVALID);
    void *va = in;
    size_t sz = 1;
    EXPECT_LOG(nrt_get_hbm_mmap_va(0, 0, &va, &sz), NRT_INVALID,
               "nrt_get_hbm_mmap_va is not supported");
    EXPECT(va == NULL && sz == 0);
    EXPECT_LOG(nrt_memcpy_to_device(outb, in, 16), NRT_FAILURE, "nrt_memcpy_to_device is not");
    EXPECT_ST(nrt_memcpy_to_device(NULL, in, 16), NRT_INVALID);
    nrt_ucode_info uc;
    memset(&uc, 0, sizeof uc);
    EXPECT_LOG(nrt_set_pool_eng_ucode(&uc), NRT_FAILURE, "nrt_set_pool_eng_ucode is not");
    EXPECT_ST(nrt_set_pool_eng_ucode(NULL), NRT_INVALID);
    int err = 0;
    char msg[128] = "";
    void *plugin = (void *)1;
    CAPTURE(plugin = nrt_get_libnccl_net(&err, msg, sizeof msg));
    EXPECT(plugin == NULL && err != 0 && strstr(msg, "no collectives network plugin") != NULL);
    nrt_close();
    clear_options();
}

static void test_abi_coverage(void) {
    char dir[] = "/tmp/nrt_abi_test.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        g_fail++;
        return;
    }
    test_version_detail();
    test_fork_with_mutexes_held();
    test_memory_stats_and_batches();
    test_completion_and_recordings(dir);
    test_devices_collectives_unsupported();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}
