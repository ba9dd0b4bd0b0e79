/* json.c - JSON files through cJSON: atomic save, load with one-line errors, printing,
 * and non-finite numbers written as null. */
#define _POSIX_C_SOURCE 200809L
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void sb_json_print(const cJSON *j)
{
    char *s = cJSON_Print(j);
    if (s)
        printf("%s\n", s);
    free(s);
}

void sb_json_num_or_null(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}
