/* report_html.c: the deployment report as one self-contained HTML page,
 * drawn from the report's JSON document alone (report.h): inline CSS and
 * SVG, no scripts, no fonts or images from anywhere. Every drawn range
 * carries its byte range as data-lo/data-hi (half open), so tests compare
 * the drawing with the plan. It reads the document; it computes only
 * coordinates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* ---- reading the document ------------------------------------------------ */

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}
/* Numbers clamped to what a plan can hold: a hand-edited report.json
 * draws nonsense, never undefined behaviour. */
static double jn(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0.0;
    return d != d ? 0.0 : d > 1e15 ? 1e15 : d < -1e15 ? -1e15 : d;
}
static int ji(const cJSON *o, const char *k)
{
    double d = jn(o, k);
    return d > 1e9 ? 1000000000 : d < -1e9 ? -1000000000 : (int)d;
}
static const char *js(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- writing ---------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void cell_s(FILE *f, const char *s)
{
    fputs("<td>", f);
    esc(f, s);
    fputs("</td>", f);
}
static void cell_n(FILE *f, double v, int decimals)
{
    fprintf(f, "<td class=\"n\">%.*f</td>", decimals, v);
}

static const char *const CSS =
    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#111;max-width:1400px}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
    "h3{font-size:1em;margin:1.5em 0 .3em}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:12px}"
    "td,th{border:1px solid #ddd;padding:2px 4px}"
    "th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".note{color:#555;font-size:.9em}.modeled{color:#225}.measured{color:#520}"
    "svg{display:block;margin:.4em 0;background:#fff}svg text{font:11px sans-serif}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:bold}"
    "dd{margin:0}";

/* A colour per L1 buffer and map kind, light enough for labels. */
static const char *buf_colour(const char *name)
{
    static const struct {
        const char *name, *fill;
    } c[] = {{"in0", "#8fb8de"}, {"in1", "#a3d3c8"}, {"w", "#f4b183"},      {"rq", "#ffd966"},
             {"out", "#a9d18e"}, {"acc", "#c9a0dc"}, {"scratch", "#d9d9d9"}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if (!strcmp(name, c[i].name)) return c[i].fill;
    return "#bbbbbb";
}

/* The L2 timeline's bar i: a colour no other bar and no text or line of the
 * page has (tests count bars by colour in a screenshot). */
static void bar_colour(int i, char out[24])
{
    snprintf(out, 24, "rgb(%d,%d,%d)", 70 + (i % 8) * 24, 70 + ((i / 8) % 8) * 24,
             215 - ((i / 64) % 4) * 30);
}

/* ---- one-dimensional maps (L1 tile area, L2 image, L3) -------------------- */

enum { MAP_W = 900, MAP_X0 = 10, MAP_H = 34 };

typedef struct MapItem {
    const char *label, *title, *fill;
    double lo, hi;
} MapItem;

/* A bar of `total` bytes drawn to scale with each item at its byte range. */
static void draw_map(FILE *f, const char *cls, const char *attrs, double total, const MapItem *it,
                     int n)
{
    double sc = total > 0 ? MAP_W / total : 0;
    fprintf(f,
            "<svg class=\"%s\" %s width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\" "
            "data-total=\"%.0f\">",
            cls, attrs, MAP_W + 2 * MAP_X0, MAP_H + 16, total);
    fprintf(f,
            "<rect x=\"%d\" y=\"2\" width=\"%d\" height=\"%d\" fill=\"#f7f7f7\" stroke=\"#999\"/>",
            MAP_X0, MAP_W, MAP_H);
    for (int i = 0; i < n; i++) {
        double x = MAP_X0 + it[i].lo * sc, w = (it[i].hi - it[i].lo) * sc;
        fprintf(f, "<rect class=\"%s-item\" data-name=\"", cls);
        esc(f, it[i].label);
        fprintf(f,
                "\" data-lo=\"%.0f\" data-hi=\"%.0f\" x=\"%.3f\" y=\"2\" width=\"%.3f\" "
                "height=\"%d\" fill=\"%s\" stroke=\"#444\" stroke-width=\"0.5\"><title>",
                it[i].lo, it[i].hi, x, w < 0.5 ? 0.5 : w, MAP_H, it[i].fill);
        esc(f, it[i].title);
        fputs("</title></rect>", f);
        if (w > 7.0 * (double)strlen(it[i].label)) {
            fprintf(f, "<text x=\"%.1f\" y=\"%d\">", x + 3, MAP_H / 2 + 6);
            esc(f, it[i].label);
            fputs("</text>", f);
        }
    }
    fprintf(
        f,
        "<text x=\"%d\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f B</text>",
        MAP_X0, MAP_H + 14, MAP_X0 + MAP_W, MAP_H + 14, total);
    fputs("</svg>\n", f);
}

static void l1_map(FILE *f, const cJSON *layer)
{
    const cJSON *l1 = jget(layer, "l1"), *b;
    int n = cJSON_GetArraySize(jget(l1, "buffers")), k = 0;
    MapItem *it = util_calloc((size_t)(n ? n : 1), sizeof *it);
    char(*lab)[96] = util_calloc((size_t)(n ? n : 1), sizeof *lab);
    if (!it || !lab) goto out;
    cJSON_ArrayForEach(b, jget(l1, "buffers"))
    {
        double lo = jn(b, "offset");
        if (jn(b, "copies") > 1)
            snprintf(lab[k], sizeof lab[k], "%s[%d]", js(b, "name"), ji(b, "copy"));
        else
            snprintf(lab[k], sizeof lab[k], "%s", js(b, "name"));
        it[k] =
            (MapItem){lab[k], js(b, "what"), buf_colour(js(b, "name")), lo, lo + jn(b, "bytes")};
        k++;
    }
    char attrs[64];
    snprintf(attrs, sizeof attrs, "data-layer=\"%d\"", ji(layer, "index"));
    draw_map(f, "l1map", attrs, jn(l1, "budget"), it, k);
out:
    free(it);
    free(lab);
}

/* The constants of one region ("image" or "L3") and spilled activations;
 * in the image also the layers' staged constant blocks. */
static void region_map(FILE *f, const cJSON *r, const char *region, const char *cls, double total)
{
    const cJSON *t;
    int n = cJSON_GetArraySize(jget(r, "tensors")) + cJSON_GetArraySize(jget(r, "layers")), k = 0;
    MapItem *it = util_calloc((size_t)(n ? n : 1), sizeof *it);
    if (!it) return;
    cJSON_ArrayForEach(t, jget(r, "tensors"))
    {
        if (strcmp(js(t, "region"), region)) continue;
        double lo = jn(t, "offset");
        it[k++] = (MapItem){js(t, "name"), js(t, "name"),
                            strcmp(js(t, "kind"), "constant") ? "#8fb8de" : "#f4b183", lo,
                            lo + jn(t, "bytes")};
    }
    cJSON_ArrayForEach(t, jget(r, "layers"))
    {
        const cJSON *c = jget(t, "staged_consts");
        if (!c || strcmp(region, "image")) continue;
        it[k++] = (MapItem){js(t, "name"), "bias and requant blocks", "#f8cbad", jn(c, "offset"),
                            jn(c, "offset") + jn(c, "bytes")};
    }
    if (k)
        draw_map(f, cls, "", total, it, k);
    else
        fprintf(f, "<p class=\"note\">nothing in this region.</p>\n");
    free(it);
}

/* ---- the L2 timeline ------------------------------------------------------ */

enum { TL_X0 = 70, TL_Y0 = 20, TL_H = 380 };

typedef struct TlBar {
    char name[160];
    const char *what;
    double lo, hi;
    int first, last;
    int order; /* in the document: ties keep it (qsort is not stable) */
} TlBar;

/* Larger bars first, so that a bar drawn at its 3-pixel minimum height lies
 * on top of its larger neighbours instead of under them. */
static int tl_cmp(const void *pa, const void *pb)
{
    const TlBar *a = pa, *b = pb;
    double d = (b->hi - b->lo) - (a->hi - a->lo);
    return d > 0 ? 1 : d < 0 ? -1 : a->order - b->order;
}

static void tl_bar(FILE *f, int i, double ysc, double colw, const TlBar *b)
{
    char fill[24];
    bar_colour(i, fill);
    double y = TL_Y0 + b->lo * ysc, h = (b->hi - b->lo) * ysc;
    fprintf(f, "<rect class=\"l2bar\" data-name=\"");
    esc(f, b->name);
    fprintf(f,
            "\" data-lo=\"%.0f\" data-hi=\"%.0f\" data-first=\"%d\" data-last=\"%d\" "
            "x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>",
            b->lo, b->hi, b->first, b->last, TL_X0 + b->first * colw + 1, y,
            (b->last - b->first + 1) * colw - 2, h < 3 ? 3 : h, fill);
    esc(f, b->name);
    fputs(": ", f);
    esc(f, b->what);
    fprintf(f, ", bytes %.0f..%.0f, layers %d..%d</title></rect>", b->lo, b->hi, b->first, b->last);
}

/* The timeline's bars: activations in the arena, then staging buffers. */
static int tl_bars(const cJSON *r, int nl, TlBar *bars)
{
    const cJSON *t;
    int n = 0;
    cJSON_ArrayForEach(t, jget(r, "tensors"))
    {
        if (strcmp(js(t, "region"), "arena")) continue;
        TlBar *b = &bars[n];
        b->order = n++;
        snprintf(b->name, sizeof b->name, "%s", js(t, "name"));
        b->what = "activation";
        b->lo = jn(t, "offset");
        b->hi = b->lo + jn(t, "bytes");
        b->first = ji(t, "first") < 0 ? 0 : ji(t, "first");
        b->last = ji(t, "last") < 0 || ji(t, "last") >= nl ? nl - 1 : ji(t, "last");
    }
    cJSON_ArrayForEach(t, jget(r, "l2_staging"))
    {
        TlBar *b = &bars[n];
        b->order = n++;
        int l = ji(t, "layer");
        snprintf(b->name, sizeof b->name, "L3 staging %s[%d] of layer %d", js(t, "name"),
                 ji(t, "copy"), l);
        b->what = "L3<->L2 staging buffer";
        b->lo = jn(t, "offset");
        b->hi = b->lo + jn(t, "bytes");
        b->first = b->last = l < 0 || l >= nl ? 0 : l;
    }
    qsort(bars, (size_t)n, sizeof *bars, tl_cmp);
    return n;
}

static void hline(FILE *f, double y, const char *colour, const char *label, double width)
{
    fprintf(f,
            "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"2\" "
            "stroke-dasharray=\"6 3\"/><text x=\"%.1f\" y=\"%.2f\" fill=\"%s\">%s</text>",
            TL_X0, TL_X0 + width, y, y, colour, TL_X0 + width + 4, y + 4, colour, label);
}

/* Which tensor occupies which arena addresses during which layers: one bar
 * per activation in the L2 arena and per L3 staging buffer copy. */
static void l2_timeline(FILE *f, const cJSON *r)
{
    const cJSON *tot = jget(r, "totals");
    int nl = cJSON_GetArraySize(jget(r, "layers"));
    double peak = jn(tot, "l2_peak"), lb = jn(tot, "l2_lower_bound");
    double top = (peak > lb ? peak : lb) * 1.04 + 1;
    double colw = nl > 0 ? (nl * 28.0 < 900 ? 28.0 : 900.0 / nl) : 28.0, width = colw * nl;
    double ysc = TL_H / top;
    fprintf(f,
            "<svg id=\"l2-timeline\" width=\"%.0f\" height=\"%d\" shape-rendering=\"crispEdges\" "
            "data-peak=\"%.0f\" data-lower-bound=\"%.0f\">",
            TL_X0 + width + 150, TL_Y0 + TL_H + 40, peak, lb);
    fprintf(
        f,
        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#fcfcfc\" stroke=\"#999\"/>",
        TL_X0, TL_Y0, width, TL_H);
    int nb = cJSON_GetArraySize(jget(r, "tensors")) + cJSON_GetArraySize(jget(r, "l2_staging"));
    TlBar *bars = util_calloc((size_t)nb + 1, sizeof *bars);
    if (bars) {
        nb = tl_bars(r, nl, bars);
        for (int k = 0; k < nb; k++) tl_bar(f, k, ysc, colw, &bars[k]);
        free(bars);
    }
    char label[64];
    snprintf(label, sizeof label, "peak %.0f B", peak);
    hline(f, TL_Y0 + peak * ysc, "#d00000", label, width);
    snprintf(label, sizeof label, "lower bound %.0f B", lb);
    hline(f, TL_Y0 + lb * ysc + (fabs(lb - peak) * ysc < 12 ? 12 : 0), "#007000", label, width);
    for (int l = 0; l < nl; l++)
        if (nl <= 40 || l % 5 == 0)
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                    TL_X0 + (l + 0.5) * colw, TL_Y0 + TL_H + 14, l);
    fprintf(f,
            "<text x=\"%d\" y=\"%d\">layer</text><text x=\"4\" y=\"%d\">0 B</text>"
            "<text x=\"4\" y=\"%d\">%.0f B</text></svg>\n",
            TL_X0, TL_Y0 + TL_H + 30, TL_Y0 + 4, TL_Y0 + TL_H, top);
}

/* ---- the roofline --------------------------------------------------------- */

enum { RF_X0 = 60, RF_Y0 = 10, RF_W = 600, RF_H = 300 };

static double lg(double v) { return log10(v > 1e-9 ? v : 1e-9); }

/* Modeled MAC/cycle against MACs per L2<->L1 DMA byte, log-log, under the
 * two roofs: the fastest kernel kind's MAC/cycle and the L1 DMA bandwidth. */
static void roofline(FILE *f, const cJSON *r)
{
    const cJSON *tg = jget(r, "target"), *l, *c;
    double bw = jn(jget(tg, "l1"), "bandwidth"), peak = 0;
    cJSON_ArrayForEach(c, jget(tg, "calibration"))
    {
        if (strcmp(js(c, "kind"), "copy") && jn(c, "mac_per_cycle") > peak) /* copy: bytes */
            peak = jn(c, "mac_per_cycle");
    }
    double x0 = -2, x1 = 3, y0 = -2, y1 = ceil(lg(peak > 0 ? peak * 2 : 10));
    double sx = RF_W / (x1 - x0), sy = RF_H / (y1 - y0);
    fprintf(f, "<svg id=\"roofline\" width=\"%d\" height=\"%d\">", RF_X0 + RF_W + 160,
            RF_Y0 + RF_H + 40);
    fprintf(f,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fcfcfc\" stroke=\"#999\"/>",
            RF_X0, RF_Y0, RF_W, RF_H);
    for (int e = (int)x0; e <= (int)x1; e++)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>",
                RF_X0 + (e - x0) * sx, RF_Y0 + RF_H + 14, pow(10, e));
    for (int e = (int)y0; e <= (int)y1; e++)
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>", RF_X0 - 4,
                RF_Y0 + RF_H - (e - y0) * sy + 4, pow(10, e));
    if (bw > 0 && peak > 0) { /* the roofs: bandwidth x intensity, then the peak */
        double xk = lg(peak / bw);
        fprintf(f,
                "<polyline fill=\"none\" stroke=\"#444\" stroke-width=\"1.5\" points=\"%.1f,%.1f "
                "%.1f,%.1f %.1f,%.1f\"/>",
                RF_X0 + 0.0, RF_Y0 + RF_H - (lg(bw * pow(10, x0)) - y0) * sy,
                RF_X0 + (xk - x0) * sx, RF_Y0 + RF_H - (lg(peak) - y0) * sy, RF_X0 + RF_W + 0.0,
                RF_Y0 + RF_H - (lg(peak) - y0) * sy);
    }
    cJSON_ArrayForEach(l, jget(r, "layers"))
    {
        const cJSON *m = jget(l, "modeled");
        double dma = jn(jget(l, "dma"), "l2l1_bytes"), macs = jn(l, "macs");
        if (!m || dma <= 0 || macs <= 0 || jn(m, "cycles") <= 0) continue;
        double x = RF_X0 + (lg(macs / dma) - x0) * sx,
               y = RF_Y0 + RF_H - (lg(jn(m, "mac_per_cycle")) - y0) * sy;
        const char *b = js(m, "bound");
        fprintf(f,
                "<circle class=\"roof-pt\" data-layer=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
                "fill=\"%s\"><title>",
                ji(l, "index"), x, y, !strcmp(b, "compute") ? "#2e75b6" : "#c55a11");
        esc(f, js(l, "name"));
        fprintf(f, ": %.3f MAC/byte, %.3f MAC/cycle (modeled), %s bound</title></circle>",
                macs / dma, jn(m, "mac_per_cycle"), b);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%d</text>", x + 6, y - 4, ji(l, "index"));
    }
    fprintf(f,
            "<text x=\"%d\" y=\"%d\">MACs per L2&lt;-&gt;L1 DMA byte</text>"
            "<text x=\"%d\" y=\"%d\">roofs: %.1f MAC/cycle, %.1f B/cycle</text>"
            "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"#2e75b6\"/><text x=\"%d\" y=\"%d\">compute "
            "bound</text><circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"#c55a11\"/><text x=\"%d\" "
            "y=\"%d\">DMA or L3 bound</text></svg>\n",
            RF_X0 + RF_W / 2 - 80, RF_Y0 + RF_H + 32, RF_X0 + RF_W + 8, RF_Y0 + 14, peak, bw,
            RF_X0 + RF_W + 14, RF_Y0 + 40, RF_X0 + RF_W + 24, RF_Y0 + 44, RF_X0 + RF_W + 14,
            RF_Y0 + 60, RF_X0 + RF_W + 24, RF_Y0 + 64);
}

/* ---- tables ----------------------------------------------------------------- */

static void shape_text(char *buf, size_t n, const cJSON *t)
{
    const cJSON *s = jget(t, "shape"), *d;
    size_t k = 0;
    buf[0] = '\0';
    cJSON_ArrayForEach(d, s)
    {
        k += (size_t)snprintf(buf + k, n > k ? n - k : 0, "%s%.0f", k ? "x" : "", d->valuedouble);
        if (k >= n) return;
    }
    snprintf(buf + k, n > k ? n - k : 0, " %s", js(t, "dtype"));
}

static void summary(FILE *f, const cJSON *r)
{
    const cJSON *t = jget(r, "totals"), *tg = jget(r, "target"), *m = jget(r, "measured");
    fputs("<section id=\"summary\"><h2>Totals</h2><dl>", f);
    fputs("<dt>target</dt><dd>", f);
    esc(f, js(tg, "name"));
    fputs(": ", f);
    esc(f, js(tg, "description"));
    fprintf(f, ", %d cores</dd>", ji(tg, "cores"));
    fprintf(f, "<dt>plan</dt><dd>%s, objective %s", js(r, "status"), js(r, "objective"));
    if (*js(r, "message")) {
        fputs(": ", f);
        esc(f, js(r, "message"));
    }
    fprintf(
        f,
        "</dd><dt>layers</dt><dd>%.0f</dd><dt>MACs</dt><dd>%.0f</dd><dt>parameters</dt><dd>%.0f "
        "bytes</dd>",
        jn(t, "layers"), jn(t, "macs"), jn(t, "param_bytes"));
    fprintf(f,
            "<dt>cycles</dt><dd class=\"modeled\">%.0f modeled (%.2f MAC/cycle; cost model of "
            "the target, calibration below)",
            jn(t, "modeled_cycles"), jn(t, "mac_per_cycle"));
    if (jget(t, "dory_objective_cycles"))
        fprintf(f, "; the DORY paper's objective gives %.0f", jn(t, "dory_objective_cycles"));
    fputs("</dd>", f);
    if (cJSON_IsObject(m)) {
        fprintf(f, "<dt>measured</dt><dd class=\"measured\">%.0f %s, ", jn(m, "total"),
                js(m, "unit"));
        esc(f, js(m, "what"));
        fprintf(f, "; %.2f MACs per %s; from ",
                jn(m, "total") > 0 ? jn(t, "macs") / jn(m, "total") : 0, js(m, "unit"));
        esc(f, js(m, "source"));
        fputs("</dd>", f);
    }
    fprintf(f,
            "<dt>L2</dt><dd>arena peak %.0f B, lower bound %.0f B (most bytes live at one "
            "layer); image of resident constants %.0f B; budget %.0f B</dd>"
            "<dt>L3</dt><dd>%.0f B used; constants %.0f B in L2, %.0f B streamed from L3</dd>"
            "<dt>DMA</dt><dd>%.0f B L2&lt;-&gt;L1, %.0f B L3&lt;-&gt;L2</dd>",
            jn(t, "l2_peak"), jn(t, "l2_lower_bound"), jn(t, "l2_image"), jn(t, "l2_budget"),
            jn(t, "l3_used"), jn(t, "constants_l2_bytes"), jn(t, "constants_l3_bytes"),
            jn(t, "dma_l2l1_bytes"), jn(t, "dma_l3l2_bytes"));
    if (*js(r, "test_input")) {
        fputs("<dt>test input</dt><dd>", f);
        esc(f, js(r, "test_input"));
        fputs("</dd>", f);
    }
    fputs("</dl></section>\n", f);
}

/* Tile sizes as "h x w x co / ci", counts as "h:w:co:ci". */
static void tiles_text(char *buf, size_t n, const cJSON *l, const char *what)
{
    const cJSON *t = jget(l, "tiles");
    const char *k[4] = {"ho", "wo", "co", "ci"};
    int counts = !strcmp(what, "n");
    size_t p = 0;
    buf[0] = '\0';
    for (int d = 0; d < 4 && t && p < n; d++)
        p += (size_t)snprintf(buf + p, n - p, "%s%.0f",
                              d == 0   ? ""
                              : counts ? ":"
                              : d == 3 ? "/"
                                       : "x",
                              jn(jget(t, k[d]), what));
}

static void layer_row(FILE *f, const cJSON *l, int measured)
{
    char in[160] = "", out[64], tl[96], cnt[96];
    const cJSON *i, *m = jget(l, "modeled"), *me = jget(l, "measured"), *fd = jget(l, "fixed_diff");
    cJSON_ArrayForEach(i, jget(l, "inputs"))
    {
        size_t k = strlen(in);
        if (k) snprintf(in + k, sizeof in - k, ", ");
        k = strlen(in);
        shape_text(in + k, sizeof in - k, i);
    }
    shape_text(out, sizeof out, jget(l, "output"));
    tiles_text(tl, sizeof tl, l, "tile");
    tiles_text(cnt, sizeof cnt, l, "n");
    fprintf(f, "<tr id=\"row-%d\"><td class=\"n\">%d</td>", ji(l, "index"), ji(l, "index"));
    fprintf(f, "<td><a href=\"#layer-%d\">", ji(l, "index"));
    esc(f, js(l, "name"));
    fputs("</a></td>", f);
    cell_s(f, js(l, "op"));
    cell_s(f, in);
    cell_s(f, out);
    cell_n(f, jn(l, "macs"), 0);
    cell_n(f, jn(l, "param_bytes"), 0);
    cell_s(f, js(l, "requant"));
    cell_s(f, js(l, "arith"));
    cell_s(f, js(jget(l, "kernel"), "name"));
    cell_s(f, tl);
    cell_s(f, cnt);
    cell_n(f, jn(jget(l, "l1"), "used"), 0);
    cell_n(f, jn(jget(l, "dma"), "l2l1_bytes"), 0);
    cell_n(f, jn(jget(l, "dma"), "l3l2_bytes"), 0);
    cell_n(f, m ? jn(m, "cycles") : 0, 0);
    cell_n(f, m ? jn(m, "mac_per_cycle") : 0, 2);
    if (measured) {
        if (me) {
            cell_n(f, jn(me, "value"), 0);
            cell_n(f, jn(me, "mac_per_unit"), 3);
            cell_n(f, jn(me, "ratio"), 2);
        } else {
            cell_s(f, "-");
            cell_s(f, "-");
            cell_s(f, "-");
        }
    }
    cell_s(f, m ? js(m, "bound") : js(l, "status"));
    if (fd) {
        char d[64];
        snprintf(d, sizeof d, "%.0f of %.0f (at most %.0f)", jn(fd, "differ"), jn(fd, "total"),
                 jn(fd, "worst"));
        cell_s(f, d);
    } else {
        cell_s(f, "-");
    }
    fputs("</tr>\n", f);
}

static void layer_table(FILE *f, const cJSON *r)
{
    const cJSON *m = jget(r, "measured"), *l;
    int measured = cJSON_IsObject(m);
    fputs("<section id=\"layers\"><h2>Layers</h2><table id=\"layer-table\"><tr><th>#</th>"
          "<th>layer</th><th>op</th><th>input</th><th>output</th><th>MACs</th><th>params B</th>"
          "<th>requant</th><th>arith bits</th><th>kernel</th><th>tile h x w x co/ci</th>"
          "<th>tiles h:w:co:ci</th><th>L1 used B</th><th>DMA L2-L1 B</th><th>DMA L3-L2 B</th>"
          "<th class=\"modeled\">modeled cycles</th><th class=\"modeled\">modeled MAC/cycle</th>",
          f);
    if (measured)
        fprintf(f,
                "<th class=\"measured\">measured %s</th><th class=\"measured\">measured "
                "MAC/%s</th><th class=\"measured\">measured / modeled</th>",
                js(m, "unit"), js(m, "unit"));
    fputs("<th>bound (model)</th><th>FLOAT-&gt;FIXED outputs differing</th></tr>\n", f);
    cJSON_ArrayForEach(l, jget(r, "layers")) layer_row(f, l, measured);
    fputs("</table>", f);
    if (measured) {
        fputs("<p class=\"note\">measured: ", f);
        esc(f, js(m, "what"));
        fputs("; the ratio divides it by the modeled cycles.</p>", f);
    }
    fputs("</section>\n", f);
}

static void tensor_table(FILE *f, const cJSON *r)
{
    const cJSON *t;
    fputs("<table id=\"tensor-table\"><tr><th>tensor</th><th>kind</th><th>where</th>"
          "<th>offset</th><th>bytes</th><th>live (layers)</th><th>storage of</th></tr>\n",
          f);
    cJSON_ArrayForEach(t, jget(r, "tensors"))
    {
        char live[48] = "whole run";
        if (ji(t, "first") >= 0)
            snprintf(live, sizeof live, "%d..%d", ji(t, "first"), ji(t, "last"));
        fputs("<tr>", f);
        cell_s(f, js(t, "name"));
        cell_s(f, js(t, "kind"));
        cell_s(f, js(t, "region"));
        cell_n(f, jn(t, "offset"), 0);
        cell_n(f, jn(t, "bytes"), 0);
        cell_s(f, live);
        cell_s(f, js(t, "alias_of"));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void layer_detail(FILE *f, const cJSON *l)
{
    const cJSON *k = jget(l, "kernel"), *m = jget(l, "modeled"), *s = jget(l, "l3");
    fprintf(f, "<h3 id=\"layer-%d\">%d ", ji(l, "index"), ji(l, "index"));
    esc(f, js(l, "name"));
    fprintf(f, " (%s)</h3>", js(l, "op"));
    fputs("<p>kernel <b>", f);
    esc(f, js(k, "name"));
    fputs("</b>: ", f);
    esc(f, js(k, "why"));
    fputs(". Binding constraint: ", f);
    esc(f, *js(l, "binding") ? js(l, "binding") : js(l, "status"));
    fputs(".</p>", f);
    if (!m) return;
    char tl[96], cnt[96], last[96];
    tiles_text(tl, sizeof tl, l, "tile");
    tiles_text(cnt, sizeof cnt, l, "n");
    tiles_text(last, sizeof last, l, "last");
    fprintf(
        f,
        "<p>tile %s (h x w x co / ci), %s tiles per dimension, border tiles %s; loop order "
        "%s; input tile %.0fx%.0fx%.0f. L3: %s%s%s, %.0f row slices x %.0f channel slices. "
        "DMA: %.0f B L2&lt;-&gt;L1 (in %.0f, weights %.0f, out %.0f), %.0f B L3&lt;-&gt;L2.</p>",
        tl, cnt, last, js(l, "order"), jn(jget(l, "in_tile"), "h"), jn(jget(l, "in_tile"), "w"),
        jn(jget(l, "in_tile"), "c"),
        cJSON_IsTrue(jget(s, "weights_stream")) ? "weights stream " : "",
        cJSON_IsTrue(jget(s, "input_in_l3")) ? "input in L3 " : "",
        cJSON_IsTrue(jget(s, "output_in_l3")) ? "output in L3" : "nothing streamed",
        jn(jget(s, "row_slice"), "n"), jn(jget(s, "co_slice"), "n"),
        jn(jget(l, "dma"), "l2l1_bytes"), jn(jget(l, "dma"), "in_bytes"),
        jn(jget(l, "dma"), "w_bytes"), jn(jget(l, "dma"), "out_bytes"),
        jn(jget(l, "dma"), "l3l2_bytes"));
    fprintf(f,
            "<p class=\"modeled\">modeled: %.0f cycles = compute %.0f + per-tile overhead %.0f + "
            "exposed DMA %.0f + L3 %.0f (all DMA %.0f, hidden by double buffering where it is "
            "shorter than compute); %.2f MAC/cycle, %s bound.",
            jn(m, "cycles"), jn(m, "compute"), jn(m, "overhead"), jn(m, "exposed_dma"), jn(m, "l3"),
            jn(m, "dma"), jn(m, "mac_per_cycle"), js(m, "bound"));
    const cJSON *me = jget(l, "measured");
    if (me) {
        fprintf(f, " <span class=\"measured\">measured: %.0f (%.2f x modeled), check ",
                jn(me, "value"), jn(me, "ratio"));
        esc(f, js(me, "check"));
        fputs("</span>", f);
    }
    fprintf(f, "</p><p class=\"note\">L1 tile area: %.0f of %.0f bytes used</p>",
            jn(jget(l, "l1"), "used"), jn(jget(l, "l1"), "budget"));
    l1_map(f, l);
}

static void fixed_section(FILE *f, const cJSON *r)
{
    const cJSON *x = jget(r, "float_to_fixed");
    fputs("<section id=\"float-to-fixed\"><h2>FLOAT on an integer-only target</h2>", f);
    if (!cJSON_IsTrue(jget(x, "converted"))) {
        fputs("<p>No conversion: the model's requantization runs as written.</p></section>\n", f);
        return;
    }
    fprintf(f,
            "<p>The target has no FPU: FLOAT requantization is computed in integers (exact "
            "emulation of fp32). On the test input, %.0f of %.0f "
            "network outputs differ from FLOAT (by at most %.0f); per layer in the table "
            "above.</p></section>\n",
            jn(x, "network_differ"), jn(x, "network_total"), jn(x, "network_worst"));
}

static void calibration(FILE *f, const cJSON *r)
{
    const cJSON *tg = jget(r, "target"), *c;
    fputs("<section id=\"calibration\"><h2>Cost model calibration</h2><p class=\"note\">Every "
          "modeled number comes from these constants (docs/PLANNER.md).</p><table><tr>"
          "<th>kernel kind</th><th>MAC/cycle</th><th>cycles per tile</th><th>source</th></tr>\n",
          f);
    cJSON_ArrayForEach(c, jget(tg, "calibration"))
    {
        fputs("<tr>", f);
        cell_s(f, js(c, "kind"));
        cell_n(f, jn(c, "mac_per_cycle"), 2);
        cell_n(f, jn(c, "tile_overhead"), 0);
        cell_s(f, js(c, "source"));
        fputs("</tr>\n", f);
    }
    const char *lv[3] = {"l1", "l2", "l3"};
    fputs("</table><table><tr><th>level</th><th>size B</th><th>budget B</th><th>bandwidth "
          "B/cycle</th><th>latency cycles/job</th></tr>",
          f);
    for (int i = 0; i < 3; i++) {
        const cJSON *m = jget(tg, lv[i]);
        fputs("<tr>", f);
        cell_s(f, js(m, "name"));
        cell_n(f, jn(m, "size"), 0);
        cell_n(f, jn(m, "budget"), 0);
        cell_n(f, jn(m, "bandwidth"), 2);
        cell_n(f, jn(m, "latency"), 0);
        fputs("</tr>", f);
    }
    fputs("</table></section>\n", f);
}

char *report_html(const cJSON *r)
{
    char *buf = NULL;
    size_t size = 0;
    long failures = util_alloc_failures(); /* a part that ran out of memory is left out */
    FILE *f = open_memstream(&buf, &size);
    if (!f) return NULL;
    const cJSON *tg = jget(r, "target"), *l;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dory report: ",
          f);
    esc(f, js(r, "model"));
    fputs(" on ", f);
    esc(f, js(tg, "name"));
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>dory deployment report: ", CSS);
    esc(f, js(r, "model"));
    fputs(" on ", f);
    esc(f, js(tg, "name"));
    fputs("</h1>\n<p class=\"note\">Cycles marked modeled come from the planner's cost model, "
          "not from a run; measured numbers appear beside them after <code>dory report</code>. "
          "docs/REPORT.md explains every part.</p>\n",
          f);
    summary(f, r);
    layer_table(f, r);
    fputs("<section id=\"l2\"><h2>L2 timeline</h2><p class=\"note\">One bar per activation in "
          "the L2 arena and per L3 staging buffer: its addresses (down) during its layers "
          "(across). Red: the arena's peak; green: the lower bound, the most bytes live at one "
          "layer.</p>",
          f);
    l2_timeline(f, r);
    fputs("<h3>Every tensor</h3>", f);
    tensor_table(f, r);
    fputs("<h3>L2 image (resident constants, read in place)</h3>", f);
    region_map(f, r, "image", "imagemap", jn(jget(r, "totals"), "l2_image"));
    fputs("</section>\n<section id=\"l3\"><h2>L3 map</h2>", f);
    region_map(f, r, "L3", "l3map", jn(jget(r, "totals"), "l3_used"));
    fputs("</section>\n<section id=\"roof\"><h2>Compute or DMA bound (roofline, modeled)</h2>", f);
    roofline(f, r);
    fputs("</section>\n", f);
    fixed_section(f, r);
    fputs("<section id=\"tiles\"><h2>Tiles and L1 maps</h2><p class=\"note\">Each layer's L1 "
          "tile area to scale: [0] and [1] are the two halves of a double buffer.</p>\n",
          f);
    cJSON_ArrayForEach(l, jget(r, "layers")) layer_detail(f, l);
    fputs("</section>\n", f);
    calibration(f, r);
    fputs("</body></html>\n", f);
    if (fclose(f) != 0 || util_alloc_failures() != failures) {
        free(buf);
        return NULL;
    }
    return buf;
}
