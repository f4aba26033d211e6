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
 * L2->L2 and L1->L1 moves are copies by core 0. L3 is the board's HyperRAM
 * (8 MB) behind the micro-DMA's HyperBus peripheral, which core 0 programs
 * through the SoC interconnect: an L3 read or write queues micro-DMA
 * transfers and returns, its wait polls the transaction id's busy bit, so L3
 * streams beside the kernels too. The L3 image is loaded at start-up through
 * an L2 bounce buffer (semihosting file reads, then micro-DMA writes), outside
 * the measured layers (docs/PULP.md). Cycles: mcycle of core 0, cluster
 * clock. The program ends
 * with the semihosting exit call (GVSoC implements SYS_EXIT but not
 * SYS_GET_CMDLINE, so main gets no arguments). C99 + picolibc; no allocation
 * after dory_hal_init().
 */
#include "dory_pulp.h"

#define DORY_HAL_BARE_OWN_L3                        /* the HyperRAM, below */
#define DORY_HAL_BARE_OWN_FETCH                     /* through mchan, below */
#define DORY_HAL_BARE_STATE     DORY_PULP_HAL_STATE /* in L1 (dory_pulp.h) */
#include "../dory_hal_bare.h"

#define DORY_CL_DMA_MAX_LEN    DORY_PULP_MCHAN_MAX_LEN
#define DORY_HAL_CLUSTER_STATE (DORY_PULP_HAL_STATE + 192)
#include "../dory_hal_cluster.h"

/* The last 8 bytes of the state: one byte per cluster core, set by a
 * worker whose stack guard was written when it finished a job (the workers
 * check their own stacks in parallel; core 0 reads two words after the
 * join instead of every core's guard). Zero: no overflow seen. */
#define STACK_OVER_AT (DORY_PULP_HAL_STATE + DORY_PULP_HAL_STATE_BYTES - 8)
#define stack_over    ((volatile uint8_t *)(uintptr_t)STACK_OVER_AT)

/* `bare`, `cl` and stack_over fit their room */
typedef char
    pulp_state_fits[sizeof(struct dory_bare) <= 192 &&
                            192 + sizeof(struct dory_cluster) <= DORY_PULP_HAL_STATE_BYTES - 8 &&
                            DORY_PULP_CORES <= 8
                        ? 1
                        : -1];

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

/* ---- memcpy, memset ------------------------------------------------------------ */

/* picolibc's, as linked for rv32imc, move a byte per iteration: the tile
 * loop's parameter blocks (a few hundred bytes per tile, partly read from
 * L2) cost about 4500 cycles a layer. These move words where both sides
 * share their alignment. The attribute keeps GCC from compiling the loops
 * back into calls of the functions themselves. */
#define PULP_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

PULP_NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if ((((uintptr_t)d ^ (uintptr_t)s) & 3) == 0) {
        for (; n && ((uintptr_t)d & 3); n--) *d++ = *s++;
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            uint32_t a = ((const uint32_t *)(const void *)s)[0];
            uint32_t b = ((const uint32_t *)(const void *)s)[1];
            ((uint32_t *)(void *)d)[0] = a;
            ((uint32_t *)(void *)d)[1] = b;
        }
        for (; n >= 4; n -= 4, d += 4, s += 4)
            *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
    }
    for (; n; n--) *d++ = *s++;
    return dst;
}

PULP_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    uint32_t w = (uint8_t)c * 0x01010101u;
    for (; n && ((uintptr_t)d & 3); n--) *d++ = (uint8_t)c;
    for (; n >= 4; n -= 4, d += 4) *(uint32_t *)(void *)d = w;
    for (; n; n--) *d++ = (uint8_t)c;
    return dst;
}

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

static int stack_guard_ok(int core);

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
        if (!stack_guard_ok(core)) stack_over[core] = 1; /* core 0 reports it after the join */
        barrier();
    }
}

/* ---- Stacks ------------------------------------------------------------------ */

/* Cluster core c's stack (crt0.S): core 0's DORY_PULP_STACK0 bytes at the
 * top of L1, then DORY_PULP_STACK per worker, worker 7's ending at the L1
 * arena. crt0.S painted them; a frame that overflows one writes into the
 * next core's stack (worker 7: the arena), so it is caught at the next
 * check, not prevented. */
static int stack_bytes(int core) { return core ? DORY_PULP_STACK : DORY_PULP_STACK0; }

static const volatile uint32_t *stack_bottom(int core)
{
    uint32_t top = DORY_PULP_L1_END - (core ? DORY_PULP_STACK0 + (core - 1) * DORY_PULP_STACK : 0);
    return (const volatile uint32_t *)(uintptr_t)(top - (uint32_t)stack_bytes(core));
}

/* Bytes of core's stack ever written (the paint's watermark; a word written
 * with the paint's value counts as unused). */
static int stack_used(int core)
{
    const volatile uint32_t *w = stack_bottom(core);
    int n = 0, words = stack_bytes(core) / 4;
    while (n < words && w[n] == DORY_PULP_STACK_PAINT) n++;
    return 4 * (words - n);
}

/* 1 if the guard words at the bottom of core's stack are unwritten. */
static int stack_guard_ok(int core)
{
    const volatile uint32_t *w = stack_bottom(core);
    int i;
    for (i = 0; i < DORY_PULP_STACK_GUARD / 4; i++)
        if (w[i] != DORY_PULP_STACK_PAINT) return 0;
    return 1;
}

static void stack_overflowed(int core)
{
    printf("dory: error: cluster core %d overflowed its %d-byte stack (layer '%s')\n", core,
           stack_bytes(core), bare.layer ? bare.layer : "(none)");
    exit(3);
}

/* Stops the program, naming the core, if the guard words at the bottom of
 * any of the first `cores` stacks were written. */
static void stack_check(int cores)
{
    int c;
    for (c = 0; c < cores; c++)
        if (!stack_guard_ok(c)) stack_overflowed(c);
}

/* After a fork: core 0's guard, and the workers' own checks (stack_over). */
static void fork_stack_check(void)
{
    const volatile uint32_t *over = (const volatile uint32_t *)(uintptr_t)STACK_OVER_AT;
    int c;
    if (!stack_guard_ok(0)) stack_overflowed(0);
    if (over[0] | over[1])
        for (c = 1; c < DORY_PULP_CORES; c++)
            if (stack_over[c]) stack_overflowed(c);
}

/* ---- L3: the HyperRAM through the micro-DMA ------------------------------------ */

/* One L3 transfer per transaction id (DORY_PULP_HYPER_IDS in flight, taken in
 * turn; an id still busy is waited for before reuse). The micro-DMA moves L2
 * in whole aligned words (a read's last word is written whole), so a
 * transfer's bytes before its first word-aligned L2 byte and after its last
 * whole word go through the id's bounce words: a write copies them there at
 * the issue, a read copies them out at the wait. */
typedef struct l3_slot {
    int seq;            /* the transfer's sequence number; 0: none pending */
    int pushed;         /* micro-DMA transfers queued on the id for it */
    uint8_t *dst[2];    /* a read's head and tail in L2 ... */
    size_t n[2];        /* ... and their bytes (0..3) */
    uint32_t bounce[2]; /* the micro-DMA's word for each */
} l3_slot_t;

#define L3_ID_BASE 0x40000000 /* the id of L3 transfer seq (mchan's ids are small) */

static l3_slot_t l3_slots[DORY_PULP_HYPER_IDS];
static int l3_seq;
static uint32_t l3_bounce[256]; /* the synchronous calls' staging in L2 (1 kB) */

static uintptr_t hyper_reg(int tid, uint32_t off)
{
    return (uintptr_t)DORY_PULP_HYPER + 0x80u * (uint32_t)tid + off;
}

static void hyper_init(void)
{
    uintptr_t common = DORY_PULP_HYPER + DORY_PULP_HYPER_COMMON;
    REG(DORY_PULP_UDMA) |= 1u << DORY_PULP_HYPER_PERIPH; /* clock on */
    /* the HyperRAM: 6 clocks of initial latency, doubled (pulp-sdk's setting) */
    REG(common + DORY_PULP_HYPER_LATENCY) = 6;
    REG(common + DORY_PULP_HYPER_LATENCY_ADD) = 1;
    REG(common + DORY_PULP_HYPER_MEM_SEL) = 0;
    memset(l3_slots, 0, sizeof l3_slots);
}

/* Queues one micro-DMA transfer of n bytes on id tid (waiting while its
 * queue is full: a full queue drops what is written to it; only this slot's
 * transfers are on it). A register access from the cluster crosses the SoC
 * interconnect (about 40 cycles). */
static void hyper_push(int tid, uintptr_t l2, uint32_t addr, size_t n, int write)
{
    if (++l3_slots[tid].pushed > DORY_PULP_HYPER_DEPTH)
        while ((REG(hyper_reg(tid, DORY_PULP_HYPER_STATUS)) >> 1 & 0xff) >= DORY_PULP_HYPER_DEPTH)
            ;
    REG(hyper_reg(tid, write ? DORY_PULP_HYPER_TX_SADDR : DORY_PULP_HYPER_RX_SADDR)) = (uint32_t)l2;
    REG(hyper_reg(tid, write ? DORY_PULP_HYPER_TX_SIZE : DORY_PULP_HYPER_RX_SIZE)) = (uint32_t)n;
    REG(hyper_reg(tid, DORY_PULP_HYPER_CA)) =
        write ? DORY_PULP_HYPER_CA_WRITE : DORY_PULP_HYPER_CA_READ;
    REG(hyper_reg(tid, DORY_PULP_HYPER_ADDR)) = addr;
    REG(hyper_reg(tid, write ? DORY_PULP_HYPER_TX_CFG : DORY_PULP_HYPER_RX_CFG)) =
        DORY_PULP_UDMA_CFG_EN;
}

static void l3_finish(int tid)
{
    l3_slot_t *s = &l3_slots[tid];
    int k;
    while (REG(hyper_reg(tid, DORY_PULP_HYPER_STATUS)) & 1)
        ;
    for (k = 0; k < 2; k++)
        if (s->n[k]) memcpy(s->dst[k], &s->bounce[k], s->n[k]);
    memset(s, 0, sizeof *s);
}

/* Queues bytes between L2 at l2 and HyperRAM at addr; returns its id. */
static dory_dma_id_t l3_issue(uint8_t *l2, uint32_t addr, size_t bytes, int write)
{
    size_t head = (4 - ((uintptr_t)l2 & 3)) & 3, body, at, o[2], n[2];
    l3_slot_t *s;
    int tid, k;
    l3_seq = l3_seq % 0xffffff + 1;
    tid = l3_seq % DORY_PULP_HYPER_IDS;
    if (l3_slots[tid].seq) l3_finish(tid);
    s = &l3_slots[tid];
    s->seq = l3_seq;
    if (head > bytes) head = bytes;
    body = (bytes - head) & ~(size_t)3;
    o[0] = 0, n[0] = head;
    o[1] = head + body, n[1] = bytes - head - body;
    for (k = 0; k < 2; k++) {
        if (!n[k]) continue;
        if (write)
            memcpy(&s->bounce[k], l2 + o[k], n[k]);
        else
            s->dst[k] = l2 + o[k], s->n[k] = n[k];
        hyper_push(tid, (uintptr_t)&s->bounce[k], addr + (uint32_t)o[k], n[k], write);
    }
    for (at = 0; at < body; at += DORY_PULP_HYPER_MAX_LEN) {
        size_t len = body - at < DORY_PULP_HYPER_MAX_LEN ? body - at : DORY_PULP_HYPER_MAX_LEN;
        hyper_push(tid, (uintptr_t)(l2 + head + at), addr + (uint32_t)(head + at), len, write);
    }
    return L3_ID_BASE + l3_seq;
}

/* Returns when L3 transfer id is done (at once if its id was reused). */
static void l3_wait(dory_dma_id_t id)
{
    int seq = id - L3_ID_BASE, tid = seq % DORY_PULP_HYPER_IDS;
    if (l3_slots[tid].seq == seq) l3_finish(tid);
}

dory_dma_id_t dory_l3_read(void *l2_dst, uint32_t l3_addr, size_t bytes, const char *what)
{
    bare_l3_check(l3_addr, bytes, what);
    if (bare_level(l2_dst, bytes) != 2)
        bare_fail(what, "L3 read into %lu bytes outside L2 (%lu)", bytes, bare.l2_size);
    bare_count(&bare.layer_stats.l3_to_l2, bytes);
    return bytes ? l3_issue((uint8_t *)l2_dst, l3_addr, bytes, 0) : DORY_CL_ID_DONE;
}

dory_dma_id_t dory_l3_write(uint32_t l3_addr, const void *l2_src, size_t bytes, const char *what)
{
    bare_l3_check(l3_addr, bytes, what);
    if (bare_level(l2_src, bytes) != 2)
        bare_fail(what, "L3 write from %lu bytes outside L2 (%lu)", bytes, bare.l2_size);
    bare_count(&bare.layer_stats.l2_to_l3, bytes);
    return bytes ? l3_issue((uint8_t *)(uintptr_t)l2_src, l3_addr, bytes, 1) : DORY_CL_ID_DONE;
}

/* The synchronous calls: from and to any memory, through l3_bounce. */
void dory_l3_load(uint32_t l3_addr, const void *src, size_t bytes)
{
    size_t at, n;
    bare_l3_check(l3_addr, bytes, "L3 image");
    for (at = 0; at < bytes; at += n) {
        n = bytes - at < sizeof l3_bounce ? bytes - at : sizeof l3_bounce;
        memcpy(l3_bounce, (const uint8_t *)src + at, n);
        l3_wait(l3_issue((uint8_t *)l3_bounce, l3_addr + (uint32_t)at, n, 1));
    }
}

void dory_l3_peek(void *dst, uint32_t l3_addr, size_t bytes)
{
    size_t at, n;
    bare_l3_check(l3_addr, bytes, "L3 peek");
    for (at = 0; at < bytes; at += n) {
        n = bytes - at < sizeof l3_bounce ? bytes - at : sizeof l3_bounce;
        l3_wait(l3_issue((uint8_t *)l3_bounce, l3_addr + (uint32_t)at, n, 0));
        memcpy((uint8_t *)dst + at, l3_bounce, n);
    }
}

/* The image file (semihosting: the host's file, relative to the simulator's
 * folder): there is no flash loader in the model's boot, so the image goes
 * file -> L2 (l3_bounce) -> HyperRAM at start-up. */
int dory_l3_load_file(uint32_t l3_addr, const char *file, size_t file_offset, size_t bytes)
{
    FILE *f;
    size_t at = 0, n = 0;
    bare_l3_check(l3_addr, bytes, "L3 image file");
    f = fopen(file, "rb");
    if (f && fseek(f, (long)file_offset, SEEK_SET) == 0)
        for (; at < bytes; at += n) {
            n = bytes - at < sizeof l3_bounce ? bytes - at : sizeof l3_bounce;
            if (fread(l3_bounce, 1, n, f) != n) break;
            l3_wait(l3_issue((uint8_t *)l3_bounce, l3_addr + (uint32_t)at, n, 1));
        }
    if (f) fclose(f);
    if (f && at >= bytes) return 0;
    printf("dory_hal: cannot read %lu bytes at %lu of '%s'\n", (unsigned long)bytes,
           (unsigned long)file_offset, file);
    return -1;
}

/* ---- Setup ------------------------------------------------------------------- */

int dory_hal_init(const dory_hal_config_t *cfg)
{
    uint32_t mask;
    if (cluster_cores) return 0; /* the cluster runs once per program */
    memset(&cl, 0, sizeof cl);
    memset((void *)(uintptr_t)STACK_OVER_AT, 0, 8);
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
    if (!bare.l2) {
        printf("dory_hal: cannot allocate L2 (%lu bytes)\n", (unsigned long)bare.l2_size);
        return -1;
    }
    /* L3: the HyperRAM (a larger target L3 is cut to it: an access beyond
     * fails its bounds check, naming the layer) */
    if (bare.l3_size > DORY_PULP_HYPER_RAM) bare.l3_size = DORY_PULP_HYPER_RAM;
    hyper_init();
    mask = (1u << cl.cores) - 1;
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_BARRIER0 + 0x00) = mask; /* trigger mask */
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_BARRIER0 + 0x0C) = mask; /* target mask */
    cluster_cores = cl.cores;
    REG(DORY_PULP_EU_DEMUX + DORY_PULP_EU_SW_EVENT(DORY_PULP_EVT_START)) =
        ((1u << DORY_PULP_CORES) - 1) & ~1u; /* wake the workers */
    return 0;
}

/* The arenas live until the program ends; the stacks are checked and their
 * use printed (bytes ever written per cluster core). */
void dory_hal_deinit(void)
{
    int c;
    stack_check(DORY_PULP_CORES);
    printf("dory_hal: cluster stack bytes used:");
    for (c = 0; c < DORY_PULP_CORES; c++) printf(" %d/%d", stack_used(c), stack_bytes(c));
    printf("\n");
}

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
    fork_stack_check();
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

/* An L2 source into L1 (the cluster stacks are there) through mchan: ~8
 * bytes a cycle after ~100 cycles of issue, where the core waits ~15 per
 * word; anything else is copied by the core. */
void dory_fetch_local(void *dst, const void *src, size_t bytes)
{
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    if (d >= DORY_PULP_L1_BASE && d + bytes <= DORY_PULP_L1_END && s >= DORY_PULP_L2_BASE &&
        s + bytes <= DORY_PULP_L2_END && bytes && bytes <= DORY_PULP_MCHAN_MAX_LEN) {
        dory_dma_id_t id = cl_dma_begin();
        cl_dma_push(d, s, bytes, 1, bytes, bytes);
        cl_dma_wait(id);
    } else {
        memcpy(dst, src, bytes);
    }
}

static void cl_dma_wait(dory_dma_id_t id)
{
    uint32_t bit;
    if (id >= L3_ID_BASE) { /* an L3 transfer */
        l3_wait(id);
        return;
    }
    bit = 1u << (id - 1);
    while (REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_STATUS) & bit)
        ;
    REG(DORY_PULP_DMA_DEMUX + DORY_PULP_MCHAN_STATUS) = bit; /* free the counter */
}
