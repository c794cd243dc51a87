/* model_info.c: nrt_get_model_info (append-only struct, size in / size out). */
#include "emu.h"

#include <string.h>

NRTEMU_API NRT_STATUS nrt_get_model_info(const nrt_model_t *model, nrt_model_info_t *info,
                                         size_t info_size_in, size_t *info_size_out) {
    static const char fn[] = "nrt_get_model_info";
    NRT_STATUS st;
    struct nrt_model *m = nrtemu_model_get(model, &st, fn);
    if (m == NULL) return st;
    if (info == NULL || info_size_out == NULL) {
        LOG_ERROR(fn, "%s is NULL", info == NULL ? "info" : "info_size_out");
        nrtemu_model_put(m);
        return NRT_INVALID;
    }
    nrt_model_info_t full;
    memset(&full, 0, sizeof full);
    full.vnc = m->first_vnc;
    nrtemu_model_put(m);
    /* a caller built against an older (smaller) struct gets its prefix; a newer one, ours */
    size_t n = info_size_in < sizeof full ? info_size_in : sizeof full;
    memcpy(info, &full, n);
    *info_size_out = n;
    return NRT_SUCCESS;
}
