/* dory_internal.h: private helpers shared by the kernel files: the requant
 * epilogue (this library's own implementation of the integer contract), the
 * work split, activation loads and the zero-point algebra.
 *
 * Not part of the public API; must not include anything from src/.
 *
 * Zero points: conv and FC accumulate raw products sum x*w and correct
 * algebraically:  sum (x-zx)(w-zw) = sum x*w - zx*sum w - zw*sum x + K*zx*zw.
 * The corrections are computed in uint32 (wrapping) arithmetic: the true
 * accumulator fits int32 (verified), so the wrapped result is exact.
 */
#ifndef DORY_INTERNAL_H
#define DORY_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dory_isa.h"
#include "dory_kernels.h"

/* [lo, hi) share of n items for one core: contiguous chunks of ceil(n/cores). */
DORY_INLINE void dory__split(int n, const dory_ctx_t *ctx, int *lo, int *hi)
{
    int cores = ctx->num_cores > 0 ? ctx->num_cores : 1;
    int chunk = (n + cores - 1) / cores;
    int a = ctx->core_id * chunk;
    int b = a + chunk;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
}

DORY_INLINE int dory__cstride(const dory_dims_t *d) { return d->c_stride > 0 ? d->c_stride : d->c; }

/* fn on this core's copies of p, in and out (its stack: L1 on the PULP
 * cluster, 168 bytes; docs/PULP.md "Stacks"): a kernel whose per-pixel
 * loops read them would otherwise reload them from the caller's (a deployed
 * layer's are in L2) after every byte store. */
typedef int (*dory__conv_body_t)(const dory_ctx_t *ctx, const dory_conv_params_t *p,
                                 const dory_dims_t *in, const void *x, const int8_t *w,
                                 const int32_t *bias, const dory_dims_t *out, void *y);
DORY_INLINE int dory__conv_on_copies(dory__conv_body_t fn, const dory_ctx_t *ctx,
                                     const dory_conv_params_t *p, const dory_dims_t *in,
                                     const void *x, const int8_t *w, const int32_t *bias,
                                     const dory_dims_t *out, void *y)
{
    dory_conv_params_t pc = *p;
    dory_dims_t ic = *in, oc = *out;
    return fn(ctx, &pc, &ic, x, w, bias, &oc, y);
}

/* Element i of an 8-bit activation of type t. */
DORY_INLINE int32_t dory__ld(dory_type_t t, const void *p, int i)
{
    return t == DORY_I8 ? (int32_t)((const int8_t *)p)[i] : (int32_t)((const uint8_t *)p)[i];
}

/* Element i of an activation of any type (8-bit or int32). */
DORY_INLINE int32_t dory__ldt(dory_type_t t, const void *p, long i)
{
    if (t == DORY_I32) return ((const int32_t *)p)[i];
    return t == DORY_I8 ? (int32_t)((const int8_t *)p)[i] : (int32_t)((const uint8_t *)p)[i];
}

/* Both 8-bit output types are stored as the low byte of a value already in
 * range. */
DORY_INLINE void dory__st(void *p, int i, int32_t v) { ((uint8_t *)p)[i] = (uint8_t)v; }

/* Element i of an output of type t (8-bit or int32). */
DORY_INLINE void dory__stt(dory_type_t t, void *p, long i, int32_t v)
{
    if (t == DORY_I32)
        ((int32_t *)p)[i] = v;
    else
        ((uint8_t *)p)[i] = (uint8_t)v;
}

/* Bytes per element of type t. */
DORY_INLINE int dory__esize(dory_type_t t) { return t == DORY_I32 ? 4 : 1; }

/* How a conv/FC kernel stores one accumulator: the epilogue to 8 bits, the
 * epilogue to int32, or raw into an int32 accumulator buffer. */
typedef enum { DORY__ST_8 = 0, DORY__ST_32, DORY__ST_FIRST, DORY__ST_NEXT } dory__store_t;

DORY_INLINE dory__store_t dory__store_kind(int acc_mode, dory_type_t out_type)
{
    if (acc_mode == DORY_ACC_FIRST) return DORY__ST_FIRST;
    if (acc_mode == DORY_ACC_NEXT) return DORY__ST_NEXT;
    return out_type == DORY_I32 ? DORY__ST_32 : DORY__ST_8;
}

DORY_INLINE int32_t dory__wzp(const int32_t *zp, int per_channel, int c)
{
    return zp ? zp[per_channel ? c : 0] : 0;
}

/* ---- Requant ------------------------------------------------------------ */

/* gemmlowp SaturatingRoundingDoublingHighMul. */
DORY_INLINE int32_t dory__srdhm(int32_t a, int32_t b)
{
    int64_t ab, nudge;
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT, e in 0..31. */
DORY_INLINE int32_t dory__rdiv_pot(int32_t x, int e)
{
    int64_t mask = ((int64_t)1 << e) - 1;
    int64_t rem = (int64_t)x & mask;
    int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(((int64_t)x >> e) + (rem > threshold ? 1 : 0));
}

/* round_half_even(p), saturated like the reference. */
DORY_INLINE int64_t dory__rne_f32(float p)
{
    float r = nearbyintf(p);
    if (!(r == r)) return 0;
    if (r >= 9.2e18f) return INT64_MAX / 2;
    if (r <= -9.2e18f) return INT64_MIN / 2;
    return (int64_t)r;
}

/* round_half_even(f32(acc) * scale), saturated like the reference. */
DORY_INLINE int64_t dory__float_rq(int32_t acc, float scale)
{
    volatile float p = (float)acc * scale; /* no excess precision, no contraction */
    return dory__rne_f32(p);
}

/* fmaf(x, y, z) rounded once, also where the C library's fmaf is not (newlib
 * and picolibc compute it in double and round twice). Without a hardware
 * FMA: the product is exact in double; TwoSum gives the sum's rounding
 * error, and an inexact sum is rounded to odd, after which the one rounding
 * to float is the correct one (53 >= 24 + 2 bits). */
DORY_INLINE float dory__fmaf(float x, float y, float z)
{
#ifdef __FP_FAST_FMAF
    return fmaf(x, y, z);
#else
    volatile double p = (double)x * (double)y, s = p + (double)z;
    double bb = s - p, err = (p - (s - bb)) + ((double)z - bb), r = s;
    if (err != 0) {
        uint64_t u;
        memcpy(&u, &r, sizeof u);
        if (!(u & 1)) u += (err > 0) == (r > 0) ? 1 : (uint64_t)-1;
        memcpy(&r, &u, sizeof r);
    }
    return (float)r;
#endif
}

/* FLOAT's, QLADD's and QLMUL's results computed in integers (dory_f32int.c). */
int64_t dory__f32int_rq(int32_t acc, const float *scale);
int64_t dory__qladd_int(int32_t a, int32_t b, const float *s);
int64_t dory__qlmul_int(int32_t p, const float *s);

/* F32INT, its common case inline. With |s| = m 2^-d exactly (m the 24-bit
 * significand) and |acc| < 2^24, f32(acc) is exact and X = |acc| m (below
 * 2^48) is the exact product in units of 2^-d; fp32 rounds X to 24 bits,
 * then to an integer. q = (X + 2^(d-1)) >> d rounds X once, and equals
 * fp32's result when X lies farther than one fp32 half ulp from the two
 * half-integers around it: a half-integer of magnitude below 2^23 is an fp32
 * value, so the 24-bit rounding cannot reach or cross it. The half ulp is at
 * most |X| 2^-24 < (|q| + 1) 2^(d-24); with F = (X + 2^(d-1)) mod 2^d, the
 * distances are F and 2^d - F, and t = F >> (d - 24) in [a, 2^24 - 1 - a],
 * a = |q| + 1, proves both larger. In 32-bit words: Z = acc k, k = m 2^sh
 * below 2^32, puts the binary point at bit 32 + e, e = d + sh - 32 in 1..23,
 * so q and F's top e bits come from Z's high word and t's other bits from
 * its low word. fp32 is symmetric in the sign of s (acc is negated instead).
 * Exact ties (F = 0), the near-tie accumulators (about |q| 2^-23 of them),
 * |acc| >= 2^24 and |s| outside [2^-32, 2^-1) take the full emulation. */
DORY_INLINE int64_t dory__f32int_fast(int32_t acc, const float *scale)
{
    union {
        float f;
        uint32_t u;
    } v;
    int d, sh, e;
    v.f = *scale;
    d = 150 - (int)((v.u >> 23) & 255);
    sh = d < 33 ? 33 - d : 0;
    e = d + sh - 32;
    if ((uint32_t)acc + 0xffffffu <= 0x1fffffeu && (unsigned)(d - 25) <= 30u) {
        uint32_t k = ((v.u & 0x7fffffu) | 0x800000u) << sh;
        int64_t z = (int64_t)(v.u >> 31 ? -acc : acc) * (int64_t)k;
        int32_t hi = (int32_t)(z >> 32) + (1 << (e - 1)), q = hi >> e;
        int32_t t =
            (int32_t)(((uint32_t)hi & ((1u << e) - 1)) << (24 - e) | (uint32_t)z >> (e + 8));
        int32_t a = (q < 0 ? -q : q) + 1;
        if (t >= a && t <= 0xffffff - a) return q;
    }
    return dory__f32int_rq(acc, scale);
}

/* requant(acc) for channel c, as int64 (before zero point and clamp). */
DORY_INLINE int64_t dory__rq_raw(const dory_requant_t *rq, int c, int64_t acc)
{
    int i = rq->per_channel ? c : 0;
    switch (rq->scheme) {
    case DORY_RQ_NONE: return acc;
    case DORY_RQ_SHIFT32: {
        int32_t v = rq->k32[i] * (int32_t)acc + (rq->l32 ? rq->l32[i] : 0);
        return v >> rq->d;
    }
    case DORY_RQ_SHIFT64: {
        int64_t v = rq->k64[i] * acc + (rq->l64 ? rq->l64[i] : 0);
        return v >> rq->d;
    }
    case DORY_RQ_FIXED: {
        int32_t s = rq->shift[i];
        int left = rq->pre + (s > 0 ? s : 0);
        int32_t x = (int32_t)((uint32_t)(int32_t)acc << left);
        return dory__rdiv_pot(dory__srdhm(x, rq->mult[i]), s > 0 ? 0 : -s);
    }
    case DORY_RQ_FLOAT: return dory__float_rq((int32_t)acc, rq->scale[i]);
    case DORY_RQ_FIXED_SR: { /* acc * mult / 2^t rounded half away, t = 1..62 */
        int64_t p = acc * rq->mult[i], mask;
        int t = 31 - rq->shift[i];
        mask = ((int64_t)1 << t) - 1;
        return (p >> t) + ((p & mask) > (mask >> 1) + (p < 0 ? 1 : 0) ? 1 : 0);
    }
    case DORY_RQ_LUT: return rq->table[acc - rq->table_base];
    case DORY_RQ_F32INT: /* a channel's proven shortcut, else the emulation */
        if (rq->k32 && rq->k32[i]) {
            int64_t v = (int64_t)(int32_t)acc * rq->k32[i] + rq->l64[i];
            return (int32_t)(v >> 32) >> (rq->d - 32); /* d >= 32 */
        }
        return dory__f32int_fast((int32_t)acc, &rq->scale[i]);
    case DORY_RQ_QLADD:
    case DORY_RQ_QLADD_INT: break; /* the add kernel's own formula */
    case DORY_RQ_QLMUL: {          /* zero point inside: the mul kernel's epilogue */
        volatile float t = (float)acc * rq->scale[0];
        return dory__rne_f32(t + rq->scale[1]);
    }
    case DORY_RQ_QLMUL_INT: return dory__qlmul_int((int32_t)acc, rq->scale);
    }
    return acc;
}

/* clamp(v + zp, lo, hi) with v int64. */
DORY_INLINE int32_t dory__clamp_zp(const dory_out_params_t *o, int64_t v)
{
    if (v > INT64_MAX / 2) v = INT64_MAX / 2;
    if (v < INT64_MIN / 2) v = INT64_MIN / 2;
    v += o->zp;
    return (int32_t)(v < o->lo ? o->lo : v > o->hi ? o->hi : v);
}

/* SHIFT64 in 32-bit words (rv32 has no 64-bit multiply; the Xpulp cores'
 * assembly takes the same words). X = k*a + c mod 2^64 with the folded
 * constant c = k*b + l - L 2^d: b a bias folded in (0 where the accumulator
 * a holds it), L a clamp bound folded in (0, or lo - zp: X >> d is then the
 * output minus lo). With k = kh 2^32 + kl (kl unsigned), X has the low word
 * s = a*kl + cl and the high word mulhsu(a, kl) + a*kh + ch + carry(s).
 * Wherever |X| < 2^63, X >> d for d >= 32 is the high word >> (d - 32),
 * exact in int32: for b = L = 0, X = k*acc + l, which the verifier bounds;
 * otherwise dory__s64_init proves it from a bound on a. The words, in the
 * order of the assembly's per-channel blocks: */
typedef struct {
    uint32_t kl, kh, cl, ch;
} dory__s64_t;

/* Bits of v (0 for 0). */
DORY_INLINE int dory__bits64(uint64_t v)
{
#if defined(__GNUC__)
    return v ? 64 - __builtin_clzll(v) : 0;
#else
    int n = 0;
    for (; v; v >>= 1) n++;
    return n;
#endif
}
DORY_INLINE uint64_t dory__abs64(int64_t x) { return x < 0 ? 0 - (uint64_t)x : (uint64_t)x; }

/* The words of k and of the folded constant c. */
DORY_INLINE void dory__s64_set(dory__s64_t *e, uint64_t k, uint64_t c)
{
    e->kl = (uint32_t)k, e->kh = (uint32_t)(k >> 32), e->cl = (uint32_t)c,
    e->ch = (uint32_t)(c >> 32);
}

/* Channel c's words for bias b (exact) and bound L. amax = 0: no proof,
 * returns 1 (for L = 0 and a + b the accumulator, X = k*acc + l, which the
 * verifier bounds). Else returns 1 iff |X| < 2^63 for every
 * |a| <= amax: |X| <= |k| amax + |k b + l| + |L| 2^d, each term bounded by
 * its bits first (|k| amax, |k b|, |l| below 2^62, |L| 2^d below 2^61: the
 * sum fits uint64). */
DORY_INLINE int dory__s64_init(const dory_requant_t *rq, int c, int64_t b, int64_t L, uint32_t amax,
                               dory__s64_t *e)
{
    int i = rq->per_channel ? c : 0, d = rq->d, bk;
    int64_t k = rq->k64[i], l = rq->l64 ? rq->l64[i] : 0;
    uint64_t ak = dory__abs64(k), x = (uint64_t)k * (uint64_t)b + (uint64_t)l, cu;
    cu = x - ((uint64_t)L << (d & 63));
    dory__s64_set(e, (uint64_t)k, cu);
    if (!amax) return 1;
    bk = dory__bits64(ak);
    if (bk + dory__bits64(amax) > 62 || bk + dory__bits64(dory__abs64(b)) > 62 ||
        dory__bits64(dory__abs64(l)) > 62 || dory__bits64(dory__abs64(L)) + d > 61)
        return 0;
    return !((ak * amax + dory__abs64((int64_t)x) + (dory__abs64(L) << d)) >> 63);
}

/* The high word of X (returned) and its low word (*lo), mod 2^64. */
DORY_INLINE int32_t dory__s64_words(const dory__s64_t *e, int32_t a, uint32_t *lo)
{
    uint64_t p = (uint64_t)((int64_t)a * (int64_t)e->kl); /* exact: |a kl| < 2^63 */
    uint32_t s = (uint32_t)p + e->cl;
    *lo = s;
    return (int32_t)((uint32_t)(p >> 32) + (uint32_t)a * e->kh + e->ch + (s < e->cl));
}

/* X >> d saturated to int32 (exact for d >= 32, where only the high word is
 * shifted). */
DORY_INLINE int32_t dory__s64_shift(const dory__s64_t *e, int32_t a, int d)
{
    uint32_t s;
    int32_t h = dory__s64_words(e, a, &s), vh, vl;
    if (d >= 32) return h >> (d - 32);
    vh = d ? h >> d : h;
    vl = d ? (int32_t)(s >> d | (uint32_t)h << 1 << (31 - d)) : (int32_t)s;
    if (vh != vl >> 31) return vh < 0 ? INT32_MIN : INT32_MAX;
    return vl;
}

/* clamp(v, lo, lo + range) - lo, one unsigned compare on the common path. */
DORY_INLINE uint32_t dory__clamp_range(int32_t v, int32_t lo, uint32_t range)
{
    uint32_t t = (uint32_t)v - (uint32_t)lo;
    return DORY_UNLIKELY(t > range) ? (v < lo ? 0u : range) : t;
}

/* The whole step: clamp(X >> d, lo, lo + range) - lo (the caller adds the
 * output's base, lo + zp). Exact where |X| < 2^63 and, for d < 32, the
 * bounds are those of dory__s64_bounds_ok. */
DORY_INLINE uint32_t dory__s64_step(const dory__s64_t *e, int32_t a, int d, int32_t lo,
                                    uint32_t range)
{
    return dory__clamp_range(dory__s64_shift(e, a, d), lo, range);
}

/* SHIFT64 whose clamp bounds minus zp fit well inside int32 (then the
 * saturation of dory__s64_shift cannot change the clamped value). */
DORY_INLINE int dory__s64_bounds_ok(const dory_out_params_t *o)
{
    return o->rq.scheme == DORY_RQ_SHIFT64 && o->lo >= -65536 && o->hi <= 65536 &&
           o->zp >= -65536 && o->zp <= 65536 && o->lo <= o->hi;
}

/* The whole epilogue: clamp(requant(acc) + zp, lo, hi). */
DORY_INLINE int32_t dory__epi(const dory_out_params_t *o, int c, int32_t acc)
{
    if (o->rq.scheme == DORY_RQ_SHIFT32) {
        int i = o->rq.per_channel ? c : 0;
        int32_t v = (o->rq.k32[i] * acc + (o->rq.l32 ? o->rq.l32[i] : 0)) >> o->rq.d;
        int64_t t = (int64_t)v + o->zp;
        return (int32_t)(t < o->lo ? o->lo : t > o->hi ? o->hi : t);
    }
    if (dory__s64_bounds_ok(o)) {
        dory__s64_t e;
        dory__s64_init(&o->rq, c, 0, 0, 0, &e);
        return (int32_t)dory__s64_step(&e, acc, o->rq.d, o->lo - o->zp, (uint32_t)(o->hi - o->lo)) +
               o->lo;
    }
    return dory__clamp_zp(o, dory__rq_raw(&o->rq, c, acc));
}

/* Bytes per output element of a store kind. */
DORY_INLINE int dory__store_esize(dory__store_t s) { return s == DORY__ST_8 ? 1 : 4; }

/* Checks acc_mode, and the output type when it is used (DORY_ACC_STORE). */
DORY_INLINE int dory__acc_ok(int acc_mode, dory_type_t out_type)
{
    return (unsigned)acc_mode <= DORY_ACC_NEXT &&
           (acc_mode != DORY_ACC_STORE || (unsigned)out_type <= DORY_I32);
}

/* Stores accumulator a (wrapped int32) of channel c as element i of p, as
 * kind s says. */
DORY_INLINE void dory__store_acc(dory__store_t s, const dory_out_params_t *o, void *p, long i,
                                 int c, int32_t a)
{
    int32_t *q = (int32_t *)p;
    switch (s) {
    case DORY__ST_8: ((uint8_t *)p)[i] = (uint8_t)dory__epi(o, c, a); break;
    case DORY__ST_32: q[i] = dory__epi(o, c, a); break;
    case DORY__ST_FIRST: q[i] = a; break;
    case DORY__ST_NEXT: q[i] = (int32_t)((uint32_t)q[i] + (uint32_t)a); break;
    }
}

/* SHIFT32 epilogue with its constants in locals (kernels keep one per
 * channel in registers; stores through uint8_t pointers would otherwise force
 * reloads). lo/hi are pre-shifted by -zp so the zero point is added last. */
typedef struct {
    int32_t k, l, lo, hi, zp;
    int d;
} dory__s32_t;

DORY_INLINE void dory__s32_load(const dory_out_params_t *o, int c, dory__s32_t *e)
{
    int i = o->rq.per_channel ? c : 0;
    int64_t lo = (int64_t)o->lo - o->zp, hi = (int64_t)o->hi - o->zp;
    e->k = o->rq.k32[i];
    e->l = o->rq.l32 ? o->rq.l32[i] : 0;
    e->d = o->rq.d;
    e->zp = o->zp;
    e->lo = (int32_t)(lo < INT32_MIN ? INT32_MIN : lo > INT32_MAX ? INT32_MAX : lo);
    e->hi = (int32_t)(hi < INT32_MIN ? INT32_MIN : hi > INT32_MAX ? INT32_MAX : hi);
}

/* FIXED epilogue to 8 bits in 32-bit operations (one 32x32->64 multiply),
 * bit-exact with dory__epi(): srdhm(a, m) = floor((a*m + 2^30) / 2^31)
 * (gemmlowp's nudge and truncation give the same), then gemmlowp's
 * RoundingDivideByPOT, then the clamp with bounds pre-shifted by -zp (as
 * dory__s32_t) so that adding zp cannot overflow. */
typedef struct {
    int32_t mult, lo, hi, zp;
    int left, right;
    uint32_t mask; /* 2^right - 1 */
} dory__fx_t;

/* The multiplier and shifts of channel c of a FIXED requant (no clamp). */
DORY_INLINE void dory__fx_load_rq(const dory_requant_t *rq, int c, dory__fx_t *e)
{
    int i = rq->per_channel ? c : 0;
    int32_t s = rq->shift[i];
    e->mult = rq->mult[i];
    e->left = rq->pre + (s > 0 ? s : 0);
    e->right = s > 0 ? 0 : -s;
    e->mask = (uint32_t)(((uint64_t)1 << e->right) - 1);
    e->zp = 0, e->lo = INT32_MIN, e->hi = INT32_MAX;
}

DORY_INLINE void dory__fx_load(const dory_out_params_t *o, int c, dory__fx_t *e)
{
    int64_t lo = (int64_t)o->lo - o->zp, hi = (int64_t)o->hi - o->zp;
    dory__fx_load_rq(&o->rq, c, e);
    e->zp = o->zp;
    e->lo = (int32_t)(lo < INT32_MIN ? INT32_MIN : lo > INT32_MAX ? INT32_MAX : lo);
    e->hi = (int32_t)(hi < INT32_MIN ? INT32_MIN : hi > INT32_MAX ? INT32_MAX : hi);
}

/* requant(acc) of FIXED alone (dory__rq_raw's value; it fits int32). */
DORY_INLINE int32_t dory__fx_raw(const dory__fx_t *e, int32_t acc)
{
    int32_t x = (int32_t)((uint32_t)acc << e->left), v, rem, thr;
    if (DORY_UNLIKELY(x == INT32_MIN && e->mult == INT32_MIN))
        v = INT32_MAX;
    else
        v = (int32_t)(((int64_t)x * e->mult + ((int64_t)1 << 30)) >> 31);
    rem = (int32_t)((uint32_t)v & e->mask);
    thr = (int32_t)(e->mask >> 1) + (v < 0);
    return (v >> e->right) + (rem > thr);
}

DORY_INLINE int32_t dory__fx_apply(const dory__fx_t *e, int32_t acc)
{
    int32_t v = dory__fx_raw(e, acc);
    v = v < e->lo ? e->lo : v > e->hi ? e->hi : v;
    return v + e->zp;
}

/* ---- Zero-point algebra -------------------------------------------------- */

/* bias[c] - zx*sum(w[c]) + K*zx*zw[c] for channels [0, n), into b (uint32
 * wrapping arithmetic). w rows are K int8 values apart. */
void dory__bias_eff(int n, int k, const int8_t *w, const int32_t *bias, int32_t zx,
                    const int32_t *w_zp, int w_zp_per_channel, int32_t *b);

/* True when every weight zero point is 0. */
int dory__wzp_all_zero(const int32_t *w_zp, int per_channel, int n);

/* ---- Matrix core shared by conv2d and conv1x1 --------------------------- */

/* Output pixels per group of the matrix core (interleave width of col). */
#define DORY__MM_NP 4

/* The conv kernels feed the core unsigned bytes: i8 activations are flipped
 * to x + 128 (x ^ 0x80) and their zero point moved by 128 to match. */
DORY_INLINE uint8_t dory__flip(dory_type_t t) { return t == DORY_I8 ? 0x80 : 0; }
DORY_INLINE int32_t dory__zx_u(const dory_conv_params_t *p)
{
    return p->in_type == DORY_I8 ? p->in_zp + 128 : p->in_zp;
}

/* One group of DORY__MM_NP output pixels whose K-element input vectors are
 * interleaved in col (col[NP*k + q], unsigned bytes), against all cout weight
 * rows; writes the epilogue results to yp[q][c] for q < np. b: effective
 * bias per channel (with the unsigned zero point); sx: per-pixel sums of col
 * (used only when zw_nonzero). Unused pixel columns may hold anything. */
/* The Xpulp matrix core (dory_mm_xpulp_s8.c): the PULP v2 dot products of
 * dory_xpulp.h, as .insn (-DDORY_XPULP_INSN on RV32: runtime/pulp/app.mk), a
 * PULP toolchain's builtins, or their portable C (-DDORY_MM_XPULP_C: the
 * same algorithm tested on the host, `make test-xpulp-kernels`). */
#if (defined(DORY_XPULP_INSN) && defined(__riscv) && __riscv_xlen == 32) ||                        \
    defined(DORY_XPULP_BUILTINS) || defined(DORY_MM_XPULP_C)
#define DORY__MM_XPULP 1
#else
#define DORY__MM_XPULP 0
#endif

/* The fused RV32 core (dory_mm_rv32_s8.c): 32-bit RISC-V with M, not RV32E;
 * not where the Xpulp core is. */
#if defined(__GNUC__) && defined(__riscv) && defined(__riscv_mul) && __riscv_xlen == 32 &&         \
    !defined(__riscv_32e) && !defined(DORY_NO_ASM) && !DORY__MM_XPULP
#define DORY__MM_RV32 1
#else
#define DORY__MM_RV32 0
#endif

/* Argument of the fused cores (RV32 and Xpulp): nblk blocks of 4 channels, weights from w (rows
 * k bytes apart, k a multiple of 8), biases b, k and l of channel c at kl[2c],
 * kl[2c + 1], output pixel q at y + q * ys, clamp [0, range], zero point 0.
 * 40 bytes, word fields only (the assembly reads it by offset). */
typedef struct {
    const int8_t *w;
    int32_t k, nblk;
    const uint8_t *x;
    const int32_t *b, *kl;
    int32_t d;
    uint32_t range;
    uint8_t *y;
    int32_t ys;
} dory__mm_rv32_t;
#if DORY__MM_RV32
void dory__mm4x4_rv32(const dory__mm_rv32_t *a);
#endif

typedef struct {
    const dory_conv_params_t *p;
    int k, cout;
    const int8_t *w;
    const int32_t *b;
    int zw_nonzero;
    int fast;            /* SHIFT32 epilogue to 8 bits */
    int raw;             /* int32 stores of the raw accumulator (no weight zero point) */
    dory__store_t store; /* how mm_store writes (yp are byte pointers) */
    int32_t lo, hi, zp;  /* SHIFT32: clamp bounds minus zp (see dory__s32_t) */
    int fused;           /* the fused RV32 core applies (kl below is filled) */
    const int32_t *kl;   /* its k, l per channel (in acc's scratch) */
    int32_t *acc;        /* scratch: NP * cout accumulators */
    uint8_t *dummy;      /* scratch: cout bytes after acc, output of unused pixels */
    int blocked;         /* Xpulp core: col is already in its blocked layout */
    int fx;              /* FIXED to 8 bits: the 32-bit FIXED epilogue */
    int s64;             /* SHIFT64 to 8 bits (lo, hi, zp as for SHIFT32) */
    int f64;             /* the fused Xpulp core's SHIFT64 form (DORY__MM_F64H..), 0 if none */
    int dup;             /* the caller's unused columns (and yp) repeat its last pixel */
} dory__mm_t;

/* The fused Xpulp core's SHIFT64 forms (m->fused with m->s64): k and l of
 * channel c as 4 words at kl[4c] (k low, k high, l low, l high; l low inverted
 * for F64H and F32H, see dory_mm_s8.c fill_kl). */
enum {
    DORY__MM_F64H = 1, /* d >= 32: mulhsu + mul for the high word, then >> (d - 32) */
    DORY__MM_F32H = 2, /* d >= 32, k within int32: mulh */
    DORY__MM_F32L = 3  /* d in 1..31, k within int32: both words shifted */
};

/* Scratch of the core: effective bias (cout int32), accumulators (NP * cout
 * int32), dummy outputs (cout bytes, rounded to 4). */
#define DORY__MM_SCRATCH(cout) (4 * (1 + DORY__MM_NP) * (cout) + (((cout) + 3) & ~3))

/* Fills m; b: effective bias; acc: the scratch after it (NULL if unused). */
void dory__mm_init(dory__mm_t *m, const dory_conv_params_t *p, int k, int cout, const int8_t *w,
                   const int32_t *b, int32_t *acc);
void dory__mm_pixels(const dory__mm_t *m, int np, const uint8_t *col, const int32_t *sx,
                     uint8_t *const *yp);
/* One output pixel, col contiguous (K unsigned bytes), sx = sum of col (used
 * only when zw_nonzero): every scheme and store kind through
 * dory__store_acc; y: the pixel's output (byte pointer). m->acc unused. */
void dory__mm_pixel1(const dory__mm_t *m, const uint8_t *col, int32_t sx, uint8_t *y);
#if DORY__MM_XPULP
/* The Xpulp core's accumulators of dory__mm_pixels: m->acc[4c + q] for every
 * channel c, from col, which it rearranges in place (each 16-byte block of 4
 * taps x 4 pixels transposed to 4 words of one pixel's 4 taps). */
void dory__mm_acc_xpulp(const dory__mm_t *m, uint8_t *col);
/* acc[j] = b[j] + sum_k w[c0 + j][k] * col[k], j < n <= 4, col contiguous. */
void dory__mm_acc1_xpulp(const dory__mm_t *m, int c0, int n, const uint8_t *col, int32_t *acc);
/* The Xpulp depthwise 3x3 (dory_dwconv3x3_xpulp_s8.c), called by
 * dory_dwconv3x3_s8 for 8-bit outputs: DORY_OK, or 1 where it does not
 * apply (a weight zero point; scratch too small) and the caller's portable
 * paths run. */
int dory__dw3x3_xpulp(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                      void *y);
/* The fused Xpulp core (m->fused): the a->nblk blocks of 4 channels with the
 * SHIFT32 epilogue stored from registers (a: the fused RV32 core's argument,
 * same contract but K a multiple of 4); the cout % 4 tail channels'
 * accumulators to m->acc. Returns the first channel left to store. */
int dory__mm_fused_xpulp(const dory__mm_t *m, uint8_t *col, dory__mm_rv32_t *a);
#endif
#if DORY__MM_XPULP
#include "dory_xpulp.h"
/* A word at any byte address, loaded and stored (RI5CY accesses misaligned
 * words in hardware; the portable form is memcpy). */
typedef struct {
    uint8_t b[4];
} dory__w4_t;
DORY_INLINE uint32_t dory__ldw_any(const void *p)
{
    uint32_t v;
#if DORY_XP_MODE == 1
    __asm__("lw %0, %1" : "=r"(v) : "m"(*(const dory__w4_t *)p));
#else
    memcpy(&v, p, 4);
#endif
    return v;
}
DORY_INLINE void dory__stw_any(void *p, uint32_t v)
{
#if DORY_XP_MODE == 1
    __asm__("sw %1, %0" : "=m"(*(dory__w4_t *)p) : "r"(v));
#else
    memcpy(p, &v, 4);
#endif
}
/* Pixel q's n taps from tap k0 on into the Xpulp core's blocked layout
 * (word k0 + 4i + q = taps k0+4i..k0+4i+3), each byte XOR f; n and k0
 * multiples of 4, src 4-byte aligned. */
DORY_INLINE void dory__col_put_blocked(uint8_t *col, int q, int k0, const uint8_t *src, int n,
                                       uint8_t f)
{
    uint32_t *d = (uint32_t *)(void *)col + k0 + q, m = 0x01010101u * f;
    const uint32_t *s = (const uint32_t *)(const void *)src;
    int i = 0;
#if DORY_XP_MODE == 1
    if (!f && n >= 8) { /* 2 words per 4 cycles: post-increment loads and stores, a hardware loop */
        uint32_t t0, t1;
        __asm__ volatile(".option push\n\t.option norvc\n\t" DORY_XP_LP_SETUP(
                             0, "%[n]", 4) ".insn i 0x0b, 2, %[t0], %[s], 4\n\t"
                                           ".insn i 0x0b, 2, %[t1], %[s], 4\n\t"
                                           ".insn s 0x2b, 2, %[t0], 16(%[d])\n\t"
                                           ".insn s 0x2b, 2, %[t1], 16(%[d])\n\t.option pop"
                         : [s] "+r"(s), [d] "+r"(d), [t0] "=&r"(t0), [t1] "=&r"(t1)
                         : [n] "r"(n / 8)
                         : "memory");
        i = n / 8 * 2;
        if (i * 4 == n) return;
        s -= i, d -= 4 * i; /* the indexing below restarts from the row's start */
    }
#endif
    for (; i < n / 4; i++) d[4 * i] = s[i] ^ m;
}
/* Pixel q's n taps from tap k0 on, all the value v (padding). */
DORY_INLINE void dory__col_fill_blocked(uint8_t *col, int q, int k0, int n, uint8_t v)
{
    uint32_t *d = (uint32_t *)(void *)col + k0 + q, m = 0x01010101u * v;
    int i;
    for (i = 0; i < n / 4; i++) d[4 * i] = m;
}
#endif
/* sx[q] = sum_k col[NP*k + q]. */
void dory__col_sums(const uint8_t *col, int k, int32_t *sx);

/* dst[NP*i] = src[i] ^ f for i < n: one pixel's column of the interleaved
 * buffer (f = 0x80 flips i8 to unsigned). */
#define COL8(OP)                                                                                   \
    for (; i + 8 <= n; i += 8, src += 8, dst += 8 * DORY__MM_NP) {                                 \
        uint8_t t0 = src[0], t1 = src[1], t2 = src[2], t3 = src[3];                                \
        uint8_t t4 = src[4], t5 = src[5], t6 = src[6], t7 = src[7];                                \
        dst[0] = OP(t0), dst[4] = OP(t1), dst[8] = OP(t2), dst[12] = OP(t3);                       \
        dst[16] = OP(t4), dst[20] = OP(t5), dst[24] = OP(t6), dst[28] = OP(t7);                    \
    }
#define COL_PLAIN(v) (v)
#define COL_FLIP(v)  (uint8_t)((v) ^ 0x80)

DORY_INLINE void dory__col_copy(uint8_t *dst, const uint8_t *src, int n, uint8_t f)
{
    int i = 0;
    if (f) {
        COL8(COL_FLIP)
    } else {
        COL8(COL_PLAIN)
    }
    for (; i < n; i++, src++, dst += DORY__MM_NP) *dst = (uint8_t)(*src ^ f);
}

/* ---- Depthwise plane ----------------------------------------------------- */

/* Padded plane of one channel, int16 values x - zx (padding = 0), of
 * (h + pt + pb) rows of pw = w + pl + pr elements. */
typedef struct {
    int16_t *v;
    int pt, pl, ph, pw;
} dory__plane_t;

/* Sets up the plane in scratch and zeroes it (the padding stays 0). */
int dory__plane_init(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                     dory__plane_t *pl);
/* Scratch bytes of the depthwise 3x3 SHIFT32 path (4 byte planes). */
int32_t dory__dw3x3_fast_scratch(const dory_conv_params_t *p, const dory_dims_t *in);
/* Fills the plane's interior with channel c of x, minus the zero point. */
void dory__plane_fill(const dory__plane_t *pl, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, int c);

#endif
