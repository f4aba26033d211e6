/* weights.c: the L2-resident weights, placed in the L2 arena at their planned
 * offsets when the application starts (on a chip the loader does this), and
 * where the L3-resident ones are in weights/l3_weights.bin. */
#include "network.h"


const dory_data_t dory_l2_image[] = {
    {0, 0, 0, 0}};

/* {L3 offset, offset in l3_weights.bin, bytes} */
const dory_blob_item_t dory_l3_image[] = {
    {0, 0, 1280}, /* conv1.w */
    {1664, 1280, 288}, /* dw1.w */
    {2336, 1568, 1024}, /* pw1.w */
    {3744, 2592, 288}, /* dw2.w */
    {4416, 2880, 1024}, /* pw2.w */
    {5824, 3904, 384}, /* fc.w */
    {0, 0, 0}};
