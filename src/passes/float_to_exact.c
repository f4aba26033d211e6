/* float_to_exact.c: the pass behind `--requant exact`, and what `dory deploy`
 * runs for targets without an FPU. The FLOAT and QLADD schemes are defined
 * by their fp32 arithmetic (onnxruntime's); this pass replaces them by
 * integer arithmetic with the same results on every accumulator the
 * verifier proves reachable, so an integer-only MCU equals onnxruntime:
 *  - FLOAT becomes integer arithmetic proven equal to fp32 on the node's
 *    whole accumulator range within its clamp (q_float_as_shift: every output
 *    threshold is reached at the same accumulator), per channel
 *    (k[c]*acc + l[c]) >> d: as F32INT's shortcut when the multipliers fit
 *    32 bits (d 32..62; kernels: one 32x32->64 product and the high word's
 *    shift), else as SHIFT (64-bit multiply-add) when every channel has
 *    constants;
 *  - channels without proven constants run F32INT: the same f32 constants,
 *    and kernels that emulate the fp32 conversion, product and rounding
 *    exactly in integers (kernels/dory_f32int.c; an inline fast path decides
 *    all but the near-ties from the exact 32x32->64 product). The verifier
 *    checks every shortcut channel again (q_shift_equals_float);
 *  - QLADD becomes an integer add with SHIFT requants where one equals it on
 *    all 65536 input pairs (qladd_as_shift), else QLADD_INT, the emulation;
 *  - QLMUL (mul) becomes SHIFT where one equals it on every accumulator of
 *    the verifier's range (qlmul_as_shift), else QLMUL_INT, the emulation.
 * Must not change anything but Requant records (and add their constants).
 * Cost: two bisections per output threshold and channel, up to 65536 x 169
 * integer checks per add (MobileNetV2-shaped, 20 layers: 0.13 s).
 */
#include <math.h>
#include <stdlib.h>

#include "ir/quant.h"
#include "ir/verify.h"
#include "passes.h"

static int bitlen64(uint64_t v)
{
    int n = 0;
    while (v) n++, v >>= 1;
    return n;
}

/* Proven SHIFT constants of every channel for shift d (0 where there are
 * none); returns how many channels have them. */
static int proven_channels(const Tensor *s, const Node *n, int64_t tlo, int64_t thi, int d,
                           int64_t *k, int64_t *l)
{
    int nch = (int)tensor_numel(s), proven = 0;
    for (int c = 0; c < nch; c++) {
        if (q_float_as_shift(tensor_get_f32(s, c), n->acc_min, n->acc_max, tlo, thi, d, &k[c],
                             &l[c]))
            k[c] = l[c] = 0;
        else
            proven++;
    }
    return proven;
}

/* FLOAT -> F32INT whose shortcut covers every channel when each has proven
 * SHIFT constants with a 32-bit multiplier (kernels: one 32x32->64 product,
 * cheaper than SHIFT64's 64x64 one); else SHIFT when every channel has them
 * with a 64-bit multiplier; else F32INT with the shortcut on the channels
 * that have 32-bit ones (k = 0 on the others); 1 if none has (F32INT as it
 * is). */
static int float_as_shift(Graph *g, Node *n)
{
    const Tensor *s = graph_tensor(g, n->rq.scale), *y = graph_tensor(g, n->out);
    int nch = (int)tensor_numel(s);
    if (!s || !y || n->acc_min > n->acc_max) return 1;
    int64_t amax = DORY_MAX(n->acc_max, -n->acc_min), tlo = (int64_t)n->lo - y->zp + 1;
    int64_t thi = (int64_t)n->hi - y->zp;
    double smax = 0;
    for (int c = 0; c < nch; c++) smax = fmax(smax, tensor_get_f32(s, c));
    if (!(smax > 0) || tlo > thi) return 1;
    /* SHIFT: k ~ s * 2^d and k * |acc| below 2^61; the shortcut: k below 2^31 */
    int d = DORY_MIN(62, 60 - bitlen64((uint64_t)amax) - (int)ceil(log2(smax)));
    int d32 = DORY_MIN(d, 30 - (int)ceil(log2(smax)));
    if (d < 20) return 1;
    int64_t *k = util_malloc(sizeof(int64_t) * (size_t)nch * 4);
    if (!k) return 1;
    int64_t *l = k + nch, *k32 = l + nch, *l32 = k32 + nch;
    int p32 = d32 >= 32 ? proven_channels(s, n, tlo, thi, d32, k32, l32) : 0, rc = 1;
    if (p32 < nch && proven_channels(s, n, tlo, thi, d, k, l) == nch) {
        rc = rq_make_shift(g, n, &n->rq, nch, k, l, d) ? -1 : 0;
    } else if (p32 > 0) {
        n->rq.scheme = RQ_F32INT;
        rc = rq_add_f32int_shortcut(g, n, &n->rq, nch, k32, l32, d32) ? -1 : 0;
    }
    free(k);
    return rc;
}

/* QLADD -> an integer add, proven on every input pair: in_rq SHIFT k = A and
 * B (d 0), out SHIFT (acc + C) >> d, where floor((A*a + B*b + C0) / 2^d)
 * clamped equals QLADD's result clamped for all 8-bit a, b (brute force over
 * the 65536 pairs, A and B near s_a*2^d, s_b*2^d, every int32 intermediate
 * in range). 1 if none was found. */
static int qladd_as_shift(Graph *g, Node *n)
{
    const Tensor *ta = graph_tensor(g, n->in[0]), *tb = graph_tensor(g, n->in[1]);
    const Tensor *ty = graph_tensor(g, n->out);
    RqChan r = rq_channel(g, &n->rq, 0);
    const DTypeInfo *da = dtype_info(ta->dtype), *db = dtype_info(tb->dtype);
    if (da->bits != 8 || db->bits != 8 || !(r.qs[0] > 0) || !(r.qs[1] > 0)) return 1;
    double smax = fmax(r.qs[0], r.qs[1]);
    int d = DORY_MIN(24, 29 - 9 - (int)ceil(log2(smax)));
    if (d < 8) return 1;
    int16_t *want = util_malloc(sizeof(int16_t) * 65536);
    if (!want) return 1;
    for (int i = 0; i < 65536; i++) {
        int64_t v = q_qladd(&r, (int32_t)(da->min + i / 256), (int32_t)(db->min + i % 256));
        want[i] = (int16_t)(v < n->lo ? n->lo : v > n->hi ? n->hi : v);
    }
    int64_t a0 = llround(ldexp(r.qs[0], d)), b0 = llround(ldexp(r.qs[1], d)), p = (int64_t)1 << d;
    int rc = 1;
    for (int j = 0; j < 169 && rc; j++) {
        int64_t A = a0 + j / 13 - 6, B = b0 + j % 13 - 6, lo = INT64_MIN, hi = INT64_MAX;
        for (int i = 0; i < 65536 && lo <= hi; i++) {
            int64_t sum = A * (da->min + i / 256) + B * (db->min + i % 256), y = want[i];
            if (y > n->lo) lo = DORY_MAX(lo, y * p - sum);           /* reaches y */
            if (y < n->hi) hi = DORY_MIN(hi, (y + 1) * p - sum - 1); /* not y + 1 */
        }
        if (A <= 0 || B <= 0 || lo > hi) continue;
        int64_t c0 = lo == INT64_MIN ? hi : lo;
        int64_t c = c0 + A * ta->zp + B * tb->zp - (int64_t)ty->zp * p;
        int64_t big = A * 256 + B * 256 + (c < 0 ? -c : c);
        if (big >= ((int64_t)1 << 30)) continue;
        int64_t ka[1] = {A}, kb[1] = {B}, one[1] = {1}, l[1] = {c};
        if (rq_make_shift(g, n, &n->in_rq[0], 1, ka, NULL, 0) ||
            rq_make_shift(g, n, &n->in_rq[1], 1, kb, NULL, 0) ||
            rq_make_shift(g, n, &n->rq, 1, one, l, d))
            rc = -1;
        else
            rc = 0;
    }
    free(want);
    return rc;
}

/* QLMUL -> SHIFT (k*acc + l) >> d, proven: clamp(((k*acc + l) >> d) + zy)
 * equals QLMUL's result clamped on every accumulator in the verifier's range
 * (the products (a - za)(b - zb), at most 2^18 values; brute force), d
 * ascending so that 32-bit arithmetic is used where it suffices. 1 if none
 * was found. */
static int qlmul_as_shift(Graph *g, Node *n)
{
    const Tensor *ty = graph_tensor(g, n->out);
    RqChan r = rq_channel(g, &n->rq, 0);
    int64_t a0 = n->acc_min, a1 = n->acc_max;
    if (!ty || !(r.qs[0] > 0) || a0 > a1 || a1 - a0 > (1 << 18)) return 1;
    int16_t *want = util_malloc(sizeof(int16_t) * (size_t)(a1 - a0 + 1));
    if (!want) return 1;
    for (int64_t p = a0; p <= a1; p++) {
        int64_t v = q_qlmul(&r, p);
        want[p - a0] = (int16_t)(v < n->lo ? n->lo : v > n->hi ? n->hi : v);
    }
    int64_t amax = DORY_MAX(-a0, a1);
    int rc = 1;
    for (int d = 0; d <= 40 && rc; d++) {
        int64_t k0 = llround(ldexp(r.qs[0], d)), one = (int64_t)1 << d;
        for (int64_t k = k0 - 1; k <= k0 + 1 && rc; k++) {
            int64_t lo = INT64_MIN, hi = INT64_MAX;
            if (k <= 0 || k > ((int64_t)1 << 60) / (amax + 1)) continue;
            for (int64_t p = a0; p <= a1 && lo <= hi; p++) {
                int64_t w = want[p - a0], y = w - ty->zp;
                if (w > n->lo) lo = DORY_MAX(lo, y * one - k * p);           /* reaches w */
                if (w < n->hi) hi = DORY_MIN(hi, (y + 1) * one - k * p - 1); /* not w + 1 */
            }
            if (lo > hi) continue;
            int64_t l[1] = {lo != INT64_MIN ? lo : hi != INT64_MAX ? hi : 0}, kk[1] = {k};
            rc = rq_make_shift(g, n, &n->rq, 1, kk, l, d) ? -1 : 0;
        }
    }
    free(want);
    return rc;
}

static void to_integer_scheme(Requant *rq)
{
    if (rq->scheme == RQ_FLOAT) rq->scheme = RQ_F32INT;
    if (rq->scheme == RQ_QLADD) rq->scheme = RQ_QLADD_INT;
    if (rq->scheme == RQ_QLMUL) rq->scheme = RQ_QLMUL_INT;
}

int pass_float_to_exact(Graph *g)
{
    if (ir_verify(g)) return -1; /* accumulator ranges of the graph as it is now */
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        int rc = n->rq.scheme == RQ_FLOAT   ? float_as_shift(g, n)
                 : n->rq.scheme == RQ_QLADD ? qladd_as_shift(g, n)
                 : n->rq.scheme == RQ_QLMUL ? qlmul_as_shift(g, n)
                                            : 1;
        if (rc < 0) return -1;
        if (rc) to_integer_scheme(&n->rq);
        to_integer_scheme(&n->in_rq[0]);
        to_integer_scheme(&n->in_rq[1]);
    }
    return 0;
}
