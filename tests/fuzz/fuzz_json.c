/* fuzz_json.c - libFuzzer target: the JSON loader of plot, suite and the report
 * (sb_json_parse, host/util/json.c): parse, or one message (deep nesting said so). */
#include <stdint.h>
#include <stdlib.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = NULL;
    sb_err err;
    if (sb_json_parse("fuzz", (const char *)data, size, &j, &err) == SB_OK) {
        char *s = cJSON_PrintUnformatted(j);
        free(s);
        cJSON_Delete(j);
    } else if (j) {
        abort();
    }
    return 0;
}
