/* Minimal, bounds-checked ustar reader for NEFF payloads (FORMAT.md §2). No state, thread-safe. */
#ifndef NRTEMU_TAR_H
#define NRTEMU_TAR_H

#include <stddef.h>
#include <stdint.h>

/* Looks up the regular-file member named `member` in the ustar archive tar[0..len).
   The whole archive is walked and every header validated (checksum, octal size, data within
   the archive), so a corrupt archive is reported even when the member comes first.
   Returns 0 when found (*data / *size point into `tar`), 1 when the archive is valid but has no
   such member, -1 when the archive is malformed (a one-line reason in err, always
   NUL-terminated when err_len > 0). A member name that appears twice is malformed.
   data, size and err may be NULL. */
int nrtemu_tar_find(const uint8_t *tar, size_t len, const char *member, const uint8_t **data,
                    size_t *size, char *err, size_t err_len);

#endif
