/* fuzz_target.c: libFuzzer target for target descriptions (src/plan/target.c)
 * and the planner behind them.
 *
 * The input is a JSON target description. It is parsed in memory
 * (target_parse_json), checked as `--target-file` would check it
 * (target_apply), and a fixed network, built once, is planned for it; a plan
 * the planner calls feasible must pass the independent plan_check, or the run
 * aborts. The network has every kernel kind the planner costs: convolution,
 * depthwise, pointwise, pooling, residual add and a fully connected layer.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "ir/text.h"
#include "passes/passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deterministic weights, so the fixed network is the same in every run. */
static void put_values(FILE *f, int64_t n, int lo, int hi, unsigned seed)
{
    fputc('{', f);
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        fprintf(f, "%s%d", i ? "," : "", lo + (int)((seed >> 8) % (unsigned)(hi - lo + 1)));
    }
    fputs("}\n", f);
}

/* One convolution with per-channel SHIFT requantization. */
static void put_conv(FILE *f, const char *name, const char *in, const char *out, int co, int kh,
                     int kw, int ci, int groups, int h, int w, int stride, int pad, unsigned seed)
{
    fprintf(f, "tensor %s.w i8 [%d,%d,%d,%d] = ", name, co, kh, kw, ci);
    put_values(f, (int64_t)co * kh * kw * ci, -40, 40, seed);
    fprintf(f, "tensor %s.b i32 [%d] = ", name, co);
    put_values(f, co, -500, 500, seed + 1);
    fprintf(f, "tensor %s.k i32 [%d] = ", name, co);
    put_values(f, co, 2000, 9000, seed + 2);
    fprintf(f, "tensor %s.l i32 [%d] = ", name, co);
    put_values(f, co, 0, 1 << 17, seed + 3);
    fprintf(f, "tensor %s u8 [1,%d,%d,%d]\n", out, h, w, co);
    fprintf(f,
            "node %s conv2d (%s, %s.w, %s.b) -> %s stride=%d,%d pad=%d,%d,%d,%d groups=%d "
            "rq=shift(k=%s.k,l=%s.l,d=18)\n",
            name, in, name, name, out, stride, stride, pad, pad, pad, pad, groups, name, name);
}

static Graph *fixed_network(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fputs("dory-ir 1\ngraph fuzz_net\ntensor x u8 [1,32,32,8]\ninput x\n", f);
    put_conv(f, "c1", "x", "a1", 16, 3, 3, 8, 1, 16, 16, 2, 1, 1);
    put_conv(f, "dw", "a1", "a2", 16, 3, 3, 1, 16, 16, 16, 1, 1, 11);
    put_conv(f, "pw", "a2", "a3", 16, 1, 1, 16, 1, 16, 16, 1, 0, 21);
    fputs("tensor a4 u8 [1,16,16,16]\n"
          "tensor add.k i32 [1] = {1}\ntensor add.l i32 [1] = {1}\n"
          "node add add (a3, a1) -> a4 rq=shift(k=add.k,l=add.l,d=1)\n"
          "tensor a5 u8 [1,8,8,16]\n"
          "node pool maxpool (a4) -> a5 kernel=2,2 stride=2,2 pad=0,0,0,0\n",
          f);
    fputs("tensor fc.w i8 [10,1024] = ", f);
    put_values(f, 10240, -40, 40, 31);
    fputs("tensor fc.b i32 [10] = ", f);
    put_values(f, 10, -500, 500, 32);
    fputs("tensor fc.k i32 [1] = {3000}\ntensor fc.l i32 [1] = {0}\ntensor y u8 [1,1,1,10]\n"
          "node fc fc (a5, fc.w, fc.b) -> y rq=shift(k=fc.k,l=fc.l,d=18)\n",
          f);
    fputs("output y\n", f);
    fclose(f);
    Graph *g = ir_parse_text("/nonexistent-dory-fuzz/net.dory", text, len);
    free(text);
    PassOptions po = {0};
    if (!g || graph_finalize(g) || passes_run(g, &po)) {
        fprintf(stderr, "fuzz_target: the fixed network does not compile\n");
        abort();
    }
    return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Graph *g;
    diag_set_quiet(1);
    if (!g) g = fixed_network();
    diag_reset();
    Arena a;
    arena_init(&a);
    Target t;
    TargetOverrides o = {.code_reserve = -1};
    if (target_parse_json("fuzz.json", (const char *)data, size, &a, &t) == 0 &&
        target_apply(&o, &t) == 0) {
        PlanOptions po = {0};
        Plan *p = plan_graph(g, &t, &po);
        if (p) fuzz_require_plan_ok(p);
        plan_free(p);
    }
    arena_free(&a);
    return 0;
}
