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

/* Deepest nesting of arrays and objects in text (outside strings). */
static int json_depth(const char *t, size_t n)
{
    int depth = 0, worst = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > worst)
                worst = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return worst;
}

int sb_json_parse(const char *name, const char *text, size_t n, cJSON **out, sb_err *err)
{
    *out = NULL;
    if (n == 0)
        return sb_fail(err, SB_EUSAGE, "%s is empty", name);
    cJSON *j = cJSON_ParseWithLength(text, n);
    if (j) {
        *out = j;
        return SB_OK;
    }
    if (json_depth(text, n) > CJSON_NESTING_LIMIT)
        return sb_fail(err, SB_EUSAGE,
                       "%s: arrays and objects nested deeper than %d levels "
                       "(the limit of the JSON reader)",
                       name, CJSON_NESTING_LIMIT);
    const char *at = cJSON_GetErrorPtr();
    size_t off = at && at >= text && at <= text + n ? (size_t)(at - text) : 0, line = 1;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return sb_fail(err, SB_EUSAGE, "%s:%zu: not valid JSON (near byte %zu)", name, line,
                   off);
}

int sb_json_load(const char *path, cJSON **out, sb_err *err)
{
    char *text = NULL;
    size_t n = 0;
    *out = NULL;
    if (sb_read_text(path, &text, &n, err) != SB_OK)
        return err->code;
    int rc = sb_json_parse(path, text, n, out, err);
    free(text);
    return rc;
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
