/* network_layers.h: the layers of 'kws_tiny' and where their outputs live. */
#ifndef DORY_NETWORK_LAYERS_H
#define DORY_NETWORK_LAYERS_H

#include "dory_hal.h"
#include "dory_kernels.h"
#include "dory_layer.h"
#include "network.h"

typedef struct dory_layer_info {
    const char *name;
    int (*run)(void); /* NULL: no data movement (reshape) */
    int out_l3;       /* the output lives in L3 (else in the L2 arena) */
    size_t out_offset, out_bytes;
    long long macs;
    double modeled_cycles;
} dory_layer_info_t;

extern const dory_layer_info_t dory_layers[DORY_LAYERS];

/* Which layer writes each graph output, and where it goes in the
 * caller's output buffer. */
typedef struct dory_output_info {
    int layer;
    size_t at, bytes;
} dory_output_info_t;

extern const dory_output_info_t dory_outputs[DORY_NUM_OUTPUTS];

/* The largest layer output that lives in L3 (bytes). */
#define DORY_MAX_L3_OUTPUT_BYTES 0

/* The L2 image's weights, read in place. */
#define DORY_L2_WEIGHTS_BYTES 0
extern const uint8_t dory_l2_weights[];

int layer_00_conv1(void);
int layer_01_dw1(void);
int layer_02_pw1(void);
int layer_03_dw2(void);
int layer_04_pw2(void);
int layer_05_pool(void);
int layer_06_fc(void);

#endif
