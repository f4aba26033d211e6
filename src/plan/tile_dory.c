/* tile_dory.c: the original DORY tool's L2->L1 tile choice, for
 * `--objective dory`.
 *
 * The rules are those of DORY's GAP8 backend (pulp-platform/dory, its PULP
 * tilers for conv2d, pooling and add), as ../shared/dory-tiles.md records
 * them: its own L1 formula (double-buffered tiles, whole bias once, its
 * im2col sizes, 40 bytes of slack; pooling 20; add none), the early exit that
 * takes a layer whole when it fits single-buffered, its geometry equations
 * between input and output tile sizes, no input-channel tiling, depthwise
 * whole-plane (inputs up to 32x32) or whole-width, add with all channels and
 * rows at full width, and its objective with every term. DORY maximizes it
 * with a constraint solver whose search assigns the smallest values first
 * and keeps only strictly better solutions, so among equal scores it returns
 * the first tuple in lexicographic order of (co, h_in, w_in); the
 * enumeration below visits tuples in that order and keeps the first best.
 * Sizes are small (a layer's dimensions), so enumeration is exact and fast.
 *
 * The result is a tile in dory's terms; plan.c still checks it against dory's
 * own buffers and budget (tile_l1.c).
 */
#include "plan_int.h"

enum { DORY_CORES = 8, DB = 2 }; /* DORY's GAP8 cluster; every tile double-buffered */

typedef struct DoryLayer {
    int64_t ci, co, h, w, ho, wo; /* input channels (fc: K), output channels, sizes */
    int kh, kw, sh, sw;
    int pad_h, pad_w; /* top + bottom, left + right */
    int64_t consts;   /* bytes of k and l per output channel (BNRelu_bits) */
    int64_t bias;     /* the whole bias */
    int fc;           /* no im2col */
    int out_bytes;    /* 1, or 4 for a network's last fc (i32 output) */
} DoryLayer;

/* Output rows of an input tile by DORY's equation h_out*s == h_in - (k-1) +
 * (s-1) + pads*[h_in == H]; 0 if it has no integer solution in 1..out. */
static int64_t out_of_in(int64_t in, int64_t full, int64_t out, int k, int s, int pad)
{
    int64_t num = in - (k - 1) + (s - 1) + (in == full ? pad : 0);
    if (num <= 0 || num % s) return 0;
    return num / s <= out ? num / s : 0;
}

/* Whole-size tiles after DORY's solve: its generated code recomputes the
 * output size from the input size (and uses the row stride for columns). */
static int64_t out_whole(int64_t full, int k, int pad, int s)
{
    return (full - (k - 1) + pad + (s - 1)) / s;
}

typedef struct Best {
    double score;
    int64_t co, ho, wo;
    int found;
} Best;

static void keep(Best *b, double score, int64_t co, int64_t ho, int64_t wo)
{
    if (b->found && score <= b->score) return; /* strictly better only: first best wins */
    *b = (Best){score, co, ho, wo, 1};
}

static int conv_tile(const DoryLayer *L, int64_t budget, int64_t tile[TD_COUNT])
{
    int64_t im2col = L->fc ? 0 : 2 * DORY_CORES * L->kh * L->kw * L->ci;
    int64_t whole = L->co * L->ci * L->kh * L->kw + L->co * L->consts + L->bias +
                    L->ci * L->h * L->w + L->co * L->ho * L->wo * L->out_bytes + im2col;
    if (whole <= budget) {
        tile[TD_CO] = L->co, tile[TD_HO] = L->ho, tile[TD_WO] = L->wo;
        return 0;
    }
    Best b = {0};
    for (int64_t co = 1; co <= L->co; co++)
        for (int64_t hi = L->kh; hi <= L->h; hi++) {
            if ((hi - L->kh) % L->sh) continue;
            int64_t ho = out_of_in(hi, L->h, L->ho, L->kh, L->sh, L->pad_h);
            if (!ho) continue;
            for (int64_t wi = L->kw; wi <= L->w; wi++) {
                int64_t wo = out_of_in(wi, L->w, L->wo, L->kw, L->sw, L->pad_w);
                if (!wo) continue;
                int64_t mem = DB * L->ci * hi * wi + DB * co * ho * wo * L->out_bytes +
                              DB * L->ci * co * L->kh * L->kw + DB * co * L->consts + L->bias +
                              im2col + 40;
                if (mem > budget) continue;
                double s = 2e6 * ((ho - 1) % 8) + 3e6 * ((wo - 1) % 2) + 1e6 * ((co - 1) % 4) +
                           1e6 * (wo * ho >= 16) + (double)mem + 1e5 * (double)co +
                           1e4 * ((L->co - 1) % co) + 1e4 * (((L->co - 1) % co) % 4) +
                           2e4 * (((L->ho - 1) % ho) % 8) + 3e4 * (((L->wo - 1) % wo) % 2);
                int64_t h_tile = hi >= L->h ? out_whole(L->h, L->kh, L->pad_h, L->sh) : ho;
                int64_t w_tile = wi >= L->w ? out_whole(L->w, L->kw, L->pad_w, L->sh) : wo;
                keep(&b, s, co, h_tile, w_tile);
            }
        }
    if (!b.found) return -1;
    tile[TD_CO] = b.co, tile[TD_HO] = b.ho, tile[TD_WO] = b.wo;
    return 0;
}

static int dw_tile(const DoryLayer *L, int64_t budget, int64_t tile[TD_COUNT])
{
    int64_t whole = L->co * L->kh * L->kw + L->co * L->consts + L->bias + L->co * L->h * L->w +
                    L->co * L->ho * L->wo + DORY_CORES * (L->kh * (L->h + L->pad_h) + L->kh);
    if (whole <= budget) {
        tile[TD_CO] = L->co, tile[TD_HO] = L->ho, tile[TD_WO] = L->wo;
        return 0;
    }
    int plane = L->h <= 32 && L->w <= 32; /* whole plane, else whole width */
    Best b = {0};
    for (int64_t n = 1; n <= L->co; n++)
        for (int64_t hi = plane ? L->h : L->kh; hi <= L->h; hi++) {
            int64_t ho = L->ho;
            if (!plane) {
                if (L->h > 32 && L->w > 32 && (hi - L->kh) % L->sh) continue;
                int64_t num = hi - (L->kh - 1) + (hi % L->h == 0 ? L->pad_h : 0) + (L->sh - 1);
                if (num <= 0 || num % L->sh || num / L->sh > L->ho) continue;
                ho = num / L->sh;
            }
            int64_t wo = L->wo, wi = L->w;
            int64_t mem = DB * n * hi * wi + DB * n * ho * wo + DB * n * L->kh * L->kw +
                          DORY_CORES * (L->kh * (n + L->pad_h) + L->kh) + DB * n * L->consts +
                          L->bias + 40;
            if (mem > budget) continue;
            double s = 1e4 * (n > 7) + 2e4 * ((n - 1) % 16) + 1e4 * (ho % 4 == 0) + (double)mem +
                       1e3 * (double)wo + 1e3 * (double)ho + 100 * ((L->ho - 1) % ho) +
                       100 * ((L->wo - 1) % wo) + 100 * (((L->co - 1) % n) > 7) +
                       100 * (((L->ho - 1) % ho) % 4);
            keep(&b, s, n, hi >= L->h ? out_whole(L->h, L->kh, L->pad_h, L->sh) : ho, wo);
        }
    if (!b.found) return -1;
    tile[TD_CO] = b.co, tile[TD_HO] = b.ho, tile[TD_WO] = b.wo;
    return 0;
}

static int pool_tile(const DoryLayer *L, int64_t budget, int64_t tile[TD_COUNT])
{
    if (L->co * L->h * L->w + L->co * L->ho * L->wo <= budget) {
        tile[TD_CO] = L->co, tile[TD_HO] = L->ho, tile[TD_WO] = L->wo;
        return 0;
    }
    Best b = {0};
    for (int64_t n = 1; n <= L->co; n++)
        for (int64_t hi = L->kh; hi <= L->h; hi++) {
            if ((hi - L->kh) % L->sh) continue;
            int64_t ho = out_of_in(hi, -1, L->ho, L->kh, L->sh, 0);
            if (!ho) continue;
            for (int64_t wi = L->kw; wi <= L->w; wi++) {
                if ((wi - L->kw) % L->sw) continue;
                int64_t wo = out_of_in(wi, -1, L->wo, L->kw, L->sw, 0);
                if (!wo) continue;
                int64_t mem = DB * n * hi * wi + DB * n * ho * wo + 20;
                if (mem > budget) continue;
                double s = 1e4 * (double)mem + 100 * (double)wi + (double)hi + 1e6 * (double)n;
                keep(&b, s, n, hi >= L->h ? out_whole(L->h, L->kh, L->pad_h, L->sh) : ho,
                     wi >= L->w ? out_whole(L->w, L->kw, L->pad_w, L->sh) : wo);
            }
        }
    if (!b.found) return -1;
    tile[TD_CO] = b.co, tile[TD_HO] = b.ho, tile[TD_WO] = b.wo;
    return 0;
}

/* Add: all channels, rows at the full width (the width variable does not
 * enter its memory, and its objective takes it whole). */
static int add_tile(const DoryLayer *L, int64_t budget, int64_t tile[TD_COUNT])
{
    tile[TD_CO] = L->co, tile[TD_WO] = L->wo;
    if (3 * L->co * L->h * L->w <= budget) {
        tile[TD_HO] = L->ho;
        return 0;
    }
    for (int64_t h = L->h; h >= 1; h--)
        if (DB * L->co * h * L->w * 2 + DB * L->co * h * L->w <= budget) {
            tile[TD_HO] = h;
            return 0;
        }
    return -1;
}

int tile_dory(const PlanGeom *g, const Target *t, int64_t tile[TD_COUNT])
{
    DoryLayer L = {g->cin_total,
                   g->co,
                   g->hin,
                   g->win,
                   g->ho,
                   g->wo,
                   g->kh,
                   g->kw,
                   g->sh,
                   g->sw,
                   g->pad[0] + g->pad[2],
                   g->pad[1] + g->pad[3],
                   (int64_t)g->dory_consts * (t->dory_const_bits / 8),
                   g->bias_bytes,
                   g->kind == KK_FC,
                   g->out_elem};
    int64_t budget = target_l1_budget(t); /* DORY's own, when smaller */
    if (t->dory_l1_budget > 0 && t->dory_l1_budget < budget) budget = t->dory_l1_budget;
    tile[TD_CI] = cost_dim_size(g, TD_CI); /* DORY never tiles input channels */
    if (g->in_elem[0] != 1 || (g->out_elem != 1 && !(L.fc && g->out_elem == 4)) || g->dh > 1 ||
        g->dw > 1)
        return -1;
    switch (g->kind) {
    case KK_CONV:
    case KK_PW:
    case KK_FC:
        if (g->coupled) return -1;
        return conv_tile(&L, budget, tile);
    case KK_DW: return g->gin == 1 ? dw_tile(&L, budget, tile) : -1;
    case KK_POOL: return pool_tile(&L, budget, tile);
    case KK_ADD: return add_tile(&L, budget, tile);
    default: return -1;
    }
}
