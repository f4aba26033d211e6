/* weights.c: the weights the L2 image holds, read where they are (the
 * loader or the linker puts them in L2). */
#include "network_layers.h"

/* image offset, bytes: layer (weights) */
const uint8_t dory_l2_weights[1] = {0
};
