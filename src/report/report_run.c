/* report_run.c: report.json on disk, and the measurements of a run of the
 * application merged into it (`dory report APP_DIR RUN_OUTPUT`).
 *
 * A run is the harness's table (runtime/harness/test_main.c): a header line
 * `layer MACs ... model cyc UNIT check`, then one line per layer in
 * execution order, `NAME MACS L2->L1 L1->L2 L3<->L2 MODELED MEASURED CHECK`.
 * Each line must name the report's layer and its MACs, so the output of
 * another application is refused, naming the line. Nothing here plans.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static char *path_in(Arena *a, const char *dir, const char *name)
{
    return arena_printf(a, "%s/%s", dir, name);
}

int report_write_json(const char *path, const cJSON *r)
{
    char *text = cJSON_Print(r);
    if (!text) return diag_error((DiagLoc){path, 0, 0, 0}, "out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; /* cJSON_Print's terminator becomes the last line's end */
    int rc = util_write_file(path, text, n + 1);
    free(text);
    return rc;
}

int report_write_html(const char *path, const cJSON *r)
{
    char *html = report_html(r);
    if (!html) return diag_error((DiagLoc){path, 0, 0, 0}, "out of memory");
    int rc = util_write_file(path, html, strlen(html));
    free(html);
    return rc;
}

int report_write_dir(const char *dir, const cJSON *r)
{
    Arena a;
    arena_init(&a);
    int rc = report_write_json(path_in(&a, dir, "report.json"), r) ||
                     report_write_html(path_in(&a, dir, "report.html"), r)
                 ? -1
                 : 0;
    arena_free(&a);
    return rc;
}

cJSON *report_load(const char *dir)
{
    Arena a;
    arena_init(&a);
    const char *path = path_in(&a, dir, "report.json");
    size_t size = 0;
    unsigned char *text = path ? util_read_file(&a, path, &size) : NULL;
    cJSON *r = text ? cJSON_ParseWithLength((const char *)text, size) : NULL;
    if (text && !r)
        diag_error((DiagLoc){path, 0, 0, 0}, "not JSON (a report.json as 'dory deploy' writes it)");
    const cJSON *s = r ? cJSON_GetObjectItemCaseSensitive(r, "schema") : NULL;
    if (r && (!cJSON_IsString(s) || strcmp(s->valuestring, REPORT_SCHEMA) ||
              !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "layers")))) {
        diag_error((DiagLoc){path, 0, 0, 0},
                   "not a dory report (schema \"%s\" with layers expected)", REPORT_SCHEMA);
        cJSON_Delete(r);
        r = NULL;
    }
    arena_free(&a);
    return r;
}

/* What the harness's unit measures (runtime/<hal>/: dory_cycles_unit()). */
static const char *unit_meaning(const char *unit)
{
    if (!strcmp(unit, "instr")) return "retired instructions (RV32 bare metal under QEMU)";
    if (!strcmp(unit, "ns")) return "host wall-clock nanoseconds (not cycles of the target)";
    if (!strcmp(unit, "cycles")) return "cycles of the target";
    return "the application's counter";
}

/* The next line of text at *pos (NUL-terminated in place), NULL at the end. */
static char *next_line(char **pos)
{
    char *s = *pos;
    if (!s || !*s) return NULL;
    char *e = strchr(s, '\n');
    if (e) {
        *e = '\0';
        *pos = e + 1;
    } else {
        *pos = s + strlen(s);
    }
    size_t n = strlen(s);
    if (n && s[n - 1] == '\r') s[n - 1] = '\0';
    return s;
}

/* The header's unit, the word before the last column "check"; 0 if `line`
 * is not the header. */
static int header_unit(const char *line, char unit[32])
{
    const char *c = strstr(line, " check");
    if (strncmp(line, "layer ", 6) || !c || c[6]) return 0;
    const char *b = c;
    while (b > line && b[-1] == ' ') b--;
    const char *a = b;
    while (a > line && a[-1] != ' ') a--;
    if (b - a <= 0 || b - a >= 32) return 0;
    memcpy(unit, a, (size_t)(b - a));
    unit[b - a] = '\0';
    return 1;
}

/* One layer line: the numbers after the layer's name. */
/* One layer line: the numbers after the layer's name, and the check verdict
 * that ends it (`OK`, `FAIL ...`, `-`: not checked) in check[]. */
static int parse_layer_line(const char *line, const char *name, long long *macs, double *measured,
                            char check[96])
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) || line[n] != ' ') return -1;
    long long l2l1, l1l2, l3;
    double model, value;
    int end = 0;
    if (sscanf(line + n, "%lld %lld %lld %lld %lf %lf%n", macs, &l2l1, &l1l2, &l3, &model, &value,
               &end) != 6)
        return -1;
    if (!(value >= 0 && value <= 1e15) || *macs < 0) return -1; /* NaN, inf, negative */
    const char *c = line + n + end;
    while (*c == ' ') c++;
    snprintf(check, 96, "%s", *c ? c : "-");
    *measured = value;
    return 0;
}

static double thousandths(double v) { return round(v * 1000) / 1000; }

static int merge_lines(cJSON *r, char *text, const char *path)
{
    char unit[32], *line, *pos = text;
    int ln = 0;
    while ((line = next_line(&pos)) && (ln++, !header_unit(line, unit)))
        ;
    if (!line)
        return diag_error((DiagLoc){path, 0, 0, 0},
                          "no per-layer table of a dory application (the output of 'make run' "
                          "or 'make run-qemu' in the application folder)");
    double total = 0;
    cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(r, "layers"))
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(l, "name");
        const char *name = cJSON_IsString(nm) ? nm->valuestring : "";
        long long macs = 0;
        double value = 0;
        char check[96];
        line = next_line(&pos);
        ln++;
        if (!line || parse_layer_line(line, name, &macs, &value, check))
            return diag_error((DiagLoc){path, ln, name, 0},
                              "expected the run's line of layer '%s' (name, MACs, DMA bytes, "
                              "modeled, measured, check)",
                              name);
        const cJSON *jm = cJSON_GetObjectItemCaseSensitive(l, "macs");
        if (!cJSON_IsNumber(jm) || (double)macs != jm->valuedouble)
            return diag_error((DiagLoc){path, ln, name, 0},
                              "%lld MACs, the report says %.0f: not a run of this application",
                              macs, cJSON_IsNumber(jm) ? jm->valuedouble : 0.0);
        const cJSON *mo = cJSON_GetObjectItemCaseSensitive(l, "modeled");
        const cJSON *cy = cJSON_GetObjectItemCaseSensitive(mo, "cycles");
        double modeled = cJSON_IsNumber(cy) ? cy->valuedouble : 0;
        cJSON_DeleteItemFromObjectCaseSensitive(l, "measured");
        cJSON *me = cJSON_AddObjectToObject(l, "measured");
        cJSON_AddNumberToObject(me, "value", value);
        cJSON_AddStringToObject(me, "check", check);
        cJSON_AddNumberToObject(me, "ratio", thousandths(modeled > 0 ? value / modeled : 0));
        cJSON_AddNumberToObject(me, "mac_per_unit",
                                thousandths(value > 0 ? (double)macs / value : 0));
        total += value;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(r, "measured");
    cJSON *m = cJSON_AddObjectToObject(r, "measured");
    cJSON_AddStringToObject(m, "unit", unit);
    cJSON_AddStringToObject(m, "what", unit_meaning(unit));
    cJSON_AddStringToObject(m, "source", path);
    cJSON_AddNumberToObject(m, "total", total);
    return 0;
}

int report_merge_run(cJSON *r, const char *run_path)
{
    Arena a;
    arena_init(&a);
    size_t size = 0;
    unsigned char *raw = util_read_file(&a, run_path, &size);
    char *text = raw ? arena_alloc(&a, size + 1) : NULL;
    int rc = -1;
    if (text) {
        memcpy(text, raw, size);
        text[size] = '\0';
        if (strlen(text) != size)
            diag_error((DiagLoc){run_path, 0, 0, 0}, "a NUL byte: not the text a run prints");
        else
            rc = merge_lines(r, text, run_path);
    }
    arena_free(&a);
    return rc;
}
