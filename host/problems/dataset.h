/* dataset.h - labelled data for logistic regression (LIBSVM, CSV) and the CSV number reader
 * shared with --points and rotations; synthetic data, split, standardise, bias, LIBSVM out. */
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

/* Built-in data sets, embedded in the binary at build time (host/util/embed.py), so a copied
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
/* The largest LIBSVM feature index read (a larger one is refused at its line). */
#define SB_LIBSVM_MAX_INDEX 100000000
/* A dense LIBSVM matrix over this many bytes with under 1 % nonzeros is refused. */
#define SB_DENSE_SPARSE_MAX ((double)(256 << 20))
/* A cap on the dense matrix a reader may allocate (rows x features floats, plus labels),
 * checked before allocating it; the readers always cap at half the host memory. */
typedef struct sb_dataset_limit {
    size_t bytes;     /* 0: no cap beyond the host's */
    const char *what; /* the cap in messages: "the device's largest allocation" */
} sb_dataset_limit;
int sb_dataset_read_libsvm_max(const char *path, const sb_dataset_limit *lim,
                               sb_dataset *ds, sb_err *err);
/* The LIBSVM parser itself: text (NUL-terminated, cut in place) named path in messages. */
int sb_dataset_parse_libsvm(const char *path, char *text, const sb_dataset_limit *lim,
                            sb_dataset *ds, sb_err *err);
/* CSV: numbers separated by commas; the label in column label_col (0-based); a first
 * line that is not numeric is a header and skipped. Labels as for LIBSVM. */
int sb_dataset_read_csv(const char *path, int label_col, sb_dataset *ds, sb_err *err);
/* Read by format ("libsvm", "csv", or NULL: csv if the name ends in .csv). All three
 * readers accept a built-in name (e.g. "breast-cancer") in place of a path. */
int sb_dataset_read(const char *path, const char *format, int label_col, sb_dataset *ds,
                    sb_err *err);
int sb_dataset_read_max(const char *path, const char *format, int label_col,
                        const sb_dataset_limit *lim, sb_dataset *ds, sb_err *err);

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

/* Rows of numbers separated by commas ('#' lines and blank lines skipped), the one reader
 * behind --points, the CSV data reader and rotation files. Errors name file:line. */
typedef struct sb_csv_opts {
    int header;         /* 1: a first line that is not numeric is a header and skipped */
    int blank_sep;      /* 1: blanks separate numbers too ("1 2, 3"); a trailing comma is
                           refused. 0: exactly one comma between numbers */
    size_t cols;        /* columns every row must have, or 0: as many as the first row */
    size_t max_rows;    /* refuse (at its line) a row past this many, or 0: any number */
    const char *dim;    /* name of cols / max_rows in messages, e.g. "d" */
    const char *expect; /* wording of a wrong column count: "%zu columns, EXPECT DIM = %zu",
                           e.g. "the problem has" (only when cols > 0) */
    const char *prefix; /* put before "file:line" in every message ("rotation "), or NULL */
    const char *what;   /* context of a file that cannot be read ("--points"), or NULL */
} sb_csv_opts;

/* Parse text (NUL-terminated, modified in place), named name in messages: *data gets
 * *rows x *cols doubles, row-major (NULL and 0 rows when there are none: callers decide
 * whether that is an error); the caller frees *data. */
int sb_csv_parse_numbers(const char *name, char *text, const sb_csv_opts *o, double **data,
                         size_t *rows, size_t *cols, sb_err *err);
/* Read the file path and parse it as sb_csv_parse_numbers does. */
int sb_csv_read_numbers(const char *path, const sb_csv_opts *o, double **data, size_t *rows,
                        size_t *cols, sb_err *err);

/* The next line of a NUL-terminated text (cut in place at its '\n'), or NULL at the end;
 * empty lines are returned too, so callers count lines right for file:line errors. */
char *sb_next_line(char **cursor);

#endif
