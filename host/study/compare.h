/* compare.h - the regression gate behind `signbench compare`: loads benchmark results
 * (Google Benchmark JSON from micro, signbench summaries, train summaries and train
 * --json's list of them), matches them
 * by name and decides per metric whether a change is real and whether it regresses. */
#ifndef SB_COMPARE_H
#define SB_COMPARE_H

#include <cJSON.h>
#include <stddef.h>

#include "sb.h"

/* One metric of one benchmark: every sample found (repetitions). */
typedef struct sb_cmp_metric {
    char name[48];
    double *v;
    size_t n, cap;
} sb_cmp_metric;

typedef struct sb_cmp_bench {
    char name[256];
    sb_cmp_metric *m;
    int nm, cap;
} sb_cmp_bench;

/* A loaded result file. */
typedef struct sb_cmp_set {
    char path[512];
    char kind[32];    /* "micro" (Google Benchmark), "summary" (signbench), "train" */
    char device[256]; /* from the file's context, "" if none */
    sb_cmp_bench *b;
    size_t n, cap;
} sb_cmp_set;

/* Load a result file through the shared bounded reader (sb_read_text, sb_json_parse:
 * the size limit, NUL bytes, deep nesting). SB_EUSAGE with one line for unreadable,
 * malformed, empty or unrecognised files. */
int sb_cmp_load(const char *path, sb_cmp_set *out, sb_err *err);
/* The same from N bytes of TEXT already read (PATH is only used in messages). */
int sb_cmp_parse(const char *path, const char *text, size_t n, sb_cmp_set *out,
                 sb_err *err);
/* The same from an already parsed document (path is only used in messages). */
int sb_cmp_from_json(const cJSON *root, const char *path, sb_cmp_set *out, sb_err *err);
void sb_cmp_set_free(sb_cmp_set *s);

/* Direction of a metric: +1 higher is better, -1 lower is better, 0 unknown. */
int sb_cmp_direction(const char *metric);
/* 1 when the metric is a throughput or a time (noisy across runs), 0 for convergence
 * and quality metrics (exact for seeded runs). */
int sb_cmp_is_timing(const char *metric);

typedef struct sb_cmp_opts {
    double threshold;     /* relative change beyond which a metric counts, e.g. 0.05 */
    double alpha;         /* significance level of the rank test; default 0.05 */
    const char **metrics; /* metric names to compare ("name" or "name:higher|lower");
                               NULL: the tracked defaults */
    int nmetrics;
    const char *filter; /* compare only benchmarks whose name contains this; NULL: all */
    int per_row;        /* 1: a timing row past the threshold fails on its own */
} sb_cmp_opts;

typedef enum {
    SB_CMP_SAME,      /* |change| within the threshold */
    SB_CMP_BETTER,    /* improved past the threshold */
    SB_CMP_WORSE,     /* regressed past the threshold (and significant if tested) */
    SB_CMP_NOISE,     /* past the threshold but the rank test says not significant */
    SB_CMP_ONLY_BASE, /* benchmark or metric missing in NEW */
    SB_CMP_ONLY_NEW   /* benchmark missing in BASE */
} sb_cmp_verdict;

typedef struct sb_cmp_row {
    char bench[256], metric[48];
    int direction;     /* +1 / -1 */
    double base, new_; /* medians of the samples */
    size_t n_base, n_new;
    double change; /* (new - base) / |base|; NaN when base is 0 */
    int tested;    /* 1 when the Mann-Whitney U test ran */
    double p;      /* its two-sided p-value (NaN when not tested) */
    sb_cmp_verdict verdict;
} sb_cmp_row;

typedef struct sb_cmp_result {
    sb_cmp_row *rows;
    size_t n;
    int regressions; /* rows with SB_CMP_WORSE */
    int matched;     /* benchmarks found on both sides */
    int only_base, only_new;
    int judged;  /* rows with a tracked metric on both sides */
    int missing; /* tracked rows (or benchmarks with one) missing in NEW */
    /* Timing metrics (throughput, times): the level of NEW against BASE, the median over
     * the judged timing rows of the ratio new/base oriented so that < 1 is worse. Runs
     * taken at different times on a shared machine move single rows by 30-80% (see
     * README, compare), but not all rows alike: the level is the gate for them. */
    double level; /* NaN without timing rows */
    int level_rows;
    int level_regressed; /* level < 1 - threshold */
    /* What fails the comparison (exit 1): convergence rows that got worse (seeded runs
     * are exact), missing tracked rows, a regressed level, and with per_row the timing
     * rows that got worse. */
    int failures;
} sb_cmp_result;

/* Compare NEW against BASE. SB_EUSAGE when the files are of different kinds, when no
 * benchmark matches, or when a requested metric is unknown; SB_OK otherwise (whether or
 * not something regressed: see res->regressions). */
int sb_cmp_run(const sb_cmp_set *base, const sb_cmp_set *new_, const sb_cmp_opts *o,
               sb_cmp_result *res, sb_err *err);
void sb_cmp_result_free(sb_cmp_result *r);

const char *sb_cmp_verdict_name(sb_cmp_verdict v);

/* The result as JSON (schema "signbench-compare", version 1); caller deletes it. */
cJSON *sb_cmp_result_json(const sb_cmp_set *base, const sb_cmp_set *new_,
                          const sb_cmp_opts *o, const sb_cmp_result *r);

/* Paired runs of two builds (A = base, B = candidate) on the same command, taken
 * alternately A B, B A, ...: per benchmark and metric, the ratio B/A oriented so that
 * < 1 is worse (Hodges-Lehmann over the pairs' log ratios, 95% interval). */
typedef struct sb_cmp_paired_row {
    char bench[256], metric[48];
    int pairs;
    double ratio, lo, hi;
    int regressed; /* hi < 1 - threshold */
} sb_cmp_paired_row;

/* a[i] and b[i] are the i-th pair's sets (n pairs, at least 6). The metrics are o's
 * (default: the tracked ones); rows of benchmarks missing in any file are left out
 * (counted in *skipped). SB_EUSAGE when no row remains. *rows is malloc'ed. */
int sb_cmp_paired(const sb_cmp_set *a, const sb_cmp_set *b, int n, const sb_cmp_opts *o,
                  sb_cmp_paired_row **rows, int *nrows, int *skipped, sb_err *err);

/* Parse "5%", "0.05" (a fraction) into *out; SB_EUSAGE otherwise. */
int sb_cmp_parse_threshold(const char *s, double *out, sb_err *err);

#endif
