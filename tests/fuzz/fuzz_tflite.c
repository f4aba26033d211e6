/* fuzz_tflite.c: libFuzzer target for the TFLite frontend: the bounds-checked
 * FlatBuffers reader, the schema decoding and the lowering of arbitrary
 * bytes in both arithmetics, then the IR verifier and the interpreter on
 * whatever graph comes out. Any crash, sanitizer report, leak or hang is a
 * bug; a diagnostic and NULL is the expected answer to garbage. Built and
 * run by `make fuzz` (mk/fuzz.mk); never part of the dory binary.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "frontend/tflite.h"
#include "ir/interp.h"
#include "ir/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The interpreter on a zero input, when the graph is small enough to be
 * quick: verified graphs must run without tripping an assert. */
static void run_small(const Graph *g)
{
    int64_t total = 0;
    for (int i = 0; i < g->nnodes; i++) total += node_macs(g, g->nodes[i]);
    if (total > 2000000 || g->ninputs != 1) return;
    const Tensor *t = graph_tensor(g, g->inputs[0]);
    int32_t *x = calloc((size_t)tensor_numel(t) + 1, sizeof(int32_t));
    if (!x) return;
    for (int64_t i = 0; i < tensor_numel(t); i++) x[i] = t->zp;
    const int32_t *ins[1] = {x};
    InterpState s = {0};
    interp_run(g, ins, &s, NULL, NULL);
    interp_free(&s);
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diag_set_quiet(1);
    FrontendOptions opt = {0};
    opt.tflite_arith = size && (data[size - 1] & 1) ? "litert" : "tflm";
    Graph *g = tflite_load_buffer("fuzz.tflite", data, size, &opt);
    if (g) {
        if (ir_verify(g) == 0) run_small(g);
        graph_free(g);
    }
    return 0;
}
