/* bsp/ram/hyperram.h (tests only): the device configuration of the PMSIS subset (pmsis.h). */
#ifndef DORY_TEST_BSP_RAM_HYPERRAM_H
#define DORY_TEST_BSP_RAM_HYPERRAM_H
#include "pmsis.h"
struct pi_hyperram_conf {
    uint32_t opaque[16];
};
void pi_hyperram_conf_init(struct pi_hyperram_conf *conf);
#endif
