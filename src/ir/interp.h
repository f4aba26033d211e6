/* interp.h: the reference interpreter, the one source of truth for golden
 * activations. Executes a verified graph with exactly the arithmetic of the
 * integer contract (src/ir/quant.c), straightforward loops, no tiling.
 *
 * Must not depend on a target, a plan or the kernel library.
 */
#ifndef DORY_IR_INTERP_H
#define DORY_IR_INTERP_H

#include "ir.h"

/* Values of every activation tensor, as int32 in HWC storage order. */
typedef struct InterpState {
    const Graph *g;
    int32_t **values; /* indexed by tensor id; NULL for constants */
} InterpState;

/* Called after each node; return non-zero to stop. */
typedef int (*InterpHook)(void *ctx, const InterpState *s, const Node *n, int index);

/* inputs[i] holds graph input i, HWC order, numel elements. Runs the graph
 * and fills s. -1 with a diagnostic on error (e.g. an op whose arithmetic is
 * not implemented). Free with interp_free(). */
int interp_run(const Graph *g, const int32_t *const *inputs, InterpState *s, InterpHook hook,
               void *ctx);
void interp_free(InterpState *s);

/* Runs a single node on given buffers (used by the kernel tests). `ins` are
 * the activation inputs in node input order (constants are read from the
 * graph), `out` receives numel(out tensor) values. */
int interp_node(const Graph *g, const Node *n, const int32_t *const *ins, int32_t *out);

#endif
