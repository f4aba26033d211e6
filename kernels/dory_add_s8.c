/* dory_add_s8.c: element-wise add with a requant per input:
 * acc = rq_a(a - za) + rq_b(b - zb); y = clamp(rq(acc) + zy, lo, hi).
 * Fast path: SHIFT32/NONE requants with the input zero points folded into
 * the addends, one run over the tile where each requant's channels share
 * their constants (per tensor, or DORY's per-channel arrays of one value),
 * else one run per channel; generic path: any scheme, per channel.
 * Work split: pixels. No scratch; nothing from src/.
 */
#include "dory_internal.h"
#include "dory_xpulp.h"

/* One channel's k*v + l >> d with the zero point folded into l. */
typedef struct {
    int32_t k, l;
    int d;
} add_lin_t;

/* Folds rq(v - z), channel c, of 8-bit inputs of type t into k*v + l' >> d:
 * k*(v - z) + l fits int32 (the SHIFT32 contract, proven by the verifier),
 * so k*v + l' does; k*v alone and l' are checked here. 0 if they do not fit
 * or the scheme is neither NONE nor SHIFT32. */
static int add_fold(const dory_requant_t *rq, int c, dory_type_t t, int32_t z, add_lin_t *f)
{
    int64_t l, k, vmax = t == DORY_I8 ? 128 : 255;
    int i = rq->per_channel ? c : 0;
    if (rq->scheme == DORY_RQ_NONE) {
        f->k = 1, f->d = 0, l = -(int64_t)z;
    } else if (rq->scheme == DORY_RQ_SHIFT32) {
        f->k = rq->k32[i], f->d = rq->d;
        l = (rq->l32 ? rq->l32[i] : 0) - (int64_t)f->k * z;
    } else {
        return 0;
    }
    k = f->k < 0 ? -(int64_t)f->k : f->k;
    if (l < INT32_MIN || l > INT32_MAX || k * vmax > INT32_MAX) return 0;
    f->l = (int32_t)l;
    return 1;
}

/* The output's SHIFT32 (or NONE: k 1, l 0, d 0) epilogue of channel c. */
static int add_out(const dory_out_params_t *o, int c, dory__s32_t *e)
{
    if (o->rq.scheme == DORY_RQ_SHIFT32) {
        dory__s32_load(o, c, e);
        return 1;
    }
    if (o->rq.scheme != DORY_RQ_NONE) return 0;
    {
        dory_out_params_t t = *o;
        static const int32_t one = 1;
        t.rq.scheme = DORY_RQ_SHIFT32, t.rq.per_channel = 0;
        t.rq.k32 = &one, t.rq.l32 = 0, t.rq.d = 0;
        dory__s32_load(&t, 0, e);
    }
    return 1;
}

/* 1 when a SHIFT32 requant gives its n channels the same constants (the
 * DORY networks' per-channel arrays of one value); NONE has none. */
static int add_uniform(const dory_requant_t *rq, int n)
{
    int c;
    if (rq->scheme != DORY_RQ_SHIFT32 || !rq->per_channel) return 1;
    for (c = 1; c < n; c++)
        if (rq->k32[c] != rq->k32[0] || (rq->l32 && rq->l32[c] != rq->l32[0])) return 0;
    return 1;
}

/* y = clamp(rq(rq_a(a) + rq_b(b))), the clamp as one unsigned range compare
 * (v in [lo', hi'] iff v - lo' <= range; see dory__s32_t), two elements per
 * iteration, elements s bytes apart (1: a run of one tensor's constants; C:
 * one channel of an HWC tile). */
#define ADD_ONE(i)                                                                                 \
    do {                                                                                           \
        int32_t acc = ((ka * a[i] + la) >> da) + ((kb * b[i] + lb) >> db);                         \
        int32_t v = (k * acc + l) >> d;                                                            \
        uint32_t t = (uint32_t)v - (uint32_t)lo;                                                   \
        if (DORY_UNLIKELY(t > range)) t = v < lo ? 0u : range;                                     \
        y[i] = (uint8_t)(t + ylo);                                                                 \
    } while (0)

#define ADD_FAST_DEFINE(NAME, AT, BT)                                                              \
    static DORY_HOT void NAME(const AT *a, const BT *b, uint8_t *y, int n, int s,                  \
                              const add_lin_t *fa, const add_lin_t *fb, const dory__s32_t *e)      \
    {                                                                                              \
        int32_t ka = fa->k, la = fa->l, kb = fb->k, lb = fb->l;                                    \
        int32_t k = e->k, l = e->l, lo = e->lo;                                                    \
        int da = fa->d, db = fb->d, d = e->d;                                                      \
        uint32_t range = (uint32_t)e->hi - (uint32_t)e->lo;                                        \
        uint32_t ylo = (uint32_t)e->lo + (uint32_t)e->zp;                                          \
        const AT *end = a + (long)(n & ~1) * s;                                                    \
        if (s != 1) {                                                                              \
            for (; a != end; a += s, b += s, y += s) ADD_ONE(0);                                   \
        } else {                                                                                   \
            for (; a != end; a += 2, b += 2, y += 2) {                                             \
                ADD_ONE(0);                                                                        \
                ADD_ONE(1);                                                                        \
            }                                                                                      \
        }                                                                                          \
        if (n & 1) ADD_ONE(0);                                                                     \
    }

ADD_FAST_DEFINE(add_uu, uint8_t, uint8_t)
ADD_FAST_DEFINE(add_ui, uint8_t, int8_t)
ADD_FAST_DEFINE(add_iu, int8_t, uint8_t)
ADD_FAST_DEFINE(add_ii, int8_t, int8_t)

/* Xpulp: a contiguous run in a hardware loop (post-increment loads and
 * stores), planned once per run by add_xp_plan from the folded constants:
 *   SAT  u8 + u8 clamped to [0, 255] (the sum's exact form is a + b: DORY's
 *        residual adds, equal input scales): 4 elements per word,
 *        min(a, ~b) + b lane-wise (pv.minu.b, pv.add.b), 1.5 instructions
 *        per element;
 *   LIN  both input shifts 0: the three requants are one linear form,
 *        (k1 a + k2 b + c) >> d (mul, p.mac, p.addNr), the common power of 2
 *        of k1, k2 and 2^d taken out; 6 to 9 instructions per element;
 *   REQ  otherwise: each input's mul + p.addNr (adding l and shifting), an
 *        add, the output's mul + p.addNr where it is not the identity; 8 to
 *        13 instructions per element.
 * The clamp is p.clipu 9 where it is [0, 255] with zero point 0, p.max /
 * p.min + the zero point otherwise, and nothing where the exact value range
 * of the inputs' types lies within it (with zero point 0). Every form is
 * taken only where each step of the reference's int32 arithmetic is exact
 * over that range, so that the reordered arithmetic gives its bytes. */
enum { ADDXP_REQ, ADDXP_LIN, ADDXP_SAT };
enum { ADDXP_CLIPU, ADDXP_CLAMP, ADDXP_NOCLAMP };
typedef struct {
    int kind, clamp, out; /* out: REQ's output stage is not the identity */
    add_lin_t a, b;       /* REQ: the inputs' k*v + l >> d */
    dory__s32_t e;        /* the output stage (REQ) and the clamp */
    int32_t k1, k2, c;    /* LIN: (k1*a + k2*b + c) >> d */
    int d;
} addxp_t;

/* [*lo, *hi] of k*v + l >> d for v in [v0, v1] (8-bit values); 0 unless
 * |k| < 2^21 and |l| < 2^29: |k*v + l| < 2^30, so that it and the sum of two
 * such values are exact in int32. 32-bit arithmetic: this runs at every call,
 * from a cold instruction cache. */
static int addxp_range(int32_t k, int32_t l, int d, int32_t v0, int32_t v1, int32_t *lo,
                       int32_t *hi)
{
    int32_t p, q;
    if (k <= -(1 << 21) || k >= 1 << 21 || l <= -(1 << 29) || l >= 1 << 29 || (unsigned)d > 31)
        return 0;
    p = (k * v0 + l) >> d, q = (k * v1 + l) >> d;
    *lo = p < q ? p : q, *hi = p < q ? q : p;
    return 1;
}

/* 1 if |v| < 2^bits */
DORY_INLINE int addxp_small(int64_t v, int bits)
{
    return v > -((int64_t)1 << bits) && v < (int64_t)1 << bits;
}

/* The plan of a run with types ta, tb; 0 where no Xpulp form applies (the
 * reference's int32 steps not provably exact). */
DORY_INLINE int add_xp_plan(dory_type_t ta, dory_type_t tb, const add_lin_t *fa,
                            const add_lin_t *fb, const dory__s32_t *e, addxp_t *g)
{
    int32_t a0 = ta == DORY_I8 ? -128 : 0, a1 = ta == DORY_I8 ? 127 : 255;
    int32_t b0 = tb == DORY_I8 ? -128 : 0, b1 = tb == DORY_I8 ? 127 : 255;
    int32_t alo, ahi, blo, bhi, vlo, vhi;
    int64_t k1, k2, c;
    uint32_t m;
    int t = 0;
    if (!addxp_range(fa->k, fa->l, fa->d, a0, a1, &alo, &ahi) ||
        !addxp_range(fb->k, fb->l, fb->d, b0, b1, &blo, &bhi))
        return 0;
    if (e->k != 1 || e->l || e->d) { /* |acc| < 2^31: k*acc + l in int64 */
        int64_t p = (int64_t)e->k * (alo + blo) + e->l, q = (int64_t)e->k * (ahi + bhi) + e->l;
        if (p < INT32_MIN || p > INT32_MAX || q < INT32_MIN || q > INT32_MAX || e->d > 31) return 0;
        vlo = (int32_t)p >> e->d, vhi = (int32_t)q >> e->d;
        if (vlo > vhi) m = (uint32_t)vlo, vlo = vhi, vhi = (int32_t)m;
    } else {
        vlo = alo + blo, vhi = ahi + bhi;
    }
    g->a = *fa, g->b = *fb, g->e = *e, g->k1 = g->k2 = g->c = 0, g->d = 0;
    g->out = e->k != 1 || e->l || e->d;
    g->clamp = e->zp == 0 && vlo >= e->lo && vhi <= e->hi ? ADDXP_NOCLAMP
               : e->lo == 0 && e->hi == 255 && e->zp == 0 ? ADDXP_CLIPU
                                                          : ADDXP_CLAMP;
    g->kind = ADDXP_REQ;
    if (fa->d || fb->d) return 1;
    /* acc = ka*a + kb*b + la + lb exactly: v = (k1*a + k2*b + c) >> d, each
     * partial sum within |k1| 255 + |k2| 255 + |c| < 2^29 + 2^29 + 2^30 */
    k1 = (int64_t)e->k * fa->k, k2 = (int64_t)e->k * fb->k;
    c = (int64_t)e->k * ((int64_t)fa->l + fb->l) + e->l;
    if (!addxp_small(k1, 21) || !addxp_small(k2, 21) || !addxp_small(c, 30)) return 1;
    /* floor((2^t x + c) / 2^d) = floor((x + (c >> t)) / 2^(d-t)) */
    for (m = (uint32_t)k1 | (uint32_t)k2; t < e->d && !(m & 1); t++) m >>= 1;
    g->kind = ADDXP_LIN;
    g->k1 = (int32_t)k1 >> t, g->k2 = (int32_t)k2 >> t, g->c = (int32_t)c >> t, g->d = e->d - t;
    if (g->k1 == 1 && g->k2 == 1 && !g->c && !g->d && ta == DORY_U8 && tb == DORY_U8 &&
        e->hi == 255 && e->lo <= 0 && !e->zp)
        g->kind = ADDXP_SAT;
    return 1;
}

#if DORY__MM_XPULP
#if DORY_XP_MODE == 1
/* clang-format off */
#define ADDXP_REQ_IN(LD_A, LD_B)                                                                   \
    LD_A("%[a0]", "%[pa]", 1) LD_B("%[b0]", "%[pb]", 1)                                            \
    LD_A("%[a1]", "%[pa]", 1) LD_B("%[b1]", "%[pb]", 1)                                            \
    "mul %[a0], %[a0], %[ka]\n\tmul %[b0], %[b0], %[kb]\n\t"                                       \
    "mul %[a1], %[a1], %[ka]\n\tmul %[b1], %[b1], %[kb]\n\t"                                       \
    DORY_XP_T_ADDNR("%[a0]", "%[la]", "%[da]") DORY_XP_T_ADDNR("%[b0]", "%[lb]", "%[db]")          \
    DORY_XP_T_ADDNR("%[a1]", "%[la]", "%[da]") DORY_XP_T_ADDNR("%[b1]", "%[lb]", "%[db]")          \
    "add %[a0], %[a0], %[b0]\n\tadd %[a1], %[a1], %[b1]\n\t"
#define ADDXP_REQ_OUT                                                                              \
    "mul %[a0], %[a0], %[k]\n\tmul %[a1], %[a1], %[k]\n\t"                                         \
    DORY_XP_T_ADDNR("%[a0]", "%[l]", "%[d]") DORY_XP_T_ADDNR("%[a1]", "%[l]", "%[d]")
#define ADDXP_LIN_IN(LD_A, LD_B)                                                                   \
    LD_A("%[a0]", "%[pa]", 1) LD_B("%[b0]", "%[pb]", 1)                                            \
    LD_A("%[a1]", "%[pa]", 1) LD_B("%[b1]", "%[pb]", 1)                                            \
    "mul %[a0], %[a0], %[ka]\n\tmul %[a1], %[a1], %[ka]\n\t"                                       \
    DORY_XP_T_MAC("%[a0]", "%[b0]", "%[kb]") DORY_XP_T_MAC("%[a1]", "%[b1]", "%[kb]")              \
    DORY_XP_T_ADDNR("%[a0]", "%[l]", "%[d]") DORY_XP_T_ADDNR("%[a1]", "%[l]", "%[d]")
#define ADDXP_T_CLAMP                                                                                \
    DORY_XP_T_MAX("%[a0]", "%[a0]", "%[lo]") DORY_XP_T_MAX("%[a1]", "%[a1]", "%[lo]")              \
    DORY_XP_T_MIN("%[a0]", "%[a0]", "%[hi]") DORY_XP_T_MIN("%[a1]", "%[a1]", "%[hi]")              \
    "add %[a0], %[a0], %[zp]\n\tadd %[a1], %[a1], %[zp]\n\t"
#define ADDXP_T_CLIPU DORY_XP_T_CLIPU("%[a0]", "%[a0]", 9) DORY_XP_T_CLIPU("%[a1]", "%[a1]", 9)
#define ADDXP_T_NOCLAMP
/* one loop of N instructions over n / 2 pairs; ka..db are REQ's inputs or
 * LIN's k1, k2 (ka, kb) with c and d in l and d */
#define ADDXP_ASM(N, BODY)                                                                         \
    __asm__ volatile(".option push\n\t.option norvc\n\t"                                           \
                     DORY_XP_LP_SETUP(0, "%[n]", N) BODY                                           \
                     DORY_XP_T_SB_PI("%[a0]", "%[py]", 1) DORY_XP_T_SB_PI("%[a1]", "%[py]", 1)     \
                     ".option pop"                                                                 \
                     : [pa] "+r"(pa), [pb] "+r"(pb), [py] "+r"(py), [a0] "=&r"(a0),                \
                       [b0] "=&r"(b0), [a1] "=&r"(a1), [b1] "=&r"(b1)                              \
                     : [n] "r"(n / 2), [ka] "r"(ka), [la] "r"(g->a.l), [da] "r"(g->a.d),           \
                       [kb] "r"(kb), [lb] "r"(g->b.l), [db] "r"(g->b.d), [k] "r"(g->e.k),          \
                       [l] "r"(l), [d] "r"(d), [lo] "r"(g->e.lo), [hi] "r"(g->e.hi),               \
                       [zp] "r"(g->e.zp)                                                           \
                     : "memory")
/* clang-format on */
#define ADDXP_CASES(IN, N, OUT)                                                                    \
    do {                                                                                           \
        if (g->clamp == ADDXP_CLIPU)                                                               \
            ADDXP_ASM((N + 4), IN OUT ADDXP_T_CLIPU);                                              \
        else if (g->clamp == ADDXP_CLAMP)                                                          \
            ADDXP_ASM((N + 8), IN OUT ADDXP_T_CLAMP);                                              \
        else                                                                                       \
            ADDXP_ASM((N + 2), IN OUT ADDXP_T_NOCLAMP);                                            \
    } while (0)
/* REQ and LIN on n elements (n even, >= 2) */
#define ADDXP_DEFINE(NAME, LD_A, LD_B)                                                             \
    static DORY_HOT void NAME(const void *pa, const void *pb, void *py, int n, const addxp_t *g)   \
    {                                                                                              \
        int32_t a0, b0, a1, b1, ka, kb, l, d;                                                      \
        if (g->kind == ADDXP_LIN) {                                                                \
            ka = g->k1, kb = g->k2, l = g->c, d = g->d;                                            \
            ADDXP_CASES(ADDXP_LIN_IN(LD_A, LD_B), 10, );                                           \
        } else {                                                                                   \
            ka = g->a.k, kb = g->b.k, l = g->e.l, d = g->e.d;                                      \
            if (g->out)                                                                            \
                ADDXP_CASES(ADDXP_REQ_IN(LD_A, LD_B), 18, ADDXP_REQ_OUT);                          \
            else                                                                                   \
                ADDXP_CASES(ADDXP_REQ_IN(LD_A, LD_B), 14, );                                       \
        }                                                                                          \
    }
ADDXP_DEFINE(addxp_uu, DORY_XP_T_LBU_PI, DORY_XP_T_LBU_PI)
ADDXP_DEFINE(addxp_ui, DORY_XP_T_LBU_PI, DORY_XP_T_LB_PI)
ADDXP_DEFINE(addxp_iu, DORY_XP_T_LB_PI, DORY_XP_T_LBU_PI)
ADDXP_DEFINE(addxp_ii, DORY_XP_T_LB_PI, DORY_XP_T_LB_PI)

/* SAT on n elements (n a multiple of 8, pointers word-aligned): per word
 * y = min(a, ~b) + b lane-wise, two words per step. */
static DORY_HOT void addxp_sat(const void *pa, const void *pb, void *py, int n)
{
    uint32_t a0, b0, a1, b1, t0, t1;
    /* clang-format off */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     DORY_XP_LP_SETUP(0, "%[n]", 12)
                     DORY_XP_T_LW_PI("%[a0]", "%[pa]", 4) DORY_XP_T_LW_PI("%[b0]", "%[pb]", 4)
                     DORY_XP_T_LW_PI("%[a1]", "%[pa]", 4) DORY_XP_T_LW_PI("%[b1]", "%[pb]", 4)
                     "not %[t0], %[b0]\n\tnot %[t1], %[b1]\n\t"
                     DORY_XP_T_MINU_B("%[a0]", "%[a0]", "%[t0]")
                     DORY_XP_T_MINU_B("%[a1]", "%[a1]", "%[t1]")
                     DORY_XP_T_ADD_B("%[a0]", "%[a0]", "%[b0]")
                     DORY_XP_T_ADD_B("%[a1]", "%[a1]", "%[b1]")
                     DORY_XP_T_SW_PI("%[a0]", "%[py]", 4) DORY_XP_T_SW_PI("%[a1]", "%[py]", 4)
                     ".option pop"
                     : [pa] "+r"(pa), [pb] "+r"(pb), [py] "+r"(py), [a0] "=&r"(a0),
                       [b0] "=&r"(b0), [a1] "=&r"(a1), [b1] "=&r"(b1), [t0] "=&r"(t0),
                       [t1] "=&r"(t1)
                     : [n] "r"(n / 8)
                     : "memory");
    /* clang-format on */
}
#else
/* The same forms in portable C (DORY_MM_XPULP_C: the host's check of the
 * plans' arithmetic), int32 steps as the assembly's. */
DORY_INLINE int32_t addxp_one(const addxp_t *g, int32_t a, int32_t b)
{
    int32_t v;
    if (g->kind == ADDXP_LIN) {
        v = dory_xp_addnr(dory_xp_mac(dory_xp_wrap(0, g->k1 * a), b, g->k2), g->c, g->d);
    } else {
        v = dory_xp_addnr(g->a.k * a, g->a.l, g->a.d) + dory_xp_addnr(g->b.k * b, g->b.l, g->b.d);
        if (g->out) v = dory_xp_addnr((int32_t)((uint32_t)g->e.k * (uint32_t)v), g->e.l, g->e.d);
    }
    if (g->clamp == ADDXP_CLIPU) return DORY_XP_CLIPU(v, 9);
    if (g->clamp == ADDXP_CLAMP) return dory_xp_min(dory_xp_max(v, g->e.lo), g->e.hi) + g->e.zp;
    return v;
}
#define ADDXP_DEFINE(NAME, AT, BT)                                                                 \
    static void NAME(const void *pa, const void *pb, void *py, int n, const addxp_t *g)            \
    {                                                                                              \
        const AT *a = (const AT *)pa;                                                              \
        const BT *b = (const BT *)pb;                                                              \
        uint8_t *y = (uint8_t *)py;                                                                \
        int i;                                                                                     \
        for (i = 0; i < n; i++) y[i] = (uint8_t)addxp_one(g, a[i], b[i]);                          \
    }
ADDXP_DEFINE(addxp_uu, uint8_t, uint8_t)
ADDXP_DEFINE(addxp_ui, uint8_t, int8_t)
ADDXP_DEFINE(addxp_iu, int8_t, uint8_t)
ADDXP_DEFINE(addxp_ii, int8_t, int8_t)
static void addxp_sat(const void *pa, const void *pb, void *py, int n)
{
    int i;
    for (i = 0; i < n; i += 4) {
        uint32_t a = dory_xp_lw_pi(&pa), b = dory_xp_lw_pi(&pb);
        dory_xp_sw_pi(&py, dory_xp_add_b(dory_xp_minu_b(a, ~b), b));
    }
}
#endif

/* n contiguous elements by the plan of their types and constants: the
 * number done (the rest, at most 7, is left to the portable loop). */
static int add_xp_run(const dory_add_params_t *p, const add_lin_t *fa, const add_lin_t *fb,
                      const dory__s32_t *e, const uint8_t *a, const uint8_t *b, uint8_t *y, int n)
{
    addxp_t g;
    int m = 0;
    if (n < 2 || !add_xp_plan(p->a_type, p->b_type, fa, fb, e, &g)) return 0;
    if (g.kind == ADDXP_SAT && !(((uintptr_t)a | (uintptr_t)b | (uintptr_t)y) & 3)) {
        m = n & ~7;
        if (m) addxp_sat(a, b, y, m);
        if (n - m < 2) return m;
        g.kind = ADDXP_LIN; /* the tail: (a + b) >> 0 clipped */
    } else if (g.kind == ADDXP_SAT) {
        g.kind = ADDXP_LIN;
    }
    a += m, b += m, y += m, n = (n - m) & ~1;
    if (p->a_type == DORY_U8 && p->b_type == DORY_U8)
        addxp_uu(a, b, y, n, &g);
    else if (p->a_type == DORY_U8)
        addxp_ui(a, b, y, n, &g);
    else if (p->b_type == DORY_U8)
        addxp_iu(a, b, y, n, &g);
    else
        addxp_ii(a, b, y, n, &g);
    return m + n;
}
#endif

/* n elements s apart of channel c's constants (all channels' where the
 * requants are uniform); 0 where a constant does not fit the fast path. */
static int add_run(const dory_add_params_t *p, int c, const uint8_t *a, const uint8_t *b,
                   uint8_t *y, int n, int s)
{
    add_lin_t fa, fb;
    dory__s32_t e;
    if (!add_fold(&p->rq_a, c, p->a_type, p->a_zp, &fa) ||
        !add_fold(&p->rq_b, c, p->b_type, p->b_zp, &fb) || !add_out(&p->out, c, &e))
        return 0;
#if DORY__MM_XPULP
    if (s == 1) { /* the hardware loop, a few last elements below */
        int m = add_xp_run(p, &fa, &fb, &e, a, b, y, n);
        a += m, b += m, y += m, n -= m;
        if (!n) return 1;
    }
#endif
    if (p->a_type == DORY_U8 && p->b_type == DORY_U8)
        add_uu(a, b, y, n, s, &fa, &fb, &e);
    else if (p->a_type == DORY_U8)
        add_ui(a, (const int8_t *)b, y, n, s, &fa, &fb, &e);
    else if (p->b_type == DORY_U8)
        add_iu((const int8_t *)a, b, y, n, s, &fa, &fb, &e);
    else
        add_ii((const int8_t *)a, (const int8_t *)b, y, n, s, &fa, &fb, &e);
    return 1;
}

/* The fast path on npx contiguous pixels of c channels: one run where every
 * requant is uniform over the channels, else one run per channel (constants
 * in registers, elements c apart). 0 if it does not apply (nothing written). */
static int add_fast(const dory_add_params_t *p, const uint8_t *a, const uint8_t *b, uint8_t *y,
                    int npx, int c)
{
    const dory_requant_t *r = &p->out.rq;
    int ch;
    add_lin_t f;
    dory__s32_t e;
    if ((r->scheme != DORY_RQ_SHIFT32 && r->scheme != DORY_RQ_NONE) || npx <= 0) return 0;
    if (add_uniform(&p->rq_a, c) && add_uniform(&p->rq_b, c) && add_uniform(r, c))
        return add_run(p, 0, a, b, y, npx * c, 1);
    for (ch = 0; ch < c; ch++) /* all channels fit, or none is written */
        if (!add_fold(&p->rq_a, ch, p->a_type, p->a_zp, &f) ||
            !add_fold(&p->rq_b, ch, p->b_type, p->b_zp, &f) || !add_out(&p->out, ch, &e))
            return 0;
    for (ch = 0; ch < c; ch++) add_run(p, ch, a + ch, b + ch, y + ch, npx, c);
    return 1;
}

/* FIXED per tensor for both inputs and the output (the TFLite quantization),
 * contiguous, when every shifted value has a bit to spare: then
 * srdhm(x, m) = floor((2x * m + 2^31) / 2^32), one SMMULR with the DSP
 * extension, and RoundingDivideByPOT with its mask precomputed. The inputs
 * are 8-bit, so |v - z| <= 255 and 255 << (left + 1) < 2^31 decides for
 * rq_a and rq_b; the output's bound is the sum of theirs at v = +-255
 * (each requant is monotone in v). */
typedef struct {
    int32_t mult, thr, zp, lo, hi;
    uint32_t mask;
    int left1, right; /* left + 1: the doubling of SMMULR */
} add_fx_t;

/* rq(v) of one FIXED per-tensor requant (v << left1 fits int32). */
DORY_INLINE int32_t add_rq(const add_fx_t *f, int32_t v)
{
    int32_t h = dory_smmulr((int32_t)((uint32_t)v << f->left1), f->mult);
    int32_t rem = (int32_t)((uint32_t)h & f->mask), thr = f->thr - (h >> 31);
    return (h >> f->right) + (rem > thr);
}

/* 0 unless |v| <= vmax gives |v| << (left + 1) < 2^31. */
static int add_fx_set(const dory__fx_t *e, int64_t vmax, add_fx_t *f)
{
    if (e->left > 29 || (vmax << (e->left + 1)) > INT32_MAX) return 0;
    f->mult = e->mult, f->mask = e->mask, f->thr = (int32_t)(e->mask >> 1);
    f->left1 = e->left + 1, f->right = e->right;
    f->zp = e->zp, f->lo = e->lo, f->hi = e->hi;
    return 1;
}

#define ADD_FX_DEFINE(NAME, AT, BT)                                                                \
    static DORY_HOT void NAME(const AT *a, const BT *b, uint8_t *y, int n, int32_t za, int32_t zb, \
                              const add_fx_t *pa, const add_fx_t *pb, const add_fx_t *po)          \
    {                                                                                              \
        add_fx_t fa = *pa, fb = *pb, fo = *po;                                                     \
        int i;                                                                                     \
        for (i = 0; i < n; i++) {                                                                  \
            int32_t v = add_rq(&fo, add_rq(&fa, a[i] - za) + add_rq(&fb, b[i] - zb));              \
            v = v < fo.lo ? fo.lo : v > fo.hi ? fo.hi : v;                                         \
            y[i] = (uint8_t)(v + fo.zp);                                                           \
        }                                                                                          \
    }

ADD_FX_DEFINE(addfx_uu, uint8_t, uint8_t)
ADD_FX_DEFINE(addfx_ui, uint8_t, int8_t)
ADD_FX_DEFINE(addfx_iu, int8_t, uint8_t)
ADD_FX_DEFINE(addfx_ii, int8_t, int8_t)

static int64_t add_bound(const dory__fx_t *e)
{
    int64_t p = dory__fx_raw(e, 255), m = dory__fx_raw(e, -255);
    p = p < 0 ? -p : p, m = m < 0 ? -m : m;
    return p > m ? p : m;
}

static int add_fx(const dory_add_params_t *p, const void *a, const void *b, void *y, int n)
{
    dory__fx_t ea, eb, eo;
    add_fx_t fa, fb, fo;
    if (p->rq_a.scheme != DORY_RQ_FIXED || p->rq_b.scheme != DORY_RQ_FIXED ||
        p->out.rq.scheme != DORY_RQ_FIXED || p->rq_a.per_channel || p->rq_b.per_channel ||
        p->out.rq.per_channel)
        return 0;
    dory__fx_load_rq(&p->rq_a, 0, &ea);
    dory__fx_load_rq(&p->rq_b, 0, &eb);
    dory__fx_load(&p->out, 0, &eo);
    if (!add_fx_set(&ea, 255, &fa) || !add_fx_set(&eb, 255, &fb) ||
        !add_fx_set(&eo, add_bound(&ea) + add_bound(&eb), &fo))
        return 0;
    if (p->a_type == DORY_U8 && p->b_type == DORY_U8)
        addfx_uu((const uint8_t *)a, (const uint8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa,
                 &fb, &fo);
    else if (p->a_type == DORY_U8)
        addfx_ui((const uint8_t *)a, (const int8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa, &fb,
                 &fo);
    else if (p->b_type == DORY_U8)
        addfx_iu((const int8_t *)a, (const uint8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa, &fb,
                 &fo);
    else
        addfx_ii((const int8_t *)a, (const int8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa, &fb,
                 &fo);
    return 1;
}

/* QLADD: rne(fma(a, s_a, fma(b, s_b, c))) on the raw inputs, clamped; in
 * fp32 or (QLADD_INT) in integers. */
static void add_qladd(const dory_add_params_t *p, const dory_dims_t *ad, const void *a,
                      const dory_dims_t *bd, const void *b, const dory_dims_t *yd, void *y, int px0,
                      int px1)
{
    int as = dory__cstride(ad), bs = dory__cstride(bd), ys = dory__cstride(yd), px, c;
    const float *s = p->out.rq.scale;
    for (px = px0; px < px1; px++)
        for (c = 0; c < ad->c; c++) {
            int32_t va = dory__ld(p->a_type, a, (long)px * as + c);
            int32_t vb = dory__ld(p->b_type, b, (long)px * bs + c);
            int64_t v;
            if (p->out.rq.scheme == DORY_RQ_QLADD_INT) {
                v = dory__qladd_int(va, vb, s);
            } else {
                volatile float t = dory__fmaf((float)vb, s[1], s[2]);
                v = dory__rne_f32(dory__fmaf((float)va, s[0], t));
            }
            dory__st(y, (long)px * ys + c,
                     (int32_t)(v < p->out.lo   ? p->out.lo
                               : v > p->out.hi ? p->out.hi
                                               : v));
        }
}

static void add_generic(const dory_add_params_t *p, const dory_dims_t *ad, const void *a,
                        const dory_dims_t *bd, const void *b, const dory_dims_t *yd, void *y,
                        int px0, int px1)
{
    int as = dory__cstride(ad), bs = dory__cstride(bd), ys = dory__cstride(yd), px, c;
    for (px = px0; px < px1; px++)
        for (c = 0; c < ad->c; c++) {
            int64_t va = dory__ld(p->a_type, a, (long)px * as + c) - (int64_t)p->a_zp;
            int64_t vb = dory__ld(p->b_type, b, (long)px * bs + c) - (int64_t)p->b_zp;
            int64_t acc = dory__rq_raw(&p->rq_a, c, va) + dory__rq_raw(&p->rq_b, c, vb);
            dory__st(y, (long)px * ys + c,
                     dory__clamp_zp(&p->out, dory__rq_raw(&p->out.rq, c, acc)));
        }
}

int32_t dory_add_s8_scratch_bytes(const dory_add_params_t *p)
{
    (void)p;
    return 0;
}

int dory_add_s8(const dory_ctx_t *ctx, const dory_add_params_t *p, const dory_dims_t *a_dims,
                const void *a, const dory_dims_t *b_dims, const void *b, const dory_dims_t *y_dims,
                void *y)
{
    int px0, px1, c = a_dims->c;
    const dory_requant_t *r = &p->out.rq;
    if (b_dims->c != c || y_dims->c != c || b_dims->h != a_dims->h || y_dims->h != a_dims->h ||
        b_dims->w != a_dims->w || y_dims->w != a_dims->w)
        return DORY_ERR_ARG;
    dory__split(a_dims->h * a_dims->w, ctx, &px0, &px1);
    if (r->scheme == DORY_RQ_QLADD || r->scheme == DORY_RQ_QLADD_INT) {
        add_qladd(p, a_dims, a, b_dims, b, y_dims, y, px0, px1);
        return DORY_OK;
    }
    if (dory__cstride(a_dims) == c && dory__cstride(b_dims) == c && dory__cstride(y_dims) == c &&
        p->out.type != DORY_I32 &&
        add_fast(p, (const uint8_t *)a + (long)px0 * c, (const uint8_t *)b + (long)px0 * c,
                 (uint8_t *)y + (long)px0 * c, px1 - px0, c))
        return DORY_OK;
    if (dory__cstride(a_dims) == c && dory__cstride(b_dims) == c && dory__cstride(y_dims) == c &&
        p->out.type != DORY_I32 &&
        add_fx(p, (const uint8_t *)a + (long)px0 * c, (const uint8_t *)b + (long)px0 * c,
               (uint8_t *)y + (long)px0 * c, (px1 - px0) * c))
        return DORY_OK;
    add_generic(p, a_dims, a, b_dims, b, y_dims, y, px0, px1);
    return DORY_OK;
}

/* The form of the Xpulp run of a tile of c channels (add_fast, add_run):
 * add_xp_plan's on channel 0 where every requant is uniform over the
 * channels (one run over the tile), else DORY_ADD_FORM_NONE (a run per
 * channel, or no fast path). Also built on the host: the planner's cost
 * model asks it. */
int dory_add_s8_form(const dory_add_params_t *p, int c)
{
    const dory_requant_t *r = &p->out.rq;
    add_lin_t fa, fb;
    dory__s32_t e;
    addxp_t g;
    if ((r->scheme != DORY_RQ_SHIFT32 && r->scheme != DORY_RQ_NONE) || p->out.type == DORY_I32 ||
        !add_uniform(&p->rq_a, c) || !add_uniform(&p->rq_b, c) || !add_uniform(r, c) ||
        !add_fold(&p->rq_a, 0, p->a_type, p->a_zp, &fa) ||
        !add_fold(&p->rq_b, 0, p->b_type, p->b_zp, &fb) || !add_out(&p->out, 0, &e) ||
        !add_xp_plan(p->a_type, p->b_type, &fa, &fb, &e, &g))
        return DORY_ADD_FORM_NONE;
    return g.kind == ADDXP_SAT   ? DORY_ADD_FORM_SAT
           : g.kind == ADDXP_LIN ? DORY_ADD_FORM_LIN
                                 : DORY_ADD_FORM_REQ;
}
