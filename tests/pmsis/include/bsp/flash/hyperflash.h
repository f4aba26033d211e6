/* bsp/flash/hyperflash.h (tests only): the device configuration of the PMSIS subset (pmsis.h). */
#ifndef DORY_TEST_BSP_FLASH_HYPERFLASH_H
#define DORY_TEST_BSP_FLASH_HYPERFLASH_H
#include "pmsis.h"
struct pi_hyperflash_conf {
    uint32_t opaque[16];
};
void pi_hyperflash_conf_init(struct pi_hyperflash_conf *conf);
#endif
