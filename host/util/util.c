/* util.c - errors, clock, hashing and whole-file I/O shared by every module.
 * Kept tiny on purpose: anything with a domain of its own gets its own file. */
#define _POSIX_C_SOURCE 200809L
#include "sb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sb_fail(sb_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int sb_wrap(sb_err *err, const char *fmt, ...)
{
    char buf[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used > sizeof buf - 3)
        used = sizeof buf - 3;
    memcpy(buf + used, ": ", 2);
    used += 2;
    size_t rest = strnlen(err->msg, sizeof err->msg - 1);
    if (rest > sizeof buf - 1 - used)
        rest = sizeof buf - 1 - used;
    memcpy(buf + used, err->msg, rest);
    buf[used + rest] = '\0';
    memcpy(err->msg, buf, sizeof buf);
    return err->code;
}

double sb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t sb_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int sb_write_file(const char *path, const void *data, size_t n, sb_err *err)
{
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    if (!tmp)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    snprintf(tmp, len, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        sb_fail(err, SB_EUSAGE, "cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return err->code;
    }
    int ok = fwrite(data, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        sb_fail(err, SB_ERUNTIME, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return err->code;
    }
    free(tmp);
    return SB_OK;
}

int sb_read_file(const char *path, char **out, size_t *n, sb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sb_fail(err, SB_EUSAGE, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return sb_fail(err, SB_ERUNTIME, "out of memory reading %s", path);
    if (bad) {
        free(buf);
        return sb_fail(err, SB_ERUNTIME, "cannot read %s", path);
    }
    buf[len] = '\0';
    *out = buf;
    if (n)
        *n = len;
    return SB_OK;
}
