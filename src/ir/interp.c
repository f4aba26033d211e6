/* interp.c: the reference interpreter.
 *
 * Straightforward loops over HWC buffers of int32 values, computing exactly the
 * integer contract (docs/ARCHITECTURE.md): accumulators in 64-bit with a check
 * that they stay within int32 (the verifier proves they do), requantization
 * through src/ir/quant.c. Clarity over speed: this is the oracle every kernel
 * and every generated application is compared with. It must not tile, know
 * targets, or call the kernel library.
 */
#include "interp.h"

#include <stdlib.h>
#include <string.h>

#include "quant.h"

/* Per-node constants resolved once: weights minus their zero point, bias,
 * requant per output channel. Lives in a scratch arena for one node. */
typedef struct NodeConsts {
    int32_t *w; /* weights - zw[c], same layout as the weight tensor */
    int64_t *b; /* bias per output channel (0 if absent) */
    RqChan *rq; /* output requant per output channel */
} NodeConsts;

static int resolve(Arena *a, const Graph *g, const Node *n, int64_t cout, NodeConsts *nc)
{
    memset(nc, 0, sizeof *nc);
    nc->rq = arena_alloc_array(a, (size_t)cout, sizeof(RqChan));
    nc->b = arena_alloc_array(a, (size_t)cout, sizeof(int64_t));
    if (!nc->rq || !nc->b) return -1;
    for (int64_t c = 0; c < cout; c++) nc->rq[c] = rq_channel(g, &n->rq, c);
    if ((n->op == OP_CONV2D || n->op == OP_FC) && n->nin > 2 && n->in[2] >= 0) {
        const Tensor *b = graph_tensor(g, n->in[2]);
        for (int64_t c = 0; c < cout; c++) nc->b[c] = tensor_get(b, c);
    }
    if (n->op == OP_CONV2D || n->op == OP_FC) {
        const Tensor *w = graph_tensor(g, n->in[1]);
        int64_t per = tensor_numel(w) / w->shape[0];
        nc->w = arena_alloc_array(a, (size_t)tensor_numel(w), sizeof(int32_t));
        if (!nc->w) return -1;
        for (int64_t c = 0; c < w->shape[0]; c++)
            for (int64_t k = 0; k < per; k++)
                nc->w[c * per + k] = (int32_t)(tensor_get(w, c * per + k) - tensor_zp_at(w, c));
    }
    return 0;
}

static int acc_check(const Graph *g, const Node *n, int64_t acc)
{
    if (acc >= INT32_MIN && acc <= INT32_MAX) return 0;
    return diag_error(node_loc(g, n),
                      "accumulator %lld leaves int32 (the verifier should have rejected this node)",
                      (long long)acc);
}

/* conv2d: acc[c] = bias[c] + sum (x - zx) * (w - zw[c]); padded taps add 0. */
static int run_conv(const Graph *g, const Node *n, const NodeConsts *nc, const int32_t *x,
                    int32_t *y)
{
    const Tensor *xt = graph_tensor(g, n->in[0]), *wt = graph_tensor(g, n->in[1]);
    const Tensor *yt = graph_tensor(g, n->out);
    int64_t H = act_h(xt), W = act_w(xt), C = act_c(xt);
    int64_t OH = act_h(yt), OW = act_w(yt), CO = act_c(yt);
    int64_t KH = wt->shape[1], KW = wt->shape[2], CIG = wt->shape[3];
    int64_t COG = CO / n->groups;
    for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++)
            for (int64_t co = 0; co < CO; co++) {
                int64_t ci0 = (co / COG) * CIG;
                int64_t acc = nc->b[co];
                for (int64_t kh = 0; kh < KH; kh++) {
                    int64_t ih = oh * n->stride[0] - n->pad[0] + kh * n->dilation[0];
                    if (ih < 0 || ih >= H) continue;
                    for (int64_t kw = 0; kw < KW; kw++) {
                        int64_t iw = ow * n->stride[1] - n->pad[1] + kw * n->dilation[1];
                        if (iw < 0 || iw >= W) continue;
                        const int32_t *xp = x + (ih * W + iw) * C + ci0;
                        const int32_t *wp = nc->w + ((co * KH + kh) * KW + kw) * CIG;
                        for (int64_t ci = 0; ci < CIG; ci++)
                            acc += (int64_t)(xp[ci] - xt->zp) * wp[ci];
                    }
                }
                if (acc_check(g, n, acc)) return -1;
                y[(oh * OW + ow) * CO + co] = q_epilogue(&nc->rq[co], acc, yt->zp, n->lo, n->hi);
            }
    return 0;
}

/* fc: acc[c] = bias[c] + sum_k (x[k] - zx) * (w[c][k] - zw[c]), x flattened HWC. */
static int run_fc(const Graph *g, const Node *n, const NodeConsts *nc, const int32_t *x, int32_t *y)
{
    const Tensor *xt = graph_tensor(g, n->in[0]), *wt = graph_tensor(g, n->in[1]);
    const Tensor *yt = graph_tensor(g, n->out);
    int64_t K = wt->shape[1], CO = wt->shape[0];
    for (int64_t co = 0; co < CO; co++) {
        int64_t acc = nc->b[co];
        for (int64_t k = 0; k < K; k++) acc += (int64_t)(x[k] - xt->zp) * nc->w[co * K + k];
        if (acc_check(g, n, acc)) return -1;
        y[co] = q_epilogue(&nc->rq[co], acc, yt->zp, n->lo, n->hi);
    }
    return 0;
}

/* Rounded division of a window sum by its tap count. */
static int64_t avg_div(AvgRound r, int64_t sum, int64_t count)
{
    switch (r) {
    case AVG_FLOOR: {
        int64_t q = sum / count;
        return q * count > sum ? q - 1 : q;
    }
    case AVG_HALF_AWAY: return sum >= 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    case AVG_NONE:
    case AVG_ORT: return sum;
    case AVG_COUNT: break;
    }
    DORY_ASSERT(0);
}

/* maxpool: acc = max(valid x) - zx.
 * avgpool: FLOOR / HALF_AWAY: acc = div(sum of raw valid x, count) - zx, the
 * rounding applied to the raw sum as TFLite does; NONE: acc = sum (x - zx).
 * count = KH*KW with count_include_pad, else the number of valid taps.
 * Then y = clamp(requant(acc) + zy). ORT: y from the fp32 sum and the count
 * (ir/quant.h, q_avg_ort_out). */
static int run_pool(const Graph *g, const Node *n, const NodeConsts *nc, const int32_t *x,
                    int32_t *y)
{
    const Tensor *xt = graph_tensor(g, n->in[0]), *yt = graph_tensor(g, n->out);
    int64_t H = act_h(xt), W = act_w(xt), C = act_c(xt);
    int64_t OH = act_h(yt), OW = act_w(yt);
    int kh_, kw_;
    node_kernel(g, n, &kh_, &kw_);
    /* AVG_ORT: onnxruntime's fp32 sum of the table's values, then its count's thresholds */
    const Tensor *tt = n->avg_round == AVG_ORT ? graph_tensor(g, n->avg_table) : NULL;
    const int64_t *ort = tt ? (const int64_t *)tt->data : NULL;
    int64_t xmin = dtype_info(xt->dtype)->min;
    for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++)
            for (int64_t c = 0; c < C; c++) {
                int64_t sum = 0, max = INT64_MIN, valid = 0, T = 0;
                for (int64_t kh = 0; kh < kh_; kh++) {
                    int64_t ih = oh * n->stride[0] - n->pad[0] + kh;
                    if (ih < 0 || ih >= H) continue;
                    for (int64_t kw = 0; kw < kw_; kw++) {
                        int64_t iw = ow * n->stride[1] - n->pad[1] + kw;
                        if (iw < 0 || iw >= W) continue;
                        int64_t v = x[(ih * W + iw) * C + c];
                        sum += v;
                        if (ort) T = q_f32_units_add(T, ort[v - xmin]);
                        max = v > max ? v : max;
                        valid++;
                    }
                }
                if (valid == 0)
                    return diag_error(node_loc(g, n), "a pooling window covers only padding");
                int64_t acc;
                if (ort) {
                    int cnt = n->count_include_pad ? kh_ * kw_ : (int)valid;
                    y[(oh * OW + ow) * C + c] = q_avg_ort_out(ort, T, cnt, n->lo, n->hi);
                    continue;
                }
                if (n->op == OP_MAXPOOL) {
                    acc = max - xt->zp;
                } else {
                    int64_t count = n->count_include_pad ? (int64_t)kh_ * kw_ : valid;
                    if (n->avg_round == AVG_NONE)
                        acc = sum - valid * xt->zp;
                    else
                        acc = avg_div(n->avg_round, sum, count) - xt->zp;
                }
                y[(oh * OW + ow) * C + c] = q_epilogue(&nc->rq[c], acc, yt->zp, n->lo, n->hi);
            }
    return 0;
}

/* add: acc = rqa(a - za) + rqb(b - zb); y = clamp(rq(acc) + zy); with a
 * QLADD scheme y = clamp(q_qladd(a, b)). */
static int run_add(const Graph *g, const Node *n, const NodeConsts *nc, const int32_t *a,
                   const int32_t *b, int32_t *y)
{
    const Tensor *at = graph_tensor(g, n->in[0]), *bt = graph_tensor(g, n->in[1]);
    const Tensor *yt = graph_tensor(g, n->out);
    int64_t C = act_c(yt), N = tensor_numel(yt);
    RqChan *ra = util_calloc((size_t)C * 2, sizeof(RqChan));
    if (!ra) return diag_error(node_loc(g, n), "out of memory");
    RqChan *rb = ra + C;
    for (int64_t c = 0; c < C; c++) {
        ra[c] = rq_channel(g, &n->in_rq[0], c);
        rb[c] = rq_channel(g, &n->in_rq[1], c);
    }
    for (int64_t i = 0; i < N; i++) {
        int64_t c = i % C;
        if (rq_is_qladd(n->rq.scheme)) { /* one formula, output zero point included */
            int64_t v = q_qladd(&nc->rq[c], a[i], b[i]);
            y[i] = (int32_t)(v < n->lo ? n->lo : v > n->hi ? n->hi : v);
            continue;
        }
        int64_t acc = rq_apply(&ra[c], a[i] - at->zp) + rq_apply(&rb[c], b[i] - bt->zp);
        if (acc_check(g, n, acc)) {
            free(ra);
            return -1;
        }
        y[i] = q_epilogue(&nc->rq[c], acc, yt->zp, n->lo, n->hi);
    }
    free(ra);
    return 0;
}

/* mul: acc = (a - za)(b - zb), b's pixel 0 for every pixel when b is one
 * pixel (broadcast over H and W); y = clamp(rq(acc) + zy) (QLMUL: zy inside). */
static void run_mul(const Graph *g, const Node *n, const NodeConsts *nc, const int32_t *a,
                    const int32_t *b, int32_t *y)
{
    const Tensor *at = graph_tensor(g, n->in[0]), *bt = graph_tensor(g, n->in[1]);
    const Tensor *yt = graph_tensor(g, n->out);
    int64_t C = act_c(yt), N = tensor_numel(yt), bn = tensor_numel(bt);
    for (int64_t i = 0; i < N; i++) {
        int64_t acc = ((int64_t)a[i] - at->zp) * ((int64_t)b[bn == C ? i % C : i] - bt->zp);
        y[i] = q_epilogue(&nc->rq[i % C], acc, yt->zp, n->lo, n->hi);
    }
}

/* requant: y = clamp(rq(x - zx) + zy). */
static void run_requant(const Graph *g, const Node *n, const NodeConsts *nc, const int32_t *x,
                        int32_t *y)
{
    const Tensor *xt = graph_tensor(g, n->in[0]), *yt = graph_tensor(g, n->out);
    int64_t C = act_c(yt), N = tensor_numel(yt);
    for (int64_t i = 0; i < N; i++)
        y[i] = q_epilogue(&nc->rq[i % C], (int64_t)x[i] - xt->zp, yt->zp, n->lo, n->hi);
}

/* pad: the input inside a border of pad_value (top, left, bottom, right). */
static void run_pad(const Graph *g, const Node *n, const int32_t *x, int32_t *y)
{
    const Tensor *xt = graph_tensor(g, n->in[0]), *yt = graph_tensor(g, n->out);
    int64_t H = act_h(xt), W = act_w(xt), C = act_c(xt), WO = act_w(yt);
    for (int64_t i = 0; i < tensor_numel(yt); i++) y[i] = n->pad_value;
    for (int64_t h = 0; h < H; h++)
        for (int64_t w = 0; w < W; w++)
            memcpy(y + ((h + n->pad[0]) * WO + w + n->pad[1]) * C, x + (h * W + w) * C,
                   (size_t)C * sizeof(int32_t));
}

/* concat on channels: plain copy (the verifier requires equal dtype and zp). */
static void run_concat(const Graph *g, const Node *n, const int32_t *const *ins, int32_t *y)
{
    const Tensor *yt = graph_tensor(g, n->out);
    int64_t HW = act_h(yt) * act_w(yt), CT = act_c(yt), off = 0;
    for (int i = 0; i < n->nin; i++) {
        int64_t C = act_c(graph_tensor(g, n->in[i]));
        for (int64_t p = 0; p < HW; p++)
            memcpy(y + p * CT + off, ins[i] + p * C, (size_t)C * sizeof(int32_t));
        off += C;
    }
}

/* softmax: TFLite's int8 arithmetic over the channels of every pixel. */
static void run_softmax(const Graph *g, const Node *n, const int32_t *x, int32_t *y)
{
    const Tensor *yt = graph_tensor(g, n->out);
    int64_t C = act_c(yt), N = tensor_numel(yt);
    for (int64_t i = 0; i < N; i += C)
        q_softmax_row(x + i, C, n->sm_mult, n->sm_shift, n->sm_diff_min, y + i);
}

int interp_node(const Graph *g, const Node *n, const int32_t *const *ins, int32_t *out)
{
    const Tensor *yt = graph_tensor(g, n->out);
    int64_t cout = yt->rank == 4 ? act_c(yt) : 1;
    Arena scratch;
    arena_init(&scratch);
    NodeConsts nc;
    int rc = resolve(&scratch, g, n, cout, &nc);
    if (rc == 0) switch (n->op) {
        case OP_CONV2D: rc = run_conv(g, n, &nc, ins[0], out); break;
        case OP_FC: rc = run_fc(g, n, &nc, ins[0], out); break;
        case OP_MAXPOOL:
        case OP_AVGPOOL: rc = run_pool(g, n, &nc, ins[0], out); break;
        case OP_ADD: rc = run_add(g, n, &nc, ins[0], ins[1], out); break;
        case OP_MUL: run_mul(g, n, &nc, ins[0], ins[1], out); break;
        case OP_REQUANT: run_requant(g, n, &nc, ins[0], out); break;
        case OP_CONCAT: run_concat(g, n, ins, out); break;
        case OP_PAD: run_pad(g, n, ins[0], out); break;
        case OP_RESHAPE: memcpy(out, ins[0], (size_t)tensor_numel(yt) * sizeof(int32_t)); break;
        case OP_SOFTMAX: run_softmax(g, n, ins[0], out); break;
        case OP_COUNT: DORY_ASSERT(0);
        }
    arena_free(&scratch);
    return rc;
}

void interp_free(InterpState *s)
{
    if (s->values && s->g)
        for (int i = 0; i < s->g->ntensors; i++) free(s->values[i]);
    free(s->values);
    s->values = NULL;
}

int interp_run(const Graph *g, const int32_t *const *inputs, InterpState *s, InterpHook hook,
               void *ctx)
{
    s->g = g;
    s->values = util_calloc((size_t)g->ntensors, sizeof(int32_t *));
    if (!s->values) return diag_error(DIAG_NOLOC, "out of memory");
    for (int i = 0; i < g->ntensors; i++) {
        const Tensor *t = g->tensors[i];
        if (t->is_const) continue;
        s->values[i] = util_calloc((size_t)tensor_numel(t) + 1, sizeof(int32_t));
        if (!s->values[i]) return diag_error(DIAG_NOLOC, "out of memory for tensor '%s'", t->name);
    }
    for (int i = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        memcpy(s->values[t->id], inputs[i], (size_t)tensor_numel(t) * sizeof(int32_t));
    }
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = g->nodes[i];
        const int32_t *ins[DORY_MAX_INPUTS] = {0};
        for (int j = 0; j < n->nin; j++) ins[j] = n->in[j] >= 0 ? s->values[n->in[j]] : NULL;
        if (interp_node(g, n, ins, s->values[n->out])) return -1;
        if (hook && hook(ctx, s, n, i)) return -1;
    }
    return 0;
}
