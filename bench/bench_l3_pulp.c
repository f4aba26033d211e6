/* bench_l3_pulp.c: the pulp-open HAL's L3 (the HyperRAM behind the
 * micro-DMA, runtime/pulp) checked and measured on GVSoC (`make
 * bench-l3-pulp GVSOC=...`, mk/pulp.mk).
 *
 * Check: every L2 alignment (0..3) x L3 alignment (0..3) x length (0..9 and
 * longer) written to L3 and read back through dory_l3_write/read, the bytes
 * equal and the guard bytes around the L2 destination untouched; 12 reads in
 * flight at once (more than the 8 transaction ids), waited in reverse
 * order; the synchronous dory_l3_load/peek. Built twice: with the HAL's
 * transfer limit and with a 1 kB one (-DDORY_PULP_HYPER_MAX_LEN=1024), so
 * that long transfers are split and fill an id's queue.
 * Measure: cycles of core 0 (mcycle) from the call to the end of its
 * dory_dma_wait for reads and writes of several lengths, the cycles of the
 * call alone (what the layer loop spends issuing), and, for comparison, the
 * cycles of memcpy of the same length L2 -> L2 by core 0 (the HAL's L3
 * before the micro-DMA). Deterministic counts; exits non-zero on a
 * mismatch.
 */
#include <stdio.h>
#include <string.h>

#include "dory_hal.h"

#ifndef BENCH_L3_CHECK_ONLY
#define BENCH_L3_CHECK_ONLY 0
#endif
#define BUF   (160 * 1024) /* bytes of each L2 buffer */
#define GUARD 8

static uint32_t rng = 12345;
static uint8_t next_byte(void)
{
    rng = rng * 1103515245u + 12345u;
    return (uint8_t)(rng >> 16);
}

static int failed, checked;

/* n bytes from src + a to L3 at addr, back to dst + b; compares. */
static void round_trip(uint8_t *src, uint8_t *dst, int a, int b, uint32_t addr, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) src[a + i] = next_byte();
    memset(dst, 0xA5, n + b + 2 * GUARD);
    dory_dma_wait(dory_l3_write(addr, src + a, n, "check write"));
    dory_dma_wait(dory_l3_read(dst + GUARD + b, addr, n, "check read"));
    checked++;
    for (i = 0; i < n + b + 2 * GUARD; i++) {
        int inside = i >= (size_t)(GUARD + b) && i < GUARD + b + n;
        uint8_t want = inside ? src[a + i - GUARD - b] : 0xA5;
        if (dst[i] != want) {
            printf("FAIL: L2 offsets %d/%d, L3 %lu, %lu bytes: byte %ld is %d, expected %d\n", a, b,
                   (unsigned long)addr, (unsigned long)n, (long)i - GUARD - b, dst[i], want);
            failed++;
            return;
        }
    }
}

static void check(uint8_t *src, uint8_t *dst)
{
    static const size_t lens[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 1021, 4099, 65543};
    dory_dma_id_t ids[12];
    uint8_t peek[37];
    size_t k;
    int a, b, i;
    for (k = 0; k < sizeof lens / sizeof lens[0]; k++)
        for (a = 0; a < 4; a++)
            for (b = 0; b < 4; b++)
                round_trip(src, dst, a, b, (uint32_t)(1000 * k + a + 5 * b), lens[k]);
    /* 12 reads of 1001 bytes in flight, from the data written just before */
    for (i = 0; i < 12 * 1001; i++) src[i] = next_byte();
    dory_dma_wait(dory_l3_write(70001, src, 12 * 1001, "check write"));
    memset(dst, 0, 12 * 1001);
    for (i = 0; i < 12; i++) ids[i] = dory_l3_read(dst + i * 1001, 70001 + i * 1001, 1001, "check");
    for (i = 11; i >= 0; i--) dory_dma_wait(ids[i]);
    checked++;
    if (memcmp(src, dst, 12 * 1001)) printf("FAIL: 12 reads in flight\n"), failed++;
    dory_l3_load(4097, src + 3, 3000);
    dory_l3_peek(peek, 4097 + 1001, sizeof peek);
    checked++;
    if (memcmp(peek, src + 3 + 1001, sizeof peek)) printf("FAIL: load / peek\n"), failed++;
}

static uint32_t now(void) { return (uint32_t)dory_cycles(); }

static void measure(uint8_t *src, uint8_t *dst)
{
    static const size_t lens[] = {64, 1024, 16384, 147456};
    size_t k;
    printf("%-8s %10s %10s %10s %10s %10s %10s\n", "bytes", "read cyc", "B/cycle", "write cyc",
           "B/cycle", "issue cyc", "memcpy cyc");
    for (k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        uint32_t t0, rd, wr, issue, cp;
        dory_dma_id_t id;
        t0 = now();
        id = dory_l3_write(0, src, n, "bench write");
        dory_dma_wait(id);
        wr = now() - t0;
        t0 = now();
        id = dory_l3_read(dst, 0, n, "bench read");
        issue = now() - t0;
        dory_dma_wait(id);
        rd = now() - t0;
        t0 = now();
        memcpy(dst, src, n);
        cp = now() - t0;
        printf("%-8lu %10lu %10.3f %10lu %10.3f %10lu %10lu\n", (unsigned long)n, (unsigned long)rd,
               (double)n / rd, (unsigned long)wr, (double)n / wr, (unsigned long)issue,
               (unsigned long)cp);
    }
}

int main(void)
{
    dory_hal_config_t cfg;
    uint8_t *src, *dst;
    memset(&cfg, 0, sizeof cfg);
    cfg.l1_bytes = 1024;
    cfg.l2_bytes = 2 * BUF;
    cfg.l3_bytes = 8u << 20;
    cfg.num_cores = 1;
    if (dory_hal_init(&cfg)) return 2;
    src = dory_l2_base();
    dst = src + BUF;
    check(src, dst);
    if (!BENCH_L3_CHECK_ONLY) measure(src, dst);
    printf("%d checked, %d failed: %s\n", checked, failed, failed ? "FAIL" : "OK");
    return failed ? 1 : 0;
}
