/* cg_int.h: internals shared by the code generator's files (not for other
 * stages; the public entry point is codegen.h).
 *
 * The pipeline of codegen_app(): cg_analyse() turns each node and its plan
 * into a Layer (the plan's kernel choice, operand placement, channel
 * slicing), then the writers (cg_layer.c, cg_l3.c, cg_data.c, codegen.c)
 * only read it. Nothing here decides memory or the kernel, and nothing
 * re-checks the plan (src/plan/check.c does, independently).
 */
#ifndef DORY_CG_INT_H
#define DORY_CG_INT_H

#include <stdio.h>

#include "codegen.h"
#include "ir/interp.h"

/* ---- Output files (cg_out.c) ------------------------------------------------ */

typedef struct Out {
    FILE *f;
    char path[4096];
    int failed; /* cg_out_fail() was called: cg_out_close() fails */
} Out;

/* Makes `dir` ready for an application: created if missing; an earlier
 * application there (it has the mark) is removed whole; any other non-empty
 * folder is refused. 0, or -1 with a diagnostic. */
int cg_out_prepare(const char *dir);
/* Marks `dir` as a dory application (the last file written). */
int cg_out_mark(const char *dir);
/* Creates DIR/NAME and its folders. 0, or -1 with a diagnostic. */
int cg_out_open(Out *o, const char *dir, const char *name);
/* Closes the file; -1 with a diagnostic if anything failed to be written. */
int cg_out_close(Out *o);
/* A writer could not produce the file's content (out of memory): reports
 * it once; the file's cg_out_close() then fails, so no incomplete file is
 * taken for a good one. */
void cg_out_fail(Out *o);
__attribute__((format(printf, 2, 3))) void cg_emit(Out *o, const char *fmt, ...);
/* A C array of integers, 16 per line. */
void cg_emit_ints(Out *o, const char *decl, const int64_t *v, int64_t n);
/* A C array of bytes, 24 per line. */
void cg_emit_bytes(Out *o, const char *decl, const uint8_t *v, int64_t n);

/* A model's name (node, tensor) as it may appear in generated files: names
 * come from the model and can hold any byte. cg_lit: the contents of a C
 * string literal (quotes, backslashes, '?' and non-printable bytes escaped);
 * cg_cmt: text for a C comment or the README (printable ASCII, non-printable
 * bytes as '?', "* /" never closing the comment, '|' escaped for tables).
 * Each returns one of a few rotating static buffers (enough for the
 * arguments of one cg_emit); long names are cut with "...". */
const char *cg_lit(const char *name);
const char *cg_cmt(const char *name);

/* ---- Layers (cg_analyse.c) -------------------------------------------------- */

typedef struct Layer {
    int index;
    const Node *n;
    const LayerPlan *lp;
    dory_kernel_id_t kernel;      /* the plan's choice (LayerPlan.kernel) */
    const dory_kernel_info_t *ki; /* its row of kernels/dory_kernel_table.h */
    char fn[96];                  /* C function name of the layer */
    const Tensor *x, *x2, *y, *w, *b;
    int64_t x_l2, x2_l2, y_l2, w_l2;
    int in_elem, out_elem;
    int kh, kw;
    int64_t w_per_co; /* weight bytes per output channel */
    int coupled;      /* input channels follow output channels */
    /* L3: which operands stream, and their L3 offsets */
    int x_in_l3, x2_in_l3, y_in_l3, w_in_l3, l3;
    int64_t x_l3, x2_l3, y_l3, w_l3;
    /* input-channel tiling: int32 partial sums in L1, requantized at the end */
    int ci_tiled;
    int64_t CI;        /* input channels (conv) or inputs (fc) being tiled */
    int64_t taps;      /* kernel taps per input channel (kh * kw; fc: 1) */
    int64_t gin, gout; /* coupled layers: input / output channels per group */
    /* per-channel constants staged into L1 (dory_exec_consts_t): bytes of a
     * channel tile's block (0: read from L2) and the blocks' image offset,
     * as planned (LayerPlan.consts_block, consts_off) */
    int64_t c_block, c_img;
    /* an add's input requant i has one value for all channels (emitted once) */
    int in_rq_one[2];
    /* cross-layer prefetch: the layer run after this one whose first weight
     * piece this one requests (its function's name; NULL: none) */
    const char *next_fn;
} Layer;

static inline int64_t cg_elem_bytes(const Tensor *t) { return dtype_info(t->dtype)->bytes; }

/* Bytes of a layer's weights in the image (packed for DORY_KF_PACK16 rows). */
int64_t cg_w_image_bytes(const Layer *L);

/* The kernels take int8 weights. u8 weights become int8 exactly: values and
 * zero points both move by 128, so every (w - zw) is unchanged. */
static inline int cg_weight_shift(const Layer *L) { return L->w && L->w->dtype == DT_U8 ? 128 : 0; }

/* The declaration of the next layer's L3 table where this layer requests
 * its first weight piece (cg_l3.c). */
void cg_l3_next_decl(Out *o, const Layer *L);

/* Where a tensor lives: its level (LOC_L2 or LOC_L3) and offset there. */
int cg_place_of(const Plan *p, int id, int64_t *off);
/* Fills L for node i; 0, or -1 with a diagnostic naming the node. */
int cg_analyse(const Graph *g, const Plan *p, int i, Layer *L);
/* The layer calls a kernel of call shape c. */
static inline int cg_call_is(const Layer *L, dory_call_t c) { return L->ki && L->ki->call == c; }
/* The C expression of the L2 address of the layer's L2-resident weights:
 * the one place generated code names it (layer files and L3 tables). */
const char *cg_l2_weight_expr(const Layer *L, char *buf, size_t n);

/* ---- L3 streaming (cg_l3.c) ------------------------------------------------- */

/* The dory_run_l3() table and the entry point of a layer with operands in L3. */
void cg_emit_entry_l3(Out *o, const Layer *L);

/* ---- Files (cg_layer.c, cg_data.c) ------------------------------------------ */

/* src/<L->fn>.c */
int cg_write_layer(const char *dir, const Graph *g, const Plan *p, Layer *L);
/* weights/weights.c and weights/l3_weights.bin */
int cg_write_weights(const char *dir, const Graph *g, const Layer *layers);
/* Bytes of the L2 image's weight array (dory_l2_weights). */
int64_t cg_l2_weights_bytes(const Graph *g, const Layer *layers);
/* The staged constants' blocks (Layer.c_block, c_img: the plan's
 * LayerPlan.consts_block, consts_off): their bytes in the L2 image, and a
 * layer's blocks written at dst. */
int64_t cg_consts_image_bytes(const Layer *L);
void cg_consts_bytes(const Graph *g, const Layer *L, uint8_t *dst);
/* network.c's table of the L3 image: where each blob item goes in L3. */
void cg_emit_l3_image(Out *o, const Graph *g, const Layer *layers);

/* Each layer's output as the reference interpreter computes it: its checksum
 * and stored bytes, filled by cg_golden_hook() during interp_run(). */
typedef struct Golden {
    uint32_t *sum;
    uint8_t **bytes;
} Golden;

int cg_golden_hook(void *ctx, const InterpState *s, const Node *n, int index);
/* test/data.c: the input and the golden outputs (as opt->check asks). */
int cg_write_data(const char *dir, const Graph *g, const Plan *p, const CodegenOptions *opt,
                  Golden *gd);

#endif
