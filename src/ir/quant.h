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
/* round_half_even(f32(acc) * scale) in IEEE single precision, saturated to
 * int64 range (the clamp follows). */
int64_t q_float_requant(int32_t acc, float scale);

/* One channel's requant constants, resolved from the graph. */
typedef struct RqChan {
    RqScheme scheme;
    int64_t k, l;  /* SHIFT */
    int d;         /* SHIFT */
    int32_t mult;  /* FIXED */
    int32_t shift; /* FIXED, >0 left, <0 right */
    int pre;       /* FIXED */
    float scale;   /* FLOAT */
} RqChan;

RqChan rq_channel(const Graph *g, const Requant *rq, int64_t c);
/* Applies the scheme to an accumulator. SHIFT is computed exactly (128-bit);
 * the verifier proves which width a kernel needs. FIXED requires
 * acc << (pre + left) to fit int32 (verified). */
int64_t rq_apply(const RqChan *r, int64_t acc);

/* Full epilogue: clamp(requant(acc) + zy, lo, hi). */
static inline int32_t q_epilogue(const RqChan *r, int64_t acc, int32_t zy, int32_t lo, int32_t hi)
{
    int64_t v = rq_apply(r, acc);
    if (v > INT64_MAX / 2) v = INT64_MAX / 2;
    if (v < INT64_MIN / 2) v = INT64_MIN / 2;
    v += zy;
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

#endif
