/* dataset.h - labelled data for logistic regression: LIBSVM and CSV readers (errors name
 * file:line), seeded synthetic data, split, standardisation, bias, LIBSVM writer. */
#ifndef SB_DATASET_H
#define SB_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "sb.h"

/* Dense rows (row-major n x d floats) and labels in {-1, +1}. */
typedef struct sb_dataset {
    size_t n, d;
    float *X, *y;
} sb_dataset;

/* Built-in data sets, embedded in the binary at build time (host/embed.py), so a copied
 * binary runs from any folder. A built-in name given as a path reads the embedded copy
 * (a file of that name can still be read as ./NAME). */
#define SB_DATASET_DEFAULT "breast-cancer"
/* Two lines for --help (each command indents them): the built-in names and where the
 * data comes from. */
#define SB_DATASET_BUILTIN_ABOUT                                                           \
    "built-in breast-cancer: Breast Cancer Wisconsin (Diagnostic)"
#define SB_DATASET_BUILTIN_SOURCE                                                          \
    "569 x 30, UCI ML Repository (Street, Wolberg, Mangasarian 1995)"
/* The data set that grid and suite use when no --data is given. */
const char *sb_dataset_default_name(void);
/* 1 when name is a built-in data set. */
int sb_dataset_is_builtin(const char *name);

/* LIBSVM text: "label idx:value ..." with 1-based increasing indices; d is the largest
 * index seen. Exactly two distinct labels are required: the smaller becomes -1, the
 * larger +1 (so {0,1}, {1,2} and {-1,+1} all work). */
int sb_dataset_read_libsvm(const char *path, sb_dataset *ds, sb_err *err);
/* CSV: numbers separated by commas; the label in column label_col (0-based); a first
 * line that is not numeric is a header and skipped. Labels as for LIBSVM. */
int sb_dataset_read_csv(const char *path, int label_col, sb_dataset *ds, sb_err *err);
/* Read by format ("libsvm", "csv", or NULL: csv if the name ends in .csv). All three
 * readers accept a built-in name (e.g. "breast-cancer") in place of a path. */
int sb_dataset_read(const char *path, const char *format, int label_col, sb_dataset *ds,
                    sb_err *err);

/* n rows of d standard normals (Philox stream SB_STREAM_DATA, step 0), a planted
 * w* ~ N(0, I/d) (step 1), y = sign(x.w*) (+1 at 0), each label flipped with
 * probability noise (stream SB_STREAM_LABEL). */
int sb_dataset_synthetic(size_t n, size_t d, uint64_t seed, double noise, sb_dataset *ds,
                         sb_err *err);

/* Split off a seeded-random fraction of the rows into test (round(n * frac) rows, at
 * least one row stays in train). */
int sb_dataset_split(sb_dataset *train, double frac, uint64_t seed, sb_dataset *test,
                     sb_err *err);
/* Scale each feature to mean 0, variance 1 with train's statistics (constant features
 * are only centred); applied to test too when given. */
void sb_dataset_standardize(sb_dataset *train, sb_dataset *test);
/* Append a constant-1 feature. */
int sb_dataset_add_bias(sb_dataset *ds, sb_err *err);
/* Write as LIBSVM text (zeros omitted), e.g. for liblinear-train. */
int sb_dataset_write_libsvm(const sb_dataset *ds, const char *path, sb_err *err);
void sb_dataset_free(sb_dataset *ds);

/* The next line of a NUL-terminated text (cut in place at its '\n'), or NULL at the end;
 * empty lines are returned too, so callers count lines right for file:line errors. */
char *sb_next_line(char **cursor);

#endif
