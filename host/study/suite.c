/* suite.c - the engine of `signbench suite`: plans the steps (the other commands with
 * their arguments and weights), runs them in-process into one folder, writes summary.json. */
#define _POSIX_C_SOURCE 200809L
#include "suite.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset.h"
#include "fs.h"
#include "json.h"
#include "progress.h"

const char *const sb_suite_step_names[] = {
    "devices", "micro", "train", "tube", "figure1", "grid", "sweep", "byzantine", NULL};
const char *const sb_suite_train_optimizers[] = {"sgd", "signsgd", "signum", "adam", NULL};

/* ---- options ------------------------------------------------------------------------ */

int sb_suite_wanted(const char *only, const char *step)
{
    if (!only)
        return 1;
    size_t n = strlen(step);
    for (const char *p = only; (p = strstr(p, step)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

int sb_suite_check_only(const char *only, sb_err *err)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", only);
    for (char *s = NULL, *t = strtok_r(buf, ",", &s); t; t = strtok_r(NULL, ",", &s)) {
        int ok = 0;
        for (int i = 0; sb_suite_step_names[i]; i++)
            ok |= !strcmp(t, sb_suite_step_names[i]);
        if (!ok)
            return sb_fail(err, SB_EUSAGE,
                           "suite: --only: unknown step '%s' (devices, "
                           "micro, train, tube, figure1, grid, sweep, byzantine)",
                           t);
    }
    return SB_OK;
}

/* A suite never writes into an earlier run's folder, since its summary and report are
 * built from every file there (stale results would mix in). */
int sb_suite_dir_busy(const char *dir)
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
/* 1 when dir holds a suite's summary.json; else 0 and why (missing, unreadable or not
 * JSON with the reader's words, another schema). */
static int is_run_folder(const char *dir, char *why, size_t cap)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *j = NULL;
    sb_err e = {0, ""};
    if (access(path, R_OK)) {
        snprintf(why, cap, "no summary.json");
        return 0;
    }
    if (sb_json_load(path, &j, &e) != SB_OK) {
        snprintf(why, cap, "%s", e.msg);
        return 0;
    }
    const char *schema = cJSON_GetStringValue(cJSON_GetObjectItem(j, "schema"));
    int ok = schema && !strcmp(schema, "signbench-summary");
    cJSON_Delete(j);
    if (!ok)
        snprintf(why, cap, "summary.json without schema signbench-summary");
    return ok;
}

int sb_suite_check_run_folder(const char *dir, sb_err *err)
{
    if (access(dir, R_OK | X_OK))
        return sb_fail(err, SB_EUSAGE, "suite: --report-only %s: no such run folder", dir);
    if (sb_run_incomplete(dir))
        return sb_fail(err, SB_EUSAGE,
                       "suite: --report-only %s: the run did not finish "
                       "(%s/%s is there): its results are partial; run the suite again",
                       dir, dir, SB_RUN_MARKER);
    char why[400];
    if (!is_run_folder(dir, why, sizeof why))
        return sb_fail(err, SB_EUSAGE,
                       "suite: --report-only %s: not a suite run folder (%s)", dir, why);
    return SB_OK;
}

/* ---- the plan ----------------------------------------------------------------------- */

/* The weights: the seconds each step takes, estimates. The quick ones were measured once,
 * with `suite --quick` on PoCL on 2 cores of an AMD EPYC shared with other jobs (load
 * about 5): devices 0.0 s, micro 167, train 1.2, tube 1.1, figure1 1.1, grid 6.0, sweep
 * 23, byzantine 18 (micro is two thirds of the run, so step counts made the bar's time
 * left far too short after it). The full ones are scaled from those by the work each
 * does (steps, trials, grid cells, sizes), not measured. Only their ratios matter: the
 * bar extrapolates the time left from the share of this work done. */
typedef struct step_weight {
    const char *name;
    long quick, full;
} step_weight;
static const step_weight weights[] = {
    {"devices", 1, 1},        {"micro", 167, 1700},   {"train", 1, 12},
    {"tube", 1, 10},          {"figure1", 1, 1},      {"grid", 6, 18},
    {"sweep", 23, 300},       {"byzantine", 18, 100}, {"sweep-quad-rotated", 0, 180},
    {"sweep-logreg", 0, 180}, {"sweep-tube", 0, 180},
};

static long weight_of(const char *name, int full)
{
    for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++)
        if (!strcmp(weights[i].name, name))
            return full ? weights[i].full : weights[i].quick;
    return 1;
}

/* A new step running command cmd (also its argv[0]) under name. */
static sb_suite_step *new_step(sb_suite *s, const char *name, const char *cmd)
{
    sb_suite_step *st = &s->steps[s->ns++];
    memset(st, 0, sizeof *st);
    st->name = name;
    st->cmd = cmd;
    st->argv[st->argc++] = (char *)cmd;
    st->weight = weight_of(name, s->full);
    return st;
}

/* Arguments, up to a NULL. */
static void add(sb_suite_step *st, ...)
{
    va_list ap;
    va_start(ap, st);
    for (const char *a; (a = va_arg(ap, const char *)) && st->argc < SB_SUITE_MAX_ARGS - 1;)
        st->argv[st->argc++] = (char *)a;
    va_end(ap);
}

/* Path k of step st: DIR/leaf, kept in s. */
static char *path_of(sb_suite *s, const sb_suite_step *st, int k, const char *leaf)
{
    char *p = s->paths[st - s->steps][k];
    snprintf(p, SB_SUITE_PATH, "%s/%s", s->dir, leaf);
    return p;
}

static int has(const sb_suite *s, const char *cmd)
{
    return s->lookup && s->lookup(cmd) != NULL;
}

/* devices, micro, train, tube, figure1: the device and kernels, the convergence runs. */
static void plan_runs(sb_suite *s)
{
    const char *only = s->only, *dev = s->pidx;
    int full = s->full;
    sb_suite_step *st;
    if (sb_suite_wanted(only, "devices")) {
        st = new_step(s, "devices", "devices");
        add(st, "--json", NULL);
    }
    if (sb_suite_wanted(only, "micro")) {
        st = new_step(s, "micro", "micro");
        add(st, "--json", path_of(s, st, 0, "micro.json"), "--csv",
            path_of(s, st, 1, "micro.csv"), NULL);
        if (!full)
            add(st, "--quick", NULL);
        add(st, "--device", dev, NULL);
    }
    if (sb_suite_wanted(only, "train")) {
        st = new_step(s, "train", "train");
        add(st, "--problem", "logreg", "--data", s->data, "--standardize", "--bias",
            "--test-split", "0.3", "--optimizer", "sgd,signsgd,signum,adam", "--lr", "0.01",
            "--batch", "32", "--seed", "1", "--out", path_of(s, st, 0, "train"), "--steps",
            full ? "3000" : "300", "--device", dev, NULL);
    }
    if (sb_suite_wanted(only, "tube") && has(s, "tube")) {
        st = new_step(s, "tube", "tube");
        add(st, "--out", path_of(s, st, 0, "tube"), "--trials", full ? "1000" : "100",
            "--device", dev, NULL);
    }
    if (sb_suite_wanted(only, "figure1") && has(s, "figure1")) {
        st = new_step(s, "figure1", "figure1");
        add(st, "--out", path_of(s, st, 0, "figure1"), "--device", dev, NULL);
    }
}

/* grid, sweep (with --full also the other problem families, each in its folder),
 * byzantine: the studies. */
static void plan_studies(sb_suite *s)
{
    const char *only = s->only, *dev = s->pidx;
    int full = s->full;
    sb_suite_step *st;
    if (sb_suite_wanted(only, "grid")) {
        st = new_step(s, "grid", "grid");
        add(st, "--data", s->data, "--out", s->dir, NULL);
        if (!full)
            add(st, "--lrs", "1e-4,1e-3,1e-2,1e-1,1", "--wds", "0,1e-3,1e-1", "--momenta",
                "0,0.9", NULL);
        add(st, "--device", dev, NULL);
    }
    if (sb_suite_wanted(only, "sweep")) {
        st = new_step(s, "sweep", "sweep");
        add(st, "--problem", "quad", "--out", s->dir, NULL);
        if (full)
            add(st, "--dims", "10:100000:5", "--seeds", "3", "--evals", "20000", NULL);
        else
            add(st, "--dims", "10:1000:3", "--seeds", "2", "--evals", "5000", NULL);
        add(st, "--device", dev, NULL);
    }
#ifdef SB_HAVE_MPI
    /* The vote against adversaries: its --workers runs are the MPI ranks' trace. */
    if (sb_suite_wanted(only, "byzantine") && has(s, "byzantine")) {
        st = new_step(s, "byzantine", "byzantine");
        add(st, "--out", s->dir, NULL);
        if (!full)
            add(st, "--quick", NULL);
        add(st, "--device", dev, NULL);
    }
#endif
    static const char *const problem[] = {"quad-rotated", "logreg", "tube"};
    static const char *const name[] = {"sweep-quad-rotated", "sweep-logreg", "sweep-tube"};
    for (int i = 0; i < 3 && sb_suite_wanted(only, "sweep") && full; i++) {
        st = new_step(s, name[i], "sweep");
        add(st, "--problem", problem[i], "--out", path_of(s, st, 0, name[i]), "--dims",
            "10:1000:4", "--seeds", "3", "--evals", "20000", "--device", dev, NULL);
    }
}

void sb_suite_plan(sb_suite *s)
{
    s->ns = 0;
    plan_runs(s);
    plan_studies(s);
    s->total = 0;
    for (int i = 0; i < s->ns; i++)
        s->total += s->steps[i].weight;
}

/* With several devices: xd names each device and its folder; every other device gets
 * copies of the first's micro, train and tube steps writing into devices/P-D/. */
static int device_steps(sb_suite *s, sb_err *err)
{
    static const char *const which[] = {"micro", "train", "tube"};
    static const char *const file_opts[] = {"--json", "--csv", "--out"};
    int n0 = s->ns;
    for (int k = 0; k < s->set.n; k++) {
        const sb_devref *d = &s->set.dev[k];
        sb_crossdev_dev *x = &s->xd[k];
        sb_devref_index(d, x->index, sizeof x->index);
        snprintf(x->name, sizeof x->name, "%s", d->name);
        snprintf(x->dir, sizeof x->dir, k ? "devices/%d-%d" : ".", d->platform, d->device);
        if (k == 0)
            continue;
        char xdir[1200];
        snprintf(xdir, sizeof xdir, "%s/%s", s->dir, x->dir);
        if (sb_mkdir_p(xdir, err))
            return sb_wrap(err, "suite");
        for (int t = 0; t < n0; t++)
            for (int w = 0; w < 3; w++) {
                if (strcmp(s->steps[t].name, which[w]))
                    continue;
                int i = s->ns++;
                sb_suite_step *st = &s->steps[i];
                *st = s->steps[t];
                snprintf(s->names[i], sizeof s->names[i], "%s@%d-%d", which[w], d->platform,
                         d->device);
                st->name = s->names[i];
                s->total += st->weight;
                /* the same command; its files go to this device's folder */
                for (int a = 0; a + 1 < st->argc; a++) {
                    if (!strcmp(st->argv[a], "--device"))
                        st->argv[a + 1] = x->index;
                    for (int o = 0; o < 3; o++)
                        if (!strcmp(st->argv[a], file_opts[o])) {
                            const char *base = strrchr(st->argv[a + 1], '/');
                            snprintf(s->paths[i][o], SB_SUITE_PATH, "%.1200s/%.90s", xdir,
                                     base ? base + 1 : st->argv[a + 1]);
                            st->argv[a + 1] = s->paths[i][o];
                        }
                }
            }
    }
    return SB_OK;
}

int sb_suite_prepare(sb_suite *s, const char *device, const char *out, sb_err *err)
{
    /* The devices, resolved once: every step gets the first one's index. */
    if (sb_devset_resolve(device, &s->set, err) != SB_OK)
        return err->code;
    char slug[64];
    snprintf(s->devlabel, sizeof s->devlabel, "%s", s->set.dev[0].name);
    sb_devref_index(&s->set.dev[0], s->pidx, sizeof s->pidx);
    sb_slug(s->devlabel, slug, sizeof slug);
    sb_utc_stamp(s->stamp, sizeof s->stamp);
    if (out)
        snprintf(s->dir, sizeof s->dir, "%s", out);
    else
        sb_default_run_dir(s->devlabel, s->dir, sizeof s->dir);
    if (!out && sb_suite_dir_busy(s->dir))
        return sb_fail(err, SB_EUSAGE,
                       "suite: %s already holds a run (started the same "
                       "second); run again or give --out",
                       s->dir);
    if (sb_mkdir_p(s->dir, err) || sb_run_begin(s->dir, err))
        return sb_wrap(err, "suite");
    /* Breast cancer data: the copy built into the binary, so it runs from any folder. */
    snprintf(s->data, sizeof s->data, "%s", sb_dataset_default_name());
    sb_suite_plan(s);
    return device_steps(s, err);
}

/* ---- running ------------------------------------------------------------------------ */

/* Run command name in-process with its stdout going to the file logpath. */
static int run_cmd(const sb_suite *s, const char *name, int argc, char **argv,
                   const char *logpath, double *secs, sb_err *err)
{
    sb_suite_cmd_fn fn = s->lookup ? s->lookup(name) : NULL;
    if (!fn)
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
    int rc = fn(argc, argv, err);
    *secs = sb_now() - t0;
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    if (rc && !err->msg[0])
        sb_fail(err, rc, "%s failed", name);
    return rc;
}

/* The summary's head: schema, mode, the devices; its lists steps, benchmarks, figures. */
static cJSON *summary_new(const sb_suite *s)
{
    cJSON *summary = cJSON_CreateObject();
    if (!summary)
        return NULL;
    cJSON_AddStringToObject(summary, "schema", "signbench-summary");
    cJSON_AddNumberToObject(summary, "version", 1);
    cJSON_AddStringToObject(summary, "created", s->stamp);
    cJSON_AddStringToObject(summary, "mode", s->full ? "full" : "quick");
    cJSON_AddStringToObject(summary, "device", s->devlabel);
    cJSON *jdevs = cJSON_AddArrayToObject(summary, "devices");
    for (int k = 0; k < s->set.n; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "index", s->xd[k].index);
        cJSON_AddStringToObject(o, "name", s->xd[k].name);
        cJSON_AddStringToObject(o, "dir", s->xd[k].dir);
        cJSON_AddItemToArray(jdevs, o);
    }
    cJSON_AddStringToObject(summary, "signbench_version", SB_VERSION);
    cJSON_AddArrayToObject(summary, "steps");
    cJSON_AddArrayToObject(summary, "benchmarks");
    cJSON_AddArrayToObject(summary, "figures"); /* extra figures for the report */
    return summary;
}

/* Step st, its log, and its row of the summary's steps. */
static void run_step(sb_suite *s, sb_suite_step *st, cJSON *jsteps)
{
    st->argv[st->argc] = NULL;
    char log[1200];
    snprintf(log, sizeof log, "%s/%s.%s", s->dir, st->name,
             strcmp(st->name, "devices") ? "log" : "json");
    double secs = 0;
    sb_err e = {0, ""};
    sb_progress_clear(); /* the line goes above the bar, not onto it */
    fprintf(stderr, "suite: %s ...\n", st->name);
    int rc = run_cmd(s, st->cmd, st->argc, st->argv, log, &secs, &e);
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
        sb_progress_clear();
        fprintf(stderr, "suite: %s failed: %s\n", st->name, e.msg);
        if (!s->failed++)
            snprintf(s->firstfail, sizeof s->firstfail, "%s: %s", st->name, e.msg);
    }
    cJSON_AddItemToArray(jsteps, js);
}

/* DIR/LEAF as JSON; NULL when it is not there (the step did not run or failed). */
static cJSON *load_result(const char *dir, const char *leaf)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, leaf);
    cJSON *j = NULL;
    sb_err e;
    return sb_json_load(path, &j, &e) == SB_OK ? j : NULL;
}

/* A benchmark named name appended to list; returns its metrics object. */
static cJSON *add_bench(cJSON *list, const char *name)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "name", name);
    cJSON_AddItemToArray(list, b);
    return cJSON_AddObjectToObject(b, "metrics");
}

/* Convergence metrics of the train summaries for summary.json's "benchmarks". */
static void add_train(cJSON *list, const char *dir, const char *opt)
{
    char leaf[128], name[128];
    snprintf(leaf, sizeof leaf, "train/train-%s.json", opt);
    cJSON *j = load_result(dir, leaf);
    if (!j)
        return;
    const char *problem = cJSON_GetStringValue(cJSON_GetObjectItem(j, "problem"));
    snprintf(name, sizeof name, "train/%s/%s/seed1", problem ? problem : "?", opt);
    cJSON *m = add_bench(list, name);
    static const char *keys[] = {
        "f_final",       "f_best",          "grad1_min",       "grad2_min",
        "test_accuracy", "steps_to_target", "evals_to_target", NULL};
    for (int i = 0; keys[i]; i++) {
        const cJSON *v = cJSON_GetObjectItem(j, keys[i]);
        if (cJSON_IsNumber(v))
            cJSON_AddNumberToObject(m, keys[i], v->valuedouble);
    }
    cJSON_Delete(j);
}

/* Grid bests as benchmarks (compare --metric test_error tracks them; seeded, so a change
 * is a change of behaviour). */
static void add_grid(cJSON *list, const char *dir)
{
    cJSON *j = load_result(dir, "grid.json");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
    {
        const cJSON *te = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "best"), "test_error");
        const cJSON *name = cJSON_GetObjectItem(o, "name");
        if (!cJSON_IsNumber(te) || !cJSON_IsString(name))
            continue;
        char n[128];
        snprintf(n, sizeof n, "grid/%s/best", name->valuestring);
        cJSON *m = add_bench(list, n);
        cJSON_AddNumberToObject(m, "test_error", te->valuedouble);
        cJSON_AddNumberToObject(m, "robustness",
                                cJSON_GetNumberValue(cJSON_GetObjectItem(o, "robustness")));
    }
    cJSON_Delete(j);
}

/* Sweep minimum norms as benchmarks too (compare --metric min_norm). */
static void add_sweep(cJSON *list, const char *dir)
{
    cJSON *j = load_result(dir, "sweep.json");
    const cJSON *v, *p, *r;
    const char *prob = cJSON_GetStringValue(cJSON_GetObjectItem(j, "problem"));
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "variants"))
    {
        const char *vn = cJSON_GetStringValue(cJSON_GetObjectItem(v, "name"));
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(v, "points"))
        {
            char n[160];
            snprintf(n, sizeof n, "sweep/%s/%s/d=%.0f", prob ? prob : "?", vn ? vn : "?",
                     cJSON_GetNumberValue(cJSON_GetObjectItem(p, "d")));
            cJSON *mn = cJSON_AddArrayToObject(add_bench(list, n), "min_norm");
            cJSON_ArrayForEach(r, cJSON_GetObjectItem(p, "runs"))
            {
                const cJSON *x = cJSON_GetObjectItem(r, "min_norm");
                if (cJSON_IsNumber(x))
                    cJSON_AddItemToArray(mn, cJSON_CreateNumber(x->valuedouble));
            }
        }
    }
    cJSON_Delete(j);
}

int sb_suite_run(sb_suite *s, sb_err *err)
{
    s->summary = summary_new(s);
    if (!s->summary)
        return sb_fail(err, SB_ERUNTIME, "suite: out of memory");
    cJSON *jsteps = cJSON_GetObjectItem(s->summary, "steps");
    sb_progress bar;
    sb_progress_start(&bar, "suite", s->total);
    long done = 0;
    for (int i = 0; i < s->ns; i++) {
        run_step(s, &s->steps[i], jsteps);
        done += s->steps[i].weight;
        sb_progress_step(&bar, done);
    }
    sb_progress_end(&bar);
    cJSON *bench = cJSON_GetObjectItem(s->summary, "benchmarks");
    for (int i = 0; sb_suite_train_optimizers[i]; i++)
        add_train(bench, s->dir, sb_suite_train_optimizers[i]);
    add_grid(bench, s->dir);
    add_sweep(bench, s->dir);
    return SB_OK;
}

int sb_suite_finish(sb_suite *s, sb_err *err)
{
    if (s->set.n > 1) {
        sb_err xe = {0, ""};
        if (sb_crossdev_write(s->dir, s->xd, s->set.n, &xe))
            fprintf(stderr, "suite: no cross-device comparison: %s\n", xe.msg);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", s->dir);
    if (sb_json_save(path, s->summary, err))
        return err->code; /* the folder keeps its INCOMPLETE mark */
    return SB_OK;
}

sb_suite *sb_suite_new(int full, const char *only, sb_suite_lookup_fn lookup)
{
    sb_suite *s = calloc(1, sizeof *s);
    if (s) {
        s->full = full;
        s->only = only;
        s->lookup = lookup;
    }
    return s;
}

void sb_suite_free(sb_suite *s)
{
    if (!s)
        return;
    cJSON_Delete(s->summary);
    free(s);
}
