/* test_plan.c: the memory planner: targets, the exact L1 solver against brute
 * force, exact <= DORY objective, every plan checked by plan_check (which
 * shares no code with the solver), every tiling path forced by tiny budgets,
 * explained failures, and the MobileNetV1-1.0-128 acceptance on gap8. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dory_kernels.h"
#include "graphs.h"
#include "harness.h"
#include "models.h"
#include "passes/passes.h"
#include "plan/plan.h"

static Target tgt(const char *name, int64_t l1, int64_t l2)
{
    Target t;
    target_builtin(name, &t);
    if (l1) t.l1.size = l1 + t.l1_reserve;
    if (l2) t.l2.size = l2 + t.code_reserve;
    return t;
}

static PlanGeom conv_geom(int64_t h, int64_t cin, int64_t cout, int k, int s, int groups)
{
    PlanGeom g = {0};
    g.kernel = groups > 1 ? DORY_K_DWCONV : k == 1 && s == 1 ? DORY_K_CONV1X1 : DORY_K_CONV2D;
    g.kind = plan_kernel_cost(g.kernel);
    g.nin = 1;
    g.hin = g.win = h;
    g.cin[0] = g.cin_total = cin;
    g.in_elem[0] = 1;
    int pad = k / 2;
    g.ho = g.wo = conv_out_dim(h, k, s, 1, pad, pad);
    g.co = cout;
    g.out_elem = 1;
    g.kh = g.kw = k;
    g.sh = g.sw = s;
    g.dh = g.dw = 1;
    for (int i = 0; i < 4; i++) g.pad[i] = pad;
    g.coupled = groups > 1;
    g.gin = groups > 1 ? cin / groups : 1;
    g.gout = groups > 1 ? cout / groups : 1;
    g.ci_tiling = groups == 1;
    g.w_elem = 1;
    g.rq_per_ch = 12;
    g.macs = g.ho * g.wo * cout * k * k * (groups > 1 ? g.gin : cin);
    g.w_bytes = cout * k * k * (groups > 1 ? g.gin : cin);
    g.param_bytes = g.w_bytes + cout * 12;
    return g;
}

static PlanGeom fc_geom(int64_t k, int64_t cout)
{
    PlanGeom g = conv_geom(1, k, cout, 1, 1, 1);
    g.kernel = DORY_K_FC;
    g.kind = KK_FC;
    return g;
}

/* ---- targets ------------------------------------------------------------- */

TEST(plan_targets_builtin)
{
    Target t;
    for (const char *const *n = target_names(); *n; n++) {
        CHECK(target_builtin(*n, &t) == 0);
        CHECK(target_l1_budget(&t) > 0 && target_l2_budget(&t) > 0 && t.cores >= 1);
        for (int k = 0; k < KK_COUNT; k++) CHECK(t.kernel[k].mac_per_cycle > 0);
    }
    CHECK(target_builtin("gap8", &t) == 0);
    CHECK_EQ_I64(target_l1_budget(&t), 64000 - 3500 - 7 * 3400);
    CHECK_EQ_I64(t.l2.size, 512000);
    CHECK_EQ_I64(t.l3.size, 8 * 1024 * 1024);
    CHECK_EQ_I64(t.cores, 8);
    CHECK(target_builtin("gap9", &t) == 0 && t.l1.size == 128 * 1024 && t.l2.size == 1536 * 1024);
    CHECK(target_builtin("cortex-m", &t) == 0 && t.levels == 1 && t.weights_in_place);
    CHECK(target_builtin("host", &t) == 0 && t.l1.size == 64000 && t.l2.size == 512000);
    CHECK(target_builtin("nope", &t) == -1);
}

static char *write_tmp(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/dory_plan_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) n = 0;
    close(fd);
    return path;
}

TEST(plan_target_json_and_overrides)
{
    Arena a;
    arena_init(&a);
    Target t;
    char *p =
        write_tmp("{\"base\": \"gap9\", \"name\": \"mychip\", \"cores\": 4,"
                  " \"l1\": {\"size\": 50000, \"bandwidth\": 4},"
                  " \"kernels\": {\"conv\": {\"mac_per_cycle\": 9.5, \"source\": \"bench\"}}}");
    CHECK(p && target_load_json(p, &a, &t) == 0);
    CHECK(!strcmp(t.name, "mychip") && t.cores == 4 && t.l1.size == 50000);
    CHECK(t.l1.bandwidth == 4 && t.l2.size == 1536 * 1024); /* rest from gap9 */
    CHECK(t.kernel[KK_CONV].mac_per_cycle == 9.5 && !strcmp(t.kernel[KK_CONV].source, "bench"));
    if (p) unlink(p);
    const char *bad[] = {"{\"cores\": \"x\"}", "{\"kernels\": {\"convv\": {}}}", "[1, 2",
                         "{\"base\": \"nochip\"}", "{\"l1\": {\"size\": 100}}"};
    for (size_t i = 0; i < DORY_ARRAY_LEN(bad); i++) {
        p = write_tmp(bad[i]);
        TargetOverrides from_file = {.file = p, .code_reserve = -1};
        CHECK(p && target_resolve(&from_file, &a, &t) == -1);
        if (p) unlink(p);
    }
    CHECK(target_load_json("/nonexistent/target.json", &a, &t) == -1);
    TargetOverrides o = {"gap8", NULL, 40000, 300000, 0, 1000, 2};
    CHECK(target_resolve(&o, &a, &t) == 0);
    CHECK(t.l1.size == 40000 && t.l2.size == 300000 && t.code_reserve == 1000 && t.cores == 2);
    TargetOverrides tiny = {"gap8", NULL, 1000, 0, 0, -1, 0};
    CHECK(target_resolve(&tiny, &a, &t) == -1); /* stacks take all of L1 */
    arena_free(&a);
}

/* ---- the exact solver against brute force -------------------------------- */

static void brute_compare(const PlanGeom *g, const Target *t, const char *what)
{
    Arena a;
    arena_init(&a);
    L1Plan ex, br;
    const char *why;
    int rex = tile_l1_solve(g, t, OBJ_EXACT, &ex, &a, &why);
    int rbr = tile_l1_brute(g, t, &br);
    CHECK_EQ_I64(rex, rbr);
    if (rex == 0 && rbr == 0 && fabs(ex.cost.total - br.cost.total) > 1e-6 * br.cost.total) {
        harness_fail(__FILE__, __LINE__,
                     "%s, L1 %lld: solver %.1f cycles (co %lld ho %lld wo %lld ci %lld), brute "
                     "force %.1f (co %lld ho %lld wo %lld ci %lld)",
                     what, (long long)target_l1_budget(t), ex.cost.total,
                     (long long)ex.d[TD_CO].tile, (long long)ex.d[TD_HO].tile,
                     (long long)ex.d[TD_WO].tile, (long long)ex.d[TD_CI].tile, br.cost.total,
                     (long long)br.d[TD_CO].tile, (long long)br.d[TD_HO].tile,
                     (long long)br.d[TD_WO].tile, (long long)br.d[TD_CI].tile);
    }
    arena_free(&a);
}

TEST(plan_exact_matches_brute_force)
{
    PlanGeom gs[] = {conv_geom(8, 8, 8, 3, 1, 1),
                     conv_geom(9, 6, 10, 3, 2, 1),
                     conv_geom(8, 16, 12, 1, 1, 1),
                     conv_geom(10, 12, 12, 3, 1, 12),
                     conv_geom(12, 8, 8, 3, 2, 8),
                     fc_geom(96, 20),
                     fc_geom(40, 7),
                     conv_geom(16, 4, 24, 3, 1, 1),
                     conv_geom(20, 3, 20, 3, 2, 1),
                     conv_geom(16, 40, 40, 3, 1, 40),
                     conv_geom(12, 20, 36, 1, 1, 1),
                     fc_geom(200, 30),
                     conv_geom(20, 3, 8, 3, 1, 1),
                     conv_geom(6, 40, 40, 3, 1, 40)};
    const char *names[] = {"conv3x3",
                           "conv3x3 s2",
                           "pointwise",
                           "depthwise",
                           "depthwise s2",
                           "fc 96",
                           "fc 40",
                           "conv 16x16x4->24",
                           "conv s2 20x20x3->20",
                           "depthwise 16x16x40",
                           "pointwise 12x12x20->36",
                           "fc 200",
                           "conv 20x20x3->8",
                           "depthwise 6x6x40"};
    /* budgets from "everything fits" down to "nothing fits", 12% apart */
    int64_t budgets[48];
    budgets[0] = 1 << 20;
    for (size_t b = 1; b < DORY_ARRAY_LEN(budgets); b++) budgets[b] = 100 * pow(1.12, (double)b);
    const char *targets[] = {"gap8", "gap9"};
    for (size_t i = 0; i < DORY_ARRAY_LEN(gs); i++)
        for (size_t b = 0; b < DORY_ARRAY_LEN(budgets); b++)
            for (size_t k = 0; k < DORY_ARRAY_LEN(targets); k++) {
                Target t = tgt(targets[k], budgets[b], 0);
                brute_compare(&gs[i], &t, names[i]);
            }
}

static int64_t rnd(uint32_t *s, int64_t lo, int64_t hi)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return lo + (int64_t)(*s % (uint32_t)(hi - lo + 1));
}

TEST(plan_exact_matches_brute_force_random_layers)
{
    /* random kinds, kernels, strides, dilations, asymmetric pads, budgets */
    uint32_t s = 12345;
    int compared = 0, tiled = 0;
    for (int it = 0; it < 300; it++) {
        int k = (int)rnd(&s, 1, 4), st = (int)rnd(&s, 1, 3);
        int64_t h = rnd(&s, k, 20), cin = rnd(&s, 1, 20), cout = rnd(&s, 1, 28);
        int dw = rnd(&s, 0, 2) == 0;
        PlanGeom g = conv_geom(h, dw ? cout : cin, cout, k, st, dw ? (int)cout : 1);
        g.dh = g.dw = (int)rnd(&s, 1, 2);
        for (int i = 0; i < 4; i++) g.pad[i] = (int)rnd(&s, 0, k - 1);
        g.win = rnd(&s, k, 20);
        g.ho = conv_out_dim(g.hin, k, st, g.dh, g.pad[0], g.pad[2]);
        g.wo = conv_out_dim(g.win, k, st, g.dw, g.pad[1], g.pad[3]);
        if (g.ho < 1 || g.wo < 1) continue;
        if (!dw && k == 1 && !g.pad[0] && !g.pad[1] && !g.pad[2] && !g.pad[3])
            g.kernel = DORY_K_CONV1X1;
        else if (!dw)
            g.kernel = DORY_K_CONV2D;
        g.kind = plan_kernel_cost(g.kernel);
        g.macs = g.ho * g.wo * cout * k * k * (dw ? 1 : cin);
        g.in_elem[0] = (int)rnd(&s, 1, 2) == 1 ? 1 : 4; /* an i32 input now and then */
        /* drawn in sequence: the order of a call's arguments is the compiler's */
        const char *chip = rnd(&s, 0, 1) ? "gap8" : "gap9";
        Target t = tgt(chip, rnd(&s, 60, 6000), 0);
        t.dma_dims = (int)rnd(&s, 1, 3);
        char what[64];
        snprintf(what, sizeof what, "random layer %d", it);
        brute_compare(&g, &t, what);
        compared++;
        L1Plan b;
        if (tile_l1_brute(&g, &t, &b) == 0 &&
            b.d[TD_CO].n * b.d[TD_HO].n * b.d[TD_WO].n * b.d[TD_CI].n > 1)
            tiled++;
    }
    CHECK(compared >= 250 && tiled >= 100); /* most draws are real, tiled cases */
}

/* The conv kernel's one-pixel im2col variant: taken when it models faster
 * (here: 2.7 kB of L1 on 8 cores, where the 4-pixel scratch forces far
 * smaller tiles), its scratch is the kernel's own for that variant, and the
 * brute force over both variants agrees. A target without the variant's
 * cost never takes it. */
TEST(plan_conv_one_pixel_im2col)
{
    Arena a;
    arena_init(&a);
    PlanGeom g = conv_geom(4, 128, 16, 3, 1, 1);
    Target t = tgt("gap8", 2700, 0);
    L1Plan p, q;
    const char *why;
    CHECK(t.kernel[KK_CONV].im2col1_mac_per_cycle > 0);
    CHECK(tile_l1_solve(&g, &t, OBJ_EXACT, &p, &a, &why) == 0);
    CHECK(p.kernel == DORY_K_CONV2D_1PX);
    dory_conv_params_t cp = {0};
    cp.kh = cp.kw = 3, cp.stride_h = cp.stride_w = 1, cp.dil_h = cp.dil_w = 1;
    cp.pad_top = cp.pad_left = cp.pad_bottom = cp.pad_right = 1;
    cp.border = DORY_BORDER_ALL;
    cp.im2col_pixels = 1;
    dory_dims_t in = {(int)p.in_h, (int)p.in_w, (int)p.in_c, 0};
    dory_dims_t out = {(int)p.d[TD_HO].tile, (int)p.d[TD_WO].tile, (int)p.d[TD_CO].tile, 0};
    int64_t per = (dory_conv2d_hwc_s8_scratch_bytes(&cp, &in, &out) + 3) & ~3;
    CHECK_EQ_I64(p.buf[BUF_SCRATCH].bytes, per * t.cores);
    brute_compare(&g, &t, "conv 4x4 128->16, one-pixel im2col");
    /* the variant off: a tiling of the 4-pixel kernel, modeled slower */
    t.kernel[KK_CONV].im2col1_mac_per_cycle = 0;
    t.row[DORY_K_CONV2D_1PX].mac_per_cycle = 0;
    CHECK(tile_l1_solve(&g, &t, OBJ_EXACT, &q, &a, &why) == 0);
    CHECK(q.kernel == DORY_K_CONV2D && q.cost.total > p.cost.total);
    /* at GAP8's real L1 the 4-pixel kernel with input-channel tiles wins
     * where each core has 2 groups of 4 pixels (on 4x4, 2 pixels of the
     * one-pixel variant per core take less than 4 of the other's and its
     * input-channel tiles) */
    t = tgt("gap8", 0, 0);
    g = conv_geom(8, 128, 16, 3, 1, 1);
    CHECK(tile_l1_solve(&g, &t, OBJ_EXACT, &q, &a, &why) == 0);
    CHECK(q.kernel == DORY_K_CONV2D);
    arena_free(&a);
}

TEST(plan_exact_matches_brute_force_test_graphs)
{
    /* every layer of the shared small test graphs, at budgets forcing tiling */
    int64_t budgets[] = {1 << 20, 2000, 700, 300};
    for (int i = 0; i < test_graph_count(); i++) {
        const char *name;
        Graph *g = test_graph_build(i, &name);
        if (!CHECK(g != NULL)) continue;
        for (size_t b = 0; b < DORY_ARRAY_LEN(budgets); b++) {
            Target t = tgt("gap8", budgets[b], 0);
            for (int n = 0; n < g->nnodes; n++) {
                PlanGeom geom;
                if (plan_geom(g, g->nodes[n], &t, &geom)) continue;
                int64_t space = geom.co * geom.ho * geom.wo * (geom.coupled ? 1 : geom.cin_total);
                if (space <= 200000) brute_compare(&geom, &t, name);
            }
        }
        graph_free(g);
    }
}

TEST(plan_exact_matches_brute_force_mobilenet_025)
{
    /* every layer of a real network, small enough to enumerate every tiling */
    Graph *g = model_mobilenet_v1(25, 96);
    if (!CHECK(g != NULL)) return;
    int64_t budgets[] = {0, 12000};
    int compared = 0;
    for (size_t b = 0; b < DORY_ARRAY_LEN(budgets); b++) {
        Target t = tgt("gap8", budgets[b], 0);
        for (int n = 0; n < g->nnodes; n++) {
            PlanGeom geom;
            if (plan_geom(g, g->nodes[n], &t, &geom)) continue;
            int64_t space = geom.co * geom.ho * geom.wo * (geom.coupled ? 1 : geom.cin_total);
            if (space > 700000) continue;
            brute_compare(&geom, &t, g->nodes[n]->name);
            compared++;
        }
    }
    CHECK(compared >= 50); /* 29 layers x 2 budgets, minus the few largest */
    graph_free(g);
}

/* ---- whole models: checked plans, exact <= dory ----------------------------- */

typedef struct Config {
    const char *target;
    int64_t l1, l2; /* budgets, 0: the target's */
} Config;

static const Config configs[] = {
    {"gap8", 0, 0},    {"gap9", 0, 0},        {"pulp-open", 0, 0}, {"cortex-m", 0, 0},
    {"gap8", 8000, 0}, {"gap8", 3000, 60000}, {"gap8", 0, 40000},  {"gap9", 20000, 120000},
};

static void check_plan(const Plan *p, const char *model, const Config *c)
{
    char msg[512];
    if (p->status != PLAN_OK) {
        harness_fail(__FILE__, __LINE__, "%s on %s l1=%lld l2=%lld: %s", model, c->target,
                     (long long)c->l1, (long long)c->l2, p->message ? p->message : "?");
        return;
    }
    if (plan_check(p, msg, sizeof msg))
        harness_fail(__FILE__, __LINE__, "%s on %s: plan_check: %s", model, c->target, msg);
    CHECK(p->l2_peak <= p->l2_budget && p->l2_peak >= p->l2_lower_bound);
    for (int n = 0; n < p->nlayers; n++) {
        const LayerPlan *lp = &p->layers[n];
        if (lp->status != PLAN_OK) continue;
        if (lp->l1.cost.total > lp->dory.cost.total * (1 + 1e-9))
            harness_fail(__FILE__, __LINE__, "%s layer %d on %s: exact %.1f > dory %.1f", model, n,
                         c->target, lp->l1.cost.total, lp->dory.cost.total);
        int sliced = lp->l3.row_slice.n * lp->l3.co_slice.n > 1;
        if (!sliced && lp->cost.total > lp->dory_total * (1 + 1e-9))
            harness_fail(__FILE__, __LINE__, "%s layer %d: layer exact %.1f > dory %.1f", model, n,
                         lp->cost.total, lp->dory_total);
    }
}

static void plan_all(Graph *g, const char *name)
{
    for (size_t c = 0; c < DORY_ARRAY_LEN(configs); c++) {
        Target t = tgt(configs[c].target, configs[c].l1, configs[c].l2);
        PlanOptions o = {OBJ_EXACT, 1};
        Plan *p = plan_graph(g, &t, &o);
        if (!CHECK(p != NULL)) continue;
        check_plan(p, name, &configs[c]);
        plan_free(p);
    }
}

TEST(plan_every_model_checked_and_exact_le_dory)
{
    for (int i = 0; i < model_count(); i++) {
        const char *name;
        Graph *g = model_build(i, &name);
        if (!CHECK(g != NULL)) continue;
        plan_all(g, name);
        graph_free(g);
    }
}

TEST(plan_every_test_graph_checked_and_exact_le_dory)
{
    for (int i = 0; i < test_graph_count(); i++) {
        const char *name;
        Graph *g = test_graph_build(i, &name);
        if (!CHECK(g != NULL)) continue;
        /* the planner gets what the pipeline gives it: pads folded by the passes */
        if (CHECK(passes_run(g, NULL) == 0)) plan_all(g, name);
        graph_free(g);
    }
}

/* ---- acceptance: MobileNetV1-1.0 at 128x128 on gap8 -------------------------- */

TEST(plan_mobilenet_v1_128_gap8)
{
    Graph *g = model_mobilenet_v1(100, 128);
    if (!CHECK(g != NULL)) return;
    CHECK_EQ_I64(g->nnodes, 29);
    int64_t weights = 0;
    for (int i = 0; i < g->ntensors; i++)
        if (g->tensors[i]->is_const) weights += tensor_bytes(g->tensors[i]);
    CHECK(weights > 4200000 && weights < 4500000);
    Target t = tgt("gap8", 0, 0);
    PlanOptions o = {OBJ_EXACT, 1};
    Plan *p = plan_graph(g, &t, &o);
    if (!CHECK(p != NULL)) return;
    Config c = {"gap8", 0, 0};
    check_plan(p, "mobilenet_v1_1.0_128", &c);
    CHECK(p->status == PLAN_OK && !p->weights_resident);
    for (int n = 0; n < p->nlayers; n++) CHECK(p->layers[n].status == PLAN_OK);
    /* the constants that do not fit L2 stream from L3 (small layers' may stay) */
    int64_t streamed = 0;
    for (int i = 0; i < g->ntensors; i++)
        if (g->tensors[i]->is_const && p->tensors[i].loc == LOC_L3)
            streamed += tensor_bytes(g->tensors[i]);
    CHECK(streamed > weights - p->l2_budget);
    CHECK(p->l3_used >= streamed);
    /* layers whose weights exceed L2 (pw13, fc: 1 MB each) stream by slices */
    for (int n = 0; n < p->nlayers; n++)
        if (p->layers[n].geom.w_bytes > p->l2_budget) CHECK(p->layers[n].l3.w_sliced);
    CHECK(p->l2_peak <= p->l2_budget);
    /* planning time is measured by bench/plan_time.c (make bench-plan), not asserted here */
    plan_free(p);
    graph_free(g);
}

/* ---- every tiling path, forced ---------------------------------------------- */

TEST(plan_forces_input_channel_tiling)
{
    Arena a;
    arena_init(&a);
    const char *why;
    L1Plan l;
    PlanGeom fc = fc_geom(4096, 64);
    Target t = tgt("gap8", 3000, 0);
    CHECK(tile_l1_solve(&fc, &t, OBJ_EXACT, &l, &a, &why) == 0);
    CHECK(l.d[TD_CI].n > 1 && l.buf[BUF_ACC].nbuf == 1);
    PlanGeom cv = conv_geom(8, 512, 64, 3, 1, 1);
    CHECK(tile_l1_solve(&cv, &t, OBJ_EXACT, &l, &a, &why) == 0);
    CHECK(l.d[TD_CI].n > 1);
    arena_free(&a);
}

TEST(plan_no_ci_tiling_option)
{
    Graph *g = model_mobilenet_v1(100, 128);
    if (!CHECK(g != NULL)) return;
    Target t = tgt("gap8", 0, 0);
    PlanOptions o = {OBJ_EXACT, 0, 1};
    Plan *p = plan_graph(g, &t, &o);
    if (!CHECK(p && p->status == PLAN_OK)) return;
    char msg[256];
    CHECK(plan_check(p, msg, sizeof msg) == 0);
    for (int n = 0; n < p->nlayers; n++) CHECK_EQ_I64(p->layers[n].l1.d[TD_CI].n, 1);
    PlanOptions o2 = {OBJ_EXACT, 0, 0};
    Plan *q = plan_graph(g, &t, &o2);
    int used = 0; /* with the option off, the exact plan does tile input channels here */
    for (int n = 0; q && n < q->nlayers; n++) used |= q->layers[n].l1.d[TD_CI].n > 1;
    CHECK(used && q->total_cycles <= p->total_cycles);
    plan_free(q);
    plan_free(p);
    graph_free(g);
}

static Plan *plan_model(Graph *g, const char *target, int64_t l1, int64_t l2)
{
    Target t = tgt(target, l1, l2);
    PlanOptions o = {OBJ_EXACT, 1};
    return plan_graph(g, &t, &o);
}

TEST(plan_forces_l3_paths)
{
    Graph *g = model_mobilenet_v1(25, 96);
    if (!CHECK(g != NULL)) return;
    int w_sliced = 0, acts = 0, both = 0;
    int64_t l2s[] = {0, 60000, 30000, 20000, 15000, 12000};
    for (size_t k = 0; k < DORY_ARRAY_LEN(l2s); k++) {
        Plan *p = plan_model(g, "gap8", 0, l2s[k]);
        if (!CHECK(p != NULL)) continue;
        Config c = {"gap8", 0, l2s[k]};
        check_plan(p, "mobilenet_v1_0.25_96", &c);
        for (int n = 0; n < p->nlayers; n++) {
            const L3Plan *l = &p->layers[n].l3;
            w_sliced |= l->w_sliced;
            acts |= (l->in_l3 || l->out_l3) && l->row_slice.n > 1;
            both |= l->w_sliced && (l->in_l3 || l->out_l3) && l->row_slice.n > 1;
        }
        plan_free(p);
    }
    CHECK(w_sliced);
    CHECK(acts);
    CHECK(both);
    graph_free(g);
}

TEST(plan_impossible_budgets_explained)
{
    Graph *g = model_mobilenet_v1(25, 96);
    if (!CHECK(g != NULL)) return;
    Plan *p = plan_model(g, "gap8", 60, 0);
    CHECK(p && p->status == PLAN_L1_TOO_SMALL);
    CHECK(p && p->message && strstr(p->message, "more than the L1 budget of 60"));
    plan_free(p);
    p = plan_model(g, "gap8", 0, 500);
    CHECK(p && p->status == PLAN_L2_TOO_SMALL);
    CHECK(p && p->message && strstr(p->message, "L2"));
    plan_free(p);
    p = plan_model(g, "cortex-m", 0, 10000);
    CHECK(p && p->status == PLAN_L2_TOO_SMALL);
    plan_free(p);
    graph_free(g);
}

/* ---- the checker can fail ---------------------------------------------------- */

TEST(plan_checker_catches_corruption)
{
    Graph *g = model_resnet_tiny();
    if (!CHECK(g != NULL)) return;
    Plan *p = plan_model(g, "gap8", 4000, 0);
    char msg[256];
    if (!CHECK(p && p->status == PLAN_OK && plan_check(p, msg, sizeof msg) == 0)) return;
    LayerPlan *lp = &p->layers[1];
    L1Buf save = lp->l1.buf[BUF_OUT];
    lp->l1.buf[BUF_OUT].off[1] = lp->l1.buf[BUF_OUT].off[0] + 4; /* overlap its twin */
    CHECK(plan_check(p, msg, sizeof msg) != 0);
    lp->l1.buf[BUF_OUT] = save;
    lp->l1.buf[BUF_W].bytes -= 1; /* too small for its tile */
    CHECK(plan_check(p, msg, sizeof msg) != 0);
    lp->l1.buf[BUF_W].bytes += 1;
    lp->l1.d[TD_HO].tile += 1; /* inconsistent count */
    CHECK(plan_check(p, msg, sizeof msg) != 0);
    lp->l1.d[TD_HO].tile -= 1;
    CHECK(plan_check(p, msg, sizeof msg) == 0);
    /* two live L2 tensors at one offset: the stem output lives across block 1 */
    int a = graph_find_tensor(g, "stem.y"), b = graph_find_tensor(g, "b1c1.y");
    if (CHECK(a >= 0 && b >= 0)) {
        int64_t off = p->tensors[b].offset;
        p->tensors[b].offset = p->tensors[a].offset;
        CHECK(plan_check(p, msg, sizeof msg) != 0);
        p->tensors[b].offset = off;
    }
    plan_free(p);
    graph_free(g);
}

TEST(plan_residual_lifetimes)
{
    Graph *g = model_resnet_tiny();
    if (!CHECK(g != NULL)) return;
    Plan *p = plan_model(g, "gap8", 0, 0);
    if (!CHECK(p && p->status == PLAN_OK)) return;
    int a = graph_find_tensor(g, "stem.y");
    int add = -1;
    for (int n = 0; n < g->nnodes; n++)
        if (!strcmp(g->nodes[n]->name, "b1add")) add = n;
    CHECK(a >= 0 && p->tensors[a].last == add);
    int flat = graph_find_tensor(g, "flat");
    CHECK(flat >= 0 && p->tensors[flat].loc == LOC_ALIAS);
    CHECK(p->weights_resident);
    plan_free(p);
    graph_free(g);
}

/* ---- reports --------------------------------------------------------------- */

TEST(plan_json_report_parses)
{
    Graph *g = model_dscnn();
    if (!CHECK(g != NULL)) return;
    Plan *p = plan_model(g, "gap8", 6000, 0);
    if (!CHECK(p != NULL)) return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    plan_print_json(f, p);
    fclose(f);
    cJSON *root = cJSON_Parse(buf);
    CHECK(root != NULL);
    const cJSON *layers = cJSON_GetObjectItem(root, "layers");
    CHECK(cJSON_GetArraySize(layers) == g->nnodes);
    const cJSON *l0 = cJSON_GetArrayItem(layers, 0);
    const cJSON *l1 = cJSON_GetObjectItem(l0, "l1");
    CHECK(cJSON_GetObjectItem(l1, "buffers") && cJSON_GetObjectItem(l1, "co"));
    CHECK(cJSON_GetObjectItem(l0, "dory") != NULL);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(root, "tensors")) > g->nnodes);
    cJSON_Delete(root);
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    plan_print(f, p);
    fclose(f);
    CHECK(strstr(buf, "dory-obj") && strstr(buf, "binding constraint") && strstr(buf, "peak"));
    free(buf);
    plan_free(p);
    graph_free(g);
}

TEST(plan_cortex_m_single_level)
{
    Graph *g = model_dscnn();
    if (!CHECK(g != NULL)) return;
    Plan *p = plan_model(g, "cortex-m", 0, 0);
    if (!CHECK(p && p->status == PLAN_OK)) return;
    for (int n = 0; n < p->nlayers; n++) {
        const L1Plan *l = &p->layers[n].l1;
        CHECK(l->d[TD_CO].n * l->d[TD_HO].n * l->d[TD_WO].n * l->d[TD_CI].n == 1);
    }
    /* constants are in the image (flash), read in place: they take no SRAM */
    for (int i = 0; i < g->ntensors; i++)
        if (g->tensors[i]->is_const) CHECK(p->tensors[i].loc == LOC_L2);
    CHECK(p->l2_image > 0 && plan_l2_image_in_l2(p) == 0);
    plan_free(p);
    graph_free(g);
}

/* Resident constants are in the L2 image, not the arena: packed (no two
 * overlap), weights first, and image plus arena peak fit the L2 budget. */
TEST(plan_resident_constants_in_image)
{
    Graph *g = model_dscnn();
    if (!CHECK(g != NULL)) return;
    Plan *p = plan_model(g, "gap8", 0, 0);
    if (!CHECK(p && p->status == PLAN_OK)) return;
    int64_t img = 0, wend = 0, first_other = INT64_MAX;
    int staged = 0;
    for (int n = 0; n < p->nlayers; n++) { /* staged blocks: after the weights, 8-aligned */
        const LayerPlan *lp = &p->layers[n];
        if (!lp->consts_block) continue;
        staged++;
        img += plan_consts_image_bytes(lp);
        first_other = DORY_MIN(first_other, lp->consts_off);
        CHECK(lp->consts_off % 8 == 0 &&
              lp->consts_off + plan_consts_image_bytes(lp) <= p->l2_image);
    }
    CHECK(staged > 0); /* dscnn's conv layers on gap8 stage theirs */
    for (int i = 0; i < g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        if (!g->tensors[i]->is_const || tp->loc != LOC_L2 || tp->staged) continue;
        img += (tp->bytes + 3) & ~3;
        int weight = 0;
        for (int n = 0; n < g->nnodes; n++)
            if (g->nodes[n]->nin > 1 && g->nodes[n]->in[1] == i &&
                (g->nodes[n]->op == OP_CONV2D || g->nodes[n]->op == OP_FC))
                weight = 1;
        if (weight)
            wend = DORY_MAX(wend, tp->offset + tp->bytes);
        else
            first_other = DORY_MIN(first_other, tp->offset);
        CHECK(tp->offset >= 0 && tp->offset + tp->bytes <= p->l2_image);
    }
    CHECK(img <= p->l2_image && p->l2_image <= img + 4 * staged && img > 0); /* + alignment */
    CHECK(wend <= first_other);
    CHECK(p->l2_peak + p->l2_image <= p->l2_budget);
    char msg[256];
    CHECK(plan_check(p, msg, sizeof msg) == 0);
    plan_free(p);
    graph_free(g);
}

/* The kernel table and the one selection function: every row has a cost
 * entry and a function or a reason not to; the planner records its choice and
 * grouped convolutions get the per-group conv, costed as a conv (the kernel
 * they run), with the same flags the tiler uses. */
TEST(plan_kernel_table_and_selection)
{
    for (int k = 0; k < DORY_K_COUNT; k++) {
        const dory_kernel_info_t *ki = dory_kernel_info((dory_kernel_id_t)k);
        if (!CHECK(ki != NULL)) continue;
        CHECK((unsigned)plan_kernel_cost((dory_kernel_id_t)k) < KK_COUNT);
        CHECK((ki->call >= DORY_CALL_COPY) == !strcmp(ki->fn, "none"));
    }
    CHECK(dory_kernel_info(DORY_K_COUNT) == NULL);
    static const struct {
        const char *graph;
        dory_kernel_id_t kernel;
        KernelKind cost;
    } want[] = {{"conv_grouped", DORY_K_GROUPED, KK_CONV},
                {"conv_dw_mult2", DORY_K_GROUPED, KK_CONV},
                {"conv_depthwise", DORY_K_DWCONV3X3, KK_DW},
                {"conv_pointwise", DORY_K_CONV1X1, KK_PW},
                {"conv_dilated", DORY_K_CONV2D, KK_CONV}};
    for (size_t i = 0; i < DORY_ARRAY_LEN(want); i++) {
        Graph *g = test_graph_by_name(want[i].graph);
        if (!CHECK(g != NULL)) continue;
        Target t = tgt("gap8", 0, 0);
        PlanOptions o = {0};
        Plan *p = plan_graph(g, &t, &o);
        for (int n = 0; p && n < g->nnodes; n++) {
            if (g->nodes[n]->op != OP_CONV2D) continue;
            const PlanGeom *geom = &p->layers[n].geom;
            int flags = dory_kernel_info(want[i].kernel)->flags;
            CHECK_EQ_I64(p->layers[n].kernel, want[i].kernel);
            CHECK_EQ_I64(geom->kind, want[i].cost);
            CHECK(geom->coupled == !!(flags & DORY_KF_COUPLED));
            CHECK(geom->ci_tiling == !!(flags & DORY_KF_CI_TILE));
        }
        plan_free(p);
        graph_free(g);
    }
}
