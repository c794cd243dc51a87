/* libFuzzer harness: the emulator's program parser and CPU interpreter
 * (nrtemu_program_parse + nrtemu_program_run) on arbitrary nrtemu/program.bin bytes.
 *
 * Built with -fsanitize=fuzzer,address,undefined by `make -C neuron-rt-sys/emulator fuzz`.
 * An accepted program is run once on deterministic inputs when its buffers are small enough
 * (a fuzzed matmul could otherwise take seconds, which libFuzzer reports as a timeout, not a
 * bug); buffers are allocated to their exact size so ASan sees any out-of-bounds access. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"

/* Run programs whose io buffers plus scratch total at most this many bytes. */
#define RUN_BYTE_LIMIT ((size_t)256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    nrtemu_program *p = NULL;
    if (nrtemu_program_parse(data, size, &p, err, sizeof err) != 0) {
        if (p != NULL || err[0] == '\0') {
            fprintf(stderr, "emu_program harness: failed parse left %s\n",
                    p != NULL ? "a program" : "no reason");
            abort();
        }
        return 0;
    }
    size_t n = nrtemu_program_io_count(p);
    size_t total = nrtemu_program_scratch_bytes(p);
    for (size_t i = 0; i < n; i++) {
        total += nrtemu_program_io(p, i)->size_bytes;
        if (total > RUN_BYTE_LIMIT) {
            break;
        }
    }
    if (total <= RUN_BYTE_LIMIT) {
        void **io = calloc(n ? n : 1, sizeof *io);
        size_t scratch_len = nrtemu_program_scratch_bytes(p);
        void *scratch = scratch_len ? malloc(scratch_len) : NULL;
        size_t inputs = nrtemu_program_input_count(p);
        for (size_t i = 0; i < n; i++) {
            size_t len = nrtemu_program_io(p, i)->size_bytes;
            uint8_t *b = malloc(len ? len : 1);
            /* Inputs get bytes derived from the data (any bit pattern, NaNs included). */
            for (size_t k = 0; k < len; k++) {
                b[k] = i < inputs && size ? data[(k + i) % size] : 0xA5;
            }
            io[i] = b;
        }
        if (nrtemu_program_run(p, io, scratch, err, sizeof err) != 0 && err[0] == '\0') {
            fprintf(stderr, "emu_program harness: a failed run gave no reason\n");
            abort();
        }
        for (size_t i = 0; i < n; i++) {
            free(io[i]);
        }
        free(io);
        free(scratch);
    }
    nrtemu_program_free(p);
    return 0;
}
