/* testutil.h - shared by the Check suites: open the default device inside a test (never
 * before Check forks) and skip the whole suite with exit 77 when no device exists. */
#ifndef SB_TESTUTIL_H
#define SB_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "ocl.h"

/* Exit 77 (meson's "skipped") when the machine has no OpenCL device at all. Uses only
 * clGetPlatformIDs/clGetDeviceIDs, which create no OpenCL objects. */
static inline void sb_test_require_device(void)
{
    sb_devref *list = NULL;
    int n = 0;
    sb_err e;
    if (sb_devices_list(&list, &n, &e) != SB_OK || n == 0) {
        fprintf(stderr, "no OpenCL device: skipping\n");
        free(list);
        exit(77);
    }
    free(list);
}

/* Open the default device (or $SIGNBENCH_DEVICE) inside a test; fails the test if it
 * cannot. */
static inline void sb_test_open(sb_ctx *ctx, const sb_opts *o)
{
    sb_err e = {0, ""};
    int st = sb_ctx_open(ctx, o, &e);
    ck_assert_msg(st == SB_OK, "sb_ctx_open: %s", e.msg);
}

/* Add a test case named NAME to S and return it for tcase_add_test; TIMEOUT seconds when
 * above 0, else Check's default (CK_DEFAULT_TIMEOUT). */
static inline TCase *sb_test_tcase(Suite *s, const char *name, double timeout)
{
    TCase *tc = tcase_create(name);
    if (timeout > 0)
        tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

/* Run one suite and map the result to an exit status. */
static inline int sb_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
