/* test_history.c - the results history on a temporary SQLite database: add and query,
 * all-or-nothing adds, refused files (another schema version, not a history, corrupt),
 * and CUSUM change points on series with a known shift. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"
#include "testutil.h"

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/sbhist-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A micro file: two repetitions of sgd at n = 1000003 with fraction F and F + 0.02. */
static void micro_file(const char *name, double f, const char *commit, char *path,
                       size_t cap)
{
    char text[1024];
    snprintf(
        text, sizeof text,
        "{\"context\": {\"device\": \"dev-a\", \"git_commit\": \"%s\", \"host_name\": \"h\","
        " \"date\": \"2026-01-01T00:00:00+00:00\"}, \"benchmarks\": ["
        "{\"name\": \"sgd/ocl/1000003/manual_time\", \"run_type\": \"iteration\","
        " \"roofline_fraction\": %.4f, \"real_time\": 1.0},"
        "{\"name\": \"sgd/ocl/1000003/manual_time\", \"run_type\": \"iteration\","
        " \"roofline_fraction\": %.4f, \"real_time\": 1.0}]}",
        commit, f, f + 0.02);
    write_text(name, text, path, cap);
}

START_TEST(add_and_show)
{
    mkdir_tmp();
    char db[128], f1[128], f2[128];
    snprintf(db, sizeof db, "%s/h.sqlite", dir);
    micro_file("a.json", 0.90, "c1", f1, sizeof f1);
    micro_file("b.json", 0.70, "c2", f2, sizeof f2);
    sb_hist *h;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_hist_open(db, 0, &h, &e), SB_EUSAGE); /* show on no database */
    ck_assert_int_eq(sb_hist_open(db, 1, &h, &e), SB_OK);
    const char *files[] = {f1, f2};
    int added, skipped;
    ck_assert_int_eq(sb_hist_add(h, files, 2, NULL, &added, &skipped, &e), SB_OK);
    ck_assert_int_eq(added, 2);
    ck_assert_int_eq(skipped, 0);
    ck_assert_int_eq(sb_hist_add(h, files, 1, NULL, &added, &skipped, &e), SB_OK);
    ck_assert_int_eq(added, 0);
    ck_assert_int_eq(skipped, 1); /* same content: stored once */
    sb_hist_point *p;
    int n;
    ck_assert_int_eq(sb_hist_query(h, "sgd/", "roofline_fraction", &p, &n, &e), SB_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_double_eq_tol(p[0].value, 0.91, 1e-12); /* median of 0.90, 0.92 */
    ck_assert_int_eq(p[0].n, 2);
    ck_assert_str_eq(p[0].commit, "c1");
    ck_assert_str_eq(p[1].commit, "c2");
    ck_assert_str_eq(p[0].device, "dev-a");
    ck_assert_str_eq(p[0].host, "h");
    free(p);
    sb_hist_meta m = {.commit = "override", .host = "other"};
    char f3[128];
    micro_file("c.json", 0.5, "c3", f3, sizeof f3);
    const char *one[] = {f3};
    ck_assert_int_eq(sb_hist_add(h, one, 1, &m, &added, &skipped, &e), SB_OK);
    ck_assert_int_eq(sb_hist_query(h, "nothing", NULL, &p, &n, &e), SB_OK);
    ck_assert_int_eq(n, 0);
    free(p);
    ck_assert_int_eq(sb_hist_query(h, "sgd", "roofline_fraction", &p, &n, &e), SB_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(p[2].commit, "override");
    ck_assert_str_eq(p[2].host, "other");
    free(p);
    sb_hist_close(h);
    /* reopened: the rows persisted */
    ck_assert_int_eq(sb_hist_open(db, 0, &h, &e), SB_OK);
    ck_assert_int_eq(sb_hist_query(h, "sgd", "real_time", &p, &n, &e), SB_OK);
    ck_assert_int_eq(n, 3);
    free(p);
    sb_hist_close(h);
    rm_tmp();
}
END_TEST

/* A malformed second file: the whole add is refused, no run and no result row stays. */
START_TEST(add_is_all_or_nothing)
{
    mkdir_tmp();
    char db[128], good[128], bad[128];
    snprintf(db, sizeof db, "%s/h.sqlite", dir);
    micro_file("good.json", 0.8, "c1", good, sizeof good);
    write_text("bad.json", "{\"benchmarks\": [", bad, sizeof bad);
    sb_hist *h;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_hist_open(db, 1, &h, &e), SB_OK);
    const char *files[] = {good, bad};
    int added = -1, skipped = -1;
    ck_assert_int_eq(sb_hist_add(h, files, 2, NULL, &added, &skipped, &e), SB_EUSAGE);
    ck_assert_int_eq(added, 0);
    sb_hist_point *p;
    int n;
    ck_assert_int_eq(sb_hist_query(h, "", NULL, &p, &n, &e), SB_OK);
    ck_assert_int_eq(n, 0);
    free(p);
    sb_hist_close(h);
    sqlite3 *raw;
    ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_prepare_v2(raw, "SELECT count(*) FROM runs", -1, &q, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(raw);
    rm_tmp();
}
END_TEST

static void make_db(const char *path, const char *sql)
{
    sqlite3 *raw;
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
}

START_TEST(refused_files)
{
    mkdir_tmp();
    char path[128];
    sb_hist *h = NULL;
    sb_err e = {0, ""};
    /* a history of a later schema version */
    snprintf(path, sizeof path, "%s/v2.sqlite", dir);
    make_db(path, "CREATE TABLE runs(id INTEGER); PRAGMA application_id = 1396852809;"
                  "PRAGMA user_version = 2;");
    ck_assert_int_eq(sb_hist_open(path, 1, &h, &e), SB_EUSAGE);
    ck_assert_ptr_null(h);
    ck_assert_ptr_nonnull(strstr(e.msg, "schema version 2"));
    /* someone else's SQLite database */
    snprintf(path, sizeof path, "%s/other.sqlite", dir);
    make_db(path, "CREATE TABLE t(x);");
    ck_assert_int_eq(sb_hist_open(path, 1, &h, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a signbench history"));
    /* not SQLite at all */
    char junk[128];
    write_text("junk.sqlite",
               "this is not a database, just some text long enough to "
               "fill a header of one hundred bytes......................................",
               junk, sizeof junk);
    ck_assert_int_eq(sb_hist_open(junk, 1, &h, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a SQLite database or is corrupt"));
    /* exactly one line */
    ck_assert_ptr_null(strchr(e.msg, '\n'));
    rm_tmp();
}
END_TEST

/* Another connection holds the write lock: an add gives up after the busy timeout with
 * SB_ERUNTIME naming the lock. */
START_TEST(locked_database)
{
    mkdir_tmp();
    char db[128], f1[128];
    snprintf(db, sizeof db, "%s/h.sqlite", dir);
    micro_file("a.json", 0.9, "c1", f1, sizeof f1);
    sb_hist *h;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_hist_open(db, 1, &h, &e), SB_OK);
    sqlite3 *other;
    ck_assert_int_eq(sqlite3_open(db, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    const char *files[] = {f1};
    int added, skipped;
    ck_assert_int_eq(sb_hist_add(h, files, 1, NULL, &added, &skipped, &e), SB_ERUNTIME);
    ck_assert_ptr_nonnull(strstr(e.msg, "locked"));
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    ck_assert_int_eq(sb_hist_add(h, files, 1, NULL, &added, &skipped, &e), SB_OK);
    ck_assert_int_eq(added, 1);
    sb_hist_close(h);
    rm_tmp();
}
END_TEST

/* 30 points around 1.0, then 30 around 0.8 (seeded +-3% noise): the change is found at
 * point 30 with high confidence; a flat noisy series has none. */
START_TEST(changepoint_known_shift)
{
    double x[60], flat[60];
    unsigned long long s = 99;
    for (int i = 0; i < 60; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) * 0x1p-53 * 2 - 1;
        x[i] = (i < 30 ? 1.0 : 0.8) * (1 + 0.03 * u);
        flat[i] = 1 + 0.03 * u;
    }
    sb_changepoint cp;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_hist_changepoint(x, 60, &cp, &e), SB_OK);
    ck_assert_int_eq(cp.found, 1);
    ck_assert_int_eq(cp.index, 30);
    ck_assert(cp.confidence >= 0.99);
    ck_assert_double_eq_tol(cp.after / cp.before, 0.8, 0.02);
    ck_assert_int_eq(sb_hist_changepoint(flat, 60, &cp, &e), SB_OK);
    ck_assert_int_eq(cp.found, 0);
    ck_assert_int_eq(sb_hist_changepoint(x, 3, &cp, &e), SB_OK);
    ck_assert_int_eq(cp.found, 0);
    x[5] = INFINITY;
    ck_assert_int_eq(sb_hist_changepoint(x, 60, &cp, &e), SB_EUSAGE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("history");
    TCase *tc = sb_test_tcase(s, "history", 0);
    tcase_add_test(tc, add_and_show);
    tcase_add_test(tc, add_is_all_or_nothing);
    tcase_add_test(tc, refused_files);
    tcase_add_test(tc, locked_database);
    tcase_add_test(tc, changepoint_known_shift);
    return sb_test_run(s);
}
