/* frontend.c: picks the frontend for a model file. Adding a format means one
 * file in src/frontend/ and one entry in the table below.
 */
#include "frontend.h"

#include <string.h>

#include "build.h"
#include "ir/text.h"

/* The text's own header, or a .dory name on something that is text at all
 * (a binary under that name goes on to the other frontends' sniffing). */
static int ir_sniff(const char *path, const unsigned char *head, size_t len)
{
    if (ir_text_sniff(head, len)) return 1;
    return util_ends_with(path, ".dory") && !memchr(head, '\0', len);
}

/* The text's `graph NAME` line names the graph (the path never does); a
 * quoted name may hold any bytes, so it is sanitised as every frontend's is. */
static Graph *ir_load(const char *path, const FrontendOptions *opt)
{
    (void)opt;
    Graph *g = ir_load_text(path);
    if (g && !(g->name = build_graph_name(&g->arena, g->name, path))) {
        graph_free(g);
        return NULL;
    }
    return g;
}

static const Frontend ir_frontend = {"ir", "dory IR text (.dory)", ir_sniff, ir_load};

extern const Frontend onnx_frontend;   /* onnx.c */
extern const Frontend tflite_frontend; /* tflite.c */

static const Frontend *const frontends[] = {
    &ir_frontend,
    &tflite_frontend, /* before ONNX: its "TFL3" identifier is certain */
    &onnx_frontend,
    NULL,
};

const Frontend *const *frontend_list(void) { return frontends; }

Graph *frontend_load_file(const char *path, const FrontendOptions *opt, FrontendBufferFn fn)
{
    Arena a;
    arena_init(&a);
    size_t len = 0;
    unsigned char *buf = util_read_file(&a, path, &len);
    Graph *g = buf ? fn(path, buf, len, opt) : NULL;
    arena_free(&a);
    return g;
}

Graph *frontend_load(const char *path, const FrontendOptions *opt)
{
    DiagLoc loc = {path, 0, 0, 0};
    FILE *f = util_open_input(path);
    if (!f) return NULL;
    unsigned char head[256];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    for (int i = 0; frontends[i]; i++) {
        const Frontend *fe = frontends[i];
        if (opt && opt->format) {
            if (strcmp(opt->format, fe->name) == 0) return fe->load(path, opt);
        } else if (fe->sniff(path, head, n)) {
            return fe->load(path, opt);
        }
    }
    if (opt && opt->format)
        diag_error(loc, "unknown model format '%s' (see dory --help)", opt->format);
    else
        diag_error(loc, "unrecognised model format (known: see dory --help)");
    return NULL;
}
