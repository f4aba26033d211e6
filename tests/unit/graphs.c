/* graphs.c: the hand-built test graphs of graphs.h.
 *
 * Constants are chosen inside the integer contract: int8 weights, biases of a
 * few hundred, requant scales near 0.01/sqrt(fan-in) so outputs use the range
 * without every value saturating; FIXED multipliers in [2^30, 2^31) with
 * shifts <= 0 (pre = 20 only on add inputs, as TFLite); SHIFT d <= 40. Must
 * not call the verifier or the interpreter: tests do.
 */
#include "graphs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t tg_rand(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

int64_t tg_range(uint32_t *state, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    uint64_t r = ((uint64_t)tg_rand(state) << 32) | tg_rand(state);
    return lo + (int64_t)(span ? r % span : r);
}

int32_t *tg_random_input(const Graph *g, int i, uint32_t seed)
{
    const Tensor *t = graph_tensor(g, g->inputs[i]);
    int64_t n = tensor_numel(t);
    int32_t *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    const DTypeInfo *di = dtype_info(t->dtype);
    uint32_t s = seed * 2654435761u + 12345u;
    for (int64_t k = 0; v && k < n; k++)
        v[k] = (int32_t)tg_range(&s, DORY_MAX(di->min, INT32_MIN), DORY_MIN(di->max, INT32_MAX));
    return v;
}

/* ---- Builder ------------------------------------------------------------ */

typedef struct TB {
    Graph *g;
    uint32_t rng;
    int err;
} TB;

static double tb_unit(TB *b) { return (double)tg_rand(&b->rng) / 4294967296.0; }

static int tb_check(TB *b, int id)
{
    if (id < 0) b->err = 1;
    return id;
}

static char *tb_name(TB *b, const char *base, const char *suffix)
{
    return arena_printf(&b->g->arena, "%s.%s", base, suffix);
}

/* Activation [1,H,W,C]. */
static int tb_act(TB *b, const char *name, DType dt, int64_t h, int64_t w, int64_t c, int32_t zp)
{
    int64_t shape[4] = {1, h, w, c};
    int id = tb_check(b, graph_add_tensor(b->g, name, dt, 4, shape));
    if (id >= 0) b->g->tensors[id]->zp = zp;
    return id;
}

static int tb_input(TB *b, const char *name, DType dt, int64_t h, int64_t w, int64_t c, int32_t zp)
{
    int id = tb_act(b, name, dt, h, w, c, zp);
    if (id >= 0) tb_check(b, graph_add_input(b->g, id));
    return id;
}

static void tb_output(TB *b, int id)
{
    if (id >= 0) tb_check(b, graph_add_output(b->g, id));
}

/* Marks a tensor as an ONNX NCHW tensor (or a flattened one with rank 2). */
static void tb_src_chw(TB *b, int id, int flat)
{
    if (id < 0) return;
    Tensor *t = b->g->tensors[id];
    int64_t h = t->shape[1], w = t->shape[2], c = t->shape[3];
    t->src_layout = SRC_CHW;
    t->src_hwc[0] = h, t->src_hwc[1] = w, t->src_hwc[2] = c;
    if (flat) {
        t->src_rank = 2;
        t->src_shape[0] = 1, t->src_shape[1] = h * w * c;
    } else {
        t->src_rank = 4;
        t->src_shape[0] = 1, t->src_shape[1] = c, t->src_shape[2] = h, t->src_shape[3] = w;
    }
}

static int tb_const(TB *b, const char *name, DType dt, int rank, const int64_t *shape, int64_t lo,
                    int64_t hi)
{
    int id = tb_check(b, graph_add_const(b->g, name, dt, rank, shape, NULL));
    if (id < 0) return id;
    Tensor *t = b->g->tensors[id];
    for (int64_t i = 0; i < tensor_numel(t); i++) tensor_set(t, i, tg_range(&b->rng, lo, hi));
    return id;
}

static void tb_zps(TB *b, int id, int n, int32_t lo, int32_t hi)
{
    if (id < 0) return;
    int32_t *z = arena_alloc_array(&b->g->arena, (size_t)n, sizeof *z);
    if (!z) {
        b->err = 1;
        return;
    }
    for (int i = 0; i < n; i++) z[i] = (int32_t)tg_range(&b->rng, lo, hi);
    b->g->tensors[id]->zps = z;
    b->g->tensors[id]->nzps = n;
}

static Node *tb_node(TB *b, const char *name, Op op, int nin, const int *in, int out)
{
    for (int i = 0; i < nin; i++)
        if (in[i] < 0) b->err = 1;
    if (out < 0) b->err = 1;
    Node *n = b->err ? NULL : graph_add_node(b->g, name, op, nin, in, out);
    if (!n) b->err = 1;
    return n;
}

/* ---- Requantization ----------------------------------------------------- */

typedef enum {
    TQ_SHIFT32,     /* SHIFT, i32 k and l, d = 16 */
    TQ_SHIFT32_NOL, /* SHIFT, i32 k, no l (truncating), d = 14 */
    TQ_SHIFT64,     /* SHIFT, i64 k and l, d = 40 */
    TQ_FIXED,       /* FIXED, pre = 0 */
    TQ_FLOAT,       /* FLOAT */
    TQ_FIXED_SR,    /* FIXED_SR (LiteRT's single rounding) */
    TQ_F32INT,      /* F32INT (FLOAT computed in integers) */
} TQ;

/* Per-channel real scales around `base`, spread by +-25%. */
static void tb_scales(TB *b, double *s, int n, double base)
{
    for (int i = 0; i < n; i++) s[i] = base * (0.75 + 0.5 * tb_unit(b));
}

/* FIXED multiplier and shift of a real scale s in (0, 1): s = m/2^31 * 2^shift. */
static void fixed_of(double s, int32_t *mult, int32_t *shift)
{
    int e;
    double m = frexp(s, &e);
    int64_t q = (int64_t)llround(m * 2147483648.0);
    if (q == ((int64_t)1 << 31)) q /= 2, e++;
    *mult = (int32_t)q;
    *shift = e;
}

static void tb_rq_scales(TB *b, Node *n, Requant *rq, TQ kind, int nch, const double *s, int pre)
{
    int64_t k[64], l[64];
    int32_t m[64], sh[64];
    float f[64];
    int d = kind == TQ_SHIFT64 ? 40 : kind == TQ_SHIFT32 ? 16 : 14;
    DORY_ASSERT(nch <= 64);
    for (int i = 0; i < nch; i++) {
        k[i] = llround(ldexp(s[i], d));
        l[i] = (int64_t)1 << (d - 1);
        fixed_of(s[i], &m[i], &sh[i]);
        f[i] = (float)s[i];
    }
    int rc = 0;
    if (!n) return;
    switch (kind) {
    case TQ_SHIFT32:
    case TQ_SHIFT64: rc = rq_make_shift(b->g, n, rq, nch, k, l, d); break;
    case TQ_SHIFT32_NOL: rc = rq_make_shift(b->g, n, rq, nch, k, NULL, d); break;
    case TQ_FIXED: rc = rq_make_fixed(b->g, n, rq, nch, m, sh, pre); break;
    case TQ_FLOAT: rc = rq_make_float(b->g, n, rq, nch, f); break;
    case TQ_FIXED_SR: rc = rq_make_fixed_sr(b->g, n, rq, nch, m, sh); break;
    case TQ_F32INT:
        rc = rq_make_float(b->g, n, rq, nch, f);
        rq->scheme = RQ_F32INT;
        break;
    }
    if (rc) b->err = 1;
}

static void tb_rq(TB *b, Node *n, TQ kind, int nch, double base)
{
    double s[64];
    DORY_ASSERT(nch <= 64);
    tb_scales(b, s, nch, base);
    if (n) tb_rq_scales(b, n, &n->rq, kind, nch, s, 0);
}

/* ---- Layers ------------------------------------------------------------- */

typedef struct ConvSpec {
    int cout, kh, kw, sh, sw, dh, dw;
    int pad[4];
    int groups;
    int no_bias;
} ConvSpec;

/* conv2d NAME: x -> new tensor NAME.y (dtype ydt, zero point yzp); random
 * int8 weights [Cout,KH,KW,Cin/groups], i32 bias. Returns the node. */
static Node *tb_conv(TB *b, const char *name, int x, const ConvSpec *c, DType ydt, int32_t yzp,
                     int *y)
{
    *y = -1;
    if (x < 0) return b->err = 1, NULL;
    const Tensor *xt = b->g->tensors[x];
    int64_t cin = act_c(xt);
    int64_t oh = conv_out_dim(act_h(xt), c->kh, c->sh, c->dh, c->pad[0], c->pad[2]);
    int64_t ow = conv_out_dim(act_w(xt), c->kw, c->sw, c->dw, c->pad[1], c->pad[3]);
    int64_t wshape[4] = {c->cout, c->kh, c->kw, cin / c->groups};
    int w = tb_const(b, tb_name(b, name, "w"), DT_I8, 4, wshape, -128, 127);
    int64_t bshape[1] = {c->cout};
    int bias = c->no_bias ? -1 : tb_const(b, tb_name(b, name, "b"), DT_I32, 1, bshape, -400, 400);
    *y = tb_act(b, tb_name(b, name, "y"), ydt, oh, ow, c->cout, yzp);
    int in[3] = {x, w, bias};
    Node *n = tb_node(b, name, OP_CONV2D, c->no_bias ? 2 : 3, in, *y);
    if (!n) return NULL;
    n->kernel[0] = c->kh, n->kernel[1] = c->kw;
    n->stride[0] = c->sh, n->stride[1] = c->sw;
    n->dilation[0] = c->dh, n->dilation[1] = c->dw;
    memcpy(n->pad, c->pad, sizeof n->pad);
    n->groups = c->groups;
    return n;
}

static double conv_base_scale(const ConvSpec *c, int64_t cin)
{
    return 0.01 / sqrt((double)(c->kh * c->kw) * (double)(cin / c->groups));
}

/* fc NAME: x (any [1,H,W,C]) -> NAME.y [1,1,1,cout]. */
static Node *tb_fc(TB *b, const char *name, int x, int cout, int bias, DType ydt, int32_t yzp,
                   int *y)
{
    *y = -1;
    if (x < 0) return b->err = 1, NULL;
    int64_t k = tensor_numel(b->g->tensors[x]);
    int64_t wshape[2] = {cout, k};
    int w = tb_const(b, tb_name(b, name, "w"), DT_I8, 2, wshape, -128, 127);
    int64_t bshape[1] = {cout};
    int bi = bias ? tb_const(b, tb_name(b, name, "b"), DT_I32, 1, bshape, -400, 400) : -1;
    *y = tb_act(b, tb_name(b, name, "y"), ydt, 1, 1, cout, yzp);
    int in[3] = {x, w, bi};
    return tb_node(b, name, OP_FC, bias ? 3 : 2, in, *y);
}

static Node *tb_pool(TB *b, const char *name, Op op, int x, int k, int s, int pad, DType ydt,
                     int32_t yzp, int *y)
{
    *y = -1;
    if (x < 0) return b->err = 1, NULL;
    const Tensor *xt = b->g->tensors[x];
    int64_t oh = conv_out_dim(act_h(xt), k, s, 1, pad, pad);
    int64_t ow = conv_out_dim(act_w(xt), k, s, 1, pad, pad);
    *y = tb_act(b, tb_name(b, name, "y"), ydt, oh, ow, act_c(xt), yzp);
    Node *n = tb_node(b, name, op, 1, &x, *y);
    if (!n) return NULL;
    n->kernel[0] = n->kernel[1] = k;
    n->stride[0] = n->stride[1] = s;
    for (int i = 0; i < 4; i++) n->pad[i] = pad;
    return n;
}

static Node *tb_binary(TB *b, const char *name, Op op, int x0, int x1, int y)
{
    int in[2] = {x0, x1};
    return tb_node(b, name, op, 2, in, y);
}

/* ---- The graphs --------------------------------------------------------- */

static const ConvSpec CONV3 = {8, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, 0};

/* conv2d 3x3 s1 pad 1, u8 -> u8, SHIFT per-channel i32 (k, l), clamp
 * tighter than u8, ONNX NCHW source views on input and output. */
static void g_conv3x3(TB *b)
{
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 3), y;
    tb_src_chw(b, x, 0);
    Node *n = tb_conv(b, "conv", x, &CONV3, DT_U8, 0, &y);
    tb_rq(b, n, TQ_SHIFT32, 8, conv_base_scale(&CONV3, 6));
    if (n) n->lo = 0, n->hi = 180;
    tb_src_chw(b, y, 0);
    tb_output(b, y);
}

/* pad (1,1,0,1) with the input zero point, then CONV3 (3x3, pad 1): the
 * fold_pad pass turns the two into one conv with pad (2,2,1,2). */
static void g_pad_conv(TB *b)
{
    int x = tb_input(b, "x", DT_U8, 5, 6, 6, 3), y;
    int p = tb_act(b, "pad.y", DT_U8, 6, 8, 6, 3);
    Node *n = tb_node(b, "pad", OP_PAD, 1, &x, p);
    if (n) n->pad[0] = 1, n->pad[1] = 1, n->pad[2] = 0, n->pad[3] = 1, n->pad_value = 3;
    n = tb_conv(b, "conv", p, &CONV3, DT_U8, 0, &y);
    tb_rq(b, n, TQ_SHIFT32, 8, conv_base_scale(&CONV3, 6));
    tb_output(b, y);
}

/* conv2d 3x3 stride 2, asymmetric pad (0,0,1,1) (TF "SAME"), i8, per-channel
 * weight zero points, FIXED per-channel, nonzero input and output zp. */
static void g_conv_s2_asym(TB *b)
{
    ConvSpec c = {8, 3, 3, 2, 2, 1, 1, {0, 0, 1, 1}, 1, 0};
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, -5), y;
    Node *n = tb_conv(b, "conv", x, &c, DT_I8, 7, &y);
    if (n) tb_zps(b, n->in[1], 8, -4, 4);
    tb_rq(b, n, TQ_FIXED, 8, conv_base_scale(&c, 6));
    tb_output(b, y);
}

/* conv2d 3x3 dilation 2, pad 2, u8 with zp 128, FLOAT per-channel. */
static void g_conv_dilated(TB *b)
{
    ConvSpec c = {8, 3, 3, 1, 1, 2, 2, {2, 2, 2, 2}, 1, 0};
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 128), y;
    Node *n = tb_conv(b, "conv", x, &c, DT_U8, 120, &y);
    tb_rq(b, n, TQ_FLOAT, 8, conv_base_scale(&c, 6));
    tb_output(b, y);
}

/* conv2d 1x1 pointwise, i8, per-tensor weight zero point 3, FLOAT per-tensor. */
static void conv_pointwise(TB *b, TQ kind, int nch)
{
    ConvSpec c = {10, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, 1, 0};
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, 0), y;
    Node *n = tb_conv(b, "conv", x, &c, DT_I8, -2, &y);
    if (n && kind == TQ_FLOAT) b->g->tensors[n->in[1]]->zp = 3;
    tb_rq(b, n, kind, nch, conv_base_scale(&c, 6));
    tb_output(b, y);
}

static void g_conv_pointwise(TB *b) { conv_pointwise(b, TQ_FLOAT, 1); }
/* the same with F32INT per channel */
static void g_conv_f32int(TB *b) { conv_pointwise(b, TQ_F32INT, 10); }

/* depthwise conv2d 3x3 pad 1 (groups = Cin = Cout = 6), i8, SHIFT with i64
 * constants (d = 40). */
static void g_conv_depthwise(TB *b)
{
    ConvSpec c = {6, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 6, 0};
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, 1), y;
    Node *n = tb_conv(b, "dw", x, &c, DT_I8, 1, &y);
    tb_rq(b, n, TQ_SHIFT64, 6, conv_base_scale(&c, 6));
    tb_output(b, y);
}

/* depthwise conv2d with channel multiplier 2 (groups = Cin = 6, Cout = 12),
 * u8, FIXED per-channel. */
static void g_conv_dw_mult2(TB *b)
{
    ConvSpec c = {12, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 6, 0};
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 10), y;
    Node *n = tb_conv(b, "dw", x, &c, DT_U8, 5, &y);
    tb_rq(b, n, TQ_FIXED, 12, conv_base_scale(&c, 6));
    tb_output(b, y);
}

/* grouped conv2d 3x3 (groups = 2, Cin 6, Cout 8), no bias, i8, SHIFT i32
 * without the addend l. */
static void g_conv_grouped(TB *b)
{
    ConvSpec c = {8, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 2, 1};
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, 2), y;
    Node *n = tb_conv(b, "conv", x, &c, DT_I8, -4, &y);
    tb_rq(b, n, TQ_SHIFT32_NOL, 8, conv_base_scale(&c, 6));
    tb_output(b, y);
}

/* 1-D conv: 1x5 kernel on a [1,1,16,4] input, pad (0,2,0,2), FLOAT per-channel. */
static void g_conv_1xk(TB *b)
{
    ConvSpec c = {5, 1, 5, 1, 1, 1, 1, {0, 2, 0, 2}, 1, 0};
    int x = tb_input(b, "x", DT_I8, 1, 16, 4, -1), y;
    Node *n = tb_conv(b, "conv1d", x, &c, DT_I8, 0, &y);
    tb_rq(b, n, TQ_FLOAT, 5, conv_base_scale(&c, 4));
    tb_output(b, y);
}

/* fc from a 1x1xC input, i8, weight zp 2, FIXED per-channel. */
static void g_fc_1x1(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 1, 1, 24, -7), y;
    Node *n = tb_fc(b, "fc", x, 10, 1, DT_I8, 4, &y);
    if (n) b->g->tensors[n->in[1]]->zp = 2;
    tb_rq(b, n, TQ_FIXED, 10, 0.01 / sqrt(24.0));
    tb_output(b, y);
}

/* fc as LiteRT computes it: FIXED_SR per tensor, i8, 40 inputs. */
static void g_fc_fixed_sr(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 1, 1, 40, 9), y;
    Node *n = tb_fc(b, "fc", x, 12, 1, DT_I8, -5, &y);
    tb_rq(b, n, TQ_FIXED_SR, 1, 0.01 / sqrt(40.0));
    tb_output(b, y);
}

/* fc from a flattened 5x7x6 input via reshape (ONNX Flatten: the source
 * views say NCHW [1,6,5,7] -> [1,210] -> [1,16]), u8, SHIFT per-channel i32. */
static void g_fc_flatten(TB *b)
{
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 3), y;
    tb_src_chw(b, x, 0);
    int r = tb_act(b, "flat", DT_U8, 1, 1, 210, 3);
    if (r >= 0) {
        Tensor *t = b->g->tensors[r];
        t->src_layout = SRC_CHW;
        t->src_hwc[0] = 5, t->src_hwc[1] = 7, t->src_hwc[2] = 6;
        t->src_rank = 2, t->src_shape[0] = 1, t->src_shape[1] = 210;
    }
    tb_node(b, "flatten", OP_RESHAPE, 1, &x, r);
    Node *n = tb_fc(b, "fc", r, 16, 1, DT_U8, 0, &y);
    tb_rq(b, n, TQ_SHIFT32, 16, 0.01 / sqrt(210.0));
    tb_src_chw(b, y, 1);
    tb_output(b, y);
}

/* maxpool 2x2 stride 2 (5x7 -> 2x3), u8. */
static void g_maxpool_2x2(TB *b)
{
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 3), y;
    tb_pool(b, "pool", OP_MAXPOOL, x, 2, 2, 0, DT_U8, 3, &y);
    tb_output(b, y);
}

/* maxpool 3x3 stride 1 pad 1, i8, with a ReLU clamp at the zero point. */
static void g_maxpool_3x3(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, -3), y;
    Node *n = tb_pool(b, "pool", OP_MAXPOOL, x, 3, 1, 1, DT_I8, -3, &y);
    if (n) n->lo = -3;
    tb_output(b, y);
}

/* avgpool 3x3 s1 pad 1, AVG_FLOOR, padding not counted, u8. */
static void g_avgpool_floor(TB *b)
{
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 0), y;
    Node *n = tb_pool(b, "pool", OP_AVGPOOL, x, 3, 1, 1, DT_U8, 0, &y);
    if (n) n->avg_round = AVG_FLOOR;
    tb_output(b, y);
}

/* avgpool 3x3 s1 pad 1, AVG_HALF_AWAY (TFLite), padding counted, i8 zp -10. */
static void g_avgpool_half_away(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, -10), y;
    Node *n = tb_pool(b, "pool", OP_AVGPOOL, x, 3, 1, 1, DT_I8, -10, &y);
    if (n) n->avg_round = AVG_HALF_AWAY, n->count_include_pad = true;
    tb_output(b, y);
}

/* avgpool 2x2 s2, AVG_NONE: the SHIFT requant (per tensor) divides by 4. */
static void g_avgpool_none(TB *b)
{
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 7), y;
    Node *n = tb_pool(b, "pool", OP_AVGPOOL, x, 2, 2, 0, DT_U8, 7, &y);
    double s = 0.25;
    if (n) n->avg_round = AVG_NONE, tb_rq_scales(b, n, &n->rq, TQ_SHIFT32, 1, &s, 0);
    tb_output(b, y);
}

/* global avgpool 5x7 -> 1x1, AVG_NONE with FIXED 1/35 per tensor, i8. */
static void g_avgpool_global(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, 1);
    int y = tb_act(b, "gap.y", DT_I8, 1, 1, 6, 1);
    Node *n = tb_node(b, "gap", OP_AVGPOOL, 1, &x, y);
    double s = 1.0 / 35.0;
    if (n) n->global = true, n->avg_round = AVG_NONE;
    if (n) tb_rq_scales(b, n, &n->rq, TQ_FIXED, 1, &s, 0);
    tb_output(b, y);
}

/* add, no input requant; output SHIFT per tensor: (a + b + 1) >> 1, u8. */
static void g_add_none(TB *b)
{
    int a = tb_input(b, "a", DT_U8, 5, 7, 6, 10);
    int c = tb_input(b, "b", DT_U8, 5, 7, 6, 20);
    int y = tb_act(b, "add.y", DT_U8, 5, 7, 6, 15);
    Node *n = tb_binary(b, "add", OP_ADD, a, c, y);
    double s = 0.5;
    if (n) tb_rq_scales(b, n, &n->rq, TQ_SHIFT32, 1, &s, 0);
    tb_output(b, y);
}

/* add with SHIFT requant per input (a with l, b without), no output requant, i8. */
static void g_add_shift(TB *b)
{
    int a = tb_input(b, "a", DT_I8, 5, 7, 6, -3);
    int c = tb_input(b, "b", DT_I8, 5, 7, 6, 4);
    int y = tb_act(b, "add.y", DT_I8, 5, 7, 6, 0);
    Node *n = tb_binary(b, "add", OP_ADD, a, c, y);
    double sa = 0.75, sb = 0.3;
    if (n) tb_rq_scales(b, n, &n->in_rq[0], TQ_SHIFT32, 1, &sa, 0);
    if (n) tb_rq_scales(b, n, &n->in_rq[1], TQ_SHIFT32_NOL, 1, &sb, 0);
    tb_output(b, y);
}

/* TFLite int8 add: inputs FIXED with pre = 20 (left_shift), output FIXED
 * 2*max(sa,sb)/(2^20 sy); scales sa = 0.05, sb = 0.04, sy = 0.08. */
static void g_add_fixed(TB *b)
{
    int a = tb_input(b, "a", DT_I8, 5, 7, 6, -1);
    int c = tb_input(b, "b", DT_I8, 5, 7, 6, 3);
    int y = tb_act(b, "add.y", DT_I8, 5, 7, 6, -2);
    Node *n = tb_binary(b, "add", OP_ADD, a, c, y);
    double sa = 0.05 / 0.1, sb = 0.04 / 0.1, sy = 0.1 / (1048576.0 * 0.08);
    if (n) tb_rq_scales(b, n, &n->in_rq[0], TQ_FIXED, 1, &sa, 20);
    if (n) tb_rq_scales(b, n, &n->in_rq[1], TQ_FIXED, 1, &sb, 20);
    if (n) tb_rq_scales(b, n, &n->rq, TQ_FIXED, 1, &sy, 0);
    tb_output(b, y);
}

/* add with FLOAT requant per input (ONNX QLinearAdd: sa/sy, sb/sy), u8. */
static void g_add_float(TB *b)
{
    int a = tb_input(b, "a", DT_U8, 5, 7, 6, 128);
    int c = tb_input(b, "b", DT_U8, 5, 7, 6, 120);
    int y = tb_act(b, "add.y", DT_U8, 5, 7, 6, 125);
    Node *n = tb_binary(b, "add", OP_ADD, a, c, y);
    double sa = 0.6, sb = 0.45;
    if (n) tb_rq_scales(b, n, &n->in_rq[0], TQ_FLOAT, 1, &sa, 0);
    if (n) tb_rq_scales(b, n, &n->in_rq[1], TQ_FLOAT, 1, &sb, 0);
    tb_output(b, y);
}

/* add with onnxruntime's QLinearAdd formula (QLADD, or QLADD_INT: the same
 * in integers): s_a, s_b and c = zc - fma(s_a, za, s_b*zb). */
static void add_qladd(TB *b, RqScheme scheme)
{
    int a = tb_input(b, "a", DT_U8, 5, 7, 6, 128);
    int c = tb_input(b, "b", DT_U8, 5, 7, 6, 120);
    int y = tb_act(b, "add.y", DT_U8, 5, 7, 6, 125);
    Node *n = tb_binary(b, "add", OP_ADD, a, c, y);
    float s[3] = {0.6f, 0.45f, 0};
    volatile float zb = 120.0f * s[1];
    volatile float zab = fmaf(s[0], 128.0f, zb);
    s[2] = 125.0f - zab;
    if (!n) return;
    if (rq_make_float(b->g, n, &n->rq, 3, s)) b->err = 1;
    n->rq.scheme = scheme;
    tb_output(b, y);
}

static void g_add_qladd(TB *b) { add_qladd(b, RQ_QLADD); }
static void g_add_qladd_int(TB *b) { add_qladd(b, RQ_QLADD_INT); }

/* mul (squeeze-excitation's): x [5,7,6] u8 times a one-pixel gate [1,1,6],
 * QLMUL (or QLMUL_INT) with the output zero point inside, clamp tightened. */
static void mul_qlmul(TB *b, RqScheme scheme)
{
    int a = tb_input(b, "x", DT_U8, 5, 7, 6, 3);
    int c = tb_input(b, "gate", DT_U8, 1, 1, 6, 0);
    int y = tb_act(b, "mul.y", DT_U8, 5, 7, 6, 17);
    Node *n = tb_binary(b, "mul", OP_MUL, a, c, y);
    float s[2] = {0.0059f, 17.0f};
    if (!n) return;
    if (rq_make_float(b->g, n, &n->rq, 2, s)) b->err = 1;
    n->rq.scheme = scheme;
    n->lo = 17;
    tb_output(b, y);
}

static void g_mul_qlmul(TB *b) { mul_qlmul(b, RQ_QLMUL); }
static void g_mul_qlmul_int(TB *b) { mul_qlmul(b, RQ_QLMUL_INT); }

/* mul of two i8 activations of one shape, SHIFT per channel. */
static void g_mul_shift(TB *b)
{
    int a = tb_input(b, "a", DT_I8, 4, 6, 5, -3);
    int c = tb_input(b, "b", DT_I8, 4, 6, 5, 9);
    int y = tb_act(b, "mul.y", DT_I8, 4, 6, 5, 2);
    Node *n = tb_binary(b, "mul", OP_MUL, a, c, y);
    tb_rq(b, n, TQ_SHIFT32, 5, 0.004);
    tb_output(b, y);
}

/* residual block: conv 3x3 (FIXED) then add(conv, x) as TFLite (FIXED pre 20). */
static void g_residual(TB *b)
{
    ConvSpec c = CONV3;
    c.cout = 6;
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, -2), y;
    Node *n = tb_conv(b, "conv", x, &c, DT_I8, 3, &y);
    tb_rq(b, n, TQ_FIXED, 6, conv_base_scale(&c, 6));
    int s = tb_act(b, "add.y", DT_I8, 5, 7, 6, 0);
    Node *a = tb_binary(b, "add", OP_ADD, y, x, s);
    double sa = 0.5, sb = 0.35, sy = 1.0 / (1048576.0 * 0.9);
    if (a) tb_rq_scales(b, a, &a->in_rq[0], TQ_FIXED, 1, &sa, 20);
    if (a) tb_rq_scales(b, a, &a->in_rq[1], TQ_FIXED, 1, &sb, 20);
    if (a) tb_rq_scales(b, a, &a->rq, TQ_FIXED, 1, &sy, 0);
    tb_output(b, s);
}

/* concat of two graph inputs on channels (3 + 4), u8 zp 5. */
static void g_concat2(TB *b)
{
    int a = tb_input(b, "a", DT_U8, 5, 7, 3, 5);
    int c = tb_input(b, "b", DT_U8, 5, 7, 4, 5);
    int y = tb_act(b, "cat.y", DT_U8, 5, 7, 7, 5);
    tb_binary(b, "cat", OP_CONCAT, a, c, y);
    tb_output(b, y);
}

/* concat of three 1x1 conv branches (SHIFT, FIXED, FLOAT) of one input, i8. */
static void g_concat3(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, 0), y[3];
    static const char *const names[3] = {"br0", "br1", "br2"};
    static const TQ kinds[3] = {TQ_SHIFT32, TQ_FIXED, TQ_FLOAT};
    for (int i = 0; i < 3; i++) {
        ConvSpec c = {2 + i, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, 1, 0};
        Node *n = tb_conv(b, names[i], x, &c, DT_I8, -3, &y[i]);
        tb_rq(b, n, kinds[i], c.cout, conv_base_scale(&c, 6));
    }
    int out = tb_act(b, "cat.y", DT_I8, 5, 7, 9, -3);
    tb_node(b, "cat", OP_CONCAT, 3, y, out);
    tb_output(b, out);
}

/* requant node u8 (zp 128) -> i8 (zp -1), SHIFT per-channel. */
static void g_requant(TB *b)
{
    int x = tb_input(b, "x", DT_U8, 5, 7, 6, 128);
    int y = tb_act(b, "rq.y", DT_I8, 5, 7, 6, -1);
    Node *n = tb_node(b, "rq", OP_REQUANT, 1, &x, y);
    double s[6];
    tb_scales(b, s, 6, 0.9);
    if (n) tb_rq_scales(b, n, &n->rq, TQ_SHIFT32, 6, s, 0);
    tb_output(b, y);
}

/* requant node i8 (zp 3) -> u8 (zp 10) with a lut: a table of 256 values
 * (a made-up function, some entries beyond the clamp). */
static void g_requant_lut(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 3, 5, 4, 3);
    int y = tb_act(b, "f.y", DT_U8, 3, 5, 4, 10);
    Node *n = tb_node(b, "f", OP_REQUANT, 1, &x, y);
    int64_t t[256];
    for (int i = 0; i < 256; i++) t[i] = (i * i) % 263 - 20;
    if (n && rq_make_lut(b->g, n, &n->rq, 256, t, -128 - 3)) n = NULL;
    tb_output(b, y);
}

/* reshape [1,5,7,6] -> [1,35,1,6], i8 (storage order kept). */
static void g_reshape(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 5, 7, 6, 4);
    int y = tb_act(b, "r.y", DT_I8, 35, 1, 6, 4);
    tb_node(b, "r", OP_RESHAPE, 1, &x, y);
    tb_output(b, y);
}

/* int8 softmax over 10 channels (TFLite): input scale 0.1, beta 1 gives
 * multiplier 1717986918, left shift 23, diff_min -248; output zp -128. */
static void g_softmax(TB *b)
{
    int x = tb_input(b, "x", DT_I8, 1, 1, 10, 5);
    int y = tb_act(b, "sm.y", DT_I8, 1, 1, 10, -128);
    Node *n = tb_node(b, "sm", OP_SOFTMAX, 1, &x, y);
    if (n) n->sm_mult = 1717986918, n->sm_shift = 23, n->sm_diff_min = -248;
    tb_output(b, y);
}

/* a small network: conv s2 (NCHW u8 input, ReLU clamp) -> depthwise -> pointwise
 * -> global avgpool -> fc -> softmax, mixing every requant scheme. */
static void g_tiny_net(TB *b)
{
    int x = tb_input(b, "input", DT_U8, 8, 8, 3, 128), y1, y2, y3, y5;
    tb_src_chw(b, x, 0);
    ConvSpec c1 = {8, 3, 3, 2, 2, 1, 1, {0, 0, 1, 1}, 1, 0};
    Node *n = tb_conv(b, "conv1", x, &c1, DT_U8, 0, &y1);
    tb_rq(b, n, TQ_FLOAT, 8, conv_base_scale(&c1, 3));
    ConvSpec c2 = {8, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 8, 0};
    n = tb_conv(b, "dw2", y1, &c2, DT_U8, 0, &y2);
    tb_rq(b, n, TQ_SHIFT32, 8, conv_base_scale(&c2, 8) * 2);
    ConvSpec c3 = {16, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, 1, 0};
    n = tb_conv(b, "pw3", y2, &c3, DT_I8, -128, &y3);
    tb_rq(b, n, TQ_FIXED, 16, conv_base_scale(&c3, 8));
    if (n) n->lo = -128; /* ReLU on i8 with zp -128 */
    int y4 = tb_act(b, "gap.y", DT_I8, 1, 1, 16, -128);
    n = tb_node(b, "gap", OP_AVGPOOL, 1, &y3, y4);
    if (n) n->global = true, n->avg_round = AVG_HALF_AWAY;
    n = tb_fc(b, "fc", y4, 10, 1, DT_I8, 5, &y5);
    tb_rq(b, n, TQ_SHIFT64, 10, 0.01 / 4.0);
    int y6 = tb_act(b, "prob", DT_I8, 1, 1, 10, -128);
    n = tb_node(b, "softmax", OP_SOFTMAX, 1, &y5, y6);
    if (n) n->sm_mult = 1717986918, n->sm_shift = 23, n->sm_diff_min = -248;
    tb_src_chw(b, y6, 1);
    tb_output(b, y6);
}

static const struct {
    const char *name;
    void (*build)(TB *b);
} graphs[] = {
    {"conv3x3", g_conv3x3},
    {"conv_s2_asym", g_conv_s2_asym},
    {"pad_conv", g_pad_conv},
    {"conv_dilated", g_conv_dilated},
    {"conv_pointwise", g_conv_pointwise},
    {"conv_depthwise", g_conv_depthwise},
    {"conv_dw_mult2", g_conv_dw_mult2},
    {"conv_grouped", g_conv_grouped},
    {"conv_1xk", g_conv_1xk},
    {"fc_1x1", g_fc_1x1},
    {"fc_flatten", g_fc_flatten},
    {"maxpool_2x2", g_maxpool_2x2},
    {"maxpool_3x3", g_maxpool_3x3},
    {"avgpool_floor", g_avgpool_floor},
    {"avgpool_half_away", g_avgpool_half_away},
    {"avgpool_none", g_avgpool_none},
    {"avgpool_global", g_avgpool_global},
    {"add_none", g_add_none},
    {"add_shift", g_add_shift},
    {"add_fixed", g_add_fixed},
    {"add_float", g_add_float},
    {"add_qladd", g_add_qladd},
    {"add_qladd_int", g_add_qladd_int},
    {"mul_qlmul", g_mul_qlmul},
    {"mul_qlmul_int", g_mul_qlmul_int},
    {"mul_shift", g_mul_shift},
    {"conv_f32int", g_conv_f32int},
    {"residual", g_residual},
    {"concat2", g_concat2},
    {"concat3", g_concat3},
    {"requant", g_requant},
    {"requant_lut", g_requant_lut},
    {"reshape", g_reshape},
    {"softmax", g_softmax},
    {"tiny_net", g_tiny_net},
    {"fc_fixed_sr", g_fc_fixed_sr},
};

int test_graph_count(void) { return (int)DORY_ARRAY_LEN(graphs); }

Graph *test_graph_build(int i, const char **name)
{
    if (i < 0 || i >= test_graph_count()) return NULL;
    if (name) *name = graphs[i].name;
    TB b = {graph_new(graphs[i].name), 0x2545f491u + 977u * (uint32_t)i, 0};
    if (!b.g) return NULL;
    graphs[i].build(&b);
    if (b.err || graph_finalize(b.g)) {
        diag_error(DIAG_NOLOC, "test graph '%s' failed to build", graphs[i].name);
        graph_free(b.g);
        return NULL;
    }
    return b.g;
}

Graph *test_graph_by_name(const char *name)
{
    for (int i = 0; i < test_graph_count(); i++)
        if (strcmp(graphs[i].name, name) == 0) return test_graph_build(i, NULL);
    return NULL;
}
