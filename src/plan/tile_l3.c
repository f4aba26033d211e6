/* tile_l3.c: L3->L2 tiling of one layer whose working set does not fit the
 * L2 space it is given: weights by output-channel slices, activations by
 * output rows, or both (rows outer, channel slices inner), double-buffered.
 *
 * For each candidate decomposition the L2->L1 tiling of a full slice is
 * solved exactly; the decomposition with the fewest modeled cycles wins.
 * The L3 wrapper is modeled like the L1 loop (cost_l3): the reads the first
 * tile waits for and the last output rows are exposed, the rest hides behind
 * the slices' compute unless the L3 transfers take longer (or, on a target
 * whose L3 copies are synchronous, l3_sync, not at all). This file decides nothing about
 * where tensors live (alloc.c does).
 */
#include <math.h>
#include <string.h>

#include "plan_int.h"

typedef struct L3Try {
    int64_t rows, co; /* slice sizes (output rows, output channels) */
} L3Try;

static int64_t in_rows_of(const PlanGeom *g, int64_t rows)
{
    return DORY_MIN(g->hin, (rows - 1) * g->sh + (int64_t)(g->kh - 1) * g->dh + 1);
}

static int64_t in_ch_l3(const PlanGeom *g)
{
    int64_t c = 0;
    for (int i = 0; i < g->nin; i++)
        if (i != 1 || !g->in1_pixel) c += g->cin[i] * g->in_elem[i]; /* a pixel stays in L2 */
    return c;
}

/* Bytes of the layer's constants for `co` output channels. */
static int64_t w_slice_bytes(const PlanGeom *g, int64_t co)
{
    int64_t wch = g->coupled ? g->gin : g->cin_total;
    return co * g->kh * g->kw * wch * g->w_elem + co * g->rq_per_ch + g->rq_fixed;
}

/* The sub-layer an L3 slice computes (modeled as the first slice). */
static PlanGeom slice_geom(const PlanGeom *g, int64_t rows, int64_t co)
{
    PlanGeom s = *g;
    if (rows < g->ho) { /* pads kept: kernels are called with the tensor's pads */
        s.ho = rows;
        s.hin = in_rows_of(g, rows);
    }
    if (co < g->co) {
        s.co = co;
        if (g->coupled && g->kind != KK_COPY) s.cin[0] = co / g->gout * g->gin;
        if (g->coupled && g->nin > 1 && g->kind == KK_ADD) s.cin[1] = s.cin[0];
    }
    double per_out = (double)g->macs / (double)(g->ho * g->wo * g->co);
    s.macs = (int64_t)(per_out * (double)(s.ho * s.wo * s.co));
    return s;
}

static int64_t l2_need(const PlanGeom *g, int in_l3, int out_l3, int w_stream, L3Try x, L3Plan *l)
{
    TileDim r = tile_dim(g->ho, x.rows), c = tile_dim(g->co, x.co);
    l->row_slice = r;
    l->co_slice = c;
    l->in_rows = in_rows_of(g, x.rows);
    l->w_buf = w_stream ? w_slice_bytes(g, x.co) : 0;
    l->w_nbuf = w_stream ? (c.n * (in_l3 || out_l3 ? r.n : 1) > 1 ? 2 : 1) : 0;
    l->in_buf = in_l3 ? l->in_rows * g->win * in_ch_l3(g) : 0;
    l->in_nbuf = in_l3 ? (r.n > 1 ? 2 : 1) : 0;
    l->out_buf = out_l3 ? x.rows * g->wo * g->co * g->out_elem : 0;
    l->out_nbuf = out_l3 ? (r.n > 1 ? 2 : 1) : 0;
    return align4(l->w_buf) * l->w_nbuf + align4(l->in_buf) * l->in_nbuf +
           align4(l->out_buf) * l->out_nbuf;
}

/* The L3 writes of a row slice of h output rows in L1 tile rows of th, as
 * the tile loop issues them (runtime/dory_layer.c, write_band: up to
 * Y_PIECES = 4 writes of whole tile rows, each as soon as its rows are in
 * L2); *last_rows: the rows of the last one. */
static int64_t y_writes(int64_t h, int64_t th, int64_t *last_rows)
{
    int64_t nb = ceil_div(h, th), group = ceil_div(nb, 4), n = ceil_div(nb, group);
    if (last_rows) *last_rows = h - (n - 1) * group * th;
    return n;
}

/* The L3 transfers of a decomposition as the layer loop issues them
 * (runtime/dory_layer.c, dory_run_l3): input rows per row slice, weights
 * once (one channel slice) or per slice, output rows by row slice; the
 * first slice's reads cut into pieces by the L1 tiles (W_PIECES, X_PIECES there), so
 * that the first tile waits for its own piece only; output rows by groups
 * of L1 tile rows (y_writes), the last group exposed. Counts in
 * term[PT_L3_*]. */
static void l3_transfers(const PlanGeom *g, const L3Plan *l, const L1Plan *full,
                         double term[PT_COUNT])
{
    int64_t nr = l->row_slice.n, nc = l->co_slice.n;
    int nx = 0;
    for (int i = 0; i < g->nin; i++) nx += i != 1 || !g->in1_pixel;
    int64_t x_np = (l->w_nbuf ? 2 : 8) / (nx > 1 ? 2 : 1), w_np = l->in_nbuf ? 2 : 4;
    int64_t tco = DORY_MAX(full->d[TD_CO].tile, 1), th = DORY_MAX(full->d[TD_HO].tile, 1);
    int64_t rd = 0, rd_jobs = 0, first = 0, first_jobs = 0;
    if (l->in_nbuf) {
        int64_t row = g->win * in_ch_l3(g); /* all L3 inputs' bytes per input row */
        int64_t n = g->kind == KK_FC ? 1 : DORY_MIN(x_np, ceil_div(l->row_slice.tile, th));
        rd += (nr == 1 ? g->hin : nr * l->in_rows) * row;
        rd_jobs += nx * (nr - 1 + n);
        /* the weights' first piece queues behind all of the first rows */
        int64_t head = n > 1 && !l->w_nbuf ? in_rows_of(g, th) : l->in_rows;
        first += head * row;
        first_jobs += nx * (n > 1 && !l->w_nbuf ? 1 : n);
    }
    if (l->w_nbuf) {
        int64_t per_co = w_slice_bytes(g, 1) - g->rq_fixed;
        int64_t n = DORY_MAX(DORY_MIN(w_np, ceil_div(l->co_slice.tile, tco)), 1);
        rd += nc > 1 ? nr * (w_slice_bytes(g, g->co) + g->rq_fixed * (nc - 1)) : l->w_buf;
        rd_jobs += nc > 1 ? nr * nc - 1 + n : n;
        if (!l->w_pre) { /* else read during the layer before */
            first += n > 1 ? DORY_MIN(tco, l->co_slice.tile) * per_co + g->rq_fixed : l->w_buf;
            first_jobs += 1;
        }
    }
    int64_t wr = l->out_nbuf ? g->ho * g->wo * g->co * g->out_elem : 0, wr_jobs = 0, last = 0;
    if (l->out_nbuf) {
        int64_t y_row = g->wo * g->co * g->out_elem;
        wr_jobs = (nr - 1) * y_writes(l->row_slice.tile, th, NULL) +
                  y_writes(l->row_slice.last, th, &last);
        last *= y_row;
    }
    term[PT_SLICES] = (double)(nr * nc);
    term[PT_L3_BYTES] = (double)(rd + wr);
    term[PT_L3_JOBS] = (double)(rd_jobs + wr_jobs);
    term[PT_L3_WR_BYTES] = (double)wr;
    term[PT_L3_WR_JOBS] = (double)wr_jobs;
    term[PT_L3_FIRST_BYTES] = (double)first;
    term[PT_L3_FIRST_JOBS] = (double)first_jobs;
    term[PT_L3_LAST_BYTES] = (double)last;
}

void tile_l3_prefetch(const Target *t, LayerPlan *lp, int on)
{
    double l3t[PT_COUNT] = {0}, inner = lp->cost.total - lp->cost.l3;
    lp->l3.w_pre = on;
    l3_transfers(&lp->geom, &lp->l3, &lp->l1, l3t);
    lp->cost.l3 = cost_l3(t, l3t, inner);
    lp->cost.total = inner + lp->cost.l3;
    for (int e = PT_L3_BYTES; e <= PT_L3_LAST_BYTES; e++) lp->cost.term[e] = l3t[e];
}

/* L1 tilings of the full and the last slice; total L2-loop cycles. */
static double slice_cycles(const PlanGeom *g, const Target *t, PlanObjective obj, const L3Plan *l,
                           L1Plan *full, L1Plan *last, Arena *a, const char **why)
{
    PlanGeom sg = slice_geom(g, l->row_slice.tile, l->co_slice.tile);
    if (tile_l1_solve(&sg, t, obj, full, a, why)) return INFINITY;
    PlanGeom lg = slice_geom(g, l->row_slice.last, l->co_slice.last);
    plan_geom_kernel(&lg, full->kernel);
    int64_t tile[TD_COUNT];
    for (int d = 0; d < TD_COUNT; d++) tile[d] = DORY_MIN(full->d[d].tile, cost_dim_size(&lg, d));
    tile_l1_eval(&lg, t, tile, last);
    last->binding = full->binding;
    /* slices other than the very last one are costed as full slices */
    int64_t nslices = l->row_slice.n * l->co_slice.n;
    return full->cost.total * (double)(nslices - 1) + last->cost.total;
}

/* Candidate channel slices: the fewest that fit, then finer ones for overlap. */
static int co_candidates(const PlanGeom *g, int w_stream, int64_t out[4])
{
    if (!w_stream || g->co_full) {
        out[0] = g->co;
        return 1;
    }
    int k = 0;
    int64_t step = g->coupled && g->gout > 1 ? g->gout : 1;
    static const int64_t ns[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256, 512};
    for (size_t i = 0; i < DORY_ARRAY_LEN(ns) && k < 4; i++) {
        int64_t c = ceil_div(ceil_div(g->co, ns[i]), step) * step;
        if (c < 1 || (k > 0 && c == out[k - 1])) continue;
        out[k++] = c;
    }
    return k;
}

int tile_l3_solve(const PlanGeom *g, const Target *t, const PlanOptions *opt, int in_l3, int out_l3,
                  int w_stream, int64_t avail, LayerPlan *lp, Arena *a)
{
    int64_t cos[4];
    int nco = co_candidates(g, w_stream, cos);
    double best = INFINITY;
    int tried = 0;
    const char *why = NULL;
    int rows_sliced = in_l3 || out_l3;
    int64_t prev = 0;
    /* DORY copies a layer's weights into L2 whole: its objective takes the
     * first (fewest) channel slices that fit, not the cheapest */
    int tries = opt->objective == OBJ_DORY ? 1 : 3;
    for (int i = 0; tried < tries; i++) {
        /* walk channel candidates first; then, if every candidate is too big,
         * keep halving the channel slice down to one group */
        int64_t step = g->coupled && g->gout > 1 ? g->gout : 1;
        int64_t co = i < nco ? cos[i] : ceil_div(ceil_div(prev, 2), step) * step;
        if (i >= nco && (co >= prev || !w_stream)) break;
        prev = co;
        L3Plan l = {0};
        l.w_stream = w_stream;
        l.in_l3 = in_l3;
        l.out_l3 = out_l3;
        /* largest row slice that fits (rows only shrink when activations stream) */
        int64_t rows = g->ho;
        while (l2_need(g, in_l3, out_l3, w_stream, (L3Try){rows, co}, &l) > avail && rows_sliced &&
               rows > 1)
            rows = rows > 8 ? rows - ceil_div(rows, 8) : rows - 1;
        if (l2_need(g, in_l3, out_l3, w_stream, (L3Try){rows, co}, &l) > avail) continue;
        l.w_sliced = l.co_slice.n > 1;
        L1Plan full, last;
        double inner = slice_cycles(g, t, opt->objective, &l, &full, &last, a, &why);
        if (isinf(inner)) continue;
        tried++;
        double l3t[PT_COUNT] = {0};
        l3_transfers(g, &l, &full, l3t);
        double total = inner + cost_l3(t, l3t, inner);
        if (total >= best) continue;
        best = total;
        lp->l3 = l;
        lp->l1 = full;
        lp->l1_last = last;
        double k = (double)(l.row_slice.n * l.co_slice.n - 1);
        lp->cost.compute = full.cost.compute * k + last.cost.compute;
        lp->cost.overhead = full.cost.overhead * k + last.cost.overhead;
        lp->cost.dma = full.cost.dma * k + last.cost.dma;
        lp->cost.exposed = full.cost.exposed * k + last.cost.exposed;
        lp->cost.l3 = total - inner;
        lp->cost.total = total;
        for (int e = 0; e < PT_COUNT; e++)
            lp->cost.term[e] = full.cost.term[e] * k + last.cost.term[e];
        for (int e = PT_L3_BYTES; e <= PT_L3_LAST_BYTES; e++) lp->cost.term[e] = l3t[e];
        lp->l3.dma_bytes = (int64_t)l3t[PT_L3_BYTES];
        lp->l3.dma_jobs = (int64_t)l3t[PT_L3_JOBS];
        int64_t fb = full.dma_in_bytes + full.dma_w_bytes + full.dma_out_bytes;
        int64_t lb = last.dma_in_bytes + last.dma_w_bytes + last.dma_out_bytes;
        lp->dma_l2l1_bytes = fb * (int64_t)k + lb;
        lp->dma_l3l2_bytes = lp->l3.dma_bytes;
    }
    if (isinf(best)) {
        lp->why = why ? why
                      : arena_printf(a,
                                     "no L3->L2 decomposition fits the %lld bytes of L2 left "
                                     "for this layer (one output row and channel slice need more)",
                                     (long long)avail);
        return -1;
    }
    lp->why = lp->l1.binding;
    if (opt->compare_dory) {
        L1Plan full, last;
        const char *w2;
        double inner = slice_cycles(g, t, OBJ_DORY, &lp->l3, &full, &last, a, &w2);
        lp->dory = full;
        double l3t[PT_COUNT] = {0};
        l3_transfers(g, &lp->l3, &full, l3t);
        lp->dory_total = isinf(inner) ? inner : inner + cost_l3(t, l3t, inner);
    }
    return 0;
}
