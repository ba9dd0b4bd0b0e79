/* rotation.h - orthogonal matrices for the rotated problems: seeded Haar-random ones
 * (Philox normals, LAPACKE QR) and ones read from a CSV file. */
#ifndef SB_ROTATION_H
#define SB_ROTATION_H

#include <stddef.h>
#include <stdint.h>

#include "sb.h"

/* Q (row-major d x d) Haar-distributed: Gaussian entries (Philox stream
 * SB_STREAM_ROTATION, Box-Muller, seeded), QR by LAPACKE_dgeqrf + LAPACKE_dorgqr, each
 * column multiplied by the sign of R's diagonal entry. */
int sb_rotation_haar(size_t d, uint64_t seed, double *Q, sb_err *err);

/* Q from a CSV file: d rows of d numbers (commas and/or blanks). Refuses (SB_EUSAGE,
 * naming file:line) a malformed file or a matrix with max |Q^T Q - I| > 1e-5. */
int sb_rotation_read(const char *path, size_t d, double *Q, sb_err *err);

/* max_ij |(Q^T Q - I)_ij|. */
double sb_rotation_orth_error(size_t d, const double *Q);

/* y = Q x and y = Q^T x in double (host references). */
void sb_matvec(size_t d, const double *Q, const double *x, double *y);
void sb_matvec_t(size_t d, const double *Q, const double *x, double *y);

#endif
