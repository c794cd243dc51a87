/*
 * nrt_emu.h: extensions of the neuron-rt emulator. Not part of libnrt: a program that calls these
 * works only on the emulator. Everything here can also be set through environment variables, so
 * programs written for the real runtime never need this header.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

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
 *   "device_time_us" NEURON_RT_EMULATOR_DEVICE_TIME_US simulated device time of one execution of a
 *                                                     NEFF built by the Neuron compiler, in
 *                                                     microseconds: "250" (every such model), or
 *                                                     a comma list of NAME=US and at most one bare
 *                                                     default, e.g. "file.neff=250,40" (default 0)
 *   "output_fill"    NEURON_RT_EMULATOR_OUTPUT_FILL   what a compiler NEFF's outputs hold after an
 *                                                     execution without a reference kernel:
 *                                                     "zeros" (default) or "pattern" (byte i of
 *                                                     every output is i % 251)
 *   "host_bandwidth" NEURON_RT_EMULATOR_HOST_BANDWIDTH host<->device bytes/s, e.g. "8e9" (unset:
 *                                                     copies take no time)
 *
 * Returns NRT_SUCCESS; NRT_INVALID for an unknown key or a malformed value (logged);
 * NRT_FAILURE when called while the runtime is initialised.
 */
NRT_STATUS nrt_emu_set_option(const char *key, const char *value);

/*
 * CPU reference kernels for NEFFs built by the Neuron compiler.
 *
 * The emulator cannot run the compiler's program: it executes such a NEFF as a timed execution
 * whose outputs are filled per "output_fill" (zeros by default) -- NOT the model's results. A
 * reference kernel registered for the model's name (the NEFF header's name, e.g. "file.neff")
 * computes the outputs instead, on the CPU, on the thread that calls nrt_execute.
 */
typedef struct nrt_emu_tensor {
    const char *name;     /* tensor name as reported by nrt_get_model_tensor_info */
    uint32_t dtype;       /* nrt_dtype_t code */
    uint32_t ndim;
    const uint32_t *shape; /* ndim entries */
    void *data;           /* size bytes; inputs must not be written */
    size_t size;
} nrt_emu_tensor;

/*
 * Called once per execution with the model's inputs and outputs in nrt_get_model_tensor_info
 * order. Return NRT_SUCCESS, or another status that nrt_execute then returns (logged). Must be
 * thread-safe when the model is executed from several threads.
 */
typedef NRT_STATUS (*nrt_emu_kernel_fn)(void *user_data, const char *model_name,
                                        const nrt_emu_tensor *inputs, size_t input_count,
                                        const nrt_emu_tensor *outputs, size_t output_count);

/*
 * Register (fn non-NULL) or remove (fn NULL) the reference kernel of the compiler NEFFs named
 * model_name. Like the options, only while the runtime is not initialised: nrt_load takes the
 * kernel registered at that time, and user_data must stay valid until nrt_close returns.
 * Returns NRT_SUCCESS; NRT_INVALID for a NULL or over-long (> 255 bytes) name; NRT_FAILURE when
 * the runtime is initialised; NRT_RESOURCE when out of memory.
 */
NRT_STATUS nrt_emu_set_reference_kernel(const char *model_name, nrt_emu_kernel_fn fn,
                                        void *user_data);

#ifdef __cplusplus
}
#endif
