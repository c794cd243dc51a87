/* reservation.c: cross-process NeuronCore exclusivity (hardware-and-env.md §7).
 *
 * One lock file per global logical core, <lock_dir>/<instance>[-lnc<L>]/nc<N>.lock, locked with
 * flock(LOCK_EX | LOCK_NB) through a descriptor (O_CLOEXEC) that stays open while the core is
 * reserved. The kernel drops the lock when the descriptor is closed, so a crashed or killed
 * process releases its cores automatically. Reservation is all-or-nothing, and takes place under
 * a per-directory reservation mutex (see reserve_mutex) so that no process ever sees another's
 * transient probe locks. */
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char fn[] = "nrt_allocate_neuron_cores";

static bool mkdir_p(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) { *p = '/'; return false; }
        *p = '/';
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

/* Creates <base>/<instance>[-lnc<L>]; writes the path to out. */
static NRT_STATUS lock_dir(const nrtemu_topo *t, char *out, size_t len) {
    char *base = nrtemu_lock_dir_base();
    if (base == NULL) return NRT_RESOURCE;
    bool user_given = nrtemu_config_is_set(NRTEMU_OPT_LOCK_DIR) ||
                      getenv("NEURON_RT_EMULATOR_LOCK_DIR") != NULL;
    if (!mkdir_p(base)) {
        LOG_ERROR(fn, "cannot create the emulator lock directory '%s': %s", base, strerror(errno));
        free(base);
        return NRT_FAILURE;
    }
    if (!user_given) {
        /* the default directory is per user: refuse one planted by someone else */
        struct stat sb;
        if (lstat(base, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid()) {
            LOG_ERROR(fn, "emulator lock directory '%s' is not a directory owned by uid %lu; set "
                          "NEURON_RT_EMULATOR_LOCK_DIR", base, (unsigned long)getuid());
            free(base);
            return NRT_FAILURE;
        }
    }
    int n;
    if (t->inst->lnc_configurable)
        n = snprintf(out, len, "%s/%s-lnc%u", base, t->inst->name, t->lnc);
    else
        n = snprintf(out, len, "%s/%s", base, t->inst->name);
    free(base);
    if (n < 0 || (size_t)n >= len) {
        LOG_ERROR(fn, "emulator lock directory path is too long");
        return NRT_FAILURE;
    }
    if (mkdir(out, 0700) != 0 && errno != EEXIST) {
        LOG_ERROR(fn, "cannot create the emulator lock directory '%s': %s", out, strerror(errno));
        return NRT_FAILURE;
    }
    return NRT_SUCCESS;
}

/* >= 0: locked fd; -1: held by another process; -2: error (logged). */
static int try_lock(const char *dir, uint32_t core) {
    char path[4200];
    snprintf(path, sizeof path, "%s/nc%u.lock", dir, core);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        LOG_ERROR(fn, "cannot open the core lock file '%s': %s", path, strerror(errno));
        return -2;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) return -1;
        LOG_ERROR(fn, "cannot lock '%s': %s", path, strerror(e));
        return -2;
    }
    return fd;
}

void nrtemu_release(int *fds, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) {
        if (fds[i] >= 0) close(fds[i]); /* closing the last descriptor drops the flock */
        fds[i] = -1;
    }
}

/* The reservation mutex: <dir>/reserve.lock, flock'd while a process probes and takes core
 * locks. Probing (try-locking a core only to see whether it is free) is therefore never visible to
 * another process, so processes starting together cannot see each other's transient locks as
 * "busy": N processes asking for N x k of N x k free cores all succeed. Held for microseconds; a
 * process that dies holding it releases it with its descriptors. Waits at most ~10 s (a stopped
 * holder), then fails with a message naming the file. Returns the fd, or -1 (logged). */
static int reserve_mutex(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/reserve.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        LOG_ERROR(fn, "cannot open the reservation lock '%s': %s", path, strerror(errno));
        return -1;
    }
    for (unsigned waited_us = 0;; waited_us += 200) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) break;
        if (waited_us >= 10u * 1000u * 1000u) {
            errno = ETIMEDOUT;
            break;
        }
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
    }
    LOG_ERROR(fn, "cannot lock the reservation lock '%s': %s (is a process holding it stopped?)",
              path, strerror(errno));
    close(fd);
    return -1;
}

/* Try-locks cores first..first+n-1 (all or nothing). 1: taken (fds filled); 0: a core is held by
 * another process (nothing kept); -1: error (logged, nothing kept). */
static int take_run(const char *dir, uint32_t first, uint32_t n, int *fds) {
    for (uint32_t i = 0; i < n; i++) {
        fds[i] = try_lock(dir, first + i);
        if (fds[i] < 0) {
            int rc = fds[i] == -2 ? -1 : 0;
            nrtemu_release(fds, i);
            fds[i] = -1;
            return rc;
        }
    }
    return 1;
}

/* Cores not held by another process, and the longest run of them (for the refusal message). */
static void count_free(const char *dir, uint32_t total, uint32_t *free_cores, uint32_t *best) {
    uint32_t run = 0;
    *free_cores = *best = 0;
    for (uint32_t c = 0; c < total; c++) {
        int fd = try_lock(dir, c);
        if (fd >= 0) close(fd);
        run = fd >= 0 ? run + 1 : 0;
        if (fd >= 0) (*free_cores)++;
        if (run > *best) *best = run;
    }
}

NRT_STATUS nrtemu_reserve(const nrtemu_topo *t, const nrtemu_request *r, int *fds,
                          uint32_t *first, uint32_t *count) {
    char dir[4096];
    NRT_STATUS st = lock_dir(t, dir, sizeof dir);
    if (st != NRT_SUCCESS) return st;
    int mutex = reserve_mutex(dir);
    if (mutex < 0) return NRT_FAILURE;

    if (r->kind != NRTEMU_REQ_NUM) {
        int rc = take_run(dir, r->first, r->count, fds);
        if (rc == 1) {
            *first = r->first;
            *count = r->count;
        } else if (rc == 0) {
            uint32_t in_range = 0;
            for (uint32_t c = r->first; c < r->first + r->count; c++) {
                int fd = try_lock(dir, c);
                if (fd >= 0) {
                    close(fd);
                    in_range++;
                }
            }
            LOG_ERROR(fn, "NeuronCore(s) not available - Requested:nc%u-nc%u Available:%u",
                      r->first, r->first + r->count - 1, in_range);
            LOG_ERROR(fn, "another process holds them (emulator lock files in %s); they are "
                          "released when it calls nrt_close or exits", dir);
        }
        close(mutex);
        return rc == 1 ? NRT_SUCCESS : NRT_FAILURE;
    }

    /* NEURON_RT_NUM_CORES: first fit of N free contiguous cores from the lowest id; each candidate
       run is try-locked on its own and released at once when one of its cores is held. */
    uint32_t n = r->count;
    /* trn2: a multi-core request takes whole chips */
    uint32_t step = (t->inst->lnc_configurable && n > 1) ? t->cores_per_chip : 1;
    int rc = 0;
    for (uint32_t s = 0; s + n <= t->total; s += step) {
        rc = take_run(dir, s, n, fds);
        if (rc == 1) {
            *first = s;
            *count = n;
            break;
        }
        if (rc < 0) break;
    }
    if (rc == 0) {
        uint32_t free_cores, best;
        count_free(dir, t->total, &free_cores, &best);
        LOG_ERROR(fn, "NeuronCore(s) not available - Requested:%u Available:%u", n, best);
        LOG_ERROR(fn, "other processes hold the remaining cores (%u of %u free, emulator lock files "
                      "in %s)", free_cores, t->total, dir);
    }
    close(mutex);
    return rc == 1 ? NRT_SUCCESS : NRT_FAILURE;
}
