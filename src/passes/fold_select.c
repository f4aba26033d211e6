/* fold_select.c: folds channel selections (the exact 1x1 convolutions the
 * ONNX frontend makes of Split, Slice and channel shuffles, y[o] = x[map[o]])
 * into the layer that reads them: a following selection composes with it
 * (x[map1[map2[o]]]), a standard convolution (groups 1) takes the
 * permutation into its weights' input-channel axis (the channels it does not
 * select get the weight zero point, so they add nothing). The selection
 * stays for any other reader; dce removes it when none is left.
 *
 * Must not change a value: padding reads the zero point, which a selection
 * keeps, and no requant or clamp is involved.
 */
#include "passes.h"

#include <stdlib.h>

/* map[o] of a selection node (-1 entries never), or NULL if n is not one. */
static int64_t *selection_map(Graph *g, const Node *n)
{
    if (n->op != OP_CONV2D || n->nin != 2 || n->groups != 1 || n->kernel[0] != 1 ||
        n->kernel[1] != 1 || n->stride[0] != 1 || n->stride[1] != 1 || n->pad[0] || n->pad[1] ||
        n->pad[2] || n->pad[3] || n->rq.scheme != RQ_NONE)
        return NULL;
    const Tensor *x = graph_tensor(g, n->in[0]), *w = graph_tensor(g, n->in[1]);
    const Tensor *y = graph_tensor(g, n->out);
    const DTypeInfo *di = dtype_info(y->dtype);
    if (x->dtype != y->dtype || x->zp != y->zp || n->lo != di->min || n->hi != di->max ||
        !w->is_const || w->zp || w->zps || w->rank != 4)
        return NULL;
    int64_t cout = w->shape[0], cin = w->shape[3];
    int64_t *map = arena_alloc_array(&g->arena, (size_t)cout, sizeof(int64_t));
    if (!map) return NULL;
    for (int64_t o = 0; o < cout; o++) {
        map[o] = -1;
        for (int64_t i = 0; i < cin; i++) {
            int64_t v = tensor_get(w, o * cin + i);
            if (v != 0 && (v != 1 || map[o] >= 0)) return NULL;
            if (v == 1) map[o] = i;
        }
        if (map[o] < 0) return NULL;
    }
    return map;
}

/* Reader n of selection s (map over s's input of cin channels) reads s's
 * input instead: its weights' input channels are permuted. */
static int fold_into(Graph *g, Node *n, const Node *s, const int64_t *map, int64_t cin)
{
    const Tensor *w = graph_tensor(g, n->in[1]);
    int64_t co = w->shape[0], taps = w->shape[1] * w->shape[2], ci = w->shape[3];
    int64_t shape[4] = {co, w->shape[1], w->shape[2], cin}, total = co * taps * cin;
    int64_t *v = arena_alloc_array(&g->arena, (size_t)total, sizeof(int64_t));
    if (!v) return -1;
    for (int64_t c = 0; c < co; c++) {
        int64_t zw = tensor_zp_at(w, c);
        for (int64_t t = 0; t < taps; t++) {
            int64_t *row = v + (c * taps + t) * cin;
            for (int64_t i = 0; i < cin; i++) row[i] = zw;
            for (int64_t o = 0; o < ci; o++) row[map[o]] = tensor_get(w, (c * taps + t) * ci + o);
        }
    }
    char name[256];
    snprintf(name, sizeof name, "%s.%s", w->name, s->name);
    int id = graph_add_const(g, name, w->dtype, 4, shape, v);
    if (id < 0) return -1;
    Tensor *nw = graph_tensor(g, id);
    w = graph_tensor(g, n->in[1]); /* the tensor array may have moved */
    nw->zp = w->zp, nw->zps = w->zps, nw->nzps = w->nzps;
    n->in[1] = id;
    n->in[0] = s->in[0];
    return 0;
}

/* Is n a reader of s's output that can take s's selection? */
static int can_fold(const Graph *g, const Node *n, const Node *s)
{
    if (n->nin < 2 || n->in[0] != s->out || n->op != OP_CONV2D || n->groups != 1) return 0;
    const Tensor *w = graph_tensor(g, n->in[1]);
    return w->is_const && w->rank == 4;
}

int pass_fold_select(Graph *g)
{
    int64_t **maps = arena_alloc_array(&g->arena, (size_t)g->nnodes + 1, sizeof(int64_t *));
    int *prod = arena_alloc_array(&g->arena, (size_t)g->ntensors + 1, sizeof(int));
    if (!maps || !prod) return -1;
    for (int i = 0; i < g->ntensors; i++) prod[i] = -1;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        maps[i] = selection_map(g, n);
        int p = n->in[0] >= 0 ? prod[n->in[0]] : -1;
        if (p >= 0 && maps[p] && can_fold(g, n, g->nodes[p])) {
            const Node *s = g->nodes[p];
            int64_t cin = graph_tensor(g, s->in[1])->shape[3];
            if (fold_into(g, n, s, maps[p], cin)) return -1;
            maps[i] = selection_map(g, n); /* a composed selection is one again */
        }
        prod[n->out] = i;
    }
    return 0;
}
