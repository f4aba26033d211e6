/* quant.h: the integer contract, written once. The reference interpreter uses
 * these functions; kernels implement the same formulas on their own and are
 * tested against them; tests/py/test_requant.py checks them against an
 * arbitrary-precision Python implementation.
 *
 * Must stay free of graph traversal: scalar arithmetic only.
 */
#ifndef DORY_QUANT_H
#define DORY_QUANT_H

#include <stdint.h>

#include "ir.h"

/* gemmlowp/TFLite SaturatingRoundingDoublingHighMul: the high 32 bits of
 * 2*a*b rounded half away from zero; INT32_MIN*INT32_MIN saturates. */
int32_t q_srdhm(int32_t a, int32_t b);
/* gemmlowp RoundingDivideByPOT: x / 2^e rounded half away from zero, e 0..31. */
int32_t q_rdiv_pot(int32_t x, int e);
/* The same on an int64 x, e 1..62: LiteRT's single rounding of acc * mult. */
int64_t q_rdiv_pot64(int64_t x, int e);
/* round_half_even(f32(acc) * scale) in IEEE single precision, saturated to
 * int64 range (the clamp follows). */
int64_t q_float_requant(int32_t acc, float scale);

/* ---- onnxruntime's average pool (AVG_ORT) ----------------------------------
 * QLinearAveragePool (and DQ -> AveragePool -> Q) compute, per window of n
 * counted taps, y = rne(f32(f32(f32(sum) / n) / ys) + zy) where sum adds
 * f32(xs * (x - zx)) over the valid taps in row order, in fp32. Every such
 * value is an integer multiple of u = 2^E (the unit of xs's last bit), so
 * the sum is exact integer arithmetic in units of u with each addition
 * rounded to 24 significant bits (q_f32_units_add), and y is a
 * non-decreasing function of that sum T for each n: lo + the number of n's
 * thresholds <= T. The table (i64) holds
 *   [0, 256)        t[x - xmin]: f32(xs * (x - zx)) / u (xmin: -128 or 0)
 *   [256]           K, the kernel area (counts 1..K)
 *   [257, 257 + K)  offset of count n's hi - lo thresholds, or -1
 *   then the thresholds: for count n, entry j is the least T with y >= lo+1+j
 * computed at compile time from onnxruntime's own fp32 arithmetic. */
enum { Q_AVG_ORT_HEAD = 257 };
/* fp32 addition of a and b, both in units u: the exact sum rounded to 24
 * significant bits, half to even (|a + b| < 2^53; computed by the FPU, the
 * kernels do it in integers). */
int64_t q_f32_units_add(int64_t a, int64_t b);
/* Size of the table for kernel area K, `ncounts` counts used, clamp lo..hi. */
int64_t q_avg_ort_size(int K, int ncounts, int32_t lo, int32_t hi);
/* Builds the table (q_avg_ort_size entries) for input xs, zx of type xdt,
 * output ys, zy, clamp [lo, hi]; used[n] (n = 1..K) marks the counts that
 * occur. -1 when xs or ys is not a positive normal fp32 scale. */
int q_avg_ort_table(float xs, int32_t zx, DType xdt, float ys, int32_t zy, int32_t lo, int32_t hi,
                    int K, const char *used, int64_t *tab);
/* used[n] = 1 (n = 1..K) for the counts of the windows of a pool of kh x kw,
 * strides s, pads p (top, left, bottom, right) on an h x w input. */
void q_avg_counts(int64_t h, int64_t w, int kh, int kw, const int *s, const int *p, int include_pad,
                  char *used);
/* The output of a window with fp32 sum T (units u) over n counted taps. */
int32_t q_avg_ort_out(const int64_t *tab, int64_t T, int n, int32_t lo, int32_t hi);

/* One channel's requant constants, resolved from the graph. */
typedef struct RqChan {
    RqScheme scheme;
    int64_t k, l;         /* SHIFT; F32INT: the proven shortcut (k 0: none) */
    int d;                /* SHIFT, F32INT's shortcut */
    int32_t mult;         /* FIXED */
    int32_t shift;        /* FIXED, >0 left, <0 right */
    int pre;              /* FIXED */
    float scale;          /* FLOAT, F32INT */
    const int32_t *table; /* LUT: ntable entries, table[0] at acc = base */
    int ntable, base;
    float qs[3]; /* QLADD, QLADD_INT: s_a, s_b, c; QLMUL, QLMUL_INT: s, zc */
} RqChan;

RqChan rq_channel(const Graph *g, const Requant *rq, int64_t c);
/* QLADD and QLADD_INT: rne(fma(a, s_a, fma(b, s_b, c))) in fp32 on the raw
 * integer inputs a and b, saturated to int64 range (the clamp follows). This
 * is onnxruntime's QLinearAdd (MLAS, AVX2 kernel: c = zc - fma(s_a, za,
 * s_b*zb) and two fused multiply-adds; docs/FRONTEND_ONNX.md). */
int64_t q_qladd(const RqChan *r, int32_t a, int32_t b);
/* QLMUL and QLMUL_INT: rne(f32(f32(p) * s) + zc) in fp32, p the exact
 * product (a - za)(b - zb) of two 8-bit inputs (|p| < 2^17, exact in fp32),
 * saturated to int64 range (the clamp follows). This is onnxruntime's
 * QLinearMul (MLAS SSE2/NEON kernels: s = f32(f32(sa*sb)/sc), a multiply and
 * an add, no FMA; docs/FRONTEND_ONNX.md). */
int64_t q_qlmul(const RqChan *r, int64_t p);
/* Applies the scheme to an accumulator (not QLADD: q_qladd; QLMUL: q_qlmul). SHIFT is computed
 * exactly (128-bit); the verifier proves which width a kernel needs. FIXED requires acc << (pre +
 * left) to fit int32 (verified). */
int64_t rq_apply(const RqChan *r, int64_t acc);

/* ---- Exact integer helpers for constructing requantizations ------------
 * Frontends use these to turn a source framework's arithmetic into one of
 * the schemes above; the results are verified like any other constants. */

/* 1 if v is an integer of magnitude below 9e18 (safe to convert). */
int q_is_integral(double v);
/* 1 (and *e) if d == 2^e with e >= 0. */
int q_pow2_exponent(double d, int *e);
/* v converted to int64, saturated to [lo, hi]; NaN gives lo. */
int64_t q_sat_f64(double v, int64_t lo, int64_t hi);
/* Exact division by a D that is not a power of two, per channel: for every
 * int32 acc with floor((a*acc + b) / D) in [0, hi], it equals
 * (K*acc + L) >> d. q_exact_div_shift returns the d this channel needs;
 * q_exact_div_consts the constants for a d at least that large (-1 if they
 * exceed 62 bits). D >= 1, hi >= 0. */
int q_exact_div_shift(int64_t a, int64_t b, int64_t D, int64_t hi);
int q_exact_div_consts(int64_t a, int64_t b, int64_t D, int64_t hi, int d, int64_t *K, int64_t *L);

/* ---- TFLite ------------------------------------------------------------
 * QuantizeMultiplier: d = mult * 2^(shift - 31), mult in [2^30, 2^31), by
 * frexp and rounding half away; 0 for d = 0 or d < 2^-32 (shift < -31). */
void q_tflite_multiplier(double d, int32_t *mult, int *shift);
/* gemmlowp's exp_on_negative_values: a in Q5.26 (a <= 0), result Q0.31. */
int32_t q_exp_on_negative_values(int32_t a);
/* gemmlowp's one_over_one_plus_x_for_x_in_0_1: a in Q0.31, result Q0.31. */
int32_t q_one_over_one_plus_x(int32_t a);
/* TFLite's int8 softmax of one row of n int8 values (reference kernels of
 * LiteRT and TFLite Micro): output scale 1/256, zero point -128. n at most
 * Q_SOFTMAX_MAX keeps the sum of exps in int32 and the final rounding
 * exponent within 31. */
enum { Q_SOFTMAX_MAX = 256 };
void q_softmax_row(const int32_t *x, int64_t n, int32_t mult, int shift, int32_t diff_min,
                   int32_t *y);
/* Its constants from beta and the input scale (PreprocessSoftmaxScaling with
 * 5 integer bits, CalculateInputRadius). */
void q_softmax_params(double beta, double in_scale, int32_t *mult, int *shift, int32_t *diff_min);
/* FLOAT as SHIFT, proven: k and l such that for every acc in [amin, amax]
 * the clamped results agree, i.e. for every t in [tlo, thi]
 *   round_half_even(f32(acc) * s) >= t  <=>  (k*acc + l) >> d >= t.
 * Both sides are monotone in acc, so it suffices that they first reach
 * each t at the same acc (found by bisection on the fp32 side). Tries k
 * near s*2^d; 0 on success, 1 if none was found (s > 0; |acc|*k fits 62
 * bits for the d the caller chose). */
int q_float_as_shift(float s, int64_t amin, int64_t amax, int64_t tlo, int64_t thi, int d,
                     int64_t *k, int64_t *l);

/* 1 if (k*acc + l) >> d and round_half_even(f32(acc) * s) reach every t in
 * [tlo, thi] at the same acc of [amin, amax] (so their results clamped to
 * [tlo - 1, thi] agree on the whole range), else 0: two fp32 evaluations per
 * threshold, at the accumulator where the shift reaches it. k > 0, d 1..62,
 * k*acc + l within 64 bits on the range. */
int q_shift_equals_float(float s, int64_t k, int64_t l, int d, int64_t amin, int64_t amax,
                         int64_t tlo, int64_t thi);

/* Full epilogue: clamp(requant(acc) + zy, lo, hi). */
static inline int32_t q_epilogue(const RqChan *r, int64_t acc, int32_t zy, int32_t lo, int32_t hi)
{
    int64_t v = rq_apply(r, acc);
    if (v > INT64_MAX / 2) v = INT64_MAX / 2;
    if (v < INT64_MIN / 2) v = INT64_MIN / 2;
    if (!rq_is_qlmul(r->scheme)) v += zy; /* QLMUL adds it before rounding */
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

#endif
