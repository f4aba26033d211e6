/* bench_kernels.c: instructions per layer shape on bare-metal rv32imc under
 * QEMU (-icount shift=0; minstret) and on Cortex-M4/M7 under qemu-system-arm
 * (-icount shift=10; the HAL's exact counter, docs/CORTEX_M.md): the
 * counter is read around one single-core call of the kernel and around the
 * baseline (the kref loops: the interpreter's arithmetic, straightforward,
 * compiled the same way). Every run also checks the kernel's output against
 * the baseline, byte for byte. Then the `tflite` rows: the issue-13 shapes in
 * the TFLite quantization (int8, input zero point -128, per-channel FIXED),
 * with the Arm DSP rows on packed weights where the build has the DSP
 * extension (bench/cm_table.py makes the table). Counts are deterministic:
 * `make bench-kernels` runs twice and compares.
 */
#include <stdio.h>
#include <stdlib.h>

#include "test_kernels_case.h"

#if defined(__riscv)
static inline uint32_t instret(void)
{
    uint32_t v;
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop"
                     : "=r"(v));
    return v;
}
#define BENCH_ISA "rv32imc"
#else
#include "dory_cm.h"
static uint32_t instret(void) { return (uint32_t)dory_cm_instructions(); }
#if defined(__ARM_FEATURE_DSP) && !defined(DORY_NO_DSP)
#define BENCH_ISA "Cortex-M, DSP"
#define BENCH_DSP KC_DSP
#else
#define BENCH_ISA "Cortex-M, portable"
#endif
#endif
#ifndef BENCH_DSP
#define BENCH_DSP 0
#endif

static KCase kcase;

/* Extra rows (no target): the library's other paths on benchmark shapes. */
typedef struct {
    const char *name;
    int shape; /* index into kc_bench_shapes */
    int flags; /* kc_bench flags */
} ExtraRow;
static const ExtraRow extra_rows[] = {
    {"  same, im2col_pixels = 1", 0, KC_IM2COL1},
    {"  same, im2col_pixels = 1", 1, KC_IM2COL1},
    {"  same, int32 out (raw acc)", 6, KC_OUT_I32},
    {"  same, int32 out (raw acc)", 3, KC_OUT_I32},
};

/* One row: kernel and baseline on shape s with kc_bench flags; returns 1 on
 * a setup failure or a mismatch. */
static int row(const char *name, const KBenchShape *s, int flags, unsigned seed)
{
    KTile t;
    void *scratch;
    uint32_t t0, t1, b0, b1;
    long n;
    int rc, bad;
    if (kc_bench(&kcase, s->op, s->h, s->w, s->c, s->cout, s->k, s->s, s->pad, seed, flags) ||
        kc_tile_alloc(&kcase, &t)) {
        printf("%-32s setup failed\n", name);
        return 1;
    }
    scratch = t.scratch_bytes ? malloc((size_t)t.scratch_bytes) : NULL;
    t0 = instret();
    rc = kc_run_core(&kcase, &t, 0, 1, scratch);
    t1 = instret();
    b0 = instret();
    kc_ref(&kcase);
    b1 = instret();
    bad = rc != 0 || kc_compare(&kcase, &t, NULL, 0) != 0;
    n = kc_work(&kcase);
    printf("%-32s %6s %9ld %10lu %7.2f %11lu %7.2f %6.2f ", name, s->unit, n,
           (unsigned long)(t1 - t0), (double)(t1 - t0) / (double)n, (unsigned long)(b1 - b0),
           (double)(b1 - b0) / (double)n, (double)(b1 - b0) / (double)(t1 - t0));
    if (s->target > 0 && !flags)
        printf("%s %.1f\n", (double)(t1 - t0) / (double)n <= s->target ? "ok <=" : "OVER",
               s->target);
    else
        printf("-\n");
    if (bad) printf("  MISMATCH: kernel output differs from the baseline (rc %d)\n", rc);
    free(scratch);
    kc_tile_free(&t);
    kc_free(&kcase);
    return bad;
}

int main(void)
{
    int i, failed = 0;
#if !defined(__riscv)
    dory_cm_counter_start();
#endif
    printf("%-32s %6s %9s %10s %7s %11s %7s %6s %s\n", "shape (" BENCH_ISA ", -O3, 1 core)", "unit",
           "units", "instr", "/unit", "base instr", "/unit", "ratio", "target");
    for (i = 0; i < kc_bench_nshapes; i++)
        failed += row(kc_bench_shapes[i].name, &kc_bench_shapes[i], 0, 42u + (unsigned)i);
    for (i = 0; i < (int)(sizeof extra_rows / sizeof extra_rows[0]); i++) {
        const ExtraRow *e = &extra_rows[i];
        failed += row(e->name, &kc_bench_shapes[e->shape], e->flags, 42u + (unsigned)e->shape);
    }
    for (i = 0; i < kc_bench_nshapes; i++) { /* the TFLite quantization */
        const KBenchShape *s = &kc_bench_shapes[i];
        char name[40];
        int dsp = kc_has_dsp(s->op) ? BENCH_DSP : 0;
        if (s->op == KOP_AVGPOOL) continue;
        snprintf(name, sizeof name, "tflite %s", s->name);
        failed += row(name, s, KC_TFLITE | dsp, 42u + (unsigned)i);
    }
    for (i = 0; i < kc_bench_nshapes; i++) { /* onnxruntime's quantization, no FPU */
        static const struct {
            const char *name;
            int flag;
        } rq[4] = {{"fixed", KC_ONNX_FIXED},
                   {"float", KC_ONNX_FLOAT},
                   {"exact", KC_ONNX_EXACT},
                   {"shift64", KC_ONNX_SHIFT64}};
        const KBenchShape *s = &kc_bench_shapes[i];
        int j;
        if (s->op == KOP_AVGPOOL) continue;
        for (j = 0; j < 4; j++) {
            char name[48];
            snprintf(name, sizeof name, "onnx %s %s", rq[j].name, s->name);
            failed += row(name, s, rq[j].flag, 42u + (unsigned)i);
        }
    }
    return failed ? 1 : 0;
}
