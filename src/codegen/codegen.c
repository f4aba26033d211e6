/* codegen.c: writes the application folder: one tiled, double-buffered C
 * function per layer, the network table, main, the L2 image of the weights,
 * the golden data, the Makefile and the README, plus the embedded kernels and
 * runtime.
 *
 * Everything about memory comes from the Plan (tile sizes, L1 offsets, L2
 * offsets); the generator only checks that what each buffer must hold fits
 * the buffer the plan gave it, and refuses, naming the node, what it cannot
 * generate yet. Must not pick tile sizes or change the graph.
 */
#include "codegen.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/embedded.h"
#include "dory_kernels.h"
#include "ir/interp.h"
#include "ir/quant.h"

/* ---- Output files --------------------------------------------------------- */

typedef struct Out {
    FILE *f;
    char path[4096];
} Out;

static int out_open(Out *o, const char *dir, const char *name)
{
    snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
    char sub[4096];
    snprintf(sub, sizeof sub, "%s", o->path);
    char *slash = strrchr(sub, '/');
    if (slash) {
        *slash = '\0';
        if (util_mkdir_p(sub)) return -1;
    }
    o->f = fopen(o->path, "w");
    if (!o->f) return diag_error((DiagLoc){o->path, 0, 0, 0}, "cannot create file");
    return 0;
}

static int out_close(Out *o)
{
    int bad = ferror(o->f);
    if (fclose(o->f) != 0 || bad) return diag_error((DiagLoc){o->path, 0, 0, 0}, "write error");
    return 0;
}

__attribute__((format(printf, 2, 3))) static void emit(Out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->f, fmt, ap);
    va_end(ap);
}

/* A C array of integers, 16 per line. */
static void emit_ints(Out *o, const char *decl, const int64_t *v, int64_t n)
{
    emit(o, "%s[%lld] = {", decl, (long long)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        if (i % 16 == 0) emit(o, "\n   ");
        emit(o, " %lld,", (long long)v[i]);
    }
    if (!n) emit(o, "0");
    emit(o, "\n};\n");
}

static void emit_bytes(Out *o, const char *decl, const uint8_t *v, int64_t n)
{
    emit(o, "%s[%lld] = {", decl, (long long)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        if (i % 24 == 0) emit(o, "\n   ");
        emit(o, " %u,", v[i]);
    }
    if (!n) emit(o, "0");
    emit(o, "\n};\n");
}

/* ---- Layer analysis ---------------------------------------------------------- */

/* The kernels store int32 outputs (raw accumulators of a last layer). */
enum { KERNELS_I32_OUT = 1 };

typedef enum {
    GK_CONV,
    GK_PW,
    GK_DW,
    GK_GROUPED, /* groups > 1 other than plain depthwise: one conv per group */
    GK_REQUANT, /* element-wise requantization */
    GK_FC,
    GK_MAXPOOL,
    GK_AVGPOOL,
    GK_ADD,
    GK_CONCAT,
    GK_ALIAS
} GenKind;

typedef struct Layer {
    int index;
    const Node *n;
    const LayerPlan *lp;
    GenKind kind;
    char fn[96]; /* C function name */
    const Tensor *x, *x2, *y, *w, *b;
    int64_t x_l2, x2_l2, y_l2, w_l2;
    int in_elem, out_elem;
    int kh, kw;
    int64_t w_per_co;   /* weight bytes per output channel */
    int coupled;        /* input channels follow output channels */
    const char *kernel; /* kernel function */
    int32_t scratch;    /* bytes per core */
    /* L3: which operands stream, and their L3 offsets */
    int x_in_l3, x2_in_l3, y_in_l3, w_in_l3, l3;
    int64_t x_l3, x2_l3, y_l3, w_l3;
    /* input-channel tiling: int32 partial sums in L1, requantized at the end */
    int ci_tiled;
    int64_t CI;               /* input channels (conv) or inputs (fc) being tiled */
    int64_t taps;             /* kernel taps per input channel (kh * kw; fc: 1) */
    int64_t gin, gout;        /* coupled layers: input / output channels per group */
    char cin0[64], cin_n[64]; /* C expressions: a tile's first input channel, count */
} Layer;

static int64_t elem_bytes(const Tensor *t) { return dtype_info(t->dtype)->bytes; }

/* Where a tensor lives: its level (LOC_L2 or LOC_L3) and offset there. */
static int place_of(const Plan *p, int id, int64_t *off)
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

static int classify(const Graph *g, Layer *L)
{
    const Node *n = L->n;
    DiagLoc loc = node_loc(g, n);
    switch (n->op) {
    case OP_CONV2D: {
        int64_t cin = act_c(L->x), cout = act_c(L->y);
        L->kh = (int)L->w->shape[1];
        L->kw = (int)L->w->shape[2];
        L->w_per_co = L->kh * L->kw * L->w->shape[3];
        if (n->groups == 1) {
            int nopad = !n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3];
            L->kind = L->kh == 1 && L->kw == 1 && nopad ? GK_PW : GK_CONV;
            L->kernel = L->kind == GK_PW ? "dory_conv1x1_s8" : "dory_conv2d_hwc_s8";
        } else if (n->groups == cin && cin == cout) {
            L->kind = GK_DW;
            L->coupled = 1;
            int fast = L->kh == 3 && L->kw == 3 && n->dilation[0] == 1 && n->dilation[1] == 1;
            L->kernel = fast ? "dory_dwconv3x3_s8" : "dory_dwconv_s8";
        } else {
            /* grouped, or depthwise with a channel multiplier: per group a
             * standard conv on the group's channel slices (channel strides) */
            L->kind = GK_GROUPED;
            L->coupled = 1;
            int nopad = !n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3];
            L->kernel =
                L->kh == 1 && L->kw == 1 && nopad ? "dory_conv1x1_s8" : "dory_conv2d_hwc_s8";
        }
        L->gin = cin / n->groups;
        L->gout = cout / n->groups;
        (void)loc;
        return 0;
    }
    case OP_FC:
        L->kind = GK_FC;
        L->kernel = "dory_fc_s8";
        L->w_per_co = L->w->shape[1];
        return 0;
    case OP_MAXPOOL:
    case OP_AVGPOOL:
        L->kind = n->op == OP_MAXPOOL ? GK_MAXPOOL : GK_AVGPOOL;
        L->kernel = n->op == OP_MAXPOOL ? "dory_maxpool_s8" : "dory_avgpool_s8";
        L->coupled = 1;
        L->gin = L->gout = 1;
        node_kernel(g, n, &L->kh, &L->kw);
        return 0;
    case OP_ADD:
        L->kind = GK_ADD;
        L->kernel = "dory_add_s8";
        L->coupled = 1;
        L->gin = L->gout = 1;
        return 0;
    case OP_REQUANT:
        L->kind = GK_REQUANT;
        L->kernel = "dory_requant_s8";
        L->coupled = 1;
        L->gin = L->gout = 1;
        L->kh = L->kw = 1;
        return 0;
    case OP_CONCAT: L->kind = GK_CONCAT; return 0;
    case OP_RESHAPE: L->kind = GK_ALIAS; return 0;
    default: return diag_error(loc, "the code generator has no kernel for %s yet", op_name(n->op));
    }
}

static int analyse(const Graph *g, const Plan *p, int i, Layer *L)
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
    if (n->op == OP_ADD) L->x2 = graph_tensor(g, n->in[1]);
    if (classify(g, L)) return -1;
    if (L->coupled && L->gin == 1 && L->gout == 1) {
        snprintf(L->cin0, sizeof L->cin0, "t->co0");
        snprintf(L->cin_n, sizeof L->cin_n, "t->co");
    } else if (L->coupled) {
        snprintf(L->cin0, sizeof L->cin0, "t->co0 / %lld * %lld", (long long)L->gout,
                 (long long)L->gin);
        snprintf(L->cin_n, sizeof L->cin_n, "(t->co + %lld) / %lld * %lld",
                 (long long)(L->gout - 1), (long long)L->gout, (long long)L->gin);
    }
    if (L->kind == GK_ALIAS) return 0;
    L->in_elem = (int)elem_bytes(L->x);
    L->out_elem = (int)elem_bytes(L->y);
    if (L->kind != GK_CONCAT && L->lp->status != PLAN_OK)
        return diag_error(node_loc(g, n), "the layer has no plan: %s",
                          L->lp->why ? L->lp->why : plan_status_name(L->lp->status));
    if (L->kind == GK_CONCAT) {
        const L3Plan *l3 = &L->lp->l3;
        int64_t off, rows = l3->row_slice.n > 1 ? l3->row_slice.tile : act_h(L->y), in_row = 0;
        L->y_in_l3 = place_of(p, n->out, &off) == LOC_L3;
        for (int k = 0; k < n->nin; k++) {
            const Tensor *x = graph_tensor(g, n->in[k]);
            if (place_of(p, n->in[k], &off) == LOC_L3) L->x_in_l3 = 1;
            in_row += act_w(x) * act_c(x) * elem_bytes(x);
        }
        int64_t out_row = act_w(L->y) * act_c(L->y) * L->out_elem;
        if ((L->x_in_l3 && (!l3->in_nbuf || l3->in_buf < rows * in_row)) ||
            (L->y_in_l3 && (!l3->out_nbuf || l3->out_buf < rows * out_row)))
            return diag_error(node_loc(g, n),
                              "the plan's L2 staging buffers do not hold %lld "
                              "rows (a bug in dory)",
                              (long long)rows);
        return 0;
    }
    int64_t off;
    L->x_in_l3 = place_of(p, n->in[0], &off) == LOC_L3;
    *(L->x_in_l3 ? &L->x_l3 : &L->x_l2) = off;
    if (L->x2) {
        L->x2_in_l3 = place_of(p, n->in[1], &off) == LOC_L3;
        *(L->x2_in_l3 ? &L->x2_l3 : &L->x2_l2) = off;
    }
    L->y_in_l3 = place_of(p, n->out, &off) == LOC_L3;
    *(L->y_in_l3 ? &L->y_l3 : &L->y_l2) = off;
    if (L->w) {
        L->w_in_l3 = place_of(p, n->in[1], &off) == LOC_L3;
        *(L->w_in_l3 ? &L->w_l3 : &L->w_l2) = off;
    }
    const L3Plan *l3 = &L->lp->l3;
    int any_in = L->x_in_l3 || L->x2_in_l3;
    L->l3 = any_in || L->y_in_l3 || L->w_in_l3 || l3->row_slice.n > 1 || l3->co_slice.n > 1;
    if (any_in != l3->in_l3 || L->y_in_l3 != l3->out_l3 || (L->w && L->w_in_l3 != l3->w_stream))
        return diag_error(node_loc(g, n), "the layer's L3 plan and the tensor placement "
                                          "disagree (a bug in dory)");
    const L1Plan *l1 = &L->lp->l1;
    int weighted = L->kind == GK_CONV || L->kind == GK_PW || L->kind == GK_FC;
    L->ci_tiled = l1->d[TD_CI].n > 1;
    L->CI = L->kind == GK_FC ? tensor_numel(L->x) : act_c(L->x);
    L->taps = L->kind == GK_FC ? 1 : (int64_t)L->kh * L->kw;
    if (L->kind == GK_GROUPED && l1->d[TD_CO].n > 1 && l1->d[TD_CO].tile % L->gout)
        return diag_error(node_loc(g, n),
                          "the plan's channel tiles (%lld) cut groups of %lld "
                          "channels: not generated yet",
                          (long long)l1->d[TD_CO].tile, (long long)L->gout);
    if (L->ci_tiled && !weighted)
        return diag_error(node_loc(g, n), "the plan tiles the input channels of a %s layer",
                          op_name(n->op));
    int out_ok = L->y->dtype == DT_U8 || L->y->dtype == DT_I8 ||
                 (KERNELS_I32_OUT && L->y->dtype == DT_I32 &&
                  (weighted || L->kind == GK_DW || L->kind == GK_GROUPED || L->kind == GK_REQUANT));
    if (L->y->dtype == DT_I32 && !out_ok)
        return diag_error(node_loc(g, n), "int32 outputs are not generated yet");
    int dt_ok = (L->x->dtype == DT_U8 || L->x->dtype == DT_I8) && out_ok &&
                (!L->x2 || L->x2->dtype == DT_U8 || L->x2->dtype == DT_I8) &&
                (!L->w || L->w->dtype == DT_I8 || L->w->dtype == DT_U8);
    if (!dt_ok)
        return diag_error(node_loc(g, n),
                          "the kernels take u8/i8 activations and i8 weights; "
                          "this layer has %s -> %s",
                          dtype_name(L->x->dtype), dtype_name(L->y->dtype));
    return 0;
}

/* ---- Requantization constants -------------------------------------------------- */

/* Emits the arrays of a requant as per-channel C arrays named PREFIX_k etc.
 * and returns the C initializer of a dory_requant_t (pointers offset by the
 * channel variable `co0` at run time). */
static void emit_rq_arrays(Out *o, const Graph *g, const Requant *rq, Arith arith, int64_t nch,
                           const char *prefix)
{
    int64_t *v = calloc((size_t)nch * 2 + 2, sizeof(int64_t));
    if (!v) return;
    char decl[160];
    const char *t64 = arith == ARITH_64 || rq->d > 31 ? "int64_t" : "int32_t";
    for (int64_t c = 0; c < nch; c++) {
        RqChan r = rq_channel(g, rq, c);
        switch (rq->scheme) {
        case RQ_SHIFT: v[c] = r.k, v[nch + c] = r.l; break;
        case RQ_FIXED: v[c] = r.mult, v[nch + c] = r.shift; break;
        default: break;
        }
    }
    if (rq->scheme == RQ_SHIFT) {
        snprintf(decl, sizeof decl, "static const %s %s_k", t64, prefix);
        emit_ints(o, decl, v, nch);
        snprintf(decl, sizeof decl, "static const %s %s_l", t64, prefix);
        emit_ints(o, decl, v + nch, nch);
    } else if (rq->scheme == RQ_FIXED) {
        snprintf(decl, sizeof decl, "static const int32_t %s_mult", prefix);
        emit_ints(o, decl, v, nch);
        snprintf(decl, sizeof decl, "static const int32_t %s_shift", prefix);
        emit_ints(o, decl, v + nch, nch);
    } else if (rq->scheme == RQ_FLOAT) {
        emit(o, "static const float %s_scale[%lld] = {", prefix, (long long)nch);
        for (int64_t c = 0; c < nch; c++)
            emit(o, "%s%a,", c % 8 ? " " : "\n    ", (double)rq_channel(g, rq, c).scale);
        emit(o, "\n};\n");
    }
    free(v);
}

/* The C expression setting a dory_requant_t `dst` for channels from co0. */
static void emit_rq_setup(Out *o, const Requant *rq, Arith arith, const char *prefix,
                          const char *dst, const char *co0)
{
    int wide = arith == ARITH_64 || rq->d > 31;
    emit(o, "    memset(&%s, 0, sizeof %s);\n", dst, dst);
    emit(o, "    %s.per_channel = 1;\n", dst);
    switch (rq->scheme) {
    case RQ_NONE: emit(o, "    %s.scheme = DORY_RQ_NONE;\n", dst); break;
    case RQ_SHIFT:
        emit(o, "    %s.scheme = %s;\n", dst, wide ? "DORY_RQ_SHIFT64" : "DORY_RQ_SHIFT32");
        emit(o, "    %s.%s = %s_k + %s;\n    %s.%s = %s_l + %s;\n    %s.d = %d;\n", dst,
             wide ? "k64" : "k32", prefix, co0, dst, wide ? "l64" : "l32", prefix, co0, dst, rq->d);
        break;
    case RQ_FIXED:
        emit(o, "    %s.scheme = DORY_RQ_FIXED;\n", dst);
        emit(o, "    %s.mult = %s_mult + %s;\n    %s.shift = %s_shift + %s;\n    %s.pre = %d;\n",
             dst, prefix, co0, dst, prefix, co0, dst, rq->pre);
        break;
    case RQ_FLOAT:
        emit(o, "    %s.scheme = DORY_RQ_FLOAT;\n    %s.scale = %s_scale + %s;\n", dst, dst, prefix,
             co0);
        break;
    case RQ_COUNT: break;
    }
}

static const char *dory_type(const Tensor *t)
{
    return t->dtype == DT_U8 ? "DORY_U8" : t->dtype == DT_I32 ? "DORY_I32" : "DORY_I8";
}

/* ---- One layer file ---------------------------------------------------------- */

static void emit_header_comment(Out *o, const Graph *g, const Layer *L)
{
    const Node *n = L->n;
    const L1Plan *l1 = &L->lp->l1;
    emit(o, "/* %s.c: node '%s' (%s), generated by dory %s.\n *\n", L->fn, n->name, op_name(n->op),
         DORY_VERSION);
    emit(o, " * input   %lldx%lldx%lld %s at L2 +%lld\n", (long long)act_h(L->x),
         (long long)act_w(L->x), (long long)act_c(L->x), dtype_name(L->x->dtype),
         (long long)L->x_l2);
    if (L->x2)
        emit(o, " * input 2 %lldx%lldx%lld %s at L2 +%lld\n", (long long)act_h(L->x2),
             (long long)act_w(L->x2), (long long)act_c(L->x2), dtype_name(L->x2->dtype),
             (long long)L->x2_l2);
    emit(o, " * output  %lldx%lldx%lld %s at L2 +%lld\n", (long long)act_h(L->y),
         (long long)act_w(L->y), (long long)act_c(L->y), dtype_name(L->y->dtype),
         (long long)L->y_l2);
    if (L->w)
        emit(o, " * weights %lld bytes at L2 +%lld\n", (long long)tensor_bytes(L->w),
             (long long)L->w_l2);
    if (L->kind != GK_CONCAT) {
        emit(o, " * kernel  %s\n", L->kernel);
        emit(o,
             " * tiles   channels %lld x %lld (last %lld), rows %lld x %lld (last %lld), "
             "columns %lld x %lld (last %lld); %s\n",
             (long long)l1->d[TD_CO].n, (long long)l1->d[TD_CO].tile, (long long)l1->d[TD_CO].last,
             (long long)l1->d[TD_HO].n, (long long)l1->d[TD_HO].tile, (long long)l1->d[TD_HO].last,
             (long long)l1->d[TD_WO].n, (long long)l1->d[TD_WO].tile, (long long)l1->d[TD_WO].last,
             l1->order == ORDER_HWC ? "rows, columns, channels (channels innermost)"
                                    : "channels outermost");
        emit(o, " * L1 map  (bytes, offset of each copy):\n");
        for (int b = 0; b < BUF_COUNT; b++)
            if (l1->buf[b].nbuf)
                emit(o, " *   %-8s %7lld  x%d @ %lld%s%lld\n", plan_buf_name((L1BufId)b),
                     (long long)l1->buf[b].bytes, l1->buf[b].nbuf, (long long)l1->buf[b].off[0],
                     l1->buf[b].nbuf > 1 ? ", " : "",
                     l1->buf[b].nbuf > 1 ? (long long)l1->buf[b].off[1] : 0LL);
        emit(o, " * L1 used %lld of %lld bytes\n", (long long)l1->l1_used,
             (long long)l1->l1_budget);
        emit(o, " * modeled %.0f cycles, %lld MACs\n", L->lp->cost.total,
             (long long)node_macs(g, n));
    }
    emit(o, " */\n");
}

/* Checks that a buffer the generated code needs fits what the plan gave. */
static int need(const Graph *g, const Layer *L, L1BufId b, int64_t bytes, int reloaded)
{
    const L1Buf *buf = &L->lp->l1.buf[b];
    if (bytes <= 0) return 0;
    if (!buf->nbuf || buf->bytes < bytes)
        return diag_error(node_loc(g, L->n),
                          "the plan's L1 buffer '%s' has %lld bytes; the "
                          "generated code needs %lld (planner and code "
                          "generator disagree: a bug in dory)",
                          plan_buf_name(b), (long long)buf->bytes, (long long)bytes);
    if (reloaded && buf->nbuf < 2)
        return diag_error(node_loc(g, L->n),
                          "the plan gives one copy of L1 buffer '%s', which "
                          "is reloaded between tiles (a bug in dory)",
                          plan_buf_name(b));
    return 0;
}

static int32_t scratch_bytes(const Layer *L)
{
    const L1Plan *l1 = &L->lp->l1;
    dory_conv_params_t p;
    memset(&p, 0, sizeof p);
    p.kh = L->kh, p.kw = L->kw;
    p.stride_h = L->n->stride[0], p.stride_w = L->n->stride[1];
    p.dil_h = L->n->dilation[0], p.dil_w = L->n->dilation[1];
    p.pad_top = L->n->pad[0], p.pad_left = L->n->pad[1];
    p.pad_bottom = L->n->pad[2], p.pad_right = L->n->pad[3];
    p.border = DORY_BORDER_ALL;
    p.in_type = L->x->dtype == DT_U8 ? DORY_U8 : DORY_I8;
    p.in_zp = L->x->zp;
    p.out.type = L->y->dtype == DT_U8 ? DORY_U8 : DORY_I8;
    p.out.zp = L->y->zp;
    dory_dims_t in = {(int)l1->in_h, (int)l1->in_w, (int)l1->in_c, 0};
    dory_dims_t out = {(int)l1->d[TD_HO].tile, (int)l1->d[TD_WO].tile, (int)l1->d[TD_CO].tile, 0};
    switch (L->kind) {
    case GK_CONV: return dory_conv2d_hwc_s8_scratch_bytes(&p, &in, &out);
    case GK_PW: return dory_conv1x1_s8_scratch_bytes(&p, &in, &out);
    case GK_DW: return dory_dwconv_s8_scratch_bytes(&p, &in, &out);
    case GK_GROUPED: /* one group at a time */
        in.c = (int)L->gin;
        out.c = (int)L->gout;
        return !strcmp(L->kernel, "dory_conv1x1_s8")
                   ? dory_conv1x1_s8_scratch_bytes(&p, &in, &out)
                   : dory_conv2d_hwc_s8_scratch_bytes(&p, &in, &out);
    case GK_FC: {
        dory_fc_params_t f;
        memset(&f, 0, sizeof f);
        f.in_type = p.in_type;
        f.in_zp = p.in_zp;
        f.out = p.out;
        return dory_fc_s8_scratch_bytes(&f, (int)(L->ci_tiled ? l1->d[TD_CI].tile : L->CI),
                                        (int)l1->d[TD_CO].tile);
    }
    default: return 0;
    }
}

static int check_buffers(const Graph *g, Layer *L, int cores)
{
    const L1Plan *l1 = &L->lp->l1;
    int spatial = l1->d[TD_HO].n * l1->d[TD_WO].n > 1;
    int chan = l1->d[TD_CO].n > 1;
    int64_t ci = L->ci_tiled ? l1->d[TD_CI].tile : L->CI;
    int64_t in_bytes =
        L->kind == GK_FC ? ci * L->in_elem : l1->in_h * l1->in_w * l1->in_c * L->in_elem;
    int64_t out_px = l1->d[TD_HO].tile * l1->d[TD_WO].tile * l1->d[TD_CO].tile;
    int in_reloaded = spatial || (L->coupled && chan) || L->ci_tiled;
    if (need(g, L, BUF_IN0, in_bytes, in_reloaded)) return -1;
    if (L->x2 && need(g, L, BUF_IN1, in_bytes, in_reloaded)) return -1;
    int64_t w_tile =
        L->ci_tiled ? l1->d[TD_CO].tile * L->taps * ci : l1->d[TD_CO].tile * L->w_per_co;
    if (L->w && need(g, L, BUF_W, w_tile, chan || L->ci_tiled)) return -1;
    if (need(g, L, BUF_OUT, out_px * L->out_elem, spatial || chan)) return -1;
    if (L->ci_tiled && need(g, L, BUF_ACC, out_px * 4, 0)) return -1;
    L->scratch = (scratch_bytes(L) + 3) & ~3;
    if (need(g, L, BUF_SCRATCH, (int64_t)L->scratch * cores, 0)) return -1;
    return 0;
}

/* The L2 staging buffers of an L3 layer hold what the wrapper moves. */
static int check_l3_buffers(const Graph *g, const Layer *L)
{
    const L3Plan *l3 = &L->lp->l3;
    struct {
        const char *what;
        int used;
        int64_t need, have;
        int need2, nbuf;
    } b[3] = {
        {"input rows", L->x_in_l3 || L->x2_in_l3,
         l3->in_rows * act_w(L->x) * (act_c(L->x) + (L->x2 ? act_c(L->x2) : 0)) * L->in_elem,
         l3->in_buf, l3->row_slice.n > 1, l3->in_nbuf},
        {"weight slice", L->w_in_l3, l3->co_slice.tile * L->w_per_co, l3->w_buf, l3->co_slice.n > 1,
         l3->w_nbuf},
        {"output rows", L->y_in_l3, l3->row_slice.tile * act_w(L->y) * act_c(L->y) * L->out_elem,
         l3->out_buf, l3->row_slice.n > 1, l3->out_nbuf},
    };
    for (int i = 0; i < 3; i++) {
        if (!b[i].used) continue;
        if (b[i].have < b[i].need || b[i].nbuf < (b[i].need2 ? 2 : 1))
            return diag_error(node_loc(g, L->n),
                              "the plan's L2 staging buffer for the %s has "
                              "%lld bytes x %d; the generated code needs %lld x "
                              "%d (a bug in dory)",
                              b[i].what, (long long)b[i].have, b[i].nbuf, (long long)b[i].need,
                              b[i].need2 ? 2 : 1);
    }
    if (L->kind == GK_FC && l3->row_slice.n > 1)
        return diag_error(node_loc(g, L->n), "an FC layer cannot be sliced by rows");
    return 0;
}

static int64_t buf_off(const Layer *L, L1BufId b, int copy)
{
    const L1Buf *buf = &L->lp->l1.buf[b];
    return buf->off[buf->nbuf > 1 ? copy : 0];
}

/* Weight zero points, per tensor or per channel, go to the kernel per channel. */
/* The kernels take int8 weights. u8 weights become int8 exactly: values and
 * zero points both move by 128, so every (w - zw) is unchanged. */
static int weight_shift(const Layer *L) { return L->w && L->w->dtype == DT_U8 ? 128 : 0; }

static int32_t weight_zp(const Layer *L, int64_t c)
{
    return tensor_zp_at(L->w, c) - weight_shift(L);
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
    if (L->b) {
        int64_t *v = calloc((size_t)co, sizeof(int64_t));
        for (int64_t c = 0; v && c < co; c++) v[c] = tensor_get(L->b, c);
        if (v) emit_ints(o, "static const int32_t bias", v, co);
        free(v);
    }
    if (has_w_zp(L)) {
        int64_t *v = calloc((size_t)co, sizeof(int64_t));
        for (int64_t c = 0; v && c < co; c++) v[c] = weight_zp(L, c);
        if (v) emit_ints(o, "static const int32_t w_zp", v, co);
        free(v);
    }
    emit_rq_arrays(o, g, &n->rq, n->arith, co, "rq");
    if (L->kind == GK_ADD) {
        emit_rq_arrays(o, g, &n->in_rq[0], ARITH_64, co, "rqa");
        emit_rq_arrays(o, g, &n->in_rq[1], ARITH_64, co, "rqb");
    }
}

static void emit_tiling_tables(Out *o, const Layer *L)
{
    const L1Plan *l1 = &L->lp->l1;
    const Node *n = L->n;
    if (L->ci_tiled)
        emit(o,
             "/* input channels in slices of T_CI, partial sums in L1 (int32) */\n"
             "enum { T_CI = %lld, CI_ALL = %lld };\n",
             (long long)l1->d[TD_CI].tile, (long long)L->CI);
    emit(o,
         "static const dory_tiling_t tiling = {%d, %lld, %lld, %lld, %lld, %lld, %lld, "
         "%lld, %lld, %lld};\n",
         l1->order == ORDER_HWC ? 0 : 1, (long long)l1->d[TD_CO].n, (long long)l1->d[TD_HO].n,
         (long long)l1->d[TD_WO].n, (long long)l1->d[TD_CO].tile, (long long)l1->d[TD_HO].tile,
         (long long)l1->d[TD_WO].tile, (long long)act_c(L->y), (long long)act_h(L->y),
         (long long)act_w(L->y));
    if (L->kind == GK_FC) {
        emit(o, "\n");
        return;
    }
    int pool = L->kind == GK_MAXPOOL || L->kind == GK_AVGPOOL;
    int sliding =
        L->kind == GK_CONV || L->kind == GK_PW || L->kind == GK_DW || L->kind == GK_GROUPED || pool;
    emit(o, "static const dory_geom_t geom = {%lld, %lld, %d, %d, %d, %d, %d, %d, %d, %d};\n\n",
         (long long)act_h(L->x), (long long)act_w(L->x), sliding ? L->kh : 1, sliding ? L->kw : 1,
         sliding ? n->stride[0] : 1, sliding ? n->stride[1] : 1,
         sliding && !pool ? n->dilation[0] : 1, sliding && !pool ? n->dilation[1] : 1,
         sliding ? n->pad[0] : 0, sliding ? n->pad[1] : 0);
}

/* load_input(), load_weights(), store_output(): the DMAs of one L1 tile,
 * relative to the slice being computed (src/dory_tile.h). */
static void emit_loaders(Out *o, const Layer *L)
{
    int64_t C = act_c(L->x);
    emit(o, "static dory_dma_id_t load_input(const dory_slice_t *s, uint8_t *l1, const "
            "dory_tile_t *t, int buf, int which)\n{\n");
    if (L->kind == GK_FC && L->ci_tiled) {
        emit(o, "    (void)which;\n");
        emit(o,
             "    return dory_dma_copy_1d(l1 + (buf ? %lld : %lld), s->x + (size_t)t->ci0 * %d, "
             "(size_t)t->ci * %d, \"x slice\");\n}\n\n",
             (long long)buf_off(L, BUF_IN0, 1), (long long)buf_off(L, BUF_IN0, 0), L->in_elem,
             L->in_elem);
    } else if (L->kind == GK_FC) {
        emit(o, "    (void)t;\n    (void)which;\n");
        emit(o, "    return dory_dma_copy_1d(l1 + (buf ? %lld : %lld), s->x, %lld, \"x\");\n}\n\n",
             (long long)buf_off(L, BUF_IN0, 1), (long long)buf_off(L, BUF_IN0, 0),
             (long long)(tensor_numel(L->x) * L->in_elem));
    } else {
        emit(o, "    dory_window_t win = dory_window(&geom, t);\n");
        if (L->x2)
            emit(o,
                 "    uint8_t *dst = l1 + (which ? (buf ? %lld : %lld) : (buf ? %lld : %lld));\n",
                 (long long)buf_off(L, BUF_IN1, 1), (long long)buf_off(L, BUF_IN1, 0),
                 (long long)buf_off(L, BUF_IN0, 1), (long long)buf_off(L, BUF_IN0, 0));
        else
            emit(o, "    uint8_t *dst = l1 + (buf ? %lld : %lld);\n",
                 (long long)buf_off(L, BUF_IN0, 1), (long long)buf_off(L, BUF_IN0, 0));
        emit(o,
             "    return dory_load_hwc(dst, which ? s->x2 : s->x, %lld, %lld,\n"
             "                         win.r0 - (which ? s->x2_r0 : s->x_r0), "
             "win.r1 - win.r0, win.c0, win.c1 - win.c0, %s, %s, %d,\n"
             "                         which ? \"x2 tile\" : \"x tile\");\n}\n\n",
             (long long)act_w(L->x), (long long)C,
             L->coupled    ? L->cin0
             : L->ci_tiled ? "t->ci0"
                           : "0",
             L->coupled    ? L->cin_n
             : L->ci_tiled ? "t->ci"
                           : "geom_c_in",
             L->in_elem);
    }
    if (L->w && L->ci_tiled) {
        /* the weights of co channels x taps, input channels [ci0, ci0+ci): a 2-D copy */
        emit(o, "static dory_dma_id_t load_weights(const dory_slice_t *s, uint8_t *l1, const "
                "dory_tile_t *t, int buf)\n{\n");
        emit(o,
             "    return dory_dma_copy_2d(l1 + (buf ? %lld : %lld), s->w + (size_t)(t->co0 - "
             "s->co0) * %lld + t->ci0,\n                            (size_t)t->ci, "
             "(size_t)t->co * %lld, (size_t)t->ci, %lld, \"weights slice\");\n}\n\n",
             (long long)buf_off(L, BUF_W, 1), (long long)buf_off(L, BUF_W, 0),
             (long long)L->w_per_co, (long long)L->taps, (long long)L->CI);
    } else if (L->w) {
        emit(o, "static dory_dma_id_t load_weights(const dory_slice_t *s, uint8_t *l1, const "
                "dory_tile_t *t, int buf)\n{\n");
        emit(o,
             "    return dory_dma_copy_1d(l1 + (buf ? %lld : %lld), s->w + (size_t)(t->co0 - "
             "s->co0) * %lld,\n                            (size_t)t->co * %lld, "
             "\"weights\");\n}\n\n",
             (long long)buf_off(L, BUF_W, 1), (long long)buf_off(L, BUF_W, 0),
             (long long)L->w_per_co, (long long)L->w_per_co);
    }
    emit(o, "static dory_dma_id_t store_output(const dory_slice_t *s, uint8_t *l1, const "
            "dory_tile_t *t, int buf)\n{\n");
    emit(o,
         "    return dory_store_hwc(s->y, l1 + (buf ? %lld : %lld), %lld, s->y_c, t->h0 - s->y_r0, "
         "t->h, t->w0, t->w,\n                          t->co0 - s->y_co0, t->co, %d, "
         "\"y tile\");\n}\n\n",
         (long long)buf_off(L, BUF_OUT, 1), (long long)buf_off(L, BUF_OUT, 0),
         (long long)act_w(L->y), L->out_elem);
}

/* The per-core kernel call and the argument block. */
static void emit_kernel_thunk(Out *o, const Layer *L, int64_t scratch_off)
{
    if (L->kind == GK_GROUPED)
        emit(o, "/* the requant constants of the channels from k on */\n"
                "static void rq_advance(dory_requant_t *r, int k)\n{\n"
                "    if (r->k32) r->k32 += k;\n    if (r->l32) r->l32 += k;\n"
                "    if (r->k64) r->k64 += k;\n    if (r->l64) r->l64 += k;\n"
                "    if (r->mult) r->mult += k;\n    if (r->shift) r->shift += k;\n"
                "    if (r->scale) r->scale += k;\n}\n\n");
    const char *pt = L->kind == GK_FC                                 ? "dory_fc_params_t"
                     : L->kind == GK_ADD                              ? "dory_add_params_t"
                     : L->kind == GK_MAXPOOL || L->kind == GK_AVGPOOL ? "dory_pool_params_t"
                     : L->kind == GK_REQUANT                          ? "dory_eltwise_params_t"
                                                                      : "dory_conv_params_t";
    emit(o,
         "typedef struct args {\n    %s p;\n    dory_dims_t in, in2, out;\n"
         "    const void *x, *x2;\n    const int8_t *w;\n    const int32_t *b;\n"
         "    void *y;\n    int rc[32];\n} args_t;\n\n",
         pt);
    emit(o,
         "static void kernel(void *arg)\n{\n    args_t *a = (args_t *)arg;\n    dory_ctx_t ctx;\n"
         "    ctx.core_id = dory_core_id();\n    ctx.num_cores = dory_num_cores();\n"
         "    ctx.buf = dory_l1_base() + %lld + (size_t)ctx.core_id * %d;\n    ctx.size = %d;\n",
         (long long)scratch_off, L->scratch, L->scratch);
    switch (L->kind) {
    case GK_FC:
        emit(o, "    a->rc[ctx.core_id] = dory_fc_s8(&ctx, &a->p, a->in.c, a->x, a->w, a->b, "
                "a->out.c, a->y);\n");
        break;
    case GK_MAXPOOL:
    case GK_AVGPOOL:
        emit(o, "    a->rc[ctx.core_id] = %s(&ctx, &a->p, &a->in, a->x, &a->out, a->y);\n",
             L->kernel);
        break;
    case GK_ADD:
        emit(o, "    a->rc[ctx.core_id] = dory_add_s8(&ctx, &a->p, &a->in, a->x, &a->in2, a->x2, "
                "&a->out, a->y);\n");
        break;
    case GK_REQUANT:
        emit(o, "    a->rc[ctx.core_id] = dory_requant_s8(&ctx, &a->p, &a->in, a->x, &a->out, "
                "a->y);\n");
        break;
    case GK_GROUPED:
        /* groups are independent: each core takes its share of each */
        emit(o,
             "    {\n        int g, ng = a->out.c / %lld, rc = DORY_OK;\n"
             "        for (g = 0; g < ng; g++) {\n"
             "            dory_conv_params_t p = a->p;\n"
             "            dory_dims_t in = a->in, out = a->out;\n"
             "            in.c = %lld;\n            in.c_stride = a->in.c;\n"
             "            out.c = %lld;\n            out.c_stride = a->out.c;\n"
             "            rq_advance(&p.out.rq, g * %lld);\n"
             "            if (p.w_zp) p.w_zp += g * %lld;\n"
             "            rc |= %s(&ctx, &p, &in, (const uint8_t *)a->x + g * %lld, a->w + g * "
             "%lld,\n"
             "                     a->b ? a->b + g * %lld : 0, &out, (uint8_t *)a->y + g * %lld);\n"
             "        }\n        a->rc[ctx.core_id] = rc;\n    }\n",
             (long long)L->gout, (long long)L->gin, (long long)L->gout, (long long)L->gout,
             (long long)L->gout, L->kernel, (long long)(L->gin * L->in_elem),
             (long long)(L->gout * L->w_per_co), (long long)L->gout,
             (long long)(L->gout * L->out_elem));
        break;
    default:
        emit(o,
             "    a->rc[ctx.core_id] = %s(&ctx, &a->p, &a->in, a->x, a->w, a->b, &a->out, "
             "a->y);\n",
             L->kernel);
    }
    emit(o, "}\n\n");
}

/* Fills the parameter block for tile `t` (pads, borders, channel slices). */
static void emit_setup(Out *o, const Graph *g, const Layer *L)
{
    const Node *n = L->n;
    emit(o, "static void setup(args_t *a, const dory_tile_t *t, uint8_t *l1, int in_buf, "
            "int w_buf, int out_buf)\n{\n");
    if (L->kind != GK_FC) emit(o, "    dory_window_t win = dory_window(&geom, t);\n");
    emit(o, "    memset(a, 0, sizeof *a);\n");
    emit(o, "    a->x = l1 + (in_buf ? %lld : %lld);\n", (long long)buf_off(L, BUF_IN0, 1),
         (long long)buf_off(L, BUF_IN0, 0));
    if (L->x2)
        emit(o, "    a->x2 = l1 + (in_buf ? %lld : %lld);\n", (long long)buf_off(L, BUF_IN1, 1),
             (long long)buf_off(L, BUF_IN1, 0));
    if (L->w)
        emit(o, "    a->w = (const int8_t *)(l1 + (w_buf ? %lld : %lld));\n",
             (long long)buf_off(L, BUF_W, 1), (long long)buf_off(L, BUF_W, 0));
    else
        emit(o, "    (void)w_buf;\n");
    emit(o, "    a->y = l1 + (out_buf ? %lld : %lld);\n", (long long)buf_off(L, BUF_OUT, 1),
         (long long)buf_off(L, BUF_OUT, 0));
    if (L->b) emit(o, "    a->b = bias + t->co0;\n");
    if (L->kind == GK_FC) {
        if (L->ci_tiled)
            emit(o, "    a->in.h = 1;\n    a->in.w = 1;\n    a->in.c = t->ci;\n");
        else
            emit(o, "    a->in.h = 1;\n    a->in.w = 1;\n    a->in.c = %lld;\n",
                 (long long)tensor_numel(L->x));
    } else {
        emit(o, "    a->in.h = win.r1 - win.r0;\n    a->in.w = win.c1 - win.c0;\n");
        emit(o, "    a->in.c = %s;\n", L->coupled ? L->cin_n : L->ci_tiled ? "t->ci" : "geom_c_in");
        if (L->x2) emit(o, "    a->in2 = a->in;\n");
    }
    emit(o, "    a->out.h = t->h;\n    a->out.w = t->w;\n    a->out.c = t->co;\n");
    const Tensor *x = L->x, *y = L->y;
    switch (L->kind) {
    case GK_FC:
        emit(o, "    a->p.in_type = %s;\n    a->p.in_zp = %d;\n", dory_type(x), x->zp);
        break;
    case GK_ADD:
        emit(o,
             "    a->p.a_type = %s;\n    a->p.b_type = %s;\n    a->p.a_zp = %d;\n"
             "    a->p.b_zp = %d;\n",
             dory_type(x), dory_type(L->x2), x->zp, L->x2->zp);
        emit_rq_setup(o, &n->in_rq[0], ARITH_64, "rqa", "a->p.rq_a", "t->co0");
        emit_rq_setup(o, &n->in_rq[1], ARITH_64, "rqb", "a->p.rq_b", "t->co0");
        break;
    case GK_REQUANT:
        emit(o, "    a->p.in_type = %s;\n    a->p.in_zp = %d;\n    (void)win;\n", dory_type(x),
             x->zp);
        break;
    case GK_MAXPOOL:
    case GK_AVGPOOL:
        emit(o,
             "    a->p.kh = %d;\n    a->p.kw = %d;\n    a->p.stride_h = %d;\n"
             "    a->p.stride_w = %d;\n",
             L->kh, L->kw, n->stride[0], n->stride[1]);
        emit(o, "    a->p.in_type = %s;\n    a->p.in_zp = %d;\n", dory_type(x), x->zp);
        if (L->kind == GK_AVGPOOL)
            emit(o, "    a->p.round = %s;\n    a->p.count_include_pad = %d;\n",
                 n->avg_round == AVG_FLOOR       ? "DORY_AVG_FLOOR"
                 : n->avg_round == AVG_HALF_AWAY ? "DORY_AVG_HALF_AWAY"
                                                 : "DORY_AVG_NONE",
                 n->count_include_pad ? 1 : 0);
        break;
    default:
        emit(o,
             "    a->p.kh = %d;\n    a->p.kw = %d;\n    a->p.stride_h = %d;\n"
             "    a->p.stride_w = %d;\n    a->p.dil_h = %d;\n    a->p.dil_w = %d;\n",
             L->kh, L->kw, n->stride[0], n->stride[1], n->dilation[0], n->dilation[1]);
        emit(o, "    a->p.in_type = %s;\n    a->p.in_zp = %d;\n", dory_type(x), x->zp);
        if (has_w_zp(L))
            emit(o, "    a->p.w_zp = w_zp + t->co0;\n    a->p.w_zp_per_channel = 1;\n");
    }
    if (L->kind == GK_FC && has_w_zp(L))
        emit(o, "    a->p.w_zp = w_zp + t->co0;\n    a->p.w_zp_per_channel = 1;\n");
    if (L->kind != GK_FC && L->kind != GK_ADD && L->kind != GK_REQUANT)
        emit(o, "    a->p.pad_top = win.pad_top;\n    a->p.pad_left = win.pad_left;\n"
                "    a->p.pad_bottom = win.pad_bottom;\n    a->p.pad_right = win.pad_right;\n"
                "    a->p.border = win.border;\n");
    emit(o, "    out_params(&a->p.out, t);\n");
    if (L->ci_tiled) {
        emit(o,
             "    /* partial sums: the first input-channel slice stores (bias included),\n"
             "     * the others add; requantization follows the last one */\n"
             "    a->p.acc_mode = t->ci0 == 0 ? DORY_ACC_FIRST : DORY_ACC_NEXT;\n"
             "    a->y = l1 + %lld;\n    (void)out_buf;\n",
             (long long)buf_off(L, BUF_ACC, 0));
    }
    (void)g;
    (void)y;
    emit(o, "}\n\n");
}

/* The epilogue of the output channels of tile t. */
static void emit_out_params(Out *o, const Layer *L)
{
    const Node *n = L->n;
    emit(o, "static void out_params(dory_out_params_t *o, const dory_tile_t *t)\n{\n"
            "    memset(o, 0, sizeof *o);\n    (void)t;\n");
    emit(o, "    o->type = %s;\n    o->zp = %d;\n    o->lo = %d;\n    o->hi = %d;\n",
         dory_type(L->y), L->y->zp, n->lo, n->hi);
    emit_rq_setup(o, &n->rq, n->arith, "rq", "o->rq", "t->co0");
    emit(o, "}\n\n");
}

/* The layer's hooks for dory_run_slice() (runtime/dory_layer.c, which owns
 * the software-pipelined tile loop): compute() runs the kernel on every core
 * for one tile; with input channels tiled, requant() turns a finished tile's
 * int32 partial sums into its output. Then the table of hooks. */
static void emit_hooks(Out *o, const Layer *L)
{
    emit(o,
         "static void compute(const dory_tile_t *t, uint8_t *l1, int in_buf, int w_buf, int "
         "out_buf)\n{\n    args_t a;\n    int c;\n"
         "    setup(&a, t, l1, in_buf, w_buf, out_buf);\n    dory_cluster_run(kernel, &a);\n"
         "    for (c = 0; c < dory_num_cores(); c++)\n"
         "        if (a.rc[c] != DORY_OK) dory_app_fail(\"%s\", \"kernel error\", a.rc[c]);\n}\n\n",
         L->n->name);
    if (L->ci_tiled) {
        emit(o, "typedef struct rq_args {\n    dory_out_params_t p;\n    dory_dims_t dims;\n"
                "    const int32_t *acc;\n    void *y;\n    int rc[32];\n} rq_args_t;\n\n");
        emit(o, "static void requant_kernel(void *arg)\n{\n    rq_args_t *a = (rq_args_t *)arg;\n"
                "    dory_ctx_t ctx;\n    memset(&ctx, 0, sizeof ctx);\n"
                "    ctx.core_id = dory_core_id();\n    ctx.num_cores = dory_num_cores();\n"
                "    a->rc[ctx.core_id] = dory_requant_s32(&ctx, &a->p, &a->dims, a->acc, "
                "a->y);\n}\n\n");
        emit(o,
             "static void requant(const dory_tile_t *t, uint8_t *l1, int out_buf)\n{\n"
             "    rq_args_t r;\n    int c;\n    memset(&r, 0, sizeof r);\n"
             "    out_params(&r.p, t);\n    r.dims.h = t->h;\n    r.dims.w = t->w;\n"
             "    r.dims.c = t->co;\n    r.acc = (const int32_t *)(l1 + %lld);\n"
             "    r.y = l1 + (out_buf ? %lld : %lld);\n    dory_cluster_run(requant_kernel, &r);\n"
             "    for (c = 0; c < dory_num_cores(); c++)\n"
             "        if (r.rc[c] != DORY_OK) dory_app_fail(\"%s\", \"requant error\", "
             "r.rc[c]);\n}\n\n",
             (long long)buf_off(L, BUF_ACC, 0), (long long)buf_off(L, BUF_OUT, 1),
             (long long)buf_off(L, BUF_OUT, 0), L->n->name);
    }
    emit(o,
         "static const dory_layer_ops_t ops = {load_input, %s, store_output, compute, %s, %d, %d, "
         "%d, %s, %s};\n\n",
         L->w ? "load_weights" : "0", L->ci_tiled ? "requant" : "0", L->x2 ? 2 : 1,
         L->kind != GK_FC, L->coupled, L->ci_tiled ? "T_CI" : "0", L->ci_tiled ? "CI_ALL" : "0");
}

/* The layer's entry point when everything is in L2: one slice, the whole layer. */
static void emit_entry_l2(Out *o, const Layer *L)
{
    emit(o,
         "void %s(void)\n{\n    uint8_t *l2 = dory_l2_base();\n    dory_slice_t s;\n"
         "    memset(&s, 0, sizeof s);\n    s.h = %lld;\n    s.co = %lld;\n"
         "    s.x = l2 + %lld;\n",
         L->fn, (long long)act_h(L->y), (long long)act_c(L->y), (long long)L->x_l2);
    if (L->x2) emit(o, "    s.x2 = l2 + %lld;\n", (long long)L->x2_l2);
    if (L->w) emit(o, "    s.w = l2 + %lld;\n", (long long)L->w_l2);
    emit(o, "    s.y = l2 + %lld;\n    s.y_c = %lld;\n    dory_run_slice(&ops, &tiling, &s);\n}\n",
         (long long)L->y_l2, (long long)act_c(L->y));
}

/* A layer with operands in L3: its slices and placements as a table for
 * dory_run_l3() (runtime/dory_layer.c), which streams input rows and weight
 * slices into double-buffered L2 staging one slice ahead and writes output
 * rows back asynchronously. */
static void emit_entry_l3(Out *o, const Layer *L)
{
    const L3Plan *l3 = &L->lp->l3;
    long long xrow = act_w(L->x) * act_c(L->x) * L->in_elem;
    long long x2row = L->x2 ? act_w(L->x2) * act_c(L->x2) * L->in_elem : 0;
    int in1 = l3->in_nbuf > 1, w1 = l3->w_nbuf > 1, o1 = l3->out_nbuf > 1;
    emit(o,
         "/* L3 slices: %lld row slice(s) of %lld output rows, %lld channel slice(s) of %lld "
         "channels */\n",
         (long long)l3->row_slice.n, (long long)l3->row_slice.tile, (long long)l3->co_slice.n,
         (long long)l3->co_slice.tile);
    emit(o,
         "static const dory_l3_layer_t l3 = {\n    .ops = &ops,\n    .tiling = &tiling,\n"
         "    .geom = %s,\n",
         L->kind == GK_FC ? "0" : "&geom");
    emit(o, "    .nr = %lld, .nc = %lld, .rt = %lld, .ct = %lld, /* slices: rows x channels */\n",
         (long long)l3->row_slice.n, (long long)l3->co_slice.n, (long long)l3->row_slice.tile,
         (long long)l3->co_slice.tile);
    emit(o, "    .ho = %lld, .wo = %lld, .co = %lld,\n    .inputs = %d,\n", (long long)act_h(L->y),
         (long long)act_w(L->y), (long long)act_c(L->y), L->x2 ? 2 : 1);
    emit(o, "    .x_l3 = {%d, %d},\n    .x_addr = {%lldu, %lldu},\n    .x_row = {%lld, %lld},\n",
         L->x_in_l3, L->x2_in_l3, (long long)(L->x_in_l3 ? L->x_l3 : L->x_l2),
         (long long)(L->x2 ? (L->x2_in_l3 ? L->x2_l3 : L->x2_l2) : 0), xrow, x2row);
    emit(o, "    .in_buf = {%lld, %lld},\n    .in_rows = %lld,\n", (long long)l3->in_off[0],
         (long long)l3->in_off[in1], (long long)l3->in_rows);
    emit(o,
         "    .has_w = %d,\n    .w_l3 = %d,\n    .w_addr = %lldu,\n    .w_per_co = %lld,\n"
         "    .w_buf = {%lld, %lld},\n",
         L->w != NULL, L->w && L->w_in_l3, (long long)(L->w ? (L->w_in_l3 ? L->w_l3 : L->w_l2) : 0),
         (long long)L->w_per_co, (long long)l3->w_off[0], (long long)l3->w_off[w1]);
    emit(o,
         "    .y_l3 = %d,\n    .y_addr = %lldu,\n    .y_row = %lld,\n"
         "    .out_buf = {%lld, %lld},\n};\n\n",
         L->y_in_l3, (long long)(L->y_in_l3 ? L->y_l3 : L->y_l2),
         (long long)(act_w(L->y) * act_c(L->y) * L->out_elem), (long long)l3->out_off[0],
         (long long)l3->out_off[o1]);
    emit(o, "void %s(void) { dory_run_l3(&l3); }\n", L->fn);
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
    place_of(p, n->out, &yoff);
    emit(o, "enum { H = %lld, RT = %lld };\n\n", (long long)H, (long long)RT);
    emit(o,
         "void %s(void)\n{\n    uint8_t *l2 = dory_l2_base();\n    dory_dma_id_t id;\n"
         "    int r0;\n    for (r0 = 0; r0 < H; r0 += RT) {\n"
         "        int h = H - r0 < RT ? H - r0 : RT;\n",
         L->fn);
    if (L->y_in_l3)
        emit(o, "        uint8_t *y = l2 + %lld; /* staging: rows r0.. of the output */\n",
             (long long)l3->out_off[0]);
    else
        emit(o, "        uint8_t *y = l2 + %lld + (size_t)r0 * %lld;\n", (long long)yoff,
             (long long)(W * CT * e));
    int64_t coff = 0, soff = 0;
    for (int i = 0; i < n->nin; i++) {
        const Tensor *x = graph_tensor(g, n->in[i]);
        int64_t C = act_c(x), xo;
        int in_l3 = place_of(p, n->in[i], &xo) == LOC_L3;
        emit(o, "        {\n            const uint8_t *x;\n");
        if (in_l3) {
            emit(o,
                 "            id = dory_l3_read(l2 + %lld, %lldu + (uint32_t)r0 * %lldu, (size_t)h "
                 "* "
                 "%lld, \"%s rows\");\n            dory_dma_wait(id);\n"
                 "            x = l2 + %lld;\n",
                 (long long)(l3->in_off[0] + soff), (long long)xo, (long long)(W * C * e),
                 (long long)(W * C * e), x->name, (long long)(l3->in_off[0] + soff));
            soff += RT * W * C * e;
        } else {
            emit(o, "            x = l2 + %lld + (size_t)r0 * %lld;\n", (long long)xo,
                 (long long)(W * C * e));
        }
        emit(o,
             "            id = dory_dma_copy_2d(y + %lld, x, %lld, (size_t)h * %lld, %lld, %lld, "
             "\"%s\");\n            dory_dma_wait(id);\n        }\n",
             (long long)(coff * e), (long long)(C * e), (long long)W, (long long)(CT * e),
             (long long)(C * e), x->name);
        coff += C;
    }
    if (L->y_in_l3)
        emit(o,
             "        id = dory_l3_write(%lldu + (uint32_t)r0 * %lldu, y, (size_t)h * %lld, "
             "\"y rows\");\n        dory_dma_wait(id);\n",
             (long long)yoff, (long long)(W * CT * e), (long long)(W * CT * e));
    emit(o, "    }\n}\n");
}

static int write_layer(const char *dir, const Graph *g, const Plan *p, Layer *L)
{
    Out o;
    char name[160];
    snprintf(name, sizeof name, "src/%s.c", L->fn);
    if (out_open(&o, dir, name)) return -1;
    emit_header_comment(&o, g, L);
    emit(&o, "#include <string.h>\n\n#include \"network.h\"\n\n");
    if (L->kind == GK_CONCAT) {
        emit_concat(&o, g, p, L);
        return out_close(&o);
    }
    emit_constants(&o, g, L);
    emit_tiling_tables(&o, L);
    if (!L->coupled && L->kind != GK_FC)
        emit(&o, "enum { geom_c_in = %lld };\n\n", (long long)act_c(L->x));
    emit_loaders(&o, L);
    emit_kernel_thunk(&o, L, buf_off(L, BUF_SCRATCH, 0));
    emit_out_params(&o, L);
    emit_setup(&o, g, L);
    emit_hooks(&o, L);
    if (L->l3)
        emit_entry_l3(&o, L);
    else
        emit_entry_l2(&o, L);
    return out_close(&o);
}

/* ---- Network, data and main ------------------------------------------------- */

static uint32_t fnv1a(const uint8_t *b, int64_t n)
{
    uint32_t h = 2166136261u;
    for (int64_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

/* The stored bytes of a tensor's values (HWC, its dtype, little-endian). */
static uint8_t *tensor_bytes_of(const Tensor *t, const int32_t *v)
{
    int64_t n = tensor_numel(t), e = elem_bytes(t);
    uint8_t *b = malloc((size_t)(n * e) + 1);
    if (!b) return NULL;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < e; k++) b[i * e + k] = (uint8_t)((uint32_t)v[i] >> (8 * k));
    return b;
}

/* The stored bytes of a constant, each value moved by -shift. */
static uint8_t *const_bytes(const Tensor *t, int shift)
{
    int64_t n = tensor_numel(t), e = elem_bytes(t);
    uint8_t *b = malloc((size_t)(n * e) + 1);
    if (!b) return NULL;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)(tensor_get(t, i) - shift);
        for (int64_t k = 0; k < e; k++) b[i * e + k] = (uint8_t)(v >> (8 * k));
    }
    return b;
}

/* weights/weights.c: L2-resident weights as const arrays with their L2
 * offsets; weights/l3_weights.bin: the L3-streamed ones, one blob, with
 * their L3 offsets in weights.c. */
static int write_weights(const char *dir, const Graph *g, const Layer *layers)
{
    Out o, blob;
    if (out_open(&o, dir, "weights/weights.c") || out_open(&blob, dir, "weights/l3_weights.bin"))
        return -1;
    emit(&o, "/* weights.c: the L2-resident weights, placed in the L2 arena at their planned\n"
             " * offsets when the application starts (on a chip the loader does this), and\n"
             " * where the L3-resident ones are in weights/l3_weights.bin. */\n"
             "#include \"network.h\"\n\n");
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (!L->w || L->w_in_l3) continue;
        uint8_t *b = const_bytes(L->w, weight_shift(L));
        if (!b) return -1;
        char decl[160];
        snprintf(decl, sizeof decl, "static const uint8_t w_%02d", i);
        emit(&o, "/* %s: %s [%lld x %lld] */\n", L->n->name, L->w->name, (long long)L->w->shape[0],
             (long long)(tensor_numel(L->w) / L->w->shape[0]));
        emit_bytes(&o, decl, b, tensor_bytes(L->w));
        free(b);
    }
    emit(&o, "\nconst dory_data_t dory_l2_image[] = {\n");
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].w && !layers[i].w_in_l3)
            emit(&o, "    {0, %lld, w_%02d, sizeof w_%02d},\n", (long long)layers[i].w_l2, i, i);
    emit(&o, "    {0, 0, 0, 0}};\n\n/* {L3 offset, offset in l3_weights.bin, bytes} */\n"
             "const dory_blob_item_t dory_l3_image[] = {\n");
    int64_t at = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (!L->w || !L->w_in_l3) continue;
        uint8_t *b = const_bytes(L->w, weight_shift(L));
        if (!b) return -1;
        fwrite(b, 1, (size_t)tensor_bytes(L->w), blob.f);
        free(b);
        emit(&o, "    {%lld, %lld, %lld}, /* %s */\n", (long long)L->w_l3, (long long)at,
             (long long)tensor_bytes(L->w), L->w->name);
        at += tensor_bytes(L->w);
    }
    emit(&o, "    {0, 0, 0}};\n");
    if (out_close(&blob)) return -1;
    return out_close(&o);
}

typedef struct Golden {
    uint32_t *sum;
    uint8_t **bytes;
} Golden;

static int golden_hook(void *ctx, const InterpState *s, const Node *n, int index)
{
    Golden *gd = ctx;
    const Tensor *t = graph_tensor(s->g, n->out);
    uint8_t *b = tensor_bytes_of(t, s->values[n->out]);
    if (!b) return -1;
    gd->sum[index] = fnv1a(b, tensor_bytes(t));
    gd->bytes[index] = b;
    return 0;
}

static int write_data(const char *dir, const Graph *g, const Plan *p, const CodegenOptions *opt,
                      Golden *gd)
{
    Out o;
    if (out_open(&o, dir, "src/data.c")) return -1;
    emit(&o, "/* data.c: the input and the golden outputs (reference interpreter). */\n"
             "#include \"network.h\"\n\n");
    for (int i = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        uint8_t *b = tensor_bytes_of(t, opt->inputs[i]);
        if (!b) return -1;
        char decl[64];
        snprintf(decl, sizeof decl, "static const uint8_t input_%d", i);
        emit_bytes(&o, decl, b, tensor_bytes(t));
        free(b);
    }
    emit(&o, "\nconst dory_data_t dory_inputs[] = {\n");
    for (int i = 0; i < g->ninputs; i++) {
        int64_t off = 0;
        int l3 = place_of(p, g->inputs[i], &off) == LOC_L3;
        emit(&o, "    {%d, %lld, input_%d, sizeof input_%d},\n", l3, (long long)off, i, i);
    }
    emit(&o, "    {0, 0, 0, 0}};\n\n");
    for (int i = 0; i < g->nnodes; i++) {
        int last = i == g->nnodes - 1;
        int full = opt->check == CHECK_ALL || (opt->check == CHECK_LAST && last);
        if (!full) continue;
        char decl[64];
        snprintf(decl, sizeof decl, "static const uint8_t golden_%02d", i);
        emit_bytes(&o, decl, gd->bytes[i], tensor_bytes(graph_tensor(g, g->nodes[i]->out)));
    }
    emit(&o, "\nconst dory_golden_t dory_golden[] = {\n");
    for (int i = 0; i < g->nnodes; i++) {
        int last = i == g->nnodes - 1;
        int full = opt->check == CHECK_ALL || (opt->check == CHECK_LAST && last);
        int check = opt->check != CHECK_NONE && (opt->check != CHECK_LAST || last);
        if (full)
            emit(&o, "    {%d, 0x%08xu, golden_%02d},\n", check, gd->sum[i], i);
        else
            emit(&o, "    {%d, 0x%08xu, 0},\n", check, gd->sum[i]);
    }
    emit(&o, "};\n");
    return out_close(&o);
}

static int write_network(const char *dir, const Graph *g, const Plan *p, const Layer *layers)
{
    Out o;
    if (out_open(&o, dir, "inc/network.h")) return -1;
    emit(&o,
         "/* network.h: generated by dory %s for '%s'. */\n#ifndef NETWORK_H\n"
         "#define NETWORK_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n"
         "#include \"dory_hal.h\"\n#include \"dory_kernels.h\"\n#include \"dory_layer.h\"\n\n",
         DORY_VERSION, g->name);
    emit(&o,
         "#define DORY_L1_BYTES %lld\n#define DORY_L2_BYTES %lld\n#define DORY_L3_BYTES %lld\n"
         "#define DORY_CORES %d\n#define DORY_LAYERS %d\n\n",
         (long long)target_l1_budget(&p->target), (long long)p->l2_budget,
         (long long)(p->target.l3.size > 0 ? p->target.l3.size : 0), p->target.cores, g->nnodes);
    emit(&o, "/* data placed at start: in L2 (l3 = 0) or L3 (l3 = 1) at offset */\n"
             "typedef struct dory_data {\n    int l3;\n    size_t offset;\n"
             "    const uint8_t *data;\n    size_t bytes;\n} dory_data_t;\n\n"
             "typedef struct dory_blob_item {\n    size_t l3_offset, blob_offset, bytes;\n"
             "} dory_blob_item_t;\n\n"
             "typedef struct dory_golden {\n    int check;\n    uint32_t sum;\n"
             "    const uint8_t *bytes; /* whole tensor, or NULL: checksum only */\n"
             "} dory_golden_t;\n\n"
             "typedef struct dory_layer {\n    const char *name;\n    void (*run)(void);\n"
             "    int out_l3; /* the output lives in L3 */\n"
             "    size_t out_offset, out_bytes;\n    long long macs;\n    double modeled_cycles;\n"
             "} dory_layer_t;\n\n"
             "extern const dory_data_t dory_l2_image[];\nextern const dory_blob_item_t "
             "dory_l3_image[];\nextern const dory_data_t dory_inputs[];\n"
             "extern const dory_golden_t dory_golden[];\n"
             "extern const dory_layer_t dory_layers[DORY_LAYERS];\n\n"
             "void dory_app_fail(const char *layer, const char *what, int code);\n\n");
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].kind != GK_ALIAS) emit(&o, "void %s(void);\n", layers[i].fn);
    emit(&o, "\n#endif\n");
    if (out_close(&o)) return -1;

    if (out_open(&o, dir, "src/network.c")) return -1;
    emit(&o, "/* network.c: the layers of '%s' in execution order. */\n#include \"network.h\"\n\n",
         g->name);
    emit(&o, "const dory_layer_t dory_layers[DORY_LAYERS] = {\n");
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        const Tensor *y = graph_tensor(g, g->nodes[i]->out);
        int64_t off = 0;
        int l3 = place_of(p, g->nodes[i]->out, &off) == LOC_L3;
        emit(&o, "    {\"%s\", %s, %d, %lld, %lld, %lldLL, %.1f},\n", g->nodes[i]->name,
             L->kind == GK_ALIAS ? "0" : L->fn, l3, (long long)off, (long long)tensor_bytes(y),
             (long long)node_macs(g, g->nodes[i]), p->layers[i].cost.total);
    }
    emit(&o, "};\n");
    return out_close(&o);
}

static const char app_main[] =
    "/* main.c: runs the network on the host HAL and checks every layer against the\n"
    " * reference interpreter's outputs. Exit status 0 only if every check passes. */\n"
    "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n#include \"network.h\"\n\n"
    "static uint32_t fnv1a(const uint8_t *b, size_t n)\n{\n    uint32_t h = 2166136261u;\n"
    "    size_t i;\n    for (i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;\n    return h;\n}\n\n"
    "void dory_app_fail(const char *layer, const char *what, int code)\n{\n"
    "    fprintf(stderr, \"layer '%s': %s (%d)\\n\", layer, what, code);\n    exit(3);\n}\n\n"
    "/* The L3-streamed weights: weights/l3_weights.bin into L3. */\n"
    "static void load_l3_weights(void)\n{\n    const char *path = \"weights/l3_weights.bin\";\n"
    "    FILE *f;\n    uint8_t *blob;\n    size_t n = 0, i;\n"
    "    for (i = 0; dory_l3_image[i].bytes; i++)\n"
    "        if (dory_l3_image[i].blob_offset + dory_l3_image[i].bytes > n)\n"
    "            n = dory_l3_image[i].blob_offset + dory_l3_image[i].bytes;\n"
    "    if (!n) return;\n    f = fopen(path, \"rb\");\n    blob = (uint8_t *)malloc(n);\n"
    "    if (!f || !blob || fread(blob, 1, n, f) != n) {\n"
    "        fprintf(stderr, \"cannot read %s (%lu bytes): run from the application folder\\n\", "
    "path,\n                (unsigned long)n);\n        exit(2);\n    }\n    fclose(f);\n"
    "    for (i = 0; dory_l3_image[i].bytes; i++)\n"
    "        dory_l3_load((uint32_t)dory_l3_image[i].l3_offset, blob + "
    "dory_l3_image[i].blob_offset,\n                     dory_l3_image[i].bytes);\n"
    "    free(blob);\n}\n\n"
    "static void place(const dory_data_t *d)\n{\n"
    "    for (; d->data; d++)\n        if (d->l3)\n"
    "            dory_l3_load((uint32_t)d->offset, d->data, d->bytes);\n        else\n"
    "            memcpy(dory_l2_base() + d->offset, d->data, d->bytes);\n}\n\n"
    "/* Compares a layer's output with the golden data; res gets the verdict. */\n"
    "static int check(const dory_layer_t *l, const dory_golden_t *gd, char *res)\n{\n"
    "    uint8_t *copy = NULL;\n    const uint8_t *y = dory_l2_base() + l->out_offset;\n"
    "    int bad = 0;\n"
    "    if (l->out_l3) {\n        copy = (uint8_t *)malloc(l->out_bytes ? l->out_bytes : 1);\n"
    "        if (!copy) dory_app_fail(l->name, \"out of memory\", 0);\n"
    "        dory_l3_peek(copy, (uint32_t)l->out_offset, l->out_bytes);\n        y = copy;\n    }\n"
    "    if (gd->bytes) {\n        size_t k;\n"
    "        for (k = 0; k < l->out_bytes && y[k] == gd->bytes[k]; k++)\n            ;\n"
    "        if (k < l->out_bytes) {\n"
    "            sprintf(res, \"FAIL at byte %lu: %d, expected %d\", (unsigned long)k, y[k], "
    "gd->bytes[k]);\n            bad = 1;\n        }\n"
    "    } else if (fnv1a(y, l->out_bytes) != gd->sum) {\n"
    "        sprintf(res, \"FAIL (checksum %08lx, expected %08lx)\",\n"
    "                (unsigned long)fnv1a(y, l->out_bytes), (unsigned long)gd->sum);\n"
    "        bad = 1;\n    }\n"
    "    if (!bad) strcpy(res, \"OK\");\n    free(copy);\n    return bad;\n}\n\n"
    "int main(int argc, char **argv)\n{\n    dory_hal_config_t cfg;\n    int i, failed = 0, "
    "checked = 0;\n"
    "    long long macs = 0;\n    double modeled = 0;\n"
    "    cfg.l1_bytes = DORY_L1_BYTES;\n    cfg.l2_bytes = DORY_L2_BYTES;\n"
    "    cfg.l3_bytes = DORY_L3_BYTES;\n    cfg.num_cores = DORY_CORES;\n    cfg.poison = 1;\n"
    "    if (argc > 1) cfg.num_cores = atoi(argv[1]);\n"
    "    if (dory_hal_init(&cfg)) return 2;\n"
    "    place(dory_l2_image);\n    load_l3_weights();\n    place(dory_inputs);\n"
    "    printf(\"%-24s %12s %10s %10s %10s %12s %10s  %s\\n\", \"layer\", \"MACs\", \"L2->L1 B\", "
    "\"L1->L2 B\",\n           \"L3<->L2 B\", \"model cyc\", dory_cycles_unit(), \"check\");\n"
    "    for (i = 0; i < DORY_LAYERS; i++) {\n        const dory_layer_t *l = &dory_layers[i];\n"
    "        uint64_t t0, t1;\n        dory_dma_stats_t s;\n        char res[96] = \"-\";\n"
    "        dory_hal_set_layer(l->name);\n        t0 = dory_cycles();\n"
    "        if (l->run) l->run();\n        t1 = dory_cycles();\n"
    "        s = dory_dma_layer_stats();\n"
    "        if (dory_golden[i].check) {\n            checked++;\n"
    "            failed += check(l, &dory_golden[i], res);\n        }\n"
    "        macs += l->macs;\n        modeled += l->modeled_cycles;\n"
    "        printf(\"%-24s %12lld %10llu %10llu %10llu %12.0f %10llu  %s\\n\", l->name, l->macs,\n"
    "               (unsigned long long)s.l2_to_l1, (unsigned long long)s.l1_to_l2,\n"
    "               (unsigned long long)(s.l3_to_l2 + s.l2_to_l3), l->modeled_cycles,\n"
    "               (unsigned long long)(t1 - t0), res);\n    }\n"
    "    printf(\"%d layers, %lld MACs, %.0f modeled cycles (%.2f MAC/cycle), %d checked, %d "
    "failed: %s\\n\",\n           DORY_LAYERS, macs, modeled, modeled > 0 ? macs / modeled : 0.0,"
    " checked, failed,\n           failed ? \"FAIL\" : \"OK\");\n"
    "    dory_hal_deinit();\n    return failed ? 1 : 0;\n}\n";

static const char app_makefile[] =
    "# Makefile of a dory application: `make run` builds and runs it on the host.\n"
    "#   SAN=1      AddressSanitizer + UndefinedBehaviorSanitizer\n"
    "#   CORES=N    run on N cores (default: the target's)\n"
    "#   RT_LIB=F   link a prebuilt archive of kernels/ and runtime/ (`make rtlib`)\n"
    "#              instead of compiling them: for building many applications\n"
    "CC ?= cc\nCORES ?=\nRT_LIB ?=\n"
    "CFLAGS ?= -O2\n"
    "CFLAGS += -std=c99 -Wall -Wextra -Werror -ffp-contract=off -D_POSIX_C_SOURCE=200809L "
    "-Iinc -Ikernels -Iruntime\n"
    "ifeq ($(SAN),1)\nCFLAGS += -g -fsanitize=address,undefined -fno-sanitize-recover=all\nendif\n"
    "APP_SRC = $(wildcard src/*.c) $(wildcard weights/*.c)\n"
    "RT_SRC = $(wildcard kernels/*.c runtime/*.c) runtime/host/dory_hal_host.c\n"
    "LINK = $(if $(RT_LIB),$(RT_LIB),$(RT_SRC))\n"
    "app: $(APP_SRC) $(LINK) $(wildcard inc/*.h kernels/*.h runtime/*.h)\n"
    "\t$(CC) $(CFLAGS) -o $@ $(APP_SRC) $(LINK) -lpthread -lm\n"
    "run: app\n\t./app $(CORES)\n"
    "# The same application on bare-metal RV32 (one hart) under QEMU; the table's\n"
    "# time column is then retired instructions, identical run to run.\n"
    "# (Semihosting prints the program's output on QEMU's stderr: merged.)\n"
    "RV_CC ?= riscv64-unknown-elf-gcc\nQEMU_RV32 ?= qemu-system-riscv32\n"
    "RV_CFLAGS = -march=rv32imc -mabi=ilp32 -O3 -std=c99 -Wall -Wextra -Werror "
    "-ffp-contract=off \\\n    --specs=picolibc.specs --crt0=semihost --oslib=semihost "
    "-Iinc -Ikernels -Iruntime\n"
    "RV_LDFLAGS = -Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x400000 \\\n"
    "    -Wl,--defsym=__ram=0x80400000,--defsym=__ram_size=0x3c00000 "
    "-Wl,--defsym=__stack_size=0x10000\n"
    "RV_SRC = $(wildcard kernels/*.c runtime/*.c) runtime/riscv/dory_hal_riscv.c\n"
    "app-rv32.elf: $(APP_SRC) $(RV_SRC) "
    "$(wildcard inc/*.h kernels/*.h runtime/*.h)\n"
    "\t$(RV_CC) $(RV_CFLAGS) $(RV_LDFLAGS) -o $@ $(APP_SRC) $(RV_SRC) -lm\n"
    "run-qemu: app-rv32.elf\n"
    "\ttimeout 900 $(QEMU_RV32) -M virt -m 128M -bios none -icount shift=0 \\\n"
    "\t    -semihosting-config enable=on,target=native -display none -monitor none "
    "-serial none -kernel $< 2>&1\n"
    "rtlib: $(RT_SRC)\n\trm -rf rtobj && mkdir rtobj\n"
    "\tcd rtobj && $(CC) $(CFLAGS:-I%=-I../%) -c $(addprefix ../,$(RT_SRC))\n"
    "\tar rcs libdory_rt.a rtobj/*.o && rm -rf rtobj\n"
    "clean:\n\trm -rf app app-rv32.elf libdory_rt.a rtobj\n.PHONY: run run-qemu rtlib clean\n";

static int write_text_file(const char *dir, const char *name, const char *text, size_t n)
{
    Out o;
    if (out_open(&o, dir, name)) return -1;
    fwrite(text, 1, n, o.f);
    return out_close(&o);
}

static int write_support(const char *dir)
{
    for (const EmbeddedFile *e = embedded_files; e->path; e++) {
        int host =
            !strncmp(e->path, "runtime/host/", 13) || !strncmp(e->path, "runtime/riscv/", 14);
        int common = !strncmp(e->path, "runtime/", 8) && !strchr(e->path + 8, '/');
        int kernel = !strncmp(e->path, "kernels/", 8);
        if ((host || common || kernel) && write_text_file(dir, e->path, e->data, e->size))
            return -1;
    }
    if (write_text_file(dir, "src/main.c", app_main, sizeof app_main - 1)) return -1;
    return write_text_file(dir, "Makefile", app_makefile, sizeof app_makefile - 1);
}

static int write_readme(const char *dir, const Graph *g, const Plan *p, const CodegenOptions *opt)
{
    Out o;
    if (out_open(&o, dir, "README.md")) return -1;
    emit(&o, "# %s, deployed by dory %s\n\n", g->name, DORY_VERSION);
    emit(&o, "Target `%s`: L1 %lld bytes for tiles, L2 %lld bytes for data, %d cores.\n\n",
         p->target.name, (long long)target_l1_budget(&p->target), (long long)p->l2_budget,
         p->target.cores);
    emit(&o,
         "Build and run on the host: `make run` (`make run SAN=1` with sanitizers, `make run "
         "CORES=1` on one core). The program runs every layer on the host HAL (L1, L2 and L3 "
         "as bounds-checked arenas of the target's sizes, DMA that completes only at wait), "
         "checks %s against the reference interpreter and exits non-zero on any mismatch.\n\n",
         opt->check == CHECK_ALL    ? "every layer in full"
         : opt->check == CHECK_SUMS ? "every layer by checksum"
         : opt->check == CHECK_LAST ? "the last layer in full"
                                    : "nothing");
    emit(&o, "Input: %s.\n\n", opt->input_desc ? opt->input_desc : "pseudo-random");
    emit(&o, "| file | what |\n|---|---|\n| src/layer_NN_*.c | one tiled, double-buffered "
             "function per layer (header comment: shapes, tiles, L1 map, modeled cycles) |\n"
             "| src/network.c | the layer table |\n| src/data.c | input and golden outputs |\n"
             "| weights/weights.c | L2-resident weights and their L2 offsets |\n"
             "| src/main.c | runs, checks, prints the per-layer table |\n"
             "| kernels/, runtime/ | the kernel library and the HAL |\n\n");
    emit(&o, "## L2 memory map (bytes)\n\n| tensor | offset | bytes |\n|---|---|---|\n");
    for (int i = 0; i < g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        if (tp->loc == LOC_L2)
            emit(&o, "| %s | %lld | %lld |\n", g->tensors[i]->name, (long long)tp->offset,
                 (long long)tp->bytes);
    }
    emit(&o, "\nPeak L2 use %lld bytes of %lld (lower bound %lld).\n", (long long)p->l2_peak,
         (long long)p->l2_budget, (long long)p->l2_lower_bound);
    return out_close(&o);
}

int codegen_app(const Graph *g, const Plan *p, const CodegenOptions *opt)
{
    if (p->status != PLAN_OK) {
        for (int i = 0; i < p->nlayers; i++) {
            const LayerPlan *lp = &p->layers[i];
            if (lp->status != PLAN_OK && lp->status != PLAN_NO_DATA)
                return diag_error(node_loc(g, g->nodes[lp->node]), "no plan for %s: %s",
                                  p->target.name, lp->why ? lp->why : plan_status_name(lp->status));
        }
        return diag_error((DiagLoc){g->source, 0, 0, 0}, "no complete plan: %s",
                          p->message ? p->message : plan_status_name(p->status));
    }
    if (util_mkdir_p(opt->out_dir)) return -1;
    Layer *layers = calloc((size_t)g->nnodes + 1, sizeof(Layer));
    Golden gd = {calloc((size_t)g->nnodes + 1, sizeof(uint32_t)),
                 calloc((size_t)g->nnodes + 1, sizeof(uint8_t *))};
    InterpState st = {0};
    int rc = -1;
    if (!layers || !gd.sum || !gd.bytes) goto out;
    for (int i = 0; i < g->nnodes; i++)
        if (analyse(g, p, i, &layers[i]) ||
            (layers[i].kind != GK_ALIAS && layers[i].kind != GK_CONCAT &&
             (check_buffers(g, &layers[i], p->target.cores) ||
              (layers[i].l3 && check_l3_buffers(g, &layers[i])))))
            goto out;
    if (interp_run(g, opt->inputs, &st, golden_hook, &gd)) goto out;
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].kind != GK_ALIAS && write_layer(opt->out_dir, g, p, &layers[i])) goto out;
    if (write_weights(opt->out_dir, g, layers) || write_data(opt->out_dir, g, p, opt, &gd) ||
        write_network(opt->out_dir, g, p, layers) || write_support(opt->out_dir) ||
        write_readme(opt->out_dir, g, p, opt))
        goto out;
    rc = 0;
out:
    interp_free(&st);
    if (gd.bytes)
        for (int i = 0; i < g->nnodes; i++) free(gd.bytes[i]);
    free(gd.bytes);
    free(gd.sum);
    free(layers);
    return rc;
}
