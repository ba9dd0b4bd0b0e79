/* problem.c - sb_problem_create: the table of problems and their constructors, the
 * problem options and their defaults. Shared device helpers are problem_common.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

#include "parse.h"
#include "problem_impl.h"

void sb_problem_opts_init(sb_problem_opts *o)
{
    memset(o, 0, sizeof *o);
    o->lambda = -1.0;
}

static int logreg_create(const sb_problem_opts *o, sb_ctx *ctx, int variant,
                         sb_problem **out, sb_err *err)
{
    (void)variant;
    return sb_problem_logreg_create(o, ctx, out, err);
}

/* Every problem: its --problem name, its constructor and the variant it passes (1 for a
 * rotated problem). Adding a problem is one row here and one problem_X.c. */
static const struct {
    const char *name;
    int (*create)(const sb_problem_opts *o, sb_ctx *ctx, int variant, sb_problem **out,
                  sb_err *err);
    int variant;
} problem_table[] = {
    {"tube", sb_problem_tube_create, 0}, {"tube-rotated", sb_problem_tube_create, 1},
    {"quad", sb_problem_quad_create, 0}, {"quad-rotated", sb_problem_quad_create, 1},
    {"logreg", logreg_create, 0},
};

int sb_problem_create(const sb_problem_opts *o, sb_ctx *ctx, sb_problem **out, sb_err *err)
{
    *out = NULL;
    if (!o->name)
        return sb_fail(err, SB_EUSAGE,
                       "--problem is required (tube, tube-rotated, logreg, "
                       "quad, quad-rotated)");
    if (strcmp(o->name, "logreg")) {
        const char *opt = o->data              ? "data"
                          : o->format          ? "format"
                          : o->bias            ? "bias"
                          : o->standardize     ? "standardize"
                          : o->lambda >= 0     ? "lambda"
                          : o->test_split > 0  ? "test-split"
                          : o->n_synth         ? "n"
                          : o->label_noise > 0 ? "label-noise"
                          : o->gemv            ? "gemv"
                          : o->label_col       ? "label-col"
                                               : NULL;
        if (opt)
            return sb_fail(err, SB_EUSAGE, "%s: --%s belongs to --problem logreg", o->name,
                           opt);
    }
    for (size_t i = 0; i < sizeof problem_table / sizeof problem_table[0]; i++)
        if (!strcmp(o->name, problem_table[i].name))
            return problem_table[i].create(o, ctx, problem_table[i].variant, out, err);
    return sb_fail(err, SB_EUSAGE,
                   "unknown problem '%s' (choose tube, tube-rotated, logreg, "
                   "quad, quad-rotated)",
                   o->name);
}

/* ---- CLI ----------------------------------------------------------------------- */

static int pick(const char *opt, const char *arg, const char *const *choices, sb_err *err)
{
    for (int i = 0; choices[i]; i++)
        if (!strcmp(arg, choices[i]))
            return i;
    char list[256] = "";
    for (int i = 0; choices[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 choices[i]);
    sb_fail(err, SB_EUSAGE, "%s: unknown value '%s' (choose %s)", opt, arg, list);
    return -1;
}

int sb_problem_cli(int c, const char *arg, sb_problem_opts *o, sb_err *err)
{
    static const char *const problems[] = {"tube", "tube-rotated", "logreg",
                                           "quad", "quad-rotated", NULL};
    /* "continuation" is the name in DESIGN.md 5.1 and the tube command's; "continue" is
     * kept as an alias because train/eval accepted it first. */
    static const char *const domains[] = {"continuation", "strict", "continue", NULL};
    static const char *const formats[] = {"libsvm", "csv", NULL};
    static const char *const gemvs[] = {"native", "clblast", NULL};
    static const char *const spectra[] = {"equal", "linear", "log", NULL};
    long l;
    int k;
    switch (c) {
    case SB_OPT_PROBLEM:
        if ((k = pick("--problem", arg, problems, err)) < 0)
            return -1;
        o->name = problems[k];
        return 1;
    case SB_OPT_D:
        if (sb_parse_size("--d", arg, &o->d, err) != SB_OK)
            return -1;
        if (o->d < 1)
            return sb_fail(err, SB_EUSAGE, "--d: must be at least 1"), -1;
        return 1;
    case SB_OPT_TUBE_L:
        return sb_parse_double("--tube-L", arg, 1e-12, 1e12, &o->tube_L, err) ? -1 : 1;
    case SB_OPT_TUBE_GAMMA:
        return sb_parse_double("--tube-gamma", arg, 1e-12, 1e12, &o->tube_gamma, err) ? -1
                                                                                      : 1;
    case SB_OPT_TUBE_TAU:
        return sb_parse_double("--tube-tau", arg, 1e-12, 1e12, &o->tube_tau, err) ? -1 : 1;
    case SB_OPT_TUBE_DOMAIN:
        if ((k = pick("--tube-domain", arg, domains, err)) < 0)
            return -1;
        o->tube_strict = k == 1;
        return 1;
    case SB_OPT_ROTATION: o->rotation_file = arg; return 1;
    case SB_OPT_DATA: o->data = arg; return 1;
    case SB_OPT_FORMAT:
        if ((k = pick("--format", arg, formats, err)) < 0)
            return -1;
        o->format = formats[k];
        return 1;
    case SB_OPT_LABEL_COL:
        if (sb_parse_long("--label-col", arg, 0, 1000000, &l, err) != SB_OK)
            return -1;
        o->label_col = (int)l;
        return 1;
    case SB_OPT_BIAS: o->bias = 1; return 1;
    case SB_OPT_STANDARDIZE: o->standardize = 1; return 1;
    case SB_OPT_LAMBDA:
        return sb_parse_double("--lambda", arg, 0.0, 1e12, &o->lambda, err) ? -1 : 1;
    case SB_OPT_TEST_SPLIT:
        if (sb_parse_double("--test-split", arg, 0.0, 1.0, &o->test_split, err) != SB_OK)
            return -1;
        if (o->test_split >= 1.0)
            return sb_fail(err, SB_EUSAGE,
                           "--test-split: must be below 1 (a fraction of the "
                           "rows held out)"),
                   -1;
        return 1;
    case SB_OPT_NSYNTH:
        if (sb_parse_size("--n", arg, &o->n_synth, err) != SB_OK)
            return -1;
        if (o->n_synth < 1)
            return sb_fail(err, SB_EUSAGE, "--n: must be at least 1"), -1;
        return 1;
    case SB_OPT_LABEL_NOISE:
        return sb_parse_double("--label-noise", arg, 0.0, 1.0, &o->label_noise, err) ? -1
                                                                                     : 1;
    case SB_OPT_GEMV:
        if ((k = pick("--gemv", arg, gemvs, err)) < 0)
            return -1;
        o->gemv = gemvs[k];
        return 1;
    case SB_OPT_SPECTRUM:
        if ((k = pick("--spectrum", arg, spectra, err)) < 0)
            return -1;
        o->spectrum = spectra[k];
        return 1;
    case SB_OPT_COND:
        return sb_parse_double("--cond", arg, 1.0, 1e12, &o->cond, err) ? -1 : 1;
    default: return 0;
    }
}

/* ---- device helpers --------------------------------------------------------------- */
