/* cli_dist.c - the data-parallel options of `signbench train` (--byzantine, --attack and,
 * with MPI, --aggregate, --comm-timeout, --inject-fault), MPI start-up and shut-down. */
#include "cli_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SB_HAVE_MPI
#include <mpi.h>
#endif

/* R:S or R:S:hang */
static int parse_fault(const char *a, sb_dist_opts *o, sb_err *err)
{
    char *end = NULL;
    long r = strtol(a, &end, 10);
    if (end == a || *end != ':' || r < 0)
        return sb_fail(err, SB_EUSAGE, "--inject-fault '%s': expected RANK:STEP[:hang]", a);
    const char *s = end + 1;
    unsigned long long k = strtoull(s, &end, 10);
    if (end == s || (*end && strcmp(end, ":hang")))
        return sb_fail(err, SB_EUSAGE, "--inject-fault '%s': expected RANK:STEP[:hang]", a);
    o->fault_rank = (int)r;
    o->fault_step = k;
    o->fault_hang = *end != '\0';
    return SB_OK;
}

int sb_cli_dist_option(int c, const char *a, sb_train_cfg *cfg, sb_err *err)
{
    long v;
    int st = SB_OK;
    switch (c) {
    case SB_OPT_BYZANTINE:
        st = sb_parse_long("--byzantine", a, 0, 4095, &v, err);
        cfg->byzantine = (int)v;
        break;
    case SB_OPT_ATTACK: st = sb_attack_parse(a, &cfg->attack, err); break;
    case SB_OPT_AGGREGATE: st = sb_agg_parse(a, &cfg->dist.alg, err); break;
    case SB_OPT_COMM_TIMEOUT:
        st = sb_parse_double("--comm-timeout", a, 0, 1e6, &cfg->dist.timeout_s, err);
        break;
    case SB_OPT_INJECT_FAULT: st = parse_fault(a, &cfg->dist, err); break;
    case SB_OPT_WIRE: cfg->dist.wire_iface = a; break;
    case SB_OPT_EF: cfg->dist.error_feedback = 1; break;
    default: return 0;
    }
    return st == SB_OK ? 1 : -1;
}

#ifdef SB_HAVE_MPI
/* The agreement failed on every rank alike: nobody waits, no abort. */
static int refused_alike;

/* Everything that must be equal on every rank, as "key=value" words. */
static void settings(const sb_train_cfg *c, const char *optlist, char *buf, size_t n)
{
    const sb_problem_opts *po = &c->problem;
    const sb_optim_params *h = &c->hyper;
    snprintf(buf, n,
             "problem=%s d=%zu seed=%llu optimizer=%s compress=%s aggregate=%s "
             "lr=%.17g schedule=%s b1=%.17g b2=%.17g wd=%.17g steps=%llu evals=%llu "
             "target_grad1=%.17g target_loss=%.17g sigma=%.17g batch=%zu data=%s "
             "spectrum=%s byzantine=%d attack=%s log_every=%llu split=%d ef=%d",
             po->name ? po->name : "", po->d, (unsigned long long)c->seed, optlist,
             c->compress ? c->compress : "none", sb_agg_name(c->dist.alg), h->lr,
             sb_sched_name(h->sched), h->b1, h->b2, h->wd, (unsigned long long)c->steps,
             (unsigned long long)c->evals, c->target_grad1,
             c->has_target_loss ? c->target_loss : 0.0, c->sigma, c->batch,
             po->data ? po->data : "-", po->spectrum ? po->spectrum : "-", c->byzantine,
             sb_attack_name(c->attack), (unsigned long long)c->log_every, !c->no_split,
             c->dist.error_feedback);
}

int sb_cli_dist_start(const sb_train_cfg *cfg, const char *optlist, int *rank,
                      int *mpi_here, sb_err *err)
{
    *rank = 0;
    *mpi_here = 0;
    if (!cfg->mpi)
        return SB_OK;
    int init = 0;
    MPI_Initialized(&init);
    if (!init) {
        if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
            return sb_fail(err, SB_ERUNTIME, "train: MPI_Init failed");
        *mpi_here = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    char buf[1024];
    settings(cfg, optlist, buf, sizeof buf);
    int st = sb_dist_agree(buf, err);
    if (st != SB_OK && *rank != 0 && st == SB_EUSAGE) {
        if (*mpi_here)
            MPI_Finalize();
        exit(SB_EUSAGE); /* rank 0 prints the one line */
    }
    refused_alike = st == SB_EUSAGE;
    return st == SB_OK ? SB_OK : sb_wrap(err, "train");
}

int sb_cli_dist_end(const sb_train_cfg *cfg, int st, int rank, int mpi_here, sb_err *err)
{
    if (!cfg->mpi)
        return st;
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (st != SB_OK && size > 1 && !refused_alike) {
        /* The other ranks may wait in a collective: stop them all. */
        fprintf(stderr, "signbench: rank %d: %s\n", rank, err->msg);
        MPI_Abort(MPI_COMM_WORLD, st);
    }
    if (mpi_here)
        MPI_Finalize();
    return st;
}
#else
int sb_cli_dist_start(const sb_train_cfg *cfg, const char *optlist, int *rank,
                      int *mpi_here, sb_err *err)
{
    (void)cfg, (void)optlist, (void)err;
    *rank = 0;
    *mpi_here = 0;
    return SB_OK;
}

int sb_cli_dist_end(const sb_train_cfg *cfg, int st, int rank, int mpi_here, sb_err *err)
{
    (void)cfg, (void)rank, (void)mpi_here, (void)err;
    return st;
}
#endif
