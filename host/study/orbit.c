/* orbit.c - exact cycle detection on integer vectors (Brent's algorithm, both phases) and
 * Wilson confidence intervals for the orbit probabilities of `signbench tube --study`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "orbit.h"

int sb_brent_init(sb_brent *b, size_t d, const int *z0)
{
    b->d = d;
    b->saved = malloc(sizeof(int) * (d ? d : 1));
    if (!b->saved)
        return -1;
    memcpy(b->saved, z0, sizeof(int) * d);
    b->power = 1;
    b->lam = 1;
    b->period = 0;
    return 0;
}

int sb_brent_push(sb_brent *b, const int *z)
{
    if (b->period)
        return 1;
    if (!memcmp(z, b->saved, sizeof(int) * b->d)) {
        b->period = b->lam;
        return 1;
    }
    /* The tortoise jumps to the hare at powers of two, so once it sits on the cycle and
     * power >= period, the hare meets it after exactly `period` steps. */
    if (b->power == b->lam) {
        memcpy(b->saved, z, sizeof(int) * b->d);
        b->power *= 2;
        b->lam = 0;
    }
    b->lam++;
    return 0;
}

void sb_brent_free(sb_brent *b)
{
    free(b->saved);
    b->saved = NULL;
}

long sb_cycle_entry(size_t d, const int *z0, long period, void (*step)(int *z, void *ctx),
                    void *ctx, long max_steps)
{
    size_t n = d ? d : 1;
    int *t = malloc(sizeof(int) * n), *h = malloc(sizeof(int) * n);
    long mu = -1;
    if (t && h) {
        memcpy(t, z0, sizeof(int) * d);
        memcpy(h, z0, sizeof(int) * d);
        for (long i = 0; i < period; i++)
            step(h, ctx);
        for (long k = 0; k <= max_steps; k++) {
            if (!memcmp(t, h, sizeof(int) * d)) {
                mu = k;
                break;
            }
            step(t, ctx);
            step(h, ctx);
        }
    }
    free(t);
    free(h);
    return mu;
}

void sb_wilson(long k, long n, double z, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double p = (double)k / (double)n, z2 = z * z, nn = (double)n;
    double den = 1 + z2 / nn;
    double mid = (p + z2 / (2 * nn)) / den;
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / den;
    *lo = mid - half < 0 ? 0 : mid - half;
    *hi = mid + half > 1 ? 1 : mid + half;
}
