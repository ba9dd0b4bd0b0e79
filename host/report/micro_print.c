/* micro_print.c - `signbench micro`'s table: every kernel's row (GB/s, roofline fraction,
 * the ceiling and who set it, CLBlast and C beside it), ceilings per size, the targets. */
#include "micro_print.h"

#include <math.h>
#include <string.h>

static double gbps_of(const sb_micro_run *s, const char *kernel, const char *impl, size_t n,
                      size_t local)
{
    const sb_micro_result *r = sb_micro_find(&s->rs, kernel, impl, n, local);
    return r ? r->gbps : NAN;
}

static void fmt_gbps(char *out, size_t cap, double v)
{
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.2f", v);
}

/* CLBlast routine bl's GB/s at n (a ceiling variant or a baseline row). */
static double blas_gbps(const sb_micro_run *s, sb_micro_blas bl, size_t n)
{
    for (int i = 0; i < s->rs.n; i++)
        if (s->rs.r[i].bl == bl && s->rs.r[i].n == n && !strcmp(s->rs.r[i].impl, "clblast"))
            return s->rs.r[i].gbps;
    return NAN;
}

static void print_row(FILE *out, const sb_micro_run *s, const sb_micro_result *r)
{
    char roof[32] = "-", cg[16] = "-", blas_s[40] = "-", c1[16], omp[16], g[16];
    if (!isnan(r->roof)) {
        snprintf(roof, sizeof roof, "%.2f %s%s", r->roof, r->ceil_ref,
                 r->exceeded ? " !" : "");
        fmt_gbps(cg, sizeof cg, r->ceil_gbps);
    }
    double bg = blas_gbps(s, r->k->bl, r->n);
    if (!isnan(bg))
        snprintf(blas_s, sizeof blas_s, "%.2f %s", bg, sb_micro_blas_name(r->k->bl));
    fmt_gbps(c1, sizeof c1, gbps_of(s, r->kernel, "c1", r->n, 0));
    fmt_gbps(omp, sizeof omp, gbps_of(s, r->kernel, "omp", r->n, 0));
    fmt_gbps(g, sizeof g, r->gbps);
    char local[24] = "def";
    if (r->local)
        snprintf(local, sizeof local, "%zu", r->local);
    char flags[40];
    snprintf(flags, sizeof flags, "%s%s%s", r->exceeded ? "EXCEEDED " : "",
             r->noisy ? "noisy " : "", r->launch_bound ? "launch-bound" : "");
    fprintf(out, "%-12s %10zu %5s %10.2f %6.1f %8s %-14s %8s %-30s %-14s %7s %7s %s\n",
            r->kernel, r->n, local, r->rs.median * 1e6, 100 * r->rs.cv, g, roof, cg,
            r->ceil_by, blas_s, c1, omp, flags);
}

/* Per size: each pattern's ceiling and the variant that set it. */
static void print_ceilings(FILE *out, const sb_micro_run *s, size_t n, size_t local)
{
    fprintf(out, "  ceilings at n = %zu:", n);
    for (int p = 0; p < SB_PAT_N; p++) {
        const sb_micro_result *best = NULL;
        for (int i = 0; i < s->rs.n; i++) {
            const sb_micro_result *r = &s->rs.r[i];
            if (r->pat == p && r->n == n && r->local == local &&
                (!best || r->gbps > best->gbps))
                best = r;
        }
        if (best)
            fprintf(out, " %s %.2f (%s/%s)", sb_patterns[p].name, best->gbps, best->impl,
                    best->variant);
    }
    fprintf(out, "\n");
}

static void print_extras(FILE *out, const sb_micro_run *s)
{
    for (int i = 0; i < s->rs.n; i++) {
        const sb_micro_result *r = &s->rs.r[i];
        if (r->hidden)
            continue;
        if (!strcmp(r->kernel, "empty"))
            fprintf(out,
                    "empty kernel: enqueue-to-finish median %.1f us (p90 %.1f us, min %.1f "
                    "us); event-profiled %.2f us\n",
                    r->cs.median * 1e6, r->cs.p90 * 1e6, r->cs.min * 1e6,
                    r->rs.median * 1e6);
        else if (r->no_copy)
            fprintf(
                out,
                "transfer %-9s n = %zu (%.0f MB): no copy (the device shares host "
                "memory): map + unmap latency median %.1f us by events, %.1f us by host clock\n",
                r->kernel, r->n, r->bytes / 1e6, r->rs.median * 1e6, r->cs.median * 1e6);
        else if (!r->k && r->pat < 0 && !strcmp(r->impl, "ocl"))
            fprintf(
                out,
                "transfer %-9s n = %zu (%.0f MB): %.2f GB/s by events, %.2f GB/s by host "
                "clock (median %.1f us)\n",
                r->kernel, r->n, r->bytes / 1e6, r->gbps,
                r->cs.median > 0 ? r->bytes / r->cs.median / 1e9 : 0, r->cs.median * 1e6);
    }
    for (int i = 0; i < s->nnotes; i++)
        fprintf(out, "note: %s\n", s->notes[i]);
}

void sb_micro_print_table(FILE *out, const sb_micro_run *s, const sb_ctx *c)
{
    const sb_micro_opts *mo = s->mo;
    fprintf(out, "signbench micro on %s (%s, driver %s)\n", c->dev.name,
            c->dev.platform_name, c->driver);
    for (int i = 0; i < s->nwarnings; i++)
        fprintf(out, "***WARNING*** %s\n", s->warnings[i]);
    fprintf(
        out,
        "%ld rounds after %ld warm-up; times are medians of OpenCL event time (END-START);"
        " GB = 1e9 bytes of minimal traffic; vote M = %ld\nroofline = GB/s over the "
        "ceiling (best variant of the pattern, same rounds); '!' = ceiling exceeded: "
        "reference variant set incomplete; noisy = CV above %.0f%%; launch-bound = host time\n"
        "under %.0fx the empty kernel's\n\n",
        mo->reps, mo->warmup, mo->vote_m, 100 * (mo->cv_limit > 0 ? mo->cv_limit : 0.10),
        SB_MICRO_LAUNCH_BOUND);
    fprintf(out, "%-12s %10s %5s %10s %6s %8s %-14s %8s %-30s %-14s %7s %7s %s\n", "kernel",
            "n", "local", "median_us", "cv%", "GB/s", "roofline", "ceil GB/s",
            "ceiling set by", "CLBlast GB/s", "C1", "OMP", "flags");
    size_t last_n = 0, last_local = 0;
    for (int i = 0; i < s->rs.n; i++) {
        const sb_micro_result *r = &s->rs.r[i];
        if (strcmp(r->impl, "ocl") || !r->k || r->hidden)
            continue;
        if (last_n && (r->n != last_n || r->local != last_local)) {
            print_ceilings(out, s, last_n, last_local);
            fprintf(out, "\n");
        }
        last_n = r->n;
        last_local = r->local;
        print_row(out, s, r);
    }
    if (last_n)
        print_ceilings(out, s, last_n, last_local);
    fprintf(out, "\n");
    print_extras(out, s);
}

static const char *verdict(const sb_micro_result *r)
{
    return r->exceeded       ? "NOT met: ceiling exceeded, reference variant set incomplete"
           : r->roof >= 0.90 ? "met"
                             : "NOT met";
}

/* The targets at 64M floats (or the largest size measured, with --targets): every
 * kernel at 0.90 of its ceiling or more, updates at least as fast as the OpenMP C loop. */
void sb_micro_print_targets(FILE *out, const sb_micro_run *s)
{
    size_t n = 0;
    for (int i = 0; i < s->rs.n; i++)
        if (!strcmp(s->rs.r[i].impl, "ocl") && s->rs.r[i].k &&
            (s->rs.r[i].n == SB_MICRO_64M || (s->rs.r[i].n > n && n != SB_MICRO_64M)))
            n = s->rs.r[i].n;
    if (!n)
        return;
    size_t local = s->mo->nlocals ? s->mo->locals[0] : 0;
    fprintf(out, "\ntargets at n = %zu%s, local %s:\n", n,
            n == SB_MICRO_64M ? " (64M floats)" : " (NOT 64M: indicative only)",
            local ? "first of the sweep" : "default");
    for (int i = 0; i < s->rs.n; i++) {
        const sb_micro_result *r = &s->rs.r[i];
        if (strcmp(r->impl, "ocl") || !r->k || r->n != n || r->local != local ||
            isnan(r->roof))
            continue;
        fprintf(out, "  %-12s %.3f of %s ceiling (>= 0.90): %s", r->kernel, r->roof,
                r->ceil_ref, verdict(r));
        double omp = gbps_of(s, r->kernel, "omp", n, 0);
        if (r->k->kind == SB_MK_UPDATE && !isnan(omp))
            fprintf(out, "; %.2f GB/s vs OpenMP C %.2f: %s", r->gbps, omp,
                    r->gbps >= omp ? "met" : "NOT met");
        fprintf(out, "\n");
    }
}
