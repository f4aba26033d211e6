/* cg_data.c: the application's data files: src/data.c (the input and the
 * golden outputs of the reference interpreter, by checksum or in full),
 * weights/weights.c (L2-resident weights at their L2 offsets) and
 * weights/l3_weights.bin (the L3-streamed ones, one blob).
 *
 * Bytes are stored as the target holds them (HWC, little-endian). Must not
 * place anything: every L2 and L3 offset comes from the Plan.
 */
#include <stdlib.h>

#include "cg_int.h"

static uint32_t fnv1a(const uint8_t *b, int64_t n)
{
    uint32_t h = 2166136261u;
    for (int64_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

/* The stored bytes of a tensor's values (HWC, its dtype, little-endian). */
static uint8_t *tensor_bytes_of(const Tensor *t, const int32_t *v)
{
    int64_t n = tensor_numel(t), e = cg_elem_bytes(t);
    uint8_t *b = malloc((size_t)(n * e) + 1);
    if (!b) return NULL;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < e; k++) b[i * e + k] = (uint8_t)((uint32_t)v[i] >> (8 * k));
    return b;
}

/* The stored bytes of a constant, each value moved by -shift. */
static uint8_t *const_bytes(const Tensor *t, int shift)
{
    int64_t n = tensor_numel(t), e = cg_elem_bytes(t);
    uint8_t *b = malloc((size_t)(n * e) + 1);
    if (!b) return NULL;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)(tensor_get(t, i) - shift);
        for (int64_t k = 0; k < e; k++) b[i * e + k] = (uint8_t)(v >> (8 * k));
    }
    return b;
}

/* weights/weights.c: L2-resident weights as const arrays with their L2
 * offsets; weights/l3_weights.bin: the L3-streamed ones, one blob, with
 * their L3 offsets in weights.c. */
int cg_write_weights(const char *dir, const Graph *g, const Layer *layers)
{
    Out o, blob;
    if (cg_out_open(&o, dir, "weights/weights.c") ||
        cg_out_open(&blob, dir, "weights/l3_weights.bin"))
        return -1;
    cg_emit(&o, "/* weights.c: the L2-resident weights, placed in the L2 arena at their planned\n"
                " * offsets when the application starts (on a chip the loader does this), and\n"
                " * where the L3-resident ones are in weights/l3_weights.bin. */\n"
                "#include \"network.h\"\n\n");
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (!L->w || L->w_in_l3) continue;
        uint8_t *b = const_bytes(L->w, cg_weight_shift(L));
        if (!b) return -1;
        char decl[160];
        snprintf(decl, sizeof decl, "static const uint8_t w_%02d", i);
        cg_emit(&o, "/* %s: %s [%lld x %lld] */\n", L->n->name, L->w->name,
                (long long)L->w->shape[0], (long long)(tensor_numel(L->w) / L->w->shape[0]));
        cg_emit_bytes(&o, decl, b, tensor_bytes(L->w));
        free(b);
    }
    cg_emit(&o, "\nconst dory_data_t dory_l2_image[] = {\n");
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].w && !layers[i].w_in_l3)
            cg_emit(&o, "    {0, %lld, w_%02d, sizeof w_%02d},\n", (long long)layers[i].w_l2, i, i);
    cg_emit(&o, "    {0, 0, 0, 0}};\n\n/* {L3 offset, offset in l3_weights.bin, bytes} */\n"
                "const dory_blob_item_t dory_l3_image[] = {\n");
    int64_t at = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (!L->w || !L->w_in_l3) continue;
        uint8_t *b = const_bytes(L->w, cg_weight_shift(L));
        if (!b) return -1;
        fwrite(b, 1, (size_t)tensor_bytes(L->w), blob.f);
        free(b);
        cg_emit(&o, "    {%lld, %lld, %lld}, /* %s */\n", (long long)L->w_l3, (long long)at,
                (long long)tensor_bytes(L->w), L->w->name);
        at += tensor_bytes(L->w);
    }
    cg_emit(&o, "    {0, 0, 0}};\n");
    if (cg_out_close(&blob)) return -1;
    return cg_out_close(&o);
}

int cg_golden_hook(void *ctx, const InterpState *s, const Node *n, int index)
{
    Golden *gd = ctx;
    const Tensor *t = graph_tensor(s->g, n->out);
    uint8_t *b = tensor_bytes_of(t, s->values[n->out]);
    if (!b) return -1;
    gd->sum[index] = fnv1a(b, tensor_bytes(t));
    gd->bytes[index] = b;
    return 0;
}

int cg_write_data(const char *dir, const Graph *g, const Plan *p, const CodegenOptions *opt,
                  Golden *gd)
{
    Out o;
    if (cg_out_open(&o, dir, "src/data.c")) return -1;
    cg_emit(&o, "/* data.c: the input and the golden outputs (reference interpreter). */\n"
                "#include \"network.h\"\n\n");
    for (int i = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        uint8_t *b = tensor_bytes_of(t, opt->inputs[i]);
        if (!b) return -1;
        char decl[64];
        snprintf(decl, sizeof decl, "static const uint8_t input_%d", i);
        cg_emit_bytes(&o, decl, b, tensor_bytes(t));
        free(b);
    }
    cg_emit(&o, "\nconst dory_data_t dory_inputs[] = {\n");
    for (int i = 0; i < g->ninputs; i++) {
        int64_t off = 0;
        int l3 = cg_place_of(p, g->inputs[i], &off) == LOC_L3;
        cg_emit(&o, "    {%d, %lld, input_%d, sizeof input_%d},\n", l3, (long long)off, i, i);
    }
    cg_emit(&o, "    {0, 0, 0, 0}};\n\n");
    for (int i = 0; i < g->nnodes; i++) {
        int last = i == g->nnodes - 1;
        int full = opt->check == CHECK_ALL || (opt->check == CHECK_LAST && last);
        if (!full) continue;
        char decl[64];
        snprintf(decl, sizeof decl, "static const uint8_t golden_%02d", i);
        cg_emit_bytes(&o, decl, gd->bytes[i], tensor_bytes(graph_tensor(g, g->nodes[i]->out)));
    }
    cg_emit(&o, "\nconst dory_golden_t dory_golden[] = {\n");
    for (int i = 0; i < g->nnodes; i++) {
        int last = i == g->nnodes - 1;
        int full = opt->check == CHECK_ALL || (opt->check == CHECK_LAST && last);
        int check = opt->check != CHECK_NONE && (opt->check != CHECK_LAST || last);
        if (full)
            cg_emit(&o, "    {%d, 0x%08xu, golden_%02d},\n", check, gd->sum[i], i);
        else
            cg_emit(&o, "    {%d, 0x%08xu, 0},\n", check, gd->sum[i]);
    }
    cg_emit(&o, "};\n");
    return cg_out_close(&o);
}
