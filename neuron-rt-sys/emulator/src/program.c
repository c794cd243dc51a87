/* Parser and CPU interpreter for nrtemu/program.bin (FORMAT.md §3).
   The Rust side (neuron-neff, program.rs) applies the same rules in the same order with the same
   messages; keep them in step. Host byte order is assumed little-endian for tensor data. */
#include "program.h"

#include "errbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NDIM 8u
#define MAX_COUNT 65535u
#define SCRATCH_ALIGN 64u
#define NONE UINT32_MAX

enum { KIND_INPUT = 0, KIND_OUTPUT = 1, KIND_CONSTANT = 2, KIND_INTERMEDIATE = 3 };
enum { OP_IDENTITY = 1, OP_ADD = 2, OP_RELU = 3, OP_MATMUL = 4, OP_SOFTMAX = 5, OP_MUL = 6 };
#define DTYPE_FLOAT32 0xAu

typedef struct tensor {
    uint8_t kind;
    uint32_t dtype;
    uint32_t ndim;
    uint32_t dims[MAX_NDIM];
    uint64_t elems;
    uint64_t bytes;
    char *name;
    size_t slot; /* io index, offset into consts, or offset into scratch */
} tensor;

typedef struct op {
    uint32_t opcode;
    uint32_t n_in;
    uint32_t in[2];
    uint32_t out;
} op;

struct nrtemu_program {
    uint64_t device_time_ns;
    uint32_t n_tensors;
    tensor *tensors;
    uint32_t n_ops;
    op *ops;
    size_t n_io;
    size_t n_inputs;
    nrtemu_io_desc *io;
    uint8_t *consts;
    size_t const_bytes;
    size_t scratch_bytes;
};

/* ---------------------------------------------------------------- helpers */

size_t nrtemu_dtype_size(uint32_t dtype) {
    switch (dtype) {
    case 0x1: return 8; /* UINT64 */
    case 0x2: return 1; /* INT8 */
    case 0x3: return 1; /* UINT8 */
    case 0x4: return 2; /* INT16 */
    case 0x5: return 2; /* UINT16 */
    case 0x6: return 2; /* BFLOAT16 */
    case 0x7: return 2; /* FLOAT16 */
    case 0x8: return 4; /* INT32 */
    case 0x9: return 4; /* UINT32 */
    case 0xA: return 4; /* FLOAT32 */
    case 0xB: return 4; /* FP32R */
    case 0xC: return 8; /* INT64 */
    case 0xD: return 1; /* FP8_E3 */
    case 0xE: return 1; /* FP8_E4 */
    case 0xF: return 1; /* FP8_E5 */
    default: return 0;
    }
}

const char *nrtemu_dtype_name(uint32_t dtype) {
    static const char *const names[16] = {"UNKNOWN", "UINT64", "INT8",    "UINT8",
                                          "INT16",   "UINT16", "BFLOAT16", "FLOAT16",
                                          "INT32",   "UINT32", "FLOAT32", "FP32R",
                                          "INT64",   "FP8_E3", "FP8_E4",  "FP8_E5"};
    return dtype < 16 ? names[dtype] : "UNKNOWN";
}

static const char *op_name(uint32_t opcode) {
    switch (opcode) {
    case OP_IDENTITY: return "IDENTITY";
    case OP_ADD: return "ADD";
    case OP_RELU: return "RELU";
    case OP_MATMUL: return "MATMUL";
    case OP_SOFTMAX: return "SOFTMAX";
    case OP_MUL: return "MUL";
    default: return "UNKNOWN";
    }
}

static const char *kind_name(uint8_t kind) {
    switch (kind) {
    case KIND_INPUT: return "input";
    case KIND_OUTPUT: return "output";
    case KIND_CONSTANT: return "constant";
    default: return "intermediate";
    }
}

/* Formats dims as "[8,16]" ("[]" for a scalar) into buf (at least 96 bytes). */
static const char *fmt_shape(char *buf, size_t n, const uint32_t *dims, uint32_t ndim) {
    size_t pos = 0;
    buf[0] = '\0';
    pos += (size_t)snprintf(buf + pos, n - pos, "[");
    for (uint32_t i = 0; i < ndim && pos < n; i++)
        pos += (size_t)snprintf(buf + pos, n - pos, i ? ",%u" : "%u", (unsigned)dims[i]);
    if (pos < n) snprintf(buf + pos, n - pos, "]");
    return buf;
}

typedef struct reader {
    const uint8_t *p;
    size_t len;
    size_t off;
    char *err;
    size_t err_len;
} reader;

static int need(reader *r, size_t n, const char *what) {
    if (r->len - r->off < n) {
        nrtemu_set_err(r->err, r->err_len,
                "program is truncated at offset %zu: expected %s (%zu bytes), only %zu remain",
                r->off, what, n, r->len - r->off);
        return -1;
    }
    return 0;
}

static int rd_u8(reader *r, const char *what, uint8_t *v) {
    if (need(r, 1, what)) return -1;
    *v = r->p[r->off++];
    return 0;
}

static int rd_u16(reader *r, const char *what, uint16_t *v) {
    if (need(r, 2, what)) return -1;
    const uint8_t *b = r->p + r->off;
    *v = (uint16_t)(b[0] | (b[1] << 8));
    r->off += 2;
    return 0;
}

static int rd_u32(reader *r, const char *what, uint32_t *v) {
    if (need(r, 4, what)) return -1;
    const uint8_t *b = r->p + r->off;
    *v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
    r->off += 4;
    return 0;
}

static int rd_u64(reader *r, const char *what, uint64_t *v) {
    uint32_t lo, hi;
    if (need(r, 8, what)) return -1;
    rd_u32(r, what, &lo);
    rd_u32(r, what, &hi);
    *v = (uint64_t)lo | ((uint64_t)hi << 32);
    return 0;
}

/* Strict UTF-8 validation (same acceptance as Rust's str::from_utf8). */
static int valid_utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0u) != 0x80u) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) return 0;
        i += len;
    }
    return 1;
}

static uint64_t hash_name(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---------------------------------------------------------------- lifetime / accessors */

void nrtemu_program_free(nrtemu_program *p) {
    if (p == NULL) return;
    if (p->tensors != NULL) {
        for (uint32_t i = 0; i < p->n_tensors; i++) free(p->tensors[i].name);
    }
    free(p->tensors);
    free(p->ops);
    free(p->io);
    free(p->consts);
    free(p);
}

uint64_t nrtemu_program_device_time_ns(const nrtemu_program *p) {
    return p ? p->device_time_ns : 0;
}
size_t nrtemu_program_io_count(const nrtemu_program *p) { return p ? p->n_io : 0; }
size_t nrtemu_program_input_count(const nrtemu_program *p) { return p ? p->n_inputs : 0; }
const nrtemu_io_desc *nrtemu_program_io(const nrtemu_program *p, size_t i) {
    return (p != NULL && i < p->n_io) ? &p->io[i] : NULL;
}
long nrtemu_program_find_io(const nrtemu_program *p, const char *name) {
    if (p == NULL || name == NULL) return -1;
    for (size_t i = 0; i < p->n_io; i++)
        if (strcmp(p->io[i].name, name) == 0) return (long)i;
    return -1;
}
size_t nrtemu_program_tensor_count(const nrtemu_program *p) { return p ? p->n_tensors : 0; }
size_t nrtemu_program_op_count(const nrtemu_program *p) { return p ? p->n_ops : 0; }
size_t nrtemu_program_constant_bytes(const nrtemu_program *p) { return p ? p->const_bytes : 0; }
size_t nrtemu_program_scratch_bytes(const nrtemu_program *p) { return p ? p->scratch_bytes : 0; }

/* ---------------------------------------------------------------- op validation */

/* NumPy broadcast of a and b into out dims; returns 0 on success. */
static int broadcast(const tensor *a, const tensor *b, uint32_t *out, uint32_t *out_ndim) {
    uint32_t nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (uint32_t k = 0; k < nd; k++) {
        /* k counts from the right */
        uint32_t da = k < a->ndim ? a->dims[a->ndim - 1 - k] : 1;
        uint32_t db = k < b->ndim ? b->dims[b->ndim - 1 - k] : 1;
        uint32_t d;
        if (da == db || db == 1)
            d = da;
        else if (da == 1)
            d = db;
        else
            return -1;
        out[nd - 1 - k] = d;
    }
    *out_ndim = nd;
    return 0;
}

static int same_shape(const uint32_t *a, uint32_t an, const uint32_t *b, uint32_t bn) {
    return an == bn && (an == 0 || memcmp(a, b, an * sizeof(uint32_t)) == 0);
}

/* Checks op o (index i) against the tensors; writer[] holds the op index writing each tensor. */
static int check_op(const nrtemu_program *p, uint32_t i, const op *o, const uint32_t *writer,
                    char *err, size_t err_len) {
    const char *on = op_name(o->opcode);
    const tensor *out = &p->tensors[o->out];
    char s1[128], s2[128];
    if (out->kind != KIND_OUTPUT && out->kind != KIND_INTERMEDIATE) {
        nrtemu_set_err(err, err_len,
                "op %u (%s): output '%s' is a %s tensor, expected an output or intermediate "
                "tensor",
                i, on, out->name, kind_name(out->kind));
        return -1;
    }
    if (writer[o->out] != NONE) {
        nrtemu_set_err(err, err_len, "op %u (%s): output '%s' is already written by op %u", i, on,
                out->name, writer[o->out]);
        return -1;
    }
    for (uint32_t k = 0; k < o->n_in; k++) {
        const tensor *t = &p->tensors[o->in[k]];
        if ((t->kind == KIND_OUTPUT || t->kind == KIND_INTERMEDIATE) && writer[o->in[k]] == NONE) {
            nrtemu_set_err(err, err_len,
                    "op %u (%s): input '%s' is read before any op writes it, expected an input, "
                    "a constant or a tensor written by an earlier op",
                    i, on, t->name);
            return -1;
        }
    }
    if (o->opcode == OP_IDENTITY) {
        const tensor *x = &p->tensors[o->in[0]];
        if (out->dtype != x->dtype) {
            nrtemu_set_err(err, err_len, "op %u (%s): output '%s' has dtype %s, expected %s", i, on,
                    out->name, nrtemu_dtype_name(out->dtype), nrtemu_dtype_name(x->dtype));
            return -1;
        }
        if (out->elems != x->elems) {
            nrtemu_set_err(err, err_len,
                    "op %u (%s): output '%s' has shape %s (%llu elements), expected %llu "
                    "elements like input '%s' %s",
                    i, on, out->name, fmt_shape(s1, sizeof s1, out->dims, out->ndim),
                    (unsigned long long)out->elems, (unsigned long long)x->elems, x->name,
                    fmt_shape(s2, sizeof s2, x->dims, x->ndim));
            return -1;
        }
        return 0;
    }
    for (uint32_t k = 0; k < o->n_in; k++) {
        const tensor *t = &p->tensors[o->in[k]];
        if (t->dtype != DTYPE_FLOAT32) {
            nrtemu_set_err(err, err_len, "op %u (%s): input '%s' has dtype %s, expected FLOAT32", i, on,
                    t->name, nrtemu_dtype_name(t->dtype));
            return -1;
        }
    }
    if (out->dtype != DTYPE_FLOAT32) {
        nrtemu_set_err(err, err_len, "op %u (%s): output '%s' has dtype %s, expected FLOAT32", i, on,
                out->name, nrtemu_dtype_name(out->dtype));
        return -1;
    }
    uint32_t want[MAX_NDIM];
    uint32_t want_nd = 0;
    const tensor *a = &p->tensors[o->in[0]];
    switch (o->opcode) {
    case OP_RELU:
    case OP_SOFTMAX:
        want_nd = a->ndim;
        if (want_nd) memcpy(want, a->dims, want_nd * sizeof(uint32_t));
        break;
    case OP_ADD:
    case OP_MUL: {
        const tensor *b = &p->tensors[o->in[1]];
        if (broadcast(a, b, want, &want_nd) != 0) {
            nrtemu_set_err(err, err_len,
                    "op %u (%s): inputs '%s' %s and '%s' %s do not broadcast, expected each "
                    "dimension pair (right-aligned) to be equal or 1",
                    i, on, a->name, fmt_shape(s1, sizeof s1, a->dims, a->ndim), b->name,
                    fmt_shape(s2, sizeof s2, b->dims, b->ndim));
            return -1;
        }
        break;
    }
    case OP_MATMUL: {
        const tensor *b = &p->tensors[o->in[1]];
        if (a->ndim < 2) {
            nrtemu_set_err(err, err_len,
                    "op %u (%s): input '%s' has shape %s, expected at least 2 dimensions "
                    "[..., M, K]",
                    i, on, a->name, fmt_shape(s1, sizeof s1, a->dims, a->ndim));
            return -1;
        }
        uint32_t m = a->dims[a->ndim - 2], kk = a->dims[a->ndim - 1];
        int b_ok = b->ndim == 2 ||
                   (b->ndim == a->ndim &&
                    memcmp(a->dims, b->dims, (a->ndim - 2) * sizeof(uint32_t)) == 0);
        if (!b_ok || b->dims[b->ndim - 2] != kk) {
            nrtemu_set_err(err, err_len,
                    "op %u (%s): input '%s' has shape %s, expected [%u,N] or the leading dims of "
                    "'%s' %s followed by [%u,N]",
                    i, on, b->name, fmt_shape(s1, sizeof s1, b->dims, b->ndim), (unsigned)kk,
                    a->name, fmt_shape(s2, sizeof s2, a->dims, a->ndim), (unsigned)kk);
            return -1;
        }
        want_nd = a->ndim;
        memcpy(want, a->dims, (a->ndim - 2) * sizeof(uint32_t));
        want[want_nd - 2] = m;
        want[want_nd - 1] = b->dims[b->ndim - 1];
        break;
    }
    default: break;
    }
    if (!same_shape(out->dims, out->ndim, want, want_nd)) {
        nrtemu_set_err(err, err_len, "op %u (%s): output '%s' has shape %s, expected %s", i, on,
                out->name, fmt_shape(s1, sizeof s1, out->dims, out->ndim),
                fmt_shape(s2, sizeof s2, want, want_nd));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- parse */

static int parse_tensor(reader *r, nrtemu_program *p, uint32_t i, const uint8_t **const_data) {
    tensor *t = &p->tensors[i];
    char what[320];
    uint8_t kind, res[3];
    *const_data = NULL;
    snprintf(what, sizeof what, "tensor %u kind", i);
    if (rd_u8(r, what, &kind)) return -1;
    if (kind > KIND_INTERMEDIATE) {
        nrtemu_set_err(r->err, r->err_len,
                "tensor %u: kind %u is unknown, expected 0 (input), 1 (output), 2 (constant) or 3 "
                "(intermediate)",
                i, (unsigned)kind);
        return -1;
    }
    t->kind = kind;
    snprintf(what, sizeof what, "tensor %u reserved bytes", i);
    /* one 3-byte field: a truncation names all 3 bytes, as the Rust decoder does */
    if (need(r, 3, what)) return -1;
    if (rd_u8(r, what, &res[0]) || rd_u8(r, what, &res[1]) || rd_u8(r, what, &res[2])) return -1;
    if (res[0] | res[1] | res[2]) {
        nrtemu_set_err(r->err, r->err_len, "tensor %u: reserved bytes are not zero, expected 0", i);
        return -1;
    }
    snprintf(what, sizeof what, "tensor %u dtype", i);
    if (rd_u32(r, what, &t->dtype)) return -1;
    size_t esize = nrtemu_dtype_size(t->dtype);
    if (esize == 0) {
        nrtemu_set_err(r->err, r->err_len,
                "tensor %u: dtype 0x%X is unknown, expected a hardware nrt_dtype_t code "
                "0x1..=0xF",
                i, (unsigned)t->dtype);
        return -1;
    }
    snprintf(what, sizeof what, "tensor %u ndim", i);
    if (rd_u32(r, what, &t->ndim)) return -1;
    if (t->ndim > MAX_NDIM) {
        nrtemu_set_err(r->err, r->err_len, "tensor %u: ndim is %u, expected 0..=8", i,
                (unsigned)t->ndim);
        t->ndim = 0;
        return -1;
    }
    for (uint32_t d = 0; d < t->ndim; d++) {
        snprintf(what, sizeof what, "tensor %u dims[%u]", i, d);
        if (rd_u32(r, what, &t->dims[d])) return -1;
        if (t->dims[d] == 0) {
            nrtemu_set_err(r->err, r->err_len, "tensor %u: dims[%u] is 0, expected >= 1", i, d);
            return -1;
        }
    }
    uint16_t name_len;
    snprintf(what, sizeof what, "tensor %u name_len", i);
    if (rd_u16(r, what, &name_len)) return -1;
    if (name_len == 0 || name_len > 255) {
        nrtemu_set_err(r->err, r->err_len, "tensor %u: name_len is %u, expected 1..=255", i,
                (unsigned)name_len);
        return -1;
    }
    snprintf(what, sizeof what, "tensor %u name", i);
    if (need(r, name_len, what)) return -1;
    const uint8_t *nm = r->p + r->off;
    if (memchr(nm, 0, name_len) != NULL) {
        nrtemu_set_err(r->err, r->err_len, "tensor %u: name contains a NUL byte, expected none", i);
        return -1;
    }
    if (!valid_utf8(nm, name_len)) {
        nrtemu_set_err(r->err, r->err_len, "tensor %u: name is not valid UTF-8", i);
        return -1;
    }
    t->name = malloc((size_t)name_len + 1);
    if (t->name == NULL) {
        nrtemu_set_err(r->err, r->err_len, "out of memory");
        return -1;
    }
    memcpy(t->name, nm, name_len);
    t->name[name_len] = '\0';
    r->off += name_len;

    /* size = element size x product(dims), capped */
    uint64_t elems = 1;
    for (uint32_t d = 0; d < t->ndim; d++) {
        if (elems > NRTEMU_MAX_TOTAL_TENSOR_BYTES / t->dims[d]) {
            elems = NRTEMU_MAX_TOTAL_TENSOR_BYTES + 1;
            break;
        }
        elems *= t->dims[d];
    }
    if (elems > NRTEMU_MAX_TOTAL_TENSOR_BYTES / esize) {
        nrtemu_set_err(r->err, r->err_len,
                "tensor %u ('%s'): size exceeds the 16 GiB limit (17179869184 bytes)", i, t->name);
        return -1;
    }
    t->elems = elems;
    t->bytes = elems * esize;
    if (kind == KIND_CONSTANT) {
        uint64_t byte_len;
        snprintf(what, sizeof what, "tensor %u byte_len", i);
        if (rd_u64(r, what, &byte_len)) return -1;
        if (byte_len != t->bytes) {
            char s[128];
            nrtemu_set_err(r->err, r->err_len,
                    "tensor %u ('%s'): constant byte_len is %llu, expected %llu (%s %s)", i,
                    t->name, (unsigned long long)byte_len, (unsigned long long)t->bytes,
                    nrtemu_dtype_name(t->dtype), fmt_shape(s, sizeof s, t->dims, t->ndim));
            return -1;
        }
        if (byte_len > (uint64_t)(r->len - r->off)) { /* checked in 64 bits: no truncation */
            nrtemu_set_err(r->err, r->err_len,
                    "program is truncated at offset %zu: expected tensor %u ('%s') data (%llu "
                    "bytes), only %zu remain",
                    r->off, i, t->name, (unsigned long long)byte_len, r->len - r->off);
            return -1;
        }
        *const_data = r->p + r->off;
        r->off += (size_t)byte_len;
    }
    return 0;
}

static int parse_op(reader *r, const nrtemu_program *p, uint32_t i, op *o) {
    char what[64];
    const char *on;
    snprintf(what, sizeof what, "op %u opcode", i);
    if (rd_u32(r, what, &o->opcode)) return -1;
    on = op_name(o->opcode);
    if (o->opcode < OP_IDENTITY || o->opcode > OP_MUL) {
        nrtemu_set_err(r->err, r->err_len, "op %u: opcode %u is unknown, expected 1..=6", i,
                (unsigned)o->opcode);
        return -1;
    }
    uint32_t want_in = (o->opcode == OP_ADD || o->opcode == OP_MUL || o->opcode == OP_MATMUL) ? 2 : 1;
    snprintf(what, sizeof what, "op %u input_count", i);
    if (rd_u32(r, what, &o->n_in)) return -1;
    if (o->n_in != want_in) {
        nrtemu_set_err(r->err, r->err_len, "op %u (%s): input_count is %u, expected %u", i, on,
                (unsigned)o->n_in, (unsigned)want_in);
        return -1;
    }
    for (uint32_t k = 0; k < o->n_in; k++) {
        snprintf(what, sizeof what, "op %u inputs[%u]", i, k);
        if (rd_u32(r, what, &o->in[k])) return -1;
        if (o->in[k] >= p->n_tensors) {
            nrtemu_set_err(r->err, r->err_len,
                    "op %u (%s): inputs[%u] is tensor index %u, expected < tensor_count %u", i,
                    on, k, (unsigned)o->in[k], (unsigned)p->n_tensors);
            return -1;
        }
    }
    snprintf(what, sizeof what, "op %u output", i);
    if (rd_u32(r, what, &o->out)) return -1;
    if (o->out >= p->n_tensors) {
        nrtemu_set_err(r->err, r->err_len,
                "op %u (%s): output is tensor index %u, expected < tensor_count %u", i, on,
                (unsigned)o->out, (unsigned)p->n_tensors);
        return -1;
    }
    uint32_t attr_count;
    snprintf(what, sizeof what, "op %u attr_count", i);
    if (rd_u32(r, what, &attr_count)) return -1;
    if (attr_count != 0) {
        nrtemu_set_err(r->err, r->err_len, "op %u (%s): attr_count is %u, expected 0", i, on,
                (unsigned)attr_count);
        return -1;
    }
    return 0;
}

static int parse_body(reader *r, nrtemu_program *p, uint32_t **writer_out, uint32_t **htab_out) {
    static const uint8_t magic[8] = {'N', 'R', 'T', 'E', 'M', 'U', 'P', 0x01};
    uint32_t version, flags, n_tensors, n_ops;
    if (need(r, 8, "magic")) return -1;
    if (memcmp(r->p, magic, 8) != 0) {
        nrtemu_set_err(r->err, r->err_len,
                "bad magic: expected \"NRTEMUP\\x01\" (this is not an emulator program)");
        return -1;
    }
    r->off = 8;
    if (rd_u32(r, "format_version", &version)) return -1;
    if (version != 1) {
        nrtemu_set_err(r->err, r->err_len, "format_version is %u, expected 1", (unsigned)version);
        return -1;
    }
    if (rd_u32(r, "flags", &flags)) return -1;
    if (flags != 0) {
        nrtemu_set_err(r->err, r->err_len, "flags is 0x%X, expected 0", (unsigned)flags);
        return -1;
    }
    if (rd_u64(r, "device_time_ns", &p->device_time_ns)) return -1;
    if (rd_u32(r, "tensor_count", &n_tensors)) return -1;
    if (n_tensors < 1 || n_tensors > MAX_COUNT) {
        nrtemu_set_err(r->err, r->err_len, "tensor_count is %u, expected 1..=65535",
                (unsigned)n_tensors);
        return -1;
    }
    if (rd_u32(r, "op_count", &n_ops)) return -1;
    if (n_ops > MAX_COUNT) {
        nrtemu_set_err(r->err, r->err_len, "op_count is %u, expected 0..=65535", (unsigned)n_ops);
        return -1;
    }
    /* A tensor record is at least 15 bytes and an op record at least 20: refuse counts the
       remaining bytes cannot hold before allocating for them. */
    if ((uint64_t)n_tensors * 15u + (uint64_t)n_ops * 20u > (uint64_t)(r->len - r->off)) {
        nrtemu_set_err(r->err, r->err_len,
                "program is truncated: %u tensors and %u ops need at least %llu bytes after the "
                "header, only %zu remain",
                (unsigned)n_tensors, (unsigned)n_ops,
                (unsigned long long)((uint64_t)n_tensors * 15u + (uint64_t)n_ops * 20u),
                r->len - r->off);
        return -1;
    }
    p->tensors = calloc(n_tensors, sizeof(tensor));
    p->ops = calloc(n_ops ? n_ops : 1, sizeof(op));
    const uint8_t **cdata = calloc(n_tensors, sizeof(*cdata));
    size_t hcap = 1;
    while (hcap < (size_t)n_tensors * 2) hcap <<= 1;
    uint32_t *htab = malloc(hcap * sizeof(uint32_t));
    *htab_out = htab;
    if (p->tensors == NULL || p->ops == NULL || cdata == NULL || htab == NULL) {
        free(cdata);
        nrtemu_set_err(r->err, r->err_len, "out of memory");
        return -1;
    }
    for (size_t h = 0; h < hcap; h++) htab[h] = NONE;
    p->n_tensors = n_tensors;
    uint64_t total = 0, const_total = 0, scratch = 0;
    size_t n_in = 0, n_out = 0;
    for (uint32_t i = 0; i < n_tensors; i++) {
        if (parse_tensor(r, p, i, &cdata[i])) {
            free(cdata);
            return -1;
        }
        tensor *t = &p->tensors[i];
        size_t nl = strlen(t->name);
        size_t h = (size_t)hash_name(t->name, nl) & (hcap - 1);
        while (htab[h] != NONE) {
            if (strcmp(p->tensors[htab[h]].name, t->name) == 0) {
                nrtemu_set_err(r->err, r->err_len,
                        "tensor %u ('%s'): name is already used by tensor %u, expected unique "
                        "names",
                        i, t->name, (unsigned)htab[h]);
                free(cdata);
                return -1;
            }
            h = (h + 1) & (hcap - 1);
        }
        htab[h] = i;
        total += t->bytes;
        if (total > NRTEMU_MAX_TOTAL_TENSOR_BYTES) {
            nrtemu_set_err(r->err, r->err_len,
                    "tensor %u ('%s'): tensors total more than the 16 GiB limit (17179869184 "
                    "bytes)",
                    i, t->name);
            free(cdata);
            return -1;
        }
        if (t->kind == KIND_INPUT) n_in++;
        if (t->kind == KIND_OUTPUT) n_out++;
        if (t->kind == KIND_CONSTANT) {
            t->slot = (size_t)const_total;
            const_total += t->bytes;
        }
        if (t->kind == KIND_INTERMEDIATE) {
            scratch = (scratch + (SCRATCH_ALIGN - 1)) & ~(uint64_t)(SCRATCH_ALIGN - 1);
            t->slot = (size_t)scratch;
            scratch += t->bytes;
        }
    }
    if (n_in + n_out == 0) {
        nrtemu_set_err(r->err, r->err_len,
                "program has no input or output tensor, expected at least one");
        free(cdata);
        return -1;
    }
    if (total > SIZE_MAX) { /* only possible where size_t is 32 bits */
        nrtemu_set_err(r->err, r->err_len, "program needs more memory than this process can address");
        free(cdata);
        return -1;
    }
    /* copy constants and build io descriptors */
    p->const_bytes = (size_t)const_total;
    p->scratch_bytes = (size_t)scratch;
    p->consts = malloc(const_total ? (size_t)const_total : 1);
    p->io = calloc(n_in + n_out, sizeof(nrtemu_io_desc));
    if (p->consts == NULL || p->io == NULL) {
        nrtemu_set_err(r->err, r->err_len, "out of memory");
        free(cdata);
        return -1;
    }
    p->n_inputs = n_in;
    p->n_io = n_in + n_out;
    size_t next_in = 0, next_out = n_in;
    for (uint32_t i = 0; i < n_tensors; i++) {
        tensor *t = &p->tensors[i];
        if (t->kind == KIND_CONSTANT) {
            if (t->bytes) memcpy(p->consts + t->slot, cdata[i], (size_t)t->bytes);
            continue;
        }
        if (t->kind == KIND_INTERMEDIATE) continue;
        size_t slot = t->kind == KIND_INPUT ? next_in++ : next_out++;
        t->slot = slot;
        nrtemu_io_desc *d = &p->io[slot];
        d->name = t->name;
        d->usage = t->kind == KIND_INPUT ? 0 : 1;
        d->dtype = t->dtype;
        d->ndim = t->ndim;
        d->dims = t->dims;
        d->size_bytes = (size_t)t->bytes;
    }
    free(cdata);

    uint32_t *writer = malloc((size_t)n_tensors * sizeof(uint32_t));
    *writer_out = writer;
    if (writer == NULL) {
        nrtemu_set_err(r->err, r->err_len, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n_tensors; i++) writer[i] = NONE;
    p->n_ops = n_ops;
    for (uint32_t i = 0; i < n_ops; i++) {
        op *o = &p->ops[i];
        if (parse_op(r, p, i, o)) return -1;
        if (check_op(p, i, o, writer, r->err, r->err_len)) return -1;
        writer[o->out] = i;
    }
    if (r->off != r->len) {
        nrtemu_set_err(r->err, r->err_len, "%zu trailing bytes after the last op, expected none",
                r->len - r->off);
        return -1;
    }
    return 0;
}

int nrtemu_program_parse(const uint8_t *data, size_t len, nrtemu_program **out, char *err,
                         size_t err_len) {
    if (err != NULL && err_len > 0) err[0] = '\0';
    if (out == NULL) {
        nrtemu_set_err(err, err_len, "out pointer is NULL");
        return -1;
    }
    *out = NULL;
    if (data == NULL && len > 0) {
        nrtemu_set_err(err, err_len, "program data pointer is NULL");
        return -1;
    }
    nrtemu_program *p = calloc(1, sizeof *p);
    if (p == NULL) {
        nrtemu_set_err(err, err_len, "out of memory");
        return -1;
    }
    reader r = {data, len, 0, err, err_len};
    uint32_t *writer = NULL, *htab = NULL;
    int rc = parse_body(&r, p, &writer, &htab);
    free(writer);
    free(htab);
    if (rc != 0) {
        nrtemu_program_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

/* ---------------------------------------------------------------- run */

static float ldf(const uint8_t *base, size_t i) {
    float v;
    memcpy(&v, base + 4 * i, sizeof v);
    return v;
}

static void stf(uint8_t *base, size_t i, float v) { memcpy(base + 4 * i, &v, sizeof v); }

static void run_binary(const op *o, const tensor *ta, const tensor *tb, const tensor *to,
                       const uint8_t *a, const uint8_t *b, uint8_t *out) {
    uint32_t nd = to->ndim;
    size_t sa[MAX_NDIM], sb[MAX_NDIM], idx[MAX_NDIM];
    /* element strides of a and b for each output axis (0 where broadcast) */
    size_t stride = 1;
    for (uint32_t k = 0; k < nd; k++) {
        uint32_t ax = nd - 1 - k;
        uint32_t d = k < ta->ndim ? ta->dims[ta->ndim - 1 - k] : 1;
        sa[ax] = d == 1 ? 0 : stride;
        stride *= d;
    }
    stride = 1;
    for (uint32_t k = 0; k < nd; k++) {
        uint32_t ax = nd - 1 - k;
        uint32_t d = k < tb->ndim ? tb->dims[tb->ndim - 1 - k] : 1;
        sb[ax] = d == 1 ? 0 : stride;
        stride *= d;
    }
    for (uint32_t k = 0; k < nd; k++) idx[k] = 0;
    size_t ia = 0, ib = 0;
    for (size_t e = 0; e < (size_t)to->elems; e++) {
        float x = ldf(a, ia), y = ldf(b, ib);
        stf(out, e, o->opcode == OP_ADD ? x + y : x * y);
        /* advance the multi-index */
        for (uint32_t k = nd; k-- > 0;) {
            idx[k]++;
            ia += sa[k];
            ib += sb[k];
            if (idx[k] < to->dims[k]) break;
            ia -= sa[k] * idx[k];
            ib -= sb[k] * idx[k];
            idx[k] = 0;
        }
    }
}

static void run_matmul(const tensor *ta, const tensor *tb, const uint8_t *a, const uint8_t *b,
                       uint8_t *out) {
    size_t m = ta->dims[ta->ndim - 2], k = ta->dims[ta->ndim - 1], n = tb->dims[tb->ndim - 1];
    size_t batch = (size_t)ta->elems / (m * k);
    int shared_b = tb->ndim == 2;
    for (size_t bi = 0; bi < batch; bi++) {
        size_t a0 = bi * m * k, b0 = shared_b ? 0 : bi * k * n, o0 = bi * m * n;
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < n; j++) {
                double acc = 0.0;
                for (size_t kk = 0; kk < k; kk++)
                    acc += (double)ldf(a, a0 + i * k + kk) * (double)ldf(b, b0 + kk * n + j);
                stf(out, o0 + i * n + j, (float)acc);
            }
        }
    }
}

static void run_softmax(const tensor *t, const uint8_t *x, uint8_t *out) {
    size_t row = t->ndim ? t->dims[t->ndim - 1] : 1;
    size_t rows = (size_t)t->elems / row;
    for (size_t r = 0; r < rows; r++) {
        size_t base = r * row;
        float mx = ldf(x, base);
        for (size_t j = 1; j < row; j++) {
            float v = ldf(x, base + j);
            if (v > mx) mx = v;
        }
        double sum = 0.0;
        for (size_t j = 0; j < row; j++) {
            float e = expf(ldf(x, base + j) - mx);
            stf(out, base + j, e);
            sum += (double)e;
        }
        for (size_t j = 0; j < row; j++)
            stf(out, base + j, (float)((double)ldf(out, base + j) / sum));
    }
}

static uint8_t *tensor_ptr(const nrtemu_program *p, const tensor *t, void *const *io,
                           uint8_t *scratch) {
    switch (t->kind) {
    case KIND_INPUT:
    case KIND_OUTPUT: return (uint8_t *)io[t->slot];
    case KIND_CONSTANT: return p->consts + t->slot;
    default: return scratch + t->slot;
    }
}

int nrtemu_program_run(const nrtemu_program *p, void *const *io, void *scratch, char *err,
                       size_t err_len) {
    if (p == NULL) {
        nrtemu_set_err(err, err_len, "program is NULL");
        return -1;
    }
    if (p->n_ops == 0) return 0;
    if (err != NULL && err_len > 0) err[0] = '\0';
    if (io == NULL && p->n_io > 0) {
        nrtemu_set_err(err, err_len, "io array is NULL, expected %zu tensor pointers", p->n_io);
        return -1;
    }
    for (size_t i = 0; i < p->n_io; i++) {
        if (io[i] == NULL) {
            nrtemu_set_err(err, err_len, "io[%zu] ('%s') is NULL, expected %zu bytes of storage", i,
                    p->io[i].name, p->io[i].size_bytes);
            return -1;
        }
    }
    if (scratch == NULL && p->scratch_bytes > 0) {
        nrtemu_set_err(err, err_len, "scratch is NULL, expected %zu bytes", p->scratch_bytes);
        return -1;
    }
    uint8_t *sc = scratch;
    for (uint32_t i = 0; i < p->n_ops; i++) {
        const op *o = &p->ops[i];
        const tensor *ta = &p->tensors[o->in[0]];
        const tensor *tb = o->n_in > 1 ? &p->tensors[o->in[1]] : NULL;
        const tensor *to = &p->tensors[o->out];
        const uint8_t *a = tensor_ptr(p, ta, io, sc);
        const uint8_t *b = tb ? tensor_ptr(p, tb, io, sc) : NULL;
        uint8_t *out = tensor_ptr(p, to, io, sc);
        switch (o->opcode) {
        case OP_IDENTITY: memmove(out, a, (size_t)to->bytes); break;
        case OP_ADD:
        case OP_MUL: run_binary(o, ta, tb, to, a, b, out); break;
        case OP_RELU:
            for (size_t e = 0; e < (size_t)to->elems; e++) {
                float v = ldf(a, e);
                stf(out, e, v > 0.0f ? v : 0.0f);
            }
            break;
        case OP_MATMUL: run_matmul(ta, tb, a, b, out); break;
        case OP_SOFTMAX: run_softmax(ta, a, out); break;
        default:
            nrtemu_set_err(err, err_len, "op %u: opcode %u is unknown", i, (unsigned)o->opcode);
            return -1;
        }
    }
    return 0;
}
