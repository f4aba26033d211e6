/* build.c: graph builders shared by every frontend (see build.h).
 *
 * Names: the IR requires unique tensor and node names; source models may
 * repeat them or leave them empty. Both sets are hashed and catch up with the
 * graph lazily, so checking a name costs O(1) whoever added the others.
 * Must not know any file format.
 */
#include "build.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "ir/quant.h"

void build_init(Builder *b, Graph *g, SrcLayout layout, BuildErrFn err, void *err_ctx)
{
    memset(b, 0, sizeof *b);
    b->g = g;
    b->layout = layout;
    b->err = err;
    b->err_ctx = err_ctx;
}

int build_error(Builder *b, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (b->err) return b->err(b->err_ctx, msg);
    return diag_error((DiagLoc){b->g->source, 0, NULL, NULL}, "%s", msg);
}

size_t build_name_hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* ---- Name sets ------------------------------------------------------------ */

static const char **set_slot(const NameSet *s, const char *name)
{
    size_t i = build_name_hash(name) & (s->cap - 1);
    while (s->slot[i] && strcmp(s->slot[i], name) != 0) i = (i + 1) & (s->cap - 1);
    return &s->slot[i];
}

static int set_add(Arena *a, NameSet *s, const char *name)
{
    if (2 * (s->n + 1) > s->cap) {
        NameSet big = {NULL, s->cap ? 2 * s->cap : 64, 0, s->synced};
        if (!(big.slot = arena_alloc_array(a, big.cap, sizeof *big.slot))) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) *set_slot(&big, s->slot[i]) = s->slot[i], big.n++;
        *s = big;
    }
    const char **p = set_slot(s, name);
    if (!*p) *p = name, s->n++;
    return 0;
}

static const char *tensor_name_at(const Graph *g, int i) { return g->tensors[i]->name; }
static const char *node_name_at(const Graph *g, int i) { return g->nodes[i]->name; }

/* 1 if `name` is taken, 0 if free, -1 on allocation failure. */
static int taken(Builder *b, NameSet *s, int count, const char *(*at)(const Graph *, int),
                 const char *name)
{
    for (; s->synced < count; s->synced++)
        if (set_add(&b->g->arena, s, at(b->g, s->synced))) return -1;
    return s->cap && *set_slot(s, name) != NULL;
}

const char *build_tensor_name(Builder *b, const char *base, const char *suffix)
{
    const char *n = arena_printf(&b->g->arena, "%s%s", base, suffix);
    int t;
    while (n && (t = taken(b, &b->tensors, b->g->ntensors, tensor_name_at, n)) != 0)
        n = t < 0 ? NULL : arena_printf(&b->g->arena, "%s%s_%d", base, suffix, ++b->ntmp);
    return n;
}

Node *build_node(Builder *b, const char *base, Op op, int nin, const int *in, int out)
{
    const char *name = base ? base : "node";
    for (int k = 1;; k++) {
        int t = taken(b, &b->nodes, b->g->nnodes, node_name_at, name);
        if (t < 0) return NULL;
        if (!t) break;
        if (!(name = arena_printf(&b->g->arena, "%s_%d", base ? base : "node", k))) return NULL;
    }
    return graph_add_node(b->g, name, op, nin, in, out);
}

/* ---- Tensors -------------------------------------------------------------- */

int build_act(Builder *b, const char *name, DType dt, const int64_t hwc[3], int src_rank,
              const int64_t *src_shape, int32_t zp)
{
    int64_t shape[4] = {1, hwc[0], hwc[1], hwc[2]};
    const char *nm = build_tensor_name(b, name, "");
    int id = nm ? graph_add_tensor(b->g, nm, dt, 4, shape) : -1;
    if (id < 0) return -1;
    Tensor *t = graph_tensor(b->g, id);
    t->zp = zp;
    t->src_layout = b->layout;
    if (b->layout == SRC_CHW) memcpy(t->src_hwc, hwc, sizeof t->src_hwc);
    t->src_rank = src_rank;
    for (int i = 0; i < src_rank; i++) t->src_shape[i] = src_shape[i];
    return id;
}

int build_weights(Builder *b, const char *base, const BuildWeights *w, int rank,
                  const int64_t *shape, const int64_t *perm)
{
    int id = graph_add_const(b->g, build_tensor_name(b, base, ".w"), w->dt, rank, shape, NULL);
    if (id < 0) return -1;
    Tensor *t = graph_tensor(b->g, id);
    int64_t cout = shape[0];
    for (int64_t i = 0; i < tensor_numel(t); i++)
        tensor_set(t, i, (int64_t)w->v[perm ? perm[i] : i]);
    if (w->zp && w->nzp == 1) t->zp = w->zp[0];
    if (w->zp && w->nzp > 1) {
        if (w->nzp != cout)
            return build_error(b, "weights have %d zero points for %lld channels", w->nzp,
                               (long long)cout);
        int32_t *z = arena_alloc_array(&b->g->arena, (size_t)cout, sizeof(int32_t));
        if (!z) return -1;
        memcpy(z, w->zp, (size_t)cout * sizeof(int32_t));
        t->zps = z, t->nzps = (int)cout;
    }
    return id;
}

int build_bias(Builder *b, const char *base, const double *v, int64_t n, int64_t cout)
{
    if (n != cout)
        return build_error(b, "bias has %lld values for %lld channels", (long long)n,
                           (long long)cout);
    int64_t *iv = arena_alloc_array(&b->g->arena, (size_t)cout, sizeof(int64_t));
    if (!iv) return -1;
    for (int64_t i = 0; i < cout; i++) {
        if (!q_is_integral(v[i]) || fabs(v[i]) > 2147483647.0)
            return build_error(b, "bias is not a 32-bit integer");
        iv[i] = (int64_t)v[i];
    }
    int64_t shape[1] = {cout};
    return graph_add_const(b->g, build_tensor_name(b, base, ".b"), DT_I32, 1, shape, iv);
}

/* ---- Layout permutations ---------------------------------------------------- */

int64_t *build_conv_perm(Builder *b, const char *src_order, int64_t cout, int64_t cig, int64_t kh,
                         int64_t kw)
{
    DORY_ASSERT(strlen(src_order) == 4);
    int64_t size[4], stride[4], s = 1; /* per source axis, outermost first */
    for (int i = 3; i >= 0; i--) {
        char ax = src_order[i];
        size[i] = ax == 'O' ? cout : ax == 'I' ? cig : ax == 'H' ? kh : kw;
        stride[i] = s, s *= size[i];
    }
    static const char ir_order[] = "OHWI";
    int64_t st[4] = {0}; /* source stride of each IR axis */
    for (int i = 0; i < 4; i++) {
        const char *p = strchr(ir_order, src_order[i]);
        DORY_ASSERT(p && *p);
        st[p - ir_order] = stride[i];
    }
    int64_t *perm = arena_alloc_array(&b->g->arena, (size_t)s, sizeof(int64_t));
    if (!perm) return NULL;
    for (int64_t o = 0, i = 0; o < cout; o++)
        for (int64_t y = 0; y < kh; y++)
            for (int64_t x = 0; x < kw; x++)
                for (int64_t c = 0; c < cig; c++)
                    perm[i++] = o * st[0] + y * st[1] + x * st[2] + c * st[3];
    return perm;
}

int64_t *build_fc_perm(Builder *b, int64_t n, int64_t h, int64_t w, int64_t c, int src_chw, int kn)
{
    int64_t K = h * w * c;
    int64_t *perm = arena_alloc_array(&b->g->arena, (size_t)(n * K), sizeof(int64_t));
    if (!perm) return NULL;
    for (int64_t o = 0; o < n; o++)
        for (int64_t a = 0; a < h; a++)
            for (int64_t x = 0; x < w; x++)
                for (int64_t ch = 0; ch < c; ch++) {
                    int64_t k_src = src_chw ? (ch * h + a) * w + x : (a * w + x) * c + ch;
                    int64_t k_ir = (a * w + x) * c + ch;
                    perm[o * K + k_ir] = kn ? k_src * n + o : o * K + k_src;
                }
    return perm;
}

/* ---- Geometry and types ------------------------------------------------------- */

void build_same_pad(int64_t in, int64_t k, int64_t stride, int64_t dil, int extra_at_end,
                    int64_t *begin, int64_t *end)
{
    int64_t out = (in + stride - 1) / (stride ? stride : 1);
    int64_t tot = (out - 1) * stride + (k - 1) * dil + 1 - in;
    tot = tot < 0 ? 0 : tot;
    *begin = extra_at_end ? tot / 2 : tot - tot / 2;
    *end = tot - *begin;
}

DType build_dtype_for_range(int64_t lo, int64_t hi)
{
    if (lo >= 0 && hi <= 255) return DT_U8;
    if (lo >= -128 && hi <= 127) return DT_I8;
    return DT_I32;
}

static int graph_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

const char *build_graph_name(Arena *a, const char *model_name, const char *path)
{
    const char *s = model_name;
    size_t len = s ? strlen(s) : 0;
    if (!len && path) {
        const char *slash = strrchr(path, '/');
        s = slash ? slash + 1 : path;
        const char *dot = strrchr(s, '.');
        len = dot && dot > s ? (size_t)(dot - s) : strlen(s);
    }
    if (!len) s = "model", len = 5;
    if (len > BUILD_MAX_NAME) len = BUILD_MAX_NAME;
    char *out = arena_strndup(a, s, len);
    for (char *p = out; p && *p; p++)
        if (!graph_name_char((unsigned char)*p)) *p = '_';
    return out;
}
