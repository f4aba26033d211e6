/* dory_isa.h: ISA hooks of the kernel library: load 4 x int8, 4-way dot
 * product, multiply-accumulate, clip.
 *
 * The portable C versions are the default and are the ones tested on every
 * host. Target versions are chosen by macros:
 *   DORY_ISA_XPULP  RISC-V Xpulpv2 SIMD builtins (PULP GCC: __builtin_pulp_*)
 *   __ARM_FEATURE_DSP  Arm Cortex-M DSP extension (__SMLAD via arm_acle.h),
 *                      set by the compiler for -mcpu=cortex-m4/m7; -DDORY_NO_DSP
 *                      keeps the portable C (the reference, and bench/'s baseline)
 * Every version computes exactly the same integers; a target version is only a
 * faster way to get them. Must not include anything from the compiler (src/).
 */
#ifndef DORY_ISA_H
#define DORY_ISA_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define DORY_INLINE static inline __attribute__((always_inline))
#else
#define DORY_INLINE static inline
#endif

/* Hot loops: GCC's pre-register-allocation scheduler hoists the loads of an
 * unrolled register-blocked loop and then spills the accumulators (measured:
 * +40% instructions on rv32imc), and if-conversion turns the rarely taken
 * clamp branches into branch-free code executed for every output; keep both
 * off for those functions only. The priority register allocator keeps the
 * 16 accumulators of the 4x4 block in registers where the default one spills. */
#if defined(__GNUC__) && !defined(__clang__)
#define DORY_HOT                                                                                   \
    __attribute__((optimize("no-schedule-insns", "no-if-conversion", "ira-algorithm=priority")))
#else
#define DORY_HOT
#endif
#if defined(__GNUC__)
#define DORY_NOINLINE    __attribute__((noinline))
#define DORY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DORY_NOINLINE
#define DORY_UNLIKELY(x) (x)
#endif

/** Four signed 8-bit lanes packed little-endian in one 32-bit word. */
typedef uint32_t dory_v4s8_t;

/** Loads 4 consecutive int8 values (no alignment needed) as one packed word. */
DORY_INLINE dory_v4s8_t dory_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/** Lane i (0..3) of a packed word, sign-extended. */
DORY_INLINE int32_t dory_lane_s8(dory_v4s8_t v, int i)
{
    return (int32_t)(int8_t)(uint8_t)(v >> (8 * i));
}

/** acc + x * y: the scalar multiply-accumulate. */
DORY_INLINE int32_t dory_mac(int32_t acc, int32_t x, int32_t y) { return acc + x * y; }

/** Clips x to [lo, hi] (lo <= hi). */
DORY_INLINE int32_t dory_clip(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

#if defined(DORY_ISA_XPULP)
/* PULP GCC (Xpulpv2): 4-way signed dot product with accumulate, p.clip. */
typedef signed char dory_pulp_v4s __attribute__((vector_size(4)));
DORY_INLINE int32_t dory_dot4_acc(int32_t acc, dory_v4s8_t a, dory_v4s8_t b)
{
    dory_pulp_v4s va, vb;
    memcpy(&va, &a, 4);
    memcpy(&vb, &b, 4);
    return __builtin_pulp_sdotsp4(va, vb, acc);
}
#elif defined(__ARM_FEATURE_DSP) && !defined(DORY_NO_DSP)
#include <arm_acle.h>
/* SMLAD works on 16-bit lanes: widen even/odd bytes with SXTB16. */
DORY_INLINE int32_t dory_dot4_acc(int32_t acc, dory_v4s8_t a, dory_v4s8_t b)
{
    int16x2_t a_even = __sxtb16(a), b_even = __sxtb16(b);
    int16x2_t a_odd = __sxtb16(a >> 8 | a << 24), b_odd = __sxtb16(b >> 8 | b << 24);
    acc = __smlad(a_even, b_even, acc);
    return __smlad(a_odd, b_odd, acc);
}
#else
/** acc + sum over the 4 lanes of a[i] * b[i] (signed 8-bit lanes). */
DORY_INLINE int32_t dory_dot4_acc(int32_t acc, dory_v4s8_t a, dory_v4s8_t b)
{
    int i;
    for (i = 0; i < 4; i++) acc += dory_lane_s8(a, i) * dory_lane_s8(b, i);
    return acc;
}
#endif

/** acc + lo(a) * lo(b) + hi(a) * hi(b) on signed 16-bit halves (SMLAD),
 * wrapping. */
#if defined(__ARM_FEATURE_DSP) && !defined(DORY_NO_DSP)
DORY_INLINE int32_t dory_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}
#else
DORY_INLINE int32_t dory_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t lo = (int32_t)(int16_t)(uint16_t)(a & 0xffffu) * (int16_t)(uint16_t)(b & 0xffffu);
    int32_t hi = (int32_t)(int16_t)(uint16_t)(a >> 16) * (int16_t)(uint16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
#endif

/** acc + lo(a) * lo(b) (SMLABB) and acc + lo(a) * hi(b) (SMLABT) on
 * signed 16-bit halves, wrapping. */
#if defined(__ARM_FEATURE_DSP) && !defined(DORY_NO_DSP)
DORY_INLINE int32_t dory_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabb((int32_t)a, (int32_t)b, acc);
}
DORY_INLINE int32_t dory_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabt((int32_t)a, (int32_t)b, acc);
}
#else
DORY_INLINE int32_t dory_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t p = (int32_t)(int16_t)(uint16_t)(a & 0xffffu) * (int16_t)(uint16_t)(b & 0xffffu);
    return (int32_t)((uint32_t)acc + (uint32_t)p);
}
DORY_INLINE int32_t dory_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t p = (int32_t)(int16_t)(uint16_t)(a & 0xffffu) * (int16_t)(uint16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)p);
}
#endif

/** x saturated to the int8 range (SSAT). */
#if defined(__ARM_FEATURE_DSP) && !defined(DORY_NO_DSP)
DORY_INLINE int32_t dory_sat_s8(int32_t x) { return __ssat(x, 8); }
#else
DORY_INLINE int32_t dory_sat_s8(int32_t x) { return dory_clip(x, -128, 127); }
#endif

/** floor((a * b + 2^31) / 2^32): the high word of the product, rounded
 * (SMMULR). */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && !defined(DORY_NO_DSP)
DORY_INLINE int32_t dory_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
DORY_INLINE int32_t dory_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32);
}
#endif

#endif
