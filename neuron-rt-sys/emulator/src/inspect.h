/* inspect.h: the option objects of nrt_inspect_* and nrt_profile_continuous_* (defined in
 * inspect_config.c, read by trace.c). */
#ifndef NRTEMU_INSPECT_H
#define NRTEMU_INSPECT_H

#include "emu.h"

#define NRTEMU_DEFAULT_OUTPUT_DIR "./output"

enum {
    NRTEMU_ACT_SYSTEM_PROFILE = 1u << 0,
    NRTEMU_ACT_DEVICE_PROFILE = 1u << 1,
    NRTEMU_ACT_HOST_MEMORY = 1u << 2,
    NRTEMU_ACT_CPU_UTIL = 1u << 3,
    NRTEMU_ACT_ALL = (1u << 4) - 1,
};

typedef struct nrtemu_event_type {
    char *name;
    bool enabled;
} nrtemu_event_type;

struct nrt_inspect_config {
    uint32_t magic;
    int session_id;
    char *output_dir; /* NULL: NRTEMU_DEFAULT_OUTPUT_DIR */
    uint64_t sys_trace_max_events_per_nc;
    uint8_t nc_disabled[NRTEMU_MAX_CORES]; /* capture disabled for these cores */
    nrtemu_event_type *events;             /* event types switched explicitly */
    size_t n_events;
    unsigned activities; /* NRTEMU_ACT_* */
    bool enable_inspect;
    bool enable_inspect_on_fail;
};

struct nrt_profile_continuous_options {
    uint32_t magic;
    char *output_dir; /* NULL: NRTEMU_DEFAULT_OUTPUT_DIR */
};

/* Valid live objects (logged otherwise). */
NRT_STATUS nrtemu_inspect_config_check(const nrt_inspect_config_t *o, const char *fn);
NRT_STATUS nrtemu_continuous_options_check(const nrt_profile_continuous_options_t *o,
                                           const char *fn);
/* malloc'd copy of s, NULL when out of memory */
char *nrtemu_strdup(const char *s);

#endif
