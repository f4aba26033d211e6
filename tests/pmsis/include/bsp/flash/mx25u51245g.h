/* bsp/flash/mx25u51245g.h (tests only): the device configuration of the PMSIS subset (pmsis.h). */
#ifndef DORY_TEST_BSP_FLASH_MX25U51245G_H
#define DORY_TEST_BSP_FLASH_MX25U51245G_H
#include "pmsis.h"
struct pi_mx25u51245g_conf {
    uint32_t opaque[16];
};
void pi_mx25u51245g_conf_init(struct pi_mx25u51245g_conf *conf);
#endif
