/* tensor_batch.c: nrt_tensor_read_batch / nrt_tensor_write_batch.
 *
 * Every batch and every operation is checked before any byte moves (live tensor with storage, op
 * in bounds, buffer non-NULL), so a bad batch changes nothing. The `unsafe` flag (skip tracking
 * of tensors in use by executions) has nothing to skip here: executions are synchronous. Runtime
 * 2.34 declares these with two parameters; a caller passing two leaves the third register
 * undefined, which is harmless because it is ignored. */
#include "emu.h"

#include <stdio.h>
#include <string.h>

static NRT_STATUS check_batches(const nrt_tensor_batch_t *batches, uint64_t num_batches,
                                const char *fn) {
    if (batches == NULL && num_batches > 0) {
        LOG_ERROR(fn, "batches is NULL with num_batches %llu", (unsigned long long)num_batches);
        return NRT_INVALID;
    }
    for (uint64_t b = 0; b < num_batches; b++) {
        const nrt_tensor_batch_t *bt = &batches[b];
        char what[48];
        snprintf(what, sizeof what, "batch %llu", (unsigned long long)b);
        NRT_STATUS st = nrtemu_tensor_check(bt->tensor, fn, what);
        if (st != NRT_SUCCESS) return st;
        if (bt->ops == NULL && bt->num_ops > 0) {
            LOG_ERROR(fn, "batch %llu: ops is NULL with num_ops %u", (unsigned long long)b,
                      bt->num_ops);
            return NRT_INVALID;
        }
        for (uint32_t i = 0; i < bt->num_ops; i++) {
            const nrt_tensor_batch_op_t *op = &bt->ops[i];
            if (op->size > SIZE_MAX) {
                LOG_ERROR(fn, "batch %llu op %u: size %llu is too large", (unsigned long long)b, i,
                          (unsigned long long)op->size);
                return NRT_INVALID;
            }
            if (op->buffer == NULL && op->size > 0) {
                LOG_ERROR(fn, "batch %llu op %u: buffer is NULL", (unsigned long long)b, i);
                return NRT_INVALID;
            }
            st = nrtemu_tensor_check_range(bt->tensor, op->offset, (size_t)op->size, fn);
            if (st != NRT_SUCCESS) {
                LOG_ERROR(fn, "batch %llu op %u is invalid: nothing was transferred",
                          (unsigned long long)b, i);
                return st;
            }
        }
    }
    return NRT_SUCCESS;
}

static NRT_STATUS run(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool write,
                      const char *fn) {
    NRT_STATUS st = check_batches(batches, num_batches, fn);
    if (st != NRT_SUCCESS) return st;
    for (uint64_t b = 0; b < num_batches; b++) {
        uint8_t *data = nrtemu_tensor_data(batches[b].tensor);
        for (uint32_t i = 0; i < batches[b].num_ops; i++) {
            const nrt_tensor_batch_op_t *op = &batches[b].ops[i];
            if (op->size == 0) continue;
            if (write)
                memmove(data + op->offset, op->buffer, (size_t)op->size);
            else
                memmove(op->buffer, data + op->offset, (size_t)op->size);
        }
    }
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_read_batch(const nrt_tensor_batch_t *batches,
                                            uint64_t num_batches, bool unsafe) {
    (void)unsafe;
    return run(batches, num_batches, false, "nrt_tensor_read_batch");
}

NRTEMU_API NRT_STATUS nrt_tensor_write_batch(const nrt_tensor_batch_t *batches,
                                             uint64_t num_batches, bool unsafe) {
    (void)unsafe;
    return run(batches, num_batches, true, "nrt_tensor_write_batch");
}
