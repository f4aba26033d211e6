/* test_report.c: the name column's elision (util/elide.h) and the
 * deployment report (src/report/) on the planner's test models: every
 * form fits its column and reads as its own name only, the report's JSON
 * copies the plan, and the page names every layer. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "models.h"
#include "report/report.h"
#include "util/elide.h"

/* 1 if the printed form (head..middle..tail, any number of marks) could be
 * `name`: written from the definition in elide.h, not from elide.c. */
static int reads_as(const char *form, const char *name)
{
    const char *mark = strstr(form, ELIDE_MARK);
    size_t mk = strlen(ELIDE_MARK), len = strlen(name);
    if (!mark) return !strcmp(form, name);
    size_t head = (size_t)(mark - form);
    if (strncmp(name, form, head)) return 0;
    const char *last = mark, *p;
    while ((p = strstr(last + mk, ELIDE_MARK))) last = p;
    size_t tail = strlen(last + mk);
    if (len < head + tail || strcmp(name + len - tail, last + mk)) return 0;
    size_t pos = head, end = len - tail;
    for (const char *s = mark + mk; s < last;) {
        const char *e = strstr(s, ELIDE_MARK);
        size_t m = (size_t)(e - s);
        size_t q = pos;
        while (q + m <= end && strncmp(name + q, s, m)) q++;
        if (q + m > end) return 0;
        pos = q + m;
        s = e + mk;
    }
    return pos <= end;
}

static void check_column(const char *const *names, int n, int width)
{
    char *out = calloc((size_t)n, (size_t)width + 1), *amb = calloc((size_t)n, 1);
    if (!CHECK(out && amb)) goto done;
    int flagged = elide_names(names, n, width, out, amb), count = 0;
    for (int i = 0; i < n; i++) {
        const char *f = out + (size_t)i * (size_t)(width + 1);
        CHECK(strlen(f) <= (size_t)width);
        CHECK(reads_as(f, names[i]));
        if (strlen(names[i]) <= (size_t)width) CHECK(!strcmp(f, names[i]));
        count += amb[i];
        if (amb[i]) continue;
        for (int j = 0; j < n; j++)
            if (j != i && strcmp(names[j], names[i]) && reads_as(f, names[j]))
                harness_fail(__FILE__, __LINE__, "'%s' reads as '%s' and '%s'", f, names[i],
                             names[j]);
    }
    CHECK_EQ_I64(flagged, count);
done:
    free(out);
    free(amb);
}

TEST(elide_torchvision_names)
{
    const char *names[] = {
        "/features/features.3/conv/conv.0/Conv", "/features/features.13/conv/conv.0/Conv",
        "/features/features.3/conv/conv.1/Conv", "/features/features.13/conv/conv.1/Conv",
        "/features/features.1/conv/conv.0/Conv", "conv1",
        "/classifier/classifier.1/Gemm"};
    int n = (int)DORY_ARRAY_LEN(names);
    for (int w = 8; w <= 40; w++) check_column(names, n, w);
    char out[7 * 21], amb[7];
    CHECK_EQ_I64(elide_names(names, n, 20, out, amb), 0);
}

/* Random names over a small alphabet with long shared parts: the cases
 * where heads and tails collide. */
TEST(elide_random_names)
{
    uint32_t s = 12345;
    enum { N = 40 };
    char buf[N][64];
    const char *names[N];
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < N; i++) {
            int len = 0;
            s = s * 1103515245u + 12345u;
            int n = 4 + (int)((s >> 16) % 50);
            for (int k = 0; k < n; k++) {
                s = s * 1103515245u + 12345u;
                buf[i][len++] = k < 10 || k > n - 8 ? 'a' : "ab/.1"[(s >> 16) % 5];
            }
            buf[i][len] = '\0';
            names[i] = buf[i];
        }
        check_column(names, N, 8 + round % 20);
    }
}

TEST(report_json_and_page_follow_the_plan)
{
    for (int m = 0; m < model_count(); m++) {
        const char *name;
        Graph *g = model_build(m, &name);
        if (!CHECK(g != NULL)) continue;
        Target t;
        target_builtin("gap8", &t);
        PlanOptions o = {OBJ_EXACT, 0};
        Plan *p = plan_graph(g, &t, &o);
        cJSON *r = p ? report_build(g, p, NULL) : NULL;
        char *html = r ? report_html(r) : NULL;
        if (CHECK(html != NULL)) {
            const cJSON *tot = cJSON_GetObjectItemCaseSensitive(r, "totals");
            CHECK_EQ_I64(cJSON_GetObjectItemCaseSensitive(tot, "l2_peak")->valuedouble, p->l2_peak);
            CHECK_EQ_I64(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "layers")),
                         g->nnodes);
            for (int i = 0; i < g->nnodes; i++) CHECK(strstr(html, g->nodes[i]->name));
            CHECK(!strstr(html, "<script"));
        }
        free(html);
        cJSON_Delete(r);
        plan_free(p);
        graph_free(g);
    }
}
