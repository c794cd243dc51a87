/* inflate_bitserial.c: the emulator's first gzip/DEFLATE decoder, kept as the reference for the
 * emu_inflate_diff fuzz harness (which #includes this file). It decodes one bit at a time with
 * the canonical walk of RFC 1951 §3.2.2 -- slow but easy to check by eye -- and src/inflate.c
 * (table-driven) must agree with it on every input: same success or failure, same output, same
 * consumed length, same error message. Everything here is static, prefixed ref_. */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

#define MAXBITS 15
#define MAX_LITLEN 288 /* 286 usable + 2 that may appear in fixed tables but never in data */
#define MAX_DIST 32    /* 30 usable */

typedef struct {
    const uint8_t *in;
    size_t len, pos; /* next byte */
    uint32_t bitbuf; /* pending bits, LSB first */
    int bitcnt;
    uint8_t *out;
    size_t out_len, out_cap, max_out;
    char *err;
    size_t err_len;
} state;

/* Canonical Huffman code: count[l] codes of length l, symbols ordered by (length, value). */
typedef struct {
    uint16_t count[MAXBITS + 1];
    uint16_t symbol[MAX_LITLEN];
} huffman;

static int bits(state *s, int need, uint32_t *v) {
    while (s->bitcnt < need) {
        if (s->pos >= s->len) {
            nrtemu_set_err(s->err, s->err_len, "deflate: input ends inside the compressed data");
            return -1;
        }
        s->bitbuf |= (uint32_t)s->in[s->pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    *v = s->bitbuf & ((1u << need) - 1u);
    s->bitbuf >>= need;
    s->bitcnt -= need;
    return 0;
}

static int reserve(state *s, size_t n) {
    if (n > s->max_out - s->out_len) {
        nrtemu_set_err(s->err, s->err_len,
                       "deflate: decompressed data exceeds the limit of %zu bytes", s->max_out);
        return -1;
    }
    size_t need = s->out_len + n;
    if (need <= s->out_cap) return 0;
    size_t cap = s->out_cap ? s->out_cap : 4096;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > s->max_out) cap = s->max_out;
    uint8_t *p = realloc(s->out, cap);
    if (p == NULL) {
        nrtemu_set_err(s->err, s->err_len, "deflate: out of memory growing the output to %zu bytes",
                       cap);
        return -1;
    }
    s->out = p;
    s->out_cap = cap;
    return 0;
}

/* Builds a code from n lengths. Returns 0 for a complete code, 1 for an incomplete one, -1 when
   over-subscribed. */
static int build(huffman *h, const uint8_t *lengths, int n) {
    memset(h->count, 0, sizeof h->count);
    for (int i = 0; i < n; i++) h->count[lengths[i]]++;
    int left = 1;
    for (int l = 1; l <= MAXBITS; l++) {
        left = left * 2 - h->count[l];
        if (left < 0) return -1;
    }
    uint16_t offs[MAXBITS + 2];
    offs[1] = 0;
    for (int l = 1; l <= MAXBITS; l++) offs[l + 1] = (uint16_t)(offs[l] + h->count[l]);
    for (int i = 0; i < n; i++)
        if (lengths[i] != 0) h->symbol[offs[lengths[i]]++] = (uint16_t)i;
    return left > 0;
}

/* Reads one symbol: codes of each length are consecutive integers, so walk lengths 1..15 keeping
   the first code and the first symbol index of the current length. */
static int decode(state *s, const huffman *h, int *sym) {
    int code = 0, first = 0, index = 0;
    for (int l = 1; l <= MAXBITS; l++) {
        uint32_t b;
        if (bits(s, 1, &b) != 0) return -1;
        code |= (int)b;
        int count = h->count[l];
        if (code - first < count) {
            *sym = h->symbol[index + (code - first)];
            return 0;
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    nrtemu_set_err(s->err, s->err_len, "deflate: invalid Huffman code in the data");
    return -1;
}

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static int codes(state *s, const huffman *lit, const huffman *dist) {
    for (;;) {
        int sym;
        if (decode(s, lit, &sym) != 0) return -1;
        if (sym < 256) {
            if (reserve(s, 1) != 0) return -1;
            s->out[s->out_len++] = (uint8_t)sym;
        } else if (sym == 256) {
            return 0;
        } else {
            sym -= 257;
            if (sym >= 29) {
                nrtemu_set_err(s->err, s->err_len, "deflate: invalid length symbol %d", sym + 257);
                return -1;
            }
            uint32_t e;
            if (bits(s, len_extra[sym], &e) != 0) return -1;
            size_t n = len_base[sym] + e;
            int dsym;
            if (decode(s, dist, &dsym) != 0) return -1;
            if (dsym >= 30) {
                nrtemu_set_err(s->err, s->err_len, "deflate: invalid distance symbol %d", dsym);
                return -1;
            }
            if (bits(s, dist_extra[dsym], &e) != 0) return -1;
            size_t d = dist_base[dsym] + e;
            if (d > s->out_len) {
                nrtemu_set_err(s->err, s->err_len,
                               "deflate: back-reference distance %zu is before the start of the "
                               "data (%zu bytes written)", d, s->out_len);
                return -1;
            }
            if (reserve(s, n) != 0) return -1;
            /* byte by byte: the source may overlap the bytes being written (d < n) */
            for (size_t i = 0; i < n; i++, s->out_len++) s->out[s->out_len] = s->out[s->out_len - d];
        }
    }
}

static int stored(state *s) {
    s->bitbuf = 0; /* discard the rest of the current byte */
    s->bitcnt = 0;
    if (s->len - s->pos < 4) {
        nrtemu_set_err(s->err, s->err_len, "deflate: input ends inside a stored block header");
        return -1;
    }
    unsigned n = s->in[s->pos] | (unsigned)s->in[s->pos + 1] << 8;
    unsigned nn = s->in[s->pos + 2] | (unsigned)s->in[s->pos + 3] << 8;
    s->pos += 4;
    if (n != (~nn & 0xffffu)) {
        nrtemu_set_err(s->err, s->err_len, "deflate: stored block length %u does not match its "
                                           "complement %u", n, nn);
        return -1;
    }
    if (s->len - s->pos < n) {
        nrtemu_set_err(s->err, s->err_len, "deflate: input ends inside a stored block");
        return -1;
    }
    if (reserve(s, n) != 0) return -1;
    if (n) memcpy(s->out + s->out_len, s->in + s->pos, n);
    s->out_len += n;
    s->pos += n;
    return 0;
}

static int fixed(state *s) {
    huffman lit, dist;
    uint8_t l[MAX_LITLEN];
    int i = 0;
    for (; i < 144; i++) l[i] = 8;
    for (; i < 256; i++) l[i] = 9;
    for (; i < 280; i++) l[i] = 7;
    for (; i < 288; i++) l[i] = 8;
    build(&lit, l, 288);
    for (i = 0; i < 30; i++) l[i] = 5;
    build(&dist, l, 30);
    return codes(s, &lit, &dist);
}

static int dynamic(state *s) {
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    uint32_t hlit, hdist, hclen;
    if (bits(s, 5, &hlit) || bits(s, 5, &hdist) || bits(s, 4, &hclen)) return -1;
    hlit += 257;
    hdist += 1;
    hclen += 4;
    if (hlit > 286 || hdist > 30) {
        nrtemu_set_err(s->err, s->err_len, "deflate: dynamic block declares %u literal/length and "
                                           "%u distance codes (at most 286 and 30)", hlit, hdist);
        return -1;
    }
    uint8_t l[MAX_LITLEN + MAX_DIST];
    memset(l, 0, sizeof l);
    for (uint32_t i = 0; i < hclen; i++) {
        uint32_t v;
        if (bits(s, 3, &v) != 0) return -1;
        l[order[i]] = (uint8_t)v;
    }
    huffman lencode, lit, dist;
    if (build(&lencode, l, 19) != 0) {
        nrtemu_set_err(s->err, s->err_len, "deflate: the code-length code is incomplete or "
                                           "over-subscribed");
        return -1;
    }
    uint32_t n = 0, total = hlit + hdist;
    while (n < total) {
        int sym;
        if (decode(s, &lencode, &sym) != 0) return -1;
        if (sym < 16) {
            l[n++] = (uint8_t)sym;
            continue;
        }
        uint8_t val = 0;
        uint32_t rep;
        if (sym == 16) {
            if (n == 0) {
                nrtemu_set_err(s->err, s->err_len, "deflate: code length repeat with no previous "
                                                   "length");
                return -1;
            }
            val = l[n - 1];
            if (bits(s, 2, &rep) != 0) return -1;
            rep += 3;
        } else if (sym == 17) {
            if (bits(s, 3, &rep) != 0) return -1;
            rep += 3;
        } else {
            if (bits(s, 7, &rep) != 0) return -1;
            rep += 11;
        }
        if (rep > total - n) {
            nrtemu_set_err(s->err, s->err_len, "deflate: code length repeat runs past the %u "
                                               "declared lengths", total);
            return -1;
        }
        while (rep--) l[n++] = val;
    }
    if (l[256] == 0) {
        nrtemu_set_err(s->err, s->err_len, "deflate: dynamic block has no end-of-block code");
        return -1;
    }
    if (build(&lit, l, (int)hlit) != 0) {
        nrtemu_set_err(s->err, s->err_len, "deflate: literal/length code is incomplete or "
                                           "over-subscribed");
        return -1;
    }
    /* RFC 1951 §3.2.7: one distance code of one bit is allowed (an incomplete code) */
    int nd = 0;
    for (uint32_t i = 0; i < hdist; i++) nd += l[hlit + i] != 0;
    int rc = build(&dist, l + hlit, (int)hdist);
    if (rc < 0 || (rc > 0 && nd > 1)) {
        nrtemu_set_err(s->err, s->err_len, "deflate: distance code is incomplete or "
                                           "over-subscribed");
        return -1;
    }
    return codes(s, &lit, &dist);
}

static int ref_inflate_raw(const uint8_t *in, size_t len, size_t max_out, uint8_t **out,
                       size_t *out_len, size_t *consumed, char *err, size_t err_len) {
    state s = {.in = in, .len = len, .max_out = max_out, .err = err, .err_len = err_len};
    *out = NULL;
    *out_len = 0;
    int rc = 0;
    uint32_t last = 0;
    while (rc == 0 && !last) {
        uint32_t type;
        if (bits(&s, 1, &last) != 0 || bits(&s, 2, &type) != 0) {
            rc = -1;
            break;
        }
        switch (type) {
        case 0: rc = stored(&s); break;
        case 1: rc = fixed(&s); break;
        case 2: rc = dynamic(&s); break;
        default:
            nrtemu_set_err(err, err_len, "deflate: invalid block type 3");
            rc = -1;
            break;
        }
    }
    if (rc == 0 && s.out == NULL && (s.out = malloc(1)) == NULL) {
        nrtemu_set_err(err, err_len, "deflate: out of memory");
        rc = -1;
    }
    if (rc != 0) {
        free(s.out);
        return -1;
    }
    *out = s.out;
    *out_len = s.out_len;
    *consumed = s.pos; /* unused bits of the last byte are padding */
    return 0;
}

static uint32_t ref_crc32(uint32_t crc, const uint8_t *data, size_t len) {
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Skips a NUL-terminated header field; false when it runs off the end. */
static bool skip_zstring(const uint8_t *in, size_t len, size_t *pos) {
    const uint8_t *z = *pos < len ? memchr(in + *pos, 0, len - *pos) : NULL;
    if (z == NULL) return false;
    *pos = (size_t)(z - in) + 1;
    return true;
}

static int ref_gunzip(const uint8_t *in, size_t len, size_t max_out, uint8_t **out, size_t *out_len,
                  size_t *consumed, char *err, size_t err_len) {
    enum { FTEXT = 1, FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16 };
    *out = NULL;
    *out_len = 0;
    if (in == NULL || len < 18) {
        nrtemu_set_err(err, err_len, "gzip: %zu bytes is shorter than the smallest gzip member "
                                     "(18 bytes)", in == NULL ? 0 : len);
        return -1;
    }
    if (in[0] != 0x1f || in[1] != 0x8b) {
        nrtemu_set_err(err, err_len, "gzip: bad magic %02x %02x (expected 1f 8b)", in[0], in[1]);
        return -1;
    }
    if (in[2] != 8) {
        nrtemu_set_err(err, err_len, "gzip: compression method %u is not deflate (8)", in[2]);
        return -1;
    }
    uint8_t flg = in[3];
    if (flg & 0xe0) {
        nrtemu_set_err(err, err_len, "gzip: reserved flag bits set (FLG 0x%02x)", flg);
        return -1;
    }
    size_t pos = 10;
    if (flg & FEXTRA) {
        if (len - pos < 2 || (size_t)(in[pos] | in[pos + 1] << 8) > len - pos - 2) {
            nrtemu_set_err(err, err_len, "gzip: FEXTRA field runs past the end of the data");
            return -1;
        }
        pos += 2 + (size_t)(in[pos] | in[pos + 1] << 8);
    }
    if ((flg & FNAME) && !skip_zstring(in, len, &pos)) {
        nrtemu_set_err(err, err_len, "gzip: FNAME field is not NUL-terminated");
        return -1;
    }
    if ((flg & FCOMMENT) && !skip_zstring(in, len, &pos)) {
        nrtemu_set_err(err, err_len, "gzip: FCOMMENT field is not NUL-terminated");
        return -1;
    }
    if (flg & FHCRC) {
        if (len - pos < 2) {
            nrtemu_set_err(err, err_len, "gzip: header CRC runs past the end of the data");
            return -1;
        }
        uint32_t want = in[pos] | (uint32_t)in[pos + 1] << 8;
        if ((ref_crc32(0, in, pos) & 0xffffu) != want) {
            nrtemu_set_err(err, err_len, "gzip: header CRC mismatch");
            return -1;
        }
        pos += 2;
    }
    size_t used = 0;
    if (ref_inflate_raw(in + pos, len - pos, max_out, out, out_len, &used, err, err_len) != 0)
        return -1;
    pos += used;
    if (len - pos < 8) {
        nrtemu_set_err(err, err_len, "gzip: input ends before the CRC-32/ISIZE trailer");
    } else if (rd32(in + pos) != ref_crc32(0, *out, *out_len)) {
        nrtemu_set_err(err, err_len, "gzip: CRC-32 of the decompressed data does not match the "
                                     "trailer");
    } else if (rd32(in + pos + 4) != (uint32_t)*out_len) {
        nrtemu_set_err(err, err_len, "gzip: ISIZE %u does not match the decompressed size %zu",
                       rd32(in + pos + 4), *out_len);
    } else {
        *consumed = pos + 8;
        return 0;
    }
    free(*out);
    *out = NULL;
    *out_len = 0;
    return -1;
}
