/* dory_mm_s8.c: the matrix core of the convolutions: a group of 4 output
 * pixels whose K input values are interleaved in one buffer (col[4*k + q],
 * unsigned bytes: u8 as is, i8 flipped to x + 128), against all output
 * channels, 4 channels x 4 pixels register-blocked (16 accumulators, 8 loads
 * per 16 MACs, K unrolled by 8), then the requant epilogue in its own loop
 * (SHIFT32 with one unsigned range compare, SHIFT64 to 8 bits in 32-bit
 * words, other schemes through dory__epi).
 *
 * The zero points are folded in by the caller's effective bias and the
 * per-pixel input sums. No allocation; nothing from src/.
 */
#include "dory_internal.h"

#if !DORY__MM_XPULP /* the portable core; Xpulp: dory_mm_xpulp_s8.c */
#define DORY_MM_STEP(i)                                                                            \
    do {                                                                                           \
        int32_t v0 = x[4 * (i)], v1 = x[4 * (i) + 1], v2 = x[4 * (i) + 2];                         \
        int32_t v3 = x[4 * (i) + 3], t;                                                            \
        t = w0[i];                                                                                 \
        a00 += t * v0, a01 += t * v1, a02 += t * v2, a03 += t * v3;                                \
        t = w1[i];                                                                                 \
        a10 += t * v0, a11 += t * v1, a12 += t * v2, a13 += t * v3;                                \
        t = w2[i];                                                                                 \
        a20 += t * v0, a21 += t * v1, a22 += t * v2, a23 += t * v3;                                \
        t = w3[i];                                                                                 \
        a30 += t * v0, a31 += t * v1, a32 += t * v2, a33 += t * v3;                                \
    } while (0)

/* acc[j*4 + q] = b[j] + sum_{k < n8} w[j][k] * x[4k + q], j < 4, q < 4, n8 a
 * multiple of 8; weight rows are `stride` bytes apart. 28 registers in use:
 * kept out of line, with nothing else live across the loop. */
static DORY_HOT DORY_NOINLINE void mm4x4(const int8_t *w0, int stride, int n8, const uint8_t *x,
                                         const int32_t *b, int32_t *acc)
{
    const int8_t *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride, *e8 = w0 + n8;
    int32_t a00 = b[0], a01 = b[0], a02 = b[0], a03 = b[0];
    int32_t a10 = b[1], a11 = b[1], a12 = b[1], a13 = b[1];
    int32_t a20 = b[2], a21 = b[2], a22 = b[2], a23 = b[2];
    int32_t a30 = b[3], a31 = b[3], a32 = b[3], a33 = b[3];
    while (w0 != e8) {
        DORY_MM_STEP(0);
        DORY_MM_STEP(1);
        DORY_MM_STEP(2);
        DORY_MM_STEP(3);
        DORY_MM_STEP(4);
        DORY_MM_STEP(5);
        DORY_MM_STEP(6);
        DORY_MM_STEP(7);
        x += 32, w0 += 8, w1 += 8, w2 += 8, w3 += 8;
    }
    acc[0] = a00, acc[1] = a01, acc[2] = a02, acc[3] = a03;
    acc[4] = a10, acc[5] = a11, acc[6] = a12, acc[7] = a13;
    acc[8] = a20, acc[9] = a21, acc[10] = a22, acc[11] = a23;
    acc[12] = a30, acc[13] = a31, acc[14] = a32, acc[15] = a33;
}

/* The same for steps [k0, k) (fewer than 8). */
static DORY_HOT DORY_NOINLINE void mm4x4_tail(const int8_t *w0, int stride, int k0, int k,
                                              const uint8_t *x, int32_t *acc)
{
    const int8_t *w1, *w2, *w3, *e = w0 + k;
    int32_t a00 = acc[0], a01 = acc[1], a02 = acc[2], a03 = acc[3];
    int32_t a10 = acc[4], a11 = acc[5], a12 = acc[6], a13 = acc[7];
    int32_t a20 = acc[8], a21 = acc[9], a22 = acc[10], a23 = acc[11];
    int32_t a30 = acc[12], a31 = acc[13], a32 = acc[14], a33 = acc[15];
    x += 4 * k0, w0 += k0;
    w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
    while (w0 != e) {
        DORY_MM_STEP(0);
        x += 4, w0++, w1++, w2++, w3++;
    }
    acc[0] = a00, acc[1] = a01, acc[2] = a02, acc[3] = a03;
    acc[4] = a10, acc[5] = a11, acc[6] = a12, acc[7] = a13;
    acc[8] = a20, acc[9] = a21, acc[10] = a22, acc[11] = a23;
    acc[12] = a30, acc[13] = a31, acc[14] = a32, acc[15] = a33;
}

/* One channel (tails): acc[q] = b + sum_k w[k] * x[4k + q]. */
static void mm1x4(const int8_t *w, int k, const uint8_t *x, int32_t b, int32_t *acc)
{
    int32_t a0 = b, a1 = b, a2 = b, a3 = b;
    int i;
    for (i = 0; i < k; i++, x += 4) {
        int32_t t = w[i];
        a0 += t * x[0], a1 += t * x[1], a2 += t * x[2], a3 += t * x[3];
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

#endif

/* Stores requantized value v (int32) of channel c at yq: v in [lo', hi']
 * iff v - lo' <= range (one unsigned compare); stored as v + zp =
 * (v - lo') + lo. Stores first and fixes the rare out-of-range value after,
 * so the common path has no merge. */
#define MM_PUT(v, yq)                                                                              \
    do {                                                                                           \
        int32_t v_ = (v);                                                                          \
        uint32_t t_ = (uint32_t)v_ - (uint32_t)lo;                                                 \
        yq[c] = (uint8_t)(t_ + ylo);                                                               \
        if (t_ > range) yq[c] = (uint8_t)((v_ < lo ? 0u : range) + ylo);                           \
    } while (0)

/* SHIFT32 epilogue of one accumulator: v = (k*a + l) >> d (wrapping: the
 * unused pixel columns of a tail group may hold any bytes, and k*a + l fits
 * int32 for real pixels only, as verified). */
#define MM_OUT(a, yq) MM_PUT((int32_t)((uint32_t)kq * (uint32_t)(a) + (uint32_t)lq) >> d, yq)

/* MM_OUT with lo' = 0 and lo + zp = 0. */
#define MM_OUT0(a, yq)                                                                             \
    do {                                                                                           \
        int32_t v_ = (int32_t)((uint32_t)kq * (uint32_t)(a) + (uint32_t)lq) >> d;                  \
        yq[c] = (uint8_t)v_;                                                                       \
        if ((uint32_t)v_ > range) yq[c] = (uint8_t)(v_ < 0 ? 0u : range);                          \
    } while (0)

/* SHIFT32 epilogue of channels [c0, cout) x 4 pixels. */
static DORY_HOT void mm_store_s32(const dory__mm_t *m, int c0, uint8_t *const *yp)
{
    static const int32_t zero = 0;
    const dory_requant_t *r = &m->p->out.rq;
    int ps = r->per_channel ? 1 : 0, d = r->d, pl = r->l32 ? ps : 0, c = c0;
    const int32_t *rk = r->k32 + c0 * ps, *rl = r->l32 ? r->l32 + c0 * pl : &zero;
    const int32_t *acc = m->acc + 4 * c0, *end = m->acc + 4 * m->cout;
    int32_t lo = m->lo;
    uint32_t range = (uint32_t)m->hi - (uint32_t)m->lo;
    uint32_t ylo = (uint32_t)m->lo + (uint32_t)m->zp;
    uint8_t *y0 = yp[0], *y1 = yp[1], *y2 = yp[2], *y3 = yp[3];
    if (lo == 0 && ylo == 0) { /* u8 output, zero point 0, ReLU clamp: the common case */
        for (; acc != end; c++, acc += 4, rk += ps, rl += pl) {
            int32_t kq = *rk, lq = *rl;
            MM_OUT0(acc[0], y0);
            MM_OUT0(acc[1], y1);
            MM_OUT0(acc[2], y2);
            MM_OUT0(acc[3], y3);
        }
        return;
    }
    for (; acc != end; c++, acc += 4, rk += ps, rl += pl) {
        int32_t kq = *rk, lq = *rl;
        MM_OUT(acc[0], y0);
        MM_OUT(acc[1], y1);
        MM_OUT(acc[2], y2);
        MM_OUT(acc[3], y3);
    }
}

/* SHIFT64 epilogue of channels [c0, cout) x pixels [0, np), to 8 bits
 * (bounds as mm_store_s32's): dory__s64_step (dory_internal.h), one loop
 * for d >= 32 (hi: only the high word is shifted), one for d < 32. */
DORY_INLINE void mm_s64_loop(const dory__mm_t *m, int c0, int np, uint8_t *const *yp, const int hi)
{
    static const int64_t zero = 0;
    const dory_requant_t *r = &m->p->out.rq;
    int ps = r->per_channel ? 1 : 0, pl = r->l64 ? ps : 0, c = c0, q;
    int d = hi ? 32 + (r->d & 31) : r->d;
    const int64_t *rk = r->k64 + c0 * ps, *rl = r->l64 ? r->l64 + c0 * pl : &zero;
    const int32_t *acc = m->acc + 4 * c0, *end = m->acc + 4 * m->cout;
    int32_t lo = m->lo;
    uint32_t range = (uint32_t)m->hi - (uint32_t)m->lo;
    uint32_t ylo = (uint32_t)m->lo + (uint32_t)m->zp;
    dory__s64_t e;
    for (; acc != end; c++, acc += 4, rk += ps, rl += pl) {
        dory__s64_set(&e, (uint64_t)*rk, (uint64_t)*rl); /* dory__s64_init's b = L = 0 */
        for (q = 0; q < np; q++)
            yp[q][c] = (uint8_t)(dory__s64_step(&e, acc[q], d, lo, range) + ylo);
    }
}
static DORY_HOT void mm_store_s64(const dory__mm_t *m, int c0, int np, uint8_t *const *yp)
{
    if (m->p->out.rq.d >= 32)
        mm_s64_loop(m, c0, np, yp, 1);
    else
        mm_s64_loop(m, c0, np, yp, 0);
}

/* Generic epilogue of np pixels (any scheme, weight zero points, int32
 * outputs and partial sums: m->store). */
static void mm_store(const dory__mm_t *m, int np, const int32_t *acc, const int32_t *sx,
                     uint8_t *const *yp)
{
    const dory_conv_params_t *p = m->p;
    int c, q;
    for (c = 0; c < m->cout; c++, acc += 4) {
        int32_t zw = m->zw_nonzero ? dory__wzp(p->w_zp, p->w_zp_per_channel, c) : 0;
        for (q = 0; q < np; q++) {
            int32_t a = (int32_t)((uint32_t)acc[q] - (uint32_t)zw * (uint32_t)sx[q]);
            dory__store_acc(m->store, &p->out, yp[q], c, c, a);
        }
    }
}

/* FIXED epilogue to 8 bits of np pixels (the TFLite quantization, and
 * onnxruntime's float requant turned to fixed point), no weight zero points:
 * dory__fx_apply(), 32-bit operations and one multiply per output. */
static DORY_HOT void mm_store_fx(const dory__mm_t *m, int np, uint8_t *const *yp)
{
    const int32_t *acc = m->acc;
    int c, q;
    for (c = 0; c < m->cout; c++, acc += 4) {
        dory__fx_t e;
        dory__fx_load(&m->p->out, c, &e);
        for (q = 0; q < np; q++) yp[q][c] = (uint8_t)dory__fx_apply(&e, acc[q]);
    }
}

/* Raw int32 stores of np pixels (partial sums, or an int32 output with no
 * requant, zero point or clamp; no weight zero points): y = acc or y += acc. */
static DORY_HOT void mm_store_raw(const dory__mm_t *m, int np, const int32_t *acc,
                                  uint8_t *const *yp)
{
    int c, q, n = m->cout;
    for (q = 0; q < np; q++) {
        int32_t *y = (int32_t *)(void *)yp[q];
        const int32_t *a = acc + q;
        if (m->store == DORY__ST_NEXT)
            for (c = 0; c < n; c++, a += 4) y[c] = (int32_t)((uint32_t)y[c] + (uint32_t)*a);
        else
            for (c = 0; c < n; c++, a += 4) y[c] = *a;
    }
}

void dory__mm_pixels(const dory__mm_t *m, int np, const uint8_t *col, const int32_t *sx,
                     uint8_t *const *yp)
{
    int c;
    int k = m->k, k8 = k & ~7, q;
#if DORY__MM_RV32 || DORY__MM_XPULP
    /* m->dup: a group of 1 pixel is 4 copies of it, stored to the same bytes
     * (ys = 0) with the same values */
    if (m->fused && (np == DORY__MM_NP || m->dup) && yp[1] - yp[0] == yp[2] - yp[1] &&
        yp[3] - yp[2] == yp[1] - yp[0]) {
        const dory_requant_t *r = &m->p->out.rq;
        dory__mm_rv32_t a;
        a.w = m->w, a.k = k, a.nblk = m->cout / 4, a.x = col, a.b = m->b, a.kl = m->kl;
        a.d = m->f64 && m->f64 != DORY__MM_F32L ? r->d - 32 : r->d;
        a.range = (uint32_t)m->hi, a.y = yp[0], a.ys = (int32_t)(yp[1] - yp[0]);
#if DORY__MM_XPULP
        c = dory__mm_fused_xpulp(m, (uint8_t *)(uintptr_t)col, &a); /* the callers' scratch */
#else
        dory__mm4x4_rv32(&a);
        c = 4 * a.nblk;
        for (q = c; q < m->cout; q++) mm1x4(m->w + (long)q * k, k, col, m->b[q], m->acc + 4 * q);
#endif
        if (c < m->cout && m->f64)
            mm_store_s64(m, c, DORY__MM_NP, yp);
        else if (c < m->cout)
            mm_store_s32(m, c, yp);
        return;
    }
#endif
#if DORY__MM_XPULP
    (void)c, (void)k8;
    dory__mm_acc_xpulp(m, (uint8_t *)(uintptr_t)col); /* the callers' scratch */
#else
    for (c = 0; c + 4 <= m->cout; c += 4) {
        int32_t *acc = m->acc + 4 * c;
        mm4x4(m->w + (long)c * k, k, k8, col, m->b + c, acc);
        if (k8 < k) mm4x4_tail(m->w + (long)c * k, k, k8, k, col, acc);
    }
    for (; c < m->cout; c++) mm1x4(m->w + (long)c * m->k, m->k, col, m->b[c], m->acc + 4 * c);
#endif
    if ((m->fast || m->s64) && !m->zw_nonzero) {
        uint8_t *yq[DORY__MM_NP];
        for (q = 0; q < DORY__MM_NP; q++) yq[q] = q < np ? yp[q] : m->dummy; /* tail group */
        if (m->fast)
            mm_store_s32(m, 0, yq);
        else /* a tail group's dummy pixels are not requantized (L2 k, l) */
            mm_store_s64(m, 0, np, yq);
    } else if (m->fx && !m->zw_nonzero) {
        mm_store_fx(m, np, yp);
    } else if (m->raw) {
        mm_store_raw(m, np, m->acc, yp);
    } else {
        mm_store(m, np, m->acc, sx, yp);
    }
}

#if !DORY__MM_XPULP
/* acc[j] = b[j] + sum_k w[j][k] * x[k], j < 4, one pixel (x contiguous). */
static DORY_HOT void mm4x1(const int8_t *w0, int k, const uint8_t *x, const int32_t *b,
                           int32_t *acc)
{
    const int8_t *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
    const uint8_t *e4 = x + (k & ~3), *e = x + k;
    int32_t a0 = b[0], a1 = b[1], a2 = b[2], a3 = b[3];
    while (x != e4) {
        int32_t v0 = x[0], v1 = x[1], v2 = x[2], v3 = x[3];
        a0 += w0[0] * v0 + w0[1] * v1 + w0[2] * v2 + w0[3] * v3;
        a1 += w1[0] * v0 + w1[1] * v1 + w1[2] * v2 + w1[3] * v3;
        a2 += w2[0] * v0 + w2[1] * v1 + w2[2] * v2 + w2[3] * v3;
        a3 += w3[0] * v0 + w3[1] * v1 + w3[2] * v2 + w3[3] * v3;
        x += 4, w0 += 4, w1 += 4, w2 += 4, w3 += 4;
    }
    for (; x != e; x++, w0++, w1++, w2++, w3++) {
        int32_t v = *x;
        a0 += *w0 * v, a1 += *w1 * v, a2 += *w2 * v, a3 += *w3 * v;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}
#endif

/* SHIFT32 or SHIFT64 epilogue of channels [c0, c0 + n) of one pixel. */
static DORY_HOT void mm_store1(const dory__mm_t *m, int c0, int n, const int32_t *acc, uint8_t *y)
{
    const dory_requant_t *r = &m->p->out.rq;
    int32_t lo = m->lo;
    uint32_t range = (uint32_t)m->hi - (uint32_t)m->lo;
    uint32_t ylo = (uint32_t)m->lo + (uint32_t)m->zp;
    int c, d = r->d;
    for (c = c0; c < c0 + n; c++, acc++) {
        int i = r->per_channel ? c : 0;
        if (m->fast) {
            int32_t kq = r->k32[i], lq = r->l32 ? r->l32[i] : 0;
            MM_OUT(*acc, y);
        } else {
            dory__s64_t e;
            dory__s64_init(r, c, 0, 0, 0, &e);
            y[c] = (uint8_t)(dory__s64_step(&e, *acc, d, lo, range) + ylo);
        }
    }
}

void dory__mm_pixel1(const dory__mm_t *m, const uint8_t *col, int32_t sx, uint8_t *y)
{
    const dory_conv_params_t *p = m->p;
    int32_t acc[4];
    int c, j;
    for (c = 0; c < m->cout; c += 4) {
        int n = m->cout - c < 4 ? m->cout - c : 4;
#if DORY__MM_XPULP
        dory__mm_acc1_xpulp(m, c, n, col, acc);
#else
        if (n == 4) {
            mm4x1(m->w + (long)c * m->k, m->k, col, m->b + c, acc);
        } else {
            for (j = 0; j < n; j++) {
                const int8_t *w = m->w + (long)(c + j) * m->k;
                int32_t a = m->b[c + j];
                int i;
                for (i = 0; i < m->k; i++) a += w[i] * col[i];
                acc[j] = a;
            }
        }
#endif
        if ((m->fast || m->s64) && !m->zw_nonzero) {
            mm_store1(m, c, n, acc, y);
            continue;
        }
        for (j = 0; j < n; j++) {
            int32_t zw = m->zw_nonzero ? dory__wzp(p->w_zp, p->w_zp_per_channel, c + j) : 0;
            int32_t a = (int32_t)((uint32_t)acc[j] - (uint32_t)zw * (uint32_t)sx);
            dory__store_acc(m->store, &p->out, y, c + j, c + j, a);
        }
    }
}

/* The fused Xpulp core's SHIFT64 form for rq (dory_internal.h), 0 if none
 * applies (d < 32 with k beyond int32, or d = 0). */
static int fused_form(const dory_requant_t *rq, int cout)
{
    int c, n = rq->per_channel ? cout : 1, k32 = 1;
    for (c = 0; c < n; c++) k32 &= rq->k64[c] >= INT32_MIN && rq->k64[c] <= INT32_MAX;
    if (rq->d >= 32) return k32 ? DORY__MM_F32H : DORY__MM_F64H;
    return k32 && rq->d >= 1 ? DORY__MM_F32L : 0;
}

/* The fused cores' constants in the accumulator scratch (dory__mm_init):
 * SHIFT32 k, l at acc[2c], acc[2c + 1]; SHIFT64 (f64) dory__s64_init's words
 * for b = L = 0 (k and l as they are) at acc[4c..4c+3], the low word of l
 * inverted for F64H and F32H (their carry is ~l_lo < the low product, one
 * sltu). Every core fills its own scratch on every call: pointer strides,
 * no per-channel branch. */
static void fill_kl(const dory_requant_t *r, int f64, int cout, int32_t *acc)
{
    int c, i, ps = r->per_channel ? 1 : 0;
    if (f64) { /* no l: 0, not a load (a constant's home is L2) */
        uint32_t inv = f64 == DORY__MM_F32L ? 0u : ~0u;
        const int64_t *rk = r->k64, *rl = r->l64;
        for (c = i = 0; c < cout; c++, i += ps, acc += 4) {
            dory__s64_t s; /* word stores: a memcpy here is a library call per channel */
            dory__s64_set(&s, (uint64_t)rk[i], rl ? (uint64_t)rl[i] : 0);
            acc[0] = (int32_t)s.kl, acc[1] = (int32_t)s.kh;
            acc[2] = (int32_t)(s.cl ^ inv), acc[3] = (int32_t)s.ch;
        }
    } else {
        const int32_t *rk = r->k32, *rl = r->l32;
        for (c = i = 0; c < cout; c++, i += ps, acc += 2) acc[0] = rk[i], acc[1] = rl ? rl[i] : 0;
    }
}

void dory__mm_init(dory__mm_t *m, const dory_conv_params_t *p, int k, int cout, const int8_t *w,
                   const int32_t *b, int32_t *acc)
{
    dory__s32_t e = {0, 0, 0, 0, 0, 0};
    m->p = p, m->k = k, m->cout = cout, m->w = w, m->b = b, m->acc = acc;
    m->blocked = 0, m->dup = 0;
    m->dummy = acc ? (uint8_t *)(acc + DORY__MM_NP * cout) : 0;
    m->zw_nonzero = !dory__wzp_all_zero(p->w_zp, p->w_zp_per_channel, cout);
    m->store = dory__store_kind(p->acc_mode, p->out.type);
    m->fast = p->out.rq.scheme == DORY_RQ_SHIFT32 && m->store == DORY__ST_8;
    m->fx = p->out.rq.scheme == DORY_RQ_FIXED && m->store == DORY__ST_8;
    m->raw =
        !m->zw_nonzero && (m->store == DORY__ST_FIRST || m->store == DORY__ST_NEXT ||
                           (m->store == DORY__ST_32 && p->out.rq.scheme == DORY_RQ_NONE &&
                            p->out.zp == 0 && p->out.lo == INT32_MIN && p->out.hi == INT32_MAX));
    /* bounds of 8-bit outputs: lo - zp and hi - zp fit int32 */
    m->s64 = m->store == DORY__ST_8 && dory__s64_bounds_ok(&p->out);
    if (m->fast) dory__s32_load(&p->out, 0, &e);
    if (m->s64) e.lo = p->out.lo - p->out.zp, e.hi = p->out.hi - p->out.zp, e.zp = p->out.zp;
    m->lo = e.lo, m->hi = e.hi, m->zp = e.zp;
    /* The fused core's k, l pairs go to the start of the accumulator scratch,
     * which it leaves unused: only the cout % 4 tail channels c >= 4 *
     * (cout / 4) >= cout / 2 write acc[4c..4c+3], above the 2 * cout pairs.
     * SHIFT64's 4 words per channel (m->f64) fill acc[4c..4c+3]: a tail
     * channel's accumulators overwrite only its own, which the fused core
     * does not read. The unfused path overwrites them: only a core's last
     * group (fewer than 4 pixels) takes it. */
    m->f64 = DORY__MM_XPULP && m->s64 ? fused_form(&p->out.rq, cout) : 0;
    m->fused =
        (m->fast || m->f64) && !m->zw_nonzero && acc && cout >= 4 && e.lo == 0 && e.zp == 0 &&
        e.hi >= 0 &&
        ((DORY__MM_RV32 && k >= 8 && k % 8 == 0) || (DORY__MM_XPULP && k >= 4 && k % 4 == 0));
    m->kl = acc;
    if (m->fused) fill_kl(&p->out.rq, m->f64, cout, acc);
}

void dory__col_sums(const uint8_t *col, int k, int32_t *sx)
{
    int i, q;
    for (q = 0; q < DORY__MM_NP; q++) sx[q] = 0;
    for (i = 0; i < k; i++, col += DORY__MM_NP)
        for (q = 0; q < DORY__MM_NP; q++) sx[q] += col[q];
}
