/* bsp/ram/aps25xxxn.h (tests only): the device configuration of the PMSIS subset (pmsis.h). */
#ifndef DORY_TEST_BSP_RAM_APS25XXXN_H
#define DORY_TEST_BSP_RAM_APS25XXXN_H
#include "pmsis.h"
struct pi_aps25xxxn_conf {
    uint32_t opaque[16];
};
void pi_aps25xxxn_conf_init(struct pi_aps25xxxn_conf *conf);
#endif
