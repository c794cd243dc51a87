/* lifecycle.c: nrt_init / nrt_close, the runtime state machine, core counts, instance info and
 * the per-chip device-memory accounting.
 *
 * States: UNINIT --nrt_init--> INIT --nrt_close--> CLOSED --nrt_init--> INIT (fresh state).
 * nrt_init while INIT succeeds without doing anything. Calls that need the runtime return
 * NRT_UNINITIALIZED before the first nrt_init and NRT_CLOSED after nrt_close. */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

nrtemu_runtime nrtemu_rt = {
    .lock = PTHREAD_RWLOCK_INITIALIZER,
    .state = NRTEMU_STATE_UNINIT,
    .session = 1,
    .mem_mu = PTHREAD_MUTEX_INITIALIZER,
    .timing_mu = PTHREAD_MUTEX_INITIALIZER,
};

uint64_t nrtemu_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* fork(): the child must not inherit the parent's reservation or models. The prepare handler
 * takes every runtime lock so the child never sees one held by a thread that does not exist
 * there; in the child the runtime becomes CLOSED (new session: inherited tensors, sets and
 * models answer NRT_CLOSED), its copies of the lock descriptors are closed (the parent keeps
 * its cores: flock locks belong to the open file description), and it may call nrt_init to
 * compete for cores like any other process. */
static void fork_prepare(void) {
    pthread_rwlock_wrlock(&nrtemu_rt.lock);
    nrtemu_config_fork_lock();
    nrtemu_profile_fork_lock();
    nrtemu_trace_fork_lock();
    pthread_mutex_lock(&nrtemu_rt.mem_mu);
    pthread_mutex_lock(&nrtemu_rt.timing_mu);
}
static void fork_parent(void) {
    pthread_mutex_unlock(&nrtemu_rt.timing_mu);
    pthread_mutex_unlock(&nrtemu_rt.mem_mu);
    nrtemu_trace_fork_unlock();
    nrtemu_profile_fork_unlock();
    nrtemu_config_fork_unlock();
    pthread_rwlock_unlock(&nrtemu_rt.lock);
}
static void fork_child(void) {
    if (atomic_load(&nrtemu_rt.state) == NRTEMU_STATE_INIT) {
        nrtemu_release(nrtemu_rt.lock_fds, nrtemu_rt.visible);
        nrtemu_rt.visible = 0;
        nrtemu_rt.models = NULL; /* the parent's models: unreachable in the child */
        atomic_fetch_add(&nrtemu_rt.session, 1);
        atomic_store(&nrtemu_rt.state, NRTEMU_STATE_CLOSED);
    }
    /* the child is single-threaded: re-create the locks rather than unlock them */
    pthread_rwlock_init(&nrtemu_rt.lock, NULL);
    pthread_mutex_init(&nrtemu_rt.mem_mu, NULL);
    pthread_mutex_init(&nrtemu_rt.timing_mu, NULL);
    nrtemu_config_fork_reinit();
    nrtemu_profile_fork_reinit();
    nrtemu_trace_fork_reinit();
}
static void register_atfork(void) {
    nrtemu_async_register_atfork(); /* first: its prepare handler then runs last (innermost) */
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* Registered at load time too: options and profiles exist before the first nrt_init. */
__attribute__((constructor)) static void atfork_at_load(void) {
    pthread_once(&atfork_once, register_atfork);
}

NRTEMU_API NRT_STATUS nrt_init(nrt_framework_type_t framework, const char *fw_version,
                               const char *fal_version) {
    static const char fn[] = "nrt_init";
    pthread_once(&atfork_once, register_atfork);
    pthread_rwlock_wrlock(&nrtemu_rt.lock);
    if (atomic_load(&nrtemu_rt.state) == NRTEMU_STATE_INIT) {
        pthread_rwlock_unlock(&nrtemu_rt.lock);
        LOG_DEBUG(fn, "already initialised");
        return NRT_SUCCESS;
    }
    nrtemu_log_resolve();
    {
        const char *spin = getenv("NEURON_RT_EMULATOR_TIMING_SPIN");
        bool off = spin != NULL && (strcmp(spin, "0") == 0 || strcasecmp(spin, "false") == 0 ||
                                    strcasecmp(spin, "no") == 0);
        atomic_store(&nrtemu_timing_spin, !off);
    }
    nrtemu_topo topo;
    nrtemu_request req;
    NRT_STATUS st = nrtemu_topo_resolve(&topo, fn);
    if (st == NRT_SUCCESS) st = nrtemu_request_resolve(&topo, &req, fn, true);
    uint32_t first = 0, count = 0;
    int fds[NRTEMU_MAX_CORES];
    if (st == NRT_SUCCESS) st = nrtemu_reserve(&topo, &req, fds, &first, &count);
    if (st != NRT_SUCCESS) {
        pthread_rwlock_unlock(&nrtemu_rt.lock);
        return st;
    }
    nrtemu_rt.topo = topo;
    nrtemu_rt.first_core = first;
    nrtemu_rt.visible = count;
    for (uint32_t i = 0; i < NRTEMU_MAX_CORES; i++) {
        nrtemu_rt.lock_fds[i] = i < count ? fds[i] : -1;
        nrtemu_rt.core_models[i] = 0;
    }
    nrtemu_rt.models = NULL;
    pthread_mutex_lock(&nrtemu_rt.timing_mu);
    memset(nrtemu_rt.free_at, 0, sizeof nrtemu_rt.free_at);
    pthread_mutex_unlock(&nrtemu_rt.timing_mu);
    pthread_mutex_lock(&nrtemu_rt.mem_mu);
    memset(nrtemu_rt.chip_used, 0, sizeof nrtemu_rt.chip_used);
    memset(nrtemu_rt.core_used, 0, sizeof nrtemu_rt.core_used);
    pthread_mutex_unlock(&nrtemu_rt.mem_mu);
    nrtemu_async_reset();
    atomic_store(&nrtemu_rt.state, NRTEMU_STATE_INIT);
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    LOG_INFO(fn, "neuron-rt emulator %s initialised: instance %s (LNC %u, %u logical NeuronCores), "
                 "reserved nc%u-nc%u, framework %d %s %s",
             NRTEMU_VERSION_STRING, topo.inst->name, topo.lnc, topo.total, first,
             first + count - 1, (int)framework, fw_version ? fw_version : "",
             fal_version ? fal_version : "");
    return NRT_SUCCESS;
}

NRTEMU_API void nrt_close(void) {
    static const char fn[] = "nrt_close";
    pthread_rwlock_wrlock(&nrtemu_rt.lock);
    if (atomic_load(&nrtemu_rt.state) != NRTEMU_STATE_INIT) {
        pthread_rwlock_unlock(&nrtemu_rt.lock);
        LOG_DEBUG(fn, "runtime not initialised: nothing to do");
        return;
    }
    nrtemu_profile_stop_all();
    nrtemu_trace_stop_all();
    nrtemu_models_unload_all_locked();
    nrtemu_release(nrtemu_rt.lock_fds, nrtemu_rt.visible);
    pthread_mutex_lock(&nrtemu_rt.mem_mu);
    atomic_fetch_add(&nrtemu_rt.session, 1);
    memset(nrtemu_rt.chip_used, 0, sizeof nrtemu_rt.chip_used);
    memset(nrtemu_rt.core_used, 0, sizeof nrtemu_rt.core_used);
    pthread_mutex_unlock(&nrtemu_rt.mem_mu);
    uint32_t first = nrtemu_rt.first_core, count = nrtemu_rt.visible;
    nrtemu_rt.visible = 0;
    atomic_store(&nrtemu_rt.state, NRTEMU_STATE_CLOSED);
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    LOG_INFO(fn, "runtime closed, released nc%u-nc%u", first, first + count - 1);
}

/* ---- core counts ------------------------------------------------------------------------- */

static NRT_STATUS core_count(uint32_t *out, bool visible, const char *fn) {
    if (out == NULL) {
        LOG_ERROR(fn, "vnc_count is NULL");
        return NRT_INVALID;
    }
    pthread_rwlock_rdlock(&nrtemu_rt.lock);
    if (atomic_load(&nrtemu_rt.state) == NRTEMU_STATE_INIT) {
        *out = visible ? nrtemu_rt.visible : nrtemu_rt.topo.total;
        pthread_rwlock_unlock(&nrtemu_rt.lock);
        return NRT_SUCCESS;
    }
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    /* before nrt_init (or after nrt_close): what nrt_init would use, without reserving */
    nrtemu_topo t;
    NRT_STATUS st = nrtemu_topo_resolve(&t, fn);
    if (st != NRT_SUCCESS) return st;
    if (!visible) {
        *out = t.total;
        return NRT_SUCCESS;
    }
    nrtemu_request r;
    st = nrtemu_request_resolve(&t, &r, fn, false);
    if (st == NRT_SUCCESS) *out = r.count;
    return st;
}

NRTEMU_API NRT_STATUS nrt_get_total_nc_count(uint32_t *vnc_count) {
    return core_count(vnc_count, false, "nrt_get_total_nc_count");
}
NRTEMU_API NRT_STATUS nrt_get_total_vnc_count(uint32_t *vnc_count) {
    return core_count(vnc_count, false, "nrt_get_total_vnc_count");
}
NRTEMU_API NRT_STATUS nrt_get_visible_nc_count(uint32_t *vnc_count) {
    return core_count(vnc_count, true, "nrt_get_visible_nc_count");
}
NRTEMU_API NRT_STATUS nrt_get_visible_vnc_count(uint32_t *vnc_count) {
    return core_count(vnc_count, true, "nrt_get_visible_vnc_count");
}

/* The topology in use: the initialized runtime's, or before nrt_init (after nrt_close) what
 * nrt_init would resolve, without reserving anything. */
NRT_STATUS nrtemu_topo_current(nrtemu_topo *t, const char *fn) {
    pthread_rwlock_rdlock(&nrtemu_rt.lock);
    bool init = atomic_load(&nrtemu_rt.state) == NRTEMU_STATE_INIT;
    if (init) *t = nrtemu_rt.topo;
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    return init ? NRT_SUCCESS : nrtemu_topo_resolve(t, fn);
}

/* ---- instance info ----------------------------------------------------------------------- */

NRTEMU_API NRT_STATUS nrt_get_instance_info(nrt_instance_info_t *info, size_t instance_info_len) {
    static const char fn[] = "nrt_get_instance_info";
    if (info == NULL) {
        LOG_ERROR(fn, "info is NULL");
        return NRT_INVALID;
    }
    nrtemu_topo t;
    NRT_STATUS st = nrtemu_topo_current(&t, fn);
    if (st != NRT_SUCCESS) return st;
    nrt_instance_info_t full;
    memset(&full, 0, sizeof full);
    full.family = t.inst->family;
    full.size = t.inst->size;
    snprintf(full.arch_name, sizeof full.arch_name, "%s", t.inst->arch);
    snprintf(full.device_revision, sizeof full.device_revision, "%s", "emu");
    memcpy(info, &full, instance_info_len < sizeof full ? instance_info_len : sizeof full);
    return NRT_SUCCESS;
}

/* ---- device memory ----------------------------------------------------------------------- */

NRT_STATUS nrtemu_mem_charge(uint32_t chip, uint64_t bytes, const char *fn, const char *what) {
    pthread_mutex_lock(&nrtemu_rt.mem_mu);
    uint64_t limit = nrtemu_rt.topo.mem_per_chip;
    uint64_t used = chip < NRTEMU_MAX_CHIPS ? nrtemu_rt.chip_used[chip] : limit;
    if (chip >= NRTEMU_MAX_CHIPS || bytes > limit - used) {
        pthread_mutex_unlock(&nrtemu_rt.mem_mu);
        LOG_ERROR(fn, "out of device memory on chip %u (%s): %s needs %llu bytes, %llu of %llu "
                      "bytes already used", chip, nrtemu_rt.topo.inst->name, what,
                  (unsigned long long)bytes, (unsigned long long)used, (unsigned long long)limit);
        return NRT_RESOURCE;
    }
    nrtemu_rt.chip_used[chip] = used + bytes;
    pthread_mutex_unlock(&nrtemu_rt.mem_mu);
    return NRT_SUCCESS;
}

void nrtemu_mem_uncharge(uint32_t chip, uint64_t bytes, uint64_t session) {
    pthread_mutex_lock(&nrtemu_rt.mem_mu);
    if (chip < NRTEMU_MAX_CHIPS && session == atomic_load(&nrtemu_rt.session)) {
        uint64_t *u = &nrtemu_rt.chip_used[chip];
        *u = *u >= bytes ? *u - bytes : 0;
    }
    pthread_mutex_unlock(&nrtemu_rt.mem_mu);
}

NRT_STATUS nrtemu_mem_charge_core(uint32_t chip, int vnc, uint64_t bytes, const char *fn,
                                  const char *what) {
    NRT_STATUS st = nrtemu_mem_charge(chip, bytes, fn, what);
    if (st == NRT_SUCCESS && vnc >= 0 && vnc < NRTEMU_MAX_CORES) {
        pthread_mutex_lock(&nrtemu_rt.mem_mu);
        nrtemu_rt.core_used[vnc] += bytes;
        pthread_mutex_unlock(&nrtemu_rt.mem_mu);
    }
    return st;
}

void nrtemu_mem_uncharge_core(uint32_t chip, int vnc, uint64_t bytes, uint64_t session) {
    nrtemu_mem_uncharge(chip, bytes, session);
    pthread_mutex_lock(&nrtemu_rt.mem_mu);
    if (vnc >= 0 && vnc < NRTEMU_MAX_CORES && session == atomic_load(&nrtemu_rt.session)) {
        uint64_t *u = &nrtemu_rt.core_used[vnc];
        *u = *u >= bytes ? *u - bytes : 0;
    }
    pthread_mutex_unlock(&nrtemu_rt.mem_mu);
}

NRT_STATUS nrtemu_check_vnc(int64_t vnc, const char *fn) {
    pthread_rwlock_rdlock(&nrtemu_rt.lock);
    NRT_STATUS st = nrtemu_state_status();
    uint32_t visible = nrtemu_rt.visible;
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    if (st != NRT_SUCCESS) {
        LOG_ERROR(fn, "the runtime is %s", st == NRT_CLOSED ? "closed (nrt_close was called)"
                                                          : "not initialised (call nrt_init first)");
        return st;
    }
    if (vnc < 0 || vnc >= (int64_t)visible) {
        LOG_ERROR(fn, "invalid vnc %lld: the process has %u visible NeuronCores (valid: 0-%u)",
                  (long long)vnc, visible, visible - 1);
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}
