/* float_to_exact.c: the pass behind `--requant exact`, and what `dory deploy`
 * runs for targets without an FPU. The FLOAT and QLADD schemes are defined
 * by their fp32 arithmetic (onnxruntime's); F32INT and QLADD_INT give the
 * same results bit for bit, computed in integers by the kernels
 * (kernels/dory_f32int.c emulates the fp32 conversions, products, fused
 * multiply-adds and roundings exactly), so an integer-only MCU equals
 * onnxruntime. The constants stay the same f32 tensors.
 * Must not change anything but the scheme of Requant records.
 */
#include "passes.h"

static void convert(Requant *rq)
{
    if (rq->scheme == RQ_FLOAT) rq->scheme = RQ_F32INT;
    if (rq->scheme == RQ_QLADD) rq->scheme = RQ_QLADD_INT;
}

int pass_float_to_exact(Graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        convert(&n->rq);
        convert(&n->in_rq[0]);
        convert(&n->in_rq[1]);
    }
    return 0;
}
