/* report_micro.c - `signbench micro`'s results as a Google Benchmark JSON document
 * (device context, one benchmark per kernel, implementation and size) and its CSV. */
#include <math.h>
#include <stdio.h>
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
        if (r->k && r->k->bl != SB_BL_NONE)
            cJSON_AddStringToObject(row, "clblast_routine", sb_micro_blas_name(r->k->bl));
        if (r->variant[0]) {
            cJSON_AddStringToObject(row, "variant", r->variant);
            cJSON_AddStringToObject(row, "pattern", sb_patterns[r->pat].name);
        }
        if (cJSON_GetObjectItem(row, "roofline_fraction")) {
            cJSON_AddStringToObject(row, "roofline_ref_variant", r->ceil_by);
            cJSON_AddNumberToObject(row, "roofline_ref_bytes_per_second",
                                    r->ceil_gbps * 1e9);
            cJSON_AddBoolToObject(row, "ceiling_exceeded", r->exceeded);
        }
        if (r->variant[0])
            cJSON_AddBoolToObject(row, "pruned", r->pruned);
        cJSON_AddBoolToObject(row, "noisy", r->noisy);
        cJSON_AddBoolToObject(row, "launch_bound", r->launch_bound);
        if (r->exceeded)
            cJSON_AddStringToObject(row, "flag",
                                    "ceiling exceeded: reference variant set "
                                    "incomplete");
        if (r->no_copy) { /* no bytes_per_second (sb_gb_add got bytes 0), and why */
            cJSON_AddBoolToObject(row, "zero_copy", 1);
            cJSON_AddNumberToObject(row, "mapped_bytes", r->bytes);
        }
    }
}

/* The device and run fields of the context. */
static void add_context(cJSON *ctxj, const sb_micro_run *s)
{
    const sb_micro_opts *mo = s->mo;
    const sb_ctx *c = &s->ctx;
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
    cJSON_AddNumberToObject(ctxj, "cv_limit", mo->cv_limit > 0 ? mo->cv_limit : 0.10);
    cJSON_AddNumberToObject(ctxj, "launch_latency_s", s->latency_s);
    cJSON_AddNumberToObject(ctxj, "bandwidth_n", (double)sb_micro_bandwidth_n());
    cJSON *warn = cJSON_AddArrayToObject(ctxj, "warnings");
    for (int i = 0; i < s->nwarnings; i++)
        cJSON_AddItemToArray(warn, cJSON_CreateString(s->warnings[i]));
    cJSON_AddNumberToObject(ctxj, "omp_threads", omp_get_max_threads());
    const char *aff = getenv("POCL_AFFINITY"), *wait = getenv("OMP_WAIT_POLICY");
    cJSON_AddStringToObject(ctxj, "pocl_affinity", aff ? aff : "");
    cJSON_AddStringToObject(ctxj, "omp_wait_policy", wait ? wait : "");
    cJSON *notes = cJSON_AddArrayToObject(ctxj, "notes");
    for (int i = 0; i < s->nnotes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(s->notes[i]));
}

/* The report row's description of result r. */
static sb_gb_bench bench_of(const sb_micro_run *s, const sb_micro_result *r, int aggs_only)
{
    int host = !strcmp(r->impl, "c1") || !strcmp(r->impl, "omp");
    return (sb_gb_bench){.kernel = r->kernel,
                         .impl = r->impl,
                         .device = host ? "host" : s->ctx.dev.name,
                         .n = r->n,
                         .local = r->local,
                         .bytes = r->no_copy ? 0 : r->bytes,
                         .manual_time = r->manual,
                         .roofline_fraction = r->roof,
                         .roofline_ref = r->ceil_ref,
                         .variant = r->variant[0] ? r->variant : NULL,
                         .real_s = r->real,
                         .cpu_s = r->cpu,
                         .reps = r->reps,
                         .time_unit = r->unit,
                         .threads = !strcmp(r->impl, "omp") ? omp_get_max_threads() : 1,
                         .aggregates_only = aggs_only};
}

/* Standard deviation of bytes / real over the repetitions, in GB/s. */
static double rate_stddev(const sb_micro_result *r)
{
    double sum = 0, sq = 0;
    for (int i = 0; i < r->reps; i++) {
        double v = r->real[i] > 0 ? r->bytes / r->real[i] / 1e9 : 0;
        sum += v, sq += v * v;
    }
    double mean = sum / r->reps;
    double var = r->reps > 1 ? (sq - r->reps * mean * mean) / (r->reps - 1) : 0;
    return var > 0 ? sqrt(var) : 0;
}

static void gab_entry(cJSON *list, const char *name, const char *metric, const char *unit,
                      double value, double sd, const char *extra)
{
    char full[320], range[48];
    snprintf(full, sizeof full, "%s %s", name, metric);
    snprintf(range, sizeof range, "\u00b1 %.4g", sd);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", full);
    cJSON_AddStringToObject(e, "unit", unit);
    cJSON_AddNumberToObject(e, "value", value);
    cJSON_AddStringToObject(e, "range", range);
    cJSON_AddStringToObject(e, "extra", extra);
    cJSON_AddItemToArray(list, e);
}

/* github-action-benchmark's customBiggerIsBetter input: an array of {name, unit, value,
 * range, extra}, one entry per benchmark for roofline_fraction and one for GB/s (medians
 * of the repetitions), named after the benchmark so that each entry is tracked alone. */
static int write_gab(const sb_micro_run *s, const char *path, sb_err *err)
{
    cJSON *list = cJSON_CreateArray();
    if (!list)
        return sb_fail(err, SB_ERUNTIME, "micro: out of memory for %s", path);
    for (int i = 0; i < s->rs.n; i++) {
        const sb_micro_result *r = &s->rs.r[i];
        if (r->hidden)
            continue;
        sb_gb_bench b = bench_of(s, r, 0);
        char name[256], extra[256];
        sb_gb_name(&b, name, sizeof name);
        double sd = rate_stddev(r);
        if (!isnan(r->roof)) {
            snprintf(extra, sizeof extra, "ceiling %s %.3f GB/s set by %s%s%s%s",
                     r->ceil_ref, r->ceil_gbps, r->ceil_by,
                     r->exceeded ? "; ceiling exceeded: reference variant set incomplete"
                                 : "",
                     r->noisy ? "; noisy" : "", r->launch_bound ? "; launch-bound" : "");
            gab_entry(list, name, "roofline_fraction", "fraction of ceiling", r->roof,
                      r->ceil_gbps > 0 ? sd / r->ceil_gbps : 0, extra);
        }
        if (b.bytes > 0 && r->gbps > 0) {
            snprintf(extra, sizeof extra, "median of %d repetitions; %.0f bytes per call",
                     r->reps, r->bytes);
            gab_entry(list, name, "GB/s", "GB/s", r->gbps, sd, extra);
        }
    }
    char *text = cJSON_Print(list);
    cJSON_Delete(list);
    if (!text)
        return sb_fail(err, SB_ERUNTIME, "micro: out of memory for %s", path);
    size_t n = strlen(text);
    text[n] = '\n';
    int st = sb_write_out(path, text, n + 1, err);
    free(text);
    return st;
}

int sb_micro_report_write(const sb_micro_run *s, const sb_micro_outputs *o, sb_err *err)
{
    if (o->gab && write_gab(s, o->gab, err) != SB_OK)
        return err->code;
    if (!o->json && !o->csv)
        return SB_OK;
    cJSON *ctxj = NULL;
    cJSON *doc = sb_gb_new("signbench micro", &ctxj);
    if (!doc)
        return sb_fail(err, SB_ERUNTIME, "micro: out of memory for the JSON report");
    add_context(ctxj, s);
    int st = SB_OK;
    for (int i = 0; i < s->rs.n && st == SB_OK; i++) {
        const sb_micro_result *r = &s->rs.r[i];
        if (r->hidden)
            continue;
        sb_gb_bench b = bench_of(s, r, o->aggregates_only);
        int before = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "benchmarks"));
        st = sb_gb_add(doc, &b, err);
        if (st == SB_OK)
            annotate(doc, before, r);
    }
    if (st == SB_OK && o->json)
        st = sb_gb_write_json(doc, o->json, err);
    if (st == SB_OK && o->csv)
        st = sb_gb_write_csv(doc, o->csv, err);
    cJSON_Delete(doc);
    return st;
}
