/* fuzz_onnx.c: libFuzzer target for the ONNX frontend: protobuf decoding,
 * initializer decoding and lowering of arbitrary bytes, then the IR
 * verifier on whatever graph comes out. Any crash, sanitizer report, leak or
 * hang is a bug; a diagnostic and NULL is the expected answer to garbage.
 * Built and run by `make fuzz` (mk/fuzz.mk); never part of the dory binary.
 */
#include <stddef.h>
#include <stdint.h>

#include "frontend/onnx.h"
#include "ir/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diag_set_quiet(1);
    Graph *g = onnx_load_buffer("fuzz.onnx", data, size, NULL);
    if (g) {
        if (graph_finalize(g) == 0) ir_verify(g);
        graph_free(g);
    }
    return 0;
}
