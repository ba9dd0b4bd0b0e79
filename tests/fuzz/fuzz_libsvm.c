/* fuzz_libsvm.c - libFuzzer target: the LIBSVM parser (host/problems/dataset.c) on any
 * bytes, with a 16 MiB cap on the dense matrix it may build. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "kernels.h"
#include "ocl.h"

/* No built-in data sets in the fuzz build (dataset.c names these). */
const sb_source sb_builtin_data[1];
const int sb_builtin_data_count = 0;
/* oracle.c's device half is not linked in: the two helpers it names. */
const char *sb_cl_strerror(cl_int e)
{
    return e ? "error" : "CL_SUCCESS";
}
size_t sb_round_up(size_t n, size_t local)
{
    return local ? (n + local - 1) / local * local : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sb_dataset_limit lim = {(size_t)16 << 20, "the fuzz cap"};
    sb_dataset ds;
    sb_err err;
    if (sb_dataset_parse_libsvm("fuzz", text, &lim, &ds, &err) == SB_OK) {
        if (ds.n == 0 || ds.d == 0 || !ds.X || !ds.y)
            abort();
        for (size_t i = 0; i < ds.n; i++)
            if (ds.y[i] != 1.0f && ds.y[i] != -1.0f)
                abort();
        sb_dataset_free(&ds);
    } else if (!memchr(err.msg, '\0', sizeof err.msg) || !err.msg[0]) {
        abort(); /* every refusal has a message */
    }
    free(text);
    return 0;
}
