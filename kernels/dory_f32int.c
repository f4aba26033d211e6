/* dory_f32int.c: the fp32 arithmetic of the FLOAT, QLADD and QLMUL requant
 * schemes computed exactly in integers, for targets without an FPU (schemes
 * F32INT, QLADD_INT and QLMUL_INT): the same bits as IEEE single precision with round to
 * nearest even, for finite inputs whose results stay in fp32's normal range
 * (requantized values always do). No float operation is executed; the f32
 * constants are only read as bit patterns.
 *
 * A value is m * 2^e with m a 64-bit integer (xf_t). Products of the 24-bit
 * significands and the 8-bit inputs are exact in 64 bits; a sum is exact when
 * it fits 61 bits, else the operand with the lower exponent is shifted right
 * keeping one extra bit and a sticky bit, which rounds to 24 bits as the
 * exact sum does (the sum then has at least 60 bits, so no rounding boundary
 * lies within the sticky bit's uncertainty). Tested against the FPU on every
 * input pair of many QLADD configurations and on accumulator ranges of many
 * scales (tests/unit/test_f32int.c).
 * Must not use float arithmetic, allocate or include src/.
 */
#include <string.h>

#include "dory_internal.h"

typedef struct {
    int64_t m; /* |m| < 2^62 */
    int e;
} xf_t;

static int bitlen(uint64_t x)
{
    int n = 0;
    if (x >> 32) n += 32, x >>= 32;
    if (x >> 16) n += 16, x >>= 16;
    if (x >> 8) n += 8, x >>= 8;
    if (x >> 4) n += 4, x >>= 4;
    if (x >> 2) n += 2, x >>= 2;
    if (x >> 1) n += 1, x >>= 1;
    return n + (int)x;
}

static uint64_t mag(int64_t m) { return m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m; }
static int64_t with_sign(uint64_t q, int neg) { return neg ? -(int64_t)q : (int64_t)q; }

/* The exact value of an fp32 bit pattern (finite). */
static xf_t from_f32(const float *f)
{
    uint32_t u;
    xf_t x;
    int ex;
    memcpy(&u, f, sizeof u);
    ex = (int)((u >> 23) & 255);
    x.m = (int64_t)(u & 0x7fffffu);
    if (ex) x.m |= (int64_t)1 << 23;
    x.e = (ex ? ex : 1) - 150;
    if (u >> 31) x.m = -x.m;
    return x;
}

/* x rounded to 24 significant bits, ties to even: fp32's rounding. */
static xf_t round24(xf_t x)
{
    uint64_t a = mag(x.m), q, rem, half;
    int k = bitlen(a) - 24;
    if (k <= 0) return x;
    q = a >> k;
    rem = a & (((uint64_t)1 << k) - 1);
    half = (uint64_t)1 << (k - 1);
    q += rem > half || (rem == half && (q & 1));
    x.m = with_sign(q, x.m < 0);
    x.e += k;
    return x;
}

/* x + y, exact or with a sticky bit as the header says (|x.m|, |y.m| < 2^61). */
static xf_t add(xf_t x, xf_t y)
{
    xf_t r;
    int d, room, s;
    if (!x.m) return y;
    if (!y.m) return x;
    if (x.e < y.e) r = x, x = y, y = r;
    d = x.e - y.e;
    room = 61 - bitlen(mag(x.m));
    if (d <= room) {
        r.m = x.m * ((int64_t)1 << d) + y.m;
        r.e = y.e;
        return r;
    }
    s = d - room + 1; /* >= 2 */
    if (s > 62) {
        r.m = (y.m < 0 ? -2 : 0) + 1;
    } else {
        int64_t f = y.m >> s; /* floor */
        r.m = 2 * f + ((y.m & (((int64_t)1 << s) - 1)) != 0);
    }
    r.m += x.m * ((int64_t)1 << room);
    r.e = y.e + s - 1;
    return r;
}

/* round_half_even(x) saturated to +-2^62 (the clamp follows). */
static int64_t rne_int(xf_t x)
{
    uint64_t a = mag(x.m), q, rem, half;
    int k = -x.e;
    if (!a) return 0;
    if (k <= 0)
        return bitlen(a) - k > 62 ? with_sign((uint64_t)1 << 62, x.m < 0)
                                  : x.m * ((int64_t)1 << -k);
    if (k > 62) return 0;
    q = a >> k;
    rem = a & (((uint64_t)1 << k) - 1);
    half = (uint64_t)1 << (k - 1);
    q += rem > half || (rem == half && (q & 1));
    return with_sign(q, x.m < 0);
}

int64_t dory__f32int_rq(int32_t acc, const float *scale)
{
    xf_t s = from_f32(scale), a, p;
    a.m = acc, a.e = 0;
    if (acc >= (1 << 24) || acc <= -(1 << 24)) a = round24(a);
    p.m = a.m * s.m; /* |m| < 2^24 each: exact */
    p.e = a.e + s.e;
    return rne_int(round24(p));
}

int64_t dory__qladd_int(int32_t a, int32_t b, const float *s)
{
    xf_t sa = from_f32(&s[0]), sb = from_f32(&s[1]), c = from_f32(&s[2]), pa, pb;
    pb.m = (int64_t)b * sb.m, pb.e = sb.e; /* 8-bit inputs: exact in 33 bits */
    pa.m = (int64_t)a * sa.m, pa.e = sa.e;
    return rne_int(round24(add(pa, round24(add(pb, c)))));
}

int64_t dory__qlmul_int(int32_t p, const float *s)
{
    xf_t r = from_f32(&s[0]), z = from_f32(&s[1]), t;
    t.m = (int64_t)p * r.m, t.e = r.e; /* |p| < 2^17 (8-bit inputs): exact in 41 bits */
    return rne_int(round24(add(round24(t), z)));
}
