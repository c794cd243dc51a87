/* log.c: one line per event on stderr, in the runtime's style:
 *   2026-Nov-21 10:15:02.123456 4242:4242 ERROR  NRT:nrt_allocate_neuron_cores      <message>
 * Level: option "log_level" > NEURON_RT_LOG_LEVEL_NRT > NEURON_RT_LOG_LEVEL > ERROR (default).
 * The level check (nrtemu_log_on, emu.h) is one relaxed atomic load; formatting happens only for
 * enabled levels. Each line is written with a single write(2) so lines never interleave. */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

atomic_int nrtemu_log_threshold = -1;

static const char *const level_names[] = {"QUIET", "ERROR", "WARNING", "INFO", "DEBUG", "TRACE"};

int nrtemu_log_parse_level(const char *s) {
    if (s == NULL) return -1;
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n')) n--;
    for (int i = 0; i <= NRTEMU_LOG_TRACE; i++)
        if (strlen(level_names[i]) == n && strncasecmp(s, level_names[i], n) == 0) return i;
    if (n == 4 && strncasecmp(s, "WARN", 4) == 0) return NRTEMU_LOG_WARNING;
    return -1;
}

int nrtemu_log_resolve(void) {
    int lvl = -1;
    char *opt = nrtemu_config_get(NRTEMU_OPT_LOG_LEVEL); /* option, else NEURON_RT_LOG_LEVEL */
    const char *comp = getenv("NEURON_RT_LOG_LEVEL_NRT");
    /* an explicit option beats the component variable, which beats the global variable */
    if (nrtemu_config_is_set(NRTEMU_OPT_LOG_LEVEL)) lvl = nrtemu_log_parse_level(opt);
    if (lvl < 0 && comp != NULL) lvl = nrtemu_log_parse_level(comp);
    if (lvl < 0 && opt != NULL) lvl = nrtemu_log_parse_level(opt);
    if (lvl < 0) lvl = NRTEMU_LOG_ERROR;
    free(opt);
    atomic_store_explicit(&nrtemu_log_threshold, lvl, memory_order_relaxed);
    return lvl;
}

void nrtemu_log_write(int lvl, const char *fn, const char *fmt, ...) {
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    if (lvl < NRTEMU_LOG_ERROR || lvl > NRTEMU_LOG_TRACE) lvl = NRTEMU_LOG_ERROR;
    int n = snprintf(line, sizeof line, "%04d-%s-%02d %02d:%02d:%02d.%06ld %d:%ld %-6s NRT:%-30s ",
                     tm.tm_year + 1900, mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long)(ts.tv_nsec / 1000), (int)getpid(), (long)syscall(SYS_gettid),
                     level_names[lvl], fn);
    if (n < 0) return;
    size_t used = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + used, sizeof line - used, fmt, ap);
    va_end(ap);
    if (m > 0) used += (size_t)m < sizeof line - used ? (size_t)m : sizeof line - used - 1;
    /* one event, one line: replace embedded newlines */
    for (size_t i = 0; i < used; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    if (used >= sizeof line - 1) used = sizeof line - 2;
    line[used++] = '\n';
    size_t off = 0;
    while (off < used) {
        ssize_t w = write(STDERR_FILENO, line + off, used - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
}
