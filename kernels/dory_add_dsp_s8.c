/* dory_add_dsp_s8.c: element-wise add in the TFLite quantization (FIXED per
 * tensor for both inputs and the output) by table: the Arm DSP row
 * DORY_K_ADD_DSP.
 *
 * An 8-bit input takes 256 values, so rq_a(a - za) and rq_b(b - zb) are two
 * 256-entry int32 tables in scratch, filled with the exact 64-bit
 * arithmetic (dory__fx_raw) and pre-shifted by the output's left shift plus
 * one. Per element: two byte loads, two table loads, an add, one SMMULR and
 * RoundingDivideByPOT with the output zero point folded into its rounding
 * constant, the clamp. Exact when (checked per call, from the tables):
 * every table sum shifted has a bit to spare (then SMMULR of the doubled
 * value is SaturatingRoundingDoublingHighMul, never saturating), the right
 * shift is 1..30 (RoundingDivideByPOT(h, r) = (h + 2^(r-1) - (h < 0)) >> r)
 * and the rounding constant keeps the sum in int32. Otherwise, and for
 * other schemes, strides or small tensors, it is dory_add_s8().
 * Work split: pixels. No allocation; nothing from src/.
 */
#include "dory_internal.h"

#define ADD_TAB 256 /* entries per input table */

/* Below this many elements the tables cost more than they save. */
#define ADD_TAB_MIN 512

int32_t dory_add_dsp_s8_scratch_bytes(const dory_add_params_t *p)
{
    (void)p;
    return 2 * ADD_TAB * 4;
}

/* The output requant and clamp as the loop uses them. */
typedef struct {
    int32_t mult, round, lo, hi; /* round: 2^(r-1) + zp * 2^r */
    int right;
} add_out_t;

/* t[byte] = rq(v - z) << sh for the 256 byte values of type ty; returns
 * max |rq(v - z)|. */
static int64_t add_table(int32_t *t, const dory_requant_t *rq, dory_type_t ty, int32_t z, int sh)
{
    dory__fx_t e;
    int64_t m = 0;
    int i;
    dory__fx_load_rq(rq, 0, &e);
    for (i = 0; i < ADD_TAB; i++) {
        int32_t v = (ty == DORY_I8 ? (int32_t)(int8_t)(uint8_t)i : i) - z;
        int32_t r = dory__fx_raw(&e, v);
        int64_t a = r < 0 ? -(int64_t)r : r;
        m = a > m ? a : m;
        t[i] = (int32_t)((uint32_t)r << sh);
    }
    return m;
}

/* Fills the tables and o; 0 when the exactness conditions fail. */
static int add_setup(const dory_add_params_t *p, int32_t *ta, int32_t *tb, add_out_t *o)
{
    dory__fx_t eo;
    int64_t bound, round;
    dory__fx_load(&p->out, 0, &eo);
    if (eo.left > 29 || eo.right < 1 || eo.right > 30) return 0;
    bound = add_table(ta, &p->rq_a, p->a_type, p->a_zp, eo.left + 1) +
            add_table(tb, &p->rq_b, p->b_type, p->b_zp, eo.left + 1);
    if ((bound << (eo.left + 1)) > INT32_MAX) return 0;
    round = ((int64_t)1 << (eo.right - 1)) + (int64_t)p->out.zp * ((int64_t)1 << eo.right);
    if (round > (1 << 29) || round < -(1 << 29)) return 0;
    o->mult = eo.mult, o->round = (int32_t)round, o->right = eo.right;
    o->lo = p->out.lo, o->hi = p->out.hi;
    return 1;
}

/* One element: requant of ta[a] + tb[b] (|h| <= 2^30 + 1, |round| <= 2^29:
 * no overflow), then the clamp; full: [lo, hi] is the int8 range (SSAT). */
#define ADD_EL(i, full)                                                                            \
    do {                                                                                           \
        int32_t h_ = dory_smmulr(ta[a[i]] + tb[b[i]], m);                                          \
        int32_t v_ = (h_ + rnd + (h_ >> 31)) >> r;                                                 \
        y[i] = (uint8_t)(full ? dory_sat_s8(v_) : dory_clip(v_, lo, hi));                          \
    } while (0)

DORY_INLINE void add_loop(const uint8_t *a, const uint8_t *b, uint8_t *y, int n, const int32_t *ta,
                          const int32_t *tb, const add_out_t *o, const int full)
{
    int32_t m = o->mult, rnd = o->round, lo = o->lo, hi = o->hi;
    int r = o->right;
    const uint8_t *end = a + (n & ~3);
    for (; a != end; a += 4, b += 4, y += 4) {
        ADD_EL(0, full);
        ADD_EL(1, full);
        ADD_EL(2, full);
        ADD_EL(3, full);
    }
    for (end = a + (n & 3); a != end; a++, b++, y++) ADD_EL(0, full);
}

static DORY_HOT DORY_NOINLINE void add_full(const uint8_t *a, const uint8_t *b, uint8_t *y, int n,
                                            const int32_t *ta, const int32_t *tb,
                                            const add_out_t *o)
{
    add_loop(a, b, y, n, ta, tb, o, 1);
}

static DORY_HOT DORY_NOINLINE void add_any(const uint8_t *a, const uint8_t *b, uint8_t *y, int n,
                                           const int32_t *ta, const int32_t *tb, const add_out_t *o)
{
    add_loop(a, b, y, n, ta, tb, o, 0);
}

static int add_fixed_tensor(const dory_add_params_t *p)
{
    return p->rq_a.scheme == DORY_RQ_FIXED && p->rq_b.scheme == DORY_RQ_FIXED &&
           p->out.rq.scheme == DORY_RQ_FIXED && !p->rq_a.per_channel && !p->rq_b.per_channel &&
           !p->out.rq.per_channel && p->out.type != DORY_I32;
}

int dory_add_dsp_s8(const dory_ctx_t *ctx, const dory_add_params_t *p, const dory_dims_t *a_dims,
                    const void *a, const dory_dims_t *b_dims, const void *b,
                    const dory_dims_t *y_dims, void *y)
{
    int px0, px1, c = a_dims->c, n;
    int32_t *ta = (int32_t *)ctx->buf, *tb = ta + ADD_TAB;
    add_out_t o;
    long at;
    if (b_dims->c != c || y_dims->c != c || b_dims->h != a_dims->h || y_dims->h != a_dims->h ||
        b_dims->w != a_dims->w || y_dims->w != a_dims->w)
        return DORY_ERR_ARG;
    dory__split(a_dims->h * a_dims->w, ctx, &px0, &px1);
    n = (px1 - px0) * c;
    if (!add_fixed_tensor(p) || n < ADD_TAB_MIN || dory__cstride(a_dims) != c ||
        dory__cstride(b_dims) != c || dory__cstride(y_dims) != c)
        return dory_add_s8(ctx, p, a_dims, a, b_dims, b, y_dims, y);
    if (!ta || ((uintptr_t)ta & 3) || ctx->size < dory_add_dsp_s8_scratch_bytes(p))
        return DORY_ERR_SCRATCH;
    if (!add_setup(p, ta, tb, &o)) return dory_add_s8(ctx, p, a_dims, a, b_dims, b, y_dims, y);
    at = (long)px0 * c;
    if (p->out.lo == -128 && p->out.hi == 127)
        add_full((const uint8_t *)a + at, (const uint8_t *)b + at, (uint8_t *)y + at, n, ta, tb,
                 &o);
    else
        add_any((const uint8_t *)a + at, (const uint8_t *)b + at, (uint8_t *)y + at, n, ta, tb, &o);
    return DORY_OK;
}
