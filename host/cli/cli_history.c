/* cli_history.c - `signbench history`: add result files to the SQLite history, show a
 * benchmark's stored values with their change point, plot the trends (history.c). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "compare.h"
#include "history.h"

static const char help[] =
    "usage: signbench history [--db FILE] add [--commit C] [--host H] RUN_DIR|FILE...\n"
    "       signbench history [--db FILE] show NAME [--metric M]\n"
    "       signbench history [--db FILE] plot [--out DIR] [--metric M] [NAME]\n\n"
    "Keeps every result in a SQLite database (default results/history.sqlite): per file\n"
    "its git commit, device, date and host, and per benchmark and metric the median of\n"
    "its repetitions. Files are what `signbench compare` reads: micro's JSON, train\n"
    "summaries and train --json output, suite's summary.json.\n\n"
    "  add FILE|DIR...  add files (a folder: its *.json result files; others are skipped\n"
    "                   with a note) in one transaction: all or nothing, so an\n"
    "                   interrupted add leaves no half row. A file already stored (same\n"
    "                   content) is skipped. --commit / --host override the file's own\n"
    "                   (context.git_commit, else this build's; host_name, else this\n"
    "                   machine's)\n"
    "  show NAME        values of the benchmarks whose name contains NAME, oldest first,\n"
    "                   per metric (those compare knows, or --metric M) and device, with\n"
    "                   the series' change point\n"
    "  plot [NAME]      per benchmark, metric and device with 2 or more results a trend\n"
    "                   figure DIR/<name>.png and .svg (gnuplot) and one self-contained\n"
    "                   page DIR/index.html (default DIR results/history)\n\n"
    "Change points: CUSUM change-point analysis (Taylor 2000) on the log values: the\n"
    "split after the largest |cumulative sum of deviations from the mean|; its confidence\n"
    "is the share of 1000 seeded permutations whose CUSUM range is smaller. At 0.95 or\n"
    "more the change is reported with the commit of the first result after it.\n\n"
    "Exit status: 0 done, 1 runtime failure (a database locked by another process past\n"
    "3 s, gnuplot missing), 2 bad usage or input (unreadable or malformed file, a file\n"
    "that is not a signbench history, an unknown schema version, a corrupt database).\n";

/* Result files of a folder (its *.json, sorted); files that are no results skipped. */
static int dir_files(const char *dir, char ***out, int *n, sb_err *err)
{
    struct dirent **ents;
    int ne = scandir(dir, &ents, NULL, alphasort);
    if (ne < 0)
        return sb_fail(err, SB_EUSAGE, "history add: cannot read folder %s", dir);
    *out = calloc((size_t)ne + 1, sizeof **out);
    *n = 0;
    for (int i = 0; i < ne; i++) {
        const char *nm = ents[i]->d_name;
        size_t len = strlen(nm);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        sb_cmp_set s;
        sb_err e;
        if (*out && len > 5 && !strcmp(nm + len - 5, ".json")) {
            if (sb_cmp_load(path, &s, &e) == SB_OK) {
                sb_cmp_set_free(&s);
                (*out)[(*n)++] = strdup(path);
            } else {
                fprintf(stderr, "signbench: history add: skipping %s (%s)\n", path, e.msg);
            }
        }
        free(ents[i]);
    }
    free(ents);
    if (!*out)
        return sb_fail(err, SB_ERUNTIME, "history add: out of memory");
    return *n ? SB_OK : sb_fail(err, SB_EUSAGE, "history add: no result files in %s", dir);
}

static int cmd_add(sb_hist *h, int argc, char **argv, sb_err *err)
{
    sb_hist_meta m = {0};
    char **files = NULL;
    int nf = 0, cap = 0, st = SB_OK;
    for (int i = 0; i < argc && st == SB_OK; i++) {
        if ((!strcmp(argv[i], "--commit") || !strcmp(argv[i], "--host")) && i + 1 < argc) {
            *(argv[i][2] == 'c' ? &m.commit : &m.host) = argv[i + 1];
            i++;
            continue;
        }
        if (argv[i][0] == '-') {
            st = sb_fail(err, SB_EUSAGE, "history add: unknown option '%s'", argv[i]);
            break;
        }
        struct stat sbuf;
        char **more = NULL;
        int nm = 0;
        if (stat(argv[i], &sbuf) == 0 && S_ISDIR(sbuf.st_mode))
            st = dir_files(argv[i], &more, &nm, err);
        else {
            more = calloc(1, sizeof *more);
            if (more)
                more[nm++] = strdup(argv[i]);
        }
        if (st == SB_OK && nf + nm > cap) {
            cap = 2 * (nf + nm) + 8;
            char **f = realloc(files, (size_t)cap * sizeof *f);
            if (f)
                files = f;
            else
                st = sb_fail(err, SB_ERUNTIME, "history add: out of memory");
        }
        for (int k = 0; k < nm; k++)
            if (st == SB_OK)
                files[nf++] = more[k];
            else
                free(more[k]);
        free(more);
    }
    if (st == SB_OK && nf == 0)
        st = sb_fail(err, SB_EUSAGE, "history add: expected RUN_DIR or FILE");
    int added = 0, skipped = 0;
    if (st == SB_OK)
        st = sb_hist_add(h, (const char *const *)files, nf, &m, &added, &skipped, err);
    if (st == SB_OK)
        printf("history: added %d file%s, %d already stored\n", added,
               added == 1 ? "" : "s", skipped);
    for (int i = 0; i < nf; i++)
        free(files[i]);
    free(files);
    return st;
}

static void print_series(const sb_hist_point *p, int n)
{
    printf("\n%s  %s  on %s\n", p->name, p->metric, p->device);
    printf("  %-6s %-22s %-14s %-16s %14s %5s\n", "run", "date", "commit", "host", "value",
           "reps");
    double *v = malloc((size_t)n * sizeof *v);
    int m = 0;
    for (int i = 0; i < n; i++) {
        printf("  %-6ld %-22.22s %-14.14s %-16.16s %14.6g %5d\n", p[i].run, p[i].date,
               p[i].commit, p[i].host, p[i].value, p[i].n);
        if (v && isfinite(p[i].value))
            v[m++] = p[i].value;
    }
    sb_changepoint cp;
    sb_err e;
    if (v && m >= 4 && sb_hist_changepoint(v, m, &cp, &e) == SB_OK) {
        if (cp.found)
            printf("  CUSUM change point (confidence %.3f): from result %d on (commit %s), "
                   "mean %.4g -> %.4g (x%.3f)\n",
                   cp.confidence, cp.index + 1, p[cp.index].commit, cp.before, cp.after,
                   cp.after / cp.before);
        else
            printf("  no change point (CUSUM confidence %.3f < 0.95)\n", cp.confidence);
    }
    free(v);
}

static int cmd_show(sb_hist *h, int argc, char **argv, sb_err *err)
{
    const char *name = NULL, *metric = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--metric") && i + 1 < argc)
            metric = argv[++i];
        else if (argv[i][0] == '-' || name)
            return sb_fail(err, SB_EUSAGE, "history show: unexpected '%s'", argv[i]);
        else
            name = argv[i];
    }
    if (!name)
        return sb_fail(err, SB_EUSAGE,
                       "history show: expected NAME (a part of a benchmark "
                       "name)");
    sb_hist_point *p;
    int n, st = sb_hist_query(h, name, metric, &p, &n, err);
    if (st != SB_OK)
        return st;
    if (n == 0)
        st = sb_fail(err, SB_EUSAGE, "history show: no stored benchmark matches '%s'%s%s",
                     name, metric ? " with metric " : "", metric ? metric : "");
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && !strcmp(p[j].name, p[i].name) &&
               !strcmp(p[j].metric, p[i].metric) && !strcmp(p[j].device, p[i].device))
            j++;
        if (metric || sb_cmp_direction(p[i].metric)) /* not n, bytes, ... */
            print_series(p + i, j - i);
        i = j;
    }
    free(p);
    return st;
}

static int cmd_plot(sb_hist *h, int argc, char **argv, sb_err *err)
{
    const char *name = NULL, *metric = NULL, *dir = "results/history";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--metric") && i + 1 < argc)
            metric = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] == '-' || name)
            return sb_fail(err, SB_EUSAGE, "history plot: unexpected '%s'", argv[i]);
        else
            name = argv[i];
    }
    int nfig = 0, st = sb_hist_plot(h, dir, name, metric, &nfig, err);
    if (st == SB_OK)
        printf("history: %d figure%s in %s, page %s/index.html\n", nfig,
               nfig == 1 ? "" : "s", dir, dir);
    return st;
}

int sb_cmd_history(int argc, char **argv, sb_err *err)
{
    const char *db = "results/history.sqlite";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return sb_cli_help(help);
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else
            return sb_fail(err, SB_EUSAGE, "history: unknown option '%s' (see --help)",
                           argv[i]);
    }
    if (i >= argc)
        return sb_fail(err, SB_EUSAGE, "history: expected add, show or plot (see --help)");
    const char *sub = argv[i++];
    for (int k = i; k < argc; k++)
        if (!strcmp(argv[k], "--help"))
            return sb_cli_help(help);
    int add = !strcmp(sub, "add");
    if (!add && strcmp(sub, "show") && strcmp(sub, "plot"))
        return sb_fail(err, SB_EUSAGE, "history: unknown subcommand '%s' (add, show, plot)",
                       sub);
    if (add) { /* the default folder may not exist yet */
        char parent[1024];
        snprintf(parent, sizeof parent, "%s", db);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = 0;
            mkdir(parent, 0777);
        }
    }
    sb_hist *h;
    int st = sb_hist_open(db, add, &h, err);
    if (st != SB_OK)
        return st;
    if (add)
        st = cmd_add(h, argc - i, argv + i, err);
    else if (!strcmp(sub, "show"))
        st = cmd_show(h, argc - i, argv + i, err);
    else
        st = cmd_plot(h, argc - i, argv + i, err);
    sb_hist_close(h);
    return st;
}
