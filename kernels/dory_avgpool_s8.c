/* dory_avgpool_s8.c: average pooling on an HWC tile (global pooling is
 * kh = h, kw = w), as the reference interpreter: with rounding FLOOR or
 * HALF_AWAY, acc = div(sum of raw x over the valid window, count) - zx (the
 * rounding applies to the raw sum, as TFLite does); with NONE,
 * acc = sum of (x - zx). Then clamp(requant(acc) + zy, lo, hi). With ORT,
 * onnxruntime's fp32 average from avg_table (exact, integers only).
 * Work split: channels. No scratch; nothing from src/.
 */
#include "dory_internal.h"

static int32_t avg_div(int32_t s, int32_t n, dory_avg_round_t r)
{
    int32_t q;
    switch (r) {
    case DORY_AVG_NONE:
    case DORY_AVG_ORT: return s;
    case DORY_AVG_HALF_AWAY: return s >= 0 ? (s + n / 2) / n : (s - n / 2) / n;
    case DORY_AVG_FLOOR: break;
    }
    q = s / n;
    return (s % n) < 0 ? q - 1 : q;
}

/* Sum of the window rows [y0, y1) x columns [x0, x1) of channel plane x. */
#define AVG_SUM_DEFINE(NAME, XT)                                                                   \
    static int32_t NAME(const XT *x, int w, int cs, int y0, int y1, int x0, int x1)                \
    {                                                                                              \
        int32_t s = 0;                                                                             \
        int iy, ix;                                                                                \
        for (iy = y0; iy < y1; iy++) {                                                             \
            const XT *q = x + ((long)iy * w + x0) * cs;                                            \
            for (ix = x0; ix < x1; ix++, q += cs) s += *q;                                         \
        }                                                                                          \
        return s;                                                                                  \
    }

AVG_SUM_DEFINE(avg_sum_u8, uint8_t)
AVG_SUM_DEFINE(avg_sum_i8, int8_t)

/* fp32 addition of a and b in units of their last bit: the exact sum
 * rounded to 24 significant bits, half to even. */
static int64_t avg_f32_add(int64_t a, int64_t b)
{
    int64_t s = a + b;
    uint64_t m = s < 0 ? 0 - (uint64_t)s : (uint64_t)s, q, rem, half;
    int sh = 0;
    while ((m >> sh) >= ((uint64_t)1 << 24)) sh++;
    if (!sh) return s;
    q = m >> sh, rem = m & (((uint64_t)1 << sh) - 1), half = (uint64_t)1 << (sh - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    m = q << sh;
    return s < 0 ? -(int64_t)m : (int64_t)m;
}

/* DORY_AVG_ORT: the output of the window rows [y0, y1) x columns [x0, x1)
 * of channel plane x: its fp32 sum of t[x - xmin] in row order, then the
 * number of its count's thresholds not above that sum. */
static int32_t avg_ort(const dory_pool_params_t *p, const uint8_t *x, int w, int cs, int y0, int y1,
                       int x0, int x1)
{
    const int64_t *t = p->avg_table, *thr;
    int64_t s = 0;
    int iy, ix, a = 0, b = p->out.hi - p->out.lo, mid, bias = p->in_type == DORY_I8 ? 128 : 0;
    int n = p->count_include_pad ? p->kh * p->kw : (y1 - y0) * (x1 - x0);
    for (iy = y0; iy < y1; iy++) {
        const uint8_t *q = x + ((long)iy * w + x0) * cs;
        for (ix = x0; ix < x1; ix++, q += cs)
            s = avg_f32_add(s, t[bias ? (int)*(const int8_t *)q + bias : *q]);
    }
    thr = t + t[DORY_AVG_ORT_HEAD + n - 1];
    while (a < b) {
        mid = a + (b - a) / 2;
        if (thr[mid] <= s)
            a = mid + 1;
        else
            b = mid;
    }
    return p->out.lo + a;
}

/* The window of output pixel (oy, ox): input rows [y0, y1), columns
 * [x0, x1), clipped to the tile (pt, pl: the padding on this tile). */
DORY_INLINE void avg_win(const dory_pool_params_t *p, const dory_dims_t *in, int oy, int ox, int pt,
                         int pl, int *y0, int *y1, int *x0, int *x1)
{
    int a = oy * p->stride_h - pt, b = ox * p->stride_w - pl;
    *y0 = a < 0 ? 0 : a, *x0 = b < 0 ? 0 : b;
    *y1 = a + p->kh > in->h ? in->h : a + p->kh;
    *x1 = b + p->kw > in->w ? in->w : b + p->kw;
}

/* The output of one channel from its window sum s over n valid inputs. */
DORY_INLINE int32_t avg_out(const dory_pool_params_t *p, int c, int32_t s, int32_t n)
{
    if (p->round == DORY_AVG_NONE)
        s -= n * p->in_zp;
    else
        s = avg_div(s, p->count_include_pad ? p->kh * p->kw : n, p->round) - p->in_zp;
    return dory__epi(&p->out, c, s);
}

#if DORY__MM_XPULP
/* Xpulp: the sums of 4 channels at once, one word load per input pixel and
 * one dot product per lane against that lane's unit vector (pv.sdotup.b for
 * u8, pv.sdotsp.b for i8): exact int32 sums. Channels [c0, c1), groups of 4,
 * of output pixel yo; returns the first channel left to the scalar loop. */
static DORY_HOT int avg4(const dory_pool_params_t *p, const dory_dims_t *in, const uint8_t *x,
                         int c0, int c1, int y0, int y1, int x0, int x1, uint8_t *yo)
{
    int cs = dory__cstride(in), iy, c, n = (y1 - y0) * (x1 - x0);
    for (c = c0; c + 4 <= c1; c += 4) {
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (iy = y0; iy < y1; iy++) {
            const uint8_t *q = x + ((long)iy * in->w + x0) * cs + c,
                          *end = q + (long)(x1 - x0) * cs;
            if (p->in_type == DORY_I8) {
                for (; q != end; q += cs) {
                    uint32_t v = dory__ldw_any(q);
                    s0 = dory_xp_sdotsp_b(s0, v, 0x00000001u);
                    s1 = dory_xp_sdotsp_b(s1, v, 0x00000100u);
                    s2 = dory_xp_sdotsp_b(s2, v, 0x00010000u);
                    s3 = dory_xp_sdotsp_b(s3, v, 0x01000000u);
                }
            } else {
                for (; q != end; q += cs) {
                    uint32_t v = dory__ldw_any(q);
                    s0 = dory_xp_sdotup_b(s0, v, 0x00000001u);
                    s1 = dory_xp_sdotup_b(s1, v, 0x00000100u);
                    s2 = dory_xp_sdotup_b(s2, v, 0x00010000u);
                    s3 = dory_xp_sdotup_b(s3, v, 0x01000000u);
                }
            }
        }
        dory__st(yo, c, avg_out(p, c, s0, n));
        dory__st(yo, c + 1, avg_out(p, c + 1, s1, n));
        dory__st(yo, c + 2, avg_out(p, c + 2, s2, n));
        dory__st(yo, c + 3, avg_out(p, c + 3, s3, n));
    }
    return c;
}
#endif

int dory_avgpool_s8(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cs = dory__cstride(in), ys = dory__cstride(out);
    int c0, c1, c, oy, ox;
    if (in->c != out->c || p->kh < 1 || p->kw < 1 || p->stride_h < 1 || p->stride_w < 1)
        return DORY_ERR_ARG;
    dory__split(out->c, ctx, &c0, &c1);
#if DORY__MM_XPULP
    if (p->round != DORY_AVG_ORT) {
        int c4 = c0;
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++) {
                int y0, y1, x0, x1;
                avg_win(p, in, oy, ox, pt, pl, &y0, &y1, &x0, &x1);
                c4 = avg4(p, in, (const uint8_t *)x, c0, c1, y0, y1, x0, x1,
                          (uint8_t *)y + ((long)oy * out->w + ox) * ys);
            }
        c0 = c4; /* the channels left (fewer than 4) */
    }
#endif
    for (c = c0; c < c1; c++)
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++) {
                int y0, y1, x0, x1;
                int32_t s, n;
                avg_win(p, in, oy, ox, pt, pl, &y0, &y1, &x0, &x1);
                if (p->round == DORY_AVG_ORT) {
                    dory__st(y, ((long)oy * out->w + ox) * ys + c,
                             avg_ort(p, (const uint8_t *)x + c, in->w, cs, y0, y1, x0, x1));
                    continue;
                }
                n = (y1 - y0) * (x1 - x0);
                s = p->in_type == DORY_I8
                        ? avg_sum_i8((const int8_t *)x + c, in->w, cs, y0, y1, x0, x1)
                        : avg_sum_u8((const uint8_t *)x + c, in->w, cs, y0, y1, x0, x1);
                dory__st(y, ((long)oy * out->w + ox) * ys + c, avg_out(p, c, s, n));
            }
    return DORY_OK;
}
