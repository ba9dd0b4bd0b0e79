/* fuzz_csv.c - libFuzzer target: the CSV number reader (host/problems/dataset.c) behind
 * --points, CSV data and rotation files, in its three configurations (first byte picks). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "kernels.h"
#include "ocl.h"

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
    if (size < 1)
        return 0;
    static const sb_csv_opts opts[3] = {
        {.header = 1},                                            /* CSV data */
        {.blank_sep = 1, .cols = 3, .max_rows = 3, .dim = "d"},   /* a rotation, d = 3 */
        {.cols = 2, .dim = "d", .expect = "the problem has", .prefix = "--points "},
    };
    const sb_csv_opts *o = &opts[data[0] % 3];
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    double *v = NULL;
    size_t rows = 0, cols = 0;
    sb_err err;
    if (sb_csv_parse_numbers("fuzz", text, o, &v, &rows, &cols, &err) == SB_OK) {
        if ((o->cols && rows && cols != o->cols) || (o->max_rows && rows > o->max_rows))
            abort();
        for (size_t i = 0; i < rows * cols; i++)
            if (!(v[i] == v[i]))
                abort(); /* NaN never read */
        free(v);
    }
    free(text);
    return 0;
}
