/* plan.c: the planner's driver: geometry of every layer, tensor lifetimes,
 * then L2/L3 placement and tiling (alloc.c), then totals.
 *
 * plan_graph never changes the graph and never exits; failures are
 * recorded per layer (status + sentence) and in Plan.status/message.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan_int.h"

const char *plan_status_name(PlanStatus s)
{
    static const char *const names[] = {"ok",           "no-data",      "l1-too-small",
                                        "l2-too-small", "l3-too-small", "unsupported"};
    return (unsigned)s < DORY_ARRAY_LEN(names) ? names[s] : "?";
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Lifetimes of activations; a reshape's output aliases its input. */
static void plan_lifetimes(Plan *p)
{
    const Graph *g = p->g;
    for (int i = 0; i < g->ntensors; i++) {
        TensorPlan *tp = &p->tensors[i];
        const Tensor *t = g->tensors[i];
        tp->bytes = tensor_bytes(t);
        tp->first = t->is_const ? -1 : (t->producer >= 0 ? t->producer : 0);
        tp->last = tp->first;
        tp->alias = -1;
    }
    for (int n = 0; n < g->nnodes; n++) {
        const Node *node = g->nodes[n];
        if (node->op == OP_RESHAPE) {
            p->tensors[node->out].loc = LOC_ALIAS;
            p->tensors[node->out].alias = node->in[0];
        }
        for (int k = 0; k < node->nin; k++) {
            TensorPlan *tp = &p->tensors[node->in[k]];
            if (tp->first >= 0 && tp->last < n) tp->last = n;
        }
    }
    for (int i = 0; i < g->noutputs; i++) p->tensors[g->outputs[i]].last = g->nnodes - 1;
    /* an alias extends the life of the storage it shares (outputs after inputs) */
    for (int i = g->ntensors - 1; i >= 0; i--) {
        TensorPlan *tp = &p->tensors[i];
        if (tp->loc != LOC_ALIAS) continue;
        int root = tp->alias;
        while (p->tensors[root].loc == LOC_ALIAS) root = p->tensors[root].alias;
        tp->alias = root;
        if (p->tensors[root].last < tp->last) p->tensors[root].last = tp->last;
    }
}

static void plan_layer_geoms(Plan *p)
{
    for (int n = 0; n < p->g->nnodes; n++) {
        const Node *node = p->g->nodes[n];
        LayerPlan *lp = &p->layers[n];
        lp->node = n;
        lp->kernel = plan_select_kernel(p->g, node);
        if (node->op == OP_RESHAPE) {
            lp->status = PLAN_NO_DATA;
            lp->why = "reshape: the output shares the input's storage";
        } else if (plan_geom(p->g, node, &p->target, &lp->geom)) {
            lp->status = PLAN_UNSUPPORTED;
            lp->why =
                arena_printf(&p->arena, "the planner does not handle op '%s'", op_name(node->op));
        } else if (p->opt.no_ci_tiling) {
            lp->geom.ci_tiling = 0;
        }
    }
}

/* The kernel of a tiled layer is the one its tiling was solved for (the
 * tiler may pick a variant, e.g. one-pixel im2col); LayerPlan.kernel is
 * where the choice is recorded for the code generator. */
static void plan_kernels(Plan *p)
{
    for (int n = 0; n < p->nlayers; n++)
        if (p->layers[n].status == PLAN_OK) {
            LayerPlan *lp = &p->layers[n];
            PlanGeom g = lp->geom; /* the requant class of the chosen variant */
            lp->kernel = lp->l1.kernel;
            plan_geom_kernel(&g, lp->kernel);
            lp->geom.rq_class = g.rq_class;
        }
}

static void plan_totals(Plan *p)
{
    for (int n = 0; n < p->nlayers; n++) {
        LayerPlan *lp = &p->layers[n];
        if (lp->status != PLAN_OK) {
            if (lp->status != PLAN_NO_DATA && p->status == PLAN_OK) {
                p->status = lp->status;
                p->message = arena_printf(&p->arena, "layer '%s': %s", p->g->nodes[n]->name,
                                          lp->why ? lp->why : plan_status_name(lp->status));
            }
            continue;
        }
        p->total_cycles += lp->cost.total;
        p->dory_cycles += lp->dory_total;
        p->total_macs += node_macs(p->g, p->g->nodes[n]);
    }
}

Plan *plan_graph(const Graph *g, const Target *t, const PlanOptions *opt)
{
    double t0 = now_ms();
    Plan *p = util_calloc(1, sizeof *p);
    if (!p) return NULL;
    arena_init(&p->arena);
    p->g = g;
    p->target = *t;
    p->opt = *opt;
    p->nlayers = g->nnodes;
    p->layers = arena_alloc_array(&p->arena, (size_t)DORY_MAX(g->nnodes, 1), sizeof *p->layers);
    p->tensors = arena_alloc_array(&p->arena, (size_t)DORY_MAX(g->ntensors, 1), sizeof *p->tensors);
    if (!p->layers || !p->tensors) {
        plan_free(p);
        return NULL;
    }
    p->l2_budget = target_l2_budget(t);
    plan_layer_geoms(p);
    plan_lifetimes(p);
    plan_alloc(p);
    plan_kernels(p);
    plan_totals(p);
    p->plan_ms = now_ms() - t0;
    if (p->arena.failed) { /* an allocation failed: the plan would not be the one asked for */
        plan_free(p);
        return NULL;
    }
    return p;
}

void plan_free(Plan *p)
{
    if (!p) return;
    arena_free(&p->arena);
    free(p);
}
