/* report.c: the plan as text (dory inspect --target) and as JSON (--json).
 *
 * Text: one line per layer with the chosen tiles, tile counts, L1 use and
 * budget, DMA bytes per level, modeled cycles, MAC/cycle, the DORY-objective
 * cycles beside them and the binding constraint; then the memory summary.
 * JSON: everything the code generator needs, nothing recomputed, and nothing
 * that varies between runs (the planning time is only in the text).
 * This file only prints; it decides nothing.
 */
#include <string.h>

#include "plan.h"

static const char *loc_name(TensorLoc l)
{
    static const char *const n[] = {"none", "L2", "L3", "alias"};
    return (unsigned)l < 4 ? n[l] : "?";
}

static void print_tiles(FILE *f, const L1Plan *l)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%lldx%lldx%lld/%lld", (long long)l->d[TD_HO].tile,
             (long long)l->d[TD_WO].tile, (long long)l->d[TD_CO].tile, (long long)l->d[TD_CI].tile);
    fprintf(f, " %-17s", buf);
    snprintf(buf, sizeof buf, "%lld:%lld:%lld:%lld", (long long)l->d[TD_HO].n,
             (long long)l->d[TD_WO].n, (long long)l->d[TD_CO].n, (long long)l->d[TD_CI].n);
    fprintf(f, " %-11s", buf);
}

static void print_l3(FILE *f, const LayerPlan *lp)
{
    char buf[64] = "-";
    const L3Plan *s = &lp->l3;
    if (s->w_nbuf || s->in_nbuf || s->out_nbuf)
        snprintf(buf, sizeof buf, "%s%s%s r%lld c%lld", s->w_nbuf ? "w" : "", s->in_nbuf ? "i" : "",
                 s->out_nbuf ? "o" : "", (long long)s->row_slice.n, (long long)s->co_slice.n);
    fprintf(f, " %-12s", buf);
}

static void print_layer(FILE *f, const Plan *p, int n)
{
    const LayerPlan *lp = &p->layers[n];
    const Node *node = p->g->nodes[n];
    fprintf(f, "%3d %-18.18s %-9s", n, node->name, op_name(node->op));
    if (lp->status != PLAN_OK) {
        fprintf(f, " %s: %s\n", plan_status_name(lp->status), lp->why ? lp->why : "");
        return;
    }
    print_tiles(f, &lp->l1);
    fprintf(f, " %6lld/%-6lld", (long long)lp->l1.l1_used, (long long)lp->l1.l1_budget);
    print_l3(f, lp);
    fprintf(f, " %9lld %9lld %10.0f %6.2f", (long long)lp->dma_l2l1_bytes,
            (long long)lp->dma_l3l2_bytes, lp->cost.total,
            lp->cost.total > 0 ? (double)node_macs(p->g, node) / lp->cost.total : 0.0);
    if (p->opt.compare_dory) fprintf(f, " %10.0f", lp->dory_total);
    fprintf(f, "  %s%s\n", lp->l1.kernel == DORY_K_CONV2D_1PX ? "[1-pixel im2col] " : "",
            lp->why ? lp->why : "");
}

/* Where the activations live: level, offset, bytes, lifetime in layers. */
static void print_act_map(FILE *f, const Plan *p)
{
    fprintf(f, "activations: %-24s %-5s %10s %9s  %s\n", "tensor", "where", "offset", "bytes",
            "live (layers)");
    for (int i = 0; i < p->g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        if (p->g->tensors[i]->is_const || tp->loc == LOC_NONE) continue;
        const char *where = tp->loc == LOC_L2 ? "L2" : tp->loc == LOC_L3 ? "L3" : "alias";
        fprintf(f, "             %-24.24s %-5s %10lld %9lld  %d..%d", p->g->tensors[i]->name, where,
                (long long)(tp->loc == LOC_ALIAS ? p->tensors[tp->alias].offset : tp->offset),
                (long long)tp->bytes, tp->first, tp->last);
        if (tp->loc == LOC_ALIAS) fprintf(f, " (storage of %s)", p->g->tensors[tp->alias]->name);
        fputc('\n', f);
    }
}

void plan_print(FILE *f, const Plan *p)
{
    const Target *t = &p->target;
    fprintf(f, "plan for target %s (%s), objective: %s\n", t->name, t->description,
            p->opt.objective == OBJ_DORY ? "dory (L1 use + alignment bonuses)"
                                         : "exact (fewest modeled cycles)");
    fprintf(f, "  L1 %lld B (budget %lld), L2 %lld B (budget %lld), L3 %lld B, %d cores\n",
            (long long)t->l1.size, (long long)target_l1_budget(t), (long long)t->l2.size,
            (long long)p->l2_budget, (long long)t->l3.size, t->cores);
    fprintf(f, "%3s %-18s %-9s %-17s %-11s %13s %-12s %9s %9s %10s %6s", "#", "layer", "op",
            "tile h x w x co/ci", "tiles h:w:c:ci", "L1 used/budg", "L3 stream", "DMA L2L1",
            "DMA L3L2", "cycles", "MAC/c");
    if (p->opt.compare_dory) fprintf(f, " %10s", "dory-obj");
    fprintf(f, "  binding constraint\n");
    for (int n = 0; n < p->nlayers; n++) print_layer(f, p, n);
    fprintf(f, "total: %lld MACs, %.0f cycles (%.2f MAC/cycle)", (long long)p->total_macs,
            p->total_cycles, p->total_cycles > 0 ? (double)p->total_macs / p->total_cycles : 0.0);
    if (p->opt.compare_dory) fprintf(f, ", DORY objective %.0f cycles", p->dory_cycles);
    int64_t wl2 = 0, wl3 = 0;
    for (int i = 0; i < p->g->ntensors; i++) {
        if (!p->g->tensors[i]->is_const) continue;
        if (p->tensors[i].loc == LOC_L2)
            wl2 += p->tensors[i].bytes;
        else
            wl3 += p->tensors[i].bytes;
    }
    fprintf(f,
            "\nL2: arena peak %lld + image %lld of %lld bytes (arena lower bound %lld); "
            "constants: %lld bytes %s, %lld streamed from L3; L3 used %lld bytes\n",
            (long long)p->l2_peak, (long long)plan_l2_image_in_l2(p), (long long)p->l2_budget,
            (long long)p->l2_lower_bound, (long long)wl2,
            p->target.levels < 2 ? "in the image (flash), read in place" : "resident in L2",
            (long long)wl3, (long long)p->l3_used);
    if (p->target.levels < 2)
        fprintf(f,
                "SRAM: peak %lld bytes = activations %lld + kernel scratch %lld (the "
                "application allocates exactly this)\n",
                (long long)(p->l2_peak + plan_sram_scratch(p)), (long long)p->l2_peak,
                (long long)plan_sram_scratch(p));
    print_act_map(f, p);
    fprintf(f, "status: %s%s%s (planned in %.1f ms)\n", plan_status_name(p->status),
            p->message ? ": " : "", p->message ? p->message : "", p->plan_ms);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void json_dim(FILE *f, const char *key, const TileDim *d)
{
    fprintf(f, "\"%s\": {\"size\": %lld, \"tile\": %lld, \"n\": %lld, \"last\": %lld}", key,
            (long long)d->size, (long long)d->tile, (long long)d->n, (long long)d->last);
}

static void json_cost(FILE *f, const PlanCost *c)
{
    fprintf(f,
            "{\"compute\": %.1f, \"overhead\": %.1f, \"dma\": %.1f, \"exposed\": %.1f, "
            "\"l3\": %.1f, \"total\": %.1f}",
            c->compute, c->overhead, c->dma, c->exposed, c->l3, c->total);
}

static void json_l1(FILE *f, const L1Plan *l)
{
    static const char *const dn[TD_COUNT] = {"co", "ho", "wo", "ci"};
    fprintf(f, "{");
    for (int d = 0; d < TD_COUNT; d++) {
        json_dim(f, dn[d], &l->d[d]);
        fprintf(f, ", ");
    }
    fprintf(f, "\"order\": \"%s\", \"in_h\": %lld, \"in_w\": %lld, \"in_c\": %lld, \"buffers\": {",
            l->order == ORDER_HWC ? "hwc" : "chw", (long long)l->in_h, (long long)l->in_w,
            (long long)l->in_c);
    int first = 1;
    for (int b = 0; b < BUF_COUNT; b++) {
        const L1Buf *B = &l->buf[b];
        if (!B->nbuf) continue;
        fprintf(f, "%s\"%s\": {\"bytes\": %lld, \"nbuf\": %d, \"off\": [%lld, %lld]}",
                first ? "" : ", ", plan_buf_name((L1BufId)b), (long long)B->bytes, B->nbuf,
                (long long)B->off[0], (long long)B->off[1]);
        first = 0;
    }
    fprintf(f,
            "}, \"l1_used\": %lld, \"l1_budget\": %lld, \"dma_in_bytes\": %lld, "
            "\"dma_w_bytes\": %lld, \"dma_out_bytes\": %lld, \"dma_jobs\": %lld, "
            "\"im2col_pixels\": %d, \"cost\": ",
            (long long)l->l1_used, (long long)l->l1_budget, (long long)l->dma_in_bytes,
            (long long)l->dma_w_bytes, (long long)l->dma_out_bytes, (long long)l->dma_jobs,
            l->kernel == DORY_K_CONV2D_1PX ? 1 : 4);
    json_cost(f, &l->cost);
    fprintf(f, "}");
}

static void json_l3(FILE *f, const L3Plan *s)
{
    fprintf(f, "{\"w_stream\": %d, \"w_sliced\": %d, \"in_l3\": %d, \"out_l3\": %d, ", s->w_stream,
            s->w_sliced, s->in_l3, s->out_l3);
    json_dim(f, "co_slice", &s->co_slice);
    fprintf(f, ", ");
    json_dim(f, "row_slice", &s->row_slice);
    fprintf(f,
            ", \"in_rows\": %lld, \"w_buf\": {\"bytes\": %lld, \"nbuf\": %d, \"off\": [%lld, %lld]}"
            ", \"in_buf\": {\"bytes\": %lld, \"nbuf\": %d, \"off\": [%lld, %lld]}"
            ", \"out_buf\": {\"bytes\": %lld, \"nbuf\": %d, \"off\": [%lld, %lld]}"
            ", \"dma_bytes\": %lld, \"dma_jobs\": %lld}",
            (long long)s->in_rows, (long long)s->w_buf, s->w_nbuf, (long long)s->w_off[0],
            (long long)s->w_off[1], (long long)s->in_buf, s->in_nbuf, (long long)s->in_off[0],
            (long long)s->in_off[1], (long long)s->out_buf, s->out_nbuf, (long long)s->out_off[0],
            (long long)s->out_off[1], (long long)s->dma_bytes, (long long)s->dma_jobs);
}

static void json_layer(FILE *f, const Plan *p, int n)
{
    const LayerPlan *lp = &p->layers[n];
    const Node *node = p->g->nodes[n];
    fprintf(f, "    {\"index\": %d, \"name\": ", n);
    json_str(f, node->name);
    const dory_kernel_info_t *k = dory_kernel_info(lp->kernel);
    fprintf(f,
            ", \"op\": \"%s\", \"kernel\": \"%s\", \"function\": \"%s\", \"status\": \"%s\", "
            "\"why\": ",
            op_name(node->op), plan_kernel_name(lp->geom.kind), k ? k->fn : "none",
            plan_status_name(lp->status));
    json_str(f, lp->why);
    fprintf(f, ", \"macs\": %lld", (long long)node_macs(p->g, node));
    if (lp->status == PLAN_OK) {
        fprintf(f, ",\n     \"l3\": ");
        json_l3(f, &lp->l3);
        fprintf(f, ",\n     \"l1\": ");
        json_l1(f, &lp->l1);
        fprintf(f, ",\n     \"l1_last\": ");
        json_l1(f, &lp->l1_last);
        fprintf(f, ",\n     \"cost\": ");
        json_cost(f, &lp->cost);
        fprintf(f, ", \"dma_l2l1_bytes\": %lld, \"dma_l3l2_bytes\": %lld",
                (long long)lp->dma_l2l1_bytes, (long long)lp->dma_l3l2_bytes);
        if (p->opt.compare_dory) {
            fprintf(f, ",\n     \"dory\": {\"total\": %.1f, \"l1\": ", lp->dory_total);
            json_l1(f, &lp->dory);
            fprintf(f, "}");
        }
    }
    fprintf(f, "}%s\n", n + 1 < p->nlayers ? "," : "");
}

static void json_tensors(FILE *f, const Plan *p)
{
    int first = 1;
    for (int i = 0; i < p->g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        if (tp->loc == LOC_NONE) continue;
        fprintf(f, "%s    {\"id\": %d, \"name\": ", first ? "" : ",\n", i);
        json_str(f, p->g->tensors[i]->name);
        fprintf(f,
                ", \"loc\": \"%s\", \"offset\": %lld, \"bytes\": %lld, \"first\": %d, "
                "\"last\": %d, \"alias\": %d}",
                loc_name(tp->loc), (long long)tp->offset, (long long)tp->bytes, tp->first, tp->last,
                tp->alias);
        first = 0;
    }
    fprintf(f, "\n");
}

void plan_print_json(FILE *f, const Plan *p)
{
    const Target *t = &p->target;
    fprintf(f, "{\n  \"target\": {\"name\": ");
    json_str(f, t->name);
    fprintf(f,
            ", \"cores\": %d, \"l1\": %lld, \"l1_budget\": %lld, \"l2\": %lld, "
            "\"l2_budget\": %lld, \"l3\": %lld},\n",
            t->cores, (long long)t->l1.size, (long long)target_l1_budget(t), (long long)t->l2.size,
            (long long)p->l2_budget, (long long)t->l3.size);
    fprintf(f, "  \"objective\": \"%s\", \"status\": \"%s\", \"message\": ",
            p->opt.objective == OBJ_DORY ? "dory" : "exact", plan_status_name(p->status));
    json_str(f, p->message);
    fprintf(f,
            ",\n  \"weights_resident\": %d, \"l2_image\": %lld, \"l2_peak\": %lld, "
            "\"l2_lower_bound\": %lld, \"sram_scratch\": %lld, "
            "\"l3_used\": %lld,\n  \"total_macs\": %lld, \"total_cycles\": %.1f, "
            "\"dory_cycles\": %.1f,\n  \"layers\": [\n",
            p->weights_resident, (long long)p->l2_image, (long long)p->l2_peak,
            (long long)p->l2_lower_bound, (long long)plan_sram_scratch(p), (long long)p->l3_used,
            (long long)p->total_macs, p->total_cycles, p->dory_cycles);
    for (int n = 0; n < p->nlayers; n++) json_layer(f, p, n);
    fprintf(f, "  ],\n  \"tensors\": [\n");
    json_tensors(f, p);
    fprintf(f, "  ]\n}\n");
}

int plan_report(FILE *f, const Graph *g, const Target *t, PlanObjective obj, int json)
{
    PlanOptions opt = {obj, 1};
    Plan *p = plan_graph(g, t, &opt);
    if (!p) return -1;
    if (json)
        plan_print_json(f, p);
    else
        plan_print(f, p);
    int rc = p->status == PLAN_OK ? 0 : 1;
    if (rc)
        diag_error((DiagLoc){g->source, 0, 0, 0}, "no plan for target %s: %s", t->name,
                   p->message ? p->message : plan_status_name(p->status));
    plan_free(p);
    return rc;
}
