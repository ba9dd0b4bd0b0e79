/* micro.h - the engine behind `signbench micro`: the kernel registry, buffers of random
 * inputs, timing one kernel at one size, and the whole sweep's results (DESIGN.md section 4). */
#ifndef SB_MICRO_H
#define SB_MICRO_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "ocl.h"
#include "ops.h"
#include "progress.h"
#include "stats.h"

/* What a benchmarked kernel does (which sb_op_* it calls). */
typedef enum {
    SB_MK_COPY,
    SB_MK_READ,
    SB_MK_RMW,
    SB_MK_SIGN,
    SB_MK_PACK,
    SB_MK_UNPACK,
    SB_MK_VOTE,
    SB_MK_VOTE_UPDATE,
    SB_MK_SCALED_SIGN,
    SB_MK_UPDATE,
    SB_MK_NORM1,
    SB_MK_NORM2,
    SB_MK_NORMINF,
    SB_MK_DOT
} sb_micro_kind;

/* The CLBlast routine with a kernel's traffic pattern. */
typedef enum {
    SB_BL_NONE,
    SB_BL_SAXPY,
    SB_BL_SASUM,
    SB_BL_SNRM2,
    SB_BL_SDOT,
    SB_BL_ISAMAX,
    SB_BL_SCOPY,
    SB_BL_N
} sb_micro_blas;

/* A kernel and the traffic patterns (ops.h) its ceiling is made of: one pass, or two
 * passes that cannot be fused (a reduction whose result the second pass needs), whose
 * bytes per element are pass_bpe. */
typedef struct sb_micro_kernel {
    const char *name;
    sb_micro_kind kind;
    const sb_update_info *upd; /* SB_MK_UPDATE */
    int npass;
    sb_pattern pass[2];
    double pass_bpe[2]; /* one pass: 0, the kernel's own bytes count */
    sb_micro_blas bl;   /* the CLBlast routine shown beside it */
} sb_micro_kernel;

#define SB_MICRO_MAX_KERNELS 40
#define SB_MICRO_MAX_SIZES 64
#define SB_MICRO_MAX_LOCALS 16
#define SB_MICRO_64M ((size_t)64 << 20)
/* A fraction above this is a finding (the ceiling's variant set misses a faster way),
 * never a pass. */
#define SB_MICRO_EXCEEDED 1.05

/* The registry: references first, then by family; *n gets the count. */
const sb_micro_kernel *sb_micro_kernels(int *n);
const sb_micro_kernel *sb_micro_find_kernel(const char *name);
/* The kernel's ceiling patterns, "rmw" or "read+copy". */
const char *sb_micro_ceiling_name(const sb_micro_kernel *k, char *buf, size_t cap);
const char *sb_micro_blas_name(sb_micro_blas b);
/* Minimal traffic of one call in bytes (DESIGN.md section 3); m voters. */
double sb_micro_kernel_bytes(const sb_micro_kernel *k, size_t n, int m);

/* Random inputs (Philox) on the host and their device copies, for one size. */
typedef struct sb_micro_bufs {
    size_t n, words;
    int m;
    float *a, *b, *x, *s1, *s2, *out;
    uint32_t *bits, *vout;
    cl_mem da, db, dx, ds1, ds2, dout, dbits, dvout, dscalar;
} sb_micro_bufs;

int sb_micro_bufs_alloc(sb_micro_bufs *b, sb_ctx *c, size_t n, int m, sb_err *err);
void sb_micro_bufs_free(sb_micro_bufs *b);

/* Time one kernel of ops at b's size: warmup untimed calls, then reps calls; real[i]
 * gets the OpenCL event time of call i, cpu[i] the host clock around enqueue + finish.
 * An A/B runner calls this with two sb_ops built from different kernel sources. */
int sb_micro_time_kernel(sb_ops *ops, const sb_micro_kernel *k, sb_micro_bufs *b,
                         int warmup, int reps, double *real, double *cpu, sb_err *err);

typedef struct sb_micro_opts {
    sb_opts dev;
    int selected[SB_MICRO_MAX_KERNELS]; /* by registry index, asked for by the user */
    size_t sizes[SB_MICRO_MAX_SIZES];
    int nsizes;
    size_t locals[SB_MICRO_MAX_LOCALS];
    int nlocals;
    long reps, warmup, vote_m;
    int no_clblast, no_host;
    double cv_limit; /* rows whose CV exceeds it are marked noisy (0: the default 0.10) */
    const regex_t *filter; /* report only benchmarks whose name matches; NULL: all */
    int dry; /* plan every benchmark (names, sizes) but time nothing: --list */
} sb_micro_opts;

/* A row whose median enqueue-to-finish host time is under this many times the empty
 * kernel's is marked launch-bound: its rate measures the runtime, not the kernel. */
#define SB_MICRO_LAUNCH_BOUND 3.0

/* --quick's bandwidth size: the smallest power of two n >= 1M whose one vector (4n
 * bytes) is at least twice the host's last-level cache (hwloc), so that no pattern
 * runs from cache. */
size_t sb_micro_bandwidth_n(void);

/* The list options, each into mo (SB_EUSAGE with one line on bad input): --kernels
 * "sign,pack" or "all"; --sizes "4K,1M,64M" or "1K..256M" (x4 steps) or both, sorted;
 * --local-size "64,128" (powers of two). */
int sb_micro_parse_kernels(const char *list, sb_micro_opts *mo, sb_err *err);
int sb_micro_parse_sizes(const char *list, sb_micro_opts *mo, sb_err *err);
int sb_micro_parse_locals(const char *list, sb_micro_opts *mo, sb_err *err);

/* Default sweep: 64K x4 up to 64M, or further until one buffer is 8x the LLC (hwloc). */
void sb_micro_default_sizes(sb_micro_opts *mo);

/* One benchmark: a kernel (or CLBlast routine, transfer, latency probe) run by one
 * implementation at one size. */
typedef struct sb_micro_result {
    const char *kernel;
    const char *impl;         /* "ocl", "clblast", "c1", "omp" */
    const sb_micro_kernel *k; /* NULL for CLBlast, latency and transfer rows */
    sb_micro_blas bl;         /* CLBlast rows */
    size_t n, local;
    double bytes;
    double *real, *cpu;
    int reps;
    sb_stats rs, cs;
    double gbps;       /* bytes / median real time / 1e9 */
    int pat;           /* a ceiling variant's pattern (sb_pattern), -1 for other rows */
    char variant[32];  /* a ceiling variant's name: w8_chunked_wg64, saxpy, loop... */
    double roof;       /* roofline_fraction = gbps / ceil_gbps; NAN: none */
    double ceil_gbps;  /* the ceiling: best variant of each pass's pattern, same rounds */
    char ceil_ref[24]; /* its patterns: "rmw", "read+copy" */
    char ceil_by[96];  /* the variants that set it: "rmw:ocl/w8_chunked_wg64" */
    int exceeded;      /* roof > SB_MICRO_EXCEEDED: the variant set is incomplete */
    int noisy;         /* CV of the real time above the run's limit */
    int launch_bound;  /* median host time near the launch latency */
    int manual;        /* real is device time */
    int no_copy;       /* map_read on a device sharing host memory: a latency, no rate */
    const char *unit;  /* time unit of its report rows, fixed by the kind of benchmark */
    int pruned;        /* a ceiling variant cut after the second round (too slow to set
                        * the ceiling); reps counts the samples it kept */
    int hidden;        /* timed because a reported row needs it (a ceiling, the launch
                       * latency) but its own name does not match the filter */
} sb_micro_result;

/* A result's benchmark name: kernel/impl/n[/local:L][/variant:V][/manual_time], the name
 * the reports give it (report_json.h's sb_gb_name writes the same). */
void sb_micro_name(const sb_micro_result *r, char *out, size_t cap);

typedef struct sb_micro_results {
    sb_micro_result *r;
    int n, cap;
} sb_micro_results;

/* A whole sweep: every selected kernel at every size (and local size). */
typedef struct sb_micro_run {
    const sb_micro_opts *mo;
    sb_micro_results rs;
    char notes[16][256];
    int nnotes;
    int sizes_run; /* sizes that fitted the device and host (the rest were noted) */
    sb_progress prog;
    long done;
    sb_ctx ctx; /* the first pass's context, open for the report's device fields */
    int have_ctx;
    double latency_s;      /* the empty kernel's median enqueue-to-finish host time */
    char warnings[4][160]; /* machine state that makes timings noisy, as Google
                             * Benchmark warns: load above the CPU count, CPU scaling */
    int nwarnings;
} sb_micro_run;

int sb_micro_sweep(sb_micro_run *s, const sb_micro_opts *mo, sb_err *err);
void sb_micro_run_free(sb_micro_run *s);

/* The first result matching kernel, impl, n and (for ocl rows) local; NULL if none. */
const sb_micro_result *sb_micro_find(const sb_micro_results *rs, const char *kernel,
                                     const char *impl, size_t n, size_t local);

#endif
