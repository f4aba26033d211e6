/* test_fold_pad.c: the IR pad op and the fold_pad pass: the interpreter
 * gives the same outputs before and after folding (pads into a conv, pads
 * merged and folded into a max pool), the folded pads' tensors are gone, the
 * text form round-trips a pad node, and pads that cannot be folded are
 * refused. Must not go through a frontend (the ONNX tests do).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ir/interp.h"
#include "ir/text.h"
#include "ir/verify.h"
#include "passes/passes.h"

static const char pad_conv[] = "dory-ir 1\ngraph padconv\n"
                               "tensor x u8 [1,3,3,2] zp=5\ninput x\n"
                               "tensor p u8 [1,5,6,2] zp=5\n"
                               "tensor w i8 [2,3,3,2] = {1,-2,3,-4,5,-6,7,-8,9,-9,8,-7,6,-5,4,-3,"
                               "2,-1,0,1,0,-1,0,1,0,-1,0,12,-12,10,-10,8,-8,6,-6,4}\n"
                               "tensor y i32 [1,3,4,2]\n"
                               "node pad pad (x) -> p pad=1,1,1,2 value=%d\n"
                               "node conv conv2d (p, w) -> y kernel=3,3\n"
                               "output y\n";

static const char pad_pool[] = "dory-ir 1\ngraph padpool\n"
                               "tensor x u8 [1,4,4,3]\ninput x\n"
                               "tensor a u8 [1,4,4,3]\n"
                               "tensor p1 u8 [1,4,5,3]\n"
                               "tensor p2 u8 [1,5,5,3]\n"
                               "tensor y u8 [1,4,4,3]\n"
                               "node r requant (x) -> a clamp=3,255\n"
                               "node pa pad (a) -> p1 pad=0,1,0,0 value=2\n"
                               "node pb pad (p1) -> p2 pad=1,0,0,0 value=2\n"
                               "node pool maxpool (p2) -> y kernel=2,2\n"
                               "output y\n";

static Graph *parse(const char *fmt, int value)
{
    char text[2048];
    snprintf(text, sizeof text, fmt, value);
    Graph *g = ir_parse_text("fold_pad.dory", text, strlen(text));
    if (g && ir_verify(g)) graph_free(g), g = NULL;
    return g;
}

/* Runs g on a fixed input; returns the first output (malloc'ed) or NULL. */
static int32_t *run(const Graph *g, int64_t *n)
{
    const Tensor *x = graph_tensor(g, g->inputs[0]), *y = graph_tensor(g, g->outputs[0]);
    int32_t *in = malloc((size_t)tensor_numel(x) * sizeof(int32_t));
    int32_t *out = malloc((size_t)tensor_numel(y) * sizeof(int32_t));
    if (!in || !out) return free(in), free(out), NULL;
    for (int64_t i = 0; i < tensor_numel(x); i++) in[i] = (int32_t)((i * 37 + 11) % 256);
    const int32_t *ins[1] = {in};
    InterpState s = {0};
    int rc = interp_run(g, ins, &s, NULL, NULL);
    if (!rc) memcpy(out, s.values[y->id], (size_t)tensor_numel(y) * sizeof(int32_t));
    interp_free(&s);
    free(in);
    *n = tensor_numel(y);
    return rc ? free(out), NULL : out;
}

static int fold(Graph *g) { return pass_fold_pad(g) || graph_finalize(g) || ir_verify(g); }

static void check_same_after_fold(const char *fmt, int value, const int *want_pad)
{
    Graph *g = parse(fmt, value);
    if (!CHECK(g)) return;
    int64_t n0, n1;
    int32_t *before = run(g, &n0);
    int ntensors = g->ntensors;
    if (CHECK(before) && CHECK(!fold(g))) {
        const Node *last = g->nodes[g->nnodes - 1];
        for (int i = 0; i < g->nnodes; i++) CHECK(g->nodes[i]->op != OP_PAD);
        for (int i = 0; i < 4; i++) CHECK_EQ_I64(last->pad[i], want_pad[i]);
        CHECK(g->ntensors < ntensors && graph_find_tensor(g, "p2") < 0);
        int32_t *after = run(g, &n1);
        if (CHECK(after) && CHECK(n0 == n1))
            CHECK(memcmp(before, after, (size_t)n0 * sizeof(int32_t)) == 0);
        free(after);
    }
    free(before);
    graph_free(g);
}

TEST(fold_pad_into_conv_keeps_results)
{
    const int want[4] = {1, 1, 1, 2};
    check_same_after_fold(pad_conv, 5, want);
}

TEST(fold_pad_merges_pads_into_maxpool)
{
    const int want[4] = {1, 1, 0, 0};
    check_same_after_fold(pad_pool, 0, want);
}

TEST(fold_pad_text_round_trip)
{
    Graph *g = parse(pad_conv, 5);
    if (!CHECK(g)) return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (CHECK(f)) {
        ir_write_text(f, g, NULL);
        fclose(f);
        CHECK(strstr(buf, "pad=1,1,1,2 value=5") != NULL);
        Graph *h = ir_parse_text("again", buf, len);
        char why[256] = "";
        if (CHECK(h)) CHECK(graph_equal(g, h, why, sizeof why));
        graph_free(h);
    }
    free(buf);
    graph_free(g);
}

TEST(fold_pad_refuses_what_it_cannot_fold)
{
    Graph *g = parse(pad_conv, 4); /* not the zero point 5 */
    if (CHECK(g)) CHECK(pass_fold_pad(g) != 0);
    graph_free(g);
    char text[sizeof pad_pool + 8];
    snprintf(text, sizeof text, "%s", pad_pool);
    memcpy(strstr(text, "value=2\nnode pb") + 6, "4", 1); /* value 4 can win over 3 */
    g = ir_parse_text("t", text, strlen(text));
    if (CHECK(g)) CHECK(pass_fold_pad(g) != 0);
    graph_free(g);
    memcpy(strstr(text, "value=4\nnode pb") + 6, "1", 1); /* two pads, values 1 and 2 */
    g = ir_parse_text("t", text, strlen(text));
    if (CHECK(g)) CHECK(pass_fold_pad(g) != 0);
    graph_free(g);
    static const char to_out[] = "dory-ir 1\ngraph o\ntensor x u8 [1,2,2,1]\ninput x\n"
                                 "tensor p u8 [1,3,2,1]\nnode pad pad (x) -> p pad=1,0,0,0\n"
                                 "output p\n";
    g = ir_parse_text("t", to_out, sizeof to_out - 1);
    if (CHECK(g)) CHECK(pass_fold_pad(g) != 0);
    graph_free(g);
}

/* An unfolded pad computes what it says (the interpreter is the reference
 * even for graphs the passes would refuse). */
TEST(fold_pad_interp_semantics)
{
    static const char t[] = "dory-ir 1\ngraph o\ntensor x u8 [1,1,2,2]\ninput x\n"
                            "tensor p u8 [1,2,4,2]\nnode pad pad (x) -> p pad=1,1,0,1 value=9\n"
                            "output p\n";
    Graph *g = ir_parse_text("t", t, sizeof t - 1);
    int64_t n;
    int32_t *y = g && !ir_verify(g) ? run(g, &n) : NULL;
    if (CHECK(y)) { /* input i*37+11 mod 256: 11, 48, 85, 122 */
        static const int32_t want[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 11, 48, 85, 122, 9, 9};
        CHECK(n == 16 && memcmp(y, want, sizeof want) == 0);
    }
    free(y);
    graph_free(g);
}
