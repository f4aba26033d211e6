/* weights.c: the weights the L2 image holds, read where they are (the
 * loader or the linker puts them in L2). */
#include "network_layers.h"

/* image offset, bytes: layer (weights) */
/*        0       54: conv (conv.w) */
/*       56       36: conv (constants of each channel tile, for L1) */
const uint8_t dory_l2_weights[92] = {
    1, 254, 3, 252, 5, 250, 7, 248, 9, 247, 8, 249, 6, 251, 4, 253, 2, 255, 0, 1, 0, 255, 0, 1,
    0, 255, 0, 12, 244, 10, 246, 8, 248, 6, 250, 4, 252, 2, 254, 0, 0, 2, 254, 4, 252, 3, 3, 3,
    253, 253, 253, 1, 1, 1, 0, 0, 154, 121, 130, 90, 0, 140, 134, 71, 0, 148, 53, 119, 250, 255, 255, 255,
    251, 255, 255, 255, 249, 255, 255, 255, 100, 0, 0, 0, 206, 255, 255, 255, 0, 0, 0, 0,
};
