/* inspect_config.c: option objects of the inspect and continuous profiling calls (allocate,
 * defaults, setters, free, activity type lists). Pure data: they take effect when passed to
 * nrt_inspect_begin_with_options / nrt_profile_continuous_start / _save (trace.c). */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

#define CONFIG_MAGIC 0x49435046u  /* "ICPF" */
#define OPTIONS_MAGIC 0x50434f4eu /* "PCON" */

static const char *const activity_names[] = {"system_profile", "device_profile", "host_memory",
                                             "cpu_util"};
#define N_ACTIVITIES (sizeof activity_names / sizeof activity_names[0])

char *nrtemu_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) memcpy(d, s, n);
    return d;
}

NRT_STATUS nrtemu_inspect_config_check(const nrt_inspect_config_t *o, const char *fn) {
    if (o == NULL) {
        LOG_ERROR(fn, "options is NULL");
        return NRT_INVALID;
    }
    if (o->magic != CONFIG_MAGIC) {
        LOG_ERROR(fn, "%p is not a live nrt_inspect_config_t (use nrt_inspect_config_allocate)",
                  (const void *)o);
        return NRT_INVALID_HANDLE;
    }
    return NRT_SUCCESS;
}

NRT_STATUS nrtemu_continuous_options_check(const nrt_profile_continuous_options_t *o,
                                           const char *fn) {
    if (o == NULL) {
        LOG_ERROR(fn, "options is NULL");
        return NRT_INVALID;
    }
    if (o->magic != OPTIONS_MAGIC) {
        LOG_ERROR(fn, "%p is not a live nrt_profile_continuous_options_t (use "
                      "nrt_profile_continuous_options_allocate)", (const void *)o);
        return NRT_INVALID_HANDLE;
    }
    return NRT_SUCCESS;
}

static NRT_STATUS set_dir(char **slot, const char *dir, const char *fn) {
    if (dir == NULL || dir[0] == '\0') {
        LOG_ERROR(fn, "output_dir is NULL or empty");
        return NRT_INVALID;
    }
    char *copy = nrtemu_strdup(dir);
    if (copy == NULL) return NRT_RESOURCE;
    free(*slot);
    *slot = copy;
    return NRT_SUCCESS;
}

/* ---- continuous profiling options -------------------------------------------------------- */

NRTEMU_API NRT_STATUS nrt_profile_continuous_options_allocate(
    nrt_profile_continuous_options_t **options) {
    if (options == NULL) {
        LOG_ERROR("nrt_profile_continuous_options_allocate", "options is NULL");
        return NRT_INVALID;
    }
    nrt_profile_continuous_options_t *o = calloc(1, sizeof *o);
    if (o == NULL) return NRT_RESOURCE;
    o->magic = OPTIONS_MAGIC;
    *options = o;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_profile_continuous_options_free(nrt_profile_continuous_options_t *options) {
    NRT_STATUS st = nrtemu_continuous_options_check(options, "nrt_profile_continuous_options_free");
    if (st != NRT_SUCCESS) return st;
    options->magic = 0;
    free(options->output_dir);
    free(options);
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_profile_continuous_options_set_output_dir(
    nrt_profile_continuous_options_t *options, const char *output_dir) {
    static const char fn[] = "nrt_profile_continuous_options_set_output_dir";
    NRT_STATUS st = nrtemu_continuous_options_check(options, fn);
    return st != NRT_SUCCESS ? st : set_dir(&options->output_dir, output_dir, fn);
}

/* ---- inspect configuration --------------------------------------------------------------- */

static void config_reset(nrt_inspect_config_t *o) {
    free(o->output_dir);
    for (size_t i = 0; i < o->n_events; i++) free(o->events[i].name);
    free(o->events);
    memset(o, 0, sizeof *o);
    o->magic = CONFIG_MAGIC;
    o->session_id = 1;
    o->activities = NRTEMU_ACT_ALL;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_allocate(nrt_inspect_config_t **options) {
    if (options == NULL) {
        LOG_ERROR("nrt_inspect_config_allocate", "options is NULL");
        return NRT_INVALID;
    }
    nrt_inspect_config_t *o = calloc(1, sizeof *o);
    if (o == NULL) return NRT_RESOURCE;
    config_reset(o);
    *options = o;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_defaults(nrt_inspect_config_t *options) {
    NRT_STATUS st = nrtemu_inspect_config_check(options, "nrt_inspect_config_set_defaults");
    if (st == NRT_SUCCESS) config_reset(options);
    return st;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_free(nrt_inspect_config_t *options) {
    NRT_STATUS st = nrtemu_inspect_config_check(options, "nrt_inspect_config_free");
    if (st != NRT_SUCCESS) return st;
    config_reset(options);
    options->magic = 0;
    free(options);
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_session_id(nrt_inspect_config_t *options,
                                                        int session_id) {
    NRT_STATUS st = nrtemu_inspect_config_check(options, "nrt_inspect_config_set_session_id");
    if (st == NRT_SUCCESS) options->session_id = session_id;
    return st;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_output_dir(nrt_inspect_config_t *options,
                                                        const char *output_dir) {
    static const char fn[] = "nrt_inspect_config_set_output_dir";
    NRT_STATUS st = nrtemu_inspect_config_check(options, fn);
    return st != NRT_SUCCESS ? st : set_dir(&options->output_dir, output_dir, fn);
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_sys_trace_max_events_per_nc(
    nrt_inspect_config_t *options, uint64_t sys_trace_max_events_per_nc) {
    NRT_STATUS st =
        nrtemu_inspect_config_check(options, "nrt_inspect_config_set_sys_trace_max_events_per_nc");
    if (st == NRT_SUCCESS) options->sys_trace_max_events_per_nc = sys_trace_max_events_per_nc;
    return st;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_capture_enabled_for_nc(nrt_inspect_config_t *options,
                                                                    uint32_t nc_idx, bool enabled) {
    static const char fn[] = "nrt_inspect_config_set_capture_enabled_for_nc";
    NRT_STATUS st = nrtemu_inspect_config_check(options, fn);
    if (st != NRT_SUCCESS) return st;
    if (nc_idx >= NRTEMU_MAX_CORES) {
        LOG_ERROR(fn, "nc_idx %u is out of range (valid: 0-%u)", nc_idx, NRTEMU_MAX_CORES - 1);
        return NRT_INVALID;
    }
    options->nc_disabled[nc_idx] = !enabled;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_capture_enabled_for_event_type_string(
    nrt_inspect_config_t *options, const char *event_type, bool enabled) {
    static const char fn[] = "nrt_inspect_config_set_capture_enabled_for_event_type_string";
    NRT_STATUS st = nrtemu_inspect_config_check(options, fn);
    if (st != NRT_SUCCESS) return st;
    if (event_type == NULL || event_type[0] == '\0') {
        LOG_ERROR(fn, "event_type is NULL or empty");
        return NRT_INVALID;
    }
    for (size_t i = 0; i < options->n_events; i++) {
        if (strcmp(options->events[i].name, event_type) == 0) {
            options->events[i].enabled = enabled;
            return NRT_SUCCESS;
        }
    }
    nrtemu_event_type *e = realloc(options->events, (options->n_events + 1) * sizeof *e);
    if (e == NULL) return NRT_RESOURCE;
    options->events = e;
    char *name = nrtemu_strdup(event_type);
    if (name == NULL) return NRT_RESOURCE;
    e[options->n_events++] = (nrtemu_event_type){name, enabled};
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_enable_inspect(nrt_inspect_config_t *options,
                                                            bool enable_inspect) {
    NRT_STATUS st = nrtemu_inspect_config_check(options, "nrt_inspect_config_set_enable_inspect");
    if (st == NRT_SUCCESS) options->enable_inspect = enable_inspect;
    return st;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_enable_inspect_on_fail(nrt_inspect_config_t *options,
                                                                    bool enable_inspect_on_fail) {
    NRT_STATUS st =
        nrtemu_inspect_config_check(options, "nrt_inspect_config_set_enable_inspect_on_fail");
    if (st == NRT_SUCCESS) options->enable_inspect_on_fail = enable_inspect_on_fail;
    return st;
}

/* ---- activity types ---------------------------------------------------------------------- */

static NRT_STATUS activity_list(unsigned mask, const char ***types, size_t *count, const char *fn) {
    if (types == NULL || count == NULL) {
        LOG_ERROR(fn, "%s is NULL", types == NULL ? "activity_types" : "count");
        return NRT_INVALID;
    }
    const char **list = calloc(N_ACTIVITIES, sizeof *list);
    if (list == NULL) return NRT_RESOURCE;
    size_t n = 0;
    for (size_t i = 0; i < N_ACTIVITIES; i++) {
        if (!(mask & (1u << i))) continue;
        if ((list[n] = nrtemu_strdup(activity_names[i])) == NULL) {
            nrt_inspect_config_free_activity_types(list, n);
            return NRT_RESOURCE;
        }
        n++;
    }
    *types = list;
    *count = n;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_inspect_config_get_all_activity_types(const char ***activity_types,
                                                                size_t *count) {
    return activity_list(NRTEMU_ACT_ALL, activity_types, count,
                         "nrt_inspect_config_get_all_activity_types");
}

NRTEMU_API NRT_STATUS nrt_inspect_config_get_enabled_activity_types(nrt_inspect_config_t *options,
                                                                    const char ***activity_types,
                                                                    size_t *count) {
    static const char fn[] = "nrt_inspect_config_get_enabled_activity_types";
    NRT_STATUS st = nrtemu_inspect_config_check(options, fn);
    return st != NRT_SUCCESS ? st : activity_list(options->activities, activity_types, count, fn);
}

NRTEMU_API void nrt_inspect_config_free_activity_types(const char **activity_types, size_t count) {
    if (activity_types == NULL) return;
    for (size_t i = 0; i < count; i++) free((void *)(uintptr_t)activity_types[i]);
    free((void *)activity_types);
}

NRTEMU_API NRT_STATUS nrt_inspect_config_set_activity(nrt_inspect_config_t *options,
                                                      const char *activity_type, bool enabled) {
    static const char fn[] = "nrt_inspect_config_set_activity";
    NRT_STATUS st = nrtemu_inspect_config_check(options, fn);
    if (st != NRT_SUCCESS) return st;
    unsigned bit = 0;
    if (activity_type != NULL && strcmp(activity_type, "all") == 0) bit = NRTEMU_ACT_ALL;
    for (size_t i = 0; activity_type != NULL && i < N_ACTIVITIES; i++)
        if (strcmp(activity_type, activity_names[i]) == 0) bit = 1u << i;
    if (bit == 0) {
        LOG_ERROR(fn, "unknown activity type '%s' (valid: system_profile, device_profile, "
                      "host_memory, cpu_util, all)", activity_type ? activity_type : "(null)");
        return NRT_INVALID;
    }
    options->activities = enabled ? options->activities | bit : options->activities & ~bit;
    return NRT_SUCCESS;
}
