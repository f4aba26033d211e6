/* tile_l1.c: the L2->L1 tiling solver.
 *
 * Variables: tile sizes of output channels, output rows, output columns and
 * (conv/fc) input channels. Constraints: the L1 budget (cost_l1_bytes) and
 * the kernel's structure (groups, full channels for concat/softmax).
 * Objective: modeled cycles (exact) or DORY's L1-use score (comparison).
 *
 * Exactness: per dimension, the candidate tile sizes are all sizes, minus
 * those dominated by a smaller size with the same tile count whose features
 * (cost_dim_feat) are all no larger: L1 bytes grow with the size, and for a
 * fixed count the cost only grows with the features, so a dominated size is
 * never strictly better. The branch and bound visits tile counts in
 * increasing order and stops a loop once the lower bound (tile overhead +
 * ideal compute) reaches the incumbent. tile_l1_brute checks this.
 * This file never exits on a failure: it explains it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan_int.h"

TileDim tile_dim(int64_t size, int64_t tile)
{
    TileDim d = {size, tile, 1, size};
    if (tile <= 0 || size <= 0) return d;
    d.n = ceil_div(size, tile);
    d.last = size - (d.n - 1) * tile;
    return d;
}

/* Sizes a dimension may take (structure, not memory). */
static int dim_allowed(const PlanGeom *g, int d, int64_t t)
{
    int64_t size = cost_dim_size(g, d);
    if (d == TD_CO && g->co_full) return t == size;
    if (d == TD_CO && g->coupled && g->gout > 1) return t % g->gout == 0;
    if (d == TD_CI && !g->ci_tiling) return t == size;
    return 1;
}

typedef struct CandList {
    DimFeat *v;
    int n;
} CandList;

/* Candidates of dimension d, tile counts increasing, dominated sizes removed. */
static int cand_build(const PlanGeom *g, const Target *t, int d, CandList *c)
{
    int64_t size = cost_dim_size(g, d);
    int joint = cost_dim_joint(g, t, d);
    c->v = util_malloc((size_t)size * sizeof *c->v);
    c->n = 0;
    if (!c->v) return -1;
    for (int64_t tile = size; tile >= 1; tile--) {
        if (!dim_allowed(g, d, tile)) continue;
        DimFeat f = cost_dim_feat(g, t, d, tile);
        /* same count: entries kept so far with n == f.n have larger tiles, so
         * f may dominate them; drop those it dominates (none where the cost
         * depends on this dimension jointly with another). */
        int k = c->n;
        while (k > 0 && c->v[k - 1].n == f.n) k--;
        int w = k;
        for (int i = k; i < c->n; i++)
            if (joint || !cost_dim_may_dominate(g, t, d, tile, c->v[i].t) ||
                !(f.f <= c->v[i].f && f.r <= c->v[i].r))
                c->v[w++] = c->v[i];
        c->n = w;
        c->v[c->n++] = f;
    }
    /* entries of one count are in decreasing size; order by count only */
    return 0;
}

static void fill_dims(L1Plan *p, const DimFeat f[TD_COUNT], const PlanGeom *g)
{
    for (int d = 0; d < TD_COUNT; d++)
        p->d[d] = (TileDim){cost_dim_size(g, d), f[d].t, f[d].n, f[d].last};
}

int tile_l1_eval(const PlanGeom *g, const Target *t, const int64_t tile[TD_COUNT], L1Plan *p)
{
    DimFeat f[TD_COUNT];
    memset(p, 0, sizeof *p);
    for (int d = 0; d < TD_COUNT; d++) f[d] = cost_dim_feat(g, t, d, tile[d]);
    fill_dims(p, f, g);
    p->l1_budget = target_l1_budget(t);
    cost_l1_bytes(g, t, f, p);
    cost_cycles(g, t, f, p);
    p->dory_score = cost_dory_score(g, t, p);
    p->kernel = g->kernel;
    p->ok = p->l1_used <= p->l1_budget;
    return p->ok;
}

typedef struct Search {
    const PlanGeom *g;
    const Target *t;
    int64_t budget;
    CandList c[TD_COUNT];
    L1Plan best, tmp;
    double best_cost;
    int64_t evals;
    int64_t min_l1; /* smallest L1 footprint seen (for the explanation) */
    L1Plan smallest;
} Search;

static void consider(Search *s, const DimFeat f[TD_COUNT])
{
    L1Plan *p = &s->tmp;
    s->evals++;
    if (cost_l1_bytes(s->g, s->t, f, p) > s->budget) {
        if (p->l1_used < s->min_l1) {
            s->min_l1 = p->l1_used;
            fill_dims(p, f, s->g);
            s->smallest = *p;
        }
        return;
    }
    double c = cost_cycles(s->g, s->t, f, p);
    if (c >= s->best_cost) return;
    s->best_cost = c;
    fill_dims(p, f, s->g);
    p->ok = 1;
    s->best = *p;
}

/* Loops: ho, wo, ci outside, co inside; each by increasing tile count. */
static void search_exact(Search *s)
{
    DimFeat f[TD_COUNT];
    for (int a = 0; a < s->c[TD_HO].n; a++) {
        f[TD_HO] = s->c[TD_HO].v[a];
        if (cost_lower_bound(s->g, s->t, f[TD_HO].n) >= s->best_cost) break;
        for (int b = 0; b < s->c[TD_WO].n; b++) {
            f[TD_WO] = s->c[TD_WO].v[b];
            int64_t nsp = f[TD_HO].n * f[TD_WO].n;
            if (cost_lower_bound(s->g, s->t, nsp) >= s->best_cost) break;
            for (int k = 0; k < s->c[TD_CI].n; k++) {
                f[TD_CI] = s->c[TD_CI].v[k];
                if (cost_lower_bound(s->g, s->t, nsp * f[TD_CI].n) >= s->best_cost) break;
                for (int c = 0; c < s->c[TD_CO].n; c++) {
                    f[TD_CO] = s->c[TD_CO].v[c];
                    int64_t tiles = nsp * f[TD_CI].n * f[TD_CO].n;
                    if (cost_lower_bound(s->g, s->t, tiles) >= s->best_cost) break;
                    consider(s, f);
                }
            }
        }
    }
}

/* DORY's objective: for each (ho, wo, ci) the best output-channel tile is the
 * largest that fits or its largest multiple of 8, 4 or 2 (bonuses). Input
 * channels are tiled only when no full-channel tiling fits, as in DORY. */
static int64_t max_fitting_co(Search *s, DimFeat f[TD_COUNT])
{
    int64_t lo = 0, hi = s->g->co - 1; /* largest t < co with footprint <= budget */
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        f[TD_CO] = cost_dim_feat(s->g, s->t, TD_CO, mid);
        if (cost_l1_bytes(s->g, s->t, f, &s->tmp) <= s->budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void dory_try(Search *s, DimFeat f[TD_COUNT], int64_t co, double *best_score)
{
    if (co < 1 || !dim_allowed(s->g, TD_CO, co)) return;
    f[TD_CO] = cost_dim_feat(s->g, s->t, TD_CO, co);
    L1Plan *p = &s->tmp;
    s->evals++;
    if (cost_l1_bytes(s->g, s->t, f, p) > s->budget) return;
    fill_dims(p, f, s->g);
    double score = cost_dory_score(s->g, s->t, p);
    if (score <= *best_score) return;
    *best_score = score;
    cost_cycles(s->g, s->t, f, p);
    p->ok = 1;
    p->dory_score = score;
    s->best = *p;
}

static void dory_co(Search *s, DimFeat f[TD_COUNT], double *best_score)
{
    dory_try(s, f, s->g->co, best_score);
    int64_t m = max_fitting_co(s, f); /* < co: n >= 2 keeps the footprint monotone */
    if (m < 1) return;
    dory_try(s, f, m, best_score);
    for (int a = 8; a >= 2; a /= 2) dory_try(s, f, m / a * a, best_score);
    if (s->g->gout > 1) dory_try(s, f, m / s->g->gout * s->g->gout, best_score);
}

static void search_dory(Search *s)
{
    DimFeat f[TD_COUNT];
    double best_score = -1;
    for (int pass = 0; pass < 2 && best_score < 0; pass++) {
        for (int64_t ho = s->g->ho; ho >= 1; ho--) {
            f[TD_HO] = cost_dim_feat(s->g, s->t, TD_HO, ho);
            for (int64_t wo = s->g->wo; wo >= 1; wo--) {
                f[TD_WO] = cost_dim_feat(s->g, s->t, TD_WO, wo);
                int nci = pass == 0 ? 1 : s->c[TD_CI].n;
                for (int k = 0; k < nci; k++) {
                    f[TD_CI] = s->c[TD_CI].v[k]; /* v[0]: full input channels */
                    dory_co(s, f, &best_score);
                }
            }
        }
    }
    if (best_score >= 0) s->best_cost = s->best.cost.total;
}

static const char *explain_failure(Search *s, Arena *a)
{
    const L1Plan *p = &s->smallest;
    int worst = 0;
    for (int b = 1; b < BUF_COUNT; b++)
        if (p->buf[b].bytes * p->buf[b].nbuf > p->buf[worst].bytes * p->buf[worst].nbuf) worst = b;
    return arena_printf(a,
                        "no L1 tiling fits: the smallest tiling (co %lld, rows %lld, cols %lld, "
                        "ci %lld) needs %lld bytes, %lld more than the L1 budget of %lld; its "
                        "largest buffer is '%s' (%lld bytes x %d)",
                        (long long)p->d[TD_CO].tile, (long long)p->d[TD_HO].tile,
                        (long long)p->d[TD_WO].tile, (long long)p->d[TD_CI].tile,
                        (long long)p->l1_used, (long long)(p->l1_used - s->budget),
                        (long long)s->budget, plan_buf_name((L1BufId)worst),
                        (long long)p->buf[worst].bytes, p->buf[worst].nbuf);
}

/* What stops the chosen tiling from growing: the budget or the cost. */
static const char *explain_binding(Search *s, Arena *a)
{
    const L1Plan *p = &s->best;
    static const char *const names[TD_COUNT] = {"output channels", "output rows", "output columns",
                                                "input channels"};
    int64_t tiles = p->d[0].n * p->d[1].n * p->d[2].n * p->d[3].n;
    if (tiles == 1) return "the whole layer fits L1 in one tile";
    int64_t tile[TD_COUNT];
    for (int d = 0; d < TD_COUNT; d++) tile[d] = p->d[d].tile;
    for (int d = 0; d < TD_COUNT; d++) {
        if (p->d[d].n == 1) continue;
        int64_t save = tile[d];
        int64_t size = cost_dim_size(s->g, d);
        while (tile[d] < size && !dim_allowed(s->g, d, ++tile[d])) {
        }
        L1Plan q;
        int fits = dim_allowed(s->g, d, tile[d]) && tile_l1_eval(s->g, s->t, tile, &q);
        tile[d] = save;
        if (fits)
            return arena_printf(a, "cost: a larger tile of %s fits L1 but models slower", names[d]);
    }
    return arena_printf(a, "L1 budget: %lld of %lld bytes used; no tile dimension can grow",
                        (long long)p->l1_used, (long long)s->budget);
}

static void search_free(Search *s)
{
    for (int d = 0; d < TD_COUNT; d++) free(s->c[d].v);
}

/* The layer's one-pixel im2col variant, if it has one on this target: 1 and
 * *g1 = g with the variant set, else 0. */
static int im2col1_variant(const PlanGeom *g, const Target *t, PlanGeom *g1)
{
    if (g->kernel != DORY_K_CONV2D || !(t->kernel[KK_CONV].im2col1_mac_per_cycle > 0 ||
                                        t->row[DORY_K_CONV2D_1PX].mac_per_cycle > 0))
        return 0;
    *g1 = *g;
    plan_geom_kernel(g1, DORY_K_CONV2D_1PX);
    return 1;
}

static int solve_variant(const PlanGeom *g, const Target *t, PlanObjective obj, L1Plan *p, Arena *a,
                         const char **why)
{
    Search *s = util_calloc(1, sizeof *s);
    if (!s) {
        a->failed = 1; /* plan_graph: out of memory, not a tiling that does not fit */
        return -1;
    }
    s->g = g;
    s->t = t;
    s->budget = target_l1_budget(t);
    s->best_cost = INFINITY;
    s->min_l1 = INT64_MAX;
    int rc = 0;
    for (int d = 0; d < TD_COUNT; d++)
        if (cand_build(g, t, d, &s->c[d])) rc = -1, a->failed = 1;
    if (rc == 0) {
        if (obj == OBJ_DORY)
            search_dory(s);
        else
            search_exact(s);
        rc = s->best.ok ? 0 : -1;
    }
    memset(p, 0, sizeof *p);
    if (rc == 0) {
        *p = s->best;
        p->l1_budget = s->budget;
        p->dory_score = cost_dory_score(g, t, p);
        p->binding = explain_binding(s, a);
        *why = p->binding;
    } else {
        *why = s->min_l1 < INT64_MAX ? explain_failure(s, a) : "out of memory in the tiler";
    }
    p->kernel = g->kernel;
    search_free(s);
    free(s);
    return rc;
}

/* Convolutions have two kernel variants: 4-pixel im2col blocks (fast, 4 x K
 * bytes of scratch per core) and one-pixel blocks (a quarter of the scratch,
 * slower: KernelCost.im2col1_mac_per_cycle). The exact objective takes the
 * cheaper tiling over both; DORY's objective, which knows only the first,
 * falls back to the second when no tiling of the first fits. */
int tile_l1_solve(const PlanGeom *g, const Target *t, PlanObjective obj, L1Plan *p, Arena *a,
                  const char **why)
{
    PlanGeom g1;
    int64_t dt[TD_COUNT];
    if (obj == OBJ_DORY && tile_dory(g, t, dt) == 0) {
        /* DORY's own tile, run by whichever conv variant has the buffers for it */
        if (tile_l1_eval(g, t, dt, p) ||
            (im2col1_variant(g, t, &g1) && tile_l1_eval(&g1, t, dt, p))) {
            p->binding = *why = "DORY's rules: its L1 formula, geometry and objective";
            memcpy(p->dory_tile, dt, sizeof p->dory_tile);
            return 0;
        }
        int64_t need = p->l1_used;
        int rc = solve_variant(g, t, obj, p, a, why);
        memcpy(p->dory_tile, dt, sizeof p->dory_tile);
        if (rc == 0)
            p->binding = *why = arena_printf(
                a,
                "DORY's tile (co %lld, rows %lld, cols %lld) needs %lld bytes of dory's L1 "
                "buffers; the nearest by DORY's score that fits",
                (long long)dt[TD_CO], (long long)dt[TD_HO], (long long)dt[TD_WO], (long long)need);
        return rc;
    }
    int rc = solve_variant(g, t, obj, p, a, why);
    if (!im2col1_variant(g, t, &g1) || (rc == 0 && obj == OBJ_DORY)) return rc;
    L1Plan p1;
    const char *why1 = NULL;
    if (solve_variant(&g1, t, obj, &p1, a, &why1)) return rc;
    if (rc == 0 && p1.cost.total >= p->cost.total) return rc;
    *p = p1;
    *why = why1;
    return 0;
}

/* Every integer tile size, features computed once per dimension. */
static int brute_variant(const PlanGeom *g, const Target *t, L1Plan *best)
{
    DimFeat *fs[TD_COUNT] = {0};
    int64_t size[TD_COUNT];
    int rc = 0;
    for (int d = 0; d < TD_COUNT; d++) {
        size[d] = cost_dim_size(g, d);
        fs[d] = util_malloc((size_t)size[d] * sizeof *fs[d]);
        if (!fs[d]) rc = -1;
        for (int64_t k = 1; fs[d] && k <= size[d]; k++) fs[d][k - 1] = cost_dim_feat(g, t, d, k);
    }
    memset(best, 0, sizeof *best);
    double best_cost = INFINITY;
    int64_t budget = target_l1_budget(t);
    DimFeat f[TD_COUNT];
    L1Plan p;
    for (int64_t a = 1; rc == 0 && a <= size[0]; a++)
        for (int64_t b = 1; b <= size[1]; b++)
            for (int64_t c = 1; c <= size[2]; c++)
                for (int64_t e = 1; e <= size[3]; e++) {
                    int64_t tile[TD_COUNT] = {a, b, c, e};
                    int allowed = 1;
                    for (int d = 0; d < TD_COUNT; d++) {
                        allowed &= dim_allowed(g, d, tile[d]);
                        f[d] = fs[d][tile[d] - 1];
                    }
                    if (!allowed || cost_l1_bytes(g, t, f, &p) > budget) continue;
                    double cost = cost_cycles(g, t, f, &p);
                    if (cost >= best_cost) continue;
                    best_cost = cost;
                    fill_dims(&p, f, g);
                    p.ok = 1;
                    p.l1_budget = budget;
                    p.kernel = g->kernel;
                    *best = p;
                }
    for (int d = 0; d < TD_COUNT; d++) free(fs[d]);
    return rc == 0 && best->ok ? 0 : -1;
}

/* Over both conv variants, as the exact objective of tile_l1_solve. */
int tile_l1_brute(const PlanGeom *g, const Target *t, L1Plan *best)
{
    int rc = brute_variant(g, t, best);
    PlanGeom g1;
    if (!im2col1_variant(g, t, &g1)) return rc;
    L1Plan b1;
    if (brute_variant(&g1, t, &b1)) return rc;
    if (rc == 0 && b1.cost.total >= best->cost.total) return rc;
    *best = b1;
    return 0;
}

const char *plan_buf_name(L1BufId b)
{
    static const char *const names[BUF_COUNT] = {
#define X(e, name, desc) name,
        PLAN_L1_BUFS(X)
#undef X
    };
    return (unsigned)b < BUF_COUNT ? names[b] : "?";
}
