/*
 * nrt_async.h: explicit asynchronous execution (the runtime's "nrta" API, declared experimental).
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0; exported by
 * the real library under the ELF symbol version NRT_3.0.0). Work is queued on execution units
 * (XUs) of a logical NeuronCore; each (core, XU, queue) hands out strictly increasing sequence
 * numbers, and requests on one of them complete in submission order. Nothing orders requests of
 * different XUs: wait for a tensor write to complete before scheduling the execution that reads
 * it. Which runtime releases export which nrta_* function: see neuron-rt-sys/src/api.rs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Execution units of a logical NeuronCore. New kinds are only ever appended. */
typedef enum {
    NRTA_XU_TENSOR_READ = 0,  /* device -> host copies */
    NRTA_XU_TENSOR_WRITE = 1, /* host -> device copies */
    NRTA_XU_TENSOR_OP = 2,    /* other tensor operations (device -> device copies) */
    NRTA_XU_COMPUTE = 3,      /* model executions */
    NRTA_XU_COLLECTIVES = 4,  /* collective operations */
    NRTA_XU_TYPE_NUM = 5      /* number of kinds */
} nrta_xu_t;

/* A request's id: bits 63..48 identify the execution unit (queue) it was scheduled on, bits
 * 47..0 are its sequence number there. */
typedef uint64_t nrta_seq_t;
/* The execution-unit part of a nrta_seq_t. */
typedef uint16_t nrta_xu_id_t;

#define NRTA_SEQ_NUM_MAX ((1ull << 48) - 1)
#define NRTA_SEQ_NUM_MASK NRTA_SEQ_NUM_MAX
#define NRTA_SEQ_GET_SEQ_NUM(seq_id) ((seq_id) & NRTA_SEQ_NUM_MASK)
#define NRTA_SEQ_GET_XU_ID(seq_id) ((seq_id) >> 48)

/* One failed request, as listed by an error tracker. 16 bytes. */
typedef struct nrta_error {
    nrta_seq_t seq_id;   /* the request that failed */
    uint64_t error_code; /* its NRT_STATUS, widened to 64 bits for a fixed layout */
} nrta_error_t;

/* Collects the failures of the requests scheduled with it (opaque). */
typedef struct nrta_error_tracker nrta_error_tracker_t;

/* Queue a copy of size bytes from buf to tensor[offset..] on the TENSOR_WRITE unit of the core
 * that allocated the tensor. buf and tensor must stay valid until the request completes. On
 * success *req_sequence is the request's id. err may be NULL (failures are then not reported). */
NRT_STATUS nrta_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset,
                             uint64_t size, int queue, nrta_error_tracker_t *err,
                             nrta_seq_t *req_sequence);

/* Queue a copy of size bytes from tensor[offset..] into buf on the TENSOR_READ unit of the core
 * that allocated the tensor. buf and tensor must stay valid until the request completes. */
NRT_STATUS nrta_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size,
                            int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);

/* Queue a copy between two tensors of one logical core on its TENSOR_OP unit. Both tensors must
 * stay allocated until the copy completes. */
NRT_STATUS nrta_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst,
                            uint64_t dst_offset, uint64_t size, int queue,
                            nrta_error_tracker_t *err, nrta_seq_t *req_sequence);

/* Queue one execution of model on the COMPUTE unit of its core; queue must be 0. The sets and
 * their tensors must stay valid until the request completes. */
NRT_STATUS nrta_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input,
                                 nrt_tensor_set_t *output, int queue, nrta_error_tracker_t *err,
                                 nrta_seq_t *req_sequence);

/* Prepare a collective operation; *cc_ctx is released by the runtime after it has run. */
NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input,
                           nrt_tensor_list_t *output, nrt_dtype_t dtype, nrt_op_type_t op,
                           nrt_cc_op_type_t cc_op, nrt_cc_context_t **cc_ctx);

/* Queue a prepared collective operation on the COLLECTIVES unit; queue must be 0. */
NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err,
                            nrta_seq_t *req_sequence);

/* *is_completed = whether request seq has completed (successfully or not). NRT_INVALID when seq
 * was never handed out. */
NRT_STATUS nrta_is_completed(nrta_seq_t seq, bool *is_completed);

/* *seq = the id of the last completed request on (lnc, xu, queue). */
NRT_STATUS nrta_get_sequence(uint32_t lnc, nrta_xu_t xu, int queue, nrta_seq_t *seq);

/* *fd = a new file descriptor that polls readable once request seq has completed. Use it only
 * with poll/select/epoll and close it when done; any other use is undefined. */
NRT_STATUS nrta_get_completion_handle(nrta_seq_t seq, int *fd);

/* Create an error tracker for logical core lnc_idx; free it with nrta_error_tracker_destroy. */
NRT_STATUS nrta_error_tracker_create(uint32_t lnc_idx, nrta_error_tracker_t **error_tracker);

/* Free a tracker (NULL is ignored). */
void nrta_error_tracker_destroy(nrta_error_tracker_t *error_tracker);

/* *list / *error_count = the failures recorded by the tracker. The array belongs to the
 * tracker. */
NRT_STATUS nrta_error_tracker_get_list(nrta_error_tracker_t *error_tracker,
                                       const nrta_error_t **list, size_t *error_count);

#ifdef __cplusplus
}
#endif
