/* data.c: the input and the golden outputs (reference interpreter). */
#include "network.h"

static const uint8_t input_0[32] = {
    66, 123, 101, 49, 48, 58, 232, 143, 226, 77, 166, 58, 44, 214, 227, 49, 13, 26, 171, 190, 125, 103, 116, 55,
    110, 89, 198, 228, 208, 216, 159, 49,
};

const dory_data_t dory_inputs[] = {
    {0, 104, input_0, sizeof input_0},
    {0, 0, 0, 0}};


const dory_golden_t dory_golden[] = {
    {1, 0xb21723a5u, 0},
};
