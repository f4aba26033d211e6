/* dory_conv_dsp_s8.c: convolution, pointwise and fully connected layers on
 * weights packed offline as int16 (the Arm DSP rows of the kernel table:
 * DORY_K_CONV2D_DSP, DORY_K_CONV1X1_DSP, DORY_K_FC_DSP).
 *
 * The packed layout (dory_pack_w16()) stores w - zw[c] as int16, K padded to
 * a multiple of 4, output channels in pairs: the 32-bit word (j, kp, h)
 * holds channel 2j + h at k = 2kp (low half) and 2kp + 1 (high half), so
 * one SMLAD multiplies two taps of one channel with no SXTB16 at run time.
 * The input side is converted once per pixel into the same form, x - zx as
 * int16 (padding: 0), two pixels interleaved, so the accumulator is the
 * contract's sum of (x - zx)(w - zw) directly: no zero-point correction.
 * The core is a 2 channels x 2 pixels block (4 accumulators, 2 + 2 words per
 * k pair: 11 registers with its pointers, which Thumb-2's 13 hold). Without
 * __ARM_FEATURE_DSP (the host, rv32) dory_smlad() is the same sum in C, so
 * the rows run and are tested everywhere. No allocation; nothing from src/.
 */
#include "dory_internal.h"

/* ---- Packing (offline, by the code generator) ------------------------------ */

static int k4_of(int k) { return (k + 3) & ~3; }

int32_t dory_pack_w16_bytes(int cout, int k) { return (int32_t)((cout + 1) & ~1) * k4_of(k) * 2; }

void dory_pack_w16(const int8_t *w, int cout, int k, const int32_t *w_zp, int w_zp_per_channel,
                   uint8_t *out)
{
    int k4 = k4_of(k), c, i, cp = (cout + 1) & ~1;
    for (c = 0; c < cp; c++)
        for (i = 0; i < k4; i++) {
            int32_t v =
                c < cout && i < k ? w[(long)c * k + i] - dory__wzp(w_zp, w_zp_per_channel, c) : 0;
            long at = ((((long)(c / 2) * (k4 / 2) + i / 2) * 2 + (c & 1)) * 2 + (i & 1)) * 2;
            out[at] = (uint8_t)((uint32_t)v & 0xff);
            out[at + 1] = (uint8_t)(((uint32_t)v >> 8) & 0xff);
        }
}

/* ---- The 2 x 2 core ------------------------------------------------------------ */

/* Two consecutive words at a 4-byte aligned p, in one load where the
 * compiler can (LDRD on Armv7E-M). */
#if defined(__GNUC__)
typedef uint64_t dory__w2_t __attribute__((aligned(4), may_alias));
DORY_INLINE uint64_t load2(const void *p) { return *(const dory__w2_t *)p; }
#else
DORY_INLINE uint64_t load2(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
#endif
#define LO(v) ((uint32_t)(v))
#define HI(v) ((uint32_t)((v) >> 32))

/* The same loops in Thumb-2 for the DSP extension: GCC splits the 64-bit
 * loads into two LDR each on the Cortex-M4 and keeps a separate pointer
 * update; LDRD with writeback halves the loads (2 x 2 block: 14
 * instructions per 16 MACs). Requires n > 0; pointers 4-byte aligned. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && !defined(DORY_NO_DSP) &&                    \
    !defined(DORY_NO_ASM)
#define DORY_DSP_ASM 1
/* clang-format off */
/* One k pair of the 2 x 2 block: two pixels' words, the channel pair's words. */
#define MM2X2_STEP                                                                                 \
    "ldrd %[x0], %[x1], [%[x]], #8\n\t"                                                           \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smlad %[a00], %[w0], %[x0], %[a00]\n\t"                                                      \
    "smlad %[a01], %[w0], %[x1], %[a01]\n\t"                                                      \
    "smlad %[a10], %[w1], %[x0], %[a10]\n\t"                                                      \
    "smlad %[a11], %[w1], %[x1], %[a11]\n\t"
/* One k pair of the 4 x 1 block (the pixel's word in register xv). */
#define MM4X1_STEP(xv)                                                                             \
    "ldrd %[v0], %[v1], [%[wa]], #8\n\t"                                                          \
    "smlad %[a0], %[v0], %[" xv "], %[a0]\n\t"                                                    \
    "smlad %[a1], %[v1], %[" xv "], %[a1]\n\t"                                                    \
    "ldrd %[v0], %[v1], [%[wb]], #8\n\t"                                                          \
    "smlad %[a2], %[v0], %[" xv "], %[a2]\n\t"                                                    \
    "smlad %[a3], %[v1], %[" xv "], %[a3]\n\t"
/* clang-format on */

DORY_INLINE void mm2x2(const uint8_t *w, const uint32_t *x, int n, int32_t *a)
{
    int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
    const uint32_t *e = x + 2 * n;
    uint32_t x0, x1, w0, w1;
    if (n <= 0) return;
    __asm__ volatile(
        "1:\n\t" MM2X2_STEP MM2X2_STEP "cmp %[x], %[e]\n\tbne 1b"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [x] "+r"(x),
          [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1)
        : [e] "r"(e)
        : "cc", "memory");
    a[0] = a00, a[1] = a01, a[2] = a10, a[3] = a11;
}

static DORY_HOT void mm4x1(const uint8_t *wa, const uint8_t *wb, const uint32_t *x, int n,
                           int32_t *a)
{
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    const uint32_t *e = x + n;
    uint32_t x0, x1, v0, v1;
    if (n <= 0) return;
    __asm__ volatile(
        "1:\n\tldrd %[x0], %[x1], [%[x]], #8\n\t" MM4X1_STEP("x0")
            MM4X1_STEP("x1") "cmp %[x], %[e]\n\tbne 1b"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [wa] "+r"(wa),
          [wb] "+r"(wb), [x0] "=&r"(x0), [x1] "=&r"(x1), [v0] "=&r"(v0), [v1] "=&r"(v1)
        : [e] "r"(e)
        : "cc", "memory");
    a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
}
#else
/* a[h*2 + q] += sum_kp w(j, kp, h) . x(kp, q) for n k pairs (n even): w the
 * channel pair's words, x two pixels' words interleaved. */
static DORY_HOT void mm2x2(const uint8_t *w, const uint32_t *x, int n, int32_t *a)
{
    int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
    const uint32_t *e = x + 2 * n;
    while (x != e) {
        uint64_t xv = load2(x), wv = load2(w);
        a00 = dory_smlad(LO(wv), LO(xv), a00), a01 = dory_smlad(LO(wv), HI(xv), a01);
        a10 = dory_smlad(HI(wv), LO(xv), a10), a11 = dory_smlad(HI(wv), HI(xv), a11);
        xv = load2(x + 2), wv = load2(w + 8);
        a00 = dory_smlad(LO(wv), LO(xv), a00), a01 = dory_smlad(LO(wv), HI(xv), a01);
        a10 = dory_smlad(HI(wv), LO(xv), a10), a11 = dory_smlad(HI(wv), HI(xv), a11);
        x += 4, w += 16;
    }
    a[0] = a00, a[1] = a01, a[2] = a10, a[3] = a11;
}

/* 4 channels (pairs at wa, wb) x 1 pixel (x: one word per k pair), n even. */
static DORY_HOT void mm4x1(const uint8_t *wa, const uint8_t *wb, const uint32_t *x, int n,
                           int32_t *a)
{
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    const uint32_t *e = x + n;
    while (x != e) {
        uint64_t xv = load2(x), va = load2(wa), vb = load2(wb);
        a0 = dory_smlad(LO(va), LO(xv), a0), a1 = dory_smlad(HI(va), LO(xv), a1);
        a2 = dory_smlad(LO(vb), LO(xv), a2), a3 = dory_smlad(HI(vb), LO(xv), a3);
        va = load2(wa + 8), vb = load2(wb + 8);
        a0 = dory_smlad(LO(va), HI(xv), a0), a1 = dory_smlad(HI(va), HI(xv), a1);
        a2 = dory_smlad(LO(vb), HI(xv), a2), a3 = dory_smlad(HI(vb), HI(xv), a3);
        x += 2, wa += 16, wb += 16;
    }
    a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
}

#endif

/* ---- Input columns ------------------------------------------------------------------ */

/* Two values x - zx as one word (low: the even k). */
DORY_INLINE uint32_t pair16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xffffu) | (uint32_t)hi << 16;
}

/* n values of an 8-bit activation minus zx, as int16 pairs every `step`
 * words into d (n even). */
static void col_run(uint32_t *d, int step, dory_type_t t, const void *x, long at, int n, int32_t zx)
{
    int i;
    if (t == DORY_I8) {
        const int8_t *s = (const int8_t *)x + at;
        for (i = 0; i < n; i += 2, d += step) *d = pair16(s[i] - zx, s[i + 1] - zx);
    } else {
        const uint8_t *s = (const uint8_t *)x + at;
        for (i = 0; i < n; i += 2, d += step) *d = pair16(s[i] - zx, s[i + 1] - zx);
    }
}

/* n values of an 8-bit activation minus zx, one int16 each. */
static void lin_run(int16_t *d, dory_type_t t, const void *x, long at, int n, int32_t zx)
{
    int i;
    if (t == DORY_I8) {
        const int8_t *s = (const int8_t *)x + at;
        for (i = 0; i < n; i++) d[i] = (int16_t)(s[i] - zx);
    } else {
        const uint8_t *s = (const uint8_t *)x + at;
        for (i = 0; i < n; i++) d[i] = (int16_t)(s[i] - zx);
    }
}

/* The column of output pixel (oy, ox) into slot q of col (2 slots: word
 * kp * 2 + q), k4 values, padding and the K tail 0. An even channel count
 * writes pairs directly; an odd one goes through lin (k4 int16: the values
 * in order, then copied a word, i.e. a pair, at a time; little-endian). */
static void col_pixel(const dory_conv_params_t *p, const dory_dims_t *in, const void *x, int oy,
                      int ox, int pt, int pl, int k4, uint32_t *col, int q, int16_t *lin)
{
    int cin = in->c, cs = dory__cstride(in), ky, kx, i = 0, c, even = !(cin & 1);
    uint32_t *d = col + q;
    int16_t *v = lin;
    for (ky = 0; ky < p->kh; ky++) {
        int iy = oy * p->stride_h - pt + ky * p->dil_h;
        for (kx = 0; kx < p->kw; kx++) {
            int ix = ox * p->stride_w - pl + kx * p->dil_w;
            int valid = iy >= 0 && iy < in->h && ix >= 0 && ix < in->w;
            long at = ((long)iy * in->w + ix) * cs;
            if (even && valid)
                col_run(d, 2, p->in_type, x, at, cin, p->in_zp), d += cin;
            else if (even)
                for (c = 0; c < cin; c += 2, d += 2) *d = 0;
            else if (valid)
                lin_run(v, p->in_type, x, at, cin, p->in_zp), v += cin;
            else
                for (c = 0; c < cin; c++) *v++ = 0;
            i += cin;
        }
    }
    if (even) {
        for (; i < k4; i += 2, d += 2) *d = 0;
        return;
    }
    for (; i < k4; i++) *v++ = 0;
    for (i = 0; i < k4; i += 2, d += 2) memcpy(d, lin + i, 4);
}

/* ---- Epilogue ---------------------------------------------------------------------------- */

/* FIXED to 8 bits in one SMMULR: h = SMMULR(acc << (left + 1), mult) is
 * SaturatingRoundingDoublingHighMul (never saturating) when |acc| << (left
 * + 1) < 2^31, which |bias| + K * 255 * 255 bounds (|x - zx|, |w - zw| <=
 * 255); then RoundingDivideByPOT(h, r) + zp = (h + rnd - (h < 0)) >> r with
 * rnd = 2^(r-1) + zp * 2^r, for r in 1..30 and |rnd| <= 2^29 (|h| <= 2^30 + 1:
 * no overflow). Channels outside these bounds use dory__fx_apply(). */
typedef struct {
    dory__fx_t t;
    int32_t rnd;
    int fast; /* 0: dory__fx_apply() */
} fx_ch_t;

/* How outputs are stored: FIXED to 8 bits (the TFLite quantization)
 * through fx_out(), everything else through dory__store_acc(). */
typedef struct {
    const dory_out_params_t *o;
    dory__store_t store;
    int esize;        /* bytes per output element */
    int fx;           /* FIXED to 8 bits */
    const fx_ch_t *t; /* its constants per channel (in scratch) */
} epi_t;

/* fx: scratch for the FIXED constants of n channels (FX_BYTES(n)). */
#define FX_BYTES(n) ((int32_t)sizeof(fx_ch_t) * (n))
static void fx_init(fx_ch_t *f, const dory_out_params_t *o, int c, int k, const int32_t *bias)
{
    int64_t bound = (bias ? (bias[c] < 0 ? -(int64_t)bias[c] : bias[c]) : 0) + 65025LL * k;
    int64_t rnd;
    dory__fx_load(o, c, &f->t);
    rnd = ((int64_t)1 << (f->t.right > 0 ? f->t.right - 1 : 0)) +
          (int64_t)o->zp * ((int64_t)1 << f->t.right);
    f->fast = f->t.left <= 29 && f->t.right >= 1 && f->t.right <= 30 &&
              (bound << (f->t.left + 1)) <= INT32_MAX && rnd <= (1 << 29) && rnd >= -(1 << 29);
    f->rnd = (int32_t)rnd;
}

/* clamp(requant(a) + zp, lo, hi) of FIXED, to 8 bits. */
DORY_INLINE uint8_t fx_out(const fx_ch_t *f, int32_t a)
{
    int32_t h, v;
    if (DORY_UNLIKELY(!f->fast)) return (uint8_t)dory__fx_apply(&f->t, a);
    h = dory_smmulr((int32_t)((uint32_t)a << (f->t.left + 1)), f->t.mult);
    v = (h + f->rnd + (h >> 31)) >> f->t.right;
    return (uint8_t)dory_clip(v, f->t.lo + f->t.zp, f->t.hi + f->t.zp);
}

static void epi_init(epi_t *e, const dory_out_params_t *o, int acc_mode, fx_ch_t *fx, int n, int k,
                     const int32_t *bias)
{
    int c;
    e->o = o;
    e->store = dory__store_kind(acc_mode, o->type);
    e->esize = dory__store_esize(e->store);
    e->fx = o->rq.scheme == DORY_RQ_FIXED && e->store == DORY__ST_8;
    e->t = fx;
    if (e->fx)
        for (c = 0; c < n; c++) fx_init(&fx[c], o, c, k, bias);
}

/* The same for FC: one output per channel, the 64-bit epilogue is cheaper
 * than setting up the fast one. */
static void epi_init_fc(epi_t *e, const dory_out_params_t *o, int acc_mode, fx_ch_t *fx, int n)
{
    int c;
    epi_init(e, o, acc_mode, fx, 0, 0, 0);
    if (e->fx)
        for (c = 0; c < n; c++) dory__fx_load(o, c, &fx[c].t), fx[c].fast = 0;
}

DORY_INLINE void store1(const epi_t *e, uint8_t *y, int c, int32_t a)
{
    dory__store_acc(e->store, e->o, y, 0, c, a);
}

/* Channel c of np (1 or 2) pixels y0, y1: a[0], a[1]. */
DORY_INLINE void store_ch(const epi_t *e, uint8_t *y0, uint8_t *y1, int np, int c, const int32_t *a)
{
    if (e->fx) {
        const fx_ch_t *f = &e->t[c];
        y0[c] = fx_out(f, a[0]);
        if (np > 1) y1[c] = fx_out(f, a[1]);
        return;
    }
    store1(e, y0 + c * e->esize, c, a[0]);
    if (np > 1) store1(e, y1 + c * e->esize, c, a[1]);
}

/* The 2 x 2 block of channels c, c + 1 from their biases. */
DORY_INLINE void block(const uint8_t *w, const uint32_t *col, int np, const int32_t *bias, int cout,
                       int c, int32_t *a)
{
    a[0] = a[1] = bias ? bias[c] : 0;
    a[2] = a[3] = bias && c + 1 < cout ? bias[c + 1] : 0;
    mm2x2(w, col, np, a);
}

/* Every channel pair of one or two pixels (two: y1 is written), np k pairs
 * per channel, FIXED to 8 bits (the TFLite quantization). */
static DORY_NOINLINE void pairs_fx(const uint8_t *w, const uint32_t *col, int np,
                                   const int32_t *bias, int cout, const fx_ch_t *t, uint8_t *y0,
                                   uint8_t *y1, int two)
{
    int c;
    int32_t a[4];
    for (c = 0; c < cout; c += 2, w += (long)np * 8) {
        block(w, col, np, bias, cout, c, a);
        y0[c] = fx_out(&t[c], a[0]);
        if (two) y1[c] = fx_out(&t[c], a[1]);
        if (c + 1 == cout) break;
        y0[c + 1] = fx_out(&t[c + 1], a[2]);
        if (two) y1[c + 1] = fx_out(&t[c + 1], a[3]);
    }
}

/* The same for every other scheme and store kind. */
static DORY_NOINLINE void pairs_any(const epi_t *e, const uint8_t *w, const uint32_t *col, int np,
                                    const int32_t *bias, int cout, uint8_t *y0, uint8_t *y1,
                                    int two)
{
    int c;
    int32_t a[4];
    for (c = 0; c < cout; c += 2, w += (long)np * 8) {
        block(w, col, np, bias, cout, c, a);
        store_ch(e, y0, y1, 1 + two, c, a);
        if (c + 1 < cout) store_ch(e, y0, y1, 1 + two, c + 1, a + 2);
    }
}

/* ---- Convolution and pointwise --------------------------------------------------------- */

int32_t dory_conv_dsp_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                       const dory_dims_t *out)
{
    return 3 * 4 * (k4_of(p->kh * p->kw * in->c) / 2) + FX_BYTES(out->c);
}

int dory_conv_dsp_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                     const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                     void *y)
{
    int k = p->kh * p->kw * in->c, k4 = k4_of(k), np = k4 / 2;
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int r0, r1, pix, end, ys = dory__cstride(out);
    uint32_t *col = (uint32_t *)ctx->buf;
    int16_t *lin;
    epi_t e;
    if (k <= 0 || out->c <= 0 || p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 ||
        p->dil_w < 1 || !dory__acc_ok(p->acc_mode, p->out.type))
        return DORY_ERR_ARG;
    if (((uintptr_t)w & 3) || ((uintptr_t)col & 3)) return DORY_ERR_ARG;
    if (!col || ctx->size < dory_conv_dsp_s8_scratch_bytes(p, in, out)) return DORY_ERR_SCRATCH;
    lin = (int16_t *)(void *)(col + 2 * np);
    epi_init(&e, &p->out, p->acc_mode, (fx_ch_t *)(void *)(col + 3 * np), out->c, k, bias);
    if (p->acc_mode == DORY_ACC_NEXT) bias = 0;
    dory__split(out->h, ctx, &r0, &r1);
    end = r1 * out->w;
    for (pix = r0 * out->w; pix < end; pix += 2) {
        int two = pix + 1 < end;
        uint8_t *y0 = (uint8_t *)y + (long)pix * ys * e.esize, *y1 = y0 + (long)ys * e.esize;
        col_pixel(p, in, x, pix / out->w, pix % out->w, pt, pl, k4, col, 0, lin);
        if (two)
            col_pixel(p, in, x, (pix + 1) / out->w, (pix + 1) % out->w, pt, pl, k4, col, 1, lin);
        if (e.fx)
            pairs_fx((const uint8_t *)w, col, np, bias, out->c, e.t, y0, y1, two);
        else
            pairs_any(&e, (const uint8_t *)w, col, np, bias, out->c, y0, y1, two);
    }
    return DORY_OK;
}

/* ---- Fully connected ------------------------------------------------------------------------- */

int32_t dory_fc_dsp_s8_scratch_bytes(const dory_fc_params_t *p, int k, int n)
{
    (void)p;
    return 4 * (k4_of(k) / 2) + FX_BYTES(n);
}

int dory_fc_dsp_s8(const dory_ctx_t *ctx, const dory_fc_params_t *p, int k, const void *x,
                   const int8_t *w, const int32_t *bias, int n, void *y)
{
    int k4 = k4_of(k), np = k4 / 2, pairs = (n + 1) / 2, j0, j1, j, c, i;
    uint32_t *xs = (uint32_t *)ctx->buf;
    const uint8_t *wp = (const uint8_t *)w;
    epi_t e;
    if (k <= 0 || n <= 0 || !dory__acc_ok(p->acc_mode, p->out.type)) return DORY_ERR_ARG;
    if (((uintptr_t)w & 3) || ((uintptr_t)xs & 3)) return DORY_ERR_ARG;
    if (!xs || ctx->size < dory_fc_dsp_s8_scratch_bytes(p, k, n)) return DORY_ERR_SCRATCH;
    epi_init_fc(&e, &p->out, p->acc_mode, (fx_ch_t *)(void *)(xs + np), n);
    if (p->acc_mode == DORY_ACC_NEXT) bias = 0;
    col_run(xs, 1, p->in_type, x, 0, k & ~1, p->in_zp);
    i = k & ~1;
    if (k & 1) xs[i / 2] = pair16(dory__ld(p->in_type, x, k - 1) - p->in_zp, 0), i += 2;
    for (; i < k4; i += 2) xs[i / 2] = 0;
    dory__split(pairs, ctx, &j0, &j1);
    for (j = j0; j < j1; j += 2) {
        int32_t a[4];
        int nc = j + 1 < j1 ? 4 : 2;
        for (c = 0; c < 4; c++) {
            int ch = 2 * j + c;
            a[c] = bias && ch < n ? bias[ch] : 0;
        }
        mm4x1(wp + (long)j * np * 8, wp + (long)(nc == 4 ? j + 1 : j) * np * 8, xs, np, a);
        for (c = 0; c < nc && 2 * j + c < n; c++)
            store_ch(&e, (uint8_t *)y, 0, 1, 2 * j + c, a + c);
    }
    return DORY_OK;
}
