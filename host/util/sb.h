/* sb.h - what every signbench module shares: status codes and the error record.
 * A failing function fills an sb_err with one line of context and returns its status. */
#ifndef SB_H
#define SB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_VERSION "0.1.0"

/* Statuses double as process exit codes: the CLI returns them unchanged. */
enum {
    SB_OK = 0,
    SB_ERUNTIME = 1, /* the device, the driver or the system failed */
    SB_EUSAGE = 2    /* the user asked for something invalid */
};

typedef struct sb_err {
    int code;
    char msg[1024];
} sb_err;

/* Record an error and return its code, so callers can write `return sb_fail(...)`. */
int sb_fail(sb_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context ("while X: ") to an existing message; returns err->code. */
int sb_wrap(sb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Wall-clock seconds from a monotonic clock. */
double sb_now(void);

/* 64-bit FNV-1a, used to fingerprint kernel sources and build options. */
uint64_t sb_fnv1a(uint64_t h, const void *data, size_t n);
#define SB_FNV_INIT 0xcbf29ce484222325ULL

/* Write a whole file atomically: to FILE.tmp, fsync, then rename (FILE.tmp removed on
 * any failure and by the handlers of sb_signals_install). */
int sb_write_file(const char *path, const void *data, size_t n, sb_err *err);
/* Every reader stops at this many bytes (1 GiB) unless $SIGNBENCH_MAX_INPUT says how many:
 * an endless stream (/dev/zero, a pipe) is refused with one line, not read until memory
 * runs out. */
#define SB_READ_MAX ((size_t)1 << 30)
size_t sb_read_limit(void);
/* Read a whole file (at most sb_read_limit() bytes; a folder is refused as one); *out is
 * malloc'ed and NUL-terminated (not counted in *n). */
int sb_read_file(const char *path, char **out, size_t *n, sb_err *err);
/* sb_read_file for text inputs: a NUL byte is refused (naming its line), a leading
 * UTF-8 byte-order mark dropped. */
int sb_read_text(const char *path, char **out, size_t *n, sb_err *err);
/* SIGINT, SIGTERM, SIGHUP: kill the child of sb_tmp_child, remove the files of
 * sb_tmp_add (the FILE.tmp being written), say so, then die of the signal (exit status
 * 128 + its number in a shell; a run folder keeps its INCOMPLETE mark, see fs.h). */
void sb_signals_install(void);
/* A temporary file the handlers remove: a slot (-1 when none is free: at most 4 files
 * at once), to give back with sb_tmp_drop once the file is renamed or removed. */
int sb_tmp_add(const char *path);
void sb_tmp_drop(int slot);
/* The child process writing those files (gnuplot), 0 for none: the handlers kill and
 * reap it first, so it cannot write them again after their removal. */
void sb_tmp_child(pid_t pid);
/* Physical memory of this machine in bytes (INFINITY when unknown). */
double sb_host_memory(void);
/* A byte count for messages: "1.5 GiB", "640 bytes". */
const char *sb_human_bytes(double bytes, char *buf, size_t n);

#endif
