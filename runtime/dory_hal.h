/* dory_hal.h: everything generated code may call, and nothing else.
 *
 * One implementation per target (dory_hal_host.c for a PC; RISC-V bare metal,
 * PMSIS and Cortex-M follow). Generated code never calls a target's SDK
 * directly. C99; no allocation after dory_hal_init().
 *
 * Memory model: L1 and L2 are scratchpads with fixed sizes; L3 is addressed by
 * byte offsets (uint32_t), never by pointers. DMA transfers are asynchronous:
 * a transfer returns an id, and its destination may be read (and its source
 * overwritten) only after dory_dma_wait() on that id. The host implementation
 * enforces that contract: transfers complete only at wait, destinations are
 * poisoned while in flight, sources are checked unchanged at wait, and every
 * transfer must stay inside its arenas; a violation stops the program with a
 * message naming the layer and the transfer.
 */
#ifndef DORY_HAL_H
#define DORY_HAL_H

#include <stddef.h>
#include <stdint.h>

/* ---- Setup ---------------------------------------------------------------- */

typedef struct dory_hal_config {
    size_t l1_bytes; /* L1 arena size (bytes) */
    size_t l2_bytes; /* L2 arena size (bytes) */
    size_t l3_bytes; /* L3 arena size (bytes); 0 if the target has no L3 */
    int num_cores;   /* cores of the cluster, 1..32 */
    int poison;      /* host: poison in-flight destinations (default on) */
    /* Constants the application image holds in L2 (the resident weights),
     * read where they are: a valid DMA source in L2, never a destination. */
    const void *l2_image;
    size_t l2_image_bytes;
} dory_hal_config_t;

/* Returns 0, or -1 (with a message) if the arenas cannot be created. Nothing
 * in the HAL exits the program, except the host HAL's checks of the DMA
 * contract (a violation is a bug in generated code, reported where it is). */
int dory_hal_init(const dory_hal_config_t *cfg);
void dory_hal_deinit(void);

/* Base and size of the scratchpads. Generated code places buffers at literal
 * offsets from these bases. */
uint8_t *dory_l1_base(void);
uint8_t *dory_l2_base(void);
size_t dory_l1_size(void);
size_t dory_l2_size(void);
size_t dory_l3_size(void);

/* Names the layer now running, for messages and per-layer counters. */
void dory_hal_set_layer(const char *name);

/* ---- DMA between L2 and L1 ------------------------------------------------- */

/* A transfer's id. Ids are never 0: the runtime keeps 0 for "nothing in
 * flight". A HAL whose engine numbers transfers from 0 must map them. */
typedef int dory_dma_id_t;

/* Copies `bytes` from src to dst. Both ranges must lie inside L1 or L2 (one
 * of each, or both in the same level for local moves). `what` labels the
 * transfer in messages (e.g. "x tile"). */
dory_dma_id_t dory_dma_copy_1d(void *dst, const void *src, size_t bytes, const char *what);
/* `rows` rows of `row_bytes`, rows `dst_stride` / `src_stride` bytes apart. */
dory_dma_id_t dory_dma_copy_2d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t dst_stride, size_t src_stride, const char *what);
/* `planes` 2-D copies, planes `dst_pstride` / `src_pstride` bytes apart. */
dory_dma_id_t dory_dma_copy_3d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t planes, size_t dst_stride, size_t src_stride,
                               size_t dst_pstride, size_t src_pstride, const char *what);
void dory_dma_wait(dory_dma_id_t id);

/* Copies `bytes` of constants at src (L2 or the image) to dst in the
 * calling core's own memory (its stack), and returns when they are there:
 * how the executor reads a layer's descriptor. Where the core reads L2
 * slowly and a DMA engine reaches its stack (the PULP cluster: ~15 cycles
 * a word, the stacks in L1), through the DMA; elsewhere a memcpy. Not a
 * transfer: neither checked against the arenas nor counted. */
void dory_fetch_local(void *dst, const void *src, size_t bytes);

/* ---- L3 (off-chip) <-> L2 ------------------------------------------------- */

dory_dma_id_t dory_l3_read(void *l2_dst, uint32_t l3_addr, size_t bytes, const char *what);
dory_dma_id_t dory_l3_write(uint32_t l3_addr, const void *l2_src, size_t bytes, const char *what);
/* Writing L3 synchronously from any memory (the network's input, at the
 * start of a run). */
void dory_l3_load(uint32_t l3_addr, const void *src, size_t bytes);
/* Reading L3 synchronously into any memory (the network's output at the end
 * of a run, checks); never on a layer's critical path. */
void dory_l3_peek(void *dst, uint32_t l3_addr, size_t bytes);
/* Loads `bytes` of the image file `file` from `file_offset` on into L3 at
 * l3_addr, synchronously, at start-up: how L3-resident weights get to L3.
 * Where the file lives is the HAL's business (the host and QEMU HALs: a file
 * relative to the working directory; a chip: its flash file system). Returns
 * 0, or -1 (with a message) if the file cannot be read whole. */
int dory_l3_load_file(uint32_t l3_addr, const char *file, size_t file_offset, size_t bytes);

/* ---- Cores ---------------------------------------------------------------- */

int dory_core_id(void);
int dory_num_cores(void);
/* Runs fn(arg) on every core of the cluster and returns when all are done. */
void dory_cluster_run(void (*fn)(void *arg), void *arg);
/* All cores of the running cluster wait for each other. */
void dory_barrier(void);

/* ---- Measurement ---------------------------------------------------------- */

/* A monotonic counter: cycles on chips, retired instructions under QEMU,
 * nanoseconds on the host. */
uint64_t dory_cycles(void);
/* What dory_cycles() counts: "ns", "cycles" or "instr". */
const char *dory_cycles_unit(void);

typedef struct dory_dma_stats {
    uint64_t l2_to_l1, l1_to_l2, l3_to_l2, l2_to_l3, local; /* bytes */
    uint64_t transfers;
    /* dory_cycles() units spent in dory_dma_wait() (0 where a HAL does not
     * measure it: only the PULP cluster HAL's DMA runs beside the kernels) */
    uint64_t wait_cycles;
} dory_dma_stats_t;

/* Bytes moved since the last dory_hal_set_layer() (per layer) and in total. */
dory_dma_stats_t dory_dma_layer_stats(void);
dory_dma_stats_t dory_dma_total_stats(void);

#endif
