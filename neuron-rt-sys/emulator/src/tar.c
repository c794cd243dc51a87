/* ustar reader: see FORMAT.md §2 for the exact rules (shared with the Rust TarReader). */
#include "tar.h"

#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BLOCK 512u

/* Parses an octal numeric field: optional leading spaces, octal digits, then NUL/space padding
   to the end of the field. Returns 0 on success. */
static int parse_octal(const uint8_t *f, size_t n, uint64_t *out) {
    size_t i = 0;
    uint64_t v = 0;
    if (n > 0 && (f[0] & 0x80u)) return -1; /* GNU base-256: not supported */
    while (i < n && f[i] == ' ') i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3)) return -1;
        v = (v << 3) | (uint64_t)(f[i] - '0');
    }
    for (; i < n; i++) {
        if (f[i] != ' ' && f[i] != '\0') return -1;
    }
    *out = v;
    return 0;
}

static size_t field_len(const uint8_t *f, size_t n) {
    size_t i = 0;
    while (i < n && f[i] != '\0') i++;
    return i;
}

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return 0;
    return 1;
}

/* Does the header's full name (prefix "/" name for POSIX ustar) equal member? */
static int name_matches(const uint8_t *h, const char *member) {
    size_t name_len = field_len(h, 100);
    size_t prefix_len = 0;
    if (memcmp(h + 257, "ustar\0", 6) == 0) prefix_len = field_len(h + 345, 155);
    size_t mlen = strlen(member);
    if (prefix_len == 0) return mlen == name_len && memcmp(member, h, name_len) == 0;
    return mlen == prefix_len + 1 + name_len && memcmp(member, h + 345, prefix_len) == 0 &&
           member[prefix_len] == '/' && memcmp(member + prefix_len + 1, h, name_len) == 0;
}

int nrtemu_tar_find(const uint8_t *tar, size_t len, const char *member, const uint8_t **data,
                    size_t *size, char *err, size_t err_len) {
    if (err != NULL && err_len > 0) err[0] = '\0';
    if (tar == NULL && len > 0) {
        nrtemu_set_err(err, err_len, "tar archive pointer is NULL");
        return -1;
    }
    if (member == NULL) {
        nrtemu_set_err(err, err_len, "member name is NULL");
        return -1;
    }
    const uint8_t *found = NULL;
    size_t found_size = 0;
    size_t off = 0;
    while (off < len) {
        size_t left = len - off;
        const uint8_t *h = tar + off;
        if (left < BLOCK) {
            if (all_zero(h, left)) break;
            nrtemu_set_err(err, err_len,
                    "tar header at offset %zu is truncated: %zu bytes left, expected 512", off,
                    left);
            return -1;
        }
        if (all_zero(h, BLOCK)) break; /* end-of-archive marker */
        uint64_t stored;
        if (parse_octal(h + 148, 8, &stored) != 0) {
            nrtemu_set_err(err, err_len, "tar header at offset %zu: checksum field is not octal", off);
            return -1;
        }
        uint64_t usum = 0;
        int64_t ssum = 0;
        for (size_t i = 0; i < BLOCK; i++) {
            uint8_t b = (i >= 148 && i < 156) ? (uint8_t)' ' : h[i];
            usum += b;
            ssum += (int8_t)b;
        }
        if (stored != usum && (int64_t)stored != ssum) {
            nrtemu_set_err(err, err_len,
                    "tar header at offset %zu: checksum is %llu, expected %llu (corrupt archive)",
                    off, (unsigned long long)stored, (unsigned long long)usum);
            return -1;
        }
        uint64_t msize;
        if (parse_octal(h + 124, 12, &msize) != 0) {
            nrtemu_set_err(err, err_len, "tar header at offset %zu: size field is not octal", off);
            return -1;
        }
        size_t data_left = left - BLOCK;
        if (msize > (uint64_t)data_left) {
            nrtemu_set_err(err, err_len,
                    "tar member at offset %zu: data of %llu bytes runs past the end of the "
                    "archive (%zu bytes left)",
                    off, (unsigned long long)msize, data_left);
            return -1;
        }
        uint8_t type = h[156];
        if ((type == '0' || type == '\0') && name_matches(h, member)) {
            if (found != NULL) {
                nrtemu_set_err(err, err_len, "tar member '%s' appears twice", member);
                return -1;
            }
            found = h + BLOCK;
            found_size = (size_t)msize;
        }
        size_t padded = (size_t)msize;
        if (padded % BLOCK != 0) {
            size_t pad = BLOCK - padded % BLOCK;
            if (pad > data_left - padded) break; /* padding cut off: end of archive */
            padded += pad;
        }
        off += BLOCK + padded;
    }
    if (found == NULL) return 1;
    if (data != NULL) *data = found;
    if (size != NULL) *size = found_size;
    return 0;
}
