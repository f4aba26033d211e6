/* print.c: the layer table of `dory inspect`.
 *
 * One line per node: op and variant, input and output shapes (HxWxC dtype),
 * MACs, parameter bytes, requant scheme and the arithmetic width the verifier
 * proved; then totals. Reads the graph only.
 */
#include "print.h"

#include <string.h>

#include "util/elide.h"

static void shape_str(char *buf, size_t n, const Tensor *t)
{
    if (t->rank == 4)
        snprintf(buf, n, "%lldx%lldx%lld %s", (long long)act_h(t), (long long)act_w(t),
                 (long long)act_c(t), dtype_name(t->dtype));
    else
        snprintf(buf, n, "%lld %s", (long long)tensor_numel(t), dtype_name(t->dtype));
}

/* "conv2d 3x3/2 dw" style description of the op and its geometry. */
static void op_str(char *buf, size_t n, const Graph *g, const Node *node)
{
    int kh, kw;
    node_kernel(g, node, &kh, &kw);
    switch (node->op) {
    case OP_CONV2D: {
        const Tensor *w = graph_tensor(g, node->in[1]);
        const Tensor *x = graph_tensor(g, node->in[0]);
        int dw = node->groups > 1 && node->groups == act_c(x);
        snprintf(buf, n, "conv %lldx%lld/%d%s%s", (long long)w->shape[1], (long long)w->shape[2],
                 node->stride[0],
                 dw                 ? " dw"
                 : node->groups > 1 ? " grp"
                                    : "",
                 node->dilation[0] > 1 ? " dil" : "");
        break;
    }
    case OP_MAXPOOL:
    case OP_AVGPOOL:
        if (node->global)
            snprintf(buf, n, "%s global", node->op == OP_MAXPOOL ? "maxpool" : "avgpool");
        else
            snprintf(buf, n, "%s %dx%d/%d", node->op == OP_MAXPOOL ? "maxpool" : "avgpool", kh, kw,
                     node->stride[0]);
        break;
    default: snprintf(buf, n, "%s", op_name(node->op)); break;
    }
}

static const char *arith_str(const Node *n)
{
    if (!op_info(n->op)->has_epilogue) return "-";
    return n->arith == ARITH_64 ? "64" : n->arith == ARITH_32 ? "32" : "?";
}

/* The layer column's width: with the other columns, 100 in all. */
enum { NAME_W = 20 };

int ir_name_column(const Graph *g, int width, Arena *a, NameColumn *c)
{
    size_t n = (size_t)(g->nnodes ? g->nnodes : 1);
    const char **names = arena_alloc_array(a, n, sizeof *names);
    memset(c, 0, sizeof *c);
    c->width = width;
    c->text = arena_alloc_array(a, n, (size_t)width + 1);
    c->amb = arena_alloc_array(a, n, 1);
    if (!names || !c->text || !c->amb) return -1;
    for (int i = 0; i < g->nnodes; i++) names[i] = g->nodes[i]->name;
    c->nambiguous = elide_names(names, g->nnodes, width, c->text, c->amb);
    return 0;
}

const char *ir_name_at(const NameColumn *c, int i)
{
    return c->text + (size_t)i * (size_t)(c->width + 1);
}

void ir_print_full_names(FILE *f, const Graph *g, const NameColumn *c)
{
    if (!c->nambiguous) return;
    fprintf(f, "names in full (no shorter form is unambiguous):\n");
    for (int i = 0; i < g->nnodes; i++)
        if (c->amb[i]) fprintf(f, "%3d %s\n", i, g->nodes[i]->name);
}

void ir_print_summary(FILE *f, const Graph *g)
{
    Arena a;
    arena_init(&a);
    NameColumn col;
    int have = ir_name_column(g, NAME_W, &a, &col) == 0;
    fprintf(f, "model %s", g->name);
    if (g->source) fprintf(f, " (%s)", g->source);
    fprintf(f, ": %d layers\n", g->nnodes);
    fprintf(f, "%3s %-*s %-15s %-13s %-13s %10s %8s %-5s %s\n", "#", NAME_W, "layer", "op", "input",
            "output", "MACs", "params B", "rq", "arith");
    int64_t macs = 0, params = 0, act_peak = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = g->nodes[i];
        char op[64], in[48], out[48];
        op_str(op, sizeof op, g, n);
        shape_str(in, sizeof in, graph_tensor(g, n->in[0]));
        if (n->nin > 1 && !graph_tensor(g, n->in[1])->is_const) {
            size_t k = strlen(in);
            snprintf(in + k, sizeof in - k, " +%d", n->nin - 1);
        }
        shape_str(out, sizeof out, graph_tensor(g, n->out));
        int64_t m = node_macs(g, n), p = node_param_bytes(g, n);
        int64_t act =
            tensor_bytes(graph_tensor(g, n->in[0])) + tensor_bytes(graph_tensor(g, n->out));
        macs += m;
        params += p;
        act_peak = DORY_MAX(act_peak, act);
        fprintf(f, "%3d %-*s %-15s %-13s %-13s %10lld %8lld %-5s %s", i, NAME_W,
                have ? ir_name_at(&col, i) : n->name, op, in, out, (long long)m, (long long)p,
                rq_scheme_name(n->rq.scheme), arith_str(n));
        const Tensor *k = n->rq.scheme == RQ_F32INT ? graph_tensor(g, n->rq.k) : NULL;
        if (k) { /* float_to_exact's per-channel shortcut */
            int64_t nk = 0;
            for (int64_t c = 0; c < tensor_numel(k); c++) nk += tensor_get(k, c) != 0;
            fprintf(f, " (shift on %lld of %lld channels)", (long long)nk,
                    (long long)tensor_numel(k));
        }
        fputc('\n', f);
    }
    if (have) ir_print_full_names(f, g, &col);
    arena_free(&a);
    fprintf(f,
            "total: %d layers, %lld MACs, %lld parameter bytes, largest layer input+output "
            "%lld bytes\n",
            g->nnodes, (long long)macs, (long long)params, (long long)act_peak);
}
