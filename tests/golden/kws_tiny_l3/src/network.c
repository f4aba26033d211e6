/* network.c: the layers of 'kws_tiny' in execution order. */
#include "network.h"

const dory_layer_t dory_layers[DORY_LAYERS] = {
    {"conv1", layer_00_conv1, 0, 0, 4000, 160000LL, 35352.1},
    {"dw1", layer_01_dw1, 0, 4000, 4000, 36000LL, 27340.0},
    {"pw1", layer_02_pw1, 0, 0, 4000, 128000LL, 71052.0},
    {"dw2", layer_03_dw2, 0, 4000, 4000, 36000LL, 27340.0},
    {"pw2", layer_04_pw2, 0, 0, 4000, 128000LL, 71052.0},
    {"pool", layer_05_pool, 0, 4000, 32, 4000LL, 9504.0},
    {"fc", layer_06_fc, 0, 624, 12, 384LL, 2107.5},
};
