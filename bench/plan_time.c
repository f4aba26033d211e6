/* plan_time.c: how long the planner takes (issue 5 acceptance: all layers of
 * MobileNetV1-1.0 at 128x128 for gap8 in < 100 ms). `make bench-plan` runs
 * it; it prints the best of 5 runs per model and target, with and without
 * the DORY-objective comparison, and exits non-zero above the limit. */
#include <stdio.h>
#include <string.h>

#include "../tests/unit/models.h"
#include "plan/plan.h"

static double best_of(const Graph *g, const Target *t, int compare, Plan **keep)
{
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        PlanOptions o = {OBJ_EXACT, compare};
        Plan *p = plan_graph(g, t, &o);
        if (!p) return -1;
        if (p->plan_ms < best) best = p->plan_ms;
        if (r == 4 && keep)
            *keep = p;
        else
            plan_free(p);
    }
    return best;
}

int main(int argc, char **argv)
{
    int verbose = argc > 1 && !strcmp(argv[1], "-v");
    int rc = 0;
    const char *targets[] = {"gap8", "gap9"};
    for (int i = 0; i < model_count(); i++) {
        const char *name;
        Graph *g = model_build(i, &name);
        if (!g) return 1;
        for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
            Target t;
            target_builtin(targets[k], &t);
            Plan *p = NULL;
            double ms = best_of(g, &t, 0, &p);
            double ms2 = best_of(g, &t, 1, NULL);
            printf("plan_time %-22s %-5s layers %3d  exact %7.2f ms  exact+dory %7.2f ms  "
                   "status %s  %.0f cycles\n",
                   name, t.name, g->nnodes, ms, ms2, p ? plan_status_name(p->status) : "?",
                   p ? p->total_cycles : 0.0);
            if (verbose && p) plan_print(stdout, p);
            if (i == 0 && k == 0 && ms > 100.0) {
                printf("FAIL: %s on %s took %.2f ms (limit 100 ms)\n", name, t.name, ms);
                rc = 1;
            }
            plan_free(p);
        }
        graph_free(g);
    }
    return rc;
}
