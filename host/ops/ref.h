/* ref.h - plain C references of every vector kernel (sign.cl, update.cl, reduce.cl,
 * roofline.cl): the ground truth of the tests and the host baselines of `micro`. */
#ifndef SB_REF_H
#define SB_REF_H

#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* Every function takes `par`: 0 runs one thread, 1 runs an OpenMP parallel loop. Both
 * give the same element-wise results; reductions sum in double, so their last bits may
 * depend on the thread count. Packed vectors follow DESIGN.md section 3. */

/* s = sign(g) (+1, -1, 0 at +-0; NaN gives 0). Returns 1 when g holds a NaN, else 0. */
int sb_ref_sign(const float *g, float *s, size_t n, int par);
/* bits (ceil(n/32) words) = packed signs of g. Returns 1 when g holds a NaN. */
int sb_ref_pack(const float *g, uint32_t *bits, size_t n, int par);
void sb_ref_unpack(const uint32_t *bits, float *s, size_t n, int par);
/* out (ceil(n/32) words) = majority of m packed vectors back to back; ties give +1. */
void sb_ref_vote(const uint32_t *bits, int m, size_t n, uint32_t *out, int par);
/* out = (norm1(g)/n) * sign(g), the scale rounded to float as on the device. */
void sb_ref_scaled_sign(const float *g, float *out, size_t n, int par);
/* x -= lr * sign(vote(bits)). */
void sb_ref_vote_update(float *x, const uint32_t *bits, int m, size_t n, float lr, int par);

/* One step of optimiser u (same hyperparameters, state and order of operations as the
 * kernel update_<name>). For ef-signsgd this is both passes: s1 is the error e, and
 * h.scale is computed here (norm1(lr g + e)/n, rounded to float) and ignored on input. */
void sb_ref_update(const sb_update_info *u, float *x, const float *g, float *s1, float *s2,
                   size_t n, sb_hyper h, int par);

/* norm1, norm2, norminf of a, or dot(a, b) (b is ignored by the norms). norminf ignores
 * NaN (fmax), as the kernel does. */
double sb_ref_reduce(sb_reduce_kind kind, const float *a, const float *b, size_t n,
                     int par);

/* Roofline references: b = a; sum of a; x += a*g. */
void sb_ref_copy(const float *a, float *b, size_t n, int par);
double sb_ref_read(const float *a, size_t n, int par);
void sb_ref_rmw(float *x, const float *g, size_t n, float a, int par);
/* A ceiling variant's pattern p (ops.h; kernels/roofline.cl): per element t = in[i] (c
 * without an input), y[j][i] += c * (nin ? t : y[j][i]) for the nio in-place vectors,
 * out[i] = t; returns the sum of t in double for a reduction (0 otherwise). */
double sb_ref_stream(const sb_pattern_info *p, const float *in, float *const y[3],
                     float *out, size_t n, float c, int par);

#endif
