/* fuzz_compare.c - libFuzzer target: compare's reader of result files (Google Benchmark
 * JSON, signbench summaries; sb_cmp_parse in host/study/compare.c, which parses through
 * sb_json_parse), then a comparison of the file with itself. */
#include <stdint.h>
#include <stdlib.h>

#include "compare.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_cmp_set set;
    sb_err err;
    if (sb_cmp_parse("fuzz", (const char *)data, size, &set, &err) == SB_OK) {
        sb_cmp_opts o = {.threshold = 0.05, .alpha = 0.05};
        sb_cmp_result r;
        if (sb_cmp_run(&set, &set, &o, &r, &err) == SB_OK)
            sb_cmp_result_free(&r);
        sb_cmp_set_free(&set);
    }
    return 0;
}
