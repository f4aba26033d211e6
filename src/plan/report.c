/* report.c: the plan as text (dory inspect --target) and as JSON (--json).
 *
 * Text, within 100 columns: three tables with one line per layer (the
 * chosen tiles, tile counts, L1 use, L3 streaming and DMA bytes per level;
 * the kernel, modeled cycles, MAC/cycle, the DORY-objective cycles and
 * whether compute or DMA bounds the layer; the binding constraint), then the
 * memory summary and the activation map.
 * JSON: everything the code generator needs, nothing recomputed, and nothing
 * that varies between runs (the planning time is only in the text).
 * This file only prints; it decides nothing.
 */
#include <string.h>

#include "plan.h"
#include "ir/print.h"
#include "util/elide.h"

static const char *loc_name(TensorLoc l)
{
    static const char *const n[] = {"none", "L2", "L3", "alias"};
    return (unsigned)l < 4 ? n[l] : "?";
}

/* Text tables: at most 100 columns; names whole or elided in the middle so
 * that no two rows read alike (util/elide.h). */
enum { TXT_NAME_W = 20, TXT_COLS = 100 };

const char *plan_layer_bound(const LayerPlan *lp)
{
    const PlanCost *c = &lp->cost;
    if (lp->status != PLAN_OK || c->total <= 0) return "-";
    if (c->l3 > c->compute && c->l3 > c->dma) return "L3";
    return c->dma > c->compute ? "DMA" : "compute";
}

/* `text` from column `col` on, wrapped at TXT_COLS, continued at `col`. */
static void print_wrapped(FILE *f, const char *text, int col)
{
    int width = TXT_COLS - col;
    while (*text) {
        int n = (int)strlen(text);
        if (n > width) {
            n = width;
            while (n > 0 && text[n] != ' ') n--;
            if (n == 0) n = width;
        }
        fprintf(f, "%.*s\n", n, text);
        text += n;
        while (*text == ' ') text++;
        if (*text) fprintf(f, "%*s", col, "");
    }
}

static void print_tiles(FILE *f, const L1Plan *l)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%lldx%lldx%lld/%lld", (long long)l->d[TD_HO].tile,
             (long long)l->d[TD_WO].tile, (long long)l->d[TD_CO].tile, (long long)l->d[TD_CI].tile);
    fprintf(f, " %-18s", buf);
    snprintf(buf, sizeof buf, "%lld:%lld:%lld:%lld", (long long)l->d[TD_HO].n,
             (long long)l->d[TD_WO].n, (long long)l->d[TD_CO].n, (long long)l->d[TD_CI].n);
    fprintf(f, " %-14s", buf);
}

static void print_l3(FILE *f, const LayerPlan *lp)
{
    char buf[64] = "-";
    const L3Plan *s = &lp->l3;
    if (s->w_nbuf || s->in_nbuf || s->out_nbuf)
        snprintf(buf, sizeof buf, "%s%s%s%s r%lld c%lld", s->w_nbuf ? "w" : "", s->w_pre ? "p" : "",
                 s->in_nbuf ? "i" : "", s->out_nbuf ? "o" : "", (long long)s->row_slice.n,
                 (long long)s->co_slice.n);
    fprintf(f, " %-11s", buf);
}

/* Tiles: L1 tile, tile counts, L1 used, L3 streaming, DMA per level. */
static void print_tile_table(FILE *f, const Plan *p, const NameColumn *col)
{
    fprintf(f, "tiles (L1 budget %lld B):\n", (long long)target_l1_budget(&p->target));
    fprintf(f, "%3s %-*s %-18s %-14s %7s %-11s %9s %9s\n", "#", TXT_NAME_W, "layer",
            "tile h x w x co/ci", "tiles h:w:c:ci", "L1 used", "L3 stream", "DMA L2L1", "DMA L3L2");
    for (int n = 0; n < p->nlayers; n++) {
        const LayerPlan *lp = &p->layers[n];
        fprintf(f, "%3d %-*s", n, TXT_NAME_W, ir_name_at(col, n));
        if (lp->status != PLAN_OK) {
            char line[1024];
            snprintf(line, sizeof line, "%s: %s", plan_status_name(lp->status),
                     lp->why ? lp->why : "");
            fputc(' ', f);
            print_wrapped(f, line, TXT_NAME_W + 5);
            continue;
        }
        print_tiles(f, &lp->l1);
        fprintf(f, " %7lld", (long long)lp->l1.l1_used);
        print_l3(f, lp);
        fprintf(f, " %9lld %9lld\n", (long long)lp->dma_l2l1_bytes, (long long)lp->dma_l3l2_bytes);
    }
}

/* Cost: kernel, modeled cycles, MAC/cycle, the DORY objective, the bound. */
static void print_cost_table(FILE *f, const Plan *p, const NameColumn *col)
{
    fprintf(f, "modeled cost (cycles%s):\n  cost model: ",
            p->opt.compare_dory ? "; dory-obj: the DORY paper's objective, same constraints" : "");
    print_wrapped(f, p->target.cost_model ? p->target.cost_model : "estimate", 14);
    fprintf(f, "%3s %-*s %-15s %10s %6s %10s %s\n", "#", TXT_NAME_W, "layer", "kernel", "cycles",
            "MAC/c", p->opt.compare_dory ? "dory-obj" : "", "bound");
    for (int n = 0; n < p->nlayers; n++) {
        const LayerPlan *lp = &p->layers[n];
        if (lp->status != PLAN_OK) continue;
        const dory_kernel_info_t *k = dory_kernel_info(lp->kernel);
        fprintf(f, "%3d %-*s %-15s %10.0f %6.2f", n, TXT_NAME_W, ir_name_at(col, n),
                k ? k->name : "none", lp->cost.total,
                lp->cost.total > 0 ? (double)node_macs(p->g, p->g->nodes[n]) / lp->cost.total
                                   : 0.0);
        if (p->opt.compare_dory)
            fprintf(f, " %10.0f", lp->dory_total);
        else
            fprintf(f, " %10s", "");
        if (lp->l1.kernel == DORY_K_CONV2D_1PX)
            fprintf(f, " %-7s [1-pixel im2col]\n", plan_layer_bound(lp));
        else
            fprintf(f, " %s\n", plan_layer_bound(lp));
    }
}

static void print_binding_table(FILE *f, const Plan *p, const NameColumn *col)
{
    fprintf(f, "binding constraint (what stops a larger tile):\n");
    for (int n = 0; n < p->nlayers; n++) {
        const LayerPlan *lp = &p->layers[n];
        if (lp->status != PLAN_OK) continue;
        fprintf(f, "%3d %-*s ", n, TXT_NAME_W, ir_name_at(col, n));
        print_wrapped(f, lp->why && *lp->why ? lp->why : "-", TXT_NAME_W + 5);
    }
}

/* Where the activations live: level, offset, bytes, lifetime in layers. */
static void print_act_map(FILE *f, const Plan *p, Arena *a)
{
    enum { TW = 28, AW = 20 };
    int n = 0;
    const char **names = arena_alloc_array(a, (size_t)p->g->ntensors + 1, sizeof *names);
    int *ids = arena_alloc_array(a, (size_t)p->g->ntensors + 1, sizeof *ids);
    if (!names || !ids) return;
    for (int i = 0; i < p->g->ntensors; i++) {
        if (p->g->tensors[i]->is_const || p->tensors[i].loc == LOC_NONE) continue;
        ids[n] = i;
        names[n++] = p->g->tensors[i]->name;
    }
    char *shown = arena_alloc_array(a, (size_t)n + 1, TW + 1);
    char *alias = arena_alloc_array(a, (size_t)n + 1, AW + 1);
    char *amb = arena_alloc_array(a, (size_t)n + 1, 1),
         *amb2 = arena_alloc_array(a, (size_t)n + 1, 1);
    if (!shown || !alias || !amb || !amb2) return;
    int namb = elide_names(names, n, TW, shown, amb) + elide_names(names, n, AW, alias, amb2);
    fprintf(f, "activations (level, byte offset, bytes, live from..to layer):\n");
    fprintf(f, "  %-*s %-5s %10s %9s  %-9s %s\n", TW, "tensor", "where", "offset", "bytes", "live",
            "storage of");
    for (int k = 0; k < n; k++) {
        const TensorPlan *tp = &p->tensors[ids[k]];
        const char *where = tp->loc == LOC_L2 ? "L2" : tp->loc == LOC_L3 ? "L3" : "alias";
        char live[32];
        snprintf(live, sizeof live, "%d..%d", tp->first, tp->last);
        fprintf(f, "  %-*s %-5s %10lld %9lld  %-*s", TW, shown + (size_t)k * (TW + 1), where,
                (long long)(tp->loc == LOC_ALIAS ? p->tensors[tp->alias].offset : tp->offset),
                (long long)tp->bytes, tp->loc == LOC_ALIAS ? 9 : 0, live);
        int j = 0;
        while (tp->loc == LOC_ALIAS && j < n && ids[j] != tp->alias) j++;
        if (tp->loc == LOC_ALIAS)
            fprintf(f, " %s",
                    j < n ? alias + (size_t)j * (AW + 1) : p->g->tensors[tp->alias]->name);
        fputc('\n', f);
    }
    for (int k = 0; k < n; k++) /* the alias column shows only storage owners */
        if (amb2[k] && !amb[k]) {
            int owner = 0;
            for (int j = 0; j < n; j++)
                owner |= p->tensors[ids[j]].loc == LOC_ALIAS && p->tensors[ids[j]].alias == ids[k];
            namb -= !owner;
            amb2[k] = (char)owner;
        }
    if (namb > 0) {
        fprintf(f, "tensor names in full (no shorter form is unambiguous):\n");
        for (int k = 0; k < n; k++)
            if (amb[k] || amb2[k]) fprintf(f, "  %s\n", names[k]);
    }
}

void plan_print(FILE *f, const Plan *p)
{
    const Target *t = &p->target;
    Arena a;
    arena_init(&a);
    NameColumn col;
    if (ir_name_column(p->g, TXT_NAME_W, &a, &col)) {
        arena_free(&a);
        return;
    }
    fprintf(f, "plan for target %s, objective: %s\n  ", t->name,
            p->opt.objective == OBJ_DORY ? "dory (L1 use + alignment bonuses)"
                                         : "exact (fewest modeled cycles)");
    print_wrapped(f, t->description, 2);
    fprintf(f, "  L1 %lld B (budget %lld), L2 %lld B (budget %lld), L3 %lld B, %d cores\n",
            (long long)t->l1.size, (long long)target_l1_budget(t), (long long)t->l2.size,
            (long long)p->l2_budget, (long long)t->l3.size, t->cores);
    print_tile_table(f, p, &col);
    print_cost_table(f, p, &col);
    print_binding_table(f, p, &col);
    ir_print_full_names(f, p->g, &col);
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
    fprintf(f, "\nL2: arena peak %lld + image %lld of %lld bytes (arena lower bound %lld)\n",
            (long long)p->l2_peak, (long long)plan_l2_image_in_l2(p), (long long)p->l2_budget,
            (long long)p->l2_lower_bound);
    fprintf(f, "constants: %lld bytes %s, %lld streamed from L3; L3 used %lld bytes\n",
            (long long)wl2,
            p->target.levels < 2 ? "in the image (flash), read in place" : "resident in L2",
            (long long)wl3, (long long)p->l3_used);
    if (p->target.levels < 2)
        fprintf(f,
                "SRAM: peak %lld bytes = activations %lld + kernel scratch %lld (the "
                "application allocates exactly this)\n",
                (long long)(p->l2_peak + plan_sram_scratch(p)), (long long)p->l2_peak,
                (long long)plan_sram_scratch(p));
    print_act_map(f, p, &a);
    char line[1200];
    snprintf(line, sizeof line, "status: %s%s%s (planned in %.1f ms)", plan_status_name(p->status),
             p->message ? ": " : "", p->message ? p->message : "", p->plan_ms);
    print_wrapped(f, line, 8);
    arena_free(&a);
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
            "\"im2col_pixels\": %d, ",
            (long long)l->l1_used, (long long)l->l1_budget, (long long)l->dma_in_bytes,
            (long long)l->dma_w_bytes, (long long)l->dma_out_bytes, (long long)l->dma_jobs,
            l->kernel == DORY_K_CONV2D_1PX ? 1 : 4);
    if (l->dory_tile[0])
        fprintf(f, "\"dory_tile\": [%lld, %lld, %lld], ", (long long)l->dory_tile[0],
                (long long)l->dory_tile[1], (long long)l->dory_tile[2]);
    fprintf(f, "\"cost\": ");
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
            ", \"dma_bytes\": %lld, \"dma_jobs\": %lld, \"w_prefetch_from\": %d}",
            (long long)s->in_rows, (long long)s->w_buf, s->w_nbuf, (long long)s->w_off[0],
            (long long)s->w_off[1], (long long)s->in_buf, s->in_nbuf, (long long)s->in_off[0],
            (long long)s->in_off[1], (long long)s->out_buf, s->out_nbuf, (long long)s->out_off[0],
            (long long)s->out_off[1], (long long)s->dma_bytes, (long long)s->dma_jobs,
            s->w_pre ? s->w_pre_from : -1);
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
