/* reference.c: CPU reference kernels for compiler NEFFs, registered by model name
 * (nrt_emu_set_reference_kernel, nrt_emu.h). The registry only changes while the runtime is not
 * initialised; nrt_load copies the entry into the model, so execution never touches it. */
#include "emu.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *next;
    char name[256];
    nrt_emu_kernel_fn fn;
    void *data;
} entry;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static entry *reg;

NRTEMU_API NRT_STATUS nrt_emu_set_reference_kernel(const char *model_name, nrt_emu_kernel_fn fn,
                                                   void *user_data) {
    static const char fn_name[] = "nrt_emu_set_reference_kernel";
    if (model_name == NULL || model_name[0] == '\0' || strlen(model_name) > 255) {
        LOG_ERROR(fn_name, "model_name must be a NEFF name of 1 to 255 bytes%s",
                  model_name == NULL ? " (got NULL)" : "");
        return NRT_INVALID;
    }
    if (nrtemu_state_status() == NRT_SUCCESS) {
        LOG_ERROR(fn_name, "reference kernels cannot be changed while the runtime is initialised "
                           "(register them before nrt_init, or call nrt_close first)");
        return NRT_FAILURE;
    }
    NRT_STATUS st = NRT_SUCCESS;
    pthread_mutex_lock(&reg_mu);
    entry **pp = &reg;
    while (*pp != NULL && strcmp((*pp)->name, model_name) != 0) pp = &(*pp)->next;
    if (fn == NULL) {
        if (*pp != NULL) {
            entry *e = *pp;
            *pp = e->next;
            free(e);
        }
    } else {
        entry *e = *pp;
        if (e == NULL && (e = calloc(1, sizeof *e)) != NULL) {
            memcpy(e->name, model_name, strlen(model_name) + 1);
            *pp = e;
        }
        if (e == NULL) {
            st = NRT_RESOURCE;
        } else {
            e->fn = fn;
            e->data = user_data;
        }
    }
    pthread_mutex_unlock(&reg_mu);
    return st;
}

bool nrtemu_reference_kernel(const char *model, nrt_emu_kernel_fn *fn, void **data) {
    bool found = false;
    pthread_mutex_lock(&reg_mu);
    for (entry *e = reg; e != NULL; e = e->next) {
        if (strcmp(e->name, model) == 0) {
            *fn = e->fn;
            *data = e->data;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&reg_mu);
    return found;
}
