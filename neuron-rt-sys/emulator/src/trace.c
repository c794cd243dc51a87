/* trace.c: recordings of every execution in the process, for the three whole-process profiling
 * interfaces:
 *   nrt_trace_start / nrt_trace_stop(filename)     everything between them, to filename
 *   nrt_inspect_begin[_with_options] / _stop      everything between them, to
 *                                                 <output_dir>/emulator-inspect-s<session>-p<pid>.json
 *   nrt_profile_continuous_start / _save / _stop   the latest execution per core, written on
 *                                                 demand to <output_dir>/emulator-continuous-...json
 * One record per execution: model, first core, cores, start and duration (CLOCK_MONOTONIC ns,
 * relative to the recording's start) and status. The files are JSON, NOT the runtime's NTFF or
 * system-trace formats: Neuron profiler tools cannot read them (README "Choices"). nrt_execute
 * pays one relaxed atomic load while nothing records. */
#include "inspect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RECORDS 1000000u

typedef struct {
    char model[128];
    uint32_t vnc, k;
    uint64_t start, end;
    NRT_STATUS st;
} rec_t;

typedef struct {
    bool on;
    rec_t *r;
    size_t n, cap;
    uint64_t dropped, started;
} capture;

atomic_int nrtemu_trace_active;

static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;
static capture trace_cap, inspect_cap;
static struct {
    bool begun; /* nrt_inspect_begin* called, nrt_inspect_stop not yet */
    bool write_always, write_on_fail;
    int session;
    char *dir;
    uint8_t nc_disabled[NRTEMU_MAX_CORES];
} insp;
static struct {
    bool on;
    uint64_t started;
    bool has[NRTEMU_MAX_CORES];
    rec_t latest[NRTEMU_MAX_CORES];
    unsigned seq;
} cont;

void nrtemu_trace_fork_lock(void) { pthread_mutex_lock(&trace_mu); }
void nrtemu_trace_fork_unlock(void) { pthread_mutex_unlock(&trace_mu); }
/* In a forked child (which starts closed): no recording goes on; the parent's buffers are
   forgotten, not freed (the child may not own what another thread was using). */
void nrtemu_trace_fork_reinit(void) {
    pthread_mutex_init(&trace_mu, NULL);
    memset(&trace_cap, 0, sizeof trace_cap);
    memset(&inspect_cap, 0, sizeof inspect_cap);
    memset(&insp, 0, sizeof insp);
    memset(&cont, 0, sizeof cont);
    atomic_store(&nrtemu_trace_active, 0);
}

/* with trace_mu held */
static void update_active(void) {
    atomic_store_explicit(&nrtemu_trace_active, trace_cap.on || inspect_cap.on || cont.on,
                          memory_order_relaxed);
}

static void capture_add(capture *c, const rec_t *r) {
    if (c->n == c->cap && c->cap < MAX_RECORDS) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        if (cap > MAX_RECORDS) cap = MAX_RECORDS;
        rec_t *nr = realloc(c->r, cap * sizeof *nr);
        if (nr != NULL) {
            c->r = nr;
            c->cap = cap;
        }
    }
    if (c->n < c->cap)
        c->r[c->n++] = *r;
    else
        c->dropped++;
}

static void capture_clear(capture *c) {
    free(c->r);
    memset(c, 0, sizeof *c);
}

void nrtemu_trace_record(const struct nrt_model *m, uint64_t start_ns, uint64_t end_ns,
                         NRT_STATUS st) {
    rec_t r;
    snprintf(r.model, sizeof r.model, "%.127s", m->name);
    r.vnc = m->first_vnc;
    r.k = m->k;
    r.start = start_ns;
    r.end = end_ns;
    r.st = st;
    pthread_mutex_lock(&trace_mu);
    if (trace_cap.on) capture_add(&trace_cap, &r);
    if (inspect_cap.on && !insp.nc_disabled[r.vnc]) capture_add(&inspect_cap, &r);
    if (cont.on) {
        cont.latest[r.vnc] = r;
        cont.has[r.vnc] = true;
    }
    pthread_mutex_unlock(&trace_mu);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static NRT_STATUS write_records(const char *path, const char *kind, const rec_t *r, size_t n,
                                uint64_t dropped, uint64_t started, const char *fn) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        LOG_ERROR(fn, "cannot write '%s': %s", path, strerror(errno));
        return NRT_FAILURE;
    }
    fprintf(f, "{\n  \"format\": \"neuron-rt-emulator-%s\",\n  \"version\": 1,\n"
               "  \"note\": \"emulator execution records; not an NTFF file\",\n"
               "  \"execution_count\": %zu,\n  \"dropped\": %llu,\n  \"executions\": [",
            kind, n, (unsigned long long)dropped);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n    {\"model\": ", i ? "," : "");
        json_str(f, r[i].model);
        fprintf(f, ", \"vnc\": %u, \"vnc_count\": %u, \"start_ns\": %llu, \"total_ns\": %llu, "
                   "\"status\": \"%s\"}",
                r[i].vnc, r[i].k,
                (unsigned long long)(r[i].start >= started ? r[i].start - started : 0),
                (unsigned long long)(r[i].end - r[i].start), nrtemu_status_name(r[i].st));
    }
    fprintf(f, "%s]\n}\n", n ? "\n  " : "");
    if (fclose(f) != 0) {
        LOG_ERROR(fn, "cannot write '%s': %s", path, strerror(errno));
        return NRT_FAILURE;
    }
    LOG_INFO(fn, "wrote %zu execution records to '%s' (emulator JSON, not NTFF)", n, path);
    return NRT_SUCCESS;
}

static bool mkdir_p(const char *dir) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof path) return false;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return false;
        *p = '/';
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static NRT_STATUS need_init(const char *fn) {
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS)
        LOG_ERROR(fn, "the runtime is %s", st == NRT_CLOSED ? "closed (nrt_close was called)"
                                                          : "not initialised (call nrt_init first)");
    return st;
}

/* ---- nrt_trace_* ------------------------------------------------------------------------- */

NRTEMU_API NRT_STATUS nrt_trace_start(bool trace_mem) {
    static const char fn[] = "nrt_trace_start";
    NRT_STATUS st = need_init(fn);
    if (st != NRT_SUCCESS) return st;
    pthread_mutex_lock(&trace_mu);
    bool busy = trace_cap.on;
    if (!busy) {
        capture_clear(&trace_cap);
        trace_cap.on = true;
        trace_cap.started = nrtemu_now_ns();
        update_active();
    }
    pthread_mutex_unlock(&trace_mu);
    if (busy) {
        LOG_ERROR(fn, "tracing is already on (call nrt_trace_stop first)");
        return NRT_INVALID;
    }
    if (trace_mem)
        LOG_INFO(fn, "trace_mem: the emulator records executions only, not memory allocations");
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_trace_stop(const char *filename) {
    static const char fn[] = "nrt_trace_stop";
    if (filename == NULL || filename[0] == '\0') {
        LOG_ERROR(fn, "filename is NULL or empty");
        return NRT_INVALID;
    }
    pthread_mutex_lock(&trace_mu);
    capture c = trace_cap;
    bool was_on = c.on;
    if (was_on) {
        memset(&trace_cap, 0, sizeof trace_cap);
        update_active();
    }
    pthread_mutex_unlock(&trace_mu);
    if (!was_on) {
        LOG_ERROR(fn, "tracing is not on (call nrt_trace_start first)");
        return NRT_INVALID;
    }
    NRT_STATUS st = write_records(filename, "trace", c.r, c.n, c.dropped, c.started, fn);
    capture_clear(&c);
    return st;
}

/* ---- nrt_inspect_* ----------------------------------------------------------------------- */

static NRT_STATUS inspect_start(bool always, bool on_fail, int session, const char *dir,
                                const uint8_t *nc_disabled, const char *fn) {
    NRT_STATUS st = need_init(fn);
    if (st != NRT_SUCCESS) return st;
    char *d = nrtemu_strdup(dir);
    if (d == NULL) return NRT_RESOURCE;
    pthread_mutex_lock(&trace_mu);
    bool busy = insp.begun;
    if (!busy) {
        insp.begun = true;
        insp.write_always = always;
        insp.write_on_fail = on_fail;
        insp.session = session;
        insp.dir = d;
        if (nc_disabled != NULL)
            memcpy(insp.nc_disabled, nc_disabled, sizeof insp.nc_disabled);
        else
            memset(insp.nc_disabled, 0, sizeof insp.nc_disabled);
        capture_clear(&inspect_cap);
        inspect_cap.on = always || on_fail;
        inspect_cap.started = nrtemu_now_ns();
        update_active();
    }
    pthread_mutex_unlock(&trace_mu);
    if (busy) {
        free(d);
        LOG_ERROR(fn, "inspect profiling has already begun (call nrt_inspect_stop first)");
        return NRT_INVALID;
    }
    if (!always && !on_fail)
        LOG_WARN(fn, "inspect is disabled (enable_inspect and enable_inspect_on_fail are both off): "
                     "nothing will be captured");
    return NRT_SUCCESS;
}

static bool env_on(const char *name, bool dflt) {
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') return dflt;
    return nrtemu_env_true(name);
}

NRTEMU_API NRT_STATUS nrt_inspect_begin(void) {
    bool enable = env_on("NEURON_RT_INSPECT_ENABLE", false);
    bool device = env_on("NEURON_RT_INSPECT_DEVICE_PROFILE", enable);
    bool system = env_on("NEURON_RT_INSPECT_SYSTEM_PROFILE", enable);
    bool on_fail = env_on("NEURON_RT_INSPECT_ON_FAIL", false);
    const char *dir = getenv("NEURON_RT_INSPECT_OUTPUT_DIR");
    return inspect_start(enable && (device || system), on_fail, 1,
                         dir && dir[0] ? dir : NRTEMU_DEFAULT_OUTPUT_DIR, NULL, "nrt_inspect_begin");
}

NRTEMU_API NRT_STATUS nrt_inspect_begin_with_options(nrt_inspect_config_t *options) {
    static const char fn[] = "nrt_inspect_begin_with_options";
    if (options == NULL) /* the defaults: inspect disabled */
        return inspect_start(false, false, 1, NRTEMU_DEFAULT_OUTPUT_DIR, NULL, fn);
    NRT_STATUS st = nrtemu_inspect_config_check(options, fn);
    if (st != NRT_SUCCESS) return st;
    bool profiles = (options->activities &
                     (NRTEMU_ACT_SYSTEM_PROFILE | NRTEMU_ACT_DEVICE_PROFILE)) != 0;
    return inspect_start(options->enable_inspect && profiles, options->enable_inspect_on_fail,
                         options->session_id,
                         options->output_dir ? options->output_dir : NRTEMU_DEFAULT_OUTPUT_DIR,
                         options->nc_disabled, fn);
}

/* Ends the inspect session; writes its file when due. trace_mu NOT held. */
static NRT_STATUS inspect_finish(const char *fn) {
    pthread_mutex_lock(&trace_mu);
    bool begun = insp.begun, always = insp.write_always, on_fail = insp.write_on_fail;
    int session = insp.session;
    char *dir = insp.dir;
    capture c = inspect_cap;
    insp.begun = false;
    insp.dir = NULL;
    memset(&inspect_cap, 0, sizeof inspect_cap);
    update_active();
    pthread_mutex_unlock(&trace_mu);
    if (!begun) {
        LOG_ERROR(fn, "inspect profiling has not begun (call nrt_inspect_begin first)");
        return NRT_INVALID;
    }
    bool failed = false;
    for (size_t i = 0; i < c.n; i++)
        if (c.r[i].st != NRT_SUCCESS) failed = true;
    NRT_STATUS st = NRT_SUCCESS;
    if (always || (on_fail && failed)) {
        char path[4200];
        snprintf(path, sizeof path, "%s/emulator-inspect-s%d-p%ld.json", dir, session,
                 (long)getpid());
        if (!mkdir_p(dir)) {
            LOG_ERROR(fn, "cannot create the output directory '%s': %s", dir, strerror(errno));
            st = NRT_FAILURE;
        } else {
            st = write_records(path, "inspect", c.r, c.n, c.dropped, c.started, fn);
        }
    }
    capture_clear(&c);
    free(dir);
    return st;
}

NRTEMU_API NRT_STATUS nrt_inspect_stop(void) { return inspect_finish("nrt_inspect_stop"); }

/* ---- nrt_profile_continuous_* ------------------------------------------------------------ */

NRTEMU_API NRT_STATUS nrt_profile_continuous_start(nrt_profile_continuous_options_t *options) {
    static const char fn[] = "nrt_profile_continuous_start";
    NRT_STATUS st = nrtemu_continuous_options_check(options, fn);
    if (st == NRT_SUCCESS) st = need_init(fn);
    if (st != NRT_SUCCESS) return st;
    pthread_mutex_lock(&trace_mu);
    bool busy = cont.on || insp.begun;
    if (!busy) {
        memset(&cont, 0, sizeof cont);
        cont.on = true;
        cont.started = nrtemu_now_ns();
        update_active();
    }
    pthread_mutex_unlock(&trace_mu);
    if (busy) {
        LOG_ERROR(fn, "continuous profiling cannot start: it is already on, or inspect profiling "
                      "has begun");
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_profile_continuous_save(uint32_t vnc,
                                                  nrt_profile_continuous_options_t *options) {
    static const char fn[] = "nrt_profile_continuous_save";
    NRT_STATUS st = nrtemu_continuous_options_check(options, fn);
    if (st == NRT_SUCCESS) st = nrtemu_check_vnc(vnc, fn);
    if (st != NRT_SUCCESS) return st;
    pthread_mutex_lock(&trace_mu);
    bool on = cont.on, has = on && cont.has[vnc];
    rec_t r;
    uint64_t started = cont.started;
    unsigned seq = 0;
    if (has) {
        r = cont.latest[vnc];
        seq = cont.seq++;
    }
    pthread_mutex_unlock(&trace_mu);
    if (!on) {
        LOG_ERROR(fn, "continuous profiling is not on (call nrt_profile_continuous_start first)");
        return NRT_INVALID;
    }
    if (!has) {
        LOG_ERROR(fn, "no execution on vnc %u since continuous profiling started: nothing to save",
                  vnc);
        return NRT_INVALID;
    }
    const char *dir = options->output_dir ? options->output_dir : NRTEMU_DEFAULT_OUTPUT_DIR;
    if (!mkdir_p(dir)) {
        LOG_ERROR(fn, "cannot create the output directory '%s': %s", dir, strerror(errno));
        return NRT_FAILURE;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/emulator-continuous-vnc%u-%u-p%ld.json", dir, vnc, seq,
             (long)getpid());
    return write_records(path, "continuous", &r, 1, 0, started, fn);
}

NRTEMU_API NRT_STATUS nrt_profile_continuous_stop(void) {
    pthread_mutex_lock(&trace_mu);
    bool on = cont.on;
    cont.on = false;
    update_active();
    pthread_mutex_unlock(&trace_mu);
    if (!on) {
        LOG_ERROR("nrt_profile_continuous_stop", "continuous profiling is not on");
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}

void nrtemu_trace_stop_all(void) {
    pthread_mutex_lock(&trace_mu);
    bool tracing = trace_cap.on, inspecting = insp.begun;
    if (tracing) capture_clear(&trace_cap);
    cont.on = false;
    update_active();
    pthread_mutex_unlock(&trace_mu);
    if (tracing)
        LOG_WARN("nrt_close", "tracing was not stopped (nrt_trace_stop): its records are dropped");
    if (inspecting) {
        LOG_WARN("nrt_close", "inspect profiling was not stopped: stopping it");
        inspect_finish("nrt_close");
    }
}
