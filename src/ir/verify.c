/* verify.c: checks a graph against the IR's conventions and the integer
 * contract, and proves which arithmetic width each node needs.
 *
 * The overflow rule: for every output channel, bound the accumulator from the
 * input range (producer's clamp, else the dtype range), the actual weights and
 * bias and the kernel size (padded taps add exactly 0); it must fit int32.
 * Then bound the requant product (SHIFT: k*acc and k*acc + l; FIXED:
 * acc << left): 32-bit arithmetic where every intermediate fits int32, 64-bit
 * where it fits int64, otherwise the node is rejected with the channel and
 * the offending bound (an add's input requants: the same rule on the input's
 * range minus its zero point, Node.in_arith). The only change made to the
 * graph is Node.arith, Node.in_arith and Node.acc_min/acc_max.
 */
#include "verify.h"

#include <math.h>
#include <string.h>

#include "quant.h"

typedef struct Range {
    int64_t lo, hi;
} Range;

/* ---- Input ranges ------------------------------------------------------- */

static Range tensor_range(const Graph *g, int id, int depth)
{
    const Tensor *t = graph_tensor(g, id);
    const DTypeInfo *di = dtype_info(t->dtype);
    Range r = {di->min, di->max};
    if (t->producer < 0 || depth > 64) return r;
    const Node *p = g->nodes[t->producer];
    if (op_info(p->op)->has_epilogue) {
        r.lo = DORY_MAX(r.lo, p->lo);
        r.hi = DORY_MIN(r.hi, p->hi);
    } else if (p->op == OP_RESHAPE) {
        r = tensor_range(g, p->in[0], depth + 1);
    } else if (p->op == OP_PAD) {
        r = tensor_range(g, p->in[0], depth + 1);
        r.lo = DORY_MIN(r.lo, p->pad_value);
        r.hi = DORY_MAX(r.hi, p->pad_value);
    } else if (p->op == OP_CONCAT) {
        r = tensor_range(g, p->in[0], depth + 1);
        for (int i = 1; i < p->nin; i++) {
            Range q = tensor_range(g, p->in[i], depth + 1);
            r.lo = DORY_MIN(r.lo, q.lo);
            r.hi = DORY_MAX(r.hi, q.hi);
        }
    }
    return r;
}

void verify_input_range(const Graph *g, int tensor, int64_t *lo, int64_t *hi)
{
    Range r = tensor_range(g, tensor, 0);
    *lo = r.lo;
    *hi = r.hi;
}

/* ---- Helpers ------------------------------------------------------------ */

typedef struct Ctx {
    Graph *g;
    const Node *n;
    DiagLoc loc;
    int errors;
} Ctx;

#define FAIL(cx, ...) ((cx)->errors++, diag_error((cx)->loc, __VA_ARGS__))

static const Tensor *in_tensor(Ctx *cx, int i) { return graph_tensor(cx->g, cx->n->in[i]); }

static int is_act(const Tensor *t) { return t && !t->is_const; }

static int check_act(Ctx *cx, const Tensor *t, const char *what)
{
    if (!is_act(t)) return FAIL(cx, "%s must be an activation tensor", what);
    if (t->rank != 4 || t->shape[0] != 1)
        return FAIL(cx, "%s '%s' must be rank-4 NHWC with N = 1", what, t->name);
    if (!dtype_info(t->dtype)->activation_ok)
        return FAIL(cx, "%s '%s' has dtype %s, not an activation dtype", what, t->name,
                    dtype_name(t->dtype));
    return 0;
}

static int same_shape(const Tensor *a, const Tensor *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static int check_out_shape(Ctx *cx, const Tensor *y, int64_t h, int64_t w, int64_t c)
{
    if (y->shape[1] != h || y->shape[2] != w || y->shape[3] != c)
        return FAIL(cx, "output '%s' is [1,%lld,%lld,%lld]; the op gives [1,%lld,%lld,%lld]",
                    y->name, (long long)y->shape[1], (long long)y->shape[2], (long long)y->shape[3],
                    (long long)h, (long long)w, (long long)c);
    return 0;
}

/* ---- Requant ------------------------------------------------------------ */

static int check_rq_const(Ctx *cx, int id, const char *what, DType a, DType b, int64_t nch)
{
    const Tensor *t = graph_tensor(cx->g, id);
    if (!t) return FAIL(cx, "requant constant '%s' is missing", what);
    if (!t->is_const) return FAIL(cx, "requant %s '%s' must be constant", what, t->name);
    if (t->dtype != a && t->dtype != b)
        return FAIL(cx, "requant %s '%s' has dtype %s, expected %s", what, t->name,
                    dtype_name(t->dtype), dtype_name(a));
    int64_t n = tensor_numel(t);
    if (n != 1 && n != nch)
        return FAIL(cx, "requant %s '%s' has %lld values, expected 1 or %lld", what, t->name,
                    (long long)n, (long long)nch);
    return 0;
}

static int check_rq(Ctx *cx, const Requant *rq, int64_t nch)
{
    const Graph *g = cx->g;
    switch (rq->scheme) {
    case RQ_NONE: return 0;
    case RQ_SHIFT:
        if (check_rq_const(cx, rq->k, "k", DT_I32, DT_I64, nch)) return -1;
        if (rq->l >= 0 && check_rq_const(cx, rq->l, "l", DT_I32, DT_I64, nch)) return -1;
        if (rq->d < 0 || rq->d > 63) return FAIL(cx, "requant shift d = %d outside 0..63", rq->d);
        return 0;
    case RQ_FIXED:
    case RQ_FIXED_SR: {
        if (check_rq_const(cx, rq->mult, "mult", DT_I32, DT_I32, nch) ||
            check_rq_const(cx, rq->shift, "shift", DT_I32, DT_I32, nch))
            return -1;
        if (rq->pre < 0 || rq->pre > 31)
            return FAIL(cx, "requant pre-shift %d outside 0..31", rq->pre);
        const Tensor *m = graph_tensor(g, rq->mult), *s = graph_tensor(g, rq->shift);
        for (int64_t i = 0; i < tensor_numel(m); i++)
            if (tensor_get(m, i) < 0)
                return FAIL(cx, "requant multiplier %lld is negative", (long long)tensor_get(m, i));
        if (rq->scheme == RQ_FIXED_SR && rq->pre != 0)
            return FAIL(cx, "requant fixed_sr takes no pre-shift (pre %d)", rq->pre);
        int smax = rq->scheme == RQ_FIXED_SR ? 30 : 31; /* FIXED_SR: 31 - shift in 1..62 */
        for (int64_t i = 0; i < tensor_numel(s); i++) {
            int64_t v = tensor_get(s, i);
            if (v < -31 || v > smax || rq->pre + (v > 0 ? v : 0) > 31)
                return FAIL(cx, "requant shift %lld (pre %d) outside -31..%d", (long long)v,
                            rq->pre, smax);
        }
        return 0;
    }
    case RQ_QLADD:
    case RQ_QLADD_INT:
        if (cx->n->op != OP_ADD)
            return FAIL(cx, "requant scheme %s is for add nodes only", rq_scheme_name(rq->scheme));
        nch = 3; /* s_a, s_b, c: checked like FLOAT's per-channel scales */
        goto scales;
    case RQ_QLMUL:
    case RQ_QLMUL_INT:
        if (cx->n->op != OP_MUL || &cx->n->rq != rq)
            return FAIL(cx, "requant scheme %s is for mul nodes only", rq_scheme_name(rq->scheme));
        nch = 2; /* s, zc */
        goto scales;
    case RQ_FLOAT:
    case RQ_F32INT:
    scales : {
        if (check_rq_const(cx, rq->scale, "scale", DT_F32, DT_F32, nch)) return -1;
        if (rq->scheme == RQ_F32INT && (rq->k >= 0 || rq->l >= 0)) {
            if (rq->k < 0 || rq->l < 0)
                return FAIL(cx, "requant f32int: k and l come together (a proven shortcut)");
            if (check_rq_const(cx, rq->k, "k", DT_I32, DT_I32, nch) ||
                check_rq_const(cx, rq->l, "l", DT_I32, DT_I64, nch))
                return -1;
            if (rq->d < 32 || rq->d > 62)
                return FAIL(cx, "requant f32int shortcut d = %d outside 32..62", rq->d);
        }
        int nq = rq_is_qladd(rq->scheme) ? 3 : rq_is_qlmul(rq->scheme) ? 2 : 0;
        if (nq && tensor_numel(graph_tensor(g, rq->scale)) != nq)
            return FAIL(cx, "requant %s needs %d scale values", rq_scheme_name(rq->scheme), nq);
        const Tensor *s = graph_tensor(g, rq->scale);
        for (int64_t i = 0; i < tensor_numel(s); i++)
            if (!isfinite(tensor_get_f32(s, i)))
                return FAIL(cx, "requant scale %lld is not finite", (long long)i);
        return 0;
    }
    case RQ_LUT: {
        const Tensor *t = graph_tensor(g, rq->table);
        if (cx->n->op != OP_REQUANT || &cx->n->rq != rq)
            return FAIL(cx, "a lut requant is element-wise: only a requant node's output");
        if (!t || !t->is_const || t->dtype != DT_I32 || t->rank != 1 || tensor_numel(t) < 1 ||
            tensor_numel(t) > 256)
            return FAIL(cx, "lut table must be an i32 constant of 1 to 256 entries");
        return 0;
    }
    case RQ_COUNT: break;
    }
    return FAIL(cx, "unknown requant scheme");
}

static int fits32(__int128 v) { return v >= INT32_MIN && v <= INT32_MAX; }
static int fits64(__int128 v) { return v >= INT64_MIN && v <= INT64_MAX; }

/* Width needed by one channel's requant of acc in [lo, hi]; -1 if none. */
static int rq_width(Ctx *cx, const RqChan *r, Range acc, int64_t ch, Arith *arith)
{
    if (r->scheme == RQ_SHIFT) {
        __int128 p[2] = {(__int128)r->k * acc.lo, (__int128)r->k * acc.hi};
        int w32 = fits32(r->k) && fits32(r->l), w64 = 1;
        for (int i = 0; i < 2; i++) {
            __int128 s = p[i] + r->l;
            w32 &= fits32(p[i]) && fits32(s);
            w64 &= fits64(p[i]) && fits64(s);
        }
        if (!w64)
            return FAIL(cx,
                        "channel %lld: requant k*acc + l overflows 64 bits (k = %lld, l = %lld, "
                        "acc in [%lld, %lld])",
                        (long long)ch, (long long)r->k, (long long)r->l, (long long)acc.lo,
                        (long long)acc.hi);
        if (!w32) *arith = ARITH_64;
        return 0;
    }
    if (r->scheme == RQ_LUT && (acc.lo < r->base || acc.hi - r->base >= r->ntable))
        return FAIL(cx, "the lut input [%lld, %lld] leaves its table [%d, %d]", (long long)acc.lo,
                    (long long)acc.hi, r->base, r->base + r->ntable - 1);
    if (r->scheme != RQ_NONE && (!fits32(acc.lo) || !fits32(acc.hi)))
        return FAIL(cx, "channel %lld: the requant input [%lld, %lld] leaves int32", (long long)ch,
                    (long long)acc.lo, (long long)acc.hi);
    /* FIXED_SR: acc * mult stays below 2^62 in magnitude for
     * int32 acc and mult: the product needs 64 bits, never more. */
    if (r->scheme == RQ_FIXED_SR) *arith = ARITH_64;
    if (r->scheme == RQ_FIXED) {
        int left = r->pre + (r->shift > 0 ? r->shift : 0);
        __int128 a = (__int128)acc.lo * ((__int128)1 << left),
                 b = (__int128)acc.hi * ((__int128)1 << left);
        if (!fits32(a) || !fits32(b))
            return FAIL(cx, "channel %lld: acc << %d leaves int32 (acc in [%lld, %lld])",
                        (long long)ch, left, (long long)acc.lo, (long long)acc.hi);
    }
    return 0;
}

/* Range of rq(v) for v in r: every scheme is monotonic in v. */
static Range rq_range(const RqChan *q, Range r)
{
    int64_t a = rq_apply(q, r.lo), b = rq_apply(q, r.hi);
    Range o = {DORY_MIN(a, b), DORY_MAX(a, b)};
    for (int64_t v = r.lo; q->scheme == RQ_LUT && v <= r.hi; v++) /* not monotonic */
        o.lo = DORY_MIN(o.lo, rq_apply(q, v)), o.hi = DORY_MAX(o.hi, rq_apply(q, v));
    return o;
}

/* F32INT's shortcut of one channel: (k*acc + l) >> d within 64 bits and
 * equal to FLOAT within the node's clamp on the channel's range. */
static int check_shortcut(Ctx *cx, const RqChan *r, Range acc, int64_t ch)
{
    const Tensor *y = graph_tensor(cx->g, cx->n->out);
    int64_t zp = y ? y->zp : 0;
    for (int i = 0; i < 2; i++) {
        __int128 v = (__int128)r->k * (i ? acc.hi : acc.lo) + r->l;
        if (!fits64(v))
            return FAIL(cx, "channel %lld: f32int shortcut k*acc + l overflows 64 bits",
                        (long long)ch);
    }
    if (!q_shift_equals_float(r->scale, r->k, r->l, r->d, acc.lo, acc.hi,
                              (int64_t)cx->n->lo - zp + 1, (int64_t)cx->n->hi - zp))
        return FAIL(cx,
                    "channel %lld: f32int shortcut (%lld*acc + %lld) >> %d differs from "
                    "float within the clamp on acc in [%lld, %lld]",
                    (long long)ch, (long long)r->k, (long long)r->l, r->d, (long long)acc.lo,
                    (long long)acc.hi);
    return 0;
}

/* Checks the accumulator of each channel and the output requant. */
static int check_epilogue(Ctx *cx, const Range *acc, int64_t nch)
{
    Node *n = (Node *)cx->n;
    Arith arith = ARITH_32;
    n->acc_min = INT64_MAX;
    n->acc_max = INT64_MIN;
    for (int64_t c = 0; c < nch; c++) {
        if (!fits32(acc[c].lo) || !fits32(acc[c].hi))
            return FAIL(cx, "channel %lld: the accumulator can reach [%lld, %lld], beyond int32",
                        (long long)c, (long long)acc[c].lo, (long long)acc[c].hi);
        n->acc_min = DORY_MIN(n->acc_min, acc[c].lo);
        n->acc_max = DORY_MAX(n->acc_max, acc[c].hi);
        RqChan r = rq_channel(cx->g, &n->rq, c);
        if (rq_width(cx, &r, acc[c], c, &arith)) return -1;
        if (r.scheme == RQ_F32INT && r.k != 0 && check_shortcut(cx, &r, acc[c], c)) return -1;
    }
    n->arith = arith;
    return 0;
}

/* ---- Ops ---------------------------------------------------------------- */

static Range act_delta(Ctx *cx, int i)
{
    const Tensor *t = in_tensor(cx, i);
    Range r = tensor_range(cx->g, t->id, 0);
    r.lo -= t->zp;
    r.hi -= t->zp;
    return r;
}

/* Accumulator bounds of conv/fc: bias + sum over taps of the extreme
 * products, each tap also allowed 0 (a padded tap). */
static void weighted_acc(const Tensor *w, const Tensor *b, int64_t per, Range x, Range *acc)
{
    int64_t cout = w->shape[0];
    for (int64_t c = 0; c < cout; c++) {
        int64_t zw = tensor_zp_at(w, c);
        __int128 lo = b ? tensor_get(b, c) : 0, hi = lo;
        for (int64_t k = 0; k < per; k++) {
            int64_t wv = tensor_get(w, c * per + k) - zw;
            int64_t p1 = x.lo * wv, p2 = x.hi * wv;
            lo += DORY_MIN(0, DORY_MIN(p1, p2));
            hi += DORY_MAX(0, DORY_MAX(p1, p2));
        }
        acc[c].lo = (int64_t)DORY_MAX(lo, (__int128)(INT64_MIN / 2));
        acc[c].hi = (int64_t)DORY_MIN(hi, (__int128)(INT64_MAX / 2));
    }
}

static int check_weights(Ctx *cx, const Tensor *w, int rank, int64_t cout)
{
    if (!w || !w->is_const || w->rank != rank)
        return FAIL(cx, "weights must be a constant rank-%d tensor", rank);
    if (w->dtype == DT_I32 || w->dtype == DT_I64 || w->dtype == DT_F32)
        return FAIL(cx, "weights '%s' have dtype %s; expected an 8-bit or narrower integer",
                    w->name, dtype_name(w->dtype));
    if (w->shape[0] != cout)
        return FAIL(cx, "weights '%s' have %lld output channels, the output has %lld", w->name,
                    (long long)w->shape[0], (long long)cout);
    if (w->zps && w->nzps != 1 && w->nzps != cout)
        return FAIL(cx, "weights '%s' have %d zero points for %lld channels", w->name, w->nzps,
                    (long long)cout);
    const DTypeInfo *di = dtype_info(w->dtype);
    for (int i = 0; i < (w->zps ? w->nzps : 0); i++)
        if (w->zps[i] < di->min || w->zps[i] > di->max)
            return FAIL(cx, "weight zero point %d outside %s", w->zps[i], di->name);
    return 0;
}

static const Tensor *check_bias(Ctx *cx, int64_t cout)
{
    if (cx->n->nin < 3 || cx->n->in[2] < 0) return NULL;
    const Tensor *b = in_tensor(cx, 2);
    if (!b->is_const || b->dtype != DT_I32 || tensor_numel(b) != cout) {
        FAIL(cx, "bias '%s' must be a constant i32 tensor of %lld values", b->name,
             (long long)cout);
        return NULL;
    }
    return b;
}

static int check_window(Ctx *cx, int kh, int kw, const int *stride, const int *dil, const int *pad)
{
    const Node *n = cx->n;
    if (kh < 1 || kw < 1 || stride[0] < 1 || stride[1] < 1 || dil[0] < 1 || dil[1] < 1)
        return FAIL(cx, "kernel, stride and dilation must be at least 1");
    if (kh > 4096 || kw > 4096 || stride[0] > 4096 || stride[1] > 4096 || dil[0] > 4096 ||
        dil[1] > 4096)
        return FAIL(cx, "absurd kernel, stride or dilation");
    int span[2] = {dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1};
    /* a conv's padding may exceed its window (outputs of padding only are
     * requant(bias)); a pool window must always see the input */
    int conv = n->op == OP_CONV2D;
    for (int i = 0; i < 4; i++)
        if (pad[i] < 0 || pad[i] > 4096 || (!conv && pad[i] >= span[i % 2]))
            return FAIL(cx, "padding %d is negative or not smaller than the kernel extent %d",
                        pad[i], span[i % 2]);
    return 0;
}

static int verify_conv(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *x = in_tensor(cx, 0), *w = in_tensor(cx, 1), *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, x, "input") || check_act(cx, y, "output")) return -1;
    int64_t cout = act_c(y), cin = act_c(x);
    if (check_weights(cx, w, 4, cout)) return -1;
    if (n->groups < 1 || cin % n->groups || cout % n->groups)
        return FAIL(cx, "groups = %d must divide input (%lld) and output (%lld) channels",
                    n->groups, (long long)cin, (long long)cout);
    if (w->shape[3] != cin / n->groups)
        return FAIL(cx, "weights '%s' have %lld input channels per group, expected %lld", w->name,
                    (long long)w->shape[3], (long long)(cin / n->groups));
    int kh = (int)w->shape[1], kw = (int)w->shape[2];
    if (check_window(cx, kh, kw, n->stride, n->dilation, n->pad)) return -1;
    int64_t oh = conv_out_dim(act_h(x), kh, n->stride[0], n->dilation[0], n->pad[0], n->pad[2]);
    int64_t ow = conv_out_dim(act_w(x), kw, n->stride[1], n->dilation[1], n->pad[1], n->pad[3]);
    if (oh < 1 || ow < 1) return FAIL(cx, "the kernel is larger than the padded input");
    if (check_out_shape(cx, y, oh, ow, cout)) return -1;
    const Tensor *b = check_bias(cx, cout);
    if (cx->errors) return -1;
    if (check_rq(cx, &n->rq, cout)) return -1;
    Range *acc = arena_alloc_array(&cx->g->arena, (size_t)cout, sizeof(Range));
    if (!acc) return -1;
    weighted_acc(w, b, kh * kw * w->shape[3], act_delta(cx, 0), acc);
    return check_epilogue(cx, acc, cout);
}

static int verify_fc(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *x = in_tensor(cx, 0), *w = in_tensor(cx, 1), *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, x, "input") || check_act(cx, y, "output")) return -1;
    int64_t cout = act_c(y);
    if (check_weights(cx, w, 2, cout)) return -1;
    if (w->shape[1] != tensor_numel(x))
        return FAIL(cx, "weights '%s' take %lld inputs; the input has %lld elements", w->name,
                    (long long)w->shape[1], (long long)tensor_numel(x));
    if (check_out_shape(cx, y, 1, 1, cout)) return -1;
    const Tensor *b = check_bias(cx, cout);
    if (cx->errors || check_rq(cx, &n->rq, cout)) return -1;
    Range *acc = arena_alloc_array(&cx->g->arena, (size_t)cout, sizeof(Range));
    if (!acc) return -1;
    weighted_acc(w, b, w->shape[1], act_delta(cx, 0), acc);
    return check_epilogue(cx, acc, cout);
}

/* AVG_ORT: the table of ir/quant.h, with thresholds for every count the
 * windows have; no requant after it. */
static int check_avg_ort(Ctx *cx, const Tensor *x, int kh, int kw)
{
    const Node *n = cx->n;
    const Tensor *t = graph_tensor(cx->g, n->avg_table);
    int K = kh * kw;
    if (n->op != OP_AVGPOOL || n->rq.scheme != RQ_NONE)
        return FAIL(cx, "avg_round ort is for an avgpool without requant");
    if (!t || !t->is_const || t->dtype != DT_I64 || tensor_numel(t) < Q_AVG_ORT_HEAD + K ||
        tensor_get(t, 256) != K)
        return FAIL(cx, "avg_round ort needs avg_table, an i64 constant for %d counts", K);
    char *used = arena_alloc(&cx->g->arena, (size_t)K + 1);
    if (!used) return -1;
    q_avg_counts(act_h(x), act_w(x), kh, kw, n->stride, n->pad, n->count_include_pad, used);
    for (int k = 1; k <= K; k++) {
        int64_t off = tensor_get(t, Q_AVG_ORT_HEAD + k - 1);
        if (used[k] && (off < Q_AVG_ORT_HEAD + K || off + (n->hi - n->lo) > tensor_numel(t)))
            return FAIL(cx, "avg_table has no thresholds for windows of %d taps", k);
    }
    return 0;
}

static int verify_pool(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *x = in_tensor(cx, 0), *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, x, "input") || check_act(cx, y, "output")) return -1;
    int kh, kw;
    node_kernel(cx->g, n, &kh, &kw);
    int dil[2] = {1, 1};
    if (check_window(cx, kh, kw, n->stride, dil, n->pad)) return -1;
    int64_t oh = conv_out_dim(act_h(x), kh, n->stride[0], 1, n->pad[0], n->pad[2]);
    int64_t ow = conv_out_dim(act_w(x), kw, n->stride[1], 1, n->pad[1], n->pad[3]);
    if (oh < 1 || ow < 1) return FAIL(cx, "the window is larger than the padded input");
    int64_t c = act_c(x);
    if (check_out_shape(cx, y, oh, ow, c) || check_rq(cx, &n->rq, c)) return -1;
    if (n->avg_round == AVG_ORT && check_avg_ort(cx, x, kh, kw)) return -1;
    Range d = act_delta(cx, 0), a = d;
    if (n->op == OP_AVGPOOL && n->avg_round == AVG_NONE) {
        a.lo = DORY_MIN(0, d.lo) * kh * kw;
        a.hi = DORY_MAX(0, d.hi) * kh * kw;
    }
    Range *acc = arena_alloc_array(&cx->g->arena, (size_t)c, sizeof(Range));
    if (!acc) return -1;
    for (int64_t i = 0; i < c; i++) acc[i] = a;
    return check_epilogue(cx, acc, c);
}

static int verify_add(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *a = in_tensor(cx, 0), *b = in_tensor(cx, 1), *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, a, "input a") || check_act(cx, b, "input b") || check_act(cx, y, "output"))
        return -1;
    if (!same_shape(a, b) || !same_shape(a, y))
        return FAIL(cx, "inputs and output must have the same shape");
    int64_t c = act_c(y);
    if (check_rq(cx, &n->in_rq[0], c) || check_rq(cx, &n->in_rq[1], c) || check_rq(cx, &n->rq, c))
        return -1;
    if (rq_is_qladd(n->rq.scheme) &&
        (n->in_rq[0].scheme != RQ_NONE || n->in_rq[1].scheme != RQ_NONE))
        return FAIL(cx, "an add with scheme %s has no input requants",
                    rq_scheme_name(n->rq.scheme));
    Range da = act_delta(cx, 0), db = act_delta(cx, 1);
    Range *acc = arena_alloc_array(&cx->g->arena, (size_t)c, sizeof(Range));
    if (!acc) return -1;
    Arith wa = ARITH_32, wb = ARITH_32;
    for (int64_t i = 0; i < c; i++) {
        RqChan ra = rq_channel(cx->g, &n->in_rq[0], i), rb = rq_channel(cx->g, &n->in_rq[1], i);
        if (rq_width(cx, &ra, da, i, &wa) || rq_width(cx, &rb, db, i, &wb)) return -1;
        Range qa = rq_range(&ra, da), qb = rq_range(&rb, db);
        acc[i].lo = qa.lo + qb.lo;
        acc[i].hi = qa.hi + qb.hi;
    }
    ((Node *)n)->in_arith[0] = wa, ((Node *)n)->in_arith[1] = wb;
    return check_epilogue(cx, acc, c);
}

/* mul: both inputs 8-bit (the product's magnitude stays below 2^17, exact
 * in fp32), b of a's shape or one pixel of a's channels (broadcast over H
 * and W). QLMUL: the fp32 value before rounding stays within int32, where
 * onnxruntime's conversion is defined. */
static int verify_mul(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *a = in_tensor(cx, 0), *b = in_tensor(cx, 1), *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, a, "input a") || check_act(cx, b, "input b") || check_act(cx, y, "output"))
        return -1;
    if (dtype_info(a->dtype)->bits != 8 || dtype_info(b->dtype)->bits != 8)
        return FAIL(cx, "mul inputs must be 8-bit (they are %s and %s)", dtype_name(a->dtype),
                    dtype_name(b->dtype));
    if (!same_shape(a, y)) return FAIL(cx, "input a and the output must have the same shape");
    if (!same_shape(a, b) && (act_h(b) != 1 || act_w(b) != 1 || act_c(b) != act_c(a)))
        return FAIL(cx, "input b must have a's shape or be one pixel of its %lld channels",
                    (long long)act_c(a));
    int64_t c = act_c(y);
    if (check_rq(cx, &n->rq, c)) return -1;
    Range da = act_delta(cx, 0), db = act_delta(cx, 1), p;
    int64_t v[4] = {da.lo * db.lo, da.lo * db.hi, da.hi * db.lo, da.hi * db.hi};
    p.lo = DORY_MIN(DORY_MIN(v[0], v[1]), DORY_MIN(v[2], v[3]));
    p.hi = DORY_MAX(DORY_MAX(v[0], v[1]), DORY_MAX(v[2], v[3]));
    if (rq_is_qlmul(n->rq.scheme)) {
        RqChan r = rq_channel(cx->g, &n->rq, 0);
        double m = DORY_MAX(-(double)p.lo, (double)p.hi) * fabs((double)r.qs[0]) + fabs(r.qs[1]);
        if (!(m < 2147483520.0))
            return FAIL(cx, "the scale of %s (%g) makes the product leave int32 before rounding",
                        rq_scheme_name(n->rq.scheme), (double)r.qs[0]);
    }
    Range *acc = arena_alloc_array(&cx->g->arena, (size_t)c, sizeof(Range));
    if (!acc) return -1;
    for (int64_t i = 0; i < c; i++) acc[i] = p;
    return check_epilogue(cx, acc, c);
}

static int verify_requant(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *x = in_tensor(cx, 0), *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, x, "input") || check_act(cx, y, "output")) return -1;
    if (!same_shape(x, y)) return FAIL(cx, "input and output must have the same shape");
    int64_t c = act_c(y);
    if (check_rq(cx, &n->rq, c)) return -1;
    Range *acc = arena_alloc_array(&cx->g->arena, (size_t)c, sizeof(Range));
    if (!acc) return -1;
    for (int64_t i = 0; i < c; i++) acc[i] = act_delta(cx, 0);
    return check_epilogue(cx, acc, c);
}

static int verify_concat(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, y, "output")) return -1;
    int64_t c = 0;
    for (int i = 0; i < n->nin; i++) {
        const Tensor *x = in_tensor(cx, i);
        if (check_act(cx, x, "input")) return -1;
        if (act_h(x) != act_h(y) || act_w(x) != act_w(y))
            return FAIL(cx, "input '%s' has another height or width than the output", x->name);
        if (x->dtype != y->dtype || x->zp != y->zp)
            return FAIL(cx,
                        "input '%s' (%s, zero point %d) differs from the output (%s, %d); "
                        "requantize it first",
                        x->name, dtype_name(x->dtype), x->zp, dtype_name(y->dtype), y->zp);
        c += act_c(x);
    }
    if (c != act_c(y))
        return FAIL(cx, "inputs have %lld channels, the output %lld", (long long)c,
                    (long long)act_c(y));
    return 0;
}

static int verify_reshape(Ctx *cx)
{
    const Tensor *x = in_tensor(cx, 0), *y = graph_tensor(cx->g, cx->n->out);
    if (check_act(cx, x, "input") || check_act(cx, y, "output")) return -1;
    if (tensor_numel(x) != tensor_numel(y) || x->dtype != y->dtype || x->zp != y->zp)
        return FAIL(cx, "reshape must keep the element count, dtype and zero point");
    return 0;
}

static int verify_softmax(Ctx *cx)
{
    const Tensor *x = in_tensor(cx, 0), *y = graph_tensor(cx->g, cx->n->out);
    if (check_act(cx, x, "input") || check_act(cx, y, "output")) return -1;
    if (!same_shape(x, y)) return FAIL(cx, "input and output must have the same shape");
    if (x->dtype != DT_I8 || y->dtype != DT_I8 || y->zp != -128)
        return FAIL(cx, "softmax maps i8 to i8 with output zero point -128 (TFLite's)");
    if (act_c(x) > Q_SOFTMAX_MAX)
        return FAIL(cx, "softmax over %lld channels (at most %d)", (long long)act_c(x),
                    Q_SOFTMAX_MAX);
    const Node *n = cx->n;
    if (n->sm_mult < 0 || n->sm_shift < 0 || n->sm_shift > 31 || n->sm_diff_min > 0 ||
        (int64_t)-n->sm_diff_min * ((int64_t)1 << n->sm_shift) > INT32_MAX)
        return FAIL(cx, "softmax parameters (%d, %d, %d) outside the range TFLite computes",
                    n->sm_mult, n->sm_shift, n->sm_diff_min);
    return 0;
}

static int verify_pad(Ctx *cx)
{
    const Node *n = cx->n;
    const Tensor *x = in_tensor(cx, 0), *y = graph_tensor(cx->g, n->out);
    if (check_act(cx, x, "input") || check_act(cx, y, "output")) return -1;
    for (int i = 0; i < 4; i++)
        if (n->pad[i] < 0 || n->pad[i] > 4096) return FAIL(cx, "pads must be in 0..4096");
    if (x->dtype != y->dtype || x->zp != y->zp)
        return FAIL(cx, "pad must keep the dtype and zero point");
    const DTypeInfo *di = dtype_info(x->dtype);
    if (n->pad_value < di->min || n->pad_value > di->max)
        return FAIL(cx, "pad value %d is outside %s", (int)n->pad_value, di->name);
    return check_out_shape(cx, y, act_h(x) + n->pad[0] + n->pad[2],
                           act_w(x) + n->pad[1] + n->pad[3], act_c(x));
}

/* ---- Driver ------------------------------------------------------------- */

static int verify_node_common(Ctx *cx)
{
    const Node *n = cx->n;
    const OpInfo *oi = op_info(n->op);
    if (n->nin < oi->min_inputs || n->nin > oi->max_inputs)
        return FAIL(cx, "has %d inputs; %s takes %d to %d", n->nin, oi->name, oi->min_inputs,
                    oi->max_inputs);
    for (int i = 0; i < n->nin; i++) {
        if (i == 2 && n->in[i] < 0) continue;
        if (!graph_tensor(cx->g, n->in[i])) return FAIL(cx, "input %d refers to no tensor", i);
    }
    const Tensor *y = graph_tensor(cx->g, n->out);
    if (!y) return FAIL(cx, "output refers to no tensor");
    if (!oi->has_epilogue && (n->rq.scheme != RQ_NONE))
        return FAIL(cx, "%s has no requantization epilogue", oi->name);
    if (n->op != OP_ADD && (n->in_rq[0].scheme != RQ_NONE || n->in_rq[1].scheme != RQ_NONE))
        return FAIL(cx, "per-input requantization is only for add");
    const DTypeInfo *di = dtype_info(y->dtype);
    if (oi->has_epilogue && (n->lo > n->hi || n->lo < di->min || n->hi > di->max))
        return FAIL(cx, "clamp [%d, %d] is empty or outside %s", n->lo, n->hi, di->name);
    return 0;
}

static int verify_tensor(Graph *g, const Tensor *t)
{
    DiagLoc loc = {g->source, 0, 0, 0};
    const DTypeInfo *di = dtype_info(t->dtype);
    if (!t->is_const && (t->zp < di->min || t->zp > di->max) && t->dtype != DT_I32)
        return diag_error(loc, "tensor '%s': zero point %d outside %s", t->name, t->zp, di->name);
    if (t->is_const && !t->data) return diag_error(loc, "constant '%s' has no data", t->name);
    int64_t n = tensor_numel(t);
    if (t->src_layout == SRC_CHW && t->src_hwc[0] * t->src_hwc[1] * t->src_hwc[2] != n &&
        t->src_hwc[0] != 0)
        return diag_error(loc, "tensor '%s': source view does not match its size", t->name);
    if (t->src_rank > 0) {
        int64_t m = 1;
        for (int i = 0; i < t->src_rank; i++) m *= t->src_shape[i];
        if (m != n)
            return diag_error(loc, "tensor '%s': source shape does not match its size", t->name);
    }
    return 0;
}

typedef int (*VerifyFn)(Ctx *cx);

static VerifyFn verify_fn(Op op)
{
    switch (op) {
    case OP_CONV2D: return verify_conv;
    case OP_FC: return verify_fc;
    case OP_MAXPOOL:
    case OP_AVGPOOL: return verify_pool;
    case OP_ADD: return verify_add;
    case OP_MUL: return verify_mul;
    case OP_CONCAT: return verify_concat;
    case OP_REQUANT: return verify_requant;
    case OP_RESHAPE: return verify_reshape;
    case OP_SOFTMAX: return verify_softmax;
    case OP_PAD: return verify_pad;
    case OP_COUNT: break;
    }
    DORY_ASSERT(0);
}

static const char *node_name_of(const Graph *g, int id) { return g->nodes[id]->name; }

int ir_verify(Graph *g)
{
    int errors = 0;
    for (int i = 0; i < g->ntensors; i++) errors += verify_tensor(g, g->tensors[i]) != 0;
    for (int i = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        if (!t || t->is_const || t->rank != 4 || t->shape[0] != 1 ||
            !dtype_info(t->dtype)->activation_ok)
            errors +=
                diag_error((DiagLoc){g->source, 0, 0, 0},
                           "graph input %d must be a rank-4 NHWC activation with N = 1", i) != 0;
    }
    NameIndex names = {0}; /* in the graph's arena: a few ints per node */
    for (int i = 0; i < g->nnodes; i++) {
        if (name_index_find(&names, g->nodes[i]->name, node_name_of, g) >= 0)
            errors += diag_error(node_loc(g, g->nodes[i]), "a second node has this name "
                                                           "(names label dumps and code)") != 0;
        else if (name_index_put(g, &names, g->nodes[i]->name, i, node_name_of))
            return -1;
    }
    if (errors) return -1;
    for (int i = 0; i < g->nnodes; i++) {
        Ctx cx = {g, g->nodes[i], node_loc(g, g->nodes[i]), 0};
        if (verify_node_common(&cx) == 0) verify_fn(cx.n->op)(&cx);
        errors += cx.errors;
    }
    return errors ? -1 : 0;
}
