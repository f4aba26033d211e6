/* network.c: the deployed network 'kws_tiny': start-up, its 7 layers in
 * execution order, and one inference on the caller's buffers. */
#include <string.h>

#include "network_layers.h"

const dory_layer_info_t dory_layers[DORY_LAYERS] = {
    {.name = "conv1",
     .run = layer_00_conv1,
     .out_l3 = 0,
     .out_offset = 0,
     .out_bytes = 4000,
     .macs = 160000LL,
     .modeled_cycles = 229333.7},
    {.name = "dw1",
     .run = layer_01_dw1,
     .out_l3 = 0,
     .out_offset = 4000,
     .out_bytes = 4000,
     .macs = 36000LL,
     .modeled_cycles = 366038.0},
    {.name = "pw1",
     .run = layer_02_pw1,
     .out_l3 = 0,
     .out_offset = 0,
     .out_bytes = 4000,
     .macs = 128000LL,
     .modeled_cycles = 752342.2},
    {.name = "dw2",
     .run = layer_03_dw2,
     .out_l3 = 0,
     .out_offset = 4000,
     .out_bytes = 4000,
     .macs = 36000LL,
     .modeled_cycles = 366038.0},
    {.name = "pw2",
     .run = layer_04_pw2,
     .out_l3 = 0,
     .out_offset = 0,
     .out_bytes = 4000,
     .macs = 128000LL,
     .modeled_cycles = 752342.2},
    {.name = "pool",
     .run = layer_05_pool,
     .out_l3 = 0,
     .out_offset = 4624,
     .out_bytes = 32,
     .macs = 4000LL,
     .modeled_cycles = 30163.7},
    {.name = "fc",
     .run = layer_06_fc,
     .out_l3 = 0,
     .out_offset = 0,
     .out_bytes = 12,
     .macs = 384LL,
     .modeled_cycles = 10059.4},
};

/* Graph inputs and outputs: in L2 or L3 at offset; at: in the caller's buffer. */
typedef struct io {
    int l3;
    size_t offset, at, bytes;
} io_t;

static const io_t inputs[1] = {
    {.l3 = 0, .offset = 5664, .at = 0, .bytes = 490}, /* input */
};

static const io_t outputs[1] = {
    {.l3 = 0, .offset = 0, .at = 0, .bytes = 12}, /* logits */
};

const dory_output_info_t dory_outputs[DORY_NUM_OUTPUTS] = {
    {.layer = 6, .at = 0, .bytes = 12},
};

/* The L3-resident weights: at L3 offset, from `at` in the image file. */
#define L3_IMAGE_FILE "weights/l3_weights.bin"
static const struct {
    size_t offset, at, bytes;
} l3_image[] = {
    {.offset = 0, .at = 0, .bytes = 1280}, /* conv1.w */
    {.offset = 1664, .at = 1280, .bytes = 288}, /* dw1.w */
    {.offset = 2336, .at = 1568, .bytes = 1024}, /* pw1.w */
    {.offset = 3744, .at = 2592, .bytes = 288}, /* dw2.w */
    {.offset = 4416, .at = 2880, .bytes = 1024}, /* pw2.w */
    {.offset = 5824, .at = 3904, .bytes = 384}, /* fc.w */
    {.offset = 0, .at = 0, .bytes = 0}};

static dory_layer_hook_t hook;
static void *hook_user;
static int ready;

void dory_network_set_hook(dory_layer_hook_t fn, void *user)
{
    hook = fn;
    hook_user = user;
}

int dory_network_init_cores(int cores)
{
    dory_hal_config_t cfg;
    size_t i;
    if (cores < 1 || cores > DORY_CORES) return DORY_NET_ERR_CORES;
    memset(&cfg, 0, sizeof cfg);
    cfg.l1_bytes = DORY_L1_BYTES;
    cfg.l2_bytes = DORY_L2_BYTES;
    cfg.l3_bytes = DORY_L3_BYTES;
    cfg.num_cores = cores;
    cfg.poison = 1;
    cfg.l2_image = dory_l2_weights;
    cfg.l2_image_bytes = DORY_L2_WEIGHTS_BYTES;
    if (dory_hal_init(&cfg)) return DORY_NET_ERR_HAL;
    for (i = 0; i < sizeof l3_image / sizeof l3_image[0]; i++)
        if (l3_image[i].bytes &&
            dory_l3_load_file((uint32_t)l3_image[i].offset, L3_IMAGE_FILE, l3_image[i].at,
                              l3_image[i].bytes)) {
            dory_hal_deinit();
            return DORY_NET_ERR_L3_IMAGE;
        }
    ready = 1;
    return DORY_NET_OK;
}

int dory_network_init(void) { return dory_network_init_cores(DORY_CORES); }

void dory_network_deinit(void)
{
    if (ready) dory_hal_deinit();
    ready = 0;
}

int dory_network_run(const void *input, void *output)
{
    size_t i;
    int k;
    if (!ready) return DORY_NET_ERR_STATE;
    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const uint8_t *src = (const uint8_t *)input + inputs[i].at;
        if (inputs[i].l3)
            dory_l3_load((uint32_t)inputs[i].offset, src, inputs[i].bytes);
        else
            memcpy(dory_l2_base() + inputs[i].offset, src, inputs[i].bytes);
    }
    for (k = 0; k < DORY_LAYERS; k++) {
        uint64_t t0;
        int rc = 0;
        dory_hal_set_layer(dory_layers[k].name);
        t0 = dory_cycles();
        if (dory_layers[k].run) rc = dory_layers[k].run();
        if (rc) return rc;
        if (hook) hook(k, dory_cycles() - t0, hook_user);
    }
    for (i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        uint8_t *dst = (uint8_t *)output + outputs[i].at;
        if (outputs[i].l3)
            dory_l3_peek(dst, (uint32_t)outputs[i].offset, outputs[i].bytes);
        else
            memcpy(dst, dory_l2_base() + outputs[i].offset, outputs[i].bytes);
    }
    return DORY_NET_OK;
}

const char *dory_network_strerror(int code)
{
    switch (code) {
    case DORY_NET_OK: return "ok";
    case DORY_NET_ERR_HAL: return "the HAL could not start (memory arenas)";
    case DORY_NET_ERR_L3_IMAGE: return "the L3 weights could not be loaded";
    case DORY_NET_ERR_CORES: return "core count outside 1..DORY_CORES";
    case DORY_NET_ERR_STATE: return "dory_network_init() was not called";
    case DORY_ERR_ARG: return "a kernel was given inconsistent parameters";
    case DORY_ERR_SCRATCH: return "a kernel's scratch buffer is too small";
    default: return "unknown error";
    }
}
