/* onnx_lower_lut.c: element-wise functions of one quantized activation
 * (Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, and chains of them) as
 * 256-entry tables computed at compile time with onnxruntime's own fp32
 * arithmetic, so that the IR requant node with a `lut` requant (one load per
 * element) equals onnxruntime bit for bit.
 *
 * QDQ: DequantizeLinear -> f [-> g ...] -> QuantizeLinear; the pending chain
 * is an OV_FN value. QOperator: com.microsoft QLinearSigmoid and
 * QLinearLeakyRelu, whose kernels build the same table (dequantize the 256
 * inputs, apply the function, quantize).
 *
 * onnxruntime's arithmetic, as this file reproduces it (x86-64; checked on
 * all 256 inputs per test model, tests/py/test_onnx_lut.py):
 *  - dequantize: (float)(q - zp) * scale;
 *  - Sigmoid, Tanh: MLAS's rational approximations (the Eigen coefficients),
 *    evaluated with fused multiply-adds as its FMA3 kernels do, p/q (+ 0.5,
 *    clamped to [0, 1], for the logistic);
 *  - HardSigmoid: max(0, min(1, alpha*x + beta)) without FMA; HardSwish is
 *    its ONNX function body, x * HardSigmoid(x; 1/6, 0.5); LeakyRelu:
 *    x >= 0 ? x : alpha*x;
 *  - quantize: round_half_even(v / scale) + zp, saturated.
 * Must not emit anything but requant nodes.
 */
#include "onnx_lower.h"

#include <math.h>
#include <string.h>

#include "ir/quant.h"

typedef enum { FN_SIGMOID, FN_TANH, FN_HARDSIGMOID, FN_HARDSWISH, FN_LEAKYRELU } FnKind;

enum { FN_MAX_STEPS = 4 };

/* A chain of functions of tensor src; or (mul) onnxruntime's QLinearMul of
 * two activations that are both functions of src: src itself or a lut
 * requant node's output on it (x * sigmoid(x), x * hardsigmoid(x)). */
struct OnnxFn {
    int src; /* IR tensor the chain reads */
    float xs;
    int mul;
    struct {
        int node; /* the lut node giving this factor from src, or -1: src */
        float scale;
        int32_t zp;
    } factor[2];
    int nstep;
    struct {
        FnKind kind;
        float a, b;
    } step[FN_MAX_STEPS];
};

/* ---- onnxruntime's fp32 functions ---------------------------------------- */

/* MLAS's odd rational approximation v*P(v^2) / Q(v^2), Horner steps fused
 * (its FMA3 kernels); a and b from the highest power down. */
static float mlas_rational(float v, const float *a, int na, const float *b, int nb)
{
    float v2 = v * v, p = fmaf(v2, a[0], a[1]), q = fmaf(v2, b[0], b[1]);
    for (int i = 2; i < na; i++) p = fmaf(p, v2, a[i]);
    for (int i = 2; i < nb; i++) q = fmaf(q, v2, b[i]);
    return p * v / q;
}

static float mlas_logistic(float x)
{
    static const float a[5] = {4.37031012579801e-11f, 1.15627324459942e-07f, 6.08574864600143e-05f,
                               8.51377133304701e-03f, 2.48287947061529e-01f};
    static const float b[6] = {6.10247389755681e-13f, 5.76102136993427e-09f, 6.29106785017040e-06f,
                               1.70198817374094e-03f, 1.16817656904453e-01f, 9.93151921023180e-01f};
    float v = x < -18.0f ? -18.0f : x > 18.0f ? 18.0f : x;
    float y = mlas_rational(v, a, 5, b, 6) + 0.5f;
    return y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y;
}

static float mlas_tanh(float x)
{
    static const float a[7] = {-2.76076847742355e-16f, 2.00018790482477e-13f,
                               -8.60467152213735e-11f, 5.12229709037114e-08f,
                               1.48572235717979e-05f,  6.37261928875436e-04f,
                               4.89352455891786e-03f};
    static const float b[4] = {1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f,
                               4.89352518554385e-03f};
    return mlas_rational(x < -9.0f ? -9.0f : x > 9.0f ? 9.0f : x, a, 7, b, 4);
}

static float hard_sigmoid(float x, float alpha, float beta)
{
    volatile float t = alpha * x; /* no FMA: onnxruntime's Eigen code has none */
    float y = t + beta;
    return y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y;
}

static float fn_step(FnKind k, float a, float b, float x)
{
    switch (k) {
    case FN_SIGMOID: return mlas_logistic(x);
    case FN_TANH: return mlas_tanh(x);
    case FN_HARDSIGMOID: return hard_sigmoid(x, a, b);
    case FN_HARDSWISH: return x * hard_sigmoid(x, 1.0f / 6.0f, 0.5f);
    case FN_LEAKYRELU: return x >= 0.0f ? x : a * x;
    }
    return x;
}

/* ---- Building the table ------------------------------------------------------ */

/* The integer value of a factor of a product at source value q. */
static int64_t factor_value(OnnxCtx *x, const struct OnnxFn *f, int i, int64_t q)
{
    if (f->factor[i].node < 0) return q;
    const Node *n = x->g->nodes[f->factor[i].node];
    const Tensor *in = ol_tensor(x, n->in[0]), *out = ol_tensor(x, n->out);
    RqChan r = rq_channel(x->g, &n->rq, 0);
    return q_epilogue(&r, q - in->zp, out->zp, n->lo, n->hi);
}

/* MLAS QLinearMul (x86): round_half_even(f32(P) * (sa*sb/sc) + zc) with the
 * exact integer product P = (a - za) * (b - zb), saturated; minus zc. */
static int64_t mul_entry(OnnxCtx *x, const struct OnnxFn *f, int64_t q, float ys, int32_t zy,
                         int64_t lo, int64_t hi)
{
    int64_t a = factor_value(x, f, 0, q) - f->factor[0].zp;
    int64_t b = factor_value(x, f, 1, q) - f->factor[1].zp;
    volatile float sab = f->factor[0].scale * f->factor[1].scale;
    volatile float ratio = sab / ys;
    volatile float t = (float)(a * b) * ratio;
    volatile float u = t + (float)zy;
    double y = nearbyint((double)u) - zy;
    return y < (double)lo ? lo : y > (double)hi ? hi : (int64_t)y;
}

/* One table entry: round_half_even(f(dequantize(q)) / ys), saturated to
 * [lo - zy, hi - zy] (the node adds zy and clamps). */
static int64_t fn_entry(const struct OnnxFn *f, int32_t zx, int64_t q, float ys, int64_t lo,
                        int64_t hi)
{
    volatile float v = (float)(q - zx) * f->xs;
    for (int i = 0; i < f->nstep; i++) v = fn_step(f->step[i].kind, f->step[i].a, f->step[i].b, v);
    volatile float r = v / ys;
    double y = nearbyint((double)r);
    return y < (double)lo ? lo : y > (double)hi ? hi : (int64_t)y;
}

/* The requant node with f's table: input f->src, output dtype dt, zero point
 * zy. Returns the output tensor id. */
static int fn_node(OnnxCtx *x, const char *name, const struct OnnxFn *f, const OnnxVal *shape,
                   float ys, int32_t zy, DType dt)
{
    const Tensor *t = ol_tensor(x, f->src);
    const DTypeInfo *di = dtype_info(t->dtype), *oi = dtype_info(dt);
    if (di->bits != 8 || oi->bits != 8)
        return onnx_err(x, "element-wise functions need 8-bit input and output");
    int64_t vals[256];
    for (int64_t q = di->min; q <= di->max; q++)
        vals[q - di->min] = f->mul ? mul_entry(x, f, q, ys, zy, oi->min - zy, oi->max - zy)
                                   : fn_entry(f, t->zp, q, ys, oi->min - zy, oi->max - zy);
    int in[1] = {f->src};
    Node *nd = build_node(&x->b, name, OP_REQUANT, 1, in, -1);
    if (!nd || rq_make_lut(x->g, nd, &nd->rq, 256, vals, (int)(di->min - t->zp))) return -1;
    int id = ol_new_act(x, nd->name, dt, shape, zy);
    if (id < 0) return -1;
    nd->out = id;
    nd->lo = (int32_t)oi->min, nd->hi = (int32_t)oi->max;
    return id;
}

int ol_quantize_fn(OnnxCtx *x, OnnxVal *v, OnnxVal *out, float ys, int32_t zy, DType dt)
{
    if (ol_single_use(x, v)) return -1;
    int id = fn_node(x, ol_node_name(x->cur), v->fn, v, ys, zy, dt);
    if (id < 0) return -1;
    ol_alias(out, v);
    out->kind = OV_ACT, out->tensor = id, out->zp_known = 1, out->fn = NULL;
    return 0;
}

/* DequantizeLinear then QuantizeLinear to another scale (a float op between
 * them that moves no value, e.g. Slice in QOperator graphs; QLinearConcat's
 * inputs): the table of round(xs*(x - xz) / ys) + yz. Returns the tensor. */
int ol_requant_table(OnnxCtx *x, const char *name, const OnnxVal *v, float ys, int32_t zy, DType dt)
{
    struct OnnxFn f;
    memset(&f, 0, sizeof f);
    f.src = v->tensor, f.xs = v->scale;
    return fn_node(x, name, &f, v, ys, zy, dt);
}

/* ---- Handlers ------------------------------------------------------------------ */

static const struct {
    const char *op;
    FnKind kind;
    float a, b; /* attribute defaults: alpha, beta */
} fns[] = {
    {"Sigmoid", FN_SIGMOID, 0, 0},
    {"QLinearSigmoid", FN_SIGMOID, 0, 0},
    {"Tanh", FN_TANH, 0, 0},
    {"HardSigmoid", FN_HARDSIGMOID, 0.2f, 0.5f},
    {"HardSwish", FN_HARDSWISH, 0, 0},
    {"LeakyRelu", FN_LEAKYRELU, 0.01f, 0},
    {"QLinearLeakyRelu", FN_LEAKYRELU, 0.01f, 0},
};

static int fn_kind(OnnxCtx *x, const Onnx__NodeProto *n, FnKind *k, float *a, float *b)
{
    for (size_t i = 0; i < DORY_ARRAY_LEN(fns); i++)
        if (!strcmp(n->op_type, fns[i].op)) {
            *k = fns[i].kind;
            *a = onnx_attr_float(n, "alpha", fns[i].a);
            *b = onnx_attr_float(n, "beta", fns[i].b);
            return 0;
        }
    return onnx_err(x, "no table for %s", n->op_type);
}

/* Appends node n's function to the chain of v (a dequantized activation or a
 * chain already), giving out. */
static int fn_extend(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out)
{
    struct OnnxFn *f = arena_alloc(&x->g->arena, sizeof *f);
    if (!f) return -1;
    if (v->kind == OV_FN) {
        if (ol_single_use(x, v)) return -1;
        *f = *v->fn;
    } else if (v->kind == OV_DQ) {
        f->src = v->tensor, f->xs = v->scale;
    } else {
        return onnx_err(x, "%s of '%s' needs a dequantized (or QLinear) 8-bit input", n->op_type,
                        v->name);
    }
    if (f->mul)
        return onnx_err(x, "%s after a product of activations is not supported", n->op_type);
    if (f->nstep == FN_MAX_STEPS)
        return onnx_err(x, "more than %d chained functions", FN_MAX_STEPS);
    FnKind k = FN_SIGMOID;
    float a = 0, b = 0;
    if (fn_kind(x, n, &k, &a, &b)) return -1;
    f->step[f->nstep].kind = k, f->step[f->nstep].a = a, f->step[f->nstep].b = b;
    f->nstep++;
    ol_alias(out, v);
    out->kind = OV_FN;
    out->fn = f;
    return 0;
}

/* Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu (QDQ). */
int ol_lower_fn(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    if (!v || (v->kind != OV_FN && ol_act(x, v, "input")) || !(out = ol_output(x, n))) return -1;
    return fn_extend(x, n, v, out);
}

/* QLinearSigmoid / QLinearLeakyRelu(X, xs, xz, ys, yz) (com.microsoft). */
int ol_lower_qlinear_fn(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    double xs, xz = 0, ys, yz = 0;
    if (!v || ol_act(x, v, "input") || !(out = ol_output(x, n))) return -1;
    OnnxVal *xzv = ol_input(x, n, 2), *yzv = ol_input(x, n, 4);
    if (ol_scalar(x, ol_need(x, n, 1), "X_scale", &xs) ||
        ol_scalar(x, ol_need(x, n, 3), "Y_scale", &ys) ||
        (xzv && ol_scalar(x, xzv, "X_zero_point", &xz)) ||
        (yzv && ol_scalar(x, yzv, "Y_zero_point", &yz)))
        return -1;
    if (v->kind != OV_ACT) return onnx_err(x, "input must be integers");
    DType dt = ol_tensor(x, v->tensor)->dtype;
    if (ol_check_zp(x, v, (int32_t)xz, dt)) return -1;
    OnnxVal dq = *v;
    dq.kind = OV_DQ, dq.scale = (float)xs;
    if (fn_extend(x, n, &dq, out)) return -1;
    OnnxVal tmp = *out;
    tmp.nuses = 1;
    return ol_quantize_fn(x, &tmp, out, (float)ys, (int32_t)yz, dt);
}

/* ---- Products of activations ------------------------------------------------ */

/* The lut requant node writing tensor t, or -1. */
static int lut_producer(OnnxCtx *x, int t)
{
    for (int i = x->g->nnodes - 1; i >= 0; i--) {
        const Node *nd = x->g->nodes[i];
        if (nd->out == t) return nd->op == OP_REQUANT && nd->rq.scheme == RQ_LUT ? i : -1;
    }
    return -1;
}

/* Both factors as functions of one source tensor: a itself or a lut of it. */
static int mul_source(OnnxCtx *x, int ta, int tb, struct OnnxFn *f)
{
    int la = lut_producer(x, ta), lb = lut_producer(x, tb);
    int ia = la >= 0 ? x->g->nodes[la]->in[0] : -2, ib = lb >= 0 ? x->g->nodes[lb]->in[0] : -2;
    f->factor[0].node = -1, f->factor[1].node = -1;
    if (ta == tb) return f->src = ta, 0;
    if (ib == ta) return f->src = ta, f->factor[1].node = lb, 0;
    if (ia == tb) return f->src = tb, f->factor[0].node = la, 0;
    if (ia == ib && ia >= 0) return f->src = ia, f->factor[0].node = la, f->factor[1].node = lb, 0;
    return -1;
}

/* A product a*b (scales and zero points given) of activations that are
 * functions of one tensor becomes a table on that tensor; 1 if they are not
 * (or b is broadcast): the caller makes a mul node (onnx_lower_qdq.c). */
static int mul_open(OnnxCtx *x, OnnxVal *a, OnnxVal *b, float sa, float sb, OnnxVal *out)
{
    struct OnnxFn src;
    memset(&src, 0, sizeof src);
    if (a->orank != b->orank || memcmp(a->oshape, b->oshape, sizeof a->oshape) ||
        a->flat != b->flat || mul_source(x, a->tensor, b->tensor, &src))
        return 1;
    struct OnnxFn *f = arena_alloc(&x->g->arena, sizeof *f);
    if (!f) return -1;
    *f = src;
    f->mul = 1;
    f->factor[0].scale = sa, f->factor[0].zp = ol_tensor(x, a->tensor)->zp;
    f->factor[1].scale = sb, f->factor[1].zp = ol_tensor(x, b->tensor)->zp;
    f->xs = 0;
    ol_alias(out, a);
    out->kind = OV_FN;
    out->fn = f;
    out->tensor = f->src;
    return 0;
}

int ol_mul_acts(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b)
{
    OnnxVal *out;
    if (ol_act(x, a, "input") || ol_act(x, b, "input") || !(out = ol_output(x, n))) return -1;
    if (a->kind != OV_DQ || b->kind != OV_DQ)
        return onnx_err(x, "Mul needs two dequantized inputs");
    int rc = mul_open(x, a, b, a->scale, b->scale, out);
    return rc <= 0 ? rc : ol_float_mul(x, n, a, b, out);
}

/* QLinearMul(A, As, Az, B, Bs, Bz, Cs, Cz) (com.microsoft). */
int ol_lower_qlinear_mul(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *a = ol_need(x, n, 0), *b = ol_need(x, n, 3), *out;
    double s[3], z[3] = {0, 0, 0};
    if (!a || !b || ol_act(x, a, "input") || ol_act(x, b, "input") || !(out = ol_output(x, n)))
        return -1;
    static const size_t si[3] = {1, 4, 6}; /* scales; zero points follow */
    for (int i = 0; i < 3; i++) {
        OnnxVal *zv = ol_input(x, n, si[i] + 1);
        if (ol_scalar(x, ol_need(x, n, si[i]), "scale", &s[i]) ||
            (zv && ol_scalar(x, zv, "zero point", &z[i])))
            return -1;
    }
    if (a->kind != OV_ACT || b->kind != OV_ACT) return onnx_err(x, "inputs must be integers");
    DType dt = ol_tensor(x, a->tensor)->dtype;
    if (ol_check_zp(x, a, (int32_t)z[0], dt) || ol_check_zp(x, b, (int32_t)z[1], dt)) return -1;
    int rc = mul_open(x, a, b, (float)s[0], (float)s[1], out);
    if (rc) return rc < 0 ? -1 : ol_qlinear_mul_node(x, n, a, b, out);
    OnnxVal tmp = *out;
    tmp.nuses = 1;
    return ol_quantize_fn(x, &tmp, out, (float)s[2], (int32_t)z[2], dt);
}
