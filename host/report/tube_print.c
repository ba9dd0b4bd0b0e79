/* tube_print.c - `signbench tube`'s tables: the batch's settings (reached the minimum,
 * orbits, left the tube set), the orbit study with its intervals, the bench's rates. */
#include "tube_print.h"

#include <stdio.h>

#include "plot.h"

static double num(const cJSON *o, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static double frac(const cJSON *o, const char *k)
{
    return num(cJSON_GetObjectItem(o, k), "fraction");
}

void sb_tube_print_main(const sb_tube_cfg *t, const char *device, const sb_tube_report *r)
{
    const cJSON *set = cJSON_GetObjectItem(r->json, "settings");
    printf("tube d=%ld, %ld trials, %ld steps, %s, rotations %s, domain %s on %s: %.2f s\n",
           t->d, t->trials, t->steps, t->f64 ? "f64" : "f32",
           cJSON_GetStringValue(cJSON_GetObjectItem(set, "rotations")),
           t->strict ? "strict" : "continuation", device, num(r->json, "seconds"));
    if (!t->strict)
        printf("note: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(
                                 cJSON_GetObjectItem(set, "smoothness"), "note")));
    printf("%-34s %8s %8s %8s %8s %8s %12s\n", "setting", "minimum", "orbit", "no-saddle",
           "left", "outside", "median steps");
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(r->json, "results"))
    {
        char l[80], orb[16] = "n/a", oth[16] = "n/a", ms[16] = "-";
        sb_tube_row_label(row, l, sizeof l);
        if (cJSON_IsObject(cJSON_GetObjectItem(row, "saddle_orbit")))
            snprintf(orb, sizeof orb, "%.3f", frac(row, "saddle_orbit"));
        if (cJSON_IsObject(cJSON_GetObjectItem(row, "orbit_not_at_saddle")))
            snprintf(oth, sizeof oth, "%.3f", frac(row, "orbit_not_at_saddle"));
        const cJSON *med =
            cJSON_GetObjectItem(cJSON_GetObjectItem(row, "steps_to_minimum"), "median");
        if (med)
            snprintf(ms, sizeof ms, "%.0f", med->valuedouble);
        printf("%-34s %8.3f %8s %8s %8.3f %8.3f %12s\n", l, frac(row, "reached_minimum"),
               orb, oth, frac(row, "left_domain"), frac(row, "outside_tube_set"), ms);
    }
    printf("(minimum: reached the basin of the minimum; orbit: exact periodic orbit around "
           "a saddle, every point within %g of it (tau, unrotated coordinates); no-saddle: "
           "exact orbit elsewhere, e.g. a step too large for the tube; left: stopped "
           "outside the tube set (strict); outside: ever outside it)\nwritten: "
           "%s/{trajectories.csv,summary.json%s%s}\n",
           SB_TB_SADDLE_RADIUS * num(set, "tau"), r->dir,
           r->ntrace > 0 ? ",traces.csv" : "",
           r->ntrace > 0 && sb_plot_available() ? ",traces.png,traces.svg,traces.dat" : "");
}

void sb_tube_print_orbits(const sb_tube_report *r)
{
    printf("%5s %-16s %6s %22s %22s %22s\n", "d", "variant", "lr", "P(saddle orbit) [95%]",
           "P(trapped) [95%]", "P(no minimum) [95%]");
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(r->json, "rows"))
    {
        const cJSON *so = cJSON_GetObjectItem(row, "saddle_orbit"),
                    *tr = cJSON_GetObjectItem(row, "trapped_at_saddle"),
                    *nm = cJSON_GetObjectItem(row, "never_reached_minimum");
        char ob[40] = "n/a (no lattice)";
        if (cJSON_IsObject(so))
            snprintf(ob, sizeof ob, "%.3f [%.3f,%.3f]", num(so, "fraction"),
                     num(so, "ci95_lo"), num(so, "ci95_hi"));
        printf("%5ld %-16s %6g %22s %9.3f [%.3f,%.3f] %9.3f [%.3f,%.3f]\n",
               (long)num(row, "d"),
               cJSON_GetStringValue(cJSON_GetObjectItem(row, "variant")), num(row, "lr"),
               ob, num(tr, "fraction"), num(tr, "ci95_lo"), num(tr, "ci95_hi"),
               num(nm, "fraction"), num(nm, "ci95_lo"), num(nm, "ci95_hi"));
    }
    printf("written: %s/{orbits.csv,orbits.json,orbits.png,orbits.svg}\n", r->dir);
}

void sb_tube_print_bench(const sb_tube_report *r)
{
    const cJSON *j = r->json;
    printf("tube bench: d=%.0f rotated, %s, %s, %.0f steps on %s\n", num(j, "d"),
           cJSON_GetStringValue(cJSON_GetObjectItem(j, "optimizer")),
           cJSON_GetStringValue(cJSON_GetObjectItem(j, "precision")), num(j, "steps"),
           cJSON_GetStringValue(cJSON_GetObjectItem(j, "device")));
    printf("  batched, B=%.0f, %.0f launches:          %12.4g trajectory-steps/s\n",
           num(j, "batch"), num(j, "batched_launches"), num(j, "batched_steps_per_s"));
    printf("  one trajectory, many steps per launch: %12.4g trajectory-steps/s (x%.1f)\n",
           num(j, "single_many_steps_per_launch_steps_per_s"),
           num(j, "speedup_vs_single_many_steps"));
    printf("  one trajectory, one launch per step:   %12.4g trajectory-steps/s (x%.1f)\n",
           num(j, "single_launch_per_step_steps_per_s"),
           num(j, "speedup_vs_launch_per_step"));
    printf("(x: batched over that; timings on a shared machine are noisy)\n");
}
