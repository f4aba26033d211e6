/* test_verify.c: the verifier's overflow rule and structural checks.
 *
 * The overflow rule is checked three ways: known cases (32-bit, 64-bit,
 * rejected), the effect of a producer's clamp on the input range, and, on
 * random layers, that the proven accumulator bound is sound (the interpreter
 * never exceeds it) and exact (an adversarial input reaches it).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ir/interp.h"
#include "ir/quant.h"
#include "ir/verify.h"

/* x [1,H,W,C] u8 -> conv KxK (C->CO), output dtype `ydt`; weights all `wv`. */
typedef struct ConvSpec {
    int H, W, C, CO, K, pad;
    DType xdt, ydt;
    int wv;
    int64_t bias;
} ConvSpec;

static Graph *conv_graph(const ConvSpec *s, Node **out_node)
{
    Graph *g = graph_new("t");
    int64_t xs[4] = {1, s->H, s->W, s->C};
    int x = graph_add_tensor(g, "x", s->xdt, 4, xs);
    int64_t ws[4] = {s->CO, s->K, s->K, s->C};
    int w = graph_add_const(g, "w", DT_I8, 4, ws, NULL);
    for (int64_t i = 0; i < tensor_numel(g->tensors[w]); i++) tensor_set(g->tensors[w], i, s->wv);
    int64_t bs[1] = {s->CO};
    int b = graph_add_const(g, "b", DT_I32, 1, bs, NULL);
    for (int i = 0; i < s->CO; i++) tensor_set(g->tensors[b], i, s->bias);
    int64_t oh = conv_out_dim(s->H, s->K, 1, 1, s->pad, s->pad);
    int64_t ow = conv_out_dim(s->W, s->K, 1, 1, s->pad, s->pad);
    int64_t ys[4] = {1, oh, ow, s->CO};
    int y = graph_add_tensor(g, "y", s->ydt, 4, ys);
    int in[3] = {x, w, b};
    Node *n = graph_add_node(g, "conv", OP_CONV2D, 3, in, y);
    for (int i = 0; i < 4; i++) n->pad[i] = s->pad;
    graph_add_input(g, x);
    graph_add_output(g, y);
    *out_node = n;
    return g;
}

static void set_shift(Graph *g, Node *n, int64_t k, int64_t l, int d)
{
    int64_t ks[64], ls[64];
    int64_t nch = act_c(g->tensors[n->out]);
    for (int i = 0; i < nch; i++) ks[i] = k, ls[i] = l;
    CHECK(rq_make_shift(g, n, &n->rq, (int)nch, ks, ls, d) == 0);
}

TEST(verify_arith_32_when_small)
{
    ConvSpec s = {4, 4, 8, 4, 3, 1, DT_U8, DT_U8, 1, 0};
    Node *n;
    Graph *g = conv_graph(&s, &n);
    set_shift(g, n, 3, 7, 10);
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) == 0);
    CHECK_EQ_I64(n->arith, ARITH_32);
    /* 9 taps x 8 channels x 255 x 1 */
    CHECK_EQ_I64(n->acc_max, 9 * 8 * 255);
    CHECK_EQ_I64(n->acc_min, 0);
    graph_free(g);
}

/* add of two u8 [1,4,4,8] inputs (zero points 3 and 0), output u8 NONE;
 * input requants SHIFT with k = ka, kb, l 0, d 8. */
static Graph *add_graph(int64_t ka, int64_t kb, Node **out_node)
{
    Graph *g = graph_new("t");
    int64_t sh[4] = {1, 4, 4, 8}, ks[8];
    int a = graph_add_tensor(g, "a", DT_U8, 4, sh), b = graph_add_tensor(g, "b", DT_U8, 4, sh);
    int y = graph_add_tensor(g, "y", DT_U8, 4, sh), in[2] = {a, b};
    g->tensors[a]->zp = 3;
    Node *n = graph_add_node(g, "add", OP_ADD, 2, in, y);
    for (int i = 0; i < 8; i++) ks[i] = ka;
    CHECK(rq_make_shift(g, n, &n->in_rq[0], 8, ks, NULL, 8) == 0);
    for (int i = 0; i < 8; i++) ks[i] = kb;
    CHECK(rq_make_shift(g, n, &n->in_rq[1], 8, ks, NULL, 8) == 0);
    n->lo = 0, n->hi = 255;
    graph_add_input(g, a);
    graph_add_input(g, b);
    graph_add_output(g, y);
    *out_node = n;
    return g;
}

/* Each input requant of an add gets its own width, on the input's range
 * minus its zero point (a - 3 in [-3, 252]), and a re-verification after a
 * change proves it again. */
TEST(verify_add_input_arith)
{
    Node *n;
    Graph *g = add_graph(32, (int64_t)1 << 24, &n); /* 255 * 2^24 > 2^31 */
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) == 0);
    CHECK_EQ_I64(n->in_arith[0], ARITH_32);
    CHECK_EQ_I64(n->in_arith[1], ARITH_64);
    const Tensor *kb = graph_tensor(g, n->in_rq[1].k);
    CHECK_EQ_I64(tensor_numel(kb), 8);
    for (int i = 0; i < 8; i++) tensor_set(graph_tensor(g, n->in_rq[1].k), i, 32);
    tensor_set(graph_tensor(g, n->in_rq[0].k), 5, 8521761); /* 8521761 * 252 > 2^31 */
    CHECK(ir_verify(g) == 0);
    CHECK_EQ_I64(n->in_arith[0], ARITH_64);
    CHECK_EQ_I64(n->in_arith[1], ARITH_32);
    tensor_set(graph_tensor(g, n->in_rq[0].k), 5, 8521760); /* 8521760 * 252 < 2^31 */
    CHECK(ir_verify(g) == 0);
    CHECK_EQ_I64(n->in_arith[0], ARITH_32);
    graph_free(g);
}

TEST(verify_arith_64_when_product_needs_it)
{
    ConvSpec s = {4, 4, 8, 4, 3, 1, DT_U8, DT_U8, 1, 0};
    Node *n;
    Graph *g = conv_graph(&s, &n);
    set_shift(g, n, (int64_t)1 << 20, 0, 30); /* 18360 * 2^20 > 2^31 */
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) == 0);
    CHECK_EQ_I64(n->arith, ARITH_64);
    graph_free(g);
}

TEST(verify_rejects_product_beyond_64_bits)
{
    ConvSpec s = {4, 4, 8, 4, 3, 1, DT_U8, DT_U8, 1, 0};
    Node *n;
    Graph *g = conv_graph(&s, &n);
    set_shift(g, n, (int64_t)1 << 60, 0, 62);
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) != 0);
    CHECK(diag_error_count() > 0);
    graph_free(g);
}

/* F32INT's per-channel shortcut (float_to_exact's) is proved again: the
 * constants of q_float_as_shift pass, an addend moved by half an output step
 * on one channel is refused, and so is k without l. */
TEST(verify_f32int_shortcut_is_proved)
{
    ConvSpec s = {4, 4, 8, 4, 3, 1, DT_U8, DT_U8, 1, 0};
    float sc[4] = {0.0123f, 0.0171f, 0.00931f, 0.0144f};
    int64_t k[4], l[4];
    int d = 36; /* k below 2^31 */
    Node *n;
    Graph *g = conv_graph(&s, &n);
    CHECK(rq_make_float(g, n, &n->rq, 4, sc) == 0);
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) == 0);
    for (int c = 0; c < 4; c++)
        CHECK(q_float_as_shift(sc[c], n->acc_min, n->acc_max, n->lo + 1, n->hi, d, &k[c], &l[c]) ==
              0);
    k[3] = l[3] = 0; /* channel 3 keeps the emulation */
    n->rq.scheme = RQ_F32INT;
    CHECK(rq_add_f32int_shortcut(g, n, &n->rq, 4, k, l, d) == 0);
    CHECK(ir_verify(g) == 0);
    tensor_set(graph_tensor(g, n->rq.l), 1, l[1] + ((int64_t)1 << (d - 1)));
    CHECK(ir_verify(g) != 0);
    tensor_set(graph_tensor(g, n->rq.l), 1, l[1]);
    CHECK(ir_verify(g) == 0);
    n->rq.l = -1;
    CHECK(ir_verify(g) != 0);
    graph_free(g);
}

TEST(verify_rejects_l_overflow_and_accumulator_overflow)
{
    ConvSpec s = {4, 4, 8, 4, 3, 1, DT_U8, DT_U8, 1, 0};
    Node *n;
    Graph *g = conv_graph(&s, &n);
    set_shift(g, n, (int64_t)1 << 40, INT64_MAX - 5, 62);
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) != 0);
    graph_free(g);

    ConvSpec s2 = {4, 4, 8, 4, 3, 1, DT_U8, DT_U8, 1, INT32_MAX - 100};
    g = conv_graph(&s2, &n);
    set_shift(g, n, 1, 0, 0);
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) != 0);
    graph_free(g);
}

TEST(verify_producer_clamp_narrows_input_range)
{
    /* requant clamps x to [0, 15]; conv after it needs only 32 bits, while
     * the same conv on the full u8 range needs 64. */
    for (int clamp = 0; clamp < 2; clamp++) {
        Graph *g = graph_new("t");
        int64_t xs[4] = {1, 4, 4, 8};
        int x = graph_add_tensor(g, "x", DT_U8, 4, xs);
        int h = graph_add_tensor(g, "h", DT_U8, 4, xs);
        int in0[1] = {x};
        Node *r = graph_add_node(g, "clip", OP_REQUANT, 1, in0, h);
        if (clamp) r->hi = 15;
        int64_t ws[4] = {4, 1, 1, 8};
        int w = graph_add_const(g, "w", DT_I8, 4, ws, NULL);
        for (int i = 0; i < 32; i++) tensor_set(g->tensors[w], i, 127);
        int64_t ys[4] = {1, 4, 4, 4};
        int y = graph_add_tensor(g, "y", DT_U8, 4, ys);
        int in1[2] = {h, w};
        Node *n = graph_add_node(g, "conv", OP_CONV2D, 2, in1, y);
        /* acc <= 8*255*127 = 259080 (full) or 8*15*127 = 15240 (clamped);
         * k = 2^16: 15240 * 2^16 < 2^31 < 259080 * 2^16 */
        set_shift(g, n, (int64_t)1 << 16, 0, 24);
        graph_add_input(g, x);
        graph_add_output(g, y);
        CHECK(graph_finalize(g) == 0);
        CHECK(ir_verify(g) == 0);
        CHECK_EQ_I64(n->arith, clamp ? ARITH_32 : ARITH_64);
        graph_free(g);
    }
}

TEST(verify_fixed_left_shift_overflow_rejected)
{
    ConvSpec s = {4, 4, 8, 4, 3, 1, DT_U8, DT_U8, 100, 0};
    Node *n;
    Graph *g = conv_graph(&s, &n);
    int32_t m[4] = {1 << 30, 1 << 30, 1 << 30, 1 << 30}, sh[4] = {12, 12, 12, 12};
    CHECK(rq_make_fixed(g, n, &n->rq, 4, m, sh, 0) == 0);
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) != 0); /* 9*8*255*100 << 12 > 2^31 */
    graph_free(g);
}

/* xorshift for the property tests */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

TEST(verify_bound_is_sound_and_exact)
{
    uint32_t seed = 12345;
    for (int iter = 0; iter < 40; iter++) {
        int C = 1 + (int)(rnd(&seed) % 6), CO = 1 + (int)(rnd(&seed) % 4),
            K = 1 + (int)(rnd(&seed) % 3);
        int H = K + (int)(rnd(&seed) % 3), W = K + (int)(rnd(&seed) % 3);
        Graph *g = graph_new("p");
        int64_t xs[4] = {1, H, W, C};
        int x = graph_add_tensor(g, "x", DT_I8, 4, xs);
        g->tensors[x]->zp = (int32_t)(rnd(&seed) % 41) - 20;
        int64_t ws[4] = {CO, K, K, C};
        int w = graph_add_const(g, "w", DT_I8, 4, ws, NULL);
        Tensor *wt = g->tensors[w];
        for (int64_t i = 0; i < tensor_numel(wt); i++)
            tensor_set(wt, i, (int)(rnd(&seed) % 256) - 128);
        int64_t ys[4] = {1, H - K + 1, W - K + 1, CO};
        int y = graph_add_tensor(g, "y", DT_I32, 4, ys);
        int in[2] = {x, w};
        Node *n = graph_add_node(g, "conv", OP_CONV2D, 2, in, y);
        graph_add_input(g, x);
        graph_add_output(g, y);
        CHECK(graph_finalize(g) == 0 && ir_verify(g) == 0);
        /* Adversarial inputs: every x at the extreme matching the sign of
         * channel 0's weight, for max and for min. Output pixel 0 of
         * channel 0 then reaches the channel's bound. */
        int32_t *xv = calloc((size_t)(H * W * C), sizeof(int32_t));
        int32_t *yv = calloc((size_t)tensor_numel(g->tensors[y]), sizeof(int32_t));
        for (int want_max = 0; want_max < 2; want_max++) {
            int64_t bound = 0;
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++)
                    for (int c = 0; c < C; c++) {
                        int64_t wv = tensor_get(wt, (kh * K + kw) * C + c);
                        int hi = (wv >= 0) == want_max;
                        xv[(kh * W + kw) * C + c] = hi ? 127 : -128;
                        bound += ((hi ? 127 : -128) - g->tensors[x]->zp) * wv;
                    }
            const int32_t *ins[2] = {xv, NULL};
            CHECK(interp_node(g, n, ins, yv) == 0);
            CHECK_EQ_I64(yv[0], bound);
            /* soundness over the whole tensor; exactness for a single-channel bound */
            for (int64_t i = 0; i < tensor_numel(g->tensors[y]); i++)
                CHECK(yv[i] >= n->acc_min && yv[i] <= n->acc_max);
            if (CO == 1) CHECK_EQ_I64(want_max ? n->acc_max : n->acc_min, bound);
        }
        free(xv);
        free(yv);
        graph_free(g);
    }
}

TEST(verify_structural_errors)
{
    ConvSpec s = {6, 6, 4, 4, 3, 1, DT_U8, DT_U8, 1, 0};
    Node *n;
    /* groups not dividing the channels */
    Graph *g = conv_graph(&s, &n);
    n->groups = 3;
    CHECK(graph_finalize(g) == 0 && ir_verify(g) != 0);
    graph_free(g);
    /* output shape not what the geometry gives */
    g = conv_graph(&s, &n);
    n->stride[0] = 2;
    CHECK(graph_finalize(g) == 0 && ir_verify(g) != 0);
    graph_free(g);
    /* padding as large as the kernel */
    g = conv_graph(&s, &n);
    n->pad[0] = 3;
    CHECK(graph_finalize(g) == 0 && ir_verify(g) != 0);
    graph_free(g);
    /* clamp outside the output dtype */
    g = conv_graph(&s, &n);
    n->hi = 300;
    CHECK(graph_finalize(g) == 0 && ir_verify(g) != 0);
    graph_free(g);
    /* an input zero point outside the dtype */
    g = conv_graph(&s, &n);
    g->tensors[0]->zp = 256;
    CHECK(graph_finalize(g) == 0 && ir_verify(g) != 0);
    graph_free(g);
    /* requant constant with the wrong channel count */
    g = conv_graph(&s, &n);
    int64_t k[3] = {1, 1, 1};
    CHECK(rq_make_shift(g, n, &n->rq, 3, k, NULL, 0) == 0);
    CHECK(graph_finalize(g) == 0 && ir_verify(g) != 0);
    graph_free(g);
    /* two nodes with one name */
    g = conv_graph(&s, &n);
    int64_t ys2[4] = {1, 6, 6, 4};
    int z2 = graph_add_tensor(g, "z2", DT_U8, 4, ys2);
    int in2[1] = {n->out};
    graph_add_node(g, "conv", OP_REQUANT, 1, in2, z2);
    CHECK(graph_finalize(g) == 0 && ir_verify(g) != 0);
    graph_free(g);
    /* nodes out of topological order */
    g = conv_graph(&s, &n);
    int64_t ys[4] = {1, 6, 6, 4};
    int z = graph_add_tensor(g, "z", DT_U8, 4, ys);
    int in[1] = {z};
    int q = graph_add_tensor(g, "q", DT_U8, 4, ys);
    graph_add_node(g, "late", OP_REQUANT, 1, in, q);
    CHECK(graph_finalize(g) != 0);
    graph_free(g);
}

TEST(verify_concat_needs_same_zero_point)
{
    Graph *g = graph_new("t");
    int64_t s[4] = {1, 2, 2, 3}, so[4] = {1, 2, 2, 6};
    int a = graph_add_tensor(g, "a", DT_I8, 4, s), b = graph_add_tensor(g, "b", DT_I8, 4, s);
    int y = graph_add_tensor(g, "y", DT_I8, 4, so);
    g->tensors[b]->zp = 3;
    int in[2] = {a, b};
    graph_add_node(g, "cat", OP_CONCAT, 2, in, y);
    graph_add_input(g, a);
    graph_add_input(g, b);
    graph_add_output(g, y);
    CHECK(graph_finalize(g) == 0);
    CHECK(ir_verify(g) != 0);
    g->tensors[b]->zp = 0;
    CHECK(ir_verify(g) == 0);
    graph_free(g);
}
