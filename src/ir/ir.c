/* ir.c: the IR's tables, graph construction and queries.
 *
 * Must not interpret data (that is interp.c) nor judge validity beyond what
 * construction needs (that is verify.c).
 */
#include "ir.h"

#include <string.h>

/* ---- Tables ------------------------------------------------------------- */

/* Shift counts are masked so the unused 64-bit branch stays well-formed. */
#define RANGE_MIN(bits, sgn)                                                                       \
    ((bits) >= 64 ? INT64_MIN : (sgn) ? -((int64_t)1 << (((bits)-1) & 63)) : 0)
#define RANGE_MAX(bits, sgn)                                                                       \
    ((bits) >= 64 ? INT64_MAX                                                                      \
     : (sgn)      ? ((int64_t)1 << (((bits)-1) & 63)) - 1                                          \
                  : ((int64_t)1 << ((bits)&63)) - 1)

static const DTypeInfo dtype_table[] = {
#define X(e, name, bits, sgn, bytes, act)                                                          \
    {name, bits, sgn, bytes, act, RANGE_MIN(bits, sgn), RANGE_MAX(bits, sgn)},
    DORY_DTYPES(X)
#undef X
};
_Static_assert(DORY_ARRAY_LEN(dtype_table) == DT_COUNT, "dtype table out of step");

static const OpInfo op_table[] = {
#define X(e, name, mn, mx, epi, desc) {name, mn, mx, epi, desc},
    DORY_OPS(X)
#undef X
};
_Static_assert(DORY_ARRAY_LEN(op_table) == OP_COUNT, "op table out of step");

static const char *const rq_names[] = {
#define X(e, name, desc) name,
    DORY_RQ_SCHEMES(X)
#undef X
};
_Static_assert(DORY_ARRAY_LEN(rq_names) == RQ_COUNT, "requant table out of step");

static const char *const avg_names[] = {
#define X(e, name, desc) name,
    DORY_AVG_ROUNDS(X)
#undef X
};
_Static_assert(DORY_ARRAY_LEN(avg_names) == AVG_COUNT, "avg round table out of step");

const DTypeInfo *dtype_info(DType dt)
{
    DORY_ASSERT((unsigned)dt < DT_COUNT);
    return &dtype_table[dt];
}
const char *dtype_name(DType dt) { return dtype_info(dt)->name; }
const OpInfo *op_info(Op op)
{
    DORY_ASSERT((unsigned)op < OP_COUNT);
    return &op_table[op];
}
const char *op_name(Op op) { return op_info(op)->name; }
const char *rq_scheme_name(RqScheme s)
{
    DORY_ASSERT((unsigned)s < RQ_COUNT);
    return rq_names[s];
}
const char *avg_round_name(AvgRound r)
{
    DORY_ASSERT((unsigned)r < AVG_COUNT);
    return avg_names[r];
}

static int lookup(const char *const *names, int count, size_t stride, const char *name)
{
    for (int i = 0; i < count; i++) {
        const char *n = *(const char *const *)((const char *)names + (size_t)i * stride);
        if (strcmp(n, name) == 0) return i;
    }
    return -1;
}

int dtype_from_name(const char *name, DType *out)
{
    int i = lookup(&dtype_table[0].name, DT_COUNT, sizeof dtype_table[0], name);
    if (i >= 0) *out = (DType)i;
    return i < 0 ? -1 : 0;
}
int op_from_name(const char *name, Op *out)
{
    int i = lookup(&op_table[0].name, OP_COUNT, sizeof op_table[0], name);
    if (i >= 0) *out = (Op)i;
    return i < 0 ? -1 : 0;
}
int rq_scheme_from_name(const char *name, RqScheme *out)
{
    int i = lookup(rq_names, RQ_COUNT, sizeof rq_names[0], name);
    if (i >= 0) *out = (RqScheme)i;
    return i < 0 ? -1 : 0;
}
int avg_round_from_name(const char *name, AvgRound *out)
{
    int i = lookup(avg_names, AVG_COUNT, sizeof avg_names[0], name);
    if (i >= 0) *out = (AvgRound)i;
    return i < 0 ? -1 : 0;
}

/* ---- Construction ------------------------------------------------------- */

Graph *graph_new(const char *name)
{
    Arena a;
    arena_init(&a);
    Graph *g = arena_alloc(&a, sizeof *g);
    if (!g) {
        arena_free(&a);
        return NULL;
    }
    g->arena = a;
    g->name = arena_strdup(&g->arena, name ? name : "graph");
    return g;
}

void graph_free(Graph *g)
{
    if (!g) return;
    Arena a = g->arena; /* g itself lives in the arena */
    arena_free(&a);
}

static int grow(Graph *g, void ***items, int *cap, int count)
{
    if (count < *cap) return 0;
    int ncap = *cap ? *cap * 2 : 64;
    void **n = arena_alloc_array(&g->arena, (size_t)ncap, sizeof(void *));
    if (!n) return -1;
    if (count) memcpy(n, *items, (size_t)count * sizeof(void *));
    *items = n;
    *cap = ncap;
    return 0;
}

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int name_index_find(const NameIndex *m, const char *name,
                    const char *(*name_of)(const Graph *, int), const Graph *g)
{
    if (!m->cap) return -1;
    for (unsigned i = name_hash(name) & (unsigned)(m->cap - 1);;
         i = (i + 1) & (unsigned)(m->cap - 1)) {
        int v = m->slots[i];
        if (!v) return -1;
        if (strcmp(name_of(g, v - 1), name) == 0) return v - 1;
    }
}

int name_index_put(Graph *g, NameIndex *m, const char *name, int id,
                   const char *(*name_of)(const Graph *, int))
{
    if (2 * (m->count + 1) > m->cap) {
        int ncap = m->cap ? m->cap * 2 : 64;
        int *slots = arena_alloc_array(&g->arena, (size_t)ncap, sizeof(int));
        if (!slots) return -1;
        for (int i = 0; i < m->cap; i++) {
            if (!m->slots[i]) continue;
            unsigned j = name_hash(name_of(g, m->slots[i] - 1)) & (unsigned)(ncap - 1);
            while (slots[j]) j = (j + 1) & (unsigned)(ncap - 1);
            slots[j] = m->slots[i];
        }
        m->slots = slots;
        m->cap = ncap;
    }
    unsigned j = name_hash(name) & (unsigned)(m->cap - 1);
    while (m->slots[j]) j = (j + 1) & (unsigned)(m->cap - 1);
    m->slots[j] = id + 1;
    m->count++;
    return 0;
}

static const char *tensor_name_of(const Graph *g, int id) { return g->tensors[id]->name; }

int graph_find_tensor(const Graph *g, const char *name)
{
    return name_index_find(&g->tensor_index, name, tensor_name_of, g);
}

int graph_reindex_tensors(Graph *g)
{
    g->tensor_index = (NameIndex){0};
    for (int i = 0; i < g->ntensors; i++)
        if (name_index_put(g, &g->tensor_index, g->tensors[i]->name, i, tensor_name_of)) return -1;
    return 0;
}

int graph_add_tensor(Graph *g, const char *name, DType dt, int rank, const int64_t *shape)
{
    DiagLoc loc = {g->source, 0, 0, 0};
    if (rank < 0 || rank > DORY_MAX_RANK)
        return diag_error(loc, "tensor '%s': rank %d is not supported (at most %d)", name, rank,
                          DORY_MAX_RANK);
    if (graph_find_tensor(g, name) >= 0)
        return diag_error(loc, "tensor '%s' is defined twice", name);
    int64_t numel = 1;
    for (int i = 0; i < rank; i++)
        if (shape[i] < 0 || util_mul_i64(numel, shape[i], &numel) || numel > ((int64_t)1 << 40))
            return diag_error(loc, "tensor '%s': absurd shape", name);
    if (grow(g, (void ***)&g->tensors, &g->cap_tensors, g->ntensors)) return -1;
    Tensor *t = arena_alloc(&g->arena, sizeof *t);
    if (!t) return -1;
    t->id = g->ntensors;
    t->name = arena_strdup(&g->arena, name);
    t->dtype = dt;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->shape[i] = shape[i];
    t->producer = -1;
    g->tensors[g->ntensors++] = t;
    if (name_index_put(g, &g->tensor_index, t->name, t->id, tensor_name_of)) return -1;
    return t->id;
}

void *tensor_alloc_data(Graph *g, Tensor *t)
{
    t->is_const = true;
    t->data =
        arena_alloc_array(&g->arena, (size_t)tensor_numel(t), (size_t)dtype_info(t->dtype)->bytes);
    return t->data;
}

int graph_add_const(Graph *g, const char *name, DType dt, int rank, const int64_t *shape,
                    const int64_t *values)
{
    int id = graph_add_tensor(g, name, dt, rank, shape);
    if (id < 0) return -1;
    Tensor *t = g->tensors[id];
    if (!tensor_alloc_data(g, t)) return -1;
    if (values)
        for (int64_t i = 0; i < tensor_numel(t); i++) tensor_set(t, i, values[i]);
    return id;
}

int graph_add_const_f32(Graph *g, const char *name, int rank, const int64_t *shape,
                        const float *values)
{
    int id = graph_add_tensor(g, name, DT_F32, rank, shape);
    if (id < 0) return -1;
    Tensor *t = g->tensors[id];
    if (!tensor_alloc_data(g, t)) return -1;
    memcpy(t->data, values, (size_t)tensor_numel(t) * sizeof(float));
    return id;
}

Requant rq_none(void)
{
    Requant r;
    memset(&r, 0, sizeof r);
    r.scheme = RQ_NONE;
    r.k = r.l = r.mult = r.shift = r.scale = r.table = -1;
    return r;
}

Node *graph_add_node(Graph *g, const char *name, Op op, int nin, const int *in, int out)
{
    DORY_ASSERT(nin >= 0 && nin <= DORY_MAX_INPUTS);
    if (grow(g, (void ***)&g->nodes, &g->cap_nodes, g->nnodes)) return NULL;
    Node *n = arena_alloc(&g->arena, sizeof *n);
    if (!n) return NULL;
    n->id = g->nnodes;
    n->name = arena_strdup(&g->arena, name);
    n->op = op;
    n->nin = nin;
    for (int i = 0; i < nin; i++) n->in[i] = in[i];
    n->out = out;
    n->kernel[0] = n->kernel[1] = 1;
    n->stride[0] = n->stride[1] = 1;
    n->dilation[0] = n->dilation[1] = 1;
    n->groups = 1;
    n->avg_round = AVG_FLOOR;
    n->avg_table = -1;
    n->rq = rq_none();
    n->in_rq[0] = n->in_rq[1] = rq_none();
    if (out >= 0 && out < g->ntensors) {
        const DTypeInfo *di = dtype_info(g->tensors[out]->dtype);
        n->lo = (int32_t)DORY_MAX(di->min, INT32_MIN);
        n->hi = (int32_t)DORY_MIN(di->max, INT32_MAX);
    }
    g->nodes[g->nnodes++] = n;
    return n;
}

static int add_io(Graph *g, int *list, int *count, int tensor)
{
    if (*count >= DORY_MAX_INPUTS)
        return diag_error((DiagLoc){g->source, 0, 0, 0}, "too many graph inputs or outputs");
    list[(*count)++] = tensor;
    return 0;
}
int graph_add_input(Graph *g, int tensor) { return add_io(g, g->inputs, &g->ninputs, tensor); }
int graph_add_output(Graph *g, int tensor) { return add_io(g, g->outputs, &g->noutputs, tensor); }

static int rq_const(Graph *g, Node *n, const char *suffix, DType dt, int nch, const int64_t *v)
{
    char *name = arena_printf(&g->arena, "%s.%s", n->name, suffix);
    int64_t shape[1] = {nch};
    return name ? graph_add_const(g, name, dt, 1, shape, v) : -1;
}

int rq_make_shift(Graph *g, Node *n, Requant *rq, int nch, const int64_t *k, const int64_t *l,
                  int d)
{
    *rq = rq_none();
    rq->scheme = RQ_SHIFT;
    rq->d = d;
    DType dt = DT_I32;
    for (int i = 0; i < nch; i++)
        if (k[i] < INT32_MIN || k[i] > INT32_MAX || (l && (l[i] < INT32_MIN || l[i] > INT32_MAX)))
            dt = DT_I64;
    const char *sfx = rq == &n->rq ? "" : rq == &n->in_rq[0] ? "a" : "b";
    char kname[8], lname[8];
    snprintf(kname, sizeof kname, "%sk", sfx);
    snprintf(lname, sizeof lname, "%sl", sfx);
    rq->k = rq_const(g, n, kname, dt, nch, k);
    if (rq->k < 0) return -1;
    if (l) {
        rq->l = rq_const(g, n, lname, dt, nch, l);
        if (rq->l < 0) return -1;
    }
    return 0;
}

int rq_add_f32int_shortcut(Graph *g, Node *n, Requant *rq, int nch, const int64_t *k,
                           const int64_t *l, int d)
{
    rq->d = d;
    rq->k = rq_const(g, n, "k", DT_I32, nch, k);
    rq->l = rq->k < 0 ? -1 : rq_const(g, n, "l", DT_I64, nch, l);
    return rq->l < 0 ? -1 : 0;
}

int rq_make_fixed(Graph *g, Node *n, Requant *rq, int nch, const int32_t *mult,
                  const int32_t *shift, int pre)
{
    *rq = rq_none();
    rq->scheme = RQ_FIXED;
    rq->pre = pre;
    int64_t *tmp = arena_alloc_array(&g->arena, (size_t)nch * 2, sizeof(int64_t));
    if (!tmp) return -1;
    for (int i = 0; i < nch; i++) {
        tmp[i] = mult[i];
        tmp[nch + i] = shift[i];
    }
    const char *sfx = rq == &n->rq ? "" : rq == &n->in_rq[0] ? "a" : "b";
    char mname[12], sname[12];
    snprintf(mname, sizeof mname, "%smult", sfx);
    snprintf(sname, sizeof sname, "%sshift", sfx);
    rq->mult = rq_const(g, n, mname, DT_I32, nch, tmp);
    rq->shift = rq_const(g, n, sname, DT_I32, nch, tmp + nch);
    return rq->mult < 0 || rq->shift < 0 ? -1 : 0;
}

int rq_make_fixed_sr(Graph *g, Node *n, Requant *rq, int nch, const int32_t *mult,
                     const int32_t *shift)
{
    int rc = rq_make_fixed(g, n, rq, nch, mult, shift, 0);
    rq->scheme = RQ_FIXED_SR;
    return rc;
}

int rq_make_float(Graph *g, Node *n, Requant *rq, int nch, const float *scale)
{
    *rq = rq_none();
    rq->scheme = RQ_FLOAT;
    const char *sfx = rq == &n->rq ? "" : rq == &n->in_rq[0] ? "a" : "b";
    char *name = arena_printf(&g->arena, "%s.%sscale", n->name, sfx);
    int64_t shape[1] = {nch};
    rq->scale = name ? graph_add_const_f32(g, name, 1, shape, scale) : -1;
    return rq->scale < 0 ? -1 : 0;
}

int rq_make_lut(Graph *g, Node *n, Requant *rq, int nvals, const int64_t *vals, int base)
{
    *rq = rq_none();
    rq->scheme = RQ_LUT;
    rq->base = base;
    rq->table = rq_const(g, n, "table", DT_I32, nvals, vals);
    return rq->table < 0 ? -1 : 0;
}

/* Diagnostics for a tensor listed twice among the graph's inputs (outputs). */
static int io_duplicates(const Graph *g, const int *ids, int n, const char *what)
{
    int errors = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (ids[i] == ids[j]) {
                const Tensor *t = graph_tensor(g, ids[i]);
                errors += diag_error((DiagLoc){g->source, 0, 0, 0}, "graph %s '%s' is listed twice",
                                     what, t ? t->name : "?") != 0;
            }
    return errors;
}

int graph_finalize(Graph *g)
{
    /* the graph's shape first: its most basic fault is the one reported */
    DiagLoc gl = {g->source, 0, 0, 0};
    if (g->ninputs == 0) return diag_error(gl, "graph has no input");
    if (g->noutputs == 0) return diag_error(gl, "graph has no output");
    if (g->nnodes == 0) return diag_error(gl, "graph has no layers");
    if (io_duplicates(g, g->inputs, g->ninputs, "input") ||
        io_duplicates(g, g->outputs, g->noutputs, "output"))
        return -1;
    int errors = 0;
    for (int i = 0; i < g->ntensors; i++) g->tensors[i]->producer = -1;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        n->id = i;
        DiagLoc loc = node_loc(g, n);
        for (int j = 0; j < n->nin; j++) {
            if (n->in[j] < 0 || n->in[j] >= g->ntensors) {
                errors += diag_error(loc, "input %d refers to no tensor", j) != 0;
                continue;
            }
            Tensor *t = g->tensors[n->in[j]];
            if (!t->is_const && t->producer < 0) {
                int is_input = 0;
                for (int k = 0; k < g->ninputs; k++) is_input |= g->inputs[k] == t->id;
                if (!is_input)
                    errors += diag_error(loc,
                                         "input '%s' is used before it is computed "
                                         "(nodes must be in topological order)",
                                         t->name) != 0;
            }
        }
        if (n->out < 0 || n->out >= g->ntensors) {
            errors += diag_error(loc, "output refers to no tensor") != 0;
            continue;
        }
        Tensor *o = g->tensors[n->out];
        if (o->is_const || o->producer >= 0)
            errors += diag_error(loc, "output '%s' is written twice", o->name) != 0;
        o->producer = i;
    }
    for (int i = 0; i < g->noutputs; i++) {
        Tensor *t = graph_tensor(g, g->outputs[i]);
        if (!t || (t->producer < 0 && !t->is_const))
            errors += diag_error((DiagLoc){g->source, 0, 0, 0}, "graph output %d is never computed",
                                 i) != 0;
    }
    return errors ? -1 : 0;
}

/* ---- Queries ------------------------------------------------------------ */

Tensor *graph_tensor(const Graph *g, int id)
{
    return id >= 0 && id < g->ntensors ? g->tensors[id] : NULL;
}

int64_t tensor_numel(const Tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->shape[i];
    return n;
}

int64_t tensor_bytes(const Tensor *t) { return tensor_numel(t) * dtype_info(t->dtype)->bytes; }

int64_t tensor_get(const Tensor *t, int64_t i)
{
    DORY_ASSERT(t->data && i >= 0 && i < tensor_numel(t));
    switch (t->dtype) {
    case DT_I8:
    case DT_I4:
    case DT_I2: return ((const int8_t *)t->data)[i];
    case DT_U8:
    case DT_U4:
    case DT_U2: return ((const uint8_t *)t->data)[i];
    case DT_I32: return ((const int32_t *)t->data)[i];
    case DT_I64: return ((const int64_t *)t->data)[i];
    case DT_F32: return (int64_t)((const float *)t->data)[i];
    case DT_COUNT: break;
    }
    DORY_ASSERT(0);
}

void tensor_set(Tensor *t, int64_t i, int64_t v)
{
    DORY_ASSERT(t->data && i >= 0 && i < tensor_numel(t));
    switch (t->dtype) {
    case DT_I8:
    case DT_I4:
    case DT_I2: ((int8_t *)t->data)[i] = (int8_t)v; return;
    case DT_U8:
    case DT_U4:
    case DT_U2: ((uint8_t *)t->data)[i] = (uint8_t)v; return;
    case DT_I32: ((int32_t *)t->data)[i] = (int32_t)v; return;
    case DT_I64: ((int64_t *)t->data)[i] = v; return;
    case DT_F32: ((float *)t->data)[i] = (float)v; return;
    case DT_COUNT: break;
    }
    DORY_ASSERT(0);
}

float tensor_get_f32(const Tensor *t, int64_t i)
{
    DORY_ASSERT(t->data && t->dtype == DT_F32 && i >= 0 && i < tensor_numel(t));
    return ((const float *)t->data)[i];
}

int32_t tensor_zp_at(const Tensor *t, int64_t channel)
{
    if (t->zps && t->nzps > 1) return t->zps[channel];
    if (t->zps && t->nzps == 1) return t->zps[0];
    return t->zp;
}

void node_kernel(const Graph *g, const Node *n, int *kh, int *kw)
{
    if (n->op == OP_CONV2D && n->nin > 1 && graph_tensor(g, n->in[1]) &&
        graph_tensor(g, n->in[1])->rank == 4) {
        const Tensor *w = graph_tensor(g, n->in[1]);
        *kh = (int)w->shape[1];
        *kw = (int)w->shape[2];
    } else if (n->global && n->nin > 0) {
        const Tensor *x = graph_tensor(g, n->in[0]);
        *kh = (int)act_h(x);
        *kw = (int)act_w(x);
    } else {
        *kh = n->kernel[0];
        *kw = n->kernel[1];
    }
}

int64_t node_macs(const Graph *g, const Node *n)
{
    const Tensor *y = graph_tensor(g, n->out);
    if (!y) return 0;
    switch (n->op) {
    case OP_CONV2D: {
        const Tensor *w = graph_tensor(g, n->in[1]);
        return tensor_numel(y) * w->shape[1] * w->shape[2] * w->shape[3];
    }
    case OP_FC: {
        const Tensor *w = graph_tensor(g, n->in[1]);
        return tensor_numel(y) * w->shape[1];
    }
    case OP_AVGPOOL:
    case OP_MAXPOOL: {
        int kh, kw;
        node_kernel(g, n, &kh, &kw);
        return tensor_numel(y) * kh * kw;
    }
    case OP_ADD:
    case OP_MUL: return tensor_numel(y);
    default: return 0;
    }
}

static int64_t const_bytes(const Graph *g, int id)
{
    const Tensor *t = graph_tensor(g, id);
    return t && t->is_const ? tensor_bytes(t) : 0;
}

static int64_t rq_bytes(const Graph *g, const Requant *r)
{
    return const_bytes(g, r->k) + const_bytes(g, r->l) + const_bytes(g, r->mult) +
           const_bytes(g, r->shift) + const_bytes(g, r->scale);
}

int64_t node_param_bytes(const Graph *g, const Node *n)
{
    int64_t b = rq_bytes(g, &n->rq) + rq_bytes(g, &n->in_rq[0]) + rq_bytes(g, &n->in_rq[1]);
    for (int i = 0; i < n->nin; i++) b += const_bytes(g, n->in[i]);
    return b;
}

DiagLoc node_loc(const Graph *g, const Node *n)
{
    DiagLoc loc = {g->source, 0, n->name, op_name(n->op)};
    return loc;
}

int64_t conv_out_dim(int64_t in, int k, int stride, int dil, int pad_a, int pad_b)
{
    if (stride <= 0 || dil <= 0 || k <= 0) return -1;
    int64_t span = (int64_t)dil * (k - 1) + 1;
    int64_t padded = in + pad_a + pad_b;
    if (padded < span) return -1;
    return (padded - span) / stride + 1;
}
