/* dory_maxpool_s8.c: max pooling on an HWC tile: max over the valid window
 * (padding never wins), then clamp(requant(max - zx) + zy, lo, hi).
 * Work split: channels (Xpulp, 4 channels or more: output pixels, each
 * core taking all channels 4 per word; the 2x2 stride-2 identity case runs
 * a hardware loop per output row). No scratch; nothing from src/.
 */
#include "dory_internal.h"

/* The max of channel c over input rows [y0, y1) x columns [x0, x1). */
DORY_INLINE int32_t maxpool1(const dory_pool_params_t *p, const dory_dims_t *in, const void *x,
                             int c, int y0, int y1, int x0, int x1)
{
    int cs = dory__cstride(in), iy, ix;
    int32_t m = INT32_MIN;
    for (iy = y0; iy < y1; iy++)
        for (ix = x0; ix < x1; ix++) {
            int32_t v = dory__ld(p->in_type, x, ((long)iy * in->w + ix) * cs + c);
            m = v > m ? v : m;
        }
    return m == INT32_MIN ? p->in_zp : m; /* empty window: not in a valid geometry */
}

/* The epilogue is the identity: no requant, the input's zero point, a
 * clamp that covers the type. */
DORY_INLINE int maxpool_ident(const dory_pool_params_t *p)
{
    int tmin = p->in_type == DORY_I8 ? -128 : 0, tmax = p->in_type == DORY_I8 ? 127 : 255;
    return p->out.rq.scheme == DORY_RQ_NONE && p->out.zp == p->in_zp && p->out.lo <= tmin &&
           p->out.hi >= tmax;
}

/* The 2x2 stride-2 fast path's shape: every window whole (no padding
 * applies, the input covers 2 * out rows and columns), the identity
 * epilogue, channels a multiple of 4 (the strides' and pointers' word
 * alignment apart). */
DORY_INLINE int maxpool2x2_fits(const dory_pool_params_t *p, const dory_dims_t *in,
                                const dory_dims_t *out, int pt, int pl, int ident)
{
    return ident && p->kh == 2 && p->kw == 2 && p->stride_h == 2 && p->stride_w == 2 && !pt &&
           !pl && 2 * out->h <= in->h && 2 * out->w <= in->w && !(out->c % 4);
}

#if DORY__MM_XPULP
/* Xpulp: 4 channels of a pixel per word, the window's max lane-wise
 * (pv.maxu.b for u8, pv.max.b for i8), then each lane's epilogue; where the
 * epilogue is the identity (no requant, the input's zero point, a clamp
 * that covers the type) the word is stored as it is. Channels [c, c + 4)
 * of output pixel (oy, ox) over input rows [y0, y1) x columns [x0, x1). */
DORY_INLINE void maxpool4(const dory_pool_params_t *p, const dory_dims_t *in, const uint8_t *x,
                          int c, int y0, int y1, int x0, int x1, uint8_t *yo, int ident)
{
    int cs = dory__cstride(in), iy, ix, j;
    uint32_t m = dory__ldw_any(x + ((long)y0 * in->w + x0) * cs + c);
    for (iy = y0; iy < y1; iy++) {
        const uint8_t *q = x + ((long)iy * in->w + x0) * cs + c;
        for (ix = x0; ix < x1; ix++, q += cs)
            m = p->in_type == DORY_I8 ? dory_xp_max_b(m, dory__ldw_any(q))
                                      : dory_xp_maxu_b(m, dory__ldw_any(q));
    }
    if (ident) {
        dory__stw_any(yo, m);
        return;
    }
    for (j = 0; j < 4; j++) {
        int32_t v = p->in_type == DORY_I8 ? dory_xp_s8(m, j) : dory_xp_u8(m, j);
        dory__st(yo, j, dory__epi(&p->out, c + j, v - p->in_zp));
    }
}
#endif

#if DORY__MM_XPULP
/* 2x2 windows at stride 2 with the identity epilogue (DORY's max pooling):
 * npx output pixels of one output row, nw words (4 channels) each; r0 is
 * the first window's top-left input pixel, rs the input row stride, cs and
 * ys the input and output pixel strides (bytes, multiples of 4, as are r0
 * and y). Per output word 4 word loads, 3 lane-wise max and one store
 * (8 instructions); per pixel 5 pointer steps. */
#if DORY_XP_MODE == 1
/* clang-format off */
#define MAXPOOL2_ASM(MAX)                                                                          \
    __asm__ volatile(".option push\n\t.option norvc\n\t"                                           \
                     DORY_XP_LP_SETUP(1, "%[npx]", 14)                                             \
                     DORY_XP_LP_SETUP(0, "%[nw]", 8)                                               \
                     DORY_XP_T_LW_PI("%[t0]", "%[pa]", 4) DORY_XP_T_LW_PI("%[t1]", "%[pb]", 4)     \
                     DORY_XP_T_LW_PI("%[t2]", "%[pc]", 4) DORY_XP_T_LW_PI("%[t3]", "%[pd]", 4)     \
                     MAX("%[t0]", "%[t0]", "%[t1]") MAX("%[t2]", "%[t2]", "%[t3]")                 \
                     MAX("%[t0]", "%[t0]", "%[t2]") DORY_XP_T_SW_PI("%[t0]", "%[py]", 4)           \
                     "add %[pa], %[pa], %[xs]\n\tadd %[pb], %[pb], %[xs]\n\t"                      \
                     "add %[pc], %[pc], %[xs]\n\tadd %[pd], %[pd], %[xs]\n\t"                      \
                     "add %[py], %[py], %[yst]\n\t"                                                \
                     ".option pop"                                                                 \
                     : [pa] "+r"(pa), [pb] "+r"(pb), [pc] "+r"(pc), [pd] "+r"(pd), [py] "+r"(py),  \
                       [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)              \
                     : [npx] "r"(npx), [nw] "r"(nw), [xs] "r"(xs), [yst] "r"(yst)                  \
                     : "memory")
/* clang-format on */
#endif
static DORY_HOT void maxpool2x2_run(const uint8_t *r0, long rs, int cs, uint8_t *py, int ys,
                                    int npx, int nw, int i8)
{
    const uint8_t *pa = r0, *pb = r0 + cs, *pc = r0 + rs, *pd = r0 + rs + cs;
    long xs = 2L * cs - 4L * nw, yst = (long)ys - 4L * nw; /* after a pixel's words */
#if DORY_XP_MODE == 1
    uint32_t t0, t1, t2, t3;
    if (i8)
        MAXPOOL2_ASM(DORY_XP_T_MAX_B);
    else
        MAXPOOL2_ASM(DORY_XP_T_MAXU_B);
#else
    int px, j;
    for (px = 0; px < npx; px++) {
        for (j = 0; j < nw; j++) {
            uint32_t a = dory_xp_lw_pi((const void **)&pa), b = dory_xp_lw_pi((const void **)&pb);
            uint32_t c = dory_xp_lw_pi((const void **)&pc), d = dory_xp_lw_pi((const void **)&pd);
            uint32_t m = i8 ? dory_xp_max_b(dory_xp_max_b(a, b), dory_xp_max_b(c, d))
                            : dory_xp_maxu_b(dory_xp_maxu_b(a, b), dory_xp_maxu_b(c, d));
            dory_xp_sw_pi((void **)&py, m);
        }
        pa += xs, pb += xs, pc += xs, pd += xs, py += yst;
    }
#endif
}

/* The 2x2 stride-2 fast path (maxpool2x2_fits) on word-aligned pixels. 0
 * if it does not apply. */
static int maxpool2x2(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                      const uint8_t *x, const dory_dims_t *out, uint8_t *y, int pt, int pl,
                      int ident)
{
    int cs = dory__cstride(in), ys = dory__cstride(out), ow = out->w, px0, px1, px;
    long rs = (long)in->w * cs;
    int i8 = p->in_type == DORY_I8, nw = out->c / 4;
    if (!maxpool2x2_fits(p, in, out, pt, pl, ident) || (cs | ys) % 4 ||
        ((uintptr_t)x | (uintptr_t)y) % 4)
        return 0;
    dory__split(out->h * ow, ctx, &px0, &px1);
    for (px = px0; px < px1;) { /* a run of pixels within one output row */
        int oy = px / ow, ox = px % ow, n = ow - ox < px1 - px ? ow - ox : px1 - px;
        maxpool2x2_run(x + 2 * oy * rs + 2L * ox * cs, rs, cs, y + (long)px * ys, ys, n, nw, i8);
        px += n;
    }
    return 1;
}
#endif

int dory_maxpool_s8(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int ys = dory__cstride(out);
    int c0, c1, c, oy, ox;
    if (in->c != out->c || p->kh < 1 || p->kw < 1 || p->stride_h < 1 || p->stride_w < 1)
        return DORY_ERR_ARG;
#if DORY__MM_XPULP
    int ident = maxpool_ident(p);
#endif
#if DORY__MM_XPULP
    if (maxpool2x2(ctx, p, in, (const uint8_t *)x, out, (uint8_t *)y, pt, pl, ident))
        return DORY_OK;
    if (out->c >= 4) { /* output pixels per core, all channels: 4 per word */
        int px0, px1, px;
        dory__split(out->h * out->w, ctx, &px0, &px1);
        for (px = px0; px < px1; px++) {
            int y0, x0, y1, x1;
            uint8_t *yo = (uint8_t *)y + (long)px * ys;
            oy = px / out->w, ox = px % out->w;
            y0 = oy * p->stride_h - pt, x0 = ox * p->stride_w - pl;
            y1 = y0 + p->kh, x1 = x0 + p->kw;
            y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0;
            y1 = y1 > in->h ? in->h : y1, x1 = x1 > in->w ? in->w : x1;
            for (c = 0; c + 4 <= out->c; c += 4)
                maxpool4(p, in, (const uint8_t *)x, c, y0, y1, x0, x1, yo + c, ident);
            for (; c < out->c; c++)
                dory__st(yo, c,
                         dory__epi(&p->out, c, maxpool1(p, in, x, c, y0, y1, x0, x1) - p->in_zp));
        }
        return DORY_OK;
    }
#endif
    dory__split(out->c, ctx, &c0, &c1);
    for (oy = 0; oy < out->h; oy++)
        for (ox = 0; ox < out->w; ox++) {
            int y0 = oy * p->stride_h - pt, x0 = ox * p->stride_w - pl;
            int y1 = y0 + p->kh, x1 = x0 + p->kw;
            y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0;
            y1 = y1 > in->h ? in->h : y1, x1 = x1 > in->w ? in->w : x1;
            c = c0;
#if DORY__MM_XPULP
            for (; c + 4 <= c1; c += 4)
                maxpool4(p, in, (const uint8_t *)x, c, y0, y1, x0, x1,
                         (uint8_t *)y + ((long)oy * out->w + ox) * ys + c, ident);
#endif
            for (; c < c1; c++)
                dory__st(y, ((long)oy * out->w + ox) * ys + c,
                         dory__epi(&p->out, c, maxpool1(p, in, x, c, y0, y1, x0, x1) - p->in_zp));
        }
    return DORY_OK;
}

int dory_maxpool_s8_2x2(const dory_pool_params_t *p, const dory_dims_t *in, const dory_dims_t *out)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    return maxpool2x2_fits(p, in, out, pt, pl, maxpool_ident(p));
}
