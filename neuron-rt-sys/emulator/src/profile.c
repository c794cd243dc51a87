/* profile.c: nrt_profile_start / nrt_profile_stop.
 *
 * The emulator records, per execution of the profiled model, its start, the end of the CPU
 * computation and the completion (CLOCK_MONOTONIC ns) and the status, and writes them as a small
 * JSON document at nrt_profile_stop. This is NOT an NTFF file: Neuron profiler tools cannot read
 * it. One session per model and per file name; nrt_close writes and ends open sessions. */
#include "emu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS 1000000u

typedef struct {
    uint64_t start, cpu_done, end;
    NRT_STATUS status;
} prof_rec;

struct nrtemu_profile {
    char *filename;
    struct nrt_model *model; /* holds a reference */
    prof_rec *r;
    size_t n, cap;
    uint64_t dropped;
    uint64_t started_ns;
    struct nrtemu_profile *next;
};

static pthread_mutex_t prof_mu = PTHREAD_MUTEX_INITIALIZER;
static struct nrtemu_profile *sessions;

/* fork handlers (lifecycle.c): the profile mutex must not stay locked in the child. */
void nrtemu_profile_fork_lock(void) { pthread_mutex_lock(&prof_mu); }
void nrtemu_profile_fork_unlock(void) { pthread_mutex_unlock(&prof_mu); }
void nrtemu_profile_fork_reinit(void) { pthread_mutex_init(&prof_mu, NULL); }

void nrtemu_profile_record(struct nrt_model *m, uint64_t start_ns, uint64_t cpu_done_ns,
                           uint64_t end_ns, NRT_STATUS st) {
    pthread_mutex_lock(&prof_mu);
    struct nrtemu_profile *p = atomic_load(&m->prof);
    if (p != NULL) {
        if (p->n == p->cap && p->cap < MAX_RECORDS) {
            size_t cap = p->cap ? p->cap * 2 : 64;
            if (cap > MAX_RECORDS) cap = MAX_RECORDS;
            prof_rec *r = realloc(p->r, cap * sizeof *r);
            if (r != NULL) {
                p->r = r;
                p->cap = cap;
            }
        }
        if (p->n < p->cap)
            p->r[p->n++] = (prof_rec){start_ns, cpu_done_ns, end_ns, st};
        else
            p->dropped++;
    }
    pthread_mutex_unlock(&prof_mu);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static NRT_STATUS write_profile(const struct nrtemu_profile *p, const char *fn) {
    FILE *f = fopen(p->filename, "w");
    if (f == NULL) {
        LOG_ERROR(fn, "cannot write the profile '%s': %s", p->filename, strerror(errno));
        return NRT_FAILURE;
    }
    const struct nrt_model *m = p->model;
    fprintf(f, "{\n  \"format\": \"neuron-rt-emulator-profile\",\n  \"version\": 1,\n"
               "  \"note\": \"emulator execution timings; not an NTFF file\",\n  \"model\": ");
    json_str(f, m->name);
    fprintf(f, ",\n  \"vnc\": %u,\n  \"vnc_count\": %u,\n  \"device_time_ns\": %llu,\n"
               "  \"execution_count\": %zu,\n  \"dropped\": %llu,\n  \"executions\": [",
            m->first_vnc, m->k, (unsigned long long)m->device_time_ns, p->n,
            (unsigned long long)p->dropped);
    for (size_t i = 0; i < p->n; i++) {
        const prof_rec *r = &p->r[i];
        fprintf(f, "%s\n    {\"start_ns\": %llu, \"cpu_ns\": %llu, \"total_ns\": %llu, "
                   "\"status\": \"%s\"}", i ? "," : "",
                (unsigned long long)(r->start - p->started_ns),
                (unsigned long long)(r->cpu_done >= r->start ? r->cpu_done - r->start : 0),
                (unsigned long long)(r->end - r->start), nrtemu_status_name(r->status));
    }
    fprintf(f, "%s]\n}\n", p->n ? "\n  " : "");
    if (fclose(f) != 0) {
        LOG_ERROR(fn, "cannot write the profile '%s': %s", p->filename, strerror(errno));
        return NRT_FAILURE;
    }
    return NRT_SUCCESS;
}

static void session_free(struct nrtemu_profile *p) {
    nrtemu_model_put(p->model);
    free(p->r);
    free(p->filename);
    free(p);
}

NRTEMU_API NRT_STATUS nrt_profile_start(nrt_model_t *model, const char *filename) {
    static const char fn[] = "nrt_profile_start";
    if (filename == NULL || filename[0] == '\0') {
        LOG_ERROR(fn, "filename is NULL or empty");
        return NRT_INVALID;
    }
    NRT_STATUS st;
    struct nrt_model *m = nrtemu_model_get(model, &st, fn);
    if (m == NULL) return model == NULL && st == NRT_INVALID_HANDLE ? NRT_INVALID : st;
    struct nrtemu_profile *p = calloc(1, sizeof *p);
    size_t len = strlen(filename) + 1;
    char *name = malloc(len);
    if (p == NULL || name == NULL) {
        free(p);
        free(name);
        nrtemu_model_put(m);
        return NRT_RESOURCE;
    }
    memcpy(name, filename, len);
    pthread_mutex_lock(&prof_mu);
    bool busy = atomic_load(&m->prof) != NULL;
    for (struct nrtemu_profile *q = sessions; q && !busy; q = q->next)
        if (strcmp(q->filename, filename) == 0) busy = true;
    if (!busy) {
        p->filename = name;
        p->model = m; /* the lookup reference now belongs to the session */
        p->started_ns = nrtemu_now_ns();
        p->next = sessions;
        sessions = p;
        atomic_store(&m->prof, p);
    }
    pthread_mutex_unlock(&prof_mu);
    if (busy) {
        LOG_ERROR(fn, "model '%s' or file '%s' is already being profiled", m->name, filename);
        free(p);
        free(name);
        nrtemu_model_put(m);
        return NRT_INVALID;
    }
    LOG_INFO(fn, "profiling model '%s' to '%s' (emulator JSON profile, not NTFF)", m->name, filename);
    return NRT_SUCCESS;
}

static struct nrtemu_profile *detach_locked(struct nrtemu_profile **pp) {
    struct nrtemu_profile *p = *pp;
    *pp = p->next;
    atomic_store(&p->model->prof, NULL);
    return p;
}

NRTEMU_API NRT_STATUS nrt_profile_stop(const char *filename) {
    static const char fn[] = "nrt_profile_stop";
    if (filename == NULL) {
        LOG_ERROR(fn, "filename is NULL");
        return NRT_INVALID;
    }
    struct nrtemu_profile *p = NULL;
    pthread_mutex_lock(&prof_mu);
    for (struct nrtemu_profile **pp = &sessions; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->filename, filename) == 0) {
            p = detach_locked(pp);
            break;
        }
    }
    pthread_mutex_unlock(&prof_mu);
    if (p == NULL) {
        LOG_ERROR(fn, "no profiling session writes to '%s' (nrt_profile_start was not called with "
                      "this file name)", filename);
        return NRT_INVALID;
    }
    NRT_STATUS st = write_profile(p, fn);
    session_free(p);
    return st;
}

void nrtemu_profile_stop_all(void) {
    pthread_mutex_lock(&prof_mu);
    struct nrtemu_profile *list = NULL;
    while (sessions != NULL) {
        struct nrtemu_profile *p = detach_locked(&sessions);
        p->next = list;
        list = p;
    }
    pthread_mutex_unlock(&prof_mu);
    while (list != NULL) {
        struct nrtemu_profile *p = list;
        list = p->next;
        LOG_WARN("nrt_close", "profiling of '%s' was not stopped: writing '%s'", p->model->name,
                 p->filename);
        write_profile(p, "nrt_close");
        session_free(p);
    }
}
