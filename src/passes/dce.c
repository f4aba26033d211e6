/* dce.c: dead node elimination. A node is live if a graph output depends on
 * it. Tensors are kept (ids are stable); only the node list shrinks.
 */
#include "passes.h"

#include <stdlib.h>

int pass_dce(Graph *g)
{
    char *live = arena_alloc(&g->arena, (size_t)g->ntensors + 1);
    if (!live) return -1;
    for (int i = 0; i < g->noutputs; i++) live[g->outputs[i]] = 1;
    int kept = g->nnodes;
    for (int i = g->nnodes - 1; i >= 0; i--) {
        Node *n = g->nodes[i];
        if (!live[n->out]) {
            g->nodes[i] = NULL;
            kept--;
            continue;
        }
        for (int j = 0; j < n->nin; j++) live[n->in[j]] = 1;
    }
    int k = 0;
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i]) g->nodes[k++] = g->nodes[i];
    g->nnodes = kept;
    return 0;
}
