/* alloc.c: where every tensor lives and at which offset.
 *
 * 1. Weights stay resident in L2 when all of them fit beside the activation
 *    peak; otherwise every layer streams its constants from L3.
 * 2. Per layer, the L2 left beside the activations live at that layer goes to
 *    the layer's staging buffers (tile_l3_solve). When even one slice cannot
 *    fit, the largest L2 activation live there moves to L3 and the layers
 *    touching it stream it by rows; repeat.
 * 3. Offsets: first fit by decreasing size over lifetimes (a buffer may
 *    reuse bytes of buffers whose lifetimes do not intersect). The peak is
 *    compared with the lower bound (the most bytes live at one layer).
 * 3a. Cross-layer prefetch: a layer that streams its weights from L3 has
 *    its first weight piece read during the layer run before it, when the
 *    L2 left there holds its first weight staging copy, whose lifetime then
 *    starts at that layer (a plan whose first fit exceeds the budget drops
 *    every prefetch).
 * 4. Resident constants are not in that arena: they are part of the
 *    application's image (const data the loader puts in L2) and are read
 *    where they are. They get packed offsets in the L2 image, weights first,
 *    and the arena's budget is what the image leaves.
 * This file must not tile: tile_l3.c and tile_l1.c do.
 */
#include <stdlib.h>
#include <string.h>

#include "plan_int.h"

typedef struct Buf {
    int64_t size;
    int first, last;
    int64_t *off; /* where to write the offset */
} Buf;

typedef struct BufList {
    Buf *v;
    int n, cap;
} BufList;

static int buf_add(BufList *l, int64_t size, int first, int last, int64_t *off)
{
    if (size <= 0) return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        Buf *v = util_realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (Buf){align4(size), first, last, off};
    return 0;
}

static int is_act(const Plan *p, int id)
{
    const TensorPlan *tp = &p->tensors[id];
    return tp->first >= 0 && tp->loc != LOC_ALIAS;
}

static int root_of(const Plan *p, int id)
{
    return p->tensors[id].loc == LOC_ALIAS ? p->tensors[id].alias : id;
}

/* Bytes of L2 activations live at layer n. */
static int64_t live_l2(const Plan *p, int n)
{
    int64_t s = 0;
    for (int i = 0; i < p->g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        if (is_act(p, i) && tp->loc == LOC_L2 && tp->first <= n && n <= tp->last)
            s += align4(tp->bytes);
    }
    return s;
}

static int64_t resident_weight_bytes(const Plan *p)
{
    int64_t s = 0;
    for (int i = 0; i < p->g->ntensors; i++)
        if (p->g->tensors[i]->is_const && p->tensors[i].loc == LOC_L2)
            s += align4(p->tensors[i].bytes);
    return s;
}

static int layer_in_l3(const Plan *p, int n)
{
    const Node *node = p->g->nodes[n];
    int any = 0;
    for (int k = 0; k < node->nin; k++) {
        int id = root_of(p, node->in[k]);
        if (!p->g->tensors[id]->is_const && p->tensors[id].loc == LOC_L3) any = 1;
    }
    return any;
}

/* Marks the constants of layer n as living in `loc`. */
static void place_consts(Plan *p, int n, TensorLoc loc)
{
    const Node *node = p->g->nodes[n];
    for (int k = 0; k < node->nin; k++)
        if (p->g->tensors[node->in[k]]->is_const) p->tensors[node->in[k]].loc = loc;
    const Requant *rqs[3] = {&node->rq, &node->in_rq[0], &node->in_rq[1]};
    for (int r = 0; r < 3; r++) {
        int ids[5] = {rqs[r]->k, rqs[r]->l, rqs[r]->mult, rqs[r]->shift, rqs[r]->scale};
        for (int j = 0; j < 5; j++)
            if (ids[j] >= 0 && ids[j] < p->g->ntensors) p->tensors[ids[j]].loc = loc;
    }
}

static int64_t act_peak_lower_bound(const Plan *p)
{
    int64_t m = 0;
    for (int n = 0; n < p->nlayers; n++) m = DORY_MAX(m, live_l2(p, n));
    return m;
}

static int64_t layer_param_bytes(const Plan *p, int n)
{
    return p->layers[n].status == PLAN_OK ? p->layers[n].geom.param_bytes : 0;
}

/* Would making layer j's constants resident (with `resident` bytes already
 * resident) still leave every streaming layer the L2 for its weights or at
 * least half of what it had with nothing resident? */
static int residency_fits(const Plan *p, const int64_t *base, const char *res, int j,
                          int64_t resident)
{
    int64_t total = resident + align4(layer_param_bytes(p, j));
    for (int i = 0; i < p->nlayers; i++) {
        int64_t free0 = p->l2_budget - base[i];
        int64_t need = 0;
        if (res[i] != 1 && i != j) need = DORY_MIN(align4(layer_param_bytes(p, i)), free0 / 2);
        if (base[i] + total + need > p->l2_budget) return 0;
    }
    return 1;
}

/* All constants resident when they fit; else the smallest layers' constants
 * first, as long as every other layer keeps room to stream its own. */
static void decide_weights(Plan *p)
{
    int64_t params = 0;
    for (int i = 0; i < p->g->ntensors; i++)
        if (p->g->tensors[i]->is_const) params += align4(p->tensors[i].bytes);
    p->weights_resident = params + act_peak_lower_bound(p) <= p->l2_budget;
    int n = p->nlayers;
    int64_t *base = util_calloc((size_t)DORY_MAX(n, 1), sizeof *base);
    char *res = util_calloc((size_t)DORY_MAX(n, 1), 1);
    if (!base || !res) p->arena.failed = 1; /* plan_graph: out of memory */
    for (int i = 0; i < n && base; i++) base[i] = live_l2(p, i);
    int64_t resident = 0;
    for (int k = 0; k < n && base && res; k++) {
        int j = -1; /* smallest non-resident layer with constants */
        for (int i = 0; i < n; i++)
            if (!res[i] && layer_param_bytes(p, i) > 0 &&
                (j < 0 || layer_param_bytes(p, i) < layer_param_bytes(p, j)))
                j = i;
        if (j < 0) break;
        res[j] = 1; /* visited; resident only if it fits */
        if (!p->weights_resident && !residency_fits(p, base, res, j, resident)) {
            res[j] = 2;
            continue;
        }
        resident += align4(layer_param_bytes(p, j));
    }
    for (int i = 0; i < n; i++) place_consts(p, i, res && res[i] == 1 ? LOC_L2 : LOC_L3);
    free(base);
    free(res);
}

/* The layer's constants stream from L3. */
static int layer_w_stream(const Plan *p, int n)
{
    const Node *node = p->g->nodes[n];
    for (int k = 0; k < node->nin; k++)
        if (p->g->tensors[node->in[k]]->is_const && p->tensors[node->in[k]].loc == LOC_L3) return 1;
    return 0;
}

/* A mul's one-pixel input, which every row slice reads whole: stays in L2. */
static int pinned_l2(const Plan *p, int id)
{
    for (int n = 0; n < p->nlayers; n++) {
        const Node *node = p->g->nodes[n];
        if (node->op == OP_MUL && node->in[1] == id && p->layers[n].geom.in1_pixel) return 1;
    }
    return 0;
}

/* Moves the largest L2 activation live at layer n to L3; 0 if none left. */
static int spill_one(Plan *p, int n)
{
    int best = -1;
    for (int i = 0; i < p->g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        if (!is_act(p, i) || tp->loc != LOC_L2 || tp->first > n || n > tp->last || pinned_l2(p, i))
            continue;
        if (best < 0 || tp->bytes > p->tensors[best].bytes) best = i;
    }
    if (best < 0) return 0;
    p->tensors[best].loc = LOC_L3;
    return 1;
}

typedef struct Memo {
    int in_l3, out_l3, w_stream;
    int64_t avail;
    int done, rc;
} Memo;

/* L3/L1 tiling of layer n for the current placement (memoized). */
static int plan_layer(Plan *p, int n, int64_t shrink, Memo *m)
{
    LayerPlan *lp = &p->layers[n];
    const Node *node = p->g->nodes[n];
    int in_l3 = layer_in_l3(p, n);
    int out_l3 = p->tensors[root_of(p, node->out)].loc == LOC_L3;
    int w_stream = lp->geom.param_bytes > 0 && layer_w_stream(p, n);
    int64_t avail = p->l2_budget - resident_weight_bytes(p) - live_l2(p, n) - shrink;
    if (m->done && m->in_l3 == in_l3 && m->out_l3 == out_l3 && m->w_stream == w_stream &&
        m->avail == avail)
        return m->rc;
    *m = (Memo){in_l3, out_l3, w_stream, avail, 1, 0};
    memset(&lp->l3, 0, sizeof lp->l3);
    lp->status = PLAN_OK;
    m->rc = tile_l3_solve(&lp->geom, &p->target, &p->opt, in_l3, out_l3, w_stream,
                          DORY_MAX(avail, 0), lp, &p->arena);
    return m->rc;
}

/* A row that packs its weights offline (DORY_KF_PACK16) changes their
 * bytes in the image: int16, channels and K padded (dory_pack_w16_bytes()). */
static void pack_weights(Plan *p, int n)
{
    const dory_kernel_info_t *k = dory_kernel_info(p->layers[n].geom.kernel);
    const Node *node = p->g->nodes[n];
    if (!k || !(k->flags & DORY_KF_PACK16) || node->nin < 2) return;
    const Tensor *w = graph_tensor(p->g, node->in[1]);
    int64_t cout = w->shape[0];
    p->tensors[node->in[1]].bytes = dory_pack_w16_bytes((int)cout, (int)(tensor_numel(w) / cout));
}

/* Single-level targets: whole layers, no DMA; weights read in place. */
static void plan_single_level(Plan *p)
{
    for (int n = 0; n < p->nlayers; n++) {
        LayerPlan *lp = &p->layers[n];
        if (lp->status != PLAN_OK) continue;
        int64_t tile[TD_COUNT];
        lp->geom.kernel = plan_isa_variant(lp->geom.kernel, &p->target);
        pack_weights(p, n);
        for (int d = 0; d < TD_COUNT; d++) tile[d] = cost_dim_size(&lp->geom, d);
        tile_l1_eval(&lp->geom, &p->target, tile, &lp->l1);
        lp->l1.ok = 1;
        lp->l1.cost.dma = lp->l1.cost.exposed = 0;
        lp->l1.cost.total = lp->l1.cost.compute + lp->l1.cost.overhead;
        /* in place: tensors stay in the arena (weights in flash); the L1
         * part holds the kernel's scratch only */
        for (int b = 0; b < BUF_COUNT; b++)
            if (b != BUF_SCRATCH) lp->l1.buf[b] = (L1Buf){0, 0, {0, 0}};
        lp->l1.buf[BUF_SCRATCH].off[0] = lp->l1.buf[BUF_SCRATCH].off[1] = 0;
        lp->l1.l1_used = lp->l1.buf[BUF_SCRATCH].nbuf ? lp->l1.buf[BUF_SCRATCH].bytes : 0;
        lp->l1.binding = "single memory level: the layer runs in place";
        lp->l1_last = lp->dory = lp->l1;
        lp->cost = lp->l1.cost;
        lp->dory_total = lp->cost.total;
        lp->why = lp->l1.binding;
        lp->l3.co_slice = tile_dim(lp->geom.co, lp->geom.co);
        lp->l3.row_slice = tile_dim(lp->geom.ho, lp->geom.ho);
    }
}

/* Placement orders tried by first fit; the lowest peak wins. */
static int by_size(const void *a, const void *b)
{
    const Buf *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->first - y->first;
}

static int by_life(const void *a, const void *b)
{
    const Buf *x = a, *y = b;
    int lx = x->last - x->first, ly = y->last - y->first;
    if (lx != ly) return ly - lx;
    return by_size(a, b);
}

static int by_start(const void *a, const void *b)
{
    const Buf *x = a, *y = b;
    if (x->first != y->first) return x->first - y->first;
    return by_size(a, b);
}

/* First fit in the list's order; returns the peak. */
static int64_t first_fit_order(BufList *l, int (*cmp)(const void *, const void *))
{
    qsort(l->v, (size_t)l->n, sizeof *l->v, cmp);
    int64_t peak = 0;
    for (int i = 0; i < l->n; i++) {
        Buf *b = &l->v[i];
        int64_t off = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (int j = 0; j < i; j++) {
                const Buf *o = &l->v[j];
                if (o->last < b->first || b->last < o->first) continue;
                if (off < *o->off + o->size && *o->off < off + b->size) {
                    off = *o->off + o->size;
                    moved = 1;
                }
            }
        }
        *b->off = off;
        peak = DORY_MAX(peak, off + b->size);
    }
    return peak;
}

static int64_t first_fit(BufList *l)
{
    int (*orders[])(const void *, const void *) = {by_size, by_life, by_start};
    int best = 0;
    int64_t best_peak = INT64_MAX;
    for (int k = 0; k < 3; k++) {
        int64_t peak = first_fit_order(l, orders[k]);
        if (peak < best_peak) best_peak = peak, best = k;
    }
    return first_fit_order(l, orders[best]);
}

static int collect_l2(Plan *p, BufList *l)
{
    int rc = 0;
    for (int i = 0; i < p->g->ntensors; i++) {
        TensorPlan *tp = &p->tensors[i];
        if (tp->loc != LOC_L2 || p->g->tensors[i]->is_const) continue;
        rc |= buf_add(l, tp->bytes, tp->first, tp->last, &tp->offset);
    }
    for (int n = 0; n < p->nlayers; n++) {
        L3Plan *s = &p->layers[n].l3;
        if (p->layers[n].status != PLAN_OK) continue;
        for (int k = 0; k < s->w_nbuf; k++)
            rc |= buf_add(l, s->w_buf, k == 0 && s->w_pre ? s->w_pre_from : n, n, &s->w_off[k]);
        for (int k = 0; k < s->in_nbuf; k++) rc |= buf_add(l, s->in_buf, n, n, &s->in_off[k]);
        for (int k = 0; k < s->out_nbuf; k++) rc |= buf_add(l, s->out_buf, n, n, &s->out_off[k]);
    }
    return rc;
}

/* The layer run before layer n (the one before it with code), or -1 if
 * none can issue a transfer for it (a concatenation's copies). */
static int prev_layer(const Plan *p, int n)
{
    for (int m = n - 1; m >= 0; m--) {
        const LayerPlan *lp = &p->layers[m];
        if (lp->status != PLAN_OK) return -1;
        if (lp->kernel == DORY_K_ALIAS) continue;
        return lp->kernel == DORY_K_CONCAT ? -1 : m;
    }
    return -1;
}

static int64_t staging_bytes(const L3Plan *s)
{
    return align4(s->w_buf) * s->w_nbuf + align4(s->in_buf) * s->in_nbuf +
           align4(s->out_buf) * s->out_nbuf;
}

/* Chooses the cross-layer prefetches (none if !on) within the L2 left at
 * the layer before each (budget less `shrink`); their count. */
static int choose_prefetch(Plan *p, int on, int64_t shrink)
{
    int count = 0;
    for (int n = 0; n < p->nlayers; n++) {
        LayerPlan *lp = &p->layers[n];
        int m = prev_layer(p, n);
        if (lp->status != PLAN_OK) continue;
        if (lp->l3.w_pre) tile_l3_prefetch(&p->target, lp, 0);
        if (!on || !lp->l3.w_nbuf || m < 0) continue;
        int64_t need = resident_weight_bytes(p) + live_l2(p, m) + staging_bytes(&p->layers[m].l3) +
                       align4(lp->l3.w_buf);
        if (need > p->l2_budget - shrink) continue;
        lp->l3.w_pre_from = m;
        tile_l3_prefetch(&p->target, lp, 1);
        count++;
    }
    return count;
}

static int64_t lower_bound(const BufList *l, int nlayers)
{
    int64_t m = 0;
    for (int n = 0; n < nlayers; n++) {
        int64_t s = 0;
        for (int i = 0; i < l->n; i++)
            if (l->v[i].first <= n && n <= l->v[i].last) s += l->v[i].size;
        m = DORY_MAX(m, s);
    }
    return m;
}

/* Is constant `id` a layer's weight tensor (input 1 of a conv or fc)? */
static int is_weight(const Plan *p, int id)
{
    for (int n = 0; n < p->nlayers; n++) {
        const Node *node = p->g->nodes[n];
        if ((node->op == OP_CONV2D || node->op == OP_FC) && node->nin > 1 && node->in[1] == id)
            return 1;
    }
    return 0;
}

int plan_consts_elem(const Node *n)
{
    const Requant *rq = &n->rq;
    if (rq->scheme == RQ_SHIFT) return n->arith == ARITH_64 || rq->d > 31 ? 8 : 4;
    return rq_is_fixed(rq->scheme) ? 4 : 0;
}

/* Bytes of one channel tile's block of staged constants (t_co channels of
 * k, then l, then bias), or 0 where the layer's kernels read them from L2:
 * a weight layer (conv, grouped conv, fc) without input-channel tiling on a
 * target with L1, whose constants are resident in L2 (decide_weights), whose
 * rq buffer holds a block (8-byte aligned for 64-bit constants) and whose
 * L3 channel slices (if any) are whole channel tiles. */
static int64_t consts_block(const Plan *p, int n)
{
    const LayerPlan *lp = &p->layers[n];
    const Node *node = p->g->nodes[n];
    const L1Buf *rq = &lp->l1.buf[BUF_RQ];
    const dory_kernel_info_t *ki = dory_kernel_info(lp->l1.kernel);
    int64_t t_co = lp->l1.d[TD_CO].tile;
    int e = plan_consts_elem(node), bias = node->nin > 2 && node->in[2] >= 0;
    int64_t bytes = t_co * (2 * e + (bias ? 4 : 0));
    if (p->target.levels < 2 || lp->status != PLAN_OK || !lp->geom.w_elem || !ki || !e ||
        !rq->nbuf || lp->l1.d[TD_CI].n > 1)
        return 0;
    if (ki->call != DORY_CALL_CONV && ki->call != DORY_CALL_GROUPED && ki->call != DORY_CALL_FC)
        return 0;
    if (lp->l3.co_slice.n > 1 && lp->l3.co_slice.tile % t_co) return 0;
    if (node->rq.k >= 0 && p->tensors[node->rq.k].loc != LOC_L2) return 0;
    if (node->rq.mult >= 0 && p->tensors[node->rq.mult].loc != LOC_L2) return 0;
    if (bytes > rq->bytes || rq->off[0] % e || (rq->nbuf > 1 && rq->off[1] % e)) return 0;
    return bytes;
}

int64_t plan_consts_image_bytes(const LayerPlan *lp)
{
    const TileDim *co = &lp->l1.d[TD_CO];
    return lp->consts_block ? (co->size + co->tile - 1) / co->tile * lp->consts_block : 0;
}

/* Is constant tensor id read from its own array: by a layer that does not
 * stage its constants (or as a weight or operand, whatever the layer)? */
static int const_array_read(const Plan *p, int id)
{
    for (int n = 0; n < p->nlayers; n++) {
        const Node *node = p->g->nodes[n];
        int staged = p->layers[n].consts_block > 0;
        for (int k = 0; k < node->nin; k++)
            if (node->in[k] == id && (!staged || k != 2)) return 1;
        const Requant *rqs[3] = {&node->rq, &node->in_rq[0], &node->in_rq[1]};
        for (int r = 0; r < 3; r++) {
            int ids[5] = {rqs[r]->k, rqs[r]->l, rqs[r]->mult, rqs[r]->shift, rqs[r]->scale};
            for (int j = 0; j < 5; j++)
                if (ids[j] == id && (!staged || r > 0)) return 1;
        }
    }
    return 0;
}

/* The L2 image: resident constants packed, weights first, then the layers'
 * staged constant blocks (8-byte aligned: the generated weights array holds
 * exactly these two parts), then the bias and requant arrays of the layers
 * that read them from L2. A tensor only staged layers use is counted in
 * their blocks, not again as an array. */
static void place_l2_image(Plan *p)
{
    int64_t off = 0;
    for (int i = 0; i < p->g->ntensors; i++) {
        TensorPlan *tp = &p->tensors[i];
        if (tp->loc != LOC_L2 || !p->g->tensors[i]->is_const || !is_weight(p, i)) continue;
        tp->offset = off;
        off += align4(tp->bytes);
    }
    for (int n = 0; n < p->nlayers; n++) {
        LayerPlan *lp = &p->layers[n];
        lp->consts_block = consts_block(p, n);
        lp->consts_off = 0;
        if (!lp->consts_block) continue;
        off = (off + 7) / 8 * 8;
        lp->consts_off = off;
        off += plan_consts_image_bytes(lp);
    }
    for (int i = 0; i < p->g->ntensors; i++) {
        TensorPlan *tp = &p->tensors[i];
        tp->staged = 0;
        if (tp->loc != LOC_L2 || !p->g->tensors[i]->is_const || is_weight(p, i)) continue;
        tp->staged = !const_array_read(p, i);
        tp->offset = off;
        if (!tp->staged) off += align4(tp->bytes);
    }
    p->l2_image = off;
}

/* L3: streamed constants, then L3 activations, packed. */
static void place_l3(Plan *p)
{
    int64_t off = 0;
    for (int i = 0; i < p->g->ntensors; i++) {
        TensorPlan *tp = &p->tensors[i];
        if (tp->loc != LOC_L3) continue;
        tp->offset = off;
        off += align4(tp->bytes);
    }
    p->l3_used = off;
    if (p->target.levels >= 3 && off > p->target.l3.size && p->status == PLAN_OK) {
        p->status = PLAN_L3_TOO_SMALL;
        p->message = arena_printf(&p->arena,
                                  "L3 holds %lld bytes (weights and spilled activations) but "
                                  "has %lld: %lld too many",
                                  (long long)off, (long long)p->target.l3.size,
                                  (long long)(off - p->target.l3.size));
    }
}

static void place_acts(Plan *p)
{
    for (int i = 0; i < p->g->ntensors; i++) {
        TensorPlan *tp = &p->tensors[i];
        if (p->g->tensors[i]->is_const) continue;
        if (tp->loc == LOC_NONE) tp->loc = LOC_L2;
    }
}

static void fail_layer(Plan *p, int n, PlanStatus st)
{
    LayerPlan *lp = &p->layers[n];
    lp->status = st;
    if (!lp->why) lp->why = "no tiling fits";
}

static int l1_failure(const LayerPlan *lp) { return lp->why && !strncmp(lp->why, "no L1", 5); }

/* Places and tiles until every layer fits; returns the failing layer or -1. */
static int place_and_tile(Plan *p, Memo *memo, int64_t shrink)
{
    for (int guard = 0; guard <= p->g->ntensors + 1; guard++) {
        int failed = -1;
        for (int n = 0; n < p->nlayers && failed < 0; n++) {
            if (p->layers[n].status != PLAN_OK && !memo[n].done) continue;
            if (plan_layer(p, n, shrink, &memo[n])) failed = n;
        }
        if (failed < 0) return -1;
        if (l1_failure(&p->layers[failed]) || !spill_one(p, failed)) return failed;
    }
    return -1;
}

int64_t plan_l2_image_in_l2(const Plan *p) { return p->target.levels >= 2 ? p->l2_image : 0; }

int64_t plan_sram_scratch(const Plan *p)
{
    int64_t s = 0;
    if (p->target.levels >= 2) return 0;
    for (int n = 0; n < p->nlayers; n++)
        if (p->layers[n].status == PLAN_OK) s = DORY_MAX(s, p->layers[n].l1.l1_used);
    return (s + 3) & ~(int64_t)3;
}

int plan_alloc(Plan *p)
{
    place_acts(p);
    if (p->target.levels < 2) { /* constants in the image (flash), read in place */
        for (int n = 0; n < p->nlayers; n++) place_consts(p, n, LOC_L2);
        plan_single_level(p);
    } else {
        decide_weights(p);
    }
    Memo *memo = util_calloc((size_t)DORY_MAX(p->nlayers, 1), sizeof *memo);
    if (!memo) {
        p->arena.failed = 1;
        return -1;
    }
    int64_t shrink = 0;
    int prefetch = p->target.levels >= 3 && !p->target.l3_sync;
    for (int attempt = 0; attempt < 4; attempt++) {
        if (p->target.levels >= 2) {
            int failed = place_and_tile(p, memo, shrink);
            if (failed >= 0) {
                fail_layer(p, failed,
                           l1_failure(&p->layers[failed]) ? PLAN_L1_TOO_SMALL : PLAN_L2_TOO_SMALL);
                break;
            }
        }
        int npre = p->target.levels >= 2 ? choose_prefetch(p, prefetch, shrink) : 0;
        BufList l = {0};
        if (collect_l2(p, &l)) {
            p->arena.failed = 1;
            free(l.v);
            break;
        }
        place_l2_image(p);
        p->l2_lower_bound = lower_bound(&l, p->nlayers);
        p->l2_peak = first_fit(&l);
        free(l.v);
        if (p->l2_peak + plan_l2_image_in_l2(p) + plan_sram_scratch(p) <= p->l2_budget ||
            p->target.levels < 2)
            break;
        if (npre) { /* the same attempt without prefetches */
            prefetch = 0;
            attempt--;
            continue;
        }
        prefetch = p->target.levels >= 3 && !p->target.l3_sync; /* with, at the next one */
        /* fragmentation: leave room and retry; then give up partial residency */
        shrink += p->l2_peak + p->l2_image - p->l2_budget;
        if (attempt == 1 && !p->weights_resident)
            for (int n = 0; n < p->nlayers; n++) place_consts(p, n, LOC_L3);
    }
    free(memo);
    if (p->target.levels < 2 && p->l2_peak + plan_sram_scratch(p) > p->l2_budget &&
        p->status == PLAN_OK) {
        p->status = PLAN_L2_TOO_SMALL;
        p->message = arena_printf(&p->arena,
                                  "SRAM peak %lld bytes (activations %lld + kernel scratch %lld) "
                                  "exceeds the budget of %lld (activations' lower bound %lld)",
                                  (long long)(p->l2_peak + plan_sram_scratch(p)),
                                  (long long)p->l2_peak, (long long)plan_sram_scratch(p),
                                  (long long)p->l2_budget, (long long)p->l2_lower_bound);
    }
    if (p->l2_peak + plan_l2_image_in_l2(p) > p->l2_budget && p->status == PLAN_OK) {
        p->status = PLAN_L2_TOO_SMALL;
        p->message = arena_printf(
            &p->arena,
            "L2 peak %lld bytes plus %lld bytes of resident constants "
            "exceeds the budget of %lld by %lld (lower bound %lld)",
            (long long)p->l2_peak, (long long)p->l2_image, (long long)p->l2_budget,
            (long long)(p->l2_peak + p->l2_image - p->l2_budget), (long long)p->l2_lower_bound);
    }
    place_l3(p);
    return p->status == PLAN_OK ? 0 : -1;
}
