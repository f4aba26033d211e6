/* test_mul.c: the mul op's arithmetic, bit-exact: QLMUL_INT (the integer
 * emulation in kernels/dory_f32int.c, for targets without an FPU) against
 * fp32 (src/ir/quant.c's q_qlmul, volatile fp32) on every product of two
 * 8-bit values for many scales and output zero points, ties included; and
 * the portable kernel kernels/dory_mul_s8.c against the reference
 * interpreter on random shapes (b one pixel broadcast or of a's shape, u8/i8
 * in and out, zero points, clamps, channel strides) with the schemes QLMUL,
 * QLMUL_INT, FLOAT and SHIFT, on 1 to 5 cores called in sequence.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dory_internal.h"
#include "harness.h"
#include "ir/interp.h"
#include "ir/ir.h"
#include "ir/quant.h"

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

static int rnd(uint32_t *s, int lo, int hi) { return lo + (int)(rng(s) % (uint32_t)(hi - lo + 1)); }

/* Every product p of two 8-bit values (|p| <= 255 * 255) of one
 * configuration {s, zc}; returns mismatches. */
static long qlmul_config(float s, float zc)
{
    RqChan r = {0};
    long bad = 0;
    int32_t first = 0;
    r.scheme = RQ_QLMUL;
    r.qs[0] = s, r.qs[1] = zc;
    for (int32_t p = -65025; p <= 65025; p++)
        if (q_qlmul(&r, p) != dory__qlmul_int(p, r.qs) && !bad++) first = p;
    if (bad)
        harness_fail(__FILE__, __LINE__, "qlmul s=%a zc=%g: %ld products differ from fp32 (p=%d)",
                     (double)s, (double)zc, bad, (int)first);
    return bad;
}

TEST(f32int_qlmul_every_product)
{
    /* ties: s a power of two or an odd multiple of one; s near the overflow limit */
    static const float edges[][2] = {{0.5f, 0},   {0.25f, 128}, {0.75f, -128}, {1.0f / 3.0f, 7},
                                     {1.0f, 255}, {3.0f, -5},   {1e-7f, 128},  {30000.0f, 0}};
    enum { NEDGE = DORY_ARRAY_LEN(edges), NCONF = 128 };
    uint32_t st = 777;
    long bad = 0;
    for (int i = 0; i < NCONF; i++) {
        /* s = f32(f32(sa*sb)/sc) as onnxruntime forms it, sa*sb in [1e-6, 1], sc in [1e-3, 1] */
        float sab = (float)pow(10.0, -6.0 + 6.0 * (double)(rng(&st) % 1000000) / 1e6);
        float sc = (float)pow(10.0, -3.0 + 3.0 * (double)(rng(&st) % 1000000) / 1e6);
        volatile float s = sab / sc;
        float zc = (float)rnd(&st, -128, 255);
        bad += i < NEDGE ? qlmul_config(edges[i][0], edges[i][1]) : qlmul_config(s, zc);
    }
    CHECK_EQ_I64(bad, 0);
    printf("  QLMUL_INT: %d configurations x 130051 products equal fp32\n", (int)NCONF);
}

static DType dt_of(dory_type_t t) { return t == DORY_I8 ? DT_I8 : DT_U8; }

static int act(Graph *g, const char *name, dory_type_t t, int32_t zp, int h, int w, int c)
{
    int64_t shape[4] = {1, h, w, c};
    int id = graph_add_tensor(g, name, dt_of(t), 4, shape);
    if (id >= 0) graph_tensor(g, id)->zp = zp;
    return id;
}

#define TIE_SCALE (0.5f + 1.0f / 16777216.0f)

/* One random case: the graph's mul node and the kernel's parameters. */
typedef struct {
    int h, w, c, pixel, stride;
    dory_mul_params_t p;
    float scale[32];
    int32_t k32[32], l32[32];
} MulCase;

/* Random requant of scheme `sch` for c channels, into the node and p. */
static int case_rq(Graph *g, Node *n, MulCase *m, dory_rq_scheme_t sch, uint32_t *st)
{
    dory_requant_t *r = &m->p.out.rq;
    memset(r, 0, sizeof *r);
    r->scheme = sch;
    if (sch == DORY_RQ_QLMUL || sch == DORY_RQ_QLMUL_INT) {
        m->scale[0] = (float)pow(10.0, -4.0 + 2.5 * (double)(rng(st) % 1000) / 1e3);
        /* 1/5 of the cases: small odd products land just above ties, which
         * adding the zero point in fp32 rounds onto the tie (run_case keeps
         * the inputs near their zero points there) */
        if (rnd(st, 0, 4) == 0) m->scale[0] = TIE_SCALE;
        m->scale[1] = (float)m->p.out.zp;
        r->scale = m->scale;
        if (rq_make_float(g, n, &n->rq, 2, m->scale)) return -1;
        n->rq.scheme = sch == DORY_RQ_QLMUL ? RQ_QLMUL : RQ_QLMUL_INT;
        return 0;
    }
    r->per_channel = 1;
    if (sch == DORY_RQ_FLOAT) {
        for (int c = 0; c < m->c; c++)
            m->scale[c] = (float)pow(10.0, -4.0 + 2.0 * (double)(rng(st) % 1000) / 1e3);
        r->scale = m->scale;
        return rq_make_float(g, n, &n->rq, m->c, m->scale);
    }
    int64_t k[32], l[32];
    r->d = 14, r->k32 = m->k32, r->l32 = m->l32;
    for (int c = 0; c < m->c; c++) {
        m->k32[c] = rnd(st, 1, 400), m->l32[c] = 1 << 13;
        k[c] = m->k32[c], l[c] = m->l32[c];
    }
    return rq_make_shift(g, n, &n->rq, m->c, k, l, 14);
}

/* Random values of type t, within 3 of zp if near. */
static void fill(uint8_t *v, int n, dory_type_t t, int32_t zp, int near, uint32_t *st)
{
    int lo = t == DORY_I8 ? -128 : 0;
    for (int i = 0; i < n; i++) {
        int x = near ? zp + rnd(st, -3, 3) : lo + rnd(st, 0, 255);
        v[i] = (uint8_t)(x < lo ? lo : x > lo + 255 ? lo + 255 : x);
    }
}

static int32_t as_i32(const uint8_t *v, int i, dory_type_t t)
{
    return t == DORY_I8 ? (int8_t)v[i] : v[i];
}

/* Runs one case on `cores` cores in sequence; the number of differing outputs. */
static int run_case(uint32_t *st, dory_rq_scheme_t sch, int cores)
{
    MulCase m;
    memset(&m, 0, sizeof m);
    m.h = rnd(st, 1, 6), m.w = rnd(st, 1, 7), m.c = rnd(st, 1, 19);
    m.pixel = rnd(st, 0, 1), m.stride = m.c + rnd(st, 0, 1) * rnd(st, 1, 3);
    m.p.a_type = rnd(st, 0, 1) ? DORY_I8 : DORY_U8;
    m.p.b_type = rnd(st, 0, 1) ? DORY_I8 : DORY_U8;
    m.p.out.type = rnd(st, 0, 1) ? DORY_I8 : DORY_U8;
    int lo = m.p.a_type == DORY_I8 ? -128 : 0, blo = m.p.b_type == DORY_I8 ? -128 : 0;
    int ylo = m.p.out.type == DORY_I8 ? -128 : 0;
    m.p.a_zp = rnd(st, lo, lo + 255), m.p.b_zp = rnd(st, blo, blo + 255);
    m.p.out.zp = rnd(st, ylo, ylo + 255);
    m.p.out.lo = rnd(st, ylo, ylo + 60), m.p.out.hi = rnd(st, ylo + 190, ylo + 255);
    int bh = m.pixel ? 1 : m.h, bw = m.pixel ? 1 : m.w, np = m.h * m.w;
    Graph *g = graph_new("mul_test");
    int in[2] = {act(g, "a", m.p.a_type, m.p.a_zp, m.h, m.w, m.c),
                 act(g, "b", m.p.b_type, m.p.b_zp, bh, bw, m.c)};
    int y = act(g, "y", m.p.out.type, m.p.out.zp, m.h, m.w, m.c);
    graph_add_input(g, in[0]);
    graph_add_input(g, in[1]);
    Node *n = graph_add_node(g, "mul", OP_MUL, 2, in, y);
    int bad = -1;
    if (!n || case_rq(g, n, &m, sch, st)) goto out;
    n->lo = m.p.out.lo, n->hi = m.p.out.hi;
    graph_add_output(g, y);
    if (graph_finalize(g)) goto out;
    uint8_t a[7 * 6 * 32], b[7 * 6 * 32], yk[7 * 6 * 32];
    int32_t ia[7 * 6 * 19], ib[7 * 6 * 19], iy[7 * 6 * 19];
    int bs = m.pixel ? 0 : m.stride;
    int near = m.scale[0] == TIE_SCALE;
    fill(a, np * m.stride, m.p.a_type, m.p.a_zp, near, st);
    fill(b, (m.pixel ? 1 : np) * m.stride, m.p.b_type, m.p.b_zp, near, st);
    for (int px = 0; px < np; px++)
        for (int c = 0; c < m.c; c++) {
            ia[px * m.c + c] = as_i32(a, px * m.stride + c, m.p.a_type);
            if (px < bh * bw) ib[px * m.c + c] = as_i32(b, px * bs + c, m.p.b_type);
        }
    if (interp_node(g, n, (const int32_t *const[]){ia, ib}, iy)) goto out;
    dory_dims_t ad = {m.h, m.w, m.c, m.stride}, bd = {bh, bw, m.c, m.stride}, yd = ad;
    memset(yk, 0xa5, sizeof yk);
    for (int core = 0; core < cores; core++) {
        dory_ctx_t ctx = {core, cores, NULL, 0};
        if (dory_mul_s8(&ctx, &m.p, &ad, a, &bd, b, &yd, yk) != DORY_OK) goto out;
    }
    bad = 0;
    for (int px = 0; px < np; px++)
        for (int c = 0; c < m.c; c++)
            bad += as_i32(yk, px * m.stride + c, m.p.out.type) != iy[px * m.c + c];
out:
    graph_free(g);
    return bad;
}

TEST(kernels_mul_vs_interp)
{
    static const dory_rq_scheme_t schemes[] = {DORY_RQ_QLMUL, DORY_RQ_QLMUL_INT, DORY_RQ_FLOAT,
                                               DORY_RQ_SHIFT32};
    uint32_t st = 4242;
    int cases = 0;
    for (size_t s = 0; s < DORY_ARRAY_LEN(schemes); s++)
        for (int i = 0; i < 150; i++, cases++) {
            int bad = run_case(&st, schemes[s], 1 + i % 5);
            if (bad)
                harness_fail(__FILE__, __LINE__, "scheme %d case %d: %d outputs differ (-1: error)",
                             (int)schemes[s], i, bad);
        }
    printf("  mul kernel: %d random cases equal the interpreter\n", cases);
}
