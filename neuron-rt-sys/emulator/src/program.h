/* The emulator's model program: parser and CPU interpreter for nrtemu/program.bin
   (FORMAT.md §3, whose single source of truth is neuron-neff/FORMAT.md).
   A parsed program is immutable; every function here is thread-safe, and nrtemu_program_run is
   reentrant (concurrent calls with distinct scratch buffers are safe). No global state. */
#ifndef NRTEMU_PROGRAM_H
#define NRTEMU_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct nrtemu_program nrtemu_program;

typedef struct nrtemu_io_desc {
    const char *name;     /* NUL-terminated copy owned by the program */
    uint32_t usage;       /* 0 input, 1 output */
    uint32_t dtype;       /* nrt_dtype_t hardware code (FORMAT.md) */
    uint32_t ndim;
    const uint32_t *dims; /* ndim entries (not dereferenceable when ndim == 0) */
    size_t size_bytes;
} nrtemu_io_desc;

/* Limit on the bytes of one tensor and on the sum over all tensors of a program: 16 GiB. */
#define NRTEMU_MAX_TOTAL_TENSOR_BYTES ((uint64_t)1 << 34)

/* 0 on success; nonzero on an invalid program, with a one-line reason in err (always
   NUL-terminated when err_len > 0). The program copies everything it keeps (names, constant
   data): data may be freed after the call. On failure *out is set to NULL. */
int nrtemu_program_parse(const uint8_t *data, size_t len, nrtemu_program **out, char *err,
                         size_t err_len);
/* Frees a program; NULL is a no-op. */
void nrtemu_program_free(nrtemu_program *p);

uint64_t nrtemu_program_device_time_ns(const nrtemu_program *p);
/* Inputs first (record order), then outputs (record order). */
size_t nrtemu_program_io_count(const nrtemu_program *p);
/* Number of inputs: io descriptors [0, input_count) are inputs, the rest outputs. */
size_t nrtemu_program_input_count(const nrtemu_program *p);
/* NULL if out of range. */
const nrtemu_io_desc *nrtemu_program_io(const nrtemu_program *p, size_t i);
/* Index of the io descriptor with this name, or -1 when there is none. */
long nrtemu_program_find_io(const nrtemu_program *p, const char *name);
size_t nrtemu_program_tensor_count(const nrtemu_program *p);
size_t nrtemu_program_op_count(const nrtemu_program *p);
/* Device memory the constants take (sum of their sizes). */
size_t nrtemu_program_constant_bytes(const nrtemu_program *p);
/* Bytes for all intermediates of one execution (each starts at a 64-byte aligned offset). */
size_t nrtemu_program_scratch_bytes(const nrtemu_program *p);

/* Run on the CPU. io[i] points at the storage of io descriptor i (size_bytes each, any
   alignment); scratch has scratch_bytes (may be NULL when 0). Reentrant: concurrent calls with
   distinct scratch are safe. 0 on success, nonzero with err filled otherwise. Allocation-free;
   returns at once when op_count == 0 (io and scratch are then not touched). */
int nrtemu_program_run(const nrtemu_program *p, void *const *io, void *scratch, char *err,
                       size_t err_len);

/* Element size in bytes of an nrt_dtype_t hardware code, 0 for an unknown code. */
size_t nrtemu_dtype_size(uint32_t dtype);
/* Upper-case name of an nrt_dtype_t hardware code ("FLOAT32"), "UNKNOWN" for an unknown code. */
const char *nrtemu_dtype_name(uint32_t dtype);

#endif
