/* oracle.c - reproducible randomness on the host (Random123 Philox, Box-Muller) and the
 * stochastic oracle's schedule, noise and minibatch indices (DESIGN.md 5.4). */
#include <math.h>
#include <stdlib.h>

#include <Random123/philox.h>

#include "oracle.h"

static void philox_words(uint64_t seed, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
                         uint32_t r[4])
{
    philox4x32_ctr_t c = {{w0, w1, w2, w3}};
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t o = philox4x32_R(10, c, k);
    for (int i = 0; i < 4; i++)
        r[i] = o.v[i];
}

void sb_philox(uint64_t seed, uint32_t block, uint64_t step, uint32_t stream, uint32_t r[4])
{
    philox_words(seed, block, (uint32_t)step, (uint32_t)(step >> 32), stream, r);
}

double sb_u01(uint32_t r)
{
    return ((double)r + 0.5) * (1.0 / 4294967296.0);
}

static void box_muller(const uint32_t r[4], double z[2])
{
    double rho = sqrt(-2.0 * log(sb_u01(r[0]))), th = 2.0 * M_PI * sb_u01(r[1]);
    z[0] = rho * cos(th);
    z[1] = rho * sin(th);
}

void sb_normal2(uint64_t seed, uint32_t block, uint64_t step, uint32_t stream, double z[2])
{
    uint32_t r[4];
    sb_philox(seed, block, step, stream, r);
    box_muller(r, z);
}

static void block_words(uint64_t seed, uint64_t blk, uint64_t step, uint32_t stream,
                        uint32_t r[4])
{
    philox_words(seed, (uint32_t)blk, (uint32_t)step,
                 (uint32_t)((step >> 32) + (blk >> 32)), stream, r);
}

void sb_normals(uint64_t seed, uint32_t stream, uint64_t step, size_t n, double *out)
{
    for (size_t e = 0; e < n; e += 2) {
        uint32_t r[4];
        double z[2];
        block_words(seed, e / 2, step, stream, r);
        box_muller(r, z);
        out[e] = z[0];
        if (e + 1 < n)
            out[e + 1] = z[1];
    }
}

void sb_uniforms(uint64_t seed, uint32_t stream, uint64_t step, size_t n, double lo,
                 double hi, double *out)
{
    for (size_t e = 0; e < n; e += 4) {
        uint32_t r[4];
        block_words(seed, e / 4, step, stream, r);
        for (size_t i = 0; i < 4 && e + i < n; i++)
            out[e + i] = lo + (hi - lo) * sb_u01(r[i]);
    }
}

size_t sb_oracle_batch(const sb_oracle *o, uint64_t step)
{
    if (!o)
        return 0;
    if (o->theory_batch)
        return (size_t)step + 1;
    return o->batch;
}

double sb_oracle_noise_sd(const sb_oracle *o, uint64_t step)
{
    if (!o || !(o->sigma > 0.0))
        return 0.0;
    size_t n = sb_oracle_batch(o, step);
    return o->sigma / sqrt((double)(n ? n : 1));
}

void sb_oracle_noise_host(const sb_oracle *o, uint64_t step, size_t d, double sd,
                          double *out)
{
    for (size_t j = 0; j < d; j += 2) {
        double z[2];
        sb_normal2(o->seed, (uint32_t)(j / 2), step, SB_STREAM_NOISE, z);
        out[j] = sd * z[0];
        if (j + 1 < d)
            out[j + 1] = sd * z[1];
    }
}

void sb_oracle_indices_host(const sb_oracle *o, uint64_t step, size_t m, size_t n,
                            uint32_t *out)
{
    for (size_t e = 0; e < m; e += 4) {
        uint32_t r[4];
        sb_philox(o->seed, (uint32_t)(e / 4), step, SB_STREAM_BATCH, r);
        for (size_t i = 0; i < 4 && e + i < m; i++)
            out[e + i] = (uint32_t)(((uint64_t)r[i] * (uint64_t)n) >> 32);
    }
}

int sb_oracle_add_noise(sb_ctx *ctx, cl_kernel noise, const sb_oracle *o, uint64_t step,
                        double sd, cl_mem g, size_t d, sb_err *err)
{
    if (!(sd > 0.0) || d == 0)
        return SB_OK;
    cl_uint dd = (cl_uint)d, s0 = (cl_uint)o->seed, s1 = (cl_uint)(o->seed >> 32),
            k0 = (cl_uint)step, k1 = (cl_uint)(step >> 32);
    cl_float sdf = (cl_float)sd;
    cl_int rc = clSetKernelArg(noise, 0, sizeof g, &g);
    rc |= clSetKernelArg(noise, 1, sizeof dd, &dd);
    rc |= clSetKernelArg(noise, 2, sizeof sdf, &sdf);
    rc |= clSetKernelArg(noise, 3, sizeof s0, &s0);
    rc |= clSetKernelArg(noise, 4, sizeof s1, &s1);
    rc |= clSetKernelArg(noise, 5, sizeof k0, &k0);
    rc |= clSetKernelArg(noise, 6, sizeof k1, &k1);
    if (SB_CLFAIL(rc, err, "clSetKernelArg(oracle_noise)"))
        return err->code;
    size_t local = ctx->params->local_size, global = sb_round_up((d + 1) / 2, local);
    rc = clEnqueueNDRangeKernel(ctx->queue, noise, 1, NULL, &global, &local, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueNDRangeKernel(oracle_noise)"))
        return err->code;
    return SB_OK;
}
