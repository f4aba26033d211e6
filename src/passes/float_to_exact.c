/* float_to_exact.c: the pass behind `--requant exact`, and what `dory deploy`
 * runs for targets without an FPU. The FLOAT and QLADD schemes are defined
 * by their fp32 arithmetic (onnxruntime's); this pass replaces them by
 * integer arithmetic with the same results on every accumulator the
 * verifier proves reachable, so an integer-only MCU equals onnxruntime:
 *  - FLOAT becomes SHIFT (k[c]*acc + l[c]) >> d where constants exist whose
 *    results provably agree with fp32 on the node's whole accumulator range
 *    within its clamp (q_float_as_shift: every output threshold is reached
 *    at the same accumulator); a 64-bit multiply-add, as cheap as FIXED;
 *  - otherwise F32INT: the same f32 constants, and kernels that emulate the
 *    fp32 conversion, product and rounding exactly in integers
 *    (kernels/dory_f32int.c); QLADD becomes QLADD_INT likewise.
 * Must not change anything but Requant records (and add their constants).
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

/* FLOAT -> SHIFT when every channel has proven constants; 1 if not. */
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
    /* k ~ s * 2^d and k * |acc| below 2^61 */
    int d = DORY_MIN(62, 60 - bitlen64((uint64_t)amax) - (int)ceil(log2(smax)));
    if (d < 20) return 1;
    int64_t *k = malloc(sizeof(int64_t) * (size_t)nch * 2);
    if (!k) return 1;
    int64_t *l = k + nch;
    int rc = 0;
    for (int c = 0; c < nch && !rc; c++)
        rc = q_float_as_shift(tensor_get_f32(s, c), n->acc_min, n->acc_max, tlo, thi, d, &k[c],
                              &l[c]);
    if (!rc) rc = rq_make_shift(g, n, &n->rq, nch, k, l, d) ? -1 : 0;
    free(k);
    return rc;
}

static void to_integer_scheme(Requant *rq)
{
    if (rq->scheme == RQ_FLOAT) rq->scheme = RQ_F32INT;
    if (rq->scheme == RQ_QLADD) rq->scheme = RQ_QLADD_INT;
}

int pass_float_to_exact(Graph *g)
{
    if (ir_verify(g)) return -1; /* accumulator ranges of the graph as it is now */
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        int rc = n->rq.scheme == RQ_FLOAT ? float_as_shift(g, n) : 1;
        if (rc < 0) return -1;
        if (rc) to_integer_scheme(&n->rq);
        to_integer_scheme(&n->in_rq[0]);
        to_integer_scheme(&n->in_rq[1]);
    }
    return 0;
}
