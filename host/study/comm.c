/* comm.c - when does one bit pay: step time and time to a target of each MPI aggregate
 * against link bandwidth and ranks, on Open MPI over TCP in a shaped network namespace,
 * beside a latency-bandwidth model fitted to the unshaped runs. */
#include "comm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "netns.h"
#include "plot.h"
#include "train.h"

void sb_comm_cfg_default(sb_comm_cfg *c, int quick)
{
    memset(c, 0, sizeof *c);
    c->d = 1000000;
    c->nranks = quick ? 2 : 3;
    c->ranks[0] = 2, c->ranks[1] = 4, c->ranks[2] = 8;
    c->nbw = 4;
    c->bw[0] = 100e6, c->bw[1] = 1e9, c->bw[2] = 10e9, c->bw[3] = 0;
    c->nalgs = 4;
    c->algs[0] = SB_AGG_ALLREDUCE, c->algs[1] = SB_AGG_ALLREDUCE_FP16;
    c->algs[2] = SB_AGG_ALLGATHER_VOTE, c->algs[3] = SB_AGG_SCATTER_VOTE;
    c->steps = quick ? 5 : 8;
    c->sigma = 0;
    c->target_d = 10000;
    c->target_sigma = 0.5;
    c->target_frac = 0.25;
    c->target_steps = 300;
    c->lr_sgd = 0.1;
    c->lr_sign = 0.01;
}

void sb_comm_result_free(sb_comm_result *r)
{
    free(r->pt);
    r->pt = NULL;
}

static int is_vote(sb_agg_alg a)
{
    return a == SB_AGG_ALLGATHER_VOTE || a == SB_AGG_SCATTER_VOTE;
}

/* Latency terms of one step with the algorithms comm forces (ring allreduce and
 * allgather, pairwise alltoall; the 4-byte flag by recursive doubling). */
static double rounds(sb_agg_alg a, int p)
{
    double flag = ceil(log2((double)p)), q = p - 1;
    switch (a) {
    case SB_AGG_ALLREDUCE:
    case SB_AGG_ALLREDUCE_FP16:
    case SB_AGG_SCATTER_VOTE: return flag + 2 * q;
    case SB_AGG_ALLGATHER_VOTE: return flag + q;
    }
    return NAN;
}

/* One timed run: mpirun in the namespace, its summary read back. */
static int timed_run(const sb_comm_cfg *c, sb_netns *ns, sb_comm_point *pt, sb_err *err)
{
    char np[16], d[32], sig[32], steps[16], dir[4096], log[4200], path[4300], snmp[4200];
    snprintf(np, sizeof np, "%d", pt->ranks);
    snprintf(d, sizeof d, "%zu", c->d);
    snprintf(sig, sizeof sig, "%g", c->sigma);
    snprintf(steps, sizeof steps, "%d", c->steps);
    snprintf(dir, sizeof dir, "%s/runs/%s-P%d-%.0fbit", c->out, sb_agg_name(pt->alg),
             pt->ranks, pt->bw);
    snprintf(log, sizeof log, "%s.log", dir);
    snprintf(snmp, sizeof snmp, "%s.snmp", dir);
    int vote = is_vote(pt->alg);
    char *const av[] = {"mpirun",
                        "-np",
                        np,
                        "--allow-run-as-root",
                        "--oversubscribe",
                        "--mca",
                        "btl",
                        "tcp,self",
                        "--mca",
                        "btl_tcp_if_include",
                        "lo",
                        "--mca",
                        "oob_tcp_if_include",
                        "lo",
                        "--mca",
                        "coll_tuned_use_dynamic_rules",
                        "1",
                        "--mca",
                        "coll_tuned_allreduce_algorithm",
                        "4",
                        "--mca",
                        "coll_tuned_allgather_algorithm",
                        "4",
                        "--mca",
                        "coll_tuned_alltoall_algorithm",
                        "2",
                        (char *)c->self,
                        "train",
                        "--problem",
                        "quad",
                        "--d",
                        d,
                        "--sigma",
                        sig,
                        "--optimizer",
                        vote ? "signsgd" : "sgd",
                        "--compress",
                        vote ? "pack" : "none",
                        "--mpi",
                        "--aggregate",
                        (char *)sb_agg_name(pt->alg),
                        "--steps",
                        steps,
                        "--log-every",
                        steps,
                        "--wire-counter",
                        "lo",
                        "--comm-timeout",
                        "300",
                        "--out",
                        dir,
                        NULL};
    double r0 = 0, r1 = 0;
    int status = 0;
    int st = sb_netns_retrans(ns, snmp, &r0, err);
    if (st == SB_OK)
        st = sb_netns_run(ns, av, log, 900, &status, err);
    if (st == SB_OK)
        st = sb_netns_retrans(ns, snmp, &r1, err);
    remove(snmp);
    if (st != SB_OK)
        return st;
    if (status != 0) {
        snprintf(pt->note, sizeof pt->note, "mpirun exit %d (log %.100s)", status, log);
        return SB_OK;
    }
    snprintf(path, sizeof path, "%s/train-%s.json", dir, vote ? "signsgd" : "sgd");
    cJSON *j = NULL;
    if ((st = sb_json_load(path, &j, err)) != SB_OK)
        return st;
    cJSON *cm = cJSON_GetObjectItem(j, "comm");
    cJSON *r0j = cJSON_GetArrayItem(cJSON_GetObjectItem(cm, "per_rank"), 0);
    cJSON *ps = cJSON_GetObjectItem(r0j, "time_per_step");
    cJSON *bps = cJSON_GetObjectItem(cm, "bytes_per_step");
    cJSON *wire = cJSON_GetObjectItem(cm, "wire");
    cJSON *tot = cJSON_GetObjectItem(cm, "bytes_total");
#define NUM(o, k)                                                                          \
    (cJSON_IsNumber(cJSON_GetObjectItem((o), (k)))                                         \
         ? cJSON_GetObjectItem((o), (k))->valuedouble                                      \
         : NAN)
    (void)ps;
    pt->comm_s = NUM(cm, "median_communicate_s");
    pt->step_s = NUM(cm, "median_step_s");
    pt->compute_s = pt->step_s - pt->comm_s; /* so that step = compute + comm */
    pt->bytes_rank = NUM(bps, "sent");
    pt->theory_rank = NUM(bps, "theory");
    pt->wire = NUM(wire, "tx_bytes");
    pt->counted = NUM(tot, "sent") * pt->ranks;
#undef NUM
    pt->retrans = r1 - r0;
    pt->ok = isfinite(pt->step_s) && isfinite(pt->comm_s);
    if (!pt->ok)
        snprintf(pt->note, sizeof pt->note, "summary %.100s lacks comm fields", path);
    cJSON_Delete(j);
    return SB_OK;
}

/* Least squares comm = alpha rounds + beta0 bytes over the unshaped runs of p ranks. */
static void fit(sb_comm_result *r, int ip, int p)
{
    double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
    int n = 0;
    for (int i = 0; i < r->n; i++) {
        sb_comm_point *q = &r->pt[i];
        if (!q->ok || q->ranks != p || q->bw > 0 || q->alg == SB_AGG_ALLREDUCE_FP16)
            continue; /* fp16: its reduction is host arithmetic (software half floats) */
        double x1 = rounds(q->alg, p), x2 = q->theory_rank;
        s11 += x1 * x1, s12 += x1 * x2, s22 += x2 * x2;
        b1 += x1 * q->comm_s, b2 += x2 * q->comm_s;
        n++;
    }
    double det = s11 * s22 - s12 * s12;
    r->alpha[ip] = r->beta0[ip] = NAN;
    if (n >= 2 && fabs(det) > 0) {
        r->alpha[ip] = (b1 * s22 - b2 * s12) / det;
        r->beta0[ip] = (s11 * b2 - s12 * b1) / det;
    }
}

/* The unshaped run of q's algorithm and rank count (NULL when there is none). */
static const sb_comm_point *unshaped(const sb_comm_result *r, const sb_comm_point *q)
{
    for (int i = 0; i < r->n; i++)
        if (r->pt[i].ok && r->pt[i].bw == 0 && r->pt[i].alg == q->alg &&
            r->pt[i].ranks == q->ranks)
            return &r->pt[i];
    return NULL;
}

/* The model's communication time of one step of K: the latency and host costs at an
 * unlimited link (the unshaped run's, else the fit alpha rounds + beta0 bytes), plus the
 * shared shaped link: all ranks' bytes through one tbf, whose bucket passes `burst`
 * at once. */
static double base_comm(const sb_comm_result *r, int ip, const sb_comm_point *q)
{
    const sb_comm_point *u = unshaped(r, q);
    return u ? u->comm_s
             : r->alpha[ip] * rounds(q->alg, q->ranks) + r->beta0[ip] * q->theory_rank;
}

static double model_comm(const sb_comm_result *r, int ip, const sb_comm_point *q, int K,
                         double burst)
{
    double t = base_comm(r, ip, q);
    if (q->bw > 0) {
        /* TCP moves one segment while MPI handles the last: the costs overlap */
        double link = (q->ranks * q->theory_rank * K - burst) * 8 / q->bw / K;
        t = link > t ? link : t;
    }
    return t;
}

/* Convergence in steps: --workers P in this process (the same trace as the MPI votes,
 * tests/mpi.sh); the first step with f <= frac f0, -1 when the budget ends first. */
static int steps_to_target(const sb_comm_cfg *c, sb_ctx *ctx, sb_ops *ops, int p, int vote,
                           int *out, sb_err *err)
{
    sb_train_cfg t;
    sb_train_cfg_default(&t);
    t.problem.name = "quad";
    t.problem.d = c->target_d;
    t.optimizer = vote ? "signsgd" : "sgd";
    t.compress = vote ? "pack" : "none";
    t.hyper.lr = vote ? c->lr_sign : c->lr_sgd;
    t.workers = p;
    t.sigma = c->target_sigma;
    t.steps = (uint64_t)c->target_steps;
    t.log_every = 1;
    t.ctx = ctx;
    t.ops = ops;
    sb_train_result res;
    int st = sb_train_run(&t, &res, err);
    *out = -1;
    for (size_t i = 0; st == SB_OK && i < res.ntrace; i++)
        if (res.trace[i].f <= c->target_frac * res.f0) {
            *out = (int)res.trace[i].step;
            break;
        }
    sb_train_result_free(&res);
    return st;
}

/* Steady-state step time at rate R: compute + max(base, link bits / R). */
static double steady(const double m[3], double R)
{
    double link = m[2] / R;
    return m[0] + (link > m[1] ? link : m[1]);
}

/* The rate (bit/s) below which v (compute, base, bits; times sv steps) beats a: scanned
 * on a log grid from 1 Mbit/s to 1 Tbit/s. INFINITY: v wins at every rate; 0: never. */
static double break_even(const double v[3], double sv, const double a[3], double sa)
{
    double last = 0;
    int won = 0, lost = 0;
    for (int g = 0; g <= 600; g++) {
        double R = pow(10, 6 + g / 100.0);
        double tv = sv * steady(v, R), ta = sa * steady(a, R);
        if (!isfinite(tv) || !isfinite(ta))
            return NAN;
        if (tv < ta) {
            won = 1;
            if (!lost)
                last = R;
        } else if (won) {
            lost = 1;
        }
    }
    return !won ? 0 : !lost ? INFINITY : last;
}

static void derive(const sb_comm_cfg *c, sb_comm_result *r)
{
    for (int ip = 0; ip < c->nranks; ip++)
        fit(r, ip, c->ranks[ip]);
    for (int i = 0; i < r->n; i++) {
        sb_comm_point *q = &r->pt[i];
        int ip = 0, ia = 0, ib = 0;
        while (c->ranks[ip] != q->ranks)
            ip++;
        while (c->algs[ia] != q->alg)
            ia++;
        while (ib < c->nbw && c->bw[ib] != q->bw)
            ib++;
        q->model_s = q->compute_s + model_comm(r, ip, q, c->steps, r->burst[ib]);
        q->model_err = fabs(q->model_s / q->step_s - 1);
        int s = r->steps_target[ip][ia];
        q->ttt_s = s >= 0 ? s * q->step_s : NAN;
        q->ttt_model_s = s >= 0 ? s * q->model_s : NAN;
    }
    /* per rank count and algorithm: compute (mean over the bandwidths), base cost at an
     * unlimited link, bits on the shared link per step */
    for (int ip = 0; ip < c->nranks; ip++) {
        double m[4][3] = {{0}};
        int n[4] = {0}, a32 = -1;
        for (int i = 0; i < r->n; i++) {
            sb_comm_point *q = &r->pt[i];
            int ia = 0;
            while (c->algs[ia] != q->alg)
                ia++;
            if (q->ranks != c->ranks[ip] || !q->ok)
                continue;
            m[ia][0] += q->compute_s;
            m[ia][1] = base_comm(r, ip, q);
            m[ia][2] = 8.0 * q->ranks * q->theory_rank;
            n[ia]++;
        }
        for (int ia = 0; ia < c->nalgs; ia++) {
            if (n[ia])
                m[ia][0] /= n[ia];
            if (c->algs[ia] == SB_AGG_ALLREDUCE)
                a32 = ia;
        }
        for (int ia = 0; ia < c->nalgs; ia++) {
            r->even_step[ip][ia] = r->even_ttt[ip][ia] = NAN;
            if (a32 < 0 || !n[ia] || !n[a32] || !is_vote(c->algs[ia]))
                continue;
            r->even_step[ip][ia] = break_even(m[ia], 1, m[a32], 1);
            double sv = r->steps_target[ip][ia], sa = r->steps_target[ip][a32];
            if (sv > 0 && sa > 0)
                r->even_ttt[ip][ia] = break_even(m[ia], sv, m[a32], sa);
        }
    }
}

static int mkdir_p(const char *path, sb_err *err)
{
    char buf[4400];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char ch = *p;
            *p = '\0';
            mkdir(buf, 0777);
            *p = ch;
            if (!ch)
                break;
        }
    }
    struct stat s;
    if (stat(path, &s) != 0 || !S_ISDIR(s.st_mode))
        return sb_fail(err, SB_EUSAGE, "cannot create folder %s", path);
    return SB_OK;
}

static int targets(const sb_comm_cfg *c, sb_comm_result *r, sb_err *err)
{
    sb_ctx ctx;
    sb_ops ops;
    int st = sb_ctx_open(&ctx, &c->dev, err);
    if (st != SB_OK)
        return st;
    if ((st = sb_ops_init(&ops, &ctx, err)) != SB_OK) {
        sb_ctx_close(&ctx);
        return st;
    }
    for (int ip = 0; ip < c->nranks && st == SB_OK; ip++) {
        int sv = -1, sa = -1;
        st = steps_to_target(c, &ctx, &ops, c->ranks[ip], 1, &sv, err);
        if (st == SB_OK)
            st = steps_to_target(c, &ctx, &ops, c->ranks[ip], 0, &sa, err);
        /* fp16 allreduce: the fp32 mean's steps (--workers has no fp16) */
        for (int ia = 0; ia < c->nalgs; ia++)
            r->steps_target[ip][ia] = is_vote(c->algs[ia]) ? sv : sa;
    }
    sb_ops_free(&ops);
    sb_ctx_close(&ctx);
    return st;
}

int sb_comm_run(const sb_comm_cfg *c, sb_comm_result *r, sb_err *err)
{
    memset(r, 0, sizeof *r);
    double t0 = sb_now();
    char runs[4200];
    snprintf(runs, sizeof runs, "%s/runs", c->out);
    int st = mkdir_p(runs, err);
    if (st != SB_OK)
        return st;
    r->pt = calloc((size_t)(c->nranks * c->nbw * c->nalgs), sizeof *r->pt);
    if (!r->pt)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    sb_netns ns;
    if ((st = sb_netns_create(&ns, err)) != SB_OK)
        return st;
    for (int ib = 0; ib < c->nbw && st == SB_OK; ib++) {
        st = sb_netns_shape(&ns, c->bw[ib], &r->burst[ib], err);
        for (int ip = 0; ip < c->nranks && st == SB_OK; ip++)
            for (int ia = 0; ia < c->nalgs && st == SB_OK; ia++) {
                sb_comm_point *q = &r->pt[r->n++];
                q->alg = c->algs[ia], q->ranks = c->ranks[ip], q->bw = c->bw[ib];
                st = timed_run(c, &ns, q, err);
                if (c->progress && st == SB_OK) {
                    char bw[32];
                    snprintf(bw, sizeof bw, q->bw > 0 ? "%.0f Mbit/s" : "unshaped",
                             q->bw / 1e6);
                    if (q->ok)
                        fprintf(stderr, "comm: %-14s P=%d %-12s %.4g s/step\n",
                                sb_agg_name(q->alg), q->ranks, bw, q->step_s);
                    else
                        fprintf(stderr, "comm: %-14s P=%d %-12s failed: %s\n",
                                sb_agg_name(q->alg), q->ranks, bw, q->note);
                }
            }
    }
    sb_netns_destroy(&ns);
    if (st == SB_OK)
        st = targets(c, r, err);
    if (st == SB_OK)
        derive(c, r);
    r->wall_s = sb_now() - t0;
    return st;
}

static void num(cJSON *o, const char *k, double v)
{
    sb_json_num_or_null(o, k, v);
}

/* A break-even rate: a number, "always" (the vote wins at every rate) or null. */
static void even(cJSON *o, const char *k, double v)
{
    if (isinf(v))
        cJSON_AddStringToObject(o, k, "always");
    else
        num(o, k, v);
}

cJSON *sb_comm_json(const sb_comm_cfg *c, const sb_comm_result *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "signbench-comm/1");
    cJSON *cf = cJSON_AddObjectToObject(j, "config");
    cJSON_AddNumberToObject(cf, "d", (double)c->d);
    cJSON_AddNumberToObject(cf, "steps", c->steps);
    num(cf, "sigma", c->sigma);
    cJSON_AddNumberToObject(cf, "target_d", (double)c->target_d);
    num(cf, "target_sigma", c->target_sigma);
    num(cf, "target_frac", c->target_frac);
    cJSON_AddNumberToObject(cf, "target_steps", c->target_steps);
    num(cf, "lr_sgd", c->lr_sgd);
    num(cf, "lr_signsgd", c->lr_sign);
    cJSON_AddStringToObject(
        cf, "link",
        "Open MPI over TCP (btl tcp,self) on the loopback of "
        "a network namespace, tc tbf latency 100ms; all ranks share it");
    num(j, "wall_s", r->wall_s);
    cJSON *pts = cJSON_AddArrayToObject(j, "points");
    for (int i = 0; i < r->n; i++) {
        const sb_comm_point *q = &r->pt[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "aggregate", sb_agg_name(q->alg));
        cJSON_AddNumberToObject(e, "ranks", q->ranks);
        num(e, "bandwidth_bps", q->bw > 0 ? q->bw : NAN);
        cJSON_AddBoolToObject(e, "ok", q->ok);
        if (!q->ok) {
            cJSON_AddStringToObject(e, "note", q->note);
            cJSON_AddItemToArray(pts, e);
            continue;
        }
        num(e, "step_s", q->step_s);
        num(e, "communicate_s", q->comm_s);
        num(e, "compute_s", q->compute_s);
        num(e, "model_step_s", q->model_s);
        num(e, "model_error", q->model_err);
        num(e, "bytes_per_rank_step", q->bytes_rank);
        num(e, "theory_bytes_per_rank_step", q->theory_rank);
        num(e, "wire_bytes", q->wire);
        num(e, "counted_bytes", q->counted);
        num(e, "wire_over_theory", q->wire / (q->theory_rank * q->ranks * c->steps));
        num(e, "tcp_retransmits", q->retrans);
        num(e, "time_to_target_s", q->ttt_s);
        num(e, "model_time_to_target_s", q->ttt_model_s);
        cJSON_AddItemToArray(pts, e);
    }
    cJSON *per = cJSON_AddArrayToObject(j, "ranks");
    for (int ip = 0; ip < c->nranks; ip++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "ranks", c->ranks[ip]);
        num(e, "alpha_s", r->alpha[ip]);
        num(e, "beta0_s_per_byte", r->beta0[ip]);
        cJSON *st = cJSON_AddObjectToObject(e, "steps_to_target");
        cJSON *be = cJSON_AddObjectToObject(e, "break_even_bps_step");
        cJSON *bt = cJSON_AddObjectToObject(e, "break_even_bps_time_to_target");
        for (int ia = 0; ia < c->nalgs; ia++) {
            const char *n = sb_agg_name(c->algs[ia]);
            num(st, n, r->steps_target[ip][ia] >= 0 ? r->steps_target[ip][ia] : NAN);
            if (is_vote(c->algs[ia])) {
                even(be, n, r->even_step[ip][ia]);
                even(bt, n, r->even_ttt[ip][ia]);
            }
        }
        cJSON_AddItemToArray(per, e);
    }
    return j;
}

/* Time to target against bandwidth (Mbit/s) for p ranks: measured points and the
 * model's steady-state curve per algorithm. */
static int plot_ranks(const sb_comm_cfg *c, const sb_comm_result *r, int ip, sb_err *err)
{
    enum { G = 25 };
    double xs[4][SB_COMM_MAX], ys[4][SB_COMM_MAX], gx[G], gy[4][G];
    sb_plot_series s[8];
    int ns = 0;
    char labels[8][64];
    for (int g = 0; g < G; g++)
        gx[g] = pow(10, 1 + 4.0 * g / (G - 1)); /* 10 Mbit/s .. 100 Gbit/s */
    for (int ia = 0; ia < c->nalgs; ia++) {
        int n = 0, steps = r->steps_target[ip][ia];
        double m[3] = {NAN, NAN, NAN};
        for (int i = 0; i < r->n; i++) {
            const sb_comm_point *q = &r->pt[i];
            if (q->alg != c->algs[ia] || q->ranks != c->ranks[ip] || !q->ok)
                continue;
            m[0] = q->compute_s, m[1] = base_comm(r, ip, q);
            m[2] = 8.0 * q->ranks * q->theory_rank;
            if (q->bw > 0 && isfinite(q->ttt_s)) {
                xs[ia][n] = q->bw / 1e6;
                ys[ia][n++] = q->ttt_s;
            }
        }
        for (int g = 0; g < G; g++)
            gy[ia][g] = steps >= 0 ? steps * steady(m, gx[g] * 1e6) : NAN;
        snprintf(labels[ns], sizeof labels[ns], "%s (measured)", sb_agg_name(c->algs[ia]));
        s[ns] = (sb_plot_series){labels[ns], (size_t)n,          xs[ia], ys[ia], NULL,
                                 NULL,       SB_PLOT_LINESPOINTS};
        ns++;
        snprintf(labels[ns], sizeof labels[ns], "%s (model)", sb_agg_name(c->algs[ia]));
        s[ns] = (sb_plot_series){labels[ns], G, gx, gy[ia], NULL, NULL, SB_PLOT_DASHED};
        ns++;
    }
    char title[160], base[4200];
    snprintf(title, sizeof title, "time to f <= %g f0 vs link bandwidth, %d ranks, d = %zu",
             c->target_frac, c->ranks[ip], c->d);
    snprintf(base, sizeof base, "%s/comm-ttt-P%d", c->out, c->ranks[ip]);
    sb_plot p = {title,
                 "link bandwidth (Mbit/s, shared by all ranks)",
                 "time to target (s)",
                 1,
                 1,
                 0,
                 0};
    /* each series its own colour; a model curve is dashed (plot.h) */
    return sb_plot_lines(base, &p, s, ns, err);
}

int sb_comm_plot(const sb_comm_cfg *c, const sb_comm_result *r, sb_err *err)
{
    int st = SB_OK;
    for (int ip = 0; ip < c->nranks && st == SB_OK; ip++)
        st = plot_ranks(c, r, ip, err);
    return st;
}
