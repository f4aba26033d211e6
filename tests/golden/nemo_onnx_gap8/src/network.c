/* network.c: the layers of 'nemo.onnx' in execution order. */
#include "network.h"

const dory_layer_t dory_layers[DORY_LAYERS] = {
    {"conv_4", layer_00_conv_4, 0, 0, 800, 28800LL, 4278.9},
    {"conv_18", layer_01_conv_18, 0, 800, 800, 7200LL, 3129.0},
    {"floor_37", layer_02_floor_37, 0, 1600, 800, 800LL, 1462.0},
    {"conv_40", layer_03_conv_40, 0, 0, 200, 14400LL, 2802.1},
    {"averagepool_52", layer_04_averagepool_52, 0, 200, 8, 200LL, 934.0},
    {"gemm_63", layer_05_gemm_63, 0, 0, 20, 40LL, 811.0},
};
