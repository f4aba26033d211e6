/* fold_pad.c: folds every `pad` node into what consumes it: another pad with
 * the same value (the pads add up), a convolution or average pool (the value
 * must be the input's zero point, which is what their padding adds), or a
 * max pool (the value must never win: at most the least value the input can
 * take). Frontends emit a pad node for a source Pad op and leave the fusion
 * to this pass.
 *
 * No kernel pads, so a pad that cannot be folded is an error naming both
 * nodes, never left for the planner. The folded pads' tensors are removed
 * (the other tensors keep their order). Must not change any other node.
 */
#include "passes.h"

#include "ir/verify.h"

/* Explains why consumer c cannot absorb pad p; 0 if it can. */
static int refuse(Graph *g, const Node *p, const Node *c)
{
    const Tensor *x = graph_tensor(g, p->in[0]);
    DiagLoc loc = node_loc(g, c);
    int v = (int)p->pad_value;
    switch (c->op) {
    case OP_PAD:
        if (c->pad_value != p->pad_value)
            return diag_error(loc, "two Pads with different values (%d and %d)", v,
                              (int)c->pad_value);
        return 0;
    case OP_CONV2D:
    case OP_AVGPOOL:
        if (c->global) return diag_error(loc, "Pad before global pooling is not supported");
        if (v != x->zp)
            return diag_error(loc,
                              "Pad value %d is not the input's zero point; it cannot be folded", v);
        if (c->op == OP_AVGPOOL && !c->count_include_pad)
            return diag_error(loc, "average pooling with padding excluded from the count is not "
                                   "supported");
        return 0;
    case OP_MAXPOOL: {
        if (c->global) return diag_error(loc, "Pad before global pooling is not supported");
        int64_t lo, hi;
        verify_input_range(g, p->in[0], &lo, &hi);
        if (v > lo)
            return diag_error(loc,
                              "Pad value %d can exceed the input of this MaxPool (its range "
                              "starts at %lld); it cannot be folded",
                              v, (long long)lo);
        return 0;
    }
    default:
        return diag_error(loc,
                          "pad '%s' cannot be folded into a %s (only into convolutions, "
                          "pools and pads)",
                          p->name, op_name(c->op));
    }
}

/* Folds pad p into each consumer; -1 if one cannot take it. */
static int fold_one(Graph *g, int at, const Node *p)
{
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i] == p->out)
            return diag_error(node_loc(g, p), "a padded tensor cannot be a graph output");
    for (int i = at + 1; i < g->nnodes; i++) {
        Node *c = g->nodes[i];
        for (int k = 0; k < c->nin; k++) {
            if (c->in[k] != p->out) continue;
            if (k != 0) return diag_error(node_loc(g, c), "a padded tensor must be input 0");
            if (refuse(g, p, c)) return -1;
            c->in[0] = p->in[0];
            for (int j = 0; j < 4; j++) c->pad[j] += p->pad[j];
        }
    }
    return 0;
}

/* ---- Removing the folded pads' tensors ------------------------------------- */

static void renumber(int *id, int gone)
{
    if (*id > gone) (*id)--;
}

static void renumber_rq(Requant *r, int gone)
{
    renumber(&r->k, gone), renumber(&r->l, gone), renumber(&r->mult, gone);
    renumber(&r->shift, gone), renumber(&r->scale, gone);
}

/* Removes tensor `gone`, which nothing references any more. */
static void drop_tensor(Graph *g, int gone)
{
    for (int i = gone; i + 1 < g->ntensors; i++) {
        g->tensors[i] = g->tensors[i + 1];
        g->tensors[i]->id = i;
    }
    g->ntensors--;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        for (int k = 0; k < n->nin; k++) renumber(&n->in[k], gone);
        renumber(&n->out, gone);
        renumber_rq(&n->rq, gone);
        renumber_rq(&n->in_rq[0], gone), renumber_rq(&n->in_rq[1], gone);
    }
    for (int i = 0; i < g->ninputs; i++) renumber(&g->inputs[i], gone);
    for (int i = 0; i < g->noutputs; i++) renumber(&g->outputs[i], gone);
}

int pass_fold_pad(Graph *g)
{
    int kept = 0, npads = 0;
    int *gone = arena_alloc_array(&g->arena, (size_t)g->nnodes + 1, sizeof(int));
    if (!gone) return -1;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->op != OP_PAD) {
            g->nodes[kept++] = n;
            continue;
        }
        if (fold_one(g, i, n)) return -1;
        int j = npads++; /* kept in ascending order */
        for (; j > 0 && gone[j - 1] > n->out; j--) gone[j] = gone[j - 1];
        gone[j] = n->out;
    }
    g->nnodes = kept;
    for (int i = 0; i < kept; i++) g->nodes[i]->id = i;
    if (npads == 0) return 0;
    while (npads > 0) drop_tensor(g, gone[--npads]); /* highest id first: ids stay valid */
    return graph_reindex_tensors(g);
}
