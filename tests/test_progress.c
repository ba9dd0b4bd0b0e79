/* test_progress.c - the progress bar's line: never as wide as the terminal (so it cannot
 * wrap), the bar shrinking before the text is cut, and the time left from the work done. */
#include <string.h>

#include "progress.h"
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

int main(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = sb_test_tcase(s, "progress", 0);
    tcase_add_test(tc, never_wraps);
    tcase_add_test(tc, time_left_from_work);
    return sb_test_run(s);
}
