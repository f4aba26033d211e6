/* codegen.h: the code generator: writes the application folder of
 * docs/ARCHITECTURE.md from a verified graph and its plan.
 *
 * It decides nothing about memory: tile sizes, buffer offsets and L2
 * addresses come from the Plan; golden data comes from the reference
 * interpreter. Output is deterministic: the same graph, plan and options give
 * byte-identical files.
 */
#ifndef DORY_CODEGEN_H
#define DORY_CODEGEN_H

#include "ir/ir.h"
#include "plan/plan.h"

/* What the application checks against the reference interpreter:
 * SUMS every layer by checksum (default), ALL every layer in full (the first
 * differing byte is reported), LAST the output layer in full, NONE nothing. */
typedef enum { CHECK_SUMS = 0, CHECK_ALL, CHECK_LAST, CHECK_NONE } CheckMode;

typedef struct CodegenOptions {
    const char *out_dir;          /* application folder, created if missing */
    CheckMode check;              /* which layers the app verifies, and how */
    const int32_t *const *inputs; /* graph inputs, HWC; the golden run uses them */
    const char *input_desc;       /* where the input came from, for the README */
} CodegenOptions;

/* Writes the application. 0, or -1 with a diagnostic naming the node and op
 * the generator cannot handle. */
int codegen_app(const Graph *g, const Plan *p, const CodegenOptions *opt);

#endif
