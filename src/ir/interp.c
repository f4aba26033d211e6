/* interp.c: placeholder. */
#include "interp.h"
int interp_run(const Graph *g, const int32_t *const *inputs, InterpState *s, InterpHook hook, void *ctx) { (void)g; (void)inputs; (void)s; (void)hook; (void)ctx; return -1; }
void interp_free(InterpState *s) { (void)s; }
int interp_node(const Graph *g, const Node *n, const int32_t *const *ins, int32_t *out) { (void)g; (void)n; (void)ins; (void)out; return -1; }
