/* train_print.c - `signbench train`'s console output: one row per optimiser (final and best
 * f, smallest gradient norm, budget used, status), theorem bounds, worker devices. */
#include "train_print.h"

#include <stdio.h>

static void print_table(const sb_train_result *rs, int n, int has_acc)
{
    printf("%-11s %13s %13s %11s %9s %10s %8s", "optimizer", "f_final", "f_best",
           "grad1_min", "steps", "evals", "time_s");
    if (has_acc)
        printf(" %8s", "test_acc");
    printf("  %s\n", "status");
    for (int i = 0; i < n; i++) {
        const sb_train_result *r = &rs[i];
        printf("%-11s %13.6g %13.6g %11.4g %9llu %10llu %8.3f", r->optimizer, r->f_final,
               r->f_best, r->grad1_min, (unsigned long long)r->steps,
               (unsigned long long)r->evals, r->time_s);
        if (has_acc) {
            if (r->has_test_accuracy)
                printf(" %8.4f", r->test_accuracy);
            else
                printf(" %8s", "-");
        }
        if (r->diverged)
            printf("  DIVERGED: %s\n", r->diverged_reason);
        else if (r->has_target)
            printf(r->reached ? "  target at step %llu (%llu evals)\n"
                              : "  target not reached\n",
                   (unsigned long long)r->steps_to_target,
                   (unsigned long long)r->evals_to_target);
        else
            printf("  ok\n");
    }
    for (int i = 0; i < n; i++) {
        const sb_train_result *r = &rs[i];
        if (!r->has_theory)
            continue;
        if (r->theorem[8] == '1')
            printf("%s: %s: E[min norm1(grad)] <= %.6g (loose form %.6g); measured min "
                   "norm1 %.6g\n",
                   r->optimizer, r->theorem, r->theory_bound, r->theory_bound_loose,
                   r->theory_measured);
        else
            printf("%s: %s: E[min norm2(grad)^2] <= %.6g; measured min norm2^2 %.6g\n",
                   r->optimizer, r->theorem, r->theory_bound, r->theory_measured);
    }
}

/* --worker-devices: per worker the time computing, idle, and the step time alone. */
static void print_workers(const sb_train_result *r)
{
    if (!r->nworker_devices)
        return;
    printf("%s on %d worker devices: %.3f ms per step together; largest |x_w - x_0| %.3g\n",
           r->optimizer, r->nworker_devices, r->worker_step_s * 1e3, r->worker_x_diff);
    printf("  %-3s %-6s %-32s %12s %12s %18s\n", "w", "device", "name", "compute s",
           "idle s", "alone ms/step");
    for (int w = 0; w < r->nworker_devices; w++) {
        const sb_worker_figures *f = &r->worker_dev[w];
        printf("  %-3d %-6s %-32.32s %12.4f %12.4f %18.3f\n", w, f->index, f->name,
               f->compute_s, f->idle_s, f->alone_step_s * 1e3);
    }
}

void sb_train_print(const sb_train_runs *r, uint64_t seed)
{
    printf("train: %s, d = %zu, seed %llu, on %s\n", r->rs[0].problem, r->rs[0].d,
           (unsigned long long)seed, r->device);
    print_table(r->rs, r->n, r->has_acc);
    for (int i = 0; i < r->n; i++)
        print_workers(&r->rs[i]);
    printf("traces and summaries in %s/\n", r->dir);
}
