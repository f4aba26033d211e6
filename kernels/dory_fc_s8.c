/* dory_fc_s8.c: fully connected layer: 8 output neurons at a time (8
 * accumulators, one activation load shared by 8 weight loads), K unrolled by
 * 16. With a non-zero input zero point the input is first copied to scratch
 * as int16 x - zx (once per call); otherwise raw u8/i8 is read in place.
 * Work split: output neurons. No allocation; nothing from src/.
 */
#include "dory_internal.h"

#define FC_STEP(i)                                                                                 \
    do {                                                                                           \
        int32_t v = x[i];                                                                          \
        a0 += w0[i] * v;                                                                           \
        a1 += w1[i] * v;                                                                           \
        a2 += w2[i] * v;                                                                           \
        a3 += w3[i] * v;                                                                           \
        a4 += w4[i] * v;                                                                           \
        a5 += w5[i] * v;                                                                           \
        a6 += w6[i] * v;                                                                           \
        a7 += w7[i] * v;                                                                           \
    } while (0)

/* acc[j] = sum_k w[j][k] * x[k], j < 8. */
#define FC8_DEFINE(NAME, XT)                                                                       \
    static DORY_HOT void NAME(const int8_t *w0, int k, const XT *x, int32_t *acc)                  \
    {                                                                                              \
        const int8_t *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k, *w4 = w3 + k;                       \
        const int8_t *w5 = w4 + k, *w6 = w5 + k, *w7 = w6 + k;                                     \
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;                    \
        const XT *e8 = x + (k & ~15), *e = x + k;                                                  \
        while (x != e8) {                                                                          \
            FC_STEP(0);                                                                            \
            FC_STEP(1);                                                                            \
            FC_STEP(2);                                                                            \
            FC_STEP(3);                                                                            \
            FC_STEP(4);                                                                            \
            FC_STEP(5);                                                                            \
            FC_STEP(6);                                                                            \
            FC_STEP(7);                                                                            \
            FC_STEP(8);                                                                            \
            FC_STEP(9);                                                                            \
            FC_STEP(10);                                                                           \
            FC_STEP(11);                                                                           \
            FC_STEP(12);                                                                           \
            FC_STEP(13);                                                                           \
            FC_STEP(14);                                                                           \
            FC_STEP(15);                                                                           \
            x += 16, w0 += 16, w1 += 16, w2 += 16, w3 += 16;                                       \
            w4 += 16, w5 += 16, w6 += 16, w7 += 16;                                                \
        }                                                                                          \
        while (x != e) {                                                                           \
            FC_STEP(0);                                                                            \
            x++, w0++, w1++, w2++, w3++, w4++, w5++, w6++, w7++;                                   \
        }                                                                                          \
        acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;                                        \
        acc[4] = a4, acc[5] = a5, acc[6] = a6, acc[7] = a7;                                        \
    }

FC8_DEFINE(fc8_u8, uint8_t)
FC8_DEFINE(fc8_i8, int8_t)
FC8_DEFINE(fc8_i16, int16_t)

#define FC4_STEP(i)                                                                                \
    do {                                                                                           \
        int32_t v = x[i];                                                                          \
        a0 += w0[i] * v;                                                                           \
        a1 += w1[i] * v;                                                                           \
        a2 += w2[i] * v;                                                                           \
        a3 += w3[i] * v;                                                                           \
    } while (0)

/* acc[j] = sum_k w[j][k] * x[k], j < 4 (the tail after blocks of 8). */
#define FC4_DEFINE(NAME, XT)                                                                       \
    static DORY_HOT void NAME(const int8_t *w0, int k, const XT *x, int32_t *acc)                  \
    {                                                                                              \
        const int8_t *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;                                     \
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                    \
        const XT *e8 = x + (k & ~15), *e = x + k;                                                  \
        while (x != e8) {                                                                          \
            FC4_STEP(0);                                                                           \
            FC4_STEP(1);                                                                           \
            FC4_STEP(2);                                                                           \
            FC4_STEP(3);                                                                           \
            FC4_STEP(4);                                                                           \
            FC4_STEP(5);                                                                           \
            FC4_STEP(6);                                                                           \
            FC4_STEP(7);                                                                           \
            FC4_STEP(8);                                                                           \
            FC4_STEP(9);                                                                           \
            FC4_STEP(10);                                                                          \
            FC4_STEP(11);                                                                          \
            FC4_STEP(12);                                                                          \
            FC4_STEP(13);                                                                          \
            FC4_STEP(14);                                                                          \
            FC4_STEP(15);                                                                          \
            x += 16, w0 += 16, w1 += 16, w2 += 16, w3 += 16;                                       \
        }                                                                                          \
        while (x != e) {                                                                           \
            FC4_STEP(0);                                                                           \
            x++, w0++, w1++, w2++, w3++;                                                           \
        }                                                                                          \
        acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;                                        \
    }

FC4_DEFINE(fc4_u8, uint8_t)
FC4_DEFINE(fc4_i8, int8_t)
FC4_DEFINE(fc4_i16, int16_t)

#define FC1_DEFINE(NAME, XT)                                                                       \
    static int32_t NAME(const int8_t *w, int k, const XT *x)                                       \
    {                                                                                              \
        int32_t a = 0;                                                                             \
        int i;                                                                                     \
        for (i = 0; i < k; i++) a += w[i] * x[i];                                                  \
        return a;                                                                                  \
    }

FC1_DEFINE(fc1_u8, uint8_t)
FC1_DEFINE(fc1_i8, int8_t)
FC1_DEFINE(fc1_i16, int16_t)

#if DORY__MM_XPULP
#include "dory_xpulp.h"
/* Xpulp: acc[j] = sum_k w[j][k] * x[k], j < 4, 4 taps per pv.sdotusp.b (u8
 * x) or pv.sdotsp.b (i8 x), post-increment word loads, a hardware loop (9
 * instructions per 16 MACs, every weight word used two instructions after
 * its load); the K % 4 tail with p.mac. A non-zero input zero point is
 * folded in afterwards (fc_fold_zx), as the matrix core's effective bias. */
#if DORY_XP_MODE == 1
#define FC4_XP_ASM(F7)                                                                             \
    __asm__ volatile(".option push\n\t.option norvc\n\t" DORY_XP_LP_SETUP(                         \
                         0, "%[n]", 9) ".insn i 0x0b, 2, %[v], %[px], 4\n\t"                       \
                                       ".insn i 0x0b, 2, %[t0], %[p0], 4\n\t"                      \
                                       ".insn i 0x0b, 2, %[t1], %[p1], 4\n\t"                      \
                                       ".insn r 0x57, 1, " F7 ", %[a0], %[v], %[t0]\n\t"           \
                                       ".insn i 0x0b, 2, %[t2], %[p2], 4\n\t"                      \
                                       ".insn r 0x57, 1, " F7 ", %[a1], %[v], %[t1]\n\t"           \
                                       ".insn i 0x0b, 2, %[t3], %[p3], 4\n\t"                      \
                                       ".insn r 0x57, 1, " F7 ", %[a2], %[v], %[t2]\n\t"           \
                                       ".insn r 0x57, 1, " F7 ", %[a3], %[v], %[t3]\n\t"           \
                                       ".option pop"                                               \
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [px] "+r"(px),  \
                       [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2), [p3] "+r"(p3), [v] "=&r"(v),   \
                       [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)              \
                     : [n] "r"(k / 4)                                                              \
                     : "memory")
#else
#define FC4_XP_LOOP(DOT)                                                                           \
    for (i = 0; i < k / 4; i++) {                                                                  \
        uint32_t v = dory_xp_lw_pi(&px);                                                           \
        a0 = DOT(a0, v, dory_xp_lw_pi(&p0));                                                       \
        a1 = DOT(a1, v, dory_xp_lw_pi(&p1));                                                       \
        a2 = DOT(a2, v, dory_xp_lw_pi(&p2));                                                       \
        a3 = DOT(a3, v, dory_xp_lw_pi(&p3));                                                       \
    }
#endif
static DORY_HOT void fc4_xp(const int8_t *w0, int k, const void *x, int sgn, int32_t *acc)
{
    const void *p0 = w0, *p1 = w0 + k, *p2 = w0 + 2 * k, *p3 = w0 + 3 * k, *px = x;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int i, j;
#if DORY_XP_MODE == 1
    uint32_t v, t0, t1, t2, t3;
    if (k >= 4) {
        if (sgn)
            FC4_XP_ASM("0x5c");
        else
            FC4_XP_ASM("0x54");
    }
#else
    if (sgn) {
        FC4_XP_LOOP(dory_xp_sdotsp_b)
    } else {
        FC4_XP_LOOP(dory_xp_sdotusp_b)
    }
#endif
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    for (i = k / 4 * 4; i < k; i++) {
        int32_t v = sgn ? ((const int8_t *)x)[i] : ((const uint8_t *)x)[i];
        for (j = 0; j < 4; j++) acc[j] = dory_xp_mac(acc[j], w0[(long)j * k + i], v);
    }
}

/* One neuron: sum_k w[k] * x[k]; on RV32 8 taps per step of a hardware
 * loop (two dot products, each weight word used two instructions after its
 * load: 6 instructions per 8 MACs), the rest by words and p.mac. */
#if DORY_XP_MODE == 1
#define FC1_XP_ASM(F7)                                                                             \
    __asm__ volatile(".option push\n\t.option norvc\n\t" DORY_XP_LP_SETUP(0, "%[n]", 6)            \
                         DORY_XP_T_LW_PI("%[v0]", "%[px]", 4) DORY_XP_T_LW_PI("%[t0]", "%[pw]", 4) \
                             DORY_XP_T_LW_PI("%[v1]", "%[px]", 4)                                  \
                                 DORY_XP_T_LW_PI("%[t1]", "%[pw]", 4) ".insn r 0x57, 1, " F7       \
                                                                      ", %[a], %[v0], %[t0]\n\t"   \
                                                                      ".insn r 0x57, 1, " F7       \
                                                                      ", %[a], %[v1], %[t1]\n\t"   \
                                                                      ".option pop"                \
                     : [a] "+r"(a), [px] "+r"(px), [pw] "+r"(pw), [v0] "=&r"(v0), [t0] "=&r"(t0),  \
                       [v1] "=&r"(v1), [t1] "=&r"(t1)                                              \
                     : [n] "r"(k / 8)                                                              \
                     : "memory")
#endif
static int32_t fc1_xp(const int8_t *w, int k, const void *x, int sgn)
{
    const void *pw = w, *px = x;
    int32_t a = 0;
    int i = 0;
#if DORY_XP_MODE == 1
    if (k >= 8) {
        uint32_t v0, t0, v1, t1;
        if (sgn)
            FC1_XP_ASM("0x5c");
        else
            FC1_XP_ASM("0x54");
        i = k / 8 * 8;
    }
#endif
    for (; i + 4 <= k; i += 4) {
        uint32_t v = dory_xp_lw_pi(&px), t = dory_xp_lw_pi(&pw);
        a = sgn ? dory_xp_sdotsp_b(a, v, t) : dory_xp_sdotusp_b(a, v, t);
    }
    for (; i < k; i++)
        a = dory_xp_mac(a, w[i], sgn ? ((const int8_t *)x)[i] : ((const uint8_t *)x)[i]);
    return a;
}

/* acc[j] -= zx * sum_k w[j][k] for nc neurons (wrapping): the input zero
 * point, folded as the matrix core's effective bias. */
static void fc_fold_zx(const int8_t *w, int k, int32_t zx, int nc, int32_t *acc)
{
    int j, i;
    for (j = 0; j < nc; j++, w += k) {
        const void *pw = w;
        int32_t s = 0;
        for (i = 0; i < k / 4; i++) s = dory_xp_sdotsp_b(s, dory_xp_lw_pi(&pw), 0x01010101u);
        for (i = k / 4 * 4; i < k; i++) s += w[i];
        acc[j] = (int32_t)((uint32_t)acc[j] - (uint32_t)zx * (uint32_t)s);
    }
}
#endif

int32_t dory_fc_s8_scratch_bytes(const dory_fc_params_t *p, int k, int n)
{
    (void)n;
    return p->in_zp ? (2 * k + 3) & ~3 : 0;
}

/* 0: u8, 1: i8, 2: int16 (x - zx in scratch). */
static void fc_block(int kind, const int8_t *w, int k, const void *x, int nc, int32_t *acc)
{
    int j;
#if DORY__MM_XPULP
    if (kind != 2) {
        for (; nc >= 4; nc -= 4, acc += 4, w += 4L * k) fc4_xp(w, k, x, kind, acc);
        for (j = 0; j < nc; j++, w += k) acc[j] = fc1_xp(w, k, x, kind);
        return;
    }
#endif
    if (nc == 8) {
        if (kind == 0)
            fc8_u8(w, k, (const uint8_t *)x, acc);
        else if (kind == 1)
            fc8_i8(w, k, (const int8_t *)x, acc);
        else
            fc8_i16(w, k, (const int16_t *)x, acc);
        return;
    }
    if (nc >= 4) {
        if (kind == 0)
            fc4_u8(w, k, (const uint8_t *)x, acc);
        else if (kind == 1)
            fc4_i8(w, k, (const int8_t *)x, acc);
        else
            fc4_i16(w, k, (const int16_t *)x, acc);
        acc += 4, w += 4L * k, nc -= 4;
    }
    for (j = 0; j < nc; j++, w += k)
        acc[j] = kind == 0   ? fc1_u8(w, k, (const uint8_t *)x)
                 : kind == 1 ? fc1_i8(w, k, (const int8_t *)x)
                             : fc1_i16(w, k, (const int16_t *)x);
}

/* SHIFT32 epilogue of nc neurons from c (no weight zero point). */
static DORY_HOT void fc_store_s32(const dory_fc_params_t *p, const dory__s32_t *e,
                                  const int32_t *acc, const int32_t *bias, int c, int nc,
                                  uint8_t *y)
{
    const dory_requant_t *r = &p->out.rq;
    int ps = r->per_channel ? 1 : 0, d = e->d, j;
    int32_t lo = e->lo;
    uint32_t range = (uint32_t)e->hi - (uint32_t)e->lo, ylo = (uint32_t)e->lo + (uint32_t)e->zp;
    for (j = 0; j < nc; j++) {
        int i = (c + j) * ps;
        int32_t a = acc[j] + (bias ? bias[c + j] : 0);
        int32_t v = (r->k32[i] * a + (r->l32 ? r->l32[i] : 0)) >> d;
        uint32_t t = (uint32_t)v - (uint32_t)lo;
        if (DORY_UNLIKELY(t > range)) t = v < lo ? 0u : range;
        y[c + j] = (uint8_t)(t + ylo);
    }
}

/* SHIFT64 epilogue of nc neurons from c (no weight zero point, bounds as
 * dory__s64_bounds_ok): dory__s64_step (dory_internal.h), 32-bit words. */
static DORY_HOT void fc_store_s64(const dory_fc_params_t *p, const int32_t *acc,
                                  const int32_t *bias, int c, int nc, uint8_t *y)
{
    int32_t lo = p->out.lo - p->out.zp;
    uint32_t range = (uint32_t)(p->out.hi - p->out.lo);
    dory__s64_t e;
    int j;
    for (j = 0; j < nc; j++) {
        int32_t a = (int32_t)((uint32_t)acc[j] + (bias ? (uint32_t)bias[c + j] : 0u));
        dory__s64_init(&p->out.rq, c + j, 0, 0, 0, &e);
        y[c + j] = (uint8_t)(dory__s64_step(&e, a, p->out.rq.d, lo, range) + (uint32_t)p->out.lo);
    }
}

/* Generic epilogue of nc neurons from c (any scheme, weight zero points,
 * int32 outputs, partial sums); sx: sum of the inputs (zero-point algebra). */
static DORY_NOINLINE void fc_store(const dory_fc_params_t *p, const int32_t *acc,
                                   const int32_t *bias, int32_t sx, int c, int nc, void *y)
{
    dory__store_t store = dory__store_kind(p->acc_mode, p->out.type);
    int j;
    for (j = 0; j < nc; j++) {
        int ch = c + j;
        uint32_t a = (uint32_t)acc[j] + (bias ? (uint32_t)bias[ch] : 0u);
        a -= (uint32_t)dory__wzp(p->w_zp, p->w_zp_per_channel, ch) * (uint32_t)sx;
        dory__store_acc(store, &p->out, y, ch, ch, (int32_t)a);
    }
}

int dory_fc_s8(const dory_ctx_t *ctx, const dory_fc_params_t *p, int k, const void *x,
               const int8_t *w, const int32_t *bias, int n, void *y)
{
    int kind = p->in_type == DORY_I8 ? 1 : 0;
    int c0, c1, c, i;
    int32_t acc[8], sx = 0;
    int zwnz = !dory__wzp_all_zero(p->w_zp, p->w_zp_per_channel, n);
    int fast = p->out.rq.scheme == DORY_RQ_SHIFT32 && p->out.type != DORY_I32 && !p->acc_mode;
    int fast64 = dory__s64_bounds_ok(&p->out) && p->out.type != DORY_I32 && !p->acc_mode;
    dory__s32_t e = {0, 0, 0, 0, 0, 0};
    if (k <= 0 || k > 65535 || n <= 0 || !dory__acc_ok(p->acc_mode, p->out.type))
        return DORY_ERR_ARG;
    if (p->acc_mode == DORY_ACC_NEXT) bias = 0;
    if (p->in_zp && !DORY__MM_XPULP) { /* Xpulp: folded after the dot products */
        int16_t *xs = (int16_t *)ctx->buf;
        if (!xs || ctx->size < dory_fc_s8_scratch_bytes(p, k, n)) return DORY_ERR_SCRATCH;
        for (i = 0; i < k; i++) xs[i] = (int16_t)(dory__ld(p->in_type, x, i) - p->in_zp);
        x = xs;
        kind = 2;
    }
    if (zwnz) {
        for (i = 0; i < k; i++)
            sx += kind == 2 ? ((const int16_t *)x)[i] : dory__ld(p->in_type, x, i);
        if (kind != 2) sx = (int32_t)((uint32_t)sx - (uint32_t)k * (uint32_t)p->in_zp);
    }
    if (fast) dory__s32_load(&p->out, 0, &e);
#if DORY__MM_XPULP /* blocks of 4 neurons per core: the 4-neuron pass wherever possible */
    if (n >= 4 * (ctx->num_cores > 0 ? ctx->num_cores : 1)) { /* else one by one, on more cores */
        dory__split((n + 3) / 4, ctx, &c0, &c1);
        c0 *= 4, c1 = 4 * c1 < n ? 4 * c1 : n;
    } else {
        dory__split(n, ctx, &c0, &c1);
    }
#else
    dory__split(n, ctx, &c0, &c1);
#endif
    for (c = c0; c < c1; c += 8) {
        int nc = c1 - c < 8 ? c1 - c : 8;
        fc_block(kind, w + (long)c * k, k, x, nc, acc);
#if DORY__MM_XPULP
        if (p->in_zp) fc_fold_zx(w + (long)c * k, k, p->in_zp, nc, acc);
#endif
        if (fast && !zwnz) {
            fc_store_s32(p, &e, acc, bias, c, nc, (uint8_t *)y);
            continue;
        }
        if (fast64 && !zwnz) {
            fc_store_s64(p, acc, bias, c, nc, (uint8_t *)y);
            continue;
        }
        fc_store(p, acc, bias, sx, c, nc, y);
    }
    return DORY_OK;
}
