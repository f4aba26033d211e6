/* main.c: runs the network on the host HAL and checks every layer against the
 * reference interpreter's outputs. Exit status 0 only if every check passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

static uint32_t fnv1a(const uint8_t *b, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

void dory_app_fail(const char *layer, const char *what, int code)
{
    fprintf(stderr, "layer '%s': %s (%d)\n", layer, what, code);
    exit(3);
}

/* The L3-streamed weights: weights/l3_weights.bin into L3. */
static void load_l3_weights(void)
{
    const char *path = "weights/l3_weights.bin";
    FILE *f;
    uint8_t *blob;
    size_t n = 0, i;
    for (i = 0; dory_l3_image[i].bytes; i++)
        if (dory_l3_image[i].blob_offset + dory_l3_image[i].bytes > n)
            n = dory_l3_image[i].blob_offset + dory_l3_image[i].bytes;
    if (!n) return;
    f = fopen(path, "rb");
    blob = (uint8_t *)malloc(n);
    if (!f || !blob || fread(blob, 1, n, f) != n) {
        fprintf(stderr, "cannot read %s (%lu bytes): run from the application folder\n", path,
                (unsigned long)n);
        exit(2);
    }
    fclose(f);
    for (i = 0; dory_l3_image[i].bytes; i++)
        dory_l3_load((uint32_t)dory_l3_image[i].l3_offset, blob + dory_l3_image[i].blob_offset,
                     dory_l3_image[i].bytes);
    free(blob);
}

static void place(const dory_data_t *d)
{
    for (; d->data; d++)
        if (d->l3)
            dory_l3_load((uint32_t)d->offset, d->data, d->bytes);
        else
            memcpy(dory_l2_base() + d->offset, d->data, d->bytes);
}

/* Compares a layer's output with the golden data; res gets the verdict. */
static int check(const dory_layer_t *l, const dory_golden_t *gd, char *res)
{
    uint8_t *copy = NULL;
    const uint8_t *y = dory_l2_base() + l->out_offset;
    int bad = 0;
    if (l->out_l3) {
        copy = (uint8_t *)malloc(l->out_bytes ? l->out_bytes : 1);
        if (!copy) dory_app_fail(l->name, "out of memory", 0);
        dory_l3_peek(copy, (uint32_t)l->out_offset, l->out_bytes);
        y = copy;
    }
    if (gd->bytes) {
        size_t k;
        for (k = 0; k < l->out_bytes && y[k] == gd->bytes[k]; k++)
            ;
        if (k < l->out_bytes) {
            sprintf(res, "FAIL at byte %lu: %d, expected %d", (unsigned long)k, y[k], gd->bytes[k]);
            bad = 1;
        }
    } else if (fnv1a(y, l->out_bytes) != gd->sum) {
        sprintf(res, "FAIL (checksum %08lx, expected %08lx)",
                (unsigned long)fnv1a(y, l->out_bytes), (unsigned long)gd->sum);
        bad = 1;
    }
    if (!bad) strcpy(res, "OK");
    free(copy);
    return bad;
}

int main(int argc, char **argv)
{
    dory_hal_config_t cfg;
    int i, rc, failed = 0, checked = 0;
    long long macs = 0;
    double modeled = 0;
    cfg.l1_bytes = DORY_L1_BYTES;
    cfg.l2_bytes = DORY_L2_BYTES;
    cfg.l3_bytes = DORY_L3_BYTES;
    cfg.num_cores = DORY_CORES;
    cfg.poison = 1;
    if (argc > 1) cfg.num_cores = atoi(argv[1]);
    if (dory_hal_init(&cfg)) return 2;
    place(dory_l2_image);
    load_l3_weights();
    place(dory_inputs);
    printf("%-24s %12s %10s %10s %10s %12s %10s  %s\n", "layer", "MACs", "L2->L1 B", "L1->L2 B",
           "L3<->L2 B", "model cyc", dory_cycles_unit(), "check");
    for (i = 0; i < DORY_LAYERS; i++) {
        const dory_layer_t *l = &dory_layers[i];
        uint64_t t0, t1;
        dory_dma_stats_t s;
        char res[96] = "-";
        dory_hal_set_layer(l->name);
        t0 = dory_cycles();
        if (l->run && (rc = l->run()) != 0) dory_app_fail(l->name, "kernel error", rc);
        t1 = dory_cycles();
        s = dory_dma_layer_stats();
        if (dory_golden[i].check) {
            checked++;
            failed += check(l, &dory_golden[i], res);
        }
        macs += l->macs;
        modeled += l->modeled_cycles;
        printf("%-24s %12lld %10llu %10llu %10llu %12.0f %10llu  %s\n", l->name, l->macs,
               (unsigned long long)s.l2_to_l1, (unsigned long long)s.l1_to_l2,
               (unsigned long long)(s.l3_to_l2 + s.l2_to_l3), l->modeled_cycles,
               (unsigned long long)(t1 - t0), res);
    }
    printf("%d layers, %lld MACs, %.0f modeled cycles (%.2f MAC/cycle), %d checked, %d failed: %s\n",
           DORY_LAYERS, macs, modeled, modeled > 0 ? macs / modeled : 0.0, checked, failed,
           failed ? "FAIL" : "OK");
    dory_hal_deinit();
    return failed ? 1 : 0;
}
