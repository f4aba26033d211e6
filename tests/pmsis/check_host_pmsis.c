/* check_host_pmsis.c (tests only): the strictness of host_pmsis.c, case by
 * case (tests/py/test_pmsis.py builds it with host_pmsis.c and runs
 * `check_host_pmsis CASE`). "ok" uses every call of the subset correctly and
 * exits 0; each other case breaks one rule and must be stopped by
 * host_pmsis.c (status 3 and its message); a case that is not stopped exits
 * 7 ("not caught"). C99.
 */
#include "bsp/flash/hyperflash.h"
#include "bsp/fs.h"
#include "bsp/ram.h"
#include "bsp/ram/hyperram.h"
#include "pmsis.h"

#include <stdlib.h>

#define N 256

static struct pi_device cluster, ram, flash, fs;
static const char *which;
static int rc;
static uint8_t src_l2[N]; /* static data: L2 */
static uint8_t *l1, *l2;
static uint32_t ram_addr;
static int seen[8];

static uint32_t a32(const void *p) { return (uint32_t)(uintptr_t)p; }

static void not_caught(const char *what)
{
    printf("not caught: %s\n", what);
    pmsis_exit(7);
}

static void fill(uint8_t *p, size_t n, int seed)
{
    size_t i;
    for (i = 0; i < n; i++) p[i] = (uint8_t)(seed + 7 * i);
}

static void expect(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    if (memcmp(got, want, n)) {
        printf("wrong data: %s\n", what);
        pmsis_exit(1);
    }
}

static void member(void *arg)
{
    int id = pi_core_id(), i;
    (void)arg;
    seen[id] = id + 1;
    pi_cl_team_barrier();
    for (i = 0; i < 4; i++)
        if (seen[i] != i + 1) rc = 1;
    pi_cl_team_barrier();
}

/* Every call, correctly. */
static void case_ok(void)
{
    pi_cl_dma_cmd_t cmd;
    pi_cl_ram_req_t req;
    unsigned int t0;
    size_t r;
    fill(src_l2, N, 1);
    pi_cl_dma_cmd(a32(src_l2), a32(l1), N, PI_CL_DMA_DIR_EXT2LOC, &cmd);
    pi_cl_dma_cmd_wait(&cmd);
    expect(l1, src_l2, N, "1-D L2 to L1");
    /* 2-D: 4 rows of 16 bytes, 64 apart in L2, dense in L1 */
    pi_cl_dma_cmd_2d(a32(l2), a32(l1), 64, 64, 16, PI_CL_DMA_DIR_LOC2EXT, &cmd);
    pi_cl_dma_cmd_wait(&cmd);
    for (r = 0; r < 4; r++) expect(l2 + 64 * r, l1 + 16 * r, 16, "2-D L1 to L2");
    pi_cl_ram_write(&ram, ram_addr, src_l2, N, &req);
    pi_cl_ram_write_wait(&req);
    pi_cl_ram_read(&ram, ram_addr, l2, N, &req);
    pi_cl_ram_read_wait(&req);
    expect(l2, src_l2, N, "RAM write then read");
    pi_cl_ram_copy(&ram, ram_addr + N, src_l2, N, 0, &req);
    pi_cl_ram_copy_wait(&req);
    memset(l2, 0, N);
    pi_cl_ram_copy(&ram, ram_addr + N, l2, N, 1, &req);
    pi_cl_ram_copy_wait(&req);
    expect(l2, src_l2, N, "RAM copies");
    pi_cl_team_fork(4, member, NULL);
    if (rc) not_caught("the barrier does not order the team");
    t0 = pi_perf_read(PI_PERF_CYCLES);
    pi_cl_dma_cmd(a32(src_l2), a32(l1), N, PI_CL_DMA_DIR_EXT2LOC, &cmd);
    pi_cl_dma_cmd_wait(&cmd);
    printf("perf %u\n", pi_perf_read(PI_PERF_CYCLES) - t0); /* 2 calls + N bytes */
}

static void case_early_read(void)
{
    pi_cl_dma_cmd_t cmd;
    fill(src_l2, N, 3);
    pi_cl_dma_cmd(a32(src_l2), a32(l1), N, PI_CL_DMA_DIR_EXT2LOC, &cmd);
    if (!memcmp(l1, src_l2, N)) not_caught("DMA data before its wait");
    pi_cl_dma_cmd_wait(&cmd);
    expect(l1, src_l2, N, "after the wait");
    printf("poison before the wait\n");
}

static void case_ram_early_read(void)
{
    pi_cl_ram_req_t req;
    fill(src_l2, N, 5);
    pi_cl_ram_copy(&ram, ram_addr, src_l2, N, 0, &req);
    pi_cl_ram_copy_wait(&req);
    pi_cl_ram_read(&ram, ram_addr, l2, N, &req);
    if (!memcmp(l2, src_l2, N)) not_caught("RAM data before its wait");
    pi_cl_ram_read_wait(&req);
    expect(l2, src_l2, N, "after the wait");
    printf("poison before the wait\n");
}

static void case_loc_not_l1(void)
{
    pi_cl_dma_cmd_t cmd;
    pi_cl_dma_cmd(a32(l1), a32(l2), N, PI_CL_DMA_DIR_LOC2EXT, &cmd); /* ext and loc swapped */
    not_caught("a loc side outside L1");
}

static void case_src_written(void)
{
    pi_cl_dma_cmd_t cmd;
    pi_cl_dma_cmd(a32(l2), a32(l1), N, PI_CL_DMA_DIR_LOC2EXT, &cmd);
    l1[5] ^= 1; /* the source, in flight */
    pi_cl_dma_cmd_wait(&cmd);
    not_caught("a source written in flight");
}

static void case_double_wait(void)
{
    pi_cl_dma_cmd_t cmd;
    pi_cl_dma_cmd(a32(src_l2), a32(l1), N, PI_CL_DMA_DIR_EXT2LOC, &cmd);
    pi_cl_dma_cmd_wait(&cmd);
    pi_cl_dma_cmd_wait(&cmd);
    not_caught("a request waited twice");
}

static void case_never_waited(void)
{
    pi_cl_ram_req_t req;
    pi_cl_ram_read(&ram, ram_addr, l2, N, &req);
}

static void case_l1_overrun(void)
{
    pi_cl_dma_cmd_t cmd;
    pi_cl_dma_cmd(a32(src_l2), a32(l1 + 1024 - N / 2), N, PI_CL_DMA_DIR_EXT2LOC, &cmd);
    not_caught("an L1 overrun");
}

static void case_l2_stack(void)
{
    uint8_t on_stack[N];
    pi_cl_ram_req_t req;
    pi_cl_ram_read(&ram, ram_addr, on_stack, N, &req);
    pi_cl_ram_read_wait(&req);
    not_caught("a RAM transfer into the cluster stack");
}

static void case_l2_overrun(void)
{
    pi_cl_dma_cmd_t cmd;
    pi_cl_dma_cmd(a32(l2 + 2048 - 16), a32(l1), 32, PI_CL_DMA_DIR_EXT2LOC, &cmd);
    not_caught("an L2 chunk overrun");
}

static void case_ram_overrun(void)
{
    pi_cl_ram_req_t req;
    pi_cl_ram_read(&ram, ram_addr + 4096 - 8, l2, 16, &req);
    not_caught("a RAM chunk overrun");
}

static void case_fs_overrun(void)
{
    pi_fs_file_t *f = pi_fs_open(&fs, "blob.bin", 0);
    pi_cl_fs_req_t req;
    if (!f) not_caught("no blob.bin in the readfs");
    pi_cl_fs_copy(f, 0, l2, 100, 1, &req);
    if (pi_cl_fs_wait(&req)) not_caught("a readfs copy failed");
    pi_cl_fs_copy(f, 90, l2, 100, 1, &req); /* blob.bin has 100 bytes */
    not_caught("a read past the end of a readfs file");
}

static void case_barrier_outside(void)
{
    pi_cl_team_barrier();
    not_caught("a barrier outside a fork");
}

static void case_dma_flood(void)
{
    pi_cl_dma_cmd_t cmd[20];
    int i;
    for (i = 0; i < 20; i++)
        pi_cl_dma_cmd(a32(src_l2), a32(l1 + 8 * i), 8, PI_CL_DMA_DIR_EXT2LOC, &cmd[i]);
    not_caught("20 DMA commands in flight");
}

static const struct {
    const char *name;
    void (*run)(void);
} cases[] = {
    {"ok", case_ok},
    {"early-read", case_early_read},
    {"ram-early-read", case_ram_early_read},
    {"loc-not-l1", case_loc_not_l1},
    {"src-written", case_src_written},
    {"double-wait", case_double_wait},
    {"never-waited", case_never_waited},
    {"l1-overrun", case_l1_overrun},
    {"l2-stack", case_l2_stack},
    {"l2-overrun", case_l2_overrun},
    {"ram-overrun", case_ram_overrun},
    {"fs-overrun", case_fs_overrun},
    {"barrier-outside", case_barrier_outside},
    {"dma-flood", case_dma_flood},
};

static void cluster_main(void *arg)
{
    pi_cl_alloc_req_t req;
    pi_cl_ram_alloc_req_t rreq;
    size_t i;
    (void)arg;
    l1 = pi_cl_l1_malloc(&cluster, 1024);
    pi_cl_l2_malloc(2048, &req);
    l2 = pi_cl_l2_malloc_wait(&req);
    pi_cl_ram_alloc(&ram, 4096, &rreq);
    if (!l1 || !l2 || pi_cl_ram_alloc_wait(&rreq, &ram_addr)) not_caught("allocation failed");
    pi_perf_conf(1 << PI_PERF_CYCLES);
    pi_perf_reset();
    pi_perf_start();
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!strcmp(cases[i].name, which)) {
            cases[i].run();
            return;
        }
    printf("no case '%s'\n", which);
    rc = 2;
}

static void fc_main(void)
{
    struct pi_hyperram_conf rconf;
    struct pi_hyperflash_conf fconf;
    struct pi_fs_conf fsconf;
    struct pi_cluster_conf cconf;
    struct pi_cluster_task task;
    pi_hyperram_conf_init(&rconf);
    pi_open_from_conf(&ram, &rconf);
    pi_hyperflash_conf_init(&fconf);
    pi_open_from_conf(&flash, &fconf);
    if (pi_ram_open(&ram) || pi_flash_open(&flash)) pmsis_exit(2);
    pi_fs_conf_init(&fsconf);
    fsconf.flash = &flash;
    pi_open_from_conf(&fs, &fsconf);
    if (pi_fs_mount(&fs)) pmsis_exit(2);
    if (!strcmp(which, "fc-dma")) {
        pi_cl_dma_cmd_t cmd;
        pi_cl_dma_cmd(a32(src_l2), a32(src_l2 + N / 2), 8, PI_CL_DMA_DIR_EXT2LOC, &cmd);
        not_caught("a cluster DMA from the fabric controller");
    }
    pi_cluster_conf_init(&cconf);
    pi_open_from_conf(&cluster, &cconf);
    if (pi_cluster_open(&cluster)) pmsis_exit(2);
    pi_cluster_task(&task, cluster_main, NULL);
    task.stack_size = 2048;
    task.slave_stack_size = 1024;
    pi_cluster_send_task_to_cl(&cluster, &task);
    pi_cluster_close(&cluster);
    pmsis_exit(rc);
}

int main(int argc, char **argv)
{
    which = argc > 1 ? argv[1] : "ok";
    return pmsis_kickoff((void *)fc_main);
}
