/* test_kernels.c: the kernel library (kernels/) against the reference
 * interpreter, bit-exact: every kernel on random shapes and values (1x1
 * spatial, channel counts not multiple of 4, every border combination, every
 * requant scheme, u8/i8 in and out, zero points, clamps, channel strides),
 * with core counts 1..8 called in sequence and 8 threads; int32 outputs;
 * conv, pointwise and FC computed in 2-3 input-channel slices (ACC_FIRST,
 * ACC_NEXT, dory_requant_s32) against the unsplit node; the element-wise
 * requant op; one-pixel im2col blocks; the portable kref
 * loops (used by the QEMU tests and the benchmark baseline) against the
 * interpreter; the requant helpers and ISA hooks against quant.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dory_isa.h"
#include "dory_kernels.h"
#include "harness.h"
#include "ir/interp.h"
#include "ir/ir.h"
#include "ir/quant.h"
#include "test_kernels_case.h"

enum { CASES_PER_OP = 160 };

static DType dt_of(dory_type_t t) { return t == DORY_I32 ? DT_I32 : t == DORY_I8 ? DT_I8 : DT_U8; }

static int add_act(Graph *g, const char *name, dory_type_t t, int32_t zp, int h, int w, int c)
{
    int64_t shape[4] = {1, h, w, c};
    int id = graph_add_tensor(g, name, dt_of(t), 4, shape);
    if (id >= 0) graph_tensor(g, id)->zp = zp;
    return id;
}

static int set_rq(Graph *g, Node *n, Requant *r, const KRq *q)
{
    int64_t k[KC_MAXC], l[KC_MAXC];
    int c;
    switch (q->r.scheme) {
    case DORY_RQ_NONE: *r = rq_none(); return 0;
    case DORY_RQ_SHIFT32:
    case DORY_RQ_SHIFT64:
        for (c = 0; c < q->nch; c++) {
            k[c] = q->r.scheme == DORY_RQ_SHIFT32 ? q->k32[c] : q->k64[c];
            l[c] = q->r.scheme == DORY_RQ_SHIFT32 ? q->l32[c] : q->l64[c];
        }
        return rq_make_shift(g, n, r, q->nch, k, q->has_l ? l : NULL, q->r.d);
    case DORY_RQ_FIXED: return rq_make_fixed(g, n, r, q->nch, q->mult, q->shift, q->r.pre);
    case DORY_RQ_FLOAT: return rq_make_float(g, n, r, q->nch, q->scale);
    case DORY_RQ_FIXED_SR: return rq_make_fixed_sr(g, n, r, q->nch, q->mult, q->shift);
    case DORY_RQ_LUT: break; /* kernels_requant_lut_vs_interp */
    case DORY_RQ_QLMUL:
    case DORY_RQ_QLMUL_INT: break; /* mul only: test_mul.c */
    case DORY_RQ_F32INT:
    case DORY_RQ_QLADD:
    case DORY_RQ_QLADD_INT: {
        int qladd = q->r.scheme != DORY_RQ_F32INT;
        if (rq_make_float(g, n, r, qladd ? 3 : q->nch, q->scale)) return -1;
        r->scheme = q->r.scheme == DORY_RQ_F32INT  ? RQ_F32INT
                    : q->r.scheme == DORY_RQ_QLADD ? RQ_QLADD
                                                   : RQ_QLADD_INT;
        return 0;
    }
    }
    return -1;
}

static int add_weights(Graph *g, const KCase *k, int64_t o, int64_t kh, int64_t kw, int64_t i,
                       int rank)
{
    int64_t shape[4] = {o, kh, kw, i}, n = o * kh * kw * i, j;
    int64_t *v = malloc(sizeof(int64_t) * (size_t)n);
    int id;
    if (rank == 2) shape[1] = i;
    for (j = 0; j < n; j++) v[j] = k->wt[j];
    id = graph_add_const(g, "w", DT_I8, rank, shape, v);
    free(v);
    if (id >= 0 && k->conv.w_zp) {
        Tensor *t = graph_tensor(g, id);
        t->zps = k->wzp;
        t->nzps = k->conv.w_zp_per_channel ? k->cout : 1;
    }
    return id;
}

/* The case's full layer as a one-node graph. */
static Graph *build_graph(const KCase *k, Node **out_node)
{
    Graph *g = graph_new("kernel_test");
    const dory_out_params_t *o = &k->conv.out;
    int in[3], nin = 1, y, dw = k->op == KOP_DW || k->op == KOP_DW3;
    Op op = OP_CONV2D;
    Node *n;
    in[0] = k->op == KOP_FC ? add_act(g, "x", k->fc.in_type, k->fc.in_zp, 1, 1, k->c)
                            : add_act(g, "x", k->conv.in_type, k->conv.in_zp, k->h, k->w, k->c);
    graph_add_input(g, in[0]);
    y = add_act(g, "y", o->type, o->zp, k->oh, k->ow, k->cout);
    if (k->op == KOP_CONV || k->op == KOP_PW || dw || k->op == KOP_FC) {
        in[1] = k->op == KOP_FC ? add_weights(g, k, k->cout, 1, 1, k->c, 2)
                                : add_weights(g, k, k->cout, k->kh, k->kw, dw ? 1 : k->c, 4);
        nin = 2;
        if (k->bias) {
            int64_t shape[1] = {k->cout}, v[KC_MAXC];
            int c;
            for (c = 0; c < k->cout; c++) v[c] = k->bias[c];
            in[nin++] = graph_add_const(g, "b", DT_I32, 1, shape, v);
        }
        op = k->op == KOP_FC ? OP_FC : OP_CONV2D;
    } else if (k->op == KOP_ADD) {
        in[1] = add_act(g, "xb", k->add.b_type, k->add.b_zp, k->h, k->w, k->c);
        graph_add_input(g, in[1]);
        nin = 2;
        op = OP_ADD;
    } else if (k->op == KOP_REQUANT) {
        op = OP_REQUANT;
    } else {
        op = k->op == KOP_MAXPOOL ? OP_MAXPOOL : OP_AVGPOOL;
    }
    n = graph_add_node(g, "n", op, nin, in, y);
    n->kernel[0] = k->kh, n->kernel[1] = k->kw;
    n->stride[0] = k->sh, n->stride[1] = k->sw;
    n->dilation[0] = k->dh, n->dilation[1] = k->dw;
    memcpy(n->pad, k->pad, sizeof n->pad);
    n->groups = dw ? k->c : 1;
    n->avg_round = (AvgRound)k->pool.round;
    n->count_include_pad = k->pool.count_include_pad;
    n->lo = o->lo, n->hi = o->hi;
    set_rq(g, n, &n->rq, &k->rq);
    if (k->op == KOP_ADD) {
        set_rq(g, n, &n->in_rq[0], &k->rqa);
        set_rq(g, n, &n->in_rq[1], &k->rqb);
    }
    graph_add_output(g, y);
    if (graph_finalize(g)) {
        graph_free(g);
        return NULL;
    }
    *out_node = n;
    return g;
}

static int32_t *to_i32(const uint8_t *v, long n, dory_type_t t)
{
    int32_t *r = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    long i;
    for (i = 0; i < n; i++) r[i] = t == DORY_I8 ? (int8_t)v[i] : v[i];
    return r;
}

/* Replaces k->ref with the interpreter's output; counts kref disagreements
 * (test_kernels_case.h; also used by test_xpulp.c). */
int interp_ref(KCase *k, int *kref_bad)
{
    Node *n = NULL;
    Graph *g = build_graph(k, &n);
    long nx = (long)k->h * k->w * k->c, ny = kc_out_numel(k), i;
    int32_t *ins[2], *out;
    int rc;
    if (!g) return -1;
    ins[0] = to_i32(k->x, nx, k->conv.in_type);
    ins[1] = to_i32(k->xb, nx, k->add.b_type);
    out = malloc(sizeof(int32_t) * (size_t)ny);
    rc = interp_node(g, n, (const int32_t *const *)ins, out);
    *kref_bad = 0;
    for (i = 0; rc == 0 && i < ny; i++) {
        if (kc_out_esize(k) == 4) {
            int32_t r;
            memcpy(&r, k->ref + 4 * i, 4);
            *kref_bad += r != out[i];
            memcpy(k->ref + 4 * i, &out[i], 4);
        } else {
            uint8_t b = (uint8_t)out[i];
            *kref_bad += b != k->ref[i];
            k->ref[i] = b;
        }
    }
    free(ins[0]), free(ins[1]), free(out);
    graph_free(g);
    return rc;
}

/* How check_op runs each case: whole (kc_check) or in input-channel slices. */
enum { RUN_WHOLE = 0, RUN_SLICED = 1 };

/* Every case of one kernel (flags: kc_random_ex), cores 1..8, against the
 * interpreter. */
static void check_op_ex(kop_t op, uint32_t seed, int ncases, int flags, int run)
{
    int i, cores, made = 0;
    for (i = 0; i < ncases; i++) {
        KCase k;
        char msg[400] = "";
        int kref_bad = 0;
        if (kc_random_ex(&k, op, seed, i, flags)) continue;
        made++;
        if (!CHECK(interp_ref(&k, &kref_bad) == 0)) {
            kc_free(&k);
            continue;
        }
        if (kref_bad)
            harness_fail(__FILE__, __LINE__,
                         "%s case %d: kref differs from interp_node in %d values", kc_op_name(op),
                         i, kref_bad);
        for (cores = 1; cores <= 8; cores++) {
            int nslices = 2 + (i + cores) % 2, dense = (i / 2 + cores) % 2;
            if (run == RUN_WHOLE ? kc_check(&k, cores, msg, sizeof msg)
                                 : kc_check_sliced(&k, nslices, cores, dense, msg, sizeof msg))
                harness_fail(__FILE__, __LINE__, "case %d, %d cores%s: %s", i, cores,
                             run == RUN_WHOLE ? "" : " (sliced)", msg);
        }
        kc_free(&k);
    }
    CHECK(made > ncases * 3 / 4);
}

static void check_op(kop_t op, uint32_t seed) { check_op_ex(op, seed, CASES_PER_OP, 0, RUN_WHOLE); }

TEST(kernels_conv2d_vs_interp) { check_op(KOP_CONV, 11); }
TEST(kernels_conv1x1_vs_interp) { check_op(KOP_PW, 12); }
TEST(kernels_dwconv_vs_interp) { check_op(KOP_DW, 13); }
TEST(kernels_dwconv3x3_vs_interp) { check_op(KOP_DW3, 14); }
TEST(kernels_fc_vs_interp) { check_op(KOP_FC, 15); }
TEST(kernels_maxpool_vs_interp) { check_op(KOP_MAXPOOL, 16); }
TEST(kernels_avgpool_vs_interp) { check_op(KOP_AVGPOOL, 17); }
TEST(kernels_add_vs_interp) { check_op(KOP_ADD, 18); }
TEST(kernels_add_per_channel_vs_interp) { check_op_ex(KOP_ADD, 58, 80, KC_ADD_PC, RUN_WHOLE); }
TEST(kernels_add_xpulp_forms_vs_interp) { check_op_ex(KOP_ADD, 61, 80, KC_ADD_XP, RUN_WHOLE); }
TEST(kernels_requant_vs_interp) { check_op(KOP_REQUANT, 19); }

/* int32 outputs (every scheme incl. NONE = the raw accumulator, u8/i8 in). */
TEST(kernels_conv2d_i32_vs_interp) { check_op_ex(KOP_CONV, 21, 80, KC_OUT_I32, RUN_WHOLE); }
TEST(kernels_conv1x1_i32_vs_interp) { check_op_ex(KOP_PW, 22, 80, KC_OUT_I32, RUN_WHOLE); }
TEST(kernels_dwconv_i32_vs_interp) { check_op_ex(KOP_DW, 23, 80, KC_OUT_I32, RUN_WHOLE); }
TEST(kernels_dwconv3x3_i32_vs_interp) { check_op_ex(KOP_DW3, 24, 80, KC_OUT_I32, RUN_WHOLE); }
TEST(kernels_fc_i32_vs_interp) { check_op_ex(KOP_FC, 25, 80, KC_OUT_I32, RUN_WHOLE); }
TEST(kernels_requant_i32_vs_interp) { check_op_ex(KOP_REQUANT, 26, 80, KC_OUT_I32, RUN_WHOLE); }

/* SHIFT64 depthwise (KC_S64: d below and above 32, k beyond 32 bits, both
 * signs, clamps), also in the Xpulp depthwise's 4-channel plane geometry. */
TEST(kernels_dwconv_s64_vs_interp) { check_op_ex(KOP_DW, 27, 88, KC_S64, RUN_WHOLE); }
TEST(kernels_dwconv3x3_s64_vs_interp)
{
    check_op_ex(KOP_DW3, 28, 88, KC_S64, RUN_WHOLE);
    check_op_ex(KOP_DW3, 29, 88, KC_S64 | KC_PLANES, RUN_WHOLE);
}

/* The cases the fused RV32 core takes on rv32 (here: the C path; under QEMU,
 * tests/qemu/kernel_tests_main.c runs the same cases through the assembly). */
TEST(kernels_fused_shapes_vs_interp)
{
    check_op_ex(KOP_PW, 27, 80, KC_FUSED, RUN_WHOLE);
    check_op_ex(KOP_CONV, 28, 80, KC_FUSED, RUN_WHOLE);
}

/* DORY's SHIFT64 requant (the matrix core's SHIFT64 epilogue, fused on
 * Xpulp for the u8 cases): k beyond 32 bits, d below and above 32. */
TEST(kernels_shift64_vs_interp)
{
    check_op_ex(KOP_PW, 29, 90, KC_SHIFT64, RUN_WHOLE);
    check_op_ex(KOP_CONV, 30, 90, KC_SHIFT64, RUN_WHOLE);
    check_op_ex(KOP_CONV, 31, 90, KC_SHIFT64 | KC_IM2COL1, RUN_WHOLE);
}

/* The Arm DSP rows on packed weights (here their C path; under QEMU on the
 * Cortex-M4, tests/qemu/kernel_tests_main.c runs them with SMLAD): every
 * scheme, zero points, borders, channel strides, int32 outputs; depthwise
 * 3x3 and add also fall back to their portable kernels outside the TFLite
 * quantization. */
TEST(kernels_dsp_rows_vs_interp)
{
    check_op_ex(KOP_CONV, 51, CASES_PER_OP, KC_DSP, RUN_WHOLE);
    check_op_ex(KOP_PW, 52, CASES_PER_OP, KC_DSP, RUN_WHOLE);
    check_op_ex(KOP_FC, 53, CASES_PER_OP, KC_DSP, RUN_WHOLE);
    check_op_ex(KOP_CONV, 54, 80, KC_DSP | KC_OUT_I32, RUN_WHOLE);
    check_op_ex(KOP_FC, 55, 80, KC_DSP | KC_OUT_I32, RUN_WHOLE);
    check_op_ex(KOP_DW3, 56, CASES_PER_OP, KC_DSP, RUN_WHOLE); /* half FIXED */
    check_op_ex(KOP_ADD, 57, CASES_PER_OP, KC_DSP, RUN_WHOLE); /* half FIXED per tensor */
}

/* One-pixel im2col blocks (im2col_pixels = 1): 8-bit, int32, sliced. */
TEST(kernels_conv2d_im2col1_vs_interp)
{
    check_op_ex(KOP_CONV, 41, CASES_PER_OP, KC_IM2COL1, RUN_WHOLE);
    check_op_ex(KOP_CONV, 42, 80, KC_IM2COL1 | KC_OUT_I32, RUN_WHOLE);
    check_op_ex(KOP_CONV, 43, 80, KC_IM2COL1, RUN_SLICED);
}

/* First layers: 1 to 3 input channels, 3x3, 5x5 and 7x7, strides 1 and 2,
 * padding, channel tails, SHIFT32 / SHIFT64 in the fused cores' forms. */
TEST(kernels_conv2d_first_layers_vs_interp)
{
    check_op_ex(KOP_CONV, 44, CASES_PER_OP, KC_FIRST, RUN_WHOLE);
    check_op_ex(KOP_CONV, 45, 40, KC_FIRST | KC_OUT_I32, RUN_WHOLE);
    check_op_ex(KOP_CONV, 46, 40, KC_FIRST | KC_IM2COL1, RUN_WHOLE);
    check_op_ex(KOP_CONV, 47, 40, KC_FIRST | KC_FUSED, RUN_WHOLE);
    check_op_ex(KOP_CONV, 48, 40, KC_FIRST | KC_SHIFT64, RUN_WHOLE);
}

/* DORY's 3x3 layers with 128 input channels: one-pixel blocks fit GAP8's L1
 * on 8 cores; same bytes as the interpreter (and the 4-pixel kernel). */
TEST(kernels_conv2d_im2col1_128ch)
{
    static const int flags[2] = {KC_IM2COL1, KC_IM2COL1 | KC_I8};
    for (int i = 0; i < 2; i++) {
        KCase k;
        KTile t;
        char msg[400] = "";
        int kref_bad = 0;
        if (!CHECK(kc_bench(&k, KOP_CONV, 6, 5, 128, 40, 3, 1, 1, 3u + i, flags[i]) == 0)) continue;
        kc_ref(&k);
        CHECK(kc_tile_alloc(&k, &t) == 0);
        CHECK(8 * t.scratch_bytes < 36700 - 8 * 1024); /* leaves room for tiles */
        kc_tile_free(&t);
        if (CHECK(interp_ref(&k, &kref_bad) == 0)) {
            CHECK_EQ_I64(kref_bad, 0);
            for (int cores = 1; cores <= 8; cores += 7)
                if (kc_check(&k, cores, msg, sizeof msg))
                    harness_fail(__FILE__, __LINE__, "%d cores: %s", cores, msg);
        }
        kc_free(&k);
    }
}

/* conv2d's work split on small and odd outputs (pixel groups x channel
 * blocks): the interpreter's bytes on 1..8 cores, in every quantization. */
TEST(kernels_conv2d_split_small_outputs)
{
    for (int i = 0; i < kc_split_nshapes * KC_SPLIT_NFLAGS; i++) {
        const KBenchShape *s = &kc_split_shapes[i / KC_SPLIT_NFLAGS];
        KCase k;
        char msg[400] = "";
        int kref_bad = 0;
        if (!CHECK(kc_bench(&k, s->op, s->h, s->w, s->c, s->cout, s->k, s->s, s->pad, 90u + i,
                            kc_split_flags[i % KC_SPLIT_NFLAGS]) == 0))
            continue;
        kc_ref(&k);
        if (CHECK(interp_ref(&k, &kref_bad) == 0)) {
            CHECK_EQ_I64(kref_bad, 0);
            for (int cores = 1; cores <= 8; cores++)
                if (kc_check(&k, cores, msg, sizeof msg))
                    harness_fail(__FILE__, __LINE__, "%s flags %d, %d cores: %s", s->name,
                                 kc_split_flags[i % KC_SPLIT_NFLAGS], cores, msg);
        }
        kc_free(&k);
    }
}

/* Input-channel slices (ACC_FIRST, ACC_NEXT..., dory_requant_s32) against the
 * interpreter on the unsplit node: 8-bit and int32 outputs. */
TEST(kernels_conv2d_sliced_vs_interp)
{
    check_op_ex(KOP_CONV, 31, CASES_PER_OP, 0, RUN_SLICED);
    check_op_ex(KOP_CONV, 32, 40, KC_OUT_I32, RUN_SLICED);
    check_op_ex(KOP_CONV, 37, 40, KC_SHIFT64, RUN_SLICED); /* dory_requant_s32's SHIFT64 path */
}
TEST(kernels_conv1x1_sliced_vs_interp)
{
    check_op_ex(KOP_PW, 33, CASES_PER_OP, 0, RUN_SLICED);
    check_op_ex(KOP_PW, 34, 40, KC_OUT_I32, RUN_SLICED);
}
TEST(kernels_fc_sliced_vs_interp)
{
    check_op_ex(KOP_FC, 35, CASES_PER_OP, 0, RUN_SLICED);
    check_op_ex(KOP_FC, 36, 40, KC_OUT_I32, RUN_SLICED);
}

/* ---- 8 threads give the same bytes as 1 core ---------------------------- */

typedef struct {
    const KCase *k;
    KTile *t;
    int core;
    void *scratch;
    int rc;
} ThreadArg;

static void *thread_main(void *p)
{
    ThreadArg *a = p;
    a->rc = kc_run_core(a->k, a->t, a->core, 8, a->scratch);
    return NULL;
}

TEST(kernels_threads_match_one_core)
{
    for (int op = 0; op < KOP_COUNT; op++)
        for (int i = 0; i < 12; i++) {
            KCase k;
            KTile t;
            if (kc_random(&k, (kop_t)op, 99, i * 7 + 1)) continue;
            if (!CHECK(kc_tile_alloc(&k, &t) == 0)) break;
            void *s1 = malloc((size_t)t.scratch_bytes + 1);
            CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s1), 0);
            uint8_t *one = malloc((size_t)t.ybytes);
            memcpy(one, t.y, (size_t)t.ybytes);
            memset(t.y, 0xA5, (size_t)t.ybytes);
            pthread_t th[8];
            ThreadArg args[8];
            for (int c = 0; c < 8; c++) {
                args[c] = (ThreadArg){&k, &t, c, malloc((size_t)t.scratch_bytes + 1), -1};
                pthread_create(&th[c], NULL, thread_main, &args[c]);
            }
            for (int c = 0; c < 8; c++) {
                pthread_join(th[c], NULL);
                CHECK_EQ_I64(args[c].rc, 0);
                free(args[c].scratch);
            }
            if (memcmp(one, t.y, (size_t)t.ybytes) != 0)
                harness_fail(__FILE__, __LINE__, "%s case %d: 8 threads differ from 1 core",
                             kc_op_name((kop_t)op), i);
            CHECK(kc_compare(&k, &t, NULL, 0) == 0);
            free(one), free(s1);
            kc_tile_free(&t);
            kc_free(&k);
        }
}

/* ---- scratch and argument errors ---------------------------------------- */

TEST(kernels_reject_small_scratch_and_bad_args)
{
    KCase k;
    KTile t;
    CHECK(kc_random(&k, KOP_CONV, 5, 1) == 0);
    CHECK(kc_tile_alloc(&k, &t) == 0);
    void *s = malloc((size_t)t.scratch_bytes);
    t.scratch_bytes -= 1;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_SCRATCH);
    t.scratch_bytes += 1;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, NULL), DORY_ERR_SCRATCH);
    k.conv.im2col_pixels = 2;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_ARG);
    k.conv.im2col_pixels = 0, k.conv.stride_h = 0;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_ARG);
    free(s);
    kc_tile_free(&t);
    kc_free(&k);
    CHECK(kc_random(&k, KOP_PW, 5, 2) == 0);
    CHECK(kc_tile_alloc(&k, &t) == 0);
    s = malloc((size_t)t.scratch_bytes);
    k.conv.acc_mode = 3;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_ARG);
    k.conv.acc_mode = 0, k.conv.out.type = (dory_type_t)3;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_ARG);
    k.conv.out.type = DORY_U8, k.conv.kh = 3;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_ARG);
    free(s);
    kc_tile_free(&t);
    kc_free(&k);
    CHECK(kc_random(&k, KOP_DW, 5, 2) == 0); /* no input-channel slices for depthwise */
    CHECK(kc_tile_alloc(&k, &t) == 0);
    s = malloc((size_t)t.scratch_bytes);
    k.conv.acc_mode = DORY_ACC_FIRST;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_ARG);
    free(s);
    kc_tile_free(&t);
    kc_free(&k);
    CHECK(kc_random(&k, KOP_FC, 5, 2) == 0);
    CHECK(kc_tile_alloc(&k, &t) == 0);
    s = malloc((size_t)t.scratch_bytes + 4);
    k.fc.acc_mode = -1;
    CHECK_EQ_I64(kc_run_core(&k, &t, 0, 1, s), DORY_ERR_ARG);
    free(s);
    kc_tile_free(&t);
    kc_free(&k);
}

/* ---- requant helpers against src/ir/quant.c ------------------------------ */

static uint32_t xs32(uint32_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

TEST(kernels_requant_matches_quant_c)
{
    uint32_t s = 12345;
    for (int i = 0; i < 20000; i++) {
        int32_t acc = (int32_t)xs32(&s) >> (xs32(&s) % 31);
        int32_t mult = (int32_t)((1u << 30) + (xs32(&s) >> 2)), shift = -(int32_t)(xs32(&s) % 32);
        int64_t k64 = (int64_t)(xs32(&s) >> 8), l64 = -(int64_t)xs32(&s);
        int32_t k32 = (int32_t)(xs32(&s) % 64), l32 = (int32_t)(xs32(&s) % 2048) - 1024;
        float scale = (float)(xs32(&s) % 100000) * 1e-7f;
        int32_t small = acc >> 8;
        dory_requant_t rq = {0};
        RqChan rc = {0};
        /* FIXED */
        rq.scheme = DORY_RQ_FIXED, rq.mult = &mult, rq.shift = &shift;
        rc.scheme = RQ_FIXED, rc.mult = mult, rc.shift = shift;
        CHECK_EQ_I64(dory_requant_raw(&rq, 0, acc), rq_apply(&rc, acc));
        /* SHIFT64 */
        rq.scheme = DORY_RQ_SHIFT64, rq.k64 = &k64, rq.l64 = &l64, rq.d = (int)(xs32(&s) % 40);
        rc.scheme = RQ_SHIFT, rc.k = k64, rc.l = l64, rc.d = rq.d;
        CHECK_EQ_I64(dory_requant_raw(&rq, 0, acc), rq_apply(&rc, acc));
        /* SHIFT32 on accumulators small enough for 32-bit arithmetic */
        rq.scheme = DORY_RQ_SHIFT32, rq.k32 = &k32, rq.l32 = &l32, rq.d = (int)(xs32(&s) % 20);
        rc.k = k32, rc.l = l32, rc.d = rq.d;
        CHECK_EQ_I64(dory_requant_raw(&rq, 0, small), rq_apply(&rc, small));
        /* FLOAT */
        rq.scheme = DORY_RQ_FLOAT, rq.scale = &scale;
        rc.scheme = RQ_FLOAT, rc.scale = scale;
        CHECK_EQ_I64(dory_requant_raw(&rq, 0, acc), rq_apply(&rc, acc));
        /* full epilogue with zero point and clamp */
        dory_out_params_t o = {DORY_I8, (int32_t)(xs32(&s) % 256) - 128, -100, 90, rq};
        CHECK_EQ_I64(dory_requant(&o, 0, acc), q_epilogue(&rc, acc, o.zp, o.lo, o.hi));
    }
    /* the saturating corner of srdhm */
    int32_t m = INT32_MIN, sh = 0;
    dory_requant_t rq = {0};
    rq.scheme = DORY_RQ_FIXED, rq.mult = &m, rq.shift = &sh;
    RqChan rc = {0};
    rc.scheme = RQ_FIXED, rc.mult = m;
    CHECK_EQ_I64(dory_requant_raw(&rq, 0, INT32_MIN), rq_apply(&rc, INT32_MIN));
}

TEST(kernels_isa_hooks_portable)
{
    uint32_t s = 777;
    for (int i = 0; i < 10000; i++) {
        int8_t a[4], b[4];
        int32_t want = (int32_t)xs32(&s) % 100000;
        int32_t acc = want;
        for (int j = 0; j < 4; j++) {
            a[j] = (int8_t)xs32(&s), b[j] = (int8_t)xs32(&s);
            want += a[j] * b[j];
            CHECK_EQ_I64(dory_lane_s8(dory_load4(a), j), a[j]);
        }
        CHECK_EQ_I64(dory_dot4_acc(acc, dory_load4(a), dory_load4(b)), want);
        CHECK_EQ_I64(dory_mac(acc, a[0], b[0]), acc + a[0] * b[0]);
        CHECK_EQ_I64(dory_clip(acc, -5, 5), acc < -5 ? -5 : acc > 5 ? 5 : acc);
    }
}

/* ---- the benchmark's layer shapes (the fast paths), u8 and i8 ----------- */

TEST(kernels_bench_shapes_vs_interp)
{
    for (int i = 0; i < 2 * kc_bench_nshapes; i++) {
        const KBenchShape *s = &kc_bench_shapes[i / 2];
        KCase k;
        char msg[400] = "";
        int kref_bad = 0;
        if (!CHECK(kc_bench(&k, s->op, s->h, s->w, s->c, s->cout, s->k, s->s, s->pad, 7u + i,
                            i % 2 ? KC_I8 : 0) == 0))
            continue;
        kc_ref(&k);
        if (CHECK(interp_ref(&k, &kref_bad) == 0)) {
            CHECK_EQ_I64(kref_bad, 0);
            static const int cores[3] = {1, 3, 8};
            for (int j = 0; j < 3; j++)
                if (kc_check(&k, cores[j], msg, sizeof msg))
                    harness_fail(__FILE__, __LINE__, "%s (%s), %d cores: %s", s->name,
                                 i % 2 ? "i8" : "u8", cores[j], msg);
        }
        kc_free(&k);
    }
}

/* ---- dory_requant_s8 on int32 inputs ------------------------------------ */

/* A conv case's raw accumulators (one ACC_FIRST call over all channels),
 * then dory_requant_s8 with an int32 input and the case's epilogue: the
 * interpreter's bytes. */
TEST(kernels_requant_i32_input_vs_interp)
{
    for (int i = 0; i < 60; i++) {
        KCase k;
        KTile t;
        char msg[400] = "";
        int kref_bad = 0, cores = 1 + i % 4;
        if (kc_random(&k, KOP_CONV, 51, i)) continue;
        if (!CHECK(interp_ref(&k, &kref_bad) == 0) || !CHECK(kc_tile_alloc(&k, &t) == 0)) {
            kc_free(&k);
            continue;
        }
        dory_conv_params_t cp = k.conv;
        dory_dims_t acc_dims = t.out;
        cp.acc_mode = DORY_ACC_FIRST;
        acc_dims.c_stride = 0;
        long nacc = (long)t.out.h * t.out.w * k.cout;
        int32_t *acc = malloc(sizeof(int32_t) * (size_t)nacc);
        int32_t bytes = dory_conv2d_hwc_s8_scratch_bytes(&cp, &t.in, &acc_dims);
        void *scratch = malloc((size_t)bytes);
        dory_eltwise_params_t ep = {DORY_I32, 0, k.conv.out};
        for (int c = 0; c < cores; c++) {
            dory_ctx_t ctx = {c, cores, scratch, bytes};
            CHECK_EQ_I64(dory_conv2d_hwc_s8(&ctx, &cp, &t.in, t.x, k.wt, k.bias, &acc_dims, acc),
                         0);
        }
        for (int c = 0; c < cores; c++) {
            dory_ctx_t ctx = {c, cores, NULL, 0};
            CHECK_EQ_I64(dory_requant_s8(&ctx, &ep, &acc_dims, acc, &t.out,
                                         t.y + k.out_off * kc_out_esize(&k)),
                         0);
        }
        if (kc_compare(&k, &t, msg, sizeof msg))
            harness_fail(__FILE__, __LINE__, "case %d, %d cores: %s", i, cores, msg);
        free(acc), free(scratch);
        kc_tile_free(&t);
        kc_free(&k);
    }
}

/* dory_softmax_s8 against the reference's q_softmax_row (interp.c's
 * softmax): random betas and input scales (diff_min from 0 to -31 << 26 >>
 * shift), rows of 1..256 channels, equal and extreme values, channel
 * strides, 1..3 cores. */
TEST(kernels_softmax_vs_interp)
{
    uint32_t s = 12345u;
    static int8_t x[4 * 300], y[4 * 300];
    static int32_t xi[300], want[300];
    for (int it = 0; it < 300; it++) {
        s = s * 1103515245u + 12345u;
        double scale = 0.002 * (1 + (s >> 8) % 2000), beta = it % 3 ? 1.0 : 0.25 + (s % 7);
        dory_softmax_params_t p;
        q_softmax_params(beta, scale, &p.mult, &p.shift, &p.diff_min);
        int c = it % 5 == 0 ? 256 : 1 + (int)((s >> 4) % 40), px = 1 + it % 4, cs = c + it % 3;
        for (int i = 0; i < px * cs; i++) {
            s = s * 1103515245u + 12345u;
            x[i] = (int8_t)(it % 7 == 0 ? 3 : it % 11 == 0 ? (i % 2 ? 127 : -128) : (int)(s >> 24));
        }
        dory_dims_t d = {1, px, c, cs};
        int cores = 1 + it % 3;
        for (int k = 0; k < cores; k++) {
            dory_ctx_t ctx = {k, cores, 0, 0};
            CHECK(dory_softmax_s8(&ctx, &p, &d, x, &d, y) == DORY_OK);
        }
        for (int q = 0; q < px; q++) {
            for (int i = 0; i < c; i++) xi[i] = x[q * cs + i];
            q_softmax_row(xi, c, p.mult, p.shift, p.diff_min, want);
            for (int i = 0; i < c; i++)
                if (y[q * cs + i] != want[i]) {
                    harness_fail(__FILE__, __LINE__, "case %d pixel %d ch %d: %d, reference %d", it,
                                 q, i, y[q * cs + i], want[i]);
                    return;
                }
        }
    }
    dory_softmax_params_t bad = {1 << 30, 40, -1};
    dory_dims_t d = {1, 1, 4, 0};
    dory_ctx_t ctx = {0, 1, 0, 0};
    CHECK(dory_softmax_s8(&ctx, &bad, &d, x, &d, y) == DORY_ERR_ARG);
}

/* The lut requant (element-wise functions): dory_requant_s8 with a random
 * 256-entry table against the interpreter, i8 and u8 inputs with zero
 * points, every input value, 1 to 3 cores. */
TEST(kernels_requant_lut_vs_interp)
{
    uint32_t s = 77;
    for (int sgn = 0; sgn < 2; sgn++) {
        DType dt = sgn ? DT_I8 : DT_U8;
        int32_t zx = sgn ? -3 : 17, zy = sgn ? 5 : 100, base = (sgn ? -128 : 0) - zx;
        int64_t table[256];
        int32_t t32[256];
        for (int i = 0; i < 256; i++) {
            s = s * 1103515245u + 12345u;
            table[i] = (int64_t)(s >> 16) % 300 - 150; /* some values clamp */
            t32[i] = (int32_t)table[i];
        }
        Graph *g = graph_new("lut");
        int64_t shape[4] = {1, 4, 4, 16};
        int x = graph_add_tensor(g, "x", dt, 4, shape), y = graph_add_tensor(g, "y", dt, 4, shape);
        graph_tensor(g, x)->zp = zx, graph_tensor(g, y)->zp = zy;
        graph_add_input(g, x);
        Node *n = graph_add_node(g, "f", OP_REQUANT, 1, &x, y);
        CHECK(rq_make_lut(g, n, &n->rq, 256, table, base) == 0);
        graph_add_output(g, y);
        if (!CHECK(graph_finalize(g) == 0)) return;
        int32_t in[256], out[256];
        uint8_t xb[256], yb[256];
        for (int i = 0; i < 256; i++) {
            in[i] = (sgn ? -128 : 0) + i;
            xb[i] = (uint8_t)in[i];
        }
        CHECK(interp_node(g, n, (const int32_t *const[]){in}, out) == 0);
        dory_eltwise_params_t p = {sgn ? DORY_I8 : DORY_U8,
                                   zx,
                                   {sgn ? DORY_I8 : DORY_U8, zy, sgn ? -128 : 0, sgn ? 127 : 255}};
        p.out.rq.scheme = DORY_RQ_LUT, p.out.rq.table = t32, p.out.rq.table_base = base;
        dory_dims_t d = {4, 4, 16, 0};
        for (int cores = 1; cores <= 3; cores++) {
            memset(yb, 0xAA, sizeof yb);
            for (int c = 0; c < cores; c++) {
                dory_ctx_t ctx = {c, cores, NULL, 0};
                CHECK(dory_requant_s8(&ctx, &p, &d, xb, &d, yb) == DORY_OK);
            }
            int bad = 0;
            for (int i = 0; i < 256; i++) bad += (sgn ? (int8_t)yb[i] : yb[i]) != out[i];
            CHECK_EQ_I64(bad, 0);
        }
        graph_free(g);
    }
}

/* The kernels' own forms the planner's cost model asks for (src/plan/layer.c,
 * geom_form): the Xpulp add's form from the folded constants, the max
 * pooling's 2x2 fast path from the shape and the epilogue. */
TEST(kernels_add_form_and_maxpool_2x2)
{
    static const int32_t k3 = 3, k1 = 1, k2[2] = {2, 5}, zero = 0;
    dory_add_params_t p;
    memset(&p, 0, sizeof p);
    p.a_type = p.b_type = DORY_U8;
    p.out = (dory_out_params_t){DORY_U8, 0, 0, 255};
    CHECK_EQ_I64(dory_add_s8_form(&p, 16), DORY_ADD_FORM_SAT); /* u8 + u8 saturated */
    p.rq_a = (dory_requant_t){.scheme = DORY_RQ_SHIFT32, .k32 = &k3, .l32 = &zero};
    p.out.rq = (dory_requant_t){.scheme = DORY_RQ_SHIFT32, .k32 = &k1, .l32 = &zero, .d = 2};
    CHECK_EQ_I64(dory_add_s8_form(&p, 16), DORY_ADD_FORM_LIN); /* (3a + b) >> 2 */
    p.rq_a.d = 1;
    CHECK_EQ_I64(dory_add_s8_form(&p, 16), DORY_ADD_FORM_REQ); /* an input shifts */
    p.rq_a.per_channel = 1, p.rq_a.k32 = k2;
    CHECK_EQ_I64(dory_add_s8_form(&p, 2), DORY_ADD_FORM_NONE); /* a run per channel */
    p.rq_a.scheme = DORY_RQ_SHIFT64;
    CHECK_EQ_I64(dory_add_s8_form(&p, 1), DORY_ADD_FORM_NONE);

    dory_pool_params_t q;
    memset(&q, 0, sizeof q);
    q.kh = q.kw = q.stride_h = q.stride_w = 2, q.in_type = DORY_U8;
    q.out = (dory_out_params_t){DORY_U8, 0, 0, 255};
    dory_dims_t in = {8, 8, 16, 0}, out = {4, 4, 16, 0}, odd = {4, 4, 6, 0};
    CHECK(dory_maxpool_s8_2x2(&q, &in, &out));
    CHECK(!dory_maxpool_s8_2x2(&q, &in, &odd)); /* channels not in whole words */
    q.out.rq.scheme = DORY_RQ_SHIFT32;
    CHECK(!dory_maxpool_s8_2x2(&q, &in, &out)); /* not the identity */
    q.out.rq.scheme = DORY_RQ_NONE, q.kh = q.kw = 3;
    CHECK(!dory_maxpool_s8_2x2(&q, &in, &out));
}
