/* fuzz_common.h: what the whole-pipeline fuzz targets share (fuzz_target.c,
 * fuzz_pipeline.c). Header-only: each target is one translation unit linked
 * with the compiler's sources (mk/fuzz.mk).
 */
#ifndef DORY_FUZZ_COMMON_H
#define DORY_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "ir/ir.h"
#include "plan/plan.h"

/* A planner result its independent checker rejects is a bug in dory, not bad
 * input: the fuzzer must stop on it. */
static inline void fuzz_require_plan_ok(const Plan *p)
{
    char msg[512];
    if (p->status == PLAN_OK && plan_check(p, msg, sizeof msg)) {
        fprintf(stderr, "fuzz: plan_check rejects the planner's plan: %s\n", msg);
        abort();
    }
}

/* Graphs whose reference run (the code generator's golden data) would take
 * the fuzzer's time: nothing wrong with them, just too large to fuzz. */
static inline int fuzz_graph_small(const Graph *g, int64_t max_elems)
{
    int64_t n = 0;
    for (int i = 0; i < g->ntensors; i++) {
        int64_t e = tensor_numel(g->tensors[i]);
        if (e < 0 || e > max_elems) return 0;
        n += e;
        if (n > max_elems) return 0;
    }
    return 1;
}

#endif
