/*
 * reservation_race_test.c: NEURON_RT_NUM_CORES processes that start together never refuse each
 * other while enough cores are free.
 *
 * Each round forks N real processes that wait on one pipe, are released at the same instant, set
 * their options and call nrt_init asking for k cores each, on an instance with exactly N x k
 * cores; every one of them must succeed (their reservations must also be disjoint, which the
 * kernel's flock guarantees and each child checks through nrt_get_visible_vnc_count). Scenarios:
 * inf2.24xlarge with two 6-core processes, trn1.32xlarge with four 8-core processes.
 *
 *   reservation_race_test [ROUNDS]     default 10 rounds per scenario (60 process starts)
 *   make race ROUNDS=34                the long run: 2x34 + 4x34 = 204 process starts
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nrt/nrt.h"
#include "nrt_emu.h"

#define MAX_PROCS 8

/* Child: wait for the start signal, reserve, report through the exit code, hold the cores until
   the parent says all children have answered (so reservations overlap in time). */
static int child(int start_fd, int done_fd, int report_fd, const char *instance, unsigned k,
                 const char *lock_dir) {
    char num[16];
    snprintf(num, sizeof num, "%u", k);
    if (nrt_emu_set_option("instance", instance) != NRT_SUCCESS ||
        nrt_emu_set_option("num_cores", num) != NRT_SUCCESS ||
        nrt_emu_set_option("lock_dir", lock_dir) != NRT_SUCCESS ||
        nrt_emu_set_option("log_level", "QUIET") != NRT_SUCCESS)
        return 3;
    char c;
    if (read(start_fd, &c, 1) < 0) return 4; /* EOF: released */
    NRT_STATUS st = nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "");
    uint32_t visible = 0;
    if (st == NRT_SUCCESS) nrt_get_visible_vnc_count(&visible);
    unsigned char result = st != NRT_SUCCESS ? 1 : (visible != k ? 2 : 0);
    if (write(report_fd, &result, 1) != 1) return 5;
    if (read(done_fd, &c, 1) < 0) return 6; /* hold until every child has reported */
    nrt_close();
    return result;
}

/* One round; returns the number of refused processes (or -1 on a harness error). */
static int round_once(const char *instance, unsigned procs, unsigned k, const char *lock_dir) {
    int start[2], done[2], report[2];
    if (pipe(start) || pipe(done) || pipe(report)) return -1;
    pid_t pid[MAX_PROCS];
    for (unsigned i = 0; i < procs; i++) {
        pid[i] = fork();
        if (pid[i] < 0) return -1;
        if (pid[i] == 0) {
            close(start[1]);
            close(done[1]);
            close(report[0]);
            _exit(child(start[0], done[0], report[1], instance, k, lock_dir));
        }
    }
    close(start[0]);
    close(done[0]);
    close(report[1]);
    close(start[1]); /* all children see EOF at once: go */
    int refused = 0;
    for (unsigned i = 0; i < procs; i++) {
        unsigned char r;
        if (read(report[0], &r, 1) != 1) {
            refused = -1;
            break;
        }
        if (r != 0) refused++;
    }
    close(done[1]); /* let them close and exit */
    close(report[0]);
    for (unsigned i = 0; i < procs; i++) {
        int ws;
        while (waitpid(pid[i], &ws, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) > 2) refused = -1;
    }
    return refused;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
    if (rounds < 1) rounds = 1;
    char lock_dir[] = "/tmp/nrtemu-race-XXXXXX";
    if (mkdtemp(lock_dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    static const struct {
        const char *instance;
        unsigned procs, k;
    } scen[] = {{"inf2.24xlarge", 2, 6}, {"trn1.32xlarge", 4, 8}};
    int failed = 0;
    long starts = 0;
    for (size_t s = 0; s < sizeof scen / sizeof scen[0]; s++) {
        long refusals = 0, bad_rounds = 0;
        for (long r = 0; r < rounds; r++) {
            int n = round_once(scen[s].instance, scen[s].procs, scen[s].k, lock_dir);
            if (n < 0) {
                fprintf(stderr, "%s: harness error in round %ld\n", scen[s].instance, r);
                return 2;
            }
            starts += scen[s].procs;
            refusals += n;
            bad_rounds += n > 0;
        }
        printf("%s: %u processes x %u cores, %ld rounds: %ld refusals in %ld rounds\n",
               scen[s].instance, scen[s].procs, scen[s].k, rounds, refusals, bad_rounds);
        if (refusals) failed = 1;
    }
    printf("reservation race: %ld process starts, %s\n", starts, failed ? "FAILED" : "all succeeded");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", lock_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", lock_dir);
    return failed;
}
