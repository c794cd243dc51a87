/* neff.c: the NEFF container checks of FORMAT.md §1-2, in the order written there, and the
 * lookup of the emulator program (nrtemu/program.bin) in the ustar payload (decompressed first for
 * pkg_version 2), else of the compiler layout (compiled.c, FORMAT.md §5). */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiled.h"
#include "sha256.h"
#include "tar.h"

#define NEFF_HEADER_SIZE 1024u

static uint64_t rd64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

NRT_STATUS nrtemu_neff_parse(const void *bytes, size_t size, uint32_t runtime_lnc,
                             bool validate_hash, nrtemu_neff *out, const char *fn) {
    const uint8_t *b = bytes;
    memset(out, 0, sizeof *out);
    if (size < NEFF_HEADER_SIZE) {
        LOG_ERROR(fn, "NEFF is truncated: %zu bytes, smaller than the 1024-byte header", size);
        return NRT_INVALID;
    }
    out->pkg_version = rd64(b + 0x000);
    if (out->pkg_version != 1 && out->pkg_version != 2) {
        LOG_ERROR(fn, "invalid NEFF: unknown pkg_version %llu (expected 1 or 2)",
                  (unsigned long long)out->pkg_version);
        return NRT_INVALID;
    }
    out->header_size = rd64(b + 0x008);
    if (out->header_size < NEFF_HEADER_SIZE || out->header_size > size) {
        LOG_ERROR(fn, "invalid NEFF: header_size %llu is not within [1024, file size %zu]",
                  (unsigned long long)out->header_size, size);
        return NRT_INVALID;
    }
    out->data_size = rd64(b + 0x010);
    if (out->data_size > (uint64_t)size - out->header_size) {
        LOG_ERROR(fn, "invalid NEFF: truncated: header_size %llu + data_size %llu exceeds the file "
                      "size %zu", (unsigned long long)out->header_size,
                  (unsigned long long)out->data_size, size);
        return NRT_INVALID;
    }
    out->payload = b + out->header_size;
    out->payload_len = (size_t)out->data_size;
    out->neff_major = rd64(b + 0x018);
    if (out->neff_major > 2) {
        LOG_ERROR(fn, "unsupported NEFF version %llu.%llu (this runtime supports major versions "
                      "0 to 2)", (unsigned long long)out->neff_major,
                  (unsigned long long)rd64(b + 0x020));
        return NRT_UNSUPPORTED_NEFF_VERSION;
    }
    out->num_tpb = rd32(b + 0x0A8);
    if (out->num_tpb == 0) out->num_tpb = 1;
    if (validate_hash) {
        if (out->pkg_version == 1) {
            uint8_t h[32];
            nrtemu_sha256(out->payload, out->payload_len, h);
            if (memcmp(h, b + 0x0AC, 32) != 0) {
                LOG_ERROR(fn, "NEFF hash mismatch: the SHA-256 of the payload differs from the "
                              "header (NEURON_RT_VALIDATE_HASH is set)");
                return NRT_INVALID;
            }
        } else {
            LOG_DEBUG(fn, "pkg_version 2 NEFF: MD5 hash not checked by the emulator");
        }
    }
    const char *name = (const char *)b + 0x0DC;
    if (memchr(name, '\0', 256) == NULL) {
        LOG_ERROR(fn, "invalid NEFF: the model name is not NUL-terminated within 256 bytes");
        return NRT_INVALID;
    }
    memcpy(out->name, name, strlen(name) + 1);
    out->feature_bits = rd64(b + 0x220);
    if (out->feature_bits >> 27) {
        LOG_ERROR(fn, "NEFF '%s' uses unsupported features (feature_bits 0x%llx; this runtime "
                      "knows bits 0-26)", out->name, (unsigned long long)out->feature_bits);
        return NRT_UNSUPPORTED_NEFF_VERSION;
    }
    out->lnc_size = rd32(b + 0x228);
    if (out->lnc_size == 0) out->lnc_size = 1;
    if (out->lnc_size != runtime_lnc) {
        LOG_ERROR(fn, "NEFF '%s' was compiled for logical NeuronCore size %u but the runtime uses "
                      "LNC %u (NEURON_LOGICAL_NC_CONFIG)", out->name, out->lnc_size, runtime_lnc);
        return NRT_INVALID;
    }
    const uint8_t *tar = out->payload;
    size_t tar_len = out->payload_len;
    char err[512];
    if (out->pkg_version == 2) {
        if (out->payload_len < 2 || out->payload[0] != 0x1f || out->payload[1] != 0x8b) {
            LOG_ERROR(fn, "invalid NEFF '%s': pkg_version 2 payload is not gzip data", out->name);
            return NRT_INVALID;
        }
        if (nrtemu_compiled_gunzip(out->payload, out->payload_len, NRTEMU_COMPILED_MAX_PAYLOAD,
                                   &out->inflated, &tar_len, err, sizeof err) != 0) {
            LOG_ERROR(fn, "invalid NEFF '%s': %s", out->name, err);
            return NRT_INVALID;
        }
        tar = out->inflated;
    }
    const uint8_t *prog = NULL;
    size_t plen = 0;
    int rc = nrtemu_tar_find(tar, tar_len, "nrtemu/program.bin", &prog, &plen, err, sizeof err);
    if (rc < 0) {
        LOG_ERROR(fn, "invalid NEFF '%s': malformed tar payload: %s", out->name, err);
        nrtemu_neff_release(out);
        return NRT_INVALID;
    }
    if (rc == 0) {
        out->program = prog;
        out->program_len = plen;
        return NRT_SUCCESS;
    }
    /* no emulator program: a NEFF built by the Neuron compiler (FORMAT.md §5) */
    rc = nrtemu_compiled_parse(tar, tar_len, &out->compiled, err, sizeof err);
    if (rc < 0) {
        LOG_ERROR(fn, "invalid NEFF '%s': %s", out->name, err);
        nrtemu_neff_release(out);
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}

void nrtemu_neff_release(nrtemu_neff *n) {
    free(n->inflated);
    n->inflated = NULL;
    n->program = NULL;
    n->program_len = 0;
    nrtemu_compiled_free(n->compiled);
    n->compiled = NULL;
}
