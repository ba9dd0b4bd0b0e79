/* report_json.h - benchmark results in the Google Benchmark JSON schema (context +
 * benchmarks with iteration and aggregate rows) and the same rows as CSV. */
#ifndef SB_REPORT_JSON_H
#define SB_REPORT_JSON_H

#include <cjson/cJSON.h>

#include "sb.h"

/* One benchmark: a kernel run by one implementation at one size, timed reps times. */
typedef struct sb_gb_bench {
    const char *kernel;       /* "signsgd", "saxpy", "empty", ... (part of the name) */
    const char *impl;         /* "ocl", "clblast", "c1", "omp" */
    const char *device;       /* device name, or "host" for the C loops */
    size_t n;                 /* elements */
    size_t local;             /* work-group size put in the name; 0: not part of the name */
    const char *variant;      /* put in the name as /variant:V when non-NULL */
    double bytes;             /* bytes moved by one call (minimal traffic); 0: no rate */
    int manual_time;          /* real_s is device time (name gets "/manual_time") */
    double roofline_fraction; /* NAN when there is no matching reference */
    const char *roofline_ref; /* the reference kernel the fraction is against */
    const double *real_s;     /* per repetition: device time (or wall time for host rows) */
    const double *cpu_s;      /* per repetition: host wall time around enqueue + finish */
    int reps;
    int threads;         /* host threads of the implementation; 0 counts as 1 */
    int aggregates_only; /* only the aggregate rows, as --benchmark_report_aggregates_only */
    const char *time_unit; /* "ns", "us", "ms" or "s": fixed per kind of benchmark, never
                            * chosen from the measured time, so that a benchmark keeps its
                            * unit across runs (compare.py matches name + unit) */
} sb_gb_bench;

/* A new document: {"context": {...}, "benchmarks": []}. The context holds date,
 * host_name, executable, num_cpus, mhz_per_cpu, cpu_scaling_enabled, caches (hwloc),
 * load_avg, library_build_type and signbench_version/git_commit; add device fields to
 * the returned context with cJSON. NULL when out of memory. */
cJSON *sb_gb_new(const char *executable, cJSON **context);

/* The name: kernel/impl/n[/local:L][/variant:V][/manual_time], as Google Benchmark names a run with
 * --benchmark_repetitions. Only what the user chose goes in it (never the repetition
 * count or anything measured), so names match across runs and machines. */
void sb_gb_name(const sb_gb_bench *b, char *out, size_t cap);

/* Append one "iteration" row per repetition, then "aggregate" rows mean, median,
 * stddev, cv (as Google Benchmark does with --benchmark_repetitions) and min, p90.
 * Times are in b->time_unit. */
int sb_gb_add(cJSON *doc, const sb_gb_bench *b, sb_err *err);

/* Write text to path atomically (FILE.tmp, then rename), or to stdout when path is "-". */
int sb_write_out(const char *path, const char *text, size_t n, sb_err *err);

/* Write the document atomically (FILE.tmp, then rename), or to stdout for "-". */
int sb_gb_write_json(const cJSON *doc, const char *path, sb_err *err);
/* The benchmarks rows as CSV (one header line, the same fields), atomically. */
int sb_gb_write_csv(const cJSON *doc, const char *path, sb_err *err);

/* Size in bytes of the host's last-level cache (all instances together, since a
 * streaming kernel on the CPU uses every one), from hwloc; 0 when unknown. */
unsigned long long sb_llc_bytes(void);

#endif
