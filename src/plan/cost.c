/* cost.c: the cost model of an L2->L1 tiling and its L1 footprint.
 *
 * cycles = layer_cycles + tiles * tile_overhead + DMA transfers * job_cycles
 *        + max(compute + first load + last store, all L2<->L1 DMA)
 * compute = mac_work / mac_per_cycle + input * input_cycles
 *         + chan * chan_cycles + outs * epilogue(requant class) + psum terms
 * where every count is summed over the tiles with the kernel's split over
 * the cores rounded up (docs/PLANNER.md; the counts are PlanCost.term, what
 * bench/fit_pulp_cost.py fits the constants on). The model is written so
 * that, for fixed tile counts, it only grows with the per-dimension features
 * of DimFeat (pixel-split kernels aside: cost_dim_joint); the solver relies
 * on that. This file must not search: it evaluates one tiling.
 */
#include <math.h>
#include <string.h>

#include "dory_kernel_table.h"
#include "plan_int.h"

double cost_dma(const MemLevel *lvl, int64_t jobs, int64_t bytes)
{
    if (bytes <= 0) return 0;
    double bw = lvl->bandwidth > 0 ? lvl->bandwidth : 1;
    return (double)jobs * lvl->latency + (double)bytes / bw;
}

/* The end of n slices of c cycles of L2 work each, in a pipeline behind
 * one L3 channel (runtime/dory_layer.c: two staging copies): the reads of
 * slices 0 and 1 issued at the start, those of slice i + 2 and the writes of
 * slice i when slice i ends (its copy is free); a slice starts when its
 * reads are in and the one before has ended, the first after its first
 * piece (`first` cycles of its reads r). */
static double l3_pipeline(int64_t n, double c, double r, double w, double first)
{
    double ch = 2 * r, rd_next = 2 * r, end = first + fmax(c, r - first);
    for (int64_t i = 0;; i++) {
        double rd = rd_next; /* the reads of slice i + 1 are in */
        if (w > 0) ch = fmax(ch, end) + w;
        if (i + 2 < n) ch = fmax(ch, end) + r;
        rd_next = ch;
        if (i + 1 >= n) return end;
        end = fmax(end, rd) + c;
    }
}

/* L3 cycles of the counts `term` around `inner` cycles of L2 work: the
 * issuing core's time per transfer, the first tile's reads and the last
 * output rows exposed, the rest hidden unless it takes longer than the L2
 * work (or, l3_sync, copies that nothing overlaps); with several L2 slices,
 * hidden slice by slice (l3_pipeline). */
double cost_l3(const Target *t, const double term[PT_COUNT], double inner)
{
    if (term[PT_L3_JOBS] <= 0) return 0;
    MemLevel wl = t->l3;
    if (t->l3_wr_bandwidth > 0) wl.bandwidth = t->l3_wr_bandwidth;
    if (t->l3_wr_latency > 0) wl.latency = t->l3_wr_latency;
    double rd_b = term[PT_L3_BYTES] - term[PT_L3_WR_BYTES];
    double rd_j = term[PT_L3_JOBS] - term[PT_L3_WR_JOBS];
    double issue = term[PT_L3_JOBS] * t->l3_issue;
    double all = cost_dma(&t->l3, (int64_t)rd_j, (int64_t)rd_b) +
                 cost_dma(&wl, (int64_t)term[PT_L3_WR_JOBS], (int64_t)term[PT_L3_WR_BYTES]);
    if (t->l3_sync) return issue + all;
    double last = cost_dma(&wl, term[PT_L3_LAST_BYTES] > 0, (int64_t)term[PT_L3_LAST_BYTES]);
    double first =
        cost_dma(&t->l3, (int64_t)term[PT_L3_FIRST_JOBS], (int64_t)term[PT_L3_FIRST_BYTES]);
    int64_t n = (int64_t)term[PT_SLICES];
    if (n <= 1) return issue + first + last + fmax(all - first - last - inner, 0);
    double rd = cost_dma(&t->l3, (int64_t)rd_j, (int64_t)rd_b);
    double wr = cost_dma(&wl, (int64_t)term[PT_L3_WR_JOBS], (int64_t)term[PT_L3_WR_BYTES]);
    double end = l3_pipeline(n, inner / (double)n, rd / (double)n, wr / (double)n, first);
    return issue + fmax(end - inner, 0) + last;
}

int64_t cost_dim_size(const PlanGeom *g, int d)
{
    switch (d) {
    case TD_CO: return g->co;
    case TD_HO: return g->ho;
    case TD_WO: return g->wo;
    default: return g->coupled ? 1 : g->cin_total;
    }
}

/* a*floor(x/a) + penalty*(x mod a): leftovers of an inner block cost more. */
static double aligned(int64_t x, int a, double pen)
{
    if (a <= 1) return (double)x;
    return (double)(x / a * a) + pen * (double)(x % a);
}

const KernelCost *cost_kernel(const PlanGeom *g, const Target *t)
{
    if ((unsigned)g->kernel < DORY_K_COUNT && t->row[g->kernel].mac_per_cycle > 0)
        return &t->row[g->kernel];
    return &t->kernel[g->kind];
}

/* conv2d's driver splits each tile's pixels (whole rows or groups of 4) x
 * channel blocks
 * (dory_conv2d_hwc_s8_parts, kernels/dory_kernels.h): the kernel's
 * structure, modeled where the layer's cost is a kernel row's (whatever its
 * par says); a kind entry's estimate keeps the model of docs/PLANNER.md
 * (which test_plan_mzn.c writes again in MiniZinc). */
static int split2d(const PlanGeom *g, const Target *t)
{
    return g->kind == KK_CONV && (g->kernel == DORY_K_CONV2D || g->kernel == DORY_K_CONV2D_1PX) &&
           cost_kernel(g, t) != &t->kernel[g->kind];
}

int cost_dim_joint(const PlanGeom *g, const Target *t, int d)
{
    const KernelCost *k = cost_kernel(g, t);
    /* the 2-D split couples output channels and pixels */
    if (split2d(g, t) && d != TD_CI) return 1;
    /* input channels: by class (cost_dim_class) */
    if (d == TD_CI) return 0;
    return (d == TD_HO || d == TD_WO) &&
           (k->par == PAR_PIXELS || (k->par == PAR_ROWS && k->mac_group_cycles > 0));
}

/* K = kh x kw x the input channels of a conv tile: the matrix core's row. */
static int64_t conv_k(const PlanGeom *g, int64_t ci) { return ci * g->kh * g->kw; }

/* The first-layer path of the 4-pixel conv (kernels/dory_conv2d_hwc_s8.c):
 * K <= 32 taps whose channels are not whole words run as K rounded up to 4
 * (no tail taps, the fused epilogue), the windows staged. */
static int conv_staged(const PlanGeom *g, int64_t ci)
{
    return g->kind == KK_CONV && g->kernel == DORY_K_CONV2D && conv_k(g, ci) <= 32 &&
           (ci % 4 || g->cin_total % 4);
}

/* Input channels not in whole words with K > 32: the matrix core's weight
 * rows are misaligned and its epilogue unfused (PT_MAC_ODD). */
static int conv_odd(const PlanGeom *g, int64_t ci)
{
    return g->kind == KK_CONV && conv_k(g, ci) > 32 && (ci % 4 || g->cin_total % 4);
}

/* The class of an input-channel tile of a conv: the terms that depend on
 * it through more than its features (K % 4 tail taps, channels in whole
 * words, the first-layer path for K <= 32): K > 32 by tile % 4 (0: whole
 * words), K <= 32 apart. */
static int ci_class(const PlanGeom *g, const Target *t, int d, int64_t tile)
{
    const KernelCost *k = cost_kernel(g, t);
    int fitted = k->mac_tail_cycles > 0 || k->mac_odd_cycles > 0 || k->input_odd_cycles > 0 ||
                 k->stage_px_cycles > 0 || k->input_px_cycles > 0;
    if (d != TD_CI || g->kind != KK_CONV || !fitted) return 0;
    return (int)(tile % 4) + 4 * (conv_k(g, tile) <= 32);
}

/* The max pooling's 2x2 fast path takes a channel tile in whole words: per
 * size of the channel tiles, bit 0 the full tiles miss it, bit 1 the last. */
static int pool_class(const PlanGeom *g, int d, int64_t tile)
{
    if (d != TD_CO || g->rq_class != RQC_MAXPOOL_2X2) return 0;
    int64_t size = cost_dim_size(g, d), last = size - (ceil_div(size, tile) - 1) * tile;
    return (ceil_div(size, tile) > 1 && tile % 4) | (last % 4 ? 2 : 0);
}

int cost_dim_may_dominate(const PlanGeom *g, const Target *t, int d, int64_t small, int64_t big)
{
    /* the outputs that miss the fast path cost at least the fast ones
     * (epilogue_of_base), so a tiling whose tiles all take it, or one
     * against a tiling whose tiles all miss it, dominates with no more
     * outputs; so does one of the same class whose last tile alone takes
     * it (fewer outputs in the full tiles, which then weigh more); not one
     * whose last tile alone misses it (more of its outputs there) */
    int pa = pool_class(g, d, small), pb = pool_class(g, d, big);
    if (pa || pb) return pa == 0 || pb == 3 || (pa == pb && pa == 1);

    int a = ci_class(g, t, d, small), b = ci_class(g, t, d, big);
    /* whole words (K > 32) against channels that are not: the latter pay
     * the same terms and the non-negative extras (tail taps, odd taps and
     * MACs), so the aligned tile dominates within its tile count */
    return a == b || (a == 0 && b < 4);
}

/* Units of `x` the busiest core gets, times the cores: x split in blocks. */
static double split_up(int64_t x, int block, int cores)
{
    int64_t b = block > 1 ? block : 1;
    return (double)(ceil_div(ceil_div(x, b), cores) * b * cores);
}

static double dim_factor(const PlanGeom *g, const Target *t, int d, int64_t x)
{
    const KernelCost *k = cost_kernel(g, t);
    int cores = t->cores > 0 ? t->cores : 1;
    switch (d) {
    case TD_CO:
        if (k->par == PAR_CHANNELS) return split_up(x, k->par_block, cores);
        return aligned(x, k->co_align, k->co_penalty);
    case TD_HO:
        if (k->par == PAR_ROWS) return split_up(x, k->par_block, cores);
        return (double)x;
    case TD_WO: return aligned(x, k->wo_align, k->wo_penalty);
    default: return g->coupled ? (double)g->gin : aligned(x, k->ci_align, k->ci_penalty);
    }
}

/* Input rows (or cols) an output range [a, a+len) reads, clipped to the input. */
static int64_t in_extent(int64_t a, int64_t len, int s, int k, int dil, int pad, int64_t in)
{
    int64_t lo = a * s - pad;
    int64_t hi = (a + len - 1) * s - pad + (int64_t)(k - 1) * dil + 1;
    return DORY_MIN(hi, in) - DORY_MAX(lo, 0);
}

DimFeat cost_dim_feat(const PlanGeom *g, const Target *t, int d, int64_t tile)
{
    int64_t size = cost_dim_size(g, d);
    DimFeat f = {tile, ceil_div(size, tile), 0, 0, 0};
    f.last = size - (f.n - 1) * tile;
    f.f = (double)(f.n - 1) * dim_factor(g, t, d, tile) + dim_factor(g, t, d, f.last);
    if (d == TD_HO || d == TD_WO) {
        int h = d == TD_HO;
        for (int64_t i = 0; i < f.n; i++)
            f.r += in_extent(i * tile, i + 1 < f.n ? tile : f.last, h ? g->sh : g->sw,
                             h ? g->kh : g->kw, h ? g->dh : g->dw, h ? g->pad[0] : g->pad[1],
                             h ? g->hin : g->win);
    }
    return f;
}

/* Input channels of a tile of input i. */
static int64_t tile_in_c(const PlanGeom *g, int i, int64_t co, int64_t ci)
{
    if (!g->coupled) return ci;
    if (g->kind == KK_COPY) return g->cin[i];
    return co / g->gout * g->gin;
}

/* The kernel's parameters as far as its scratch companion reads them. */
static dory_conv_params_t scratch_conv_params(const PlanGeom *g)
{
    dory_conv_params_t cp;
    memset(&cp, 0, sizeof cp);
    cp.kh = g->kh, cp.kw = g->kw;
    cp.stride_h = g->sh, cp.stride_w = g->sw;
    cp.dil_h = g->dh, cp.dil_w = g->dw;
    cp.pad_top = g->pad[0], cp.pad_left = g->pad[1];
    cp.pad_bottom = g->pad[2], cp.pad_right = g->pad[3];
    cp.border = DORY_BORDER_ALL;
    cp.im2col_pixels = g->kernel == DORY_K_CONV2D_1PX ? 1 : 0;
    return cp;
}

/* How each call shape calls its row's scratch companion (`none`: 0). */
#define SCRATCH_CONV(f)    f(&cp, &in, &out)
#define SCRATCH_GROUPED(f) f(&cp, &gin, &gout) /* one group at a time */
#define SCRATCH_FC(f)      f(&fp, (int)p->in_c, (int)co)
#define SCRATCH_POOL(f)    0
#define SCRATCH_ADD(f)     f(&ap)
#define SCRATCH_MUL(f)     0
#define SCRATCH_ELTWISE(f) 0
#define SCRATCH_SOFTMAX(f) 0
#define SCRATCH_PSUM(f)    0
#define SCRATCH_COPY(f)    0
#define SCRATCH_NONE(f)    0

/* Kernel scratch of one core for a tile: the kernel table's companion
 * function (kernels/dory_kernel_table.h), 4-byte aligned. The plan records
 * it (L1Plan.scratch_per_core); nothing else computes it. */
static int64_t scratch_per_core(const PlanGeom *g, const L1Plan *p, int64_t co, int64_t ho,
                                int64_t wo)
{
    dory_conv_params_t cp = scratch_conv_params(g);
    dory_fc_params_t fp;
    dory_add_params_t ap;
    memset(&fp, 0, sizeof fp);
    memset(&ap, 0, sizeof ap);
    fp.in_zp = g->in_zp;
    dory_dims_t in = {(int)p->in_h, (int)p->in_w, (int)p->in_c, 0};
    dory_dims_t out = {(int)ho, (int)wo, (int)co, 0};
    dory_dims_t gin = {in.h, in.w, (int)g->gin, 0}, gout = {out.h, out.w, (int)g->gout, 0};
    int32_t per = 0;
    switch (g->kernel) {
#define X(id, name, fn, params, call, scratch, ...)                                                \
    case id: per = SCRATCH_##call(scratch); break;
        DORY_KERNEL_TABLE(X)
#undef X
    default: break;
    }
    (void)gin, (void)gout, (void)fp, (void)ap, (void)cp;
    return align4(per);
}

static void set_buf(L1Plan *p, int b, int64_t bytes, int nbuf)
{
    p->buf[b].bytes = bytes;
    p->buf[b].nbuf = bytes > 0 ? nbuf : 0;
}

int64_t cost_l1_bytes(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT], L1Plan *p)
{
    int64_t co = f[TD_CO].t, ho = f[TD_HO].t, wo = f[TD_WO].t, ci = f[TD_CI].t;
    int64_t nsp = f[TD_HO].n * f[TD_WO].n, nco = f[TD_CO].n, nci = f[TD_CI].n;
    p->in_h = DORY_MIN(g->hin, (ho - 1) * g->sh + (int64_t)(g->kh - 1) * g->dh + 1);
    p->in_w = DORY_MIN(g->win, (wo - 1) * g->sw + (int64_t)(g->kw - 1) * g->dw + 1);
    p->in_c = tile_in_c(g, 0, co, ci);
    int in_once = nsp * nci == 1 && (!g->coupled || nco == 1);
    int64_t in0 = 0, in1 = 0;
    for (int i = 0; i < g->nin; i++) {
        int64_t px = i == 1 && g->in1_pixel ? 1 : p->in_h * p->in_w;
        int64_t b = px * tile_in_c(g, i, co, ci) * g->in_elem[i];
        if (i == 1 && g->kind == KK_ADD)
            in1 = b;
        else
            in0 += b;
    }
    set_buf(p, BUF_IN0, in0, in_once ? 1 : 2);
    set_buf(p, BUF_IN1, in1, in_once ? 1 : 2);
    int64_t wch = g->coupled ? g->gin : ci;
    set_buf(p, BUF_W, g->w_elem ? co * g->kh * g->kw * wch * g->w_elem : 0, nco * nci == 1 ? 1 : 2);
    set_buf(p, BUF_RQ, co * g->rq_per_ch + g->rq_fixed, nco == 1 ? 1 : 2);
    set_buf(p, BUF_OUT, ho * wo * co * g->out_elem, nsp * nco == 1 ? 1 : 2);
    set_buf(p, BUF_ACC, nci > 1 ? ho * wo * co * 4 : 0, 1);
    p->scratch_per_core = scratch_per_core(g, p, co, ho, wo);
    set_buf(p, BUF_SCRATCH, p->scratch_per_core * (t->cores > 0 ? t->cores : 1), 1);
    int64_t off = 0;
    for (int b = 0; b < BUF_COUNT; b++) {
        L1Buf *B = &p->buf[b];
        B->off[0] = B->off[1] = 0;
        for (int k = 0; k < B->nbuf; k++) {
            B->off[k] = off;
            off += align4(B->bytes);
        }
    }
    p->l1_used = off;
    return off;
}

/* DMA jobs for a box of rows x cols x ch out of a (H, W, C) tensor. */
static int64_t box_jobs(const Target *t, int64_t rows, int64_t cols, int64_t ch, int64_t H,
                        int64_t W, int64_t C)
{
    (void)H;
    int dims = ch == C && cols == W ? 1 : ch == C ? 2 : 3;
    if (t->dma_dims >= dims) return 1;
    if (dims == 2 || t->dma_dims == 2) return rows;
    return rows * cols;
}

typedef struct Dma {
    int64_t bytes, jobs;
} Dma;

/* All L2->L1 input traffic for one loop order. */
static Dma dma_inputs(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT],
                      const L1Plan *p, LoopOrder order)
{
    int64_t nh = f[TD_HO].n, nw = f[TD_WO].n, nco = f[TD_CO].n, nci = f[TD_CI].n;
    int64_t sweeps; /* how many times the whole input is read */
    if (g->coupled)
        sweeps = 1;
    else if (order == ORDER_HWC)
        sweeps = nci == 1 ? 1 : nco;
    else
        sweeps = nh * nw * nci == 1 ? 1 : nco;
    Dma d = {0, 0};
    for (int i = 0; i < g->nin; i++) {
        int64_t c = g->coupled ? g->cin[i] : g->cin_total;
        int pixel = i == 1 && g->in1_pixel; /* its channel slice per tile */
        d.bytes += pixel ? f[TD_HO].n * f[TD_WO].n * c * g->in_elem[i]
                         : sweeps * f[TD_HO].r * f[TD_WO].r * c * g->in_elem[i];
        /* per load: one job, or one per row / per pixel; rows summed over h tiles */
        int64_t per = box_jobs(t, p->in_h, p->in_w, tile_in_c(g, i, f[TD_CO].t, f[TD_CI].t), g->hin,
                               g->win, c);
        int64_t loads_per_h = sweeps * nw * (g->coupled ? nco : nci);
        d.jobs += per == 1 || pixel ? loads_per_h * nh
                  : per == p->in_h  ? loads_per_h * f[TD_HO].r
                                    : loads_per_h * f[TD_HO].r * p->in_w;
    }
    return d;
}

static Dma dma_weights(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT],
                       LoopOrder order)
{
    int64_t nsp = f[TD_HO].n * f[TD_WO].n, nco = f[TD_CO].n, nci = f[TD_CI].n;
    int64_t wtot =
        g->w_elem ? g->co * g->kh * g->kw * (g->coupled ? g->gin : g->cin_total) * g->w_elem : 0;
    int64_t rqtot = g->co * g->rq_per_ch + g->rq_fixed * nco;
    int64_t reads, loads; /* whole-weight reads, loads per read */
    if (order == ORDER_HWC)
        reads = nco * nci == 1 ? 1 : nsp;
    else
        reads = nci == 1 ? 1 : nsp;
    loads = nco * nci;
    int64_t jobs_w =
        f[TD_CI].t == cost_dim_size(g, TD_CI) || t->dma_dims >= 2 ? 1 : f[TD_CO].t * g->kh * g->kw;
    Dma d = {reads * (wtot + rqtot), reads * loads * ((wtot ? jobs_w : 0) + (rqtot ? 1 : 0))};
    return d;
}

static Dma dma_outputs(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT])
{
    int64_t nco = f[TD_CO].n, nw = f[TD_WO].n;
    int64_t per = box_jobs(t, f[TD_HO].t, f[TD_WO].t, f[TD_CO].t, g->ho, g->wo, g->co);
    Dma d = {g->ho * g->wo * g->co * g->out_elem, 0};
    d.jobs = per == 1            ? f[TD_HO].n * nw * nco
             : per == f[TD_HO].t ? g->ho * nw * nco
                                 : g->ho * g->wo * nco;
    return d;
}

/* MAC/cycle of the layer's kernel (variant included). */
static double kernel_mpc(const PlanGeom *g, const Target *t)
{
    const KernelCost *k = cost_kernel(g, t);
    int px1 = g->kernel == DORY_K_CONV2D_1PX && k->im2col1_mac_per_cycle > 0;
    double mpc = px1 ? k->im2col1_mac_per_cycle : k->mac_per_cycle;
    return mpc > 0 ? mpc : 1;
}

static double epilogue_of(const PlanGeom *g, const KernelCost *k)
{
    double e = (unsigned)g->rq_class < RQC_COUNT ? k->epilogue_rq[g->rq_class] : 0;
    if (e <= 0 && g->rq_class >= RQC_ADD_REQ && (unsigned)g->rq_base < RQC_COUNT)
        e = k->epilogue_rq[g->rq_base];
    return e > 0 ? e : k->epilogue_cycles;
}

/* Per output of a tile the kernel's form misses: the requant's class, at
 * least the form's (so that missing it never pays). */
static double epilogue_of_base(const PlanGeom *g, const KernelCost *k)
{
    PlanGeom b = *g;
    b.rq_class = g->rq_base;
    return fmax(epilogue_of(&b, k), epilogue_of(g, k));
}

typedef double (*TileWork)(const Target *t, const KernelCost *k, int64_t h, int64_t w);

/* per(h, w) summed over the tiles of h x w (full and last tiles of each). */
static double over_tiles(const Target *t, const KernelCost *k, const DimFeat *h, const DimFeat *w,
                         TileWork per)
{
    int64_t hs[2] = {h->t, h->last}, ws[2] = {w->t, w->last};
    int64_t hn[2] = {h->n - 1, 1}, wn[2] = {w->n - 1, 1};
    double s = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (hn[i] && wn[j]) s += (double)(hn[i] * wn[j]) * per(t, k, hs[i], ws[j]);
    return s;
}

/* Output pixels of a tile, the busiest core's share (in par_block groups)
 * times the cores: for kernels split by pixels. */
static double pixel_work(const Target *t, const KernelCost *k, int64_t h, int64_t w)
{
    return split_up(h * w, k->par_block, t->cores > 0 ? t->cores : 1);
}

/* Pixel slots of a tile of a kernel split by whole rows whose matrix core
 * takes each core's pixels (its rows, contiguous) 4 at a time: the busiest
 * core's slots times the cores. */
static double row_group_slots(const Target *t, const KernelCost *k, int64_t h, int64_t w)
{
    int64_t cores = t->cores > 0 ? t->cores : 1;
    (void)k;
    return (double)(ceil_div(ceil_div(h, cores) * w, 4) * 4 * cores);
}

/* Per tile of conv2d's 2-D split, the busiest core's counts times the
 * cores (channels: per core): its outputs (channels with the row's
 * leftover-channel penalty x pixels), the empty pixel slots of its groups
 * of 4 (times its channels), its im2col pixels, its channels. */
typedef struct {
    double outs, slots, pixels, chans, left;
} Split2d;

static Split2d split2d_tile(const PlanGeom *g, const Target *t, const KernelCost *k, int64_t co,
                            int64_t h, int64_t w)
{
    dory_conv_params_t cp;
    dory_dims_t out = {(int)h, (int)w, (int)co, 0};
    int cores = t->cores > 0 ? t->cores : 1, pp, blk = g->kernel == DORY_K_CONV2D_1PX ? 1 : 4;
    memset(&cp, 0, sizeof cp);
    cp.im2col_pixels = blk == 1;
    int rows, parts = dory_conv2d_hwc_s8_parts(&cp, &out, cores, &pp, &rows);
    /* the busiest core's pixels: its whole rows, or its groups */
    int64_t px = rows ? ceil_div(h, pp) * w : ceil_div(ceil_div(h * w, blk), pp) * blk;
    px = DORY_MIN(px, h * w);
    int64_t slots = ceil_div(px, blk) * blk;
    int64_t cc = DORY_MIN(co, ceil_div(ceil_div(co, 4), parts) * 4);
    double ch = aligned(cc, k->co_align, k->co_penalty);
    return (Split2d){ch * (double)(px * cores), ch * (double)((slots - px) * cores),
                     (double)(px * cores), (double)cc, (double)(cc % 4 * px * cores)};
}

/* split2d_tile summed over the tiles of the output channels and pixels. */
static Split2d split2d_sum(const PlanGeom *g, const Target *t, const KernelCost *k,
                           const DimFeat f[TD_COUNT])
{
    const DimFeat *d[3] = {&f[TD_CO], &f[TD_HO], &f[TD_WO]};
    Split2d s = {0, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) {
        int64_t n = 1, size[3];
        for (int j = 0; j < 3; j++) {
            int last = i >> j & 1;
            n *= last ? 1 : d[j]->n - 1;
            size[j] = last ? d[j]->last : d[j]->t;
        }
        if (!n) continue;
        Split2d e = split2d_tile(g, t, k, size[0], size[1], size[2]);
        s.outs += (double)n * e.outs, s.slots += (double)n * e.slots;
        s.pixels += (double)n * e.pixels, s.chans += (double)n * e.chans;
        s.left += (double)n * e.left;
    }
    return s;
}

/* Fraction of a tile's 4-pixel groups (consecutive pixels of the flattened
 * tile, from a multiple of 4) that lie in one row of width w: over a period
 * of w / gcd(w, 4) groups, the group starts 4g mod w take each multiple of
 * gcd(w, 4) once, and a group is in one row when it starts at w - 4 or
 * before. */
static double in_row_share(int64_t w)
{
    if (w < 4) return 0;
    int64_t d = w % 4 == 0 ? 4 : w % 2 == 0 ? 2 : 1;
    return (double)((w - 4) / d + 1) / (double)(w / d);
}

/* Output rows (or cols) of [a, a+len) whose window reads padding. */
static int64_t padded_out(int64_t a, int64_t len, int s, int k, int dil, int pad, int64_t in)
{
    int64_t n = 0;
    for (int64_t o = a; o < a + len && o * s - pad < 0; o++) n++;
    for (int64_t o = a + len - 1; o >= a && o * s - pad + (int64_t)(k - 1) * dil >= in; o--)
        if (o * s - pad >= 0) n++;
    return n;
}

/* Per dimension (rows or cols), the kinds of tiles: first, middle, last, as
 * (count, size, padded outputs). */
typedef struct {
    int64_t n, len, pad;
} TileKind;

static int tile_kinds(const PlanGeom *g, const DimFeat *f, int h, TileKind k[3])
{
    int s = h ? g->sh : g->sw, kk = h ? g->kh : g->kw, dil = h ? g->dh : g->dw;
    int pad = h ? g->pad[0] : g->pad[1];
    int64_t in = h ? g->hin : g->win;
    int nk = 0;
    for (int i = 0; i < 3; i++) {
        int64_t idx = i == 0 ? 0 : i == 1 ? 1 : f->n - 1, cnt = i == 1 ? f->n - 2 : 1;
        if ((i == 2 && f->n < 2) || cnt <= 0) continue;
        int64_t len = idx + 1 < f->n ? f->t : f->last;
        k[nk++] = (TileKind){cnt, len, padded_out(idx * f->t, len, s, kk, dil, pad, in)};
    }
    return nk;
}

/* Output pixels of the 4-pixel conv that its im2col builds pixel by pixel
 * (kernels/dory_conv2d_hwc_s8.c: a group of 4 is copied by kernel rows only
 * when its pixels are in one row and their windows inside the tile; else
 * each pixel's window alone), summed over the tiles of rows and columns. */
static double conv_px_slow(const PlanGeom *g, const DimFeat f[TD_COUNT])
{
    TileKind hk[3], wk[3];
    int nh = tile_kinds(g, &f[TD_HO], 1, hk), nw = tile_kinds(g, &f[TD_WO], 0, wk);
    double slow = 0;
    for (int i = 0; i < nh; i++)
        for (int j = 0; j < nw; j++) {
            double h = (double)hk[i].len, w = (double)wk[j].len;
            double fast =
                (h - (double)hk[i].pad) * (w - (double)wk[j].pad) * in_row_share(wk[j].len);
            slow += (double)(hk[i].n * wk[j].n) * fmax(h * w - fast, 0);
        }
    return slow;
}

/* The counts of the compute terms (PT_SLICES..PT_PSUM) of a tiling. */
static void compute_terms(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT],
                          double term[PT_COUNT])
{
    const KernelCost *k = cost_kernel(g, t);
    int64_t nco = f[TD_CO].n, nsp = f[TD_HO].n * f[TD_WO].n, nci = f[TD_CI].n;
    double taps = (double)g->kh * g->kw;
    double sp = k->par == PAR_PIXELS ? over_tiles(t, k, &f[TD_HO], &f[TD_WO], pixel_work)
                                     : f[TD_HO].f * f[TD_WO].f;
    double outs = f[TD_CO].f * sp;
    int elem = g->kind == KK_ADD || g->kind == KK_ELEM || g->kind == KK_COPY;
    term[PT_SLICES] = 1;
    term[PT_TILES] = (double)(nco * nsp * nci);
    term[PT_MACS] = elem ? outs : outs * f[TD_CI].f * taps;
    /* staged input: conv im2col rows (every channel tile builds its own);
     * else the input tiles (halo included) the kernel reads or copies */
    int odd = g->cin_total % 4 || f[TD_CI].t % 4; /* not in whole words: the portable im2col */
    if (g->kind == KK_CONV) /* input_odd: the same taps again (what they cost more) */
        term[PT_INPUT] = term[PT_INPUT_ODD] = (double)nco * sp * f[TD_CI].f * taps;
    else if (g->coupled)
        term[PT_INPUT] = (double)f[TD_HO].r * (double)f[TD_WO].r * f[TD_CO].f;
    else
        term[PT_INPUT] = (double)f[TD_HO].r * (double)f[TD_WO].r * f[TD_CI].f * (double)nco;
    /* the matrix core's dot products take 4 taps at a time; K % 4 tail
     * taps go by another loop (not on the first-layer path: K rounded up) */
    int64_t ci = f[TD_CI].t;
    double tail = conv_staged(g, ci) ? 0 : (double)(conv_k(g, ci) % 4) * (double)nci;
    if (g->kind == KK_CONV) term[PT_MAC_TAIL] = outs * tail;
    if (g->kind == KK_CONV && k->par == PAR_ROWS && g->kernel != DORY_K_CONV2D_1PX)
        term[PT_MAC_GROUP] = f[TD_CO].f * f[TD_CI].f * taps *
                             (over_tiles(t, k, &f[TD_HO], &f[TD_WO], row_group_slots) - sp);
    term[PT_CHAN] = f[TD_CO].f * (double)(nsp * nci);
    term[PT_OUTS] = outs;
    term[PT_PIXELS] = sp * (double)(nco * nci);
    if (g->kernel == DORY_K_CONV2D && !conv_staged(g, ci))
        term[PT_INPUT_PX] = conv_px_slow(g, f) * (double)nco * f[TD_CI].f * taps;
    if (split2d(g, t)) { /* the same terms from the busiest core's share of each tile */
        Split2d s2 = split2d_sum(g, t, k, f);
        term[PT_MACS] = s2.outs * f[TD_CI].f * taps;
        term[PT_INPUT] = term[PT_INPUT_ODD] = s2.pixels * f[TD_CI].f * taps;
        term[PT_MAC_TAIL] = s2.outs * tail;
        term[PT_MAC_GROUP] = s2.slots * f[TD_CI].f * taps;
        term[PT_MAC_CO] = s2.left * f[TD_CI].f * taps;
        if (conv_staged(g, ci)) term[PT_STAGE_PX] = s2.pixels;
        term[PT_CHAN] = s2.chans * (double)nci;
        term[PT_OUTS] = s2.outs;
    }
    if (pool_class(g, TD_CO, f[TD_CO].t)) {
        const DimFeat *c = &f[TD_CO];
        double miss =
            (c->n > 1 && c->t % 4 ? (double)(c->n - 1) * dim_factor(g, t, TD_CO, c->t) : 0) +
            (c->last % 4 ? dim_factor(g, t, TD_CO, c->last) : 0);
        term[PT_OUTS_BASE] = miss * sp;
    }
    if (!odd) term[PT_INPUT_ODD] = 0;
    if (conv_odd(g, ci)) term[PT_MAC_ODD] = term[PT_MACS];
    term[PT_PSUM] = (double)(g->ho * g->wo * g->co) * (double)(nci - 1);
}

static double compute_cycles(const PlanGeom *g, const Target *t, const double term[PT_COUNT])
{
    const KernelCost *k = cost_kernel(g, t);
    /* a kind's estimate costs the epilogue per output; a fitted row per
     * output of the busiest core times the cores (what it was fitted on) */
    double outs = k == &t->kernel[g->kind] ? (double)(g->ho * g->wo * g->co) : term[PT_OUTS];
    return term[PT_MACS] / kernel_mpc(g, t) + term[PT_INPUT] * k->input_cycles +
           term[PT_INPUT_ODD] * k->input_odd_cycles + term[PT_MAC_TAIL] * k->mac_tail_cycles +
           term[PT_MAC_GROUP] * k->mac_group_cycles + term[PT_MAC_CO] * k->mac_co_cycles +
           term[PT_MAC_ODD] * k->mac_odd_cycles + term[PT_INPUT_PX] * k->input_px_cycles +
           term[PT_STAGE_PX] * k->stage_px_cycles + term[PT_PIXELS] * k->pixel_cycles +
           term[PT_CHAN] * k->chan_cycles + (outs - term[PT_OUTS_BASE]) * epilogue_of(g, k) +
           term[PT_OUTS_BASE] * epilogue_of_base(g, k) + term[PT_PSUM] * k->psum_cycles;
}

double cost_lower_bound(const PlanGeom *g, const Target *t, int64_t tiles)
{
    const KernelCost *k = cost_kernel(g, t);
    double mpc = kernel_mpc(g, t);
    double outs = (double)(g->ho * g->wo * g->co);
    double px = (double)(g->ho * g->wo);
    /* a conv builds every output pixel's im2col taps at least once; every
     * tile has a channel; the first-layer path stages every pixel */
    double taps = g->kind == KK_CONV ? px * g->kh * g->kw * (double)g->cin_total : 0;
    double staged = conv_staged(g, g->cin_total) && g->cin_total % 4 ? px : 0;
    return k->layer_cycles + (double)tiles * (k->tile_overhead + k->chan_cycles) +
           (double)g->macs / mpc + outs * epilogue_of(g, k) + taps * k->input_cycles +
           staged * k->stage_px_cycles + px * k->pixel_cycles;
}

/* First load (input, weights, constants of a full tile) and last store:
 * their cycles; their transfers and bytes in term[PT_FL_*]. */
static double first_last(const Target *t, const L1Plan *p, double term[PT_COUNT])
{
    int64_t in = p->buf[BUF_IN0].bytes + p->buf[BUF_IN1].bytes;
    int64_t w = p->buf[BUF_W].bytes + p->buf[BUF_RQ].bytes;
    int64_t out = p->buf[BUF_OUT].bytes;
    int jobs = (in > 0) + (p->buf[BUF_IN1].bytes > 0) + (w > 0);
    term[PT_FL_JOBS] = (double)(jobs * (in + w > 0) + (out > 0));
    term[PT_FL_BYTES] = (double)(in + w + out);
    return cost_dma(&t->l1, jobs, in + w) + cost_dma(&t->l1, 1, out);
}

double cost_cycles(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT], L1Plan *p)
{
    const KernelCost *k = cost_kernel(g, t);
    double term[PT_COUNT] = {0};
    compute_terms(g, t, f, term);
    double comp = compute_cycles(g, t, term);
    double ovh = k->layer_cycles + term[PT_TILES] * k->tile_overhead;
    double fl = first_last(t, p, term);
    Dma out = dma_outputs(g, t, f);
    double best = INFINITY;
    for (int o = ORDER_HWC; o <= ORDER_CHW; o++) {
        Dma in = dma_inputs(g, t, f, p, (LoopOrder)o);
        Dma w = dma_weights(g, t, f, (LoopOrder)o);
        double dma = cost_dma(&t->l1, in.jobs, in.bytes) + cost_dma(&t->l1, w.jobs, w.bytes) +
                     cost_dma(&t->l1, out.jobs, out.bytes);
        double issue = (double)(in.jobs + w.jobs + out.jobs) * k->job_cycles;
        double total = ovh + issue + fmax(comp + fl, dma);
        if (total >= best) continue;
        best = total;
        p->order = (LoopOrder)o;
        p->dma_in_bytes = in.bytes;
        p->dma_w_bytes = w.bytes;
        p->dma_out_bytes = out.bytes;
        p->dma_jobs = in.jobs + w.jobs + out.jobs;
        p->cost = (PlanCost){comp, ovh + issue, dma, total - ovh - issue - comp, 0, total, {0}};
        memcpy(p->cost.term, term, sizeof term);
        p->cost.term[PT_DMA_JOBS] = (double)p->dma_jobs;
        p->cost.term[PT_DMA_BYTES] = (double)(in.bytes + w.bytes + out.bytes);
    }
    return best;
}

double cost_dory_score(const PlanGeom *g, const Target *t, const L1Plan *p)
{
    /* DORY (tiler_conv2d.py): maximize the L1 bytes used, plus large bonuses
     * for output channels multiple of 8/4/2... and output rows multiple of
     * the core count; ties go to the larger tile. */
    const TileDim *d = p->d;
    double s = (double)p->l1_used;
    int cores = t->cores > 0 ? t->cores : 1;
    if (d[TD_CO].tile % 8 == 0 || d[TD_CO].tile == g->co) s += 1e6;
    if (d[TD_CO].tile % 4 == 0) s += 5e5;
    if (d[TD_CO].tile % 2 == 0) s += 2.5e5;
    if (d[TD_HO].tile % cores == 0 || d[TD_HO].tile == g->ho) s += 1e6;
    if (d[TD_WO].tile % 2 == 0 || d[TD_WO].tile == g->wo) s += 2.5e5;
    return s;
}
