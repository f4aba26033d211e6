/* test_alloc_fail.c: out-of-memory at any point is reported, never a crash.
 *
 * Every allocation of the compiler goes through util_set_alloc_hook(); this
 * test makes the k-th allocation fail, for every k, while a test graph is
 * parsed from text and verified, and checks the call fails cleanly (or
 * succeeds when k is past the last allocation); then the same for planning,
 * the report and the code generator on whole networks. Run under the
 * sanitizers it also shows nothing leaks or touches freed memory on the error
 * paths.
 */
#include <execinfo.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "codegen/codegen.h"
#include "graphs.h"
#include "harness.h"
#include "ir/text.h"
#include "ir/verify.h"
#include "models.h"
#include "plan/plan.h"
#include "report/report.h"

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

/* ---- planner, report and code generator ------------------------------------------ */

static long alloc_failed;

/* The allocation's call path: its site (util_alloc_site) and, `path_depth`
 * deep, the return addresses above it (backtrace(3); which frames those are
 * depends on inlining, so only the slow test uses them). */
static int path_depth;

static uint64_t call_path(void)
{
    uint64_t h = (1469598103934665603u ^ (uint64_t)(uintptr_t)util_alloc_site()) * 1099511628211u;
    void *bt[16];
    int n = path_depth ? backtrace(bt, DORY_MIN(path_depth, 16)) : 0;
    for (int i = 0; i < n; i++) h = (h ^ (uint64_t)(uintptr_t)bt[i]) * 1099511628211u;
    return h;
}

/* Recorded by the reference run: the call path of each allocation. */
static uint64_t *paths;
static long npaths, cap_paths;

static void *recording_malloc(size_t size)
{
    if (npaths == cap_paths) {
        long cap = cap_paths ? cap_paths * 2 : 4096;
        uint64_t *v = realloc(paths, (size_t)cap * sizeof *v);
        if (!v) return NULL;
        paths = v, cap_paths = cap;
    }
    paths[npaths++] = call_path();
    return malloc(size);
}

/* Only the k-th allocation fails (k = alloc_budget); the ones after it
 * succeed, so a stage that ignores the failure and goes on is caught by what
 * it writes. */
static void *one_failing_malloc(size_t size)
{
    if (alloc_budget-- == 0) {
        alloc_failed++;
        return NULL;
    }
    return malloc(size);
}

/* Plans g for gap8, builds the report and writes the application to dir:
 * 0 when every stage succeeded. A stage that fails must have said why, as
 * the driver (src/main.c) would: plan_graph and report_build return NULL only
 * when out of memory, and the driver prints that; codegen_app reports itself. */
static int deploy_to(const Graph *g, const char *dir, const int32_t *const *inputs)
{
    Target t;
    target_builtin("gap8", &t);
    PlanOptions o = {OBJ_EXACT, 0};
    Plan *p = plan_graph(g, &t, &o);
    if (!p) return 1;
    int rc = 1;
    cJSON *r = report_build(g, p, NULL);
    char *html = r ? report_html(r) : NULL;
    if (html) {
        CodegenOptions co = {dir, CHECK_SUMS, inputs, "test input"};
        rc = codegen_app(g, p, &co);
        if (rc) CHECK(diag_error_count() > 0);
        /* the report the driver writes beside the application */
        if (rc == 0 && report_write_dir(dir, r)) {
            CHECK(diag_error_count() > 0);
            rc = 1;
        }
    }
    free(html);
    cJSON_Delete(r);
    plan_free(p);
    return rc;
}

static int same_tree(const char *a, const char *b)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "diff -r '%s' '%s' >/dev/null 2>&1", a, b);
    return system(cmd) == 0;
}

static void remove_tree(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) harness_fail(__FILE__, __LINE__, "could not remove %s", dir);
}

/* For every call path that allocates during a deployment, its first
 * allocation fails alone (the others succeed): the deployment fails cleanly,
 * with a diagnostic, or, when it succeeds anyway (a stage that can do
 * without), writes exactly the files of the deployment that had all the memory
 * it asked for. A call path is its allocation site, and `depth` frames of the
 * stack above it when depth > 0. */
static void oom_sweep(int nmodels, int depth)
{
    path_depth = depth;
    const char *names[] = {"dscnn", "resnet_tiny"};
    for (int m = 0; m < nmodels && m < (int)DORY_ARRAY_LEN(names); m++) {
        Graph *g = NULL;
        for (int i = 0; i < model_count() && !g; i++) {
            const char *name;
            Graph *c = model_build(i, &name);
            if (c && !strcmp(name, names[m]))
                g = c;
            else
                graph_free(c);
        }
        if (!CHECK(g != NULL) || !CHECK(ir_verify(g) == 0)) {
            graph_free(g);
            continue;
        }
        int32_t *in0 = tg_random_input(g, 0, 7);
        const int32_t *inputs[] = {in0};
        char ref[] = "/tmp/dory_oom_ref_XXXXXX", out[] = "/tmp/dory_oom_out_XXXXXX";
        if (!CHECK(mkdtemp(ref) && mkdtemp(out))) return;
        npaths = 0;
        util_set_alloc_hook(recording_malloc);
        int rc = deploy_to(g, ref, inputs);
        util_set_alloc_hook(NULL);
        CHECK(rc == 0);
        CHECK(npaths > 10);
        long tried = 0;
        for (long k = 0; k < npaths; k++) {
            int first = 1;
            for (long j = 0; j < k && first; j++) first = paths[j] != paths[k];
            if (!first) continue;
            tried++;
            remove_tree(out);
            alloc_budget = k;
            alloc_failed = 0;
            util_set_alloc_hook(one_failing_malloc);
            rc = deploy_to(g, out, inputs);
            util_set_alloc_hook(NULL);
            if (!CHECK(alloc_failed == 1)) break;
            if (rc == 0 && !same_tree(ref, out))
                harness_fail(__FILE__, __LINE__,
                             "%s: allocation %ld of %ld failed, the deployment succeeded but "
                             "wrote other files",
                             names[m], k, npaths);
            diag_reset();
        }
        CHECK(tried > 10);
        remove_tree(ref);
        remove_tree(out);
        free(in0);
        graph_free(g);
    }
    free(paths);
    paths = NULL, npaths = cap_paths = 0;
}

/* every allocation site, on two networks */
TEST(alloc_failure_in_plan_report_and_codegen_is_clean) { oom_sweep(2, 0); }

/* both networks, every call path up to main (a few minutes) */
SLOW_TEST(alloc_failure_on_every_call_path_of_a_deployment) { oom_sweep(2, 16); }
