/* dory_hal_pulp.c: the HAL on the PULP open cluster, bare metal (GVSoC's
 * pulp-open model; runtime/pulp/app.mk builds and runs it).
 *
 * The fabric controller only boots: it enables both instruction caches (off
 * at reset: every fetch would go to L2) and starts the 8 cluster cores at
 * _cluster_start (cluster_ctrl boot addresses and fetch enable). Cluster core
 * 0 runs main(), the whole application: the layer loop, its DMA and the
 * harness's stdio. dory_cluster_run() forks a function onto the first
 * num_cores cores and joins them through the event unit's hardware barrier 0,
 * which dory_barrier() also uses inside a layer (no atomics needed).
 *
 * L1 is the TCDM below the cluster stacks (dory_pulp.h); L2 is picolibc's
 * heap in L2; DMA between them is the cluster DMA (mchan), asynchronous with
 * one transfer counter per call, so loads and stores overlap the kernels.
 * L2->L2 and L1->L1 moves are copies by core 0. L3: the pulp-open model has
 * HyperRAM behind the micro-DMA, which this HAL does not drive; L3 is an
 * arena in L2 (same calls, same checks), copied synchronously by core 0, so
 * L3 transfer times are those of an L2 copy, not of HyperRAM
 * (docs/PULP.md). Cycles: mcycle of core 0, cluster clock. The program ends
 * with the semihosting exit call (GVSoC implements SYS_EXIT but not
 * SYS_GET_CMDLINE, so main gets no arguments). C99 + picolibc; no allocation
 * after dory_hal_init().
 */
#include "../dory_hal_bare.h"
#include "dory_pulp.h"

#define DORY_CL_DMA_MAX_LEN DORY_PULP_MCHAN_MAX_LEN
#include "../dory_hal_cluster.h"

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

int main(int argc, char **argv);
void _cluster_start(void);
void dory_pulp_fc_boot(void);
void dory_pulp_cluster_entry(int core);
void _exit(int status);

/* Shared with the workers (L2): the fork's job, and the start signal. */
static void (*volatile job_fn)(void *);
static void *volatile job_arg;
static volatile int cluster_cores; /* 0 until dory_hal_init() */

/* ---- Start-up ---------------------------------------------------------------- */

void dory_pulp_fc_boot(void)
{
    int c;
    REG(DORY_PULP_FC_ICACHE) = 0xffffffffu;
    REG(DORY_PULP_CLUSTER_ICACHE) = 0xffffffffu;
    for (c = 0; c < DORY_PULP_CORES; c++)
        REG(DORY_PULP_CLUSTER_CTRL + 0x40 + 4 * c) = (uint32_t)(uintptr_t)_cluster_start;
    REG(DORY_PULP_CLUSTER_CTRL + 0x08) = (1u << DORY_PULP_CORES) - 1;
}

/* Semihosting SYS_EXIT: ADP_Stopped_ApplicationExit for 0, else
 * ADP_Stopped_RunTimeErrorUnknown (GVSoC exits with 0 or 1). */
void _exit(int status)
{
    register uintptr_t a0 __asm__("a0") = 0x18;
    register uintptr_t a1 __asm__("a1") = status ? 0x20023 : 0x20026;
    __asm__ volatile(".option push\n\t.option norvc\n\tslli zero, zero, 0x1f\n\tebreak\n\t"
                     "srai zero, zero, 7\n\t.option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    for (;;) __asm__ volatile("wfi");
}

static void barrier(void)
{
    (void)REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_BARRIER0 + DORY_PULP_EU_BAR_TRIG_WAIT_CLEAR);
}

static void sleep_forever(void)
{
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_MASK) = 0; /* no event wakes this core */
    for (;;) (void)REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_EVT_WAIT_CLEAR);
}

void dory_pulp_cluster_entry(int core)
{
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_MASK_OR) =
        1u << DORY_PULP_EVT_BARRIER | 1u << DORY_PULP_EVT_START;
    if (core == 0) {
        char *argv[] = {"app", 0};
        int rc = main(1, argv);
        fflush(stdout);
        _exit(rc);
    }
    while (!cluster_cores) /* asleep until core 0 has set up the barrier */
        (void)REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_EVT_WAIT_CLEAR);
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_MASK_AND) = 1u << DORY_PULP_EVT_START;
    if (core >= cluster_cores) sleep_forever();
    for (;;) {
        barrier();
        job_fn(job_arg);
        barrier();
    }
}

/* ---- Setup ------------------------------------------------------------------- */

int dory_hal_init(const dory_hal_config_t *cfg)
{
    uint32_t mask;
    if (cluster_cores) return 0; /* the cluster runs once per program */
    memset(&cl, 0, sizeof cl);
    bare_setup(cfg);
    bare.l1 = (uint8_t *)(uintptr_t)DORY_PULP_L1_BASE;
    bare.done_id = DORY_CL_ID_DONE;
    cl.cores = cfg->num_cores < 1 ? 1 : cfg->num_cores;
    if (bare.l1_size > DORY_PULP_L1_ARENA || cl.cores > DORY_PULP_CORES) {
        printf("dory_hal: %lu bytes of L1 on %d cores asked, the cluster has %lu and %d\n",
               (unsigned long)bare.l1_size, cl.cores, (unsigned long)DORY_PULP_L1_ARENA,
               DORY_PULP_CORES);
        return -1;
    }
    bare.l2 = malloc(bare.l2_size ? bare.l2_size : 1);
    /* L3 (the target's size, 8 MB on most) gets what the heap has left: an
     * access beyond it fails its bounds check, naming the layer */
    while (bare.l3_size && !(bare.l3 = malloc(bare.l3_size))) bare.l3_size -= bare.l3_size / 16 + 1;
    if (!bare.l3) bare.l3 = malloc(1);
    if (!bare.l2 || !bare.l3) {
        printf("dory_hal: cannot allocate L2 (%lu) and L3 (%lu bytes) in L2\n",
               (unsigned long)bare.l2_size, (unsigned long)bare.l3_size);
        return -1;
    }
    mask = (1u << cl.cores) - 1;
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_BARRIER0 + 0x00) = mask; /* trigger mask */
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_BARRIER0 + 0x0C) = mask; /* target mask */
    cluster_cores = cl.cores;
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_SW_EVENT(DORY_PULP_EVT_START)) =
        ((1u << DORY_PULP_CORES) - 1) & ~1u; /* wake the workers */
    return 0;
}

void dory_hal_deinit(void) {} /* the arenas live until the program ends */

/* ---- Cores ------------------------------------------------------------------- */

int dory_core_id(void)
{
    uint32_t id;
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, mhartid\n\t.option pop"
                     : "=r"(id));
    return (int)(id & 0x1f);
}

/* cluster core 0 runs the job beside the workers (dory_hal_cluster.h) */
static void cl_fork(void (*fn)(void *), void *arg)
{
    job_fn = fn;
    job_arg = arg;
    barrier(); /* the workers take the job */
    fn(arg);
    barrier(); /* all done */
}

static void cl_team_barrier(void) { barrier(); }

/* mcycle of this core (mcycleh: not in GVSoC) */
static uint32_t cl_cycles32(void)
{
    uint32_t now;
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, mcycle\n\t.option pop"
                     : "=r"(now));
    return now;
}

/* ---- DMA: mchan ------------------------------------------------------------- */

/* One transfer counter per transfer, allocated by reading the command
 * register; every command pushed until the next transfer counts on it. */
static dory_dma_id_t cl_dma_begin(void)
{
    return (int)REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_CMD) + 1;
}

static void cl_dma_push(uintptr_t loc, uintptr_t ext, size_t bytes, int to_l1, size_t row,
                        size_t stride)
{
    uint32_t cmd = (uint32_t)bytes | DORY_PULP_MCHAN_INC | (to_l1 ? DORY_PULP_MCHAN_EXT2LOC : 0);
    int two_d = row != bytes;
    REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_CMD) = cmd | (two_d ? DORY_PULP_MCHAN_2D : 0);
    REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_CMD) = (uint32_t)loc;
    REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_CMD) = (uint32_t)ext;
    if (two_d) {
        REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_CMD) = (uint32_t)row;
        REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_CMD) = (uint32_t)stride;
    }
}

static void cl_dma_wait(dory_dma_id_t id)
{
    uint32_t bit = 1u << (id - 1);
    while (REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_STATUS) & bit)
        ;
    REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_STATUS) = bit; /* free the counter */
}
