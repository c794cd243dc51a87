/*
 * emu.h: internal header of the neuron-rt emulator (a C11 implementation of the libnrt ABI).
 *
 * Map of the sources (one Neuron rule per file):
 *   instance.c     instance presets (chips, cores, memory, family/size codes)
 *   config.c       options (nrt_emu_set_option) + environment: instance, LNC, visible/num cores,
 *                  lock dir, exec timeout, hash validation, compiler-NEFF device time / fill
 *   log.c          runtime-style log lines on stderr, NEURON_RT_LOG_LEVEL
 *   status.c       nrt_get_status_as_str
 *   lifecycle.c    nrt_init / nrt_close state machine, core counts, instance info, device memory
 *   reservation.c  cross-process NeuronCore exclusivity (flock'd lock files)
 *   neff.c         NEFF container checks (FORMAT.md §1-2), payload lookup (§2, §5)
 *   inflate.c      gzip/DEFLATE decoder (pkg_version 2 payloads)
 *   json.c         strict JSON parser (compiler NEFF metadata)
 *   compiled.c     I/O tensors of a NEFF built by the Neuron compiler (FORMAT.md §5)
 *   reference.c    reference kernels registered by model name (nrt_emu_set_reference_kernel)
 *   model.c        nrt_load / unload / placement / model info
 *   tensor.c       tensors (device/host/empty/attached/slices, reference-counted storage)
 *   tensor_set.c   tensor sets
 *   execute.c      nrt_execute / nrt_execute_repeat: validation, CPU run (program, reference
 *                  kernel or output fill), timing model (FORMAT.md §4)
 *   async.c        nrta_*: execution units, sequence numbers, completion handles, error trackers
 *   version.c      nrt_get_version
 *   profile.c      nrt_profile_start / nrt_profile_stop
 *   trace.c        recordings of every execution: nrt_trace_*, nrt_inspect_begin/stop,
 *                  nrt_profile_continuous_* (JSON, not NTFF)
 *   inspect_config.c  the option objects of nrt_inspect_* and nrt_profile_continuous_*
 *   device_memory.c   nrt_get_vnc_memory_stats, nrt_tensor_get_device_allocation_info
 *   tensor_batch.c    nrt_tensor_read_batch / nrt_tensor_write_batch
 *   tensor_completion.c  output completion counters (nrt_tensor_check/reset_output_completion)
 *   model_info.c   nrt_get_model_info
 *   devices.c      device ids: nrt_host_device_id_get, nrt_host_device_id_rid_map_get
 *   collectives.c  single-worker collectives (nrt_build_global_comm, nrt_barrier, ...)
 *   implicit_async.c  the implicit async mode's calls (removed in runtime 2.34)
 *   unsupported.c  hardware-only calls (EFA, dma-buf, HBM mmap, ucode): logged NRT_FAILURE
 *
 * Locking (see README.md "Thread safety"):
 *   nrtemu_rt.lock    rwlock over the runtime state: init state, reservation, model registry,
 *                     per-core model counts. Writers: init, close, load, unload, profile start.
 *                     Readers: everything that looks a model up (execute holds it only for the
 *                     lookup and takes a reference on the model).
 *   nrtemu_rt.mem_mu  device-memory accounting per chip (tensors and model constants).
 *   nrtemu_rt.timing_mu  per-core free_at timestamps of the timing model (held for the O(k)
 *                     schedule computation only, never while sleeping).
 *   profile mutex (profile.c) the profiling sessions; trace mutex (trace.c) the recordings.
 *   option mutex (config.c) the options; taken under rt.lock by nrt_init.
 *   Lock order: rt.lock -> option mutex -> profile mutex -> mem_mu -> timing_mu (the order the
 *   fork handler takes them in; in normal operation the last four never nest).
 *   async_mu (async.c) the execution-unit queues; tracker mutexes (one per error tracker).
 *   async_mu is innermost (nrt_init: rt.lock -> async_mu; the fork handler takes it last) and
 *   never held with timing_mu; a tracker mutex is never held with another lock.
 */
#ifndef NRTEMU_EMU_H
#define NRTEMU_EMU_H

#include "prefix.h" /* must precede the nrt headers */

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_profile.h"
#include "nrt/nrt_status.h"
#include "nrt/nrt_version.h"
#include "nrt_emu.h"
#include "program.h"

#define NRTEMU_API __attribute__((visibility("default")))

#define NRTEMU_VERSION_STRING "0.1.0"
#define NRTEMU_MAX_CORES 128 /* trn2.48xlarge at LNC 1 */
#define NRTEMU_MAX_CHIPS 16
#define NRTEMU_DEFAULT_INSTANCE "inf2.xlarge"
#define NRTEMU_HOST_TENSOR_MAX ((size_t)4 << 20)
#define NRTEMU_DEFAULT_EXEC_TIMEOUT_S 30.0

/* ---- log.c ------------------------------------------------------------------------------- */
enum {
    NRTEMU_LOG_QUIET = 0,
    NRTEMU_LOG_ERROR = 1,
    NRTEMU_LOG_WARNING = 2,
    NRTEMU_LOG_INFO = 3,
    NRTEMU_LOG_DEBUG = 4,
    NRTEMU_LOG_TRACE = 5,
};
extern atomic_int nrtemu_log_threshold; /* -1 until first resolved */
int nrtemu_log_resolve(void);          /* (re)reads option/env, returns the threshold */
int nrtemu_log_parse_level(const char *s); /* -1 when unknown */
static inline int nrtemu_log_on(int lvl) {
    int t = atomic_load_explicit(&nrtemu_log_threshold, memory_order_relaxed);
    if (t < 0) t = nrtemu_log_resolve();
    return lvl <= t;
}
void nrtemu_log_write(int lvl, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define NRTEMU_LOG(lvl, fn, ...)                                                                  \
    do {                                                                                          \
        if (nrtemu_log_on(lvl)) nrtemu_log_write((lvl), (fn), __VA_ARGS__);                      \
    } while (0)
#define LOG_ERROR(fn, ...) NRTEMU_LOG(NRTEMU_LOG_ERROR, fn, __VA_ARGS__)
#define LOG_WARN(fn, ...) NRTEMU_LOG(NRTEMU_LOG_WARNING, fn, __VA_ARGS__)
#define LOG_INFO(fn, ...) NRTEMU_LOG(NRTEMU_LOG_INFO, fn, __VA_ARGS__)
#define LOG_DEBUG(fn, ...) NRTEMU_LOG(NRTEMU_LOG_DEBUG, fn, __VA_ARGS__)

/* ---- instance.c -------------------------------------------------------------------------- */
typedef struct nrtemu_instance {
    const char *name;
    uint32_t family;              /* NRT_INSTANCE_* */
    uint32_t size;                /* NRT_INSTANCE_SIZE_* */
    uint32_t chips;
    uint32_t phys_cores_per_chip;
    uint64_t mem_per_chip;        /* bytes */
    const char *arch;
    uint32_t default_lnc;
    bool lnc_configurable;        /* trn2: LNC 1 or 2 */
} nrtemu_instance;
const nrtemu_instance *nrtemu_instance_find(const char *name);
void nrtemu_instance_names(char *buf, size_t len); /* "inf1.xlarge, inf1.2xlarge, ..." */

/* ---- fork handlers of the module-private mutexes (taken by lifecycle.c's fork_prepare) ---- */
void nrtemu_config_fork_lock(void);
void nrtemu_config_fork_unlock(void);
void nrtemu_config_fork_reinit(void);
void nrtemu_profile_fork_lock(void);
void nrtemu_profile_fork_unlock(void);
void nrtemu_profile_fork_reinit(void);

/* ---- config.c ---------------------------------------------------------------------------- */
enum {
    NRTEMU_OPT_INSTANCE,
    NRTEMU_OPT_LNC,
    NRTEMU_OPT_LOCK_DIR,
    NRTEMU_OPT_VISIBLE_CORES,
    NRTEMU_OPT_NUM_CORES,
    NRTEMU_OPT_LOG_LEVEL,
    NRTEMU_OPT_DEVICE_TIME_US,
    NRTEMU_OPT_OUTPUT_FILL,
    NRTEMU_OPT_HOST_BANDWIDTH,
    NRTEMU_OPT_COUNT
};
/* malloc'd copy of the option (if set) else of its environment variable, or NULL. */
char *nrtemu_config_get(int opt);
const char *nrtemu_config_env_name(int opt);
bool nrtemu_config_is_set(int opt); /* set through nrt_emu_set_option */

typedef struct nrtemu_topo {
    const nrtemu_instance *inst;
    uint32_t lnc;
    uint32_t cores_per_chip; /* logical */
    uint32_t chips;
    uint32_t total;          /* logical cores */
    uint64_t mem_per_chip;
} nrtemu_topo;
NRT_STATUS nrtemu_topo_resolve(nrtemu_topo *t, const char *fn);
/* the initialized runtime's topology, else what nrt_init would resolve (lifecycle.c) */
NRT_STATUS nrtemu_topo_current(nrtemu_topo *t, const char *fn);

enum { NRTEMU_REQ_ALL, NRTEMU_REQ_VISIBLE, NRTEMU_REQ_NUM };
typedef struct nrtemu_request {
    int kind;
    uint32_t first; /* VISIBLE/ALL: first global core */
    uint32_t count; /* VISIBLE/ALL: cores; NUM: N (already resolved, never 0) */
} nrtemu_request;
/* warn: log the VISIBLE-over-NUM precedence warning (at nrt_init only). */
NRT_STATUS nrtemu_request_resolve(const nrtemu_topo *t, nrtemu_request *r, const char *fn,
                                  bool warn);
/* malloc'd base directory of the lock files (option/env or the default), or NULL. */
char *nrtemu_lock_dir_base(void);
bool nrtemu_env_true(const char *name);
enum { NRTEMU_FILL_ZEROS = 0, NRTEMU_FILL_PATTERN = 1 };
/* Execution settings of a compiler NEFF named model (options device_time_us, output_fill);
   NRT_INVALID (logged) when malformed. */
NRT_STATUS nrtemu_compiled_exec_config(const char *model, uint64_t *device_time_ns, int *fill,
                                       const char *fn);
/* NEURON_RT_EXEC_TIMEOUT in ns; NRT_INVALID (logged) when malformed. */
NRT_STATUS nrtemu_exec_timeout_ns(uint64_t *ns, const char *fn);
/* host_bandwidth option / NEURON_RT_EMULATOR_HOST_BANDWIDTH in bytes/s; 0 (unlimited) when unset
   or malformed (logged). */
uint64_t nrtemu_host_bandwidth_config(const char *fn);

/* ---- reservation.c ----------------------------------------------------------------------- */
/* Reserves the requested cores (all or nothing); fds[i] is the lock of global core first + i. */
NRT_STATUS nrtemu_reserve(const nrtemu_topo *t, const nrtemu_request *r, int *fds,
                          uint32_t *first, uint32_t *count);
void nrtemu_release(int *fds, uint32_t count);

/* ---- lifecycle.c: runtime state ---------------------------------------------------------- */
enum { NRTEMU_STATE_UNINIT = 0, NRTEMU_STATE_INIT = 1, NRTEMU_STATE_CLOSED = 2 };

struct nrt_model;
typedef struct nrtemu_runtime {
    pthread_rwlock_t lock;
    atomic_int state;
    /* Session id: incremented by nrt_close. Tensors and sets remember the session they were
       made in; after close they answer NRT_CLOSED. */
    atomic_uint_fast64_t session;
    nrtemu_topo topo;
    uint32_t first_core;      /* global id of visible core 0 */
    uint32_t visible;         /* reserved cores */
    int lock_fds[NRTEMU_MAX_CORES];
    uint32_t core_models[NRTEMU_MAX_CORES]; /* models loaded per visible core */
    struct nrt_model *models; /* registry (singly linked) */
    pthread_mutex_t mem_mu;
    uint64_t chip_used[NRTEMU_MAX_CHIPS];
    uint64_t core_used[NRTEMU_MAX_CORES]; /* by visible core: nrt_get_vnc_memory_stats */
    pthread_mutex_t timing_mu;
    uint64_t free_at[NRTEMU_MAX_CORES]; /* by visible core, CLOCK_MONOTONIC ns */
} nrtemu_runtime;
extern nrtemu_runtime nrtemu_rt;

/* NRT_SUCCESS when initialised, else NRT_UNINITIALIZED / NRT_CLOSED (no lock; atomic read). */
static inline NRT_STATUS nrtemu_state_status(void) {
    int s = atomic_load_explicit(&nrtemu_rt.state, memory_order_acquire);
    return s == NRTEMU_STATE_INIT ? NRT_SUCCESS
                                  : (s == NRTEMU_STATE_CLOSED ? NRT_CLOSED : NRT_UNINITIALIZED);
}
static inline uint64_t nrtemu_session(void) {
    return atomic_load_explicit(&nrtemu_rt.session, memory_order_acquire);
}
/* Charge bytes to a chip's device memory (NRT_RESOURCE, logged, when it does not fit). */
NRT_STATUS nrtemu_mem_charge(uint32_t chip, uint64_t bytes, const char *fn, const char *what);
/* Give bytes back, only if charged in the current session (memory is reset at nrt_close). */
void nrtemu_mem_uncharge(uint32_t chip, uint64_t bytes, uint64_t session);
/* The same, also counted against visible core vnc (vnc < 0: no core). */
NRT_STATUS nrtemu_mem_charge_core(uint32_t chip, int vnc, uint64_t bytes, const char *fn,
                                  const char *what);
void nrtemu_mem_uncharge_core(uint32_t chip, int vnc, uint64_t bytes, uint64_t session);
uint64_t nrtemu_now_ns(void);
const char *nrtemu_status_name(NRT_STATUS s);

/* ---- model.c ----------------------------------------------------------------------------- */
#define NRTEMU_MODEL_MAGIC 0x4d4f444cu /* "MODL" */
typedef struct nrtemu_io_slot {
    const char *name; /* owned by the program */
    size_t len;
    uint64_t hash;
    size_t size;
} nrtemu_io_slot;

struct nrtemu_profile;
struct nrt_model {
    uint32_t magic;
    atomic_int refs;         /* registry + in-flight calls + profiling session */
    uint64_t session;
    struct nrt_model *next;  /* registry link, under nrtemu_rt.lock */
    char name[256];
    uint32_t k;              /* cores */
    uint32_t first_vnc;      /* visible core index */
    uint32_t chip;
    uint64_t const_bytes;
    nrtemu_program *prog;    /* NULL: NEFF without emulator program */
    struct nrtemu_compiled *compiled; /* compiler NEFF (FORMAT.md §5): timed execution */
    int fill;                /* compiled: NRTEMU_FILL_* */
    nrt_emu_kernel_fn kernel; /* compiled: reference kernel taken at load, or NULL */
    void *kernel_data;
    size_t n_in, n_io;
    nrtemu_io_slot *io;
    size_t scratch_bytes;
    uint64_t device_time_ns;
    uint64_t timeout_ns;
    _Atomic(struct nrtemu_profile *) prof;
};
/* I/O descriptor i of the model's program or compiler metadata (inputs first), NULL if none. */
const nrtemu_io_desc *nrtemu_model_io(const struct nrt_model *m, size_t i);
/* Looks a handle up in the registry and takes a reference (release with nrtemu_model_put).
   Returns NULL with *st set (NRT_INVALID_HANDLE / NRT_UNINITIALIZED / NRT_CLOSED, logged). */
struct nrt_model *nrtemu_model_get(const nrt_model_t *handle, NRT_STATUS *st, const char *fn);
void nrtemu_model_put(struct nrt_model *m);
void nrtemu_model_ref(struct nrt_model *m);
/* Called by nrt_close with rt.lock held for writing. */
void nrtemu_models_unload_all_locked(void);

/* ---- neff.c ------------------------------------------------------------------------------ */
typedef struct nrtemu_neff {
    uint64_t pkg_version;
    uint64_t header_size;
    uint64_t data_size;
    uint64_t neff_major;
    uint32_t num_tpb; /* 0 read as 1 */
    uint32_t lnc_size; /* 0 read as 1 */
    uint64_t feature_bits;
    char name[256];
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *program; /* nrtemu/program.bin (points into the payload or inflated), or NULL */
    size_t program_len;
    uint8_t *inflated;      /* pkg_version 2: the decompressed tar (owned) */
    struct nrtemu_compiled *compiled; /* compiler layout (owned; the caller may take it) */
} nrtemu_neff;
/* Container checks of FORMAT.md §1-2 in order, then the payload (§2, §5). On failure logs and
   returns the status (nothing to release). On success call nrtemu_neff_release when done. */
NRT_STATUS nrtemu_neff_parse(const void *bytes, size_t size, uint32_t runtime_lnc,
                             bool validate_hash, nrtemu_neff *out, const char *fn);
void nrtemu_neff_release(nrtemu_neff *n);

/* ---- tensor.c ---------------------------------------------------------------------------- */
#define NRTEMU_TENSOR_MAGIC 0x54454e53u /* "TENS" */
typedef struct nrtemu_storage {
    atomic_int refs;
    uint8_t *data;
    size_t size;
    bool owned;      /* allocated by the emulator (else a caller buffer) */
    bool charged;    /* counted against chip memory */
    uint32_t chip;
    int vnc;         /* visible core charged (-1: none) */
    uint64_t session;
} nrtemu_storage;
struct nrt_tensor {
    uint32_t magic;
    int placement;   /* nrt_tensor_placement_t; -1 for empty/attached */
    int vnc;         /* visible core for DEVICE, else -1 */
    uint64_t session;
    nrtemu_storage *st; /* NULL: no storage */
    size_t offset;   /* into st->data */
    size_t size;
    char *name;
    atomic_uint_fast64_t completions; /* times written as an output (tensor_completion.c) */
};
/* NULL -> NRT_INVALID, foreign pointer -> NRT_INVALID_HANDLE, older session -> NRT_CLOSED. */
NRT_STATUS nrtemu_tensor_check(const nrt_tensor_t *t, const char *fn, const char *what);
/* No storage, or [offset, offset + size) outside the tensor -> NRT_INVALID (logged). */
NRT_STATUS nrtemu_tensor_check_range(const nrt_tensor_t *t, uint64_t offset, size_t size,
                                     const char *fn);
static inline uint8_t *nrtemu_tensor_data(const nrt_tensor_t *t) {
    return t->st ? t->st->data + t->offset : NULL;
}

/* ---- tensor_set.c ------------------------------------------------------------------------ */
#define NRTEMU_SET_MAGIC 0x54534554u /* "TSET" */
typedef struct nrtemu_set_entry {
    char *name;
    size_t len;
    uint64_t hash;
    nrt_tensor_t *tensor;
} nrtemu_set_entry;
typedef struct nrtemu_tensor_set {
    uint32_t magic;
    uint64_t session;
    size_t count, cap;
    nrtemu_set_entry *e;
} nrtemu_tensor_set;
uint64_t nrtemu_hash(const char *s, size_t len);
/* hint: index tried first (callers pass the io position). */
nrt_tensor_t *nrtemu_set_find(const nrtemu_tensor_set *s, const char *name, size_t len,
                              uint64_t hash, size_t hint);

/* ---- reference.c: reference kernels (nrt_emu_set_reference_kernel) ------------------------ */
/* The kernel registered for a model name (false when none). */
bool nrtemu_reference_kernel(const char *model, nrt_emu_kernel_fn *fn, void **data);

/* ---- execute.c (shared with async.c) ---------------------------------------------------- */
void nrtemu_sleep_until(uint64_t t_ns); /* absolute CLOCK_MONOTONIC ns */
/* Model lookup (a reference, release with nrtemu_model_put), program presence, set checks. */
struct nrt_model *nrtemu_execute_begin(nrt_model_t *model, const nrt_tensor_set_t *in,
                                       const nrt_tensor_set_t *out, NRT_STATUS *st,
                                       const char *fn);
NRT_STATUS nrtemu_bind_io(const struct nrt_model *m, const nrtemu_tensor_set *in,
                          const nrtemu_tensor_set *out, void **io, const char *fn);
/* The CPU part: program, or a compiler NEFF's reference kernel / output fill. */
NRT_STATUS nrtemu_run_model(const struct nrt_model *m, void *const *io, const char *fn);
/* Timing model: reserve the model's cores from `now` on; *end = its completion. NRT_TIMEOUT
   (nothing reserved, *end = the completion it would have had) beyond the model's timeout. */
NRT_STATUS nrtemu_device_schedule(struct nrt_model *m, uint64_t now, uint64_t *end);
void nrtemu_log_timeout(const struct nrt_model *m, uint64_t would_take_ns, const char *fn);

/* ---- async.c: the nrta_* execution units ------------------------------------------------- */
/* nrt_init (rt.lock held for writing): forget every queue, re-read the host bandwidth. */
void nrtemu_async_reset(void);
void nrtemu_async_register_atfork(void); /* called by lifecycle.c before its own handlers */
/* Host<->device bandwidth in bytes/s (0: unlimited), read at nrt_init. */
extern atomic_uint_fast64_t nrtemu_host_bandwidth;
/* Synchronous nrt_tensor_read/write on a DEVICE tensor: occupy the core's read/write unit for
   size / bandwidth (after the requests queued there) and sleep until done. */
void nrtemu_copy_sync(int vnc, int xu, uint64_t size);

/* ---- profile.c --------------------------------------------------------------------------- */
void nrtemu_profile_record(struct nrt_model *m, uint64_t start_ns, uint64_t cpu_done_ns,
                           uint64_t end_ns, NRT_STATUS st);
/* nrt_close: write and end every session (rt.lock held for writing). */
void nrtemu_profile_stop_all(void);

/* ---- execute.c: spin before a simulated completion (NEURON_RT_EMULATOR_TIMING_SPIN) -------- */
extern atomic_bool nrtemu_timing_spin;

/* ---- tensor_completion.c ----------------------------------------------------------------- */
/* After a successful execution: count one completion on every output tensor of the model. */
void nrtemu_outputs_completed(const struct nrt_model *m, const nrtemu_tensor_set *out);

/* ---- trace.c: nrt_trace_*, nrt_inspect_*, nrt_profile_continuous_* ------------------------ */
extern atomic_int nrtemu_trace_active; /* non-zero while any of them records */
void nrtemu_trace_record(const struct nrt_model *m, uint64_t start_ns, uint64_t end_ns,
                         NRT_STATUS st);
/* nrt_close: end every recording (rt.lock held for writing). */
void nrtemu_trace_stop_all(void);
void nrtemu_trace_fork_lock(void);
void nrtemu_trace_fork_unlock(void);
void nrtemu_trace_fork_reinit(void);

/* ---- unsupported.c ----------------------------------------------------------------------- */
/* Logs "<fn> is not supported by the neuron-rt emulator: <why>" at ERROR; returns NRT_FAILURE
 * (NRT_STATUS has no "unsupported" code; README "Choices"). */
NRT_STATUS nrtemu_unsupported(const char *fn, const char *why);

/* Checks that vnc is a visible core of the initialised runtime (logged otherwise). */
NRT_STATUS nrtemu_check_vnc(int64_t vnc, const char *fn);

#endif
