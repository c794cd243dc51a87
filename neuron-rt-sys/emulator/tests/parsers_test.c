/* Unit tests for the compiler-NEFF parsers: inflate.c (gzip/DEFLATE), json.c and compiled.c.
   Built and run by `make test` / `make asan` (ASan + UBSan + leak checks). The gzip vectors were
   produced with zlib at test-writing time (a fixed-Huffman member with FNAME and FHCRC, a
   dynamic-Huffman member); stored blocks and malformed streams are built here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/compiled.h"
#include "../src/inflate.h"
#include "../src/json.h"

static int g_failed = 0, g_checks = 0;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        g_checks++;                                                                                \
        if (!(cond)) {                                                                             \
            g_failed++;                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

static const uint8_t GZ_FIXED[] = {0x1f, 0x8b, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x61, 0x2e, 0x74, 0x78, 0x74, 0x00, 0xdf, 0x89, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x75, 0x14, 0x52, 0x73, 0x4b, 0x73, 0x12, 0x4b, 0xf2, 0x8b, 0x14, 0xb9, 0x00, 0x69, 0xcf, 0x9a, 0xc9, 0x23, 0x00, 0x00, 0x00};
static const char GZ_FIXED_TEXT[] = "hello hello hello hello, emulator!\n";
static const uint8_t GZ_DYNAMIC[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x5d, 0x54, 0xcb, 0x8e, 0xc3, 0x20, 0x0c, 0xfc, 0x95, 0x88, 0x33, 0x87, 0xdd, 0xcb, 0x1e, 0xf8, 0x9b, 0x1e, 0xfa, 0xd0, 0x6a, 0xd5, 0x44, 0x6d, 0x2a, 0x81, 0x10, 0xff, 0xbe, 0x8e, 0xed, 0xb1, 0x71, 0x84, 0xda, 0x80, 0xdf, 0x63, 0x0f, 0xdc, 0x5f, 0x97, 0xed, 0xb1, 0xf4, 0xe5, 0xfd, 0xb8, 0x6c, 0xd7, 0xe5, 0xf7, 0xbd, 0x3e, 0x97, 0x46, 0xc7, 0xdb, 0xdf, 0x7a, 0xd9, 0xbf, 0x7f, 0x96, 0x41, 0xfb, 0xe7, 0xf5, 0x76, 0xa3, 0xcf, 0x7e, 0x7d, 0xbe, 0xd7, 0xd7, 0x92, 0x4d, 0x57, 0xd5, 0xe9, 0xce, 0x21, 0xe4, 0x3f, 0x99, 0x56, 0x74, 0x59, 0xbf, 0x90, 0xae, 0x9f, 0x7d, 0xfb, 0xec, 0x5f, 0x14, 0x37, 0x4b, 0x32, 0x71, 0x1b, 0x72, 0x80, 0x35, 0xac, 0x12, 0x92, 0x8e, 0xa5, 0x48, 0x19, 0x6c, 0x56, 0xbc, 0x9a, 0x4a, 0x07, 0x2b, 0x2c, 0xd3, 0x11, 0x89, 0x3a, 0x39, 0x7b, 0x98, 0x62, 0xfb, 0x59, 0xe6, 0x30, 0x15, 0x37, 0xa7, 0xd0, 0x70, 0x2c, 0x82, 0x5e, 0xaa, 0xac, 0x54, 0x07, 0xfc, 0x0b, 0x43, 0xa8, 0x76, 0x06, 0x5c, 0x9c, 0x3b, 0x85, 0x13, 0x59, 0x9f, 0x64, 0x12, 0xa7, 0x91, 0xaf, 0x15, 0x5d, 0x49, 0x3c, 0xa8, 0x1c, 0xce, 0x97, 0x48, 0xe0, 0x7e, 0xda, 0xfa, 0x44, 0x7a, 0xb4, 0x29, 0x93, 0xb0, 0xd2, 0x62, 0x05, 0xff, 0xa1, 0xc4, 0x4c, 0x5a, 0xec, 0x59, 0xd1, 0xd0, 0x33, 0xa4, 0xe7, 0x0c, 0xd6, 0x37, 0x07, 0x82, 0x5d, 0x0e, 0xf8, 0x8f, 0xf4, 0xd6, 0x5b, 0xef, 0x9a, 0xe3, 0x8a, 0xe3, 0xb7, 0xb8, 0xba, 0xf1, 0x02, 0xc1, 0x2d, 0x55, 0x88, 0x39, 0x02, 0x56, 0xc6, 0xa3, 0xd8, 0xad, 0x27, 0x8d, 0x97, 0x52, 0xe2, 0x3c, 0x39, 0x07, 0x1c, 0xc9, 0x22, 0xcd, 0x19, 0x2a, 0xd5, 0xd4, 0xc5, 0x8a, 0x75, 0xb3, 0x44, 0x0b, 0x03, 0xf5, 0x3a, 0x22, 0xa8, 0x86, 0x62, 0x4a, 0x98, 0xe8, 0xa9, 0x1d, 0x9d, 0x13, 0xce, 0x7d, 0x1d, 0xb4, 0x9a, 0x95, 0xd8, 0xf8, 0x74, 0x50, 0xb1, 0x4e, 0x37, 0xc3, 0x1a, 0x6c, 0x3e, 0xba, 0x69, 0xcc, 0x30, 0xbf, 0x5e, 0x9d, 0x73, 0x2a, 0x37, 0xf5, 0x53, 0xe8, 0x07, 0x12, 0x78, 0x6d, 0x8c, 0xb6, 0x90, 0xc2, 0x62, 0x1b, 0xa5, 0xe2, 0x98, 0x8e, 0x8b, 0x54, 0x8d, 0x86, 0x6c, 0x30, 0x42, 0x6b, 0xe6, 0xb9, 0x35, 0x06, 0x90, 0xd5, 0x1c, 0x75, 0x15, 0x5c, 0x5d, 0x65, 0x99, 0xd3, 0xb3, 0x4f, 0xb5, 0x8b, 0xa4, 0x04, 0x4a, 0xcd, 0x85, 0x34, 0x8e, 0x73, 0x20, 0xd1, 0x31, 0x57, 0x15, 0x0d, 0x80, 0xe9, 0xdc, 0x3a, 0xd6, 0x9e, 0xa7, 0x54, 0xc2, 0x55, 0x6f, 0x13, 0x84, 0x3a, 0xcd, 0x06, 0xbb, 0xd3, 0xd0, 0xa6, 0x67, 0x47, 0x35, 0xce, 0xa8, 0x7e, 0xe2, 0x94, 0x9c, 0x52, 0x34, 0x4f, 0x93, 0x43, 0xe1, 0xa6, 0x9d, 0xb9, 0x23, 0xe6, 0x7a, 0x9f, 0x64, 0x5a, 0x0a, 0x2a, 0x04, 0x32, 0x8a, 0xa5, 0xd0, 0x1a, 0x47, 0x10, 0xed, 0x90, 0x35, 0x4d, 0x4f, 0x21, 0x32, 0x63, 0xba, 0xa1, 0xd3, 0x11, 0x8b, 0x51, 0x43, 0xe7, 0xa6, 0xec, 0x38, 0xbf, 0xd0, 0xc5, 0x6f, 0x7d, 0x0b, 0x4f, 0x3b, 0xbb, 0xe1, 0x99, 0xf3, 0x0a, 0x30, 0xe8, 0x83, 0x8e, 0x87, 0xe0, 0x1f, 0x92, 0xe5, 0x29, 0x60, 0x51, 0x06, 0x00, 0x00};
#define GZ_DYNAMIC_LEN 1617u
#define GZ_DYNAMIC_CRC 0x6029e592u

/* ------------------------------------------------------------------------------ inflate */

static int gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len,
                  char *err) {
    size_t used = 0;
    int rc = nrtemu_gunzip(in, len, max, out, out_len, &used, err, 256);
    if (rc == 0) CHECK(used == len);
    return rc;
}

/* A gzip member of stored blocks of at most `block` bytes each. */
static uint8_t *stored_gzip(const uint8_t *data, size_t n, size_t block, size_t *len) {
    size_t blocks = n / block + 1;
    uint8_t *g = malloc(10 + blocks * (5 + block) + 8);
    size_t o = 0;
    const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
    memcpy(g, hdr, 10);
    o = 10;
    size_t done = 0;
    do {
        size_t k = n - done < block ? n - done : block;
        g[o++] = done + k == n ? 1 : 0; /* BFINAL, BTYPE 00 */
        g[o++] = (uint8_t)k;
        g[o++] = (uint8_t)(k >> 8);
        g[o++] = (uint8_t)~k;
        g[o++] = (uint8_t)(~k >> 8);
        memcpy(g + o, data + done, k);
        o += k;
        done += k;
    } while (done < n);
    uint32_t crc = nrtemu_crc32(0, data, n);
    for (int i = 0; i < 4; i++) g[o++] = (uint8_t)(crc >> (8 * i));
    for (int i = 0; i < 4; i++) g[o++] = (uint8_t)(n >> (8 * i));
    *len = o;
    return g;
}

static void test_inflate(void) {
    uint8_t *out;
    size_t n;
    char err[256];
    CHECK(nrtemu_crc32(0, (const uint8_t *)"123456789", 9) == 0xcbf43926u); /* check value */
    CHECK(gunzip(GZ_FIXED, sizeof GZ_FIXED, 1 << 20, &out, &n, err) == 0);
    CHECK(n == strlen(GZ_FIXED_TEXT) && memcmp(out, GZ_FIXED_TEXT, n) == 0);
    free(out);
    CHECK(gunzip(GZ_DYNAMIC, sizeof GZ_DYNAMIC, 1 << 20, &out, &n, err) == 0);
    CHECK(n == GZ_DYNAMIC_LEN && nrtemu_crc32(0, out, n) == GZ_DYNAMIC_CRC);
    free(out);
    /* the output limit */
    CHECK(gunzip(GZ_DYNAMIC, sizeof GZ_DYNAMIC, GZ_DYNAMIC_LEN - 1, &out, &n, err) != 0);
    CHECK(out == NULL && strstr(err, "exceeds the limit") != NULL);
    /* stored blocks, several, including an empty member */
    uint8_t data[70000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + (i >> 9));
    size_t glen;
    uint8_t *g = stored_gzip(data, sizeof data, 65535, &glen);
    CHECK(gunzip(g, glen, 1 << 20, &out, &n, err) == 0);
    CHECK(n == sizeof data && memcmp(out, data, n) == 0);
    free(out);
    g[10 + 3] ^= 1; /* NLEN no longer the complement */
    CHECK(gunzip(g, glen, 1 << 20, &out, &n, err) != 0 && strstr(err, "complement") != NULL);
    free(g);
    g = stored_gzip(data, 0, 16, &glen);
    CHECK(gunzip(g, glen, 1 << 20, &out, &n, err) == 0 && n == 0 && out != NULL);
    free(out);
    free(g);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < sizeof GZ_DYNAMIC; cut++) {
        CHECK(gunzip(GZ_DYNAMIC, cut, 1 << 20, &out, &n, err) != 0);
        CHECK(out == NULL);
    }
    /* header and trailer damage */
    uint8_t c[sizeof GZ_FIXED];
    struct { size_t at; uint8_t x; const char *why; } damage[] = {
        {0, 0x01, "bad magic"}, {2, 0x01, "compression method"}, {3, 0x80, "reserved flag"},
        {16, 0x01, "header CRC"}, {sizeof GZ_FIXED - 8, 0x01, "CRC-32"},
        {sizeof GZ_FIXED - 4, 0x01, "ISIZE"},
    };
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        memcpy(c, GZ_FIXED, sizeof c);
        c[damage[i].at] ^= damage[i].x;
        CHECK(gunzip(c, sizeof c, 1 << 20, &out, &n, err) != 0);
        CHECK(strstr(err, damage[i].why) != NULL);
    }
    /* raw DEFLATE: block type 3; a back-reference before the start (fixed block: literal 'a',
       then length 3 at distance 2 -> only one byte written) */
    const uint8_t bt3[] = {0x07};
    CHECK(nrtemu_inflate_raw(bt3, 1, 100, &out, &n, &glen, err, sizeof err) != 0);
    CHECK(strstr(err, "invalid block type") != NULL);
    const uint8_t far[] = {0x4b, 0x04, 0x42, 0x00};
    CHECK(nrtemu_inflate_raw(far, sizeof far, 100, &out, &n, &glen, err, sizeof err) != 0);
    CHECK(strstr(err, "before the start") != NULL);
    /* a dynamic header declaring 30 distance codes + 257 literals but with an all-zero
       code-length code is incomplete */
    const uint8_t dyn[] = {0x05, 0xe0, 0x00, 0x00, 0x00, 0x00};
    CHECK(nrtemu_inflate_raw(dyn, sizeof dyn, 100, &out, &n, &glen, err, sizeof err) != 0);
    /* raw DEFLATE from zlib (level 6): fixed blocks, each closed by an empty stored block (sync
       flush: the stored header starts mid-word in the bit buffer), a final fixed block; 16
       trailing bytes are not consumed */
    static const uint8_t sync[70 + 16] = {
        0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x22, 0x01, 0x00, 0x00, 0x00, 0xff,
        0xff, 0x2a, 0xcf, 0x2f, 0xca, 0x49, 0x41, 0x26, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff,
        0x63, 0x60, 0x64, 0x62, 0x66, 0x61, 0x65, 0x63, 0xe7, 0xe0, 0xe4, 0xe2, 0xe6, 0xe1,
        0xe5, 0xe3, 0x17, 0x10, 0x14, 0x12, 0x16, 0x11, 0x15, 0x13, 0x97, 0x90, 0x94, 0x92,
        0x96, 0x91, 0x95, 0x93, 0x57, 0x50, 0x54, 0x52, 0x56, 0x51, 0x55, 0x53, 0x07, 0x00,
        0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    CHECK(nrtemu_inflate_raw(sync, sizeof sync, 100, &out, &n, &glen, err, sizeof err) == 0);
    CHECK(glen == 70 && n == 35 + 40 && memcmp(out, "hello hello hello world world world", 35) == 0);
    for (size_t i = 0; n == 75 && i < 40; i++) CHECK(out[35 + i] == i);
    free(out);
    for (size_t cut = 0; cut < 70; cut++) { /* every truncation of the stream fails */
        CHECK(nrtemu_inflate_raw(sync, cut, 100, &out, &n, &glen, err, sizeof err) != 0);
        CHECK(out == NULL && strstr(err, "input ends") != NULL);
    }
    /* every single-bit flip of both vectors fails or decodes, never crashes (ASan watches) */
    uint8_t d[sizeof GZ_DYNAMIC];
    for (size_t i = 0; i < sizeof d * 8; i++) {
        memcpy(d, GZ_DYNAMIC, sizeof d);
        d[i / 8] ^= (uint8_t)(1u << (i % 8));
        if (gunzip(d, sizeof d, 1 << 16, &out, &n, err) == 0) free(out);
    }
}

/* ---------------------------------------------------------------------------------- json */

static int parses(const char *s) {
    nrtemu_json_doc *d;
    char err[256];
    int rc = nrtemu_json_parse(s, strlen(s), &d, err, sizeof err);
    nrtemu_json_free(d);
    return rc == 0;
}

static void test_json(void) {
    const char *good[] = {
        "{}", "[]", "0", "-0", "1.5e-3", "-12E+2", "true", "false", "null", " \t\n\"x\" ",
        "{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\ud83d\\ude00\\n\"}", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
        "123456789012345678901234567890",
    };
    const char *bad[] = {
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "+1", "1.", ".5", "1e", "NaN", "Infinity",
        "tru", "nul", "[1 2]", "{\"a\" 1}", "{1:2}", "\"abc", "\"\\x\"", "\"\\u12\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u0000\"", "\"a\tb\"",
        "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\x80\"", "{} {}",
        "{\"a\":1,\"a\":2}", "[{\"k\":1,\"j\":2,\"k\":3}]", "// c\n{}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int ok = parses(good[i]);
        CHECK(ok);
        if (!ok) fprintf(stderr, "  should parse: %s\n", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int ok = parses(bad[i]);
        CHECK(!ok);
        if (ok) fprintf(stderr, "  should be rejected: %s\n", bad[i]);
    }
    char deep[200];
    for (int n = 63; n <= 65; n++) {
        memset(deep, '[', (size_t)n);
        memset(deep + n, ']', (size_t)n);
        deep[2 * n] = '\0';
        CHECK(parses(deep) == (n <= 64));
    }
    nrtemu_json_doc *d;
    char err[256];
    const char *s = "{\"n\": -9223372036854775808, \"m\": 9223372036854775808, \"f\": 2.0, "
                    "\"s\": \"a\\\"b\", \"arr\": [10, 20, 30]}";
    CHECK(nrtemu_json_parse(s, strlen(s), &d, err, sizeof err) == 0);
    const nrtemu_json *r = nrtemu_json_root(d), *v;
    int64_t i64;
    CHECK(nrtemu_json_get(r, "n", &v) == 0 && nrtemu_json_int(v, &i64) && i64 == INT64_MIN);
    CHECK(nrtemu_json_get(r, "m", &v) == 0 && !nrtemu_json_int(v, &i64)); /* above int64 */
    CHECK(nrtemu_json_get(r, "f", &v) == 0 && !nrtemu_json_int(v, &i64)); /* not an integer */
    CHECK(nrtemu_json_get(r, "s", &v) == 0 && strcmp(nrtemu_json_str(v), "a\"b") == 0);
    CHECK(nrtemu_json_get(r, "arr", &v) == 0 && v->count == 3);
    CHECK(nrtemu_json_int(nrtemu_json_at(v, 2), &i64) && i64 == 30);
    CHECK(nrtemu_json_at(v, 3) == NULL);
    CHECK(nrtemu_json_get(r, "missing", &v) == 1);
    CHECK(nrtemu_json_get(v, "x", &v) == 1); /* not an object */
    nrtemu_json_free(d);
    CHECK(nrtemu_json_parse("{\"a\" 1}", 7, &d, err, sizeof err) != 0 && d == NULL);
    CHECK(strstr(err, "expected ':' at byte 5") != NULL);
}

/* ------------------------------------------------------------------------------ compiled */

typedef struct {
    uint8_t *p;
    size_t len;
} tarbuf;

static void tar_add(tarbuf *t, const char *name, const char *data) {
    size_t n = strlen(data), blocks = 1 + (n + 511) / 512;
    t->p = realloc(t->p, t->len + blocks * 512 + 1024);
    uint8_t *h = t->p + t->len;
    memset(h, 0, blocks * 512);
    memcpy(h, name, strlen(name));
    memcpy(h + 100, "0000644", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)n);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    memcpy(h + 512, data, n);
    t->len += blocks * 512;
}

static const char NEFF_JSON[] =
    "{\"nodes\":[{\"op\":\"null\",\"name\":\"x\"},{\"op\":\"null\",\"name\":\"y\"},"
    "{\"op\":\"tvm_op\",\"name\":\"k\",\"attrs\":{\"kelf\":\"kelf-0.json\"},"
    "\"output_names\":[\"output0\",\"output0\"]}],"
    "\"arg_nodes\":[0,1],\"heads\":[[2,0,0],[2,1,0]],\"node_row_ptr\":[0,1,2,4],"
    "\"attrs\":{\"shape\":[\"list_shape\",[[4,8],[8,2],[4,2],[4,2]]],"
    "\"dltype\":[\"list_str\",[\"float16\",\"bfloat16\",\"float32\",\"float32\"]]}}";
static const char KELF[] = "{\"graphs\":[{\"definition\":\"sg00/def.json\",\"name\":\"sg00\"},"
                           "{\"definition\":\"sg01/def.json\",\"name\":\"sg01\"}]}";
static const char DEF[] = "{\"var\":{\"x\":{\"type\":\"input\",\"size\":64},"
                          "\"output0\":{\"type\":\"output\",\"size\":32},\"SB\":{\"type\":\"state-buffer\"}}}";

static int compile_tar(const char *neff_json, const char *kelf, const char *def1, const char *tmap,
                       nrtemu_compiled **c, char *err) {
    tarbuf t = {0};
    if (neff_json) tar_add(&t, "neff.json", neff_json);
    if (kelf) tar_add(&t, "kelf-0.json", kelf);
    tar_add(&t, "sg00/def.json", DEF);
    if (def1) tar_add(&t, "sg01/def.json", def1);
    if (tmap) tar_add(&t, "sg00/tensor_map.json", tmap);
    memset(t.p + t.len, 0, 1024);
    int rc = nrtemu_compiled_parse(t.p, t.len + 1024, c, err, 256);
    free(t.p);
    return rc;
}

static void test_compiled(void) {
    nrtemu_compiled *c;
    char err[256];
    CHECK(compile_tar(NEFF_JSON, KELF, DEF, NULL, &c, err) == 0);
    CHECK(nrtemu_compiled_io_count(c) == 3 && nrtemu_compiled_input_count(c) == 2);
    CHECK(nrtemu_compiled_subgraph_count(c) == 2);
    const nrtemu_io_desc *x = nrtemu_compiled_io(c, 0), *y = nrtemu_compiled_io(c, 1),
                         *o = nrtemu_compiled_io(c, 2);
    CHECK(strcmp(x->name, "x") == 0 && x->dtype == 0x7 && x->ndim == 2 && x->dims[1] == 8 &&
          x->size_bytes == 64 && x->usage == 0);
    CHECK(strcmp(y->name, "y") == 0 && y->dtype == 0x6 && y->size_bytes == 32);
    CHECK(strcmp(o->name, "output0") == 0 && o->dtype == 0xA && o->usage == 1 && o->size_bytes == 32);
    CHECK(nrtemu_compiled_io(c, 3) == NULL);
    nrtemu_compiled_free(c);
    /* no neff.json: not a compiler NEFF */
    CHECK(compile_tar(NULL, KELF, DEF, NULL, &c, err) == 1 && c == NULL);
    /* malformed variants name the member */
    CHECK(compile_tar(NEFF_JSON, NULL, DEF, NULL, &c, err) < 0 && strstr(err, "kelf-0.json") != NULL);
    CHECK(compile_tar(NEFF_JSON, KELF, NULL, NULL, &c, err) < 0 && strstr(err, "sg01/def.json (named by the kelf file) is missing") != NULL);
    CHECK(compile_tar(NEFF_JSON, KELF, "{\"var\":{\"x\":{\"type\":\"input\",\"size\":65}}}", NULL,
                      &c, err) < 0 && strstr(err, "sg01/def.json: var 'x' has size 65 bytes") != NULL);
    CHECK(compile_tar(NEFF_JSON, KELF, "{\"var\":{\"x\":{\"type\":\"output\",\"size\":64}}}", NULL,
                      &c, err) < 0 && strstr(err, "neff.json makes it an input") != NULL);
    /* a var without "size" (or "type") in def.json: refused, never read from a stale pointer
       (found by fuzz/emu_compiled.c) */
    CHECK(compile_tar(NEFF_JSON, KELF, "{\"var\":{\"x\":{\"type\":\"input\"}}}", NULL, &c,
                      err) < 0 && strstr(err, "var 'x' has size -1 bytes") != NULL);
    CHECK(compile_tar(NEFF_JSON, KELF, "{\"var\":{\"x\":{\"size\":64}}}", NULL, &c, err) == 0);
    nrtemu_compiled_free(c);
    CHECK(compile_tar("{\"nodes\":", KELF, DEF, NULL, &c, err) < 0 && strncmp(err, "neff.json: json:", 16) == 0);
    CHECK(compile_tar("[]", KELF, DEF, NULL, &c, err) < 0 && strstr(err, "not a JSON object") != NULL);
    /* an unknown dtype, a zero dimension and a huge shape */
    char j[1024];
    const char *subs[][2] = {{"\"bfloat16\"", "\"complex64\""}, {"[8,2]", "[8,0]"},
                             {"[8,2]", "[4294967295,4294967295]"}};
    const char *why[] = {"dtype 'complex64'", "dimension 1 of tensor 'y'", "16 GiB"};
    for (int i = 0; i < 3; i++) {
        const char *at = strstr(NEFF_JSON, subs[i][0]);
        size_t pre = (size_t)(at - NEFF_JSON);
        snprintf(j, sizeof j, "%.*s%s%s", (int)pre, NEFF_JSON, subs[i][1], at + strlen(subs[i][0]));
        CHECK(compile_tar(j, KELF, DEF, NULL, &c, err) < 0 && strstr(err, why[i]) != NULL);
    }
    /* fallback: no attrs -> tensor_map.json beside the first definition */
    const char *noattrs =
        "{\"nodes\":[{\"op\":\"null\",\"name\":\"x\"},{\"op\":\"tvm_op\",\"name\":\"k\","
        "\"attrs\":{\"kelf\":\"kelf-0.json\"},\"output_names\":[\"output0\"]}],"
        "\"arg_nodes\":[0],\"heads\":[[1,0,0]],\"node_row_ptr\":[0,1,2]}";
    const char *tmap = "{\"x\":{\"dtype\":\"float16\",\"tf_shape\":[4,8]},"
                       "\"output0\":{\"dtype\":\"int64\",\"tf_shape\":[4]}}";
    CHECK(compile_tar(noattrs, KELF, DEF, tmap, &c, err) == 0);
    CHECK(nrtemu_compiled_io_count(c) == 2 && nrtemu_compiled_io(c, 1)->dtype == 0xC &&
          nrtemu_compiled_io(c, 1)->size_bytes == 32);
    nrtemu_compiled_free(c);
    CHECK(compile_tar(noattrs, KELF, DEF, NULL, &c, err) < 0 && strstr(err, "no shape for tensor 'x'") != NULL);
    /* gzip payload helper: trailing zeros allowed, anything else not */
    uint8_t pad[sizeof GZ_FIXED + 16];
    memcpy(pad, GZ_FIXED, sizeof GZ_FIXED);
    memset(pad + sizeof GZ_FIXED, 0, 16);
    uint8_t *tar;
    size_t tl;
    CHECK(nrtemu_compiled_gunzip(pad, sizeof pad, 1 << 20, &tar, &tl, err, sizeof err) == 0);
    free(tar);
    pad[sizeof pad - 1] = 1;
    CHECK(nrtemu_compiled_gunzip(pad, sizeof pad, 1 << 20, &tar, &tl, err, sizeof err) < 0);
    CHECK(strstr(err, "non-zero byte") != NULL);
    CHECK(nrtemu_compiled_dtype("float16") == 0x7 && nrtemu_compiled_dtype("fp8") == 0);
}

int main(void) {
    test_inflate();
    test_json();
    test_compiled();
    printf("parsers_test: %d checks, %d failed\n", g_checks, g_failed);
    return g_failed != 0;
}
