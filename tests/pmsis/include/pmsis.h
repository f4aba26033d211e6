/* pmsis.h (tests only, never shipped in an application): the subset of the
 * GAP SDK's PMSIS API and BSP that runtime/pmsis/dory_hal_pmsis.c calls,
 * declared from the public PMSIS documentation (types opaque where the HAL
 * only passes them by pointer; the request structures sized so the HAL can
 * keep them). tests/py/test_pmsis.py compiles the HAL and generated
 * applications against it with the RV32 cross compiler, so a call the HAL
 * makes outside the documented API, or with the wrong arguments, fails here
 * without the SDK. The bsp/ headers include this one.
 */
#ifndef DORY_TEST_PMSIS_H
#define DORY_TEST_PMSIS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct pi_device {
    void *config, *data, *api;
};
typedef struct pi_task {
    uint32_t opaque[12];
} pi_task_t;

void pi_open_from_conf(struct pi_device *device, void *conf);
int pmsis_kickoff(void *arg);
void pmsis_exit(int err);
int pi_core_id(void);

/* cluster */
struct pi_cluster_conf {
    int id;
};
struct pi_cluster_task {
    void (*entry)(void *);
    void *arg;
    void *stacks;
    uint32_t stack_size, slave_stack_size;
    int nb_cores;
};
void pi_cluster_conf_init(struct pi_cluster_conf *conf);
int pi_cluster_open(struct pi_device *device);
int pi_cluster_close(struct pi_device *device);
struct pi_cluster_task *pi_cluster_task(struct pi_cluster_task *task, void (*entry)(void *),
                                        void *arg);
int pi_cluster_send_task_to_cl(struct pi_device *device, struct pi_cluster_task *task);
void pi_cl_team_fork(int nb_cores, void (*entry)(void *), void *arg);
void pi_cl_team_barrier(void);

/* cluster DMA */
typedef enum { PI_CL_DMA_DIR_LOC2EXT = 0, PI_CL_DMA_DIR_EXT2LOC = 1 } pi_cl_dma_dir_e;
typedef struct pi_cl_dma_cmd_s {
    int id;
    uint32_t opaque[7];
} pi_cl_dma_cmd_t;
void pi_cl_dma_cmd(uint32_t ext, uint32_t loc, uint32_t size, pi_cl_dma_dir_e dir,
                   pi_cl_dma_cmd_t *cmd);
void pi_cl_dma_cmd_2d(uint32_t ext, uint32_t loc, uint32_t size, uint32_t stride, uint32_t length,
                      pi_cl_dma_dir_e dir, pi_cl_dma_cmd_t *cmd);
void pi_cl_dma_cmd_wait(pi_cl_dma_cmd_t *cmd);

/* allocators */
typedef struct pi_cl_alloc_req_s {
    void *chunk;
    uint32_t opaque[14];
} pi_cl_alloc_req_t;
void *pi_cl_l1_malloc(struct pi_device *device, uint32_t size);
void pi_cl_l2_malloc(int size, pi_cl_alloc_req_t *req);
void *pi_cl_l2_malloc_wait(pi_cl_alloc_req_t *req);
void *pi_l2_malloc(int size);

/* performance counters */
enum { PI_PERF_CYCLES = 0 };
void pi_perf_conf(unsigned int events);
void pi_perf_reset(void);
void pi_perf_start(void);
void pi_perf_stop(void);
unsigned int pi_perf_read(int id);

#endif
