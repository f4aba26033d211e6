/* data.c: the harness's input and the golden outputs of every layer (the
 * reference interpreter's). Not part of the network library. */
#include "dory_test.h"
#include "network.h"

const uint8_t dory_test_input[32] = {
    66, 123, 101, 49, 48, 58, 232, 143, 226, 77, 166, 58, 44, 214, 227, 49, 13, 26, 171, 190, 125, 103, 116, 55,
    110, 89, 198, 228, 208, 216, 159, 49,
};


const dory_golden_t dory_golden[DORY_LAYERS] = {
    {.check = 1, .sum = 0xb21723a5u, .bytes = NULL}, /* conv */
};
