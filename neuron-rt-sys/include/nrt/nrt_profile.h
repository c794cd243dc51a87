/*
 * nrt_profile.h: profiling: per model (start/stop), continuous (save on demand) and inspect
 * (whole-process system and device profiles).
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Start profiling the executions of `model`; the profile is written to `filename`. */
NRT_STATUS nrt_profile_start(nrt_model_t *model, const char *filename);

/* Stop profiling and write the profile; pass the same filename as to nrt_profile_start. */
NRT_STATUS nrt_profile_stop(const char *filename);

/* ---- Continuous profiling ----------------------------------------------------------------- */

/* Options of continuous profiling (opaque; default output directory "./output"). */
typedef struct nrt_profile_continuous_options nrt_profile_continuous_options_t;

NRT_STATUS nrt_profile_continuous_options_allocate(nrt_profile_continuous_options_t **options);
NRT_STATUS nrt_profile_continuous_options_free(nrt_profile_continuous_options_t *options);
NRT_STATUS nrt_profile_continuous_options_set_output_dir(nrt_profile_continuous_options_t *options,
                                                         const char *output_dir);

/* Profile every execution, writing nothing until nrt_profile_continuous_save. */
NRT_STATUS nrt_profile_continuous_start(nrt_profile_continuous_options_t *options);

/* Write the profile of the latest execution on core vnc into the options' output directory. */
NRT_STATUS nrt_profile_continuous_save(uint32_t vnc, nrt_profile_continuous_options_t *options);

/* Stop continuous profiling (saves nothing). */
NRT_STATUS nrt_profile_continuous_stop(void);

/* ---- Inspect: whole-process profiles ------------------------------------------------------ */

/* Begin capturing, configured by the NEURON_RT_INSPECT_* environment variables. */
NRT_STATUS nrt_inspect_begin(void);

/* Stop capturing and write what was captured. */
NRT_STATUS nrt_inspect_stop(void);

/* Configuration of nrt_inspect_begin_with_options (opaque). */
typedef struct nrt_inspect_config nrt_inspect_config_t;

NRT_STATUS nrt_inspect_config_allocate(nrt_inspect_config_t **options);
NRT_STATUS nrt_inspect_config_set_defaults(nrt_inspect_config_t *options);
NRT_STATUS nrt_inspect_config_free(nrt_inspect_config_t *options);
NRT_STATUS nrt_inspect_config_set_session_id(nrt_inspect_config_t *options, int session_id);
NRT_STATUS nrt_inspect_config_set_output_dir(nrt_inspect_config_t *options, const char *output_dir);
NRT_STATUS nrt_inspect_config_set_sys_trace_max_events_per_nc(nrt_inspect_config_t *options,
                                                              uint64_t sys_trace_max_events_per_nc);
NRT_STATUS nrt_inspect_config_set_capture_enabled_for_nc(nrt_inspect_config_t *options,
                                                         uint32_t nc_idx, bool enabled);
NRT_STATUS nrt_inspect_config_set_capture_enabled_for_event_type_string(
    nrt_inspect_config_t *options, const char *event_type, bool enabled);
NRT_STATUS nrt_inspect_config_set_enable_inspect(nrt_inspect_config_t *options, bool enable_inspect);
NRT_STATUS nrt_inspect_config_set_enable_inspect_on_fail(nrt_inspect_config_t *options,
                                                         bool enable_inspect_on_fail);

/* Begin capturing with these options (NULL: the defaults); ignores NEURON_RT_INSPECT_*. */
NRT_STATUS nrt_inspect_begin_with_options(nrt_inspect_config_t *options);

/* Activity types ("system_profile", "device_profile", "host_memory", "cpu_util"): every one, or
 * those enabled in options. The array and its strings are allocated for the caller; release them
 * with nrt_inspect_config_free_activity_types. */
NRT_STATUS nrt_inspect_config_get_all_activity_types(const char ***activity_types, size_t *count);
NRT_STATUS nrt_inspect_config_get_enabled_activity_types(nrt_inspect_config_t *options,
                                                         const char ***activity_types,
                                                         size_t *count);
void nrt_inspect_config_free_activity_types(const char **activity_types, size_t count);

/* Enable or disable one activity type by name ("all" for every one). */
NRT_STATUS nrt_inspect_config_set_activity(nrt_inspect_config_t *options,
                                           const char *activity_type, bool enabled);

#ifdef __cplusplus
}
#endif
