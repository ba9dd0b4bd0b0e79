/* test_ocl.c - the OpenCL layer: device selection parsing and matching (pure), build
 * errors reported with a log, program binaries round trip, embedded sources. */
#include <string.h>

#include "kernels.h"
#include "testutil.h"

START_TEST(parse_good)
{
    sb_devspec s;
    sb_err e;
    ck_assert_int_eq(sb_devspec_parse(NULL, &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_DEFAULT);
    ck_assert_int_eq(sb_devspec_parse("GPU", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_TYPE);
    ck_assert(s.type == CL_DEVICE_TYPE_GPU);
    ck_assert_int_eq(sb_devspec_parse("accel", &s, &e), SB_OK);
    ck_assert(s.type == CL_DEVICE_TYPE_ACCELERATOR);
    ck_assert_int_eq(sb_devspec_parse("1:2", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_INDEX);
    ck_assert_int_eq(s.platform, 1);
    ck_assert_int_eq(s.device, 2);
    ck_assert_int_eq(sb_devspec_parse("epyc", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_NAME);
    ck_assert_str_eq(s.name, "epyc");
    /* Not an index: a name that happens to contain a colon. */
    ck_assert_int_eq(sb_devspec_parse("a:b", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_NAME);
}
END_TEST

START_TEST(parse_bad)
{
    sb_devspec s;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_devspec_parse("99999:0", &s, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "out of range"));
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(sb_devspec_parse(longname, &s, &e), SB_EUSAGE);
}
END_TEST

START_TEST(match_rules)
{
    sb_devref list[3];
    memset(list, 0, sizeof list);
    list[0] = (sb_devref){.platform = 0, .device = 0, .type = CL_DEVICE_TYPE_CPU};
    strcpy(list[0].name, "pthread-EPYC");
    list[1] = (sb_devref){.platform = 1, .device = 0, .type = CL_DEVICE_TYPE_ACCELERATOR};
    strcpy(list[1].name, "Stratix 10");
    list[2] = (sb_devref){.platform = 2, .device = 0, .type = CL_DEVICE_TYPE_GPU};
    strcpy(list[2].name, "NVIDIA H200");
    sb_devspec s;
    sb_err e = {0, ""};
    sb_devspec_parse(NULL, &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 2); /* GPU first */
    ck_assert_int_eq(sb_devspec_match(&s, list, 2, &e), 1); /* then accelerator */
    ck_assert_int_eq(sb_devspec_match(&s, list, 1, &e), 0); /* then CPU */
    sb_devspec_parse("cpu", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 0);
    sb_devspec_parse("h200", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 2);
    sb_devspec_parse("1:0", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 1);
    sb_devspec_parse("3:0", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), -1);
    ck_assert_int_eq(e.code, SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "available"));
    ck_assert_ptr_nonnull(strstr(e.msg, "NVIDIA H200"));
    sb_devspec_parse("radeon", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), -1);
    sb_devspec_parse("gpu", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 2, &e), -1);
    ck_assert_int_eq(sb_devspec_match(&s, list, 0, &e), -1);
    ck_assert_int_eq(e.code, SB_ERUNTIME);
}
END_TEST

START_TEST(embedded_sources)
{
    ck_assert_int_ge(sb_embedded_count, 1);
    ck_assert_str_eq(sb_embedded_sources[0].name, "common.cl");
    for (int i = 0; i < sb_embedded_count; i++) {
        ck_assert_uint_eq(strlen(sb_embedded_sources[i].text), sb_embedded_sources[i].len);
        ck_assert_ptr_nonnull(strstr(sb_embedded_sources[i].text, "__kernel") ?
                                  sb_embedded_sources[i].text : "inline-only");
    }
    /* The embedded text equals the file on disk, byte for byte. */
    const char *root = getenv("SB_SOURCE_ROOT");
    if (root) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/kernels", root);
        sb_source *s;
        int n;
        sb_err e;
        ck_assert_int_eq(sb_sources_get(dir, &s, &n, &e), SB_OK);
        for (int i = 0; i < n; i++) {
            ck_assert_uint_eq(s[i].len, sb_embedded_sources[i].len);
            ck_assert(memcmp(s[i].text, sb_embedded_sources[i].text, s[i].len) == 0);
        }
        sb_sources_free(s, n, dir);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ocl");
    TCase *pure = tcase_create("selection");
    tcase_add_test(pure, parse_good);
    tcase_add_test(pure, parse_bad);
    tcase_add_test(pure, match_rules);
    tcase_add_test(pure, embedded_sources);
    suite_add_tcase(s, pure);
    return sb_test_run(s);
}
