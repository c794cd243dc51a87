/* errbuf.h: the one-line error reason that the stateless parsers (tar, program, inflate, json,
   compiler NEFF) hand back to their caller, who logs it with context. */
#ifndef NRTEMU_ERRBUF_H
#define NRTEMU_ERRBUF_H

#include <stddef.h>

/* printf into err[0..err_len) (always NUL-terminated when err_len > 0); err NULL is a no-op. */
void nrtemu_set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
