/*
 * nrt_api_test.c: end-to-end test of the emulator through the public libnrt ABI only.
 *
 * Compiled against neuron-rt-sys/include (+ emulator/include/nrt_emu.h) and linked with -lnrt,
 * exactly like a user program. Builds its test NEFFs by hand (FORMAT.md: 1024-byte header +
 * ustar payload with nrtemu/program.bin). Checks every status and the key log lines (stderr is
 * captured around each call). Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nrt/nrt.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_profile.h"
#include "nrt/nrt_status.h"
#include "nrt/nrt_version.h"
#include "nrt_emu.h"

/* ------------------------------------------------------------------ harness */

static int g_pass, g_fail;
static char g_log[1 << 16];
static int g_saved_fd = -1, g_cap_fd = -1;

static void cap_begin(void) {
    char path[] = "/tmp/nrt_api_test_logXXXXXX";
    fflush(stderr);
    g_cap_fd = mkstemp(path);
    if (g_cap_fd < 0) {
        perror("mkstemp");
        exit(2);
    }
    unlink(path);
    g_saved_fd = dup(2);
    dup2(g_cap_fd, 2);
}

static const char *cap_end(void) {
    fflush(stderr);
    dup2(g_saved_fd, 2);
    close(g_saved_fd);
    lseek(g_cap_fd, 0, SEEK_SET);
    ssize_t n = read(g_cap_fd, g_log, sizeof g_log - 1);
    g_log[n > 0 ? n : 0] = '\0';
    close(g_cap_fd);
    return g_log;
}

static void check(int ok, const char *what, int line) {
    if (ok) {
        g_pass++;
    } else {
        g_fail++;
        fprintf(stderr, "FAIL line %d: %s\n", line, what);
    }
}

static void check_st(NRT_STATUS got, NRT_STATUS want, const char *expr, int line, const char *log) {
    if (got == want) {
        g_pass++;
        return;
    }
    g_fail++;
    fprintf(stderr, "FAIL line %d: %s returned %s (%d), expected %s (%d)\n", line, expr,
            nrt_get_status_as_str(got), (int)got, nrt_get_status_as_str(want), (int)want);
    if (log && *log) fprintf(stderr, "  log: %s", log);
}

static void check_log(const char *log, const char *text, const char *expr, int line) {
    if (text == NULL || strstr(log, text) != NULL) {
        g_pass++;
        return;
    }
    g_fail++;
    fprintf(stderr, "FAIL line %d: %s: log lacks \"%s\"; log was:\n%s\n", line, expr, text, log);
}

#define EXPECT(c) check(!!(c), #c, __LINE__)
#define EXPECT_ST(expr, want) EXPECT_LOG(expr, want, NULL)
/* run expr with stderr captured; check the status and that the log contains text */
#define EXPECT_LOG(expr, want, text)                                                               \
    do {                                                                                           \
        cap_begin();                                                                               \
        NRT_STATUS s_ = (expr);                                                                    \
        const char *l_ = cap_end();                                                                \
        check_st(s_, (want), #expr, __LINE__, l_);                                                 \
        check_log(l_, (text), #expr, __LINE__);                                                    \
    } while (0)
/* void calls */
#define CAPTURE(stmt)                                                                              \
    do {                                                                                           \
        cap_begin();                                                                               \
        stmt;                                                                                      \
        cap_end();                                                                                 \
    } while (0)

static void opt(const char *k, const char *v) {
    NRT_STATUS s = nrt_emu_set_option(k, v);
    if (s != NRT_SUCCESS) {
        fprintf(stderr, "nrt_emu_set_option(%s, %s) failed: %d\n", k, v ? v : "NULL", (int)s);
        g_fail++;
    }
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ byte builder */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf_t;

static void put(buf_t *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) abort();
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void put_u8(buf_t *b, uint8_t v) { put(b, &v, 1); }
static void put_u16(buf_t *b, uint16_t v) {
    put_u8(b, (uint8_t)v);
    put_u8(b, (uint8_t)(v >> 8));
}
static void put_u32(buf_t *b, uint32_t v) {
    for (int i = 0; i < 4; i++) put_u8(b, (uint8_t)(v >> (8 * i)));
}
static void put_u64(buf_t *b, uint64_t v) {
    for (int i = 0; i < 8; i++) put_u8(b, (uint8_t)(v >> (8 * i)));
}
static void wr_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wr_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------------------------ SHA-256 (for hash checks) */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256(const uint8_t *d, size_t len, uint8_t out[32]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t total = ((len + 9 + 63) / 64) * 64;
    uint8_t *m = calloc(1, total);
    if (len) memcpy(m, d, len);
    m[len] = 0x80;
    for (int i = 0; i < 8; i++) m[total - 1 - i] = (uint8_t)(((uint64_t)len * 8) >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 |
                   (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], dd = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
            uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g; g = f; f = e; e = dd + t1; dd = c; c = b; b = a; a = t1 + t2;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += dd; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    free(m);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

/* ------------------------------------------------------------------ program builder (FORMAT.md §3) */

enum { K_IN = 0, K_OUT = 1, K_CONST = 2, K_TMP = 3 };
enum { OP_IDENTITY = 1, OP_ADD = 2, OP_RELU = 3, OP_MATMUL = 4, OP_SOFTMAX = 5, OP_MUL = 6 };
#define F32 0xAu

static void prog_header(buf_t *b, uint64_t device_time_ns, uint32_t tensors, uint32_t ops) {
    put(b, "NRTEMUP\x01", 8);
    put_u32(b, 1);
    put_u32(b, 0);
    put_u64(b, device_time_ns);
    put_u32(b, tensors);
    put_u32(b, ops);
}

static void prog_tensor(buf_t *b, uint8_t kind, uint32_t dtype, uint32_t ndim, const uint32_t *dims,
                        const char *name, const void *cdata, uint64_t clen) {
    put_u8(b, kind);
    put_u8(b, 0);
    put_u8(b, 0);
    put_u8(b, 0);
    put_u32(b, dtype);
    put_u32(b, ndim);
    for (uint32_t i = 0; i < ndim; i++) put_u32(b, dims[i]);
    put_u16(b, (uint16_t)strlen(name));
    put(b, name, strlen(name));
    if (kind == K_CONST) {
        put_u64(b, clen);
        put(b, cdata, clen);
    }
}

static void prog_op(buf_t *b, uint32_t opcode, uint32_t nin, const uint32_t *ins, uint32_t out) {
    put_u32(b, opcode);
    put_u32(b, nin);
    for (uint32_t i = 0; i < nin; i++) put_u32(b, ins[i]);
    put_u32(b, out);
    put_u32(b, 0);
}

static const uint32_t DIM4[1] = {4};

/* out = relu(a + b), a/b/out FLOAT32 [4], via an intermediate */
static buf_t prog_add_relu(uint64_t dt) {
    buf_t b = {0};
    prog_header(&b, dt, 4, 2);
    prog_tensor(&b, K_IN, F32, 1, DIM4, "a", NULL, 0);
    prog_tensor(&b, K_IN, F32, 1, DIM4, "b", NULL, 0);
    prog_tensor(&b, K_OUT, F32, 1, DIM4, "out", NULL, 0);
    prog_tensor(&b, K_TMP, F32, 1, DIM4, "sum", NULL, 0);
    prog_op(&b, OP_ADD, 2, (const uint32_t[]){0, 1}, 3);
    prog_op(&b, OP_RELU, 1, (const uint32_t[]){3}, 2);
    return b;
}

/* x [4] -> y [4], no ops */
static buf_t prog_noop(uint64_t dt) {
    buf_t b = {0};
    prog_header(&b, dt, 2, 0);
    prog_tensor(&b, K_IN, F32, 1, DIM4, "x", NULL, 0);
    prog_tensor(&b, K_OUT, F32, 1, DIM4, "y", NULL, 0);
    return b;
}

/* y = x + ones: outputs match inputs by position (repeatable); 16 bytes of constants */
static buf_t prog_plus_one(uint64_t dt) {
    static const float ones[4] = {1, 1, 1, 1};
    buf_t b = {0};
    prog_header(&b, dt, 3, 1);
    prog_tensor(&b, K_IN, F32, 1, DIM4, "x", NULL, 0);
    prog_tensor(&b, K_OUT, F32, 1, DIM4, "y", NULL, 0);
    prog_tensor(&b, K_CONST, F32, 1, DIM4, "ones", ones, sizeof ones);
    prog_op(&b, OP_ADD, 2, (const uint32_t[]){0, 2}, 1);
    return b;
}

/* ------------------------------------------------------------------ NEFF builder (FORMAT.md §1-2) */

static void tar_member(buf_t *t, const char *name, const uint8_t *data, size_t n) {
    uint8_t h[512];
    memset(h, 0, sizeof h);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)n);
    memcpy(h + 136, "00000000000", 12);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    put(t, h, 512);
    put(t, data, n);
    static const uint8_t zero[512];
    if (n % 512) put(t, zero, 512 - n % 512);
}

typedef struct {
    uint64_t pkg_version, neff_major, feature_bits;
    uint32_t num_tpb, lnc;
    const char *name;
    const buf_t *program; /* NULL: no nrtemu/program.bin */
    bool corrupt_tar;
    bool gzip_payload;
    bool compiler; /* the Neuron compiler's layout (neff.json, kelf-0.json, sg00/def.json) */
} neff_opts;

static neff_opts defaults(const buf_t *program) {
    neff_opts o = {1, 2, 0, 1, 1, "test-model", program, false, false, false};
    return o;
}

/* x f16[4,8], y bf16[8,2] -> output0 f32[4,2], output listed twice like an LNC-2 compile */
static const char COMPILER_NEFF_JSON[] =
    "{\"nodes\":[{\"op\":\"null\",\"name\":\"x\"},{\"op\":\"null\",\"name\":\"y\"},"
    "{\"op\":\"tvm_op\",\"name\":\"k\",\"attrs\":{\"kelf\":\"kelf-0.json\"},"
    "\"output_names\":[\"output0\",\"output0\"]}],"
    "\"arg_nodes\":[0,1],\"heads\":[[2,0,0],[2,1,0]],\"node_row_ptr\":[0,1,2,4],"
    "\"attrs\":{\"shape\":[\"list_shape\",[[4,8],[8,2],[4,2],[4,2]]],"
    "\"dltype\":[\"list_str\",[\"float16\",\"bfloat16\",\"float32\",\"float32\"]]}}";
static const char COMPILER_KELF[] =
    "{\"graphs\":[{\"definition\":\"sg00/def.json\",\"name\":\"sg00\"}]}";
static const char COMPILER_DEF[] =
    "{\"var\":{\"x\":{\"type\":\"input\",\"size\":64},\"output0\":{\"type\":\"output\","
    "\"size\":32}}}";

static buf_t neff_build(const neff_opts *o) {
    buf_t payload = {0};
    if (o->gzip_payload) {
        static const uint8_t gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        put(&payload, gz, sizeof gz);
    } else if (o->compiler) {
        tar_member(&payload, "neff.json", (const uint8_t *)COMPILER_NEFF_JSON,
                   sizeof COMPILER_NEFF_JSON - 1);
        tar_member(&payload, "kelf-0.json", (const uint8_t *)COMPILER_KELF, sizeof COMPILER_KELF - 1);
        tar_member(&payload, "sg00/def.json", (const uint8_t *)COMPILER_DEF, sizeof COMPILER_DEF - 1);
        static const uint8_t zero[1024];
        put(&payload, zero, sizeof zero);
    } else {
        static const uint8_t meta[] = "{\"emulator\": true}";
        tar_member(&payload, "info.json", meta, sizeof meta - 1);
        if (o->program) tar_member(&payload, "nrtemu/program.bin", o->program->p, o->program->n);
        static const uint8_t zero[1024];
        put(&payload, zero, sizeof zero);
        if (o->corrupt_tar) payload.p[148] ^= 0x01; /* first header's checksum */
    }
    buf_t b = {0};
    uint8_t h[1024];
    memset(h, 0, sizeof h);
    wr_u64(h + 0x000, o->pkg_version);
    wr_u64(h + 0x008, 1024);
    wr_u64(h + 0x010, payload.n);
    wr_u64(h + 0x018, o->neff_major);
    snprintf((char *)h + 0x028, 128, "neuron-rt-emulator test");
    wr_u32(h + 0x0A8, o->num_tpb);
    sha256(payload.p, payload.n, h + 0x0AC);
    memcpy(h + 0x0CC, h + 0x0AC, 16);
    snprintf((char *)h + 0x0DC, 256, "%s", o->name);
    wr_u32(h + 0x1DC, o->num_tpb);
    wr_u64(h + 0x220, o->feature_bits);
    wr_u32(h + 0x228, o->lnc);
    put(&b, h, sizeof h);
    put(&b, payload.p, payload.n);
    free(payload.p);
    return b;
}

static buf_t neff_of(const buf_t *program, const char *name, uint32_t num_tpb) {
    neff_opts o = defaults(program);
    o.name = name;
    o.num_tpb = num_tpb;
    return neff_build(&o);
}

/* ------------------------------------------------------------------ helpers */

static nrt_tensor_t *dev_tensor(int vnc, size_t size, const char *name) {
    nrt_tensor_t *t = NULL;
    NRT_STATUS s = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, size, name, &t);
    if (s != NRT_SUCCESS) {
        fprintf(stderr, "dev_tensor(%d, %zu) failed: %d\n", vnc, size, (int)s);
        g_fail++;
    }
    return t;
}

static void write_f32(nrt_tensor_t *t, const float *v) { nrt_tensor_write(t, v, 0, 16); }
static void read_f32(nrt_tensor_t *t, float *v) { nrt_tensor_read(t, v, 0, 16); }

static char g_lock_dir[256];

static void clear_options(void) {
    static const char *keys[] = {"instance", "lnc", "visible_cores", "num_cores"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) nrt_emu_set_option(keys[i], NULL);
}

/* ------------------------------------------------------------------ tests */

static void test_static_info(void) {
    /* status strings */
    EXPECT(strcmp(nrt_get_status_as_str(NRT_SUCCESS), "NRT_SUCCESS") == 0);
    EXPECT(strcmp(nrt_get_status_as_str(NRT_LOAD_NOT_ENOUGH_NC), "NRT_LOAD_NOT_ENOUGH_NC") == 0);
    EXPECT(strcmp(nrt_get_status_as_str(NRT_CLOSED), "NRT_CLOSED") == 0);
    EXPECT(strcmp(nrt_get_status_as_str(NRT_NETWORK_PROXY_FAILURE), "NRT_NETWORK_PROXY_FAILURE") == 0);
    EXPECT(strcmp(nrt_get_status_as_str(NRT_EXEC_UNIT_UNRECOVERABLE), "NRT_EXEC_UNIT_UNRECOVERABLE") == 0);
    EXPECT(strcmp(nrt_get_status_as_str((NRT_STATUS)8), "NRT_UNKNOWN_STATUS") == 0);
    EXPECT(strcmp(nrt_get_status_as_str((NRT_STATUS)999999), "NRT_UNKNOWN_STATUS") == 0);
    static const int codes[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 13, 14, 15, 101, 1002, 1003, 1004,
                                1005, 1006, 1100, 1200, 1201, 1202, 1203, 1204, 1205, 1206};
    int named = 0;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = nrt_get_status_as_str((NRT_STATUS)codes[i]);
        named += s != NULL && strncmp(s, "NRT_", 4) == 0 && strcmp(s, "NRT_UNKNOWN_STATUS") != 0;
    }
    EXPECT(named == (int)(sizeof codes / sizeof codes[0]));

    /* version, before init */
    nrt_version_t v;
    memset(&v, 0xAB, sizeof v);
    EXPECT_ST(nrt_get_version(&v, sizeof v), NRT_SUCCESS);
    EXPECT(v.rt_major == 2 && v.rt_minor == 29 && v.rt_patch == 40 && v.rt_maintenance == 0);
    EXPECT(strstr(v.rt_detail, "emulator") != NULL);
    EXPECT(strstr(v.rt_detail, "2.29.40.0") != NULL);
    EXPECT(strstr(v.rt_detail, "inf2.xlarge") != NULL);
    EXPECT(strcmp(v.git_hash, "emulator") == 0);
    memset(&v, 0xAB, sizeof v);
    EXPECT_ST(nrt_get_version(&v, 8), NRT_SUCCESS); /* only rt_major */
    EXPECT(v.rt_major == 2 && v.rt_minor == 0xABABABABABABABABull);
    EXPECT_LOG(nrt_get_version(NULL, sizeof v), NRT_INVALID, "NULL");

    /* instance info, before init, default preset */
    nrt_instance_info_t ii;
    memset(&ii, 0xCD, sizeof ii);
    EXPECT_ST(nrt_get_instance_info(&ii, sizeof ii), NRT_SUCCESS);
    EXPECT(ii.family == NRT_INSTANCE_INF2 && ii.size == NRT_INSTANCE_SIZE_1XL);
    EXPECT(strcmp(ii.arch_name, "inferentia2") == 0 && strcmp(ii.device_revision, "emu") == 0);
    memset(&ii, 0xCD, sizeof ii);
    EXPECT_ST(nrt_get_instance_info(&ii, 4), NRT_SUCCESS);
    EXPECT(ii.family == NRT_INSTANCE_INF2 && ii.size == 0xCDCDCDCDu);
    EXPECT_ST(nrt_get_instance_info(NULL, sizeof ii), NRT_INVALID);

    struct {
        const char *name;
        uint32_t family, size, total;
        const char *arch;
    } presets[] = {
        {"inf1.xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_1XL, 4, "inferentia"},
        {"inf1.2xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_2XL, 4, "inferentia"},
        {"inf1.6xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_6XL, 16, "inferentia"},
        {"inf1.24xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_24XL, 64, "inferentia"},
        {"inf2.xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_1XL, 2, "inferentia2"},
        {"inf2.8xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_8XL, 2, "inferentia2"},
        {"inf2.24xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_24XL, 12, "inferentia2"},
        {"inf2.48xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_48XL, 24, "inferentia2"},
        {"trn1.2xlarge", NRT_INSTANCE_TRN1, NRT_INSTANCE_SIZE_2XL, 2, "trainium"},
        {"trn1.32xlarge", NRT_INSTANCE_TRN1, NRT_INSTANCE_SIZE_32XL, 32, "trainium"},
        {"trn1n.32xlarge", NRT_INSTANCE_TRN1N, NRT_INSTANCE_SIZE_32XL, 32, "trainium"},
        {"trn2.48xlarge", NRT_INSTANCE_TRN2, NRT_INSTANCE_SIZE_48XL, 64, "trainium2"},
    };
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        opt("instance", presets[i].name);
        uint32_t total = 0, visible = 0, total2 = 0, visible2 = 0;
        EXPECT_ST(nrt_get_total_nc_count(&total), NRT_SUCCESS);
        EXPECT_ST(nrt_get_total_vnc_count(&total2), NRT_SUCCESS);
        EXPECT_ST(nrt_get_visible_nc_count(&visible), NRT_SUCCESS);
        EXPECT_ST(nrt_get_visible_vnc_count(&visible2), NRT_SUCCESS);
        if (total != presets[i].total) fprintf(stderr, "preset %s: total %u\n", presets[i].name, total);
        EXPECT(total == presets[i].total && total2 == total && visible == total && visible2 == total);
        EXPECT_ST(nrt_get_instance_info(&ii, sizeof ii), NRT_SUCCESS);
        EXPECT(ii.family == presets[i].family && ii.size == presets[i].size &&
               strcmp(ii.arch_name, presets[i].arch) == 0);
    }
    /* trn2: LNC */
    uint32_t n = 0;
    opt("instance", "trn2.48xlarge");
    opt("lnc", "1");
    EXPECT_ST(nrt_get_total_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 128);
    opt("lnc", NULL);
    setenv("NEURON_LOGICAL_NC_CONFIG", "1", 1);
    EXPECT_ST(nrt_get_total_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 128);
    setenv("NEURON_LOGICAL_NC_CONFIG", "2", 1);
    EXPECT_ST(nrt_get_total_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 64);
    setenv("NEURON_LOGICAL_NC_CONFIG", "3", 1);
    EXPECT_LOG(nrt_get_total_vnc_count(&n), NRT_INVALID, "NEURON_LOGICAL_NC_CONFIG='3'");
    unsetenv("NEURON_LOGICAL_NC_CONFIG");
    /* NUM_CORES on trn2: 1 or a multiple of a chip (4 at LNC 2) */
    opt("num_cores", "4");
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 4);
    opt("num_cores", "1");
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 1);
    opt("num_cores", "3");
    EXPECT_LOG(nrt_get_visible_vnc_count(&n), NRT_INVALID, "multiple of 4");
    opt("num_cores", NULL);
    /* LNC on non-trn2: only 1 */
    opt("instance", "inf2.xlarge");
    setenv("NEURON_LOGICAL_NC_CONFIG", "1", 1);
    EXPECT_ST(nrt_get_total_vnc_count(&n), NRT_SUCCESS);
    setenv("NEURON_LOGICAL_NC_CONFIG", "2", 1);
    EXPECT_LOG(nrt_get_total_vnc_count(&n), NRT_INVALID, "only");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID, "NEURON_LOGICAL_NC_CONFIG");
    unsetenv("NEURON_LOGICAL_NC_CONFIG");

    /* unknown preset (environment) */
    opt("instance", NULL);
    setenv("NEURON_RT_EMULATOR_INSTANCE", "p4d.24xlarge", 1);
    EXPECT_LOG(nrt_get_total_nc_count(&n), NRT_INVALID, "p4d.24xlarge");
    EXPECT_LOG(nrt_get_instance_info(&ii, sizeof ii), NRT_INVALID, "inf2.xlarge");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID, "trn2.48xlarge");
    setenv("NEURON_RT_EMULATOR_INSTANCE", "trn1.32xlarge", 1);
    EXPECT_ST(nrt_get_total_nc_count(&n), NRT_SUCCESS);
    EXPECT(n == 32);
    unsetenv("NEURON_RT_EMULATOR_INSTANCE");
    EXPECT_ST(nrt_get_total_nc_count(&n), NRT_SUCCESS);
    EXPECT(n == 2);
    EXPECT_ST(nrt_get_total_nc_count(NULL), NRT_INVALID);
    EXPECT_ST(nrt_get_visible_nc_count(NULL), NRT_INVALID);

    /* nrt_emu_set_option argument checks */
    EXPECT_LOG(nrt_emu_set_option("bogus", "1"), NRT_INVALID, "unknown option 'bogus'");
    EXPECT_ST(nrt_emu_set_option(NULL, "1"), NRT_INVALID);
    EXPECT_LOG(nrt_emu_set_option("instance", "inf9.huge"), NRT_INVALID, "inf2.48xlarge");
    EXPECT_ST(nrt_emu_set_option("lnc", "4"), NRT_INVALID);
    EXPECT_ST(nrt_emu_set_option("num_cores", "-1"), NRT_INVALID);
    EXPECT_ST(nrt_emu_set_option("visible_cores", "x"), NRT_INVALID);
    EXPECT_ST(nrt_emu_set_option("log_level", "LOUD"), NRT_INVALID);
}

static void test_core_env_parsing(void) {
    uint32_t n = 0;
    opt("instance", "trn1.32xlarge");
    struct {
        const char *v;
        NRT_STATUS st;
        uint32_t n;
        const char *log;
    } cases[] = {
        {"3", NRT_SUCCESS, 1, NULL},
        {"3-6", NRT_SUCCESS, 4, NULL},
        {"3,4,5", NRT_SUCCESS, 3, NULL},
        {"3-5,6", NRT_SUCCESS, 4, NULL},
        {" 6 , 3 - 5 ", NRT_SUCCESS, 4, NULL},
        {"0-31", NRT_SUCCESS, 32, NULL},
        {"3,5,6", NRT_INVALID, 0, "Logical Neuron cores are not contiguous"},
        {"3-5,5", NRT_INVALID, 0, "more than once"},
        {"3,3", NRT_INVALID, 0, "more than once"},
        {"32", NRT_INVALID, 0, "valid core ids are 0-31 on trn1.32xlarge"},
        {"30-40", NRT_INVALID, 0, "'30-40' is out of range"},
        {"abc", NRT_INVALID, 0, "'abc' is malformed"},
        {"5-3", NRT_INVALID, 0, "malformed"},
        {"1,", NRT_INVALID, 0, "malformed"},
        {"-1", NRT_INVALID, 0, "malformed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("NEURON_RT_VISIBLE_CORES", cases[i].v, 1);
        n = 0;
        EXPECT_LOG(nrt_get_visible_vnc_count(&n), cases[i].st, cases[i].log);
        if (cases[i].st == NRT_SUCCESS) EXPECT(n == cases[i].n);
        EXPECT_ST(nrt_get_total_vnc_count(&n), NRT_SUCCESS); /* total unaffected */
        EXPECT(n == 32);
    }
    setenv("NEURON_RT_VISIBLE_CORES", "3,5,6", 1);
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID,
               "Logical Neuron cores are not contiguous");
    setenv("NEURON_RT_VISIBLE_CORES", "99", 1);
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID, "'99' is out of range");
    unsetenv("NEURON_RT_VISIBLE_CORES");
    setenv("NEURON_RT_NUM_CORES", "5", 1);
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 5);
    setenv("NEURON_RT_NUM_CORES", "0", 1);
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 32);
    setenv("NEURON_RT_NUM_CORES", "33", 1);
    EXPECT_LOG(nrt_get_visible_vnc_count(&n), NRT_INVALID, "valid values are 0-32 on trn1.32xlarge");
    setenv("NEURON_RT_NUM_CORES", "two", 1);
    EXPECT_LOG(nrt_get_visible_vnc_count(&n), NRT_INVALID, "'two' is malformed");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID, "NEURON_RT_NUM_CORES");
    /* the option overrides the environment; VISIBLE beats NUM */
    opt("num_cores", "7");
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 7);
    opt("visible_cores", "0-1");
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 2);
    unsetenv("NEURON_RT_NUM_CORES");
    clear_options();
}

static void test_before_init(void) {
    nrt_model_t *m = NULL;
    nrt_tensor_t *t = NULL;
    buf_t p = prog_noop(0), nb = neff_of(&p, "noop", 1);
    EXPECT_LOG(nrt_load(nb.p, nb.n, -1, -1, &m), NRT_UNINITIALIZED, "not initialised");
    EXPECT_ST(nrt_unload((nrt_model_t *)&p), NRT_UNINITIALIZED);
    EXPECT_ST(nrt_execute(NULL, NULL, NULL), NRT_UNINITIALIZED);
    EXPECT_ST(nrt_execute_repeat(NULL, NULL, NULL, 1), NRT_UNINITIALIZED);
    uint32_t n;
    EXPECT_ST(nrt_get_model_nc_count(NULL, &n), NRT_UNINITIALIZED);
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 16, "t", &t), NRT_UNINITIALIZED,
               "device tensors need nrt_init");
    EXPECT(t == NULL);
    CAPTURE(nrt_close()); /* no-op before init */
    free(p.p);
    free(nb.p);
}

static void test_lifecycle(void) {
    uint32_t n = 0;
    opt("log_level", "INFO");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS, "reserved nc0-nc1");
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS); /* idempotent */
    EXPECT_LOG(nrt_emu_set_option("instance", "inf1.xlarge"), NRT_FAILURE, "initialised");
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 2);
    nrt_version_t v;
    EXPECT_ST(nrt_get_version(&v, sizeof v), NRT_SUCCESS);
    EXPECT(strstr(v.rt_detail, "inf2.xlarge") != NULL);
    CAPTURE(nrt_close());
    EXPECT(strstr(g_log, "released nc0-nc1") != NULL);
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS); /* answerable again, from env */
    /* re-init after close, with VISIBLE and NUM both set: warning */
    opt("visible_cores", "1");
    opt("num_cores", "2");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_PYTORCH, "2.1", "x"), NRT_SUCCESS,
               "NEURON_RT_VISIBLE_CORES takes precedence");
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 1);
    EXPECT_ST(nrt_get_total_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 2);
    CAPTURE(nrt_close());
    clear_options();
    opt("log_level", "ERROR");
    /* level filtering: a WARNING is not printed at ERROR, nothing at QUIET */
    nrt_tensor_t *t = NULL;
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 64, "h", &t), NRT_SUCCESS, NULL);
    EXPECT(strstr(g_log, "deprecated") == NULL);
    nrt_tensor_free(&t);
    opt("log_level", "QUIET");
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 0, "h", &t), NRT_INVALID, NULL);
    EXPECT(g_log[0] == '\0');
    opt("log_level", NULL);
    setenv("NEURON_RT_LOG_LEVEL", "WARNING", 1);
    opt("log_level", NULL); /* re-reads the environment */
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 64, "h", &t), NRT_SUCCESS,
               "WARNING NRT:nrt_tensor_allocate");
    nrt_tensor_free(&t);
    unsetenv("NEURON_RT_LOG_LEVEL");
    opt("log_level", "ERROR");
}

static void test_tensors(void) {
    opt("log_level", "WARNING");
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    nrt_tensor_t *t = NULL, *h = NULL, *e = NULL, *s = NULL, *s2 = NULL, *d1 = NULL;
    uint8_t buf[64];

    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 0, "z", &t), NRT_INVALID, "size is 0");
    /* VIRTUAL: host virtual memory, as in the 2.29 runtime the emulator reports; no 4 MiB cap */
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_VIRTUAL, -1, (4u << 20) + 16, "v", &t),
               NRT_SUCCESS, "removed in runtime 2.32");
    {
        uint8_t vin[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, vout[16] = {0};
        EXPECT_ST(nrt_tensor_write(t, vin, 4u << 20, 16), NRT_SUCCESS);
        EXPECT_ST(nrt_tensor_read(t, vout, 4u << 20, 16), NRT_SUCCESS);
        EXPECT(memcmp(vin, vout, 16) == 0);
        EXPECT(nrt_tensor_get_size(t) == (4u << 20) + 16);
        nrt_tensor_free(&t);
        EXPECT(t == NULL);
    }
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 2, 16, "d", &t), NRT_INVALID,
               "invalid vnc 2");
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, -1, 16, "d", &t), NRT_INVALID,
               "invalid vnc -1");
    EXPECT_ST(nrt_tensor_allocate((nrt_tensor_placement_t)7, 0, 16, "d", &t), NRT_INVALID);
    EXPECT_ST(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 16, "d", NULL), NRT_INVALID);
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, (4u << 20) + 1, "big", &h),
               NRT_RESOURCE, "limited to 4194304 bytes");
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 4u << 20, "host", &h), NRT_SUCCESS,
               "NRT_TENSOR_PLACEMENT_HOST is deprecated");
    EXPECT(nrt_tensor_get_size(h) == 4u << 20);
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, ((size_t)33) << 30, "huge", &t),
               NRT_RESOURCE, "out of device memory on chip 0");
    EXPECT(t == NULL);

    t = dev_tensor(0, 16, "t");
    EXPECT(nrt_tensor_get_size(t) == 16);
    memset(buf, 0x55, sizeof buf);
    EXPECT_ST(nrt_tensor_read(t, buf, 0, 16), NRT_SUCCESS);
    int zero = 1;
    for (int i = 0; i < 16; i++) zero &= buf[i] == 0;
    EXPECT(zero); /* zero-filled */
    for (int i = 0; i < 16; i++) buf[i] = (uint8_t)i;
    EXPECT_ST(nrt_tensor_write(t, buf, 0, 16), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_write(t, "\xff\xfe", 14, 2), NRT_SUCCESS);
    uint8_t back[16];
    EXPECT_ST(nrt_tensor_read(t, back, 0, 16), NRT_SUCCESS);
    EXPECT(back[0] == 0 && back[13] == 13 && back[14] == 0xff && back[15] == 0xfe);
    EXPECT(memcmp(nrt_tensor_get_va(t), back, 16) == 0);
    EXPECT_LOG(nrt_tensor_read(t, back, 10, 8), NRT_INVALID, "offset 10 + size 8 exceeds the tensor size 16");
    EXPECT_ST(nrt_tensor_read(t, back, SIZE_MAX, 2), NRT_INVALID);
    EXPECT_ST(nrt_tensor_read(t, back, 2, SIZE_MAX), NRT_INVALID);
    EXPECT_ST(nrt_tensor_write(t, back, 17, 0), NRT_INVALID);
    EXPECT_ST(nrt_tensor_write(t, back, 16, 0), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_read(t, NULL, 0, 4), NRT_INVALID);
    EXPECT_ST(nrt_tensor_read(NULL, back, 0, 4), NRT_INVALID);
    EXPECT_ST(nrt_tensor_write(NULL, back, 0, 4), NRT_INVALID);
    EXPECT_ST(nrt_tensor_memset(t, 4, 0x7a, 4), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_read(t, back, 0, 16), NRT_SUCCESS);
    EXPECT(back[3] == 3 && back[4] == 0x7a && back[7] == 0x7a && back[8] == 8);
    EXPECT_ST(nrt_tensor_memset(t, UINT64_MAX, 0, 1), NRT_INVALID);
    EXPECT_ST(nrt_tensor_memset(t, 0, 0, 17), NRT_INVALID);
    EXPECT_ST(nrt_tensor_memset(NULL, 0, 0, 1), NRT_INVALID);

    /* copy: same core ok, device<->host ok, different cores invalid */
    nrt_tensor_t *t2 = dev_tensor(0, 16, "t2");
    EXPECT_ST(nrt_tensor_copy(t, 0, t2, 8, 8), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_read(t2, back, 0, 16), NRT_SUCCESS);
    EXPECT(back[0] == 0 && back[8] == 0 && back[9] == 1 && back[12] == 0x7a);
    EXPECT_ST(nrt_tensor_copy(t, 0, h, 0, 16), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_copy(t, 8, t2, 0, 9), NRT_INVALID);
    EXPECT_ST(nrt_tensor_copy(t, 0, t, 4, 8), NRT_SUCCESS); /* overlapping: memmove */
    d1 = dev_tensor(1, 16, "on-core-1");
    EXPECT_LOG(nrt_tensor_copy(t, 0, d1, 0, 16), NRT_INVALID, "different NeuronCores");
    EXPECT_ST(nrt_tensor_copy(NULL, 0, d1, 0, 16), NRT_INVALID);

    /* NULL-safe accessors and frees */
    EXPECT(nrt_tensor_get_size(NULL) == 0);
    EXPECT(nrt_tensor_get_va(NULL) == NULL);
    nrt_tensor_free(NULL);
    nrt_tensor_t *null_t = NULL;
    nrt_tensor_free(&null_t);

    /* empty + attach */
    EXPECT_ST(nrt_tensor_allocate_empty("empty", &e), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_allocate_empty(NULL, NULL), NRT_INVALID);
    EXPECT(nrt_tensor_get_va(e) == NULL && nrt_tensor_get_size(e) == 0);
    EXPECT_LOG(nrt_tensor_read(e, back, 0, 1), NRT_INVALID, "has no storage");
    EXPECT_ST(nrt_tensor_attach_buffer(e, NULL, 16), NRT_INVALID);
    EXPECT_ST(nrt_tensor_attach_buffer(e, buf, 0), NRT_INVALID);
    EXPECT_ST(nrt_tensor_attach_buffer(NULL, buf, 16), NRT_INVALID);
    EXPECT_ST(nrt_tensor_attach_buffer(e, buf, 32), NRT_SUCCESS);
    EXPECT(nrt_tensor_get_va(e) == buf && nrt_tensor_get_size(e) == 32);
    EXPECT_ST(nrt_tensor_write(e, "hello", 0, 5), NRT_SUCCESS);
    EXPECT(memcmp(buf, "hello", 5) == 0);
    EXPECT_ST(nrt_tensor_attach_buffer(e, buf + 32, 32), NRT_SUCCESS); /* replace a caller buffer */
    EXPECT(nrt_tensor_get_va(e) == buf + 32);
    /* attaching to an allocated tensor frees its owned storage (ASan checks the leak) */
    nrt_tensor_t *owned = dev_tensor(0, 64, "owned");
    EXPECT_ST(nrt_tensor_attach_buffer(owned, buf, 16), NRT_SUCCESS);
    EXPECT(nrt_tensor_get_va(owned) == buf);
    nrt_tensor_free(&owned);
    EXPECT(owned == NULL);

    /* slices */
    EXPECT_LOG(nrt_tensor_allocate_slice(t, 8, 16, "bad", &s), NRT_INVALID, "out of bounds");
    EXPECT_ST(nrt_tensor_allocate_slice(t, 0, 0, "bad", &s), NRT_INVALID);
    EXPECT_ST(nrt_tensor_allocate_slice(t, SIZE_MAX, 2, "bad", &s), NRT_INVALID);
    EXPECT_ST(nrt_tensor_allocate_slice(NULL, 0, 4, "bad", &s), NRT_INVALID);
    EXPECT_ST(nrt_tensor_allocate_slice(t, 0, 4, "bad", NULL), NRT_INVALID);
    EXPECT_ST(nrt_tensor_allocate_slice(e, 0, 4, "on-attached", &s2), NRT_SUCCESS);
    nrt_tensor_free(&s2);
    nrt_tensor_t *empty2 = NULL;
    EXPECT_ST(nrt_tensor_allocate_empty("e2", &empty2), NRT_SUCCESS);
    EXPECT_LOG(nrt_tensor_allocate_slice(empty2, 0, 1, "x", &s2), NRT_INVALID, "no storage");
    nrt_tensor_free(&empty2);
    EXPECT_ST(nrt_tensor_allocate_slice(t, 4, 8, "slice", &s), NRT_SUCCESS);
    EXPECT(nrt_tensor_get_size(s) == 8);
    EXPECT((uint8_t *)nrt_tensor_get_va(s) == (uint8_t *)nrt_tensor_get_va(t) + 4);
    EXPECT_ST(nrt_tensor_allocate_slice(s, 2, 4, "slice2", &s2), NRT_SUCCESS);
    EXPECT((uint8_t *)nrt_tensor_get_va(s2) == (uint8_t *)nrt_tensor_get_va(t) + 6);
    EXPECT_ST(nrt_tensor_write(s2, "\x01\x02\x03\x04", 0, 4), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_read(t, back, 0, 16), NRT_SUCCESS);
    EXPECT(back[6] == 1 && back[9] == 4);
    EXPECT_ST(nrt_tensor_write(s2, back, 1, 4), NRT_INVALID);
    EXPECT_ST(nrt_tensor_copy(s2, 0, t2, 0, 4), NRT_SUCCESS); /* slice keeps the core */
    EXPECT_ST(nrt_tensor_copy(s2, 0, d1, 0, 4), NRT_INVALID);
    nrt_tensor_free(&t); /* the slices keep the storage alive */
    EXPECT(t == NULL);
    EXPECT_ST(nrt_tensor_read(s2, back, 0, 4), NRT_SUCCESS);
    EXPECT(back[0] == 1 && back[3] == 4);
    nrt_tensor_free(&s);
    nrt_tensor_free(&s2);
    nrt_tensor_free(&t2);
    nrt_tensor_free(&d1);
    nrt_tensor_free(&e);

    /* after close: NRT_CLOSED, but free still works */
    nrt_tensor_t *late = dev_tensor(1, 16, "late");
    CAPTURE(nrt_close());
    EXPECT_LOG(nrt_tensor_read(late, back, 0, 4), NRT_CLOSED, "closed by nrt_close");
    EXPECT_ST(nrt_tensor_write(h, back, 0, 4), NRT_CLOSED);
    EXPECT_ST(nrt_tensor_memset(h, 0, 0, 4), NRT_CLOSED);
    EXPECT_ST(nrt_tensor_allocate_slice(h, 0, 4, "x", &s), NRT_CLOSED);
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 16, "d", &t), NRT_CLOSED, "closed");
    nrt_tensor_free(&late);
    nrt_tensor_free(&h);
    opt("log_level", "ERROR");
}

static void test_sets(void) {
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    nrt_tensor_set_t *set = NULL;
    nrt_tensor_t *a = dev_tensor(0, 4, "a"), *b = dev_tensor(0, 4, "b"), *got = NULL;
    EXPECT_ST(nrt_allocate_tensor_set(NULL), NRT_INVALID);
    EXPECT_ST(nrt_allocate_tensor_set(&set), NRT_SUCCESS);
    EXPECT(set != NULL);
    char name[16] = "input0";
    EXPECT_ST(nrt_add_tensor_to_tensor_set(set, name, a), NRT_SUCCESS);
    strcpy(name, "zzzzzz"); /* the set keeps its own copy */
    EXPECT_ST(nrt_get_tensor_from_tensor_set(set, "input0", &got), NRT_SUCCESS);
    EXPECT(got == a);
    EXPECT_ST(nrt_get_tensor_from_tensor_set(set, "zzzzzz", &got), NRT_FAILURE);
    EXPECT_ST(nrt_add_tensor_to_tensor_set(set, "input0", b), NRT_SUCCESS); /* replace */
    EXPECT_ST(nrt_get_tensor_from_tensor_set(set, "input0", &got), NRT_SUCCESS);
    EXPECT(got == b);
    for (int i = 0; i < 40; i++) { /* growth */
        char nm[16];
        snprintf(nm, sizeof nm, "t%d", i);
        EXPECT_ST(nrt_add_tensor_to_tensor_set(set, nm, i % 2 ? a : b), NRT_SUCCESS);
    }
    EXPECT_ST(nrt_get_tensor_from_tensor_set(set, "t33", &got), NRT_SUCCESS);
    EXPECT(got == a);
    EXPECT_ST(nrt_add_tensor_to_tensor_set(NULL, "x", a), NRT_INVALID);
    EXPECT_ST(nrt_add_tensor_to_tensor_set(set, NULL, a), NRT_INVALID);
    EXPECT_ST(nrt_add_tensor_to_tensor_set(set, "x", NULL), NRT_INVALID);
    EXPECT_ST(nrt_get_tensor_from_tensor_set(NULL, "x", &got), NRT_INVALID);
    EXPECT_ST(nrt_get_tensor_from_tensor_set(set, NULL, &got), NRT_INVALID);
    EXPECT_ST(nrt_get_tensor_from_tensor_set(set, "x", NULL), NRT_INVALID);
    nrt_destroy_tensor_set(&set);
    EXPECT(set == NULL);
    nrt_destroy_tensor_set(&set); /* no-op */
    nrt_destroy_tensor_set(NULL);
    /* the tensors survive their set */
    EXPECT_ST(nrt_tensor_write(a, "abcd", 0, 4), NRT_SUCCESS);
    /* after close */
    nrt_tensor_set_t *set2 = NULL;
    EXPECT_ST(nrt_allocate_tensor_set(&set2), NRT_SUCCESS);
    CAPTURE(nrt_close());
    EXPECT_LOG(nrt_add_tensor_to_tensor_set(set2, "x", a), NRT_CLOSED, "closed by nrt_close");
    EXPECT_ST(nrt_get_tensor_from_tensor_set(set2, "x", &got), NRT_CLOSED);
    nrt_destroy_tensor_set(&set2);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
}

static void test_load(void) {
    opt("log_level", "INFO");
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    nrt_model_t *m = NULL, *m2 = NULL, *m3 = NULL;
    buf_t prog = prog_add_relu(0);
    neff_opts o = defaults(&prog);
    buf_t good = neff_build(&o);

    /* container checks, FORMAT.md §1 order */
    EXPECT_LOG(nrt_load(good.p, 1000, -1, -1, &m), NRT_INVALID, "truncated");
    EXPECT_ST(nrt_load(NULL, good.n, -1, -1, &m), NRT_INVALID);
    EXPECT_ST(nrt_load(good.p, good.n, -1, -1, NULL), NRT_INVALID);
    buf_t x = neff_build(&o);
    wr_u64(x.p, 3);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "pkg_version 3");
    wr_u64(x.p, 1);
    wr_u64(x.p + 8, 512);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "header_size 512");
    wr_u64(x.p + 8, x.n + 1);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID);
    wr_u64(x.p + 8, 1024);
    wr_u64(x.p + 16, x.n);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "truncated");
    wr_u64(x.p + 16, UINT64_MAX);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID);
    free(x.p);
    o.neff_major = 3;
    x = neff_build(&o);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_UNSUPPORTED_NEFF_VERSION, "unsupported NEFF version 3");
    free(x.p);
    o.neff_major = 0;
    x = neff_build(&o);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_SUCCESS); /* 0..=2 accepted */
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    free(x.p);
    o.neff_major = 2;
    /* hash: only with NEURON_RT_VALIDATE_HASH */
    x = neff_build(&o);
    x.p[0xAC] ^= 0xff;
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    setenv("NEURON_RT_VALIDATE_HASH", "1", 1);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "hash mismatch");
    EXPECT_ST(nrt_load(good.p, good.n, -1, -1, &m), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    setenv("NEURON_RT_VALIDATE_HASH", "true", 1);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID);
    unsetenv("NEURON_RT_VALIDATE_HASH");
    free(x.p);
    x = neff_build(&o);
    memset(x.p + 0xDC, 'n', 256);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "not NUL-terminated");
    free(x.p);
    o.feature_bits = 1ull << 27;
    x = neff_build(&o);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_UNSUPPORTED_NEFF_VERSION, "unsupported features");
    free(x.p);
    o.feature_bits = 1ull << 26;
    x = neff_build(&o);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    free(x.p);
    o.feature_bits = 0;
    o.lnc = 2;
    x = neff_build(&o);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "logical NeuronCore size 2");
    free(x.p);
    o.lnc = 0; /* read as 1 */
    x = neff_build(&o);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    free(x.p);
    o.lnc = 1;
    o.pkg_version = 2;
    x = neff_build(&o); /* pkg 2 with a tar payload: not gzip */
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "not gzip");
    free(x.p);
    o.gzip_payload = true;
    x = neff_build(&o);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    free(x.p);
    o = defaults(&prog);
    o.corrupt_tar = true;
    x = neff_build(&o);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "malformed tar payload");
    free(x.p);
    /* invalid program: the parser's message is logged */
    buf_t badprog = prog_add_relu(0);
    badprog.p[0] = 'X';
    x = neff_of(&badprog, "bad-program", 1);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "bad magic");
    free(x.p);
    free(badprog.p);
    badprog = prog_add_relu(0);
    put_u8(&badprog, 0); /* trailing byte */
    x = neff_of(&badprog, "trailing", 1);
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID, "invalid emulator program in NEFF 'trailing'");
    free(x.p);
    free(badprog.p);
    /* hostile bytes never crash */
    uint8_t junk[4096];
    unsigned seed = 12345;
    int crashes_avoided = 0;
    for (int iter = 0; iter < 200; iter++) {
        buf_t y = neff_build(&o);
        for (size_t i = 0; i < y.n && i < sizeof junk; i++) {
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 16) % 97 == 0) y.p[i] ^= (uint8_t)(seed >> 8);
        }
        cap_begin();
        NRT_STATUS st = nrt_load(y.p, y.n, -1, -1, &m);
        cap_end();
        if (st == NRT_SUCCESS) nrt_unload(m);
        crashes_avoided++;
        free(y.p);
    }
    EXPECT(crashes_avoided == 200);

    /* NEFF without emulator program: loads, no tensors, execute fails */
    x = neff_of(NULL, "compiler-neff", 1);
    EXPECT_ST(nrt_load(x.p, x.n, -1, -1, &m), NRT_SUCCESS);
    nrt_tensor_info_array_t *info = NULL;
    EXPECT_ST(nrt_get_model_tensor_info(m, &info), NRT_SUCCESS);
    EXPECT(info != NULL && info->tensor_count == 0);
    EXPECT_ST(nrt_free_model_tensor_info(info), NRT_SUCCESS);
    nrt_tensor_set_t *is = NULL, *os = NULL;
    nrt_allocate_tensor_set(&is);
    nrt_allocate_tensor_set(&os);
    EXPECT_LOG(nrt_execute(m, is, os), NRT_INVALID,
               "model 'compiler-neff' has no emulator program (nrtemu/program.bin): the emulator can "
               "load a NEFF built by the Neuron compiler for its metadata but cannot execute it");
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    free(x.p);

    /* placement */
    buf_t k2 = neff_of(&prog, "two-core", 2), k3 = neff_of(&prog, "three-core", 3);
    EXPECT_LOG(nrt_load(good.p, good.n, 2, -1, &m), NRT_INVALID, "Could not find VNC id 2");
    EXPECT_LOG(nrt_load(good.p, good.n, -2, -1, &m), NRT_INVALID, "Could not find VNC id -2");
    EXPECT_LOG(nrt_load(k2.p, k2.n, 1, -1, &m), NRT_LOAD_NOT_ENOUGH_NC,
               "needs 2 cores from vnc 1 but the process has 2 visible NeuronCores");
    EXPECT_LOG(nrt_load(k3.p, k3.n, -1, -1, &m), NRT_LOAD_NOT_ENOUGH_NC, "needs 3 cores");
    EXPECT_LOG(nrt_load(k2.p, k2.n, 0, 1, &m), NRT_LOAD_NOT_ENOUGH_NC, "vnc_count is 1");
    EXPECT(strstr(g_log, "vnc_count is deprecated") != NULL);
    EXPECT_LOG(nrt_load(k2.p, k2.n, 0, 0, &m), NRT_LOAD_NOT_ENOUGH_NC, "needs 2 NeuronCores");
    EXPECT_LOG(nrt_load(good.p, good.n, 0, 2, &m), NRT_SUCCESS, "vnc_count is deprecated");
    uint32_t n = 0;
    EXPECT_ST(nrt_get_model_vnc_count(m, &n), NRT_SUCCESS);
    EXPECT(n == 1);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    EXPECT_LOG(nrt_load(k2.p, k2.n, -1, -1, &m), NRT_SUCCESS, "on vnc 0-1 (nc0-nc1)");
    EXPECT_ST(nrt_get_model_nc_count(m, &n), NRT_SUCCESS);
    EXPECT(n == 2);
    EXPECT_ST(nrt_get_model_vnc_count(m, &n), NRT_SUCCESS);
    EXPECT(n == 2);
    EXPECT_ST(nrt_get_model_nc_count(m, NULL), NRT_INVALID);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    /* -1: fewest models, lowest index on ties; models share cores */
    EXPECT_LOG(nrt_load(good.p, good.n, -1, -1, &m), NRT_SUCCESS, "on vnc 0-0");
    EXPECT_LOG(nrt_load(good.p, good.n, -1, -1, &m2), NRT_SUCCESS, "on vnc 1-1");
    EXPECT_LOG(nrt_load(good.p, good.n, -1, -1, &m3), NRT_SUCCESS, "on vnc 0-0");
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    nrt_model_t *m4 = NULL;
    EXPECT_LOG(nrt_load(good.p, good.n, -1, -1, &m4), NRT_SUCCESS, "on vnc 0-0");
    EXPECT_LOG(nrt_load(good.p, good.n, 1, -1, &m), NRT_SUCCESS, "on vnc 1-1");
    uint32_t inst = 0;
    EXPECT_ST(nrt_get_model_instance_count(m, &inst), NRT_SUCCESS);
    EXPECT(inst == 1);
    EXPECT_ST(nrt_get_model_instance_count(m, NULL), NRT_INVALID);

    /* tensor info: exact layout, inputs first */
    info = NULL;
    EXPECT_ST(nrt_get_model_tensor_info(m, &info), NRT_SUCCESS);
    EXPECT(info && info->tensor_count == 3);
    if (info && info->tensor_count == 3) {
        EXPECT(strcmp(info->tensor_array[0].name, "a") == 0 &&
               info->tensor_array[0].usage == NRT_TENSOR_USAGE_INPUT);
        EXPECT(strcmp(info->tensor_array[1].name, "b") == 0 &&
               info->tensor_array[1].usage == NRT_TENSOR_USAGE_INPUT);
        EXPECT(strcmp(info->tensor_array[2].name, "out") == 0 &&
               info->tensor_array[2].usage == NRT_TENSOR_USAGE_OUTPUT);
        EXPECT(info->tensor_array[2].size == 16 && info->tensor_array[2].dtype == NRT_DTYPE_FLOAT32);
        EXPECT(info->tensor_array[2].ndim == 1 && info->tensor_array[2].shape[0] == 4);
    }
    EXPECT_ST(nrt_free_model_tensor_info(info), NRT_SUCCESS);
    EXPECT_ST(nrt_free_model_tensor_info(NULL), NRT_INVALID);
    EXPECT_ST(nrt_get_model_tensor_info(m, NULL), NRT_INVALID);
    EXPECT_ST(nrt_get_model_tensor_info(NULL, &info), NRT_INVALID_HANDLE);

    /* handles */
    EXPECT_LOG(nrt_unload(NULL), NRT_INVALID_HANDLE, "invalid model handle");
    EXPECT_ST(nrt_unload(m2), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m2), NRT_INVALID_HANDLE); /* stale */
    EXPECT_ST(nrt_get_model_nc_count(m2, &n), NRT_INVALID_HANDLE);
    EXPECT_ST(nrt_execute(m2, is, os), NRT_INVALID_HANDLE);
    EXPECT_ST(nrt_unload((nrt_model_t *)junk), NRT_INVALID_HANDLE); /* never loaded */
    EXPECT_ST(nrt_execute(NULL, is, os), NRT_INVALID_HANDLE);

    /* collectives */
    unsetenv("NEURON_RT_ROOT_COMM_ID");
    EXPECT_LOG(nrt_load_collectives(good.p, good.n, 0, -1, 0, 2, &m2), NRT_INVALID,
               "NEURON_RT_ROOT_COMM_ID is required");
    setenv("NEURON_RT_ROOT_COMM_ID", "127.0.0.1:46820", 1);
    EXPECT_LOG(nrt_load_collectives(good.p, good.n, 0, -1, 1, 2, &m2), NRT_SUCCESS,
               "collectives are not emulated");
    EXPECT_ST(nrt_load_collectives(good.p, good.n, 0, -1, 2, 2, &m2), NRT_INVALID);
    unsetenv("NEURON_RT_ROOT_COMM_ID");

    /* close with models loaded: warned and unloaded */
    nrt_destroy_tensor_set(&is);
    nrt_destroy_tensor_set(&os);
    CAPTURE(nrt_close());
    EXPECT(strstr(g_log, "was still loaded at nrt_close") != NULL);
    EXPECT_ST(nrt_unload(m3), NRT_CLOSED);
    EXPECT_ST(nrt_load(good.p, good.n, -1, -1, &m), NRT_CLOSED);
    EXPECT_ST(nrt_execute(m4, NULL, NULL), NRT_CLOSED);
    /* init again: fresh state, old handles unknown */
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m4), NRT_INVALID_HANDLE);
    CAPTURE(nrt_close());
    free(good.p);
    free(k2.p);
    free(k3.p);
    free(prog.p);
    opt("log_level", "ERROR");
}

/* ---- execution ---- */

typedef struct {
    nrt_model_t *m;
    int id;
    int iters;
    atomic_int *bad;
} worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    nrt_tensor_t *a = dev_tensor(w->id % 2, 16, "a"), *b = dev_tensor(w->id % 2, 16, "b"),
                 *out = dev_tensor(w->id % 2, 16, "out");
    nrt_tensor_set_t *is = NULL, *os = NULL;
    nrt_allocate_tensor_set(&is);
    nrt_allocate_tensor_set(&os);
    nrt_add_tensor_to_tensor_set(is, "b", b); /* deliberately out of order */
    nrt_add_tensor_to_tensor_set(is, "a", a);
    nrt_add_tensor_to_tensor_set(os, "out", out);
    for (int it = 0; it < w->iters; it++) {
        float av[4], bv[4], ov[4];
        for (int i = 0; i < 4; i++) {
            av[i] = (float)w->id * 10.0f + (float)it * 0.25f + (float)i;
            bv[i] = -(float)((it + i) % 5) * 7.5f;
        }
        write_f32(a, av);
        write_f32(b, bv);
        if (nrt_execute(w->m, is, os) != NRT_SUCCESS) {
            atomic_fetch_add(w->bad, 1);
            continue;
        }
        read_f32(out, ov);
        for (int i = 0; i < 4; i++) {
            float e = av[i] + bv[i];
            e = e > 0 ? e : 0;
            if (ov[i] != e) atomic_fetch_add(w->bad, 1);
        }
    }
    nrt_destroy_tensor_set(&is);
    nrt_destroy_tensor_set(&os);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    nrt_tensor_free(&out);
    return NULL;
}

typedef struct {
    nrt_model_t *m;
    nrt_tensor_set_t *is, *os;
    NRT_STATUS st;
} exec_arg;

static void *exec_once(void *p) {
    exec_arg *e = p;
    e->st = nrt_execute(e->m, e->is, e->os);
    return NULL;
}

/* n concurrent executions of m, each with its own sets; returns elapsed ns (for lower bounds
   only: the device time is waited, never shortened). *worst is the last failing status (or
   NRT_SUCCESS), *succeeded (when not NULL) the number of executions that succeeded. */
static uint64_t concurrent_execs(nrt_model_t *m, int n, NRT_STATUS *worst, int *succeeded) {
    pthread_t th[16];
    exec_arg args[16];
    nrt_tensor_t *ts[32];
    for (int i = 0; i < n; i++) {
        ts[2 * i] = dev_tensor(0, 16, "x");
        ts[2 * i + 1] = dev_tensor(0, 16, "y");
        args[i].m = m;
        nrt_allocate_tensor_set(&args[i].is);
        nrt_allocate_tensor_set(&args[i].os);
        nrt_add_tensor_to_tensor_set(args[i].is, "x", ts[2 * i]);
        nrt_add_tensor_to_tensor_set(args[i].os, "y", ts[2 * i + 1]);
    }
    uint64_t t0 = now_ns();
    for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, exec_once, &args[i]);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    uint64_t el = now_ns() - t0;
    *worst = NRT_SUCCESS;
    if (succeeded != NULL) *succeeded = 0;
    for (int i = 0; i < n; i++) {
        if (args[i].st != NRT_SUCCESS) *worst = args[i].st;
        if (succeeded != NULL && args[i].st == NRT_SUCCESS) ++*succeeded;
        nrt_destroy_tensor_set(&args[i].is);
        nrt_destroy_tensor_set(&args[i].os);
        nrt_tensor_free(&ts[2 * i]);
        nrt_tensor_free(&ts[2 * i + 1]);
    }
    return el;
}

static void test_execute(void) {
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    buf_t prog = prog_add_relu(0), nb = neff_of(&prog, "add-relu", 1);
    nrt_model_t *m = NULL;
    EXPECT_ST(nrt_load(nb.p, nb.n, 0, -1, &m), NRT_SUCCESS);
    nrt_tensor_t *a = dev_tensor(0, 16, "a"), *b = dev_tensor(1, 16, "b") /* other core: allowed */,
                 *out = dev_tensor(0, 16, "out"), *small = dev_tensor(0, 8, "small"), *e = NULL;
    nrt_tensor_set_t *is = NULL, *os = NULL;
    nrt_allocate_tensor_set(&is);
    nrt_allocate_tensor_set(&os);
    const float av[4] = {1, -2, 3, -4}, bv[4] = {0.5f, 1, -5, 10};
    float ov[4];
    write_f32(a, av);
    write_f32(b, bv);
    nrt_add_tensor_to_tensor_set(is, "a", a);
    nrt_add_tensor_to_tensor_set(os, "out", out);
    EXPECT_LOG(nrt_execute(m, is, os), NRT_INVALID, "nrt_execute: input tensor 'b' missing from the input set");
    nrt_add_tensor_to_tensor_set(is, "b", small);
    EXPECT_LOG(nrt_execute(m, is, os), NRT_INVALID, "'b' has the wrong size: expected 16 bytes, given 8 bytes");
    nrt_tensor_allocate_empty("empty", &e);
    nrt_add_tensor_to_tensor_set(is, "b", e);
    EXPECT_LOG(nrt_execute(m, is, os), NRT_INVALID, "'b' has no storage");
    nrt_add_tensor_to_tensor_set(is, "b", b);
    nrt_tensor_set_t *empty_os = NULL;
    nrt_allocate_tensor_set(&empty_os);
    EXPECT_LOG(nrt_execute(m, is, empty_os), NRT_INVALID, "nrt_execute: output tensor 'out' missing from the output set");
    EXPECT_ST(nrt_execute(m, NULL, os), NRT_INVALID);
    EXPECT_ST(nrt_execute(m, is, NULL), NRT_INVALID);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    read_f32(out, ov);
    EXPECT(ov[0] == 1.5f && ov[1] == 0.0f && ov[2] == 0.0f && ov[3] == 6.0f);
    /* attached caller buffers work as inputs */
    float cb[4] = {10, 20, 30, 40};
    EXPECT_ST(nrt_tensor_attach_buffer(e, cb, sizeof cb), NRT_SUCCESS);
    nrt_add_tensor_to_tensor_set(is, "b", e);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    read_f32(out, ov);
    EXPECT(ov[0] == 11 && ov[1] == 18 && ov[2] == 33 && ov[3] == 36);
    /* slices work as outputs */
    nrt_tensor_t *big = dev_tensor(0, 64, "big"), *win = NULL;
    nrt_tensor_allocate_slice(big, 32, 16, "win", &win);
    nrt_add_tensor_to_tensor_set(os, "out", win);
    EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
    float bigv[16];
    nrt_tensor_read(big, bigv, 0, sizeof bigv);
    EXPECT(bigv[8] == 11 && bigv[11] == 36 && bigv[7] == 0 && bigv[12] == 0);

    /* many threads on one model, own tensor sets */
    atomic_int bad = 0;
    pthread_t th[8];
    worker_arg wa[8];
    for (int i = 0; i < 8; i++) {
        wa[i] = (worker_arg){m, i, 300, &bad};
        pthread_create(&th[i], NULL, worker, &wa[i]);
    }
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    EXPECT(atomic_load(&bad) == 0);

    /* repeat */
    EXPECT_LOG(nrt_execute_repeat(m, is, os, 0), NRT_INVALID, "repeat_count must be >= 1");
    EXPECT_LOG(nrt_execute_repeat(m, is, os, 2), NRT_INVALID, "requires a NEFF built for repeat");
    buf_t rp = prog_plus_one(0), rn = neff_of(&rp, "plus-one", 1);
    nrt_model_t *rm = NULL;
    EXPECT_ST(nrt_load(rn.p, rn.n, -1, -1, &rm), NRT_SUCCESS);
    nrt_tensor_t *x = dev_tensor(0, 16, "x"), *y = dev_tensor(0, 16, "y");
    nrt_tensor_set_t *ris = NULL, *ros = NULL;
    nrt_allocate_tensor_set(&ris);
    nrt_allocate_tensor_set(&ros);
    nrt_add_tensor_to_tensor_set(ris, "x", x);
    nrt_add_tensor_to_tensor_set(ros, "y", y);
    const float xv[4] = {0, 1, 2, 3};
    write_f32(x, xv);
    EXPECT_ST(nrt_execute_repeat(rm, ris, ros, 3), NRT_SUCCESS);
    read_f32(y, ov);
    EXPECT(ov[0] == 3 && ov[1] == 4 && ov[2] == 5 && ov[3] == 6);
    read_f32(x, ov);
    EXPECT(ov[0] == 0 && ov[3] == 3); /* the caller's input is not modified */
    EXPECT_ST(nrt_execute_repeat(rm, ris, ros, 1), NRT_SUCCESS);
    read_f32(y, ov);
    EXPECT(ov[0] == 1 && ov[3] == 4);
    EXPECT_ST(nrt_execute_repeat(rm, ris, ros, -5), NRT_INVALID);

    /* profile */
    char prof[300];
    snprintf(prof, sizeof prof, "%s/profile.json", g_lock_dir);
    EXPECT_ST(nrt_profile_start(NULL, prof), NRT_INVALID);
    EXPECT_ST(nrt_profile_start(rm, NULL), NRT_INVALID);
    EXPECT_ST(nrt_profile_stop(NULL), NRT_INVALID);
    EXPECT_LOG(nrt_profile_stop(prof), NRT_INVALID, "nrt_profile_start was not called");
    EXPECT_ST(nrt_profile_start(rm, prof), NRT_SUCCESS);
    EXPECT_ST(nrt_profile_start(rm, prof), NRT_INVALID); /* already profiling */
    for (int i = 0; i < 3; i++) EXPECT_ST(nrt_execute(rm, ris, ros), NRT_SUCCESS);
    EXPECT_ST(nrt_profile_stop(prof), NRT_SUCCESS);
    EXPECT_ST(nrt_execute(rm, ris, ros), NRT_SUCCESS); /* not recorded */
    FILE *pf = fopen(prof, "r");
    char pbuf[8192] = {0};
    if (pf) {
        size_t r = fread(pbuf, 1, sizeof pbuf - 1, pf);
        pbuf[r] = 0;
        fclose(pf);
    }
    EXPECT(strstr(pbuf, "\"format\": \"neuron-rt-emulator-profile\"") != NULL);
    EXPECT(strstr(pbuf, "\"model\": \"plus-one\"") != NULL);
    EXPECT(strstr(pbuf, "\"execution_count\": 3") != NULL);
    EXPECT(strstr(pbuf, "\"status\": \"NRT_SUCCESS\"") != NULL);
    EXPECT_ST(nrt_profile_stop(prof), NRT_INVALID); /* already stopped */

    /* the no-op path, many times over (its cost is measured in benches/execute_overhead.rs,
       never asserted here) */
    buf_t np = prog_noop(0), nn = neff_of(&np, "noop", 1);
    nrt_model_t *nm = NULL;
    EXPECT_ST(nrt_load(nn.p, nn.n, -1, -1, &nm), NRT_SUCCESS);
    nrt_tensor_set_t *nis = NULL, *nos = NULL;
    nrt_allocate_tensor_set(&nis);
    nrt_allocate_tensor_set(&nos);
    nrt_add_tensor_to_tensor_set(nis, "x", x);
    nrt_add_tensor_to_tensor_set(nos, "y", y);
    const int iters = 20000;
    int fails = 0;
    for (int i = 0; i < iters; i++) fails += nrt_execute(nm, nis, nos) != NRT_SUCCESS;
    EXPECT(fails == 0);

    nrt_destroy_tensor_set(&nis);
    nrt_destroy_tensor_set(&nos);
    nrt_destroy_tensor_set(&ris);
    nrt_destroy_tensor_set(&ros);
    nrt_destroy_tensor_set(&is);
    nrt_destroy_tensor_set(&os);
    nrt_destroy_tensor_set(&empty_os);
    nrt_tensor_t *all[] = {a, b, out, small, e, big, win, x, y};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) nrt_tensor_free(&all[i]);
    EXPECT_ST(nrt_unload(nm), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(rm), NRT_SUCCESS);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    CAPTURE(nrt_close());
    free(prog.p);
    free(nb.p);
    free(rp.p);
    free(rn.p);
    free(np.p);
    free(nn.p);
}

/* The timing model (FORMAT.md §4). Only lower bounds on wall-clock time are asserted: the
   simulated device time is waited, never shortened, however loaded the machine. Pipelining is
   shown by the schedule's verdict (a status), not by a stopwatch. */
static void test_timing(void) {
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    NRT_STATUS worst;
    int ok = 0;
    /* one core, 30 ms: one execution takes >= 30 ms, 4 concurrent ones serialise (>= 120 ms) */
    buf_t p1 = prog_noop(30000000), n1 = neff_of(&p1, "timed-1", 1);
    nrt_model_t *m1 = NULL;
    EXPECT_ST(nrt_load(n1.p, n1.n, 0, -1, &m1), NRT_SUCCESS);
    uint64_t el = concurrent_execs(m1, 1, &worst, NULL);
    EXPECT(worst == NRT_SUCCESS && el >= 30000000);
    el = concurrent_execs(m1, 4, &worst, NULL);
    EXPECT(worst == NRT_SUCCESS && el >= 120000000);
    /* two cores, 40 ms as two 20 ms stages: 4 executions need at least 5 stages = 100 ms */
    buf_t p2 = prog_noop(40000000), n2 = neff_of(&p2, "timed-2", 2);
    nrt_model_t *m2 = NULL;
    EXPECT_ST(nrt_load(n2.p, n2.n, -1, -1, &m2), NRT_SUCCESS);
    el = concurrent_execs(m2, 4, &worst, NULL);
    EXPECT(worst == NRT_SUCCESS && el >= 100000000);
    /* Pipelining, from the schedule: two cores, 200 ms as two 100 ms stages, timeout 350 ms.
       Whatever the arrival times, the first execution scheduled completes 200 ms after it
       arrives and the second at most 300 ms after it arrives (its first stage follows the
       first's on core A while the first's second stage runs on core B): both within the timeout,
       so at least two of four concurrent executions succeed. Without pipelining (the model
       holding both cores for the whole 200 ms) a second execution arriving within 50 ms of the
       first would need 400 ms and time out. Executions that time out fail with NRT_TIMEOUT. */
    buf_t p4 = prog_noop(200000000), n4 = neff_of(&p4, "pipelined", 2);
    nrt_model_t *m4 = NULL;
    setenv("NEURON_RT_EXEC_TIMEOUT", "0.35", 1);
    EXPECT_ST(nrt_load(n4.p, n4.n, -1, -1, &m4), NRT_SUCCESS);
    unsetenv("NEURON_RT_EXEC_TIMEOUT");
    CAPTURE(concurrent_execs(m4, 4, &worst, &ok)); /* timeouts log an error each */
    EXPECT(ok >= 2);
    EXPECT(worst == NRT_SUCCESS || worst == NRT_TIMEOUT);
    /* timeout, read at load (fractional seconds accepted) */
    buf_t p3 = prog_noop(2000000000), n3 = neff_of(&p3, "slow", 1);
    nrt_model_t *m3 = NULL;
    setenv("NEURON_RT_EXEC_TIMEOUT", "0.05", 1);
    EXPECT_ST(nrt_load(n3.p, n3.n, 1, -1, &m3), NRT_SUCCESS);
    unsetenv("NEURON_RT_EXEC_TIMEOUT");
    nrt_tensor_t *x = dev_tensor(1, 16, "x"), *y = dev_tensor(1, 16, "y");
    nrt_tensor_set_t *is = NULL, *os = NULL;
    nrt_allocate_tensor_set(&is);
    nrt_allocate_tensor_set(&os);
    nrt_add_tensor_to_tensor_set(is, "x", x);
    nrt_add_tensor_to_tensor_set(os, "y", y);
    uint64_t t0 = now_ns();
    EXPECT_LOG(nrt_execute(m3, is, os), NRT_TIMEOUT, "timed out");
    el = now_ns() - t0;
    EXPECT(el >= 50000000); /* the timeout is waited; the status, not a stopwatch, shows that
                               the 2 s device time was not */
    nrt_destroy_tensor_set(&is);
    nrt_destroy_tensor_set(&os);
    nrt_tensor_free(&x);
    nrt_tensor_free(&y);
    nrt_unload(m1);
    nrt_unload(m2);
    nrt_unload(m3);
    nrt_unload(m4);
    CAPTURE(nrt_close());
    free(p1.p);
    free(n1.p);
    free(p2.p);
    free(n2.p);
    free(p3.p);
    free(n3.p);
    free(p4.p);
    free(n4.p);
}

static void test_memory(void) {
    /* inf1.xlarge: 8 GiB per chip */
    opt("instance", "inf1.xlarge");
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    const size_t GiB = (size_t)1 << 30;
    nrt_tensor_t *a = NULL, *s = NULL, *b = NULL;
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 9 * GiB, "too-big", &a),
               NRT_RESOURCE, "0 of 8589934592 bytes already used");
    EXPECT_ST(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 6 * GiB, "a", &a), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_allocate_slice(a, GiB, 16, "s", &s), NRT_SUCCESS);
    nrt_tensor_free(&a); /* the slice keeps all 6 GiB */
    EXPECT_LOG(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 3, 3 * GiB, "b", &b), NRT_RESOURCE,
               "6442450944 of 8589934592 bytes already used");
    nrt_tensor_free(&s); /* last reference: memory returns */
    EXPECT_ST(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 3, 8 * GiB - 8, "b", &b), NRT_SUCCESS);
    /* model constants (16 bytes) count against the chip too */
    buf_t rp = prog_plus_one(0), rn = neff_of(&rp, "plus-one", 1);
    nrt_model_t *m = NULL;
    EXPECT_LOG(nrt_load(rn.p, rn.n, -1, -1, &m), NRT_RESOURCE, "the constants of NEFF 'plus-one'");
    nrt_tensor_free(&b);
    EXPECT_ST(nrt_load(rn.p, rn.n, -1, -1, &m), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 8 * GiB - 16, "fill", &b), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 1, "one-more", &a), NRT_RESOURCE);
    EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    EXPECT_ST(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 16, "now-fits", &a), NRT_SUCCESS);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    CAPTURE(nrt_close());
    opt("instance", NULL);
    free(rp.p);
    free(rn.p);
}

/* ---- cross-process exclusivity ---- */

static pid_t spawn_holder(const char *visible, int *go_fd, NRT_STATUS *child_st) {
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0) abort();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        nrt_emu_set_option("log_level", "QUIET");
        nrt_emu_set_option("num_cores", NULL);
        nrt_emu_set_option("visible_cores", visible);
        NRT_STATUS st = nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "");
        if (write(ready[1], &st, sizeof st) < 0) _exit(3);
        char c;
        if (read(go[0], &c, 1) < 0) _exit(4);
        nrt_close();
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    *child_st = NRT_FAILURE;
    if (read(ready[0], child_st, sizeof *child_st) != (ssize_t)sizeof *child_st) *child_st = NRT_HW_ERROR;
    close(ready[0]);
    *go_fd = go[1];
    return pid;
}

static void test_contention(void) {
    opt("log_level", "INFO");
    int go = -1, status = 0;
    NRT_STATUS cst;
    pid_t pid = spawn_holder("1", &go, &cst);
    EXPECT_ST(cst, NRT_SUCCESS);
    /* counts do not reserve */
    uint32_t n = 0;
    EXPECT_ST(nrt_get_visible_vnc_count(&n), NRT_SUCCESS);
    EXPECT(n == 2);
    opt("visible_cores", "1");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_FAILURE,
               "ERROR  NRT:nrt_allocate_neuron_cores      NeuronCore(s) not available - Requested:nc1-nc1 Available:0");
    /* the log line has the runtime's layout: date time pid:tid level NRT:function message */
    {
        int y, d, hh, mm, ss, us, pid2, tid;
        char mon[4], lvl[16];
        int k = sscanf(g_log, "%d-%3s %d %d:%d:%d.%d %d:%d %15s", &y, mon, &d, &hh, &mm, &ss, &us,
                       &pid2, &tid, lvl);
        EXPECT(k == 10 && pid2 == (int)getpid() && strcmp(lvl, "ERROR") == 0 && y >= 2024);
    }
    opt("visible_cores", "0-1");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_FAILURE,
               "NeuronCore(s) not available - Requested:nc0-nc1 Available:1");
    opt("visible_cores", NULL);
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_FAILURE, /* all cores by default */
               "NeuronCore(s) not available - Requested:nc0-nc1 Available:1");
    opt("num_cores", "2");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_FAILURE,
               "NeuronCore(s) not available - Requested:2 Available:1");
    opt("num_cores", "1"); /* first fit skips the held core */
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS, "reserved nc0-nc0");
    CAPTURE(nrt_close());
    opt("num_cores", NULL);
    /* the child closes: the cores are free again */
    if (write(go, "x", 1) < 0) perror("write");
    close(go);
    waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    opt("visible_cores", "1");
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    CAPTURE(nrt_close());

    /* SIGKILL: the kernel drops the locks */
    pid = spawn_holder("0-1", &go, &cst);
    EXPECT_ST(cst, NRT_SUCCESS);
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_FAILURE);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    close(go);
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    CAPTURE(nrt_close());

    /* NUM_CORES first fit on a bigger instance: a child holds 0-1, we get 2-4 */
    opt("instance", "trn1.32xlarge");
    pid = spawn_holder("0-1", &go, &cst);
    EXPECT_ST(cst, NRT_SUCCESS);
    opt("visible_cores", NULL);
    opt("num_cores", "3");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS, "reserved nc2-nc4");
    CAPTURE(nrt_close());
    /* while we hold 2-4 (re-init), a visible request overlapping it fails */
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    if (write(go, "x", 1) < 0) perror("write");
    close(go);
    waitpid(pid, &status, 0);
    /* a child forked from an initialised process starts closed and competes like any process */
    pid = spawn_holder("4-5", &go, &cst);
    EXPECT_ST(cst, NRT_FAILURE); /* core 4 is ours */
    if (write(go, "x", 1) < 0) perror("write");
    close(go);
    waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CAPTURE(nrt_close());
    /* trn2: lock files per LNC directory */
    opt("instance", "trn2.48xlarge");
    opt("num_cores", "4");
    EXPECT_LOG(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS, "reserved nc0-nc3");
    CAPTURE(nrt_close());
    char path[400];
    struct stat sb;
    snprintf(path, sizeof path, "%s/trn2.48xlarge-lnc2/nc0.lock", g_lock_dir);
    EXPECT(stat(path, &sb) == 0);
    snprintf(path, sizeof path, "%s/inf2.xlarge/nc1.lock", g_lock_dir);
    EXPECT(stat(path, &sb) == 0);
    clear_options();
    opt("log_level", "ERROR");
}

/* ------------------------------------------------------------- compiler NEFFs */

typedef struct {
    int calls;
    size_t n_in, n_out;
    char first_input[64];
    uint32_t out_dtype, out_ndim, out_dim0;
    float x0;
} kernel_seen;

/* output0[i] = i + the first f16 element of x, read as its raw bits */
static NRT_STATUS sum_kernel(void *user, const char *model, const nrt_emu_tensor *in, size_t n_in,
                             const nrt_emu_tensor *out, size_t n_out) {
    kernel_seen *k = user;
    k->calls++;
    k->n_in = n_in;
    k->n_out = n_out;
    snprintf(k->first_input, sizeof k->first_input, "%s:%s", model, in[0].name);
    k->out_dtype = out[0].dtype;
    k->out_ndim = out[0].ndim;
    k->out_dim0 = out[0].shape[0];
    uint16_t bits;
    memcpy(&bits, in[0].data, 2);
    float *o = out[0].data;
    for (size_t i = 0; i < out[0].size / 4; i++) o[i] = (float)i + (float)bits;
    return NRT_SUCCESS;
}

static NRT_STATUS failing_kernel(void *user, const char *model, const nrt_emu_tensor *in,
                                 size_t n_in, const nrt_emu_tensor *out, size_t n_out) {
    (void)user, (void)model, (void)in, (void)n_in, (void)out, (void)n_out;
    return NRT_EXEC_BAD_INPUT;
}

static void test_compiler_neff(void) {
    kernel_seen seen = {0};
    EXPECT_ST(nrt_emu_set_option("instance", "trn2.48xlarge"), NRT_SUCCESS);
    EXPECT_ST(nrt_emu_set_option("lnc", "2"), NRT_SUCCESS);
    EXPECT_LOG(nrt_emu_set_option("device_time_us", "a=1,2,3"), NRT_INVALID, "malformed value");
    EXPECT_LOG(nrt_emu_set_option("device_time_us", "=5"), NRT_INVALID, "malformed value");
    EXPECT_LOG(nrt_emu_set_option("device_time_us", "1000000001"), NRT_INVALID, "malformed value");
    EXPECT_LOG(nrt_emu_set_option("output_fill", "ones"), NRT_INVALID, "malformed value");
    EXPECT_ST(nrt_emu_set_option("device_time_us", "timed.neff=20000, 0"), NRT_SUCCESS);
    EXPECT_ST(nrt_emu_set_option("output_fill", "pattern"), NRT_SUCCESS);
    EXPECT_LOG(nrt_emu_set_reference_kernel(NULL, sum_kernel, &seen), NRT_INVALID, "NULL");
    EXPECT_ST(nrt_emu_set_reference_kernel("kern.neff", failing_kernel, NULL), NRT_SUCCESS);
    EXPECT_ST(nrt_emu_set_reference_kernel("kern.neff", sum_kernel, &seen), NRT_SUCCESS); /* replaces */
    EXPECT_ST(nrt_emu_set_reference_kernel("fail.neff", failing_kernel, NULL), NRT_SUCCESS);
    EXPECT_ST(nrt_emu_set_reference_kernel("gone.neff", sum_kernel, &seen), NRT_SUCCESS);
    EXPECT_ST(nrt_emu_set_reference_kernel("gone.neff", NULL, NULL), NRT_SUCCESS);
    EXPECT_ST(nrt_emu_set_option("log_level", "INFO"), NRT_SUCCESS);
    EXPECT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_SUCCESS);
    EXPECT_LOG(nrt_emu_set_reference_kernel("kern.neff", NULL, NULL), NRT_FAILURE, "initialised");

    const char *names[] = {"plain.neff", "kern.neff", "fail.neff", "timed.neff", "gone.neff"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        neff_opts o = defaults(NULL);
        o.compiler = true;
        o.lnc = 2;
        o.name = names[i];
        buf_t x = neff_build(&o);
        nrt_model_t *m = NULL;
        EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_SUCCESS, "does NOT run its program");
        free(x.p);
        nrt_tensor_info_array_t *info = NULL;
        EXPECT_ST(nrt_get_model_tensor_info(m, &info), NRT_SUCCESS);
        EXPECT(info != NULL && info->tensor_count == 3);
        if (info == NULL || info->tensor_count != 3) return;
        nrt_tensor_info_t *ti = info->tensor_array;
        EXPECT(strcmp(ti[0].name, "x") == 0 && ti[0].usage == NRT_TENSOR_USAGE_INPUT &&
               ti[0].dtype == NRT_DTYPE_FLOAT16 && ti[0].size == 64 && ti[0].ndim == 2 &&
               ti[0].shape[0] == 4 && ti[0].shape[1] == 8);
        EXPECT(strcmp(ti[1].name, "y") == 0 && ti[1].dtype == NRT_DTYPE_BFLOAT16 && ti[1].size == 32);
        EXPECT(strcmp(ti[2].name, "output0") == 0 && ti[2].usage == NRT_TENSOR_USAGE_OUTPUT &&
               ti[2].dtype == NRT_DTYPE_FLOAT32 && ti[2].size == 32);
        EXPECT_ST(nrt_free_model_tensor_info(info), NRT_SUCCESS);
        nrt_tensor_set_t *is = NULL, *os = NULL;
        nrt_allocate_tensor_set(&is);
        nrt_allocate_tensor_set(&os);
        nrt_tensor_t *tx = dev_tensor(0, 64, "x"), *ty = dev_tensor(0, 32, "y"),
                     *to = dev_tensor(0, 32, "output0");
        uint16_t one = 0x3c00; /* f16 1.0 */
        EXPECT_ST(nrt_tensor_write(tx, &one, 0, 2), NRT_SUCCESS);
        EXPECT_ST(nrt_tensor_memset(to, 0, 0xAA, 32), NRT_SUCCESS);
        nrt_add_tensor_to_tensor_set(is, "x", tx);
        nrt_add_tensor_to_tensor_set(is, "y", ty);
        nrt_add_tensor_to_tensor_set(os, "output0", to);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (strcmp(names[i], "fail.neff") == 0) {
            EXPECT_LOG(nrt_execute(m, is, os), NRT_EXEC_BAD_INPUT,
                       "the reference kernel of 'fail.neff' failed with status");
        } else {
            EXPECT_ST(nrt_execute(m, is, os), NRT_SUCCESS);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        uint8_t got[32];
        EXPECT_ST(nrt_tensor_read(to, got, 0, 32), NRT_SUCCESS);
        if (strcmp(names[i], "kern.neff") == 0) {
            float f[8];
            memcpy(f, got, sizeof f);
            EXPECT(seen.calls == 1 && seen.n_in == 2 && seen.n_out == 1);
            EXPECT(strcmp(seen.first_input, "kern.neff:x") == 0);
            EXPECT(seen.out_dtype == NRT_DTYPE_FLOAT32 && seen.out_ndim == 2 && seen.out_dim0 == 4);
            EXPECT(f[0] == 15360.0f && f[7] == 15367.0f);
        } else if (strcmp(names[i], "timed.neff") == 0) {
            EXPECT(ms >= 20.0); /* the simulated device time is slept, never shortened */
        }
        if (strcmp(names[i], "kern.neff") != 0 && strcmp(names[i], "fail.neff") != 0) {
            int pattern = 1;
            for (int b = 0; b < 32; b++) pattern &= got[b] == (uint8_t)(b % 251);
            EXPECT(pattern); /* output_fill=pattern; "gone.neff" has no kernel any more */
        }
        nrt_destroy_tensor_set(&is);
        nrt_destroy_tensor_set(&os);
        nrt_tensor_free(&tx);
        nrt_tensor_free(&ty);
        nrt_tensor_free(&to);
        EXPECT_ST(nrt_unload(m), NRT_SUCCESS);
    }
    EXPECT(seen.calls == 1);
    /* malformed compiler metadata fails the load with the member named */
    neff_opts o = defaults(NULL);
    o.compiler = true;
    o.lnc = 2;
    buf_t x = neff_build(&o);
    char *j = memmem(x.p, x.n, "\"size\":64", 9);
    EXPECT(j != NULL);
    if (j != NULL) j[8] = '5'; /* 65: disagrees with x's 64 bytes (the tar checksum covers only the header) */
    nrt_model_t *m = NULL;
    EXPECT_LOG(nrt_load(x.p, x.n, -1, -1, &m), NRT_INVALID,
               "sg00/def.json: var 'x' has size 65 bytes but neff.json gives 64 bytes");
    free(x.p);
    CAPTURE(nrt_close());
    EXPECT_ST(nrt_emu_set_reference_kernel("kern.neff", NULL, NULL), NRT_SUCCESS);
    EXPECT_ST(nrt_emu_set_reference_kernel("fail.neff", NULL, NULL), NRT_SUCCESS);
    const char *opts[] = {"instance", "lnc", "device_time_us", "output_fill", "log_level"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        EXPECT_ST(nrt_emu_set_option(opts[i], NULL), NRT_SUCCESS);
}
/* the calls added for full ABI coverage (nrt.h, nrt_experimental.h, nrt_profile.h) */
#include "abi_coverage_tests.h"

#include "nrta_tests.c" /* the async API (nrt_async.h) */

int main(void) {
    /* a clean, private environment */
    static const char *vars[] = {"NEURON_RT_VISIBLE_CORES", "NEURON_RT_NUM_CORES",
                                 "NEURON_LOGICAL_NC_CONFIG", "NEURON_RT_EMULATOR_INSTANCE",
                                 "NEURON_RT_LOG_LEVEL", "NEURON_RT_LOG_LEVEL_NRT",
                                 "NEURON_RT_EXEC_TIMEOUT", "NEURON_RT_VALIDATE_HASH",
                                 "NEURON_RT_ROOT_COMM_ID", "NEURON_RT_EMULATOR_LOCK_DIR",
                                 "NEURON_RT_EMULATOR_DEVICE_TIME_US", "NEURON_RT_EMULATOR_OUTPUT_FILL",
                                 "NEURON_RT_EMULATOR_HOST_BANDWIDTH"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
    snprintf(g_lock_dir, sizeof g_lock_dir, "/tmp/nrt_api_test.XXXXXX");
    if (mkdtemp(g_lock_dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    setenv("NEURON_RT_EMULATOR_LOCK_DIR", g_lock_dir, 1);

    test_static_info();
    test_core_env_parsing();
    test_before_init();
    test_lifecycle();
    test_tensors();
    test_sets();
    test_load();
    test_execute();
    test_timing();
    test_memory();
    test_contention();
    test_async();
    test_compiler_neff();
    test_abi_coverage();

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_lock_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_lock_dir);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail == 0 ? 0 : 1;
}
