/* progress.c - the progress bar on stderr, drawn only when stderr is a terminal, so
 * logs and pipes never see it. */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"
#include "sb.h"

#include <stdio.h>
#include <unistd.h>

void sb_progress_start(sb_progress *p, const char *label, long total)
{
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->done = 0;
    p->t0 = p->last = sb_now();
    p->on = isatty(STDERR_FILENO);
}

void sb_progress_step(sb_progress *p, long done)
{
    p->done = done;
    if (!p->on)
        return;
    double now = sb_now();
    if (now - p->last < 0.1 && done < p->total)
        return;
    p->last = now;
    double frac = (double)done / (double)p->total;
    if (frac > 1)
        frac = 1;
    int width = 30, fill = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double el = now - p->t0, eta = frac > 0 ? el / frac - el : 0;
    fprintf(stderr, "\r%-14s [%s] %3.0f%%  %5.1fs elapsed, ~%.0fs left ", p->label, bar,
            100 * frac, el, eta);
    fflush(stderr);
}

void sb_progress_end(sb_progress *p)
{
    if (!p->on)
        return;
    fprintf(stderr, "\r%*s\r", 78, "");
    fflush(stderr);
}
