/* test_graphs.c: the shared test-graph library (graphs.c) covers what it
 * promises (every op and variant, every requant scheme and constant width,
 * zero points, clamps, source views) and stays inside the integer contract
 * (accumulators and requant products fit their widths). Independent of the
 * verifier: the bounds here are computed directly from the constants.
 */
#include <string.h>

#include "graphs.h"
#include "harness.h"

/* What the library must contain; each flag names one promise of graphs.h. */
enum {
    COV_CONV_3X3_S1_P1,
    COV_CONV_S2_ASYM,
    COV_CONV_DIL2,
    COV_CONV_1X1,
    COV_CONV_DW,
    COV_CONV_DW_MULT2,
    COV_CONV_GROUPED,
    COV_CONV_1XK,
    COV_CONV_NO_BIAS,
    COV_FC_1X1,
    COV_FC_FLAT,
    COV_MAXPOOL_2X2_S2,
    COV_MAXPOOL_3X3_P1,
    COV_AVG_FLOOR,
    COV_AVG_HALF_AWAY,
    COV_AVG_NONE,
    COV_AVG_INCL_PAD,
    COV_AVG_EXCL_PAD,
    COV_AVG_GLOBAL,
    COV_ADD_NONE,
    COV_ADD_SHIFT,
    COV_ADD_FIXED_PRE20,
    COV_ADD_FLOAT,
    COV_CONCAT2,
    COV_CONCAT3,
    COV_REQUANT,
    COV_RESHAPE,
    COV_SOFTMAX,
    COV_RQ_SHIFT_I32_PC,
    COV_RQ_SHIFT_I64,
    COV_RQ_FIXED_PC,
    COV_RQ_FLOAT_PC,
    COV_RQ_FLOAT_PT,
    COV_ACT_U8,
    COV_ACT_I8,
    COV_ZP_IN,
    COV_ZP_OUT,
    COV_ZP_W,
    COV_ZPS_W,
    COV_CLAMP_TIGHT,
    COV_SRC_NCHW,
    COV_SRC_FLAT,
    COV_COUNT
};

static const char *const cov_names[COV_COUNT] = {"conv 3x3 s1 p1",
                                                 "conv s2 pad 0,0,1,1",
                                                 "conv dilation 2",
                                                 "conv 1x1",
                                                 "depthwise",
                                                 "depthwise x2",
                                                 "grouped conv",
                                                 "1xK conv",
                                                 "conv without bias",
                                                 "fc 1x1xC",
                                                 "fc flat",
                                                 "maxpool 2x2 s2",
                                                 "maxpool 3x3 p1",
                                                 "avg floor",
                                                 "avg half_away",
                                                 "avg none",
                                                 "avg count_include_pad",
                                                 "avg excluding pad",
                                                 "global avgpool",
                                                 "add rq none",
                                                 "add rq shift",
                                                 "add rq fixed pre 20",
                                                 "add rq float",
                                                 "concat 2",
                                                 "concat 3",
                                                 "requant",
                                                 "reshape",
                                                 "softmax",
                                                 "SHIFT i32 per-channel",
                                                 "SHIFT i64",
                                                 "FIXED per-channel",
                                                 "FLOAT per-channel",
                                                 "FLOAT per-tensor",
                                                 "u8 activations",
                                                 "i8 activations",
                                                 "input zp",
                                                 "output zp",
                                                 "weight zp",
                                                 "per-channel weight zps",
                                                 "tight clamp",
                                                 "NCHW source view",
                                                 "flattened source view"};

static int is_act(const Tensor *t) { return !t->is_const && t->rank == 4; }

static void cover_rq(const Graph *g, const Requant *r, int *cov)
{
    const Tensor *c = graph_tensor(g, r->scheme == RQ_SHIFT   ? r->k
                                      : r->scheme == RQ_FIXED ? r->mult
                                                              : r->scale);
    if (!c) return;
    int pc = tensor_numel(c) > 1;
    if (r->scheme == RQ_SHIFT && c->dtype == DT_I32 && pc) cov[COV_RQ_SHIFT_I32_PC] = 1;
    if (r->scheme == RQ_SHIFT && c->dtype == DT_I64) cov[COV_RQ_SHIFT_I64] = 1;
    if (r->scheme == RQ_FIXED && pc) cov[COV_RQ_FIXED_PC] = 1;
    if (r->scheme == RQ_FLOAT) cov[pc ? COV_RQ_FLOAT_PC : COV_RQ_FLOAT_PT] = 1;
}

static void cover_conv(const Graph *g, const Node *n, int *cov)
{
    const Tensor *x = graph_tensor(g, n->in[0]), *w = graph_tensor(g, n->in[1]);
    const Tensor *y = graph_tensor(g, n->out);
    int k3 = n->kernel[0] == 3 && n->kernel[1] == 3;
    int p1 = n->pad[0] == 1 && n->pad[1] == 1 && n->pad[2] == 1 && n->pad[3] == 1;
    if (k3 && p1 && n->stride[0] == 1 && n->groups == 1 && n->dilation[0] == 1)
        cov[COV_CONV_3X3_S1_P1] = 1;
    if (n->stride[0] == 2 && !n->pad[0] && !n->pad[1] && n->pad[2] == 1 && n->pad[3] == 1)
        cov[COV_CONV_S2_ASYM] = 1;
    if (n->dilation[0] == 2 && n->dilation[1] == 2) cov[COV_CONV_DIL2] = 1;
    if (n->kernel[0] == 1 && n->kernel[1] == 1) cov[COV_CONV_1X1] = 1;
    if (n->groups > 1 && n->groups == act_c(x) && act_c(y) == act_c(x)) cov[COV_CONV_DW] = 1;
    if (n->groups > 1 && n->groups == act_c(x) && act_c(y) == 2 * act_c(x))
        cov[COV_CONV_DW_MULT2] = 1;
    if (n->groups == 2 && act_c(x) > 2) cov[COV_CONV_GROUPED] = 1;
    if (n->kernel[0] == 1 && n->kernel[1] > 1 && act_h(x) == 1) cov[COV_CONV_1XK] = 1;
    if (n->nin == 2) cov[COV_CONV_NO_BIAS] = 1;
    if (w->zp) cov[COV_ZP_W] = 1;
    if (w->zps && w->nzps > 1) cov[COV_ZPS_W] = 1;
}

static void cover_node(const Graph *g, const Node *n, int *cov)
{
    const Tensor *x = graph_tensor(g, n->in[0]), *y = graph_tensor(g, n->out);
    switch (n->op) {
    case OP_CONV2D: cover_conv(g, n, cov); break;
    case OP_FC: {
        const Node *p = x->producer >= 0 ? g->nodes[x->producer] : NULL;
        cov[p && p->op == OP_RESHAPE ? COV_FC_FLAT : COV_FC_1X1] = 1;
        if (graph_tensor(g, n->in[1])->zp) cov[COV_ZP_W] = 1;
        break;
    }
    case OP_MAXPOOL:
        if (n->kernel[0] == 2 && n->stride[0] == 2) cov[COV_MAXPOOL_2X2_S2] = 1;
        if (n->kernel[0] == 3 && n->stride[0] == 1 && n->pad[0] == 1) cov[COV_MAXPOOL_3X3_P1] = 1;
        break;
    case OP_AVGPOOL:
        cov[n->avg_round == AVG_FLOOR       ? COV_AVG_FLOOR
            : n->avg_round == AVG_HALF_AWAY ? COV_AVG_HALF_AWAY
                                            : COV_AVG_NONE] = 1;
        if (n->pad[0] && n->count_include_pad) cov[COV_AVG_INCL_PAD] = 1;
        if (n->pad[0] && !n->count_include_pad) cov[COV_AVG_EXCL_PAD] = 1;
        if (n->global) cov[COV_AVG_GLOBAL] = 1;
        break;
    case OP_ADD:
        for (int i = 0; i < 2; i++) {
            const Requant *r = &n->in_rq[i];
            if (r->scheme == RQ_NONE) cov[COV_ADD_NONE] = 1;
            if (r->scheme == RQ_SHIFT) cov[COV_ADD_SHIFT] = 1;
            if (r->scheme == RQ_FIXED && r->pre == 20) cov[COV_ADD_FIXED_PRE20] = 1;
            if (r->scheme == RQ_FLOAT) cov[COV_ADD_FLOAT] = 1;
        }
        break;
    case OP_CONCAT:
        if (n->nin == 2) cov[COV_CONCAT2] = 1;
        if (n->nin == 3) cov[COV_CONCAT3] = 1;
        break;
    case OP_REQUANT: cov[COV_REQUANT] = 1; break;
    case OP_RESHAPE: cov[COV_RESHAPE] = 1; break;
    case OP_SOFTMAX: cov[COV_SOFTMAX] = n->sm_mult != 0; break;
    default: break;
    }
    if (n->op == OP_CONV2D || n->op == OP_FC) cover_rq(g, &n->rq, cov);
    const DTypeInfo *di = dtype_info(y->dtype);
    if (op_info(n->op)->has_epilogue && (n->lo > di->min || n->hi < di->max))
        cov[COV_CLAMP_TIGHT] = 1;
    if (x->zp) cov[COV_ZP_IN] = 1;
    if (y->zp) cov[COV_ZP_OUT] = 1;
}

TEST(graphs_cover_everything)
{
    int cov[COV_COUNT] = {0};
    for (int i = 0; i < test_graph_count(); i++) {
        const char *name;
        Graph *g = test_graph_build(i, &name);
        if (!g) {
            harness_fail(__FILE__, __LINE__, "graph %d does not build", i);
            continue;
        }
        CHECK(g->ninputs >= 1 && g->noutputs >= 1);
        for (int j = 0; j < g->nnodes; j++) cover_node(g, g->nodes[j], cov);
        for (int j = 0; j < g->ntensors; j++) {
            const Tensor *t = g->tensors[j];
            if (is_act(t) && t->dtype == DT_U8) cov[COV_ACT_U8] = 1;
            if (is_act(t) && t->dtype == DT_I8) cov[COV_ACT_I8] = 1;
            if (t->src_layout == SRC_CHW && t->src_rank == 4) cov[COV_SRC_NCHW] = 1;
            if (t->src_layout == SRC_CHW && t->src_rank == 2) cov[COV_SRC_FLAT] = 1;
        }
        graph_free(g);
    }
    for (int i = 0; i < COV_COUNT; i++)
        if (!cov[i]) harness_fail(__FILE__, __LINE__, "no test graph has: %s", cov_names[i]);
}

TEST(graphs_are_deterministic)
{
    for (int i = 0; i < test_graph_count(); i++) {
        Graph *a = test_graph_build(i, NULL), *b = test_graph_build(i, NULL);
        char why[256];
        if (!a || !b || !graph_equal(a, b, why, sizeof why))
            harness_fail(__FILE__, __LINE__, "graph %d differs between builds", i);
        graph_free(a);
        graph_free(b);
    }
    Graph *g = test_graph_by_name("tiny_net");
    CHECK(g != NULL);
    graph_free(g);
    CHECK(test_graph_by_name("no such graph") == NULL);
    CHECK(test_graph_build(test_graph_count(), NULL) == NULL);
}

/* Largest |x - zx| over the input dtype range. */
static int64_t max_centered(const Tensor *x)
{
    const DTypeInfo *di = dtype_info(x->dtype);
    return DORY_MAX(di->max - x->zp, x->zp - di->min);
}

/* Worst-case |acc| of a conv or fc: |bias| + fan_in * max|x-zx| * max|w-zw|. */
static int64_t acc_bound(const Graph *g, const Node *n, int64_t *chan_out)
{
    const Tensor *x = graph_tensor(g, n->in[0]), *w = graph_tensor(g, n->in[1]);
    const Tensor *b = n->nin > 2 ? graph_tensor(g, n->in[2]) : NULL;
    int64_t cout = w->shape[0], fan = tensor_numel(w) / cout, worst = 0;
    for (int64_t c = 0; c < cout; c++) {
        int64_t wmax = 0;
        for (int64_t k = 0; k < fan; k++) {
            int64_t v = tensor_get(w, c * fan + k) - tensor_zp_at(w, c);
            wmax = DORY_MAX(wmax, v < 0 ? -v : v);
        }
        int64_t bias = b ? tensor_get(b, c) : 0;
        int64_t bound = (bias < 0 ? -bias : bias) + fan * max_centered(x) * wmax;
        worst = DORY_MAX(worst, bound);
    }
    *chan_out = cout;
    return worst;
}

static void check_rq_contract(const Graph *g, const Node *n, const Requant *r, int64_t acc)
{
    const Tensor *t = NULL;
    for (int64_t c = 0; r->scheme == RQ_FIXED; c++) {
        t = graph_tensor(g, r->mult);
        if (c >= tensor_numel(t)) break;
        int64_t m = tensor_get(t, c), s = tensor_get(graph_tensor(g, r->shift), c);
        if (m < ((int64_t)1 << 30) || m >= ((int64_t)1 << 31) || s > 0 || s < -31)
            harness_fail(__FILE__, __LINE__, "%s: FIXED constants out of range", n->name);
        if (r->pre < 0 || r->pre > 31 || (acc << r->pre) > INT32_MAX)
            harness_fail(__FILE__, __LINE__, "%s: acc << pre overflows int32", n->name);
    }
    for (int64_t c = 0; r->scheme == RQ_SHIFT; c++) {
        t = graph_tensor(g, r->k);
        if (c >= tensor_numel(t)) break;
        __int128 p = (__int128)tensor_get(t, c) * acc;
        if (r->l >= 0) p += tensor_get(graph_tensor(g, r->l), c);
        if (p > INT64_MAX || r->d < 0 || r->d > 63)
            harness_fail(__FILE__, __LINE__, "%s: SHIFT product overflows int64", n->name);
    }
    for (int64_t c = 0; r->scheme == RQ_FLOAT; c++) {
        t = graph_tensor(g, r->scale);
        if (c >= tensor_numel(t)) break;
        float s = tensor_get_f32(t, c);
        if (!(s > 0.0f && s < 1e6f))
            harness_fail(__FILE__, __LINE__, "%s: FLOAT scale not positive", n->name);
    }
}

TEST(graphs_respect_integer_contract)
{
    for (int i = 0; i < test_graph_count(); i++) {
        Graph *g = test_graph_build(i, NULL);
        if (!g) continue;
        for (int j = 0; j < g->nnodes; j++) {
            const Node *n = g->nodes[j];
            int64_t acc = 0, cout = 0;
            if (n->op == OP_CONV2D || n->op == OP_FC) {
                acc = acc_bound(g, n, &cout);
                if (acc > INT32_MAX)
                    harness_fail(__FILE__, __LINE__, "%s: accumulator may overflow", n->name);
            } else if (n->op == OP_REQUANT) {
                acc = max_centered(graph_tensor(g, n->in[0]));
            } else if (n->op == OP_ADD) {
                acc = (int64_t)510 << 20; /* two inputs after a 20-bit pre-shift */
            } else if (n->op == OP_AVGPOOL) {
                int kh, kw;
                node_kernel(g, n, &kh, &kw);
                acc = (int64_t)kh * kw * max_centered(graph_tensor(g, n->in[0]));
            }
            check_rq_contract(g, n, &n->rq, acc);
            for (int k = 0; k < n->nin && n->op == OP_ADD; k++)
                check_rq_contract(g, n, &n->in_rq[k], max_centered(graph_tensor(g, n->in[k])));
            const DTypeInfo *di = dtype_info(graph_tensor(g, n->out)->dtype);
            if (n->lo < di->min || n->hi > di->max || n->lo > n->hi)
                harness_fail(__FILE__, __LINE__, "%s: clamp outside the dtype", n->name);
        }
        graph_free(g);
    }
}
