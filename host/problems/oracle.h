/* oracle.h - reproducible randomness (DESIGN.md 5.4): Philox4x32-10 streams for the
 * stochastic oracle (noise, minibatch indices), rotations, start points, synthetic data. */
#ifndef SB_ORACLE_H
#define SB_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "ocl.h"

/* The exact recipe, identical on the host and in kernels/oracle.cl, so a seed gives
 * the same trajectory on every device:
 *   key     = {seed & 0xffffffff, seed >> 32}, Philox4x32 with 10 rounds;
 *   counter = {block, step & 0xffffffff, step >> 32, stream};
 *   uniform u = (r + 0.5) * 2^-32 in (0, 1) from a 32-bit output r;
 *   normals (Box-Muller) from outputs r0, r1: rho = sqrt(-2 ln u0),
 *     z0 = rho cos(2 pi u1), z1 = rho sin(2 pi u1);
 *   noise: coordinate j takes z_(j % 2) of block j / 2 (stream SB_STREAM_NOISE);
 *   minibatch: the m-th index takes r_(m % 4) of block m / 4 (stream SB_STREAM_BATCH),
 *     index = (r * n) >> 32 in 64-bit integer math (exact everywhere). */
/* The stochastic gradient oracle (DESIGN.md 5.4): minibatch, added noise, seed. */
typedef struct sb_oracle {
    size_t batch;     /* minibatch size; 0: full batch */
    int theory_batch; /* 1: n_k = k + 1 (Theorem 1's schedule) */
    double sigma;     /* additive Gaussian noise per coordinate, per single call */
    uint64_t seed;
} sb_oracle;

enum {
    SB_STREAM_NOISE = 0,
    SB_STREAM_BATCH = 1,
    SB_STREAM_ROTATION = 2,
    SB_STREAM_START = 3,
    SB_STREAM_DATA = 4,
    SB_STREAM_LABEL = 5
};

/* The four 32-bit outputs of Philox4x32-10 at (seed; block, step, stream). */
void sb_philox(uint64_t seed, uint32_t block, uint64_t step, uint32_t stream,
               uint32_t r[4]);
double sb_u01(uint32_t r);
/* Two standard normals from block `block` of a stream. */
void sb_normal2(uint64_t seed, uint32_t block, uint64_t step, uint32_t stream, double z[2]);
/* n standard normals: element e takes z_(e % 2) of block b = e / 2, with the low 32
 * bits of b in counter word 0 and its high bits added to word 2 (step >> 32). */
void sb_normals(uint64_t seed, uint32_t stream, uint64_t step, size_t n, double *out);
/* n uniforms in (lo, hi) from a stream (element e: r_(e % 4) of block e / 4, high
 * block bits as for sb_normals). */
void sb_uniforms(uint64_t seed, uint32_t stream, uint64_t step, size_t n, double lo,
                 double hi, double *out);

/* Minibatch size n_k at step k (0-based) and the gradient calls it costs: the theory
 * schedule gives k + 1, --batch N gives N, full batch gives 0 (the caller counts). */
size_t sb_oracle_batch(const sb_oracle *o, uint64_t step);
/* Standard deviation of the additive noise for n_k calls: sigma / sqrt(n_k). */
double sb_oracle_noise_sd(const sb_oracle *o, uint64_t step);

/* Host reference of the noise the device adds at a step: out[j] = sd * z_j (double). */
void sb_oracle_noise_host(const sb_oracle *o, uint64_t step, size_t d, double sd,
                          double *out);
/* Host reference of the minibatch rows drawn at a step: m indices in [0, n). */
void sb_oracle_indices_host(const sb_oracle *o, uint64_t step, size_t m, size_t n,
                            uint32_t *out);

/* g += sd * z on the device (kernel oracle_noise, made by the caller with
 * sb_ctx_kernel), z the standard normals of (o->seed, step). No-op when sd is 0. */
int sb_oracle_add_noise(sb_ctx *ctx, cl_kernel noise, const sb_oracle *o, uint64_t step,
                        double sd, cl_mem g, size_t d, sb_err *err);

#endif
