/* dist.c - data parallelism over MPI ranks: the aggregation algorithms (allreduce, allgather
 * vote, scatter vote), the bytes each rank hands to MPI, the time split, faults, agreement. */
#include "dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SB_HAVE_MPI
#include <mpi.h>
#include <signal.h>
#include <unistd.h>
#endif

static const char *agg_names[] = {"allgather-vote", "allreduce", "allreduce-fp16",
                                  "scatter-vote"};

int sb_agg_parse(const char *s, sb_agg_alg *out, sb_err *err)
{
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, agg_names[i])) {
            *out = (sb_agg_alg)i;
            return SB_OK;
        }
    return sb_fail(err, SB_EUSAGE,
                   "unknown aggregate '%s' (valid: allreduce, allreduce-fp16, "
                   "allgather-vote, scatter-vote)",
                   s ? s : "");
}

const char *sb_agg_name(sb_agg_alg a)
{
    return (unsigned)a < 4 ? agg_names[a] : "?";
}

double sb_dist_theory_bytes(sb_agg_alg a, sb_compress c, size_t d, int ranks)
{
    double p = ranks, n = (double)d;
    switch (a) {
    case SB_AGG_ALLREDUCE: return 2.0 * (p - 1) / p * 4.0 * n;
    case SB_AGG_ALLREDUCE_FP16: return 2.0 * (p - 1) / p * 2.0 * n;
    case SB_AGG_SCATTER_VOTE: return 2.0 * (p - 1) / p * n / 8.0;
    case SB_AGG_ALLGATHER_VOTE: return (p - 1) * (c == SB_COMP_PACK ? n / 8.0 : 4.0 * n);
    }
    return NAN;
}

int sb_dist_messages(sb_agg_alg a, sb_compress c)
{
    (void)c;
    return a == SB_AGG_SCATTER_VOTE ? 3 : 2; /* the NaN flag, then the data */
}

void sb_dist_opts_init(sb_dist_opts *o)
{
    memset(o, 0, sizeof *o);
    o->alg = SB_AGG_ALLGATHER_VOTE;
    o->timeout_s = 120;
    o->fault_rank = -1;
}

void sb_dist_summary_free(sb_dist_summary *s)
{
    free(s->per_rank);
    s->per_rank = NULL;
}

#ifdef SB_HAVE_MPI
typedef struct dist_state {
    sb_dist_opts o;
    int rank, size;
    size_t words, slice; /* W = ceil(d/32); scatter-vote slice S = ceil(W/P) */
    uint32_t *hb, *hrecv, *hmine, *hvoted;
    float *hf, *hfall;
    uint16_t *hh, *hhsum;
    cl_mem gtmp, slices, voted, ef;
    MPI_Op half_sum;
    uint64_t calls_seen;
    double sent, recv, step_sent, step_recv, t_comm;
    uint64_t steps;
    double *comm_k, *period_k; /* per step: communication seconds, and the time from this
                                  step's aggregate to the next one's (a whole step) */
    size_t cap;
    double last_entry;
    double wire[4]; /* tx, rx at the start mark; tx, rx at the end mark */
    int wired;
} dist_state;

/* ---- the collective watchdog: a collective past the limit ends the rank ----------- */

static char alarm_msg[256];
static size_t alarm_len;

static void on_alarm(int sig)
{
    (void)sig;
    ssize_t w = write(2, alarm_msg, alarm_len);
    (void)w;
    _exit(1); /* mpirun sees the exit and stops the others */
}

static void guard_start(dist_state *s, const char *what, uint64_t step)
{
    if (s->o.timeout_s <= 0)
        return;
    int n = snprintf(alarm_msg, sizeof alarm_msg,
                     "signbench: rank %d: %s at step %llu did "
                     "not finish within %g s: another rank died or stopped answering; "
                     "stopping\n",
                     s->rank, what, (unsigned long long)step, s->o.timeout_s);
    alarm_len = n > 0 && (size_t)n < sizeof alarm_msg ? (size_t)n : sizeof alarm_msg - 1;
    unsigned t = (unsigned)ceil(s->o.timeout_s);
    alarm(t ? t : 1);
}

static void guard_end(dist_state *s)
{
    if (s->o.timeout_s > 0)
        alarm(0);
}

static void count(dist_state *s, double sent, double recv)
{
    s->step_sent += sent;
    s->step_recv += recv;
    s->sent += sent;
    s->recv += recv;
}

/* MPI reduction of fp16 values (as uint16): each addition in float, rounded to half. */
static void half_sum_fn(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)dt;
    const _Float16 *a = in;
    _Float16 *b = inout;
    for (int i = 0; i < *len; i++)
        b[i] = (_Float16)((float)a[i] + (float)b[i]);
}

static void dist_free(void *user)
{
    dist_state *s = user;
    if (!s)
        return;
    cl_mem all[] = {s->gtmp, s->slices, s->voted, s->ef};
    for (int i = 0; i < 4; i++)
        if (all[i])
            clReleaseMemObject(all[i]);
    if (s->half_sum != MPI_OP_NULL) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin)
            MPI_Op_free(&s->half_sum);
    }
    free(s->hb), free(s->hrecv), free(s->hmine), free(s->hvoted);
    free(s->hf), free(s->hfall), free(s->hh), free(s->hhsum);
    free(s->comm_k), free(s->period_k);
    free(s);
}

static int mpi_failed(int rc, const char *what, sb_err *err)
{
    char msg[MPI_MAX_ERROR_STRING];
    int n = 0;
    msg[0] = '\0';
    MPI_Error_string(rc, msg, &n);
    return sb_fail(err, SB_ERUNTIME, "%s failed: %s", what, msg);
}

#define MPI_CALL(s, pl, what, call)                                                        \
    do {                                                                                   \
        double t_ = sb_now();                                                              \
        guard_start((s), (what), (pl)->step);                                              \
        int rc_ = (call);                                                                  \
        guard_end(s);                                                                      \
        (s)->t_comm += sb_now() - t_;                                                      \
        if (rc_ != MPI_SUCCESS)                                                            \
            return mpi_failed(rc_, (what), err);                                           \
    } while (0)

/* Blocking copies between the device and the host staging, timed as communication. */
static int stage(dist_state *s, cl_command_queue q, int to_host, cl_mem b, size_t bytes,
                 void *h, sb_err *err)
{
    double t0 = sb_now();
    cl_int rc = to_host ? clEnqueueReadBuffer(q, b, CL_TRUE, 0, bytes, h, 0, NULL, NULL)
                        : clEnqueueWriteBuffer(q, b, CL_TRUE, 0, bytes, h, 0, NULL, NULL);
    s->t_comm += sb_now() - t0;
    if (SB_CLFAIL(rc, err,
                  to_host ? "clEnqueueReadBuffer(staging)"
                          : "clEnqueueWriteBuffer(staging)"))
        return err->code;
    return SB_OK;
}

/* signsgd without weight decay: x -= lr sign(vote) is one kernel (vec_vote_update), the
 * same arithmetic as the vote, unpack and update kernels. */
static int fused(const sb_pipeline *pl)
{
    return !strcmp(pl->opt->name, "signsgd") && pl->opt->kind == SB_OPT_FUSED &&
           pl->params.wd == 0;
}

static int vote_update(sb_pipeline *pl, cl_mem bits, int m, sb_err *err)
{
    sb_hyper h = sb_optim_hyper(&pl->params, pl->step);
    pl->updated = 1;
    return sb_op_vote_update(pl->ops, pl->x, bits, m, pl->d, h.lr, NULL, err);
}

/* Packed signs: every rank's W words to every rank, the vote of all on each. */
static int allgather_vote(sb_pipeline *pl, dist_state *s, sb_err *err)
{
    cl_command_queue q = pl->ops->ctx->queue;
    size_t W = s->words, wb = W * 4;
    int P = s->size, st = stage(s, q, 1, pl->bits, wb, s->hb, err);
    if (st != SB_OK)
        return st;
    MPI_CALL(s, pl, "MPI_Allgather (packed signs)",
             MPI_Allgather(s->hb, (int)W, MPI_UINT32_T, s->hvoted, (int)W, MPI_UINT32_T,
                           MPI_COMM_WORLD));
    count(s, (double)(P - 1) * wb, (double)(P - 1) * wb);
    if ((st = stage(s, q, 0, pl->bits_all, wb * (size_t)P, s->hvoted, err)) != SB_OK)
        return st;
    if (fused(pl))
        return vote_update(pl, pl->bits_all, P, err);
    pl->u = pl->c;
    st = sb_op_vote(pl->ops, pl->bits_all, P, pl->d, pl->bits, NULL, err);
    return st == SB_OK ? sb_op_unpack(pl->ops, pl->bits, pl->c, pl->d, NULL, err) : st;
}

/* Rank r owns words [r S, (r+1) S): an alltoall hands each owner its slice of every
 * rank's signs, the owner votes on the device, an allgather returns the voted bits. */
static int scatter_vote(sb_pipeline *pl, dist_state *s, sb_err *err)
{
    cl_command_queue q = pl->ops->ctx->queue;
    size_t W = s->words, S = s->slice, sb = S * 4;
    int P = s->size, st = stage(s, q, 1, pl->bits, W * 4, s->hb, err);
    if (st != SB_OK)
        return st;
    MPI_CALL(s, pl, "MPI_Alltoall (packed slices)",
             MPI_Alltoall(s->hb, (int)S, MPI_UINT32_T, s->hrecv, (int)S, MPI_UINT32_T,
                          MPI_COMM_WORLD));
    count(s, (double)(P - 1) * sb, (double)(P - 1) * sb);
    if ((st = stage(s, q, 0, s->slices, sb * (size_t)P, s->hrecv, err)) != SB_OK)
        return st;
    st = sb_op_vote(pl->ops, s->slices, P, S * 32, s->voted, NULL, err);
    if (st == SB_OK)
        st = stage(s, q, 1, s->voted, sb, s->hmine, err);
    if (st != SB_OK)
        return st;
    MPI_CALL(s, pl, "MPI_Allgather (voted slices)",
             MPI_Allgather(s->hmine, (int)S, MPI_UINT32_T, s->hvoted, (int)S, MPI_UINT32_T,
                           MPI_COMM_WORLD));
    count(s, (double)(P - 1) * sb, (double)(P - 1) * sb);
    if ((st = stage(s, q, 0, pl->bits, W * 4, s->hvoted, err)) != SB_OK)
        return st;
    if (fused(pl))
        return vote_update(pl, pl->bits, 1, err); /* one voter: the voted bits */
    pl->u = pl->c;
    return sb_op_unpack(pl->ops, pl->bits, pl->c, pl->d, NULL, err);
}

/* Error feedback on this rank: e becomes p = g + e, c = scaled_sign(p), e = p - c. */
static int error_feedback(sb_pipeline *pl, dist_state *s, sb_err *err)
{
    int st = sb_op_rmw(pl->ops, s->ef, pl->g, pl->d, 1.0f, NULL, err);
    if (st == SB_OK)
        st = sb_op_scaled_sign(pl->ops, s->ef, pl->c, pl->d, NULL, err);
    if (st == SB_OK)
        st = sb_op_rmw(pl->ops, s->ef, pl->c, pl->d, -1.0f, NULL, err);
    return st;
}

/* The vector every rank contributes to a mean: g, the compressed c, or (pack) c unpacked. */
static int mean_source(sb_pipeline *pl, dist_state *s, cl_mem *src, sb_err *err)
{
    *src = pl->compress == SB_COMP_NONE ? pl->g : pl->c;
    if (s->ef)
        return error_feedback(pl, s, err);
    if (pl->compress == SB_COMP_PACK)
        return sb_op_unpack(pl->ops, pl->bits, pl->c, pl->d, NULL, err);
    return SB_OK;
}

/* The mean by MPI_Allreduce of g/P (fp32), or of g/P rounded to fp16. */
static int allreduce(sb_pipeline *pl, dist_state *s, int half, sb_err *err)
{
    cl_command_queue q = pl->ops->ctx->queue;
    size_t d = pl->d;
    int P = s->size;
    cl_mem src;
    int st = mean_source(pl, s, &src, err);
    if (st == SB_OK)
        st = stage(s, q, 1, src, sizeof(float) * d, s->hf, err);
    if (st != SB_OK)
        return st;
    float inv = 1.0f / (float)P;
    double ring = 2.0 * (P - 1) / P;
    if (!half) {
        for (size_t i = 0; i < d; i++)
            s->hf[i] *= inv;
        MPI_CALL(
            s, pl, "MPI_Allreduce (fp32 mean)",
            MPI_Allreduce(MPI_IN_PLACE, s->hf, (int)d, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
        count(s, ring * 4.0 * (double)d, ring * 4.0 * (double)d);
    } else {
        _Float16 *h = (_Float16 *)s->hh, *hs = (_Float16 *)s->hhsum;
        for (size_t i = 0; i < d; i++)
            h[i] = (_Float16)(s->hf[i] * inv);
        MPI_CALL(s, pl, "MPI_Allreduce (fp16 mean)",
                 MPI_Allreduce(s->hh, s->hhsum, (int)d, MPI_UINT16_T, s->half_sum,
                               MPI_COMM_WORLD));
        count(s, ring * 2.0 * (double)d, ring * 2.0 * (double)d);
        for (size_t i = 0; i < d; i++)
            s->hf[i] = (float)hs[i];
    }
    pl->u = pl->agg;
    return stage(s, q, 0, pl->agg, sizeof(float) * d, s->hf, err);
}

/* Every rank's vector to every rank, the mean in rank order with the simulated workers'
 * kernel: identical to --workers for any P. */
static int allgather_mean(sb_pipeline *pl, dist_state *s, sb_err *err)
{
    cl_command_queue q = pl->ops->ctx->queue;
    size_t d = pl->d, fb = sizeof(float) * d;
    int P = s->size;
    cl_mem src;
    int st = mean_source(pl, s, &src, err);
    if (st == SB_OK)
        st = stage(s, q, 1, src, fb, s->hf, err);
    if (st != SB_OK)
        return st;
    MPI_CALL(s, pl, "MPI_Allgather (gradients)",
             MPI_Allgather(s->hf, (int)d, MPI_FLOAT, s->hfall, (int)d, MPI_FLOAT,
                           MPI_COMM_WORLD));
    count(s, (double)(P - 1) * fb, (double)(P - 1) * fb);
    float zero = 0.0f;
    cl_int rc = clEnqueueFillBuffer(q, pl->agg, &zero, sizeof zero, 0, fb, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueFillBuffer(mean)"))
        return err->code;
    for (int w = 0; w < P && st == SB_OK; w++) {
        st = stage(s, q, 0, s->gtmp, fb, s->hfall + (size_t)w * d, err);
        if (st == SB_OK)
            st = sb_op_rmw(pl->ops, pl->agg, s->gtmp, d, 1.0f / (float)P, NULL, err);
    }
    pl->u = pl->agg;
    return st;
}

static void inject_fault(sb_pipeline *pl, dist_state *s)
{
    if (s->o.fault_rank != s->rank || pl->step != s->o.fault_step)
        return;
    fprintf(stderr, "signbench: rank %d: injected fault at step %llu: %s\n", s->rank,
            (unsigned long long)pl->step,
            s->o.fault_hang ? "no longer answering" : "exiting");
    fflush(stderr);
    if (!s->o.fault_hang)
        _exit(1);
    for (;;)
        pause();
}

static int aggregate_step(sb_pipeline *pl, dist_state *s, sb_err *err)
{
    s->step_sent = s->step_recv = 0;
    int local = pl->grad_nan, any = 0;
    MPI_CALL(s, pl, "MPI_Allreduce (NaN flag)",
             MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    double ring = 2.0 * (s->size - 1) / s->size * sizeof(int);
    count(s, ring, ring);
    s->steps++;
    /* Every rank drew the same number of calls this step: count them all. */
    uint64_t mine = pl->calls - s->calls_seen;
    pl->calls += (uint64_t)(s->size - 1) * mine;
    s->calls_seen = pl->calls;
    if (any) {
        pl->grad_nan = 1;
        return SB_OK;
    }
    switch (s->o.alg) {
    case SB_AGG_SCATTER_VOTE: return scatter_vote(pl, s, err);
    case SB_AGG_ALLREDUCE: return allreduce(pl, s, 0, err);
    case SB_AGG_ALLREDUCE_FP16: return allreduce(pl, s, 1, err);
    case SB_AGG_ALLGATHER_VOTE: break;
    }
    return pl->compress == SB_COMP_PACK ? allgather_vote(pl, s, err)
                                        : allgather_mean(pl, s, err);
}

/* One step's aggregate, with its communication time and the step period recorded. */
static int aggregate_dist(sb_pipeline *pl, void *user, sb_err *err)
{
    dist_state *s = user;
    inject_fault(pl, s);
    double now = sb_now(), c0 = s->t_comm;
    size_t k = (size_t)s->steps;
    if (k + 1 > s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 256;
        double *a = realloc(s->comm_k, nc * sizeof *a);
        if (a)
            s->comm_k = a;
        double *b = a ? realloc(s->period_k, nc * sizeof *b) : NULL;
        if (!b)
            return sb_fail(err, SB_ERUNTIME, "out of memory for the step times");
        s->period_k = b;
        s->cap = nc;
    }
    if (k > 0)
        s->period_k[k - 1] = now - s->last_entry;
    s->last_entry = now;
    int st = aggregate_step(pl, s, err);
    s->comm_k[k] = s->t_comm - c0;
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorted in place); NaN for n = 0. */
static double median(double *v, size_t n)
{
    if (!n)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Host staging and device buffers for the algorithm. */
static int dist_alloc(sb_pipeline *pl, dist_state *s, sb_err *err)
{
    size_t d = pl->d, P = (size_t)s->size, W = s->words, S = s->slice;
    sb_ctx *ctx = pl->ops->ctx;
    int pack = pl->compress == SB_COMP_PACK, st = SB_OK;
    if (s->o.alg == SB_AGG_SCATTER_VOTE) {
        s->hb = calloc(P * S, 4);
        s->hrecv = malloc(P * S * 4);
        s->hmine = malloc(S * 4);
        s->hvoted = malloc(P * S * 4);
        if (!s->hb || !s->hrecv || !s->hmine || !s->hvoted)
            return sb_fail(err, SB_ERUNTIME, "out of memory for %zu ranks' slices", P);
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, P * S * 4, NULL, &s->slices, err);
        if (st == SB_OK)
            st = sb_buffer(ctx, CL_MEM_READ_WRITE, S * 4, NULL, &s->voted, err);
        return st;
    }
    if (s->o.alg == SB_AGG_ALLGATHER_VOTE && pack) {
        s->hb = malloc(W * 4);
        s->hvoted = malloc(W * 4 * P);
        if (!s->hb || !s->hvoted)
            return sb_fail(err, SB_ERUNTIME, "out of memory for %zu ranks' signs", P);
        return sb_buffer(ctx, CL_MEM_READ_WRITE, W * 4 * P, NULL, &pl->bits_all, err);
    }
    s->hf = malloc(sizeof(float) * d);
    if (s->o.alg == SB_AGG_ALLGATHER_VOTE) {
        s->hfall = malloc(sizeof(float) * d * P);
        if (!s->hfall)
            return sb_fail(err, SB_ERUNTIME, "out of memory for %zu ranks' gradients", P);
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, sizeof(float) * d, NULL, &s->gtmp, err);
    } else if (s->o.alg == SB_AGG_ALLREDUCE_FP16) {
        s->hh = malloc(2 * d);
        s->hhsum = malloc(2 * d);
        if (!s->hh || !s->hhsum)
            return sb_fail(err, SB_ERUNTIME, "out of memory for %zu halves", d);
        if (MPI_Op_create(half_sum_fn, 1, &s->half_sum) != MPI_SUCCESS)
            return sb_fail(err, SB_ERUNTIME, "MPI_Op_create (fp16 sum) failed");
    }
    if (!s->hf)
        return sb_fail(err, SB_ERUNTIME, "out of memory for %zu floats", d);
    if (st == SB_OK && s->o.error_feedback) {
        float *zero = calloc(d ? d : 1, sizeof(float));
        st = zero ? sb_buffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                              sizeof(float) * d, zero, &s->ef, err)
                  : sb_fail(err, SB_ERUNTIME, "out of memory for %zu floats", d);
        free(zero);
    }
    if (st == SB_OK && pack && !pl->c)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, sizeof(float) * d, NULL, &pl->c, err);
    if (st == SB_OK)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, sizeof(float) * d, NULL, &pl->agg, err);
    return st;
}

int sb_dist_attach(sb_pipeline *pl, const sb_dist_opts *o, sb_err *err)
{
    int init = 0;
    MPI_Initialized(&init);
    if (!init)
        return sb_fail(err, SB_EUSAGE, "MPI is not initialised");
    if (pl->workers != 1 || pl->step || pl->aggregate_user)
        return sb_fail(err, SB_EUSAGE,
                       "MPI: one worker per rank, set before the first step");
    if (o->alg == SB_AGG_SCATTER_VOTE && pl->compress != SB_COMP_PACK)
        return sb_fail(err, SB_EUSAGE,
                       "aggregate scatter-vote votes on packed signs: it "
                       "needs --compress pack");
    if (o->error_feedback &&
        (pl->compress != SB_COMP_SCALED || o->alg == SB_AGG_SCATTER_VOTE))
        return sb_fail(
            err, SB_EUSAGE,
            "error feedback compresses g + e to scaled signs and "
            "averages them: it needs --compress scaled-sign and a mean (allreduce, "
            "allreduce-fp16 or allgather-vote)");
    if (pl->d > (size_t)0x7fffffff)
        return sb_fail(err, SB_EUSAGE,
                       "MPI: d = %zu is above the 2^31 elements of one "
                       "message",
                       pl->d);
    dist_state *s = calloc(1, sizeof *s);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    s->o = *o;
    s->half_sum = MPI_OP_NULL;
    MPI_Comm_rank(MPI_COMM_WORLD, &s->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s->size);
    s->words = (pl->d + 31) / 32;
    s->slice = (s->words + (size_t)s->size - 1) / (size_t)s->size;
    int st = dist_alloc(pl, s, err);
    if (st != SB_OK) {
        dist_free(s);
        return st;
    }
    if (o->timeout_s > 0)
        signal(SIGALRM, on_alarm);
    s->calls_seen = pl->calls;
    pl->worker_base = s->rank;
    pl->total_workers = s->size;
    pl->collective = 1;
    pl->aggregate = aggregate_dist;
    pl->aggregate_user = s;
    pl->aggregate_free = dist_free;
    return SB_OK;
}

int sb_dist_attached(const sb_pipeline *pl)
{
    return pl->aggregate == aggregate_dist;
}

static int read_counter(const char *iface, const char *which, double *out, sb_err *err)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s_bytes", iface, which);
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    int ok = f && fscanf(f, "%llu", &v) == 1;
    if (f)
        fclose(f);
    if (!ok)
        return sb_fail(err, SB_EUSAGE,
                       "cannot read %s (--wire-counter names a network "
                       "interface of this namespace)",
                       path);
    *out = (double)v;
    return SB_OK;
}

int sb_dist_mark(sb_pipeline *pl, int end, sb_err *err)
{
    if (!sb_dist_attached(pl))
        return SB_OK;
    dist_state *s = pl->aggregate_user;
    if (!s->o.wire_iface)
        return SB_OK;
    MPI_CALL(s, pl, "MPI_Barrier (wire counters)", MPI_Barrier(MPI_COMM_WORLD));
    if (s->rank != 0)
        return SB_OK;
    int st = read_counter(s->o.wire_iface, "tx", &s->wire[2 * end], err);
    if (st == SB_OK)
        st = read_counter(s->o.wire_iface, "rx", &s->wire[2 * end + 1], err);
    s->wired = st == SB_OK && end;
    return st;
}

int sb_dist_finish(sb_pipeline *pl, double wall, sb_dist_summary *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    if (!sb_dist_attached(pl))
        return SB_OK;
    dist_state *s = pl->aggregate_user;
    /* without the split only communication, metrics and the wall time are timed */
    double u = pl->split ? 1.0 : NAN;
    sb_dist_rank me = {
        u * pl->t_grad,   u * pl->t_compress, s->t_comm, u * (pl->t_aggregate - s->t_comm),
        u * pl->t_update, pl->t_metrics,      wall,      s->sent,
        s->recv};
    out->active = 1;
    out->alg = s->o.alg;
    out->ranks = s->size;
    out->messages = sb_dist_messages(s->o.alg, pl->compress);
    out->steps = s->steps;
    out->sent_step = s->step_sent;
    out->recv_step = s->step_recv;
    out->sent_total = s->sent;
    out->recv_total = s->recv;
    out->theory_step = sb_dist_theory_bytes(s->o.alg, pl->compress, pl->d, s->size);
    /* medians over the steps after the first (which opens the TCP connections) */
    out->median_comm = s->steps > 1 ? median(s->comm_k + 1, (size_t)s->steps - 1) : NAN;
    out->median_compute = NAN;
    if (s->steps > 2) {
        /* the rest of a step: the period less its communication */
        for (size_t k = 1; k + 1 < (size_t)s->steps; k++)
            s->comm_k[k - 1] = s->period_k[k] - s->comm_k[k];
        out->median_compute = median(s->comm_k, (size_t)s->steps - 2);
    }
    out->median_step = s->steps > 2 ? median(s->period_k + 1, (size_t)s->steps - 2) : NAN;
    out->wire_tx = s->wired ? s->wire[2] - s->wire[0] : NAN;
    out->wire_rx = s->wired ? s->wire[3] - s->wire[1] : NAN;
    if (s->rank == 0) {
        out->per_rank = calloc((size_t)s->size, sizeof *out->per_rank);
        if (!out->per_rank)
            return sb_fail(err, SB_ERUNTIME, "out of memory for %d ranks' reports",
                           s->size);
    }
    const int n = (int)(sizeof me / sizeof(double));
    MPI_CALL(
        s, pl, "MPI_Gather (time split)",
        MPI_Gather(&me, n, MPI_DOUBLE, out->per_rank, n, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    return SB_OK;
}

int sb_dist_agree(const char *settings, sb_err *err)
{
    enum { LEN = 1024 };
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char mine[LEN] = {0};
    snprintf(mine, LEN, "%s", settings);
    char *all = calloc((size_t)size, LEN);
    if (!all)
        return sb_fail(err, SB_ERUNTIME, "out of memory for %d ranks' settings", size);
    if (MPI_Allgather(mine, LEN, MPI_CHAR, all, LEN, MPI_CHAR, MPI_COMM_WORLD) !=
        MPI_SUCCESS) {
        free(all);
        return sb_fail(err, SB_ERUNTIME, "MPI_Allgather (settings) failed");
    }
    int st = SB_OK;
    for (int r = 1; r < size && st == SB_OK; r++) {
        const char *a = all, *b = all + (size_t)r * LEN;
        if (!strcmp(a, b))
            continue;
        /* the first differing "key=value" word of each */
        while (*a && *a == *b)
            a++, b++;
        const char *a0 = a, *b0 = b;
        while (a0 > all && a0[-1] != ' ')
            a0--, b0--;
        int na = (int)strcspn(a0, " "), nb = (int)strcspn(b0, " ");
        st = sb_fail(err, SB_EUSAGE,
                     "MPI ranks were started with different settings: rank %d "
                     "has '%.*s', rank 0 '%.*s'",
                     r, nb, b0, na, a0);
    }
    free(all);
    return st;
}
#else
int sb_dist_attach(sb_pipeline *pl, const sb_dist_opts *o, sb_err *err)
{
    (void)pl, (void)o;
    return sb_fail(err, SB_EUSAGE,
                   "this signbench was built without MPI (meson setup "
                   "-Dmpi=enabled with libopenmpi-dev installed)");
}

int sb_dist_attached(const sb_pipeline *pl)
{
    (void)pl;
    return 0;
}

int sb_dist_mark(sb_pipeline *pl, int end, sb_err *err)
{
    (void)pl, (void)end, (void)err;
    return SB_OK;
}

int sb_dist_finish(sb_pipeline *pl, double wall, sb_dist_summary *s, sb_err *err)
{
    (void)pl, (void)wall, (void)err;
    memset(s, 0, sizeof *s);
    return SB_OK;
}

int sb_dist_agree(const char *settings, sb_err *err)
{
    (void)settings, (void)err;
    return SB_OK;
}
#endif
