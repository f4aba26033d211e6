/* onnx_lower_qdq.c: the float dialects (QDQ, QOperator). In QDQ a
 * DequantizeLinear -> op -> QuantizeLinear group becomes one node: the op
 * opens a float group (onnx_lower.c), Relu/Clip narrow its clamp, and the
 * QuantizeLinear closes it with a FLOAT requant whose scale is computed in
 * onnxruntime's fp32 operation order. Each QOperator op (QLinearConv, QGemm,
 * QLinearAdd, ...) is one such group at once. Add, Concat of different
 * scales and unfolded BatchNormalization follow onnxruntime's float
 * arithmetic within 1 LSB (docs/FRONTEND_ONNX.md). A Mul of two
 * activations that are not functions of one tensor (onnx_lower_lut.c makes
 * those tables), e.g. squeeze-excitation's, is a mul node with the QLMUL
 * scheme, exact.
 *
 * Must not handle integer-dialect epilogues (onnx_lower_int.c) or read
 * protobuf bytes.
 */
#include "onnx_lower.h"

#include <math.h>
#include <string.h>

#include "ir/quant.h"

int ol_make_float(OnnxCtx *x, OnnxAcc *a, float xs, const float *ws, int nws)
{
    OnnxFloatEpi *f = arena_alloc(&x->g->arena, sizeof *f);
    if (!f) return -1;
    a->fe = f;
    f->xs = xs;
    f->rlo = -INFINITY;
    f->rhi = INFINITY;
    if (!ws) return 0;
    f->fscale = arena_alloc_array(&x->g->arena, (size_t)a->nch, sizeof(float));
    if (!f->fscale) return -1;
    for (int c = 0; c < a->nch; c++) f->fscale[c] = ws[nws == 1 ? 0 : c];
    return 0;
}

/* ---- Quantization parameters ------------------------------------------------ */

typedef struct QInfo {
    int n;
    float *scale;
    int32_t *zp;
    int zp_elem;
} QInfo;

static int read_qparams(OnnxCtx *x, const Onnx__NodeProto *n, size_t si, size_t zi, QInfo *q)
{
    OnnxVal *s = ol_need(x, n, si), *z = ol_input(x, n, zi);
    if (!s || (n->n_input > zi && n->input[zi][0] && !z)) return -1;
    if (!ol_is_const(s) || s->c.numel < 1) return onnx_err(x, "scale must be constant");
    if (z && (!ol_is_const(z) || z->c.numel != s->c.numel))
        return onnx_err(x, "zero point must be constant with one value per scale");
    q->n = (int)s->c.numel;
    q->scale = arena_alloc_array(&x->g->arena, (size_t)q->n, sizeof(float));
    q->zp = arena_alloc_array(&x->g->arena, (size_t)q->n, sizeof(int32_t));
    if (!q->scale || !q->zp) return -1;
    q->zp_elem = z ? z->c.elem : ONNX_UINT8;
    for (int i = 0; i < q->n; i++) {
        if (!(fabs(s->c.v[i]) < 1e30) || (z && !(fabs(z->c.v[i]) <= 65535)))
            return onnx_err(x, "scale or zero point %d out of range", i);
        q->scale[i] = (float)s->c.v[i];
        q->zp[i] = z ? (int32_t)z->c.v[i] : 0;
        if (!(q->scale[i] > 0) || !isfinite(q->scale[i]))
            return onnx_err(x, "scale %d is not a positive finite number", i);
    }
    return 0;
}

/* Activation input i of a QOperator op with its scale at si, zero point zi. */
static int qop_input(OnnxCtx *x, const Onnx__NodeProto *n, size_t i, size_t si, OnnxVal **v,
                     QInfo *q)
{
    *v = ol_need(x, n, i);
    if (!*v || ol_act(x, *v, "input") || (*v)->kind != OV_ACT) return -1;
    return read_qparams(x, n, si, si + 1, q);
}

int ol_lower_dequantize(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    QInfo q;
    if (!v || read_qparams(x, n, 1, 2, &q) || !(out = ol_output(x, n))) return -1;
    if (ol_is_const(v)) { /* weights or bias */
        out->kind = OV_QCONST;
        out->c = v->c;
        out->nq = q.n, out->qscale = q.scale, out->qzp = q.zp;
        out->qelem = v->c.elem;
        out->qaxis = (int)onnx_attr_int(n, "axis", 1);
        return 0;
    }
    if (ol_act(x, v, "input") || v->kind != OV_ACT) return -1;
    if (q.n != 1) return onnx_err(x, "per-channel activation quantization is not supported");
    DType dt = ol_tensor(x, v->tensor)->dtype;
    if (ol_check_zp(x, v, q.zp[0], dt)) return -1;
    ol_alias(out, v);
    out->kind = OV_DQ;
    out->scale = q.scale[0];
    return 0;
}

/* ---- Closing a group: QuantizeLinear ------------------------------------------ */

/* onnxruntime's per-channel output scale: fp32 (x_scale * w_scale[c]) / y_scale. */
static float ort_scale(float xs_ws, float ys)
{
    volatile float r = xs_ws / ys;
    return r;
}

/* onnxruntime adds two quantized tensors in fp32 (MLAS QLinearAdd, AVX2
 * kernel): c = zc - fma(sa/sc, za, (sb/sc)*zb), y = rne(fma(a, sa/sc,
 * fma(b, sb/sc, c))) on the raw inputs, saturated. The IR add's QLADD scheme
 * is that formula with its three fp32 constants (docs/FRONTEND_ONNX.md says
 * how it was measured). */
static int float_add_requant(OnnxCtx *x, const OnnxFloatEpi *f, Node *nd, float ys, int32_t zc)
{
    float s[3];
    s[0] = ort_scale(f->xs, ys);
    s[1] = ort_scale(f->fscale[0], ys);
    volatile float zb = (float)ol_tensor(x, nd->in[1])->zp * s[1];
    volatile float zab = fmaf(s[0], (float)ol_tensor(x, nd->in[0])->zp, zb);
    s[2] = (float)zc - zab;
    if (!isfinite(s[0]) || !isfinite(s[1]) || !isfinite(s[2]))
        return onnx_err(x, "add input scales are too far from the output scale");
    if (rq_make_float(x->g, nd, &nd->rq, 3, s)) return -1;
    nd->rq.scheme = RQ_QLADD; /* the same constant tensor, three values */
    return 0;
}

/* onnxruntime multiplies two quantized tensors (MLAS QLinearMul, SSE2 and
 * NEON kernels; DQ -> Mul -> Q is fused into it): y = rne(f32(P) * s + zc),
 * s = f32(f32(sa*sb)/sc), P = (a - za)(b - zb) exact, a multiply then an add
 * in fp32, saturated. The mul node's QLMUL scheme holds {s, zc}. */
static int float_mul_requant(OnnxCtx *x, const OnnxFloatEpi *f, Node *nd, float ys, int32_t zc)
{
    volatile float sab = f->xs * f->fscale[0];
    float s[2] = {ort_scale(sab, ys), (float)zc};
    if (!isfinite(s[0]) || !(s[0] > 0))
        return onnx_err(x, "Mul input scales are too far from the output scale");
    if (rq_make_float(x->g, nd, &nd->rq, 2, s)) return -1;
    nd->rq.scheme = RQ_QLMUL;
    return 0;
}

/* Requantizes an input of a concatenation to the output's scale and zero
 * point: onnxruntime's lookup table of round(xs*(x - xz) / ys) + yz, as a lut
 * requant (exact). Returns the tensor. */
int ol_concat_requant(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, float xs, float ys,
                      int32_t yz, DType dt)
{
    const Tensor *t = ol_tensor(x, v->tensor);
    if (xs == ys && t->zp == yz && t->dtype == dt) return v->tensor;
    OnnxVal dq = *v;
    dq.scale = xs;
    return ol_requant_table(x, build_tensor_name(&x->b, ol_node_name(n), ".rq"), &dq, ys, yz, dt);
}

static int quantize_concat(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out, float ys,
                           int32_t yz, DType dt)
{
    const OnnxFloatEpi *f = v->acc->fe;
    int in[DORY_MAX_INPUTS];
    for (int i = 0; i < f->ncat; i++) {
        in[i] = ol_concat_requant(x, n, f->cat[i], f->cat[i]->scale, ys, yz, dt);
        if (in[i] < 0) return -1;
    }
    Node *nd = build_node(&x->b, ol_node_name(n), OP_CONCAT, f->ncat, in, -1);
    if (!nd) return -1;
    out->orank = v->orank;
    memcpy(out->oshape, v->oshape, sizeof out->oshape);
    out->kind = OV_ACC;
    return ol_acc_out(x, out, nd, dt, yz);
}

/* An AVG_ORT pool's table: onnxruntime's fp32 average for output ys, yz and
 * the node's clamp (ir/quant.h). */
static int avg_ort_table(OnnxCtx *x, Node *nd, float xs, float ys, int32_t yz)
{
    const Tensor *xt = ol_tensor(x, nd->in[0]);
    int K = nd->kernel[0] * nd->kernel[1], nused = 0;
    char *used = arena_alloc(&x->g->arena, (size_t)K + 1);
    if (!used) return -1;
    q_avg_counts(act_h(xt), act_w(xt), nd->kernel[0], nd->kernel[1], nd->stride, nd->pad,
                 nd->count_include_pad, used);
    for (int k = 1; k <= K; k++) nused += used[k];
    int64_t size = q_avg_ort_size(K, nused, nd->lo, nd->hi);
    int64_t *tab = arena_alloc_array(&x->g->arena, (size_t)size, sizeof(int64_t));
    if (!tab) return -1;
    if (q_avg_ort_table(xs, xt->zp, xt->dtype, ys, yz, nd->lo, nd->hi, K, used, tab))
        return onnx_err(x, "average pool scales %g, %g are not positive normal fp32 values",
                        (double)xs, (double)ys);
    nd->avg_table =
        graph_add_const(x->g, build_tensor_name(&x->b, nd->name, ".avg"), DT_I64, 1, &size, tab);
    return nd->avg_table < 0 ? -1 : 0;
}

/* The group's FLOAT scale per channel; nothing for an add (per input) or an
 * AVG_ORT pool (its table). */
static int group_requant(OnnxCtx *x, const OnnxAcc *a, Node *nd, float ys, int32_t yz)
{
    const OnnxFloatEpi *f = a->fe;
    if (f->is_add) return float_add_requant(x, f, nd, ys, yz);
    if (f->is_mul) return float_mul_requant(x, f, nd, ys, yz);
    if (nd->avg_round == AVG_ORT) return 0;
    float *s = arena_alloc_array(&x->g->arena, (size_t)a->nch, sizeof(float));
    if (!s) return -1;
    for (int c = 0; c < a->nch; c++) {
        if (a->avg_count) { /* MLAS global average pool: x_scale / (y_scale * N) */
            volatile float den = ys * (float)a->avg_count;
            s[c] = ort_scale(f->xs, den);
        } else {
            volatile float xw = f->fscale ? f->xs * f->fscale[c] : f->xs; /* pools: none */
            s[c] = ort_scale(xw, ys);
        }
    }
    if (a->avg_count) nd->avg_round = AVG_NONE;
    return rq_make_float(x->g, nd, &nd->rq, a->nch, s);
}

/* QuantizeLinear closes a float group into one node with a FLOAT requant. */
static int quantize_acc(OnnxCtx *x, OnnxVal *v, OnnxVal *out, const QInfo *q)
{
    OnnxAcc *a = v->acc;
    const OnnxFloatEpi *f = a->fe;
    Node *nd = a->node;
    if (a->closed) return onnx_err(x, "'%s' is quantized twice", v->name);
    a->closed = 1;
    DType dt = DT_U8;
    if (f->ncat) {
        if (ol_dtype_of_elem(x, q->zp_elem, &dt)) return -1;
        return quantize_concat(x, x->cur, v, out, q->scale[0], q->zp[0], dt);
    }
    if (!nd) return onnx_err(x, "nothing to quantize");
    if (ol_dtype_of_elem(x, q->zp_elem, &dt) || group_requant(x, a, nd, q->scale[0], q->zp[0]))
        return -1;
    const DTypeInfo *di = dtype_info(dt);
    int64_t lo = di->min, hi = di->max, lim = 1 << 20;
    lo = DORY_MAX(lo, q->zp[0] + q_sat_f64(nearbyint(f->rlo / q->scale[0]), -lim, lim));
    hi = DORY_MIN(hi, q->zp[0] + q_sat_f64(nearbyint(f->rhi / q->scale[0]), -lim, lim));
    if (lo > hi) return onnx_err(x, "empty clamp range");
    nd->lo = (int32_t)lo, nd->hi = (int32_t)hi;
    if (nd->avg_round == AVG_ORT && avg_ort_table(x, nd, f->xs, q->scale[0], q->zp[0])) return -1;
    out->orank = v->orank;
    memcpy(out->oshape, v->oshape, sizeof out->oshape);
    out->kind = OV_ACC;
    return ol_acc_out(x, out, nd, dt, q->zp[0]);
}

int ol_lower_quantize(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    QInfo q;
    if (!v || read_qparams(x, n, 1, 2, &q) || !(out = ol_output(x, n))) return -1;
    if (q.n != 1) return onnx_err(x, "per-channel activation quantization is not supported");
    DType dt = DT_U8;
    if (ol_dtype_of_elem(x, q.zp_elem, &dt)) return -1;
    if (v->kind == OV_FIN) { /* the graph input, quantized */
        if (ol_fin_to_act(x, v, dt, q.zp[0], 1)) return -1;
        ol_alias(out, v);
        return 0;
    }
    if (v->kind == OV_ACC && v->acc->fe)
        return ol_single_use(x, v) ? -1 : quantize_acc(x, v, out, &q);
    if (v->kind == OV_FN) return ol_quantize_fn(x, v, out, q.scale[0], q.zp[0], dt);
    if (v->kind == OV_DQ) {
        const Tensor *t = ol_tensor(x, v->tensor);
        int id = v->tensor;
        if (v->scale != q.scale[0] || t->zp != q.zp[0] || t->dtype != dt)
            id = ol_requant_table(x, ol_node_name(n), v, q.scale[0], q.zp[0], dt);
        if (id < 0) return -1;
        ol_alias(out, v);
        out->kind = OV_ACT, out->tensor = id;
        return 0;
    }
    return onnx_err(x, "QuantizeLinear of '%s' cannot be lowered", v->name);
}

/* A QOperator op's group, opened on `out`, closed at once by output q. */
static int close_qop(OnnxCtx *x, OnnxVal *out, const QInfo *q)
{
    OnnxVal tmp = *out;
    return quantize_acc(x, &tmp, out, q);
}

/* ---- QOperator ------------------------------------------------------------- */

/* QLinearConv(x, xs, xz, w, ws, wz, ys, yz, B), QLinearMatMul(a, as, az, b,
 * bs, bz, ys, yz), QGemm(a, as, az, b, bs, bz, C, ys, yz). */
static int qlinear(OnnxCtx *x, const Onnx__NodeProto *n, int fc, int kn, size_t bias_i, size_t ys_i)
{
    OnnxVal *xv = ol_need(x, n, 0), *wv = ol_need(x, n, 3);
    OnnxVal *bv = bias_i ? ol_input(x, n, bias_i) : NULL;
    QInfo xq, wq, yq;
    if (!xv || !wv || ol_act(x, xv, "input") || xv->kind != OV_ACT) return -1;
    if (read_qparams(x, n, 1, 2, &xq) || read_qparams(x, n, 4, 5, &wq) ||
        read_qparams(x, n, ys_i, ys_i + 1, &yq))
        return -1;
    if (!ol_is_const(wv)) return onnx_err(x, "weights must be constant");
    if (ol_check_zp(x, xv, xq.zp[0], ol_tensor(x, xv->tensor)->dtype)) return -1;
    WInfo wi = {&wv->c, DT_I8, wq.n, wq.scale, wq.zp};
    if (ol_dtype_of_elem(x, wv->c.elem, &wi.dt)) return -1;
    OnnxVal *out = ol_output(x, n);
    if (!out) return -1;
    Node *nd = fc ? ol_make_fc(x, n, xv, &wi, kn, bv, out) : ol_make_conv(x, n, xv, &wi, bv, out);
    if (ol_open_acc(x, out, nd, (int)out->oshape[1], 1, xq.scale[0], wq.scale, wq.n)) return -1;
    return close_qop(x, out, &yq);
}

int ol_lower_qlinear(OnnxCtx *x, const Onnx__NodeProto *n, int fc)
{
    return fc ? qlinear(x, n, 1, 1, 0, 6) : qlinear(x, n, 0, 0, 8, 6);
}

int ol_lower_qgemm(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    if (onnx_attr_float(n, "alpha", 1) != 1 || onnx_attr_int(n, "transA", 0))
        return onnx_err(x, "QGemm needs alpha = 1 and transA = 0");
    if (n->n_input < 9 || !n->input[7][0])
        return onnx_err(x, "QGemm with a float output is not supported");
    return qlinear(x, n, 1, onnx_attr_int(n, "transB", 0) == 0, 6, 7);
}

int ol_lower_qgap(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v, *out;
    QInfo xq, yq;
    if (qop_input(x, n, 0, 1, &v, &xq) || read_qparams(x, n, 3, 4, &yq)) return -1;
    if (onnx_attr_int(n, "channels_last", 0)) return onnx_err(x, "channels_last is not supported");
    if (ol_check_zp(x, v, xq.zp[0], ol_tensor(x, v->tensor)->dtype)) return -1;
    int64_t h, w, c;
    ol_hwc_of(v, &h, &w, &c);
    if (h > 4096 || w > 4096) return onnx_err(x, "global pooling window larger than 4096");
    int in[1] = {v->tensor};
    if (!(out = ol_output(x, n))) return -1;
    Node *nd = build_node(&x->b, ol_node_name(n), OP_AVGPOOL, 1, in, -1);
    if (!nd || ol_open_acc(x, out, nd, (int)c, 1, xq.scale[0], NULL, 0)) return -1;
    nd->global = true;
    nd->kernel[0] = (int)h, nd->kernel[1] = (int)w;
    ol_set_oshape(out, v->orank, 1, 1, c);
    out->acc->avg_count = (int)(h * w);
    return close_qop(x, out, &yq);
}

/* An add node whose requants wait for the output scale (QuantizeLinear). */
static int open_float_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b, float sa,
                          float sb)
{
    if (a->orank != b->orank || memcmp(a->oshape, b->oshape, sizeof a->oshape) ||
        a->flat != b->flat)
        return onnx_err(x, "Add inputs must have the same shape (no broadcasting)");
    OnnxVal *out = ol_output(x, n);
    int in[2] = {a->tensor, b->tensor};
    Node *nd = out ? build_node(&x->b, ol_node_name(n), OP_ADD, 2, in, -1) : NULL;
    OnnxAcc *acc = nd ? ol_new_acc(x, nd, 1) : NULL;
    if (!acc || ol_make_float(x, acc, sa, &sb, 1)) return -1;
    acc->fe->is_add = 1;
    ol_acc_result(out, a, acc);
    return 0;
}

int ol_float_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b)
{
    if (ol_act(x, a, "input") || ol_act(x, b, "input")) return -1;
    if (a->kind != OV_DQ || b->kind != OV_DQ)
        return onnx_err(x, "Add needs two dequantized inputs (or two integer ones)");
    return open_float_add(x, n, a, b, a->scale, b->scale);
}

/* QLinearAdd(A, As, Az, B, Bs, Bz, Cs, Cz) (com.microsoft). */
int ol_lower_qadd(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *a = ol_need(x, n, 0), *b = ol_need(x, n, 3);
    QInfo aq, bq, cq;
    if (!a || !b || ol_act(x, a, "input") || ol_act(x, b, "input")) return -1;
    if (read_qparams(x, n, 1, 2, &aq) || read_qparams(x, n, 4, 5, &bq) ||
        read_qparams(x, n, 6, 7, &cq))
        return -1;
    if (a->kind != OV_ACT || b->kind != OV_ACT) return onnx_err(x, "inputs must be integers");
    if (ol_check_zp(x, a, aq.zp[0], ol_tensor(x, a->tensor)->dtype) ||
        ol_check_zp(x, b, bq.zp[0], ol_tensor(x, b->tensor)->dtype) ||
        open_float_add(x, n, a, b, aq.scale[0], bq.scale[0]))
        return -1;
    return close_qop(x, onnx_val(x, n->output[0]), &cq);
}

/* 1 if b is a's shape but one pixel: [1, C, 1, 1] against [1, C, H, W] (or
 * the 1-D [1, C, 1] against [1, C, W]). */
static int bcast_pixel(const OnnxVal *a, const OnnxVal *b)
{
    if (a->orank != b->orank || a->orank < 3 || a->flat || b->flat || b->oshape[0] != 1 ||
        b->oshape[1] != a->oshape[1])
        return 0;
    for (int i = 2; i < b->orank; i++)
        if (b->oshape[i] != 1) return 0;
    return 1;
}

static void shape_text(const OnnxVal *v, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < v->orank && k + 24 < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", i ? ", " : "[", (long long)v->oshape[i]);
    snprintf(buf + k, size - k, "]");
}

/* A mul node of activations a and b with scales sa and sb, its requant
 * waiting for the output scale; b may be one pixel broadcast over H and W
 * (squeeze-excitation), either operand (the product commutes). */
static int open_float_mul(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b, float sa,
                          float sb, OnnxVal *out)
{
    if (bcast_pixel(b, a) && !bcast_pixel(a, b)) {
        OnnxVal *t = a;
        float ts = sa;
        a = b, b = t, sa = sb, sb = ts;
    }
    int same = a->orank == b->orank && !memcmp(a->oshape, b->oshape, sizeof a->oshape) &&
               a->flat == b->flat;
    if (!same && !bcast_pixel(a, b)) {
        char sa_[96], sb_[96];
        shape_text(a, sa_, sizeof sa_);
        shape_text(b, sb_, sizeof sb_);
        return onnx_err(x,
                        "Mul of activations %s and %s: only equal shapes or a [1, C, 1, 1] "
                        "operand broadcast over H and W are supported",
                        sa_, sb_);
    }
    int in[2] = {a->tensor, b->tensor};
    Node *nd = build_node(&x->b, ol_node_name(n), OP_MUL, 2, in, -1);
    OnnxAcc *acc = nd ? ol_new_acc(x, nd, 1) : NULL;
    if (!acc || ol_make_float(x, acc, sa, &sb, 1)) return -1;
    acc->fe->is_mul = 1;
    ol_acc_result(out, a, acc);
    return 0;
}

int ol_float_mul(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b, OnnxVal *out)
{
    return open_float_mul(x, n, a, b, a->scale, b->scale, out);
}

/* QLinearMul(A, As, Az, B, Bs, Bz, Cs, Cz) (com.microsoft) of integer
 * inputs whose zero points are checked. */
int ol_qlinear_mul_node(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b, OnnxVal *out)
{
    QInfo aq, bq, cq;
    if (read_qparams(x, n, 1, 2, &aq) || read_qparams(x, n, 4, 5, &bq) ||
        read_qparams(x, n, 6, 7, &cq) || open_float_mul(x, n, a, b, aq.scale[0], bq.scale[0], out))
        return -1;
    return close_qop(x, out, &cq);
}

/* QLinearAveragePool(X, xs, xz, ys, yz): onnxruntime's arithmetic is that of
 * the QDQ group DQ -> AveragePool -> Q (sum, then one FLOAT requant). */
int ol_lower_qavgpool(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v;
    QInfo xq, yq;
    if (qop_input(x, n, 0, 1, &v, &xq) || read_qparams(x, n, 3, 4, &yq)) return -1;
    if (onnx_attr_int(n, "channels_last", 0)) return onnx_err(x, "channels_last is not supported");
    if (ol_check_zp(x, v, xq.zp[0], ol_tensor(x, v->tensor)->dtype)) return -1;
    OnnxVal dq = *v;
    dq.kind = OV_DQ;
    dq.scale = xq.scale[0];
    if (ol_pool_on(x, n, &dq, 0)) return -1;
    return close_qop(x, onnx_val(x, n->output[0]), &yq);
}

/* ---- Concat ------------------------------------------------------------------ */

/* DQ inputs with different scales: the concat waits for its QuantizeLinear. */
int ol_open_float_concat(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal **vals, int nin,
                         int64_t csum)
{
    OnnxVal *out = ol_output(x, n);
    OnnxAcc *a = out ? ol_new_acc(x, NULL, 1) : NULL;
    if (!a || ol_make_float(x, a, 0, NULL, 0)) return -1;
    a->fe->ncat = nin;
    for (int i = 0; i < nin; i++) a->fe->cat[i] = vals[i];
    ol_acc_result(out, vals[0], a);
    out->oshape[1] = csum;
    return 0;
}

/* QLinearConcat(ys, yz, x0, xs0, xz0, ...): input i requantized to the output. */
int ol_qlinear_concat_input(OnnxCtx *x, const Onnx__NodeProto *n, size_t i, OnnxVal *v)
{
    QInfo iq, yq;
    DType dt = ol_tensor(x, v->tensor)->dtype;
    if (read_qparams(x, n, i + 1, i + 2, &iq) || read_qparams(x, n, 0, 1, &yq) ||
        ol_check_zp(x, v, iq.zp[0], dt))
        return -1;
    return ol_concat_requant(x, n, v, iq.scale[0], yq.scale[0], yq.zp[0], dt);
}

/* ---- Relu / Clip ----------------------------------------------------------------- */

/* Relu / Clip between DequantizeLinear and QuantizeLinear (onnxruntime runs
 * it in float on exactly representable values): a clamp node in integer
 * units, exact. */
static int clip_dq(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out, double lo,
                   double hi)
{
    const Tensor *t = ol_tensor(x, v->tensor);
    const DTypeInfo *di = dtype_info(t->dtype);
    int in[1] = {v->tensor};
    Node *nd = build_node(&x->b, ol_node_name(n), OP_REQUANT, 1, in, -1);
    if (!nd) return -1;
    int64_t ilo = di->min, ihi = di->max, lim = 1 << 20;
    ilo = DORY_MAX(ilo, t->zp + q_sat_f64(ceil(lo / v->scale - 1e-6), -lim, lim));
    ihi = DORY_MIN(ihi, t->zp + q_sat_f64(floor(hi / v->scale + 1e-6), -lim, lim));
    if (ilo > ihi) return onnx_err(x, "empty clamp range");
    nd->lo = (int32_t)ilo, nd->hi = (int32_t)ihi;
    float sc = v->scale;
    out->orank = v->orank;
    memcpy(out->oshape, v->oshape, sizeof out->oshape);
    out->flat = v->flat;
    out->kind = OV_ACC;
    if (ol_acc_out(x, out, nd, t->dtype, t->zp)) return -1;
    out->kind = OV_DQ;
    out->scale = sc;
    return 0;
}

/* Clip / Relu in a float group: narrows the clamp in real units. */
int ol_clip_float(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out, double lo,
                  double hi)
{
    if (v->kind == OV_DQ) return clip_dq(x, n, v, out, lo, hi);
    OnnxFloatEpi *f = v->acc->fe;
    f->rlo = fmax(f->rlo, lo), f->rhi = fmin(f->rhi, hi);
    ol_acc_result(out, v, v->acc);
    return 0;
}

/* ---- BatchNormalization in the float domain ------------------------------------- */

/* A per-channel parameter: a constant or a dequantized constant (the QDQ
 * quantizer quantizes BN's gamma and beta). */
static int bn_param(OnnxCtx *x, const OnnxVal *v, int64_t nch, double *out)
{
    if (!v || (v->kind != OV_CONST && v->kind != OV_QCONST) || v->c.numel != nch)
        return onnx_err(x, "BatchNormalization parameters must be constants with one value per "
                           "channel");
    for (int64_t c = 0; c < nch; c++) {
        double q = v->c.v[c];
        if (v->kind == OV_QCONST) {
            int i = v->nq == 1 ? 0 : (int)c;
            if (v->nq != 1 && v->nq != nch) return onnx_err(x, "BN parameter scales");
            q = (q - v->qzp[i]) * v->qscale[i];
        }
        if (!isfinite(q)) return onnx_err(x, "BatchNormalization parameter is not finite");
        out[c] = q;
    }
    return 0;
}

/* Weights +-64, bias beta - mean*g in 1/64 of an input step (input scale s1)
 * and the magnitude |g|/64 per channel from gamma, beta, mean, var (p). */
static int bn_consts(OnnxCtx *x, const double *p, int64_t c, double eps, float s1, int64_t *wv,
                     int64_t *bv, float *fs)
{
    for (int64_t i = 0; i < c; i++) {
        double g = p[i] / sqrt(p[3 * c + i] + eps), bb = p[c + i] - p[2 * c + i] * g;
        double mag = g != 0 ? fabs(g) : 1.0, b = 64.0 * bb / (s1 * mag);
        if (!isfinite(g) || !(fabs(b) < 2.0e9))
            return onnx_err(x, "BatchNormalization channel %lld is out of range", (long long)i);
        wv[i] = g > 0 ? 64 : g < 0 ? -64 : 0;
        bv[i] = (int64_t)nearbyint(b);
        fs[i] = (float)(mag / 64.0);
    }
    return 0;
}

/* DequantizeLinear -> BatchNormalization -> (Relu) -> QuantizeLinear, which
 * onnxruntime computes in fp32 (BN not folded into a Conv): a depthwise 1x1
 * conv with weights +-64 and an int32 bias carrying beta - mean*g to 1/64 of
 * an input step, then a FLOAT requant x_scale*|g|/64 / y_scale. Within 1 LSB
 * of onnxruntime (rounding of the bias, fp32 order of operations). */
int ol_lower_batchnorm(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    if (!v || ol_act(x, v, "input")) return -1;
    if (v->kind != OV_DQ)
        return onnx_err(x, "BatchNormalization must be folded into the preceding Conv (e.g. by "
                           "onnxruntime.quantization.quant_pre_process) or act on a "
                           "dequantized tensor");
    int64_t h, w, c;
    ol_hwc_of(v, &h, &w, &c);
    double *p = arena_alloc_array(&x->g->arena, (size_t)(4 * c), sizeof(double));
    if (!p) return -1;
    for (int i = 0; i < 4; i++)
        if (bn_param(x, ol_need(x, n, (size_t)i + 1), c, p + i * c)) return -1;
    double eps = onnx_attr_float(n, "epsilon", 1e-5f);
    float s1 = v->scale;
    int64_t *wv = arena_alloc_array(&x->g->arena, (size_t)c, sizeof(int64_t));
    int64_t *bv = arena_alloc_array(&x->g->arena, (size_t)c, sizeof(int64_t));
    float *fs = arena_alloc_array(&x->g->arena, (size_t)c, sizeof(float));
    if (!wv || !bv || !fs || !(out = ol_output(x, n))) return -1;
    if (bn_consts(x, p, c, eps, s1, wv, bv, fs)) return -1;
    int64_t wshape[4] = {c, 1, 1, 1}, bshape[1] = {c};
    const char *nm = ol_node_name(n);
    int in[3] = {v->tensor,
                 graph_add_const(x->g, build_tensor_name(&x->b, nm, ".w"), DT_I8, 4, wshape, wv),
                 graph_add_const(x->g, build_tensor_name(&x->b, nm, ".b"), DT_I32, 1, bshape, bv)};
    if (in[1] < 0 || in[2] < 0) return -1;
    Node *nd = build_node(&x->b, nm, OP_CONV2D, 3, in, -1);
    if (!nd) return -1;
    nd->groups = (int)c;
    ol_set_oshape(out, v->orank, h, w, c);
    out->flat = v->flat;
    return ol_open_acc(x, out, nd, (int)c, 1, s1, fs, (int)c);
}
