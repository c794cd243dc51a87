/* tensor_set.c: tensor sets: a small array of (name, cached hash, tensor), add-or-replace by name.
 * A set does not own its tensors. Lookups compare the 64-bit FNV-1a hash first, and nrt_execute
 * tries the entry at the model's io position first, so a set built in tensor-info order is found
 * in one probe. A set must not be modified while an nrt_execute is using it. */
#include "emu.h"

#include <stdlib.h>
#include <string.h>

uint64_t nrtemu_hash(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

nrt_tensor_t *nrtemu_set_find(const nrtemu_tensor_set *s, const char *name, size_t len,
                              uint64_t hash, size_t hint) {
    if (hint < s->count) {
        const nrtemu_set_entry *e = &s->e[hint];
        if (e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0) return e->tensor;
    }
    for (size_t i = 0; i < s->count; i++) {
        const nrtemu_set_entry *e = &s->e[i];
        if (e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0) return e->tensor;
    }
    return NULL;
}

static NRT_STATUS check_set(const void *set, const char *fn) {
    const nrtemu_tensor_set *s = set;
    if (s == NULL) {
        LOG_ERROR(fn, "tensor_set is NULL");
        return NRT_INVALID;
    }
    if (s->magic != NRTEMU_SET_MAGIC) {
        LOG_ERROR(fn, "%p is not a live tensor set", set);
        return NRT_INVALID_HANDLE;
    }
    if (s->session != nrtemu_session()) {
        LOG_ERROR(fn, "the tensor set belongs to a runtime session closed by nrt_close");
        return NRT_CLOSED;
    }
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_allocate_tensor_set(nrt_tensor_set_t **result) {
    if (result == NULL) {
        LOG_ERROR("nrt_allocate_tensor_set", "result is NULL");
        return NRT_INVALID;
    }
    nrtemu_tensor_set *s = calloc(1, sizeof *s);
    if (s == NULL) return NRT_RESOURCE;
    s->magic = NRTEMU_SET_MAGIC;
    s->session = nrtemu_session();
    *result = s;
    return NRT_SUCCESS;
}

NRTEMU_API void nrt_destroy_tensor_set(nrt_tensor_set_t **tensor_set) {
    if (tensor_set == NULL || *tensor_set == NULL) return;
    nrtemu_tensor_set *s = *tensor_set;
    *tensor_set = NULL;
    if (s->magic != NRTEMU_SET_MAGIC) {
        LOG_ERROR("nrt_destroy_tensor_set", "%p is not a live tensor set (double free?)", (void *)s);
        return;
    }
    for (size_t i = 0; i < s->count; i++) free(s->e[i].name);
    free(s->e);
    s->magic = 0;
    free(s);
}

NRTEMU_API NRT_STATUS nrt_add_tensor_to_tensor_set(nrt_tensor_set_t *tensor_set,
                                                   const char *tensor_name, nrt_tensor_t *tensor) {
    static const char fn[] = "nrt_add_tensor_to_tensor_set";
    NRT_STATUS st = check_set(tensor_set, fn);
    if (st != NRT_SUCCESS) return st;
    if (tensor_name == NULL || tensor == NULL) {
        LOG_ERROR(fn, "%s is NULL", tensor_name == NULL ? "tensor_name" : "tensor");
        return NRT_INVALID;
    }
    nrtemu_tensor_set *s = tensor_set;
    size_t len = strlen(tensor_name);
    uint64_t h = nrtemu_hash(tensor_name, len);
    for (size_t i = 0; i < s->count; i++) {
        if (s->e[i].hash == h && s->e[i].len == len && memcmp(s->e[i].name, tensor_name, len) == 0) {
            s->e[i].tensor = tensor; /* replace */
            return NRT_SUCCESS;
        }
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        nrtemu_set_entry *e = realloc(s->e, cap * sizeof *e);
        if (e == NULL) return NRT_RESOURCE;
        s->e = e;
        s->cap = cap;
    }
    char *name = malloc(len + 1);
    if (name == NULL) return NRT_RESOURCE;
    memcpy(name, tensor_name, len + 1);
    s->e[s->count++] = (nrtemu_set_entry){name, len, h, tensor};
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_get_tensor_from_tensor_set(nrt_tensor_set_t *tensor_set,
                                                     const char *tensor_name,
                                                     nrt_tensor_t **tensor) {
    static const char fn[] = "nrt_get_tensor_from_tensor_set";
    NRT_STATUS st = check_set(tensor_set, fn);
    if (st != NRT_SUCCESS) return st;
    if (tensor_name == NULL || tensor == NULL) {
        LOG_ERROR(fn, "%s is NULL", tensor_name == NULL ? "tensor_name" : "tensor");
        return NRT_INVALID;
    }
    size_t len = strlen(tensor_name);
    nrt_tensor_t *t = nrtemu_set_find(tensor_set, tensor_name, len, nrtemu_hash(tensor_name, len), 0);
    if (t == NULL) {
        LOG_DEBUG(fn, "tensor '%s' is not in the set", tensor_name);
        return NRT_FAILURE;
    }
    *tensor = t;
    return NRT_SUCCESS;
}
