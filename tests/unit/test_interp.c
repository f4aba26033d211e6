/* test_interp.c: the reference interpreter on tiny graphs whose outputs are
 * worked out by hand in the comments (the Python tests cover random graphs
 * against numpy). */
#include "harness.h"
#include "ir/interp.h"
#include "ir/verify.h"

static Graph *one_input(const char *name, DType dt, int64_t h, int64_t w, int64_t c, int *x)
{
    Graph *g = graph_new(name);
    int64_t s[4] = {1, h, w, c};
    *x = graph_add_tensor(g, "x", dt, 4, s);
    graph_add_input(g, *x);
    return g;
}

static int act(Graph *g, const char *name, DType dt, int64_t h, int64_t w, int64_t c)
{
    int64_t s[4] = {1, h, w, c};
    return graph_add_tensor(g, name, dt, 4, s);
}

static int run1(Graph *g, const int32_t *x, int32_t *y)
{
    if (graph_finalize(g) || ir_verify(g)) return -1;
    InterpState st = {0};
    const int32_t *ins[1] = {x};
    int rc = interp_run(g, ins, &st, NULL, NULL);
    if (rc == 0) {
        const Tensor *t = graph_tensor(g, g->outputs[0]);
        for (int64_t i = 0; i < tensor_numel(t); i++) y[i] = st.values[t->id][i];
    }
    interp_free(&st);
    return rc;
}

/* 3x3 input 1..9, 2x2 kernel of ones, zx = 1, pad bottom/right 1:
 * windows of (x - 1): [0 1;3 4]=8 [1 2;4 5]=12 [2 0;5 0]=7 (padded taps 0)
 * [3 4;6 7]=20 [4 5;7 8]=24 [5 .;8 .]=13 [6 7;. .]=13 [7 8]=15 [8]=8.
 * bias 2, SHIFT k=3 l=1 d=2: (3*acc + 7) >> 2. */
TEST(interp_conv_by_hand)
{
    int x;
    Graph *g = one_input("c", DT_U8, 3, 3, 1, &x);
    g->tensors[x]->zp = 1;
    int64_t ws[4] = {1, 2, 2, 1}, one[4] = {1, 1, 1, 1}, bs[1] = {1}, two[1] = {2};
    int w = graph_add_const(g, "w", DT_I8, 4, ws, one);
    int b = graph_add_const(g, "b", DT_I32, 1, bs, two);
    int y = act(g, "y", DT_I32, 3, 3, 1);
    int in[3] = {x, w, b};
    Node *n = graph_add_node(g, "conv", OP_CONV2D, 3, in, y);
    n->pad[2] = n->pad[3] = 1;
    int64_t k[1] = {3}, l[1] = {1};
    rq_make_shift(g, n, &n->rq, 1, k, l, 2);
    graph_add_output(g, y);
    int32_t xv[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, yv[9];
    CHECK(run1(g, xv, yv) == 0);
    int32_t acc[9] = {8, 12, 7, 20, 24, 13, 13, 15, 8};
    for (int i = 0; i < 9; i++) CHECK_EQ_I64(yv[i], (3 * (acc[i] + 2) + 1) >> 2);
    graph_free(g);
}

/* depthwise 2 channels, 1x1 kernel weights {2, -3}: y = x * w per channel. */
TEST(interp_depthwise_by_hand)
{
    int x;
    Graph *g = one_input("dw", DT_I8, 1, 2, 2, &x);
    int64_t ws[4] = {2, 1, 1, 1}, wv[2] = {2, -3};
    int w = graph_add_const(g, "w", DT_I8, 4, ws, wv);
    int y = act(g, "y", DT_I8, 1, 2, 2);
    int in[2] = {x, w};
    Node *n = graph_add_node(g, "dw", OP_CONV2D, 2, in, y);
    n->groups = 2;
    graph_add_output(g, y);
    int32_t xv[4] = {10, 20, -30, 40}, yv[4];
    CHECK(run1(g, xv, yv) == 0);
    CHECK_EQ_I64(yv[0], 20);
    CHECK_EQ_I64(yv[1], -60);
    CHECK_EQ_I64(yv[2], -60);
    CHECK_EQ_I64(yv[3], -120);
    graph_free(g);
}

/* avgpool 2x2 over {1,2,3,5} (sum 11, count 4): floor 2, half-away 3;
 * over {-1,-2,-3,-5}: floor -3, half-away -3 (-2.75). */
TEST(interp_avgpool_rounding_by_hand)
{
    int32_t pos[4] = {1, 2, 3, 5}, neg[4] = {-1, -2, -3, -5};
    AvgRound modes[2] = {AVG_FLOOR, AVG_HALF_AWAY};
    int32_t want[2][2] = {{2, -3}, {3, -3}};
    for (int m = 0; m < 2; m++)
        for (int s = 0; s < 2; s++) {
            int x;
            Graph *g = one_input("p", DT_I8, 2, 2, 1, &x);
            int y = act(g, "y", DT_I8, 1, 1, 1);
            int in[1] = {x};
            Node *n = graph_add_node(g, "avg", OP_AVGPOOL, 1, in, y);
            n->kernel[0] = n->kernel[1] = 2;
            n->avg_round = modes[m];
            graph_add_output(g, y);
            int32_t yv[1];
            CHECK(run1(g, s ? neg : pos, yv) == 0);
            CHECK_EQ_I64(yv[0], want[m][s]);
            graph_free(g);
        }
}

/* maxpool 3x3 pad 1 on a 2x2 input: every window sees all four values. */
TEST(interp_maxpool_padding_never_wins)
{
    int x;
    Graph *g = one_input("m", DT_I8, 2, 2, 1, &x);
    int y = act(g, "y", DT_I8, 2, 2, 1);
    int in[1] = {x};
    Node *n = graph_add_node(g, "max", OP_MAXPOOL, 1, in, y);
    n->kernel[0] = n->kernel[1] = 3;
    for (int i = 0; i < 4; i++) n->pad[i] = 1;
    graph_add_output(g, y);
    int32_t xv[4] = {-100, -90, -80, -70}, yv[4];
    CHECK(run1(g, xv, yv) == 0);
    for (int i = 0; i < 4; i++) CHECK_EQ_I64(yv[i], -70);
    graph_free(g);
}

/* The accumulator check fires if a graph skipped the verifier. */
TEST(interp_refuses_overflowing_accumulator)
{
    int x;
    Graph *g = one_input("o", DT_U8, 1, 1, 1, &x);
    int64_t ws[2] = {1, 1}, wv[1] = {127}, bs[1] = {1}, bv[1] = {INT32_MAX};
    int w = graph_add_const(g, "w", DT_I8, 2, ws, wv);
    int b = graph_add_const(g, "b", DT_I32, 1, bs, bv);
    int y = act(g, "y", DT_I32, 1, 1, 1);
    int in[3] = {x, w, b};
    Node *n = graph_add_node(g, "fc", OP_FC, 3, in, y);
    graph_add_output(g, y);
    CHECK(graph_finalize(g) == 0);
    int32_t xv[1] = {255}, yv[1];
    const int32_t *ins[3] = {xv, NULL, NULL};
    CHECK(interp_node(g, n, ins, yv) != 0);
    graph_free(g);
}
