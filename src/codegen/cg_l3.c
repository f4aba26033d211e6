/* cg_l3.c: the L3 side of a layer whose operands stream from L3: the table
 * that drives dory_run_l3() (runtime/dory_layer.c).
 *
 * Emits data, not loops: the wrapper itself lives in the runtime. Must not
 * choose slice sizes or staging offsets (the L3 plan does).
 */
#include "cg_int.h"

void cg_l3_next_decl(Out *o, const Layer *L)
{
    if (L->next_fn)
        cg_emit(o, "extern const dory_l3_layer_t %s_l3; /* the next layer's */\n\n", L->next_fn);
}

/* A layer with operands in L3: its slices and placements as a table for
 * dory_run_l3() (runtime/dory_layer.c), which streams input rows and weight
 * slices into double-buffered L2 staging one slice ahead and writes output
 * rows back asynchronously. */
void cg_emit_entry_l3(Out *o, const Layer *L)
{
    const L3Plan *l3 = &L->lp->l3;
    long long xrow = act_w(L->x) * act_c(L->x) * L->in_elem;
    long long x2row = L->x2 ? act_w(L->x2) * act_c(L->x2) * L->in_elem : 0;
    int in1 = l3->in_nbuf > 1, w1 = l3->w_nbuf > 1, o1 = l3->out_nbuf > 1;
    cg_emit(o,
            "/* L3 slices: %lld row slice(s) of %lld output rows, %lld channel slice(s) of %lld "
            "channels */\n",
            (long long)l3->row_slice.n, (long long)l3->row_slice.tile, (long long)l3->co_slice.n,
            (long long)l3->co_slice.tile);
    /* a layer whose first weight piece the layer before requests: its table
     * is the application's (that layer's .next) */
    char name[112] = "l3";
    if (l3->w_pre) snprintf(name, sizeof name, "%s_l3", L->fn);
    cg_l3_next_decl(o, L);
    cg_emit(o, "%sconst dory_l3_layer_t %s = {\n    .loop = &layer.loop,\n    .geom = %s,\n",
            l3->w_pre ? "" : "static ", name, cg_call_is(L, DORY_CALL_FC) ? "0" : "&layer.geom");
    cg_emit(o,
            "    .nr = %lld, .nc = %lld, .rt = %lld, .ct = %lld, /* slices: rows x channels */\n",
            (long long)l3->row_slice.n, (long long)l3->co_slice.n, (long long)l3->row_slice.tile,
            (long long)l3->co_slice.tile);
    cg_emit(o, "    .ho = %lld, .wo = %lld, .co = %lld,\n    .inputs = %d,\n",
            (long long)act_h(L->y), (long long)act_w(L->y), (long long)act_c(L->y), L->x2 ? 2 : 1);
    cg_emit(o, "    .x_l3 = {%d, %d},\n    .x_addr = {%lldu, %lldu},\n    .x_row = {%lld, %lld},\n",
            L->x_in_l3, L->x2_in_l3, (long long)(L->x_in_l3 ? L->x_l3 : L->x_l2),
            (long long)(L->x2 ? (L->x2_in_l3 ? L->x2_l3 : L->x2_l2) : 0), xrow, x2row);
    cg_emit(o, "    .in_buf = {%lld, %lld},\n    .in_rows = %lld,\n", (long long)l3->in_off[0],
            (long long)l3->in_off[in1], (long long)l3->in_rows);
    if (L->w) cg_emit(o, "    .has_w = 1,\n    .w_l3 = %d,\n", L->w_in_l3);
    if (L->w && L->w_in_l3) cg_emit(o, "    .w_addr = %lldu,\n", (long long)L->w_l3);
    if (L->w)
        cg_emit(o, "    .w_per_co = %lld,\n    .w_buf = {%lld, %lld},\n", (long long)L->w_per_co,
                (long long)l3->w_off[0], (long long)l3->w_off[w1]);
    cg_emit(o,
            "    .y_l3 = %d,\n    .y_addr = %lldu,\n    .y_row = %lld,\n"
            "    .out_buf = {%lld, %lld},\n",
            L->y_in_l3, (long long)(L->y_in_l3 ? L->y_l3 : L->y_l2),
            (long long)(act_w(L->y) * act_c(L->y) * L->out_elem), (long long)l3->out_off[0],
            (long long)l3->out_off[o1]);
    if (l3->w_pre)
        cg_emit(o, "    .w_pre = 1, /* the first weight piece: read during the layer before */\n");
    if (L->next_fn)
        cg_emit(o, "    .next = &%s_l3, /* requests its first weight piece */\n", L->next_fn);
    cg_emit(o, "};\n\n");
    char w[96] = "0";
    if (L->w && !L->w_in_l3) cg_l2_weight_expr(L, w, sizeof w);
    cg_emit(o, "int %s(void) { return dory_run_l3(&%s, %s); }\n", L->fn, name, w);
}
