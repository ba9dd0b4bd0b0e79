/* train_print.h - `signbench train`'s console output: the runs side by side, the theorems'
 * bounds beside the measured norms, the per-device worker figures. */
#ifndef SB_TRAIN_PRINT_H
#define SB_TRAIN_PRINT_H

#include <stdint.h>

#include "train_runs.h"

/* The table of r's runs on stdout (seed: the runs' seed, for the head line). */
void sb_train_print(const sb_train_runs *r, uint64_t seed);

#endif
