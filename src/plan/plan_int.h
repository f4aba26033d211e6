/* plan_int.h: internals shared by the planner's files (not for codegen).
 *
 * The cost model is written per tile dimension: every quantity the cost and
 * the L1 size depend on is either the full tile size t, the tile count n, or
 * a sum over the tiles of that dimension (DimFeat). For a fixed tile count,
 * the cost is non-decreasing in every feature and the L1 size in t; this is
 * what lets the exact solver drop dominated tile sizes (docs/PLANNER.md).
 */
#ifndef DORY_PLAN_INT_H
#define DORY_PLAN_INT_H

#include "plan.h"

typedef struct DimFeat {
    int64_t t, n, last;
    double f;  /* sum over tiles of the compute factor of this dimension */
    int64_t r; /* sum over tiles of the input extent (rows/cols, halo incl.) */
} DimFeat;

/* Features of tile size t along dimension d of layer g. */
DimFeat cost_dim_feat(const PlanGeom *g, const Target *t, int d, int64_t tile);
/* The cost entry of the layer's kernel row on t: its fitted row, else the
 * entry of its kind. */
const KernelCost *cost_kernel(const PlanGeom *g, const Target *t);
/* 1 if dimension d enters the cost jointly with another (rows and columns
 * of a kernel split by pixels): no tile size of d dominates another. */
int cost_dim_joint(const PlanGeom *g, const Target *t, int d);
/* Whether tile size `small` of dimension d may dominate `big` (same count,
 * features no larger): the cost may depend on a size beyond its features
 * (a conv's K % 4, channels in whole words), by class. */
int cost_dim_may_dominate(const PlanGeom *g, const Target *t, int d, int64_t small, int64_t big);
/* Size of dimension d of the layer (elements). */
int64_t cost_dim_size(const PlanGeom *g, int d);
/* L1 bytes of the tiling (fills p->buf, in_h/in_w/in_c, l1_used). */
int64_t cost_l1_bytes(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT], L1Plan *p);
/* Modeled cycles and DMA of the tiling for the better loop order (fills
 * p->cost, p->order, p->dma_*); returns the total. */
double cost_cycles(const PlanGeom *g, const Target *t, const DimFeat f[TD_COUNT], L1Plan *p);
/* Lower bound of the cycles of any tiling with `tiles` tiles. */
double cost_lower_bound(const PlanGeom *g, const Target *t, int64_t tiles);
/* DORY's objective: L1 bytes plus its alignment bonuses (larger is better). */
double cost_dory_score(const PlanGeom *g, const Target *t, const L1Plan *p);

static inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t align4(int64_t x) { return (x + 3) & ~(int64_t)3; }

#endif
