/* layer.c: what the tiler sees of a node: its kernel (the one place a
 * layer's kernel is chosen: plan_select_kernel()), its geometry and the bytes
 * of its constants per output channel (PlanGeom).
 *
 * It reads the verified IR only; it knows nothing of memory sizes beyond the
 * target's FPU flag (FLOAT requant is budgeted as FIXED on integer targets).
 */
#include <string.h>

#include "ir/quant.h"
#include "plan.h"

KernelKind plan_kernel_cost(dory_kernel_id_t k)
{
    static const KernelKind cost[DORY_K_COUNT] = {
#define X(id, name, fn, params, call, scratch, kind, ...) kind,
        DORY_KERNEL_TABLE(X)
#undef X
    };
    return (unsigned)k < DORY_K_COUNT ? cost[k] : KK_ELEM;
}

/* 1x1 window without padding: the pointwise kernel (any stride). */
static int is_pointwise(const Graph *g, const Node *n)
{
    int kh, kw;
    node_kernel(g, n, &kh, &kw);
    return kh == 1 && kw == 1 && !n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3];
}

/* Depthwise: one filter per channel (groups == Cin == Cout); a channel
 * multiplier or any other grouping runs a standard conv per group. */
static dory_kernel_id_t conv_kernel(const Graph *g, const Node *n)
{
    int64_t cin = act_c(graph_tensor(g, n->in[0])), cout = act_c(graph_tensor(g, n->out));
    int kh, kw;
    node_kernel(g, n, &kh, &kw);
    if (n->groups <= 1) return is_pointwise(g, n) ? DORY_K_CONV1X1 : DORY_K_CONV2D;
    if (n->groups == cin && cin == cout) {
        int fast = kh == 3 && kw == 3 && n->dilation[0] == 1 && n->dilation[1] == 1;
        return fast ? DORY_K_DWCONV3X3 : DORY_K_DWCONV;
    }
    return is_pointwise(g, n) ? DORY_K_GROUPED1X1 : DORY_K_GROUPED;
}

dory_kernel_id_t plan_select_kernel(const Graph *g, const Node *n)
{
    switch (n->op) {
    case OP_CONV2D: return conv_kernel(g, n);
    case OP_FC: return DORY_K_FC;
    case OP_MAXPOOL: return DORY_K_MAXPOOL;
    case OP_AVGPOOL: return DORY_K_AVGPOOL;
    case OP_ADD: return DORY_K_ADD;
    case OP_MUL: return DORY_K_MUL;
    case OP_REQUANT: return DORY_K_REQUANT;
    case OP_CONCAT: return DORY_K_CONCAT;
    case OP_RESHAPE: return DORY_K_ALIAS;
    case OP_SOFTMAX: return DORY_K_SOFTMAX;
    default: return DORY_K_COUNT;
    }
}

/* The Arm DSP row of a portable one, on a target whose ISA has the DSP
 * extension ("+dsp"); the rows pack their weights offline. Offered on
 * single-level targets only: their layers run whole, so packed weights are
 * never sliced by a tile loop. */
dory_kernel_id_t plan_isa_variant(dory_kernel_id_t k, const Target *t)
{
    if (t->levels != 1 || !t->build.isa || !strstr(t->build.isa, "+dsp")) return k;
    switch (k) {
    case DORY_K_CONV2D:
    case DORY_K_CONV2D_1PX: return DORY_K_CONV2D_DSP;
    case DORY_K_CONV1X1: return DORY_K_CONV1X1_DSP;
    case DORY_K_FC: return DORY_K_FC_DSP;
    case DORY_K_DWCONV3X3: return DORY_K_DWCONV3X3_DSP;
    case DORY_K_ADD: return DORY_K_ADD_DSP;
    default: return k;
    }
}

static int elem_bytes(const Tensor *t) { return dtype_info(t->dtype)->bytes; }

/* Bytes of one requant constant in L1: per channel or once per tensor. */
static void rq_const_bytes(const Graph *g, int id, int64_t nch, int min_bytes, PlanGeom *geom)
{
    const Tensor *t = graph_tensor(g, id);
    if (!t) return;
    int b = DORY_MAX(elem_bytes(t), min_bytes);
    if (tensor_numel(t) > 1 && tensor_numel(t) == nch)
        geom->rq_per_ch += b;
    else
        geom->rq_fixed += tensor_numel(t) * b;
}

static void rq_bytes(const Graph *g, const Requant *r, int64_t nch, Arith arith, PlanGeom *geom)
{
    int wide = arith == ARITH_64 ? 8 : 4;
    switch (r->scheme) {
    case RQ_SHIFT:
        rq_const_bytes(g, r->k, nch, wide, geom);
        rq_const_bytes(g, r->l, nch, wide, geom);
        break;
    case RQ_FIXED:
    case RQ_FIXED_SR:
        rq_const_bytes(g, r->mult, nch, 4, geom);
        rq_const_bytes(g, r->shift, nch, 4, geom);
        break;
    case RQ_LUT: { /* one table per tensor */
        const Tensor *t = graph_tensor(g, r->table);
        geom->rq_fixed += tensor_numel(t) * 4;
        break;
    }
    case RQ_F32INT: /* and its shortcut's 32-bit k, 64-bit l */
        rq_const_bytes(g, r->k, nch, 4, geom);
        rq_const_bytes(g, r->l, nch, 8, geom);
        /* fall through */
    case RQ_FLOAT: /* integer targets run it as F32INT: the same constants */
    case RQ_QLADD:
    case RQ_QLADD_INT:
    case RQ_QLMUL:
    case RQ_QLMUL_INT: rq_const_bytes(g, r->scale, nch, 4, geom); break;
    default: break;
    }
}

static void geom_io(const Graph *g, const Node *n, PlanGeom *p)
{
    const Tensor *x = graph_tensor(g, n->in[0]);
    const Tensor *y = graph_tensor(g, n->out);
    p->hin = x->rank == 4 ? act_h(x) : 1;
    p->win = x->rank == 4 ? act_w(x) : 1;
    p->ho = y->rank == 4 ? act_h(y) : 1;
    p->wo = y->rank == 4 ? act_w(y) : 1;
    p->co = y->shape[y->rank - 1];
    p->out_elem = elem_bytes(y);
    p->nin = 1;
    p->cin[0] = x->shape[x->rank - 1];
    p->in_elem[0] = elem_bytes(x);
    p->in_zp = x->zp;
    p->cin_total = p->cin[0];
    p->kh = p->kw = p->sh = p->sw = p->dh = p->dw = 1;
    p->coupled = 1;
    p->gin = p->gout = 1;
}

static void geom_window(const Graph *g, const Node *n, PlanGeom *p)
{
    node_kernel(g, n, &p->kh, &p->kw);
    p->sh = n->stride[0];
    p->sw = n->stride[1];
    p->dh = n->dilation[0];
    p->dw = n->dilation[1];
    for (int i = 0; i < 4; i++) p->pad[i] = n->pad[i];
}

static void geom_conv(const Graph *g, const Node *n, PlanGeom *p)
{
    const Tensor *w = graph_tensor(g, n->in[1]);
    geom_window(g, n, p);
    int64_t groups = n->groups > 0 ? n->groups : 1;
    p->w_elem = elem_bytes(w);
    p->w_bytes = tensor_bytes(w);
    if (groups > 1) {
        p->gin = p->cin[0] / groups;
        p->gout = p->co / groups;
    }
}

static void geom_fc(const Graph *g, const Node *n, PlanGeom *p)
{
    const Tensor *w = graph_tensor(g, n->in[1]);
    p->hin = p->win = p->ho = p->wo = 1;
    p->cin[0] = p->cin_total = w->shape[1]; /* K: the flattened HWC input */
    p->w_elem = elem_bytes(w);
    p->w_bytes = tensor_bytes(w);
}

/* The kernel row's structure: cost kind, coupled channels, ci tiling. */
static void geom_kernel(const Graph *g, const Node *n, PlanGeom *p)
{
    p->kernel = plan_select_kernel(g, n);
    const dory_kernel_info_t *k = dory_kernel_info(p->kernel);
    p->kind = plan_kernel_cost(p->kernel);
    if (!k) return; /* no kernel (softmax): element-wise cost, coupled */
    p->coupled = (k->flags & DORY_KF_COUPLED) != 0;
    p->ci_tiling = (k->flags & DORY_KF_CI_TILE) != 0;
}

static void geom_consts(const Graph *g, const Node *n, PlanGeom *p)
{
    if (n->op == OP_CONV2D || n->op == OP_FC) {
        if (n->nin > 2) p->rq_per_ch += 4, p->bias_bytes = 4 * p->co; /* i32 bias */
        const Tensor *w = graph_tensor(g, n->in[1]);
        if (w->zps && w->nzps > 1) p->rq_per_ch += 4;
    }
    if (n->rq.scheme == RQ_SHIFT)
        for (int i = 0; i < 2; i++) {
            const Tensor *c = graph_tensor(g, i ? n->rq.l : n->rq.k);
            p->dory_consts += c && tensor_numel(c) > 1;
        }
    /* an add without an output requant pays for its inputs' */
    RqScheme rq = n->op == OP_ADD && n->rq.scheme == RQ_NONE ? n->in_rq[0].scheme : n->rq.scheme;
    p->rq_class = rq == RQ_SHIFT && n->arith == ARITH_64 ? RQC_SHIFT64 : (int)rq;
    rq_bytes(g, &n->rq, p->co, n->arith, p);
    rq_bytes(g, &n->in_rq[0], p->co, n->in_arith[0] == ARITH_32 ? ARITH_32 : ARITH_64, p);
    rq_bytes(g, &n->in_rq[1], p->co, n->in_arith[1] == ARITH_32 ? ARITH_32 : ARITH_64, p);
}

/* A requant as the add kernel gets it (codegen/cg_layer.c) where its
 * channels share their constants (one run over the tile: k, l of channel
 * 0); 0 where they do not (a run per channel) or for a scheme no Xpulp form
 * takes (SHIFT in 64 bits, FIXED, ...). */
static int geom_rq32(const Graph *g, const Requant *rq, Arith a, int64_t co, int32_t kl[2],
                     dory_requant_t *r)
{
    memset(r, 0, sizeof *r);
    r->scheme = DORY_RQ_NONE;
    if (rq->scheme == RQ_NONE) return 1;
    if (rq->scheme != RQ_SHIFT || a == ARITH_64 || rq->d > 31) return 0;
    RqChan c0 = rq_channel(g, rq, 0);
    for (int64_t c = 1; c < co; c++) {
        RqChan ch = rq_channel(g, rq, c);
        if (ch.k != c0.k || ch.l != c0.l) return 0;
    }
    kl[0] = (int32_t)c0.k, kl[1] = (int32_t)c0.l;
    *r = (dory_requant_t){.scheme = DORY_RQ_SHIFT32, .k32 = kl, .l32 = kl + 1, .d = rq->d};
    return 1;
}

static dory_type_t geom_dtype(const Tensor *t)
{
    return t->dtype == DT_U8 ? DORY_U8 : t->dtype == DT_I32 ? DORY_I32 : DORY_I8;
}

/* The Xpulp add's form (dory_add_s8_form, the kernel's own decision on the
 * layer's constants): its requant class where it has one of its own. */
static int geom_add_form(const Graph *g, const Node *n, int64_t co)
{
    const Tensor *a = graph_tensor(g, n->in[0]), *b = graph_tensor(g, n->in[1]);
    const Tensor *y = graph_tensor(g, n->out);
    int32_t kl[3][2];
    dory_add_params_t ap = {geom_dtype(a), geom_dtype(b), a->zp, b->zp};
    ap.out = (dory_out_params_t){geom_dtype(y), y->zp, n->lo, n->hi};
    Arith a0 = n->in_arith[0] == ARITH_32 ? ARITH_32 : ARITH_64; /* as the code generator */
    Arith a1 = n->in_arith[1] == ARITH_32 ? ARITH_32 : ARITH_64;
    if (!geom_rq32(g, &n->in_rq[0], a0, co, kl[0], &ap.rq_a) ||
        !geom_rq32(g, &n->in_rq[1], a1, co, kl[1], &ap.rq_b) ||
        !geom_rq32(g, &n->rq, n->arith, co, kl[2], &ap.out.rq))
        return DORY_ADD_FORM_NONE;
    return dory_add_s8_form(&ap, (int)co);
}

/* The max pooling's 2x2 stride-2 fast path (dory_maxpool_s8_2x2) on the
 * whole layer. */
static int geom_maxpool_2x2(const Graph *g, const Node *n, const PlanGeom *p)
{
    const Tensor *x = graph_tensor(g, n->in[0]), *y = graph_tensor(g, n->out);
    dory_pool_params_t pp;
    memset(&pp, 0, sizeof pp);
    pp.kh = p->kh, pp.kw = p->kw, pp.stride_h = p->sh, pp.stride_w = p->sw;
    pp.pad_top = p->pad[0], pp.pad_left = p->pad[1], pp.pad_bottom = p->pad[2];
    pp.pad_right = p->pad[3], pp.border = DORY_BORDER_ALL;
    pp.in_type = geom_dtype(x), pp.in_zp = x->zp;
    pp.out = (dory_out_params_t){geom_dtype(y), y->zp, n->lo, n->hi};
    pp.out.rq.scheme = n->rq.scheme == RQ_NONE ? DORY_RQ_NONE : DORY_RQ_SHIFT64;
    dory_dims_t in = {(int)p->hin, (int)p->win, (int)p->cin[0], 0};
    dory_dims_t out = {(int)p->ho, (int)p->wo, (int)p->co, 0};
    return dory_maxpool_s8_2x2(&pp, &in, &out);
}

/* The depthwise 3x3's Xpulp planes (dory_dwconv3x3_s8_xpulp) on the whole
 * layer, with the scratch its companion gives: 0 where the portable loops
 * run. */
static int geom_dw_planes(const Graph *g, const Node *n, const PlanGeom *p)
{
    const Tensor *w = graph_tensor(g, n->in[1]);
    int32_t wzp = 0;
    dory_conv_params_t cp;
    memset(&cp, 0, sizeof cp);
    cp.kh = p->kh, cp.kw = p->kw, cp.stride_h = p->sh, cp.stride_w = p->sw;
    cp.dil_h = p->dh, cp.dil_w = p->dw, cp.border = DORY_BORDER_ALL;
    cp.pad_top = p->pad[0], cp.pad_left = p->pad[1], cp.pad_bottom = p->pad[2];
    cp.pad_right = p->pad[3];
    cp.out.rq.scheme = n->rq.scheme == RQ_SHIFT && n->arith != ARITH_64 && n->rq.d <= 31
                           ? DORY_RQ_SHIFT32
                           : DORY_RQ_SHIFT64;
    for (int64_t c = 0; c < p->co && !wzp; c++)
        wzp = tensor_zp_at(w, c) - (w->dtype == DT_U8 ? 128 : 0);
    cp.w_zp = &wzp; /* per tensor: 0, or one channel's that is not */
    dory_dims_t in = {(int)p->hin, (int)p->win, (int)p->cin[0], 0};
    dory_dims_t out = {(int)p->ho, (int)p->wo, (int)p->co, 0};
    return dory_dwconv3x3_s8_xpulp(&cp, &in, &out, dory_dwconv_s8_scratch_bytes(&cp, &in, &out));
}

/* The classes of the kernels' own forms (plan.h): the Xpulp add's,
 * the max pooling's 2x2 fast path, the depthwise 3x3's portable loops; else
 * the requant's. */
static void geom_form(const Graph *g, const Node *n, PlanGeom *p)
{
    p->rq_base = p->rq_class;
    if (p->kernel == DORY_K_ADD && n->op == OP_ADD) {
        int f = geom_add_form(g, n, p->co);
        if (f == DORY_ADD_FORM_REQ) p->rq_class = RQC_ADD_REQ;
        if (f == DORY_ADD_FORM_LIN) p->rq_class = RQC_ADD_LIN;
        if (f == DORY_ADD_FORM_SAT) p->rq_class = RQC_ADD_SAT;
    }
    if (p->kernel == DORY_K_MAXPOOL && n->op == OP_MAXPOOL && geom_maxpool_2x2(g, n, p))
        p->rq_class = RQC_MAXPOOL_2X2;
    if (p->kernel == DORY_K_DWCONV3X3 && n->op == OP_CONV2D && !geom_dw_planes(g, n, p))
        p->rq_class = RQC_DW_PORTABLE;
}

void plan_geom_kernel(PlanGeom *p, dory_kernel_id_t k)
{
    int64_t taps = (int64_t)p->kh * p->kw * p->cin_total;
    /* the 4-pixel conv runs K <= 32 taps not in whole words as K rounded
     * up to 4 (its first-layer path, fused); the one-pixel conv does not */
    int unfused = p->kind == KK_CONV && taps % 4 && !(taps <= 32 && k == DORY_K_CONV2D);
    p->kernel = k;
    if (p->rq_class == RQ_SHIFT || p->rq_class == RQC_SHIFT_UNFUSED)
        p->rq_class = unfused ? RQC_SHIFT_UNFUSED : RQ_SHIFT;
    if (p->rq_class == RQC_SHIFT64 || p->rq_class == RQC_SHIFT64_UNFUSED)
        p->rq_class = unfused ? RQC_SHIFT64_UNFUSED : RQC_SHIFT64;
}

int plan_geom(const Graph *g, const Node *n, const Target *t, PlanGeom *p)
{
    (void)t; /* no geometry depends on the target today (FLOAT's constants neither) */
    *p = (PlanGeom){0};
    if (n->nin < 1 || !graph_tensor(g, n->in[0]) || !graph_tensor(g, n->out)) return -1;
    geom_io(g, n, p);
    geom_kernel(g, n, p);
    switch (n->op) {
    case OP_CONV2D: geom_conv(g, n, p); break;
    case OP_FC: geom_fc(g, n, p); break;
    case OP_MAXPOOL:
    case OP_AVGPOOL: geom_window(g, n, p); break;
    case OP_ADD:
    case OP_MUL: {
        const Tensor *b = graph_tensor(g, n->in[1]);
        p->nin = 2;
        p->cin[1] = p->cin[0];
        p->in_elem[1] = elem_bytes(b);
        p->in1_pixel = n->op == OP_MUL && act_h(b) * act_w(b) == 1 && p->hin * p->win > 1;
        break;
    }
    case OP_REQUANT: break;
    case OP_SOFTMAX: p->co_full = 1; break;
    case OP_CONCAT:
        p->co_full = 1;
        p->nin = n->nin;
        for (int i = 0; i < n->nin; i++) {
            const Tensor *x = graph_tensor(g, n->in[i]);
            p->cin[i] = x->shape[x->rank - 1];
            p->in_elem[i] = elem_bytes(x);
        }
        break;
    default: return -1;
    }
    geom_consts(g, n, p);
    geom_form(g, n, p);
    plan_geom_kernel(p, p->kernel);
    p->macs = node_macs(g, n);
    if (p->macs == 0) p->macs = p->ho * p->wo * p->co; /* data movement: one op per element */
    p->param_bytes = node_param_bytes(g, n);
    return 0;
}
