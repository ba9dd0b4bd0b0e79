/* test_progress.c - the progress bar's line: never as wide as the terminal (so it cannot
 * wrap), the bar shrinking before the text is cut, and the time left from the work done;
 * the suite's steps weighted by the work they do. */
#include <stdio.h>
#include <string.h>

#include "progress.h"
#include "suite.h"
#include "testutil.h"

static sb_progress bar_at(long done, long total)
{
    sb_progress p = {.label = "suite", .total = total, .done = done, .t0 = 100.0};
    return p;
}

START_TEST(never_wraps)
{
    char line[512];
    sb_progress p = bar_at(3, 10);
    for (int w = 1; w <= 200; w++) {
        int n = sb_progress_format(&p, 110.0, w, line, sizeof line);
        ck_assert_int_eq(n, (int)strlen(line));
        ck_assert_msg(n <= (w > 1 ? w - 1 : 0), "width %d: %d columns: '%s'", w, n, line);
    }
    /* Wide: the whole text with a bar; narrow: no bar, the label and the figures. */
    sb_progress_format(&p, 110.0, 120, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "suite [###"));
    ck_assert_ptr_nonnull(strstr(line, "30%"));
    sb_progress_format(&p, 110.0, 40, line, sizeof line);
    ck_assert_ptr_null(strchr(line, '['));
    ck_assert_ptr_nonnull(strstr(line, "suite  30%"));
}
END_TEST

START_TEST(time_left_from_work)
{
    char line[512];
    /* 30% of the work in 10 s: about 23 s left, whatever the number of steps. */
    sb_progress p = bar_at(300, 1000);
    sb_progress_format(&p, 110.0, 200, line, sizeof line);
    ck_assert_msg(strstr(line, "~23s left") != NULL, "%s", line);
    /* Nothing done yet: no guess. */
    p = bar_at(0, 1000);
    sb_progress_format(&p, 101.0, 200, line, sizeof line);
    ck_assert_ptr_null(strstr(line, "left"));
    /* Past the total: 100%, nothing left. */
    p = bar_at(1200, 1000);
    sb_progress_format(&p, 110.0, 200, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "100%"));
    ck_assert_ptr_nonnull(strstr(line, "~0s left"));
}
END_TEST

static int no_cmd(int argc, char **argv, sb_err *err)
{
    return SB_OK;
}

static sb_suite_cmd_fn every_cmd(const char *name)
{
    return no_cmd;
}

/* The suite's plan without a device: every step weighted, the bar's total their sum. */
static sb_suite *plan(int full)
{
    sb_suite *s = sb_suite_new(full, NULL, every_cmd);
    ck_assert_ptr_nonnull(s);
    snprintf(s->dir, sizeof s->dir, "run");
    snprintf(s->pidx, sizeof s->pidx, "0:0");
    snprintf(s->data, sizeof s->data, "breast-cancer");
    sb_suite_plan(s);
    long sum = 0;
    for (int i = 0; i < s->ns; i++) {
        ck_assert_msg(s->steps[i].weight > 0, "%s has no weight", s->steps[i].name);
        sum += s->steps[i].weight;
    }
    ck_assert_int_eq(sum, s->total);
    return s;
}

START_TEST(suite_weights)
{
    sb_suite *s = plan(0);
    ck_assert_int_ge(s->ns, 7);
    ck_assert_str_eq(s->steps[0].name, "devices");
    ck_assert_str_eq(s->steps[1].name, "micro");
    /* After devices (an instant) the bar is near 0%, not at 1/ns of the way; after
     * micro (the longest quick step) well past 2/ns. */
    sb_progress p = bar_at(s->steps[0].weight, s->total);
    char line[512];
    sb_progress_format(&p, 110.0, 200, line, sizeof line);
    ck_assert_msg(strstr(line, "   0%") || strstr(line, "   1%"), "%s", line);
    ck_assert_double_lt((double)s->steps[0].weight / s->total, 0.5 / s->ns);
    ck_assert_double_gt((double)(s->steps[0].weight + s->steps[1].weight) / s->total,
                        2.0 / s->ns);
    sb_suite_free(s);
    /* --full: the other sweeps are steps of their own, each weighted. */
    s = plan(1);
    int sweeps = 0;
    for (int i = 0; i < s->ns; i++)
        sweeps += !strncmp(s->steps[i].name, "sweep-", 6);
    ck_assert_int_eq(sweeps, 3);
    sb_suite_free(s);
    /* --only: the plan holds just those steps. */
    s = sb_suite_new(0, "train,grid", every_cmd);
    sb_suite_plan(s);
    ck_assert_int_eq(s->ns, 2);
    ck_assert_str_eq(s->steps[0].name, "train");
    ck_assert_str_eq(s->steps[1].name, "grid");
    sb_suite_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = sb_test_tcase(s, "progress", 0);
    tcase_add_test(tc, never_wraps);
    tcase_add_test(tc, time_left_from_work);
    tcase_add_test(tc, suite_weights);
    return sb_test_run(s);
}
