/* models.c: whole-network builders (see models.h). Weights are filled with a
 * cheap xorshift in [-8, 8]; requant is SHIFT per channel (k = 1, d = 8);
 * every conv ends in a ReLU clamp [0, 127]. Builders return NULL when the
 * IR builder fails (a bug). */
#include "models.h"

#include <stdio.h>
#include <string.h>

typedef struct MB {
    Graph *g;
    uint32_t rng;
    int err;
    int count;
} MB;

static int mb_act(MB *b, const char *name, int64_t h, int64_t w, int64_t c)
{
    int64_t shape[4] = {1, h, w, c};
    int id = graph_add_tensor(b->g, name, DT_I8, 4, shape);
    if (id < 0) b->err = 1;
    return id;
}

static int mb_weights(MB *b, const char *name, int rank, const int64_t *shape, DType dt)
{
    int id = graph_add_tensor(b->g, name, dt, rank, shape);
    if (id < 0) return b->err = 1, -1;
    Tensor *t = b->g->tensors[id];
    if (!tensor_alloc_data(b->g, t)) return b->err = 1, -1;
    int64_t n = tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        b->rng ^= b->rng << 13;
        b->rng ^= b->rng >> 17;
        b->rng ^= b->rng << 5;
        tensor_set(t, i, (int64_t)(b->rng % 17) - 8);
    }
    return id;
}

static void mb_epilogue(MB *b, Node *n, int64_t cout)
{
    if (!n) return;
    int64_t k[4096], l[4096];
    for (int64_t i = 0; i < cout && i < 4096; i++) k[i] = 1, l[i] = 0;
    if (rq_make_shift(b->g, n, &n->rq, (int)cout, k, l, 8)) b->err = 1;
    n->lo = 0;
    n->hi = 127;
}

static char *mb_name(MB *b, const char *base, const char *sfx)
{
    return arena_printf(&b->g->arena, "%s%s", base, sfx);
}

/* conv k x k, stride s, groups (1 or cin); TF-style "same" padding. */
static int mb_conv(MB *b, const char *name, int x, int64_t cout, int k, int s, int groups)
{
    if (x < 0 || b->err) return b->err = 1, -1;
    const Tensor *xt = b->g->tensors[x];
    int64_t h = act_h(xt), w = act_w(xt), cin = act_c(xt);
    /* TF "same": output ceil(in / s), padding split with the extra at the end */
    int64_t tot = ((h + s - 1) / s - 1) * s + k - h;
    int pa = tot > 0 ? (int)(tot / 2) : 0, pb = tot > 0 ? (int)(tot - tot / 2) : 0;
    int64_t ho = conv_out_dim(h, k, s, 1, pa, pb), wo = conv_out_dim(w, k, s, 1, pa, pb);
    int64_t wshape[4] = {cout, k, k, cin / groups};
    int wt = mb_weights(b, mb_name(b, name, ".w"), 4, wshape, DT_I8);
    int64_t bshape[1] = {cout};
    int bias = mb_weights(b, mb_name(b, name, ".b"), 1, bshape, DT_I32);
    int y = mb_act(b, mb_name(b, name, ".y"), ho, wo, cout);
    int in[3] = {x, wt, bias};
    Node *n = graph_add_node(b->g, name, OP_CONV2D, 3, in, y);
    if (!n) return b->err = 1, -1;
    n->kernel[0] = n->kernel[1] = k;
    n->stride[0] = n->stride[1] = s;
    n->pad[0] = n->pad[1] = pa;
    n->pad[2] = n->pad[3] = pb;
    n->groups = groups;
    mb_epilogue(b, n, cout);
    return y;
}

static int mb_fc(MB *b, const char *name, int x, int64_t cout)
{
    if (x < 0 || b->err) return b->err = 1, -1;
    int64_t wshape[2] = {cout, tensor_numel(b->g->tensors[x])};
    int wt = mb_weights(b, mb_name(b, name, ".w"), 2, wshape, DT_I8);
    int64_t bshape[1] = {cout};
    int bias = mb_weights(b, mb_name(b, name, ".b"), 1, bshape, DT_I32);
    int y = mb_act(b, mb_name(b, name, ".y"), 1, 1, cout);
    int in[3] = {x, wt, bias};
    Node *n = graph_add_node(b->g, name, OP_FC, 3, in, y);
    mb_epilogue(b, n, cout);
    if (n) n->lo = -128;
    return y;
}

static int mb_pool(MB *b, const char *name, Op op, int x, int k, int s, int global)
{
    if (x < 0 || b->err) return b->err = 1, -1;
    const Tensor *xt = b->g->tensors[x];
    int64_t ho = global ? 1 : conv_out_dim(act_h(xt), k, s, 1, 0, 0);
    int64_t wo = global ? 1 : conv_out_dim(act_w(xt), k, s, 1, 0, 0);
    int y = mb_act(b, mb_name(b, name, ".y"), ho, wo, act_c(xt));
    Node *n = graph_add_node(b->g, name, op, 1, &x, y);
    if (!n) return b->err = 1, -1;
    n->kernel[0] = n->kernel[1] = k;
    n->stride[0] = n->stride[1] = s;
    n->global = global;
    if (op == OP_AVGPOOL) {
        int64_t one = 1, zero = 0;
        if (rq_make_shift(b->g, n, &n->rq, 1, &one, &zero, 0)) b->err = 1;
    }
    return y;
}

static int mb_add(MB *b, const char *name, int x0, int x1)
{
    if (x0 < 0 || x1 < 0 || b->err) return b->err = 1, -1;
    const Tensor *xt = b->g->tensors[x0];
    int y = mb_act(b, mb_name(b, name, ".y"), act_h(xt), act_w(xt), act_c(xt));
    int in[2] = {x0, x1};
    Node *n = graph_add_node(b->g, name, OP_ADD, 2, in, y);
    if (!n) return b->err = 1, -1;
    int64_t one = 1, zero = 0;
    if (rq_make_shift(b->g, n, &n->in_rq[0], 1, &one, &zero, 0) ||
        rq_make_shift(b->g, n, &n->in_rq[1], 1, &one, &zero, 0) ||
        rq_make_shift(b->g, n, &n->rq, 1, &one, &zero, 1))
        b->err = 1;
    return y;
}

static Graph *mb_finish(MB *b, int y)
{
    if (y >= 0 && !b->err) graph_add_output(b->g, y);
    if (b->err || graph_finalize(b->g)) {
        graph_free(b->g);
        return NULL;
    }
    return b->g;
}

static MB mb_begin(const char *name, int64_t h, int64_t w, int64_t c, int *x)
{
    MB b = {graph_new(name), 0x9e3779b9u, 0, 0};
    if (!b.g) {
        b.err = 1;
        *x = -1;
        return b;
    }
    *x = mb_act(&b, "input", h, w, c);
    if (*x >= 0) graph_add_input(b.g, *x);
    return b;
}

Graph *model_mobilenet_v1(int alpha_x100, int res)
{
    static const struct {
        int stride, cout;
    } blocks[13] = {{1, 64},  {2, 128}, {1, 128}, {2, 256}, {1, 256},  {2, 512}, {1, 512},
                    {1, 512}, {1, 512}, {1, 512}, {1, 512}, {2, 1024}, {1, 1024}};
    int x;
    MB b = mb_begin("mobilenet_v1", res, res, 3, &x);
    if (!b.g) return NULL;
    char name[32];
    x = mb_conv(&b, "conv0", x, 32 * alpha_x100 / 100, 3, 2, 1);
    for (int i = 0; i < 13; i++) {
        int64_t cin = x >= 0 ? act_c(b.g->tensors[x]) : 1;
        snprintf(name, sizeof name, "dw%d", i + 1);
        x = mb_conv(&b, name, x, cin, 3, blocks[i].stride, (int)cin);
        snprintf(name, sizeof name, "pw%d", i + 1);
        x = mb_conv(&b, name, x, blocks[i].cout * alpha_x100 / 100, 1, 1, 1);
    }
    x = mb_pool(&b, "avgpool", OP_AVGPOOL, x, 1, 1, 1);
    x = mb_fc(&b, "fc", x, 1000);
    return mb_finish(&b, x);
}

Graph *model_resnet_tiny(void)
{
    int x;
    MB b = mb_begin("resnet_tiny", 32, 32, 3, &x);
    if (!b.g) return NULL;
    int a = mb_conv(&b, "stem", x, 16, 3, 1, 1);
    int c1 = mb_conv(&b, "b1c1", a, 16, 3, 1, 1);
    int c2 = mb_conv(&b, "b1c2", c1, 16, 3, 1, 1);
    int r1 = mb_add(&b, "b1add", a, c2);
    int d1 = mb_conv(&b, "b2c1", r1, 16, 3, 1, 1);
    int d2 = mb_conv(&b, "b2c2", d1, 16, 3, 1, 1);
    int r2 = mb_add(&b, "b2add", r1, d2);
    int p = mb_pool(&b, "pool", OP_MAXPOOL, r2, 2, 2, 0);
    int e1 = mb_conv(&b, "br1", p, 24, 1, 1, 1);
    int e2 = mb_conv(&b, "br2", p, 8, 3, 1, 1);
    int cat = -1;
    if (e1 >= 0 && e2 >= 0 && !b.err) {
        cat = mb_act(&b, "cat.y", 16, 16, 32);
        int in[2] = {e1, e2};
        if (!graph_add_node(b.g, "cat", OP_CONCAT, 2, in, cat)) b.err = 1;
    }
    int flat = -1;
    if (cat >= 0 && !b.err) {
        int64_t shape[4] = {1, 1, 1, 16 * 16 * 32};
        flat = graph_add_tensor(b.g, "flat", DT_I8, 4, shape);
        if (flat < 0 || !graph_add_node(b.g, "flatten", OP_RESHAPE, 1, &cat, flat)) b.err = 1;
    }
    int y = mb_fc(&b, "fc", flat, 10);
    return mb_finish(&b, y);
}

Graph *model_dscnn(void)
{
    int x;
    MB b = mb_begin("dscnn", 49, 10, 1, &x);
    if (!b.g) return NULL;
    x = mb_conv(&b, "conv0", x, 64, 3, 2, 1);
    char name[16];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "dw%d", i + 1);
        x = mb_conv(&b, name, x, 64, 3, 1, 64);
        snprintf(name, sizeof name, "pw%d", i + 1);
        x = mb_conv(&b, name, x, 64, 1, 1, 1);
    }
    x = mb_pool(&b, "avgpool", OP_AVGPOOL, x, 1, 1, 1);
    x = mb_fc(&b, "fc", x, 12);
    return mb_finish(&b, x);
}

typedef struct ModelEntry {
    const char *name;
    Graph *(*build)(void);
} ModelEntry;

static Graph *mnv1_128(void) { return model_mobilenet_v1(100, 128); }
static Graph *mnv1_025_96(void) { return model_mobilenet_v1(25, 96); }

static const ModelEntry models[] = {
    {"mobilenet_v1_1.0_128", mnv1_128},
    {"mobilenet_v1_0.25_96", mnv1_025_96},
    {"resnet_tiny", model_resnet_tiny},
    {"dscnn", model_dscnn},
};

int model_count(void) { return (int)(sizeof models / sizeof models[0]); }

Graph *model_build(int i, const char **name)
{
    if (i < 0 || i >= model_count()) return NULL;
    if (name) *name = models[i].name;
    return models[i].build();
}
