/* model.c: nrt_load / nrt_load_collectives / nrt_unload, core placement, the model registry and
 * model introspection.
 *
 * Placement (FORMAT.md §1: a model needs k = num_tpb logical cores):
 *   vnc = -1   the first run of k contiguous visible cores with the fewest loaded models (sum over
 *              the run; lowest start wins ties). Several models may share a core.
 *   vnc >= 0   cores vnc .. vnc+k-1 (relative to the visible cores).
 * Model handles live in a registry; a handle that is not in it (NULL, unloaded, never loaded)
 * gives NRT_INVALID_HANDLE. The registry lookup compares pointers only, so a stale handle is
 * never dereferenced. */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiled.h"

void nrtemu_model_ref(struct nrt_model *m) { atomic_fetch_add(&m->refs, 1); }

void nrtemu_model_put(struct nrt_model *m) {
    if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1) return;
    nrtemu_program_free(m->prog);
    nrtemu_compiled_free(m->compiled);
    free(m->io);
    m->magic = 0;
    free(m);
}

const nrtemu_io_desc *nrtemu_model_io(const struct nrt_model *m, size_t i) {
    if (m->prog != NULL) return nrtemu_program_io(m->prog, i);
    if (m->compiled != NULL) return nrtemu_compiled_io(m->compiled, i);
    return NULL;
}

/* with rt.lock held */
static struct nrt_model *registry_find(const void *handle) {
    for (struct nrt_model *m = nrtemu_rt.models; m != NULL; m = m->next)
        if ((const void *)m == handle) return m;
    return NULL;
}

struct nrt_model *nrtemu_model_get(const nrt_model_t *handle, NRT_STATUS *st, const char *fn) {
    pthread_rwlock_rdlock(&nrtemu_rt.lock);
    NRT_STATUS s = nrtemu_state_status();
    struct nrt_model *m = NULL;
    if (s == NRT_SUCCESS) {
        m = handle != NULL ? registry_find(handle) : NULL;
        if (m != NULL)
            nrtemu_model_ref(m);
        else
            s = NRT_INVALID_HANDLE;
    }
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    if (s == NRT_INVALID_HANDLE)
        LOG_ERROR(fn, "invalid model handle %p (NULL, unloaded or never loaded)", (const void *)handle);
    else if (s != NRT_SUCCESS)
        LOG_ERROR(fn, "the runtime is %s", s == NRT_CLOSED ? "closed (nrt_close was called)"
                                                         : "not initialised (call nrt_init first)");
    *st = s;
    return m;
}

/* with rt.lock held for writing: unlink and give back resources */
static void unlink_model(struct nrt_model *m) {
    for (struct nrt_model **pp = &nrtemu_rt.models; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    }
    m->next = NULL;
    for (uint32_t i = 0; i < m->k; i++)
        if (nrtemu_rt.core_models[m->first_vnc + i] > 0) nrtemu_rt.core_models[m->first_vnc + i]--;
    if (m->const_bytes) nrtemu_mem_uncharge_core(m->chip, (int)m->first_vnc, m->const_bytes, m->session);
}

void nrtemu_models_unload_all_locked(void) {
    while (nrtemu_rt.models != NULL) {
        struct nrt_model *m = nrtemu_rt.models;
        LOG_WARN("nrt_close", "model '%s' was still loaded at nrt_close: unloading it", m->name);
        unlink_model(m);
        nrtemu_model_put(m);
    }
}

static NRT_STATUS load_common(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count,
                              nrt_model_t **model, const char *fn) {
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) {
        LOG_ERROR(fn, "the runtime is %s", st == NRT_CLOSED ? "closed" : "not initialised");
        return st;
    }
    if (neff_bytes == NULL || model == NULL) {
        LOG_ERROR(fn, "%s is NULL", neff_bytes == NULL ? "neff_bytes" : "model");
        return NRT_INVALID;
    }
    pthread_rwlock_rdlock(&nrtemu_rt.lock);
    uint32_t lnc = nrtemu_rt.topo.lnc;
    pthread_rwlock_unlock(&nrtemu_rt.lock);

    nrtemu_neff neff;
    st = nrtemu_neff_parse(neff_bytes, size, lnc, nrtemu_env_true("NEURON_RT_VALIDATE_HASH"), &neff,
                           fn);
    if (st != NRT_SUCCESS) return st;

    struct nrt_model *m = calloc(1, sizeof *m);
    if (m == NULL) {
        nrtemu_neff_release(&neff);
        return NRT_RESOURCE;
    }
    m->magic = NRTEMU_MODEL_MAGIC;
    atomic_init(&m->refs, 1);
    atomic_init(&m->prof, NULL);
    memcpy(m->name, neff.name, sizeof m->name);
    m->k = neff.num_tpb;
    if (neff.program != NULL) {
        char err[512];
        if (nrtemu_program_parse(neff.program, neff.program_len, &m->prog, err, sizeof err) != 0) {
            LOG_ERROR(fn, "invalid emulator program in NEFF '%s': %s", m->name, err);
            nrtemu_neff_release(&neff);
            free(m);
            return NRT_INVALID;
        }
        m->n_io = nrtemu_program_io_count(m->prog);
        m->n_in = nrtemu_program_input_count(m->prog);
        m->scratch_bytes = nrtemu_program_scratch_bytes(m->prog);
        m->device_time_ns = nrtemu_program_device_time_ns(m->prog);
        m->const_bytes = nrtemu_program_constant_bytes(m->prog);
    } else if (neff.compiled != NULL) {
        m->compiled = neff.compiled; /* the model takes it */
        neff.compiled = NULL;
        m->n_io = nrtemu_compiled_io_count(m->compiled);
        m->n_in = nrtemu_compiled_input_count(m->compiled);
        st = nrtemu_compiled_exec_config(m->name, &m->device_time_ns, &m->fill, fn);
        if (st != NRT_SUCCESS) {
            nrtemu_neff_release(&neff);
            nrtemu_model_put(m);
            return st;
        }
        if (!nrtemu_reference_kernel(m->name, &m->kernel, &m->kernel_data)) m->kernel = NULL;
    }
    nrtemu_neff_release(&neff);
    if (m->n_io > 0) {
        m->io = calloc(m->n_io, sizeof *m->io);
        if (m->io == NULL) {
            nrtemu_model_put(m);
            return NRT_RESOURCE;
        }
        for (size_t i = 0; i < m->n_io; i++) {
            const nrtemu_io_desc *d = nrtemu_model_io(m, i);
            m->io[i].name = d->name;
            m->io[i].len = strlen(d->name);
            m->io[i].hash = nrtemu_hash(d->name, m->io[i].len);
            m->io[i].size = d->size_bytes;
        }
    }
    nrtemu_exec_timeout_ns(&m->timeout_ns, fn);

    if (vnc_count != -1)
        LOG_WARN(fn, "vnc_count is deprecated: pass -1 (got %d; the model occupies %u cores)",
                 vnc_count, m->k);

    pthread_rwlock_wrlock(&nrtemu_rt.lock);
    st = nrtemu_state_status();
    uint32_t visible = nrtemu_rt.visible, k = m->k;
    if (st != NRT_SUCCESS) {
        LOG_ERROR(fn, "the runtime was closed during the load");
    } else if (vnc < -1 || (vnc >= 0 && (uint32_t)vnc >= visible)) {
        LOG_ERROR(fn, "Could not find VNC id %d (the process has %u visible NeuronCores: valid ids "
                      "are 0-%u, or -1 for automatic placement)", vnc, visible, visible - 1);
        LOG_ERROR(fn, "Failed to load NEFF '%s', err: %d", m->name, (int)NRT_INVALID);
        st = NRT_INVALID;
    } else if (vnc_count != -1 && (vnc_count < 0 || (uint32_t)vnc_count < k)) {
        LOG_ERROR(fn, "NEFF '%s' needs %u NeuronCores but vnc_count is %d", m->name, k, vnc_count);
        st = NRT_LOAD_NOT_ENOUGH_NC;
    } else if (vnc >= 0 && (uint64_t)vnc + k > visible) {
        LOG_ERROR(fn, "not enough NeuronCores for NEFF '%s': it needs %u cores from vnc %d but the "
                      "process has %u visible NeuronCores", m->name, k, vnc, visible);
        st = NRT_LOAD_NOT_ENOUGH_NC;
    } else if (vnc < 0 && k > visible) {
        LOG_ERROR(fn, "not enough NeuronCores for NEFF '%s': it needs %u cores but the process "
                      "has %u visible NeuronCores", m->name, k, visible);
        st = NRT_LOAD_NOT_ENOUGH_NC;
    } else {
        uint32_t start = (uint32_t)vnc;
        if (vnc < 0) {
            uint64_t best = UINT64_MAX;
            for (uint32_t s = 0; s + k <= visible; s++) {
                uint64_t load = 0;
                for (uint32_t i = 0; i < k; i++) load += nrtemu_rt.core_models[s + i];
                if (load < best) {
                    best = load;
                    start = s;
                }
            }
        }
        m->first_vnc = start;
        m->chip = (nrtemu_rt.first_core + start) / nrtemu_rt.topo.cores_per_chip;
        m->session = nrtemu_session();
        char what[300];
        snprintf(what, sizeof what, "the constants of NEFF '%s'", m->name);
        if (m->const_bytes)
            st = nrtemu_mem_charge_core(m->chip, (int)start, m->const_bytes, fn, what);
        if (st == NRT_SUCCESS) {
            for (uint32_t i = 0; i < k; i++) nrtemu_rt.core_models[start + i]++;
            m->next = nrtemu_rt.models;
            nrtemu_rt.models = m;
        }
    }
    uint32_t first_core = nrtemu_rt.first_core;
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    if (st != NRT_SUCCESS) {
        nrtemu_model_put(m);
        return st;
    }
    LOG_INFO(fn, "loaded NEFF '%s' on vnc %u-%u (nc%u-nc%u)%s", m->name, m->first_vnc,
             m->first_vnc + k - 1, first_core + m->first_vnc, first_core + m->first_vnc + k - 1,
             m->prog ? "" : m->compiled ? " (built by the Neuron compiler)"
                                        : " without an emulator program (metadata only)");
    if (m->compiled != NULL)
        LOG_INFO(fn, "NEFF '%s' was built by the Neuron compiler: the emulator does NOT run its "
                     "program. Each execution is timed (device time %llu us, "
                     "NEURON_RT_EMULATOR_DEVICE_TIME_US) and its outputs %s; they are not the "
                     "model's results", m->name, (unsigned long long)(m->device_time_ns / 1000),
                 m->kernel != NULL ? "are computed by the registered CPU reference kernel"
                 : m->fill == NRTEMU_FILL_PATTERN ? "are filled with a byte pattern (i % 251)"
                                                  : "are filled with zeros");
    *model = m;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_load(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count,
                               nrt_model_t **model) {
    return load_common(neff_bytes, size, vnc, vnc_count, model, "nrt_load");
}

NRTEMU_API NRT_STATUS nrt_load_collectives(const void *neff_bytes, size_t size, int32_t vnc,
                                           int32_t vnc_count, uint32_t ctx_device_id,
                                           uint32_t ctx_device_count, nrt_model_t **model) {
    static const char fn[] = "nrt_load_collectives";
    NRT_STATUS st = nrtemu_state_status();
    if (st != NRT_SUCCESS) {
        LOG_ERROR(fn, "the runtime is %s", st == NRT_CLOSED ? "closed" : "not initialised");
        return st;
    }
    const char *root = getenv("NEURON_RT_ROOT_COMM_ID");
    if (root == NULL || root[0] == '\0') {
        LOG_ERROR(fn, "NEURON_RT_ROOT_COMM_ID is required for nrt_load_collectives (ip:port of "
                      "rank 0, e.g. 10.0.1.2:46820)");
        return NRT_INVALID;
    }
    if (ctx_device_count == 0 || ctx_device_id >= ctx_device_count) {
        LOG_ERROR(fn, "invalid rank %u of %u", ctx_device_id, ctx_device_count);
        return NRT_INVALID;
    }
    LOG_INFO(fn, "collectives are not emulated: loading rank %u of %u (root %s) as a plain model",
             ctx_device_id, ctx_device_count, root);
    return load_common(neff_bytes, size, vnc, vnc_count, model, fn);
}

NRTEMU_API NRT_STATUS nrt_unload(nrt_model_t *model) {
    static const char fn[] = "nrt_unload";
    pthread_rwlock_wrlock(&nrtemu_rt.lock);
    NRT_STATUS st = nrtemu_state_status();
    struct nrt_model *m = NULL;
    if (st == NRT_SUCCESS) {
        m = model != NULL ? registry_find(model) : NULL;
        if (m == NULL)
            st = NRT_INVALID_HANDLE;
        else
            unlink_model(m);
    }
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    if (st == NRT_INVALID_HANDLE)
        LOG_ERROR(fn, "invalid model handle %p (NULL, already unloaded or never loaded)",
                  (void *)model);
    else if (st != NRT_SUCCESS)
        LOG_ERROR(fn, "the runtime is %s", st == NRT_CLOSED ? "closed" : "not initialised");
    if (m == NULL) return st;
    LOG_INFO(fn, "unloaded NEFF '%s'", m->name);
    nrtemu_model_put(m); /* the registry's reference; in-flight calls keep theirs */
    return NRT_SUCCESS;
}

static NRT_STATUS model_cores(const nrt_model_t *model, uint32_t *out, const char *fn) {
    NRT_STATUS st;
    struct nrt_model *m = nrtemu_model_get(model, &st, fn);
    if (m == NULL) return st;
    if (out == NULL) {
        LOG_ERROR(fn, "vnc_count is NULL");
        st = NRT_INVALID;
    } else {
        *out = m->k;
    }
    nrtemu_model_put(m);
    return st;
}

NRTEMU_API NRT_STATUS nrt_get_model_nc_count(const nrt_model_t *model, uint32_t *vnc_count) {
    return model_cores(model, vnc_count, "nrt_get_model_nc_count");
}
NRTEMU_API NRT_STATUS nrt_get_model_vnc_count(const nrt_model_t *model, uint32_t *vnc_count) {
    return model_cores(model, vnc_count, "nrt_get_model_vnc_count");
}

NRTEMU_API NRT_STATUS nrt_get_model_instance_count(nrt_model_t *model, uint32_t *instance_count) {
    static const char fn[] = "nrt_get_model_instance_count";
    NRT_STATUS st;
    struct nrt_model *m = nrtemu_model_get(model, &st, fn);
    if (m == NULL) return st;
    if (instance_count == NULL) {
        LOG_ERROR(fn, "instance_count is NULL");
        st = NRT_INVALID;
    } else {
        *instance_count = 1;
    }
    nrtemu_model_put(m);
    return st;
}

NRTEMU_API NRT_STATUS nrt_get_model_tensor_info(nrt_model_t *model,
                                                nrt_tensor_info_array_t **tensor_info) {
    static const char fn[] = "nrt_get_model_tensor_info";
    NRT_STATUS st;
    struct nrt_model *m = nrtemu_model_get(model, &st, fn);
    if (m == NULL) return st;
    if (tensor_info == NULL) {
        LOG_ERROR(fn, "tensor_info is NULL");
        nrtemu_model_put(m);
        return NRT_INVALID;
    }
    size_t n = m->n_io, dims = 0;
    for (size_t i = 0; i < n; i++) dims += nrtemu_model_io(m, i)->ndim;
    size_t bytes = sizeof(nrt_tensor_info_array_t) + n * sizeof(nrt_tensor_info_t) +
                   dims * sizeof(uint32_t);
    nrt_tensor_info_array_t *a = calloc(1, bytes);
    if (a == NULL) {
        nrtemu_model_put(m);
        return NRT_RESOURCE;
    }
    uint32_t *shapes = (uint32_t *)(void *)((char *)a + sizeof(nrt_tensor_info_array_t) +
                                            n * sizeof(nrt_tensor_info_t));
    a->tensor_count = n;
    for (size_t i = 0; i < n; i++) {
        const nrtemu_io_desc *d = nrtemu_model_io(m, i);
        nrt_tensor_info_t *ti = &a->tensor_array[i];
        snprintf(ti->name, sizeof ti->name, "%s", d->name);
        ti->usage = d->usage == 0 ? NRT_TENSOR_USAGE_INPUT : NRT_TENSOR_USAGE_OUTPUT;
        ti->size = d->size_bytes;
        ti->dtype = (nrt_dtype_t)d->dtype;
        ti->ndim = d->ndim;
        ti->shape = shapes;
        for (uint32_t j = 0; j < d->ndim; j++) *shapes++ = d->dims[j];
    }
    nrtemu_model_put(m);
    *tensor_info = a;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_free_model_tensor_info(nrt_tensor_info_array_t *tensor_info) {
    if (tensor_info == NULL) {
        LOG_ERROR("nrt_free_model_tensor_info", "tensor_info is NULL");
        return NRT_INVALID;
    }
    free(tensor_info); /* one allocation: header, entries and shapes */
    return NRT_SUCCESS;
}
