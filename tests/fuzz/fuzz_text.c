/* fuzz_text.c: libFuzzer target for the IR text parser (src/ir/text.c).
 *
 * Feeds arbitrary bytes to ir_parse_text and frees the result; a parsed graph
 * is printed back (to /dev/null) so the printer sees odd graphs too. Side-file
 * references resolve relative to a directory that does not exist, so the
 * fuzzer cannot read the disk. Must not keep state between runs.
 */
#include <stdint.h>
#include <stdio.h>

#include "ir/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    diag_set_quiet(1);
    if (!sink) sink = fopen("/dev/null", "w");
    Graph *g = ir_parse_text("/nonexistent-dory-fuzz/input.dory", (const char *)data, size);
    if (g && sink) ir_write_text(sink, g, NULL);
    graph_free(g);
    return 0;
}
