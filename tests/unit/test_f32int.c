/* test_f32int.c: the integer emulation of fp32 in kernels/dory_f32int.c
 * (schemes F32INT and QLADD_INT) against the FPU: QLADD_INT on every one of
 * the 65536 input pairs of many scale/zero-point configurations (u8 and s8),
 * F32INT on every accumulator of a wide range for many scales, on ties, on
 * accumulators beyond 2^24 (where f32(acc) rounds) and on random ones over
 * all of int32. The oracle is src/ir/quant.c (volatile fp32, fmaf), which
 * the interpreter uses. Must not go through graphs.
 */
#include <math.h>
#include <string.h>

#include "dory_internal.h"
#include "harness.h"
#include "ir/quant.h"

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

/* A float 10^u, u uniform in [lo, hi]. */
static float log_uniform(uint32_t *s, double lo, double hi)
{
    return (float)pow(10.0, lo + (hi - lo) * (double)(rng(s) % 1000000) / 1e6);
}

/* Every input pair of one QLinearAdd configuration; returns mismatches. */
static long qladd_config(float sa, int za, float sb, int zb, float sc, int zc, int is_signed)
{
    RqChan r = {0};
    volatile float t;
    long bad = 0;
    r.scheme = RQ_QLADD;
    r.qs[0] = sa / sc, r.qs[1] = sb / sc;
    t = (float)zb * r.qs[1];
    t = fmaf(r.qs[0], (float)za, t);
    r.qs[2] = (float)zc - t;
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++) {
            int va = is_signed ? a - 128 : a, vb = is_signed ? b - 128 : b;
            int64_t want = q_qladd(&r, va, vb), got = dory__qladd_int(va, vb, r.qs);
            if (want != got && bad++ < 3)
                harness_fail(__FILE__, __LINE__, "qladd s=%a,%a,%a a=%d b=%d: %lld, fp32 %lld",
                             (double)r.qs[0], (double)r.qs[1], (double)r.qs[2], va, vb,
                             (long long)got, (long long)want);
        }
    return bad;
}

TEST(f32int_qladd_every_pair)
{
    uint32_t s = 12345;
    long bad = 0;
    int n = 0;
    for (int i = 0; i < 300; i++, n++) {
        int sg = i % 2, lo = sg ? -128 : 0;
        float sa = log_uniform(&s, -3, 0), sb = log_uniform(&s, -3, 0), sc = log_uniform(&s, -3, 0);
        bad += qladd_config(sa, lo + (int)(rng(&s) % 256), sb, lo + (int)(rng(&s) % 256), sc,
                            lo + (int)(rng(&s) % 256), sg);
    }
    /* edges: equal scales (ties everywhere), powers of two, ratios near MLAS' limits */
    bad += qladd_config(0.5f, 128, 0.5f, 128, 1.0f, 128, 0);
    bad += qladd_config(0.25f, 0, 0.75f, 3, 0.5f, 0, 1);
    bad += qladd_config(1.0f, 0, 1.0f, 0, 1.0f / 16384.0f, 127, 1);
    bad += qladd_config(255.0f, 7, 1.0f / 1024.0f, 200, 1.0f, 5, 0);
    n += 4;
    CHECK_EQ_I64(bad, 0);
    printf("  QLADD_INT: %d configurations x 65536 pairs equal fp32\n", n);
}

/* Mismatches of one accumulator: the full emulation and the inline fast
 * path (dory__f32int_fast, what the kernels call) against the FPU. */
static long f32int_one(float scale, int32_t acc)
{
    int64_t want = q_float_requant(acc, scale);
    int64_t got = dory__f32int_rq(acc, &scale), fast = dory__f32int_fast(acc, &scale);
    if (want == got && want == fast) return 0;
    harness_fail(__FILE__, __LINE__, "f32int scale %a acc %d: %lld, fast %lld, fp32 %lld",
                 (double)scale, (int)acc, (long long)got, (long long)fast, (long long)want);
    return 1;
}

static long f32int_range(float scale, int64_t lo, int64_t hi, int64_t step)
{
    long bad = 0;
    for (int64_t acc = lo; acc <= hi && bad < 3; acc += step)
        bad += f32int_one(scale, (int32_t)acc);
    return bad;
}

TEST(f32int_every_accumulator)
{
    uint32_t s = 777;
    long bad = 0;
    long long n = 0;
    for (int i = 0; i < 24; i++) { /* every acc in +-2^18 */
        float sc = log_uniform(&s, -6, -1);
        bad += f32int_range(sc, -(1 << 18), 1 << 18, 1), n += (2 << 18) + 1;
    }
    /* ties: exact products k + 0.5 */
    bad += f32int_range(0.5f, -100000, 100000, 1) + f32int_range(0.25f, -100000, 100000, 1);
    bad +=
        f32int_range(1.5f, -100000, 100000, 1) + f32int_range(0x1.000002p-8f, -3000000, 3000000, 1);
    n += 4 * 200001 + 6000001;
    /* beyond 2^24, where f32(acc) rounds; and near INT32 limits */
    bad += f32int_range(0x1.3p-20f, (1 << 24) - 5000, (1 << 24) + 400000, 1);
    bad += f32int_range(0x1.7p-25f, INT32_MAX - 300000, INT32_MAX, 1);
    bad += f32int_range(0x1.7p-25f, INT32_MIN, INT32_MIN + 300000, 1);
    n += 405001 + 2 * 300001;
    for (int i = 0; i < 1000000; i++) { /* random accumulators and scales */
        float sc = log_uniform(&s, -12, 2);
        int32_t acc = (int32_t)rng(&s) >> (rng(&s) % 31);
        if (bad < 3) bad += f32int_one(sc, acc);
    }
    n += 1000000;
    CHECK_EQ_I64(bad, 0);
    printf("  F32INT: %lld accumulators equal fp32\n", n);
}

/* The fast path's window is needed: on these ranges a single rounding of
 * the exact product (the fast path without its window check) differs from
 * fp32 on some accumulators below 2^24, and the fast path never does. Scales at the fast
 * path's limits (|s| in [2^-32, 2^-1), both significand extremes, the
 * switch from a shifted to an unshifted multiplier at 2^-9, negative s) and every
 * accumulator up to 2^24, where f32(acc) stops being exact. */
TEST(f32int_fast_path_window)
{
    static const float edge[] = {0x1.fffffep-2f,  0x1p-2f,         0x1p-1f,
                                 0x1.fffffep-10f, 0x1p-9f,         0x1.000002p-9f,
                                 0x1p-32f,        0x1.fffffep-32f, 0x1.fffffep-33f,
                                 -0x1p-8f,        -0x1.234566p-7f, -0x1.800002p-11f};
    uint32_t s = 99;
    long bad = 0, naive = 0;
    long long n = 0;
    for (int i = 0; i < (int)(sizeof edge / sizeof edge[0]); i++) {
        bad += f32int_range(edge[i], -(1 << 16), 1 << 16, 1);
        bad += f32int_range(edge[i], (1 << 24) - 70000, (1 << 24) + 70000, 1);
        bad += f32int_range(edge[i], -(1 << 24) - 70000, -(1 << 24) + 70000, 1);
        n += 131073 + 2 * 140001;
    }
    for (int i = 0; i < 40; i++) { /* near-ties: 3 * 2^20 accumulators a scale */
        float sc = log_uniform(&s, -11, -0.4);
        int64_t lo = (int64_t)(rng(&s) % (1u << 25)) - (1 << 24);
        for (int64_t acc = lo; acc < lo + 3 * (1 << 20) && bad < 3; acc++) {
            int64_t want = q_float_requant((int32_t)acc, sc);
            double x = (double)acc * (double)sc; /* exact: 24 x 25 bits */
            naive += acc > -(1 << 24) && acc < (1 << 24) && (int64_t)floor(x + 0.5) != want;
            bad += f32int_one(sc, (int32_t)acc);
        }
        n += 3 * (1 << 20);
    }
    CHECK_EQ_I64(bad, 0);
    CHECK(naive > 0);
    printf("  F32INT fast path: %lld accumulators equal fp32 (a single rounding differs on %ld)\n",
           n, naive);
}

/* Clamped agreement of (k*acc + l) >> d and fp32 on every acc of [amin,
 * amax] within [tlo - 1, thi]: the exhaustive oracle. */
static int shift_agrees(float sc, int64_t k, int64_t l, int d, int64_t amin, int64_t amax,
                        int64_t tlo, int64_t thi)
{
    for (int64_t a = amin; a <= amax; a++) {
        int64_t g = (int64_t)(((__int128)k * a + l) >> d), f = q_float_requant((int32_t)a, sc);
        g = g < tlo - 1 ? tlo - 1
            : g > thi   ? thi
                        : g,
        f = f < tlo - 1 ? tlo - 1
            : f > thi   ? thi
                        : f;
        if (g != f) return 0;
    }
    return 1;
}

/* q_shift_equals_float (the verifier's check of F32INT's shortcut) says
 * exactly what the exhaustive comparison says, on proven constants and on
 * perturbed ones (some of which still agree, most not). */
TEST(f32int_shortcut_check_is_exact)
{
    uint32_t s = 31337;
    long wrong = 0;
    int agree = 0, differ = 0;
    for (int i = 0; i < 60; i++) {
        float sc = log_uniform(&s, -3.5, -1.5);
        int64_t amax = 2000 + rng(&s) % 60000, amin = -(int64_t)(rng(&s) % (uint32_t)amax);
        int64_t zy = (int64_t)(rng(&s) % 256) - 128, tlo = -128 - zy + 1, thi = 127 - zy;
        int d = 60 - 17 - (int)ceil(log2(sc)), j;
        int64_t k, l;
        if (q_float_as_shift(sc, amin, amax, tlo, thi, d, &k, &l)) continue;
        for (j = 0; j < 7; j++) {
            int64_t kk = k + (j == 1   ? 1
                              : j == 2 ? -1
                              : j == 3 ? k >> 12
                              : j == 4 ? -(k >> 16)
                                       : 0);
            int64_t ll = l + (j == 5   ? (int64_t)1 << (d - 3)
                              : j == 6 ? -((int64_t)1 << (d - 9))
                                       : 0);
            int want = shift_agrees(sc, kk, ll, d, amin, amax, tlo, thi);
            int got = q_shift_equals_float(sc, kk, ll, d, amin, amax, tlo, thi);
            if (got != want && wrong++ < 3)
                harness_fail(__FILE__, __LINE__,
                             "scale %a k %lld l %lld d %d: check %d, exhaustive %d", (double)sc,
                             (long long)kk, (long long)ll, d, got, want);
            agree += want, differ += !want;
        }
    }
    CHECK_EQ_I64(wrong, 0);
    CHECK(agree > 60 && differ > 60);
    printf("  shortcut check: %d agreeing and %d differing constants judged as exhaustively\n",
           agree, differ);
}

/* The kernels' F32INT with a shortcut on some channels (dory_requant, as
 * every kernel's epilogue) equals fp32 clamped on every accumulator of the
 * range, on the shortcut channels and on the emulated ones. */
TEST(f32int_shortcut_kernel_equals_fp32)
{
    enum { NC = 8 };
    uint32_t s = 2718;
    float sc[NC];
    int32_t k32[NC];
    int64_t k[NC], l[NC], amin = -300000, amax = 260000, bad = 0, nk = 0;
    int d = 30 + 5; /* scales below 2^-5: k below 2^31 */
    dory_out_params_t p;
    memset(&p, 0, sizeof p);
    p.type = DORY_U8, p.zp = 3, p.lo = 0, p.hi = 255;
    for (int c = 0; c < NC; c++) {
        sc[c] = log_uniform(&s, -3, -1.6);
        if (c % 3 == 2 ||
            q_float_as_shift(sc[c], amin, amax, p.lo - p.zp + 1, p.hi - p.zp, d, &k[c], &l[c]))
            k[c] = l[c] = 0;
        nk += k[c] != 0;
        k32[c] = (int32_t)k[c];
        CHECK(k32[c] == k[c]);
    }
    p.rq.scheme = DORY_RQ_F32INT, p.rq.per_channel = 1, p.rq.scale = sc;
    p.rq.k32 = k32, p.rq.l64 = l, p.rq.d = d;
    for (int c = 0; c < NC; c++)
        for (int64_t a = amin; a <= amax && bad < 3; a++) {
            int64_t f = q_float_requant((int32_t)a, sc[c]) + p.zp;
            f = f < p.lo ? p.lo : f > p.hi ? p.hi : f;
            int32_t got = dory_requant(&p, c, (int32_t)a);
            if (got != f && bad++ < 3)
                harness_fail(__FILE__, __LINE__, "channel %d acc %lld: %d, fp32 %lld", c,
                             (long long)a, (int)got, (long long)f);
        }
    CHECK_EQ_I64(bad, 0);
    CHECK(nk >= 3 && nk < NC);
    printf("  F32INT with a shortcut on %lld of %d channels: every accumulator equals fp32\n",
           (long long)nk, NC);
}

/* q_float_as_shift: where it finds constants, (k*acc + l) >> d clamped
 * equals the fp32 result clamped on every accumulator of the range; it
 * finds them for most scales on modest ranges (and never claims a wrong
 * pair: checked exhaustively). */
TEST(f32int_float_as_shift_is_proven)
{
    uint32_t s = 4242;
    int found = 0, n = 0;
    long bad = 0;
    for (int i = 0; i < 120; i++, n++) {
        float sc = log_uniform(&s, -4, -1);
        int64_t amax = 1000 + rng(&s) % 40000, amin = -(int64_t)(rng(&s) % (uint32_t)amax);
        int32_t zy = (int32_t)(rng(&s) % 256) - 128, lo = -128, hi = 127;
        int d = 60 - 17 - (int)ceil(log2(sc));
        int64_t k, l;
        if (q_float_as_shift(sc, amin, amax, lo - zy + 1, hi - zy, d, &k, &l)) continue;
        found++;
        for (int64_t a = amin; a <= amax; a++) {
            int64_t g = (int64_t)(((__int128)k * a + l) >> d) + zy;
            int64_t f = q_float_requant((int32_t)a, sc) + zy;
            g = g < lo ? lo : g > hi ? hi : g, f = f < lo ? lo : f > hi ? hi : f;
            if (g != f && bad++ < 3)
                harness_fail(__FILE__, __LINE__, "scale %a acc %lld: shift %lld, fp32 %lld",
                             (double)sc, (long long)a, (long long)g, (long long)f);
        }
    }
    CHECK_EQ_I64(bad, 0);
    CHECK(found > n * 3 / 4);
    printf("  FLOAT as SHIFT: proven constants for %d of %d scales\n", found, n);
}
