/* inflate.h: a strict, bounded gzip (RFC 1952) / DEFLATE (RFC 1951) decoder for pkg_version 2
   NEFF payloads (FORMAT.md §5). Written for this emulator from the RFCs; no global state,
   thread-safe. Decoding is table-driven (a 64-bit bit buffer refilled a word at a time; Huffman
   codes of up to 11 bits by one table lookup, longer ones by the canonical walk): a few hundred
   MB/s, BENCHMARKS.md "inflate". fuzz/emu_inflate_diff.c checks it against the bit-serial
   reference decoder it replaced. */
#ifndef NRTEMU_INFLATE_H
#define NRTEMU_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the single gzip member at the start of in[0..len).
   Checks: magic 1f 8b, CM 8, no reserved FLG bits, the optional FEXTRA/FNAME/FCOMMENT fields
   within the input, FHCRC when present, every DEFLATE rule (block types, code lengths neither
   over-subscribed nor incomplete, except a single distance code; symbols and distances in range),
   then the CRC-32 and ISIZE trailer. The output may not exceed max_out bytes.
   On success returns 0, *out is a malloc'd buffer (free it; never NULL, even when *out_len is 0)
   and *consumed is the length of the member (bytes after it are the caller's business).
   On failure returns -1 with a one-line reason in err, *out NULL. */
int nrtemu_gunzip(const uint8_t *in, size_t len, size_t max_out, uint8_t **out, size_t *out_len,
                  size_t *consumed, char *err, size_t err_len);

/* The raw DEFLATE stream decoder behind nrtemu_gunzip (no header or trailer); same contract,
   *consumed counts whole bytes including the last partial one. */
int nrtemu_inflate_raw(const uint8_t *in, size_t len, size_t max_out, uint8_t **out,
                       size_t *out_len, size_t *consumed, char *err, size_t err_len);

/* CRC-32 (ISO-HDLC, the gzip trailer's checksum) of data, continuing from crc (start at 0). */
uint32_t nrtemu_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
