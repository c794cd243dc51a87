/*
 * nrt.h: the Neuron runtime (libnrt) C API, the subset neuron-rt binds.
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0, SONAME
 * libnrt.so.1). Names, types, enum values and struct layouts match the runtime's so that a C
 * program written for the Neuron SDK compiles unchanged against the declarations here. Every
 * function of the runtime's nrt.h is declared; the explicit async API (nrt_async.h) is separate.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nrt/nrt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the C API itself (unchanged since 2022). */
#define NRT_MAJOR_VERSION 2
#define NRT_MINOR_VERSION 0

/* Opaque handles. */
typedef struct nrt_model nrt_model_t;
typedef struct nrt_tensor nrt_tensor_t;
typedef struct nrt_cc_context nrt_cc_context_t; /* collectives context */

/* Where a tensor's storage lives. VIRTUAL (host virtual memory) was removed by runtime 2.32 and
 * fails there; the emulator, which reports 2.29, accepts it as host memory. */
typedef enum {
    NRT_TENSOR_PLACEMENT_DEVICE = 0,
    NRT_TENSOR_PLACEMENT_HOST = 1,    /* deprecated: DMA-able host memory, at most 4 MB */
    NRT_TENSOR_PLACEMENT_VIRTUAL = 2, /* removed in runtime 2.32 */
} nrt_tensor_placement_t;

/* The framework a process reports at nrt_init (a monitoring label only). */
typedef enum {
    NRT_FRAMEWORK_TYPE_INVALID = 0,
    NRT_FRAMEWORK_TYPE_NO_FW = 1,
    NRT_FRAMEWORK_TYPE_TENSORFLOW = 2,
    NRT_FRAMEWORK_TYPE_PYTORCH = 3,
    NRT_FRAMEWORK_TYPE_MXNET = 4,
    NRT_FRAMEWORK_TYPE_PRECHECK = 5,
} nrt_framework_type_t;

/* Values of nrt_instance_info_t.family. */
enum {
    NRT_INSTANCE_UNKNOWN = 0,
    NRT_INSTANCE_INF1 = 1,
    NRT_INSTANCE_TRN1 = 2,
    NRT_INSTANCE_TRN1N = 3,
    NRT_INSTANCE_INF2 = 4,
    NRT_INSTANCE_TRN2 = 5,
    NRT_INSTANCE_TRN2N = 6,
    NRT_INSTANCE_INF2E = 7,
    NRT_INSTANCE_TRN2P = 8,
    NRT_INSTANCE_TRN2U = 9,
    NRT_INSTANCE_TRN2E = 10,
    NRT_INSTANCE_TRN2EU = 11,
    NRT_INSTANCE_TRN2AC = 12,
    NRT_INSTANCE_TRN2UAC = 13,
    NRT_INSTANCE_TRN3 = 14,
    NRT_INSTANCE_TRN3PDS98 = 15,
};

/* Values of nrt_instance_info_t.size. */
enum {
    NRT_INSTANCE_SIZE_1XL = 0,
    NRT_INSTANCE_SIZE_2XL = 1,
    NRT_INSTANCE_SIZE_4XL = 2,
    NRT_INSTANCE_SIZE_6XL = 3,
    NRT_INSTANCE_SIZE_8XL = 4,
    NRT_INSTANCE_SIZE_24XL = 5,
    NRT_INSTANCE_SIZE_32XL = 6,
    NRT_INSTANCE_SIZE_48XL = 7,
    NRT_INSTANCE_SIZE_3XL = 8,
    NRT_INSTANCE_SIZE_UNKNOWN = 9,
    NRT_INSTANCE_SIZE_NUM = NRT_INSTANCE_SIZE_UNKNOWN,
};

/* Reduction applied by collective operations. */
typedef enum nrt_op_type {
    NRT_OP_ADD = 0x0,
    NRT_OP_FMA = 0x1,
    NRT_OP_MAX = 0x2,
    NRT_OP_MIN = 0x3,
    NRT_OP_INVALID = 0xF,
} nrt_op_type_t;

/* Collective operations. */
typedef enum nrt_cc_op_type {
    NRT_CC_ALLGATHER = 0,
    NRT_CC_ALLREDUCE = 1,
    NRT_CC_REDUCESCATTER = 2,
} nrt_cc_op_type_t;

/*
 * Element types, with the hardware codes of current runtimes. Runtimes of the 2022-2023 header
 * generation numbered them sequentially instead (FLOAT32 1, FLOAT16 2, BFLOAT16 3, INT8 4,
 * UINT8 5, INT16 6, UINT16 7, INT32 8, UINT32 9, INT64 10, UINT64 11).
 */
typedef enum nrt_dtype {
    NRT_DTYPE_UNKNOWN = 0x0,
    NRT_DTYPE_INVALID = 0x0,
    NRT_DTYPE_UINT64 = 0x1,
    NRT_DTYPE_INT8 = 0x2,
    NRT_DTYPE_UINT8 = 0x3,
    NRT_DTYPE_INT16 = 0x4,
    NRT_DTYPE_UINT16 = 0x5,
    NRT_DTYPE_BFLOAT16 = 0x6,
    NRT_DTYPE_FLOAT16 = 0x7,
    NRT_DTYPE_INT32 = 0x8,
    NRT_DTYPE_UINT32 = 0x9,
    NRT_DTYPE_FLOAT32 = 0xA,
    NRT_DTYPE_FP32R = 0xB,
    NRT_DTYPE_INT64 = 0xC,
    NRT_DTYPE_FP8_E3 = 0xD,
    NRT_DTYPE_FP8_E4 = 0xE,
    NRT_DTYPE_FP8_E5 = 0xF,
} nrt_dtype_t;

/* The instance the process runs on. 32 bytes. */
typedef struct nrt_instance_info {
    uint32_t family;         /* NRT_INSTANCE_* */
    uint32_t size;           /* NRT_INSTANCE_SIZE_* */
    char arch_name[16];      /* NUL-terminated architecture name */
    char device_revision[8]; /* NUL-terminated device revision */
} nrt_instance_info_t;

/* Fill at most instance_info_len bytes of *info (pass sizeof(nrt_instance_info_t)). */
NRT_STATUS nrt_get_instance_info(nrt_instance_info_t *info, size_t instance_info_len);

/* ---- Lifecycle ---------------------------------------------------------------------------- */

/* Start the runtime: read NEURON_RT_* variables and reserve this process's NeuronCores.
 * Applications without a framework pass NRT_FRAMEWORK_TYPE_NO_FW and two empty strings. */
NRT_STATUS nrt_init(nrt_framework_type_t framework, const char *fw_version, const char *fal_version);

/* Stop the runtime and release the process's NeuronCores. */
void nrt_close(void);

/* ---- Core counts -------------------------------------------------------------------------- */

/* Logical NeuronCores in the instance; callable before nrt_init. (_nc_ names are deprecated.) */
NRT_STATUS nrt_get_total_nc_count(uint32_t *vnc_count);
NRT_STATUS nrt_get_total_vnc_count(uint32_t *vnc_count);

/* Logical NeuronCores this process may use after environment parsing. */
NRT_STATUS nrt_get_visible_nc_count(uint32_t *vnc_count);
NRT_STATUS nrt_get_visible_vnc_count(uint32_t *vnc_count);

/* ---- Models ------------------------------------------------------------------------------- */

/* Load a NEFF. vnc: first core, relative to the process's visible cores, or -1 for the first
 * free one. vnc_count: deprecated, pass -1. */
NRT_STATUS nrt_load(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count,
                    nrt_model_t **model);

/* Load a NEFF that contains collective operations (needs NEURON_RT_ROOT_COMM_ID). */
NRT_STATUS nrt_load_collectives(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count,
                                uint32_t ctx_device_id, uint32_t ctx_device_count,
                                nrt_model_t **model);

/* Unload a model; the handle is invalid afterwards. */
NRT_STATUS nrt_unload(nrt_model_t *model);

/* Cores a loaded model occupies (both deprecated). */
NRT_STATUS nrt_get_model_nc_count(const nrt_model_t *model, uint32_t *vnc_count);
NRT_STATUS nrt_get_model_vnc_count(const nrt_model_t *model, uint32_t *vnc_count);

/* ---- Tensor sets -------------------------------------------------------------------------- */

/* A named collection of tensors passed to nrt_execute. */
typedef void nrt_tensor_set_t;

NRT_STATUS nrt_allocate_tensor_set(nrt_tensor_set_t **result);

/* Free the set (not its tensors) and set *tensor_set to NULL. */
void nrt_destroy_tensor_set(nrt_tensor_set_t **tensor_set);

/* Add, or replace, the tensor under tensor_name. The tensor must outlive the set. */
NRT_STATUS nrt_add_tensor_to_tensor_set(nrt_tensor_set_t *tensor_set, const char *tensor_name,
                                        nrt_tensor_t *tensor);

/* Look a tensor up by name; NRT_FAILURE when absent. */
NRT_STATUS nrt_get_tensor_from_tensor_set(nrt_tensor_set_t *tensor_set, const char *tensor_name,
                                          nrt_tensor_t **tensor);

/* ---- Execution ---------------------------------------------------------------------------- */

/* Run the model once; returns when the outputs are written. */
NRT_STATUS nrt_execute(nrt_model_t *model, const nrt_tensor_set_t *input_set,
                       nrt_tensor_set_t *output_set);

/* Run repeat_count times, feeding iteration n-1's outputs to iteration n (needs a NEFF built for
 * it). */
NRT_STATUS nrt_execute_repeat(nrt_model_t *model, const nrt_tensor_set_t *input_set,
                              nrt_tensor_set_t *output_set, int repeat_count);

/* Build the global collectives communicator of this worker (rank g_device_id of
 * g_device_count) on core vnc. */
NRT_STATUS nrt_build_global_comm(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count);

/* ---- Tensors ------------------------------------------------------------------------------ */

/* Allocate size bytes. vnc: core relative to the visible cores, -1 for host placement. name is
 * optional (logs only). */
NRT_STATUS nrt_tensor_allocate(nrt_tensor_placement_t tensor_placement, int vnc, size_t size,
                               const char *name, nrt_tensor_t **tensor);

/* Free a tensor and set *tensor to NULL. Attached caller buffers are not freed. */
void nrt_tensor_free(nrt_tensor_t **tensor);

/* Copy size bytes at offset from the tensor into buf. */
NRT_STATUS nrt_tensor_read(const nrt_tensor_t *tensor, void *buf, size_t offset, size_t size);

/* Copy size bytes from buf into the tensor at offset. */
NRT_STATUS nrt_tensor_write(nrt_tensor_t *tensor, const void *buf, size_t offset, size_t size);

/* Copy between tensors; two device tensors must be on the same NeuronCore, else NRT_INVALID. */
NRT_STATUS nrt_tensor_copy(const nrt_tensor_t *src, size_t src_offset, nrt_tensor_t *dst,
                           size_t dst_offset, size_t size);

/* Size of the tensor in bytes. */
size_t nrt_tensor_get_size(const nrt_tensor_t *tensor);

/* Fill size bytes at offset with (unsigned char)value. */
NRT_STATUS nrt_tensor_memset(nrt_tensor_t *tensor, uint64_t offset, int value, size_t size);

/* A tensor with no storage yet (see nrt_tensor_attach_buffer). */
NRT_STATUS nrt_tensor_allocate_empty(const char *name, nrt_tensor_t **tensor);

/* Use the caller's buffer as the tensor's storage. The buffer must outlive the tensor and is
 * never freed by the runtime. */
NRT_STATUS nrt_tensor_attach_buffer(nrt_tensor_t *tensor, void *buffer, size_t size);

/* A tensor viewing [offset, offset + size) of another tensor's storage, without a copy. */
NRT_STATUS nrt_tensor_allocate_slice(const nrt_tensor_t *tensor_source, size_t offset, size_t size,
                                     const char *name, nrt_tensor_t **tensor_slice);

/* The tensor's virtual address, or NULL. */
void *nrt_tensor_get_va(const nrt_tensor_t *tensor);

/* ---- Batched tensor I/O ------------------------------------------------------------------- */

/* One transfer of a batch: size bytes between buffer and the tensor at offset. 24 bytes. */
typedef uint64_t nrt_tensor_batch_offset_t;
typedef uint64_t nrt_tensor_batch_size_t;
typedef struct nrt_tensor_batch_op {
    nrt_tensor_batch_offset_t offset; /* into the tensor */
    nrt_tensor_batch_size_t size;     /* bytes */
    void *buffer;                     /* host memory: destination of a read, source of a write */
} nrt_tensor_batch_op_t;

/* num_ops transfers on one tensor. 24 bytes. */
typedef struct nrt_tensor_batch {
    const nrt_tensor_t *tensor;
    const nrt_tensor_batch_op_t *ops;
    uint32_t num_ops;
} nrt_tensor_batch_t;

/* Run every transfer of num_batches batches (tensor to host / host to tensor). unsafe: skip the
 * runtime's tracking of tensors in use by executions. Runtime 2.34 dropped the third parameter;
 * callers of either form are compatible with an implementation that ignores it. */
NRT_STATUS nrt_tensor_read_batch(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool unsafe);
NRT_STATUS nrt_tensor_write_batch(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool unsafe);

/* ---- Device memory ------------------------------------------------------------------------ */

/* Where a device tensor lives. 24 bytes. */
typedef struct nrt_tensor_device_allocation_info {
    uint64_t physical_address; /* in the device's address space */
    size_t size;               /* bytes allocated (may exceed the tensor's size) */
    int hbm_index;             /* which HBM of the device */
} nrt_tensor_device_allocation_info_t;

NRT_STATUS nrt_tensor_get_device_allocation_info(const nrt_tensor_t *tensor,
                                                 nrt_tensor_device_allocation_info_t *alloc_info);

/* Device memory of one logical core. Append-only: pass sizeof, read *stats_size_out. */
typedef struct nrt_vnc_memory_stats {
    size_t bytes_used;
    size_t bytes_limit;
} nrt_vnc_memory_stats_t;

NRT_STATUS nrt_get_vnc_memory_stats(uint32_t vnc, nrt_vnc_memory_stats_t *stats,
                                    size_t stats_size_in, size_t *stats_size_out);

/* Virtual address and size of HBM region hbm_idx of a device mapped into this process;
 * NRT_INVALID_HANDLE when there are no more regions. */
NRT_STATUS nrt_get_hbm_mmap_va(int device_id, int hbm_idx, void **addr, size_t *size);

/* ---- Output completion -------------------------------------------------------------------- */

/* Wait until the output tensor has been completed expected_completion_count times (completions
 * are counted per tensor). timeout in microseconds, negative for no limit: NRT_TIMEOUT when it
 * expires, NRT_INVALID for a NULL tensor. */
NRT_STATUS nrt_tensor_check_output_completion(const nrt_tensor_t *output_tensor, int64_t timeout,
                                              uint64_t expected_completion_count);

/* Set the output tensor's completion count back to 0. */
NRT_STATUS nrt_tensor_reset_output_completion(nrt_tensor_t *output_tensor);

/* ---- Devices, EFA and dma-buf -------------------------------------------------------------- */

/* The host's id of device neuron_dev (they differ inside containers). */
NRT_STATUS nrt_host_device_id_get(int neuron_dev, uint32_t *host_device_id);

/* Routing ids indexed by host device id. *count: entries available in, entries written out. */
NRT_STATUS nrt_host_device_id_rid_map_get(uint32_t *count, uint32_t *host_did_to_rid_map);

/* dma-buf file descriptor of a device memory region registered for EFA peer-direct. */
NRT_STATUS nrt_get_dmabuf_fd(uint64_t va, uint64_t size, int *fd);

/* PCI BDF of the EFA device attached to the Neuron device holding va. *len: buffer size in
 * (with the NUL), string length out; NRT_RESOURCE when the buffer is too small. */
NRT_STATUS nrt_get_attached_efa_bdf(const void *va, char *efa_bdf, size_t *len);

/* ---- Host-driven collectives --------------------------------------------------------------- */

/* A communicator: this worker's rank in a replica group. */
typedef struct nrt_cc_comm {
    uint32_t *replica_group; /* participants */
    uint32_t rank;           /* this worker's rank in replica_group */
    uint32_t rank_n;         /* size of replica_group */
    uint32_t ctx_device_id;
    uint32_t ctx_device_count;
    uint32_t vnc;
} nrt_cc_comm_t;

/* A list of tensors. */
typedef struct nrt_tensor_list {
    nrt_tensor_t **tensors;
    size_t num_tensors;
} nrt_tensor_list_t;

/* Initialise the global communicator for host-driven collectives (rank g_device_id of
 * g_device_count) on core vnc. */
NRT_STATUS nrt_cc_global_comm_init(uint32_t vnc, uint32_t g_device_id, uint32_t g_device_count);

#ifdef __cplusplus
}
#endif

#include "nrt/nrt_version.h"
