/* test_alloc_fail.c: out-of-memory at any point is reported, never a crash.
 *
 * Every allocation of the compiler goes through util_set_alloc_hook(); this
 * test makes the k-th allocation fail, for every k, while a test graph is
 * parsed from text and verified, and checks the call fails cleanly (or
 * succeeds when k is past the last allocation). Run under the sanitizers it
 * also shows nothing leaks or touches freed memory on the error paths.
 */
#include <stdio.h>
#include <stdlib.h>

#include "graphs.h"
#include "harness.h"
#include "ir/text.h"
#include "ir/verify.h"

static long alloc_budget;

static void *failing_malloc(size_t size)
{
    if (alloc_budget-- <= 0) return NULL;
    return malloc(size);
}

TEST(alloc_failure_at_every_point_is_clean)
{
    int graphs = test_graph_count();
    for (int gi = 0; gi < graphs; gi += 3) {
        Graph *g = test_graph_build(gi, NULL);
        if (!CHECK(g != NULL)) return;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        CHECK(ir_write_text(f, g, NULL) == 0);
        fclose(f);
        graph_free(g);
        int succeeded = 0;
        for (long k = 0; k < 100000 && !succeeded; k++) {
            alloc_budget = k;
            util_set_alloc_hook(failing_malloc);
            Graph *p = ir_parse_text("oom.dory", text, len);
            int ok = p && ir_verify(p) == 0;
            util_set_alloc_hook(NULL);
            if (p && !ok) CHECK(diag_error_count() > 0);
            if (!p) CHECK(diag_error_count() > 0);
            succeeded = ok && alloc_budget >= 0;
            graph_free(p);
            diag_reset();
        }
        CHECK(succeeded);
        free(text);
    }
}
