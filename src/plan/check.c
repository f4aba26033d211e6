/* check.c: an independent checker of a finished Plan.
 *
 * It recomputes, from the layer's shapes and the chosen tile sizes only, what
 * every L1 buffer must hold, and checks that the plan's buffers are at least
 * that large, do not overlap, and fit the L1 budget; that L2 buffers whose
 * lifetimes intersect do not overlap and fit the L2 budget; that L3 fits.
 * It deliberately shares no code with the solver or the cost model (only
 * the IR queries): a bug in cost.c must not hide itself here.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static int fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && size) vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return -1;
}

static int64_t up(int64_t a, int64_t b) { return (a + b - 1) / b; }

static int check_dims(const L1Plan *l, const char *name, char *msg, size_t size)
{
    for (int d = 0; d < TD_COUNT; d++) {
        const TileDim *t = &l->d[d];
        if (t->tile < 1 || t->tile > t->size || t->n != up(t->size, t->tile) ||
            t->last != t->size - (t->n - 1) * t->tile || t->last < 1)
            return fail(msg, size,
                        "layer '%s': inconsistent tile dimension %d (size %lld, tile "
                        "%lld, n %lld, last %lld)",
                        name, d, (long long)t->size, (long long)t->tile, (long long)t->n,
                        (long long)t->last);
    }
    return 0;
}

/* Minimum bytes of each L1 buffer, from the shapes alone. */
static void need_bytes(const PlanGeom *g, const L1Plan *l, int64_t need[BUF_COUNT])
{
    int64_t co = l->d[TD_CO].tile, ho = l->d[TD_HO].tile, wo = l->d[TD_WO].tile;
    int64_t ci = l->d[TD_CI].tile;
    int64_t rows = (ho - 1) * g->sh + (int64_t)(g->kh - 1) * g->dh + 1;
    int64_t cols = (wo - 1) * g->sw + (int64_t)(g->kw - 1) * g->dw + 1;
    if (rows > g->hin) rows = g->hin;
    if (cols > g->win) cols = g->win;
    memset(need, 0, sizeof(int64_t) * BUF_COUNT);
    for (int i = 0; i < g->nin; i++) {
        int64_t ch = !g->coupled ? ci : g->kind == KK_COPY ? g->cin[i] : co / g->gout * g->gin;
        int64_t px = i == 1 && g->in1_pixel ? 1 : rows * cols;
        need[i == 1 && g->kind == KK_ADD ? BUF_IN1 : BUF_IN0] += px * ch * g->in_elem[i];
    }
    if (g->w_elem) need[BUF_W] = co * g->kh * g->kw * (g->coupled ? g->gin : ci) * g->w_elem;
    need[BUF_RQ] = co * g->rq_per_ch + g->rq_fixed;
    need[BUF_OUT] = ho * wo * co * g->out_elem;
    if (l->d[TD_CI].n > 1) need[BUF_ACC] = ho * wo * co * 4;
}

static int check_l1(const PlanGeom *g, const L1Plan *l, int64_t budget, const char *name, char *msg,
                    size_t size)
{
    if (check_dims(l, name, msg, size)) return -1;
    int64_t need[BUF_COUNT];
    need_bytes(g, l, need);
    int64_t lo[2 * BUF_COUNT], hi[2 * BUF_COUNT];
    int k = 0;
    int64_t multi = l->d[TD_HO].n * l->d[TD_WO].n * l->d[TD_CO].n > 1; /* output tiles */
    for (int b = 0; b < BUF_COUNT; b++) {
        const L1Buf *B = &l->buf[b];
        if (need[b] > 0 && (B->bytes < need[b] || B->nbuf < 1))
            return fail(msg, size, "layer '%s': L1 buffer '%s' has %lld bytes, needs %lld", name,
                        plan_buf_name((L1BufId)b), (long long)B->bytes, (long long)need[b]);
        if (b == BUF_OUT && multi && B->nbuf != 2)
            return fail(msg, size, "layer '%s': output tile not double-buffered", name);
        for (int c = 0; c < B->nbuf; c++) {
            if (B->off[c] % 4 || B->off[c] < 0)
                return fail(msg, size, "layer '%s': misaligned L1 buffer '%s'", name,
                            plan_buf_name((L1BufId)b));
            lo[k] = B->off[c];
            hi[k++] = B->off[c] + B->bytes;
            if (B->off[c] + B->bytes > budget)
                return fail(msg, size, "layer '%s': L1 buffer '%s' ends at %lld, budget %lld", name,
                            plan_buf_name((L1BufId)b), (long long)(B->off[c] + B->bytes),
                            (long long)budget);
        }
    }
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (lo[i] < hi[j] && lo[j] < hi[i] && hi[i] > lo[i] && hi[j] > lo[j])
                return fail(msg, size, "layer '%s': L1 buffers overlap", name);
    return 0;
}

typedef struct Span {
    int64_t off, size;
    int first, last;
    const char *what;
} Span;

static int check_spans(const Span *s, int n, int64_t limit, const char *level, char *msg,
                       size_t size)
{
    for (int i = 0; i < n; i++) {
        if (s[i].off < 0 || s[i].off + s[i].size > limit)
            return fail(msg, size, "%s: '%s' [%lld, %lld) is outside the %lld-byte budget", level,
                        s[i].what, (long long)s[i].off, (long long)(s[i].off + s[i].size),
                        (long long)limit);
        for (int j = i + 1; j < n; j++) {
            int live = !(s[i].last < s[j].first || s[j].last < s[i].first);
            int mem = s[i].off < s[j].off + s[j].size && s[j].off < s[i].off + s[i].size;
            if (live && mem && s[i].size && s[j].size)
                return fail(msg, size, "%s: '%s' and '%s' overlap while both live", level,
                            s[i].what, s[j].what);
        }
    }
    return 0;
}

static int add_span(Span *v, int *n, int64_t off, int64_t size, int first, int last,
                    const char *what)
{
    if (size <= 0) return 0;
    v[(*n)++] = (Span){off, size, first, last, what};
    return 0;
}

static int check_memory(const Plan *p, char *msg, size_t size)
{
    const Graph *g = p->g;
    int cap = g->ntensors + 6 * p->nlayers + 1;
    Span *l2 = util_calloc((size_t)cap, sizeof *l2), *l3 = util_calloc((size_t)cap, sizeof *l3);
    Span *img = util_calloc((size_t)cap, sizeof *img);
    int n2 = 0, n3 = 0, ni = 0, rc = 0;
    if (!l2 || !l3 || !img) rc = fail(msg, size, "out of memory");
    for (int i = 0; i < g->ntensors && !rc; i++) {
        const TensorPlan *tp = &p->tensors[i];
        const char *name = g->tensors[i]->name;
        if (tp->loc == LOC_L2 && g->tensors[i]->is_const) {
            if (!tp->staged) add_span(img, &ni, tp->offset, tp->bytes, 0, 0, name);
        } else if (tp->loc == LOC_L2)
            add_span(l2, &n2, tp->offset, tp->bytes, tp->first, tp->last, name);
        if (tp->loc == LOC_L3) add_span(l3, &n3, tp->offset, tp->bytes, 0, 0, g->tensors[i]->name);
    }
    for (int n = 0; n < p->nlayers && !rc; n++) {
        const L3Plan *s = &p->layers[n].l3;
        if (p->layers[n].status != PLAN_OK) continue;
        const char *name = g->nodes[n]->name;
        add_span(img, &ni, p->layers[n].consts_off, plan_consts_image_bytes(&p->layers[n]), 0, 0,
                 name);
        for (int k = 0; k < s->w_nbuf; k++) /* copy 0 of a prefetch: from the layer before */
            add_span(l2, &n2, s->w_off[k], s->w_buf, k == 0 && s->w_pre ? s->w_pre_from : n, n,
                     name);
        for (int k = 0; k < s->in_nbuf; k++) add_span(l2, &n2, s->in_off[k], s->in_buf, n, n, name);
        for (int k = 0; k < s->out_nbuf; k++)
            add_span(l2, &n2, s->out_off[k], s->out_buf, n, n, name);
    }
    if (!rc) rc = check_spans(img, ni, p->l2_image, "L2 image", msg, size);
    if (!rc) rc = check_spans(l2, n2, p->l2_budget - plan_l2_image_in_l2(p), "L2", msg, size);
    if (!rc && p->target.levels >= 3) rc = check_spans(l3, n3, p->target.l3.size, "L3", msg, size);
    free(img);
    free(l2);
    free(l3);
    return rc;
}

static TensorLoc loc_of(const Plan *p, int id)
{
    for (int guard = 0; p->tensors[id].loc == LOC_ALIAS && guard < 1000; guard++)
        id = p->tensors[id].alias;
    return p->tensors[id].loc;
}

/* The L3 plan streams exactly the operands that live in L3, and channel
 * tiles of grouped layers hold whole groups. */
static int check_placement(const Plan *p, const LayerPlan *lp, const char *name, char *msg,
                           size_t size)
{
    const Node *node = p->g->nodes[lp->node];
    const L3Plan *s = &lp->l3;
    int in_l3 = 0, w_l3 = 0;
    for (int k = 0; k < node->nin; k++) {
        const Tensor *t = p->g->tensors[node->in[k]];
        if (loc_of(p, t->id) != LOC_L3) continue;
        if (t->is_const)
            w_l3 = 1;
        else
            in_l3 = 1;
    }
    if (node->op != OP_CONCAT &&
        (in_l3 != s->in_l3 || w_l3 != s->w_stream || (loc_of(p, node->out) == LOC_L3) != s->out_l3))
        return fail(msg, size, "layer '%s': the L3 plan and the tensor placement disagree", name);
    const PlanGeom *g = &lp->geom;
    if (lp->l1.d[TD_CI].n > 1 && !g->ci_tiling)
        return fail(msg, size, "layer '%s': input channels tiled for a kernel without partial sums",
                    name);
    int64_t in_row = 0;
    for (int i = 0; i < g->nin; i++)
        if (i != 1 || !g->in1_pixel) in_row += g->win * g->cin[i] * g->in_elem[i];
    if (s->in_nbuf && s->in_buf < s->in_rows * in_row)
        return fail(msg, size, "layer '%s': L2 input row buffer too small", name);
    if (g->coupled && g->gout > 1 && (lp->l1.d[TD_CO].tile % g->gout || s->co_slice.tile % g->gout))
        return fail(msg, size, "layer '%s': channel tiles cut groups of %lld channels", name,
                    (long long)g->gout);
    return 0;
}

/* An L3 slice's staging buffers hold what one slice moves. */
static int check_l3(const Plan *p, const LayerPlan *lp, const char *name, char *msg, size_t size)
{
    const PlanGeom *g = &lp->geom;
    const L3Plan *s = &lp->l3;
    int64_t rows = s->row_slice.tile, co = s->co_slice.tile;
    int64_t wch = g->coupled ? g->gin : g->cin_total;
    if (s->w_nbuf && s->w_buf < co * g->kh * g->kw * wch * g->w_elem)
        return fail(msg, size, "layer '%s': L2 weight slice buffer too small", name);
    if (s->out_nbuf && s->out_buf < rows * g->wo * g->co * g->out_elem)
        return fail(msg, size, "layer '%s': L2 output row buffer too small", name);
    const Node *node = p->g->nodes[lp->node];
    for (int k = 0; k < node->nin; k++) {
        const Tensor *c = p->g->tensors[node->in[k]];
        if (!c->is_const) continue;
        TensorLoc loc = p->tensors[c->id].loc;
        if (loc != LOC_L2 && !(loc == LOC_L3 && s->w_nbuf))
            return fail(msg, size, "layer '%s': constant '%s' neither resident nor streamed", name,
                        c->name);
    }
    if (lp->l1.d[TD_CO].size != co || lp->l1.d[TD_HO].size != rows)
        return fail(msg, size, "layer '%s': L1 tiling is not of the L3 slice", name);
    return check_placement(p, lp, name, msg, size);
}

int plan_check(const Plan *p, char *msg, size_t size)
{
    int64_t l1 = p->target.l1.size - p->target.l1_reserve;
    for (int n = 0; n < p->nlayers; n++) {
        const LayerPlan *lp = &p->layers[n];
        const char *name = p->g->nodes[n]->name;
        if (lp->status == PLAN_NO_DATA) continue;
        if (lp->status != PLAN_OK)
            return fail(msg, size, "layer '%s' has no plan (%s)", name,
                        plan_status_name(lp->status));
        if (p->target.levels < 2) continue;
        /* the last slice is a smaller sub-layer: its own shape, the same buffers */
        PlanGeom last = lp->geom;
        last.ho = lp->l1_last.d[TD_HO].size;
        last.co = lp->l1_last.d[TD_CO].size;
        PlanGeom full = lp->geom;
        full.ho = lp->l1.d[TD_HO].size;
        full.co = lp->l1.d[TD_CO].size;
        if (full.ho < lp->geom.ho) full.hin = last.hin = DORY_MIN(lp->geom.hin, lp->l3.in_rows);
        if (check_l1(&full, &lp->l1, l1, name, msg, size) ||
            check_l1(&last, &lp->l1_last, l1, name, msg, size) || check_l3(p, lp, name, msg, size))
            return -1;
    }
    return check_memory(p, msg, size);
}
