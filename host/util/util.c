/* util.c - errors, clock, hashing and whole-file I/O shared by every module.
 * Kept tiny on purpose: anything with a domain of its own gets its own file. */
#define _POSIX_C_SOURCE 200809L
#include "sb.h"

#include "progress.h"

#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

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

/* The temporary files being written, removed by the signal handler: sb_write_file's
 * FILE.tmp and gnuplot's BASE.{png,svg}.tmp. A slot's path is complete before the slot
 * is marked held, and the mark is cleared before the path is reused. */
#define SB_TMP_SLOTS 4
static char tmp_path[SB_TMP_SLOTS][4096];
static volatile sig_atomic_t tmp_held[SB_TMP_SLOTS];
/* A child writing those files (gnuplot): killed and reaped before they are removed, so
 * it cannot write them again after the handler. */
static volatile sig_atomic_t tmp_child;

int sb_tmp_add(const char *path)
{
    if (strlen(path) >= sizeof tmp_path[0])
        return -1;
    for (int i = 0; i < SB_TMP_SLOTS; i++)
        if (!tmp_held[i]) {
            memcpy(tmp_path[i], path, strlen(path) + 1);
            tmp_held[i] = 1;
            return i;
        }
    return -1;
}

void sb_tmp_drop(int slot)
{
    if (slot >= 0 && slot < SB_TMP_SLOTS)
        tmp_held[slot] = 0;
}

void sb_tmp_child(pid_t pid)
{
    tmp_child = pid;
}

static void on_signal(int sig)
{
    pid_t child = tmp_child;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    for (int i = 0; i < SB_TMP_SLOTS; i++)
        if (tmp_held[i])
            unlink(tmp_path[i]);
    sb_progress_clear();
    static const char msg[] = "signbench: interrupted; partial results removed, the run "
                              "folder (if any) keeps its INCOMPLETE mark\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

void sb_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* Every handled signal is blocked while one handler runs: one removal, one line. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int sb_write_file(const char *path, const void *data, size_t n, sb_err *err)
{
    char tmp[4096];
    if (strlen(path) + 5 > sizeof tmp)
        return sb_fail(err, SB_EUSAGE, "cannot write %s: path too long", path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int slot = sb_tmp_add(tmp);
    if (slot < 0)
        return sb_fail(err, SB_ERUNTIME, "cannot write %s: too many files open at once",
                       path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int eno = errno;
        sb_tmp_drop(slot);
        return sb_fail(err, SB_EUSAGE, "cannot write %s: %s", path, strerror(eno));
    }
    /* Flushed to the disk before the rename: a crash leaves the old file or the new one. */
    int ok = fwrite(data, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int eno = errno;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) != 0)
        ok = 0, eno = errno;
    else if (!ok && !eno)
        eno = errno ? errno : EIO;
    if (!ok) {
        unlink(tmp);
        sb_tmp_drop(slot);
        return sb_fail(err, SB_ERUNTIME, "cannot write %s: %s", path, strerror(eno));
    }
    sb_tmp_drop(slot);
    return SB_OK;
}

size_t sb_read_limit(void)
{
    const char *v = getenv("SIGNBENCH_MAX_INPUT");
    if (v && *v) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (!errno && end != v && !*end && n > 0)
            return (size_t)n;
    }
    return SB_READ_MAX;
}

const char *sb_human_bytes(double b, char *buf, size_t n)
{
    static const char *unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4)
        b /= 1024, u++;
    if (u == 0)
        snprintf(buf, n, "%.0f bytes", b);
    else
        snprintf(buf, n, b == floor(b) ? "%.0f %s" : "%.1f %s", b, unit[u]);
    return buf;
}

double sb_host_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : INFINITY;
}

/* Read at most limit bytes of an open stream; one more byte means "too large". Text
 * stops at the first chunk holding a NUL byte (an endless /dev/zero ends at once). */
static int read_stream(const char *path, FILE *f, size_t limit, int text, char **out,
                       size_t *n, sb_err *err)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        int nul = text && memchr(buf + len, '\0', got) != NULL;
        len += got;
        if (len < cap || len > limit || nul)
            break;
        cap = cap > limit / 2 ? limit + 1 : 2 * cap;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    int bad = ferror(f), eno = errno;
    if (!buf)
        return sb_fail(err, SB_ERUNTIME, "out of memory reading %s", path);
    if (bad) {
        free(buf);
        return sb_fail(err, SB_EUSAGE, "cannot read %s: %s", path, strerror(eno));
    }
    if (len > limit && !(text && memchr(buf, '\0', len))) {
        char h[32];
        free(buf);
        return sb_fail(err, SB_EUSAGE,
                       "%s is larger than the %s limit on input files "
                       "(raise it with SIGNBENCH_MAX_INPUT=BYTES)",
                       path, sb_human_bytes((double)limit, h, sizeof h));
    }
    buf[len] = '\0';
    *out = buf;
    if (n)
        *n = len;
    return SB_OK;
}

static int read_path(const char *path, int text, char **out, size_t *n, sb_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sb_fail(err, SB_EUSAGE, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return sb_fail(err, SB_EUSAGE, "%s is a folder, not a file", path);
    }
    int rc = read_stream(path, f, sb_read_limit(), text, out, n, err);
    fclose(f);
    return rc;
}

int sb_read_file(const char *path, char **out, size_t *n, sb_err *err)
{
    return read_path(path, 0, out, n, err);
}

int sb_read_text(const char *path, char **out, size_t *n, sb_err *err)
{
    size_t len = 0;
    if (read_path(path, 1, out, &len, err) != SB_OK)
        return err->code;
    char *t = *out;
    const char *nul = memchr(t, '\0', len);
    if (nul) {
        size_t line = 1;
        for (const char *p = t; p < nul; p++)
            line += *p == '\n';
        size_t at = (size_t)(nul - t);
        free(t);
        *out = NULL;
        return sb_fail(err, SB_EUSAGE,
                       "%s:%zu: NUL byte (at byte %zu): not a text file "
                       "(text inputs are ASCII or UTF-8; UTF-16 is not read)",
                       path, line, at);
    }
    /* A UTF-8 byte-order mark (as some editors write) is dropped. */
    if (len >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3)) {
        memmove(t, t + 3, len - 3 + 1);
        len -= 3;
    }
    if (n)
        *n = len;
    return SB_OK;
}
