/* problem_impl.h - private to host/problems/: the struct every problem's impl starts
 * with, the constructors the dispatch table names, and the shared device helpers. */
#ifndef SB_PROBLEM_IMPL_H
#define SB_PROBLEM_IMPL_H

#include "problem.h"

/* Every impl struct starts with this, so the accessors and the oracle work on any. */
typedef struct sb_problem_common {
    double tube[3];  /* L, gamma, tau for the tube problems (else 0) */
    double *Q;       /* rotation, row-major d x d, or NULL */
    cl_kernel noise; /* oracle_noise, or NULL without a device */
} sb_problem_common;

int sb_problem_tube_create(const sb_problem_opts *o, sb_ctx *ctx, int rotated,
                           sb_problem **out, sb_err *err);
int sb_problem_quad_create(const sb_problem_opts *o, sb_ctx *ctx, int rotated,
                           sb_problem **out, sb_err *err);
int sb_problem_logreg_create(const sb_problem_opts *o, sb_ctx *ctx, sb_problem **out,
                             sb_err *err);
/* Refuse (SB_EUSAGE, one line saying how much) a problem whose host arrays need more
 * than half the host memory, whose largest device buffer exceeds the device's largest
 * allocation or whose buffers exceed its memory (ctx may be NULL: host only). Called
 * before anything is allocated. */
int sb_problem_check_size(const char *name, double host_bytes, double dev_largest,
                          double dev_total, const sb_ctx *ctx, sb_err *err);
/* A zeroed sb_problem with name, d, x0 (length d) and impl allocated. */
int sb_problem_alloc(const char *name, size_t d, size_t impl_size, sb_problem **out,
                     sb_err *err);
/* Run a 1-D kernel over n items with the device's SB_LOCAL_SIZE work-groups. */
int sb_problem_run(sb_ctx *ctx, cl_kernel k, size_t n, sb_err *err);
/* y = alpha op(A) x + beta y with CLBlastSgemv, A row-major rows x cols. */
int sb_problem_gemv(sb_ctx *ctx, int trans, size_t rows, size_t cols, float alpha, cl_mem A,
                    cl_mem x, float beta, cl_mem y, sb_err *err);
/* Sum in double of n floats of a device buffer. */
int sb_problem_sum(sb_ctx *ctx, cl_mem buf, size_t n, double *sum, sb_err *err);

#endif
