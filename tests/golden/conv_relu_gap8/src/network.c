/* network.c: the layers of 'conv_relu' in execution order. */
#include "network.h"

const dory_layer_t dory_layers[DORY_LAYERS] = {
    {"conv", layer_00_conv, 0, 56, 48, 864LL, 1213.5},
};
