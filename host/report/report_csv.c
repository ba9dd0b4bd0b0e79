/* report_csv.c - the benchmark rows of a Google Benchmark JSON document as CSV, one
 * line per row, same field names, for spreadsheets and gnuplot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_json.h"
#include "json.h"

static const char *const columns[] = {"name",
                                      "run_name",
                                      "run_type",
                                      "aggregate_name",
                                      "repetition_index",
                                      "kernel",
                                      "impl",
                                      "device",
                                      "n",
                                      "local_size",
                                      "bytes",
                                      "iterations",
                                      "real_time",
                                      "cpu_time",
                                      "time_unit",
                                      "bytes_per_second",
                                      "roofline_fraction",
                                      "roofline_ref",
                                      "roofline_ref_bytes_per_second",
                                      "roofline_ref_variant",
                                      "ceiling_exceeded",
                                      "flag",
                                      "noisy",
                                      "launch_bound",
                                      "pattern",
                                      "variant"};
#define NCOL (sizeof columns / sizeof columns[0])

/* Append text to a growing buffer. */
typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

/* RFC 4180: quote a field holding a comma, quote or newline; double inner quotes. */
static void put_field(buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        put(b, s, strlen(s));
        return;
    }
    put(b, "\"", 1);
    for (const char *c = s; *c; c++) {
        put(b, c, 1);
        if (*c == '"')
            put(b, "\"", 1);
    }
    put(b, "\"", 1);
}

int sb_gb_write_csv(const cJSON *doc, const char *path, sb_err *err)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "benchmarks");
    if (!cJSON_IsArray(list))
        return sb_fail(err, SB_ERUNTIME, "CSV for %s: no benchmarks in the report", path);
    buf b = {0};
    for (size_t c = 0; c < NCOL; c++) {
        if (c)
            put(&b, ",", 1);
        put(&b, columns[c], strlen(columns[c]));
    }
    put(&b, "\n", 1);
    const cJSON *r;
    cJSON_ArrayForEach(r, list)
    {
        for (size_t c = 0; c < NCOL; c++) {
            if (c)
                put(&b, ",", 1);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, columns[c]);
            char num[64];
            if (cJSON_IsString(v))
                put_field(&b, v->valuestring);
            else if (cJSON_IsBool(v))
                put(&b, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
            else if (cJSON_IsNumber(v)) {
                snprintf(num, sizeof num, "%.17g", v->valuedouble);
                put(&b, num, strlen(num));
            }
        }
        put(&b, "\n", 1);
    }
    if (b.oom) {
        free(b.p);
        return sb_fail(err, SB_ERUNTIME, "CSV for %s: out of memory", path);
    }
    int st = sb_write_out(path, b.p, b.n, err);
    free(b.p);
    return st;
}
