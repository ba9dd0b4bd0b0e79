/* rotation.c - orthogonal matrices for the rotated problems: seeded Haar-random ones
 * (Philox normals, LAPACKE QR with sign fix) and ones read from a CSV file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "dataset.h"
#include "oracle.h"
#include "rotation.h"

int sb_rotation_haar(size_t d, uint64_t seed, double *Q, sb_err *err)
{
    if (d == 0)
        return sb_fail(err, SB_EUSAGE, "rotation: dimension must be at least 1");
    if (d > 46340)
        return sb_fail(err, SB_EUSAGE,
                       "rotation: d = %zu is too large for a dense d x d "
                       "rotation (at most 46340)",
                       d);
    double *tau = malloc(d * sizeof *tau), *diag = malloc(d * sizeof *diag);
    if (!tau || !diag) {
        free(tau);
        free(diag);
        return sb_fail(err, SB_ERUNTIME, "rotation: out of memory for d = %zu", d);
    }
    sb_normals(seed, SB_STREAM_ROTATION, 0, d * d, Q);
    lapack_int n = (lapack_int)d;
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, n, Q, n, tau);
    if (info == 0) {
        for (size_t i = 0; i < d; i++)
            diag[i] = Q[i * d + i];
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, n, n, n, Q, n, tau);
    }
    if (info != 0) {
        free(tau);
        free(diag);
        return sb_fail(err, SB_ERUNTIME, "rotation: LAPACKE QR failed (info %d)",
                       (int)info);
    }
    /* Haar measure needs R with a positive diagonal: flip the matching columns of Q. */
    for (size_t j = 0; j < d; j++)
        if (diag[j] < 0.0)
            for (size_t i = 0; i < d; i++)
                Q[i * d + j] = -Q[i * d + j];
    free(tau);
    free(diag);
    return SB_OK;
}

double sb_rotation_orth_error(size_t d, const double *Q)
{
    double worst = 0.0;
    for (size_t a = 0; a < d; a++)
        for (size_t b = a; b < d; b++) {
            double s = 0.0;
            for (size_t i = 0; i < d; i++)
                s += Q[i * d + a] * Q[i * d + b];
            double e = fabs(s - (a == b ? 1.0 : 0.0));
            if (!(e <= worst)) /* also catches NaN */
                worst = isnan(e) ? INFINITY : e;
        }
    return worst;
}

void sb_matvec(size_t d, const double *Q, const double *x, double *y)
{
    for (size_t i = 0; i < d; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += Q[i * d + j] * x[j];
        y[i] = s;
    }
}

void sb_matvec_t(size_t d, const double *Q, const double *x, double *y)
{
    for (size_t j = 0; j < d; j++)
        y[j] = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            y[j] += Q[i * d + j] * x[i];
}

int sb_rotation_read(const char *path, size_t d, double *Q, sb_err *err)
{
    const sb_csv_opts opts = {.blank_sep = 1,
                              .cols = d,
                              .max_rows = d,
                              .dim = "d",
                              .expect = "expected",
                              .prefix = "rotation ",
                              .what = "rotation"};
    double *m = NULL;
    size_t rows = 0, cols = 0;
    int st = sb_csv_read_numbers(path, &opts, &m, &rows, &cols, err);
    if (st != SB_OK)
        return st;
    if (rows != d) {
        free(m);
        return sb_fail(err, SB_EUSAGE, "rotation %s: %zu rows, expected d = %zu", path,
                       rows, d);
    }
    memcpy(Q, m, d * d * sizeof *Q);
    free(m);
    double e = sb_rotation_orth_error(d, Q);
    if (!(e <= 1e-5))
        return sb_fail(err, SB_EUSAGE,
                       "rotation %s: not orthogonal (max |Q^T Q - I| = %.3g "
                       "> 1e-5); give an orthogonal d x d matrix",
                       path, e);
    return SB_OK;
}
