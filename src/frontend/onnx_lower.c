/* onnx_lower.c: lowering of ONNX ops to the IR, the part the four dialects
 * share: what a value means, geometry (kernel, strides, pads, SAME), weights
 * and the conv/fc nodes, pools, shape ops, concat, and the dispatch table
 * from op_type to handler.
 *
 * Each handler looks at what its inputs mean (OnnxVal: constant, activation,
 * dequantized activation, pending accumulator) and either creates an IR node
 * or extends a pending epilogue; the epilogues of the integer dialects live in
 * onnx_lower_int.c, the float groups of QDQ/QOperator in onnx_lower_qdq.c.
 * Must not read files or protobuf bytes (onnx.c does); must not know which
 * target runs the result.
 */
#include "onnx_lower.h"

#include <math.h>
#include <string.h>

#include "ir/quant.h"

/* ---- Values --------------------------------------------------------------- */

OnnxVal *ol_input(OnnxCtx *x, const Onnx__NodeProto *n, size_t i)
{
    if (i >= n->n_input || !n->input[i][0]) return NULL;
    OnnxVal *v = onnx_val(x, n->input[i]);
    if (!v) onnx_err(x, "input '%s' is used before it is defined", n->input[i]);
    return v;
}

OnnxVal *ol_need(OnnxCtx *x, const Onnx__NodeProto *n, size_t i)
{
    if (i >= n->n_input || !n->input[i][0]) {
        onnx_err(x, "input %zu is missing", i);
        return NULL;
    }
    return ol_input(x, n, i);
}

OnnxVal *ol_output(OnnxCtx *x, const Onnx__NodeProto *n)
{
    if (n->n_output < 1) {
        onnx_err(x, "node has no output");
        return NULL;
    }
    return onnx_def(x, n->output[0]);
}

const char *ol_node_name(const Onnx__NodeProto *n)
{
    return n->name && n->name[0] ? n->name : n->output[0];
}

int ol_is_const(const OnnxVal *v) { return v && v->kind == OV_CONST; }

void ol_alias(OnnxVal *out, const OnnxVal *v)
{
    const char *name = out->name;
    int nuses = out->nuses;
    *out = *v;
    out->name = name, out->nuses = nuses;
}

int ol_scalar(OnnxCtx *x, const OnnxVal *v, const char *what, double *out)
{
    *out = 0;
    if (!ol_is_const(v) || v->c.numel != 1)
        return onnx_err(x, "%s must be a scalar constant", what);
    *out = v->c.v[0];
    return 0;
}

Tensor *ol_tensor(OnnxCtx *x, int id) { return graph_tensor(x->g, id); }

int ol_dtype_of_elem(OnnxCtx *x, int elem, DType *dt)
{
    if (elem == ONNX_UINT8)
        *dt = DT_U8;
    else if (elem == ONNX_INT8)
        *dt = DT_I8;
    else if (elem == ONNX_INT32)
        *dt = DT_I32;
    else
        return onnx_err(x, "quantized type %d is not supported (uint8, int8, int32)", elem);
    return 0;
}

void ol_set_oshape(OnnxVal *v, int orank, int64_t h, int64_t w, int64_t c)
{
    v->orank = orank;
    v->oshape[0] = 1;
    v->oshape[1] = c;
    if (orank == 4) v->oshape[2] = h, v->oshape[3] = w;
    if (orank == 3) v->oshape[2] = w;
}

void ol_hwc_of(const OnnxVal *v, int64_t *h, int64_t *w, int64_t *c)
{
    *c = v->oshape[1];
    *h = v->orank == 4 ? v->oshape[2] : 1;
    *w = v->orank == 4 ? v->oshape[3] : v->orank == 3 ? v->oshape[2] : 1;
}

int ol_new_act(OnnxCtx *x, const char *name, DType dt, const OnnxVal *v, int32_t zp)
{
    int64_t hwc[3];
    ol_hwc_of(v, &hwc[0], &hwc[1], &hwc[2]);
    return build_act(&x->b, name, dt, hwc, v->orank, v->oshape, zp);
}

/* A float graph input becomes an IR input: integer dialects take unsigned
 * 8-bit (DORY's convention) unless told signed (--input-type i8, or the
 * input file is int8); integer-typed inputs keep their type. */
int ol_fin_to_act(OnnxCtx *x, OnnxVal *v, DType dt, int32_t zp, int zp_known)
{
    if (v->orank < 2 || v->orank > 4)
        return onnx_err(x, "graph input '%s' must be [1,C], [1,C,W] or [1,C,H,W]", v->name);
    int id = ol_new_act(x, v->name, dt, v, zp);
    if (id < 0 || graph_add_input(x->g, id)) return -1;
    v->kind = OV_ACT;
    v->tensor = id;
    v->zp_known = zp_known;
    return 0;
}

int ol_act(OnnxCtx *x, OnnxVal *v, const char *what)
{
    if (!v) return -1;
    const char *op = x->cur ? x->cur->op_type : "";
    if (v->shuffle_stage && strcmp(op, "QuantizeLinear") && strcmp(op, "DequantizeLinear"))
        return onnx_err(x,
                        "'%s' is a channel shuffle in progress (a 5-D view); only its "
                        "Transpose and Reshape may follow",
                        v->name);
    if (v->kind == OV_FIN) {
        DType dt = v->c.elem == ONNX_INT8    ? DT_I8
                   : v->c.elem == ONNX_UINT8 ? DT_U8
                   : x->signed_input         ? DT_I8
                                             : DT_U8;
        int int_dialect = x->dialect == DIALECT_NEMO || x->dialect == DIALECT_QUANTLAB;
        if (ol_fin_to_act(x, v, dt, 0, int_dialect)) return -1;
    }
    if (v->kind == OV_ACC && onnx_materialize(x, v)) return -1;
    if (v->kind == OV_FN)
        return onnx_err(x,
                        "'%s' is a float function result that no QuantizeLinear brings back "
                        "to integers",
                        v->name);
    if (v->kind != OV_ACT && v->kind != OV_DQ)
        return onnx_err(x, "%s '%s' must be an activation", what, v->name);
    return 0;
}

/* Sets a graph input's zero point from its first quantized consumer. */
int ol_check_zp(OnnxCtx *x, OnnxVal *v, int32_t zp, DType dt)
{
    Tensor *t = ol_tensor(x, v->tensor);
    if (!v->zp_known) {
        t->zp = zp;
        v->zp_known = 1;
        if (x->g->ninputs && t->id == x->g->inputs[0] && t->dtype != dt) t->dtype = dt;
    }
    if (t->zp != zp)
        return onnx_err(x, "'%s' has zero point %d here but %d where it was quantized", v->name, zp,
                        t->zp);
    return 0;
}

/* A layer's epilogue is collected in place: the unfinished value may have
 * only the one consumer that extends it. */
int ol_single_use(OnnxCtx *x, const OnnxVal *v)
{
    if (v->kind != OV_ACC || v->nuses <= 1) return 0;
    return onnx_err(x,
                    "'%s' (an unfinished layer result) has %d consumers; a layer's "
                    "requantization chain cannot branch",
                    v->name, v->nuses);
}

int ol_acc_out(OnnxCtx *x, OnnxVal *v, Node *n, DType dt, int32_t zp)
{
    int id = ol_new_act(x, v->name, dt, v, zp);
    if (id < 0) return -1;
    n->out = id;
    v->kind = OV_ACT;
    v->tensor = id;
    v->zp_known = 1;
    return 0;
}

void ol_acc_result(OnnxVal *out, const OnnxVal *in, OnnxAcc *a)
{
    out->kind = OV_ACC;
    out->acc = a;
    out->orank = in->orank;
    memcpy(out->oshape, in->oshape, sizeof out->oshape);
    out->flat = in->flat;
}

OnnxAcc *ol_new_acc(OnnxCtx *x, Node *node, int nch)
{
    OnnxAcc *a = arena_alloc(&x->g->arena, sizeof *a);
    if (!a) return NULL;
    a->node = node;
    a->nch = nch;
    return a;
}

/* ---- Geometry ------------------------------------------------------------ */

typedef struct Geom {
    int kernel[2], stride[2], dil[2], pad[4];
} Geom;

/* Reads one of strides/dilations/pads; 1-D (NCW) attributes fill W only. */
typedef struct RawGeom {
    int64_t k[2], s[2], d[2], p[4];
} RawGeom;

static int read_raw_geom(OnnxCtx *x, const Onnx__NodeProto *n, int sp, const int64_t *wk,
                         RawGeom *r)
{
    int64_t k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    int nk = onnx_attr_ints(n, "kernel_shape", k, 2);
    if (nk <= 0 && wk) nk = sp, k[0] = wk[0], k[1] = wk[1];
    if (nk != sp) return onnx_err(x, "kernel_shape must have %d entries", sp);
    int ns = onnx_attr_ints(n, "strides", s, 2), nd = onnx_attr_ints(n, "dilations", d, 2);
    int np = onnx_attr_ints(n, "pads", p, 4);
    if ((ns && ns != sp) || (nd && nd != sp) || (np && np != 2 * sp))
        return onnx_err(x, "strides, dilations and pads must match the spatial rank %d", sp);
    int off = 2 - sp; /* 1-D: H is 1 with kernel 1 */
    for (int i = 0; i < 2; i++) {
        r->k[i] = i < off ? 1 : k[i - off];
        r->s[i] = i < off ? 1 : s[i - off];
        r->d[i] = i < off ? 1 : d[i - off];
        r->p[i] = i < off ? 0 : p[i - off];
        r->p[i + 2] = i < off ? 0 : p[sp + i - off];
    }
    return 0;
}

static int apply_auto_pad(OnnxCtx *x, const Onnx__NodeProto *n, const OnnxVal *in, RawGeom *r)
{
    const char *ap = onnx_attr_str(x, n, "auto_pad");
    if (ap && (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER"))) {
        int64_t in_hw[2] = {in->orank == 4 ? in->oshape[2] : 1, in->oshape[in->orank - 1]};
        for (int i = 0; i < 2; i++)
            build_same_pad(in_hw[i], r->k[i], r->s[i], r->d[i], !strcmp(ap, "SAME_UPPER"), &r->p[i],
                           &r->p[i + 2]);
    } else if (ap && strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) {
        return onnx_err(x, "auto_pad '%s' is not supported", ap);
    }
    return 0;
}

/* kernel_shape, strides, dilations, pads, auto_pad of a conv or pool on an
 * activation of ONNX rank 3 (NCW) or 4 (NCHW). */
static int read_geom(OnnxCtx *x, const Onnx__NodeProto *n, const OnnxVal *in, const int64_t *wk,
                     Geom *g)
{
    int sp = in->orank - 2;
    if (sp < 1 || sp > 2) return onnx_err(x, "input must be NCW or NCHW (rank 3 or 4)");
    RawGeom r;
    if (read_raw_geom(x, n, sp, wk, &r) || apply_auto_pad(x, n, in, &r)) return -1;
    for (int i = 0; i < 2; i++) {
        if (r.k[i] < 1 || r.k[i] > 4096 || r.s[i] < 1 || r.s[i] > 4096 || r.d[i] < 1 ||
            r.d[i] > 4096)
            return onnx_err(x, "kernel, stride and dilation must be in 1..4096");
        g->kernel[i] = (int)r.k[i], g->stride[i] = (int)r.s[i], g->dil[i] = (int)r.d[i];
    }
    for (int i = 0; i < 4; i++) {
        if (r.p[i] < 0 || r.p[i] > 4096) return onnx_err(x, "pads must be in 0..4096");
        g->pad[i] = (int)r.p[i];
    }
    return 0;
}

static int out_dims(OnnxCtx *x, const OnnxVal *in, const Geom *g, int64_t *oh, int64_t *ow)
{
    int64_t h, w, c;
    ol_hwc_of(in, &h, &w, &c);
    *oh = conv_out_dim(h, g->kernel[0], g->stride[0], g->dil[0], g->pad[0], g->pad[2]);
    *ow = conv_out_dim(w, g->kernel[1], g->stride[1], g->dil[1], g->pad[1], g->pad[3]);
    if (*oh <= 0 || *ow <= 0) return onnx_err(x, "the window does not fit the input");
    return 0;
}

static void apply_geom(Node *nd, const Geom *g)
{
    for (int i = 0; i < 2; i++)
        nd->kernel[i] = g->kernel[i], nd->stride[i] = g->stride[i], nd->dilation[i] = g->dil[i];
    for (int i = 0; i < 4; i++) nd->pad[i] = g->pad[i];
}

/* ---- Weights ------------------------------------------------------------- */

static int weight_info(OnnxCtx *x, const OnnxVal *v, WInfo *wi)
{
    memset(wi, 0, sizeof *wi);
    if (!v || (v->kind != OV_CONST && v->kind != OV_QCONST))
        return onnx_err(x, "weights must be constant");
    wi->c = &v->c;
    if (v->kind == OV_QCONST) {
        wi->nq = v->nq, wi->scale = v->qscale, wi->zp = v->qzp;
        return ol_dtype_of_elem(x, v->qelem, &wi->dt);
    }
    if (v->c.elem == ONNX_UINT8 || v->c.elem == ONNX_INT8)
        return ol_dtype_of_elem(x, v->c.elem, &wi->dt);
    double lo = 0, hi = 0;
    for (int64_t i = 0; i < v->c.numel; i++) {
        if (!q_is_integral(v->c.v[i])) return onnx_err(x, "weights '%s' are not integers", v->name);
        lo = fmin(lo, v->c.v[i]), hi = fmax(hi, v->c.v[i]);
    }
    if (lo < -128 || hi > 127)
        return onnx_err(x, "weights '%s' do not fit 8 bits ([%g, %g])", v->name, lo, hi);
    wi->dt = DT_I8;
    return 0;
}

/* Weights (permuted by perm) and optional bias of node n: in[1], in[2]. */
static int weights_and_bias(OnnxCtx *x, const Onnx__NodeProto *n, const WInfo *wi, int rank,
                            const int64_t *shape, const int64_t *perm, const OnnxVal *bias, int *in)
{
    BuildWeights bw = {wi->dt, wi->c->v, wi->zp ? wi->nq : 0, wi->zp};
    if (!perm || (in[1] = build_weights(&x->b, ol_node_name(n), &bw, rank, shape, perm)) < 0)
        return -1;
    if (!bias) return 0;
    if (bias->kind != OV_CONST && bias->kind != OV_QCONST)
        return onnx_err(x, "bias must be constant");
    in[2] = build_bias(&x->b, ol_node_name(n), bias->c.v, bias->c.numel, shape[0]);
    return in[2] < 0 ? -1 : 0;
}

/* ---- Conv and FC ---------------------------------------------------------- */

static int conv_shape_ok(OnnxCtx *x, const OnnxConst *w, int64_t groups, int64_t cin, const Geom *g)
{
    int64_t cout = w->dims[0], cig = w->dims[1];
    if (groups < 1 || cin != cig * groups || cout % groups)
        return onnx_err(x,
                        "weights [%lld, %lld, ...] and group %lld do not match %lld input "
                        "channels",
                        (long long)cout, (long long)cig, (long long)groups, (long long)cin);
    if ((int64_t)g->kernel[0] * g->kernel[1] * cig * cout != w->numel)
        return onnx_err(x, "kernel_shape does not match the weights");
    return 0;
}

/* Creates the conv node on activation `xv` (ACT or DQ); returns its node. */
Node *ol_make_conv(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *xv, const WInfo *wi,
                   const OnnxVal *bias, OnnxVal *out)
{
    const OnnxConst *w = wi->c;
    if (w->rank != xv->orank)
        return onnx_err(x, "weights rank %d for an input of rank %d", w->rank, xv->orank), NULL;
    int64_t wk[2] = {w->dims[2], w->rank == 4 ? w->dims[3] : 1};
    Geom g;
    if (read_geom(x, n, xv, wk, &g)) return NULL;
    int64_t groups = onnx_attr_int(n, "group", 1), h, wd, cin, oh, ow;
    ol_hwc_of(xv, &h, &wd, &cin);
    if (conv_shape_ok(x, w, groups, cin, &g) || out_dims(x, xv, &g, &oh, &ow)) return NULL;
    int64_t cout = w->dims[0], cig = w->dims[1], kh = g.kernel[0], kw = g.kernel[1];
    int64_t shape[4] = {cout, kh, kw, cig};
    int64_t *perm = build_conv_perm(&x->b, BUILD_W_OIHW, cout, cig, kh, kw);
    int in[3] = {xv->tensor, -1, -1};
    if (weights_and_bias(x, n, wi, 4, shape, perm, bias, in)) return NULL;
    Node *nd = build_node(&x->b, ol_node_name(n), OP_CONV2D, bias ? 3 : 2, in, -1);
    if (!nd) return NULL;
    apply_geom(nd, &g);
    nd->groups = (int)groups;
    ol_set_oshape(out, xv->orank, oh, ow, cout);
    return nd;
}

/* FC weights [N][K] in the HWC order of the (flattened) input. `kn`: ONNX
 * stores them [K][N] (MatMul, Gemm without transB). */
Node *ol_make_fc(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *xv, const WInfo *wi, int kn,
                 const OnnxVal *bias, OnnxVal *out)
{
    const OnnxConst *w = wi->c;
    int64_t h, wd, c;
    ol_hwc_of(xv, &h, &wd, &c);
    if (xv->flat) {
        const Tensor *t = ol_tensor(x, xv->tensor);
        h = t->shape[1], wd = t->shape[2], c = t->shape[3];
    }
    int64_t K = h * wd * c;
    if (w->rank != 2 || xv->orank != 2)
        return onnx_err(x, "fully connected layers need a [1, K] input and 2-D weights"), NULL;
    int64_t N = kn ? w->dims[1] : w->dims[0];
    if ((kn ? w->dims[0] : w->dims[1]) != K)
        return onnx_err(x, "weights take %lld inputs; the input has %lld",
                        (long long)(kn ? w->dims[0] : w->dims[1]), (long long)K),
               NULL;
    int64_t shape[2] = {N, K};
    int64_t *perm = build_fc_perm(&x->b, N, h, wd, c, xv->flat, kn);
    int in[3] = {xv->tensor, -1, -1};
    if (weights_and_bias(x, n, wi, 2, shape, perm, bias, in)) return NULL;
    Node *nd = build_node(&x->b, ol_node_name(n), OP_FC, bias ? 3 : 2, in, -1);
    if (!nd) return NULL;
    ol_set_oshape(out, 2, 1, 1, N);
    return nd;
}

int ol_open_acc(OnnxCtx *x, OnnxVal *out, Node *nd, int nch, int is_float, float xs,
                const float *ws, int nws)
{
    OnnxAcc *a = nd ? ol_new_acc(x, nd, nch) : NULL;
    if (!a) return -1;
    out->kind = OV_ACC;
    out->acc = a;
    if (is_float) return ol_make_float(x, a, xs, ws, nws);
    return (a->ie = ol_new_int_epi(x, nch)) ? 0 : -1;
}

static int lower_conv_like(OnnxCtx *x, const Onnx__NodeProto *n, int flags)
{
    OnnxVal *xv = ol_need(x, n, 0), *wv = ol_need(x, n, 1), *bv = ol_input(x, n, 2);
    if (!xv || !wv || (n->n_input > 2 && n->input[2][0] && !bv)) return -1;
    if (ol_act(x, xv, "input")) return -1;
    int dq = xv->kind == OV_DQ;
    WInfo wi;
    if (weight_info(x, wv, &wi)) return -1;
    if (dq != (wi.scale != NULL))
        return onnx_err(x, "input and weights must both be dequantized (QDQ) or both integers");
    if (!dq && x->dialect != DIALECT_NEMO && x->dialect != DIALECT_QUANTLAB)
        return onnx_err(x, "float %s in a %s model: expected DequantizeLinear inputs", n->op_type,
                        onnx_dialect_name(x->dialect));
    OnnxVal *out = ol_output(x, n);
    if (!out) return -1;
    Node *nd = flags & OL_FC ? ol_make_fc(x, n, xv, &wi, !!(flags & OL_KN), bv, out)
                             : ol_make_conv(x, n, xv, &wi, bv, out);
    return ol_open_acc(x, out, nd, (int)out->oshape[1], dq, dq ? xv->scale : 0, wi.scale, wi.nq);
}

static int lower_gemm(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    if (onnx_attr_float(n, "alpha", 1) != 1 || onnx_attr_float(n, "beta", 1) != 1 ||
        onnx_attr_int(n, "transA", 0) != 0)
        return onnx_err(x, "Gemm needs alpha = beta = 1 and transA = 0");
    return lower_conv_like(x, n, OL_FC | (onnx_attr_int(n, "transB", 0) == 0 ? OL_KN : 0));
}

/* ---- Pools ---------------------------------------------------------------- */

/* ceil_mode = 1: the last window may start inside the input (or its left
 * pad) and overhang; the overhang becomes extra bottom/right padding, which
 * max pooling ignores and average pooling counts as onnxruntime does (in
 * the window with count_include_pad, else not). */
static int ceil_mode_pad(OnnxCtx *x, const OnnxVal *v, Geom *g)
{
    int64_t hw[3];
    ol_hwc_of(v, &hw[0], &hw[1], &hw[2]);
    for (int i = 0; i < 2; i++) {
        int64_t span = hw[i] + g->pad[i] + g->pad[i + 2] - g->kernel[i];
        if (span < 0) return onnx_err(x, "the window does not fit the input");
        int64_t out = (span + g->stride[i] - 1) / g->stride[i] + 1;
        if ((out - 1) * g->stride[i] >= hw[i] + g->pad[i]) out--;
        int64_t over =
            (out - 1) * g->stride[i] + g->kernel[i] - (hw[i] + g->pad[i] + g->pad[i + 2]);
        if (over > 0) g->pad[i + 2] += (int)over;
    }
    return 0;
}

static int pool_geom(OnnxCtx *x, const Onnx__NodeProto *n, const OnnxVal *v, int global, Geom *g)
{
    int64_t dil[2] = {1, 1};
    if (onnx_attr_ints(n, "dilations", dil, 2) > 0 && (dil[0] != 1 || dil[1] != 1))
        return onnx_err(x, "dilated pooling is not supported");
    if (n->n_output > 1 && n->output[1][0]) return onnx_err(x, "MaxPool indices are not supported");
    if (!global) {
        if (read_geom(x, n, v, NULL, g)) return -1;
        return onnx_attr_int(n, "ceil_mode", 0) ? ceil_mode_pad(x, v, g) : 0;
    }
    int64_t h, w, c;
    ol_hwc_of(v, &h, &w, &c);
    if (h > 4096 || w > 4096) return onnx_err(x, "global pooling window larger than 4096");
    memset(g, 0, sizeof *g);
    g->kernel[0] = (int)h, g->kernel[1] = (int)w;
    g->stride[0] = g->stride[1] = g->dil[0] = g->dil[1] = 1;
    return 0;
}

/* max (and a channel selection) needs no epilogue: same type, zero point and
 * scale as its input. */
int ol_close_same_type(OnnxCtx *x, const OnnxVal *v, OnnxVal *out, Node *nd)
{
    const Tensor *xt = ol_tensor(x, v->tensor);
    nd->lo = (int32_t)dtype_info(xt->dtype)->min, nd->hi = (int32_t)dtype_info(xt->dtype)->max;
    out->kind = OV_ACC;
    if (ol_acc_out(x, out, nd, xt->dtype, xt->zp)) return -1;
    out->kind = v->kind, out->scale = v->scale;
    return 0;
}

int ol_pool_on(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, int flags)
{
    int is_max = flags & OL_MAX, global = !!(flags & OL_GLOBAL);
    if (!v || ol_act(x, v, "input")) return -1;
    Geom g;
    int64_t oh, ow, h, w, c;
    if (pool_geom(x, n, v, global, &g) || out_dims(x, v, &g, &oh, &ow)) return -1;
    OnnxVal *out = ol_output(x, n);
    int in[1] = {v->tensor};
    Op op = is_max ? OP_MAXPOOL : OP_AVGPOOL;
    Node *nd = out ? build_node(&x->b, ol_node_name(n), op, 1, in, -1) : NULL;
    if (!nd) return -1;
    apply_geom(nd, &g);
    nd->global = global;
    nd->count_include_pad = onnx_attr_int(n, "count_include_pad", 0) != 0;
    ol_hwc_of(v, &h, &w, &c);
    ol_set_oshape(out, v->orank, oh, ow, c);
    if (is_max) return ol_close_same_type(x, v, out, nd);
    if (ol_open_acc(x, out, nd, (int)c, v->kind == OV_DQ, v->scale, NULL, 0)) return -1;
    out->acc->avg_count = g.kernel[0] * g.kernel[1];
    int padded = g.pad[0] + g.pad[1] + g.pad[2] + g.pad[3] != 0;
    /* onnxruntime sums the whole input in integers (QLinearGlobalAveragePool),
     * every other window in fp32 */
    if (out->acc->fe && !global && (padded || g.kernel[0] != h || g.kernel[1] != w))
        return ol_avg_ort(out, nd);
    /* count_include_pad counts the whole window, ceil_mode overhang included,
     * as the IR does */
    if (!padded || nd->count_include_pad) return 0;
    return onnx_err(x, "average pooling with padding excluded from the count is not supported "
                       "in integer graphs");
}

static int lower_pool(OnnxCtx *x, const Onnx__NodeProto *n, int flags)
{
    return ol_pool_on(x, n, ol_need(x, n, 0), flags);
}

/* ---- Shape ops ------------------------------------------------------------ */

/* Flatten / Reshape of an activation to [1, K]: the IR tensor is unchanged,
 * FC weights are permuted from CHW to HWC order. Other shapes: same size
 * relabels are refused. */
static int lower_reshape(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    OnnxVal *sv = strcmp(n->op_type, "Reshape") ? NULL : ol_input(x, n, 1);
    if (v && sv && ol_is_const(sv) && (sv->c.numel == 5 || v->shuffle_stage)) {
        if (!(out = ol_output(x, n))) return -1;
        return v->shuffle_stage ? ol_shuffle_close(x, n, v, &sv->c, out)
                                : ol_shuffle_reshape(x, v, &sv->c, out);
    }
    /* a pooled float group ([1, C, 1, 1]) stays open until its QuantizeLinear */
    int pooled =
        v && v->kind == OV_ACC && v->acc->fe && v->orank == 4 && v->oshape[2] * v->oshape[3] == 1;
    if (!v || (!pooled && ol_act(x, v, "input")) || !(out = ol_output(x, n))) return -1;
    int64_t h, w, c;
    ol_hwc_of(v, &h, &w, &c);
    if (!strcmp(n->op_type, "Flatten") && onnx_attr_int(n, "axis", 1) != 1)
        return onnx_err(x, "Flatten needs axis = 1");
    if (!strcmp(n->op_type, "Reshape")) {
        OnnxVal *s = ol_need(x, n, 1);
        if (!s || !ol_is_const(s) || s->c.numel != 2 || (s->c.v[0] != 1 && s->c.v[0] != -1) ||
            (s->c.v[1] != -1 && s->c.v[1] != (double)(h * w * c)))
            return onnx_err(x, "only Reshape to [1, K] (flatten) is supported");
    }
    ol_alias(out, v);
    out->flat = v->flat || (v->orank > 2 && (h > 1 || w > 1) && c > 1);
    out->orank = 2;
    out->oshape[0] = 1, out->oshape[1] = h * w * c;
    return 0;
}

/* Pads in ONNX order [x1_begin, x2_begin, ..., x1_end, ...] and the value. */
static int read_pads(OnnxCtx *x, const Onnx__NodeProto *n, int64_t *p, int *np, double *value)
{
    *np = onnx_attr_ints(n, "pads", p, 8);
    *value = onnx_attr_float(n, "value", 0);
    OnnxVal *pv = ol_input(x, n, 1), *cv = ol_input(x, n, 2);
    if (pv) {
        if (!ol_is_const(pv) || pv->c.numel > 8) return onnx_err(x, "pads must be constant");
        *np = (int)pv->c.numel;
        for (int i = 0; i < *np; i++) p[i] = q_sat_f64(pv->c.v[i], -1, 1 << 20);
    }
    return cv ? ol_scalar(x, cv, "the pad value", value) : 0;
}

/* The pad value in the input's integer units: exact, or saturated below the
 * type (a value no input reaches, e.g. -inf before a MaxPool). */
static int pad_value_int(OnnxCtx *x, const OnnxVal *v, double value, int32_t *out)
{
    const Tensor *t = ol_tensor(x, v->tensor);
    const DTypeInfo *di = dtype_info(t->dtype);
    double pv = v->kind == OV_DQ ? t->zp + value / v->scale : value;
    if (pv < (double)di->min) pv = (double)di->min;
    if (!(pv <= (double)di->max) || pv != floor(pv))
        return onnx_err(x, "Pad value %g is not a value of the input's integer type", value);
    *out = (int32_t)pv;
    return 0;
}

/* The pad node on v, writing out's new tensor (ONNX shape padded). */
static int pad_node(OnnxCtx *x, const Onnx__NodeProto *n, const OnnxVal *v, OnnxVal *out,
                    const int *pad, double value)
{
    if (v->kind == OV_ACT && !v->zp_known)
        return onnx_err(x, "Pad before the input's zero point is known is not supported");
    if (v->flat || v->orank < 3) return onnx_err(x, "Pad needs an NCW or NCHW input");
    int32_t pv = 0;
    if (pad_value_int(x, v, value, &pv)) return -1;
    const Tensor *t = ol_tensor(x, v->tensor);
    int64_t h, w, c;
    ol_hwc_of(v, &h, &w, &c);
    ol_set_oshape(out, v->orank, h + pad[0] + pad[2], w + pad[1] + pad[3], c);
    int id = ol_new_act(x, out->name, t->dtype, out, t->zp);
    int in[1] = {v->tensor};
    Node *nd = id < 0 ? NULL : build_node(&x->b, ol_node_name(n), OP_PAD, 1, in, id);
    if (!nd) return -1;
    for (int i = 0; i < 4; i++) nd->pad[i] = pad[i];
    nd->pad_value = pv;
    out->tensor = id;
    return 0;
}

/* Pad becomes an IR pad node (same dtype, zero point and scale); the pass
 * fold_pad folds it into the conv or pool that reads it. */
static int lower_pad(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    if (!v || ol_act(x, v, "input")) return -1;
    const char *mode = onnx_attr_str(x, n, "mode");
    if (mode && strcmp(mode, "constant"))
        return onnx_err(x, "Pad mode '%s' is not supported", mode);
    int64_t p[8] = {0};
    int np, r = v->orank;
    double value;
    if (read_pads(x, n, p, &np, &value)) return -1;
    if (np != 2 * r) return onnx_err(x, "pads must have %d entries", 2 * r);
    for (int i = 0; i < np; i++)
        if (p[i] < 0 || p[i] > 4096) return onnx_err(x, "pads must be in 0..4096");
    if (p[0] || p[1] || p[r] || p[r + 1]) return onnx_err(x, "Pad on batch or channels");
    int pad[4] = {r == 4 ? (int)p[2] : 0, (int)p[r - 1], r == 4 ? (int)p[r + 2] : 0,
                  (int)p[2 * r - 1]}; /* top, left, bottom, right */
    if (!(out = ol_output(x, n))) return -1;
    ol_alias(out, v);
    if (!pad[0] && !pad[1] && !pad[2] && !pad[3]) return 0;
    return pad_node(x, n, v, out, pad, value);
}

static int lower_constant(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    const Onnx__AttributeProto *a = onnx_attr(n, "value");
    OnnxVal *out;
    if (!(out = ol_output(x, n))) return -1;
    out->kind = OV_CONST;
    if (a && a->t) return onnx_decode_tensor(x, a->t, &out->c);
    a = onnx_attr(n, "value_float");
    if (!a) a = onnx_attr(n, "value_int");
    if (!a) return onnx_err(x, "Constant without a supported value attribute");
    out->c.rank = 0;
    out->c.numel = 1;
    out->c.elem = a->has_f ? ONNX_FLOAT : ONNX_INT64;
    out->c.v = arena_alloc(&x->g->arena, sizeof(double));
    if (!out->c.v) return -1;
    out->c.v[0] = a->has_f ? a->f : (double)a->i;
    return 0;
}

/* Squeeze / Unsqueeze / Identity / Reshape of constants: the data is kept,
 * only its shape changes (used for broadcast constants). */
static int lower_const_shape(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v)
{
    OnnxVal *out = ol_output(x, n);
    if (!out) return -1;
    ol_alias(out, v);
    if (!strcmp(n->op_type, "Identity")) return 0;
    out->c.rank = 1;
    out->c.dims[0] = v->c.numel;
    return 0;
}

/* ---- Concat ----------------------------------------------------------------- */

/* Checks input v of a concat against the first (v0); sets *mixed when
 * dequantized inputs have different scales. */
static int concat_input_ok(OnnxCtx *x, const OnnxVal *v, const OnnxVal *v0, int64_t axis,
                           int *mixed)
{
    if (v->orank != v0->orank || (axis != 1 && axis != 1 - v->orank))
        return onnx_err(x, "only concatenation on channels is supported");
    if (v->kind != v0->kind)
        return onnx_err(x, "concatenated inputs must all be integers or all dequantized");
    if (v->kind == OV_DQ &&
        (v->scale != v0->scale || ol_tensor(x, v->tensor)->zp != ol_tensor(x, v0->tensor)->zp))
        *mixed = 1;
    return 0;
}

static int close_concat(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v0, const int *in, int nin,
                        int64_t csum, int qlinear)
{
    OnnxVal *out = ol_output(x, n);
    Node *nd = out ? build_node(&x->b, ol_node_name(n), OP_CONCAT, nin, in, -1) : NULL;
    if (!nd) return -1;
    const Tensor *t0 = ol_tensor(x, in[0]);
    int64_t h, w, c;
    ol_hwc_of(v0, &h, &w, &c);
    *out = (OnnxVal){.name = out->name, .nuses = out->nuses, .scale = v0->scale};
    ol_set_oshape(out, v0->orank, h, w, csum);
    out->kind = OV_ACC;
    if (ol_acc_out(x, out, nd, t0->dtype, t0->zp)) return -1;
    out->kind = qlinear ? OV_ACT : v0->kind;
    return 0;
}

/* Concat on channels of activations with one scale and zero point
 * (QLinearConcat: inputs requantized to the output's). */
static int lower_concat(OnnxCtx *x, const Onnx__NodeProto *n, int qlinear)
{
    int64_t axis = onnx_attr_int(n, "axis", 1), csum = 0;
    size_t first = qlinear ? 2 : 0, step = qlinear ? 3 : 1;
    int in[DORY_MAX_INPUTS], nin = 0, mixed = 0;
    OnnxVal *v0 = NULL, *vals[DORY_MAX_INPUTS];
    for (size_t i = first; i < n->n_input; i += step) {
        OnnxVal *v = ol_need(x, n, i);
        if (!v || ol_act(x, v, "input")) return -1;
        if (nin == DORY_MAX_INPUTS) return onnx_err(x, "too many inputs");
        if (!v0) v0 = v;
        if (concat_input_ok(x, v, v0, axis, &mixed)) return -1;
        in[nin] = qlinear ? ol_qlinear_concat_input(x, n, i, v) : v->tensor;
        if (in[nin] < 0) return -1;
        vals[nin++] = v;
        csum += v->oshape[1];
    }
    if (!nin) return onnx_err(x, "Concat without inputs");
    if (mixed) return ol_open_float_concat(x, n, vals, nin, csum);
    return close_concat(x, n, v0, in, nin, csum, qlinear);
}

/* ---- Clip / Relu -------------------------------------------------------------- */

/* Clip / Relu: narrows a pending epilogue's clamp (integer dialects close
 * it), or clamps a dequantized activation. */
static int lower_clip(OnnxCtx *x, const Onnx__NodeProto *n, int relu)
{
    OnnxVal *v = ol_need(x, n, 0);
    if (!v) return -1;
    double lo = relu ? 0 : onnx_attr_float(n, "min", -INFINITY);
    double hi = relu ? INFINITY : onnx_attr_float(n, "max", INFINITY);
    OnnxVal *mn = ol_input(x, n, 1), *mx = ol_input(x, n, 2);
    if ((mn && ol_scalar(x, mn, "Clip min", &lo)) || (mx && ol_scalar(x, mx, "Clip max", &hi)))
        return -1;
    OnnxVal *out = ol_output(x, n);
    if (!out || ol_single_use(x, v)) return -1;
    if ((v->kind == OV_ACC && v->acc->fe) || v->kind == OV_DQ)
        return ol_clip_float(x, n, v, out, lo, hi);
    if (v->kind != OV_ACC)
        return onnx_err(x, "%s on '%s' must follow a compute layer", n->op_type, v->name);
    return ol_clip_int(x, v, out, lo, hi);
}

/* ---- Dispatch ----------------------------------------------------------------- */

int onnx_is_tail_op(const char *op)
{
    static const char *const ops[] = {"LogSoftmax", "Softmax", "Sigmoid", "Gather",
                                      "Unsqueeze",  "Squeeze", "Concat",  "Identity"};
    for (size_t i = 0; i < DORY_ARRAY_LEN(ops); i++)
        if (!strcmp(op, ops[i])) return 1;
    return 0;
}

/* Ops that mark another dialect: integer dialects have no Q/DQ, QDQ has no
 * QLinear* ops. */
static int dialect_forbids(Dialect d, const char *op)
{
    int qdq = !strcmp(op, "QuantizeLinear") || !strcmp(op, "DequantizeLinear");
    int qop = !strncmp(op, "QLinear", 7) || !strcmp(op, "QGemm");
    if (d == DIALECT_NEMO || d == DIALECT_QUANTLAB) return qdq || qop;
    if (d == DIALECT_QDQ) return qop;
    return 0;
}

/* One row per op_type: the handler and its argument; `on_const`: on a
 * constant input the op only reshapes the constant. */
typedef struct OlRule {
    const char *op_type;
    OlHandler fn; /* NULL: only on constants */
    int arg;
    int on_const;
} OlRule;

static const OlRule rules[] = {
    {"Constant", lower_constant, 0, 0},
    {"Conv", lower_conv_like, 0, 0},
    {"MatMul", lower_conv_like, OL_FC | OL_KN, 0},
    {"Gemm", lower_gemm, 0, 0},
    {"Mul", ol_lower_arith, '*', 0},
    {"Add", ol_lower_arith, '+', 0},
    {"Sub", ol_lower_arith, '-', 0},
    {"Div", ol_lower_arith, '/', 0},
    {"Clip", lower_clip, 0, 0},
    {"Relu", lower_clip, 1, 0},
    {"Cast", ol_lower_passthrough, 0, 0},
    {"Floor", ol_lower_passthrough, 0, 0},
    {"Identity", ol_lower_passthrough, 0, 1},
    {"Unsqueeze", ol_lower_squeeze, 1, 1},
    {"Squeeze", ol_lower_squeeze, 0, 1},
    {"ReduceMean", ol_lower_reduce_mean, 0, 0},
    {"MaxPool", lower_pool, OL_MAX, 0},
    {"AveragePool", lower_pool, 0, 0},
    {"GlobalAveragePool", lower_pool, OL_GLOBAL, 0},
    {"GlobalMaxPool", lower_pool, OL_MAX | OL_GLOBAL, 0},
    {"Flatten", lower_reshape, 0, 0},
    {"Reshape", lower_reshape, 0, 1},
    {"Pad", lower_pad, 0, 0},
    {"Concat", lower_concat, 0, 0},
    {"QuantizeLinear", ol_lower_quantize, 0, 0},
    {"DequantizeLinear", ol_lower_dequantize, 0, 0},
    {"QLinearConv", ol_lower_qlinear, 0, 0},
    {"QLinearMatMul", ol_lower_qlinear, 1, 0},
    {"QGemm", ol_lower_qgemm, 0, 0},
    {"QLinearGlobalAveragePool", ol_lower_qgap, 0, 0},
    {"QLinearConcat", lower_concat, 1, 0},
    {"QLinearAdd", ol_lower_qadd, 0, 0},
    {"QLinearAveragePool", ol_lower_qavgpool, 0, 0},
    {"BatchNormalization", ol_lower_batchnorm, 0, 0},
    {"RequantShift", ol_lower_requant_shift, 0, 0},
    {"Sigmoid", ol_lower_fn, 0, 0},
    {"Tanh", ol_lower_fn, 0, 0},
    {"HardSigmoid", ol_lower_fn, 0, 0},
    {"HardSwish", ol_lower_fn, 0, 0},
    {"LeakyRelu", ol_lower_fn, 0, 0},
    {"QLinearSigmoid", ol_lower_qlinear_fn, 0, 0},
    {"QLinearLeakyRelu", ol_lower_qlinear_fn, 0, 0},
    {"QLinearMul", ol_lower_qlinear_mul, 0, 0},
    {"Split", ol_lower_split, 0, 0},
    {"Slice", ol_lower_slice, 0, 0},
    {"Transpose", ol_lower_transpose, 0, 0},
};

static const OlRule *find_rule(const char *op)
{
    for (size_t i = 0; i < DORY_ARRAY_LEN(rules); i++)
        if (!strcmp(op, rules[i].op_type)) return &rules[i];
    return NULL;
}

int onnx_lower_node(OnnxCtx *x, const Onnx__NodeProto *n)
{
    const char *op = n->op_type;
    if (n->n_output < 1) return onnx_err(x, "node has no output");
    if (dialect_forbids(x->dialect, op))
        return onnx_err(x, "operator %s is not part of the %s dialect (see --dialect)", op,
                        onnx_dialect_name(x->dialect));
    OnnxVal *in0 = n->n_input ? ol_input(x, n, 0) : NULL;
    if (n->n_input && n->input[0][0] && !in0) return -1;
    const OlRule *r = find_rule(op);
    if (r && r->on_const && ol_is_const(in0)) return lower_const_shape(x, n, in0);
    if (r && r->fn) return r->fn(x, n, r->arg);
    return onnx_err(x, "operator %s is not supported (in the %s dialect)", op,
                    onnx_dialect_name(x->dialect));
}
