/* kernels.c - access to the OpenCL C sources, embedded or from --kernel-dir.
 * The embedded table itself is generated at build time (see host/util/embed.py). */
#define _POSIX_C_SOURCE 200809L
#include "kernels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sb_sources_get(const char *dir, sb_source **out, int *n, sb_err *err)
{
    if (dir) {
        struct stat st;
        if (stat(dir, &st) != 0)
            return sb_fail(err, SB_EUSAGE, "--kernel-dir %s: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return sb_fail(err, SB_EUSAGE, "--kernel-dir %s is not a folder", dir);
    }
    int count = sb_embedded_count;
    sb_source *s = calloc((size_t)count, sizeof *s);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    for (int i = 0; i < count; i++) {
        s[i] = sb_embedded_sources[i];
        if (!dir)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, sb_embedded_sources[i].name);
        char *text;
        size_t len;
        if (access(path, F_OK) != 0) {
            sb_sources_free(s, i, dir);
            return sb_fail(err, SB_EUSAGE,
                           "--kernel-dir %s: missing %s (the folder must hold every "
                           "kernel file of the build)",
                           dir, sb_embedded_sources[i].name);
        }
        if (sb_read_text(path, &text, &len, err) != SB_OK) {
            sb_sources_free(s, i, dir);
            return sb_wrap(err, "--kernel-dir");
        }
        s[i].text = text;
        s[i].len = len;
    }
    *out = s;
    *n = count;
    return SB_OK;
}

void sb_sources_free(sb_source *s, int n, const char *dir)
{
    if (!s)
        return;
    if (dir)
        for (int i = 0; i < n; i++)
            free((char *)s[i].text);
    free(s);
}

char *sb_sources_join(const sb_source *s, int n)
{
    size_t total = 1;
    for (int i = 0; i < n; i++)
        total += s[i].len + strlen(s[i].name) + 32;
    char *buf = malloc(total), *p = buf;
    if (!buf)
        return NULL;
    for (int i = 0; i < n; i++) {
        p += sprintf(p, "#line 1 \"%s\"\n", s[i].name);
        memcpy(p, s[i].text, s[i].len);
        p += s[i].len;
        *p++ = '\n';
    }
    *p = '\0';
    return buf;
}
