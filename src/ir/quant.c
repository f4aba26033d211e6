/* quant.c: reference implementation of the requantization schemes.
 *
 * Every line here is part of the integer contract: change it only together
 * with docs/ARCHITECTURE.md, the kernels and tests/py/test_requant.py.
 */
#include "quant.h"

#include <math.h>

int32_t q_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    /* C division truncates toward zero, as gemmlowp's does. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

int32_t q_rdiv_pot(int32_t x, int e)
{
    DORY_ASSERT(e >= 0 && e <= 31);
    int64_t mask = ((int64_t)1 << e) - 1;
    int64_t rem = (int64_t)x & mask;
    int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(((int64_t)x >> e) + (rem > threshold ? 1 : 0));
}

int64_t q_float_requant(int32_t acc, float scale)
{
    /* volatile keeps the product in fp32 with no contraction or excess
     * precision, as onnxruntime computes it. */
    volatile float f = (float)acc;
    volatile float p = f * scale;
    float r = nearbyintf(p); /* default rounding mode: ties to even */
    if (!(r == r)) return 0;
    if (r >= 9.2e18f) return INT64_MAX / 2;
    if (r <= -9.2e18f) return INT64_MIN / 2;
    return (int64_t)r;
}

static int64_t rq_get(const Graph *g, int id, int64_t c, int64_t dflt)
{
    const Tensor *t = graph_tensor(g, id);
    if (!t) return dflt;
    return tensor_get(t, tensor_numel(t) == 1 ? 0 : c);
}

RqChan rq_channel(const Graph *g, const Requant *rq, int64_t c)
{
    RqChan r = {0};
    r.scheme = rq->scheme;
    switch (rq->scheme) {
    case RQ_NONE: break;
    case RQ_SHIFT:
        r.k = rq_get(g, rq->k, c, 1);
        r.l = rq_get(g, rq->l, c, 0);
        r.d = rq->d;
        break;
    case RQ_FIXED:
        r.mult = (int32_t)rq_get(g, rq->mult, c, 0);
        r.shift = (int32_t)rq_get(g, rq->shift, c, 0);
        r.pre = rq->pre;
        break;
    case RQ_FLOAT: {
        const Tensor *t = graph_tensor(g, rq->scale);
        DORY_ASSERT(t);
        r.scale = tensor_get_f32(t, tensor_numel(t) == 1 ? 0 : c);
        break;
    }
    case RQ_COUNT: DORY_ASSERT(0);
    }
    return r;
}

int64_t rq_apply(const RqChan *r, int64_t acc)
{
    switch (r->scheme) {
    case RQ_NONE: return acc;
    case RQ_SHIFT: {
        __int128 v = (__int128)r->k * acc + r->l;
        v >>= r->d; /* arithmetic shift: GCC and Clang define it on signed */
        if (v > INT64_MAX) return INT64_MAX;
        if (v < INT64_MIN) return INT64_MIN;
        return (int64_t)v;
    }
    case RQ_FIXED: {
        int left = r->pre + (r->shift > 0 ? r->shift : 0);
        int right = r->shift > 0 ? 0 : -r->shift;
        int64_t x = acc * ((int64_t)1 << left);
        DORY_ASSERT(x >= INT32_MIN && x <= INT32_MAX);
        return q_rdiv_pot(q_srdhm((int32_t)x, r->mult), right);
    }
    case RQ_FLOAT:
        DORY_ASSERT(acc >= INT32_MIN && acc <= INT32_MAX);
        return q_float_requant((int32_t)acc, r->scale);
    case RQ_COUNT: break;
    }
    DORY_ASSERT(0);
}
