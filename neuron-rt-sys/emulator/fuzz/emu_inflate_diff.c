/* libFuzzer harness: differential test of the table-driven gzip/DEFLATE decoder (src/inflate.c)
 * against the bit-serial reference it replaced (fuzz/reference/inflate_bitserial.c).
 *
 * Every input is decoded as a gzip member and as a raw DEFLATE stream by both, with an output
 * limit taken from the first byte (so the limit path is exercised at many sizes); both must
 * agree on success, output bytes, consumed length and, on failure, the error message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "inflate.h"
#include "reference/inflate_bitserial.c"

typedef int (*decoder)(const uint8_t *, size_t, size_t, uint8_t **, size_t *, size_t *, char *,
                       size_t);

static void agree(decoder fast, decoder ref, const uint8_t *data, size_t size, size_t limit) {
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0, ua = 0, ub = 0;
    char ea[256] = "", eb[256] = "";
    int ra = fast(data, size, limit, &a, &na, &ua, ea, sizeof ea);
    int rb = ref(data, size, limit, &b, &nb, &ub, eb, sizeof eb);
    if (ra != rb) abort();
    if (ra == 0 && (na != nb || ua != ub || memcmp(a, b, na) != 0)) abort();
    if (ra != 0 && (a != NULL || strcmp(ea, eb) != 0)) abort();
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t limit = size == 0 ? 1 : (size_t)1 << (data[0] % 21); /* 1 B .. 1 MiB */
    agree(nrtemu_gunzip, ref_gunzip, data, size, limit);
    agree(nrtemu_inflate_raw, ref_inflate_raw, data, size, (size_t)1 << 20);
    if (size > 1) agree(nrtemu_inflate_raw, ref_inflate_raw, data + 1, size - 1, limit);
    return 0;
}
