/* instance.c: the instance presets the emulator can pretend to be (hardware-and-env.md §1-2).
 * Cores per chip are physical; logical cores per chip = physical / LNC (LNC > 1 only on trn2). */
#include "emu.h"

#include <stdio.h>
#include <string.h>

#define GiB ((uint64_t)1 << 30)

static const nrtemu_instance presets[] = {
    /* name            family               size                      chips cores mem      arch          lnc conf */
    {"inf1.xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_1XL, 1, 4, 8 * GiB, "inferentia", 1, false},
    {"inf1.2xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_2XL, 1, 4, 8 * GiB, "inferentia", 1, false},
    {"inf1.6xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_6XL, 4, 4, 8 * GiB, "inferentia", 1, false},
    {"inf1.24xlarge", NRT_INSTANCE_INF1, NRT_INSTANCE_SIZE_24XL, 16, 4, 8 * GiB, "inferentia", 1, false},
    {"inf2.xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_1XL, 1, 2, 32 * GiB, "inferentia2", 1, false},
    {"inf2.8xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_8XL, 1, 2, 32 * GiB, "inferentia2", 1, false},
    {"inf2.24xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_24XL, 6, 2, 32 * GiB, "inferentia2", 1, false},
    {"inf2.48xlarge", NRT_INSTANCE_INF2, NRT_INSTANCE_SIZE_48XL, 12, 2, 32 * GiB, "inferentia2", 1, false},
    {"trn1.2xlarge", NRT_INSTANCE_TRN1, NRT_INSTANCE_SIZE_2XL, 1, 2, 32 * GiB, "trainium", 1, false},
    {"trn1.32xlarge", NRT_INSTANCE_TRN1, NRT_INSTANCE_SIZE_32XL, 16, 2, 32 * GiB, "trainium", 1, false},
    {"trn1n.32xlarge", NRT_INSTANCE_TRN1N, NRT_INSTANCE_SIZE_32XL, 16, 2, 32 * GiB, "trainium", 1, false},
    {"trn2.48xlarge", NRT_INSTANCE_TRN2, NRT_INSTANCE_SIZE_48XL, 16, 8, 96 * GiB, "trainium2", 2, true},
    {"trn2u.48xlarge", NRT_INSTANCE_TRN2U, NRT_INSTANCE_SIZE_48XL, 16, 8, 96 * GiB, "trainium2", 2, true},
};

const nrtemu_instance *nrtemu_instance_find(const char *name) {
    if (name == NULL) return NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    return NULL;
}

void nrtemu_instance_names(char *buf, size_t len) {
    size_t used = 0;
    if (len == 0) return;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", presets[i].name);
        if (n < 0 || (size_t)n >= len - used) return;
        used += (size_t)n;
    }
}
