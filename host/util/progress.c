/* progress.c - the progress bar on stderr, drawn only when stderr is a terminal, so
 * logs and pipes never see it; one line that never wraps, one bar at a time. */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"
#include "sb.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Bars started while another is shown (a suite step's own bar) stay hidden: two bars
 * would take turns on one line. */
static volatile sig_atomic_t shown;

/* Columns of the terminal on stderr; 80 when it does not say. */
static int columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

void sb_progress_start(sb_progress *p, const char *label, long total)
{
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->done = 0;
    p->t0 = p->last = sb_now();
    p->on = isatty(STDERR_FILENO) && !shown;
    if (p->on) {
        shown = 1;
        /* Output that ended without a newline must not share the bar's line. */
        fflush(stdout);
    }
}

/* "label [####....] 42%  3.1s elapsed, ~4s left" cut to width - 1 columns (never the
 * last column: some terminals wrap there). */
int sb_progress_format(const sb_progress *p, double now, int width, char *out, size_t n)
{
    double frac = (double)p->done / (double)p->total;
    if (frac > 1)
        frac = 1;
    if (frac < 0)
        frac = 0;
    double el = now - p->t0, eta = frac > 0 ? el / frac - el : 0;
    char tail[96];
    if (frac > 0.02 || el > 5)
        snprintf(tail, sizeof tail, " %3.0f%%  %.1fs elapsed, ~%.0fs left", 100 * frac, el,
                 eta);
    else
        snprintf(tail, sizeof tail, " %3.0f%%  %.1fs elapsed", 100 * frac, el);
    int room = width - 1 - (int)strlen(p->label) - (int)strlen(tail) - 3;
    int bar = room > 40 ? 40 : room;
    char b[48] = "";
    if (bar >= 5) {
        int fill = (int)(frac * bar);
        for (int i = 0; i < bar; i++)
            b[i] = i < fill ? '#' : '.';
        b[bar] = '\0';
        snprintf(out, n, "%s [%s]%s", p->label, b, tail);
    } else {
        snprintf(out, n, "%s%s", p->label, tail);
    }
    size_t cap = width > 1 ? (size_t)(width - 1) : 0;
    if (strlen(out) > cap && cap < n)
        out[cap] = '\0';
    return (int)strlen(out);
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
    char line[512];
    sb_progress_format(p, now, columns(), line, sizeof line);
    /* \r, the line, then erase to its end (what a longer earlier line left). */
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
}

void sb_progress_end(sb_progress *p)
{
    if (!p->on)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    p->on = 0;
    shown = 0;
}

void sb_progress_clear(void)
{
    if (!shown)
        return;
    static const char erase[] = "\r\033[K";
    ssize_t w = write(STDERR_FILENO, erase, sizeof erase - 1);
    (void)w;
}
