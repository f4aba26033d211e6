/* bench_kernels_pulp.c: cycles per layer shape on the PULP open cluster
 * (GVSoC pulp-open, `make bench-kernels-pulp GVSOC=...`, mk/pulp.mk): each
 * of bench/'s shapes in DORY's quantization (u8 activations, SHIFT32) runs on
 * 1 core and on 8 cores (runtime/pulp: fork/join on the event unit) with its
 * tile, weights, biases and requant constants copied to L1 first, as a
 * layer's tile is; cycles are core 0's mcycle around the call (a warm-up
 * call first fills the instruction cache). The output of every run is
 * compared with the kref loops byte for byte. An FC whose weights do not
 * fit the L1 arena runs as a deployed FC layer does: tiles of output
 * neurons (as many as fit twice, a multiple of 4 per core), the weights of
 * the next tile DMA'd by mchan while the cluster computes the current one
 * on L1 data (fc_tiled). Other shapes whose data do not fit the L1 arena
 * run on L2 data and say so. Deterministic counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dory_hal.h"
#include "dory_pulp.h"
#include "test_kernels_case.h"

static KCase kcase;

typedef struct {
    KTile *t;
    uint8_t *scratch;
    int cores, rc[DORY_PULP_CORES];
} job_t;

static void on_core(void *arg)
{
    job_t *j = (job_t *)arg;
    int c = dory_core_id();
    j->rc[c] = kc_run_core(&kcase, j->t, c, j->cores, j->scratch + (long)c * j->t->scratch_bytes);
}

/* Bump allocation in the L1 arena (4-byte aligned); NULL when full. */
static uint8_t *l1_at;
static void *l1_take(long bytes)
{
    uint8_t *p = l1_at, *end = dory_l1_base() + dory_l1_size();
    bytes = (bytes + 3) & ~3L;
    if (bytes > end - p) return NULL;
    l1_at += bytes;
    return p;
}

static void *l1_copy(const void *src, long bytes)
{
    void *p = l1_take(bytes);
    if (p && src) memcpy(p, src, (size_t)bytes);
    return p;
}

/* Cycles of one call on `cores` cores (after a warm-up call); -1 on a
 * kernel error or a mismatch with kref. */
static long run(KTile *t, uint8_t *scratch, int cores, const uint8_t *canary)
{
    job_t j;
    uint64_t c0, c1;
    int rep, c;
    memset(&j, 0, sizeof j);
    j.t = t, j.scratch = scratch, j.cores = cores;
    for (rep = 0; rep < 2; rep++) {
        memcpy(t->y, canary, (size_t)t->ybytes);
        c0 = dory_cycles();
        if (cores == 1)
            on_core(&j);
        else
            dory_cluster_run(on_core, &j);
        c1 = dory_cycles();
    }
    for (c = 0; c < cores; c++)
        if (j.rc[c]) return -1;
    return kc_compare(&kcase, t, NULL, 0) ? -1 : (long)(c1 - c0);
}

/* An FC tile: neurons [c0, c0 + n) of the layer, weights in L1. */
typedef struct {
    dory_fc_params_t fc;
    const uint8_t *x;
    const int8_t *w;
    const int32_t *bias;
    uint8_t *y, *scratch;
    int k, n, cores, rc[DORY_PULP_CORES];
    int32_t scratch_bytes;
} fc_job_t;

static void on_core_fc(void *arg)
{
    fc_job_t *j = (fc_job_t *)arg;
    dory_ctx_t ctx;
    int c = dory_core_id();
    ctx.core_id = c, ctx.num_cores = j->cores, ctx.size = j->scratch_bytes;
    ctx.buf = j->scratch + (long)c * j->scratch_bytes;
    j->rc[c] = dory_fc_s8(&ctx, &j->fc, j->k, j->x, j->w, j->bias, j->n, j->y);
}

/* The FC of kcase in tiles of nt neurons (x, biases, requant constants and
 * the output in L1, weights double-buffered in L1 by mchan): cycles of the
 * layer on `cores` cores (the second of two runs), DMA wait cycles in
 * *wait; -1 on a kernel error or a mismatch with kref. */
static long fc_tiled(KTile *t, int nt, int cores, const uint8_t *w2, uint8_t *const wbuf[2],
                     uint8_t *scratch, const uint8_t *canary, long *wait)
{
    const dory_fc_params_t *fc = &kcase.fc;
    int k = kcase.c, n = kcase.cout, rep, i, c, ps = fc->out.rq.per_channel;
    uint64_t c0 = 0, c1 = 0, w0;
    for (rep = 0; rep < 2; rep++) {
        dory_dma_id_t id;
        memcpy(t->y, canary, (size_t)t->ybytes);
        *wait = 0;
        c0 = dory_cycles();
        id = dory_dma_copy_1d(wbuf[0], w2, (size_t)(nt < n ? nt : n) * k, "fc w");
        for (i = 0; i * nt < n; i++) {
            fc_job_t j;
            int c0n = i * nt, nn = n - c0n < nt ? n - c0n : nt;
            w0 = dory_cycles();
            dory_dma_wait(id);
            *wait += (long)(dory_cycles() - w0);
            if (c0n + nt < n) {
                int nx = n - c0n - nt < nt ? n - c0n - nt : nt;
                id = dory_dma_copy_1d(wbuf[(i + 1) & 1], w2 + (long)(c0n + nt) * k, (size_t)nx * k,
                                      "fc w");
            }
            memset(&j, 0, sizeof j);
            j.fc = *fc;
            if (ps) {
                j.fc.out.rq.k32 += c0n;
                if (j.fc.out.rq.l32) j.fc.out.rq.l32 += c0n;
            }
            j.x = t->x, j.w = (const int8_t *)wbuf[i & 1], j.k = k, j.n = nn;
            j.bias = kcase.bias ? kcase.bias + c0n : NULL;
            j.y = t->y + c0n, j.cores = cores, j.scratch = scratch;
            j.scratch_bytes = t->scratch_bytes;
            if (cores == 1)
                on_core_fc(&j);
            else
                dory_cluster_run(on_core_fc, &j);
            for (c = 0; c < cores; c++)
                if (j.rc[c]) return -1;
        }
        c1 = dory_cycles();
    }
    return kc_compare(&kcase, t, NULL, 0) ? -1 : (long)(c1 - c0);
}

/* The tiled FC row (fc_tiled) of kcase: 1 when it ran (fc_failed: whether it
 * failed), 0 when its tiles do not fit either. */
static int fc_failed;
static int fc_tiles(KTile *t, const uint8_t *canary, const KBenchShape *s, long n)
{
    const dory_requant_t *rq = &kcase.fc.out.rq;
    int k = kcase.c, cout = kcase.cout, nt, pc = rq->per_channel ? cout : 1;
    long fixed, one, eight, w1, w8;
    uint8_t *wbuf[2], *scratch, *x, *y, *w2;
    int32_t *b, *kk, *ll;
    l1_at = dory_l1_base();
    x = l1_copy(t->x, k), y = l1_take(t->ybytes);
    b = kcase.bias ? l1_copy(kcase.bias, 4L * cout) : NULL;
    kk = l1_copy(rq->k32, 4L * pc), ll = rq->l32 ? l1_copy(rq->l32, 4L * pc) : NULL;
    scratch = l1_take((long)DORY_PULP_CORES * t->scratch_bytes);
    fixed = l1_at - dory_l1_base();
    nt = (int)(((long)dory_l1_size() - fixed) / (2L * ((k + 3) & ~3)));
    nt = nt >= 4 * DORY_PULP_CORES ? nt / (4 * DORY_PULP_CORES) * 4 * DORY_PULP_CORES : nt / 4 * 4;
    if (!x || !y || (kcase.bias && !b) || !kk || (rq->l32 && !ll) || nt < 4 ||
        (size_t)cout * k > dory_l2_size())
        return 0;
    memcpy(dory_l2_base(), kcase.wt, (size_t)cout * k); /* the layer's weights, in L2 */
    w2 = dory_l2_base();
    wbuf[0] = l1_take((long)nt * k), wbuf[1] = l1_take((long)nt * k);
    t->x = x, t->y = y, kcase.bias = b, kcase.fc.out.rq.k32 = kk, kcase.fc.out.rq.l32 = ll;
    one = fc_tiled(t, nt, 1, w2, wbuf, scratch, canary, &w1);
    eight = fc_tiled(t, nt, DORY_PULP_CORES, w2, wbuf, scratch, canary, &w8);
    printf(
        "%-32s %5s %9ld %10ld %10ld %8.2f %8.2f %6.2f L1 tiles of %d neurons, DMA wait %ld/%ld\n",
        s->name, s->unit, n, one, eight, one > 0 ? (double)n / (double)one : 0.0,
        eight > 0 ? (double)n / (double)eight : 0.0, eight > 0 ? (double)one / (double)eight : 0.0,
        nt, w1, w8);
    if (one < 0 || eight < 0) printf("  MISMATCH: kernel output differs from kref or failed\n");
    fc_failed = one < 0 || eight < 0;
    return 1;
}

/* One row (flags: kc_bench's; name: the row's, NULL for the shape's):
 * returns 1 on a setup failure or a mismatch. */
static int row(const KBenchShape *s, unsigned seed, int flags, const char *name)
{
    KTile t, orig;
    int8_t *wt;
    int32_t *bias;
    const int32_t *k32, *l32;
    const int64_t *k64, *l64;
    uint8_t *scratch, *canary;
    long n, one, eight, wbytes;
    int in_l1 = 1, cout;
    dory_requant_t *rq;
    if (!name) name = s->name;
    if (kc_bench(&kcase, s->op, s->h, s->w, s->c, s->cout, s->k, s->s, s->pad, seed, flags) ||
        kc_tile_alloc(&kcase, &t)) {
        printf("%-32s setup failed\n", name);
        return 1;
    }
    kc_ref(&kcase);
    wt = kcase.wt, bias = kcase.bias;
    rq = kcase.op == KOP_FC ? &kcase.fc.out.rq : &kcase.conv.out.rq;
    k32 = rq->k32, l32 = rq->l32, k64 = rq->k64, l64 = rq->l64;
    cout = rq->per_channel ? kcase.cout : 1;
    wbytes = kcase.op == KOP_FC ? (long)kcase.cout * kcase.c
             : kcase.op == KOP_DW3 || kcase.op == KOP_DW
                 ? (long)kcase.c * kcase.kh * kcase.kw
                 : (long)kcase.cout * kcase.kh * kcase.kw * kcase.c;
    canary = malloc((size_t)t.ybytes);
    memcpy(canary, t.y, (size_t)t.ybytes);
    orig = t;
    l1_at = dory_l1_base();
    {
        uint8_t *x = l1_copy(t.x, (long)t.in.h * t.in.w * t.in.c_stride);
        uint8_t *xb =
            kcase.op == KOP_ADD ? l1_copy(t.xb, (long)t.in.h * t.in.w * t.in.c_stride) : t.xb;
        uint8_t *y = l1_take(t.ybytes);
        int8_t *w = wt ? l1_copy(wt, wbytes) : NULL;
        int32_t *b = bias ? l1_copy(bias, 4L * kcase.cout) : NULL;
        const int32_t *kk = k32 ? l1_copy(k32, 4L * cout) : NULL;
        const int32_t *ll = l32 ? l1_copy(l32, 4L * cout) : NULL;
        int s64 = rq->scheme == DORY_RQ_SHIFT64;
        const int64_t *kk64 = s64 ? l1_copy(k64, 8L * cout) : k64;
        const int64_t *ll64 = s64 && l64 ? l1_copy(l64, 8L * cout) : l64;
        scratch = l1_take((long)DORY_PULP_CORES * t.scratch_bytes);
        if (x && xb && y && (w || !wt) && (b || !bias) && (kk || !k32) && (ll || !l32) &&
            (kk64 || !k64) && (ll64 || !l64) && (scratch || !t.scratch_bytes)) {
            t.x = x, t.xb = xb, t.y = y, kcase.wt = w, kcase.bias = b;
            rq->k32 = kk, rq->l32 = ll, rq->k64 = kk64, rq->l64 = ll64;
        } else {
            in_l1 = 0;
            scratch = malloc((size_t)DORY_PULP_CORES * t.scratch_bytes + 4);
        }
    }
    n = kc_work(&kcase);
    if (!in_l1 && kcase.op == KOP_FC && fc_tiles(&t, canary, s, n)) { /* tiled on L1 data */
        kcase.wt = wt, kcase.bias = bias, rq->k32 = k32, rq->l32 = l32, rq->k64 = k64,
        rq->l64 = l64;
        t = orig;
        free(scratch);
        free(canary);
        kc_tile_free(&t);
        kc_free(&kcase);
        return fc_failed;
    }
    one = run(&t, scratch, 1, canary);
    eight = run(&t, scratch, DORY_PULP_CORES, canary);
    printf("%-32s %5s %9ld %10ld %10ld %8.2f %8.2f %6.2f %s\n", name, s->unit, n, one, eight,
           one > 0 ? (double)n / (double)one : 0.0, eight > 0 ? (double)n / (double)eight : 0.0,
           eight > 0 ? (double)one / (double)eight : 0.0, in_l1 ? "L1" : "L2 data");
    if (one < 0 || eight < 0) printf("  MISMATCH: kernel output differs from kref or failed\n");
    /* back to the case's own buffers before freeing them */
    kcase.wt = wt, kcase.bias = bias, rq->k32 = k32, rq->l32 = l32, rq->k64 = k64, rq->l64 = l64;
    t = orig;
    if (!in_l1) free(scratch);
    free(canary);
    kc_tile_free(&t);
    kc_free(&kcase);
    return one < 0 || eight < 0;
}

/* Rows of shapes in another quantization: DORY's SHIFT64 (its networks'
 * requant: k beyond 32 bits, d >= 32; kc_bench's KC_ONNX_SHIFT64 constants,
 * u8 with zero point 0 clamped to [0, 255]) and the add's constants of
 * DORY's residual networks (kc_bench's KC_ADD_XP). */
static const struct {
    int shape, flags;
    const char *name;
} extra[] = {{0, KC_ONNX_SHIFT64, "conv 3x3 16->16 32x32 SHIFT64"},
             {2, KC_ONNX_SHIFT64, "pointwise 64->64 25x5 SHIFT64"},
             {4, KC_ONNX_SHIFT64, "depthwise 3x3 s1 p1 64ch 25x5 SHIFT64"},
             {10, KC_ONNX_SHIFT64, "conv 5x5 s2 p2 1->32 48x32 SHIFT64"},
             {8, KC_ADD_XP, "add 16x16x32 residual (a + b)"},
             {8, KC_ADD_XP | KC_ADD_PC, "add 16x16x32 Dronet (no clamp)"}};
enum { NEXTRA = (int)(sizeof extra / sizeof extra[0]) };

int main(void)
{
    dory_hal_config_t cfg;
    int i, failed = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.l1_bytes = DORY_PULP_L1_ARENA;
    cfg.l2_bytes = 128 * 1024; /* the L2 home of a tiled FC's weights */
    cfg.num_cores = DORY_PULP_CORES;
    if (dory_hal_init(&cfg)) return 2;
    printf("%-32s %5s %9s %10s %10s %8s %8s %6s %s\n", "shape (pulp-open, GVSoC)", "unit", "units",
           "cyc 1 core", "cyc 8 core", "/cyc 1", "/cyc 8", "x8", "data");
    for (i = 0; i < kc_bench_nshapes; i++) {
#ifdef DORY_BENCH_ONLY /* make bench-kernels-pulp ONLY=depthwise: the shapes naming it */
        if (!strstr(kc_bench_shapes[i].name, DORY_BENCH_ONLY)) continue;
#endif
        failed += row(&kc_bench_shapes[i], 42u + (unsigned)i, 0, NULL);
    }
    for (i = 0; i < NEXTRA; i++) {
#ifdef DORY_BENCH_ONLY
        if (!strstr(extra[i].name, DORY_BENCH_ONLY)) continue;
#endif
        failed += row(&kc_bench_shapes[extra[i].shape], 42u + (unsigned)extra[i].shape,
                      extra[i].flags, extra[i].name);
    }
    /* small and odd outputs, where conv2d's work split matters */
    for (i = 0; i < kc_split_nshapes; i++) {
#ifdef DORY_BENCH_ONLY
        if (!strstr(kc_split_shapes[i].name, DORY_BENCH_ONLY)) continue;
#endif
        failed += row(&kc_split_shapes[i], 142u + (unsigned)i, 0, NULL);
    }
    printf("%d shapes, %d failed\n", kc_bench_nshapes + NEXTRA + kc_split_nshapes, failed);
    return failed ? 1 : 0;
}
