/* compare.c - the regression gate: reads result files into benchmark -> metric ->
 * samples, matches names, and gives each metric a verdict (Mann-Whitney U from stats.h
 * before calling a change real when both sides have enough repetitions). */
#define _POSIX_C_SOURCE 200809L
#include "compare.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shift.h"
#include "stats.h"
#include "json.h"

/* ---- building a set ---- */

/* Past a "/repeats:N" segment at p (Google Benchmark names carry the repetition count,
 * which a baseline and a new run need not share), or p itself. */
static const char *skip_repeats(const char *p)
{
    static const char seg[] = "/repeats:";
    if (strncmp(p, seg, sizeof seg - 1))
        return p;
    const char *q = p + sizeof seg - 1;
    if (*q < '0' || *q > '9')
        return p;
    while (*q >= '0' && *q <= '9')
        q++;
    return *q == '/' || *q == '\0' ? q : p;
}

/* Benchmark names are equal when they differ at most in their /repeats:N parts. */
static int name_eq(const char *a, const char *b)
{
    for (;;) {
        a = skip_repeats(a);
        b = skip_repeats(b);
        if (*a != *b)
            return 0;
        if (!*a)
            return 1;
        a++;
        b++;
    }
}

/* The benchmark of that name (repetitions of runs with other repeat counts join it,
 * under the first full name seen), created when new. */
static sb_cmp_bench *bench_get(sb_cmp_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (name_eq(s->b[i].name, name))
            return &s->b[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        sb_cmp_bench *b = realloc(s->b, cap * sizeof *b);
        if (!b)
            return NULL;
        s->b = b;
        s->cap = cap;
    }
    sb_cmp_bench *b = &s->b[s->n++];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    return b;
}

static sb_cmp_metric *metric_get(sb_cmp_bench *b, const char *name)
{
    for (int i = 0; i < b->nm; i++)
        if (!strcmp(b->m[i].name, name))
            return &b->m[i];
    if (b->nm == b->cap) {
        int cap = b->cap ? 2 * b->cap : 8;
        sb_cmp_metric *m = realloc(b->m, (size_t)cap * sizeof *m);
        if (!m)
            return NULL;
        b->m = m;
        b->cap = cap;
    }
    sb_cmp_metric *m = &b->m[b->nm++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

static int add_sample(sb_cmp_bench *b, const char *metric, double v)
{
    sb_cmp_metric *m = metric_get(b, metric);
    if (!m)
        return -1;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 4;
        double *nv = realloc(m->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        m->v = nv;
        m->cap = cap;
    }
    m->v[m->n++] = v;
    return 0;
}

void sb_cmp_set_free(sb_cmp_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        for (int j = 0; j < s->b[i].nm; j++)
            free(s->b[i].m[j].v);
        free(s->b[i].m);
    }
    free(s->b);
    memset(s, 0, sizeof *s);
}

/* Fields of a Google Benchmark entry that are bookkeeping, not measurements. */
static int is_bookkeeping(const char *k)
{
    static const char *skip[] = {"iterations", "repetitions",  "repetition_index",
                                 "threads",    "family_index", "per_family_instance_index",
                                 NULL};
    for (int i = 0; skip[i]; i++)
        if (!strcmp(k, skip[i]))
            return 1;
    return 0;
}

/* "steps_to_target": null means the run never reached its target: +inf steps. */
static int null_is_inf(const char *k)
{
    return strstr(k, "to_target") != NULL;
}

/* Numeric fields of obj (numbers, arrays of numbers, nulls of *_to_target) as samples.
 * A metric of known direction given as a string, or any number that is not finite
 * (1e999 parses as inf), makes the file unusable: SB_EUSAGE naming it. */
static int bad_value(const char *path, const char *bench, const char *k, const cJSON *v,
                     sb_err *err)
{
    if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
        return sb_fail(err, SB_EUSAGE, "compare: %s: %s: '%s' is not a finite number", path,
                       bench, k);
    if (cJSON_IsString(v) && sb_cmp_direction(k))
        return sb_fail(err, SB_EUSAGE,
                       "compare: %s: %s: '%s' is a string (\"%.40s\"), "
                       "not a number",
                       path, bench, k, v->valuestring);
    return SB_OK;
}

static int add_value(sb_cmp_bench *b, const char *k, const cJSON *v, const char *path,
                     sb_err *err)
{
    if (bad_value(path, b->name, k, v, err))
        return err->code;
    int oom = 0;
    if (cJSON_IsNumber(v))
        oom = add_sample(b, k, v->valuedouble);
    else if (cJSON_IsNull(v) && null_is_inf(k))
        oom = add_sample(b, k, INFINITY);
    return oom ? sb_fail(err, SB_ERUNTIME, "compare: out of memory") : SB_OK;
}

static int add_fields(sb_cmp_bench *b, const cJSON *obj, int skip_bookkeeping,
                      const char *path, sb_err *err)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, obj)
    {
        if (!f->string || (skip_bookkeeping && is_bookkeeping(f->string)))
            continue;
        if (cJSON_IsArray(f)) {
            const cJSON *v;
            cJSON_ArrayForEach(v, f)
            {
                if (add_value(b, f->string, v, path, err))
                    return err->code;
            }
        } else if (add_value(b, f->string, f, path, err)) {
            return err->code;
        }
    }
    return SB_OK;
}

static const char *str_field(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static int load_gbench(const cJSON *root, const cJSON *list, sb_cmp_set *s, sb_err *err)
{
    snprintf(s->kind, sizeof s->kind, "micro");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(root, "context");
    const char *dev = ctx ? str_field(ctx, "device") : NULL;
    if (!dev && ctx)
        dev = str_field(ctx, "host_name");
    snprintf(s->device, sizeof s->device, "%s", dev ? dev : "");
    /* Prefer the individual repetitions; a file with aggregates only gives its medians. */
    int have_iter = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const char *rt = str_field(e, "run_type");
        if (!rt || strcmp(rt, "aggregate"))
            have_iter = 1;
    }
    cJSON_ArrayForEach(e, list)
    {
        if (!cJSON_IsObject(e))
            return sb_fail(err, SB_EUSAGE, "compare: %s: 'benchmarks' holds a non-object",
                           s->path);
        const char *name = str_field(e, "name");
        if (!name)
            return sb_fail(err, SB_EUSAGE, "compare: %s: a benchmark has no 'name'",
                           s->path);
        const char *rt = str_field(e, "run_type");
        int agg = rt && !strcmp(rt, "aggregate");
        if (have_iter && agg)
            continue;
        if (!have_iter) {
            const char *an = str_field(e, "aggregate_name");
            if (!an || strcmp(an, "median"))
                continue;
        }
        const char *key = str_field(e, "run_name");
        sb_cmp_bench *b = bench_get(s, key ? key : name);
        if (!b)
            return sb_fail(err, SB_ERUNTIME, "compare: out of memory");
        if (add_fields(b, e, 1, s->path, err))
            return err->code;
    }
    return SB_OK;
}

static int load_summary(const cJSON *list, sb_cmp_set *s, sb_err *err)
{
    snprintf(s->kind, sizeof s->kind, "summary");
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const char *name = str_field(e, "name");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "metrics");
        if (!name || !cJSON_IsObject(m))
            return sb_fail(err, SB_EUSAGE,
                           "compare: %s: every entry of 'benchmarks' needs "
                           "'name' and a 'metrics' object",
                           s->path);
        sb_cmp_bench *b = bench_get(s, name);
        if (!b)
            return sb_fail(err, SB_ERUNTIME, "compare: out of memory");
        if (add_fields(b, m, 0, s->path, err))
            return err->code;
    }
    return SB_OK;
}

/* A `signbench train` summary: one benchmark named after its problem and optimiser. */
static int load_train(const cJSON *root, sb_cmp_set *s, sb_err *err)
{
    snprintf(s->kind, sizeof s->kind, "train");
    const char *dev = str_field(root, "device");
    snprintf(s->device, sizeof s->device, "%s", dev ? dev : "");
    const char *prob = str_field(root, "problem");
    const cJSON *pobj = cJSON_GetObjectItemCaseSensitive(root, "problem");
    if (!prob && cJSON_IsObject(pobj))
        prob = str_field(pobj, "name");
    const char *opt = str_field(root, "optimizer");
    const cJSON *oobj = cJSON_GetObjectItemCaseSensitive(root, "optimizer");
    if (!opt && cJSON_IsObject(oobj))
        opt = str_field(oobj, "name");
    char name[256];
    snprintf(name, sizeof name, "train/%s/%s", prob ? prob : "?", opt ? opt : "?");
    sb_cmp_bench *b = bench_get(s, name);
    if (!b)
        return sb_fail(err, SB_ERUNTIME, "compare: out of memory");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
    if (add_fields(b, cJSON_IsObject(res) ? res : root, 0, s->path, err))
        return err->code;
    /* No target set: *_to_target are null and mean nothing (not "never reached"). */
    const cJSON *has_t =
        cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(res) ? res : root, "has_target");
    if (cJSON_IsFalse(has_t))
        for (int i = 0; i < b->nm; i++)
            if (null_is_inf(b->m[i].name))
                b->m[i].n = 0;
    /* A target that was never reached: steps/evals to target are infinite. */
    const cJSON *reached =
        cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(res) ? res : root, "reached");
    if (cJSON_IsFalse(reached))
        for (int i = 0; i < b->nm; i++)
            if (null_is_inf(b->m[i].name))
                for (size_t k = 0; k < b->m[i].n; k++)
                    b->m[i].v[k] = INFINITY;
    return SB_OK;
}

int sb_cmp_from_json(const cJSON *root, const char *path, sb_cmp_set *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    if (!cJSON_IsObject(root))
        return sb_fail(err, SB_EUSAGE, "compare: %s: expected a JSON object at the top",
                       path);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
    const char *schema = str_field(root, "schema");
    int rc;
    if (cJSON_IsArray(list)) {
        if (schema && !strcmp(schema, "signbench-summary"))
            rc = load_summary(list, out, err);
        else
            rc = load_gbench(root, list, out, err);
        const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device");
        if (rc == SB_OK && !out->device[0] && cJSON_IsString(dev))
            snprintf(out->device, sizeof out->device, "%s", dev->valuestring);
    } else if (cJSON_GetObjectItemCaseSensitive(root, "optimizer")) {
        rc = load_train(root, out, err);
    } else if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "runs"))) {
        /* `train --json` (schema signbench-train-runs/1): one summary per optimiser, each
         * a benchmark train/<problem>/<optimizer>. */
        const cJSON *run;
        rc = SB_OK;
        cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(root, "runs"))
        {
            if (!cJSON_IsObject(run) ||
                !cJSON_GetObjectItemCaseSensitive(run, "optimizer")) {
                rc = sb_fail(err, SB_EUSAGE,
                             "compare: %s: an entry of 'runs' is not a train "
                             "summary (no 'optimizer')",
                             path);
                break;
            }
            if ((rc = load_train(run, out, err)) != SB_OK)
                break;
        }
    } else {
        return sb_fail(err, SB_EUSAGE,
                       "compare: %s: not a result file (expected micro's "
                       "Google Benchmark JSON, a signbench summary, a train summary or "
                       "train --json output)",
                       path);
    }
    if (rc != SB_OK) {
        sb_cmp_set_free(out);
        return rc;
    }
    if (out->n == 0) {
        sb_cmp_set_free(out);
        return sb_fail(err, SB_EUSAGE, "compare: %s holds no benchmarks", path);
    }
    return SB_OK;
}

int sb_cmp_parse(const char *path, const char *text, size_t n, sb_cmp_set *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *root = NULL;
    if (sb_json_parse(path, text, n, &root, err) != SB_OK)
        return sb_wrap(err, "compare");
    int rc = sb_cmp_from_json(root, path, out, err);
    cJSON_Delete(root);
    return rc;
}

int sb_cmp_load(const char *path, sb_cmp_set *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t n = 0;
    /* The shared bounded reader: the size limit, NUL bytes, folders, a BOM. */
    if (sb_read_text(path, &text, &n, err) != SB_OK)
        return sb_wrap(err, "compare");
    int rc = sb_cmp_parse(path, text, n, out, err);
    free(text);
    return rc;
}

/* ---- comparing ---- */

int sb_cmp_direction(const char *m)
{
    static const struct {
        const char *name;
        int dir;
    } known[] = {
        {"roofline_fraction", +1},
        {"bytes_per_second", +1},
        {"items_per_second", +1},
        {"gbps", +1},
        {"test_accuracy", +1},
        {"accuracy", +1},
        {"real_time", -1},
        {"cpu_time", -1},
        {"steps_to_target", -1},
        {"evals_to_target", -1},
        {"time_to_target", -1},
        {"f_final", -1},
        {"final_loss", -1},
        {"f_best", -1},
        {"grad1_min", -1},
        {"grad2_min", -1},
        {"grad1_final", -1},
        {"grad2_final", -1},
        {"test_error", -1},
        {"time_s", -1},
        {"cv", -1},
        {"min_norm", -1},
        {"robustness", +1},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(m, known[i].name))
            return known[i].dir;
    return 0;
}

int sb_cmp_is_timing(const char *m)
{
    static const char *timing[] = {
        "roofline_fraction", "bytes_per_second", "items_per_second", "gbps", "real_time",
        "cpu_time",          "time_to_target",   "time_s",           "cv",   NULL};
    for (int i = 0; timing[i]; i++)
        if (!strcmp(m, timing[i]))
            return 1;
    return 0;
}

/* Tracked by default: throughput as a ratio, convergence of seeded runs, and the suite
 * summaries' grid test error and sweep minimum gradient norm. */
static const char *default_metrics[] = {
    "roofline_fraction", "steps_to_target", "evals_to_target", "f_final",
    "final_loss",        "test_error",      "min_norm",        NULL};

const char *sb_cmp_verdict_name(sb_cmp_verdict v)
{
    switch (v) {
    case SB_CMP_SAME: return "same";
    case SB_CMP_BETTER: return "better";
    case SB_CMP_WORSE: return "REGRESSION";
    case SB_CMP_NOISE: return "noise";
    case SB_CMP_ONLY_BASE: return "missing in new";
    case SB_CMP_ONLY_NEW: return "new";
    }
    return "?";
}

int sb_cmp_parse_threshold(const char *s, double *out, sb_err *err)
{
    char *end;
    double v = strtod(s, &end);
    int pct = end != s && *end == '%' && end[1] == '\0';
    if (end == s || (!pct && *end) || !isfinite(v) || v < 0 || (pct ? v > 1000 : v > 10))
        return sb_fail(err, SB_EUSAGE,
                       "--threshold '%s': expected a percentage such as 5%% "
                       "or a fraction such as 0.05",
                       s);
    *out = pct ? v / 100 : v;
    return SB_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median that keeps +inf (runs that never reached their target) meaningful. */
static double median(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NAN;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double m = s[n / 2];
    if (n % 2 == 0 && s[n / 2 - 1] != m)
        m = isinf(m) || isinf(s[n / 2 - 1]) ? m : 0.5 * (m + s[n / 2 - 1]);
    free(s);
    return m;
}

/* The smallest two-sided p the exact test can reach: 2 / C(na + nb, na). A rank test
 * that cannot reach alpha (3 vs 3 repetitions) would call every change noise. */
static double min_p(size_t na, size_t nb)
{
    double lc =
        lgamma((double)(na + nb) + 1) - lgamma((double)na + 1) - lgamma((double)nb + 1);
    return 2 * exp(-lc);
}

static int rank_test(const sb_cmp_metric *a, const sb_cmp_metric *b, double *p)
{
    double *x = malloc((a->n + b->n) * sizeof *x);
    if (!x)
        return 0;
    /* Ranks only: an unreached target (+inf) ranks above every finite value. */
    for (size_t i = 0; i < a->n; i++)
        x[i] = isinf(a->v[i]) ? DBL_MAX : a->v[i];
    for (size_t i = 0; i < b->n; i++)
        x[a->n + i] = isinf(b->v[i]) ? DBL_MAX : b->v[i];
    sb_mwu r;
    sb_err e;
    int ok = sb_mann_whitney(x, a->n, x + a->n, b->n, &r, &e) == SB_OK;
    free(x);
    if (ok)
        *p = r.p;
    return ok;
}

static const sb_cmp_metric *find_metric(const sb_cmp_bench *b, const char *name)
{
    for (int i = 0; b && i < b->nm; i++)
        if (!strcmp(b->m[i].name, name) && b->m[i].n > 0)
            return &b->m[i];
    return NULL;
}

static const sb_cmp_bench *find_bench(const sb_cmp_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (name_eq(s->b[i].name, name))
            return &s->b[i];
    return NULL;
}

static sb_cmp_row *push_row(sb_cmp_result *r, size_t *cap)
{
    if (r->n == *cap) {
        size_t c = *cap ? 2 * *cap : 32;
        sb_cmp_row *rows = realloc(r->rows, c * sizeof *rows);
        if (!rows)
            return NULL;
        r->rows = rows;
        *cap = c;
    }
    sb_cmp_row *row = &r->rows[r->n++];
    memset(row, 0, sizeof *row);
    row->base = row->new_ = row->change = row->p = NAN;
    return row;
}

static void judge(sb_cmp_row *row, const sb_cmp_metric *a, const sb_cmp_metric *b,
                  const sb_cmp_opts *o)
{
    row->n_base = a->n;
    row->n_new = b->n;
    row->base = median(a->v, a->n);
    row->new_ = median(b->v, b->n);
    double gain; /* > 0: better */
    if (row->base == row->new_) {
        row->change = 0;
        gain = 0;
    } else if (isinf(row->base) || isinf(row->new_)) {
        row->change = isinf(row->new_) ? INFINITY : -1;
        gain = row->direction * (row->new_ > row->base ? 1 : -1);
    } else if (row->base != 0) {
        row->change = (row->new_ - row->base) / fabs(row->base);
        gain = row->direction * row->change;
    } else {
        row->change = NAN; /* from zero: relative change undefined, any change counts */
        gain = row->direction * (row->new_ > row->base ? 1 : -1);
    }
    double alpha = o->alpha > 0 ? o->alpha : 0.05;
    if (a->n >= 2 && b->n >= 2 && min_p(a->n, b->n) < alpha)
        row->tested = rank_test(a, b, &row->p);
    if (gain == 0 || (isfinite(row->change) && fabs(row->change) <= o->threshold))
        row->verdict = SB_CMP_SAME;
    else if (row->tested && row->p >= alpha)
        row->verdict = SB_CMP_NOISE;
    else
        row->verdict = gain > 0 ? SB_CMP_BETTER : SB_CMP_WORSE;
}

/* The level of the timing rows: the median of their oriented ratios new/base. */
static int level_of(sb_cmp_result *res, const sb_cmp_opts *o)
{
    res->level = NAN;
    res->level_rows = 0;
    res->level_regressed = 0;
    double *r = malloc((res->n + 1) * sizeof *r);
    if (!r)
        return SB_ERUNTIME;
    for (size_t i = 0; i < res->n; i++) {
        const sb_cmp_row *w = &res->rows[i];
        if (w->verdict == SB_CMP_ONLY_BASE || w->verdict == SB_CMP_ONLY_NEW ||
            !sb_cmp_is_timing(w->metric) || !(w->base > 0) || !(w->new_ > 0) ||
            !isfinite(w->base) || !isfinite(w->new_))
            continue;
        r[res->level_rows++] = w->direction > 0 ? w->new_ / w->base : w->base / w->new_;
    }
    if (res->level_rows) {
        res->level = median(r, (size_t)res->level_rows);
        res->level_regressed = res->level < 1 - o->threshold;
    }
    free(r);
    return SB_OK;
}

/* The metrics to compare (o's, else the tracked defaults) with their directions. */
static int metric_list(const sb_cmp_opts *o, char names[][48], int *dirs, int *nm,
                       sb_err *err)
{
    if (o->nmetrics > 0) {
        for (int i = 0; i < o->nmetrics && *nm < 32; i++) {
            const char *spec = o->metrics[i], *colon = strchr(spec, ':');
            size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
            if (len == 0 || len >= sizeof names[0])
                return sb_fail(err, SB_EUSAGE, "compare: --metric '%s': bad name", spec);
            memcpy(names[*nm], spec, len);
            names[*nm][len] = '\0';
            int dir = sb_cmp_direction(names[*nm]);
            if (colon && !strcmp(colon + 1, "higher"))
                dir = +1;
            else if (colon && !strcmp(colon + 1, "lower"))
                dir = -1;
            else if (colon)
                return sb_fail(err, SB_EUSAGE,
                               "compare: --metric '%s': write NAME:higher "
                               "or NAME:lower",
                               spec);
            if (!dir)
                return sb_fail(err, SB_EUSAGE,
                               "compare: --metric '%s': direction unknown; "
                               "write %s:higher or %s:lower",
                               spec, names[*nm], names[*nm]);
            dirs[(*nm)++] = dir;
        }
    } else {
        for (int i = 0; default_metrics[i]; i++) {
            snprintf(names[*nm], sizeof names[0], "%s", default_metrics[i]);
            dirs[(*nm)++] = sb_cmp_direction(default_metrics[i]);
        }
    }
    return SB_OK;
}

int sb_cmp_run(const sb_cmp_set *base, const sb_cmp_set *new_, const sb_cmp_opts *o,
               sb_cmp_result *res, sb_err *err)
{
    memset(res, 0, sizeof *res);
    if (strcmp(base->kind, new_->kind))
        return sb_fail(err, SB_EUSAGE,
                       "compare: %s is a %s file but %s is a %s file; "
                       "compare like with like",
                       base->path, base->kind, new_->path, new_->kind);
    enum { MAXM = 32 };
    char names[MAXM][48];
    int dirs[MAXM], nm = 0;
    if (metric_list(o, names, dirs, &nm, err) != SB_OK)
        return err->code;
    size_t cap = 0;
    int seen[MAXM] = {0};
    for (size_t i = 0; i < base->n; i++) {
        const sb_cmp_bench *a = &base->b[i], *b = find_bench(new_, a->name);
        if (o->filter && !strstr(a->name, o->filter))
            continue;
        if (!b) {
            res->only_base++;
            sb_cmp_row *row = push_row(res, &cap);
            if (!row)
                goto oom;
            snprintf(row->bench, sizeof row->bench, "%s", a->name);
            snprintf(row->metric, sizeof row->metric, "-");
            row->verdict = SB_CMP_ONLY_BASE;
            for (int k = 0; k < nm; k++)
                if (find_metric(a, names[k])) {
                    res->missing++; /* it measured something tracked */
                    break;
                }
            continue;
        }
        res->matched++;
        for (int k = 0; k < nm; k++) {
            const sb_cmp_metric *ma = find_metric(a, names[k]),
                                *mb = find_metric(b, names[k]);
            if (!ma && !mb)
                continue;
            seen[k] = 1;
            sb_cmp_row *row = push_row(res, &cap);
            if (!row)
                goto oom;
            snprintf(row->bench, sizeof row->bench, "%s", a->name);
            snprintf(row->metric, sizeof row->metric, "%s", names[k]);
            row->direction = dirs[k];
            if (!ma || !mb) {
                /* A tracked metric that vanished from NEW hides whatever it measured. */
                row->verdict = ma ? SB_CMP_ONLY_BASE : SB_CMP_ONLY_NEW;
                res->missing += ma != NULL;
                if (ma) {
                    row->base = median(ma->v, ma->n);
                    row->n_base = ma->n;
                } else {
                    row->new_ = median(mb->v, mb->n);
                    row->n_new = mb->n;
                }
                continue;
            }
            judge(row, ma, mb, o);
            res->judged++;
            if (row->verdict == SB_CMP_WORSE) {
                res->regressions++;
                res->failures += o->per_row || !sb_cmp_is_timing(row->metric);
            }
        }
    }
    if (level_of(res, o) != SB_OK)
        goto oom;
    res->failures += res->missing + res->level_regressed;
    for (size_t i = 0; i < new_->n; i++)
        if (!find_bench(base, new_->b[i].name) &&
            !(o->filter && !strstr(new_->b[i].name, o->filter))) {
            res->only_new++;
            sb_cmp_row *row = push_row(res, &cap);
            if (!row)
                goto oom;
            snprintf(row->bench, sizeof row->bench, "%s", new_->b[i].name);
            snprintf(row->metric, sizeof row->metric, "-");
            row->verdict = SB_CMP_ONLY_NEW;
        }
    if (res->matched == 0) {
        sb_cmp_result_free(res);
        return sb_fail(err, SB_EUSAGE,
                       "compare: no benchmark name appears in both %s and "
                       "%s",
                       base->path, new_->path);
    }
    for (int k = 0; k < nm; k++)
        if (!seen[k] && o->nmetrics > 0) {
            sb_cmp_result_free(res);
            return sb_fail(err, SB_EUSAGE,
                           "compare: metric '%s' is in no matched benchmark", names[k]);
        }
    if (!res->judged) {
        sb_cmp_result_free(res);
        return sb_fail(
            err, SB_EUSAGE,
            "compare: the matched benchmarks have none of the "
            "tracked metrics on both sides (roofline_fraction, steps_to_target, "
            "evals_to_target, f_final, final_loss, test_error, min_norm); choose "
            "one with --metric");
    }
    return SB_OK;
oom:
    sb_cmp_result_free(res);
    return sb_fail(err, SB_ERUNTIME, "compare: out of memory");
}

void sb_cmp_result_free(sb_cmp_result *r)
{
    if (!r)
        return;
    free(r->rows);
    memset(r, 0, sizeof *r);
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else if (isinf(v) && v > 0)
        cJSON_AddStringToObject(o, k, "inf");
    else
        cJSON_AddNullToObject(o, k);
}

cJSON *sb_cmp_result_json(const sb_cmp_set *base, const sb_cmp_set *new_,
                          const sb_cmp_opts *o, const sb_cmp_result *r)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "schema", "signbench-compare");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "base", base->path);
    cJSON_AddStringToObject(root, "new", new_->path);
    cJSON_AddStringToObject(root, "kind", base->kind);
    cJSON_AddStringToObject(root, "base_device", base->device);
    cJSON_AddStringToObject(root, "new_device", new_->device);
    cJSON_AddNumberToObject(root, "threshold", o->threshold);
    cJSON_AddNumberToObject(root, "alpha", o->alpha > 0 ? o->alpha : 0.05);
    cJSON_AddNumberToObject(root, "matched", r->matched);
    cJSON_AddNumberToObject(root, "only_base", r->only_base);
    cJSON_AddNumberToObject(root, "only_new", r->only_new);
    cJSON_AddNumberToObject(root, "regressions", r->regressions);
    cJSON_AddNumberToObject(root, "missing", r->missing);
    add_num(root, "level", r->level);
    cJSON_AddNumberToObject(root, "level_rows", r->level_rows);
    cJSON_AddBoolToObject(root, "per_row", o->per_row);
    cJSON_AddNumberToObject(root, "failures", r->failures);
    cJSON_AddStringToObject(root, "verdict", r->failures ? "fail" : "pass");
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    for (size_t i = 0; rows && i < r->n; i++) {
        const sb_cmp_row *w = &r->rows[i];
        cJSON *o2 = cJSON_CreateObject();
        if (!o2)
            break;
        cJSON_AddStringToObject(o2, "benchmark", w->bench);
        cJSON_AddStringToObject(o2, "metric", w->metric);
        if (w->direction)
            cJSON_AddStringToObject(o2, "better", w->direction > 0 ? "higher" : "lower");
        add_num(o2, "base", w->base);
        add_num(o2, "new", w->new_);
        add_num(o2, "change", w->change);
        cJSON_AddNumberToObject(o2, "n_base", (double)w->n_base);
        cJSON_AddNumberToObject(o2, "n_new", (double)w->n_new);
        if (w->tested)
            add_num(o2, "p_value", w->p);
        cJSON_AddStringToObject(o2, "verdict", sb_cmp_verdict_name(w->verdict));
        cJSON_AddItemToArray(rows, o2);
    }
    return root;
}

/* ---- paired runs of two builds ---- */

static int paired_one(const sb_cmp_set *a, const sb_cmp_set *b, int n, const char *bench,
                      const char *metric, int dir, double threshold, sb_cmp_paired_row *row,
                      sb_err *err)
{
    double d[SB_SHIFT_MAX_PAIRS];
    for (int i = 0; i < n; i++) {
        const sb_cmp_metric *ma = find_metric(find_bench(&a[i], bench), metric);
        const sb_cmp_metric *mb = find_metric(find_bench(&b[i], bench), metric);
        if (!ma || !mb)
            return 1;
        double va = median(ma->v, ma->n), vb = median(mb->v, mb->n);
        if (!(va > 0) || !(vb > 0) || !isfinite(va) || !isfinite(vb))
            return 1;
        d[i] = log(dir > 0 ? vb / va : va / vb);
    }
    sb_shift sh;
    if (sb_shift_hl(d, (size_t)n, &sh, err) != SB_OK)
        return -1;
    snprintf(row->bench, sizeof row->bench, "%s", bench);
    snprintf(row->metric, sizeof row->metric, "%s", metric);
    row->pairs = n;
    row->ratio = exp(sh.estimate);
    row->lo = exp(sh.lo);
    row->hi = exp(sh.hi);
    row->regressed = row->hi < 1 - threshold;
    return 0;
}

int sb_cmp_paired(const sb_cmp_set *a, const sb_cmp_set *b, int n, const sb_cmp_opts *o,
                  sb_cmp_paired_row **rows, int *nrows, int *skipped, sb_err *err)
{
    *rows = NULL, *nrows = 0, *skipped = 0;
    if (n < SB_SHIFT_MIN_PAIRS || n > SB_SHIFT_MAX_PAIRS)
        return sb_fail(err, SB_EUSAGE,
                       "compare --paired: %d pairs of files; a 95%% interval "
                       "needs %d to %d",
                       n, SB_SHIFT_MIN_PAIRS, SB_SHIFT_MAX_PAIRS);
    char names[32][48];
    int dirs[32], nm = 0;
    if (metric_list(o, names, dirs, &nm, err) != SB_OK)
        return err->code;
    size_t cap = a[0].n * (size_t)nm + 1;
    sb_cmp_paired_row *out = calloc(cap, sizeof *out);
    if (!out)
        return sb_fail(err, SB_ERUNTIME, "compare: out of memory");
    for (size_t i = 0; i < a[0].n; i++) {
        const char *bench = a[0].b[i].name;
        if (o->filter && !strstr(bench, o->filter))
            continue;
        for (int k = 0; k < nm; k++) {
            const char *name = names[k];
            int dir = dirs[k];
            if (!find_metric(&a[0].b[i], name))
                continue;
            int rc = paired_one(a, b, n, bench, name, dir, o->threshold, &out[*nrows], err);
            if (rc < 0) {
                free(out);
                return err->code;
            }
            if (rc == 0)
                (*nrows)++;
            else
                (*skipped)++;
        }
    }
    if (!*nrows) {
        free(out);
        return sb_fail(err, SB_EUSAGE,
                       "compare --paired: no tracked metric is in every file");
    }
    *rows = out;
    return SB_OK;
}
