/* test_build.c: unit tests of the frontends' graph builders
 * (src/frontend/build.c): unique names whoever added the others, weight
 * layout permutations for ONNX and TFLite layouts, SAME padding, dtypes of
 * clamp ranges and graph names. Must not load model files.
 */
#include <string.h>

#include "frontend/build.h"
#include "harness.h"

static Graph *act_graph(Builder *b, SrcLayout layout)
{
    Graph *g = graph_new("t");
    if (!g) return NULL;
    build_init(b, g, layout, NULL, NULL);
    int64_t hwc[3] = {2, 3, 4}, src[4] = {1, 4, 2, 3};
    if (build_act(b, "x", DT_U8, hwc, 4, src, 0) < 0) return graph_free(g), NULL;
    return g;
}

TEST(build_unique_node_names)
{
    Builder b;
    Graph *g = act_graph(&b, SRC_CHW);
    if (!CHECK(g)) return;
    int in[1] = {0};
    Node *n0 = build_node(&b, "conv", OP_REQUANT, 1, in, 0);
    Node *direct = graph_add_node(g, "conv_1", OP_REQUANT, 1, in, 0); /* not via the builder */
    Node *n1 = build_node(&b, "conv", OP_REQUANT, 1, in, 0);
    Node *n2 = build_node(&b, NULL, OP_REQUANT, 1, in, 0);
    Node *n3 = build_node(&b, NULL, OP_REQUANT, 1, in, 0);
    if (CHECK(n0 && direct && n1 && n2 && n3)) {
        CHECK(!strcmp(n0->name, "conv"));
        CHECK(!strcmp(n1->name, "conv_2"));
        CHECK(!strcmp(n2->name, "node"));
        CHECK(!strcmp(n3->name, "node_1"));
    }
    /* many clashes stay correct across the set's growth */
    for (int i = 0; i < 300; i++) CHECK(build_node(&b, "r", OP_REQUANT, 1, in, 0));
    for (int i = 0; i < g->nnodes; i++)
        for (int j = i + 1; j < g->nnodes; j++) CHECK(strcmp(g->nodes[i]->name, g->nodes[j]->name));
    graph_free(g);
}

TEST(build_unique_tensor_names)
{
    Builder b;
    Graph *g = act_graph(&b, SRC_CHW);
    if (!CHECK(g)) return;
    int64_t shape[1] = {1};
    CHECK(graph_add_const(g, "w.w", DT_I8, 1, shape, NULL) >= 0); /* not via the builder */
    const char *a = build_tensor_name(&b, "w", ".w");
    const char *c = build_tensor_name(&b, "x", "");
    const char *d = build_tensor_name(&b, "y", "");
    if (CHECK(a && c && d)) {
        CHECK(!strcmp(a, "w.w_1"));
        CHECK(!strcmp(c, "x_2"));
        CHECK(!strcmp(d, "y"));
    }
    graph_free(g);
}

TEST(build_act_source_view)
{
    Builder b;
    Graph *g = act_graph(&b, SRC_CHW);
    if (!CHECK(g)) return;
    const Tensor *t = graph_tensor(g, 0);
    CHECK(t->src_layout == SRC_CHW && t->src_hwc[2] == 4 && t->src_rank == 4);
    CHECK_EQ_I64(t->shape[3], 4);
    graph_free(g);
    g = act_graph(&b, SRC_SAME); /* TFLite: the source is NHWC */
    if (!CHECK(g)) return;
    t = graph_tensor(g, 0);
    CHECK(t->src_layout == SRC_SAME && t->src_hwc[0] == 0);
    graph_free(g);
}

/* Source index of IR OHWI element (o, y, x, c) for each source layout. */
TEST(build_conv_perms)
{
    Builder b;
    Graph *g = act_graph(&b, SRC_CHW);
    if (!CHECK(g)) return;
    int64_t co = 3, ci = 2, kh = 2, kw = 5;
    int64_t *oihw = build_conv_perm(&b, BUILD_W_OIHW, co, ci, kh, kw);
    int64_t *ohwi = build_conv_perm(&b, BUILD_W_OHWI, co, ci, kh, kw);
    int64_t *ihwo = build_conv_perm(&b, BUILD_W_IHWO, co, ci, kh, kw);
    if (!CHECK(oihw && ohwi && ihwo)) return;
    for (int64_t o = 0, i = 0; o < co; o++)
        for (int64_t y = 0; y < kh; y++)
            for (int64_t x = 0; x < kw; x++)
                for (int64_t c = 0; c < ci; c++, i++) {
                    CHECK_EQ_I64(oihw[i], ((o * ci + c) * kh + y) * kw + x);
                    CHECK_EQ_I64(ohwi[i], i);
                    CHECK_EQ_I64(ihwo[i], ((c * kh + y) * kw + x) * co + o);
                }
    graph_free(g);
}

TEST(build_fc_perms)
{
    Builder b;
    Graph *g = act_graph(&b, SRC_CHW);
    if (!CHECK(g)) return;
    int64_t n = 2, h = 2, w = 3, c = 4, K = h * w * c;
    int64_t *same = build_fc_perm(&b, n, h, w, c, 0, 0);
    int64_t *chw_kn = build_fc_perm(&b, n, h, w, c, 1, 1);
    if (!CHECK(same && chw_kn)) return;
    for (int64_t i = 0; i < n * K; i++) CHECK_EQ_I64(same[i], i);
    /* IR (o, y, x, ch) reads ONNX [K][N] at k = (ch*h + y)*w + x */
    CHECK_EQ_I64(chw_kn[1 * K + (1 * w + 2) * c + 3], ((3 * h + 1) * w + 2) * n + 1);
    graph_free(g);
}

TEST(build_same_padding)
{
    int64_t a, z;
    build_same_pad(5, 3, 2, 1, 1, &a, &z); /* out 3: total 2 */
    CHECK(a == 1 && z == 1);
    build_same_pad(6, 3, 2, 1, 1, &a, &z); /* out 3: total 1, extra at the end */
    CHECK(a == 0 && z == 1);
    build_same_pad(6, 3, 2, 1, 0, &a, &z); /* SAME_LOWER: extra at the start */
    CHECK(a == 1 && z == 0);
    build_same_pad(7, 3, 1, 2, 1, &a, &z); /* dilated: window 5, total 4 */
    CHECK(a == 2 && z == 2);
    build_same_pad(4, 1, 4, 1, 1, &a, &z); /* window smaller than stride: none */
    CHECK(a == 0 && z == 0);
}

TEST(build_dtype_ranges)
{
    CHECK(build_dtype_for_range(0, 255) == DT_U8);
    CHECK(build_dtype_for_range(0, 127) == DT_U8);
    CHECK(build_dtype_for_range(-1, 127) == DT_I8);
    CHECK(build_dtype_for_range(-128, 128) == DT_I32);
    CHECK(build_dtype_for_range(0, 256) == DT_I32);
}

TEST(build_graph_names)
{
    Arena a;
    arena_init(&a);
    CHECK(!strcmp(build_graph_name(&a, "main_graph", "/tmp/x/m.onnx"), "main_graph"));
    CHECK(!strcmp(build_graph_name(&a, "", "/tmp/x/kws.onnx"), "kws"));
    CHECK(!strcmp(build_graph_name(&a, NULL, "../a.b/model"), "model"));
    CHECK(!strcmp(build_graph_name(&a, NULL, "dir/.onnx"), ".onnx")); /* a dot file */
    CHECK(!strcmp(build_graph_name(&a, NULL, "dir/"), "model"));
    CHECK(!strcmp(build_graph_name(&a, "a b/*c*/\n", "m.onnx"), "a_b__c___"));
    const char *longn =
        build_graph_name(&a, NULL,
                         "d/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaaaaa.onnx");
    CHECK(strlen(longn) == BUILD_MAX_NAME);
    arena_free(&a);
}
