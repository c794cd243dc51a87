/* Unit tests for program.c, tar.c and sha256.c, plus the Rust/C cross-check.
   Build and run with tests/run_program_test.sh (ASan + UBSan).
   Usage: program_test                      run the unit tests
          program_test --check NEFF IN EXP  (repeatable) also load each NEFF written by
                                            neuron-neff's cross_check_vectors example, run it on
                                            IN (inputs concatenated in io order) and compare the
                                            outputs with EXP (outputs concatenated in io order):
                                            FLOAT32 within 1e-5, other dtypes byte-exact. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/program.h"
#include "../src/sha256.h"
#include "../src/tar.h"

static int g_failed = 0;
static int g_checks = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        g_checks++;                                                                                \
        if (!(cond)) {                                                                             \
            g_failed++;                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

/* ------------------------------------------------------------ byte buffer builder */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static void put(buf *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        b->p = realloc(b->p, cap);
        if (b->p == NULL) abort();
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}
static void u8(buf *b, uint8_t v) { put(b, &v, 1); }
static void u16(buf *b, uint16_t v) {
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}
static void u32(buf *b, uint32_t v) {
    for (int i = 0; i < 4; i++) u8(b, (uint8_t)(v >> (8 * i)));
}
static void u64(buf *b, uint64_t v) {
    for (int i = 0; i < 8; i++) u8(b, (uint8_t)(v >> (8 * i)));
}

enum { IN = 0, OUT = 1, CONST = 2, MID = 3 };
#define F32 0xAu

static void header(buf *b, uint64_t dev_ns, uint32_t nt, uint32_t nops) {
    put(b, "NRTEMUP\x01", 8);
    u32(b, 1);
    u32(b, 0);
    u64(b, dev_ns);
    u32(b, nt);
    u32(b, nops);
}

/* tensor record; dims is a list of ndim values; data only for constants */
static void tensor(buf *b, uint8_t kind, uint32_t dtype, const char *name, const void *data,
                   uint32_t ndim, ...) {
    va_list ap;
    uint64_t elems = 1;
    u8(b, kind);
    u8(b, 0);
    u8(b, 0);
    u8(b, 0);
    u32(b, dtype);
    u32(b, ndim);
    va_start(ap, ndim);
    for (uint32_t i = 0; i < ndim; i++) {
        uint32_t d = va_arg(ap, uint32_t);
        elems *= d;
        u32(b, d);
    }
    va_end(ap);
    u16(b, (uint16_t)strlen(name));
    put(b, name, strlen(name));
    if (kind == CONST) {
        uint64_t n = elems * nrtemu_dtype_size(dtype);
        u64(b, n);
        put(b, data, (size_t)n);
    }
}

static void op(buf *b, uint32_t opcode, uint32_t out, uint32_t nin, ...) {
    va_list ap;
    u32(b, opcode);
    u32(b, nin);
    va_start(ap, nin);
    for (uint32_t i = 0; i < nin; i++) u32(b, va_arg(ap, uint32_t));
    va_end(ap);
    u32(b, out);
    u32(b, 0);
}

/* ------------------------------------------------------------ helpers */

static nrtemu_program *parse_ok(const buf *b) {
    char err[512];
    nrtemu_program *p = NULL;
    int rc = nrtemu_program_parse(b->p, b->len, &p, err, sizeof err);
    if (rc != 0) fprintf(stderr, "unexpected parse error: %s\n", err);
    CHECK(rc == 0 && p != NULL);
    return p;
}

/* Parses b, expects failure with an error containing `want`. */
static void expect_err_at(int line, const buf *b, const char *want) {
    char err[512];
    nrtemu_program *p = (nrtemu_program *)1;
    int rc = nrtemu_program_parse(b->p, b->len, &p, err, sizeof err);
    g_checks++;
    if (rc == 0 || p != NULL || strstr(err, want) == NULL) {
        g_failed++;
        fprintf(stderr, "line %d: expected parse error containing \"%s\", got rc=%d err=\"%s\"\n",
                line, want, rc, rc ? err : "");
        if (rc == 0) nrtemu_program_free(p);
    }
}
#define EXPECT_ERR(b, want) expect_err_at(__LINE__, b, want)

static int near(float a, float b) { return fabsf(a - b) <= 1e-5f * (1.0f + fabsf(b)); }

static void reset(buf *b) { b->len = 0; }

/* ------------------------------------------------------------ parse error tests */

static void test_parse_errors(void) {
    buf b = {0};
    float w[6] = {1, 2, 3, 4, 5, 6};

    /* header rules */
    put(&b, "NRTEMUP\x02", 8);
    EXPECT_ERR(&b, "bad magic: expected \"NRTEMUP\\x01\"");
    reset(&b);
    put(&b, "NRTEMUP", 7);
    EXPECT_ERR(&b, "program is truncated at offset 0: expected magic (8 bytes), only 7 remain");
    reset(&b);
    put(&b, "NRTEMUP\x01", 8);
    u32(&b, 2);
    EXPECT_ERR(&b, "format_version is 2, expected 1");
    reset(&b);
    put(&b, "NRTEMUP\x01", 8);
    u32(&b, 1);
    u32(&b, 4);
    EXPECT_ERR(&b, "flags is 0x4, expected 0");
    reset(&b);
    header(&b, 0, 0, 0);
    EXPECT_ERR(&b, "tensor_count is 0, expected 1..=65535");
    reset(&b);
    header(&b, 0, 65536, 0);
    EXPECT_ERR(&b, "tensor_count is 65536, expected 1..=65535");
    reset(&b);
    header(&b, 0, 1, 65536);
    EXPECT_ERR(&b, "op_count is 65536, expected 0..=65535");
    reset(&b);
    header(&b, 0, 1000, 0); /* counts larger than the bytes can hold */
    tensor(&b, IN, F32, "x", NULL, 1, 4u);
    EXPECT_ERR(&b, "1000 tensors and 0 ops need at least 15000 bytes");
    reset(&b);
    put(&b, "NRTEMUP\x01", 8);
    u32(&b, 1);
    u32(&b, 0);
    u64(&b, 0);
    u32(&b, 1);
    EXPECT_ERR(&b, "expected op_count (4 bytes), only 0 remain");

    /* tensor record rules */
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, 4, F32, "xxxxxxxxxxxx", NULL, 1, 4u);
    EXPECT_ERR(&b, "tensor 0: kind 4 is unknown, expected 0 (input), 1 (output), 2 (constant) or 3");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "xxxxxxxxxxxx", NULL, 1, 4u);
    b.p[32 + 2] = 1;
    EXPECT_ERR(&b, "tensor 0: reserved bytes are not zero");
    /* truncated inside the reserved field: the whole 3-byte field is named (as in program.rs) */
    reset(&b);
    header(&b, 0, 2, 0);
    tensor(&b, IN, F32, "a-name-long-enough-to-pass-the-size-precheck", NULL, 1, 4u);
    u8(&b, IN);
    u8(&b, 0);
    EXPECT_ERR(&b, "expected tensor 1 reserved bytes (3 bytes), only 1 remain");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, 0, "xxxxxxxxxxxx", NULL, 1, 4u);
    EXPECT_ERR(&b, "tensor 0: dtype 0x0 is unknown, expected a hardware nrt_dtype_t code 0x1..=0xF");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, 0x10, "xxxxxxxxxxxx", NULL, 1, 4u);
    EXPECT_ERR(&b, "dtype 0x10 is unknown");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "x", NULL, 9, 1u, 1u, 1u, 1u, 1u, 1u, 1u, 1u, 1u);
    EXPECT_ERR(&b, "tensor 0: ndim is 9, expected 0..=8");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "xxxxxxxxxxxx", NULL, 2, 4u, 0u);
    EXPECT_ERR(&b, "tensor 0: dims[1] is 0, expected >= 1");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "", NULL, 2, 4u, 4u);
    put(&b, "xxxxxxxxxxxxx", 13);
    EXPECT_ERR(&b, "tensor 0: name_len is 0, expected 1..=255");
    reset(&b);
    {
        char longname[257];
        memset(longname, 'n', 256);
        longname[256] = '\0';
        header(&b, 0, 1, 0);
        tensor(&b, IN, F32, longname, NULL, 1, 4u);
        EXPECT_ERR(&b, "tensor 0: name_len is 256, expected 1..=255");
    }
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "ab\x01xxxxxxxxxx", NULL, 1, 4u);
    b.p[b.len - 10] = 0;
    EXPECT_ERR(&b, "tensor 0: name contains a NUL byte");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "bad\xC0\xAFxxxxxxx", NULL, 1, 4u);
    EXPECT_ERR(&b, "tensor 0: name is not valid UTF-8");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "caf\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", NULL, 1, 4u); /* valid UTF-8 */
    nrtemu_program_free(parse_ok(&b));
    reset(&b);
    header(&b, 0, 2, 0);
    tensor(&b, IN, F32, "dup", NULL, 1, 4u);
    tensor(&b, OUT, F32, "dup", NULL, 1, 4u);
    EXPECT_ERR(&b, "tensor 1 ('dup'): name is already used by tensor 0, expected unique names");
    reset(&b);
    header(&b, 0, 2, 0);
    tensor(&b, IN, F32, "x", NULL, 1, 4u);
    tensor(&b, CONST, F32, "w", w, 1, 2u);
    b.p[b.len - 8 - 8] = 9; /* byte_len = 9 */
    EXPECT_ERR(&b, "tensor 1 ('w'): constant byte_len is 9, expected 8 (FLOAT32 [2])");
    reset(&b);
    header(&b, 0, 2, 0);
    tensor(&b, IN, F32, "x", NULL, 1, 4u);
    tensor(&b, CONST, F32, "w", w, 2, 2u, 3u);
    b.len -= 4; /* constant data cut short */
    EXPECT_ERR(&b, "expected tensor 1 ('w') data (24 bytes), only 20 remain");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, F32, "huge", NULL, 3, 65536u, 65536u, 2u); /* 32 GiB */
    EXPECT_ERR(&b, "tensor 0 ('huge'): size exceeds the 16 GiB limit");
    reset(&b);
    header(&b, 0, 1, 0);
    tensor(&b, IN, 0x1, "ovf", NULL, 8, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu,
           0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu);
    EXPECT_ERR(&b, "tensor 0 ('ovf'): size exceeds the 16 GiB limit");
    reset(&b);
    header(&b, 0, 3, 0);
    tensor(&b, IN, F32, "a", NULL, 2, 65536u, 16384u); /* 4 GiB each, 12 GiB */
    tensor(&b, OUT, F32, "b", NULL, 2, 65536u, 16384u);
    tensor(&b, MID, F32, "c", NULL, 2, 65536u, 16384u);
    nrtemu_program_free(parse_ok(&b)); /* 12 GiB is allowed (nothing is allocated) */
    reset(&b);
    header(&b, 0, 5, 0);
    for (int i = 0; i < 5; i++) {
        char nm[2] = {(char)('a' + i), 0};
        tensor(&b, IN, F32, nm, NULL, 2, 65536u, 16384u);
    }
    EXPECT_ERR(&b, "tensor 4 ('e'): tensors total more than the 16 GiB limit");
    reset(&b);
    header(&b, 0, 2, 0);
    tensor(&b, CONST, F32, "w", w, 1, 2u);
    tensor(&b, MID, F32, "m", NULL, 1, 2u);
    EXPECT_ERR(&b, "program has no input or output tensor, expected at least one");

    /* op rules */
#define TWO_TENSORS()                                                                              \
    do {                                                                                           \
        reset(&b);                                                                                 \
        header(&b, 0, 3, 1);                                                                       \
        tensor(&b, IN, F32, "x", NULL, 2, 2u, 3u);                                                 \
        tensor(&b, CONST, F32, "w", w, 2, 2u, 3u);                                                 \
        tensor(&b, OUT, F32, "y", NULL, 2, 2u, 3u);                                                \
    } while (0)
    TWO_TENSORS();
    op(&b, 0, 2, 1, 0u);
    EXPECT_ERR(&b, "op 0: opcode 0 is unknown, expected 1..=6");
    TWO_TENSORS();
    op(&b, 7, 2, 1, 0u);
    EXPECT_ERR(&b, "op 0: opcode 7 is unknown, expected 1..=6");
    TWO_TENSORS();
    op(&b, 2, 2, 1, 0u);
    EXPECT_ERR(&b, "op 0 (ADD): input_count is 1, expected 2");
    TWO_TENSORS();
    op(&b, 3, 2, 2, 0u, 1u);
    EXPECT_ERR(&b, "op 0 (RELU): input_count is 2, expected 1");
    TWO_TENSORS();
    op(&b, 2, 2, 2, 0u, 3u);
    EXPECT_ERR(&b, "op 0 (ADD): inputs[1] is tensor index 3, expected < tensor_count 3");
    TWO_TENSORS();
    op(&b, 3, 3, 1, 0u);
    EXPECT_ERR(&b, "op 0 (RELU): output is tensor index 3, expected < tensor_count 3");
    TWO_TENSORS();
    u32(&b, 3);
    u32(&b, 1);
    u32(&b, 0);
    u32(&b, 2);
    u32(&b, 1);
    u64(&b, 5);
    EXPECT_ERR(&b, "op 0 (RELU): attr_count is 1, expected 0");
    TWO_TENSORS();
    op(&b, 3, 1, 1, 0u);
    EXPECT_ERR(&b, "op 0 (RELU): output 'w' is a constant tensor, expected an output or "
                   "intermediate tensor");
    TWO_TENSORS();
    op(&b, 3, 0, 1, 2u);
    EXPECT_ERR(&b, "op 0 (RELU): output 'x' is a input tensor");
    TWO_TENSORS();
    op(&b, 3, 2, 1, 2u);
    EXPECT_ERR(&b, "op 0 (RELU): input 'y' is read before any op writes it");
    TWO_TENSORS();
    b.p[28] = 2; /* op_count = 2 */
    op(&b, 3, 2, 1, 0u);
    op(&b, 3, 2, 1, 1u);
    EXPECT_ERR(&b, "op 1 (RELU): output 'y' is already written by op 0");
    TWO_TENSORS();
    op(&b, 3, 2, 1, 0u);
    u8(&b, 0);
    EXPECT_ERR(&b, "1 trailing bytes after the last op, expected none");
    TWO_TENSORS();
    u32(&b, 2);
    u32(&b, 2);
    u32(&b, 0);
    EXPECT_ERR(&b, "expected op 0 inputs[1] (4 bytes), only 0 remain");

    /* dtype rules */
    reset(&b);
    header(&b, 0, 2, 1);
    tensor(&b, IN, 0x3, "x", NULL, 1, 4u);
    tensor(&b, OUT, F32, "y", NULL, 1, 4u);
    op(&b, 3, 1, 1, 0u);
    EXPECT_ERR(&b, "op 0 (RELU): input 'x' has dtype UINT8, expected FLOAT32");
    reset(&b);
    header(&b, 0, 2, 1);
    tensor(&b, IN, F32, "x", NULL, 1, 4u);
    tensor(&b, OUT, 0x8, "y", NULL, 1, 4u);
    op(&b, 5, 1, 1, 0u);
    EXPECT_ERR(&b, "op 0 (SOFTMAX): output 'y' has dtype INT32, expected FLOAT32");
    reset(&b);
    header(&b, 0, 2, 1);
    tensor(&b, IN, 0x3, "x", NULL, 1, 4u);
    tensor(&b, OUT, 0x2, "y", NULL, 1, 4u);
    op(&b, 1, 1, 1, 0u);
    EXPECT_ERR(&b, "op 0 (IDENTITY): output 'y' has dtype INT8, expected UINT8");
    reset(&b);
    header(&b, 0, 2, 1);
    tensor(&b, IN, 0x3, "x", NULL, 2, 2u, 3u);
    tensor(&b, OUT, 0x3, "y", NULL, 1, 5u);
    op(&b, 1, 1, 1, 0u);
    EXPECT_ERR(&b, "op 0 (IDENTITY): output 'y' has shape [5] (5 elements), expected 6 elements "
                   "like input 'x' [2,3]");

    /* shape rules */
    reset(&b);
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "x", NULL, 2, 2u, 3u);
    tensor(&b, IN, F32, "z", NULL, 1, 2u);
    tensor(&b, OUT, F32, "y", NULL, 2, 2u, 3u);
    op(&b, 2, 2, 2, 0u, 1u);
    EXPECT_ERR(&b, "op 0 (ADD): inputs 'x' [2,3] and 'z' [2] do not broadcast, expected each "
                   "dimension pair (right-aligned) to be equal or 1");
    reset(&b);
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "x", NULL, 2, 2u, 1u);
    tensor(&b, IN, F32, "z", NULL, 2, 1u, 3u);
    tensor(&b, OUT, F32, "y", NULL, 2, 2u, 1u);
    op(&b, 6, 2, 2, 0u, 1u);
    EXPECT_ERR(&b, "op 0 (MUL): output 'y' has shape [2,1], expected [2,3]");
    reset(&b);
    header(&b, 0, 4, 1);
    tensor(&b, IN, F32, "x", NULL, 2, 8u, 4u);
    tensor(&b, IN, F32, "w1", NULL, 2, 4u, 3u);
    tensor(&b, OUT, F32, "y", NULL, 1, 1u);
    tensor(&b, MID, F32, "h1", NULL, 2, 8u, 16u);
    op(&b, 4, 3, 2, 0u, 1u);
    EXPECT_ERR(&b, "op 0 (MATMUL): output 'h1' has shape [8,16], expected [8,3]");
    reset(&b);
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "x", NULL, 1, 4u);
    tensor(&b, IN, F32, "w", NULL, 2, 4u, 3u);
    tensor(&b, OUT, F32, "y", NULL, 1, 3u);
    op(&b, 4, 2, 2, 0u, 1u);
    EXPECT_ERR(&b, "op 0 (MATMUL): input 'x' has shape [4], expected at least 2 dimensions");
    reset(&b);
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "x", NULL, 2, 8u, 4u);
    tensor(&b, IN, F32, "w", NULL, 2, 5u, 3u);
    tensor(&b, OUT, F32, "y", NULL, 2, 8u, 3u);
    op(&b, 4, 2, 2, 0u, 1u);
    EXPECT_ERR(&b, "op 0 (MATMUL): input 'w' has shape [5,3], expected [4,N] or the leading dims "
                   "of 'x' [8,4] followed by [4,N]");
    reset(&b);
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "x", NULL, 3, 2u, 8u, 4u);
    tensor(&b, IN, F32, "w", NULL, 3, 3u, 4u, 5u);
    tensor(&b, OUT, F32, "y", NULL, 3, 2u, 8u, 5u);
    op(&b, 4, 2, 2, 0u, 1u);
    EXPECT_ERR(&b, "op 0 (MATMUL): input 'w' has shape [3,4,5], expected [4,N]");
    reset(&b);
    header(&b, 0, 2, 1);
    tensor(&b, IN, F32, "x", NULL, 2, 2u, 3u);
    tensor(&b, OUT, F32, "y", NULL, 2, 3u, 2u);
    op(&b, 3, 1, 1, 0u);
    EXPECT_ERR(&b, "op 0 (RELU): output 'y' has shape [3,2], expected [2,3]");

    free(b.p);
}

/* ------------------------------------------------------------ numerics */

typedef struct runbufs {
    void *io[8];
    void *scratch;
} runbufs;

static void alloc_io(const nrtemu_program *p, runbufs *r) {
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < nrtemu_program_io_count(p) && i < 8; i++)
        r->io[i] = calloc(1, nrtemu_program_io(p, i)->size_bytes);
    size_t sb = nrtemu_program_scratch_bytes(p);
    r->scratch = sb ? malloc(sb) : NULL;
}
static void free_io(runbufs *r) {
    for (int i = 0; i < 8; i++) free(r->io[i]);
    free(r->scratch);
}
static int run(const nrtemu_program *p, runbufs *r) {
    char err[256];
    int rc = nrtemu_program_run(p, r->io, r->scratch, err, sizeof err);
    if (rc) fprintf(stderr, "run failed: %s\n", err);
    return rc;
}

static void test_binary_broadcast(void) {
    buf b = {0};
    /* [2,3] + [3] */
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "a", NULL, 2, 2u, 3u);
    tensor(&b, IN, F32, "b", NULL, 1, 3u);
    tensor(&b, OUT, F32, "c", NULL, 2, 2u, 3u);
    op(&b, 2, 2, 2, 0u, 1u);
    nrtemu_program *p = parse_ok(&b);
    if (p) {
        runbufs r;
        alloc_io(p, &r);
        float a[6] = {1, 2, 3, 4, 5, 6}, bb[3] = {10, 20, 30}, want[6] = {11, 22, 33, 14, 25, 36};
        memcpy(r.io[0], a, sizeof a);
        memcpy(r.io[1], bb, sizeof bb);
        CHECK(run(p, &r) == 0);
        for (int i = 0; i < 6; i++) CHECK(near(((float *)r.io[2])[i], want[i]));
        free_io(&r);
        nrtemu_program_free(p);
    }
    /* [2,1] + [1,3] -> [2,3], and [2,1] * [1,3] */
    for (uint32_t opc = 2; opc <= 6; opc += 4) {
        reset(&b);
        header(&b, 0, 3, 1);
        tensor(&b, IN, F32, "a", NULL, 2, 2u, 1u);
        tensor(&b, IN, F32, "b", NULL, 2, 1u, 3u);
        tensor(&b, OUT, F32, "c", NULL, 2, 2u, 3u);
        op(&b, opc, 2, 2, 0u, 1u);
        p = parse_ok(&b);
        if (!p) continue;
        runbufs r;
        alloc_io(p, &r);
        float a[2] = {1, 2}, bb[3] = {10, 20, 30};
        float add[6] = {11, 21, 31, 12, 22, 32}, mul[6] = {10, 20, 30, 20, 40, 60};
        memcpy(r.io[0], a, sizeof a);
        memcpy(r.io[1], bb, sizeof bb);
        CHECK(run(p, &r) == 0);
        for (int i = 0; i < 6; i++)
            CHECK(near(((float *)r.io[2])[i], opc == 2 ? add[i] : mul[i]));
        free_io(&r);
        nrtemu_program_free(p);
    }
    /* scalar * [2,2,2] with a constant scalar, and 3-D + 1-D middle broadcast [2,1,2] + [2,1] */
    reset(&b);
    {
        float s = 0.5f;
        header(&b, 0, 5, 2);
        tensor(&b, IN, F32, "a", NULL, 3, 2u, 1u, 2u);
        tensor(&b, CONST, F32, "s", &s, 0);
        tensor(&b, MID, F32, "m", NULL, 3, 2u, 1u, 2u);
        tensor(&b, IN, F32, "c", NULL, 2, 2u, 1u);
        tensor(&b, OUT, F32, "o", NULL, 3, 2u, 2u, 2u);
        op(&b, 6, 2, 2, 1u, 0u);
        op(&b, 2, 4, 2, 2u, 3u);
        p = parse_ok(&b);
        if (p) {
            runbufs r;
            alloc_io(p, &r);
            float a[4] = {2, 4, 6, 8}, c[2] = {100, 200};
            /* m = [[ [1,2] ], [ [3,4] ]]; o[i][j][k] = m[i][0][k] + c[j][0] */
            float want[8] = {101, 102, 201, 202, 103, 104, 203, 204};
            CHECK(nrtemu_program_scratch_bytes(p) == 16);
            CHECK(nrtemu_program_constant_bytes(p) == 4);
            memcpy(r.io[0], a, sizeof a);
            memcpy(r.io[1], c, sizeof c);
            CHECK(run(p, &r) == 0);
            for (int i = 0; i < 8; i++) CHECK(near(((float *)r.io[2])[i], want[i]));
            free_io(&r);
            nrtemu_program_free(p);
        }
    }
    free(b.p);
}

static void test_matmul(void) {
    buf b = {0};
    /* batched A [2,2,3] x 2-D B [3,2] */
    float bw[6] = {1, 0, 0, 1, 1, 1};
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "a", NULL, 3, 2u, 2u, 3u);
    tensor(&b, CONST, F32, "w", bw, 2, 3u, 2u);
    tensor(&b, OUT, F32, "y", NULL, 3, 2u, 2u, 2u);
    op(&b, 4, 2, 2, 0u, 1u);
    nrtemu_program *p = parse_ok(&b);
    if (p) {
        runbufs r;
        alloc_io(p, &r);
        float a[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3};
        /* row [x,y,z] -> [x+z, y+z] */
        float want[8] = {4, 5, 10, 11, 16, 17, -4, -5};
        memcpy(r.io[0], a, sizeof a);
        CHECK(run(p, &r) == 0);
        for (int i = 0; i < 8; i++) CHECK(near(((float *)r.io[1])[i], want[i]));
        free_io(&r);
        nrtemu_program_free(p);
    }
    /* batched A [2,1,2] x batched B [2,2,2] */
    reset(&b);
    header(&b, 0, 3, 1);
    tensor(&b, IN, F32, "a", NULL, 3, 2u, 1u, 2u);
    tensor(&b, IN, F32, "b", NULL, 3, 2u, 2u, 2u);
    tensor(&b, OUT, F32, "y", NULL, 3, 2u, 1u, 2u);
    op(&b, 4, 2, 2, 0u, 1u);
    p = parse_ok(&b);
    if (p) {
        runbufs r;
        alloc_io(p, &r);
        float a[4] = {1, 2, 3, 4}, bb[8] = {1, 2, 3, 4, 0, 1, 1, 0};
        /* batch0: [1,2]x[[1,2],[3,4]] = [7,10]; batch1: [3,4]x[[0,1],[1,0]] = [4,3] */
        float want[4] = {7, 10, 4, 3};
        memcpy(r.io[0], a, sizeof a);
        memcpy(r.io[1], bb, sizeof bb);
        CHECK(run(p, &r) == 0);
        for (int i = 0; i < 4; i++) CHECK(near(((float *)r.io[2])[i], want[i]));
        free_io(&r);
        nrtemu_program_free(p);
    }
    free(b.p);
}

static void test_unary(void) {
    buf b = {0};
    /* softmax (incl. large values) then relu of an intermediate; identity on UINT16 */
    header(&b, 0, 6, 3);
    tensor(&b, IN, F32, "x", NULL, 2, 2u, 3u);
    tensor(&b, OUT, F32, "sm", NULL, 2, 2u, 3u);
    tensor(&b, OUT, F32, "rl", NULL, 2, 2u, 3u);
    tensor(&b, IN, 0x5, "u", NULL, 2, 2u, 2u);
    tensor(&b, OUT, 0x5, "flat", NULL, 1, 4u);
    tensor(&b, MID, F32, "unused", NULL, 1, 3u);
    op(&b, 5, 1, 1, 0u);
    op(&b, 3, 2, 1, 0u);
    op(&b, 1, 4, 1, 3u);
    nrtemu_program *p = parse_ok(&b);
    if (p) {
        CHECK(nrtemu_program_io_count(p) == 5);
        CHECK(nrtemu_program_input_count(p) == 2);
        CHECK(strcmp(nrtemu_program_io(p, 0)->name, "x") == 0);
        CHECK(strcmp(nrtemu_program_io(p, 1)->name, "u") == 0);
        CHECK(nrtemu_program_io(p, 1)->usage == 0 && nrtemu_program_io(p, 1)->size_bytes == 8);
        CHECK(strcmp(nrtemu_program_io(p, 2)->name, "sm") == 0);
        CHECK(nrtemu_program_io(p, 4)->usage == 1 && nrtemu_program_io(p, 4)->dims[0] == 4);
        CHECK(nrtemu_program_io(p, 5) == NULL);
        CHECK(nrtemu_program_find_io(p, "flat") == 4 && nrtemu_program_find_io(p, "w") == -1);
        CHECK(nrtemu_program_op_count(p) == 3);
        runbufs r;
        alloc_io(p, &r);
        float x[6] = {1, 2, 3, 1000, 1000, -1000};
        uint16_t u[4] = {1, 65535, 300, 7};
        memcpy(r.io[0], x, sizeof x);
        memcpy(r.io[1], u, sizeof u);
        CHECK(run(p, &r) == 0);
        float *sm = r.io[2], *rl = r.io[3];
        float e1 = expf(-2.0f), e2 = expf(-1.0f), s = e1 + e2 + 1.0f;
        CHECK(near(sm[0], e1 / s) && near(sm[1], e2 / s) && near(sm[2], 1.0f / s));
        CHECK(near(sm[3], 0.5f) && near(sm[4], 0.5f) && near(sm[5], 0.0f));
        CHECK(!isnan(sm[3]));
        float x2[6] = {1, 2, 3, 1000, 1000, -1000};
        for (int i = 0; i < 6; i++) CHECK(rl[i] == (x2[i] > 0 ? x2[i] : 0.0f));
        CHECK(memcmp(r.io[4], u, sizeof u) == 0);
        free_io(&r);
        nrtemu_program_free(p);
    }
    /* relu of negatives and an output that no op writes keeps its contents; no-op programs */
    reset(&b);
    header(&b, 123456, 2, 0);
    tensor(&b, IN, 0x3, "in", NULL, 1, 16u);
    tensor(&b, OUT, 0x3, "out", NULL, 1, 16u);
    p = parse_ok(&b);
    if (p) {
        char err[64];
        CHECK(nrtemu_program_device_time_ns(p) == 123456);
        CHECK(nrtemu_program_scratch_bytes(p) == 0);
        CHECK(nrtemu_program_run(p, NULL, NULL, err, sizeof err) == 0); /* no ops: nothing read */
        nrtemu_program_free(p);
    }
    /* run-time argument errors */
    reset(&b);
    header(&b, 0, 3, 2);
    tensor(&b, IN, F32, "x", NULL, 1, 3u);
    tensor(&b, MID, F32, "m", NULL, 1, 3u);
    tensor(&b, OUT, F32, "y", NULL, 1, 3u);
    op(&b, 3, 1, 1, 0u);
    op(&b, 1, 2, 1, 1u);
    p = parse_ok(&b);
    if (p) {
        char err[128];
        float x[3] = {-1, 0.5f, -0.0f}, y[3] = {9, 9, 9};
        void *io[2] = {x, NULL};
        CHECK(nrtemu_program_scratch_bytes(p) == 12);
        CHECK(nrtemu_program_run(p, io, NULL, err, sizeof err) != 0);
        CHECK(strstr(err, "io[1] ('y') is NULL, expected 12 bytes") != NULL);
        io[1] = y;
        CHECK(nrtemu_program_run(p, io, NULL, err, sizeof err) != 0);
        CHECK(strstr(err, "scratch is NULL, expected 12 bytes") != NULL);
        /* unaligned io and scratch pointers are fine */
        uint8_t *raw = malloc(64);
        memcpy(raw + 1, x, sizeof x);
        io[0] = raw + 1;
        io[1] = raw + 17;
        CHECK(nrtemu_program_run(p, io, raw + 33, err, sizeof err) == 0);
        float y1[3];
        memcpy(y1, raw + 17, sizeof y1);
        CHECK(y1[0] == 0.0f && y1[1] == 0.5f && y1[2] == 0.0f);
        free(raw);
        float scratch[3];
        io[0] = x;
        io[1] = y;
        CHECK(nrtemu_program_run(p, io, scratch, err, sizeof err) == 0);
        CHECK(y[0] == 0.0f && y[1] == 0.5f && y[2] == 0.0f);
        nrtemu_program_free(p);
    }
    nrtemu_program_free(NULL);
    CHECK(nrtemu_program_io_count(NULL) == 0);
    free(b.p);
}

/* ------------------------------------------------------------ fuzz-ish robustness */

static void exercise(const uint8_t *data, size_t len) {
    char err[256];
    nrtemu_program *p = NULL;
    if (nrtemu_program_parse(data, len, &p, err, sizeof err) != 0) {
        CHECK(p == NULL && strlen(err) > 0 && strchr(err, '\n') == NULL);
        return;
    }
    runbufs r;
    if (nrtemu_program_io_count(p) <= 8 && nrtemu_program_scratch_bytes(p) < (1u << 20)) {
        int small = 1;
        for (size_t i = 0; i < nrtemu_program_io_count(p); i++)
            if (nrtemu_program_io(p, i)->size_bytes > (1u << 20)) small = 0;
        if (small) {
            alloc_io(p, &r);
            (void)nrtemu_program_run(p, r.io, r.scratch, err, sizeof err);
            free_io(&r);
        }
    }
    nrtemu_program_free(p);
}

static void test_fuzz(void) {
    buf b = {0};
    float w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    header(&b, 5, 7, 4);
    tensor(&b, IN, F32, "x", NULL, 2, 2u, 4u);
    tensor(&b, CONST, F32, "w", w, 2, 4u, 3u);
    tensor(&b, CONST, F32, "bias", w, 1, 3u);
    tensor(&b, MID, F32, "h", NULL, 2, 2u, 3u);
    tensor(&b, MID, F32, "hb", NULL, 2, 2u, 3u);
    tensor(&b, MID, F32, "a", NULL, 2, 2u, 3u);
    tensor(&b, OUT, F32, "probs", NULL, 2, 2u, 3u);
    op(&b, 4, 3, 2, 0u, 1u);
    op(&b, 2, 4, 2, 3u, 2u);
    op(&b, 3, 5, 1, 4u);
    op(&b, 5, 6, 1, 5u);
    nrtemu_program *p = parse_ok(&b);
    nrtemu_program_free(p);
    for (size_t n = 0; n < b.len; n++) {
        char err[256];
        nrtemu_program *q = NULL;
        CHECK(nrtemu_program_parse(b.p, n, &q, err, sizeof err) != 0 && q == NULL);
    }
    uint8_t *copy = malloc(b.len);
    static const uint8_t flips[] = {0x01, 0x80, 0xFF, 0x10};
    for (size_t i = 0; i < b.len; i++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(copy, b.p, b.len);
            copy[i] ^= flips[f];
            exercise(copy, b.len);
        }
    }
    /* pseudo-random multi-byte corruption */
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int it = 0; it < 20000; it++) {
        memcpy(copy, b.p, b.len);
        for (int k = 0; k < 3; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            copy[s % b.len] = (uint8_t)(s >> 32);
        }
        exercise(copy, b.len);
    }
    free(copy);
    free(b.p);
}

/* ------------------------------------------------------------ tar */

static void tar_member(buf *t, const char *name, char type, const void *data, size_t n) {
    uint8_t h[512];
    memset(h, 0, sizeof h);
    memcpy(h, name, strlen(name));
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0000000", 7);
    memcpy(h + 116, "0000000", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)n);
    memcpy(h + 136, "00000000000", 11);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    put(t, h, 512);
    put(t, data, n);
    static const uint8_t zeros[512] = {0};
    if (n % 512) put(t, zeros, 512 - n % 512);
}

static void test_tar(void) {
    buf t = {0};
    static const uint8_t zeros[1024] = {0};
    const uint8_t *d = NULL;
    size_t n = 0;
    char err[256];
    tar_member(&t, "nrtemu/", '5', NULL, 0);
    tar_member(&t, "././@LongLink", 'L', "some/very/long/name", 20);
    tar_member(&t, "PaxHeaders/x", 'x', "30 path=nrtemu/program.bin\n", 27);
    tar_member(&t, "neff.json", '0', "{}", 2);
    tar_member(&t, "nrtemu/program.bin", '0', "PROGRAM", 7);
    size_t before_end = t.len;
    put(&t, zeros, 1024);
    CHECK(nrtemu_tar_find(t.p, t.len, "nrtemu/program.bin", &d, &n, err, sizeof err) == 0);
    CHECK(n == 7 && memcmp(d, "PROGRAM", 7) == 0);
    CHECK(nrtemu_tar_find(t.p, t.len, "neff.json", &d, &n, err, sizeof err) == 0 && n == 2);
    CHECK(nrtemu_tar_find(t.p, t.len, "nrtemu", &d, &n, err, sizeof err) == 1);
    CHECK(nrtemu_tar_find(t.p, t.len, "nrtemu/", &d, &n, err, sizeof err) == 1); /* a dir */
    CHECK(nrtemu_tar_find(t.p, t.len, "missing", &d, &n, err, sizeof err) == 1);
    CHECK(nrtemu_tar_find(t.p, 0, "missing", &d, &n, err, sizeof err) == 1);
    /* ends without the zero blocks, and with the last member's padding cut off */
    CHECK(nrtemu_tar_find(t.p, before_end, "nrtemu/program.bin", &d, &n, err, sizeof err) == 0);
    CHECK(nrtemu_tar_find(t.p, before_end - 505, "nrtemu/program.bin", &d, &n, err, sizeof err) ==
          0);
    /* data runs past the end */
    CHECK(nrtemu_tar_find(t.p, before_end - 506, "nrtemu/program.bin", &d, &n, err, sizeof err) ==
          -1);
    CHECK(strstr(err, "data of 7 bytes runs past the end of the archive (6 bytes left)") != NULL);
    /* partial header block */
    CHECK(nrtemu_tar_find(t.p, before_end - 512 - 100, "x", &d, &n, err, sizeof err) == -1);
    CHECK(strstr(err, "is truncated: 412 bytes left, expected 512") != NULL);
    /* bad checksum in a member after the wanted one is still reported */
    {
        buf t2 = {0};
        tar_member(&t2, "nrtemu/program.bin", '0', "P", 1);
        tar_member(&t2, "other", '0', "Q", 1);
        t2.p[512 * 2 + 10] ^= 1;
        CHECK(nrtemu_tar_find(t2.p, t2.len, "nrtemu/program.bin", &d, &n, err, sizeof err) ==
              -1);
        CHECK(strstr(err, "tar header at offset 1024: checksum is") != NULL);
        CHECK(strstr(err, "(corrupt archive)") != NULL);
        t2.p[512 * 2 + 10] ^= 1;
        t2.p[512 * 2 + 124] = 'z';
        CHECK(nrtemu_tar_find(t2.p, t2.len, "other", &d, &n, err, sizeof err) == -1);
        CHECK(strstr(err, "checksum is") != NULL); /* checksum is checked before the size */
        free(t2.p);
    }
    /* duplicates are malformed */
    {
        buf t3 = {0};
        tar_member(&t3, "a", '0', "1", 1);
        tar_member(&t3, "a", '0', "2", 1);
        CHECK(nrtemu_tar_find(t3.p, t3.len, "a", &d, &n, err, sizeof err) == -1);
        CHECK(strstr(err, "tar member 'a' appears twice") != NULL);
        CHECK(nrtemu_tar_find(t3.p, t3.len, "b", &d, &n, err, sizeof err) == 1);
        free(t3.p);
    }
    /* ustar prefix field */
    {
        buf t4 = {0};
        tar_member(&t4, "program.bin", '0', "ZZ", 2);
        memcpy(t4.p + 345, "nrtemu", 6);
        memset(t4.p + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++) sum += t4.p[i];
        snprintf((char *)t4.p + 148, 8, "%06o", sum);
        CHECK(nrtemu_tar_find(t4.p, t4.len, "nrtemu/program.bin", &d, &n, err, sizeof err) == 0);
        CHECK(n == 2 && d[0] == 'Z');
        CHECK(nrtemu_tar_find(t4.p, t4.len, "program.bin", &d, &n, err, sizeof err) == 1);
        free(t4.p);
    }
    /* fuzz: never crash, any result */
    uint8_t *copy = malloc(t.len);
    for (size_t i = 0; i < before_end; i++) {
        memcpy(copy, t.p, t.len);
        copy[i] ^= 0x5A;
        int rc = nrtemu_tar_find(copy, t.len, "nrtemu/program.bin", &d, &n, err, sizeof err);
        CHECK(rc >= -1 && rc <= 1);
        if (rc == 0) CHECK(d >= copy && d + n <= copy + t.len);
    }
    for (size_t len = 0; len <= t.len; len += 7) {
        int rc = nrtemu_tar_find(t.p, len, "nrtemu/program.bin", &d, &n, err, sizeof err);
        CHECK(rc >= -1 && rc <= 1);
    }
    free(copy);
    free(t.p);
}

/* ------------------------------------------------------------ sha256 */

static void hex(const uint8_t *d, char *out) {
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256(void) {
    uint8_t d[32];
    char h[65];
    nrtemu_sha256(NULL, 0, d);
    hex(d, h);
    CHECK(strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    nrtemu_sha256((const uint8_t *)"abc", 3, d);
    hex(d, h);
    CHECK(strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes */
    nrtemu_sha256((const uint8_t *)m, strlen(m), d);
    hex(d, h);
    CHECK(strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
    /* 1 MB (1,000,000 bytes) of 'a' is the FIPS 180-2 long test vector */
    uint8_t *mb = malloc(1000000);
    memset(mb, 'a', 1000000);
    nrtemu_sha256(mb, 1000000, d);
    hex(d, h);
    CHECK(strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    free(mb);
}

/* ------------------------------------------------------------ cross-check */

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    uint8_t *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nd = realloc(data, cap);
            if (nd == NULL) break;
            data = nd;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    *len = n;
    return data ? data : malloc(1);
}

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static int check_vectors(const char *neff_path, const char *in_path, const char *exp_path) {
    size_t nl = 0, il = 0, el = 0;
    uint8_t *neff = read_file(neff_path, &nl), *in = read_file(in_path, &il),
            *exp = read_file(exp_path, &el);
    int ok = 0;
    char err[512];
    nrtemu_program *p = NULL;
    if (!neff || !in || !exp) {
        fprintf(stderr, "%s: cannot read the files\n", neff_path);
        goto done;
    }
    if (nl < 1024) {
        fprintf(stderr, "%s: shorter than the 1024-byte header\n", neff_path);
        goto done;
    }
    uint64_t hs = le64(neff + 8), ds = le64(neff + 16);
    if (hs < 1024 || hs > nl || ds > nl - hs) {
        fprintf(stderr, "%s: bad header_size/data_size\n", neff_path);
        goto done;
    }
    uint8_t digest[32];
    nrtemu_sha256(neff + hs, (size_t)ds, digest);
    if (memcmp(digest, neff + 0xAC, 32) != 0) {
        fprintf(stderr, "%s: header hash is not the SHA-256 of the payload\n", neff_path);
        goto done;
    }
    const uint8_t *prog;
    size_t plen;
    int rc = nrtemu_tar_find(neff + hs, (size_t)ds, "nrtemu/program.bin", &prog, &plen, err,
                             sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: nrtemu/program.bin: %s\n", neff_path, rc == 1 ? "not found" : err);
        goto done;
    }
    if (nrtemu_program_parse(prog, plen, &p, err, sizeof err) != 0) {
        fprintf(stderr, "%s: invalid program: %s\n", neff_path, err);
        goto done;
    }
    size_t nio = nrtemu_program_io_count(p), nin = nrtemu_program_input_count(p);
    size_t in_total = 0, out_total = 0;
    for (size_t i = 0; i < nio; i++)
        *(i < nin ? &in_total : &out_total) += nrtemu_program_io(p, i)->size_bytes;
    if (in_total != il || out_total != el) {
        fprintf(stderr, "%s: inputs %zu/%zu bytes, outputs %zu/%zu bytes (program/file)\n",
                neff_path, in_total, il, out_total, el);
        goto done;
    }
    void **io = calloc(nio ? nio : 1, sizeof(void *));
    size_t off = 0;
    for (size_t i = 0; i < nio; i++) {
        size_t sz = nrtemu_program_io(p, i)->size_bytes;
        io[i] = calloc(1, sz);
        if (i < nin) {
            memcpy(io[i], in + off, sz);
            off += sz;
        }
    }
    void *scratch = nrtemu_program_scratch_bytes(p) ? malloc(nrtemu_program_scratch_bytes(p)) : NULL;
    if (nrtemu_program_run(p, io, scratch, err, sizeof err) != 0) {
        fprintf(stderr, "%s: run failed: %s\n", neff_path, err);
    } else {
        ok = 1;
        off = 0;
        for (size_t i = nin; i < nio; i++) {
            const nrtemu_io_desc *d = nrtemu_program_io(p, i);
            if (d->dtype == 0xA) {
                for (size_t e = 0; e < d->size_bytes / 4; e++) {
                    float got, want;
                    memcpy(&got, (uint8_t *)io[i] + 4 * e, 4);
                    memcpy(&want, exp + off + 4 * e, 4);
                    if (!(fabsf(got - want) <= 1e-5f)) {
                        fprintf(stderr, "%s: output '%s'[%zu] = %.9g, Rust computed %.9g\n",
                                neff_path, d->name, e, got, want);
                        ok = 0;
                        break;
                    }
                }
            } else if (memcmp(io[i], exp + off, d->size_bytes) != 0) {
                fprintf(stderr, "%s: output '%s' differs from the Rust bytes\n", neff_path,
                        d->name);
                ok = 0;
            }
            off += d->size_bytes;
        }
    }
    for (size_t i = 0; i < nio; i++) free(io[i]);
    free(io);
    free(scratch);
    if (ok)
        printf("cross-check ok: %s (%zu inputs, %zu outputs, %zu ops)\n", neff_path, nin,
               nio - nin, nrtemu_program_op_count(p));
done:
    nrtemu_program_free(p);
    free(neff);
    free(in);
    free(exp);
    return ok;
}

int main(int argc, char **argv) {
    int checked = 0;
    test_parse_errors();
    test_binary_broadcast();
    test_matmul();
    test_unary();
    test_tar();
    test_sha256();
    test_fuzz();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0 && i + 3 < argc) {
            g_checks++;
            if (!check_vectors(argv[i + 1], argv[i + 2], argv[i + 3])) g_failed++;
            checked++;
            i += 3;
        } else {
            fprintf(stderr, "usage: %s [--check NEFF INPUT.bin EXPECTED.bin]...\n", argv[0]);
            return 2;
        }
    }
    printf("program_test: %d checks, %d failed, %d cross-checked NEFFs\n", g_checks, g_failed,
           checked);
    return g_failed ? 1 : 0;
}
