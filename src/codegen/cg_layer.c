/* cg_layer.c: writes src/layer_NN_<name>.c, what differs per layer: the
 * header comment (shapes, tiles, L1 map, modeled cycles), the constants
 * (bias, weight zero points, requantization), the constant descriptor that
 * drives the runtime executor (runtime/dory_exec.c: loaders, parameter
 * block, kernel call, epilogue) with designated initializers, and a tiny
 * entry point returning the first kernel error; concatenations as strided
 * copies.
 *
 * Reads only an analysed and checked Layer (cg_analyse.c); every offset it
 * prints comes from the Plan. Must not decide memory or change the graph.
 */
#include <stdlib.h>
#include <string.h>

#include "cg_int.h"
#include "ir/quant.h"

_Static_assert(Q_AVG_ORT_HEAD == DORY_AVG_ORT_HEAD, "avg_table layout out of step");

/* ---- Requantization constants -------------------------------------------------- */

/* Emits the arrays of a requant as per-channel C arrays named PREFIX_k etc.
 * and returns the C initializer of a dory_requant_t (pointers offset by the
 * channel variable `co0` at run time). */
static void emit_rq_arrays(Out *o, const Graph *g, const Requant *rq, Arith arith, int64_t nch,
                           const char *prefix)
{
    int64_t *v = util_calloc((size_t)nch * 2 + 2, sizeof(int64_t));
    if (!v) {
        cg_out_fail(o);
        return;
    }
    char decl[160];
    const char *t64 = arith == ARITH_64 || rq->d > 31 ? "int64_t" : "int32_t";
    for (int64_t c = 0; c < nch; c++) {
        RqChan r = rq_channel(g, rq, c);
        switch (rq->scheme) {
        case RQ_SHIFT:
        case RQ_F32INT: v[c] = r.k, v[nch + c] = r.l; break;
        case RQ_FIXED:
        case RQ_FIXED_SR: v[c] = r.mult, v[nch + c] = r.shift; break;
        default: break;
        }
    }
    if (rq->scheme == RQ_SHIFT) {
        snprintf(decl, sizeof decl, "static const %s %s_k", t64, prefix);
        cg_emit_ints(o, decl, v, nch);
        snprintf(decl, sizeof decl, "static const %s %s_l", t64, prefix);
        cg_emit_ints(o, decl, v + nch, nch);
    } else if (rq_is_fixed(rq->scheme)) {
        snprintf(decl, sizeof decl, "static const int32_t %s_mult", prefix);
        cg_emit_ints(o, decl, v, nch);
        snprintf(decl, sizeof decl, "static const int32_t %s_shift", prefix);
        cg_emit_ints(o, decl, v + nch, nch);
    } else if (rq->scheme == RQ_LUT) {
        const Tensor *t = graph_tensor(g, rq->table);
        int64_t *tv = util_calloc((size_t)tensor_numel(t), sizeof(int64_t));
        if (!tv) {
            free(v);
            cg_out_fail(o);
            return;
        }
        for (int64_t i = 0; i < tensor_numel(t); i++) tv[i] = tensor_get(t, i);
        snprintf(decl, sizeof decl, "static const int32_t %s_table", prefix);
        cg_emit_ints(o, decl, tv, tensor_numel(t));
        free(tv);
    } else if (rq_has_scale(rq->scheme)) {
        /* QLADD: s_a, s_b, c once; QLMUL: s, zc; FLOAT, F32INT: one scale per
         * channel, and F32INT's shortcut (k 0: the emulation) */
        if (rq->scheme == RQ_F32INT && rq->k >= 0) {
            snprintf(decl, sizeof decl, "static const int32_t %s_k", prefix);
            cg_emit_ints(o, decl, v, nch);
            snprintf(decl, sizeof decl, "static const int64_t %s_l", prefix);
            cg_emit_ints(o, decl, v + nch, nch);
        }
        const Tensor *t = graph_tensor(g, rq->scale);
        int64_t n = rq_is_qladd(rq->scheme) ? 3 : rq_is_qlmul(rq->scheme) ? 2 : nch;
        cg_emit(o, "static const float %s_scale[%lld] = {", prefix, (long long)n);
        for (int64_t c = 0; c < n; c++)
            cg_emit(o, "%s%a,", c % 8 ? " " : "\n    ",
                    (double)tensor_get_f32(t, tensor_numel(t) == 1 ? 0 : c));
        cg_emit(o, "\n};\n");
    }
    free(v);
}

/* The designated initializer of a dory_requant_t whose per-channel arrays
 * are PREFIX_k etc. from channel 0 (the executor starts each tile at its
 * channel); prefix NULL: a layer that stages them (Layer.c_block), whose
 * pointers the executor sets to each tile's copy in L1. */
static void emit_rq_init(Out *o, const Requant *rq, Arith arith, const char *prefix, int per_ch)
{
    int wide = arith == ARITH_64 || rq->d > 31;
    const char *fixed = rq->scheme == RQ_FIXED ? "DORY_RQ_FIXED" : "DORY_RQ_FIXED_SR";
    switch (rq->scheme) {
    case RQ_SHIFT:
        if (!prefix) { /* staged: the executor points k, l at the tile's L1 block */
            cg_emit(o, "{.scheme = %s, .per_channel = %d, .d = %d}",
                    wide ? "DORY_RQ_SHIFT64" : "DORY_RQ_SHIFT32", per_ch, rq->d);
            break;
        }
        cg_emit(o, "{.scheme = %s, .per_channel = %d, .%s = %s_k, .%s = %s_l, .d = %d}",
                wide ? "DORY_RQ_SHIFT64" : "DORY_RQ_SHIFT32", per_ch, wide ? "k64" : "k32", prefix,
                wide ? "l64" : "l32", prefix, rq->d);
        break;
    case RQ_FIXED:
    case RQ_FIXED_SR:
        if (!prefix) {
            cg_emit(o, "{.scheme = %s, .per_channel = %d, .pre = %d}", fixed, per_ch, rq->pre);
            break;
        }
        cg_emit(o,
                "{.scheme = %s, .per_channel = %d, .mult = %s_mult, .shift = %s_shift, "
                ".pre = %d}",
                fixed, per_ch, prefix, prefix, rq->pre);
        break;
    case RQ_FLOAT:
    case RQ_F32INT:
    case RQ_QLADD:
    case RQ_QLADD_INT:
    case RQ_QLMUL:
    case RQ_QLMUL_INT: {
        static const char *const name[] = {
            [RQ_FLOAT] = "FLOAT",         [RQ_F32INT] = "F32INT", [RQ_QLADD] = "QLADD",
            [RQ_QLADD_INT] = "QLADD_INT", [RQ_QLMUL] = "QLMUL",   [RQ_QLMUL_INT] = "QLMUL_INT"};
        cg_emit(o, "{.scheme = DORY_RQ_%s, .per_channel = %d, .scale = %s_scale", name[rq->scheme],
                !rq_is_qladd(rq->scheme) && !rq_is_qlmul(rq->scheme), prefix);
        if (rq->scheme == RQ_F32INT && rq->k >= 0)
            cg_emit(o, ", .k32 = %s_k, .l64 = %s_l, .d = %d", prefix, prefix, rq->d);
        cg_emit(o, "}");
        break;
    }
    case RQ_LUT:
        cg_emit(o, "{.scheme = DORY_RQ_LUT, .table = %s_table, .table_base = %d}", prefix,
                rq->base);
        break;
    default: cg_emit(o, "{.scheme = DORY_RQ_NONE, .per_channel = 1}"); break;
    }
}

/* The width of an add's input requant i: 32 bits where the verifier proved
 * them enough (ir/verify.c), else 64. */
static Arith in_arith(const Node *n, int i)
{
    return n->in_arith[i] == ARITH_32 ? ARITH_32 : ARITH_64;
}

static const char *dory_type(const Tensor *t)
{
    return t->dtype == DT_U8 ? "DORY_U8" : t->dtype == DT_I32 ? "DORY_I32" : "DORY_I8";
}

/* ---- One layer file ---------------------------------------------------------- */

/* "L3 +off" or "<l2> +off": where an operand lives, for the header comment. */
static const char *where(char *buf, size_t n, int in_l3, int64_t l3, const char *l2name, int64_t l2)
{
    snprintf(buf, n, "%s +%lld", in_l3 ? "L3" : l2name, (long long)(in_l3 ? l3 : l2));
    return buf;
}

static void emit_header_comment(Out *o, const Graph *g, const Layer *L)
{
    const Node *n = L->n;
    const L1Plan *l1 = &L->lp->l1;
    cg_emit(o, "/* %s.c: node '%s' (%s), generated by dory %s.\n *\n", L->fn, cg_cmt(n->name),
            op_name(n->op), DORY_VERSION);
    char at[64];
    cg_emit(o, " * input   %lldx%lldx%lld %s at %s\n", (long long)act_h(L->x),
            (long long)act_w(L->x), (long long)act_c(L->x), dtype_name(L->x->dtype),
            where(at, sizeof at, L->x_in_l3, L->x_l3, "L2", L->x_l2));
    if (L->x2)
        cg_emit(o, " * input 2 %lldx%lldx%lld %s at %s\n", (long long)act_h(L->x2),
                (long long)act_w(L->x2), (long long)act_c(L->x2), dtype_name(L->x2->dtype),
                where(at, sizeof at, L->x2_in_l3, L->x2_l3, "L2", L->x2_l2));
    cg_emit(o, " * output  %lldx%lldx%lld %s at %s\n", (long long)act_h(L->y),
            (long long)act_w(L->y), (long long)act_c(L->y), dtype_name(L->y->dtype),
            where(at, sizeof at, L->y_in_l3, L->y_l3, "L2", L->y_l2));
    if (L->w)
        cg_emit(o, " * weights %lld bytes at %s%s\n", (long long)cg_w_image_bytes(L),
                where(at, sizeof at, L->w_in_l3, L->w_l3, "the L2 image", L->w_l2),
                L->ki->flags & DORY_KF_PACK16 ? " (packed int16 for SMLAD)" : "");
    if (L->kernel != DORY_K_CONCAT) {
        cg_emit(o, " * kernel  %s\n", L->ki->fn);
        cg_emit(
            o,
            " * tiles   channels %lld x %lld (last %lld), rows %lld x %lld (last %lld), "
            "columns %lld x %lld (last %lld); %s\n",
            (long long)l1->d[TD_CO].n, (long long)l1->d[TD_CO].tile, (long long)l1->d[TD_CO].last,
            (long long)l1->d[TD_HO].n, (long long)l1->d[TD_HO].tile, (long long)l1->d[TD_HO].last,
            (long long)l1->d[TD_WO].n, (long long)l1->d[TD_WO].tile, (long long)l1->d[TD_WO].last,
            l1->order == ORDER_HWC ? "rows, columns, channels (channels innermost)"
                                   : "channels outermost");
        cg_emit(o, " * L1 map  (bytes, offset of each copy):\n");
        for (int b = 0; b < BUF_COUNT; b++) {
            if (l1->buf[b].nbuf > 1)
                cg_emit(o, " *   %-8s %7lld  x2 @ %lld, %lld\n", plan_buf_name((L1BufId)b),
                        (long long)l1->buf[b].bytes, (long long)l1->buf[b].off[0],
                        (long long)l1->buf[b].off[1]);
            else if (l1->buf[b].nbuf == 1)
                cg_emit(o, " *   %-8s %7lld  x1 @ %lld\n", plan_buf_name((L1BufId)b),
                        (long long)l1->buf[b].bytes, (long long)l1->buf[b].off[0]);
        }
        cg_emit(o, " * L1 used %lld of %lld bytes\n", (long long)l1->l1_used,
                (long long)l1->l1_budget);
        cg_emit(o, " * modeled %.0f cycles, %lld MACs\n", L->lp->cost.total,
                (long long)node_macs(g, n));
        if (L->lp->l3.w_pre)
            cg_emit(o, " * L3 prefetch: the first weight piece is read during the layer before\n");
        if (L->next_fn)
            cg_emit(o, " * L3 prefetch: requests %s's first weight piece\n", L->next_fn);
    }
    cg_emit(o, " */\n");
}

/* Weight zero points, per tensor or per channel, go to the kernel per channel. */
static int32_t weight_zp(const Layer *L, int64_t c)
{
    return tensor_zp_at(L->w, c) - cg_weight_shift(L);
}

static int has_w_zp(const Layer *L)
{
    if (!L->w) return 0;
    for (int64_t c = 0; c < L->w->shape[0]; c++)
        if (weight_zp(L, c)) return 1;
    return 0;
}

static void emit_constants(Out *o, const Graph *g, const Layer *L)
{
    const Node *n = L->n;
    int64_t co = act_c(L->y);
    if (L->b && !L->c_block) {
        int64_t *v = util_calloc((size_t)co, sizeof(int64_t));
        for (int64_t c = 0; v && c < co; c++) v[c] = tensor_get(L->b, c);
        if (v)
            cg_emit_ints(o, "static const int32_t bias", v, co);
        else
            cg_out_fail(o);
        free(v);
    }
    if (has_w_zp(L)) {
        int64_t *v = util_calloc((size_t)co, sizeof(int64_t));
        for (int64_t c = 0; v && c < co; c++) v[c] = weight_zp(L, c);
        if (v)
            cg_emit_ints(o, "static const int32_t w_zp", v, co);
        else
            cg_out_fail(o);
        free(v);
    }
    if (L->c_block)
        cg_emit(o,
                "/* bias and requant constants: one block per channel tile in the L2 image "
                "(dory_l2_weights + %lld), staged into l1.rq with the weights */\n",
                (long long)L->c_img);
    else
        emit_rq_arrays(o, g, &n->rq, n->arith, co, "rq");
    if (n->avg_table >= 0) {
        const Tensor *t = graph_tensor(g, n->avg_table);
        cg_emit_ints(o, "static const int64_t avg_table", (const int64_t *)t->data,
                     tensor_numel(t));
    }
    if (cg_call_is(L, DORY_CALL_ADD)) {
        emit_rq_arrays(o, g, &n->in_rq[0], in_arith(n, 0), L->in_rq_one[0] ? 1 : co, "rqa");
        emit_rq_arrays(o, g, &n->in_rq[1], in_arith(n, 1), L->in_rq_one[1] ? 1 : co, "rqb");
    }
}

/* ---- Constants staged in L1 (dory_exec_consts_t) ------------------------------- */

int64_t cg_consts_image_bytes(const Layer *L) { return plan_consts_image_bytes(L->lp); }

void cg_consts_bytes(const Graph *g, const Layer *L, uint8_t *dst)
{
    const Requant *rq = &L->n->rq;
    int64_t t_co = L->lp->l1.d[TD_CO].tile, co = act_c(L->y);
    int e = plan_consts_elem(L->n), fixed = rq_is_fixed(rq->scheme);
    memset(dst, 0, (size_t)cg_consts_image_bytes(L));
    for (int64_t c = 0; c < co; c++) {
        RqChan r = rq_channel(g, rq, c);
        uint8_t *blk = dst + c / t_co * L->c_block;
        int64_t i = c % t_co, v[3];
        v[0] = fixed ? r.mult : r.k;
        v[1] = fixed ? r.shift : r.l;
        v[2] = L->b ? tensor_get(L->b, c) : 0;
        for (int f = 0; f < 3; f++) {
            int fe = f == 2 ? 4 : e;
            uint8_t *at = blk + f * t_co * e + i * fe;
            if (f == 2 && !L->b) break;
            for (int k = 0; k < fe; k++) at[k] = (uint8_t)((uint64_t)v[f] >> (8 * k));
        }
    }
}

/* ---- The layer's descriptor (runtime/dory_exec.h) ----------------------------- */

static const char *call_name(dory_call_t c)
{
    static const char *const names[DORY_CALL_COUNT] = {
#define X(c) #c,
        DORY_CALL_SHAPES(X)
#undef X
    };
    return (unsigned)c < DORY_CALL_COUNT ? names[c] : "NONE";
}

/* The union member of dory_exec_params_t and dory_exec_fn_t of the layer's
 * call shape. */
static const char *params_member(const Layer *L)
{
    switch (L->ki->call) {
    case DORY_CALL_FC: return "fc";
    case DORY_CALL_POOL: return "pool";
    case DORY_CALL_ADD: return "add";
    case DORY_CALL_MUL: return "mul";
    case DORY_CALL_ELTWISE: return "eltwise";
    case DORY_CALL_SOFTMAX: return "softmax";
    default: return "conv";
    }
}

static void emit_out_init(Out *o, const Layer *L)
{
    const Node *n = L->n;
    cg_emit(o, "        .out = {.type = %s, .zp = %d, .lo = %d, .hi = %d,\n                .rq = ",
            dory_type(L->y), L->y->zp, n->lo, n->hi);
    emit_rq_init(o, &n->rq, n->arith, L->c_block ? NULL : "rq", 1);
    cg_emit(o, "},\n");
}

static void emit_w_zp(Out *o, const Layer *L)
{
    if (has_w_zp(L)) cg_emit(o, "        .w_zp = w_zp,\n        .w_zp_per_channel = 1,\n");
}

static const char *avg_round(const Node *n)
{
    return n->avg_round == AVG_FLOOR       ? "DORY_AVG_FLOOR"
           : n->avg_round == AVG_HALF_AWAY ? "DORY_AVG_HALF_AWAY"
           : n->avg_round == AVG_ORT       ? "DORY_AVG_ORT"
                                           : "DORY_AVG_NONE";
}

/* The kernel's constant parameters; padding, borders and the accumulation
 * mode are the tile's (the executor sets them). */
static void emit_params(Out *o, const Layer *L)
{
    const Node *n = L->n;
    const Tensor *x = L->x;
    cg_emit(o, "    .p.%s = {\n", params_member(L));
    if (cg_call_is(L, DORY_CALL_SOFTMAX)) {
        cg_emit(o, "        .mult = %d,\n        .shift = %d,\n        .diff_min = %d,\n    },\n",
                n->sm_mult, n->sm_shift, n->sm_diff_min);
        return;
    }
    switch (L->ki->call) {
    case DORY_CALL_FC: emit_w_zp(o, L); break;
    case DORY_CALL_ADD:
        cg_emit(o,
                "        .a_type = %s,\n        .b_type = %s,\n        .a_zp = %d,\n"
                "        .b_zp = %d,\n        .rq_a = ",
                dory_type(x), dory_type(L->x2), x->zp, L->x2->zp);
        emit_rq_init(o, &n->in_rq[0], in_arith(n, 0), "rqa", !L->in_rq_one[0]);
        cg_emit(o, ",\n        .rq_b = ");
        emit_rq_init(o, &n->in_rq[1], in_arith(n, 1), "rqb", !L->in_rq_one[1]);
        cg_emit(o, ",\n");
        break;
    case DORY_CALL_MUL:
        cg_emit(o,
                "        .a_type = %s,\n        .b_type = %s,\n        .a_zp = %d,\n"
                "        .b_zp = %d,\n",
                dory_type(x), dory_type(L->x2), x->zp, L->x2->zp);
        break;
    case DORY_CALL_POOL:
        cg_emit(o,
                "        .kh = %d,\n        .kw = %d,\n        .stride_h = %d,\n"
                "        .stride_w = %d,\n",
                L->kh, L->kw, n->stride[0], n->stride[1]);
        if (L->kernel == DORY_K_AVGPOOL)
            cg_emit(o, "        .round = %s,\n        .count_include_pad = %d,\n%s", avg_round(n),
                    n->count_include_pad ? 1 : 0,
                    n->avg_table >= 0 ? "        .avg_table = avg_table,\n" : "");
        break;
    case DORY_CALL_CONV:
    case DORY_CALL_GROUPED:
        cg_emit(o,
                "        .kh = %d,\n        .kw = %d,\n        .stride_h = %d,\n"
                "        .stride_w = %d,\n        .dil_h = %d,\n        .dil_w = %d,\n",
                L->kh, L->kw, n->stride[0], n->stride[1], n->dilation[0], n->dilation[1]);
        if (L->kernel == DORY_K_CONV2D_1PX)
            cg_emit(o,
                    "        .im2col_pixels = 1, /* one-pixel im2col (the planner's choice) */\n");
        emit_w_zp(o, L);
        break;
    default: break;
    }
    if (!cg_call_is(L, DORY_CALL_ADD) && !cg_call_is(L, DORY_CALL_MUL))
        cg_emit(o, "        .in_type = %s,\n        .in_zp = %d,\n", dory_type(x), x->zp);
    emit_out_init(o, L);
    cg_emit(o, "    },\n");
}

static void emit_copies(Out *o, const char **sep, const char *name, const L1Buf *b)
{
    if (!b->nbuf) return;
    if (b->nbuf > 1)
        cg_emit(o, "%s.%s = {%lld, %lld}", *sep, name, (long long)b->off[0], (long long)b->off[1]);
    else
        cg_emit(o, "%s.%s = {%lld}", *sep, name, (long long)b->off[0]);
    *sep = ", ";
}

/* L1 offsets of the plan's buffers (one copy: copy 1 left 0). */
static void emit_l1(Out *o, const Layer *L)
{
    const L1Buf *b = L->lp->l1.buf;
    const char *sep = "";
    cg_emit(o, "    .l1 = {");
    emit_copies(o, &sep, "in0", &b[BUF_IN0]);
    emit_copies(o, &sep, "in1", &b[BUF_IN1]);
    emit_copies(o, &sep, "w", &b[BUF_W]);
    emit_copies(o, &sep, "out", &b[BUF_OUT]);
    if (L->c_block) emit_copies(o, &sep, "rq", &b[BUF_RQ]);
    if (b[BUF_ACC].nbuf) cg_emit(o, "%s.acc = %lld", sep, (long long)b[BUF_ACC].off[0]), sep = ", ";
    if (b[BUF_SCRATCH].nbuf) cg_emit(o, "%s.scratch = %lld", sep, (long long)b[BUF_SCRATCH].off[0]);
    cg_emit(o, "},\n");
}

/* The tile loop: tiling, inputs, what changes from tile to tile. */
static void emit_loop(Out *o, const Layer *L)
{
    const L1Plan *l1 = &L->lp->l1;
    cg_emit(o, "    .loop = {\n        .hooks = &dory_exec_hooks,\n");
    cg_emit(o,
            "        .tiling = {.order = %d, .n_co = %lld, .n_h = %lld, .n_w = %lld, .t_co = %lld, "
            ".t_h = %lld, .t_w = %lld, .CO = %lld, .HO = %lld, .WO = %lld},\n",
            l1->order == ORDER_HWC ? 0 : 1, (long long)l1->d[TD_CO].n, (long long)l1->d[TD_HO].n,
            (long long)l1->d[TD_WO].n, (long long)l1->d[TD_CO].tile, (long long)l1->d[TD_HO].tile,
            (long long)l1->d[TD_WO].tile, (long long)act_c(L->y), (long long)act_h(L->y),
            (long long)act_w(L->y));
    cg_emit(o, "        .inputs = %d,\n        .spatial = %d,\n        .coupled = %d,\n",
            L->x2 ? 2 : 1, !cg_call_is(L, DORY_CALL_FC), L->coupled);
    cg_emit(o, "        .weights = %d,\n", L->w != NULL);
    if (L->ci_tiled)
        cg_emit(o,
                "        .t_ci = %lld, /* input channels per slice: int32 partial sums */\n"
                "        .ci_all = %lld,\n",
                (long long)l1->d[TD_CI].tile, (long long)L->CI);
    cg_emit(o, "    },\n");
}

static void emit_geom(Out *o, const Layer *L)
{
    const Node *n = L->n;
    if (cg_call_is(L, DORY_CALL_FC)) return;
    int pool = cg_call_is(L, DORY_CALL_POOL);
    int sliding = cg_call_is(L, DORY_CALL_CONV) || cg_call_is(L, DORY_CALL_GROUPED) || pool;
    cg_emit(o,
            "    .geom = {.H = %lld, .W = %lld, .kh = %d, .kw = %d, .sh = %d, .sw = %d, .dh = %d, "
            ".dw = %d, .pad_top = %d, .pad_left = %d},\n",
            (long long)act_h(L->x), (long long)act_w(L->x), sliding ? L->kh : 1,
            sliding ? L->kw : 1, sliding ? n->stride[0] : 1, sliding ? n->stride[1] : 1,
            sliding && !pool ? n->dilation[0] : 1, sliding && !pool ? n->dilation[1] : 1,
            sliding ? n->pad[0] : 0, sliding ? n->pad[1] : 0);
}

/* Shapes the loaders and the kernel call need beyond the tiling. */
static void emit_shapes(Out *o, const Layer *L)
{
    cg_emit(o, "    .x = {.w = %lld, .c = %lld, .elem = %d},\n", (long long)act_w(L->x),
            (long long)act_c(L->x), L->in_elem);
    cg_emit(o, "    .y = {.w = %lld, .elem = %d},\n", (long long)act_w(L->y), L->out_elem);
    if (L->lp->geom.in1_pixel)
        cg_emit(o, "    .x2_pixel = 1, /* input 2: one pixel, its channels broadcast */\n");
    if (cg_call_is(L, DORY_CALL_FC)) cg_emit(o, "    .k = %lld,\n", (long long)tensor_numel(L->x));
    if (cg_call_is(L, DORY_CALL_GROUPED))
        cg_emit(o, "    .gin = %lld,\n    .gout = %lld,\n", (long long)L->gin, (long long)L->gout);
    else if (L->coupled)
        cg_emit(o, "    .gin = 1,\n    .gout = 1,\n");
    if (L->w) cg_emit(o, "    .w_per_co = %lld,\n", (long long)L->w_per_co);
    if (L->w && L->ci_tiled) cg_emit(o, "    .taps = %lld,\n", (long long)L->taps);
}

static void emit_descriptor(Out *o, const Layer *L)
{
    cg_emit(o, "static const dory_exec_layer_t layer = {\n");
    emit_loop(o, L);
    cg_emit(o, "    .kernel = %s,\n    .call = DORY_CALL_%s,\n    .fn.%s = %s,\n", L->ki->id,
            call_name(L->ki->call), params_member(L), L->ki->fn);
    if (L->ci_tiled) cg_emit(o, "    .psum = %s,\n", dory_kernel_info(DORY_K_REQUANT_S32)->fn);
    emit_geom(o, L);
    emit_shapes(o, L);
    emit_l1(o, L);
    cg_emit(o, "    .scratch = %lld,\n    .cores = DORY_CORES,\n",
            (long long)L->lp->l1.scratch_per_core);
    if (L->b && !L->c_block) cg_emit(o, "    .bias = bias,\n");
    if (L->c_block) {
        int64_t t_co = L->lp->l1.d[TD_CO].tile, e = plan_consts_elem(L->n);
        cg_emit(o,
                "    .consts = {.src = dory_l2_weights + %lld, .bytes = %lld, /* per channel tile, "
                "into l1.rq */\n               .k = 0, .l = %lld, .bias = %lld},\n",
                (long long)L->c_img, (long long)L->c_block, (long long)(t_co * e),
                L->b ? (long long)(2 * t_co * e) : -1LL);
    }
    emit_params(o, L);
    cg_emit(o, "};\n\n");
}

/* The layer's entry point when everything is in L2: one slice, the whole
 * layer; on a single-level target the layer runs in place on its tensors in
 * the arena (dory_exec_in_place), weights read from flash. */
static void emit_entry_l2(Out *o, const Layer *L, int in_place)
{
    char w[96] = "0", x2[64] = "0";
    if (L->w) cg_l2_weight_expr(L, w, sizeof w);
    if (L->x2) snprintf(x2, sizeof x2, "dory_l2_base() + %lld", (long long)L->x2_l2);
    cg_l3_next_decl(o, L);
    cg_emit(o, "int %s(void)\n{\n", L->fn);
    if (L->next_fn) cg_emit(o, "    dory_l3_prefetch(&%s_l3);\n", L->next_fn);
    cg_emit(o,
            "    return %s(&layer, dory_l2_base() + %lld, %s, %s,\n"
            "                        dory_l2_base() + %lld);\n}\n",
            in_place ? "dory_exec_in_place" : "dory_exec_l2", (long long)L->x_l2, x2, w,
            (long long)L->y_l2);
}

/* Concatenation on channels: per row slice (the whole tensor unless it
 * lives in L3), each input's rows are copied into the output rows at their
 * channel offset by a strided DMA; inputs in L3 are first read into the L2
 * staging buffer, an output in L3 is assembled there and written back. Data
 * movement only, not double-buffered. */
static void emit_concat(Out *o, const Graph *g, const Plan *p, const Layer *L)
{
    const Node *n = L->n;
    const L3Plan *l3 = &L->lp->l3;
    int64_t H = act_h(L->y), W = act_w(L->y), CT = act_c(L->y), e = L->out_elem;
    int64_t RT = l3->row_slice.n > 1 ? l3->row_slice.tile : H, yoff;
    cg_place_of(p, n->out, &yoff);
    cg_emit(o, "enum { H = %lld, RT = %lld };\n\n", (long long)H, (long long)RT);
    cg_emit(o,
            "int %s(void)\n{\n    uint8_t *l2 = dory_l2_base();\n    dory_dma_id_t id;\n"
            "    int r0;\n    for (r0 = 0; r0 < H; r0 += RT) {\n"
            "        int h = H - r0 < RT ? H - r0 : RT;\n",
            L->fn);
    if (L->y_in_l3)
        cg_emit(o, "        uint8_t *y = l2 + %lld; /* staging: rows r0.. of the output */\n",
                (long long)l3->out_off[0]);
    else
        cg_emit(o, "        uint8_t *y = l2 + %lld + (size_t)r0 * %lld;\n", (long long)yoff,
                (long long)(W * CT * e));
    int64_t coff = 0, soff = 0;
    for (int i = 0; i < n->nin; i++) {
        const Tensor *x = graph_tensor(g, n->in[i]);
        int64_t C = act_c(x), xo;
        int in_l3 = cg_place_of(p, n->in[i], &xo) == LOC_L3;
        cg_emit(o, "        {\n            const uint8_t *x;\n");
        if (in_l3) {
            cg_emit(
                o,
                "            id = dory_l3_read(l2 + %lld, %lldu + (uint32_t)r0 * %lldu, (size_t)h "
                "* "
                "%lld, \"%s rows\");\n            dory_dma_wait(id);\n"
                "            x = l2 + %lld;\n",
                (long long)(l3->in_off[0] + soff), (long long)xo, (long long)(W * C * e),
                (long long)(W * C * e), cg_lit(x->name), (long long)(l3->in_off[0] + soff));
            soff += RT * W * C * e;
        } else {
            cg_emit(o, "            x = l2 + %lld + (size_t)r0 * %lld;\n", (long long)xo,
                    (long long)(W * C * e));
        }
        cg_emit(
            o,
            "            id = dory_dma_copy_2d(y + %lld, x, %lld, (size_t)h * %lld, %lld, %lld, "
            "\"%s\");\n            dory_dma_wait(id);\n        }\n",
            (long long)(coff * e), (long long)(C * e), (long long)W, (long long)(CT * e),
            (long long)(C * e), cg_lit(x->name));
        coff += C;
    }
    if (L->y_in_l3)
        cg_emit(o,
                "        id = dory_l3_write(%lldu + (uint32_t)r0 * %lldu, y, (size_t)h * %lld, "
                "\"y rows\");\n        dory_dma_wait(id);\n",
                (long long)yoff, (long long)(W * CT * e), (long long)(W * CT * e));
    cg_emit(o, "    }\n    return 0;\n}\n");
}

int cg_write_layer(const char *dir, const Graph *g, const Plan *p, Layer *L)
{
    Out o;
    char name[160];
    snprintf(name, sizeof name, "src/%s.c", L->fn);
    if (cg_out_open(&o, dir, name)) return -1;
    emit_header_comment(&o, g, L);
    cg_emit(&o, "#include \"dory_exec.h\"\n#include \"network_layers.h\"\n\n");
    if (L->kernel == DORY_K_CONCAT) {
        emit_concat(&o, g, p, L);
        return cg_out_close(&o);
    }
    emit_constants(&o, g, L);
    emit_descriptor(&o, L);
    if (L->l3)
        cg_emit_entry_l3(&o, L);
    else
        emit_entry_l2(&o, L, p->target.levels < 2);
    return cg_out_close(&o);
}
