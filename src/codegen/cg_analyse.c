/* cg_analyse.c: what the generator makes of one node and its plan (a Layer:
 * the plan's kernel, operand placement, channel slicing).
 *
 * Refuses, naming the node, what cannot be generated yet. Writes no file and
 * must not pick kernels, tile sizes, scratch or offsets, nor re-check the
 * plan: they all come from the Plan (checked by src/plan/check.c).
 */
#include <string.h>

#include "cg_int.h"

/* The kernels store int32 outputs (raw accumulators of a last layer). */
enum { KERNELS_I32_OUT = 1 };

/* Where a tensor lives: its level (LOC_L2 or LOC_L3) and offset there. */
int cg_place_of(const Plan *p, int id, int64_t *off)
{
    int guard = 0;
    while (p->tensors[id].loc == LOC_ALIAS && guard++ < 1000) id = p->tensors[id].alias;
    *off = p->tensors[id].offset;
    return p->tensors[id].loc;
}

static void safe_name(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < n && k < 40; src++)
        dst[k++] = (char)((*src >= 'a' && *src <= 'z') || (*src >= 'A' && *src <= 'Z') ||
                                  (*src >= '0' && *src <= '9')
                              ? *src
                              : '_');
    dst[k] = '\0';
}

/* The kernel's shape facts the writers need, from the node and the table. */
static int layer_kernel(const Graph *g, Layer *L)
{
    const Node *n = L->n;
    L->kernel = L->lp->kernel;
    L->ki = dory_kernel_info(L->kernel);
    if (!L->ki)
        return diag_error(node_loc(g, n), "the code generator has no kernel for %s yet",
                          op_name(n->op));
    L->coupled = (L->ki->flags & DORY_KF_COUPLED) != 0;
    L->gin = L->gout = 1;
    if (n->op == OP_CONV2D) {
        L->kh = (int)L->w->shape[1];
        L->kw = (int)L->w->shape[2];
        L->w_per_co = L->kh * L->kw * L->w->shape[3];
        L->gin = act_c(L->x) / n->groups;
        L->gout = act_c(L->y) / n->groups;
    } else if (n->op == OP_FC) {
        L->w_per_co = L->w->shape[1];
    } else if (n->op == OP_MAXPOOL || n->op == OP_AVGPOOL) {
        node_kernel(g, n, &L->kh, &L->kw);
    } else if (n->op == OP_REQUANT) {
        L->kh = L->kw = 1;
    }
    return 0;
}

/* An integer requant (SHIFT, FIXED) with one value for every channel: an
 * add's input requants as DORY's networks have them. Its arrays hold that
 * value once (per_channel 0), as the plan counts them. */
static int rq_one(const Graph *g, const Requant *rq)
{
    int ids[4] = {rq->k, rq->l, rq->mult, rq->shift}, any = 0;
    if (rq->scheme != RQ_SHIFT && !rq_is_fixed(rq->scheme)) return 0;
    for (int j = 0; j < 4; j++) {
        if (ids[j] < 0) continue;
        if (tensor_numel(graph_tensor(g, ids[j])) != 1) return 0;
        any = 1;
    }
    return any;
}

const char *cg_l2_weight_expr(const Layer *L, char *buf, size_t n)
{
    snprintf(buf, n, "dory_l2_weights + %lld", (long long)L->w_l2);
    return buf;
}

/* Where the layer's operands live (the plan's placement). */
static void layer_places(const Plan *p, Layer *L)
{
    const Node *n = L->n;
    int64_t off;
    L->x_in_l3 = cg_place_of(p, n->in[0], &off) == LOC_L3;
    *(L->x_in_l3 ? &L->x_l3 : &L->x_l2) = off;
    if (L->x2) {
        L->x2_in_l3 = cg_place_of(p, n->in[1], &off) == LOC_L3;
        *(L->x2_in_l3 ? &L->x2_l3 : &L->x2_l2) = off;
    }
    L->y_in_l3 = cg_place_of(p, n->out, &off) == LOC_L3;
    *(L->y_in_l3 ? &L->y_l3 : &L->y_l2) = off;
    if (L->w) {
        L->w_in_l3 = cg_place_of(p, n->in[1], &off) == LOC_L3;
        *(L->w_in_l3 ? &L->w_l3 : &L->w_l2) = off;
    }
    const L3Plan *l3 = &L->lp->l3;
    L->l3 = L->x_in_l3 || L->x2_in_l3 || L->y_in_l3 || L->w_in_l3 || l3->row_slice.n > 1 ||
            l3->co_slice.n > 1;
}

/* The kernels take u8/i8 activations and int8 weights, int32 outputs only
 * from the kernels that store accumulators. */
static int check_dtypes(const Graph *g, const Layer *L)
{
    int acc_out = L->ki->call == DORY_CALL_CONV || L->ki->call == DORY_CALL_GROUPED ||
                  L->ki->call == DORY_CALL_FC || L->ki->call == DORY_CALL_ELTWISE;
    int out_ok = L->y->dtype == DT_U8 || L->y->dtype == DT_I8 ||
                 (KERNELS_I32_OUT && L->y->dtype == DT_I32 && acc_out);
    if (L->y->dtype == DT_I32 && !out_ok)
        return diag_error(node_loc(g, L->n), "int32 outputs are not generated yet");
    int dt_ok = (L->x->dtype == DT_U8 || L->x->dtype == DT_I8) && out_ok &&
                (!L->x2 || L->x2->dtype == DT_U8 || L->x2->dtype == DT_I8) &&
                (!L->w || L->w->dtype == DT_I8 || L->w->dtype == DT_U8);
    if (!dt_ok)
        return diag_error(node_loc(g, L->n),
                          "the kernels take u8/i8 activations and i8 weights; "
                          "this layer has %s -> %s",
                          dtype_name(L->x->dtype), dtype_name(L->y->dtype));
    return 0;
}

int cg_analyse(const Graph *g, const Plan *p, int i, Layer *L)
{
    memset(L, 0, sizeof *L);
    L->index = i;
    L->n = g->nodes[i];
    L->lp = &p->layers[i];
    const Node *n = L->n;
    char nm[48];
    safe_name(nm, sizeof nm, n->name);
    snprintf(L->fn, sizeof L->fn, "layer_%02d_%s", i, nm);
    L->x = graph_tensor(g, n->in[0]);
    L->y = graph_tensor(g, n->out);
    if (n->op == OP_CONV2D || n->op == OP_FC) {
        L->w = graph_tensor(g, n->in[1]);
        L->b = n->nin > 2 && n->in[2] >= 0 ? graph_tensor(g, n->in[2]) : NULL;
    }
    if (n->op == OP_ADD || n->op == OP_MUL) L->x2 = graph_tensor(g, n->in[1]);
    if (layer_kernel(g, L)) return -1;
    if (L->kernel == DORY_K_ALIAS) return 0;
    L->in_elem = (int)cg_elem_bytes(L->x);
    L->out_elem = (int)cg_elem_bytes(L->y);
    if (L->kernel == DORY_K_CONCAT) {
        int64_t off;
        L->y_in_l3 = cg_place_of(p, n->out, &off) == LOC_L3;
        for (int k = 0; k < n->nin; k++)
            if (cg_place_of(p, n->in[k], &off) == LOC_L3) L->x_in_l3 = 1;
        return 0;
    }
    if (L->lp->status != PLAN_OK)
        return diag_error(node_loc(g, n), "the layer has no plan: %s",
                          L->lp->why ? L->lp->why : plan_status_name(L->lp->status));
    layer_places(p, L);
    /* the runtime reads a one-pixel input whole from L2 (the planner keeps it there) */
    DORY_ASSERT(!(L->lp->geom.in1_pixel && L->x2_in_l3));
    const L1Plan *l1 = &L->lp->l1;
    L->ci_tiled = l1->d[TD_CI].n > 1;
    L->CI = n->op == OP_FC ? tensor_numel(L->x) : act_c(L->x);
    L->taps = n->op == OP_FC ? 1 : (int64_t)L->kh * L->kw;
    L->c_block = L->lp->consts_block;
    L->c_img = L->lp->consts_off;
    L->in_rq_one[0] = rq_one(g, &n->in_rq[0]);
    L->in_rq_one[1] = rq_one(g, &n->in_rq[1]);
    return check_dtypes(g, L);
}
