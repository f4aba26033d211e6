/* test_quant_div.c: unit tests of the exact integer helpers in src/ir/quant.c
 * that frontends build requantizations with, above all the exact division by
 * a divisor that is not a power of two (NEMO's requantization), checked
 * exhaustively over every accumulator around the clamp range, against exact
 * integers. Must not go through a frontend: the oracle tests do that.
 */
#include <math.h>

#include "harness.h"
#include "ir/quant.h"

static long long checked_accs; /* accumulators compared, to show the test ran */

static int64_t clamp255(__int128 v) { return v < 0 ? 0 : v > 255 ? 255 : (int64_t)v; }

static __int128 floor_div128(__int128 a, __int128 b)
{
    __int128 q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Checks clamp(floor((a*acc+b)/D)) == clamp((K*acc+L)>>d) (and the truncating
 * division ONNX integer Div does) for all acc of interest; returns failures. */
static int check_case(int64_t a, int64_t b, int64_t D)
{
    int d = q_exact_div_shift(a, b, D, 255);
    int64_t K, L;
    if (d > 62 || q_exact_div_consts(a, b, D, 255, d, &K, &L))
        return harness_fail(__FILE__, __LINE__, "a=%lld b=%lld D=%lld: no constants (d=%d)",
                            (long long)a, (long long)b, (long long)D, d) +
               1;
    /* acc range where the result crosses [0, 255], plus margins */
    __int128 e0 = floor_div128(-(__int128)b, a), e1 = floor_div128((__int128)256 * D - b, a);
    __int128 lo = (e0 < e1 ? e0 : e1) - 3000, hi = (e0 < e1 ? e1 : e0) + 3000;
    for (__int128 acc = lo; acc <= hi; acc++) {
        __int128 v = (__int128)a * acc + b;
        int64_t want = clamp255(floor_div128(v, D));
        int64_t trunc = clamp255(v / D);
        __int128 p = (__int128)K * acc + L;
        int64_t got = clamp255(p >> d);
        checked_accs++;
        if (got != want || got != trunc) {
            harness_fail(__FILE__, __LINE__, "a=%lld b=%lld D=%lld acc=%lld: %lld vs %lld",
                         (long long)a, (long long)b, (long long)D, (long long)acc, (long long)got,
                         (long long)want);
            return 1;
        }
    }
    return 0;
}

TEST(quant_exact_div_nemo_constants)
{
    /* dscnn_test: kappa * 54 / (2^21 - 1), lambda * 54 */
    CHECK(!check_case(-1067 * 54, 2257 * 54, 2097151));
    CHECK(!check_case(106 * 54, -915 * 54, 2097151));
    CHECK(!check_case(255 * 44, 1 * 44, 524287));
    CHECK(!check_case(1, 0, 3));
    CHECK(!check_case(-1, 7, 5));
}

TEST(quant_exact_div_random)
{
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 60; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        int64_t D = 3 + (int64_t)(s % 5000);
        if ((D & (D - 1)) == 0) D++;
        int64_t a = 1 + (int64_t)((s >> 16) % (i < 20 ? 40 : 2000)); /* small a: wide ranges */
        if (s & (1u << 5)) a = -a;
        int64_t b = (int64_t)((s >> 32) % 2000001) - 1000000;
        if (check_case(a, b, D)) return;
    }
    CHECK(checked_accs > 1000000);
}

/* The divisor is 1 (a == 0 gives a constant) and the range reaches int32. */
TEST(quant_exact_div_edges)
{
    int64_t K, L;
    CHECK_EQ_I64(q_exact_div_shift(0, 5, 3, 255), 0);
    CHECK(!q_exact_div_consts(0, 7, 3, 255, 4, &K, &L));
    CHECK_EQ_I64(K, 0);
    CHECK_EQ_I64(L, 2 * 16);
    CHECK(!q_exact_div_consts(0, -7, 3, 255, 4, &K, &L));
    CHECK_EQ_I64(L, -2 * 16);
    /* a = 1 over the whole int32 range: 2^d > 2^31 * 3 */
    int d = q_exact_div_shift(1, 0, 3, INT32_MAX / 2);
    CHECK_EQ_I64(d, 33);
    CHECK(!check_case(1, 0, 3));
}

TEST(quant_scalar_helpers)
{
    int e = -1;
    CHECK(q_pow2_exponent(2.0, &e) && e == 1);
    CHECK(q_pow2_exponent(1048576.0, &e) && e == 20);
    CHECK(q_pow2_exponent(1.0, &e) && e == 0);
    CHECK(!q_pow2_exponent(2097151.0, &e));
    CHECK(!q_pow2_exponent(0.5, &e));
    CHECK(q_is_integral(-3.0) && !q_is_integral(2.5) && !q_is_integral(1e19));
    CHECK(!q_is_integral(NAN) && !q_is_integral(INFINITY));
    CHECK_EQ_I64(q_sat_f64(NAN, -5, 5), -5);
    CHECK_EQ_I64(q_sat_f64(1e300, -5, 5), 5);
    CHECK_EQ_I64(q_sat_f64(-1e300, -5, 5), -5);
    CHECK_EQ_I64(q_sat_f64(3.7, -5, 5), 3);
    CHECK_EQ_I64(q_sat_f64(-3.7, -5, 5), -3);
}
