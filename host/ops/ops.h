/* ops.h - host side of the vector kernels (kernels/sign.cl, update.cl, reduce.cl,
 * roofline.cl): sign quantisation, packing, vote, fused optimiser updates, reductions. */
#ifndef SB_OPS_H
#define SB_OPS_H

#include <stddef.h>

#include "ocl.h"

/* Hyperparameters of one update step, passed by value to every update kernel. The
 * layout must match `sb_hyper` in kernels/common.cl: twelve 4-byte fields. */
typedef struct sb_hyper {
    float lr;       /* step size of this step (schedule already applied) */
    float b1, b2;   /* momentum / Adam / Lion betas; rmsprop's alpha in b2 */
    float eps;      /* Adam / rmsprop */
    float wd;       /* weight decay */
    int decoupled;  /* 0: coupled (g += wd x), 1: decoupled (x *= 1 - lr wd) */
    float bc1, bc2; /* Adam bias corrections: 1 - b1^t, 1 - b2^t */
    float scale;    /* ef-signsgd: norm1(p)/d, computed by the first pass */
    int pad[3];
} sb_hyper;
/* The kernels read sb_hyper by value: a field moved here must move in common.cl too. */
_Static_assert(sizeof(sb_hyper) == 48, "sb_hyper: twelve 4-byte fields, as in common.cl");
_Static_assert(offsetof(sb_hyper, decoupled) == 20 && offsetof(sb_hyper, bc1) == 24 &&
                   offsetof(sb_hyper, scale) == 32 && offsetof(sb_hyper, pad) == 36,
               "sb_hyper: field offsets must match kernels/common.cl");

/* The coordinate-wise optimisers of DESIGN.md section 6, each a fused kernel
 * `update_<name>` (dash as underscore) with one signature:
 *   (__global float *x, __global const float *g, __global float *s1,
 *    __global float *s2, uint n, sb_hyper h)
 * s1/s2 are optimiser state (momentum m, second moment v, error e); unused ones may be
 * any buffer. bytes_per_elem is the minimal traffic (DESIGN.md section 3). */
typedef struct sb_update_info {
    const char *name;      /* "sgd", "momentum", "signsgd", "signum", "ef-signsgd", ... */
    const char *kernel;    /* "update_sgd", ... */
    int nstate;            /* 0, 1 or 2 state vectors */
    int sign_based;        /* 1 when the step is lr * sign(...) */
    double bytes_per_elem; /* for GB/s */
} sb_update_info;

extern const sb_update_info sb_updates[]; /* terminated by a NULL name */
const sb_update_info *sb_update_find(const char *name);

typedef enum { SB_NORM1, SB_NORM2, SB_NORMINF, SB_DOT } sb_reduce_kind;

/* Kernels created once per context. */
typedef struct sb_ops {
    sb_ctx *ctx;
    size_t local;   /* work-group size for streaming kernels */
    cl_mem flag;    /* NaN flag written by sign/pack */
    cl_mem partial; /* per-work-group partial sums of reductions */
    size_t partial_n;
    float *partial_host;
    cl_kernel k[32];            /* indexed privately by ops.c */
    cl_kernel stream_k[9 * 32]; /* ceiling variants (SB_PAT_N x 32), made on first use */
} sb_ops;

int sb_ops_init(sb_ops *o, sb_ctx *ctx, sb_err *err);
void sb_ops_free(sb_ops *o);

/* Limits: n <= UINT_MAX elements (else SB_EUSAGE); n = 0 is a no-op; vote takes 1 to
 * 65535 voters. Every op enqueues its kernel(s) on ctx->queue. When dev_s is non-NULL the op waits
 * for them and ADDS their profiled device time (END - START, summed) to *dev_s. When
 * nan is non-NULL (sign, pack) the op waits and sets *nan to 1 if the input held a NaN
 * (NaN is reported, never packed silently). */
int sb_op_sign(sb_ops *o, cl_mem g, cl_mem s, size_t n, int *nan, double *dev_s,
               sb_err *err);
int sb_op_pack(sb_ops *o, cl_mem g, cl_mem bits, size_t n, int *nan, double *dev_s,
               sb_err *err);
int sb_op_unpack(sb_ops *o, cl_mem bits, cl_mem s, size_t n, double *dev_s, sb_err *err);
/* bits: m packed vectors of ceil(n/32) words each, back to back (padding bits 0, as
 * pack writes them); out: ceil(n/32) words, bit 1 iff more than m/2 voters have it. */
int sb_op_vote(sb_ops *o, cl_mem bits, int m, size_t n, cl_mem out, double *dev_s,
               sb_err *err);
/* out = (norm1(g)/n) * sign(g); the norm is reduced on the device. */
int sb_op_scaled_sign(sb_ops *o, cl_mem g, cl_mem out, size_t n, double *dev_s,
                      sb_err *err);
/* x -= lr * sign(vote(bits)): the full-precision aggregate is never written. */
int sb_op_vote_update(sb_ops *o, cl_mem x, cl_mem bits, int m, size_t n, float lr,
                      double *dev_s, sb_err *err);
/* One optimiser step; for ef-signsgd both passes (s1 is the error e; h.scale is computed
 * here). s1/s2 may be NULL when the optimiser has fewer state vectors. u may be a row of
 * sb_updates or a copy of one. On PoCL the result equals sb_ref_update (ref.h) bit for
 * bit. */
int sb_op_update(sb_ops *o, const sb_update_info *u, cl_mem x, cl_mem g, cl_mem s1,
                 cl_mem s2, size_t n, sb_hyper h, double *dev_s, sb_err *err);
/* norm1, norm2, norminf of a, or dot(a, b); result in double (partials summed on the
 * host in double). */
int sb_op_reduce(sb_ops *o, sb_reduce_kind kind, cl_mem a, cl_mem b, size_t n, double *out,
                 double *dev_s, sb_err *err);

/* Roofline references (DESIGN.md section 4), written like the kernels above so that the
 * ratios are fair: copy (b = a: read 4, write 4 bytes/element), read (*sum = sum of a,
 * partials summed on the host in double: read 4 bytes/element) and rmw (x += a*g in
 * place: read 8, write 4 bytes/element). */
int sb_op_copy(sb_ops *o, cl_mem a, cl_mem b, size_t n, double *dev_s, sb_err *err);
int sb_op_read(sb_ops *o, cl_mem a, size_t n, double *sum, double *dev_s, sb_err *err);
int sb_op_rmw(sb_ops *o, cl_mem x, cl_mem g, size_t n, float a, double *dev_s, sb_err *err);

/* Traffic patterns of the ceiling variants (kernels/roofline.cl): nin read-only inputs,
 * nio vectors read and written in place, nout write-only outputs, red 1 for a sum (of
 * the elements of both inputs when nin is 2: read2, the traffic of dot). */
typedef enum {
    SB_PAT_READ,
    SB_PAT_WRITE,
    SB_PAT_COPY,
    SB_PAT_SCALE,
    SB_PAT_RMW,
    SB_PAT_RMW2,
    SB_PAT_RMW3,
    SB_PAT_INPLACE2,
    SB_PAT_READ2,
    SB_PAT_N
} sb_pattern;

typedef struct sb_pattern_info {
    const char
        *name; /* "read", "write", "copy", "scale", "rmw", "rmw2", "rmw3", "inplace2",
                  "read2" */
    int nin, nio, nout, red;
    double bytes_per_elem; /* 4 (nin + 2 nio + nout) */
} sb_pattern_info;

extern const sb_pattern_info sb_patterns[SB_PAT_N];

/* Shape of a ceiling variant: chunked (one contiguous chunk per work-item) or grid-stride
 * work split; for patterns with a write-only output optionally streaming stores; for the
 * read, chunked, optionally four streams side by side. */
enum { SB_STREAM_CHUNKED = 1, SB_STREAM_NT = 2, SB_STREAM_S4 = 4 };

/* One ceiling variant of pattern p: vector width 1, 4, 8 or 16, shape (SB_STREAM_*
 * flags), work-group size local. in, y[0..2] and out are n floats each where the pattern
 * uses them (any buffer otherwise); for a sum, out receives one partial per work-item
 * and must hold sb_op_stream_items(...) floats. Same dev_s contract as the ops above. */
int sb_op_stream(sb_ops *o, sb_pattern p, int width, int shape, size_t local, cl_mem in,
                 const cl_mem y[3], cl_mem out, size_t n, float c, double *dev_s,
                 sb_err *err);
/* 1 when this device's program has that variant (streaming stores need the compiler's
 * builtin), 0 when not. */
int sb_op_stream_has(sb_ops *o, sb_pattern p, int width, int shape);
/* Work-items sb_op_stream launches for these arguments. */
size_t sb_op_stream_items(const sb_ops *o, int width, size_t local, size_t n);

#endif
