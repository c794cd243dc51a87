/* SHA-256 (FIPS 180-4) for the emulator's NEURON_RT_VALIDATE_HASH check. No state, thread-safe. */
#ifndef NRTEMU_SHA256_H
#define NRTEMU_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Writes the SHA-256 digest of data[0..len) to out. data may be NULL when len is 0. */
void nrtemu_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
