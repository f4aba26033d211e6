/* tflite_ops.c: lowering of TFLite int8 operators to the IR, one function
 * per operator, through the shared graph builders (build.h).
 *
 * Each rule computes the reference kernels' constants the way they do
 * (QuantizeMultiplier on double scales, activation ranges rounded in float)
 * so the IR's arithmetic is theirs bit for bit; docs/FRONTEND_TFLITE.md lists
 * the formulas. Must not read the file format (tflite.c does).
 */
#include "tflite.h"

#include <math.h>
#include <string.h>

#include "ir/quant.h"

/* BuiltinOperator codes and BuiltinOptions union types used here. */
enum {
    B_ADD = 0,
    B_AVERAGE_POOL_2D = 1,
    B_CONCATENATION = 2,
    B_CONV_2D = 3,
    B_DEPTHWISE_CONV_2D = 4,
    B_DEQUANTIZE = 6,
    B_FULLY_CONNECTED = 9,
    B_MAX_POOL_2D = 17,
    B_RELU = 19,
    B_RELU_N1_TO_1 = 20,
    B_RELU6 = 21,
    B_RESHAPE = 22,
    B_SOFTMAX = 25,
    B_PAD = 34,
    B_MEAN = 40,
    B_QUANTIZE = 114
};
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU_N1_TO_1 = 2, ACT_RELU6 = 3 };

/* ---- Tensors --------------------------------------------------------------- */

static TfTensor *tin(TfCtx *x, const TfOp *o, int i)
{
    if (i >= o->nin || o->in[i] < 0) return tf_err(x, "input %d is missing", i), NULL;
    return &x->t[o->in[i]];
}

/* Activation dims: [1, H, W, C] and lower ranks as [1, 1, W, C], [1, 1, 1, C]. */
static int hwc_of(TfCtx *x, const TfTensor *t, int64_t hwc[3])
{
    hwc[0] = hwc[1] = hwc[2] = 1;
    if (t->rank > 4 || (t->rank >= 2 && t->shape[0] != 1))
        return tf_err(x, "tensor '%s': only batch 1 tensors of rank <= 4 are supported", t->name);
    for (int i = t->rank - 1, k = 2; i >= (t->rank >= 2 ? 1 : 0); i--, k--) hwc[k] = t->shape[i];
    return 0;
}

static int per_tensor(TfCtx *x, const TfTensor *t)
{
    if (t->nq != 1) return tf_err(x, "tensor '%s' needs one scale and zero point", t->name);
    if (t->zp[0] < -128 || t->zp[0] > 127)
        return tf_err(x, "tensor '%s': zero point %lld outside int8", t->name, (long long)t->zp[0]);
    return 0;
}

int tf_act(TfCtx *x, int ti)
{
    TfTensor *t = &x->t[ti];
    if (t->ir >= 0) return t->ir;
    int64_t hwc[3];
    if (t->type != TF_INT8)
        return tf_err(x, "tensor '%s' has type %d; only int8 activations are supported", t->name,
                      t->type);
    if (hwc_of(x, t, hwc) || per_tensor(x, t)) return -1;
    t->ir = build_act(&x->b, t->name, DT_I8, hwc, t->rank, t->shape, (int32_t)t->zp[0]);
    if (t->ir < 0) return -1;
    if (x->cur < 0 && graph_add_input(x->g, t->ir) < 0) return -1;
    return t->ir;
}

/* An operator's activation input: computed earlier or a graph input. */
static int use_act(TfCtx *x, const TfTensor *t)
{
    if (t->data)
        return tf_err(x, "tensor '%s' is constant where an activation is expected", t->name);
    if (t->ir < 0) return tf_err(x, "tensor '%s' is read before any operator computes it", t->name);
    return t->ir;
}

static int out_act(TfCtx *x, const TfOp *o)
{
    if (o->nout != 1) return tf_err(x, "%d outputs, expected 1", o->nout);
    TfTensor *t = &x->t[o->out[0]];
    if (t->ir >= 0 || t->data) return tf_err(x, "output '%s' is written twice", t->name);
    return tf_act(x, o->out[0]);
}

/* The common prologue of an operator on one activation: input 0, the
 * output, their HWC dims. */
typedef struct Io {
    TfTensor *x;
    const TfTensor *y;
    int in, out;
    int64_t xh[3], yh[3];
} Io;

static int io_open(TfCtx *x, const TfOp *o, Io *io)
{
    if (!(io->x = tin(x, o, 0)) || (io->in = use_act(x, io->x)) < 0) return -1;
    if ((io->out = out_act(x, o)) < 0) return -1;
    io->y = &x->t[o->out[0]];
    return hwc_of(x, io->x, io->xh) || hwc_of(x, io->y, io->yh) ? -1 : 0;
}

static const TfTensor *const_of(TfCtx *x, const TfOp *o, int i, int type, const char *what)
{
    const TfTensor *t = tin(x, o, i);
    if (!t) return NULL;
    if (!t->data || t->type != type)
        return tf_err(x, "%s '%s' must be a constant of type %d", what, t->name, type), NULL;
    return t;
}

static int64_t numel(const TfTensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->shape[i];
    return n;
}

static int32_t rd_i32(const TfTensor *t, int64_t i)
{
    const uint8_t *p = t->data + 4 * i;
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

/* ---- Options ---------------------------------------------------------------- */

static int opts(TfCtx *x, const TfOp *o, int type, FbTable *t)
{
    *t = o->opt;
    if (o->opt.pos && o->opt_type != type)
        return tf_err(x, "options of union type %d, expected %d", o->opt_type, type);
    return 0;
}

static int64_t opt_int(TfCtx *x, FbTable t, int field, int bytes, int64_t dflt)
{
    return fb_int(&x->fb, t, field, bytes, 1, dflt);
}

/* TFLite's activation range: zp + round(f / scale) in float, within int8. */
static int act_range(TfCtx *x, int act, const TfTensor *y, int32_t *lo, int32_t *hi)
{
    volatile float s = y->scale[0];
    int32_t zp = (int32_t)y->zp[0];
    float q0 = roundf(0.0f / s), q6 = roundf(6.0f / s), qm1 = roundf(-1.0f / s),
          q1 = roundf(1.0f / s);
    *lo = -128, *hi = 127;
    switch (act) {
    case ACT_NONE: return 0;
    case ACT_RELU: *lo = DORY_MAX(-128, zp + (int32_t)q0); return 0;
    case ACT_RELU6:
        *lo = DORY_MAX(-128, zp + (int32_t)q0);
        *hi = DORY_MIN(127, zp + (int32_t)fminf(q6, 1e6f));
        return 0;
    case ACT_RELU_N1_TO_1:
        *lo = DORY_MAX(-128, zp + (int32_t)fmaxf(qm1, -1e6f));
        *hi = DORY_MIN(127, zp + (int32_t)fminf(q1, 1e6f));
        return 0;
    default: return tf_err(x, "fused activation %d is not supported", act);
    }
}

static int set_clamp(TfCtx *x, Node *n, int act, const TfTensor *y)
{
    if (act_range(x, act, y, &n->lo, &n->hi)) return -1;
    if (n->lo > n->hi) return tf_err(x, "the activation leaves an empty output range");
    return 0;
}

/* ---- Convolutions and fully connected ------------------------------------- */

typedef struct Geo {
    int stride[2], dil[2], kernel[2];
    int same;
} Geo;

static int read_geo(TfCtx *x, FbTable t, int f_pad, int f_sw, int f_sh, int f_dw, int f_dh, Geo *g)
{
    int64_t pad = opt_int(x, t, f_pad, 1, 0);
    int64_t v[4] = {opt_int(x, t, f_sh, 4, 1), opt_int(x, t, f_sw, 4, 1),
                    f_dh < 0 ? 1 : opt_int(x, t, f_dh, 4, 1),
                    f_dw < 0 ? 1 : opt_int(x, t, f_dw, 4, 1)};
    if (!fb_ok(&x->fb)) return tf_err(x, "malformed options: %s", x->fb.err);
    if (pad != 0 && pad != 1)
        return tf_err(x, "padding %lld is neither SAME nor VALID", (long long)pad);
    for (int i = 0; i < 4; i++)
        if (v[i] < 1 || v[i] > 1024) return tf_err(x, "stride or dilation %lld", (long long)v[i]);
    g->same = pad == 0;
    g->stride[0] = (int)v[0], g->stride[1] = (int)v[1], g->dil[0] = (int)v[2],
    g->dil[1] = (int)v[3];
    return 0;
}

/* Pads and output size of the window geometry; the output tensor must agree. */
static int apply_geo(TfCtx *x, Node *n, const Geo *g, const int64_t in[3], const int64_t out[3])
{
    for (int i = 0; i < 2; i++) {
        int64_t b = 0, e = 0;
        if (g->same) build_same_pad(in[i], g->kernel[i], g->stride[i], g->dil[i], 1, &b, &e);
        int64_t o = conv_out_dim(in[i], g->kernel[i], g->stride[i], g->dil[i], (int)b, (int)e);
        if (o != out[i])
            return tf_err(x, "output %s %lld, but the window gives %lld", i ? "width" : "height",
                          (long long)out[i], (long long)o);
        n->pad[i] = (int)b, n->pad[i + 2] = (int)e;
        n->stride[i] = g->stride[i], n->dilation[i] = g->dil[i], n->kernel[i] = g->kernel[i];
    }
    return 0;
}

/* Weights (int8, symmetric: TFLite's int8 kernels ignore filter zero points)
 * permuted by perm into the IR shape, and the optional int32 bias. */
static int weights(TfCtx *x, const TfOp *o, const TfTensor *w, int rank, const int64_t *shape,
                   const int64_t *perm, int *in)
{
    if (!perm) return -1;
    int64_t cout = shape[0], n = numel(w);
    for (int i = 0; i < w->nq; i++)
        if (w->zp[i] != 0) return tf_err(x, "weights '%s' have a non-zero zero point", w->name);
    if (w->nq != 1 && w->nq != cout)
        return tf_err(x, "weights '%s' have %d scales for %lld channels", w->name, w->nq,
                      (long long)cout);
    double *v = arena_alloc_array(&x->g->arena, (size_t)n, sizeof(double));
    if (!v) return tf_err(x, "out of memory");
    for (int64_t i = 0; i < n; i++) v[i] = (int8_t)w->data[i];
    BuildWeights bw = {DT_I8, v, 0, NULL};
    if ((in[1] = build_weights(&x->b, w->name, &bw, rank, shape, perm)) < 0) return -1;
    if (o->nin < 3 || o->in[2] < 0) return 0;
    const TfTensor *b = const_of(x, o, 2, TF_INT32, "bias");
    if (!b) return -1;
    if (numel(b) != cout)
        return tf_err(x, "bias '%s' has %lld values", b->name, (long long)numel(b));
    double *bv = arena_alloc_array(&x->g->arena, (size_t)cout, sizeof(double));
    if (!bv) return tf_err(x, "out of memory");
    for (int64_t c = 0; c < cout; c++) bv[c] = rd_i32(b, c);
    return (in[2] = build_bias(&x->b, b->name, bv, cout, cout)) < 0 ? -1 : 0;
}

/* Output requant of conv/fc: QuantizeMultiplier(s_x * s_w[c] / s_y) per
 * channel, the double product of PopulateConvolutionQuantizationParams and
 * GetQuantizedConvolutionMultipler. single: LiteRT's FC rounding. */
static int conv_requant(TfCtx *x, Node *n, const TfTensor *xt, const TfTensor *w, const TfTensor *y,
                        int64_t cout, int single)
{
    int32_t *m = arena_alloc_array(&x->g->arena, (size_t)cout, sizeof(int32_t));
    int32_t *s = arena_alloc_array(&x->g->arena, (size_t)cout, sizeof(int32_t));
    if (!m || !s) return tf_err(x, "out of memory");
    for (int64_t c = 0; c < cout; c++) {
        double ws = w->scale[w->nq == 1 ? 0 : c];
        int sh;
        q_tflite_multiplier((double)xt->scale[0] * ws / (double)y->scale[0], &m[c], &sh);
        if (single && sh > 30) return tf_err(x, "output scale ratio too large (shift %d)", sh);
        s[c] = sh;
    }
    return single ? rq_make_fixed_sr(x->g, n, &n->rq, (int)cout, m, s)
                  : rq_make_fixed(x->g, n, &n->rq, (int)cout, m, s, 0);
}

static int lower_conv(TfCtx *x, const TfOp *o)
{
    int dw = o->code == B_DEPTHWISE_CONV_2D;
    FbTable t;
    Geo g;
    if (opts(x, o, dw ? 2 : 1, &t) || read_geo(x, t, 0, 1, 2, dw ? 5 : 4, dw ? 6 : 5, &g))
        return -1;
    int act = (int)opt_int(x, t, dw ? 4 : 3, 1, 0);
    Io io;
    const TfTensor *w = const_of(x, o, 1, TF_INT8, "weights");
    if (!w || io_open(x, o, &io)) return -1;
    const TfTensor *xt = io.x, *y = io.y;
    const int64_t *xh = io.xh, *yh = io.yh;
    int in[3] = {io.in, -1, -1};
    if (w->rank != 4) return tf_err(x, "weights '%s' have rank %d", w->name, w->rank);
    int64_t cin = xh[2], cout = yh[2], kh = w->shape[1], kw = w->shape[2];
    int64_t cig = dw ? 1 : w->shape[3], groups = dw ? cin : (cig ? cin / cig : 0);
    int64_t wcout = dw ? w->shape[3] : w->shape[0];
    if (wcout != cout || (dw && w->shape[0] != 1) || groups < 1 || cin != groups * cig ||
        cout % groups)
        return tf_err(x, "weights '%s' do not match %lld input and %lld output channels", w->name,
                      (long long)cin, (long long)cout);
    int64_t shape[4] = {cout, kh, kw, cig};
    int64_t *perm = build_conv_perm(&x->b, dw ? BUILD_W_IHWO : BUILD_W_OHWI, cout, cig, kh, kw);
    if (weights(x, o, w, 4, shape, perm, in)) return -1;
    Node *n = build_node(&x->b, y->name, OP_CONV2D, in[2] >= 0 ? 3 : 2, in, io.out);
    if (!n) return -1;
    g.kernel[0] = (int)kh, g.kernel[1] = (int)kw;
    n->groups = (int)groups;
    if (apply_geo(x, n, &g, xh, yh) || set_clamp(x, n, act, y)) return -1;
    return conv_requant(x, n, xt, w, y, cout, 0);
}

static int lower_fc(TfCtx *x, const TfOp *o)
{
    FbTable t;
    if (opts(x, o, 8, &t)) return -1;
    int act = (int)opt_int(x, t, 0, 1, 0);
    if (opt_int(x, t, 1, 1, 0) != 0) return tf_err(x, "shuffled FC weights are not supported");
    Io io;
    const TfTensor *w = const_of(x, o, 1, TF_INT8, "weights");
    if (!w || io_open(x, o, &io)) return -1;
    const TfTensor *xt = io.x, *y = io.y;
    const int64_t *xh = io.xh, *yh = io.yh;
    int in[3] = {io.in, -1, -1};
    int64_t K = xh[0] * xh[1] * xh[2], N = yh[0] * yh[1] * yh[2];
    if (w->rank != 2 || w->shape[0] != N || w->shape[1] != K)
        return tf_err(x, "weights '%s' are not [%lld, %lld]", w->name, (long long)N, (long long)K);
    if (w->nq != 1) return tf_err(x, "per-channel FC weights are not supported");
    int64_t shape[2] = {N, K};
    if (weights(x, o, w, 2, shape, build_fc_perm(&x->b, N, xh[0], xh[1], xh[2], 0, 0), in))
        return -1;
    /* The IR's fc reads a [1, h, w, c] input and writes [1, 1, 1, N]. */
    if (yh[0] != 1 || yh[1] != 1) return tf_err(x, "FC output '%s' must be [1, N]", y->name);
    Node *n = build_node(&x->b, y->name, OP_FC, in[2] >= 0 ? 3 : 2, in, io.out);
    if (!n || set_clamp(x, n, act, y)) return -1;
    return conv_requant(x, n, xt, w, y, N, x->arith == TF_ARITH_LITERT);
}

/* ---- Pools, MEAN ------------------------------------------------------------ */

/* TFLite's int8 pools keep the input's quantization: y is the raw max or
 * average (rounded half away from zero over the valid taps), clamped. */
static int same_quant(TfCtx *x, const TfTensor *a, const TfTensor *y)
{
    if (a->scale[0] != y->scale[0] || a->zp[0] != y->zp[0])
        return tf_err(x, "input '%s' and output '%s' must share scale and zero point", a->name,
                      y->name);
    return 0;
}

static int lower_pool(TfCtx *x, const TfOp *o)
{
    FbTable t;
    Geo g;
    if (opts(x, o, 5, &t) || read_geo(x, t, 0, 1, 2, -1, -1, &g)) return -1;
    int64_t fw = opt_int(x, t, 3, 4, 0), fh = opt_int(x, t, 4, 4, 0);
    int act = (int)opt_int(x, t, 5, 1, 0);
    if (fw < 1 || fh < 1 || fw > 4096 || fh > 4096)
        return tf_err(x, "filter %lldx%lld", (long long)fh, (long long)fw);
    Io io;
    if (io_open(x, o, &io) || same_quant(x, io.x, io.y)) return -1;
    if (io.xh[2] != io.yh[2]) return tf_err(x, "pooling changes the channel count");
    int avg = o->code == B_AVERAGE_POOL_2D;
    Node *n = build_node(&x->b, io.y->name, avg ? OP_AVGPOOL : OP_MAXPOOL, 1, &io.in, io.out);
    if (!n) return -1;
    g.kernel[0] = (int)fh, g.kernel[1] = (int)fw;
    n->avg_round = AVG_HALF_AWAY;
    n->count_include_pad = false;
    return apply_geo(x, n, &g, io.xh, io.yh) || set_clamp(x, n, act, io.y) ? -1 : 0;
}

/* MEAN over H and W of a [1, H, W, C] tensor: a global average pool whose
 * FIXED requant folds 1/count as QuantizedMeanOrSum does: M, s from
 * s_x / s_y, then k = min(floor(log2 count), 32, 31 + s), M' = (M << k) /
 * count, s' = s - k, y = MultiplyByQuantizedMultiplier(sum(x - zx), M', s'). */
static int lower_mean(TfCtx *x, const TfOp *o)
{
    FbTable t;
    if (opts(x, o, 27, &t)) return -1;
    Io io;
    const TfTensor *ax = const_of(x, o, 1, TF_INT32, "axes");
    if (!ax || io_open(x, o, &io)) return -1;
    const TfTensor *xt = io.x, *y = io.y;
    int axes = 0;
    for (int64_t i = 0; i < numel(ax); i++) {
        int32_t a = rd_i32(ax, i);
        if (a < 0) a += xt->rank;
        if (xt->rank != 4 || (a != 1 && a != 2) || (axes & (1 << a)))
            return tf_err(x, "MEAN is supported over the spatial axes of a 4-D tensor only");
        axes |= 1 << a;
    }
    if (axes != 6) return tf_err(x, "MEAN is supported over both spatial axes (1, 2) only");
    const int64_t *xh = io.xh, *yh = io.yh;
    if (yh[0] * yh[1] != 1 || yh[2] != xh[2]) return tf_err(x, "MEAN output shape");
    Node *n = build_node(&x->b, y->name, OP_AVGPOOL, 1, &io.in, io.out);
    if (!n) return -1;
    n->global = true;
    n->avg_round = AVG_NONE;
    n->kernel[0] = (int)xh[0], n->kernel[1] = (int)xh[1];
    int64_t count = xh[0] * xh[1];
    int32_t m;
    int s, k = 0;
    q_tflite_multiplier((double)xt->scale[0] / (double)y->scale[0], &m, &s);
    while (((uint64_t)count >> (k + 1)) != 0) k++;
    k = DORY_MIN(k, DORY_MIN(32, 31 + s));
    int32_t m2 = (int32_t)(((int64_t)m << k) / count), s2 = s - k;
    return rq_make_fixed(x->g, n, &n->rq, 1, &m2, &s2, 0);
}

/* ---- Element-wise ------------------------------------------------------------ */

/* ADD: each input x * 2^20 scaled by s_i / (2 max s), the sum by
 * 2 max s / (2^20 s_y) (QuantizeMultiplierSmallerThanOneExp), rounding twice. */
static int lower_add(TfCtx *x, const TfOp *o)
{
    FbTable t;
    if (opts(x, o, 11, &t)) return -1;
    int act = (int)opt_int(x, t, 0, 1, 0);
    TfTensor *a = tin(x, o, 0), *b = tin(x, o, 1);
    int in[2];
    if (!a || !b || (in[0] = use_act(x, a)) < 0 || (in[1] = use_act(x, b)) < 0) return -1;
    int yi = out_act(x, o);
    if (yi < 0) return -1;
    const TfTensor *y = &x->t[o->out[0]];
    if (numel(a) != numel(y) || numel(b) != numel(y))
        return tf_err(x, "broadcasting ADD is not supported");
    Node *n = build_node(&x->b, y->name, OP_ADD, 2, in, yi);
    if (!n || set_clamp(x, n, act, y)) return -1;
    double sa = a->scale[0], sb = b->scale[0], twice = 2 * fmax(sa, sb);
    int32_t m[3];
    int s[3];
    q_tflite_multiplier(sa / twice, &m[0], &s[0]);
    q_tflite_multiplier(sb / twice, &m[1], &s[1]);
    q_tflite_multiplier(twice / ((1 << 20) * (double)y->scale[0]), &m[2], &s[2]);
    if (s[2] > 0) return tf_err(x, "output scale too small for TFLite's ADD");
    int32_t s32[3] = {s[0], s[1], s[2]};
    return rq_make_fixed(x->g, n, &n->in_rq[0], 1, &m[0], &s32[0], 20) ||
                   rq_make_fixed(x->g, n, &n->in_rq[1], 1, &m[1], &s32[1], 20) ||
                   rq_make_fixed(x->g, n, &n->rq, 1, &m[2], &s32[2], 0)
               ? -1
               : 0;
}

/* TFLite Micro's RELU6 clamps the raw input to [zx, zx + round(6 / s_x)]
 * and keeps it whatever the output's quantization: y = (x - zx) + (zx - zy)
 * + zy, a SHIFT requant by 1 with l = zx - zy. */
static int tflm_relu6(TfCtx *x, Node *n, const TfTensor *xt, const TfTensor *y)
{
    volatile float s = xt->scale[0];
    int64_t zx = xt->zp[0], six = DORY_MIN(127, zx + (int64_t)roundf(6.0f / s));
    if (six < zx) return tf_err(x, "RELU6 leaves an empty range");
    int64_t k = 1, l = zx - y->zp[0];
    n->lo = (int32_t)zx, n->hi = (int32_t)six;
    return rq_make_shift(x->g, n, &n->rq, 1, &k, &l, 0);
}

/* RELU, RELU6, RELU_N1_TO_1 and int8 QUANTIZE (requantize): y = zy +
 * MultiplyByQuantizedMultiplier(x - zx, s_x / s_y), clamped. */
static int lower_requant(TfCtx *x, const TfOp *o, int act)
{
    Io io;
    if (io_open(x, o, &io)) return -1;
    const TfTensor *xt = io.x, *y = io.y;
    if (numel(xt) != numel(y)) return tf_err(x, "input and output sizes differ");
    Node *n = build_node(&x->b, y->name, OP_REQUANT, 1, &io.in, io.out);
    if (n && act == ACT_RELU6 && x->arith == TF_ARITH_TFLM) return tflm_relu6(x, n, xt, y);
    if (!n || set_clamp(x, n, act, y)) return -1;
    int32_t m;
    int s;
    q_tflite_multiplier((double)xt->scale[0] / (double)y->scale[0], &m, &s);
    int32_t s32 = s;
    return rq_make_fixed(x->g, n, &n->rq, 1, &m, &s32, 0);
}

static int lower_softmax(TfCtx *x, const TfOp *o)
{
    FbTable t;
    if (opts(x, o, 9, &t)) return -1;
    float beta = fb_f32(&x->fb, t, 0, 0.0f);
    Io io;
    if (io_open(x, o, &io)) return -1;
    const TfTensor *xt = io.x, *y = io.y;
    if (numel(xt) != numel(y)) return tf_err(x, "input and output sizes differ");
    if (y->zp[0] != -128 || fabsf(y->scale[0] - 1.0f / 256) > 0.001f / 256)
        return tf_err(x, "int8 softmax needs output scale 1/256 and zero point -128");
    if (io.xh[2] > Q_SOFTMAX_MAX)
        return tf_err(x, "softmax over more than %d values", Q_SOFTMAX_MAX);
    if (!(beta > 0) || !isfinite(beta)) return tf_err(x, "softmax beta %g", (double)beta);
    Node *n = build_node(&x->b, y->name, OP_SOFTMAX, 1, &io.in, io.out);
    if (!n) return -1;
    int sh;
    q_softmax_params(beta, xt->scale[0], &n->sm_mult, &sh, &n->sm_diff_min);
    n->sm_shift = sh;
    return 0;
}

/* ---- Data movement --------------------------------------------------------- */

static int lower_reshape(TfCtx *x, const TfOp *o)
{
    Io io;
    if (io_open(x, o, &io)) return -1;
    if (numel(io.x) != numel(io.y))
        return tf_err(x, "reshape of %lld elements to %lld", (long long)numel(io.x),
                      (long long)numel(io.y));
    if (same_quant(x, io.x, io.y)) return -1;
    return build_node(&x->b, io.y->name, OP_RESHAPE, 1, &io.in, io.out) ? 0 : -1;
}

/* PAD of H and W by the input's zero point (the quantized zero). */
static int lower_pad(TfCtx *x, const TfOp *o)
{
    TfTensor *xt = tin(x, o, 0);
    const TfTensor *p = const_of(x, o, 1, TF_INT32, "paddings");
    int in[1];
    if (!xt || !p || (in[0] = use_act(x, xt)) < 0) return -1;
    if (xt->rank != 4 || numel(p) != 8) return tf_err(x, "PAD is supported on 4-D tensors only");
    int32_t v[8];
    for (int i = 0; i < 8; i++) v[i] = rd_i32(p, i);
    if (v[0] || v[1] || v[6] || v[7]) return tf_err(x, "PAD of the batch or channel axis");
    for (int i = 2; i < 6; i++)
        if (v[i] < 0 || v[i] > 4096) return tf_err(x, "padding %d", (int)v[i]);
    int yi = out_act(x, o);
    if (yi < 0) return -1;
    const TfTensor *y = &x->t[o->out[0]];
    if (same_quant(x, xt, y)) return -1;
    Node *n = build_node(&x->b, y->name, OP_PAD, 1, in, yi);
    if (!n) return -1;
    n->pad[0] = v[2], n->pad[2] = v[3], n->pad[1] = v[4], n->pad[3] = v[5];
    n->pad_value = (int32_t)xt->zp[0];
    return 0;
}

static int lower_concat(TfCtx *x, const TfOp *o)
{
    FbTable t;
    if (opts(x, o, 10, &t)) return -1;
    int64_t axis = opt_int(x, t, 0, 4, 0);
    if (opt_int(x, t, 1, 1, 0) != ACT_NONE)
        return tf_err(x, "a fused activation on CONCATENATION is not supported");
    if (o->nin < 1 || o->nin > DORY_MAX_INPUTS)
        return tf_err(x, "%d inputs (at most %d)", o->nin, DORY_MAX_INPUTS);
    int yi = out_act(x, o);
    if (yi < 0) return -1;
    const TfTensor *y = &x->t[o->out[0]];
    if (axis < 0) axis += y->rank;
    if (axis != y->rank - 1) return tf_err(x, "CONCATENATION on an axis other than the last");
    int in[DORY_MAX_INPUTS];
    for (int i = 0; i < o->nin; i++) {
        TfTensor *a = tin(x, o, i);
        if (!a || (in[i] = use_act(x, a)) < 0 || same_quant(x, a, y)) return -1;
    }
    return build_node(&x->b, y->name, OP_CONCAT, o->nin, in, yi) ? 0 : -1;
}

/* QUANTIZE of a float graph input / DEQUANTIZE to a float graph output: the
 * IR graph starts at the int8 tensor / ends at it (inputs and outputs are
 * given and compared as int8). */
static int lower_boundary(TfCtx *x, const TfOp *o)
{
    TfTensor *a = tin(x, o, 0);
    if (!a || o->nout != 1) return -1;
    TfTensor *y = &x->t[o->out[0]];
    if (o->code == B_QUANTIZE && a->type == TF_FLOAT32) {
        if (!a->float_input || y->ir >= 0)
            return tf_err(x, "QUANTIZE of a float tensor is supported on graph inputs only");
        int cur = x->cur;
        x->cur = -1; /* its int8 output becomes the graph input */
        int id = tf_act(x, o->out[0]);
        x->cur = cur;
        return id < 0 ? -1 : 0;
    }
    if (o->code == B_QUANTIZE) return lower_requant(x, o, ACT_NONE);
    if (y->type != TF_FLOAT32 || a->ir < 0) return tf_err(x, "DEQUANTIZE to a non-float tensor");
    y->ir = a->ir; /* the graph output is the int8 tensor */
    return 0;
}

int tf_lower_op(TfCtx *x, int i)
{
    const TfOp *o = &x->ops[i];
    switch (o->code) {
    case B_CONV_2D:
    case B_DEPTHWISE_CONV_2D: return lower_conv(x, o);
    case B_FULLY_CONNECTED: return lower_fc(x, o);
    case B_AVERAGE_POOL_2D:
    case B_MAX_POOL_2D: return lower_pool(x, o);
    case B_MEAN: return lower_mean(x, o);
    case B_ADD: return lower_add(x, o);
    case B_RELU: return lower_requant(x, o, ACT_RELU);
    case B_RELU6: return lower_requant(x, o, ACT_RELU6);
    case B_RELU_N1_TO_1: return lower_requant(x, o, ACT_RELU_N1_TO_1);
    case B_SOFTMAX: return lower_softmax(x, o);
    case B_RESHAPE: return lower_reshape(x, o);
    case B_PAD: return lower_pad(x, o);
    case B_CONCATENATION: return lower_concat(x, o);
    case B_QUANTIZE:
    case B_DEQUANTIZE: return lower_boundary(x, o);
    default: return tf_err(x, "unsupported operator");
    }
}
