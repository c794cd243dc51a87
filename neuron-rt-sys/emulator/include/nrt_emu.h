/*
 * nrt_emu.h: extensions of the neuron-rt emulator. Not part of libnrt: a program that calls these
 * works only on the emulator. Everything here can also be set through environment variables, so
 * programs written for the real runtime never need this header.
 */
#pragma once

#include "nrt/nrt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Set an emulator option before nrt_init. An option set here overrides its environment variable;
 * value NULL clears it (the environment applies again).
 *
 *   key              environment variable             value
 *   "instance"       NEURON_RT_EMULATOR_INSTANCE      preset name, e.g. "inf2.xlarge"
 *   "lnc"            NEURON_LOGICAL_NC_CONFIG         "1" or "2" (trn2 only)
 *   "lock_dir"       NEURON_RT_EMULATOR_LOCK_DIR      directory of the cross-process core locks
 *   "visible_cores"  NEURON_RT_VISIBLE_CORES          e.g. "0-3"
 *   "num_cores"      NEURON_RT_NUM_CORES              e.g. "2"
 *   "log_level"      NEURON_RT_LOG_LEVEL              ERROR, WARNING, INFO, DEBUG, TRACE, QUIET
 *   "host_bandwidth" NEURON_RT_EMULATOR_HOST_BANDWIDTH host<->device bytes/s, e.g. "8e9" (unset:
 *                                                     copies take no time)
 *
 * Returns NRT_SUCCESS; NRT_INVALID for an unknown key or a malformed value (logged);
 * NRT_FAILURE when called while the runtime is initialised.
 */
NRT_STATUS nrt_emu_set_option(const char *key, const char *value);

#ifdef __cplusplus
}
#endif
