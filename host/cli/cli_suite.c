/* cli_suite.c - `signbench suite`: runs the other commands in-process (devices, micro,
 * train, figure1, grid, sweep) into one run folder, then summary.json and the report. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crossdev.h"
#include "dataset.h"
#include "report.h"
#include "fs.h"
#include "json.h"

static const char help[] =
    "usage: signbench suite [--quick | --full] [--out DIR] [--only LIST] [device options]\n"
    "       signbench suite --report-only DIR\n\n"
    "Runs every study signbench has and writes one run folder:\n"
    "  devices  devices.json\n"
    "  micro    micro.json (Google Benchmark schema), micro.csv\n"
    "  train    train/train-<optimizer>.{json,csv}: logistic regression on breast cancer\n"
    "           with sgd, signsgd, signum, adam (seeded)\n"
    "  tube     tube/ (trajectories on the tube function: escapes, orbits), when the\n"
    "           command exists\n"
    "  figure1  figure1/ (the paper's Figure 1), when the command exists\n"
    "  grid     grid.json, grid.csv, grid_<optimizer> heatmaps (the paper's Figure 2)\n"
    "  sweep    sweep.json, sweep.csv, sweep_norms / sweep_evals plots (quad); with\n"
    "           --full also sweep-quad-rotated/, sweep-logreg/ and sweep-tube/\n"
    "  byzantine  byzantine.json, byzantine_* plots: the majority vote against K of P\n"
    "           adversarial workers (a build with MPI only)\n"
    "then summary.json (schema signbench-summary: steps, convergence metrics for\n"
    "`signbench compare`) and report.md + report.html (self-contained, plots embedded):\n"
    "the device, the throughput table with roofline fractions, convergence figures and\n"
    "verdicts on the paper's claims. Each step's console output goes to <step>.log. A\n"
    "failing step is recorded and the others still run; the exit status is then 1.\n\n"
    "Several devices (--device A,B or all): every step runs on the first; each other\n"
    "device also runs micro, train and tube into devices/P-D/. cross_device.json then\n"
    "compares the train traces and tube trajectories of every device with the first\n"
    "(exact, else the largest absolute, relative and float32 ulp difference), and the\n"
    "report shows each kernel's GB/s, roofline_fraction and ceiling (the paired\n"
    "reference kernel's GB/s) of every device side by side, with a grouped bar chart.\n\n"
    "Options:\n"
    "  --quick       small sizes, few seeds: under a minute on PoCL with 2 cores\n"
    "                (default; not with --full)\n"
    "  --full        the paper-sized studies (64M-element kernels, d up to 10^5, the\n"
    "                full grid): tens of minutes\n"
    "  --out DIR     run folder, new or empty: a folder holding anything is refused, so\n"
    "                runs never mix (default results/runs/<UTC time>-<device slug>)\n"
    "  --only LIST   run only these steps (comma list of the names above)\n"
    "  --report-only DIR  rewrite report.md and report.html of an existing run folder\n"
    "                (one holding a suite's summary.json) from the files in it (runs\n"
    "                nothing)\n" SB_COMMON_HELP;

/* Run a command of the table in-process with its stdout going to LOG (or to OUT when
 * capture is set, e.g. devices --json). */
static int run_cmd(const char *name, int argc, char **argv, const char *logpath,
                   double *secs, sb_err *err)
{
    const sb_cmd *c = NULL;
    for (const sb_cmd *k = sb_commands; k->name; k++)
        if (!strcmp(k->name, name))
            c = k;
    if (!c)
        return sb_fail(err, SB_EUSAGE, "command %s is not in this build", name);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0 || saved < 0) {
        if (fd >= 0)
            close(fd);
        if (saved >= 0)
            close(saved);
        return sb_fail(err, SB_ERUNTIME, "cannot write %s", logpath);
    }
    dup2(fd, STDOUT_FILENO);
    close(fd);
    double t0 = sb_now();
    err->code = 0;
    err->msg[0] = '\0';
    int rc = c->fn(argc, argv, err);
    *secs = sb_now() - t0;
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    if (rc && !err->msg[0])
        sb_fail(err, rc, "%s failed", name);
    return rc;
}

static int has_cmd(const char *name)
{
    for (const sb_cmd *k = sb_commands; k->name; k++)
        if (!strcmp(k->name, name))
            return 1;
    return 0;
}

static int wanted(const char *only, const char *step)
{
    if (!only)
        return 1;
    size_t n = strlen(step);
    for (const char *p = only; (p = strstr(p, step)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

/* 1 when DIR exists and holds anything: a suite never writes into an earlier run's folder,
 * since its summary and report are built from every file there (stale results would mix
 * in). -1 when DIR exists but is not a readable folder. */
static int dir_nonempty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int any = 0;
    for (struct dirent *e; !any && (e = readdir(d));)
        any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return any;
}

/* A run folder is one a suite wrote: it holds summary.json with the summary schema. */
static int is_run_folder(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *j = NULL;
    sb_err e;
    if (access(path, R_OK) || sb_json_load(path, &j, &e) != SB_OK)
        return 0;
    const char *schema = cJSON_GetStringValue(cJSON_GetObjectItem(j, "schema"));
    int ok = schema && !strcmp(schema, "signbench-summary");
    cJSON_Delete(j);
    return ok;
}

/* Breast cancer data: the copy built into the binary, so the suite runs from any folder. */
static void find_data(char *out, size_t cap)
{
    snprintf(out, cap, "%s", sb_dataset_default_name());
}

/* Convergence metrics of the train summaries for summary.json's "benchmarks". */
static void add_train(cJSON *list, const char *dir, const char *opt)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/train/train-%s.json", dir, opt);
    cJSON *j = NULL;
    sb_err e;
    if (sb_json_load(path, &j, &e) != SB_OK)
        return;
    cJSON *b = cJSON_CreateObject();
    char name[128];
    snprintf(name, sizeof name, "train/%s/%s/seed1",
             cJSON_GetStringValue(cJSON_GetObjectItem(j, "problem"))
                 ? cJSON_GetObjectItem(j, "problem")->valuestring
                 : "?",
             opt);
    cJSON_AddStringToObject(b, "name", name);
    cJSON *m = cJSON_AddObjectToObject(b, "metrics");
    static const char *keys[] = {
        "f_final",       "f_best",          "grad1_min",       "grad2_min",
        "test_accuracy", "steps_to_target", "evals_to_target", NULL};
    for (int i = 0; keys[i]; i++) {
        const cJSON *v = cJSON_GetObjectItem(j, keys[i]);
        if (cJSON_IsNumber(v))
            cJSON_AddNumberToObject(m, keys[i], v->valuedouble);
    }
    cJSON_AddItemToArray(list, b);
    cJSON_Delete(j);
}

/* Grid bests and sweep minimum norms as benchmarks too (compare --metric test_error or
 * --metric min_norm tracks them; seeded, so a change is a change of behaviour). */
static void add_grid_sweep(cJSON *list, const char *dir)
{
    char path[1200];
    cJSON *j = NULL;
    sb_err e;
    snprintf(path, sizeof path, "%s/grid.json", dir);
    if (sb_json_load(path, &j, &e) == SB_OK) {
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
        {
            const cJSON *te =
                cJSON_GetObjectItem(cJSON_GetObjectItem(o, "best"), "test_error");
            const cJSON *name = cJSON_GetObjectItem(o, "name");
            if (!cJSON_IsNumber(te) || !cJSON_IsString(name))
                continue;
            cJSON *b = cJSON_CreateObject();
            char n[128];
            snprintf(n, sizeof n, "grid/%s/best", name->valuestring);
            cJSON_AddStringToObject(b, "name", n);
            cJSON *m = cJSON_AddObjectToObject(b, "metrics");
            cJSON_AddNumberToObject(m, "test_error", te->valuedouble);
            cJSON_AddNumberToObject(
                m, "robustness",
                cJSON_GetNumberValue(cJSON_GetObjectItem(o, "robustness")));
            cJSON_AddItemToArray(list, b);
        }
        cJSON_Delete(j);
    }
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    if (sb_json_load(path, &j, &e) == SB_OK) {
        const cJSON *v, *p, *r;
        const char *prob = cJSON_GetStringValue(cJSON_GetObjectItem(j, "problem"));
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "variants"))
        {
            const char *vn = cJSON_GetStringValue(cJSON_GetObjectItem(v, "name"));
            cJSON_ArrayForEach(p, cJSON_GetObjectItem(v, "points"))
            {
                cJSON *b = cJSON_CreateObject();
                char n[160];
                snprintf(n, sizeof n, "sweep/%s/%s/d=%.0f", prob ? prob : "?",
                         vn ? vn : "?", cJSON_GetNumberValue(cJSON_GetObjectItem(p, "d")));
                cJSON_AddStringToObject(b, "name", n);
                cJSON *m = cJSON_AddObjectToObject(b, "metrics");
                cJSON *mn = cJSON_AddArrayToObject(m, "min_norm");
                cJSON_ArrayForEach(r, cJSON_GetObjectItem(p, "runs"))
                {
                    const cJSON *x = cJSON_GetObjectItem(r, "min_norm");
                    if (cJSON_IsNumber(x))
                        cJSON_AddItemToArray(mn, cJSON_CreateNumber(x->valuedouble));
                }
                cJSON_AddItemToArray(list, b);
            }
        }
        cJSON_Delete(j);
    }
}

typedef struct step {
    const char *name, *cmd;
    char *argv[40];
    int argc;
} step;

/* With several devices: xd names each device and its folder; every other device gets
 * copies of the first's micro, train and tube steps writing into devices/P-D/. */
static int device_steps(step *steps, int *ns, const sb_devset *set, const char *dir,
                        sb_crossdev_dev *xd, sb_err *err)
{
    static char xdir[SB_MAX_DEVICES][1200], names[SB_MAX_DEVICES][3][48];
    static char paths[SB_MAX_DEVICES][3][4][1300];
    static const char *const which[] = {"micro", "train", "tube"};
    int n0 = *ns;
    for (int k = 0; k < set->n; k++) {
        const sb_devref *d = &set->dev[k];
        sb_devref_index(d, xd[k].index, sizeof xd[k].index);
        snprintf(xd[k].name, sizeof xd[k].name, "%s", d->name);
        snprintf(xd[k].dir, sizeof xd[k].dir, k ? "devices/%d-%d" : ".", d->platform,
                 d->device);
        if (k == 0)
            continue;
        snprintf(xdir[k], sizeof xdir[k], "%s/%s", dir, xd[k].dir);
        if (sb_mkdir_p(xdir[k], err))
            return sb_wrap(err, "suite");
        for (int t = 0; t < n0; t++)
            for (int w = 0; w < 3; w++) {
                if (strcmp(steps[t].name, which[w]))
                    continue;
                step *s = &steps[(*ns)++];
                *s = steps[t];
                snprintf(names[k][w], sizeof names[k][w], "%s@%d-%d", which[w], d->platform,
                         d->device);
                s->name = names[k][w];
                /* the same command; its files go to this device's folder */
                static const char *const opts[] = {"--json", "--csv", "--out"};
                for (int a = 0; a + 1 < s->argc; a++) {
                    if (!strcmp(s->argv[a], "--device"))
                        s->argv[a + 1] = xd[k].index;
                    for (int o = 0; o < 3; o++)
                        if (!strcmp(s->argv[a], opts[o])) {
                            const char *base = strrchr(s->argv[a + 1], '/');
                            snprintf(paths[k][w][o], sizeof paths[k][w][o], "%.1200s/%.90s",
                                     xdir[k], base ? base + 1 : s->argv[a + 1]);
                            s->argv[a + 1] = paths[k][w][o];
                        }
                }
            }
    }
    return SB_OK;
}

int sb_cmd_suite(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {{"quick", no_argument, 0, 'q'},
                                             {"full", no_argument, 0, 'f'},
                                             {"out", required_argument, 0, 'o'},
                                             {"only", required_argument, 0, 'O'},
                                             {"report-only", required_argument, 0, 'R'},
                                             SB_COMMON_LONGOPTS,
                                             {0, 0, 0, 0}};
    sb_opts dev = {0};
    const char *out = NULL, *only = NULL, *devname = NULL, *report_only = NULL;
    int full = 0, quick = 0, c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("suite", argc, argv, "o:", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c == SB_OPT_DEVICE)
            devname = optarg;
        if (sb_cli_common(c, optarg, &dev))
            continue;
        if (c == SB_OPT_HELP)
            return sb_cli_help(help);
        if (c == 'q')
            quick = 1;
        else if (c == 'f')
            full = 1;
        else if (c == 'o')
            out = optarg;
        else if (c == 'O')
            only = optarg;
        else if (c == 'R')
            report_only = optarg;
        else
            return sb_cli_bad_option("suite", argc, argv, err);
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "suite: unexpected argument '%s'", argv[optind]);
    if (quick && full)
        return sb_fail(err, SB_EUSAGE,
                       "suite: --quick and --full conflict; give one of them");
    if (report_only) {
        if (access(report_only, R_OK | X_OK))
            return sb_fail(err, SB_EUSAGE, "suite: --report-only %s: no such run folder",
                           report_only);
        if (sb_run_incomplete(report_only))
            return sb_fail(err, SB_EUSAGE,
                           "suite: --report-only %s: the run did not finish "
                           "(%s/%s is there): its results are partial; run the suite again",
                           report_only, report_only, SB_RUN_MARKER);
        if (!is_run_folder(report_only))
            return sb_fail(err, SB_EUSAGE,
                           "suite: --report-only %s: not a suite run folder "
                           "(no summary.json with schema signbench-summary)",
                           report_only);
        if (sb_report_write(report_only, err))
            return sb_wrap(err, "suite");
        printf("report: %s/report.md, %s/report.html\n", report_only, report_only);
        return SB_OK;
    }
    if (only) {
        static const char *names[] = {"devices", "micro", "train", "tube",
                                      "figure1", "grid",  "sweep", "byzantine"};
        char buf[256];
        snprintf(buf, sizeof buf, "%s", only);
        for (char *s = NULL, *t = strtok_r(buf, ",", &s); t; t = strtok_r(NULL, ",", &s)) {
            int ok = 0;
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                ok |= !strcmp(t, names[i]);
            if (!ok)
                return sb_fail(err, SB_EUSAGE,
                               "suite: --only: unknown step '%s' (devices, "
                               "micro, train, tube, figure1, grid, sweep, byzantine)",
                               t);
        }
    }
    if (dev.kernel_dir || dev.kernel_binary || dev.bind)
        return sb_fail(err, SB_EUSAGE, "suite: only --device is passed on to the steps");
    int busy = out ? dir_nonempty(out) : 0;
    if (busy < 0)
        return sb_fail(err, SB_EUSAGE,
                       "suite: --out %s exists and is not a readable folder", out);
    if (busy)
        return sb_fail(err, SB_EUSAGE,
                       "suite: --out %s is not empty (a run folder holds one "
                       "run); give a new or empty folder, or rebuild its report with "
                       "--report-only",
                       out);

    /* The devices, resolved once: every step gets the first one's index, and with a
     * list each other device runs micro, train and tube into devices/P-D/. */
    sb_devset set;
    if (sb_devset_resolve(devname, &set, err) != SB_OK)
        return err->code;
    char devlabel[256], slug[64], stamp[32], dir[1024], pidx[24];
    snprintf(devlabel, sizeof devlabel, "%s", set.dev[0].name);
    sb_devref_index(&set.dev[0], pidx, sizeof pidx);
    sb_slug(devlabel, slug, sizeof slug);
    sb_utc_stamp(stamp, sizeof stamp);
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else
        snprintf(dir, sizeof dir, "results/runs/%s-%s", stamp, slug);
    if (!out && dir_nonempty(dir))
        return sb_fail(err, SB_EUSAGE,
                       "suite: %s already holds a run (started the same "
                       "second); run again or give --out",
                       dir);
    if (sb_mkdir_p(dir, err) || sb_run_begin(dir, err))
        return sb_wrap(err, "suite");
    char data[1024];
    find_data(data, sizeof data);

    char p1[1200], p2[1200], p3[1200];
    char *dv[2] = {"--device", pidx};
    int ndv = 2;
    step steps[13 + 3 * SB_MAX_DEVICES];
    int ns = 0;
#define ADD(...)                                                                           \
    do {                                                                                   \
        char *a_[] = {__VA_ARGS__};                                                        \
        for (size_t i_ = 0; i_ < sizeof a_ / sizeof a_[0]; i_++)                           \
            steps[ns].argv[steps[ns].argc++] = a_[i_];                                     \
    } while (0)
#define DEV()                                                                              \
    do {                                                                                   \
        for (int i_ = 0; i_ < ndv; i_++)                                                   \
            steps[ns].argv[steps[ns].argc++] = dv[i_];                                     \
    } while (0)
    memset(steps, 0, sizeof steps);
    if (wanted(only, "devices")) {
        steps[ns].name = "devices", steps[ns].cmd = "devices";
        ADD("devices", "--json");
        ns++;
    }
    if (wanted(only, "micro")) {
        snprintf(p1, sizeof p1, "%s/micro.json", dir);
        snprintf(p2, sizeof p2, "%s/micro.csv", dir);
        steps[ns].name = "micro", steps[ns].cmd = "micro";
        ADD("micro", "--json", p1, "--csv", p2);
        if (!full)
            ADD("--quick");
        DEV();
        ns++;
    }
    if (wanted(only, "train")) {
        snprintf(p3, sizeof p3, "%s/train", dir);
        steps[ns].name = "train", steps[ns].cmd = "train";
        ADD("train", "--problem", "logreg", "--data", data, "--standardize", "--bias",
            "--test-split", "0.3", "--optimizer", "sgd,signsgd,signum,adam", "--lr", "0.01",
            "--batch", "32", "--seed", "1", "--out", p3, "--steps", full ? "3000" : "300");
        DEV();
        ns++;
    }
    static char f1[1200], tb[1200];
    if (wanted(only, "tube") && has_cmd("tube")) {
        snprintf(tb, sizeof tb, "%s/tube", dir);
        steps[ns].name = "tube", steps[ns].cmd = "tube";
        ADD("tube", "--out", tb, "--trials", full ? "1000" : "100");
        DEV();
        ns++;
    }
    if (wanted(only, "figure1") && has_cmd("figure1")) {
        snprintf(f1, sizeof f1, "%s/figure1", dir);
        steps[ns].name = "figure1", steps[ns].cmd = "figure1";
        ADD("figure1", "--out", f1);
        DEV();
        ns++;
    }
    if (wanted(only, "grid")) {
        steps[ns].name = "grid", steps[ns].cmd = "grid";
        ADD("grid", "--data", data, "--out", dir);
        if (!full)
            ADD("--lrs", "1e-4,1e-3,1e-2,1e-1,1", "--wds", "0,1e-3,1e-1", "--momenta",
                "0,0.9");
        DEV();
        ns++;
    }
    if (wanted(only, "sweep")) {
        steps[ns].name = "sweep", steps[ns].cmd = "sweep";
        ADD("sweep", "--problem", "quad", "--out", dir);
        if (full)
            ADD("--dims", "10:100000:5", "--seeds", "3", "--evals", "20000");
        else
            ADD("--dims", "10:1000:3", "--seeds", "2", "--evals", "5000");
        DEV();
        ns++;
    }
#ifdef SB_HAVE_MPI
    /* The vote against adversaries: its --workers runs are the MPI ranks' trace. */
    if (wanted(only, "byzantine") && has_cmd("byzantine")) {
        steps[ns].name = "byzantine", steps[ns].cmd = "byzantine";
        ADD("byzantine", "--out", dir);
        if (!full)
            ADD("--quick");
        DEV();
        ns++;
    }
#endif
    /* --full: the other problem families with known constants, each in its folder. */
    static char *const sw_problem[] = {"quad-rotated", "logreg", "tube"};
    static const char *const sw_name[] = {"sweep-quad-rotated", "sweep-logreg",
                                          "sweep-tube"};
    static char sw_dir[3][1200];
    for (int i = 0; i < 3 && wanted(only, "sweep") && full; i++) {
        snprintf(sw_dir[i], sizeof sw_dir[i], "%s/%s", dir, sw_name[i]);
        steps[ns].name = sw_name[i], steps[ns].cmd = "sweep";
        ADD("sweep", "--problem", sw_problem[i], "--out", sw_dir[i], "--dims", "10:1000:4",
            "--seeds", "3", "--evals", "20000");
        DEV();
        ns++;
    }

    static sb_crossdev_dev xd[SB_MAX_DEVICES];
    if (device_steps(steps, &ns, &set, dir, xd, err))
        return err->code;

    cJSON *summary = cJSON_CreateObject();
    if (!summary)
        return sb_fail(err, SB_ERUNTIME, "suite: out of memory");
    cJSON_AddStringToObject(summary, "schema", "signbench-summary");
    cJSON_AddNumberToObject(summary, "version", 1);
    cJSON_AddStringToObject(summary, "created", stamp);
    cJSON_AddStringToObject(summary, "mode", full ? "full" : "quick");
    cJSON_AddStringToObject(summary, "device", devlabel);
    cJSON *jdevs = cJSON_AddArrayToObject(summary, "devices");
    for (int k = 0; k < set.n; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "index", xd[k].index);
        cJSON_AddStringToObject(o, "name", xd[k].name);
        cJSON_AddStringToObject(o, "dir", xd[k].dir);
        cJSON_AddItemToArray(jdevs, o);
    }
    cJSON_AddStringToObject(summary, "signbench_version", SB_VERSION);
    cJSON *jsteps = cJSON_AddArrayToObject(summary, "steps");
    cJSON *bench = cJSON_AddArrayToObject(summary, "benchmarks");
    cJSON_AddArrayToObject(summary, "figures"); /* extra figures for the report */
    int failed = 0;
    char firstfail[512] = "";
    sb_progress bar;
    sb_progress_start(&bar, "suite", ns);
    for (int i = 0; i < ns; i++) {
        step *st = &steps[i];
        st->argv[st->argc] = NULL;
        char log[1200];
        snprintf(log, sizeof log, "%s/%s.%s", dir, st->name,
                 strcmp(st->name, "devices") ? "log" : "json");
        double secs = 0;
        sb_err e = {0, ""};
        fprintf(stderr, "suite: %s ...\n", st->name);
        int rc = run_cmd(st->cmd, st->argc, st->argv, log, &secs, &e);
        sb_progress_step(&bar, i + 1);
        char cmdline[1024] = "signbench";
        for (int k = 0; k < st->argc; k++) {
            strncat(cmdline, " ", sizeof cmdline - strlen(cmdline) - 1);
            strncat(cmdline, st->argv[k], sizeof cmdline - strlen(cmdline) - 1);
        }
        cJSON *js = cJSON_CreateObject();
        cJSON_AddStringToObject(js, "name", st->name);
        cJSON_AddStringToObject(js, "command", cmdline);
        cJSON_AddStringToObject(js, "status", rc ? "failed" : "ok");
        cJSON_AddNumberToObject(js, "seconds", secs);
        if (rc) {
            cJSON_AddStringToObject(js, "error", e.msg);
            fprintf(stderr, "suite: %s failed: %s\n", st->name, e.msg);
            if (!failed++)
                snprintf(firstfail, sizeof firstfail, "%s: %s", st->name, e.msg);
        }
        cJSON_AddItemToArray(jsteps, js);
    }
    sb_progress_end(&bar);
    static const char *opts[] = {"sgd", "signsgd", "signum", "adam", NULL};
    for (int i = 0; opts[i]; i++)
        add_train(bench, dir, opts[i]);
    add_grid_sweep(bench, dir);
    if (wanted(only, "train")) {
        sb_err pe = {0, ""};
        if (sb_report_train_plot(dir, opts, &pe))
            fprintf(stderr, "suite: no convergence figure: %s\n", pe.msg);
    }
    if (set.n > 1) {
        sb_err xe = {0, ""};
        if (sb_crossdev_write(dir, xd, set.n, &xe))
            fprintf(stderr, "suite: no cross-device comparison: %s\n", xe.msg);
    }
    if (set.n > 1) {
        sb_err xe = {0, ""};
        if (sb_crossdev_write(dir, xd, set.n, &xe))
            fprintf(stderr, "suite: no cross-device comparison: %s\n", xe.msg);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    int rc = sb_json_save(path, summary, err);
    cJSON_Delete(summary);
    if (rc)
        return sb_wrap(err, "suite"); /* the folder keeps its INCOMPLETE mark */
    sb_run_end(dir);
    if ((rc = sb_report_write(dir, err)))
        return sb_wrap(err, "suite");
    char others[64] = "";
    if (set.n > 1)
        snprintf(others, sizeof others, " and %d other device(s)", set.n - 1);
    printf(
        "suite (%s) on %s%s: %d step(s), %d failed\nreport: %s/report.md, %s/report.html\n",
        full ? "full" : "quick", devlabel, others, ns, failed, dir, dir);
    if (failed)
        return sb_fail(err, SB_ERUNTIME, "suite: %d step(s) failed, first %s (see %s)",
                       failed, firstfail, dir);
    return SB_OK;
}
