/* fs.c - files and folders of a run: mkdir -p, a source-tree file found from the binary's
 * location, the UTC stamp and the device-name slug that run folders are named with. */
#define _POSIX_C_SOURCE 200809L
#include "fs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sb_mkdir_p(const char *path, sb_err *err)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return sb_fail(err, SB_EUSAGE, "path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return sb_fail(err, SB_EUSAGE, "cannot create folder %s: %s", buf,
                           strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return sb_fail(err, SB_EUSAGE, "cannot create folder %s: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return sb_fail(err, SB_EUSAGE, "%s exists and is not a folder", buf);
    return SB_OK;
}

int sb_find_source_file(const char *rel, int up, char *out, size_t cap)
{
    if (access(rel, R_OK) == 0 && strlen(rel) < cap) {
        memcpy(out, rel, strlen(rel) + 1);
        return 1;
    }
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || rel[0] == '/')
        return 0;
    exe[n] = '\0';
    const char *dir = dirname(exe);
    for (int k = 1; k <= up; k++) {
        char p[2048];
        int len = snprintf(p, sizeof p, "%s", dir);
        for (int i = 0; i < k; i++)
            len += snprintf(p + len, sizeof p - (size_t)len, "/..");
        snprintf(p + len, sizeof p - (size_t)len, "/%s", rel);
        if (strlen(p) >= cap || strlen(p) >= sizeof p - 1)
            return 0;
        if (access(p, R_OK) == 0) {
            memcpy(out, p, strlen(p) + 1);
            return 1;
        }
    }
    return 0;
}

const char *sb_utc_stamp(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

void sb_slug(const char *in, char *out, size_t n)
{
    size_t k = 0;
    int dash = 1;
    for (const char *p = in; *p && k + 1 < n && k < 40; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c)) {
            out[k++] = (char)tolower(c);
            dash = 0;
        } else if (!dash) {
            out[k++] = '-';
            dash = 1;
        }
    }
    while (k > 0 && out[k - 1] == '-')
        k--;
    if (k == 0 && n > 7)
        k = (size_t)snprintf(out, n, "device");
    out[k] = '\0';
}

void sb_default_run_dir(const char *device, char *dir, size_t cap)
{
    char stamp[32], slug[64];
    sb_utc_stamp(stamp, sizeof stamp);
    sb_slug(device, slug, sizeof slug);
    snprintf(dir, cap, "results/runs/%s-%s", stamp, slug);
    for (int k = 2; k < 100 && access(dir, F_OK) == 0; k++)
        snprintf(dir, cap, "results/runs/%s-%s-%d", stamp, slug, k);
}

/* The folder whose INCOMPLETE mark this process made (the outermost run: suite runs grid
 * and sweep into its own folder, their marks are its mark). */
static char marked[1024];

int sb_run_begin(const char *dir, sb_err *err)
{
    if (marked[0])
        return SB_OK;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, SB_RUN_MARKER);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) {
        if (errno == EEXIST)
            return SB_OK; /* a run of another process, or one interrupted: stays marked */
        return sb_fail(err, SB_ERUNTIME, "cannot write %s: %s", path, strerror(errno));
    }
    static const char note[] = "This run did not finish (interrupted, or a write failed): "
                               "its results are partial. signbench removes this file when "
                               "the run completes.\n";
    int ok =
        write(fd, note, sizeof note - 1) == (ssize_t)(sizeof note - 1) && fsync(fd) == 0;
    int eno = errno;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(path);
        return sb_fail(err, SB_ERUNTIME, "cannot write %s: %s", path, strerror(eno));
    }
    snprintf(marked, sizeof marked, "%s", dir);
    return SB_OK;
}

void sb_run_end(const char *dir)
{
    if (!marked[0] || strcmp(marked, dir))
        return;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, SB_RUN_MARKER);
    unlink(path);
    marked[0] = '\0';
}

int sb_run_marked_here(const char *dir)
{
    return marked[0] && !strcmp(marked, dir);
}

int sb_run_incomplete(const char *path)
{
    /* PATH's folder (PATH itself when it is one) and the folders above it, up to
     * SB_RUN_DEPTH: suite writes below its run folder (train/, devices/P-D/). */
    char dir[1024], buf[1100];
    struct stat st;
    snprintf(dir, sizeof dir, "%s", path);
    if (!(stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", path);
        snprintf(dir, sizeof dir, "%s", dirname(copy));
    }
    for (int up = 0; up <= SB_RUN_DEPTH; up++) {
        snprintf(buf, sizeof buf, "%s/%s", dir, SB_RUN_MARKER);
        if (access(buf, F_OK) == 0)
            return 1;
        char real[PATH_MAX];
        if (!realpath(dir, real) || !strcmp(real, "/"))
            return 0;
        snprintf(dir, sizeof dir, "%s", dirname(real));
    }
    return 0;
}
