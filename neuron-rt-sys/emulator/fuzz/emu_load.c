/* libFuzzer harness: the emulator's NEFF loader (nrt_load) on arbitrary bytes.
 *
 * Built from the emulator sources with -fsanitize=fuzzer,address,undefined by
 * `make -C neuron-rt-sys/emulator fuzz`; run by .ci/fuzz-smoke (see fuzz/README.md).
 * The runtime is initialised once (inf2.xlarge, quiet logs, cores locked in a private
 * directory); every input is loaded on core 0 and, when accepted, its tensor info is read and
 * the model unloaded, so a leak or a double free in either path is caught. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nrt/nrt.h"
#include "nrt/nrt_experimental.h"
#include "nrt_emu.h"

static char lock_dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void shutdown_runtime(void) {
    nrt_close();
    nftw(lock_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void must(NRT_STATUS st, const char *what) {
    if (st != NRT_SUCCESS) {
        fprintf(stderr, "emu_load harness: %s failed with status %d\n", what, (int)st);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    /* A directory of our own: parallel fuzzing jobs (-jobs/-fork) each own all the cores. */
    snprintf(lock_dir, sizeof lock_dir, "/tmp/nrtemu-fuzz-load-XXXXXX");
    if (mkdtemp(lock_dir) == NULL) {
        perror("emu_load harness: mkdtemp");
        abort();
    }
    must(nrt_emu_set_option("lock_dir", lock_dir), "lock_dir");
    must(nrt_emu_set_option("instance", "inf2.xlarge"), "instance");
    must(nrt_emu_set_option("log_level", "QUIET"), "log_level");
    must(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), "nrt_init");
    atexit(shutdown_runtime);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nrt_model_t *model = NULL;
    if (nrt_load(data, size, 0, -1, &model) != NRT_SUCCESS) {
        if (model != NULL) {
            fprintf(stderr, "emu_load harness: a failed nrt_load returned a model\n");
            abort();
        }
        return 0;
    }
    nrt_tensor_info_array_t *info = NULL;
    if (nrt_get_model_tensor_info(model, &info) == NRT_SUCCESS) {
        nrt_free_model_tensor_info(info);
    }
    uint32_t count = 0;
    (void)nrt_get_model_nc_count(model, &count);
    must(nrt_unload(model), "nrt_unload of a loaded model");
    return 0;
}
