/* passes.h: IR-to-IR transformations, run in a fixed order by passes_run().
 * Each pass lives in its own file and keeps the graph valid; in debug builds
 * (DORY_DEBUG) or with --verify-each the verifier runs after every pass, in
 * release once at the end.
 */
#ifndef DORY_PASSES_H
#define DORY_PASSES_H

#include "ir/ir.h"

typedef struct PassOptions {
    int verify_each;         /* verify after every pass (always in DORY_DEBUG) */
    const char *print_after; /* pass name: print the IR text after it to stdout */
    int requant_fixed;       /* --requant fixed: FLOAT requants become FIXED */
    int requant_exact;       /* --requant exact: FLOAT, QLADD computed in integers */
} PassOptions;

typedef struct Pass {
    const char *name;
    const char *description;
    int (*run)(Graph *g);                /* 0 ok, -1 with diagnostics */
    int (*when)(const PassOptions *opt); /* NULL: always; else runs if it returns 1 */
} Pass;

int passes_run(Graph *g, const PassOptions *opt);
const Pass *passes_list(int *count);

/* The passes. */
int pass_fold_pad(Graph *g);
int pass_fold_select(Graph *g);
int pass_dce(Graph *g);
int pass_float_to_fixed(Graph *g);
int pass_float_to_exact(Graph *g);

#endif
