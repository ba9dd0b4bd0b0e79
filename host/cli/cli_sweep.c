/* cli_sweep.c - `signbench sweep`: convergence scaling with the dimension d (the paper's
 * Section 5): parses the options, runs the sweep engine (sweep.h), prints the table. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fs.h"
#include "json.h"
#include "parse.h"
#include "study.h"
#include "sweep.h"

static const char help[] =
    "usage: signbench sweep [--problem P] [--dims LIST|LO:HI:K] [--seeds S] [--evals N]\n"
    "                       [--sigma S] [--out DIR] [--json] [device options]\n\n"
    "Measures how convergence scales with the dimension d (the paper's Section 5). For\n"
    "each d and seed it runs three variants through the training library:\n"
    "  signsgd-theory  signSGD, lr_k = delta/sqrt(k+1), minibatch n_k = k+1 (Theorem 1)\n"
    "  signsgd-const   signSGD, constant step tuned per d over --tune-lrs (first seed)\n"
    "  sgd-theory      SGD, lr_k = delta/sqrt(k+1), n_k = 1 (Theorem 2)\n"
    "each for the same budget of stochastic gradient calls N. It records the minimum\n"
    "norm over the run (squared l1 norm of the full gradient for signSGD, squared l2\n"
    "norm for SGD, as the theorems bound them), the calls needed to reach a target of\n"
    "that quantity, and the density ratio ||g||_1^2 / (d ||g||_2^2) at the end (1 for an\n"
    "evenly spread gradient, 1/d for a single coordinate). It fits the log-log slope of\n"
    "the minimum norm (every run that did not diverge) and of N-to-target (only the d\n"
    "values where every seed reached the target: the lucky runs alone would flatten it)\n"
    "against d (95% t interval), states the d range and runs each fit used, and prints\n"
    "beside them what the bounds predict: squared l1 bound ~ d^2/sqrt(N) (slope 2;\n"
    "N-to-target slope 4), SGD's l2 bound ~ d/sqrt(N) (slope 1; N-to-target slope 2).\n"
    "The bounds are upper bounds: a flatter slope is consistent with one; a steeper one\n"
    "only while every value lies under the bound, and then in the measured range only\n"
    "(the lines would cross further on); a value above it is not consistent.\n"
    "The full-gradient norms are measured at every step, or at about 1000 evenly\n"
    "spaced steps of a longer run (train's automatic --log-every): N-to-target is then\n"
    "resolved to about 1/1000 of the run, and the minimum is over those steps.\n\n"
    "Options:\n"
    "  --problem P       quad (default), quad-rotated, logreg (synthetic), tube\n"
    "  --dims D          comma list (10,100,1000) or log range LO:HI:K with K points\n"
    "                    (default 10:1000:5)\n"
    "  --seeds S         seeds per point (default 3)\n"
    "  --evals N         gradient-call budget per run (default 20000)\n"
    "  --sigma S         additive Gaussian noise per coordinate (default 1)\n"
    "  --lr-theory D     delta of signsgd-theory (default 0.1)\n"
    "  --lr-sgd D        delta of sgd-theory; Theorem 2 needs delta L < 2: past it the\n"
    "                    runs go on, and the bound column and JSON say \"not applicable\"\n"
    "                    with delta L (default 0.5)\n"
    "  --tune-lrs LIST   constant steps tried for signsgd-const (default 0.001,0.01,0.1)\n"
    "  --target1 T       target of ||g||_1^2 for signSGD; --target2 T of ||g||_2^2 for\n"
    "                    SGD (default: half the value at the start of the smallest\n"
    "                    d, median over seeds; larger d start higher and must descend\n"
    "                    further)\n"
    "  --out DIR         write sweep.json, sweep.csv and the plots sweep_norms.{png,svg}\n"
    "                    and sweep_evals.{png,svg} (with .dat data) into DIR\n"
    "  --json            print the JSON (schema signbench-sweep) instead of the table\n" SB_COMMON_HELP;

/* A fit's cells: "slope [lo, hi]" and the d range and runs it used ("-" when none). */
static void fit_cells(const cJSON *f, char *slope, size_t ns, char *used, size_t nu)
{
    const cJSON *sl = cJSON_GetObjectItem(f, "slope"),
                *lo = cJSON_GetObjectItem(f, "ci_lo"),
                *hi = cJSON_GetObjectItem(f, "ci_hi");
    snprintf(slope, ns, "-");
    snprintf(used, nu, "-");
    if (!cJSON_IsNumber(sl))
        return;
    if (cJSON_IsNumber(lo))
        snprintf(slope, ns, "%.2f [%.2f, %.2f]", sl->valuedouble, lo->valuedouble,
                 hi->valuedouble);
    else
        snprintf(slope, ns, "%.2f", sl->valuedouble);
    snprintf(used, nu, "%.0f..%.0f (%.0f)", cJSON_GetObjectItem(f, "d_min")->valuedouble,
             cJSON_GetObjectItem(f, "d_max")->valuedouble,
             cJSON_GetObjectItem(f, "points")->valuedouble);
}

/* The slope table: each fit with the d range and the runs it used, the bound's slope,
 * then how each stands to its bound. */
static void print_slopes(const cJSON *j)
{
    const cJSON *v;
    printf(
        "\nlog-log slopes against d (95%% t interval), the d range and runs each fit used,\n"
        "and the slopes of the bounds (min norm: every run that did not diverge;\n"
        "N-to-target: the d values where every seed reached the target):\n");
    printf("%-15s %-10s %-21s %-15s %-5s %-21s %-15s %s\n", "variant", "quantity",
           "min norm slope", "d used (runs)", "bound", "N-to-target slope", "d used (runs)",
           "bound");
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "variants"))
    {
        char s[2][64], u[2][48];
        const char *keys[2] = {"fit_min_norm", "fit_evals_to_target"};
        double pred[2];
        for (int k = 0; k < 2; k++) {
            const cJSON *f = cJSON_GetObjectItem(v, keys[k]);
            fit_cells(f, s[k], sizeof s[k], u[k], sizeof u[k]);
            pred[k] = cJSON_GetObjectItem(f, "predicted")->valuedouble;
        }
        printf("%-15s %-10s %-21s %-15s %-5.0f %-21s %-15s %.0f\n",
               cJSON_GetObjectItem(v, "name")->valuestring,
               cJSON_GetObjectItem(v, "quantity")->valuestring, s[0], u[0], pred[0], s[1],
               u[1], pred[1]);
    }
    printf(
        "\nagainst the bounds (upper bounds: a steeper slope is consistent only while the\n"
        "values stay under the bound):\n");
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "variants"))
    {
        const char *keys[2] = {"fit_min_norm", "fit_evals_to_target"},
                   *what[2] = {"min norm", "N-to-target"};
        for (int k = 0; k < 2; k++) {
            const cJSON *b =
                cJSON_GetObjectItem(cJSON_GetObjectItem(v, keys[k]), "vs_bound");
            printf("  %s, %s: %s: %s\n", cJSON_GetObjectItem(v, "name")->valuestring,
                   what[k], cJSON_GetObjectItem(b, "verdict")->valuestring,
                   cJSON_GetObjectItem(b, "text")->valuestring);
        }
    }
}

static void print_table(const cJSON *j)
{
    const cJSON *v;
    printf("sweep: %s, %d gradient calls per run, sigma %g, %d seed(s), device %s\n\n",
           cJSON_GetObjectItem(j, "problem")->valuestring,
           (int)cJSON_GetObjectItem(j, "evals")->valuedouble,
           cJSON_GetObjectItem(j, "sigma")->valuedouble,
           (int)cJSON_GetObjectItem(j, "seeds")->valuedouble,
           cJSON_GetObjectItem(j, "device")->valuestring);
    printf("%-15s %9s %12s %12s %7s %9s %9s %11s\n", "variant", "d", "min norm",
           "N to target", "reached", "density0", "density", "bound");
    int notes = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "variants"))
    {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(v, "points"))
        {
            const cJSON *mn = cJSON_GetObjectItem(p, "min_norm"),
                        *nt = cJSON_GetObjectItem(p, "evals_to_target"),
                        *r0 = cJSON_GetObjectItem(p, "density_start"),
                        *r1 = cJSON_GetObjectItem(p, "density_end"),
                        *bd = cJSON_GetObjectItem(p, "bound");
            char a[32] = "-", b[32] = "-", c[32] = "-", c0[32] = "-", e[32] = "-";
            if (cJSON_IsNumber(mn))
                snprintf(a, sizeof a, "%.4g", mn->valuedouble);
            if (cJSON_IsNumber(nt))
                snprintf(b, sizeof b, "%.0f", nt->valuedouble);
            if (cJSON_IsNumber(r0))
                snprintf(c0, sizeof c0, "%.3f", r0->valuedouble);
            if (cJSON_IsNumber(r1))
                snprintf(c, sizeof c, "%.3f", r1->valuedouble);
            const cJSON *na = cJSON_GetObjectItem(p, "bound_note"),
                        *dl = cJSON_GetObjectItem(p, "delta_L");
            if (cJSON_IsNumber(bd))
                snprintf(e, sizeof e, "%.4g", bd->valuedouble);
            else if (cJSON_IsString(na) && cJSON_IsNumber(dl)) {
                snprintf(e, sizeof e, "n/a dL=%.3g", dl->valuedouble);
                notes++;
            }
            printf("%-15s %9.0f %12s %12s %5d/%d %9s %9s %11s\n",
                   cJSON_GetObjectItem(v, "name")->valuestring,
                   cJSON_GetObjectItem(p, "d")->valuedouble, a, b,
                   (int)cJSON_GetObjectItem(p, "reached")->valuedouble,
                   (int)cJSON_GetObjectItem(j, "seeds")->valuedouble, c0, c, e);
        }
    }
    if (notes)
        printf(
            "(bound n/a dL=X: Theorem 2 needs delta*L < 2 and this run's delta*L is X, so "
            "it has no bound; lower --lr-sgd)\n");
    print_slopes(j);
    printf(
        "\ndensity = ||g||_1^2 / (d ||g||_2^2): near 1 the gradient is dense and the d^2\n"
        "l1 bound matches SGD's d l2 bound (the paper's Section 5); near 1/d it is sparse.\n");
}

/* What the command line asks for beyond the sweep's own settings. */
typedef struct sweep_args {
    sb_sweep *w;
    sb_opts dev;
    const char *out;
    int json, help;
} sweep_args;

/* One option c (not a common one) into the sweep's settings; -1 when c is none. */
static int sweep_option(int c, const char *arg, void *ctx, sb_err *err)
{
    sweep_args *a = ctx;
    sb_sweep *w = a->w;
    long l;
    size_t z;
    int rc = SB_OK;
    switch (c) {
    case 'p':
        if (strcmp(arg, "quad") && strcmp(arg, "quad-rotated") && strcmp(arg, "logreg") &&
            strcmp(arg, "tube"))
            return sb_fail(err, SB_EUSAGE,
                           "sweep: --problem '%s': expected quad, "
                           "quad-rotated, logreg or tube",
                           arg);
        w->problem = arg;
        break;
    case 'd': return sb_sweep_parse_dims(arg, w, err);
    case 's':
        if (!(rc = sb_parse_long("--seeds", arg, 1, SB_SWEEP_MAXSEED, &l, err)))
            w->seeds = (int)l;
        break;
    case 'n':
        if (!(rc = sb_parse_size("--evals", arg, &z, err)))
            w->evals = z;
        break;
    case 'S': return sb_parse_double("--sigma", arg, 0, 1e6, &w->sigma, err);
    case 'a': return sb_parse_double("--lr-theory", arg, 1e-12, 1e6, &w->lr_theory, err);
    case 'b': return sb_parse_double("--lr-sgd", arg, 1e-12, 1e6, &w->lr_sgd, err);
    case 'l':
        return sb_parse_double_list("sweep", "--tune-lrs", arg, 1e-12, 1e6, w->tune,
                                    SB_SWEEP_MAXLR, &w->ntune, err);
    case '1':
    case '2': {
        int v = c == '1' ? 0 : 2;
        if (!(rc = sb_parse_double(c == '1' ? "--target1" : "--target2", arg, 1e-300, 1e300,
                                   &w->target[v], err))) {
            w->target_given[v] = 1;
            if (c == '1') { /* both signSGD variants */
                w->target[1] = w->target[0];
                w->target_given[1] = 1;
            }
        }
        break;
    }
    case 'o': a->out = arg; break;
    case 'j': a->json = 1; break;
    default: return -1; /* not an option of sweep's */
    }
    return rc;
}

static int parse_args(int argc, char **argv, sweep_args *a, sb_err *err)
{
    static const struct option longopts[] = {{"problem", required_argument, 0, 'p'},
                                             {"dims", required_argument, 0, 'd'},
                                             {"seeds", required_argument, 0, 's'},
                                             {"evals", required_argument, 0, 'n'},
                                             {"sigma", required_argument, 0, 'S'},
                                             {"lr-theory", required_argument, 0, 'a'},
                                             {"lr-sgd", required_argument, 0, 'b'},
                                             {"tune-lrs", required_argument, 0, 'l'},
                                             {"target1", required_argument, 0, '1'},
                                             {"target2", required_argument, 0, '2'},
                                             {"out", required_argument, 0, 'o'},
                                             {"json", no_argument, 0, 'j'},
                                             SB_COMMON_LONGOPTS,
                                             {0, 0, 0, 0}};
    static const sb_cli_parser p = {"sweep", "o:", longopts, sweep_option, 1};
    return sb_cli_parse(&p, argc, argv, a, &a->dev, &a->help, err);
}

int sb_cmd_sweep(int argc, char **argv, sb_err *err)
{
    sb_sweep *w = calloc(1, sizeof *w);
    if (!w)
        return sb_fail(err, SB_ERUNTIME, "sweep: out of memory");
    sb_sweep_defaults(w);
    sweep_args a = {.w = w};
    int rc = parse_args(argc, argv, &a, err);
    if (!rc && a.help) {
        free(w);
        return sb_cli_help(help);
    }
    if (!rc && a.out)
        rc = sb_mkdir_p(a.out, err);
    if (!rc)
        rc = sb_sweep_run_all(w, &a.dev, err);
    cJSON *j = rc ? NULL : sb_sweep_json(w);
    if (!rc && !j)
        rc = sb_fail(err, SB_ERUNTIME, "sweep: out of memory");
    if (!rc) {
        sb_study_out files = {"sweep",     "sweep_norms.png/.svg",
                              print_table, sb_sweep_write_csv,
                              w,           sb_sweep_plot_json};
        rc = sb_study_output(j, a.json, a.out, &files, err);
    }
    cJSON_Delete(j);
    free(w);
    return rc;
}
