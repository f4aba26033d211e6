/* quant.c: reference implementation of the requantization schemes, and the
 * exact integer helpers frontends use to build their constants.
 *
 * Every line of the schemes is part of the integer contract: change it only
 * together with docs/ARCHITECTURE.md, the kernels and tests/py/test_requant.py.
 * Must not traverse graphs or know any source format.
 */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int64_t q_rdiv_pot64(int64_t x, int e)
{
    DORY_ASSERT(e >= 1 && e <= 62);
    int64_t mask = ((int64_t)1 << e) - 1;
    int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}

/* round_half_even(r) saturated to int64 range, NaN as 0. */
static int64_t rne_sat(float p)
{
    float r = nearbyintf(p); /* default rounding mode: ties to even */
    if (!(r == r)) return 0;
    if (r >= 9.2e18f) return INT64_MAX / 2;
    if (r <= -9.2e18f) return INT64_MIN / 2;
    return (int64_t)r;
}

int64_t q_float_requant(int32_t acc, float scale)
{
    /* volatile keeps the product in fp32 with no contraction or excess
     * precision, as onnxruntime computes it. */
    volatile float f = (float)acc;
    volatile float p = f * scale;
    return rne_sat(p);
}

int64_t q_qladd(const RqChan *r, int32_t a, int32_t b)
{
    volatile float t = fmaf((float)b, r->qs[1], r->qs[2]);
    volatile float v = fmaf((float)a, r->qs[0], t);
    return rne_sat(v);
}

int64_t q_qlmul(const RqChan *r, int64_t p)
{
    DORY_ASSERT(p > -(1 << 24) && p < (1 << 24));
    volatile float t = (float)p * r->qs[0];
    volatile float v = t + r->qs[1];
    return rne_sat(v);
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
    case RQ_FIXED_SR:
        r.mult = (int32_t)rq_get(g, rq->mult, c, 0);
        r.shift = (int32_t)rq_get(g, rq->shift, c, 0);
        r.pre = rq->pre;
        break;
    case RQ_FLOAT:
    case RQ_F32INT: {
        const Tensor *t = graph_tensor(g, rq->scale);
        DORY_ASSERT(t);
        r.scale = tensor_get_f32(t, tensor_numel(t) == 1 ? 0 : c);
        r.k = rq_get(g, rq->k, c, 0), r.l = rq_get(g, rq->l, c, 0), r.d = rq->d;
        break;
    }
    case RQ_LUT: {
        const Tensor *t = graph_tensor(g, rq->table);
        DORY_ASSERT(t && t->dtype == DT_I32);
        r.table = (const int32_t *)t->data;
        r.ntable = (int)tensor_numel(t);
        r.base = rq->base;
        break;
    }
    case RQ_QLADD:
    case RQ_QLADD_INT:
    case RQ_QLMUL:
    case RQ_QLMUL_INT: {
        const Tensor *t = graph_tensor(g, rq->scale);
        int nq = rq_is_qladd(rq->scheme) ? 3 : 2;
        DORY_ASSERT(t && tensor_numel(t) == nq);
        for (int i = 0; i < nq; i++) r.qs[i] = tensor_get_f32(t, i);
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
    case RQ_FIXED_SR: {
        /* LiteRT's single rounding: |acc * mult| < 2^62, shift in -31..30 */
        DORY_ASSERT(acc >= INT32_MIN && acc <= INT32_MAX && r->shift >= -31 && r->shift <= 30);
        return q_rdiv_pot64(acc * r->mult, 31 - r->shift);
    }
    case RQ_FLOAT:
    case RQ_F32INT: /* the same result; only kernels compute it otherwise */
        DORY_ASSERT(acc >= INT32_MIN && acc <= INT32_MAX);
        return q_float_requant((int32_t)acc, r->scale);
    case RQ_LUT:
        DORY_ASSERT(acc >= r->base && acc - r->base < r->ntable);
        return r->table[acc - r->base];
    case RQ_QLADD:
    case RQ_QLADD_INT: break; /* q_qladd */
    case RQ_QLMUL:
    case RQ_QLMUL_INT: return q_qlmul(r, acc);
    case RQ_COUNT: break;
    }
    DORY_ASSERT(0);
}

/* ---- Exact integer helpers ------------------------------------------------ */

int q_is_integral(double v) { return v == floor(v) && fabs(v) < 9.0e18; }

int q_pow2_exponent(double d, int *e)
{
    int ex;
    double m = frexp(d, &ex);
    if (m != 0.5 || ex < 1) return 0;
    *e = ex - 1;
    return 1;
}

int64_t q_sat_f64(double v, int64_t lo, int64_t hi)
{
    if (!(v >= (double)lo)) return lo;
    if (v >= (double)hi) return hi;
    return (int64_t)v;
}

static __int128 floor_div(__int128 a, __int128 b)
{
    __int128 q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Exact division by a D that is not a power of two, per channel:
 *   floor((a*acc + b) / D) == (K*acc + L) >> d
 * for every acc whose result lies in [0, hi] (A0..A1). With K = ceil(a*2^d/D)
 * the error E(acc) = (K*acc + L)/2^d - (a*acc + b)/D grows by less than 2^-d
 * per step; L = ceil((b/D - A0*(K/2^d - a/D)) * 2^d) makes E(A0) >= 0, and
 * 2^d > (A1 - A0 + 1) * D keeps E < 1/D on the range, so the floor is
 * unchanged. Outside it the result stays below 0 or above hi (the clamp). */
static void magic_range(int64_t a, int64_t b, int64_t D, int64_t hi, int64_t *A0, int64_t *A1)
{
    __int128 V = (__int128)(hi + 1) * D; /* v = a*acc + b in [0, V) */
    __int128 a0, a1;
    if (a > 0)
        a0 = -floor_div(b, a), a1 = floor_div(V - 1 - b, a);
    else
        a0 = -floor_div(V - 1 - b, -a), a1 = floor_div(b, -a);
    /* accumulators are int32: exactness beyond that range is never needed */
    a0 = a0 < INT32_MIN ? INT32_MIN : a0 > INT32_MAX ? INT32_MAX : a0;
    a1 = a1 < INT32_MIN ? INT32_MIN : a1 > INT32_MAX ? INT32_MAX : a1;
    *A0 = (int64_t)a0, *A1 = (int64_t)(a1 < a0 ? a0 : a1);
}

int q_exact_div_shift(int64_t a, int64_t b, int64_t D, int64_t hi)
{
    if (a == 0) return 0;
    int64_t A0, A1;
    magic_range(a, b, D, hi, &A0, &A1);
    __int128 need = ((__int128)A1 - A0 + 1) * D;
    int d = 0;
    while (d < 100 && ((__int128)1 << d) <= need) d++;
    return d;
}

int q_exact_div_consts(int64_t a, int64_t b, int64_t D, int64_t hi, int d, int64_t *K, int64_t *L)
{
    if (a == 0) {
        *K = 0;
        *L = (int64_t)((__int128)(b >= 0 ? b / D : -(-b / D)) * ((__int128)1 << d));
        return 0;
    }
    int64_t A0, A1;
    magic_range(a, b, D, hi, &A0, &A1);
    __int128 p2 = (__int128)1 << d;
    __int128 k = (__int128)a * p2;
    k = floor_div(k, D) + (k % D != 0); /* ceil(a * 2^d / D) */
    /* L = ceil(b*2^d/D - A0*(K - a*2^d/D)) = ceil((b*2^d - A0*(K*D - a*2^d)) / D) */
    __int128 num = (__int128)b * p2 - (__int128)A0 * (k * D - (__int128)a * p2);
    __int128 l = floor_div(num, D) + (num % D != 0 ? 1 : 0);
    if (k > INT64_MAX / 4 || k < INT64_MIN / 4 || l > INT64_MAX / 4 || l < INT64_MIN / 4) return -1;
    *K = (int64_t)k, *L = (int64_t)l;
    return 0;
}

/* ---- TFLite's constants and integer softmax --------------------------------- */

void q_tflite_multiplier(double d, int32_t *mult, int *shift)
{
    *mult = 0, *shift = 0;
    if (d == 0.0) return;
    int e;
    double q = frexp(d, &e);
    int64_t qf = (int64_t)round(q * (double)((int64_t)1 << 31));
    if (qf == (int64_t)1 << 31) qf /= 2, e++;
    if (e < -31) return; /* TFLite: multiplier 0, shift 0 */
    *mult = (int32_t)qf, *shift = e;
}

/* gemmlowp's SaturatingRoundingMultiplyByPOT<e> for e > 0. */
static int32_t sat_shl(int32_t x, int e)
{
    int32_t thr = (int32_t)(((int64_t)1 << (31 - e)) - 1);
    if (x > thr) return INT32_MAX;
    if (x < -thr) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out (gemmlowp's polynomial). */
static int32_t exp_quarter(int32_t a)
{
    const int32_t c = 1895147668, third = 715827883; /* exp(-1/8), 1/3 */
    int32_t x = a + (1 << 28);
    int32_t x2 = q_srdhm(x, x), x3 = q_srdhm(x2, x), x4 = q_srdhm(x2, x2);
    int32_t x4_4 = q_rdiv_pot(x4, 2);
    int32_t poly = q_rdiv_pot(q_srdhm(x4_4 + x3, third) + x2, 1);
    return c + q_srdhm(c, x + poly);
}

int32_t q_exp_on_negative_values(int32_t a)
{
    static const int32_t mul[7] = {1672461947, 1302514674, 790015084, 290630308,
                                   39332535,   720401,     242}; /* exp(-2^(k-2)) */
    const int frac = 26;                                         /* Q5.26 input */
    int32_t quarter = 1 << (frac - 2);
    int32_t amq = (int32_t)(a & (quarter - 1)) - quarter;
    int32_t r = exp_quarter(sat_shl(amq, 5));
    int32_t rem = amq - a;
    for (int k = 0; k < 7; k++)
        if (rem & (1 << (frac - 2 + k))) r = q_srdhm(r, mul[k]);
    return a == 0 ? INT32_MAX : r;
}

int32_t q_one_over_one_plus_x(int32_t a)
{
    int64_t sum = (int64_t)a + INT32_MAX;
    int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c48_17 = 1515870810, cm32_17 = -1010580540; /* Q2.29 */
    int32_t x = c48_17 + q_srdhm(half_den, cm32_17);
    for (int i = 0; i < 3; i++) {
        int32_t hx = q_srdhm(half_den, x);
        int32_t one_minus = (1 << 29) - hx;
        x = x + sat_shl(q_srdhm(x, one_minus), 2);
    }
    return sat_shl(x, 1); /* ExactMulByPot<-1> keeps the raw value: Q1.30 to Q0.31 */
}

/* exp of the input difference d (diff_min <= d <= 0, so d << shift fits). */
static int32_t softmax_exp(int32_t d, int32_t mult, int shift)
{
    return q_exp_on_negative_values(q_srdhm((int32_t)((int64_t)d * ((int64_t)1 << shift)), mult));
}

void q_softmax_row(const int32_t *x, int64_t n, int32_t mult, int shift, int32_t diff_min,
                   int32_t *y)
{
    DORY_ASSERT(n >= 1 && n <= Q_SOFTMAX_MAX);
    int32_t max = INT32_MIN, sum = 0; /* Q12.19: n <= 256 terms below 2^19 each */
    for (int64_t c = 0; c < n; c++) max = x[c] > max ? x[c] : max;
    for (int64_t c = 0; c < n; c++) {
        int32_t d = x[c] - max;
        if (d >= diff_min) sum += q_rdiv_pot(softmax_exp(d, mult, shift), 12);
    }
    int clz = 0;
    while (clz < 32 && !((uint32_t)sum & (0x80000000u >> clz))) clz++;
    int over = 12 - clz;
    int32_t scale = q_one_over_one_plus_x((int32_t)(((uint32_t)sum << clz) - 0x80000000u));
    for (int64_t c = 0; c < n; c++) {
        int32_t d = x[c] - max;
        if (d < diff_min) {
            y[c] = -128;
            continue;
        }
        int32_t v = q_rdiv_pot(q_srdhm(scale, softmax_exp(d, mult, shift)), over + 31 - 8) - 128;
        y[c] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
}

void q_softmax_params(double beta, double in_scale, int32_t *mult, int *shift, int32_t *diff_min)
{
    double real = beta * in_scale * (double)(1 << (31 - 5));
    if (real > (double)(((int64_t)1 << 31) - 1)) real = (double)(((int64_t)1 << 31) - 1);
    q_tflite_multiplier(real, mult, shift);
    double radius =
        1.0 * ((1 << 5) - 1) * (double)((int64_t)1 << (31 - 5)) / (double)((int64_t)1 << *shift);
    *diff_min = -(int32_t)floor(radius);
}

/* ---- FLOAT as a proven SHIFT ------------------------------------------------ */

/* The least acc in [amin, amax] with fp32 result >= t; amax + 1 if none. */
static int64_t float_reaches(float s, int64_t amin, int64_t amax, int64_t t)
{
    int64_t lo = amin, hi = amax + 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (q_float_requant((int32_t)mid, s) >= t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The addends l that make (k*acc + l) >> d reach each t at first[t - tlo]:
 * [*lmin, *lmax]; 0 if empty. */
static int shift_addends(const int64_t *first, int64_t amin, int64_t amax, int64_t tlo, int64_t thi,
                         int d, int64_t k, __int128 *lmin, __int128 *lmax)
{
    __int128 lo = -((__int128)1 << 100), hi = (__int128)1 << 100;
    for (int64_t t = tlo; t <= thi; t++) {
        int64_t a = first[t - tlo];
        __int128 t2 = (__int128)t * ((__int128)1 << d);
        if (a <= amax) lo = DORY_MAX(lo, t2 - (__int128)k * a);          /* g(a) >= t */
        if (a > amin) hi = DORY_MIN(hi, t2 - (__int128)k * (a - 1) - 1); /* g(a-1) < t */
    }
    *lmin = lo, *lmax = hi;
    return lo <= hi;
}

/* Width of the addend interval for multiplier k (negative: empty). It is
 * concave in k (a minimum of lines minus a maximum of lines). */
static __int128 addend_slack(const int64_t *first, int64_t amin, int64_t amax, int64_t tlo,
                             int64_t thi, int d, int64_t k)
{
    __int128 lmin, lmax;
    shift_addends(first, amin, amax, tlo, thi, d, k, &lmin, &lmax);
    return lmax - lmin;
}

int q_shift_equals_float(float s, int64_t k, int64_t l, int d, int64_t amin, int64_t amax,
                         int64_t tlo, int64_t thi)
{
    if (!(s > 0) || k <= 0 || d < 1 || d > 62 || amin > amax) return 0;
    for (int64_t t = tlo; t <= thi; t++) {
        /* the least acc with k*acc + l >= t*2^d, clipped to [amin, amax + 1] */
        __int128 num = (__int128)t * ((__int128)1 << d) - l, q = num / k;
        if (q * k < num) q++;
        int64_t a = q < amin ? amin : q > amax ? amax + 1 : (int64_t)q;
        if (a <= amax && q_float_requant((int32_t)a, s) < t) return 0;
        if (a > amin && q_float_requant((int32_t)(a - 1), s) >= t) return 0;
    }
    return 1;
}

int q_float_as_shift(float s, int64_t amin, int64_t amax, int64_t tlo, int64_t thi, int d,
                     int64_t *k, int64_t *l)
{
    if (!(s > 0) || amin > amax || tlo > thi || thi - tlo > 65536 || d < 1 || d > 62) return 1;
    int64_t *first = util_malloc(sizeof(int64_t) * (size_t)(thi - tlo + 1));
    if (!first) return 1;
    for (int64_t t = tlo; t <= thi; t++) first[t - tlo] = float_reaches(s, amin, amax, t);
    /* the multiplier with the widest addend interval, by ternary search over
     * k0 (1 +- 2^-8): the slack is concave, so its maximum is found exactly */
    int64_t k0 = (int64_t)llround(ldexp((double)s, d)), big = (int64_t)1 << 62;
    int64_t a = k0 - (k0 >> 8), b = k0 + (k0 >> 8) + 1;
    while (b - a > 2) {
        int64_t m1 = a + (b - a) / 3, m2 = b - (b - a) / 3;
        if (addend_slack(first, amin, amax, tlo, thi, d, m1) <
            addend_slack(first, amin, amax, tlo, thi, d, m2))
            a = m1 + 1;
        else
            b = m2;
    }
    int found = 1;
    for (int64_t kk = a; kk <= b && found; kk++) {
        __int128 lmin, lmax;
        if (kk <= 0 || !shift_addends(first, amin, amax, tlo, thi, d, kk, &lmin, &lmax)) continue;
        /* the addend nearest the rounding offset 2^(d-1) within the interval */
        __int128 v = (__int128)1 << (d - 1);
        v = v < lmin ? lmin : v > lmax ? lmax : v;
        __int128 e0 = (__int128)kk * amin + v, e1 = (__int128)kk * amax + v;
        if (v <= -big || v >= big || e0 <= -big || e0 >= big || e1 <= -big || e1 >= big) continue;
        *k = kk, *l = (int64_t)v;
        found = 0;
    }
    free(first);
    return found;
}

/* ---- onnxruntime's average pool ---------------------------------------------- */

int64_t q_f32_units_add(int64_t a, int64_t b)
{
    volatile float f = (float)(double)(a + b); /* exact in double; one fp32 rounding */
    return (int64_t)f;
}

int64_t q_avg_ort_size(int K, int ncounts, int32_t lo, int32_t hi)
{
    return Q_AVG_ORT_HEAD + K + (int64_t)ncounts * ((int64_t)hi - lo);
}

/* onnxruntime's output for the fp32 sum T*2^E over n taps (T rounded to
 * fp32 first: every sum the kernels form already is). */
static int32_t avg_ort_eval(int64_t T, int E, int n, float ys, int32_t zy, int32_t lo, int32_t hi)
{
    volatile float s = (float)ldexp((double)T, E);
    volatile float a = s / (float)n;
    volatile float q = a / ys;
    volatile float r = q + (float)zy;
    double y = nearbyintf(r);
    return (int32_t)(y < lo ? lo : y > hi ? hi : y);
}

int q_avg_ort_table(float xs, int32_t zx, DType xdt, float ys, int32_t zy, int32_t lo, int32_t hi,
                    int K, const char *used, int64_t *tab)
{
    if (!(xs > 0) || !(ys > 0) || !isnormal(xs) || !isnormal(ys) || !isfinite(xs * 512.0f))
        return -1;
    int e;
    frexpf(xs, &e);
    int E = e - 24; /* xs = M * 2^E, M in [2^23, 2^24) */
    int64_t xmin = dtype_info(xdt)->min, tmax = 0;
    for (int i = 0; i < 256; i++) {
        volatile float f = xs * (float)(xmin + i - zx);
        tab[i] = (int64_t)ldexp((double)f, -E);
        tmax = DORY_MAX(tmax, tab[i] < 0 ? -tab[i] : tab[i]);
    }
    tab[256] = K;
    int64_t off = Q_AVG_ORT_HEAD + K;
    for (int n = 1; n <= K; n++) {
        tab[Q_AVG_ORT_HEAD + n - 1] = used[n] ? off : -1;
        if (!used[n]) continue;
        int64_t bound = 2 * tmax * n + 2; /* beyond every reachable sum */
        for (int32_t v = lo + 1; v <= hi; v++) {
            int64_t a = -bound, b = bound; /* least T in [a, b] with y(T) >= v */
            if (avg_ort_eval(b, E, n, ys, zy, lo, hi) < v) {
                tab[off++] = INT64_MAX;
                continue;
            }
            while (a < b) {
                int64_t mid = a + (b - a) / 2;
                if (avg_ort_eval(mid, E, n, ys, zy, lo, hi) >= v)
                    b = mid;
                else
                    a = mid + 1;
            }
            tab[off++] = a;
        }
    }
    return 0;
}

int32_t q_avg_ort_out(const int64_t *tab, int64_t T, int n, int32_t lo, int32_t hi)
{
    const int64_t *thr = tab + tab[Q_AVG_ORT_HEAD + n - 1];
    int32_t a = 0, b = hi - lo; /* the number of thresholds <= T */
    while (a < b) {
        int32_t mid = a + (b - a) / 2;
        if (thr[mid] <= T)
            a = mid + 1;
        else
            b = mid;
    }
    return lo + a;
}

void q_avg_counts(int64_t h, int64_t w, int kh, int kw, const int *s, const int *p, int include_pad,
                  char *used)
{
    int64_t oh = (h + p[0] + p[2] - kh) / s[0] + 1, ow = (w + p[1] + p[3] - kw) / s[1] + 1;
    memset(used, 0, (size_t)kh * kw + 1);
    for (int64_t i = 0; i < oh; i++) {
        int64_t r0 = DORY_MAX(i * s[0] - p[0], 0), r1 = DORY_MIN(i * s[0] - p[0] + kh, h);
        for (int64_t j = 0; j < ow; j++) {
            int64_t c0 = DORY_MAX(j * s[1] - p[1], 0), c1 = DORY_MIN(j * s[1] - p[1] + kw, w);
            int64_t n = (r1 - r0) * (c1 - c0);
            if (n > 0) used[include_pad ? kh * kw : n] = 1;
        }
    }
}
