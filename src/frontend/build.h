/* build.h: the graph builders every frontend uses to emit the IR: activation
 * tensors with their source-model view, weights permuted from the source
 * layout to the IR's, i32 bias, node and tensor names that are unique in the
 * graph, SAME padding, and the activation dtype of a clamp range.
 *
 * A frontend owns one Builder per graph and gives it its source layout
 * (ONNX: channel-first, SRC_CHW; TFLite: NHWC, SRC_SAME) and its error
 * reporter, so messages name the frontend's file, node and op. Must not know
 * any file format; must not decide arithmetic (src/ir/quant.c does).
 */
#ifndef DORY_FRONTEND_BUILD_H
#define DORY_FRONTEND_BUILD_H

#include "ir/ir.h"

/* Reports a user-input error through the frontend; returns -1. */
typedef int (*BuildErrFn)(void *ctx, const char *msg);

/* A set of names, open addressing; it catches up with the graph's tensors
 * or nodes (`synced` of them seen) before every look-up, so names that
 * others add (requant constants) count too. */
typedef struct NameSet {
    const char **slot;
    size_t cap, n;
    int synced;
} NameSet;

typedef struct Builder {
    Graph *g;
    SrcLayout layout; /* how the source lays out activations */
    BuildErrFn err;
    void *err_ctx;
    int ntmp; /* suffix counter of generated tensor names */
    NameSet tensors, nodes;
} Builder;

/* Source weight layouts of a convolution, as axis letters from outermost:
 * O (output channels), I (input channels per group), H, W. The IR's is OHWI. */
#define BUILD_W_OIHW "OIHW" /* ONNX */
#define BUILD_W_OHWI "OHWI" /* TFLite CONV_2D (identity) */
#define BUILD_W_IHWO "IHWO" /* TFLite DEPTHWISE_CONV_2D: [1, KH, KW, Cout] */

/* Weights to add: source values (exact integers) and their zero points
 * (nzp = 0: none, 1: per tensor, Cout: per output channel). */
typedef struct BuildWeights {
    DType dt;
    const double *v;
    int nzp;
    const int32_t *zp;
} BuildWeights;

void build_init(Builder *b, Graph *g, SrcLayout layout, BuildErrFn err, void *err_ctx);
int build_error(Builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* FNV-1a, for frontends' own name tables. */
size_t build_name_hash(const char *s);

/* base + suffix, or base + suffix + "_N" if a tensor has that name. */
const char *build_tensor_name(Builder *b, const char *base, const char *suffix);
/* graph_add_node under `base` (or "node"), made unique as base_1, base_2...
 * Expected O(1) per node. */
Node *build_node(Builder *b, const char *base, Op op, int nin, const int *in, int out);

/* An activation [1, H, W, C] (hwc) whose source view has rank src_rank and
 * shape src_shape in the builder's layout. Returns its id, -1 on error. */
int build_act(Builder *b, const char *name, DType dt, const int64_t hwc[3], int src_rank,
              const int64_t *src_shape, int32_t zp);
/* A weight tensor of the IR `shape`: element i is w->v[perm[i]] (perm NULL:
 * identity). cout is the number of output channels (shape[0]). */
int build_weights(Builder *b, const char *base, const BuildWeights *w, int rank,
                  const int64_t *shape, const int64_t *perm);
/* i32 bias [cout] from n source values (must be cout 32-bit integers). */
int build_bias(Builder *b, const char *base, const double *v, int64_t n, int64_t cout);

/* Permutation for build_weights of conv weights stored in `src_order` (one of
 * BUILD_W_*) to OHWI [cout, kh, kw, cig]; NULL on allocation failure. */
int64_t *build_conv_perm(Builder *b, const char *src_order, int64_t cout, int64_t cig, int64_t kh,
                         int64_t kw);
/* Permutation for FC weights [n][K] (kn: stored [K][n]) whose K follows the
 * source's flattening of an (h, w, c) input: channel-first if src_chw, else
 * HWC. The IR's K is in HWC order. */
int64_t *build_fc_perm(Builder *b, int64_t n, int64_t h, int64_t w, int64_t c, int src_chw, int kn);

/* SAME padding of one spatial dimension: output ceil(in / stride); the odd
 * pixel goes to the end when `extra_at_end` (ONNX SAME_UPPER, TFLite SAME),
 * else to the start (SAME_LOWER). */
void build_same_pad(int64_t in, int64_t k, int64_t stride, int64_t dil, int extra_at_end,
                    int64_t *begin, int64_t *end);
/* The narrowest activation dtype holding [lo, hi]: u8, i8, else i32. */
DType build_dtype_for_range(int64_t lo, int64_t hi);

/* A graph name from the model's own name, else the file's basename without
 * its extension: never a directory. Characters other than [A-Za-z0-9_.-]
 * become '_', at most BUILD_MAX_NAME bytes. */
enum { BUILD_MAX_NAME = 64 };
const char *build_graph_name(Arena *a, const char *model_name, const char *path);

#endif
