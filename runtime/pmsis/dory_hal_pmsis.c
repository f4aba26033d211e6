/* dory_hal_pmsis.c: the HAL on GAP8 and GAP9 through the GAP SDK's PMSIS API
 * (runtime/pmsis/app.mk and gap_sdk.mk build it in a sourced GAP SDK shell).
 *
 * The fabric controller (main() here) opens the external RAM (HyperRAM on
 * GAP8 boards; GAP9: DORY_PMSIS_GAP9_EVK, the EVK's octal-SPI RAM and flash),
 * the flash and its read-only file system (readfs: the app's READFS_FILES),
 * opens the cluster and sends it one task: the application's main
 * (DORY_APP_MAIN) on cluster core 0, with its stack sizes. Everything the
 * network does then runs on the cluster, as on the bare-metal PULP HAL
 * (runtime/dory_hal_cluster.h is shared with it): dory_cluster_run() is
 * pi_cl_team_fork(), dory_barrier() pi_cl_team_barrier(), L2<->L1 DMA
 * pi_cl_dma_cmd()/pi_cl_dma_cmd_2d() with pi_cl_dma_cmd_wait(), L3<->L2
 * pi_cl_ram_read()/pi_cl_ram_write() (asynchronous, waited by
 * dory_dma_wait()), L3 weights copied at start from the readfs file into
 * the RAM (pi_cl_fs_copy() into an L2 bounce buffer, then pi_cl_ram_copy()),
 * L1 from pi_cl_l1_malloc(), L2 from pi_cl_l2_malloc(), L3 from
 * pi_cl_ram_alloc(), cycles from pi_perf_read(PI_PERF_CYCLES). No SDK call
 * outside this file; C99; no allocation after dory_hal_init().
 */
#define DORY_HAL_BARE_OWN_L3 1
#include "../dory_hal_bare.h"

#include "bsp/fs.h"
#include "bsp/ram.h"
#include "pmsis.h"
#ifdef DORY_PMSIS_GAP9_EVK
#include "bsp/flash/mx25u51245g.h"
#include "bsp/ram/aps25xxxn.h"
typedef struct pi_aps25xxxn_conf ram_conf_t;
typedef struct pi_mx25u51245g_conf flash_conf_t;
#define ram_conf_init   pi_aps25xxxn_conf_init
#define flash_conf_init pi_mx25u51245g_conf_init
#else
#include "bsp/flash/hyperflash.h"
#include "bsp/ram/hyperram.h"
typedef struct pi_hyperram_conf ram_conf_t;
typedef struct pi_hyperflash_conf flash_conf_t;
#define ram_conf_init   pi_hyperram_conf_init
#define flash_conf_init pi_hyperflash_conf_init
#endif

/* Commands in flight at once: below the cluster DMA's hardware counters
 * (each pi_cl_dma_cmd() holds one until waited). More are issued by waiting
 * for the oldest first. */
#define DMA_SLOTS           8
#define DORY_CL_DMA_MAX_LEN 0x8000 /* bytes per command: half of GAP8's 64 kB L1 */
#include "../dory_hal_cluster.h"

#ifndef DORY_APP_MAIN
#define DORY_APP_MAIN dory_app_main
#endif
#ifndef DORY_PMSIS_READFS_FILE
#define DORY_PMSIS_READFS_FILE "l3_weights.bin" /* weights/l3_weights.bin in readfs */
#endif
#define STACK_MASTER 4096 /* cluster core 0: the harness, stdio and the layer loop */
#define STACK_SLAVE  1024 /* the other cores: kernels only */
#define BOUNCE_BYTES 1024 /* L2 bytes per flash -> RAM step at start-up */

int DORY_APP_MAIN(int argc, char **argv);

static struct pi_device cluster_dev, ram_dev, flash_dev, fs_dev;
static pi_fs_file_t *l3_file; /* NULL: no readfs file */
static int app_rc;

static struct {
    uint32_t l3_base; /* pi_cl_ram_alloc()'s chunk: dory's L3 address 0 */
    dory_dma_id_t next_id, current;
    /* the DMA commands in flight, oldest first (a ring) */
    pi_cl_dma_cmd_t cmd[DMA_SLOTS];
    dory_dma_id_t cmd_id[DMA_SLOTS];
    int head, count;
    /* the RAM transfers in flight: one request each */
    pi_cl_ram_req_t ram[DMA_SLOTS];
    dory_dma_id_t ram_id[DMA_SLOTS];
    int ram_write[DMA_SLOTS];
} pm;

/* ---- Fabric controller -------------------------------------------------------- */

static void cluster_main(void *arg)
{
    char *argv[] = {"app", 0};
    (void)arg;
    app_rc = DORY_APP_MAIN(1, argv);
}

static int open_devices(void)
{
    ram_conf_t ram_conf;
    flash_conf_t flash_conf;
    struct pi_fs_conf fs_conf;
    ram_conf_init(&ram_conf);
    pi_open_from_conf(&ram_dev, &ram_conf);
    if (pi_ram_open(&ram_dev)) return -1;
    flash_conf_init(&flash_conf);
    pi_open_from_conf(&flash_dev, &flash_conf);
    if (pi_flash_open(&flash_dev)) return -1;
    pi_fs_conf_init(&fs_conf);
    fs_conf.type = PI_FS_READ_ONLY;
    fs_conf.flash = &flash_dev;
    pi_open_from_conf(&fs_dev, &fs_conf);
    if (pi_fs_mount(&fs_dev)) return -1;
    l3_file = pi_fs_open(&fs_dev, DORY_PMSIS_READFS_FILE, 0);
    return 0;
}

static void fc_main(void)
{
    struct pi_cluster_conf conf;
    struct pi_cluster_task task;
    if (open_devices()) {
        printf("dory_hal: cannot open the RAM, the flash or its readfs\n");
        pmsis_exit(2);
    }
    pi_cluster_conf_init(&conf);
    pi_open_from_conf(&cluster_dev, &conf);
    if (pi_cluster_open(&cluster_dev)) {
        printf("dory_hal: cannot open the cluster\n");
        pmsis_exit(2);
    }
    pi_cluster_task(&task, cluster_main, NULL);
    task.stack_size = STACK_MASTER;
    task.slave_stack_size = STACK_SLAVE;
    pi_cluster_send_task_to_cl(&cluster_dev, &task);
    pi_cluster_close(&cluster_dev);
    if (l3_file) pi_fs_close(l3_file);
    pi_fs_unmount(&fs_dev);
    pmsis_exit(app_rc);
}

int main(void) { return pmsis_kickoff((void *)fc_main); }

/* ---- Setup (cluster core 0) ----------------------------------------------------- */

int dory_hal_init(const dory_hal_config_t *cfg)
{
    pi_cl_alloc_req_t l2_req;
    pi_cl_ram_alloc_req_t l3_req;
    if (bare.l2) return 0; /* once per program */
    memset(&pm, 0, sizeof pm);
    memset(&cl, 0, sizeof cl);
    bare_setup(cfg);
    bare.done_id = DORY_CL_ID_DONE;
    cl.cores = cfg->num_cores < 1 ? 1 : cfg->num_cores;
    pm.next_id = 1;
    bare.l1 = pi_cl_l1_malloc(&cluster_dev, (uint32_t)(bare.l1_size ? bare.l1_size : 4));
    pi_cl_l2_malloc((int)(bare.l2_size ? bare.l2_size : 4), &l2_req);
    bare.l2 = pi_cl_l2_malloc_wait(&l2_req);
    if (bare.l3_size) {
        pi_cl_ram_alloc(&ram_dev, (uint32_t)bare.l3_size, &l3_req);
        if (pi_cl_ram_alloc_wait(&l3_req, &pm.l3_base)) bare.l3_size = 0, bare.l2 = 0;
    }
    if (!bare.l1 || !bare.l2) {
        printf("dory_hal: cannot allocate L1 (%lu), L2 (%lu) and L3 (%lu bytes)\n",
               (unsigned long)cfg->l1_bytes, (unsigned long)cfg->l2_bytes,
               (unsigned long)cfg->l3_bytes);
        return -1;
    }
    pi_perf_conf(1 << PI_PERF_CYCLES);
    pi_perf_reset();
    pi_perf_start();
    return 0;
}

void dory_hal_deinit(void) {} /* the arenas live until the program ends */

/* Inside a fork, the team's core id; outside, 0: the master (on GAP9 the
 * cluster controller, whose pi_core_id() is 8) runs the one-core case. */
static volatile int in_fork;

int dory_core_id(void) { return in_fork ? (int)pi_core_id() : 0; }

/* ---- Cores and cycles (dory_hal_cluster.h) -------------------------------------- */

static void cl_fork(void (*fn)(void *), void *arg)
{
    in_fork = 1;
    pi_cl_team_fork(cl.cores, fn, arg);
    in_fork = 0;
}
static void cl_team_barrier(void) { pi_cl_team_barrier(); }
static uint32_t cl_cycles32(void) { return (uint32_t)pi_perf_read(PI_PERF_CYCLES); }

/* ---- DMA: pi_cl_dma_cmd ------------------------------------------------------- */

static dory_dma_id_t new_id(void)
{
    dory_dma_id_t id = pm.next_id++;
    if (pm.next_id >= DORY_CL_ID_DONE) pm.next_id = 1;
    return id;
}

static void retire_oldest(void)
{
    pi_cl_dma_cmd_wait(&pm.cmd[pm.head]);
    pm.head = (pm.head + 1) % DMA_SLOTS;
    pm.count--;
}

static dory_dma_id_t cl_dma_begin(void) { return pm.current = new_id(); }

static void cl_dma_push(uintptr_t loc, uintptr_t ext, size_t bytes, int to_l1, size_t row,
                        size_t stride)
{
    int slot;
    pi_cl_dma_dir_e dir = to_l1 ? PI_CL_DMA_DIR_EXT2LOC : PI_CL_DMA_DIR_LOC2EXT;
    if (pm.count == DMA_SLOTS) retire_oldest();
    slot = (pm.head + pm.count++) % DMA_SLOTS;
    pm.cmd_id[slot] = pm.current;
    if (row == bytes)
        pi_cl_dma_cmd(ext, loc, (uint32_t)bytes, dir, &pm.cmd[slot]);
    else
        pi_cl_dma_cmd_2d(ext, loc, (uint32_t)bytes, (uint32_t)stride, (uint32_t)row, dir,
                         &pm.cmd[slot]);
}

/* A transfer is done when its commands are: the ring is in issue order, so
 * everything up to its last command is waited for. */
static void ram_wait_id(dory_dma_id_t id);

static void cl_dma_wait(dory_dma_id_t id)
{
    int i, last = -1;
    if (id > DORY_CL_ID_DONE) {
        ram_wait_id(id);
        return;
    }
    for (i = 0; i < pm.count; i++)
        if (pm.cmd_id[(pm.head + i) % DMA_SLOTS] == id) last = i;
    for (i = 0; i <= last; i++) retire_oldest();
}

/* ---- L3: the external RAM through pi_cl_ram_* ------------------------------------ */

static void ram_wait_slot(int s)
{
    if (!pm.ram_id[s]) return;
    if (pm.ram_write[s])
        pi_cl_ram_write_wait(&pm.ram[s]);
    else
        pi_cl_ram_read_wait(&pm.ram[s]);
    pm.ram_id[s] = 0;
}

static void ram_wait_id(dory_dma_id_t id)
{
    int s;
    for (s = 0; s < DMA_SLOTS; s++)
        if (pm.ram_id[s] == id) ram_wait_slot(s);
}

/* A free request slot (waiting for the oldest when all are busy). */
static int ram_slot(void)
{
    int s, oldest = 0;
    for (s = 0; s < DMA_SLOTS; s++) {
        if (!pm.ram_id[s]) return s;
        if (pm.ram_id[s] < pm.ram_id[oldest]) oldest = s;
    }
    ram_wait_slot(oldest);
    return oldest;
}

static dory_dma_id_t ram_transfer(void *l2, uint32_t l3_addr, size_t bytes, int write,
                                  const char *what)
{
    int s;
    bare_l3_check(l3_addr, bytes, what);
    if (bare_level(l2, bytes) != 2)
        bare_fail(what, "L3 transfer of %lu bytes outside L2 (%lu)", bytes, bare.l2_size);
    s = ram_slot();
    pm.ram_id[s] = DORY_CL_ID_DONE + new_id(); /* above the DMA ids */
    pm.ram_write[s] = write;
    if (write)
        pi_cl_ram_write(&ram_dev, pm.l3_base + l3_addr, l2, (uint32_t)bytes, &pm.ram[s]);
    else
        pi_cl_ram_read(&ram_dev, pm.l3_base + l3_addr, l2, (uint32_t)bytes, &pm.ram[s]);
    bare_count(write ? &bare.layer_stats.l2_to_l3 : &bare.layer_stats.l3_to_l2, bytes);
    return pm.ram_id[s];
}

dory_dma_id_t dory_l3_read(void *l2_dst, uint32_t l3_addr, size_t bytes, const char *what)
{
    return ram_transfer(l2_dst, l3_addr, bytes, 0, what);
}

dory_dma_id_t dory_l3_write(uint32_t l3_addr, const void *l2_src, size_t bytes, const char *what)
{
    return ram_transfer((void *)(uintptr_t)l2_src, l3_addr, bytes, 1, what);
}

/* Synchronous copies (start-up, inputs, outputs, checks): pi_cl_ram_copy. */
static void ram_copy_sync(uint32_t l3_addr, void *buf, size_t bytes, int ext2loc)
{
    pi_cl_ram_req_t req;
    pi_cl_ram_copy(&ram_dev, pm.l3_base + l3_addr, buf, (uint32_t)bytes, ext2loc, &req);
    pi_cl_ram_copy_wait(&req);
}

void dory_l3_load(uint32_t l3_addr, const void *src, size_t bytes)
{
    bare_l3_check(l3_addr, bytes, "L3 image");
    ram_copy_sync(l3_addr, (void *)(uintptr_t)src, bytes, 0);
}

void dory_l3_peek(void *dst, uint32_t l3_addr, size_t bytes)
{
    bare_l3_check(l3_addr, bytes, "L3 peek");
    ram_copy_sync(l3_addr, dst, bytes, 1);
}

/* The readfs file holds `file` (its name without folders): copied to the RAM
 * through an L2 bounce buffer, BOUNCE_BYTES at a time. */
int dory_l3_load_file(uint32_t l3_addr, const char *file, size_t file_offset, size_t bytes)
{
    static uint8_t bounce[BOUNCE_BYTES];
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    size_t at;
    bare_l3_check(l3_addr, bytes, "L3 image file");
    if (!l3_file || strcmp(base, DORY_PMSIS_READFS_FILE)) {
        printf("dory_hal: '%s' is not in the readfs (READFS_FILES)\n", file);
        return -1;
    }
    for (at = 0; at < bytes; at += BOUNCE_BYTES) {
        size_t n = bytes - at < BOUNCE_BYTES ? bytes - at : BOUNCE_BYTES;
        pi_cl_fs_req_t req;
        pi_cl_fs_copy(l3_file, (uint32_t)(file_offset + at), bounce, (uint32_t)n, 1, &req);
        if (pi_cl_fs_wait(&req) < 0) {
            printf("dory_hal: cannot read %lu bytes at %lu of '%s'\n", (unsigned long)n,
                   (unsigned long)(file_offset + at), file);
            return -1;
        }
        ram_copy_sync(l3_addr + (uint32_t)at, bounce, n, 0);
    }
    return 0;
}
