/* fuzz_pipeline.c: libFuzzer target for the whole compiler after the
 * frontend: IR text -> verifier -> passes -> planner -> code generator.
 *
 * The input is a graph in the IR text format (src/ir/text.c). When it parses
 * and verifies, it is planned for gap8 with an L1 and L2 chosen from the
 * input's hash (small budgets, so layers tile and spill to L3), the plan must
 * pass plan_check, and the application is written to /tmp/dory_fuzz_<pid>
 * (the same folder every run: a redeploy replaces the previous app). The
 * generator's golden data comes from the reference interpreter, so graphs
 * larger than the fuzzer can run in its time limit are skipped. FUZZ_VERBOSE=1
 * in the environment prints the diagnostics (to see why inputs stop).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "fuzz_common.h"
#include "ir/text.h"
#include "passes/passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t hash(const uint8_t *d, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 16777619u;
    return h;
}

static void fill_inputs(const Graph *g, int32_t *in[DORY_MAX_INPUTS])
{
    for (int i = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        const DTypeInfo *di = dtype_info(t->dtype);
        int64_t n = tensor_numel(t);
        in[i] = calloc((size_t)(n > 0 ? n : 1), sizeof(int32_t));
        if (!in[i]) abort();
        int64_t span = di->max - di->min + 1;
        for (int64_t k = 0; k < n; k++) in[i][k] = (int32_t)(di->min + (k * 37 + i) % span);
    }
}

static char out_dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* How far the inputs got, printed at exit: a fuzzer that never reaches the
 * code generator would be fuzzing the parser only. */
static long n_inputs, n_graphs, n_planned, n_generated;

static void at_exit(void)
{
    nftw(out_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    fprintf(stderr, "fuzz_pipeline: %ld inputs, %ld verified graphs, %ld plans, %ld apps written\n",
            n_inputs, n_graphs, n_planned, n_generated);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diag_set_quiet(!getenv("FUZZ_VERBOSE"));
    if (!out_dir[0]) {
        snprintf(out_dir, sizeof out_dir, "/tmp/dory_fuzz_%ld", (long)getpid());
        atexit(at_exit);
    }
    diag_reset();
    n_inputs++;
    uint32_t h = hash(data, size);
    Graph *g = ir_parse_text("/nonexistent-dory-fuzz/input.dory", (const char *)data, size);
    PassOptions po = {.requant_fixed = (int)((h >> 5) & 1)}; /* as deploy does without an FPU */
    if (!g || graph_finalize(g) || passes_run(g, &po) || !fuzz_graph_small(g, 1 << 16)) {
        graph_free(g);
        return 0;
    }
    n_graphs++;
    static const int64_t l1s[] = {28000, 32000, 40000, 64000};
    static const int64_t l2s[] = {40000, 64000, 128000, 512000};
    TargetOverrides o = {.name = "gap8",
                         .l1 = l1s[h & 3],
                         .l2 = l2s[(h >> 2) & 3],
                         .code_reserve = 16000,
                         .cores = (h >> 4) & 1 ? 8 : 1};
    Arena a;
    arena_init(&a);
    Target t;
    int32_t *in[DORY_MAX_INPUTS] = {0};
    if (target_resolve(&o, &a, &t) == 0) {
        PlanOptions popt = {0};
        Plan *p = plan_graph(g, &t, &popt);
        if (p) fuzz_require_plan_ok(p);
        if (p && p->status == PLAN_OK && p->total_macs <= (1 << 22)) {
            n_planned++;
            fill_inputs(g, in);
            CodegenOptions co = {out_dir, CHECK_SUMS, (const int32_t *const *)in, "fuzz"};
            if (codegen_app(g, p, &co) == 0) n_generated++;
        }
        plan_free(p);
    }
    for (int i = 0; i < DORY_MAX_INPUTS; i++) free(in[i]);
    arena_free(&a);
    graph_free(g);
    return 0;
}
