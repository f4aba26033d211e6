/* test_main.c: the verifying harness of a generated application. It runs
 * the network through its public API (network.h) on the golden input, checks
 * every layer's output against the reference interpreter's (test/data.c) from
 * the per-layer hook, prints one line per layer and a summary, and exits
 * non-zero if anything differs. `app N` runs on N cores (1..DORY_CORES).
 *
 * The same file serves every HAL (stdio through the host C library, or
 * semihosting); it is not part of the network library, which never exits or
 * prints. Where the HAL owns main() (runtime/pmsis: the fabric controller
 * starts the cluster), the build names this one with -DDORY_APP_MAIN=... C99.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dory_hal.h"
#include "dory_test.h"
#include "network.h"
#include "network_layers.h"

typedef struct check_state {
    int checked, failed; /* layers checked; layers and network outputs failed */
    long long macs;
    double modeled;
    /* per layer, for the profile of HALs that count cycles */
    uint64_t cycles[DORY_LAYERS > 0 ? DORY_LAYERS : 1], dma_wait[DORY_LAYERS > 0 ? DORY_LAYERS : 1];
} check_state_t;

static uint32_t fnv1a(const uint8_t *b, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

/* The verdict on bytes y of layer l against its golden entry, into res. */
static int verdict(const uint8_t *y, size_t n, const dory_golden_t *gd, char *res)
{
    size_t k;
    if (gd->bytes) {
        for (k = 0; k < n && y[k] == gd->bytes[k]; k++)
            ;
        if (k < n) {
            sprintf(res, "FAIL at byte %lu: %d, expected %d", (unsigned long)k, y[k], gd->bytes[k]);
            return 1;
        }
    } else if (fnv1a(y, n) != gd->sum) {
        sprintf(res, "FAIL (checksum %08lx, expected %08lx)", (unsigned long)fnv1a(y, n),
                (unsigned long)gd->sum);
        return 1;
    }
    strcpy(res, "OK");
    return 0;
}

/* Layer i's output as the network left it, in L2 or (copied out) in L3. */
static int check_layer(const dory_layer_info_t *l, const dory_golden_t *gd, char *res)
{
    static uint8_t copy[DORY_MAX_L3_OUTPUT_BYTES > 0 ? DORY_MAX_L3_OUTPUT_BYTES : 1];
    const uint8_t *y = dory_l2_base() + l->out_offset;
    if (l->out_l3) {
        dory_l3_peek(copy, (uint32_t)l->out_offset, l->out_bytes);
        y = copy;
    }
    return verdict(y, l->out_bytes, gd, res);
}

static void on_layer(int i, uint64_t elapsed, void *user)
{
    check_state_t *st = (check_state_t *)user;
    const dory_layer_info_t *l = &dory_layers[i];
    dory_dma_stats_t s = dory_dma_layer_stats();
    char res[96] = "-";
    if (dory_golden[i].check) {
        st->checked++;
        st->failed += check_layer(l, &dory_golden[i], res);
    }
    st->macs += l->macs;
    st->modeled += l->modeled_cycles;
    st->cycles[i] = elapsed;
    st->dma_wait[i] = s.wait_cycles;
    printf("%-24s %12lld %10llu %10llu %10llu %12.0f %10llu  %s\n", l->name, l->macs,
           (unsigned long long)s.l2_to_l1, (unsigned long long)s.l1_to_l2,
           (unsigned long long)(s.l3_to_l2 + s.l2_to_l3), l->modeled_cycles,
           (unsigned long long)elapsed, res);
}

/* Before the summary, where the counter is cycles: MAC/cycle and the cycles
 * the layer loop waited for DMA, per layer and in total. */
static void print_profile(const check_state_t *st)
{
    uint64_t cycles = 0, wait = 0;
    int i;
    printf("profile: %-15s %12s %10s %10s %12s\n", "layer", "MACs", "cycles", "MAC/cycle",
           "DMA wait");
    for (i = 0; i < DORY_LAYERS; i++) {
        const dory_layer_info_t *l = &dory_layers[i];
        cycles += st->cycles[i];
        wait += st->dma_wait[i];
        printf("profile: %-15s %12lld %10llu %10.2f %12llu\n", l->name, l->macs,
               (unsigned long long)st->cycles[i],
               st->cycles[i] ? (double)l->macs / (double)st->cycles[i] : 0.0,
               (unsigned long long)st->dma_wait[i]);
    }
    printf("profile: %-15s %12lld %10llu %10.2f %12llu\n", "total", st->macs,
           (unsigned long long)cycles, cycles ? (double)st->macs / (double)cycles : 0.0,
           (unsigned long long)wait);
}

#ifndef DORY_APP_MAIN
#define DORY_APP_MAIN main
#endif

int DORY_APP_MAIN(int argc, char **argv);

int DORY_APP_MAIN(int argc, char **argv)
{
    static uint8_t output[DORY_OUTPUT_BYTES];
    static check_state_t st; /* static: cluster stacks are small */
    int rc, i, cores = DORY_CORES;
    /* a number as first argument: the core count (semihosting may pass other words) */
    if (argc > 1 && atoi(argv[1]) > 0) cores = atoi(argv[1]);
    memset(&st, 0, sizeof st);
    rc = dory_network_init_cores(cores);
    if (rc) {
        printf("dory_network_init: error %d (%s)\n", rc, dory_network_strerror(rc));
        return 2;
    }
    printf("%-24s %12s %10s %10s %10s %12s %10s  %s\n", "layer", "MACs", "L2->L1 B", "L1->L2 B",
           "L3<->L2 B", "model cyc", dory_cycles_unit(), "check");
    dory_network_set_hook(on_layer, &st);
    rc = dory_network_run(dory_test_input, output);
    if (rc) {
        printf("dory_network_run: error %d (%s)\n", rc, dory_network_strerror(rc));
        dory_network_deinit();
        return 3;
    }
    for (i = 0; i < DORY_NUM_OUTPUTS; i++) { /* what the caller got */
        const dory_output_info_t *o = &dory_outputs[i];
        char res[96];
        if (o->layer < 0 || !dory_golden[o->layer].check) continue;
        if (verdict(output + o->at, o->bytes, &dory_golden[o->layer], res)) {
            printf("network output %d: %s\n", i, res);
            st.failed++;
        }
    }
    if (!strcmp(dory_cycles_unit(), "cycles")) print_profile(&st);
    printf("%d layers, %lld MACs, %.0f modeled cycles (%.2f MAC/cycle), %d checked, %d failed: "
           "%s\n",
           DORY_LAYERS, st.macs, st.modeled, st.modeled > 0 ? st.macs / st.modeled : 0.0,
           st.checked, st.failed, st.failed ? "FAIL" : "OK");
    dory_network_deinit();
    return st.failed ? 1 : 0;
}
