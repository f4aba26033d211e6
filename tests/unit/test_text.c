/* test_text.c: the IR text form: printer/parser round trips on every test
 * graph (inline and with a side file), exotic names and values, graph_equal,
 * and malformed inputs (hand-written, truncations, bit flips) that must fail
 * cleanly. Must not depend on the verifier or the interpreter.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graphs.h"
#include "harness.h"
#include "ir/text.h"

/* CHECK that yields the condition, for early exits. */
#define CHECKV(cond) ((cond) ? 1 : (harness_fail(__FILE__, __LINE__, "%s", #cond), 0))

/* Prints g into a malloc'd NUL-terminated buffer; NULL on failure. */
static char *print_graph(const Graph *g, const TextWriteOptions *opt, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    int rc = ir_write_text(f, g, opt);
    fclose(f);
    if (rc) {
        free(buf);
        return NULL;
    }
    if (len) *len = n;
    return buf;
}

static Graph *parse_str(const char *s) { return ir_parse_text("test.dory", s, strlen(s)); }

/* print -> parse -> equal -> print again, byte-identical. */
static void check_round_trip(const Graph *g, const char *name)
{
    size_t len = 0, len2 = 0;
    char *text = print_graph(g, NULL, &len);
    if (!CHECKV(text != NULL)) return;
    Graph *p = ir_parse_text(name, text, len);
    if (!p) harness_fail(__FILE__, __LINE__, "graph '%s' does not parse back", name);
    char why[256];
    if (p && !graph_equal(g, p, why, sizeof why))
        harness_fail(__FILE__, __LINE__, "graph '%s' differs after round trip: %s", name, why);
    char *text2 = p ? print_graph(p, NULL, &len2) : NULL;
    if (p && (!text2 || len != len2 || memcmp(text, text2, len) != 0))
        harness_fail(__FILE__, __LINE__, "graph '%s' prints differently after parsing", name);
    free(text2);
    free(text);
    graph_free(p);
}

TEST(text_round_trip_test_graphs)
{
    CHECK(test_graph_count() >= 20);
    for (int i = 0; i < test_graph_count(); i++) {
        const char *name;
        Graph *g = test_graph_build(i, &name);
        if (!g) {
            harness_fail(__FILE__, __LINE__, "test graph %d does not build", i);
            continue;
        }
        check_round_trip(g, name);
        graph_free(g);
    }
}

/* F32INT with float_to_exact's per-channel shortcut (k, l, d) prints and
 * parses back; the graph equality sees the shortcut. */
TEST(text_round_trip_f32int_shortcut)
{
    for (int i = 0; i < test_graph_count(); i++) {
        const char *name;
        Graph *g = test_graph_build(i, &name), *h;
        if (!g || strcmp(name, "conv_f32int") != 0) {
            graph_free(g);
            continue;
        }
        Node *n = g->nodes[0];
        int64_t nch = tensor_numel(graph_tensor(g, n->rq.scale)), k[64], l[64];
        for (int64_t c = 0; c < nch && c < 64; c++) k[c] = c % 2 ? 0 : 1000 + c, l[c] = -c;
        CHECK(rq_add_f32int_shortcut(g, n, &n->rq, (int)nch, k, l, 44) == 0);
        check_round_trip(g, name);
        size_t len = 0;
        char *text = print_graph(g, NULL, &len), why[256];
        CHECK(text && strstr(text, "d=44") != NULL);
        h = text ? ir_parse_text(name, text, len) : NULL;
        CHECK(h != NULL);
        if (h) h->nodes[0]->rq.d = 45;
        CHECK(h && !graph_equal(g, h, why, sizeof why));
        free(text);
        graph_free(h);
        graph_free(g);
        return;
    }
    harness_fail(__FILE__, __LINE__, "test graph conv_f32int not found");
}

/* Every op appears in the library, and every requant scheme on conv or fc
 * (lut, element-wise only: on a requant node; the add-only schemes on an add,
 * the mul-only ones on a mul). */
TEST(text_test_graphs_cover_ops)
{
    int ops[OP_COUNT] = {0}, schemes[RQ_COUNT] = {0};
    for (int i = 0; i < test_graph_count(); i++) {
        Graph *g = test_graph_build(i, NULL);
        if (!CHECKV(g != NULL)) continue;
        for (int j = 0; j < g->nnodes; j++) {
            const Node *n = g->nodes[j];
            ops[n->op]++;
            if (n->op == OP_CONV2D || n->op == OP_FC || n->rq.scheme == RQ_LUT ||
                rq_is_qladd(n->rq.scheme) || rq_is_qlmul(n->rq.scheme))
                schemes[n->rq.scheme]++;
        }
        graph_free(g);
    }
    for (int i = 0; i < OP_COUNT; i++)
        if (!ops[i]) harness_fail(__FILE__, __LINE__, "no test graph uses %s", op_name((Op)i));
    for (int i = 1; i < RQ_COUNT; i++)
        if (!schemes[i])
            harness_fail(__FILE__, __LINE__, "no conv/fc (add) uses %s",
                         rq_scheme_name((RqScheme)i));
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    int c;
    while (m && (c = fgetc(f)) != EOF) fputc(c, m);
    if (m) fclose(m);
    fclose(f);
    *len = n;
    return buf;
}

static int write_all(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = fwrite(data, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

/* Large constants go to a side file; parse it back from disk; reprinting
 * with the same options gives the same text and the same side-file bytes. */
TEST(text_round_trip_sidecar)
{
    char dir[] = "/tmp/dory_text_XXXXXX";
    if (!CHECKV(mkdtemp(dir) != NULL)) return;
    char tpath[128], bpath[128], bpath2[128];
    snprintf(tpath, sizeof tpath, "%s/g.dory", dir);
    snprintf(bpath, sizeof bpath, "%s/g.bin", dir);
    snprintf(bpath2, sizeof bpath2, "%s/g2.bin", dir);
    TextWriteOptions opt = {4, bpath, "g.bin"};
    TextWriteOptions opt2 = {4, bpath2, "g.bin"};
    int sides = 0;
    for (int i = 0; i < test_graph_count(); i++) {
        const char *name;
        Graph *g = test_graph_build(i, &name);
        if (!CHECKV(g != NULL)) continue;
        size_t len = 0, len2 = 0, blen = 0, blen2 = 0;
        char *text = print_graph(g, &opt, &len);
        CHECK(text && write_all(tpath, text, len) == 0);
        sides += text && strstr(text, "@g.bin:") != NULL;
        Graph *p = ir_load_text(tpath);
        char why[256];
        if (!p || !graph_equal(g, p, why, sizeof why))
            harness_fail(__FILE__, __LINE__, "'%s' with side file: %s", name,
                         p ? why : "does not parse");
        char *text2 = p ? print_graph(p, &opt2, &len2) : NULL;
        char *b1 = read_all(bpath, &blen), *b2 = read_all(bpath2, &blen2);
        if (!text2 || len != len2 || memcmp(text, text2, len) != 0)
            harness_fail(__FILE__, __LINE__, "'%s' reprints differently", name);
        if ((b1 != NULL) != (b2 != NULL) || (b1 && (blen != blen2 || memcmp(b1, b2, blen))))
            harness_fail(__FILE__, __LINE__, "'%s' side files differ", name);
        free(b1), free(b2), free(text), free(text2);
        unlink(bpath), unlink(bpath2);
        graph_free(p);
        graph_free(g);
    }
    CHECK(sides > test_graph_count() / 2);
    unlink(tpath);
    rmdir(dir);
}

/* Names that need quoting, exotic constant values, all dtypes, every node
 * attribute set to a non-default value, long lists that wrap. */
static Graph *exotic_graph(void)
{
    Graph *g = graph_new("weird graph \"name\"\\");
    int64_t s4[4] = {1, 3, 4, 20}, s1[1] = {20}, s0[1] = {0};
    int x = graph_add_tensor(g, "in put#1", DT_U8, 4, s4);
    int y = graph_add_tensor(g, "", DT_U8, 4, s4);
    int tab = graph_add_tensor(g, "tab\there\nnewline\x01", DT_I8, 0, NULL);
    graph_tensor(g, x)->zp = -7;
    Tensor *xt = graph_tensor(g, x);
    xt->src_layout = SRC_CHW;
    xt->src_hwc[0] = 3, xt->src_hwc[1] = 4, xt->src_hwc[2] = 20;
    xt->src_rank = 4;
    xt->src_shape[0] = 1, xt->src_shape[1] = 20, xt->src_shape[2] = 3, xt->src_shape[3] = 4;
    graph_tensor(g, y)->src_rank = 1;
    graph_tensor(g, y)->src_shape[0] = 240;
    (void)tab;
    static const uint32_t fbits[] = {0x7fc00000u, 0x7fa00001u, 0xffc00000u, 0x7f800000u,
                                     0xff800000u, 0x80000000u, 0x00000001u, 0x007fffffu,
                                     0x7f7fffffu, 0x3f800000u, 0x3dcccccdu, 0xc2f6e979u};
    float fv[20];
    for (int i = 0; i < 20; i++) {
        uint32_t b = fbits[i % DORY_ARRAY_LEN(fbits)] ^ (i >= 12 ? (uint32_t)i : 0);
        memcpy(&fv[i], &b, 4);
    }
    int fs = graph_add_const_f32(g, "f/scale:0", 1, s1, fv);
    int64_t iv[20] = {INT64_MIN, INT64_MAX, -1, 0, 1, (int64_t)1 << 40};
    int k64 = graph_add_const(g, "k-64", DT_I64, 1, s1, iv);
    int64_t sv[1] = {3};
    int ids[8];
    for (int d = 0; d < DT_COUNT; d++) {
        char name[16];
        snprintf(name, sizeof name, "c_%s", dtype_name((DType)d));
        int id = graph_add_const(g, name, (DType)d, 1, sv, NULL);
        Tensor *t = graph_tensor(g, id);
        const DTypeInfo *di = dtype_info(t->dtype);
        if (t->dtype != DT_F32) {
            tensor_set(t, 0, di->min);
            tensor_set(t, 1, di->max);
            tensor_set(t, 2, 1);
        }
        if (d < 8) ids[d] = id;
    }
    int empty = graph_add_const(g, "empty", DT_I32, 1, s0, NULL);
    (void)empty;
    int32_t *zps = arena_alloc_array(&g->arena, 20, sizeof *zps);
    for (int i = 0; i < 20; i++) zps[i] = i * 1000 - 10000;
    graph_tensor(g, ids[0])->zps = zps;
    graph_tensor(g, ids[0])->nzps = 20;
    graph_add_input(g, x);
    int in[2] = {x, x};
    Node *n = graph_add_node(g, "weird node \"1\"", OP_ADD, 2, in, y);
    n->kernel[0] = 3, n->kernel[1] = 2;
    n->stride[0] = 2, n->stride[1] = 3;
    n->dilation[0] = 4, n->dilation[1] = 5;
    n->pad[0] = 1, n->pad[1] = 2, n->pad[2] = 3, n->pad[3] = 4;
    n->groups = 7;
    n->global = true;
    n->count_include_pad = true;
    n->avg_round = AVG_NONE;
    n->lo = -5, n->hi = 300;
    n->sm_mult = INT32_MIN, n->sm_shift = -1, n->sm_diff_min = INT32_MAX;
    n->rq = rq_none();
    n->rq.scheme = RQ_SHIFT, n->rq.k = k64, n->rq.d = 63;
    n->in_rq[0] = rq_none();
    n->in_rq[0].scheme = RQ_FIXED, n->in_rq[0].mult = ids[2], n->in_rq[0].shift = ids[2];
    n->in_rq[0].pre = 31;
    n->in_rq[1] = rq_none();
    n->in_rq[1].scheme = RQ_FLOAT, n->in_rq[1].scale = fs;
    graph_add_output(g, y);
    graph_add_output(g, ids[1]);
    if (graph_finalize(g)) {
        graph_free(g);
        return NULL;
    }
    return g;
}

TEST(text_round_trip_exotic)
{
    Graph *g = exotic_graph();
    if (!CHECKV(g != NULL)) return;
    check_round_trip(g, "exotic");
    /* and through a side file holding every constant with more than 1 value */
    char dir[] = "/tmp/dory_text_XXXXXX";
    if (CHECKV(mkdtemp(dir) != NULL)) {
        char tpath[128], bpath[128];
        snprintf(tpath, sizeof tpath, "%s/x.dory", dir);
        snprintf(bpath, sizeof bpath, "%s/side data.bin", dir);
        TextWriteOptions opt = {1, bpath, NULL};
        size_t len;
        char *text = print_graph(g, &opt, &len);
        CHECK(text && strstr(text, "@\"side data.bin\":") != NULL);
        CHECK(text && write_all(tpath, text, len) == 0);
        Graph *p = ir_load_text(tpath);
        char why[256] = "does not parse";
        if (!p || !graph_equal(g, p, why, sizeof why))
            harness_fail(__FILE__, __LINE__, "exotic graph via side file: %s", why);
        graph_free(p);
        free(text);
        unlink(tpath), unlink(bpath), rmdir(dir);
    }
    graph_free(g);
}

/* graph_equal must notice a difference in each kind of field. */
TEST(text_graph_equal_detects_differences)
{
    Graph *a = test_graph_by_name("conv_s2_asym");
    if (!CHECKV(a != NULL)) return;
    char why[256];
    for (int k = 0; k < 12; k++) {
        Graph *b = test_graph_by_name("conv_s2_asym");
        if (!CHECKV(b != NULL)) break;
        CHECK(graph_equal(a, b, why, sizeof why));
        Node *n = b->nodes[0];
        Tensor *w = b->tensors[n->in[1]];
        Tensor *x = b->tensors[n->in[0]];
        switch (k) {
        case 0: ((int8_t *)w->data)[5] ^= 1; break;
        case 1: ((int32_t *)w->zps)[3]++; break;
        case 2: x->zp++; break;
        case 3: x->src_layout = SRC_CHW; break;
        case 4: n->pad[3] = 0; break;
        case 5: n->lo = -100; break;
        case 6: n->rq.pre = 1; break;
        case 7: n->rq.shift = n->rq.mult; break;
        case 8: b->name = "other"; break;
        case 9: x->name = "x2"; break;
        case 10: b->noutputs = 0; break;
        case 11: x->dtype = DT_U8; break;
        }
        why[0] = '\0';
        if (graph_equal(a, b, why, sizeof why))
            harness_fail(__FILE__, __LINE__, "change %d not detected", k);
        else
            CHECK(why[0] != '\0');
        graph_free(b);
    }
    /* f32: -0.0 and 0.0 compare equal as floats but differ in bits */
    const float pz[1] = {0.0f}, nz[1] = {-0.0f};
    int64_t s1[1] = {1};
    Graph *p = graph_new("f"), *q = graph_new("f");
    graph_add_const_f32(p, "s", 1, s1, pz);
    graph_add_const_f32(q, "s", 1, s1, nz);
    CHECK(!graph_equal(p, q, why, sizeof why));
    graph_free(p);
    graph_free(q);
    graph_free(a);
}

/* A small valid text the malformed cases are variations of. */
static const char VALID[] = "dory-ir 1\n"
                            "graph g\n"
                            "tensor x i8 [1,2,2,3] zp=1\n"
                            "input x\n"
                            "tensor y i8 [1,2,2,3]\n"
                            "node r requant (x) -> y\n"
                            "output y\n";

TEST(text_parses_minimal)
{
    Graph *g = parse_str(VALID);
    CHECK(g != NULL);
    if (g) {
        CHECK_EQ_I64(g->ntensors, 2);
        CHECK_EQ_I64(g->nnodes, 1);
        CHECK_EQ_I64(g->tensors[0]->zp, 1);
        CHECK_EQ_I64(g->nodes[0]->lo, -128);
    }
    graph_free(g);
    /* comments, blank lines, CRLF, spaces inside lists, quoted names */
    g = parse_str("dory-ir 1 # magic\r\n\n# c\ngraph \"g\"\n  tensor \"x\" u8 [ 1 , 2, 2, 3 ]"
                  "\ninput x # in\ntensor w i8 [3,1,1,3] = {\n 1, 2,3, # c\n 4,5,6,7,8,9\n}\n"
                  "tensor y u8 [1,2,2,3]\nnode c conv2d ( x , w ) -> y clamp=0,9\noutput y\n");
    CHECK(g != NULL);
    if (g) CHECK_EQ_I64(g->nodes[0]->hi, 9);
    graph_free(g);
}

TEST(text_rejects_malformed)
{
    static const char *const bad[] = {
        "",
        "dory-ir 2\ngraph g\n",
        "dory-ir\n",
        "DORY-IR 1\n",
        "graph g\ntensor x i8 [1]\n",
        "dory-ir 1\ntensor x i8 [1]\n",                               /* no graph line */
        "dory-ir 1\ngraph g\ngraph h\n",                              /* graph twice */
        "dory-ir 1\ngraph g\ntensor x q8 [1]\ninput x\n",             /* unknown dtype */
        "dory-ir 1\ngraph g\ntensor x i8 [1,2,3,4,5]\ninput x\n",     /* rank 5 */
        "dory-ir 1\ngraph g\ntensor x i8 [1,-2]\ninput x\n",          /* negative dim */
        "dory-ir 1\ngraph g\ntensor x i8 [1099511627777]\ninput x\n", /* absurd */
        "dory-ir 1\ngraph g\ntensor x i8 [99999999999,99999999999]\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [99999999999999999999]\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [2] = {1,128}\ninput x\n", /* dtype range */
        "dory-ir 1\ngraph g\ntensor x u8 [2] = {-1,2}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i64 [1] = {9223372036854775808}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i64 [1] = {-9223372036854775809}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i32 [1] = {2147483648}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i4 [1] = {8}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x f32 [1] = {1e39}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x f32 [1] = {1.5.2}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x f32 [1] = {nan:0x-1234567}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x f32 [1] = {nan:0x3f800000}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x f32 [1] = {nan:0x7fc0}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [3] = {1,2}\ninput x\n", /* too few values */
        "dory-ir 1\ngraph g\ntensor x i8 [1] = {1,2}\ninput x\n", /* too many values */
        "dory-ir 1\ngraph g\ntensor x i8 [1000000] = {1}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [2] = {1,2\ninput x\n", /* unclosed */
        "dory-ir 1\ngraph g\ntensor x i8 [2] = {1 2}\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1] zp=3000000000\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1] zp=1 zp=2\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1] colour=red\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1] src=hwc(1,1,1)\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1] src=chw(1,1)\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ntensor x i8 [1]\ninput x\n", /* duplicate */
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput y\n",                  /* unknown tensor */
        "dory-ir 1\ngraph g\ntensor \"x i8 [1]\ninput x\n",                /* unterminated */
        "dory-ir 1\ngraph g\ntensor \"x\\q\" i8 [1]\ninput x\n",           /* bad escape */
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\nfoo x\n",           /* statement */
        "dory-ir 1\ngraph g\ntensor x i8 [1] = @nowhere.bin:0\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1] = @nowhere.bin\ninput x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1] = @/tmp:0\ninput x\n", /* a directory */
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n frobnicate (x) -> y\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x, x) -> y\n", /* arity */
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) y\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> z\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y kernel=3\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y kernel=3,3 kernel=3,3\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y stride=1,99999999999\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y avg_round=up\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y rq=shift(k=x,q=x)\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y rq=shift(k=x,k=x)\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y rq=fixed(mult=nope)\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y rq=magic(k=x)\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y rq=float(scale=x\n",
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (x) -> y\nnode n requant (x) -> y\n", /* duplicate node */
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
        "node n requant (y) -> x\n", /* finalize: not topological / writes input */
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ntensor y i8 [1]\n"
        "node n requant (x) -> y\noutput y\n", /* finalize: no input */
        "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ninput x\ninput x\ninput x\ninput x\n"
        "input x\ninput x\ninput x\ninput x\n", /* 9 inputs */
        "dory-ir 1\ngraph g\ntensor x i8 [1] extra\ninput x\n",
        "dory-ir 1\ngraph g junk\n",
    };
    for (size_t i = 0; i < DORY_ARRAY_LEN(bad); i++) {
        diag_reset();
        Graph *g = parse_str(bad[i]);
        if (g)
            harness_fail(__FILE__, __LINE__, "malformed input %zu parsed: %s", i, bad[i]);
        else if (diag_error_count() == 0)
            harness_fail(__FILE__, __LINE__, "malformed input %zu: no diagnostic", i);
        graph_free(g);
    }
    /* NUL byte, overlong line, overlong name */
    static const char nul[] = "dory-ir 1\ngraph g\0\ntensor x i8 [1]\ninput x\n";
    CHECK(ir_parse_text("nul", nul, sizeof nul - 1) == NULL);
    size_t big = 200000;
    char *s = malloc(big + 64);
    if (CHECKV(s != NULL)) {
        strcpy(s, "dory-ir 1\ngraph ");
        size_t n = strlen(s);
        memset(s + n, 'a', big);
        strcpy(s + n + big, "\ntensor x i8 [1]\ninput x\n");
        CHECK(ir_parse_text("long", s, strlen(s)) == NULL);
        s[n + 5000] = '\n'; /* a 5000-byte name on a short enough line */
        CHECK(ir_parse_text("long", s, strlen(s)) == NULL);
        free(s);
    }
    CHECK(ir_parse_text(NULL, NULL, 0) == NULL);
}

TEST(text_side_file_errors)
{
    char dir[] = "/tmp/dory_text_XXXXXX";
    if (!CHECKV(mkdtemp(dir) != NULL)) return;
    char tpath[128], bpath[128];
    snprintf(tpath, sizeof tpath, "%s/s.dory", dir);
    snprintf(bpath, sizeof bpath, "%s/s.bin", dir);
    CHECK(write_all(bpath, "\x01\x02\x03\x04\x05\x06\x07\x08\x80", 9) == 0);
    static const struct {
        const char *decl;
        int ok;
    } cases[] = {
        {"tensor w i8 [8] = @s.bin:0", 1},
        {"tensor w i32 [2] = @s.bin:1", 1},
        {"tensor w i8 [9] = @s.bin:1", 0}, /* too short */
        {"tensor w i8 [1] = @s.bin:9", 0}, /* at the end */
        {"tensor w i8 [1] = @s.bin:9223372036854775807", 0},
        {"tensor w i64 [2] = @s.bin:0", 0},
        {"tensor w i4 [1] = @s.bin:8", 0}, /* 0x80 is not an i4 */
        {"tensor w u4 [1] = @s.bin:0", 1},
        {"tensor w i8 [1] = @missing.bin:0", 0},
        {"tensor w i8 [1] = @s.bin:-1", 0},
        {"tensor w i8 [1] = @s.bin:x", 0},
        {"tensor w i8 [6] = @s.bin:0\ntensor v i8 [6] = @s.bin:0", 0}, /* reused bytes */
        {"tensor w i8 [1] = @/etc/passwd:0", 0},                       /* absolute path */
        {"tensor w i8 [1] = @../s.bin:0", 0},                          /* way up */
    };
    for (size_t i = 0; i < DORY_ARRAY_LEN(cases); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "dory-ir 1\ngraph g\ntensor x i8 [1]\ninput x\ntensor y i8 [1]\n"
                 "node r requant (x) -> y\noutput y\n%s\n",
                 cases[i].decl);
        CHECK(write_all(tpath, text, strlen(text)) == 0);
        Graph *g = ir_load_text(tpath);
        if ((g != NULL) != cases[i].ok)
            harness_fail(__FILE__, __LINE__, "side-file case %zu: %s", i,
                         g ? "parsed" : "rejected");
        if (g && i == 1) CHECK_EQ_I64(tensor_get(g->tensors[2], 0), 0x05040302);
        graph_free(g);
    }
    unlink(tpath), unlink(bpath), rmdir(dir);
}

/* Every prefix of a printed graph that cuts a line (at its end or in its
 * middle) either fails cleanly or gives a graph different from the original. */
TEST(text_truncations_fail_cleanly)
{
    for (int gi = 0; gi < test_graph_count(); gi++) {
        Graph *g = test_graph_build(gi, NULL);
        size_t len = 0;
        char *text = g ? print_graph(g, NULL, &len) : NULL;
        if (!CHECKV(text != NULL)) {
            graph_free(g);
            continue;
        }
        size_t start = 0;
        for (size_t i = 0; i < len; i++) {
            if (text[i] != '\n') continue;
            size_t cuts[2] = {i, start + (i - start) / 2};
            for (int c = 0; c < 2; c++) {
                if (cuts[c] + 1 >= len) continue; /* the whole text */
                Graph *p = ir_parse_text("trunc", text, cuts[c]);
                if (p && graph_equal(g, p, NULL, 0))
                    harness_fail(__FILE__, __LINE__, "graph %d cut at %zu parses as the whole", gi,
                                 cuts[c]);
                graph_free(p);
            }
            start = i + 1;
        }
        free(text);
        graph_free(g);
    }
}

/* Random bit flips never crash the parser (results are not checked: a flipped
 * digit is still a valid file). Run under `make asan` too. */
TEST(text_bit_flips_never_crash)
{
    uint32_t rng = 12345;
    for (int gi = 0; gi < test_graph_count(); gi++) {
        Graph *g = test_graph_build(gi, NULL);
        size_t len = 0;
        char *text = g ? print_graph(g, NULL, &len) : NULL;
        if (!CHECKV(text != NULL)) {
            graph_free(g);
            continue;
        }
        for (int k = 0; k < 200; k++) {
            size_t at = (size_t)tg_range(&rng, 0, (int64_t)len - 1);
            int bit = (int)tg_range(&rng, 0, 7);
            text[at] ^= (char)(1 << bit);
            graph_free(ir_parse_text("flip", text, len));
            text[at] ^= (char)(1 << bit);
        }
        free(text);
        graph_free(g);
    }
}

TEST(text_sniff)
{
    CHECK(ir_text_sniff((const unsigned char *)"dory-ir 1\n", 10));
    CHECK(!ir_text_sniff((const unsigned char *)"dory-irx", 8));
    CHECK(!ir_text_sniff((const unsigned char *)"dory", 4));
    CHECK(!ir_text_sniff((const unsigned char *)"\x08\x01\x12", 3));
}

/* The hand-written examples of docs/IR.md parse (run from the repo root). */
TEST(text_examples_parse)
{
    static const char *const files[] = {"tests/ir/conv_relu.dory", "tests/ir/residual.dory",
                                        "tests/ir/tiny_cnn.dory"};
    for (size_t i = 0; i < DORY_ARRAY_LEN(files); i++) {
        if (access(files[i], R_OK) != 0) {
            harness_fail(__FILE__, __LINE__, "%s not found (run from the repository root)",
                         files[i]);
            continue;
        }
        Graph *g = ir_load_text(files[i]);
        if (!g) harness_fail(__FILE__, __LINE__, "%s does not parse", files[i]);
        if (g) check_round_trip(g, files[i]);
        graph_free(g);
    }
}

/* A side file that cannot be created is an error, not a silent inline. */
TEST(text_write_errors)
{
    Graph *g = test_graph_by_name("conv3x3");
    if (!CHECKV(g != NULL)) return;
    TextWriteOptions opt = {4, "/nonexistent-dory-dir/g.bin", "g.bin"};
    FILE *f = fopen("/dev/null", "w");
    if (CHECKV(f != NULL)) {
        diag_reset();
        CHECK(ir_write_text(f, g, &opt) == -1);
        CHECK(diag_error_count() > 0);
        fclose(f);
    }
    graph_free(g);
}
