/* inflate.c: gzip/DEFLATE decoder, see inflate.h. Structure follows RFC 1951 §3.2:
 * a bit reader (LSB first), canonical Huffman tables built from code lengths (§3.2.2), the three
 * block types (§3.2.3-3.2.7) and the length/distance back-references (§3.2.5). */
#include "inflate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

#define MAXBITS 15
#define MAX_LITLEN 288 /* 286 usable + 2 that may appear in fixed tables but never in data */
#define MAX_DIST 32    /* 30 usable */
/* Codes of at most FAST_BITS bits are decoded by one table lookup; longer (rare) codes by the
   canonical walk. 2^11 entries keep the per-block table build small next to the block. The
   parsers test also runs with -DNRTEMU_INFLATE_FAST_BITS=4 so that the walk decodes most
   codes of every test vector. */
#ifdef NRTEMU_INFLATE_FAST_BITS
#define FAST_BITS NRTEMU_INFLATE_FAST_BITS
#else
#define FAST_BITS 11
#endif
#define FAST_MASK ((1u << FAST_BITS) - 1u)

typedef struct {
    const uint8_t *in;
    size_t len, pos; /* next byte not yet in bitbuf */
    uint64_t bitbuf; /* pending bits, LSB first; bits at and above bitcnt are either zero or the
                        input bytes that follow (never anything else) */
    int bitcnt;      /* valid bits in bitbuf, 0..63 */
    uint8_t *out;
    size_t out_len, out_cap, max_out;
    char *err;
    size_t err_len;
} state;

/* Canonical Huffman code: count[l] codes of length l, symbols ordered by (length, value), and
   the lookup table: fast[b] for the next FAST_BITS input bits b is symbol << 4 | length of the
   code those bits start with, or 0 when that code is longer than FAST_BITS or not a code. */
typedef struct {
    uint16_t count[MAXBITS + 1];
    uint16_t symbol[MAX_LITLEN];
    uint16_t fast[1u << FAST_BITS];
} huffman;

static void input_ends(state *s) {
    nrtemu_set_err(s->err, s->err_len, "deflate: input ends inside the compressed data");
}

/* Tops bitbuf up to at least 56 bits, or to the end of the input: a word at a time while 8
   bytes remain, else byte by byte. */
static inline void refill(state *s) {
    if (s->len - s->pos >= 8) {
        const uint8_t *p = s->in + s->pos;
        uint64_t w = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
                     (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
                     (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
        s->bitbuf |= w << s->bitcnt; /* the bits that land above the new bitcnt are the next
                                        input bytes, in place: or-ing them again is harmless */
        int whole = (63 - s->bitcnt) >> 3;
        s->pos += (size_t)whole;
        s->bitcnt += whole * 8;
    } else {
        while (s->bitcnt <= 56 && s->pos < s->len) {
            s->bitbuf |= (uint64_t)s->in[s->pos++] << s->bitcnt;
            s->bitcnt += 8;
        }
    }
}

/* Reads need (0..16) bits. */
static inline int bits(state *s, int need, uint32_t *v) {
    if (s->bitcnt < need) {
        refill(s);
        if (s->bitcnt < need) {
            input_ends(s);
            return -1;
        }
    }
    *v = (uint32_t)(s->bitbuf & ((1u << need) - 1u));
    s->bitbuf >>= need;
    s->bitcnt -= need;
    return 0;
}

static int reserve_slow(state *s, size_t n) {
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

/* Room for n more output bytes; out_cap never exceeds max_out, so the fast test is the limit. */
static inline int reserve(state *s, size_t n) {
    return n <= s->out_cap - s->out_len ? 0 : reserve_slow(s, n);
}

/* Builds a code from n lengths. Returns 0 for a complete code, 1 for an incomplete one, -1 when
   over-subscribed. */
static int build(huffman *h, const uint8_t *lengths, int n) {
    memset(h->count, 0, sizeof h->count);
    for (int i = 0; i < n; i++) h->count[lengths[i]]++;
    h->count[0] = 0;
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
    /* The table: codes of length l are the consecutive integers from first(l) (§3.2.2), sent
       most significant bit first, so the input bits of a code are its bit-reversal; every
       FAST_BITS pattern starting with those l bits maps to the symbol. */
    memset(h->fast, 0, sizeof h->fast);
    unsigned code = 0;
    int index = 0;
    for (int l = 1; l <= FAST_BITS; l++) {
        for (int k = 0; k < h->count[l]; k++, code++, index++) {
            unsigned rev = 0;
            for (int b = 0; b < l; b++) rev |= ((code >> b) & 1u) << (l - 1 - b);
            uint16_t e = (uint16_t)(h->symbol[index] << 4 | l);
            for (unsigned f = rev; f <= FAST_MASK; f += 1u << l) h->fast[f] = e;
        }
        code <<= 1;
    }
    return left > 0;
}

/* The canonical walk for codes longer than FAST_BITS (and for bits that are no code): codes of
   each length are consecutive integers, so walk lengths 1..15 keeping the first code and the
   first symbol index of the current length. Only the bitcnt bits that are input count. */
static int decode_slow(state *s, const huffman *h, int *sym) {
    int code = 0, first = 0, index = 0;
    for (int l = 1; l <= MAXBITS; l++) {
        if (l > s->bitcnt) {
            input_ends(s);
            return -1;
        }
        code |= (int)((s->bitbuf >> (l - 1)) & 1u);
        int count = h->count[l];
        if (code - first < count) {
            *sym = h->symbol[index + (code - first)];
            s->bitbuf >>= l;
            s->bitcnt -= l;
            return 0;
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    nrtemu_set_err(s->err, s->err_len, "deflate: invalid Huffman code in the data");
    return -1;
}

/* Reads one symbol. A table hit whose length exceeds the input bits left means the input ends
   inside that code (the walk would have run out of bits at the same place). */
static inline int decode(state *s, const huffman *h, int *sym) {
    if (s->bitcnt < MAXBITS) refill(s);
    unsigned e = h->fast[s->bitbuf & FAST_MASK];
    int l = (int)(e & 15u);
    if (l == 0) return decode_slow(s, h, sym);
    if (l > s->bitcnt) {
        input_ends(s);
        return -1;
    }
    *sym = (int)(e >> 4);
    s->bitbuf >>= l;
    s->bitcnt -= l;
    return 0;
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
        /* Fast path: up to three literals from one refill, in locals (a byte store through
           s->out could alias *s and force reloads). Anything else takes the general path. */
        if (s->bitcnt < 3 * MAXBITS) refill(s);
        uint64_t bb = s->bitbuf;
        int bc = s->bitcnt;
        uint8_t *o = s->out; /* NULL until the first reserve: room is then 0 */
        size_t at = s->out_len, room = s->out_cap - s->out_len, k = 0;
        while (k < 3 && k < room && bc >= MAXBITS) {
            unsigned e = lit->fast[bb & FAST_MASK];
            if (e == 0 || (e >> 4) >= 256) break;
            o[at + k++] = (uint8_t)(e >> 4);
            bb >>= e & 15u;
            bc -= (int)(e & 15u);
        }
        s->bitbuf = bb;
        s->bitcnt = bc;
        s->out_len += k;
        if (k != 0) continue;
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
            uint8_t *dst = s->out + s->out_len;
            const uint8_t *src = dst - d;
            if (d >= n) {
                memcpy(dst, src, n); /* no overlap */
            } else if (d == 1) {
                memset(dst, src[0], n); /* a run of one byte */
            } else {
                /* byte by byte: the source overlaps the bytes being written */
                for (size_t i = 0; i < n; i++) dst[i] = src[i];
            }
            s->out_len += n;
        }
    }
}

static int stored(state *s) {
    /* discard the rest of the current byte; whole bytes still in bitbuf go back to the input */
    s->pos -= (size_t)(s->bitcnt >> 3);
    s->bitbuf = 0;
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

int nrtemu_inflate_raw(const uint8_t *in, size_t len, size_t max_out, uint8_t **out,
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
    *consumed = s.pos - (size_t)(s.bitcnt >> 3); /* unused bits of the last byte are padding */
    return 0;
}

/* Slicing by 8 (eight bytes per step): t[0] is the byte-at-a-time table of the reflected
   polynomial 0xedb88320, t[k][b] the CRC of byte b followed by k zero bytes. */
uint32_t nrtemu_crc32(uint32_t crc, const uint8_t *data, size_t len) {
    uint32_t t[8][256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    crc = ~crc;
    for (; len >= 8; data += 8, len -= 8) {
        uint32_t lo = crc ^ ((uint32_t)data[0] | (uint32_t)data[1] << 8 |
                             (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24);
        uint32_t hi = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
                      (uint32_t)data[7] << 24;
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
              t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (size_t i = 0; i < len; i++) crc = t[0][(crc ^ data[i]) & 0xff] ^ (crc >> 8);
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

int nrtemu_gunzip(const uint8_t *in, size_t len, size_t max_out, uint8_t **out, size_t *out_len,
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
        if ((nrtemu_crc32(0, in, pos) & 0xffffu) != want) {
            nrtemu_set_err(err, err_len, "gzip: header CRC mismatch");
            return -1;
        }
        pos += 2;
    }
    size_t used = 0;
    if (nrtemu_inflate_raw(in + pos, len - pos, max_out, out, out_len, &used, err, err_len) != 0)
        return -1;
    pos += used;
    if (len - pos < 8) {
        nrtemu_set_err(err, err_len, "gzip: input ends before the CRC-32/ISIZE trailer");
    } else if (rd32(in + pos) != nrtemu_crc32(0, *out, *out_len)) {
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
