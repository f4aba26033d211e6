/* test_float_to_fixed.c: the `--requant fixed` pass keeps every
 * requantization within 1 LSB of FLOAT, for the same accumulator.
 *
 * A requant node with 1000 channels gets random FLOAT scales over the range
 * quantized models use (1e-6 .. 4); after the pass, every channel's FIXED
 * epilogue (requant, zero point, int8 clamp) is compared with the FLOAT one
 * on 200 accumulators each, mostly where results land in the 8-bit range,
 * including exact ties. (Outside it, fp32 itself loses integer precision
 * above 2^24, but the clamp makes that invisible.)
 */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "ir/quant.h"
#include "ir/verify.h"
#include "passes/passes.h"

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

TEST(float_to_fixed_within_one_lsb)
{
    enum { NCH = 1000, ACCS = 200 };
    Graph *g = graph_new("f2x");
    int64_t s[4] = {1, 1, 1, NCH};
    int x = graph_add_tensor(g, "x", DT_I32, 4, s);
    int y = graph_add_tensor(g, "y", DT_I32, 4, s);
    int in[1] = {x};
    Node *n = graph_add_node(g, "rq", OP_REQUANT, 1, in, y);
    float scale[NCH];
    uint32_t seed = 99;
    for (int c = 0; c < NCH; c++)
        scale[c] = (float)exp(log(1e-6) + (log(4.0) - log(1e-6)) * (rnd(&seed) / 4294967296.0));
    CHECK(rq_make_float(g, n, &n->rq, NCH, scale) == 0);
    Requant before = n->rq;
    graph_add_input(g, x);
    graph_add_output(g, y);
    CHECK(graph_finalize(g) == 0);
    CHECK(pass_float_to_fixed(g) == 0);
    CHECK(n->rq.scheme == RQ_FIXED);
    int64_t worst = 0, differ = 0, total = 0;
    for (int c = 0; c < NCH; c++) {
        RqChan f = rq_channel(g, &before, c), q = rq_channel(g, &n->rq, c);
        int left = q.pre + (q.shift > 0 ? q.shift : 0);
        int64_t lim = INT32_MAX >> left;
        for (int k = 0; k < ACCS; k++) {
            /* mostly accumulators whose result lands in or near the 8-bit
             * range; every fourth on an exact half of the output grid (a
             * tie); some anywhere the FIXED left shift allows */
            double v = ((double)(rnd(&seed) % 601) - 300.0) + (k % 4 == 0 ? 0.5 : 0.0);
            int64_t acc = k % 8 == 7 ? (int64_t)(rnd(&seed) % (uint32_t)(2 * lim + 1)) - lim
                                     : (int64_t)llround(v / f.scale) + (k % 4 == 1 ? 1 : 0);
            if (acc > lim || acc < -lim) continue;
            int32_t zy = (int32_t)(rnd(&seed) % 41) - 20;
            int64_t e = llabs((int64_t)q_epilogue(&f, acc, zy, -128, 127) -
                              q_epilogue(&q, acc, zy, -128, 127));
            worst = e > worst ? e : worst;
            differ += e != 0;
            total++;
        }
    }
    printf("  %lld of %lld requantizations differ from FLOAT, by at most %lld\n", (long long)differ,
           (long long)total, (long long)worst);
    CHECK(worst <= 1);
    CHECK(total > NCH * ACCS / 2);
    graph_free(g);
}
