/* reservation.c: cross-process NeuronCore exclusivity (hardware-and-env.md §7).
 *
 * One lock file per global logical core, <lock_dir>/<instance>[-lnc<L>]/nc<N>.lock, locked with
 * flock(LOCK_EX | LOCK_NB) through a descriptor (O_CLOEXEC) that stays open while the core is
 * reserved. The kernel drops the lock when the descriptor is closed, so a crashed or killed
 * process releases its cores automatically. Reservation is all-or-nothing. */
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

NRT_STATUS nrtemu_reserve(const nrtemu_topo *t, const nrtemu_request *r, int *fds,
                          uint32_t *first, uint32_t *count) {
    char dir[4096];
    NRT_STATUS st = lock_dir(t, dir, sizeof dir);
    if (st != NRT_SUCCESS) return st;
    int probe[NRTEMU_MAX_CORES];

    if (r->kind != NRTEMU_REQ_NUM) {
        uint32_t avail = 0;
        bool error = false;
        for (uint32_t i = 0; i < r->count; i++) {
            probe[i] = try_lock(dir, r->first + i);
            if (probe[i] >= 0) avail++;
            if (probe[i] == -2) error = true;
        }
        if (avail == r->count) {
            memcpy(fds, probe, r->count * sizeof(int));
            *first = r->first;
            *count = r->count;
            return NRT_SUCCESS;
        }
        nrtemu_release(probe, r->count);
        if (error) return NRT_FAILURE;
        LOG_ERROR(fn, "NeuronCore(s) not available - Requested:nc%u-nc%u Available:%u", r->first,
                  r->first + r->count - 1, avail);
        LOG_ERROR(fn, "another process holds them (emulator lock files in %s); they are released "
                      "when it calls nrt_close or exits", dir);
        return NRT_FAILURE;
    }

    /* NEURON_RT_NUM_CORES: first fit of N free contiguous cores from the lowest id. */
    bool error = false;
    for (uint32_t c = 0; c < t->total; c++) {
        probe[c] = try_lock(dir, c);
        if (probe[c] == -2) error = true;
    }
    uint32_t n = r->count;
    /* trn2: a multi-core request takes whole chips */
    uint32_t step = (t->inst->lnc_configurable && n > 1) ? t->cores_per_chip : 1;
    long found = -1;
    for (uint32_t s = 0; !error && s + n <= t->total && found < 0; s += step) {
        uint32_t i = 0;
        while (i < n && probe[s + i] >= 0) i++;
        if (i == n) found = (long)s;
    }
    if (found >= 0) {
        for (uint32_t c = 0; c < t->total; c++) {
            if (c >= (uint32_t)found && c < (uint32_t)found + n) continue;
            if (probe[c] >= 0) close(probe[c]);
        }
        memcpy(fds, probe + found, n * sizeof(int));
        *first = (uint32_t)found;
        *count = n;
        return NRT_SUCCESS;
    }
    uint32_t best = 0, run = 0;
    for (uint32_t c = 0; c < t->total; c++) {
        run = probe[c] >= 0 ? run + 1 : 0;
        if (run > best) best = run;
    }
    nrtemu_release(probe, t->total);
    if (error) return NRT_FAILURE;
    LOG_ERROR(fn, "NeuronCore(s) not available - Requested:%u Available:%u", n, best);
    LOG_ERROR(fn, "other processes hold the remaining cores (emulator lock files in %s)", dir);
    return NRT_FAILURE;
}
