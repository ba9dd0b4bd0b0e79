/* history.c - the results history in SQLite: schema, transactional adds of result files
 * (read as `compare` reads them), queries, CUSUM change points, trend figures and HTML. */
#define _POSIX_C_SOURCE 200809L
#include "history.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "json.h"
#include "plot.h"
#include "version.h"

struct sb_hist {
    sqlite3 *db;
    char path[512];
};

/* 'SBHI' in PRAGMA application_id marks a signbench history. */
#define APP_ID 0x53424849

static const char schema_sql[] =
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL,"
    " commit_id TEXT NOT NULL, device TEXT NOT NULL, date TEXT NOT NULL, host TEXT NOT NULL,"
    " added TEXT NOT NULL, content_hash TEXT NOT NULL UNIQUE);"
    "CREATE TABLE results(run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL,"
    " metric TEXT NOT NULL, value REAL, n INTEGER NOT NULL,"
    " PRIMARY KEY(run_id, name, metric));"
    "CREATE INDEX results_name ON results(name, metric);";

/* One line for a failed SQLite call: locked -> SB_ERUNTIME, corrupt / not a database ->
 * SB_EUSAGE (the file is not a usable history), anything else SB_ERUNTIME. */
static int db_fail(sb_hist *h, int rc, const char *what, sb_err *err)
{
    int prim = rc & 0xff;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return sb_fail(err, SB_ERUNTIME,
                       "history: %s is locked by another process (%s); "
                       "try again when it has finished",
                       h->path, what);
    if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
        return sb_fail(err, SB_EUSAGE,
                       "history: %s is not a SQLite database or is corrupt "
                       "(%s: %s)",
                       h->path, what, sqlite3_errstr(rc));
    return sb_fail(err, SB_ERUNTIME, "history: %s: %s: %s", h->path, what,
                   h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
}

static int pragma_int(sb_hist *h, const char *sql, long *out, sb_err *err)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(h, rc, "reading the schema", err);
    rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? SB_OK
               : db_fail(h, rc, "reading the schema", err);
}

static int exec(sb_hist *h, const char *sql, const char *what, sb_err *err)
{
    int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SB_OK : db_fail(h, rc, what, err);
}

/* A new file: the schema in one transaction. An old one: its version and marks. */
static int check_schema(sb_hist *h, sb_err *err)
{
    long version, app, tables;
    int st;
    if ((st = pragma_int(h, "PRAGMA user_version", &version, err)) != SB_OK ||
        (st = pragma_int(h, "PRAGMA application_id", &app, err)) != SB_OK ||
        (st = pragma_int(h, "SELECT count(*) FROM sqlite_master", &tables, err)) != SB_OK)
        return st;
    if (tables == 0 && version == 0 && app == 0) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "BEGIN IMMEDIATE;%sPRAGMA user_version = %d;"
                 "PRAGMA application_id = %d;COMMIT;",
                 schema_sql, SB_HIST_SCHEMA, APP_ID);
        st = exec(h, sql, "creating the schema", err);
        if (st != SB_OK)
            sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    if (app != APP_ID)
        return sb_fail(err, SB_EUSAGE,
                       "history: %s is a SQLite database but not a signbench "
                       "history (application_id %ld)",
                       h->path, app);
    if (version != SB_HIST_SCHEMA)
        return sb_fail(err, SB_EUSAGE,
                       "history: %s has schema version %ld; this signbench "
                       "reads version %d only",
                       h->path, version, SB_HIST_SCHEMA);
    char *msg = NULL;
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(h->db, "PRAGMA quick_check", -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(q, 0);
        if (!r || strcmp(r, "ok"))
            msg = strdup(r ? r : "?");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_OK)
        return db_fail(h, rc, "checking the file", err);
    if (msg) {
        st = sb_fail(err, SB_EUSAGE, "history: %s is corrupt (quick_check: %.200s)",
                     h->path, msg);
        free(msg);
        return st;
    }
    return SB_OK;
}

int sb_hist_open(const char *path, int create, sb_hist **out, sb_err *err)
{
    *out = NULL;
    struct stat sbuf;
    if (!create && stat(path, &sbuf) != 0)
        return sb_fail(err, SB_EUSAGE, "history: no database %s (history add creates it)",
                       path);
    sb_hist *h = calloc(1, sizeof *h);
    if (!h)
        return sb_fail(err, SB_ERUNTIME, "history: out of memory");
    snprintf(h->path, sizeof h->path, "%s", path);
    int rc = sqlite3_open_v2(
        path, &h->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
    int st = rc == SQLITE_OK ? SB_OK : db_fail(h, rc, "opening", err);
    if (st == SB_OK) {
        sqlite3_busy_timeout(h->db, 3000);
        st = check_schema(h, err);
    }
    if (st != SB_OK) {
        sb_hist_close(h);
        return st;
    }
    *out = h;
    return SB_OK;
}

void sb_hist_close(sb_hist *h)
{
    if (!h)
        return;
    sqlite3_close(h->db);
    free(h);
}

/* ---- adding ---------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) && v->valuestring && v->valuestring[0] ? v->valuestring : NULL;
}

/* A field of the file's context, top level, or first train run. */
static const char *field(const cJSON *root, const char *k)
{
    const char *s = jstr(cJSON_GetObjectItemCaseSensitive(root, "context"), k);
    if (!s)
        s = jstr(root, k);
    if (!s) {
        const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
        if (cJSON_IsArray(runs))
            s = jstr(cJSON_GetArrayItem(runs, 0), k);
    }
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(const double *v, size_t n)
{
    double *s = malloc(n * sizeof *s);
    if (!s || !n) {
        free(s);
        return NAN;
    }
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}

typedef struct addctx {
    sb_hist *h;
    sqlite3_stmt *find, *run, *res;
    const sb_hist_meta *m;
    char now[40], host[128];
} addctx;

static int insert_results(addctx *a, long run, const sb_cmp_set *set, sb_err *err)
{
    for (size_t i = 0; i < set->n; i++)
        for (int k = 0; k < set->b[i].nm; k++) {
            const sb_cmp_metric *mt = &set->b[i].m[k];
            if (!mt->n)
                continue;
            double v = median_of(mt->v, mt->n);
            sqlite3_reset(a->res);
            sqlite3_bind_int64(a->res, 1, run);
            sqlite3_bind_text(a->res, 2, set->b[i].name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(a->res, 3, mt->name, -1, SQLITE_TRANSIENT);
            if (isfinite(v)) /* an unreached target (inf) is stored as NULL */
                sqlite3_bind_double(a->res, 4, v);
            else
                sqlite3_bind_null(a->res, 4);
            sqlite3_bind_int64(a->res, 5, (sqlite3_int64)mt->n);
            int rc = sqlite3_step(a->res);
            if (rc != SQLITE_DONE)
                return db_fail(a->h, rc, "adding a result", err);
        }
    return SB_OK;
}

static int add_one(addctx *a, const char *path, int *added, sb_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (sb_read_text(path, &text, &len, err) != SB_OK)
        return sb_wrap(err, "history add");
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx",
             (unsigned long long)sb_fnv1a(SB_FNV_INIT, text, len));
    sqlite3_reset(a->find);
    sqlite3_bind_text(a->find, 1, hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(a->find);
    if (rc == SQLITE_ROW) {
        free(text);
        return SB_OK; /* already there */
    }
    if (rc != SQLITE_DONE) {
        free(text);
        return db_fail(a->h, rc, "looking up a file", err);
    }
    cJSON *root = NULL;
    int pst = sb_json_parse(path, text, len, &root, err);
    free(text);
    if (pst != SB_OK)
        return sb_wrap(err, "history add");
    sb_cmp_set set;
    int st = sb_cmp_from_json(root, path, &set, err);
    if (st != SB_OK) {
        cJSON_Delete(root);
        return sb_wrap(err, "history add");
    }
    const char *commit = a->m && a->m->commit ? a->m->commit : field(root, "git_commit");
    const char *host = a->m && a->m->host ? a->m->host : field(root, "host_name");
    const char *date = field(root, "date");
    const char *text_binds[] = {path,
                                set.kind,
                                commit ? commit : SB_GIT_COMMIT,
                                set.device[0] ? set.device : "unknown",
                                date ? date : a->now,
                                host ? host : a->host,
                                a->now,
                                hash};
    sqlite3_reset(a->run);
    for (int i = 0; i < 8; i++)
        sqlite3_bind_text(a->run, i + 1, text_binds[i], -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(a->run);
    cJSON_Delete(root);
    if (rc != SQLITE_DONE)
        st = db_fail(a->h, rc, "adding a run", err);
    else
        st = insert_results(a, (long)sqlite3_last_insert_rowid(a->h->db), &set, err);
    sb_cmp_set_free(&set);
    if (st == SB_OK)
        (*added)++;
    return st;
}

int sb_hist_add(sb_hist *h, const char *const *files, int n, const sb_hist_meta *m,
                int *added, int *skipped, sb_err *err)
{
    *added = *skipped = 0;
    addctx a = {.h = h, .m = m};
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(a.now, sizeof a.now, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    if (gethostname(a.host, sizeof a.host) != 0)
        snprintf(a.host, sizeof a.host, "unknown");
    int st = exec(h, "BEGIN IMMEDIATE", "starting the add", err);
    if (st != SB_OK)
        return st;
    const char *sql[] = {
        "SELECT 1 FROM runs WHERE content_hash = ?1",
        "INSERT INTO runs(source, kind, commit_id, device, date, host, added, content_hash)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        "INSERT INTO results(run_id, name, metric, value, n) VALUES (?1, ?2, ?3, ?4, ?5)"};
    sqlite3_stmt **stmts[] = {&a.find, &a.run, &a.res};
    for (int i = 0; i < 3 && st == SB_OK; i++) {
        int rc = sqlite3_prepare_v2(h->db, sql[i], -1, stmts[i], NULL);
        if (rc != SQLITE_OK)
            st = db_fail(h, rc, "preparing the add", err);
    }
    for (int i = 0; i < n && st == SB_OK; i++) {
        int before = *added;
        st = add_one(&a, files[i], added, err);
        if (st == SB_OK && *added == before)
            (*skipped)++;
    }
    for (int i = 0; i < 3; i++)
        sqlite3_finalize(*stmts[i]);
    if (st == SB_OK)
        st = exec(h, "COMMIT", "committing the add", err);
    if (st != SB_OK) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        *added = 0;
    }
    return st;
}

/* ---- queries --------------------------------------------------------------------- */

static void col(sqlite3_stmt *q, int i, char *out, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(q, i);
    snprintf(out, cap, "%s", s ? (const char *)s : "");
}

int sb_hist_query(sb_hist *h, const char *name, const char *metric, sb_hist_point **pts,
                  int *n, sb_err *err)
{
    *pts = NULL, *n = 0;
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(
        h->db,
        "SELECT r.id, x.name, x.metric, r.device, r.commit_id, r.date, r.host, x.value, x.n"
        " FROM results x JOIN runs r ON r.id = x.run_id"
        " WHERE instr(x.name, ?1) > 0 AND (?2 IS NULL OR x.metric = ?2)"
        " ORDER BY x.name, x.metric, r.device, r.id",
        -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(h, rc, "querying", err);
    sqlite3_bind_text(q, 1, name ? name : "", -1, SQLITE_TRANSIENT);
    if (metric)
        sqlite3_bind_text(q, 2, metric, -1, SQLITE_TRANSIENT);
    int cap = 0, st = SB_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            sb_hist_point *p = realloc(*pts, (size_t)cap * sizeof *p);
            if (!p) {
                st = sb_fail(err, SB_ERUNTIME, "history: out of memory");
                break;
            }
            *pts = p;
        }
        sb_hist_point *p = &(*pts)[(*n)++];
        p->run = (long)sqlite3_column_int64(q, 0);
        col(q, 1, p->name, sizeof p->name);
        col(q, 2, p->metric, sizeof p->metric);
        col(q, 3, p->device, sizeof p->device);
        col(q, 4, p->commit, sizeof p->commit);
        col(q, 5, p->date, sizeof p->date);
        col(q, 6, p->host, sizeof p->host);
        p->value = sqlite3_column_type(q, 7) == SQLITE_NULL ? INFINITY
                                                            : sqlite3_column_double(q, 7);
        p->n = sqlite3_column_int(q, 8);
    }
    if (st == SB_OK && rc != SQLITE_DONE)
        st = db_fail(h, rc, "querying", err);
    sqlite3_finalize(q);
    if (st != SB_OK) {
        free(*pts);
        *pts = NULL, *n = 0;
    }
    return st;
}

/* ---- change points --------------------------------------------------------------- */

static double cusum_range(const double *x, int n, double mean, int *argmax)
{
    double s = 0, lo = 0, hi = 0, best = -1;
    for (int i = 0; i < n; i++) {
        s += x[i] - mean;
        lo = s < lo ? s : lo;
        hi = s > hi ? s : hi;
        if (argmax && fabs(s) > best && i < n - 1) {
            best = fabs(s);
            *argmax = i;
        }
    }
    return hi - lo;
}

int sb_hist_changepoint(const double *x, int n, sb_changepoint *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    out->before = out->after = NAN;
    if (n < 4)
        return SB_OK;
    double *y = malloc(2 * (size_t)n * sizeof *y);
    if (!y)
        return sb_fail(err, SB_ERUNTIME, "history: out of memory");
    int pos = 1;
    for (int i = 0; i < n; i++)
        pos &= x[i] > 0 && isfinite(x[i]);
    double mean = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            free(y);
            return sb_fail(err, SB_EUSAGE, "history: change point: value %d is not finite",
                           i);
        }
        y[i] = pos ? log(x[i]) : x[i];
        mean += y[i] / n;
    }
    int k = 0;
    double obs = cusum_range(y, n, mean, &k);
    double *p = y + n;
    memcpy(p, y, (size_t)n * sizeof *p);
    unsigned long long s = 0x243F6A8885A308D3ULL; /* seeded: the same answer every time */
    int below = 0, perms = 1000;
    for (int t = 0; t < perms; t++) {
        for (int i = n - 1; i > 0; i--) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            int j = (int)((s >> 33) % (unsigned long long)(i + 1));
            double v = p[i];
            p[i] = p[j];
            p[j] = v;
        }
        below += cusum_range(p, n, mean, NULL) < obs;
    }
    out->index = k + 1;
    out->confidence = (double)below / perms;
    out->found = out->confidence >= 0.95;
    double b = 0, a = 0;
    for (int i = 0; i < n; i++)
        *(i < out->index ? &b : &a) += y[i];
    b /= out->index;
    a /= n - out->index;
    out->before = pos ? exp(b) : b;
    out->after = pos ? exp(a) : a;
    free(y);
    return SB_OK;
}
