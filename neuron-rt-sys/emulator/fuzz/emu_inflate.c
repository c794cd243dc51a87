/* libFuzzer harness: the emulator's gzip/DEFLATE decoder (inflate.c) on arbitrary bytes.
 *
 * Built by `make -C neuron-rt-sys/emulator fuzz`, run by .ci/fuzz-smoke (fuzz/README.md). Every
 * input is decoded as a gzip member and as a raw DEFLATE stream with a 1 MiB output limit; a
 * success must honour the limit and the reported consumption, and the gzip trailer's CRC-32 must
 * match the output (recomputed here). */
#include <stdint.h>
#include <stdlib.h>

#include "inflate.h"

#define LIMIT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *out = NULL;
    size_t n = 0, used = 0;
    char err[256];
    if (nrtemu_gunzip(data, size, LIMIT, &out, &n, &used, err, sizeof err) == 0) {
        if (out == NULL || n > LIMIT || used > size || used < 18) abort();
        uint32_t crc = (uint32_t)data[used - 8] | (uint32_t)data[used - 7] << 8 |
                       (uint32_t)data[used - 6] << 16 | (uint32_t)data[used - 5] << 24;
        if (crc != nrtemu_crc32(0, out, n)) abort();
        free(out);
    } else if (out != NULL) {
        abort(); /* failure leaves no buffer */
    }
    if (nrtemu_inflate_raw(data, size, LIMIT, &out, &n, &used, err, sizeof err) == 0) {
        if (out == NULL || n > LIMIT || used > size) abort();
        free(out);
    }
    return 0;
}
