/* tensor.c: tensors.
 *
 * A tensor is a view (offset, size) of a reference-counted storage block:
 *   DEVICE  zero-filled, charged to the chip of its core (NRT_RESOURCE when the chip is full)
 *   HOST    deprecated, at most 4 MiB, not charged
 *   VIRTUAL host virtual memory (accepted as by runtimes before 2.32), no size cap, not charged
 *   empty   no storage until nrt_tensor_attach_buffer (caller's buffer, never freed)
 *   slice   shares the source's storage; the storage (and its chip memory) lives until the last
 *           tensor using it is freed.
 * Tensors remember the runtime session they were made in: after nrt_close every call that
 * returns a status answers NRT_CLOSED for them, but nrt_tensor_free still frees them. */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *tname(const nrt_tensor_t *t) { return t->name ? t->name : "(unnamed)"; }

static char *dup_name(const char *s) {
    if (s == NULL) return NULL;
    size_t n = strnlen(s, 4096);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void storage_put(nrtemu_storage *st) {
    if (st == NULL || atomic_fetch_sub(&st->refs, 1) != 1) return;
    if (st->charged) nrtemu_mem_uncharge_core(st->chip, st->vnc, st->size, st->session);
    if (st->owned) free(st->data);
    free(st);
}

static nrt_tensor_t *tensor_new(const char *name) {
    nrt_tensor_t *t = calloc(1, sizeof *t);
    if (t == NULL) return NULL;
    t->magic = NRTEMU_TENSOR_MAGIC;
    atomic_init(&t->completions, 0);
    t->placement = -1;
    t->vnc = -1;
    t->session = nrtemu_session();
    if (name != NULL && (t->name = dup_name(name)) == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

/* NULL → NRT_INVALID, foreign pointer → NRT_INVALID_HANDLE, older session → NRT_CLOSED. */
static NRT_STATUS check(const nrt_tensor_t *t, const char *fn, const char *what) {
    if (t == NULL) {
        LOG_ERROR(fn, "%s tensor is NULL", what);
        return NRT_INVALID;
    }
    if (t->magic != NRTEMU_TENSOR_MAGIC) {
        LOG_ERROR(fn, "%s tensor %p is not a live tensor", what, (const void *)t);
        return NRT_INVALID_HANDLE;
    }
    if (t->session != nrtemu_session()) {
        LOG_ERROR(fn, "tensor '%s' belongs to a runtime session closed by nrt_close", tname(t));
        return NRT_CLOSED;
    }
    return NRT_SUCCESS;
}

static NRT_STATUS check_range(const nrt_tensor_t *t, uint64_t offset, size_t size, const char *fn) {
    if (t->st == NULL) {
        LOG_ERROR(fn, "tensor '%s' has no storage (allocate it or attach a buffer)", tname(t));
        return NRT_INVALID;
    }
    if (offset > t->size || size > t->size - offset) {
        LOG_ERROR(fn, "out of bounds on tensor '%s': offset %llu + size %zu exceeds the tensor "
                      "size %zu", tname(t), (unsigned long long)offset, size, t->size);
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_allocate(nrt_tensor_placement_t tensor_placement, int vnc,
                                          size_t size, const char *name, nrt_tensor_t **tensor) {
    static const char fn[] = "nrt_tensor_allocate";
    const char *nm = name ? name : "(unnamed)";
    if (tensor == NULL) {
        LOG_ERROR(fn, "tensor is NULL");
        return NRT_INVALID;
    }
    if (tensor_placement != NRT_TENSOR_PLACEMENT_DEVICE &&
        tensor_placement != NRT_TENSOR_PLACEMENT_HOST &&
        tensor_placement != NRT_TENSOR_PLACEMENT_VIRTUAL) {
        LOG_ERROR(fn, "tensor '%s': unknown placement %d", nm, (int)tensor_placement);
        return NRT_INVALID;
    }
    if (size == 0) {
        LOG_ERROR(fn, "tensor '%s': size is 0", nm);
        return NRT_INVALID;
    }
    nrtemu_storage *st = calloc(1, sizeof *st);
    nrt_tensor_t *t = tensor_new(name);
    if (st == NULL || t == NULL) {
        free(st);
        if (t) free(t->name);
        free(t);
        return NRT_RESOURCE;
    }
    atomic_init(&st->refs, 1);
    st->size = size;
    st->owned = true;
    st->vnc = -1;
    NRT_STATUS s = NRT_SUCCESS;
    if (tensor_placement == NRT_TENSOR_PLACEMENT_DEVICE) {
        pthread_rwlock_rdlock(&nrtemu_rt.lock);
        s = nrtemu_state_status();
        if (s != NRT_SUCCESS) {
            LOG_ERROR(fn, "the runtime is %s: device tensors need nrt_init",
                      s == NRT_CLOSED ? "closed" : "not initialised");
        } else if (vnc < 0 || (uint32_t)vnc >= nrtemu_rt.visible) {
            LOG_ERROR(fn, "tensor '%s': invalid vnc %d for a device tensor: the process has %u "
                          "visible NeuronCores (valid: 0-%u)", nm, vnc, nrtemu_rt.visible,
                      nrtemu_rt.visible - 1);
            s = NRT_INVALID;
        } else {
            st->chip = (nrtemu_rt.first_core + (uint32_t)vnc) / nrtemu_rt.topo.cores_per_chip;
            st->session = t->session = nrtemu_session();
            char what[300];
            snprintf(what, sizeof what, "tensor '%.256s'", nm);
            st->vnc = vnc;
            s = nrtemu_mem_charge_core(st->chip, vnc, size, fn, what);
            st->charged = s == NRT_SUCCESS;
        }
        pthread_rwlock_unlock(&nrtemu_rt.lock);
        t->vnc = vnc;
    } else if (tensor_placement == NRT_TENSOR_PLACEMENT_VIRTUAL) {
        /* The reported version (2.29.40) predates the removal of VIRTUAL in runtime 2.32.31: host
           virtual memory, not DMA-able, so neither charged nor capped at 4 MiB. */
        LOG_WARN(fn, "tensor '%s': NRT_TENSOR_PLACEMENT_VIRTUAL (host virtual memory) is removed "
                     "in runtime 2.32; use NRT_TENSOR_PLACEMENT_DEVICE", nm);
    } else {
        LOG_WARN(fn, "tensor '%s': NRT_TENSOR_PLACEMENT_HOST is deprecated; use "
                     "NRT_TENSOR_PLACEMENT_DEVICE", nm);
        if (size > NRTEMU_HOST_TENSOR_MAX) {
            LOG_ERROR(fn, "tensor '%s': host tensors are limited to %zu bytes, requested %zu", nm,
                      NRTEMU_HOST_TENSOR_MAX, size);
            s = NRT_RESOURCE;
        }
    }
    if (s == NRT_SUCCESS && (st->data = calloc(1, size)) == NULL) {
        LOG_ERROR(fn, "tensor '%s': cannot allocate %zu bytes of host memory backing it", nm, size);
        s = NRT_RESOURCE;
    }
    if (s != NRT_SUCCESS) {
        storage_put(st);
        free(t->name);
        free(t);
        return s;
    }
    t->placement = (int)tensor_placement;
    t->st = st;
    t->size = size;
    *tensor = t;
    return NRT_SUCCESS;
}

NRTEMU_API void nrt_tensor_free(nrt_tensor_t **tensor) {
    if (tensor == NULL || *tensor == NULL) return;
    nrt_tensor_t *t = *tensor;
    *tensor = NULL;
    if (t->magic != NRTEMU_TENSOR_MAGIC) {
        LOG_ERROR("nrt_tensor_free", "tensor %p is not a live tensor (double free?)", (void *)t);
        return;
    }
    t->magic = 0;
    storage_put(t->st);
    free(t->name);
    free(t);
}

NRTEMU_API NRT_STATUS nrt_tensor_read(const nrt_tensor_t *tensor, void *buf, size_t offset,
                                      size_t size) {
    static const char fn[] = "nrt_tensor_read";
    NRT_STATUS s = check(tensor, fn, "source");
    if (s == NRT_SUCCESS) s = check_range(tensor, offset, size, fn);
    if (s != NRT_SUCCESS) return s;
    if (buf == NULL && size > 0) {
        LOG_ERROR(fn, "buf is NULL");
        return NRT_INVALID;
    }
    if (size) memcpy(buf, nrtemu_tensor_data(tensor) + offset, size);
    if (tensor->placement == NRT_TENSOR_PLACEMENT_DEVICE)
        nrtemu_copy_sync(tensor->vnc, NRTA_XU_TENSOR_READ, size); /* host_bandwidth */
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_write(nrt_tensor_t *tensor, const void *buf, size_t offset,
                                       size_t size) {
    static const char fn[] = "nrt_tensor_write";
    NRT_STATUS s = check(tensor, fn, "destination");
    if (s == NRT_SUCCESS) s = check_range(tensor, offset, size, fn);
    if (s != NRT_SUCCESS) return s;
    if (buf == NULL && size > 0) {
        LOG_ERROR(fn, "buf is NULL");
        return NRT_INVALID;
    }
    if (size) memmove(nrtemu_tensor_data(tensor) + offset, buf, size);
    if (tensor->placement == NRT_TENSOR_PLACEMENT_DEVICE)
        nrtemu_copy_sync(tensor->vnc, NRTA_XU_TENSOR_WRITE, size); /* host_bandwidth */
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_copy(const nrt_tensor_t *src, size_t src_offset, nrt_tensor_t *dst,
                                      size_t dst_offset, size_t size) {
    static const char fn[] = "nrt_tensor_copy";
    NRT_STATUS s = check(src, fn, "source");
    if (s == NRT_SUCCESS) s = check(dst, fn, "destination");
    if (s == NRT_SUCCESS) s = check_range(src, src_offset, size, fn);
    if (s == NRT_SUCCESS) s = check_range(dst, dst_offset, size, fn);
    if (s != NRT_SUCCESS) return s;
    if (src->placement == NRT_TENSOR_PLACEMENT_DEVICE &&
        dst->placement == NRT_TENSOR_PLACEMENT_DEVICE && src->vnc != dst->vnc) {
        LOG_ERROR(fn, "cannot copy between device tensors on different NeuronCores ('%s' on vnc "
                      "%d, '%s' on vnc %d): copy through a host buffer", tname(src), src->vnc,
                  tname(dst), dst->vnc);
        return NRT_INVALID;
    }
    if (size) memmove(nrtemu_tensor_data(dst) + dst_offset, nrtemu_tensor_data(src) + src_offset, size);
    return NRT_SUCCESS;
}

NRTEMU_API size_t nrt_tensor_get_size(const nrt_tensor_t *tensor) {
    if (tensor == NULL || tensor->magic != NRTEMU_TENSOR_MAGIC) return 0;
    return tensor->size;
}

NRTEMU_API NRT_STATUS nrt_tensor_memset(nrt_tensor_t *tensor, uint64_t offset, int value,
                                        size_t size) {
    static const char fn[] = "nrt_tensor_memset";
    NRT_STATUS s = check(tensor, fn, "destination");
    if (s == NRT_SUCCESS) s = check_range(tensor, offset, size, fn);
    if (s != NRT_SUCCESS) return s;
    if (size) memset(nrtemu_tensor_data(tensor) + offset, (unsigned char)value, size);
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_allocate_empty(const char *name, nrt_tensor_t **tensor) {
    if (tensor == NULL) {
        LOG_ERROR("nrt_tensor_allocate_empty", "tensor is NULL");
        return NRT_INVALID;
    }
    nrt_tensor_t *t = tensor_new(name);
    if (t == NULL) return NRT_RESOURCE;
    *tensor = t;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_attach_buffer(nrt_tensor_t *tensor, void *buffer, size_t size) {
    static const char fn[] = "nrt_tensor_attach_buffer";
    NRT_STATUS s = check(tensor, fn, "target");
    if (s != NRT_SUCCESS) return s;
    if (buffer == NULL || size == 0) {
        LOG_ERROR(fn, "tensor '%s': %s", tname(tensor), buffer == NULL ? "buffer is NULL" : "size is 0");
        return NRT_INVALID;
    }
    nrtemu_storage *st = calloc(1, sizeof *st);
    if (st == NULL) return NRT_RESOURCE;
    atomic_init(&st->refs, 1);
    st->data = buffer;
    st->size = size;
    st->owned = false;
    st->vnc = -1;
    st->session = tensor->session;
    storage_put(tensor->st); /* frees the previous storage if this was its last user */
    tensor->st = st;
    tensor->offset = 0;
    tensor->size = size;
    tensor->placement = -1;
    tensor->vnc = -1;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_tensor_allocate_slice(const nrt_tensor_t *tensor_source, size_t offset,
                                                size_t size, const char *name,
                                                nrt_tensor_t **tensor_slice) {
    static const char fn[] = "nrt_tensor_allocate_slice";
    NRT_STATUS s = check(tensor_source, fn, "source");
    if (s != NRT_SUCCESS) return s;
    if (tensor_slice == NULL) {
        LOG_ERROR(fn, "tensor_slice is NULL");
        return NRT_INVALID;
    }
    if (size == 0) {
        LOG_ERROR(fn, "slice of '%s': size is 0", tname(tensor_source));
        return NRT_INVALID;
    }
    s = check_range(tensor_source, offset, size, fn);
    if (s != NRT_SUCCESS) return s;
    nrt_tensor_t *t = tensor_new(name);
    if (t == NULL) return NRT_RESOURCE;
    t->session = tensor_source->session;
    t->placement = tensor_source->placement;
    t->vnc = tensor_source->vnc;
    t->st = tensor_source->st;
    atomic_fetch_add(&t->st->refs, 1);
    t->offset = tensor_source->offset + offset;
    t->size = size;
    *tensor_slice = t;
    return NRT_SUCCESS;
}

NRTEMU_API void *nrt_tensor_get_va(const nrt_tensor_t *tensor) {
    if (tensor == NULL || tensor->magic != NRTEMU_TENSOR_MAGIC) return NULL;
    return nrtemu_tensor_data(tensor);
}

/* The checks above, for the tensor calls in other files (tensor_batch.c, device_memory.c, ...). */
NRT_STATUS nrtemu_tensor_check(const nrt_tensor_t *t, const char *fn, const char *what) {
    return check(t, fn, what);
}
NRT_STATUS nrtemu_tensor_check_range(const nrt_tensor_t *t, uint64_t offset, size_t size,
                                     const char *fn) {
    return check_range(t, offset, size, fn);
}
