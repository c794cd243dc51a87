/* config.c: emulator options (nrt_emu_set_option) and the runtime environment variables.
 *
 * Every option has an environment variable; an option set through nrt_emu_set_option overrides
 * it, NULL clears the option. Values are read when needed (nrt_init, the core-count queries,
 * nrt_load), never cached across nrt_init calls. */
#include "emu.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static pthread_mutex_t opt_mu = PTHREAD_MUTEX_INITIALIZER;
static char *opt_value[NRTEMU_OPT_COUNT];
static bool opt_set[NRTEMU_OPT_COUNT];

static const char *const opt_keys[NRTEMU_OPT_COUNT] = {
    "instance",  "lnc",            "lock_dir",    "visible_cores", "num_cores",
    "log_level", "device_time_us", "output_fill", "host_bandwidth"};
static const char *const opt_envs[NRTEMU_OPT_COUNT] = {
    "NEURON_RT_EMULATOR_INSTANCE", "NEURON_LOGICAL_NC_CONFIG", "NEURON_RT_EMULATOR_LOCK_DIR",
    "NEURON_RT_VISIBLE_CORES",     "NEURON_RT_NUM_CORES",      "NEURON_RT_LOG_LEVEL",
    "NEURON_RT_EMULATOR_DEVICE_TIME_US", "NEURON_RT_EMULATOR_OUTPUT_FILL",
    "NEURON_RT_EMULATOR_HOST_BANDWIDTH"};

const char *nrtemu_config_env_name(int opt) { return opt_envs[opt]; }

/* fork handlers (lifecycle.c): the option mutex must not stay locked in the child. */
void nrtemu_config_fork_lock(void) { pthread_mutex_lock(&opt_mu); }
void nrtemu_config_fork_unlock(void) { pthread_mutex_unlock(&opt_mu); }
void nrtemu_config_fork_reinit(void) { pthread_mutex_init(&opt_mu, NULL); }

static char *dup_str(const char *s) {
    if (s == NULL) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *nrtemu_config_get(int opt) {
    char *r;
    pthread_mutex_lock(&opt_mu);
    r = opt_set[opt] ? dup_str(opt_value[opt]) : dup_str(getenv(opt_envs[opt]));
    pthread_mutex_unlock(&opt_mu);
    return r;
}

bool nrtemu_config_is_set(int opt) {
    pthread_mutex_lock(&opt_mu);
    bool r = opt_set[opt];
    pthread_mutex_unlock(&opt_mu);
    return r;
}

/* ---- small parsers ------------------------------------------------------------------------ */

static const char *skip_ws(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}

static bool is_blank(const char *s) { return *skip_ws(s) == '\0'; }

/* Decimal, no sign, at most 7 digits. Advances *p. */
static bool parse_uint(const char **p, uint32_t *out) {
    const char *s = skip_ws(*p);
    uint32_t v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (++digits > 7) return false;
        v = v * 10 + (uint32_t)(*s - '0');
        s++;
    }
    if (digits == 0) return false;
    *out = v;
    *p = skip_ws(s);
    return true;
}

typedef struct {
    uint32_t lo, hi;
} range_t;

static int cmp_range(const void *a, const void *b) {
    const range_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

enum { VIS_OK, VIS_MALFORMED, VIS_DUPLICATE, VIS_NOT_CONTIGUOUS, VIS_NOMEM };

/* "3", "3-6", "3,4,5", "3-5,6" (whitespace tolerated). On VIS_DUPLICATE *lo is the core. */
static int parse_visible(const char *s, uint32_t *lo, uint32_t *hi) {
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        if (*c == ',') cap++;
    range_t *r = malloc(cap * sizeof *r);
    if (r == NULL) return VIS_NOMEM;
    size_t n = 0;
    const char *p = s;
    int rc = VIS_OK;
    for (;;) {
        uint32_t a, b;
        if (!parse_uint(&p, &a)) { rc = VIS_MALFORMED; break; }
        b = a;
        if (*p == '-') {
            p++;
            if (!parse_uint(&p, &b) || b < a) { rc = VIS_MALFORMED; break; }
        }
        r[n].lo = a;
        r[n].hi = b;
        n++;
        if (*p == '\0') break;
        if (*p != ',') { rc = VIS_MALFORMED; break; }
        p++;
    }
    if (rc == VIS_OK) {
        qsort(r, n, sizeof *r, cmp_range);
        for (size_t i = 1; i < n; i++) {
            if (r[i].lo <= r[i - 1].hi) { rc = VIS_DUPLICATE; *lo = r[i].lo; break; }
            if (r[i].lo != r[i - 1].hi + 1) { rc = VIS_NOT_CONTIGUOUS; break; }
        }
        if (rc == VIS_OK) {
            *lo = r[0].lo;
            *hi = r[n - 1].hi;
        }
    }
    free(r);
    return rc;
}

/* A whole-string non-negative integer. */
static bool parse_whole_uint(const char *s, uint32_t *out) {
    const char *p = s;
    return parse_uint(&p, out) && *p == '\0';
}

bool nrtemu_env_true(const char *name) {
    const char *v = getenv(name);
    if (v == NULL) return false;
    v = skip_ws(v);
    return strcmp(v, "1") == 0 || strncasecmp(v, "true", 4) == 0 || strncasecmp(v, "yes", 3) == 0;
}

/* ---- compiler NEFFs: device time and output fill ----------------------------------------- */

/* Whole-string microseconds, at most 10^9 (1000 s). */
static bool parse_us(const char *s, size_t n, uint64_t *ns) {
    while (n > 0 && (*s == ' ' || *s == '\t')) s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n == 0 || n > 10) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > 1000000000u) return false;
    *ns = v * 1000u;
    return true;
}

/* "US" or "NAME=US,...,US": 0 and *ns for model (its entry, else the default, else 0); -1 when
   malformed (two defaults, an empty entry, a bad number). */
static int parse_device_time(const char *spec, const char *model, uint64_t *ns) {
    uint64_t def = 0, named = 0;
    bool have_def = false, have_named = false;
    const char *p = spec;
    if (is_blank(spec)) {
        *ns = 0;
        return 0;
    }
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        uint64_t v;
        if (eq == NULL) {
            if (have_def || !parse_us(p, n, &v)) return -1;
            have_def = true;
            def = v;
        } else {
            size_t kl = (size_t)(eq - p);
            if (kl == 0 || !parse_us(eq + 1, n - kl - 1, &v)) return -1;
            if (!have_named && strlen(model) == kl && memcmp(model, p, kl) == 0) {
                have_named = true;
                named = v;
            }
        }
        if (end == NULL) break;
        p = end + 1;
    }
    *ns = have_named ? named : def;
    return 0;
}

static int parse_fill(const char *v) {
    if (is_blank(v)) return NRTEMU_FILL_ZEROS;
    v = skip_ws(v);
    if (strncasecmp(v, "zeros", 5) == 0 && is_blank(v + 5)) return NRTEMU_FILL_ZEROS;
    if (strncasecmp(v, "pattern", 7) == 0 && is_blank(v + 7)) return NRTEMU_FILL_PATTERN;
    return -1;
}

NRT_STATUS nrtemu_compiled_exec_config(const char *model, uint64_t *device_time_ns, int *fill,
                                       const char *fn) {
    NRT_STATUS st = NRT_SUCCESS;
    char *dt = nrtemu_config_get(NRTEMU_OPT_DEVICE_TIME_US);
    char *fv = nrtemu_config_get(NRTEMU_OPT_OUTPUT_FILL);
    *device_time_ns = 0;
    *fill = NRTEMU_FILL_ZEROS;
    if (dt != NULL && parse_device_time(dt, model, device_time_ns) != 0) {
        LOG_ERROR(fn, "NEURON_RT_EMULATOR_DEVICE_TIME_US='%s' is malformed: expected microseconds "
                      "(0-1000000000), or a comma list of NAME=US entries and at most one bare "
                      "default, e.g. \"file.neff=250,40\"", dt);
        st = NRT_INVALID;
    } else if (fv != NULL && (*fill = parse_fill(fv)) < 0) {
        LOG_ERROR(fn, "NEURON_RT_EMULATOR_OUTPUT_FILL='%s' is malformed: expected zeros or pattern",
                  fv);
        st = NRT_INVALID;
    }
    free(dt);
    free(fv);
    return st;
}

/* Bytes per second: a non-negative decimal number (fractions and exponents accepted, e.g. 8e9),
 * at most 1e15; -1 when malformed. 0 means unlimited. */
static double parse_bandwidth(const char *v) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || errno != 0 || *skip_ws(end) != '\0' || !(d >= 0) || !isfinite(d) || d > 1e15)
        return -1;
    return d;
}

uint64_t nrtemu_host_bandwidth_config(const char *fn) {
    char *v = nrtemu_config_get(NRTEMU_OPT_HOST_BANDWIDTH);
    uint64_t bw = 0;
    if (v != NULL && !is_blank(v)) {
        double d = parse_bandwidth(v);
        if (d < 0)
            LOG_WARN(fn, "NEURON_RT_EMULATOR_HOST_BANDWIDTH='%s' is not a number of bytes per "
                         "second (e.g. 8e9); copies take no time", v);
        else
            bw = (uint64_t)d;
    }
    free(v);
    return bw;
}

/* ---- nrt_emu_set_option ------------------------------------------------------------------ */

NRTEMU_API NRT_STATUS nrt_emu_set_option(const char *key, const char *value) {
    static const char fn[] = "nrt_emu_set_option";
    if (key == NULL) {
        LOG_ERROR(fn, "key is NULL");
        return NRT_INVALID;
    }
    int opt = -1;
    for (int i = 0; i < NRTEMU_OPT_COUNT; i++)
        if (strcmp(key, opt_keys[i]) == 0) opt = i;
    if (opt < 0) {
        LOG_ERROR(fn, "unknown option '%s' (valid: instance, lnc, lock_dir, visible_cores, "
                      "num_cores, log_level, device_time_us, output_fill, host_bandwidth)", key);
        return NRT_INVALID;
    }
    if (nrtemu_state_status() == NRT_SUCCESS) {
        LOG_ERROR(fn, "option '%s' cannot be changed while the runtime is initialised "
                      "(call nrt_close first)", key);
        return NRT_FAILURE;
    }
    if (value != NULL) {
        bool ok = true;
        uint32_t u, lo, hi;
        switch (opt) {
        case NRTEMU_OPT_INSTANCE:
            if (nrtemu_instance_find(value) == NULL) {
                char names[512];
                nrtemu_instance_names(names, sizeof names);
                LOG_ERROR(fn, "unknown instance preset '%s'; valid presets: %s", value, names);
                return NRT_INVALID;
            }
            break;
        case NRTEMU_OPT_LNC: ok = parse_whole_uint(value, &u) && (u == 1 || u == 2); break;
        case NRTEMU_OPT_LOCK_DIR: ok = !is_blank(value); break;
        case NRTEMU_OPT_VISIBLE_CORES:
            ok = is_blank(value) || parse_visible(value, &lo, &hi) != VIS_MALFORMED;
            break;
        case NRTEMU_OPT_NUM_CORES: ok = is_blank(value) || parse_whole_uint(value, &u); break;
        case NRTEMU_OPT_LOG_LEVEL: ok = nrtemu_log_parse_level(value) >= 0; break;
        case NRTEMU_OPT_DEVICE_TIME_US: {
            uint64_t ns;
            ok = parse_device_time(value, "", &ns) == 0;
            break;
        }
        case NRTEMU_OPT_OUTPUT_FILL: ok = parse_fill(value) >= 0; break;
        case NRTEMU_OPT_HOST_BANDWIDTH: ok = is_blank(value) || parse_bandwidth(value) >= 0; break;
        default: break;
        }
        if (!ok) {
            LOG_ERROR(fn, "malformed value '%s' for option '%s'", value, key);
            return NRT_INVALID;
        }
    }
    char *copy = NULL;
    if (value != NULL && (copy = dup_str(value)) == NULL) return NRT_RESOURCE;
    pthread_mutex_lock(&opt_mu);
    free(opt_value[opt]);
    opt_value[opt] = copy;
    opt_set[opt] = value != NULL;
    pthread_mutex_unlock(&opt_mu);
    if (opt == NRTEMU_OPT_LOG_LEVEL) nrtemu_log_resolve();
    return NRT_SUCCESS;
}

/* ---- topology: instance + LNC ------------------------------------------------------------- */

NRT_STATUS nrtemu_topo_resolve(nrtemu_topo *t, const char *fn) {
    char *name = nrtemu_config_get(NRTEMU_OPT_INSTANCE);
    const char *use = (name == NULL || is_blank(name)) ? NRTEMU_DEFAULT_INSTANCE : name;
    const nrtemu_instance *inst = nrtemu_instance_find(use);
    if (inst == NULL) {
        char names[512];
        nrtemu_instance_names(names, sizeof names);
        LOG_ERROR(fn, "unknown emulated instance '%s' (NEURON_RT_EMULATOR_INSTANCE); valid "
                      "presets: %s", use, names);
        free(name);
        return NRT_INVALID;
    }
    free(name);
    uint32_t lnc = inst->default_lnc;
    char *lv = nrtemu_config_get(NRTEMU_OPT_LNC);
    if (lv != NULL && !is_blank(lv)) {
        uint32_t u;
        bool ok = parse_whole_uint(lv, &u);
        if (inst->lnc_configurable ? !(ok && (u == 1 || u == 2)) : !(ok && u == 1)) {
            LOG_ERROR(fn, "NEURON_LOGICAL_NC_CONFIG='%s' is not valid on %s: valid values are %s",
                      lv, inst->name,
                      inst->lnc_configurable ? "1 or 2" : "1 only (LNC 2 is a Trn2 feature)");
            free(lv);
            return NRT_INVALID;
        }
        lnc = u;
    }
    free(lv);
    t->inst = inst;
    t->lnc = lnc;
    t->cores_per_chip = inst->phys_cores_per_chip / lnc;
    t->chips = inst->chips;
    t->total = t->cores_per_chip * t->chips;
    t->mem_per_chip = inst->mem_per_chip;
    return NRT_SUCCESS;
}

/* ---- which cores to reserve: NEURON_RT_VISIBLE_CORES / NEURON_RT_NUM_CORES ---------------- */

NRT_STATUS nrtemu_request_resolve(const nrtemu_topo *t, nrtemu_request *r, const char *fn,
                                  bool warn) {
    char *vis = nrtemu_config_get(NRTEMU_OPT_VISIBLE_CORES);
    char *num = nrtemu_config_get(NRTEMU_OPT_NUM_CORES);
    NRT_STATUS st = NRT_SUCCESS;
    if (vis != NULL && is_blank(vis)) { free(vis); vis = NULL; }
    if (num != NULL && is_blank(num)) { free(num); num = NULL; }
    r->kind = NRTEMU_REQ_ALL;
    r->first = 0;
    r->count = t->total;
    if (vis != NULL) {
        if (num != NULL && warn)
            LOG_WARN(fn, "both NEURON_RT_VISIBLE_CORES='%s' and NEURON_RT_NUM_CORES='%s' are set: "
                         "NEURON_RT_VISIBLE_CORES takes precedence", vis, num);
        uint32_t lo = 0, hi = 0;
        int rc = parse_visible(vis, &lo, &hi);
        switch (rc) {
        case VIS_OK:
            if (hi >= t->total) {
                LOG_ERROR(fn, "NEURON_RT_VISIBLE_CORES='%s' is out of range: valid core ids are "
                              "0-%u on %s (%u logical NeuronCores at LNC %u)",
                          vis, t->total - 1, t->inst->name, t->total, t->lnc);
                st = NRT_INVALID;
            } else {
                r->kind = NRTEMU_REQ_VISIBLE;
                r->first = lo;
                r->count = hi - lo + 1;
            }
            break;
        case VIS_NOT_CONTIGUOUS:
            LOG_ERROR(fn, "Logical Neuron cores are not contiguous: NEURON_RT_VISIBLE_CORES='%s'",
                      vis);
            st = NRT_INVALID;
            break;
        case VIS_DUPLICATE:
            LOG_ERROR(fn, "NEURON_RT_VISIBLE_CORES='%s' lists core %u more than once (duplicate or "
                          "overlapping ranges); valid core ids are 0-%u on %s",
                      vis, lo, t->total - 1, t->inst->name);
            st = NRT_INVALID;
            break;
        case VIS_NOMEM: st = NRT_RESOURCE; break;
        default:
            LOG_ERROR(fn, "NEURON_RT_VISIBLE_CORES='%s' is malformed: expected an id, a range a-b "
                          "or a comma list of them, with core ids in 0-%u on %s",
                      vis, t->total - 1, t->inst->name);
            st = NRT_INVALID;
            break;
        }
    } else if (num != NULL) {
        uint32_t n;
        if (!parse_whole_uint(num, &n) || n > t->total) {
            LOG_ERROR(fn, "NEURON_RT_NUM_CORES='%s' is %s: valid values are 0-%u on %s (0 = all)",
                      num, parse_whole_uint(num, &n) ? "out of range" : "malformed", t->total,
                      t->inst->name);
            st = NRT_INVALID;
        } else if (n == 0) {
            /* all cores */
        } else if (t->inst->lnc_configurable && n != 1 && n % t->cores_per_chip != 0) {
            LOG_ERROR(fn, "NEURON_RT_NUM_CORES=%u is not valid on %s: it must be 1 or a multiple "
                          "of %u (logical cores per chip at LNC %u)",
                      n, t->inst->name, t->cores_per_chip, t->lnc);
            st = NRT_INVALID;
        } else {
            r->kind = NRTEMU_REQ_NUM;
            r->count = n;
        }
    }
    free(vis);
    free(num);
    return st;
}

char *nrtemu_lock_dir_base(void) {
    char *d = nrtemu_config_get(NRTEMU_OPT_LOCK_DIR);
    if (d != NULL && !is_blank(d)) return d;
    free(d);
    char buf[4096];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg != NULL && xdg[0] == '/')
        snprintf(buf, sizeof buf, "%s/neuron-rt-emulator", xdg);
    else
        snprintf(buf, sizeof buf, "/tmp/neuron-rt-emulator-%lu", (unsigned long)getuid());
    return dup_str(buf);
}

NRT_STATUS nrtemu_exec_timeout_ns(uint64_t *ns, const char *fn) {
    double s = NRTEMU_DEFAULT_EXEC_TIMEOUT_S;
    const char *v = getenv("NEURON_RT_EXEC_TIMEOUT");
    if (v != NULL && !is_blank(v)) {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (errno != 0 || *skip_ws(end) != '\0' || !(d > 0) || !isfinite(d) || d > 1e9)
            LOG_WARN(fn, "NEURON_RT_EXEC_TIMEOUT='%s' is not a positive number of seconds; using "
                         "the default of %g s", v, s);
        else
            s = d;
    }
    *ns = (uint64_t)(s * 1e9);
    return NRT_SUCCESS;
}
