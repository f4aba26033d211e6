/* dory_requant_s32.c: the epilogue of a layer computed in input-channel
 * slices (DORY_ACC_FIRST / DORY_ACC_NEXT): y = clamp(requant(acc) + zp, lo,
 * hi) per element of a dense int32 accumulator tile, per-channel constants
 * by channel. SHIFT32 to 8 bits as one unsigned range compare (as in the
 * matrix core) and SHIFT64 to 8 bits (dory__s64_step), both channel by
 * channel, each channel's constants read once; other schemes and int32
 * outputs through dory__epi. Work split: channels (pixels where there are
 * fewer channels than cores). No scratch, no allocation; nothing from src/.
 */
#include "dory_internal.h"

/* This core's share: channels [r->c0, r->c1) of pixels [r->px0, r->px1).
 * Channels where there are at least as many as cores (each core reads only
 * its channels' constants, in L2 where the layer does not stage them: ~15
 * cycles a word), else pixels. */
typedef struct {
    int c0, c1, px0, px1;
} rq_part_t;

static rq_part_t rq_part(const dory_ctx_t *ctx, const dory_dims_t *d)
{
    rq_part_t r;
    r.c0 = r.px0 = 0, r.c1 = d->c, r.px1 = d->h * d->w;
    if (d->c >= ctx->num_cores)
        dory__split(d->c, ctx, &r.c0, &r.c1);
    else
        dory__split(d->h * d->w, ctx, &r.px0, &r.px1);
    return r;
}

/* SHIFT32 to 8 bits of part r, channel by channel (k and l read once per
 * channel). */
static DORY_HOT void rq32_s32(const dory_out_params_t *p, const dory_dims_t *d, const int32_t *acc,
                              uint8_t *y, const rq_part_t *r)
{
    const dory_requant_t *q = &p->rq;
    dory__s32_t e;
    int ys = dory__cstride(d), n = d->c, px, c, ps = q->per_channel ? 1 : 0;
    uint32_t range, ylo;
    dory__s32_load(p, 0, &e);
    range = (uint32_t)e.hi - (uint32_t)e.lo, ylo = (uint32_t)e.lo + (uint32_t)e.zp;
    for (c = r->c0; c < r->c1; c++) {
        const int32_t *a = acc + (long)r->px0 * n + c;
        uint8_t *yo = y + (long)r->px0 * ys + c;
        int32_t k = q->k32[c * ps], l = q->l32 ? q->l32[c * ps] : 0;
        for (px = r->px0; px < r->px1; px++, a += n, yo += ys) {
            int32_t v = (k * *a + l) >> e.d;
            uint32_t t = (uint32_t)v - (uint32_t)e.lo;
            if (DORY_UNLIKELY(t > range)) t = v < e.lo ? 0u : range;
            *yo = (uint8_t)(t + ylo);
        }
    }
}

/* SHIFT64 to 8 bits (bounds as dory__s64_bounds_ok) of part r, channel by
 * channel: a channel's 64-bit k and l are read once, not once per element
 * as dory__epi reads them. The same steps as dory__epi. */
static DORY_HOT void rq64_s32(const dory_out_params_t *p, const dory_dims_t *d, const int32_t *acc,
                              uint8_t *y, const rq_part_t *r)
{
    int ys = dory__cstride(d), n = d->c, dd = p->rq.d, px, c;
    int32_t lo = p->lo - p->zp, base = p->lo;
    uint32_t range = (uint32_t)(p->hi - p->lo);
    for (c = r->c0; c < r->c1; c++) {
        const int32_t *a = acc + (long)r->px0 * n + c;
        uint8_t *yo = y + (long)r->px0 * ys + c;
        dory__s64_t e;
        dory__s64_init(&p->rq, c, 0, 0, 0, &e);
        for (px = r->px0; px < r->px1; px++, a += n, yo += ys)
            *yo = (uint8_t)((int32_t)dory__s64_step(&e, *a, dd, lo, range) + base);
    }
}

int dory_requant_s32(const dory_ctx_t *ctx, const dory_out_params_t *p, const dory_dims_t *dims,
                     const int32_t *acc, void *y)
{
    int px, c, ys = dory__cstride(dims);
    rq_part_t r;
    if (dims->c <= 0 || dims->h < 0 || dims->w < 0 || !dory__acc_ok(0, p->type))
        return DORY_ERR_ARG;
    r = rq_part(ctx, dims);
    if (p->rq.scheme == DORY_RQ_SHIFT32 && p->type != DORY_I32) {
        rq32_s32(p, dims, acc, (uint8_t *)y, &r);
        return DORY_OK;
    }
    if (dory__s64_bounds_ok(p) && p->type != DORY_I32) {
        rq64_s32(p, dims, acc, (uint8_t *)y, &r);
        return DORY_OK;
    }
    for (px = r.px0; px < r.px1; px++)
        for (c = r.c0; c < r.c1; c++)
            dory__stt(p->type, y, (long)px * ys + c, dory__epi(p, c, acc[(long)px * dims->c + c]));
    return DORY_OK;
}
