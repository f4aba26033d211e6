/* dory_hal_riscv.c: the HAL on bare-metal RV32 (one hart), as run under
 * `qemu-system-riscv32 -M virt -icount shift=0` with picolibc and
 * semihosting. It exists to run generated applications on a real RISC-V
 * instruction set and count what they execute: dory_cycles() reads the
 * retired-instruction counter (minstret), which repeats exactly run to run.
 *
 * L1, L2 and L3 are arenas of the target's sizes, allocated once at init;
 * every transfer is checked to stay inside them. A DMA is a copy done when it
 * is issued (there is no DMA engine to overlap with); the strict checks of
 * asynchronous transfers live in the host HAL. The cluster is this one hart:
 * dory_num_cores() is 1, and the kernels give identical results for any core
 * count. C99 + picolibc; no allocation after dory_hal_init().
 */
#include "../dory_hal_bare.h"

int dory_hal_init(const dory_hal_config_t *cfg)
{
    bare_setup(cfg);
    bare.l1 = malloc(bare.l1_size ? bare.l1_size : 1);
    bare.l2 = malloc(bare.l2_size ? bare.l2_size : 1);
    bare.l3 = malloc(bare.l3_size ? bare.l3_size : 1);
    if (!bare.l1 || !bare.l2 || !bare.l3) {
        printf("dory_hal: cannot allocate the memory arenas\n");
        return -1;
    }
    bare.next_id = 1;
    return 0;
}

void dory_hal_deinit(void)
{
    free(bare.l1);
    free(bare.l2);
    free(bare.l3);
    memset(&bare, 0, sizeof bare);
}

dory_dma_id_t dory_dma_copy_3d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t planes, size_t dst_stride, size_t src_stride,
                               size_t dst_pstride, size_t src_pstride, const char *what)
{
    int dl, sl;
    bare_check_3d(dst, src, row_bytes, rows, planes, dst_stride, src_stride, dst_pstride,
                  src_pstride, what, &dl, &sl);
    return bare_copy_3d(dst, src, row_bytes, rows, planes, dst_stride, src_stride, dst_pstride,
                        src_pstride, dl, sl);
}

void dory_dma_wait(dory_dma_id_t id) { (void)id; }

int dory_core_id(void) { return 0; }
int dory_num_cores(void) { return 1; }
void dory_cluster_run(void (*fn)(void *arg), void *arg) { fn(arg); }
void dory_barrier(void) {}

uint64_t dory_cycles(void)
{
    uint32_t lo, hi, again;
    do {
        __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstreth\n.option pop"
                         : "=r"(hi));
        __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop"
                         : "=r"(lo));
        __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstreth\n.option pop"
                         : "=r"(again));
    } while (hi != again);
    return (uint64_t)hi << 32 | lo;
}

const char *dory_cycles_unit(void) { return "instr"; }
