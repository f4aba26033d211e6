/* report_json.c: the deployment report as a JSON document, built from the
 * verified graph and its finished Plan (report.h). It copies what the plan
 * decided and derives only sums, ratios and labels from it (MAC/cycle, the
 * bound, the kernel's reason); it never calls the solver. The layout is
 * docs/report.schema.json; nothing in it varies between runs.
 */
#include <math.h>
#include <string.h>

#include "report.h"

/* Out of memory, cJSON returns NULL for a node and refuses to add to one; the
 * node that could not be added is freed here, and report_build() counts the
 * failed allocations (util_alloc_failures) so that it never returns a report
 * with parts missing. */
static void put(cJSON *o, const char *k, cJSON *item)
{
    if (!o || !cJSON_AddItemToObject(o, k, item)) cJSON_Delete(item);
}

static void push(cJSON *a, cJSON *item)
{
    if (!a || !cJSON_AddItemToArray(a, item)) cJSON_Delete(item);
}

/* cJSON numbers are doubles: int64 values of a plan stay below 2^53. */
static void num(cJSON *o, const char *k, double v) { cJSON_AddNumberToObject(o, k, v); }
static void str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}
/* Modeled cycles to a tenth of a cycle: what the model resolves. */
static double tenth(double v) { return round(v * 10.0) / 10.0; }

static cJSON *shape_json(const Graph *g, int id)
{
    const Tensor *t = graph_tensor(g, id);
    cJSON *o = cJSON_CreateObject();
    str(o, "name", t->name);
    cJSON *s = cJSON_AddArrayToObject(o, "shape");
    if (t->rank == 4) {
        push(s, cJSON_CreateNumber((double)act_h(t)));
        push(s, cJSON_CreateNumber((double)act_w(t)));
        push(s, cJSON_CreateNumber((double)act_c(t)));
    } else {
        push(s, cJSON_CreateNumber((double)tensor_numel(t)));
    }
    str(o, "dtype", dtype_name(t->dtype));
    return o;
}

/* Why the planner's kernel choice (plan_select_kernel(), the tiler's
 * variant) is this row: the rule of src/plan/layer.c that picks it. */
static const char *kernel_reason(dory_kernel_id_t k)
{
    switch (k) {
    case DORY_K_CONV2D: return "standard convolution: im2col in blocks of 4 output pixels";
    case DORY_K_CONV2D_1PX:
        return "standard convolution: one-pixel im2col blocks model faster here (a quarter of "
               "the scratch)";
    case DORY_K_CONV1X1: return "1x1 window without padding: pointwise kernel, no im2col";
    case DORY_K_DWCONV: return "depthwise (one filter per channel), not 3x3 undilated";
    case DORY_K_DWCONV3X3: return "depthwise 3x3 undilated: the 3x3 fast path";
    case DORY_K_GROUPED: return "grouped convolution: the conv kernel once per group";
    case DORY_K_GROUPED1X1: return "grouped 1x1 convolution: the pointwise kernel once per group";
    case DORY_K_FC: return "fully connected: matrix-vector kernel";
    case DORY_K_MAXPOOL: return "max pooling";
    case DORY_K_AVGPOOL: return "average pooling";
    case DORY_K_ADD: return "element-wise add with a requantization per input";
    case DORY_K_MUL:
        return "element-wise product of two activations (one may be a pixel), requantized";
    case DORY_K_REQUANT: return "element-wise requantization";
    case DORY_K_CONCAT: return "concat: strided DMA, no kernel";
    case DORY_K_ALIAS: return "reshape: relabels its input, no data movement";
    default: return "the library's kernel for this op on this target's ISA";
    }
}

static cJSON *dim_json(const TileDim *d)
{
    cJSON *o = cJSON_CreateObject();
    num(o, "size", (double)d->size);
    num(o, "tile", (double)d->tile);
    num(o, "n", (double)d->n);
    num(o, "last", (double)d->last);
    return o;
}

static cJSON *tiles_json(const L1Plan *l)
{
    static const char *const dn[TD_COUNT] = {"co", "ho", "wo", "ci"};
    cJSON *o = cJSON_CreateObject();
    for (int d = 0; d < TD_COUNT; d++) put(o, dn[d], dim_json(&l->d[d]));
    return o;
}

/* The L1 map: every copy of every buffer, offsets relative to the tile area. */
static cJSON *l1_json(const L1Plan *l)
{
    static const char *const desc[BUF_COUNT] = {
#define X(e, name, d) d,
        PLAN_L1_BUFS(X)
#undef X
    };
    cJSON *o = cJSON_CreateObject();
    num(o, "used", (double)l->l1_used);
    num(o, "budget", (double)l->l1_budget);
    cJSON *bufs = cJSON_AddArrayToObject(o, "buffers");
    for (int b = 0; b < BUF_COUNT; b++) {
        const L1Buf *B = &l->buf[b];
        for (int c = 0; c < B->nbuf; c++) {
            cJSON *e = cJSON_CreateObject();
            str(e, "name", plan_buf_name((L1BufId)b));
            str(e, "what", desc[b]);
            num(e, "copy", c);
            num(e, "copies", B->nbuf);
            num(e, "offset", (double)B->off[c]);
            num(e, "bytes", (double)B->bytes);
            push(bufs, e);
        }
    }
    return o;
}

static void staging_json(cJSON *arr, int layer, const char *name, int64_t bytes, int nbuf,
                         const int64_t off[2])
{
    for (int c = 0; c < nbuf; c++) {
        cJSON *e = cJSON_CreateObject();
        num(e, "layer", layer);
        str(e, "name", name);
        num(e, "copy", c);
        num(e, "offset", (double)off[c]);
        num(e, "bytes", (double)bytes);
        push(arr, e);
    }
}

static cJSON *l3_json(const L3Plan *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "weights_stream", s->w_stream);
    cJSON_AddBoolToObject(o, "input_in_l3", s->in_l3);
    cJSON_AddBoolToObject(o, "output_in_l3", s->out_l3);
    put(o, "co_slice", dim_json(&s->co_slice));
    put(o, "row_slice", dim_json(&s->row_slice));
    num(o, "dma_jobs", (double)s->dma_jobs);
    return o;
}

static cJSON *modeled_json(const LayerPlan *lp, int64_t macs, int dory)
{
    const PlanCost *c = &lp->cost;
    cJSON *o = cJSON_CreateObject();
    num(o, "cycles", tenth(c->total));
    num(o, "compute", tenth(c->compute));
    num(o, "dma", tenth(c->dma));
    num(o, "exposed_dma", tenth(c->exposed));
    num(o, "overhead", tenth(c->overhead));
    num(o, "l3", tenth(c->l3));
    num(o, "mac_per_cycle", c->total > 0 ? round((double)macs / c->total * 1000) / 1000 : 0);
    str(o, "bound", plan_layer_bound(lp));
    if (dory) num(o, "dory_objective_cycles", tenth(lp->dory_total));
    str(o, "requant_class", plan_rq_class_name(lp->geom.rq_class));
    cJSON *terms = cJSON_AddObjectToObject(o, "terms");
    for (int e = 0; e < PT_COUNT; e++) num(terms, plan_term_name((PlanTerm)e), tenth(c->term[e]));
    return o;
}

static const ReportDiff *find_diff(const ReportExtra *x, const char *name)
{
    for (int i = 0; x && x->diff && i < x->ndiff; i++)
        if (!strcmp(x->diff[i].layer, name)) return &x->diff[i];
    return NULL;
}

static cJSON *layer_json(const Graph *g, const Plan *p, int n, const ReportExtra *x, cJSON *stage)
{
    const Node *node = g->nodes[n];
    const LayerPlan *lp = &p->layers[n];
    int64_t macs = node_macs(g, node);
    cJSON *o = cJSON_CreateObject();
    num(o, "index", n);
    str(o, "name", node->name);
    str(o, "op", op_name(node->op));
    cJSON *ins = cJSON_AddArrayToObject(o, "inputs");
    for (int i = 0; i < node->nin; i++)
        if (!graph_tensor(g, node->in[i])->is_const) push(ins, shape_json(g, node->in[i]));
    put(o, "output", shape_json(g, node->out));
    num(o, "macs", (double)macs);
    num(o, "param_bytes", (double)node_param_bytes(g, node));
    str(o, "requant", rq_scheme_name(node->rq.scheme));
    str(o, "arith", !op_info(node->op)->has_epilogue ? "-" : node->arith == ARITH_64 ? "64" : "32");
    str(o, "status", plan_status_name(lp->status));
    const dory_kernel_info_t *k = dory_kernel_info(lp->kernel);
    cJSON *kern = cJSON_AddObjectToObject(o, "kernel");
    str(kern, "name", k ? k->name : "none");
    str(kern, "function", k ? k->fn : "none");
    str(kern, "cost_kind", plan_kernel_name(lp->geom.kind));
    str(kern, "why", kernel_reason(lp->kernel));
    str(o, "binding", lp->why);
    const ReportDiff *d = find_diff(x, node->name);
    if (d) {
        cJSON *fd = cJSON_AddObjectToObject(o, "fixed_diff");
        num(fd, "differ", (double)d->differ);
        num(fd, "total", (double)d->total);
        num(fd, "worst", (double)d->worst);
    }
    if (lp->status != PLAN_OK) return o;
    const L1Plan *l = &lp->l1;
    put(o, "tiles", tiles_json(l));
    str(o, "order", l->order == ORDER_HWC ? "hwc" : "chw");
    cJSON *it = cJSON_AddObjectToObject(o, "in_tile");
    num(it, "h", (double)l->in_h);
    num(it, "w", (double)l->in_w);
    num(it, "c", (double)l->in_c);
    put(o, "l1", l1_json(l));
    put(o, "l3", l3_json(&lp->l3));
    if (lp->consts_block) { /* bias + requant staged into L1 with each weight tile */
        cJSON *c = cJSON_AddObjectToObject(o, "staged_consts");
        num(c, "offset", (double)lp->consts_off);
        num(c, "bytes", (double)plan_consts_image_bytes(lp));
        num(c, "block", (double)lp->consts_block);
    }
    cJSON *dma = cJSON_AddObjectToObject(o, "dma");
    num(dma, "l2l1_bytes", (double)lp->dma_l2l1_bytes);
    num(dma, "l3l2_bytes", (double)lp->dma_l3l2_bytes);
    num(dma, "in_bytes", (double)l->dma_in_bytes);
    num(dma, "w_bytes", (double)l->dma_w_bytes);
    num(dma, "out_bytes", (double)l->dma_out_bytes);
    put(o, "modeled", modeled_json(lp, macs, p->opt.compare_dory));
    const L3Plan *s = &lp->l3;
    staging_json(stage, n, "w", s->w_buf, s->w_nbuf, s->w_off);
    staging_json(stage, n, "in", s->in_buf, s->in_nbuf, s->in_off);
    staging_json(stage, n, "out", s->out_buf, s->out_nbuf, s->out_off);
    return o;
}

/* Where every tensor lives: the L2 arena (activations), the L2 image
 * (resident constants), L3, or the storage of another tensor. */
static cJSON *tensors_json(const Graph *g, const Plan *p)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        const Tensor *t = g->tensors[i];
        if (tp->loc == LOC_NONE) continue;
        cJSON *o = cJSON_CreateObject();
        num(o, "id", i);
        str(o, "name", t->name);
        str(o, "kind", t->is_const ? "constant" : "activation");
        const char *region = tp->loc == LOC_L3      ? "L3"
                             : tp->loc == LOC_ALIAS ? "alias"
                             : tp->staged           ? "staged" /* in its layer's blocks */
                             : t->is_const          ? "image"
                                                    : "arena";
        str(o, "region", region);
        num(o, "offset",
            (double)(tp->loc == LOC_ALIAS ? p->tensors[tp->alias].offset : tp->offset));
        num(o, "bytes", (double)tp->bytes);
        num(o, "first", tp->first);
        num(o, "last", tp->last);
        str(o, "alias_of", tp->loc == LOC_ALIAS ? g->tensors[tp->alias]->name : NULL);
        push(arr, o);
    }
    return arr;
}

static cJSON *level_json(const MemLevel *m, int64_t budget)
{
    cJSON *o = cJSON_CreateObject();
    str(o, "name", m->name);
    num(o, "size", (double)m->size);
    num(o, "budget", (double)budget);
    num(o, "bandwidth", m->bandwidth);
    num(o, "latency", m->latency);
    return o;
}

/* The target and the constants of its cost model, with their source. */
static cJSON *target_json(const Plan *p)
{
    const Target *t = &p->target;
    cJSON *o = cJSON_CreateObject();
    str(o, "name", t->name);
    str(o, "description", t->description);
    num(o, "cores", t->cores);
    num(o, "levels", t->levels);
    put(o, "l1", level_json(&t->l1, target_l1_budget(t)));
    put(o, "l2", level_json(&t->l2, p->l2_budget));
    put(o, "l3", level_json(&t->l3, t->l3.size));
    str(o, "cost_model", t->cost_model ? t->cost_model : "estimate");
    cJSON *cal = cJSON_AddArrayToObject(o, "calibration");
    for (int k = 0; k < KK_COUNT + DORY_K_COUNT; k++) {
        int row = k >= KK_COUNT;
        const KernelCost *c = row ? &t->row[k - KK_COUNT] : &t->kernel[k];
        if (row && !(c->mac_per_cycle > 0)) continue;
        cJSON *e = cJSON_CreateObject();
        str(e, "kind",
            row ? dory_kernel_info((dory_kernel_id_t)(k - KK_COUNT))->name
                : plan_kernel_name((KernelKind)k));
        num(e, "mac_per_cycle", c->mac_per_cycle);
        num(e, "tile_overhead", c->tile_overhead);
        if (row) {
            num(e, "layer_cycles", c->layer_cycles);
            num(e, "input_cycles", c->input_cycles);
            num(e, "input_odd_cycles", c->input_odd_cycles);
            num(e, "mac_tail_cycles", c->mac_tail_cycles);
            num(e, "mac_group_cycles", c->mac_group_cycles);
            num(e, "mac_co_cycles", c->mac_co_cycles);
            num(e, "mac_odd_cycles", c->mac_odd_cycles);
            num(e, "input_px_cycles", c->input_px_cycles);
            num(e, "stage_px_cycles", c->stage_px_cycles);
            num(e, "pixel_cycles", c->pixel_cycles);
            num(e, "chan_cycles", c->chan_cycles);
            num(e, "job_cycles", c->job_cycles);
            num(e, "epilogue_cycles", c->epilogue_cycles);
            num(e, "psum_cycles", c->psum_cycles);
        }
        str(e, "source", c->source ? c->source : "built-in estimate (docs/PLANNER.md)");
        push(cal, e);
    }
    return o;
}

static cJSON *totals_json(const Graph *g, const Plan *p)
{
    cJSON *o = cJSON_CreateObject();
    int64_t params = 0, l2l1 = 0, l3l2 = 0, wl2 = 0, wl3 = 0;
    for (int n = 0; n < p->nlayers; n++) {
        params += node_param_bytes(g, g->nodes[n]);
        l2l1 += p->layers[n].dma_l2l1_bytes;
        l3l2 += p->layers[n].dma_l3l2_bytes;
    }
    for (int i = 0; i < g->ntensors; i++) {
        if (!g->tensors[i]->is_const) continue;
        if (p->tensors[i].loc == LOC_L2)
            wl2 += p->tensors[i].bytes;
        else if (p->tensors[i].loc == LOC_L3)
            wl3 += p->tensors[i].bytes;
    }
    num(o, "layers", p->nlayers);
    num(o, "macs", (double)p->total_macs);
    num(o, "param_bytes", (double)params);
    num(o, "modeled_cycles", tenth(p->total_cycles));
    num(o, "mac_per_cycle",
        p->total_cycles > 0 ? round((double)p->total_macs / p->total_cycles * 1000) / 1000 : 0);
    if (p->opt.compare_dory) num(o, "dory_objective_cycles", tenth(p->dory_cycles));
    num(o, "l2_peak", (double)p->l2_peak);
    num(o, "l2_lower_bound", (double)p->l2_lower_bound);
    num(o, "l2_image", (double)plan_l2_image_in_l2(p));
    num(o, "l2_budget", (double)p->l2_budget);
    num(o, "l3_used", (double)p->l3_used);
    num(o, "constants_l2_bytes", (double)wl2);
    num(o, "constants_l3_bytes", (double)wl3);
    num(o, "dma_l2l1_bytes", (double)l2l1);
    num(o, "dma_l3l2_bytes", (double)l3l2);
    return o;
}

cJSON *report_build(const Graph *g, const Plan *p, const ReportExtra *x)
{
    long failures = util_alloc_failures();
    cJSON *r = cJSON_CreateObject();
    if (!r) return NULL;
    str(r, "schema", REPORT_SCHEMA);
    str(r, "model", g->name);
    str(r, "test_input", x ? x->input : NULL);
    put(r, "target", target_json(p));
    str(r, "objective", p->opt.objective == OBJ_DORY ? "dory" : "exact");
    str(r, "status", plan_status_name(p->status));
    str(r, "message", p->message);
    put(r, "totals", totals_json(g, p));
    cJSON *layers = cJSON_AddArrayToObject(r, "layers");
    cJSON *stage = cJSON_CreateArray();
    for (int n = 0; n < p->nlayers; n++) push(layers, layer_json(g, p, n, x, stage));
    put(r, "tensors", tensors_json(g, p));
    put(r, "l2_staging", stage);
    cJSON *fx = cJSON_AddObjectToObject(r, "float_to_fixed");
    cJSON_AddBoolToObject(fx, "converted", x && x->diff);
    if (x && x->diff && x->ndiff > 0) {
        const ReportDiff *last = &x->diff[x->ndiff - 1];
        num(fx, "network_differ", (double)last->differ);
        num(fx, "network_total", (double)last->total);
        num(fx, "network_worst", (double)last->worst);
    }
    cJSON_AddNullToObject(r, "measured");
    if (util_alloc_failures() != failures) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}
