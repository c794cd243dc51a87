/*
 * nrt_profile.h: per-model profiling to an NTFF file.
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0).
 */
#pragma once

#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Start profiling the executions of `model`; the profile is written to `filename`. */
NRT_STATUS nrt_profile_start(nrt_model_t *model, const char *filename);

/* Stop profiling and write the profile; pass the same filename as to nrt_profile_start. */
NRT_STATUS nrt_profile_stop(const char *filename);

#ifdef __cplusplus
}
#endif
