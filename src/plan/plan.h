/* plan.h: the memory planner: target descriptions, L3->L2 and L2->L1 tiling,
 * static L2/L3 allocation, the cost model and the plan report.
 *
 * Only the planner knows memory sizes. It reads a verified Graph and a Target
 * and produces a Plan that the code generator consumes without recomputing
 * anything: per layer the L3->L2 decomposition, the L2->L1 tile sizes, tile
 * counts and border tiles per dimension, the L1 memory map (byte offsets of
 * every double buffer), the L2/L3 offset of every tensor and the DMA bytes per
 * level. The planner never changes the graph and never exits: a layer that
 * fits nowhere gets a status and a sentence saying which buffer is too large
 * by how many bytes.
 *
 * Units: sizes and offsets in bytes unless a name says elements; cycles are
 * cluster cycles of the target; bandwidths in bytes per cycle.
 */
#ifndef DORY_PLAN_H
#define DORY_PLAN_H

#include <stdio.h>

#include "dory_kernel_table.h"
#include "ir/ir.h"

/* ---- Kernel kinds ---------------------------------------------------------
 * X(ENUM, name, description). Each kind has one cost entry per target. */
#define PLAN_KERNELS(X)                                                                            \
    X(KK_CONV, "conv", "standard convolution (im2col + 4x2 MatMul block)")                         \
    X(KK_PW, "pointwise", "1x1 convolution without padding (no im2col)")                           \
    X(KK_DW, "depthwise", "depthwise convolution (one filter per channel)")                        \
    X(KK_FC, "fc", "fully connected (matrix-vector)")                                              \
    X(KK_POOL, "pool", "max / average pooling")                                                    \
    X(KK_ADD, "add", "element-wise add with per-input requant")                                    \
    X(KK_ELEM, "elementwise", "requant, softmax: per element of the output")                       \
    X(KK_COPY, "copy", "concat: data movement through L1")

typedef enum {
#define X(e, name, desc) e,
    PLAN_KERNELS(X)
#undef X
        KK_COUNT
} KernelKind;

const char *plan_kernel_name(KernelKind k);

/* ---- Kernel choice ----------------------------------------------------------
 * The kernel rows are kernels/dory_kernel_table.h; the choice is made here,
 * once per layer, and recorded in the plan (LayerPlan.kernel). */

/* The kernel of node n (DORY_K_COUNT: the library has none for its op). The
 * tiler may then switch a conv to its one-pixel im2col variant. */
dory_kernel_id_t plan_select_kernel(const Graph *g, const Node *n);
/* The cost entry (Target.kernel[]) of a kernel row. */
KernelKind plan_kernel_cost(dory_kernel_id_t k);

/* Which tile dimension a kernel splits across the cores (PAR_PIXELS: the
 * output pixels of a tile, rows and columns together, in par_block groups). */
typedef enum { PAR_ROWS = 0, PAR_CHANNELS, PAR_PIXELS } ParDim;

/* Requantization classes of the epilogue term: one per RqScheme, SHIFT in
 * 64-bit arithmetic (RQC_SHIFT64) apart from SHIFT in 32 bits, and both for a
 * conv whose K (kh x kw x input channels) is not a multiple of 4: the
 * matrix core's fused epilogue needs K in whole words (*_UNFUSED). Then the
 * kernels' own forms, decided by the kernels' code on the layer's constants
 * (plan_geom): the Xpulp add's REQ, LIN and SAT forms (dory_add_s8_form; the
 * portable loops keep the requant's class) and the max
 * pooling's 2x2 stride-2 fast path (dory_maxpool_s8_2x2), the depthwise
 * 3x3's portable loops where its Xpulp planes do not take the layer
 * (dory_dwconv3x3_s8_xpulp: SHIFT32 on fewer than 4 planes in the scratch,
 * weight zero points). A class without a
 * constant of its own costs its requant's (PlanGeom.rq_base). */
enum {
    RQC_SHIFT64 = RQ_COUNT,
    RQC_SHIFT_UNFUSED,
    RQC_SHIFT64_UNFUSED,
    RQC_ADD_REQ,
    RQC_ADD_LIN,
    RQC_ADD_SAT,
    RQC_MAXPOOL_2X2,
    RQC_DW_PORTABLE,
    RQC_COUNT
};
const char *plan_rq_class_name(int c);

/* The cost model of one kernel kind on one target (docs/PLANNER.md).
 * cycles(tile) = work(tile) / mac_per_cycle + per-output epilogue, where
 * work = MACs of the tile with the parallel dimension rounded up to a
 * multiple of the core count and leftovers of the aligned dimensions
 * weighted by their penalty. The measured numbers of kernels/ and bench/
 * go here (JSON "kernels": {"conv": {...}}). */
typedef struct KernelCost {
    double mac_per_cycle; /* whole cluster, aligned tile, steady state */
    ParDim par;           /* dimension split over cores */
    int co_align;         /* output-channel inner block (PULP-NN: 4) */
    double co_penalty;    /* cost factor of leftover channels (>= 1) */
    int wo_align;         /* output-pixel inner block (PULP-NN: 2) */
    double wo_penalty;
    int ci_align; /* input-channel SIMD width (4 x int8) */
    double ci_penalty;
    double epilogue_cycles; /* per output element, whole cluster */
    double psum_cycles;     /* per output element per extra input-channel tile */
    double tile_overhead;   /* cycles per tile: call, fork, barrier, DMA setup */
    const char *source;     /* where the numbers come from */
    /* conv only: MAC/cycle with one-pixel im2col blocks (im2col_pixels = 1:
     * a quarter of the scratch, slower); 0: the planner never picks them */
    double im2col1_mac_per_cycle;
    /* The terms of a fitted model (bench/fit_pulp_cost.py; 0: absent). */
    double layer_cycles;           /* per L2 slice of the layer: set-up, first fork */
    double input_cycles;           /* per element the kernel stages (im2col tap, plane byte) */
    double input_odd_cycles;       /* per im2col tap of channels not a multiple of 4, beyond
                                      input_cycles */
    double mac_tail_cycles;        /* conv: per output per tap after K's whole 4-byte words */
    double mac_group_cycles;       /* conv, split by rows: per MAC of the empty pixel slots
                                      of each core's last group of 4 (joint in ho, wo) */
    double mac_co_cycles;          /* conv: per MAC of a core's channels after its whole
                                      4-channel blocks (one channel per pass) */
    double mac_odd_cycles;         /* conv: per MAC where K > 32 is not in whole words (the
                                      weight rows misaligned, the epilogue unfused) */
    double input_px_cycles;        /* conv: per im2col tap of a 4-pixel group built pixel by
                                      pixel (not 4 pixels of one row inside the tile) */
    double stage_px_cycles;        /* conv: per output pixel of the first-layer path */
    double pixel_cycles;           /* per output pixel of every tile (busiest core's share) */
    double chan_cycles;            /* per output channel (per core) of every tile */
    double job_cycles;             /* per L2<->L1 DMA transfer: issued by core 0, serial */
    double epilogue_rq[RQC_COUNT]; /* per output by requant class (0: epilogue_cycles) */
    int par_block;                 /* cores take par_block units at a time (0: 1) */
} KernelCost;

/* ---- Targets ---------------------------------------------------------------- */

typedef struct MemLevel {
    const char *name; /* "L1 TCDM", "L2", "L3 HyperRAM", ... */
    int64_t size;     /* bytes physically present (0: level absent) */
    double bandwidth; /* bytes per cycle of transfers into/out of the level below */
    double latency;   /* cycles per DMA job (setup + first beat) */
} MemLevel;

/* How the application is built for the chip: which HAL folder of runtime/
 * (its HAL, build fragment app.mk and notes), which kernel ISA variant, which
 * compiler and flags. Codegen copies runtime/host/ (the verification build on
 * a PC) and runtime/<hal>/; a RISC-V ISA also gets runtime/riscv/, the
 * bare-metal build that runs under QEMU. */
typedef struct TargetBuild {
    const char *hal;    /* runtime/<hal>/ of the chip build */
    const char *isa;    /* "c" (portable), "rv32im", "xpulpv2", "armv7e-m" */
    const char *cc;     /* the chip build's compiler */
    const char *cflags; /* its flags (ISA, optimisation) */
    int max_cores;      /* the most cores the HAL runs */
} TargetBuild;

typedef struct Target {
    const char *name;
    const char *description;
    TargetBuild build;
    int levels; /* 3: L1/L2/L3 with DMA; 1: single SRAM, no tiling */
    MemLevel l1, l2, l3;
    int64_t l1_reserve;   /* L1 bytes taken by stacks (not for tiles) */
    int64_t code_reserve; /* L2 bytes taken by code, runtime, stacks */
    int cores;
    int dma_dims;           /* 1, 2 or 3: strided dimensions one DMA job can do */
    int has_fpu;            /* cluster can run FLOAT requant */
    int weights_in_place;   /* weights read directly from L3 (flash), never copied */
    int dory_const_bits;    /* --objective dory: DORY's BNRelu_bits (k, l width), 32 or 64 */
    int64_t dory_l1_budget; /* --objective dory: the L1 DORY tiles against (0: the budget) */
    KernelCost kernel[KK_COUNT];
    /* Per kernel row: a fitted model that replaces kernel[kind] for that row
     * (used where mac_per_cycle > 0; bench/fit_pulp_cost.py). */
    KernelCost row[DORY_K_COUNT];
    int l3_sync;            /* L3 copies block the cluster (no overlap with compute) */
    double l3_issue;        /* cycles of the issuing core per L3 transfer (never hidden) */
    double l3_wr_bandwidth; /* bytes per cycle written to L3 (0: l3.bandwidth) */
    double l3_wr_latency;   /* cycles per L3 write transfer (0: l3.latency) */
    const char *cost_model; /* what the cycle figures are: "estimate", "fitted ..." */
} Target;

/* Built-in targets (NULL-terminated list of names) and lookup. */
const char *const *target_names(void);
/* Copies the built-in target `name` into *t; -1 with a diagnostic if unknown. */
int target_builtin(const char *name, Target *t);
/* Loads a JSON target description (docs/PLANNER.md): starts from the built-in
 * named by its "base" field (default gap8) and overrides what it lists.
 * Strings are allocated in `a`. -1 with a diagnostic naming the file. */
int target_load_json(const char *path, Arena *a, Target *t);
/* The same from `size` bytes of text in memory; `path` names it in messages. */
int target_parse_json(const char *path, const char *text, size_t size, Arena *a, Target *t);
/* Usable budgets after reserves. */
/* The row for kernel k on target t: its ISA variant where the target has
 * one (the Arm DSP rows), else k. */
dory_kernel_id_t plan_isa_variant(dory_kernel_id_t k, const Target *t);
int64_t target_l1_budget(const Target *t);
int64_t target_l2_budget(const Target *t);

/* Command-line overrides of a target (0 / NULL: keep the target's value). */
typedef struct TargetOverrides {
    const char *name;     /* built-in target */
    const char *file;     /* JSON target description (wins over name) */
    int64_t l1, l2, l3;   /* level sizes, bytes */
    int64_t code_reserve; /* L2 bytes for code (-1: keep; 0 is a valid value) */
    int cores;
} TargetOverrides;
/* The target described by the overrides; -1 with a diagnostic. */
int target_resolve(const TargetOverrides *o, Arena *a, Target *t);
/* Applies the overrides to *t and checks that dory can serve the result (the
 * second half of target_resolve); -1 with a diagnostic. */
int target_apply(const TargetOverrides *o, Target *t);

/* ---- Layer geometry (what the tiler sees of a node) --------------------------- */

typedef struct PlanGeom {
    KernelKind kind;
    int nin;                      /* activation inputs (add, mul: 2, concat: n) */
    int in1_pixel;                /* mul: input 1 is one pixel (its channels broadcast over
                                     H and W): a tile loads its channel slice, never rows */
    int64_t hin, win;             /* input spatial size */
    int64_t cin[DORY_MAX_INPUTS]; /* channels of each activation input */
    int64_t cin_total;            /* conv/fc: input channels (fc: K); else cin[0] */
    int in_elem[DORY_MAX_INPUTS]; /* bytes per input element */
    int64_t ho, wo, co;           /* output size */
    int out_elem;
    int kh, kw, sh, sw, dh, dw;
    int pad[4];              /* top, left, bottom, right */
    int coupled;             /* input channels follow output channels (groups) */
    int64_t gin, gout;       /* coupled: input/output channels per group */
    int ci_tiling;           /* input channels may be tiled (int32 partial sums) */
    int co_full;             /* output channels may not be tiled (concat, softmax) */
    int w_elem;              /* bytes per weight element, 0: no weights */
    int64_t rq_per_ch;       /* L1 bytes of bias + requant + zero points per out channel */
    int64_t rq_fixed;        /* per-tensor constants */
    int64_t macs;            /* node_macs(): the work the layer does */
    int64_t w_bytes;         /* all weights of the layer in L2/L3 */
    int64_t param_bytes;     /* weights + bias + requant */
    int32_t in_zp;           /* input zero point (the fc kernel's scratch depends on it) */
    int dory_consts;         /* per-channel requant constants (k, l) DORY's tiler counts */
    int64_t bias_bytes;      /* the layer's whole bias (DORY keeps it in L1 once) */
    dory_kernel_id_t kernel; /* plan_select_kernel(); the tiler's variant in its copies */
    int rq_class;            /* the epilogue's requant class (RQC_*) */
    int rq_base;             /* the requant's class where rq_class is a kernel's form */
} PlanGeom;

/* ---- L2 -> L1 tiling ---------------------------------------------------------- */

/* Tile dimensions, in the loop nest's terms. */
enum { TD_CO = 0, TD_HO, TD_WO, TD_CI, TD_COUNT };

/* One dimension of `size` elements cut into `n` tiles: n-1 of `tile`
 * elements and a last one of `last` (== tile when it divides). */
typedef struct TileDim {
    int64_t size, tile, n, last;
} TileDim;
TileDim tile_dim(int64_t size, int64_t tile);

/* Loop order of the L1 tile loop (outermost first; ci always innermost). */
typedef enum {
    ORDER_HWC = 0, /* for h, for w, for co, for ci: inputs kept, weights cycle */
    ORDER_CHW      /* for co, for h, for w, for ci: weights kept, inputs cycle */
} LoopOrder;

/* L1 buffers: each has nbuf (1 or 2) copies of `bytes` at off[0], off[1]. */
#define PLAN_L1_BUFS(X)                                                                            \
    X(BUF_IN0, "in0", "input tile (activation input 0, with halo)")                                \
    X(BUF_IN1, "in1", "input tile of the second input (add, mul)")                                 \
    X(BUF_W, "w", "weight tile (OHWI slice)")                                                      \
    X(BUF_RQ, "rq", "bias + requant constants of the channel tile")                                \
    X(BUF_OUT, "out", "output tile")                                                               \
    X(BUF_ACC, "acc", "int32 partial sums (input-channel tiling)")                                 \
    X(BUF_SCRATCH, "scratch", "kernel scratch (im2col), all cores")

typedef enum {
#define X(e, name, desc) e,
    PLAN_L1_BUFS(X)
#undef X
        BUF_COUNT
} L1BufId;
const char *plan_buf_name(L1BufId b);

typedef struct L1Buf {
    int64_t bytes;  /* one copy, unpadded */
    int nbuf;       /* 0 (unused), 1 or 2 */
    int64_t off[2]; /* byte offsets in the L1 tile area, 4-byte aligned */
} L1Buf;

/* The counts the cost terms multiply (docs/PLANNER.md, "The PULP model"):
 * what bench/fit_pulp_cost.py regresses measured cycles on. */
#define PLAN_TERMS(X)                                                                              \
    X(PT_SLICES, "slices", "L2 slices the layer runs (layer_cycles)")                              \
    X(PT_TILES, "tiles", "L1 tiles (tile_overhead)")                                               \
    X(PT_MACS, "mac_work", "MACs, parallel split and blocks rounded up (1/mac_per_cycle)")         \
    X(PT_INPUT, "input", "elements the kernel stages: im2col taps, input planes (input_cycles)")   \
    X(PT_INPUT_ODD, "input_odd", "conv: of `input`, the taps of channels not a multiple of 4")     \
    X(PT_MAC_TAIL, "mac_tail", "conv: outputs times K % 4, the taps after K's whole words")        \
    X(PT_MAC_GROUP, "mac_group",                                                                   \
      "conv: MACs of the empty slots of each core's last 4-pixel group")                           \
    X(PT_MAC_CO, "mac_co", "conv: MACs of each core's channels after its whole 4-channel blocks")  \
    X(PT_MAC_ODD, "mac_odd", "conv: MACs where K > 32 and the channels are not whole words")       \
    X(PT_INPUT_PX, "input_px", "conv: im2col taps of 4-pixel groups not in one row (per pixel)")   \
    X(PT_STAGE_PX, "stage_px", "conv: output pixels of the first-layer path (windows staged)")     \
    X(PT_PIXELS, "pixels", "output pixels of every tile, busiest core's share (pixel_cycles)")     \
    X(PT_CHAN, "chan", "output channels of every tile, per core rounded (chan_cycles)")            \
    X(PT_OUTS, "outs", "outputs, parallel split rounded up (epilogue)")                            \
    X(PT_OUTS_BASE, "outs_base",                                                                   \
      "of `outs`, those of tiles the kernel's form misses (the requant's epilogue)")               \
    X(PT_PSUM, "psum", "outputs times extra input-channel tiles (psum_cycles)")                    \
    X(PT_FL_JOBS, "fl_jobs", "DMA transfers of the first load and the last store (L1 latency)")    \
    X(PT_FL_BYTES, "fl_bytes", "bytes of the first load and the last store (L1 bandwidth)")        \
    X(PT_DMA_JOBS, "dma_jobs", "all L2<->L1 DMA transfers (L1 latency)")                           \
    X(PT_DMA_BYTES, "dma_bytes", "all L2<->L1 DMA bytes (L1 bandwidth)")                           \
    X(PT_L3_BYTES, "l3_bytes", "L3<->L2 bytes")                                                    \
    X(PT_L3_JOBS, "l3_jobs", "L3<->L2 transfers (l3_issue)")                                       \
    X(PT_L3_WR_BYTES, "l3_wr_bytes", "L2->L3 bytes, of l3_bytes (L3 write bandwidth)")             \
    X(PT_L3_WR_JOBS, "l3_wr_jobs", "L2->L3 transfers, of l3_jobs")                                 \
    X(PT_L3_FIRST_BYTES, "l3_first_bytes", "L3 reads the first tile waits for (exposed)")          \
    X(PT_L3_FIRST_JOBS, "l3_first_jobs", "L3 transfers the first tile waits for")                  \
    X(PT_L3_LAST_BYTES, "l3_last_bytes", "the last output rows written to L3 (exposed)")

typedef enum {
#define X(e, name, desc) e,
    PLAN_TERMS(X)
#undef X
        PT_COUNT
} PlanTerm;
const char *plan_term_name(PlanTerm t);

/* The modeled cycles of a tiling (docs/PLANNER.md). */
typedef struct PlanCost {
    double compute;  /* kernel cycles, all tiles */
    double overhead; /* per-tile overhead */
    double dma;      /* all L2<->L1 DMA cycles */
    double exposed;  /* DMA not hidden: first load, last store, DMA-bound part */
    double l3;       /* L3<->L2 cycles not hidden behind the L2 loop */
    double total;
    double term[PT_COUNT]; /* the counts behind the figures (PLAN_TERMS) */
} PlanCost;

typedef struct L1Plan {
    int ok;
    TileDim d[TD_COUNT]; /* co, ho, wo, ci (ci.n == 1 without ci tiling) */
    int64_t in_h, in_w;  /* input rows/cols of a full tile (halo included) */
    int64_t in_c;        /* input channels of a tile (input 0) */
    LoopOrder order;
    L1Buf buf[BUF_COUNT];
    int64_t l1_used, l1_budget;
    int64_t dma_in_bytes, dma_w_bytes, dma_out_bytes; /* L2<->L1 totals */
    int64_t dma_jobs;
    PlanCost cost;
    double dory_score;        /* the paper's objective value of this tiling */
    const char *binding;      /* what limits a larger tile */
    dory_kernel_id_t kernel;  /* the kernel (variant) this tiling is for */
    int64_t scratch_per_core; /* the kernel's scratch for a full tile, 4-byte aligned;
                                 buf[BUF_SCRATCH].bytes = cores x this */
    int64_t dory_tile[3];     /* --objective dory: DORY's own choice {co, ho, wo}, 0 if none */
} L1Plan;

typedef enum { OBJ_EXACT = 0, OBJ_DORY } PlanObjective;

/* Solves the L2->L1 tiling of `g` exactly (min cycles) or by DORY's
 * objective. Returns 0 with *p filled, -1 when no tiling fits (p->ok == 0,
 * *why explains, allocated in `a`). */
int tile_l1_solve(const PlanGeom *g, const Target *t, PlanObjective obj, L1Plan *p, Arena *a,
                  const char **why);
/* Evaluates one tiling (tile sizes co, ho, wo, ci) with the cost model:
 * fills *p (memory map, DMA, cost) and returns 1 if it fits L1, 0 if not. */
int tile_l1_eval(const PlanGeom *g, const Target *t, const int64_t tile[TD_COUNT], L1Plan *p);
/* Brute force over every integer tile size and, for conv, both kernel
 * variants (tests; small layers only). */
int tile_l1_brute(const PlanGeom *g, const Target *t, L1Plan *p);

/* DORY's L2->L1 tiler (tile_dory.c): the tile the original tool chooses for
 * a layer under its own memory formula, geometry rules and objective, as
 * tile sizes {co, ho, wo, ci}. 0, or -1 when DORY has no rule for the layer
 * or finds no tiling. */
int tile_dory(const PlanGeom *g, const Target *t, int64_t tile[TD_COUNT]);

/* ---- L3 -> L2 tiling ---------------------------------------------------------- */

typedef struct L3Plan {
    int w_stream;      /* weights come from L3 (per layer) */
    int w_sliced;      /* ... by output-channel slices, double-buffered */
    int in_l3, out_l3; /* activations live in L3, streamed by rows */
    TileDim co_slice;  /* output channels per L3 slice (n == 1: whole) */
    TileDim row_slice; /* output rows per L3 slice (n == 1: whole) */
    int64_t in_rows;   /* input rows of a full row slice (halo included) */
    /* L2 staging buffers (2 copies each when the dimension is sliced). */
    int64_t w_buf, in_buf, out_buf; /* bytes of one copy */
    int w_nbuf, in_nbuf, out_nbuf;
    int64_t w_off[2], in_off[2], out_off[2]; /* L2 offsets */
    /* cross-layer prefetch: the first weight piece is read during layer
     * w_pre_from (the one run before), into w_off[0], whose copy the L2
     * allocation keeps from that layer on (alloc.c) */
    int w_pre, w_pre_from;
    int64_t dma_bytes; /* L3<->L2 bytes for the layer */
    int64_t dma_jobs;
} L3Plan;

/* ---- Layers and the whole plan ------------------------------------------------- */

typedef enum {
    PLAN_OK = 0,
    PLAN_NO_DATA, /* reshape: no data movement (aliases its input) */
    PLAN_L1_TOO_SMALL,
    PLAN_L2_TOO_SMALL,
    PLAN_L3_TOO_SMALL,
    PLAN_UNSUPPORTED
} PlanStatus;
const char *plan_status_name(PlanStatus s);

typedef struct LayerPlan {
    int node;                /* index in g->nodes */
    dory_kernel_id_t kernel; /* the layer's kernel: the one thing codegen reads about it */
    PlanStatus status;
    const char *why; /* binding constraint or failure reason */
    PlanGeom geom;   /* the whole layer */
    L3Plan l3;
    L1Plan l1;         /* tiling of a full L3 slice (the whole layer if unsliced) */
    L1Plan l1_last;    /* tiling of the last (border) L3 slice; == l1 if none */
    L1Plan dory;       /* DORY-objective tiling of the same slice (comparison) */
    PlanCost cost;     /* the layer: all slices, L3 included */
    double dory_total; /* the same for the DORY-objective tiling */
    int64_t dma_l2l1_bytes, dma_l3l2_bytes;
    /* Per-channel constants staged into L1 (the rq buffer) with each weight
     * tile: one block per channel tile (t_co k, then t_co l, then t_co bias),
     * consts_block bytes each, at consts_off in the L2 image; 0 when the
     * layer's kernels read them from their L2 arrays (plan_consts_block). */
    int64_t consts_block, consts_off;
} LayerPlan;

/* Where a tensor lives. */
typedef enum { LOC_NONE = 0, LOC_L2, LOC_L3, LOC_ALIAS } TensorLoc;

typedef struct TensorPlan {
    TensorLoc loc;
    /* in its level: L3; L2 arena (activations); L2 image (resident constants) */
    int64_t offset;
    int64_t bytes;
    int first, last; /* node indices of the lifetime (inclusive); -1: whole run */
    int alias;       /* LOC_ALIAS: the tensor whose storage it shares */
    int staged;      /* a constant only layers staging their constants read: held
                        in their blocks (LayerPlan.consts_off), no array of its own */
} TensorPlan;

/* Bytes per channel of each of the output requant's two per-channel arrays
 * as the staged blocks hold them (SHIFT: k, l; FIXED: mult, shift), 0 if
 * the layer's requant stages none. */
int plan_consts_elem(const Node *n);
/* Bytes of layer lp's staged blocks in the L2 image (0: none). */
int64_t plan_consts_image_bytes(const LayerPlan *lp);

typedef struct PlanOptions {
    PlanObjective objective;
    int compare_dory; /* also solve the DORY objective per layer */
    int no_ci_tiling; /* never tile input channels (for code that has no partial sums) */
} PlanOptions;

typedef struct Plan {
    Arena arena;
    const Graph *g;
    Target target;
    PlanOptions opt;
    PlanStatus status;
    const char *message; /* first failure, or NULL */
    LayerPlan *layers;   /* one per node */
    int nlayers;
    TensorPlan *tensors;    /* one per tensor id */
    int weights_resident;   /* every weight tensor stays in L2 */
    int64_t l2_budget;      /* L2 bytes for data: the image's constants and the arena */
    int64_t l2_image;       /* resident constants, read in place from the image */
    int64_t l2_peak;        /* the arena: activations and staging buffers at once */
    int64_t l2_lower_bound; /* the most arena bytes live at one layer */
    int64_t l3_used;
    double total_cycles, dory_cycles;
    int64_t total_macs;
    double plan_ms; /* wall time of plan_graph */
} Plan;

/* Plans every layer of g for t. Returns NULL only when out of memory;
 * check plan->status (PLAN_OK or the first failure, explained). */
Plan *plan_graph(const Graph *g, const Target *t, const PlanOptions *opt);
void plan_free(Plan *p);

/* Geometry of node `n` (0), -1 if the planner does not handle the op. */
int plan_geom(const Graph *g, const Node *n, const Target *t, PlanGeom *geom);
/* Sets the layer's kernel row (a conv variant) and the requant class its
 * epilogue takes with it (fused or not). */
void plan_geom_kernel(PlanGeom *p, dory_kernel_id_t k);

/* L3->L2 decisions for one layer given `avail` L2 bytes for its buffers. */
int tile_l3_solve(const PlanGeom *g, const Target *t, const PlanOptions *opt, int in_l3, int out_l3,
                  int w_stream, int64_t avail, LayerPlan *lp, Arena *a);

/* Layer lp's first weight piece read during the layer before it (on), or
 * not: its L3 terms and cycles (the first tile no longer waits for it). */
void tile_l3_prefetch(const Target *t, LayerPlan *lp, int on);

/* Static L2/L3 allocation (alloc.c). */
int plan_alloc(Plan *p);
/* Bytes of the image's constants that take L2 (all of them, except on a
 * single-level target, where the image is in flash and read in place). */
int64_t plan_l2_image_in_l2(const Plan *p);
/* Single-level targets: the SRAM the kernels' scratch takes beside the
 * arena (the largest layer's, as every layer runs in place and only its
 * scratch is in the L1 part); 0 on targets with an L1. The SRAM peak is
 * l2_peak + this, and the application allocates exactly that. */
int64_t plan_sram_scratch(const Plan *p);

/* Independent checks (check.c): every buffer fits its level and L1 buffers
 * and live L2 buffers do not overlap. 0 if valid, else -1 and a message. */
int plan_check(const Plan *p, char *msg, size_t msg_size);

/* Reports (report.c). */
void plan_print(FILE *f, const Plan *p);
void plan_print_json(FILE *f, const Plan *p);

/* dory inspect --target: plans g and prints the report (text or JSON), with
 * the DORY objective side by side. 0 if every layer has a plan, 1 if not
 * (the report says why), -1 when out of memory. */
int plan_report(FILE *f, const Graph *g, const Target *t, PlanObjective obj, int json);

/* What bounds a planned layer in the cost model: "compute", "DMA" (L2<->L1
 * transfers longer than the kernels), "L3" (L3 streaming), "-" if unplanned. */
const char *plan_layer_bound(const LayerPlan *lp);

/* Cost model (cost.c): cycles of DMA jobs and kernel tiles. */
double cost_dma(const MemLevel *lvl, int64_t jobs, int64_t bytes);
/* term[PT_SLICES]: the L2 slices the layer runs (the L3 pipeline's stages). */
double cost_l3(const Target *t, const double term[PT_COUNT], double inner);

#endif
