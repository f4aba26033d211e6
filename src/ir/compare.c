/* compare.c: structural equality of two graphs, field by field, for round-trip
 * tests (text form, passes that must not change a graph) and debugging.
 *
 * Compares what defines a graph: names, dtypes, shapes, zero points, source
 * views, constant bits, node attributes and requant references, inputs and
 * outputs. It must not compare what is derived (Tensor.producer, Node.arith,
 * Node.acc_min/acc_max) nor Graph.source (a diagnostic only); requant fields a
 * scheme does not use are ignored.
 */
#include <stdarg.h>
#include <string.h>

#include "ir.h"

typedef struct Why {
    char *buf;
    size_t len;
} Why;

static int differ(Why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int differ(Why *w, const char *fmt, ...)
{
    if (w->buf && w->len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->buf, w->len, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static int same_dims(const int64_t *a, const int64_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int tensor_view_equal(Why *w, const Tensor *a, const Tensor *b)
{
    if (a->src_layout != b->src_layout)
        return differ(w, "tensor '%s': source layout %d vs %d", a->name, a->src_layout,
                      b->src_layout);
    if (a->src_layout == SRC_CHW && !same_dims(a->src_hwc, b->src_hwc, 3))
        return differ(w, "tensor '%s': source HWC dims differ", a->name);
    if (a->src_rank != b->src_rank || !same_dims(a->src_shape, b->src_shape, a->src_rank))
        return differ(w, "tensor '%s': source shape differs", a->name);
    return 1;
}

static int tensor_data_equal(Why *w, const Tensor *a, const Tensor *b)
{
    if (a->is_const != b->is_const)
        return differ(w, "tensor '%s': constant in one graph only", a->name);
    if (!a->is_const) return 1;
    if (!a->data || !b->data)
        return a->data == b->data ? 1 : differ(w, "tensor '%s': data in one graph only", a->name);
    int64_t n = tensor_numel(a);
    size_t bytes = (size_t)dtype_info(a->dtype)->bytes;
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *x = (const unsigned char *)a->data + (size_t)i * bytes;
        const unsigned char *y = (const unsigned char *)b->data + (size_t)i * bytes;
        if (memcmp(x, y, bytes) == 0) continue;
        if (a->dtype == DT_F32)
            return differ(w, "tensor '%s': element %lld differs (%.9g vs %.9g, bitwise)", a->name,
                          (long long)i, (double)tensor_get_f32(a, i), (double)tensor_get_f32(b, i));
        return differ(w, "tensor '%s': element %lld differs (%lld vs %lld)", a->name, (long long)i,
                      (long long)tensor_get(a, i), (long long)tensor_get(b, i));
    }
    return 1;
}

static int tensor_equal(Why *w, const Tensor *a, const Tensor *b)
{
    if (strcmp(a->name, b->name) != 0)
        return differ(w, "tensor %d: name '%s' vs '%s'", a->id, a->name, b->name);
    if (a->id != b->id) return differ(w, "tensor '%s': id %d vs %d", a->name, a->id, b->id);
    if (a->dtype != b->dtype)
        return differ(w, "tensor '%s': dtype %s vs %s", a->name, dtype_name(a->dtype),
                      dtype_name(b->dtype));
    if (a->rank != b->rank || !same_dims(a->shape, b->shape, a->rank))
        return differ(w, "tensor '%s': shape differs", a->name);
    if (a->zp != b->zp)
        return differ(w, "tensor '%s': zero point %d vs %d", a->name, (int)a->zp, (int)b->zp);
    int na = a->zps ? a->nzps : 0, nb = b->zps ? b->nzps : 0;
    if (na != nb)
        return differ(w, "tensor '%s': %d vs %d per-channel zero points", a->name, na, nb);
    for (int i = 0; i < na; i++)
        if (a->zps[i] != b->zps[i])
            return differ(w, "tensor '%s': per-channel zero point %d: %d vs %d", a->name, i,
                          (int)a->zps[i], (int)b->zps[i]);
    return tensor_view_equal(w, a, b) && tensor_data_equal(w, a, b);
}

/* Requant fields the scheme uses; the others are meaningless. */
static int requant_equal(const Requant *a, const Requant *b)
{
    if (a->scheme != b->scheme) return 0;
    switch (a->scheme) {
    case RQ_SHIFT: return a->k == b->k && a->l == b->l && a->d == b->d;
    case RQ_FIXED:
    case RQ_FIXED_SR: return a->mult == b->mult && a->shift == b->shift && a->pre == b->pre;
    case RQ_F32INT: return a->scale == b->scale && a->k == b->k && a->l == b->l && a->d == b->d;
    case RQ_FLOAT:
    case RQ_QLADD:
    case RQ_QLADD_INT:
    case RQ_QLMUL:
    case RQ_QLMUL_INT: return a->scale == b->scale;
    case RQ_LUT: return a->table == b->table && a->base == b->base;
    default: return 1;
    }
}

static int same_ints(const int *a, const int *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int node_geometry_equal(Why *w, const Node *a, const Node *b)
{
    if (!same_ints(a->kernel, b->kernel, 2)) return differ(w, "node '%s': kernel differs", a->name);
    if (!same_ints(a->stride, b->stride, 2)) return differ(w, "node '%s': stride differs", a->name);
    if (!same_ints(a->dilation, b->dilation, 2))
        return differ(w, "node '%s': dilation differs", a->name);
    if (!same_ints(a->pad, b->pad, 4)) return differ(w, "node '%s': padding differs", a->name);
    if (a->pad_value != b->pad_value) return differ(w, "node '%s': pad value differs", a->name);
    if (a->groups != b->groups)
        return differ(w, "node '%s': groups %d vs %d", a->name, a->groups, b->groups);
    if (a->global != b->global) return differ(w, "node '%s': global differs", a->name);
    if (a->avg_round != b->avg_round) return differ(w, "node '%s': avg_round differs", a->name);
    if (a->avg_table != b->avg_table) return differ(w, "node '%s': avg_table differs", a->name);
    if (a->count_include_pad != b->count_include_pad)
        return differ(w, "node '%s': count_include_pad differs", a->name);
    return 1;
}

static int node_epilogue_equal(Why *w, const Node *a, const Node *b)
{
    if (!requant_equal(&a->rq, &b->rq)) return differ(w, "node '%s': requant differs", a->name);
    for (int i = 0; i < 2; i++)
        if (!requant_equal(&a->in_rq[i], &b->in_rq[i]))
            return differ(w, "node '%s': requant of input %d differs", a->name, i);
    if (a->lo != b->lo || a->hi != b->hi)
        return differ(w, "node '%s': clamp [%d, %d] vs [%d, %d]", a->name, (int)a->lo, (int)a->hi,
                      (int)b->lo, (int)b->hi);
    if (a->sm_mult != b->sm_mult || a->sm_shift != b->sm_shift || a->sm_diff_min != b->sm_diff_min)
        return differ(w, "node '%s': softmax parameters differ", a->name);
    return 1;
}

static int node_equal(Why *w, const Node *a, const Node *b)
{
    if (strcmp(a->name, b->name) != 0)
        return differ(w, "node %d: name '%s' vs '%s'", a->id, a->name, b->name);
    if (a->id != b->id) return differ(w, "node '%s': id %d vs %d", a->name, a->id, b->id);
    if (a->op != b->op)
        return differ(w, "node '%s': op %s vs %s", a->name, op_name(a->op), op_name(b->op));
    if (a->nin != b->nin || !same_ints(a->in, b->in, a->nin))
        return differ(w, "node '%s': inputs differ", a->name);
    if (a->out != b->out) return differ(w, "node '%s': output differs", a->name);
    return node_geometry_equal(w, a, b) && node_epilogue_equal(w, a, b);
}

int graph_equal(const Graph *a, const Graph *b, char *why, size_t whylen)
{
    Why w = {why, whylen};
    if (why && whylen) why[0] = '\0';
    const char *na = a->name ? a->name : "", *nb = b->name ? b->name : "";
    if (strcmp(na, nb) != 0) return differ(&w, "graph name '%s' vs '%s'", na, nb);
    if (a->ntensors != b->ntensors) return differ(&w, "%d vs %d tensors", a->ntensors, b->ntensors);
    if (a->nnodes != b->nnodes) return differ(&w, "%d vs %d nodes", a->nnodes, b->nnodes);
    for (int i = 0; i < a->ntensors; i++)
        if (!tensor_equal(&w, a->tensors[i], b->tensors[i])) return 0;
    for (int i = 0; i < a->nnodes; i++)
        if (!node_equal(&w, a->nodes[i], b->nodes[i])) return 0;
    if (a->ninputs != b->ninputs || !same_ints(a->inputs, b->inputs, a->ninputs))
        return differ(&w, "graph inputs differ");
    if (a->noutputs != b->noutputs || !same_ints(a->outputs, b->outputs, a->noutputs))
        return differ(&w, "graph outputs differ");
    return 1;
}
