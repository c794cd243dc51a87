/* compiled.h: the I/O tensors of a NEFF built by the Neuron compiler (FORMAT.md §5, "compiler
   layout"), read from its tar payload: neff.json (TVM graph), the kelf JSON it names, each
   subgraph's def.json and tensor_map.json. No global state, thread-safe. */
#ifndef NRTEMU_COMPILED_H
#define NRTEMU_COMPILED_H

#include <stddef.h>
#include <stdint.h>

#include "program.h" /* nrtemu_io_desc */

/* Bounds (FORMAT.md §5). */
#define NRTEMU_COMPILED_MAX_PAYLOAD ((size_t)1 << 32) /* decompressed payload, 4 GiB */
#define NRTEMU_COMPILED_MAX_JSON ((size_t)64 << 20)   /* one JSON member, 64 MiB */
#define NRTEMU_COMPILED_MAX_TENSORS 65535u
#define NRTEMU_COMPILED_MAX_NDIM 32u

typedef struct nrtemu_compiled nrtemu_compiled;

/* Reads the compiler layout from an uncompressed tar payload.
   Returns 0 with *out set (free with nrtemu_compiled_free); 1 when the archive is valid but has
   no neff.json (not a compiler NEFF); -1 when malformed, with a one-line reason in err that names
   the member and the problem. */
int nrtemu_compiled_parse(const uint8_t *tar, size_t len, nrtemu_compiled **out, char *err,
                          size_t err_len);
void nrtemu_compiled_free(nrtemu_compiled *c); /* NULL is a no-op */

/* Inputs first (arg_nodes order), then outputs (heads order, a repeated name once). */
size_t nrtemu_compiled_io_count(const nrtemu_compiled *c);
size_t nrtemu_compiled_input_count(const nrtemu_compiled *c);
const nrtemu_io_desc *nrtemu_compiled_io(const nrtemu_compiled *c, size_t i); /* NULL if out of range */
size_t nrtemu_compiled_subgraph_count(const nrtemu_compiled *c);

/* nrt_dtype_t code of a compiler dtype string ("float16" -> 0x7), 0 when unknown. */
uint32_t nrtemu_compiled_dtype(const char *s);

/* Decompresses a pkg_version 2 payload: one gzip member followed only by zero bytes (the NEFF's
   padding up to data_size). 0 on success with *tar malloc'd; -1 with err. */
int nrtemu_compiled_gunzip(const uint8_t *payload, size_t len, size_t max_out, uint8_t **tar,
                           size_t *tar_len, char *err, size_t err_len);

#endif
