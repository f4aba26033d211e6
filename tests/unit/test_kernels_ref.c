/* test_kernels_ref.c: see test_kernels_ref.h. Portable C99, no allocation. */
#include "test_kernels_ref.h"

#include <math.h>

static int32_t ld(dory_type_t t, const void *p, long i)
{
    if (t == DORY_I32) return ((const int32_t *)p)[i];
    return t == DORY_I8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

static int32_t srdhm(int32_t a, int32_t b)
{
    int64_t ab, nudge;
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    ab = (int64_t)a * b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t rdiv_pot(int32_t x, int e)
{
    int64_t mask = ((int64_t)1 << e) - 1, rem = (int64_t)x & mask;
    int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(((int64_t)x >> e) + (rem > threshold ? 1 : 0));
}

static int64_t rq(const dory_requant_t *r, int c, int64_t acc)
{
    int i = r->per_channel ? c : 0;
    switch (r->scheme) {
    case DORY_RQ_NONE: return acc;
    case DORY_RQ_SHIFT32: return ((int64_t)r->k32[i] * acc + (r->l32 ? r->l32[i] : 0)) >> r->d;
    case DORY_RQ_SHIFT64: return (r->k64[i] * acc + (r->l64 ? r->l64[i] : 0)) >> r->d;
    case DORY_RQ_FIXED: {
        int s = r->shift[i], left = r->pre + (s > 0 ? s : 0);
        int64_t x = acc * ((int64_t)1 << left);
        return rdiv_pot(srdhm((int32_t)x, r->mult[i]), s > 0 ? 0 : -s);
    }
    case DORY_RQ_FIXED_SR: {
        int64_t p = acc * r->mult[i], d = (int64_t)1 << (31 - r->shift[i]);
        int64_t q = p / d, rem = p % d; /* written differently from the kernel */
        if (2 * (rem < 0 ? -rem : rem) >= d) q += p < 0 ? -1 : 1;
        return q;
    }
    case DORY_RQ_QLADD:
    case DORY_RQ_QLADD_INT: break; /* kref_add */
    case DORY_RQ_QLMUL:
    case DORY_RQ_QLMUL_INT: break; /* mul only: test_mul.c */
    case DORY_RQ_FLOAT:
    case DORY_RQ_F32INT: {
        volatile float f = (float)acc;
        volatile float pr = f * r->scale[i];
        float v = nearbyintf(pr);
        if (!(v == v)) return 0;
        if (v >= 9.2e18f) return INT64_MAX / 2;
        if (v <= -9.2e18f) return INT64_MIN / 2;
        return (int64_t)v;
    }
    case DORY_RQ_LUT: return r->table[acc - r->table_base];
    }
    return acc;
}

static void put(const dory_out_params_t *o, int c, int64_t acc, void *y, long idx, int32_t *accs)
{
    int64_t v;
    if (accs) {
        accs[idx] = (int32_t)acc;
        return;
    }
    v = rq(&o->rq, c, acc);
    if (v > INT64_MAX / 2) v = INT64_MAX / 2;
    if (v < INT64_MIN / 2) v = INT64_MIN / 2;
    v += o->zp;
    v = v < o->lo ? o->lo : v > o->hi ? o->hi : v;
    if (o->type == DORY_I32)
        ((int32_t *)y)[idx] = (int32_t)v;
    else
        ((uint8_t *)y)[idx] = (uint8_t)v;
}

static int cs(const dory_dims_t *d) { return d->c_stride ? d->c_stride : d->c; }

void kref_conv(const dory_conv_params_t *p, int depthwise, const dory_dims_t *in, const void *x,
               const int8_t *w, const int32_t *bias, const dory_dims_t *out, void *y, int32_t *acc)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cig = depthwise ? 1 : in->c, oy, ox, co, ky, kx, ci;
    for (oy = 0; oy < out->h; oy++)
        for (ox = 0; ox < out->w; ox++)
            for (co = 0; co < out->c; co++) {
                int64_t a = bias ? bias[co] : 0;
                int32_t zw = p->w_zp ? p->w_zp[p->w_zp_per_channel ? co : 0] : 0;
                for (ky = 0; ky < p->kh; ky++) {
                    int iy = oy * p->stride_h - pt + ky * p->dil_h;
                    if (iy < 0 || iy >= in->h) continue;
                    for (kx = 0; kx < p->kw; kx++) {
                        int ix = ox * p->stride_w - pl + kx * p->dil_w;
                        if (ix < 0 || ix >= in->w) continue;
                        for (ci = 0; ci < cig; ci++) {
                            long xi = ((long)iy * in->w + ix) * cs(in) + (depthwise ? co : ci);
                            long wi = (((long)co * p->kh + ky) * p->kw + kx) * cig + ci;
                            a += (int64_t)(ld(p->in_type, x, xi) - p->in_zp) * (w[wi] - zw);
                        }
                    }
                }
                put(&p->out, co, a, y, ((long)oy * out->w + ox) * (acc ? out->c : cs(out)) + co,
                    acc);
            }
}

void kref_fc(const dory_fc_params_t *p, int k, const void *x, const int8_t *w, const int32_t *bias,
             int n, void *y, int32_t *acc)
{
    int c, i;
    for (c = 0; c < n; c++) {
        int64_t a = bias ? bias[c] : 0;
        int32_t zw = p->w_zp ? p->w_zp[p->w_zp_per_channel ? c : 0] : 0;
        for (i = 0; i < k; i++)
            a += (int64_t)(ld(p->in_type, x, i) - p->in_zp) * (w[(long)c * k + i] - zw);
        put(&p->out, c, a, y, c, acc);
    }
}

static int64_t avg_div(dory_avg_round_t r, int64_t s, int64_t n)
{
    int64_t q;
    if (r == DORY_AVG_HALF_AWAY) return s >= 0 ? (s + n / 2) / n : (s - n / 2) / n;
    q = s / n;
    return q * n > s ? q - 1 : q;
}

void kref_pool(const dory_pool_params_t *p, int is_max, const dory_dims_t *in, const void *x,
               const dory_dims_t *out, void *y, int32_t *acc)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int oy, ox, c, ky, kx;
    for (oy = 0; oy < out->h; oy++)
        for (ox = 0; ox < out->w; ox++)
            for (c = 0; c < out->c; c++) {
                int64_t sum = 0, mx = INT64_MIN, valid = 0, a;
                for (ky = 0; ky < p->kh; ky++) {
                    int iy = oy * p->stride_h - pt + ky;
                    if (iy < 0 || iy >= in->h) continue;
                    for (kx = 0; kx < p->kw; kx++) {
                        int ix = ox * p->stride_w - pl + kx;
                        int64_t v;
                        if (ix < 0 || ix >= in->w) continue;
                        v = ld(p->in_type, x, ((long)iy * in->w + ix) * cs(in) + c);
                        sum += v;
                        mx = v > mx ? v : mx;
                        valid++;
                    }
                }
                if (is_max)
                    a = mx - p->in_zp;
                else if (p->round == DORY_AVG_NONE)
                    a = sum - valid * p->in_zp;
                else
                    a = avg_div(p->round, sum, p->count_include_pad ? p->kh * p->kw : valid) -
                        p->in_zp;
                put(&p->out, c, a, y, ((long)oy * out->w + ox) * (acc ? out->c : cs(out)) + c, acc);
            }
}

/* fmaf rounded once, written apart from dory__fmaf (newlib's and picolibc's
 * fmaf round twice): the exact double product plus z, its rounding error by
 * TwoSum, an inexact even result moved to its odd neighbour by nextafter,
 * then one rounding to float. */
static float fma1(float x, float y, float z)
{
    double p = (double)x * (double)y; /* exact */
    double s = p + (double)z, e;
    if (s - p == (double)z && s - (double)z == p) return (float)s; /* exact sum */
    e = ((double)z - (s - p)) + (p - (s - (s - p)));
    if (e != 0 && fmod(ldexp(fabs(s), -(ilogb(s) - 52)), 2.0) == 0)
        s = nextafter(s, e > 0 ? HUGE_VAL : -HUGE_VAL);
    return (float)s;
}

void kref_add(const dory_add_params_t *p, const dory_dims_t *d, const void *a, const void *b,
              void *y, int32_t *acc)
{
    long i, n = (long)d->h * d->w * d->c;
    const float *q = p->out.rq.scale;
    for (i = 0; i < n; i++) {
        int c = (int)(i % d->c);
        int64_t s;
        if (!acc && (p->out.rq.scheme == DORY_RQ_QLADD || p->out.rq.scheme == DORY_RQ_QLADD_INT)) {
            volatile float t = fma1((float)ld(p->b_type, b, i), q[1], q[2]);
            volatile float v = fma1((float)ld(p->a_type, a, i), q[0], t);
            float r = nearbyintf(v);
            s = r < (float)p->out.lo ? p->out.lo : r > (float)p->out.hi ? p->out.hi : (int64_t)r;
            ((uint8_t *)y)[i] = (uint8_t)s;
            continue;
        }
        s = rq(&p->rq_a, c, ld(p->a_type, a, i) - p->a_zp) +
            rq(&p->rq_b, c, ld(p->b_type, b, i) - p->b_zp);
        put(&p->out, c, s, y, i, acc);
    }
}

void kref_requant(const dory_eltwise_params_t *p, const dory_dims_t *d, const void *x, void *y,
                  int32_t *acc)
{
    long i, n = (long)d->h * d->w * d->c;
    for (i = 0; i < n; i++)
        put(&p->out, (int)(i % d->c), (int64_t)ld(p->in_type, x, i) - p->in_zp, y, i, acc);
}
