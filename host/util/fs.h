/* fs.h - files and folders of a run: mkdir -p, a source-tree file found from the binary's
 * location, the UTC stamp and device-name slug that name run folders. */
#ifndef SB_FS_H
#define SB_FS_H

#include <stddef.h>

#include "sb.h"

/* mkdir -p; SB_EUSAGE naming the path when it cannot be created. */
int sb_mkdir_p(const char *path, sb_err *err);
/* A file of the source tree (the data sets under tests/data) for a binary run from
 * anywhere: REL itself when readable, else, for a relative REL, DIR/../REL, DIR/../../REL,
 * ... up to UP levels above the binary's folder DIR. Returns 1 with the path in OUT (CAP
 * bytes), 0 when none is readable (OUT untouched). */
int sb_find_source_file(const char *rel, int up, char *out, size_t cap);

/* "20260101T120000Z" into buf (at least 17 bytes). */
const char *sb_utc_stamp(char *buf, size_t n);
/* Lower-case letters, digits and single dashes from a device name ("pthread-cpu"). */
void sb_slug(const char *in, char *out, size_t n);
/* The default run folder of a command on device: results/runs/<UTC stamp>-<device slug>,
 * with -2, -3, ... appended when a run started in the same second has that name. */
void sb_default_run_dir(const char *device, char *dir, size_t cap);

/* A run folder holds INCOMPLETE from the start of a run until it completes: a run that
 * was interrupted or failed to write its results keeps it, and the report and compare
 * refuse such a folder. sb_run_begin makes the mark (nothing when this process already
 * marked a folder: the outer run owns it); sb_run_end removes the mark sb_run_begin made
 * for DIR. Call sb_run_end only once every result file is written. */
#define SB_RUN_MARKER "INCOMPLETE"
int sb_run_begin(const char *dir, sb_err *err);
void sb_run_end(const char *dir);
/* 1 when PATH (a run folder, or a file in one) is marked INCOMPLETE: PATH's folder or
 * one of the SB_RUN_DEPTH folders above it holds the mark (a file of a step's subfolder,
 * train/ or devices/P-D/, belongs to the run). */
#define SB_RUN_DEPTH 2
int sb_run_incomplete(const char *path);
/* 1 when DIR is the folder this process marked and has not yet ended: the run writing
 * its own last files (the suite's report) may read a folder that is still marked. */
int sb_run_marked_here(const char *dir);

#endif
