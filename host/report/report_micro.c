/* report_micro.c - `signbench micro`'s results as a Google Benchmark JSON document
 * (device context, one benchmark per kernel, implementation and size) and its CSV. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "report_json.h"
#include "report_micro.h"

/* Fields of micro's own on the rows sb_gb_add appended from index first on: the
 * ceiling (its patterns, the variants that set it and its rate, so that on the median
 * row roofline_fraction = bytes / real_time / roofline_ref_bytes_per_second), a ceiling
 * variant's pattern, and the flags. */
static void annotate(cJSON *doc, int first, const sb_micro_result *r)
{
    cJSON *list = cJSON_GetObjectItem(doc, "benchmarks"), *row;
    int i = 0;
    cJSON_ArrayForEach(row, list)
    {
        if (i++ < first)
            continue;
        if (r->variant[0]) {
            cJSON_AddStringToObject(row, "variant", r->variant);
            cJSON_AddStringToObject(row, "pattern", sb_patterns[r->pat].name);
        }
        if (cJSON_GetObjectItem(row, "roofline_fraction")) {
            cJSON_AddStringToObject(row, "roofline_ref_variant", r->ceil_by);
            cJSON_AddNumberToObject(row, "roofline_ref_bytes_per_second", r->ceil_gbps * 1e9);
            cJSON_AddBoolToObject(row, "ceiling_exceeded", r->exceeded);
        }
        if (r->exceeded)
            cJSON_AddStringToObject(row, "flag", "ceiling exceeded: reference variant set "
                                                 "incomplete");
        if (r->no_copy) { /* no bytes_per_second (sb_gb_add got bytes 0), and why */
            cJSON_AddBoolToObject(row, "zero_copy", 1);
            cJSON_AddNumberToObject(row, "mapped_bytes", r->bytes);
        }
    }
}

int sb_micro_report_write(const sb_micro_run *s, const char *json, const char *csv, sb_err *err)
{
    const sb_micro_opts *mo = s->mo;
    const sb_ctx *c = &s->ctx;
    if (!json && !csv)
        return SB_OK;
    cJSON *ctxj = NULL;
    cJSON *doc = sb_gb_new("signbench micro", &ctxj);
    if (!doc)
        return sb_fail(err, SB_ERUNTIME, "micro: out of memory for the JSON report");
    cJSON_AddStringToObject(ctxj, "device", c->dev.name);
    cJSON_AddStringToObject(ctxj, "platform", c->dev.platform_name);
    cJSON_AddStringToObject(ctxj, "device_vendor", c->vendor);
    cJSON_AddStringToObject(ctxj, "driver", c->driver);
    cJSON_AddStringToObject(ctxj, "opencl_version", c->version);
    cJSON_AddNumberToObject(ctxj, "compute_units", c->compute_units);
    cJSON_AddNumberToObject(ctxj, "global_mem", (double)c->global_mem);
    cJSON_AddNumberToObject(ctxj, "max_alloc", (double)c->max_alloc);
    cJSON_AddNumberToObject(ctxj, "default_local_size", (double)c->params->local_size);
    cJSON_AddNumberToObject(ctxj, "vote_m", (double)mo->vote_m);
    cJSON_AddNumberToObject(ctxj, "omp_threads", omp_get_max_threads());
    const char *aff = getenv("POCL_AFFINITY"), *wait = getenv("OMP_WAIT_POLICY");
    cJSON_AddStringToObject(ctxj, "pocl_affinity", aff ? aff : "");
    cJSON_AddStringToObject(ctxj, "omp_wait_policy", wait ? wait : "");
    cJSON *notes = cJSON_AddArrayToObject(ctxj, "notes");
    for (int i = 0; i < s->nnotes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(s->notes[i]));
    int st = SB_OK;
    for (int i = 0; i < s->rs.n && st == SB_OK; i++) {
        const sb_micro_result *r = &s->rs.r[i];
        int host = !strcmp(r->impl, "c1") || !strcmp(r->impl, "omp");
        sb_gb_bench b = {
            .kernel = r->kernel, .impl = r->impl, .device = host ? "host" : c->dev.name,
            .n = r->n, .local = r->local, .bytes = r->no_copy ? 0 : r->bytes,
            .manual_time = r->manual,
            .roofline_fraction = r->roof,
            .roofline_ref = r->ceil_ref, .variant = r->variant[0] ? r->variant : NULL,
            .real_s = r->real, .cpu_s = r->cpu, .reps = r->reps, .time_unit = r->unit,
            .threads = !strcmp(r->impl, "omp") ? omp_get_max_threads() : 1};
        int before = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "benchmarks"));
        st = sb_gb_add(doc, &b, err);
        if (st == SB_OK)
            annotate(doc, before, r);
    }
    if (st == SB_OK && json)
        st = sb_gb_write_json(doc, json, err);
    if (st == SB_OK && csv)
        st = sb_gb_write_csv(doc, csv, err);
    cJSON_Delete(doc);
    return st;
}
