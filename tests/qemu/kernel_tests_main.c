/* kernel_tests_main.c: the kernel tests on bare-metal rv32imc and Cortex-M4
 * (mk/cortex_m.mk, with the Arm DSP path) under QEMU:
 * random cases of every kernel (tests/unit/test_kernels_case.c) against the
 * portable kref loops, which the host unit tests check bit-exactly against
 * the reference interpreter; int32 outputs; layers computed in input-channel
 * slices (DORY_ACC_FIRST/NEXT + dory_requant_s32); the cases of the fused
 * RV32 core (which must be called, on RV32 only); then the benchmark's layer
 * shapes (u8 and i8, which take the fast paths). Prints one line per kernel and ends with
 * "N passed, M failed"; exits non-zero on any failure.
 */
#include <stdio.h>

#include "dory_internal.h"
#include "test_kernels_case.h"

#if DORY__MM_RV32
/* Calls of the fused RV32 core (linked with --wrap=dory__mm4x4_rv32): the
 * KC_FUSED cases must have gone through it. */
static long fused_calls;
void __real_dory__mm4x4_rv32(const dory__mm_rv32_t *a);
void __wrap_dory__mm4x4_rv32(const dory__mm_rv32_t *a);
void __wrap_dory__mm4x4_rv32(const dory__mm_rv32_t *a)
{
    fused_calls++;
    __real_dory__mm4x4_rv32(a);
}
#endif

#ifdef DORY_MM_XPULP_C
extern long dory__mm_xpf_calls, dory__mm_xpf64_calls; /* the fused Xpulp core's portable form */
#endif

#ifdef KC_PULP_CLUSTER
/* On pulp-open (make test-pulp-kernels): each core's share on its own
 * cluster core, so the shares of cores 1..7 run on the 1 kB worker stacks
 * (runtime/pulp checks them after every fork); cores beyond the case's
 * count wait at the join. */
#include <string.h>

#include "dory_hal.h"

static struct {
    const KCase *k;
    KTile *t;
    uint8_t *scratch;
    int cores, *rc;
} share;

static void on_core(void *arg)
{
    int c = dory_core_id();
    (void)arg;
    if (c < share.cores)
        share.rc[c] = kc_run_core(share.k, share.t, c, share.cores,
                                  share.scratch + (long)c * share.t->scratch_bytes);
}

static void run_on_cluster(const KCase *k, KTile *t, int num_cores, uint8_t *scratch, int *rc)
{
    share.k = k, share.t = t, share.scratch = scratch, share.cores = num_cores, share.rc = rc;
    dory_cluster_run(on_core, NULL);
}

static int cluster_init(void)
{
    dory_hal_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.l1_bytes = 4, cfg.l2_bytes = 4, cfg.num_cores = KC_MAX_CORES;
    if (dory_hal_init(&cfg)) return -1;
    kc_run_cores = run_on_cluster;
    return 0;
}
#endif

enum { CASES = 60 };

static KCase kcase; /* large: keep it off the small bare-metal stack */

/* CASES random cases of op (flags: kc_random_ex), cores 1, 3, 8, whole or
 * sliced; prints one line; adds to the counts. */
static void run_op(kop_t op, int flags, int sliced, int *passed, int *failed)
{
    static const int cores[3] = {1, 3, 8};
    int op_failed = 0, made = 0, i, j;
    for (i = 0; i < CASES; i++) {
        char msg[300];
        int bad = 0;
        if (kc_random_ex(&kcase, op, 500u + (unsigned)op + 100u * (unsigned)(flags + 2 * sliced), i,
                         flags))
            continue;
        made++;
        for (j = 0; j < 3 && !bad; j++) {
            bad = sliced ? kc_check_sliced(&kcase, 2 + (i + j) % 2, cores[j], (i + j) % 2, msg,
                                           sizeof msg)
                         : kc_check(&kcase, cores[j], msg, sizeof msg);
            if (bad) printf("FAIL %s case %d, %d cores: %s\n", kc_op_name(op), i, cores[j], msg);
        }
        if (bad)
            (*failed)++, op_failed++;
        else
            (*passed)++;
        kc_free(&kcase);
    }
    printf("%s %s%s%s%s%s%s%s: %d cases x cores 1,3,8\n", op_failed ? "FAIL" : "ok  ",
           kc_op_name(op), flags & KC_FIRST ? " (first layers: 1 to 3 channels)" : "",
           flags & KC_OUT_I32 ? " (int32 out)" : "", flags & KC_IM2COL1 ? " (1-pixel im2col)" : "",
           flags & KC_FUSED     ? " (fused core)"
           : flags & KC_PLANES  ? " (4-channel planes)"
           : flags & KC_ADD_PC  ? " (per-channel SHIFT32)"
           : flags & KC_ADD_XP  ? " (the Xpulp add's forms)"
           : flags & KC_SHIFT64 ? " (SHIFT64)"
                                : "",
           flags & KC_S64 ? " (SHIFT64)" : "", sliced ? " (input-channel slices)" : "", made);
    if (flags & KC_DSP) printf("     (the Arm DSP row)\n");
    if (!made) (*failed)++;
}

int main(void)
{
    static const int cores[3] = {1, 3, 8};
    int passed = 0, failed = 0, bench_failed = 0, op, i, j;
#ifdef KC_PULP_CLUSTER
    if (cluster_init()) return 2;
#endif
    for (op = 0; op < KOP_COUNT; op++) run_op((kop_t)op, 0, 0, &passed, &failed);
    for (op = 0; op < KOP_COUNT; op++)
        if (op != KOP_MAXPOOL && op != KOP_AVGPOOL && op != KOP_ADD)
            run_op((kop_t)op, KC_OUT_I32, 0, &passed, &failed);
    run_op(KOP_CONV, 0, 1, &passed, &failed);
    run_op(KOP_PW, 0, 1, &passed, &failed);
    run_op(KOP_FC, 0, 1, &passed, &failed);
    run_op(KOP_CONV, KC_OUT_I32, 1, &passed, &failed);
    run_op(KOP_FC, KC_OUT_I32, 1, &passed, &failed);
    run_op(KOP_CONV, KC_SHIFT64, 1, &passed, &failed); /* dory_requant_s32's SHIFT64 path */
    run_op(KOP_PW, KC_SHIFT64, 1, &passed, &failed);
    run_op(KOP_CONV, KC_IM2COL1, 0, &passed, &failed);
    run_op(KOP_CONV, KC_DSP, 0, &passed, &failed);
    run_op(KOP_PW, KC_DSP, 0, &passed, &failed);
    run_op(KOP_FC, KC_DSP, 0, &passed, &failed);
    run_op(KOP_FC, KC_DSP | KC_OUT_I32, 0, &passed, &failed);
    run_op(KOP_DW3, KC_DSP, 0, &passed, &failed);
    run_op(KOP_ADD, KC_DSP, 0, &passed, &failed);
    run_op(KOP_ADD, KC_ADD_PC, 0, &passed, &failed);
    run_op(KOP_ADD, KC_ADD_XP, 0, &passed, &failed);
    run_op(KOP_CONV, KC_IM2COL1 | KC_OUT_I32, 1, &passed, &failed);
    run_op(KOP_DW3, KC_PLANES, 0, &passed, &failed);
    run_op(KOP_DW3, KC_PLANES | KC_S64, 0, &passed, &failed);
    run_op(KOP_DW3, KC_S64, 0, &passed, &failed);
    run_op(KOP_DW, KC_S64, 0, &passed, &failed);
    {
#ifdef DORY_MM_XPULP_C
        long before = dory__mm_xpf64_calls;
#endif
        run_op(KOP_PW, KC_SHIFT64, 0, &passed, &failed);
        run_op(KOP_CONV, KC_SHIFT64, 0, &passed, &failed);
        run_op(KOP_CONV, KC_SHIFT64 | KC_IM2COL1, 0, &passed, &failed);
#ifdef DORY_MM_XPULP_C
        printf("%s fused Xpulp core, SHIFT64: %ld calls\n",
               dory__mm_xpf64_calls > before ? "ok  " : "FAIL", dory__mm_xpf64_calls - before);
        if (dory__mm_xpf64_calls == before) failed++;
#endif
    }
    run_op(KOP_CONV, KC_FIRST, 0, &passed, &failed);
    run_op(KOP_CONV, KC_FIRST | KC_OUT_I32, 0, &passed, &failed);
    {
        /* first layers (K = 9 .. 27 padded to a multiple of 4) in the fused
         * cores' SHIFT32 and SHIFT64 forms: the fused Xpulp core takes them */
#ifdef DORY_MM_XPULP_C
        long before = dory__mm_xpf_calls + dory__mm_xpf64_calls;
#endif
        run_op(KOP_CONV, KC_FIRST | KC_FUSED, 0, &passed, &failed);
        run_op(KOP_CONV, KC_FIRST | KC_SHIFT64, 0, &passed, &failed);
#ifdef DORY_MM_XPULP_C
        before = dory__mm_xpf_calls + dory__mm_xpf64_calls - before;
        printf("%s fused Xpulp core, first layers: %ld calls\n", before > 0 ? "ok  " : "FAIL",
               before);
        if (before == 0) failed++;
#endif
    }
#if DORY__MM_RV32
    {
        long before = fused_calls;
        run_op(KOP_PW, KC_FUSED, 0, &passed, &failed);
        run_op(KOP_CONV, KC_FUSED, 0, &passed, &failed);
        printf("%s fused RV32 core: %ld calls\n", fused_calls > before ? "ok  " : "FAIL",
               fused_calls - before);
        if (fused_calls == before) failed++;
    }
#endif
#ifdef DORY_MM_XPULP_C
    {
        long before = dory__mm_xpf_calls;
        run_op(KOP_PW, KC_FUSED, 0, &passed, &failed);
        run_op(KOP_CONV, KC_FUSED, 0, &passed, &failed);
        printf("%s fused Xpulp core: %ld calls\n", dory__mm_xpf_calls > before ? "ok  " : "FAIL",
               dory__mm_xpf_calls - before);
        if (dory__mm_xpf_calls == before) failed++;
    }
#elif DORY__MM_XPULP
    run_op(KOP_PW, KC_FUSED, 0, &passed, &failed); /* on GVSoC: the assembly */
    run_op(KOP_CONV, KC_FUSED, 0, &passed, &failed);
#endif
    /* the benchmark shapes (the fast paths): u8, i8, and the TFLite
     * quantization (FIXED, with the DSP rows where the op has one) */
    for (i = 0; i < 3 * kc_bench_nshapes; i++) {
        const KBenchShape *s = &kc_bench_shapes[i / 3];
        static const char *const kind[3] = {"u8", "i8", "tflite"};
        int dsp = kc_has_dsp(s->op) ? KC_DSP : 0;
        int flags = i % 3 == 0 ? 0 : i % 3 == 1 ? KC_I8 : KC_TFLITE | dsp;
        char msg[300];
        int bad = 0;
        if (kc_bench(&kcase, s->op, s->h, s->w, s->c, s->cout, s->k, s->s, s->pad, 7u + (unsigned)i,
                     flags)) {
            printf("FAIL %s: setup\n", s->name);
            bench_failed++;
            continue;
        }
        kc_ref(&kcase);
        for (j = 0; j < 3 && !bad; j++) {
            bad = kc_check(&kcase, cores[j], msg, sizeof msg);
            if (bad) printf("FAIL %s (%s), %d cores: %s\n", s->name, kind[i % 3], cores[j], msg);
        }
        if (bad) {
            bench_failed++;
        } else {
            printf("ok   %s (%s): cores 1,3,8\n", s->name, kind[i % 3]);
            passed++;
        }
        kc_free(&kcase);
    }
    printf("%s benchmark shapes: %d layers x u8/i8/tflite x cores 1,3,8, %d failed\n",
           bench_failed ? "FAIL" : "ok  ", kc_bench_nshapes, bench_failed);
    failed += bench_failed;
    /* conv2d's work split on small and odd outputs: cores 1..8 */
    bench_failed = 0;
    for (i = 0; i < kc_split_nshapes * KC_SPLIT_NFLAGS; i++) {
        const KBenchShape *s = &kc_split_shapes[i / KC_SPLIT_NFLAGS];
        int flags = kc_split_flags[i % KC_SPLIT_NFLAGS];
        char msg[300];
        int bad = 0;
        if (kc_bench(&kcase, s->op, s->h, s->w, s->c, s->cout, s->k, s->s, s->pad,
                     90u + (unsigned)i, flags)) {
            printf("FAIL %s: setup\n", s->name);
            bench_failed++;
            continue;
        }
        kc_ref(&kcase);
        for (j = 1; j <= 8 && !bad; j++) {
            bad = kc_check(&kcase, j, msg, sizeof msg);
            if (bad) printf("FAIL %s (flags %d), %d cores: %s\n", s->name, flags, j, msg);
        }
        if (bad)
            bench_failed++;
        else
            passed++;
        kc_free(&kcase);
    }
    printf("%s small outputs (conv2d's split): %d shapes x %d quantizations x cores 1..8, %d "
           "failed\n",
           bench_failed ? "FAIL" : "ok  ", kc_split_nshapes, KC_SPLIT_NFLAGS, bench_failed);
    failed += bench_failed;
    printf("%d passed, %d failed\n", passed, failed);
#ifdef KC_PULP_CLUSTER
    dory_hal_deinit(); /* the stacks' check and use */
#endif
    return failed || passed == 0 ? 1 : 0;
}
