/* test_runtime.c: the host HAL keeps generated code honest. Correct transfers
 * move the right bytes at wait; every violation (out of an arena, reading
 * before wait, overwriting a source in flight, waiting twice, L3 out of range)
 * stops the program with status 3 and a message naming layer and transfer.
 * Violations run in a forked child so the test can observe the exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dory_hal.h"
#include "dory_tile.h"
#include "harness.h"

static void init(int cores)
{
    dory_hal_config_t cfg = {1024, 4096, 8192, cores, 1};
    CHECK(dory_hal_init(&cfg) == 0);
}

/* Runs fn in a child; returns its exit status and its stderr in msg. */
static int in_child(void (*fn)(void), char *msg, size_t n)
{
    int fds[2];
    if (pipe(fds)) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        init(1);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(fds[0], msg + got, n - 1 - got)) > 0) got += (size_t)r;
    msg[got] = '\0';
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(hal_copies_complete_at_wait)
{
    init(1);
    uint8_t *l1 = dory_l1_base(), *l2 = dory_l2_base();
    for (int i = 0; i < 256; i++) l2[i] = (uint8_t)i;
    dory_hal_set_layer("copy");
    dory_dma_id_t a = dory_dma_copy_1d(l1, l2, 64, "1d");
    CHECK(l1[5] == 0xA5); /* in flight: poisoned */
    dory_dma_wait(a);
    CHECK(l1[5] == 5 && l1[63] == 63);
    /* 2-D: 4 rows of 3 bytes from a 16-byte pitch into an 8-byte pitch */
    dory_dma_id_t b = dory_dma_copy_2d(l1 + 100, l2 + 16, 3, 4, 8, 16, "2d");
    dory_dma_wait(b);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++) CHECK_EQ_I64(l1[100 + r * 8 + c], 16 + r * 16 + c);
    /* 3-D: 2 planes of 2 rows of 2 bytes */
    dory_dma_id_t c = dory_dma_copy_3d(l2 + 1000, l1, 2, 2, 2, 2, 8, 4, 32, "3d");
    dory_dma_wait(c);
    uint8_t want[8] = {0, 1, 8, 9, 32, 33, 40, 41};
    for (int i = 0; i < 8; i++) CHECK_EQ_I64(l2[1000 + i], want[i]);
    dory_dma_stats_t s = dory_dma_layer_stats();
    CHECK_EQ_I64(s.l2_to_l1, 64 + 12);
    CHECK_EQ_I64(s.l1_to_l2, 8);
    CHECK_EQ_I64(s.transfers, 3);
    dory_hal_deinit();
}

TEST(hal_l3_round_trip_and_counters)
{
    init(1);
    uint8_t blob[100];
    for (int i = 0; i < 100; i++) blob[i] = (uint8_t)(3 * i);
    dory_l3_load(500, blob, sizeof blob);
    uint8_t *l2 = dory_l2_base();
    dory_hal_set_layer("l3");
    dory_dma_id_t r = dory_l3_read(l2 + 10, 500, 100, "weights");
    dory_dma_wait(r);
    CHECK(memcmp(l2 + 10, blob, 100) == 0);
    dory_dma_id_t w = dory_l3_write(2000, l2 + 10, 100, "spill");
    dory_dma_wait(w);
    dory_dma_id_t r2 = dory_l3_read(l2 + 300, 2000, 100, "reload");
    dory_dma_wait(r2);
    CHECK(memcmp(l2 + 300, blob, 100) == 0);
    CHECK_EQ_I64(dory_dma_layer_stats().l3_to_l2, 200);
    CHECK_EQ_I64(dory_dma_total_stats().l2_to_l3, 100);
    dory_hal_deinit();
}

static void oob_dst(void)
{
    dory_hal_set_layer("layer_07_conv");
    dory_dma_copy_1d(dory_l1_base() + 1000, dory_l2_base(), 64, "x tile");
}
static void read_before_wait(void)
{
    uint8_t *l1 = dory_l1_base(), *l2 = dory_l2_base();
    memset(l2, 7, 16);
    dory_dma_id_t id = dory_dma_copy_1d(l1, l2, 16, "x tile");
    int early = l1[0];
    dory_dma_wait(id);
    if (early != 7) { /* what a kernel would compute with: the poison */
        fprintf(stderr, "read poison %d\n", early);
        exit(4);
    }
}
static void src_changed(void)
{
    dory_hal_set_layer("layer_02_add");
    uint8_t *l1 = dory_l1_base(), *l2 = dory_l2_base();
    dory_dma_id_t id = dory_dma_copy_1d(l2, l1, 16, "y tile");
    l1[3] ^= 1;
    dory_dma_wait(id);
}
static void double_wait(void)
{
    dory_dma_id_t id = dory_dma_copy_1d(dory_l1_base(), dory_l2_base(), 16, "w");
    dory_dma_wait(id);
    dory_dma_wait(id);
}
static void l3_out_of_range(void) { dory_l3_read(dory_l2_base(), 8000, 500, "weights slice"); }
static void never_waited(void)
{
    dory_dma_copy_1d(dory_l1_base(), dory_l2_base(), 16, "forgotten");
    dory_hal_deinit();
}
static void not_an_arena(void)
{
    static uint8_t outside[64];
    dory_dma_copy_1d(dory_l1_base(), outside, 16, "stray pointer");
}

TEST(hal_violations_stop_with_layer_and_transfer)
{
    char msg[1024];
    CHECK_EQ_I64(in_child(oob_dst, msg, sizeof msg), 3);
    CHECK(strstr(msg, "layer_07_conv") && strstr(msg, "x tile") && strstr(msg, "outside"));
    CHECK_EQ_I64(in_child(read_before_wait, msg, sizeof msg), 4);
    CHECK_EQ_I64(in_child(src_changed, msg, sizeof msg), 3);
    CHECK(strstr(msg, "layer_02_add") && strstr(msg, "modified"));
    CHECK_EQ_I64(in_child(double_wait, msg, sizeof msg), 3);
    CHECK(strstr(msg, "not in flight") != NULL);
    CHECK_EQ_I64(in_child(l3_out_of_range, msg, sizeof msg), 3);
    CHECK(strstr(msg, "weights slice") && strstr(msg, "outside L3"));
    CHECK_EQ_I64(in_child(never_waited, msg, sizeof msg), 3);
    CHECK(strstr(msg, "forgotten") != NULL);
    CHECK_EQ_I64(in_child(not_an_arena, msg, sizeof msg), 3);
    CHECK(strstr(msg, "stray pointer") != NULL);
}

static int phase1[8], phase2[8];

static void cluster_body(void *arg)
{
    int id = dory_core_id();
    (void)arg;
    phase1[id] = id + 1;
    dory_barrier();
    int sum = 0;
    for (int i = 0; i < dory_num_cores(); i++) sum += phase1[i];
    phase2[id] = sum;
}

TEST(hal_cores_and_barrier)
{
    init(8);
    memset(phase1, 0, sizeof phase1);
    dory_cluster_run(cluster_body, NULL);
    for (int i = 0; i < 8; i++) CHECK_EQ_I64(phase2[i], 36);
    CHECK_EQ_I64(dory_core_id(), 0);
    dory_hal_deinit();
}

/* A conv padded beyond its kernel: a tile whose window lies in the padding
 * reads no input row and sees only padding, on either side. */
TEST(window_of_padding_only)
{
    dory_geom_t g = {.H = 6,
                     .W = 6,
                     .kh = 1,
                     .kw = 1,
                     .sh = 1,
                     .sw = 1,
                     .dh = 1,
                     .dw = 1,
                     .pad_top = 2,
                     .pad_left = 3};
    dory_tile_t t = {0};
    t.h0 = 0, t.h = 2, t.w0 = 10, t.w = 1; /* rows -2..-1, column 7: all padding */
    dory_window_t w = dory_window(&g, &t);
    CHECK_EQ_I64(w.r1 - w.r0, 0);
    CHECK_EQ_I64(w.pad_top + w.pad_bottom, 2);
    CHECK_EQ_I64(w.pad_top, 2);
    CHECK_EQ_I64(w.c1 - w.c0, 0);
    CHECK_EQ_I64(w.pad_left, 0);
    CHECK_EQ_I64(w.pad_right, 1);
    t.h0 = 1, t.h = 3; /* rows -1..1: one of padding, two of input */
    w = dory_window(&g, &t);
    CHECK_EQ_I64(w.r0, 0);
    CHECK_EQ_I64(w.r1, 2);
    CHECK_EQ_I64(w.pad_top, 1);
    CHECK_EQ_I64(w.pad_bottom, 0);
}
