/* problem_logreg.c - L2-regularised logistic regression (DESIGN.md 5.2): data set up,
 * the fused gradient kernel or CLBlast GEMV twice, minibatches, test accuracy, and the
 * double-precision host reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "oracle.h"
#include "problem_impl.h"

typedef struct logreg_impl {
    sb_problem_common c;
    sb_dataset tr, te;
    double lambda;
    int clblast, fused_ok, cpu; /* cpu: logreg_part_cpu (one work-item per row range) */
    size_t ls, groups, cgroups, wgroups; /* local size; work-groups of part/coef/reduce */
    size_t idx_cap;
    uint32_t *hidx;
    cl_kernel kpart, kreduce, kcoef, kcpu;
    cl_mem X, y, idx, part, lpart, wpart, z, cvec, tmp;
} logreg_impl;

/* Stable log(1 + exp(-m)) and sigma(-m) in double. */
static double loss_d(double m, double *sig)
{
    double e = exp(-fabs(m));
    *sig = m >= 0.0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
    return log1p(e) + fmax(-m, 0.0);
}

static int logreg_host(const sb_problem *p, const double *w, double *f, double *g)
{
    const logreg_impl *L = p->impl;
    size_t n = L->tr.n, d = p->d;
    double s = 0.0, wsq = 0.0;
    if (g)
        memset(g, 0, d * sizeof *g);
    for (size_t i = 0; i < n; i++) {
        const float *x = L->tr.X + i * d;
        double z = 0.0, sig;
        for (size_t j = 0; j < d; j++)
            z += (double)x[j] * w[j];
        double y = L->tr.y[i];
        s += loss_d(y * z, &sig);
        if (g)
            for (size_t j = 0; j < d; j++)
                g[j] += -y * sig * x[j];
    }
    for (size_t j = 0; j < d; j++) {
        wsq += w[j] * w[j];
        if (g)
            g[j] = g[j] / (double)n + L->lambda * w[j];
    }
    if (f)
        *f = s / (double)n + 0.5 * L->lambda * wsq;
    return SB_OK;
}

static int setargs(cl_kernel k, const char *name, int n, const size_t *sizes,
                   const void *const *vals, sb_err *err)
{
    cl_int rc = CL_SUCCESS;
    for (int i = 0; i < n; i++)
        rc |= clSetKernelArg(k, (cl_uint)i, sizes[i], vals[i]);
    if (rc != CL_SUCCESS)
        return sb_fail(err, SB_ERUNTIME, "clSetKernelArg(%s) failed", name);
    return SB_OK;
}

/* The common end of both gradient paths: g = scale * (sum of the nparts partial rows
 * in parts) + lambda w by logreg_reduce, and, when f is wanted, f = (sum of the
 * nloss loss partials)/m + (lambda/2) ||w||^2, summed on the host in double. */
static int finish(sb_problem *p, cl_mem w, cl_mem g, cl_mem parts, cl_uint nparts,
                  cl_float scale, size_t nloss, size_t m, double *f, sb_err *err)
{
    logreg_impl *L = p->impl;
    sb_ctx *ctx = p->ctx;
    cl_uint ud = (cl_uint)p->d;
    cl_float lam = (cl_float)L->lambda;
    cl_mem out = g ? g : L->tmp;
    const size_t sz[] = {sizeof(cl_mem), 4, 4, sizeof(cl_mem), 4, 4, sizeof(cl_mem),
                         sizeof(cl_mem)};
    const void *v[] = {&parts, &nparts, &ud, &w, &lam, &scale, &out, &L->wpart};
    if (setargs(L->kreduce, "logreg_reduce", 8, sz, v, err) != SB_OK)
        return err->code;
    if (sb_problem_run(ctx, L->kreduce, p->d, err) != SB_OK)
        return err->code;
    if (f) {
        double ls, ws;
        if (sb_problem_sum(ctx, L->lpart, nloss, &ls, err) != SB_OK ||
            sb_problem_sum(ctx, L->wpart, L->wgroups, &ws, err) != SB_OK)
            return err->code;
        *f = ls / (double)m + 0.5 * L->lambda * ws;
    }
    return SB_OK;
}

/* g = (1/m) sum over the m used rows + lambda w; f likewise (when f is not NULL). */
static int fused(sb_problem *p, cl_mem w, cl_mem g, int use_idx, size_t m, double *f,
                 sb_err *err)
{
    logreg_impl *L = p->impl;
    sb_ctx *ctx = p->ctx;
    if (!L->fused_ok && !L->cpu)
        return sb_fail(err, SB_EUSAGE,
                       "logreg: minibatches need the fused kernel, but d = %zu "
                       "does not fit in %s's local memory",
                       p->d, ctx->dev.name);
    size_t rows = (m + L->groups - 1) / L->groups, groups = (m + rows - 1) / rows;
    cl_uint ui = (cl_uint)use_idx, um = (cl_uint)m, ud = (cl_uint)p->d, ur = (cl_uint)rows,
            ug = (cl_uint)groups;
    {
        const size_t sz[] = {
            sizeof(cl_mem), sizeof(cl_mem), sizeof(cl_mem),      sizeof(cl_mem), 4, 4, 4, 4,
            sizeof(cl_mem), sizeof(cl_mem), p->d * sizeof(float)};
        const void *v[] = {&L->X, &L->y, &w,       &L->idx,   &ui, &um,
                           &ud,   &ur,   &L->part, &L->lpart, NULL};
        cl_kernel k = L->cpu ? L->kcpu : L->kpart;
        if (setargs(k, L->cpu ? "logreg_part_cpu" : "logreg_part", L->cpu ? 10 : 11, sz, v,
                    err) != SB_OK)
            return err->code;
    }
    size_t one = 1, global = L->cpu ? groups : groups * L->ls;
    cl_int rc = clEnqueueNDRangeKernel(ctx->queue, L->cpu ? L->kcpu : L->kpart, 1, NULL,
                                       &global, L->cpu ? &one : &L->ls, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueNDRangeKernel(logreg_part)"))
        return err->code;
    return finish(p, w, g, L->part, ug, (cl_float)(1.0 / (double)m), groups, m, f, err);
}

/* Full batch through CLBlast: z = X w, c = -y sigma(-y z) / n, g = X^T c + lambda w. */
static int with_clblast(sb_problem *p, cl_mem w, cl_mem g, double *f, sb_err *err)
{
    logreg_impl *L = p->impl;
    sb_ctx *ctx = p->ctx;
    size_t n = L->tr.n;
    if (sb_problem_gemv(ctx, 0, n, p->d, 1.0f, L->X, w, 0.0f, L->z, err) != SB_OK)
        return sb_wrap(err, "logreg: X w");
    cl_uint un = (cl_uint)n;
    cl_float scale = (cl_float)(1.0 / (double)n);
    {
        const size_t sz[] = {sizeof(cl_mem), sizeof(cl_mem), 4, 4,
                             sizeof(cl_mem), sizeof(cl_mem)};
        const void *v[] = {&L->z, &L->y, &un, &scale, &L->cvec, &L->lpart};
        if (setargs(L->kcoef, "logreg_coef", 6, sz, v, err) != SB_OK)
            return err->code;
    }
    if (sb_problem_run(ctx, L->kcoef, n, err) != SB_OK)
        return err->code;
    if (sb_problem_gemv(ctx, 1, n, p->d, 1.0f, L->X, L->cvec, 0.0f, L->tmp, err) != SB_OK)
        return sb_wrap(err, "logreg: X^T c");
    /* X^T c is already scaled by 1/n: one partial row, unit scale. */
    return finish(p, w, g, L->tmp, 1, 1.0f, L->cgroups, n, f, err);
}

static int logreg_full(sb_problem *p, cl_mem w, cl_mem g, double *f, sb_err *err)
{
    logreg_impl *L = p->impl;
    if (L->clblast)
        return with_clblast(p, w, g, f, err);
    return fused(p, w, g, 0, L->tr.n, f, err);
}

static int logreg_grad(sb_problem *p, cl_mem w, cl_mem g, const sb_oracle *o, uint64_t step,
                       double *f, uint64_t *calls, sb_err *err)
{
    logreg_impl *L = p->impl;
    size_t m = sb_oracle_batch(o, step);
    if (m == 0) {
        if (logreg_full(p, w, g, f, err) != SB_OK)
            return err->code;
        if (calls)
            *calls += L->tr.n;
    } else {
        if (m > 0xffffffffu)
            return sb_fail(err, SB_EUSAGE, "logreg: minibatch of %zu rows is too large", m);
        if (m > L->idx_cap) {
            size_t cap = m > 2 * L->idx_cap ? m : 2 * L->idx_cap;
            uint32_t *h = realloc(L->hidx, cap * sizeof *h);
            if (!h)
                return sb_fail(err, SB_ERUNTIME, "logreg: out of memory for a batch of %zu",
                               m);
            L->hidx = h;
            cl_mem b;
            if (sb_buffer(p->ctx, CL_MEM_READ_ONLY, cap * sizeof *h, NULL, &b, err) !=
                SB_OK)
                return err->code;
            clReleaseMemObject(L->idx);
            L->idx = b;
            L->idx_cap = cap;
        }
        sb_oracle_indices_host(o, step, m, L->tr.n, L->hidx);
        cl_int rc = clEnqueueWriteBuffer(p->ctx->queue, L->idx, CL_TRUE, 0,
                                         m * sizeof(uint32_t), L->hidx, 0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueWriteBuffer(minibatch indices)"))
            return err->code;
        if (fused(p, w, g, 1, m, f, err) != SB_OK)
            return err->code;
        if (calls)
            *calls += m;
    }
    return sb_oracle_add_noise(p->ctx, L->c.noise, o, step, sb_oracle_noise_sd(o, step), g,
                               p->d, err);
}

static int logreg_acc(sb_problem *p, cl_mem w, double *acc, sb_err *err)
{
    logreg_impl *L = p->impl;
    double *hw = malloc(p->d * sizeof *hw);
    if (!hw)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    if (sb_problem_get(p->ctx, w, hw, p->d, err) != SB_OK) {
        free(hw);
        return err->code;
    }
    size_t good = 0;
    for (size_t i = 0; i < L->te.n; i++) {
        double z = 0.0;
        for (size_t j = 0; j < p->d; j++)
            z += (double)L->te.X[i * p->d + j] * hw[j];
        good += (z >= 0.0 ? 1.0f : -1.0f) == L->te.y[i];
    }
    free(hw);
    *acc = L->te.n ? (double)good / (double)L->te.n : 0.0;
    return SB_OK;
}

static void logreg_destroy(sb_problem *p)
{
    logreg_impl *L = p->impl;
    cl_kernel *k[] = {&L->kpart, &L->kreduce, &L->kcoef, &L->kcpu};
    for (size_t i = 0; i < 4; i++)
        if (*k[i])
            clReleaseKernel(*k[i]);
    cl_mem *m[] = {&L->X,     &L->y, &L->idx,  &L->part, &L->lpart,
                   &L->wpart, &L->z, &L->cvec, &L->tmp};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (*m[i])
            clReleaseMemObject(*m[i]);
    sb_dataset_free(&L->tr);
    sb_dataset_free(&L->te);
    free(L->hidx);
}

static const sb_problem_vt logreg_vt = {logreg_grad, logreg_full, logreg_host, NULL,
                                        logreg_destroy};
static const sb_problem_vt logreg_vt_test = {logreg_grad, logreg_full, logreg_host,
                                             logreg_acc, logreg_destroy};

/* ||X||_2^2 by power iteration on X^T X (at most 30 iterations, to 1e-5 relative): an
 * estimate from below of the true value, used for the smoothness constant. */
static double spectral_sq(const sb_dataset *ds, uint64_t seed)
{
    size_t n = ds->n, d = ds->d;
    double *v = malloc(d * sizeof *v), *u = malloc(n * sizeof *u), est = 0.0;
    if (!v || !u) {
        free(v);
        free(u);
        return NAN;
    }
    sb_normals(seed, SB_STREAM_DATA, 0xffffffffu, d, v);
    for (int it = 0; it < 30; it++) {
        double nv = 0.0;
        for (size_t j = 0; j < d; j++)
            nv += v[j] * v[j];
        nv = sqrt(nv);
        if (!(nv > 0.0))
            break;
        for (size_t j = 0; j < d; j++)
            v[j] /= nv;
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++)
                s += (double)ds->X[i * d + j] * v[j];
            u[i] = s;
        }
        double prev = est;
        memset(v, 0, d * sizeof *v);
        est = 0.0;
        for (size_t i = 0; i < n; i++) {
            est += u[i] * u[i];
            for (size_t j = 0; j < d; j++)
                v[j] += (double)ds->X[i * d + j] * u[i];
        }
        if (it > 0 && fabs(est - prev) <= 1e-5 * est)
            break;
    }
    free(v);
    free(u);
    return est;
}

int sb_problem_logreg_create(const sb_problem_opts *o, sb_ctx *ctx, sb_problem **out,
                             sb_err *err)
{
    if (o->rotation_file || o->spectrum || o->tube_L > 0 || o->tube_gamma > 0 ||
        o->tube_tau > 0)
        return sb_fail(err, SB_EUSAGE, "logreg: --%s belongs to another problem",
                       o->rotation_file ? "rotation"
                       : o->spectrum    ? "spectrum"
                                        : "tube-*");
    if (o->data && (o->n_synth || o->label_noise > 0))
        return sb_fail(err, SB_EUSAGE,
                       "logreg: --n and --label-noise are for synthetic data, "
                       "not --data");
    if (o->data && o->d)
        return sb_fail(err, SB_EUSAGE, "logreg: --d comes from the data file; drop it");
    sb_dataset tr, te = {0};
    /* The data matrix goes into one device buffer: refuse it before densifying. */
    sb_dataset_limit lim = {ctx ? (size_t)ctx->max_alloc : 0,
                            "the device's largest buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE)"};
    if (ctx && !o->data) {
        size_t n = o->n_synth ? o->n_synth : 1000, d = (o->d ? o->d : 20) + (o->bias != 0);
        double x_bytes = (double)n * (double)d * 4; /* X: one device buffer */
        if (sb_problem_check_size("logreg", x_bytes, x_bytes, x_bytes, ctx, err) != SB_OK)
            return err->code;
    }
    int st = o->data
                 ? sb_dataset_read_max(o->data, o->format, o->label_col, &lim, &tr, err)
                 : sb_dataset_synthetic(o->n_synth ? o->n_synth : 1000, o->d ? o->d : 20,
                                        o->seed, o->label_noise, &tr, err);
    if (st != SB_OK)
        return st;
    if (o->test_split > 0 && (st = sb_dataset_split(&tr, o->test_split, o->seed, &te, err)))
        goto fail_data;
    if (o->standardize)
        sb_dataset_standardize(&tr, te.n ? &te : NULL);
    if (o->bias && ((st = sb_dataset_add_bias(&tr, err)) ||
                    (te.n && (st = sb_dataset_add_bias(&te, err)))))
        goto fail_data;
    if (tr.n > 0xffffffffu || tr.d > 0xffffffffu) {
        st = sb_fail(err, SB_EUSAGE, "logreg: %zu x %zu data is too large", tr.n, tr.d);
        goto fail_data;
    }
    if (ctx && (st = sb_problem_check_size(
                    "logreg", 0, (double)tr.n * (double)tr.d * 4,
                    (double)tr.n * (double)tr.d * 4 + 8.0 * 4 * (double)tr.d, ctx, err)))
        goto fail_data;
    sb_problem *p;
    if ((st = sb_problem_alloc("logreg", tr.d, sizeof(logreg_impl), &p, err)) != SB_OK)
        goto fail_data;
    logreg_impl *L = p->impl;
    L->tr = tr;
    L->te = te;
    L->lambda = o->lambda >= 0 ? o->lambda : 1e-4;
    L->clblast = o->gemv && !strcmp(o->gemv, "clblast");
    p->vt = te.n ? &logreg_vt_test : &logreg_vt;
    p->n_train = tr.n;
    p->has_fstar = 0;
    double s2 = spectral_sq(&tr, o->seed);
    p->has_L = isfinite(s2);
    p->L = s2 / (4.0 * (double)tr.n) + L->lambda;
    /* x0 = 0 (calloc'ed). */
    if (ctx) {
        p->ctx = ctx;
        size_t n = tr.n, d = tr.d;
        L->ls = ctx->params->local_size;
        /* CPU devices get the one-work-item-per-row-range kernel (explicit float8);
         * others the work-group kernel. $SB_LOGREG_KERNEL=wg|cpu overrides (tests). */
        const char *kv = getenv("SB_LOGREG_KERNEL");
        L->cpu = kv ? !strcmp(kv, "cpu") : (ctx->dev.type & CL_DEVICE_TYPE_CPU) != 0;
        /* The work-group kernel keeps a partial gradient of length d in local memory. */
        size_t need = (d + 32 * L->ls + 64) * sizeof(float); /* acc, red, coef, lsum */
        L->fused_ok = need <= ctx->local_mem;
        if (!L->fused_ok && !L->clblast && !L->cpu) {
            st = sb_fail(err, SB_EUSAGE,
                         "logreg: d = %zu needs %zu bytes of local memory for "
                         "the fused kernel, %s has %llu: use --gemv clblast (full batch)",
                         d, need, ctx->dev.name, (unsigned long long)ctx->local_mem);
            goto fail;
        }
        size_t g = (size_t)(ctx->compute_units ? ctx->compute_units : 1) * (L->cpu ? 4 : 8);
        L->groups = g > 1024 ? 1024 : g;
        if (L->groups > n)
            L->groups = n;
        L->cgroups = sb_round_up(n, L->ls) / L->ls;
        L->wgroups = sb_round_up(d, L->ls) / L->ls;
        size_t lparts = L->cgroups > L->groups ? L->cgroups : L->groups;
        L->idx_cap = 1; /* the 1-element idx buffer below and hidx match it */
        if (!(L->hidx = malloc(sizeof *L->hidx))) {
            st = sb_fail(err, SB_ERUNTIME, "logreg: out of memory");
            goto fail;
        }
        if ((st = sb_ctx_kernel(ctx, "logreg_part", &L->kpart, err)) ||
            (st = sb_ctx_kernel(ctx, "logreg_reduce", &L->kreduce, err)) ||
            (st = sb_ctx_kernel(ctx, "logreg_coef", &L->kcoef, err)) ||
            (st = sb_ctx_kernel(ctx, "logreg_part_cpu", &L->kcpu, err)) ||
            (st = sb_ctx_kernel(ctx, "oracle_noise", &L->c.noise, err)) ||
            (st = sb_buffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                            n * d * sizeof(float), tr.X, &L->X, err)) ||
            (st = sb_buffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof(float),
                            tr.y, &L->y, err)) ||
            (st = sb_buffer(ctx, CL_MEM_READ_ONLY, sizeof(uint32_t), NULL, &L->idx, err)) ||
            (st = sb_problem_buffer(ctx, L->groups * d, NULL, &L->part, err)) ||
            (st = sb_problem_buffer(ctx, lparts, NULL, &L->lpart, err)) ||
            (st = sb_problem_buffer(ctx, L->wgroups, NULL, &L->wpart, err)) ||
            (st = sb_problem_buffer(ctx, d, NULL, &L->tmp, err)))
            goto fail;
        if (L->clblast && ((st = sb_problem_buffer(ctx, n, NULL, &L->z, err)) ||
                           (st = sb_problem_buffer(ctx, n, NULL, &L->cvec, err))))
            goto fail;
    }
    *out = p;
    return SB_OK;
fail:
    sb_problem_free(p);
    return st;
fail_data:
    sb_dataset_free(&tr);
    sb_dataset_free(&te);
    return st;
}

cl_mem sb_problem_data(const sb_problem *p)
{
    if (!p || strcmp(p->name, "logreg") || !p->ctx)
        return NULL;
    return ((const logreg_impl *)p->impl)->X;
}
