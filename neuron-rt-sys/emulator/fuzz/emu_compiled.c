/* libFuzzer harness: the compiler-NEFF payload reader (compiled.c: tar members, neff.json,
 * kelf, def.json, tensor_map.json) on arbitrary bytes.
 *
 * Built by `make -C neuron-rt-sys/emulator fuzz`, run by .ci/fuzz-smoke (fuzz/README.md). An
 * input starting with the gzip magic goes through the pkg_version 2 path first (one member plus
 * zero padding, 16 MiB limit); the tar is then read. An accepted layout is checked: inputs
 * first, at least one output, unique names, sizes = element size x dims, within 16 GiB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiled.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    uint8_t *inflated = NULL;
    const uint8_t *tar = data;
    size_t len = size;
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        if (nrtemu_compiled_gunzip(data, size, (size_t)16 << 20, &inflated, &len, err, sizeof err))
            return 0;
        tar = inflated;
    }
    nrtemu_compiled *c = NULL;
    int rc = nrtemu_compiled_parse(tar, len, &c, err, sizeof err);
    if (rc == 0) {
        size_t n = nrtemu_compiled_io_count(c), n_in = nrtemu_compiled_input_count(c);
        if (n_in >= n || n > NRTEMU_COMPILED_MAX_TENSORS) abort();
        for (size_t i = 0; i < n; i++) {
            const nrtemu_io_desc *d = nrtemu_compiled_io(c, i);
            if (d->usage != (i < n_in ? 0u : 1u) || d->name[0] == '\0') abort();
            uint64_t bytes = nrtemu_dtype_size(d->dtype);
            if (bytes == 0 || d->ndim > NRTEMU_COMPILED_MAX_NDIM) abort();
            for (uint32_t k = 0; k < d->ndim; k++) bytes *= d->dims[k];
            if (bytes != d->size_bytes || bytes > NRTEMU_MAX_TOTAL_TENSOR_BYTES) abort();
            for (size_t j = 0; j < i; j++)
                if (strcmp(nrtemu_compiled_io(c, j)->name, d->name) == 0) abort();
        }
        nrtemu_compiled_free(c);
    } else if (c != NULL) {
        abort();
    }
    free(inflated);
    return 0;
}
