/* float_to_fixed.c: the pass behind `--requant fixed`. Integer-only MCUs
 * have no FPU for the FLOAT scheme (round_half_even(f32(acc) * scale)), so
 * every FLOAT requant becomes FIXED with TFLite's QuantizeMultiplier: the
 * scale's frexp mantissa as a Q31 multiplier in [2^30, 2^31) and its exponent
 * as the shift. Results may then differ from the FLOAT scheme by 1 LSB at
 * (near) ties; the ONNX oracle tests count how often.
 * Must not change anything but Requant records (and add their constants).
 */
#include <math.h>

#include "ir/quant.h"
#include "passes.h"

/* TFLite QuantizeMultiplier (q_tflite_multiplier): scale = mult * 2^(shift -
 * 31); -1 for a negative, NaN or infinite scale or one of 2^31 and above. */
static int quantize_multiplier(double scale, int32_t *mult, int32_t *shift)
{
    *mult = 0, *shift = 0;
    if (!(scale >= 0) || isinf(scale)) return -1;
    int e;
    q_tflite_multiplier(scale, mult, &e);
    if (e > 31) return -1;
    *shift = e;
    return 0;
}

static int convert(Graph *g, Node *n, Requant *rq)
{
    if (rq->scheme != RQ_FLOAT) return 0;
    const Tensor *s = graph_tensor(g, rq->scale);
    if (!s) return diag_error(node_loc(g, n), "FLOAT requant without its scale constant");
    int nch = (int)tensor_numel(s);
    int32_t *mult = arena_alloc_array(&g->arena, (size_t)nch, sizeof(int32_t));
    int32_t *shift = arena_alloc_array(&g->arena, (size_t)nch, sizeof(int32_t));
    if (!mult || !shift) return -1;
    for (int c = 0; c < nch; c++)
        if (quantize_multiplier(tensor_get_f32(s, c), &mult[c], &shift[c]))
            return diag_error(node_loc(g, n), "requant scale %g has no FIXED form",
                              (double)tensor_get_f32(s, c));
    return rq_make_fixed(g, n, rq, nch, mult, shift, 0);
}

int pass_float_to_fixed(Graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (convert(g, n, &n->rq) || convert(g, n, &n->in_rq[0]) || convert(g, n, &n->in_rq[1]))
            return -1;
    }
    return 0;
}
