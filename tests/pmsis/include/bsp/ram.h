/* bsp/ram.h (tests only): the RAM calls of the PMSIS subset (pmsis.h). */
#ifndef DORY_TEST_BSP_RAM_H
#define DORY_TEST_BSP_RAM_H
#include "pmsis.h"
typedef struct pi_cl_ram_req_s {
    uint32_t opaque[24];
} pi_cl_ram_req_t;
typedef struct pi_cl_ram_alloc_req_s {
    uint32_t opaque[20];
} pi_cl_ram_alloc_req_t;
int32_t pi_ram_open(struct pi_device *device);
void pi_cl_ram_alloc(struct pi_device *device, uint32_t size, pi_cl_ram_alloc_req_t *req);
int32_t pi_cl_ram_alloc_wait(pi_cl_ram_alloc_req_t *req, uint32_t *addr);
void pi_cl_ram_read(struct pi_device *device, uint32_t pi_ram_addr, void *addr, uint32_t size,
                    pi_cl_ram_req_t *req);
void pi_cl_ram_write(struct pi_device *device, uint32_t pi_ram_addr, void *addr, uint32_t size,
                     pi_cl_ram_req_t *req);
void pi_cl_ram_copy(struct pi_device *device, uint32_t pi_ram_addr, void *addr, uint32_t size,
                    int ext2loc, pi_cl_ram_req_t *req);
void pi_cl_ram_read_wait(pi_cl_ram_req_t *req);
void pi_cl_ram_write_wait(pi_cl_ram_req_t *req);
void pi_cl_ram_copy_wait(pi_cl_ram_req_t *req);
#endif
