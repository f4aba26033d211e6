/* test_layer_loop.c: dory_run_slice() (runtime/dory_layer.c) under the strict
 * host HAL. A toy layer computes y[h][w][c] = a[h][w][c] + b[h][w][c] + w[c]
 * (+ k[c] without input-channel slices: per-channel "constants", loaded
 * with the weights) (two inputs, per-channel "weights") through the loop for many tilings and
 * both visiting orders, with and without input-channel slices (which here
 * split the channels the toy sums over). Reading a buffer before its DMA
 * was waited for sees the HAL's poison, so any prefetch or wait mistake in
 * the loop changes the result.
 */
#include <string.h>

#include "dory_layer.h"
#include "harness.h"

enum {
    H = 7,
    W = 5,
    C = 10,
    L1_IN0 = 0,
    L1_IN1 = 1024,
    L1_W = 2048,
    L1_OUT = 3072,
    L1_ACC = 3584,
    L1_K = 4032
};
static int t_ci_now;
static int fail_at_h0 = -1; /* compute() fails on the tiles of this row (-1: never) */

static unsigned char *l2x(void) { return dory_l2_base(); }
static unsigned char *l2y(void) { return dory_l2_base() + 2 * H * W * C; }
static unsigned char *l2w(void) { return dory_l2_base() + 3 * H * W * C; }
static unsigned char *l2k(void) { return l2w() + 16; }

static dory_dma_id_t load_input(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                const dory_tile_t *t, int buf, int which)
{
    (void)l, (void)s;
    int c0 = t_ci_now ? t->ci0 : t->co0, nc = t_ci_now ? t->ci : t->co;
    return dory_load_hwc(l1 + (which ? L1_IN1 : L1_IN0) + buf * 512, l2x() + which * H * W * C, W,
                         C, t->h0, t->h, t->w0, t->w, c0, nc, 1, "toy x");
}

static dory_dma_id_t load_weights(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                  const dory_tile_t *t, int buf)
{
    (void)l, (void)s;
    return dory_dma_copy_1d(l1 + L1_W + buf * 16, l2w() + t->co0, (size_t)t->co, "toy w");
}

static dory_dma_id_t load_consts(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                 const dory_tile_t *t, int buf)
{
    (void)l, (void)s;
    if (t_ci_now) return 0;
    return dory_dma_copy_1d(l1 + L1_K + buf * 16, l2k() + t->co0, (size_t)t->co, "toy k");
}

static dory_dma_id_t store_output(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                  const dory_tile_t *t, int buf)
{
    (void)l, (void)s;
    return dory_store_hwc(l2y(), l1 + L1_OUT + buf * 256, W, C, t->h0, t->h, t->w0, t->w, t->co0,
                          t->co, 1, "toy y");
}

/* Without channel slices: out = a + b + w. With them (co = ci = C here), the
 * sums a + b of each slice's channels go to the int32 buffer, and requant()
 * adds w at the end. */
static int compute(const dory_loop_t *l, const dory_tile_t *t, unsigned char *l1, int in_buf,
                   int w_buf, int out_buf)
{
    const unsigned char *a = l1 + L1_IN0 + in_buf * 512, *b = l1 + L1_IN1 + in_buf * 512;
    const unsigned char *w = l1 + L1_W + w_buf * 16, *k = l1 + L1_K + w_buf * 16;
    int32_t *acc = (int32_t *)(l1 + L1_ACC);
    int px, c, nc = t_ci_now ? t->ci : t->co;
    for (px = 0; px < t->h * t->w; px++)
        for (c = 0; c < nc; c++) {
            int v = a[px * nc + c] + b[px * nc + c];
            if (!t_ci_now)
                l1[L1_OUT + out_buf * 256 + px * t->co + c] = (unsigned char)(v + w[c] + k[c]);
            else if (t->ci0 == 0 && c == 0)
                acc[px] = v;
            else
                acc[px] += v;
        }
    (void)l;
    return t->h0 == fail_at_h0 ? -7 : 0;
}

static int requant(const dory_loop_t *l, const dory_tile_t *t, unsigned char *l1, int out_buf)
{
    const unsigned char *w = l2w() + t->co0; /* like requant constants: not a DMA'd buffer */
    const int32_t *acc = (const int32_t *)(l1 + L1_ACC);
    int px, c;
    for (px = 0; px < t->h * t->w; px++)
        for (c = 0; c < t->co; c++)
            l1[L1_OUT + out_buf * 256 + px * t->co + c] = (unsigned char)(acc[px] + w[c]);
    (void)l;
    return 0;
}

static const dory_layer_hooks_t hooks = {load_input, load_weights, store_output,
                                         compute,    requant,      load_consts};

static void run(int order, int th, int tw, int tco, int tci)
{
    dory_hal_config_t cfg = {4096, 4 * H * W * C + 64, 64, 2, 1};
    if (!CHECK(dory_hal_init(&cfg) == 0)) return;
    for (int i = 0; i < 2 * H * W * C; i++) l2x()[i] = (unsigned char)(i * 7 + 3);
    for (int c = 0; c < C; c++)
        l2w()[c] = (unsigned char)(c * 11), l2k()[c] = (unsigned char)(c * 5 + 1);
    t_ci_now = tci;
    dory_loop_t loop = {
        &hooks,
        {order, (C + tco - 1) / tco, (H + th - 1) / th, (W + tw - 1) / tw, tco, th, tw, C, H, W},
        2,
        1,
        !tci,
        1,
        tci,
        C};
    dory_slice_t s;
    memset(&s, 0, sizeof s);
    s.h = H;
    s.co = C;
    dory_hal_set_layer("toy");
    CHECK_EQ_I64(dory_run_slice(&loop, &s), 0);
    int bad = 0;
    for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++)
            for (int c = 0; c < C; c++) {
                int i = (h * W + w) * C + c, want;
                if (!tci) {
                    want = (unsigned char)(l2x()[i] + l2x()[H * W * C + i] + l2w()[c] + l2k()[c]);
                } else {
                    int sum = 0;
                    for (int k = 0; k < C; k++)
                        sum += l2x()[(h * W + w) * C + k] + l2x()[H * W * C + (h * W + w) * C + k];
                    want = (unsigned char)(sum + l2w()[c]);
                }
                bad += l2y()[i] != want;
            }
    CHECK_EQ_I64(bad, 0);
    dory_hal_deinit();
}

TEST(layer_loop_tilings_and_orders)
{
    static const int tiles[][3] = {{7, 5, 10}, {1, 5, 10}, {3, 2, 4},
                                   {2, 1, 3},  {1, 1, 1},  {4, 5, 7}};
    for (int order = 0; order < 2; order++)
        for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++)
            run(order, tiles[i][0], tiles[i][1], tiles[i][2], 0);
}

TEST(layer_loop_input_channel_slices)
{
    static const int tiles[][3] = {{7, 5, 10}, {2, 3, 10}, {1, 1, 10}};
    static const int tci[] = {10, 4, 3, 1};
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++)
        for (size_t k = 0; k < sizeof tci / sizeof tci[0]; k++)
            run(0, tiles[i][0], tiles[i][1], tiles[i][2], tci[k]);
}

/* A hook's error stops the loop and comes back from dory_run_slice (the
 * HAL then has no transfer in flight: deinit would catch one). */
TEST(layer_loop_returns_the_first_error)
{
    dory_hal_config_t cfg = {4096, 4 * H * W * C + 64, 64, 2, 1};
    if (!CHECK(dory_hal_init(&cfg) == 0)) return;
    t_ci_now = 0;
    fail_at_h0 = 2;
    dory_loop_t loop = {&hooks, {0, 1, 4, 1, C, 2, W, C, H, W}, 2, 1, 1, 1, 0, C};
    dory_slice_t s;
    memset(&s, 0, sizeof s);
    s.h = H;
    s.co = C;
    dory_hal_set_layer("toy");
    CHECK_EQ_I64(dory_run_slice(&loop, &s), -7);
    fail_at_h0 = -1;
    dory_hal_deinit();
}
