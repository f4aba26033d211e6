/* weights.c: the L2-resident weights, placed in the L2 arena at their planned
 * offsets when the application starts (on a chip the loader does this), and
 * where the L3-resident ones are in weights/l3_weights.bin. */
#include "network.h"

/* conv: conv.w [3 x 18] */
static const uint8_t w_00[54] = {
    1, 254, 3, 252, 5, 250, 7, 248, 9, 247, 8, 249, 6, 251, 4, 253, 2, 255, 0, 1, 0, 255, 0, 1,
    0, 255, 0, 12, 244, 10, 246, 8, 248, 6, 250, 4, 252, 2, 254, 0, 0, 2, 254, 4, 252, 3, 3, 3,
    253, 253, 253, 1, 1, 1,
};

const dory_data_t dory_l2_image[] = {
    {0, 0, w_00, sizeof w_00},
    {0, 0, 0, 0}};

/* {L3 offset, offset in l3_weights.bin, bytes} */
const dory_blob_item_t dory_l3_image[] = {
    {0, 0, 0}};
