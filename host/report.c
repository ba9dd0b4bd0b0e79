/* report.c - run folders, JSON files, and the human report of a suite run: report.md and
 * a self-contained report.html (plots embedded as base64 PNG) built from the run's files. */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

int sb_json_save(const char *path, const cJSON *j, sb_err *err)
{
    char *s = cJSON_Print(j);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "out of memory writing %s", path);
    size_t n = strlen(s);
    s[n] = '\n'; /* replaces the terminator: written with its length */
    int rc = sb_write_file(path, s, n + 1, err);
    free(s);
    return rc;
}

int sb_json_load(const char *path, cJSON **out, sb_err *err)
{
    char *text = NULL;
    size_t n = 0;
    *out = NULL;
    if (sb_read_file(path, &text, &n, err) != SB_OK)
        return sb_fail(err, SB_EUSAGE, "cannot read %s", path);
    if (n == 0) {
        free(text);
        return sb_fail(err, SB_EUSAGE, "%s is empty", path);
    }
    cJSON *j = cJSON_ParseWithLength(text, n);
    free(text);
    if (!j)
        return sb_fail(err, SB_EUSAGE, "%s is not valid JSON", path);
    *out = j;
    return SB_OK;
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
