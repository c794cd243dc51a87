/* inflate_bench: throughput of the emulator's gzip decoder (inflate.c) on large payloads.
 *
 *   inflate_bench gen KIND MIB > raw     writes MIB MiB of synthetic NEFF-payload-like data
 *   gzip -6 -c raw > raw.gz               (any gzip; `make bench` does both steps)
 *   inflate_bench run raw.gz [ROUNDS]     decodes it ROUNDS times, prints MB/s (output bytes)
 *
 * KIND is `weights` (float32 values of a bell-shaped distribution: mostly literals, the slow
 * case), `bf16` (bfloat16 weights: short matches on the exponent bytes) or `sparse` (runs of
 * zeros and repeated rows: long back-references). Performance is measured here, never in tests;
 * `make bench` records the numbers quoted in BENCHMARKS.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inflate.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { /* xorshift64 */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Sum of four uniforms: bell-shaped around 0, in [-2, 2). */
static float bell(void) {
    float s = 0;
    for (int i = 0; i < 4; i++) s += (float)(next() >> 40) / (float)(1 << 24) - 0.5f;
    return s * 0.05f;
}

static int gen(const char *kind, size_t mib) {
    size_t n = mib << 20;
    uint8_t *buf = malloc(n);
    if (buf == NULL) return 1;
    if (strcmp(kind, "weights") == 0) {
        for (size_t i = 0; i + 4 <= n; i += 4) {
            float f = bell();
            memcpy(buf + i, &f, 4);
        }
    } else if (strcmp(kind, "bf16") == 0) {
        for (size_t i = 0; i + 2 <= n; i += 2) {
            float f = bell();
            uint32_t u;
            memcpy(&u, &f, 4);
            uint16_t h = (uint16_t)(u >> 16);
            memcpy(buf + i, &h, 2);
        }
    } else if (strcmp(kind, "sparse") == 0) {
        size_t i = 0;
        while (i < n) {
            size_t run = 64 + next() % 4096;
            if (run > n - i) run = n - i;
            uint64_t r = next() % 3;
            if (r == 0) {
                memset(buf + i, 0, run);
            } else if (r == 1 && i >= 4096) {
                memcpy(buf + i, buf + i - 1024 * (1 + next() % 4), run < 1024 ? run : 1024);
                if (run > 1024) run = 1024;
            } else {
                for (size_t k = 0; k < run; k++) buf[i + k] = (uint8_t)(next() % 16);
            }
            i += run;
        }
    } else {
        fprintf(stderr, "unknown kind '%s' (weights, bf16 or sparse)\n", kind);
        free(buf);
        return 2;
    }
    size_t w = fwrite(buf, 1, n, stdout);
    free(buf);
    return w == n ? 0 : 1;
}

/* Wall clock, and this process's CPU time: on a shared, loaded machine the CPU-time rate is
   the steadier figure (it excludes time spent waiting for a core). */
static double clock_s(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run(const char *path, int rounds) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *in = malloc((size_t)len);
    if (in == NULL || fread(in, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(in);
        return 1;
    }
    fclose(f);
    double gz[64], cpu[64], crc[64];
    if (rounds > 64) rounds = 64;
    size_t out_len = 0;
    for (int r = 0; r < rounds; r++) {
        uint8_t *out;
        size_t used;
        char err[256];
        double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_s(CLOCK_MONOTONIC);
        if (nrtemu_gunzip(in, (size_t)len, SIZE_MAX, &out, &out_len, &used, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", path, err);
            free(in);
            return 1;
        }
        double t1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        volatile uint32_t c = nrtemu_crc32(0, out, out_len); /* the trailer check alone */
        (void)c;
        double t2 = clock_s(CLOCK_MONOTONIC);
        gz[r] = (double)out_len / (t1 - t0) / 1e6;
        cpu[r] = (double)out_len / (c1 - c0) / 1e6;
        crc[r] = (double)out_len / (t2 - t1) / 1e6;
        free(out);
    }
    qsort(gz, (size_t)rounds, sizeof gz[0], cmp);
    qsort(cpu, (size_t)rounds, sizeof cpu[0], cmp);
    qsort(crc, (size_t)rounds, sizeof crc[0], cmp);
    printf("%s: %ld -> %zu bytes (ratio %.3f), %d rounds: gunzip %.0f MB/s median, %.0f best "
           "(wall); %.0f MB/s median per CPU second; crc32 alone %.0f MB/s median\n",
           path, len, out_len, (double)len / (double)out_len, rounds, gz[rounds / 2],
           gz[rounds - 1], cpu[rounds / 2], crc[rounds / 2]);
    free(in);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "gen") == 0) return gen(argv[2], (size_t)atol(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "run") == 0) return run(argv[2], argc > 3 ? atoi(argv[3]) : 5);
    fprintf(stderr, "usage: inflate_bench gen weights|bf16|sparse MIB > raw\n"
                    "       inflate_bench run FILE.gz [ROUNDS]\n");
    return 2;
}
