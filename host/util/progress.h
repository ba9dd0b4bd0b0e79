/* progress.h - a progress bar on stderr for long work, drawn only when stderr is a
 * terminal. */
#ifndef SB_PROGRESS_H
#define SB_PROGRESS_H

#include <stddef.h>

/* Progress bar on stderr, drawn only when stderr is a terminal and no other bar is shown.
 * total is in any unit of work (steps, runs, estimated seconds of a weighted suite): the
 * time left is extrapolated from the share of that work done. */
typedef struct sb_progress {
    const char *label;
    long total, done;
    double t0, last;
    int on;
} sb_progress;
void sb_progress_start(sb_progress *p, const char *label, long total);
void sb_progress_step(sb_progress *p, long done);
void sb_progress_end(sb_progress *p);
/* Erase the line of the bar shown, if any, so that a message printed next (an error, the
 * signal handlers' line) does not share it. Async-signal-safe (one write). */
void sb_progress_clear(void);
/* The bar's text at time now for a terminal of width columns, at most width - 1 long
 * (the bar shrinks first, then the text is cut); returns its length. For tests. */
int sb_progress_format(const sb_progress *p, double now, int width, char *out, size_t n);

#endif
