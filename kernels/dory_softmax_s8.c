/* dory_softmax_s8.c: TFLite's int8 softmax over the channels of every pixel
 * of an HWC tile (the IR's `softmax` op): gemmlowp's fixed-point exp of the
 * rescaled difference to the row's maximum (Q5.26 in, Q0.31 out), the sum in
 * Q12.19, its reciprocal by Newton-Raphson, output scale 1/256, zero point
 * -128. Written here apart from src/ir/quant.c (the reference) and tested
 * against it. Work split: pixels. No scratch, no allocation.
 */
#include "dory_internal.h"

/* gemmlowp SaturatingRoundingMultiplyByPOT<e>, e > 0. */
static int32_t sat_shl(int32_t x, int e)
{
    int32_t thr = (int32_t)(((int64_t)1 << (31 - e)) - 1);
    return x > thr ? INT32_MAX : x < -thr ? INT32_MIN : (int32_t)((uint32_t)x << e);
}

/* exp(a) on [-1/4, 0), Q0.31: Taylor expansion around -1/8. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t e18 = 1895147668, third = 715827883;
    int32_t x = a + (1 << 28), x2 = dory__srdhm(x, x), x3 = dory__srdhm(x2, x);
    int32_t x4 = dory__srdhm(x2, x2);
    int32_t t = dory__rdiv_pot(dory__srdhm(dory__rdiv_pot(x4, 2) + x3, third) + x2, 1);
    return e18 + dory__srdhm(e18, x + t);
}

/* exp(a) for a <= 0 in Q5.26: the quarter-interval part times exp(-2^k)
 * for every bit k of the remainder. */
static int32_t exp_neg(int32_t a)
{
    static const int32_t mul[7] = {1672461947, 1302514674, 790015084, 290630308,
                                   39332535,   720401,     242};
    int32_t quarter = 1 << 24, amq = (a & (quarter - 1)) - quarter, rem = amq - a, r;
    int k;
    r = exp_quarter(sat_shl(amq, 5));
    for (k = 0; k < 7; k++)
        if (rem & (1 << (24 + k))) r = dory__srdhm(r, mul[k]);
    return a == 0 ? INT32_MAX : r;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out. */
static int32_t recip(int32_t a)
{
    int64_t s = (int64_t)a + INT32_MAX;
    int32_t half = (int32_t)((s + 1) / 2), x;
    int i;
    x = 1515870810 + dory__srdhm(half, -1010580540);
    for (i = 0; i < 3; i++) x += sat_shl(dory__srdhm(x, (1 << 29) - dory__srdhm(half, x)), 2);
    return sat_shl(x, 1);
}

static int32_t exp_of(const dory_softmax_params_t *p, int32_t d)
{
    return exp_neg(dory__srdhm((int32_t)((int64_t)d * ((int64_t)1 << p->shift)), p->mult));
}

static void row(const dory_softmax_params_t *p, const int8_t *x, int n, int8_t *y)
{
    int32_t max = -128, sum = 0, scale, d, v;
    int c, clz = 0;
    for (c = 0; c < n; c++) max = x[c] > max ? x[c] : max;
    for (c = 0; c < n; c++)
        if ((d = x[c] - max) >= p->diff_min) sum += dory__rdiv_pot(exp_of(p, d), 12);
    while (clz < 31 && !((uint32_t)sum & (0x80000000u >> clz))) clz++;
    scale = recip((int32_t)(((uint32_t)sum << clz) - 0x80000000u));
    for (c = 0; c < n; c++) {
        d = x[c] - max;
        if (d < p->diff_min) {
            y[c] = -128;
            continue;
        }
        v = dory__rdiv_pot(dory__srdhm(scale, exp_of(p, d)), 12 - clz + 23) - 128;
        y[c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

int dory_softmax_s8(const dory_ctx_t *ctx, const dory_softmax_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y)
{
    int px0, px1, px, xs = dory__cstride(in), ys = dory__cstride(out);
    if (in->h != out->h || in->w != out->w || in->c != out->c || in->c <= 0 || in->c > 256 ||
        p->shift < 0 || p->shift > 31 || p->diff_min > 0)
        return DORY_ERR_ARG;
    dory__split(in->h * in->w, ctx, &px0, &px1);
    for (px = px0; px < px1; px++)
        row(p, (const int8_t *)x + (long)px * xs, in->c, (int8_t *)y + (long)px * ys);
    return DORY_OK;
}
