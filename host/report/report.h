/* report.h - the human report of a suite run (report.md / report.html) and the
 * train-loss figure it embeds. */
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include "sb.h"

/* One figure of the train step's traces (DIR/train/train-<opt>.csv): full objective f
 * against gradient calls for each optimiser found, as DIR/train_loss.{png,svg,dat}.
 * SB_EUSAGE when no trace is there. */
int sb_report_train_plot(const char *dir, const char *const *optimizers, sb_err *err);

/* report.md and report.html (self-contained: PNGs embedded as base64) for a suite run
 * folder, from the files in it (summary.json, micro.json, sweep.json, grid.json, ...). */
int sb_report_write(const char *dir, sb_err *err);

#endif
