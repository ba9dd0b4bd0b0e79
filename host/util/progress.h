/* progress.h - a progress bar on stderr for long work, drawn only when stderr is a
 * terminal. */
#ifndef SB_PROGRESS_H
#define SB_PROGRESS_H

/* Progress bar on stderr, drawn only when stderr is a terminal. */
typedef struct sb_progress {
    const char *label;
    long total, done;
    double t0, last;
    int on;
} sb_progress;
void sb_progress_start(sb_progress *p, const char *label, long total);
void sb_progress_step(sb_progress *p, long done);
void sb_progress_end(sb_progress *p);

#endif
