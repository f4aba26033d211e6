/* cg_data.c: the application's data files: test/data.c (the input and the
 * golden outputs of the reference interpreter, by checksum or in full, for
 * the harness), weights/weights.c (the L2 image's weights, read in place) and
 * weights/l3_weights.bin (the L3-resident ones, one blob).
 *
 * Bytes are stored as the target holds them (HWC, little-endian). Must not
 * place anything: every L2 and L3 offset comes from the Plan.
 */
#include <stdlib.h>
#include <string.h>

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
    uint8_t *b = util_malloc((size_t)(n * e) + 1);
    if (!b) return NULL;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < e; k++) b[i * e + k] = (uint8_t)((uint32_t)v[i] >> (8 * k));
    return b;
}

/* The stored bytes of a constant, each value moved by -shift. */
static uint8_t *const_bytes(const Tensor *t, int shift)
{
    int64_t n = tensor_numel(t), e = cg_elem_bytes(t);
    uint8_t *b = util_malloc((size_t)(n * e) + 1);
    if (!b) return NULL;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)(tensor_get(t, i) - shift);
        for (int64_t k = 0; k < e; k++) b[i * e + k] = (uint8_t)(v >> (8 * k));
    }
    return b;
}

/* A layer's weights as the image holds them: its kernel row's packing
 * (DORY_KF_PACK16: int16 w - zw, dory_pack_w16()) or the tensor's bytes. */
int64_t cg_w_image_bytes(const Layer *L)
{
    int64_t cout = L->w->shape[0];
    if (!(L->ki->flags & DORY_KF_PACK16)) return tensor_bytes(L->w);
    return dory_pack_w16_bytes((int)cout, (int)(tensor_numel(L->w) / cout));
}

static uint8_t *image_weights(const Layer *L)
{
    int64_t cout = L->w->shape[0], k = tensor_numel(L->w) / cout;
    uint8_t *b = const_bytes(L->w, cg_weight_shift(L)), *p;
    int32_t *zp;
    if (!b || !(L->ki->flags & DORY_KF_PACK16)) return b;
    p = util_malloc((size_t)cg_w_image_bytes(L));
    zp = util_malloc((size_t)cout * sizeof *zp);
    if (p && zp) {
        for (int64_t c = 0; c < cout; c++) zp[c] = tensor_zp_at(L->w, c) - cg_weight_shift(L);
        dory_pack_w16((const int8_t *)b, (int)cout, (int)k, zp, 1, p);
    }
    free(zp);
    free(b);
    return p;
}

/* Bytes of the generated weights array: the weights come first in the L2
 * image (src/plan/alloc.c), so the array ends after the last of them. */
int64_t cg_l2_weights_bytes(const Graph *g, const Layer *layers)
{
    int64_t end = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (L->w && !L->w_in_l3) end = DORY_MAX(end, L->w_l2 + cg_w_image_bytes(L));
        if (L->c_block) end = DORY_MAX(end, L->c_img + cg_consts_image_bytes(L));
    }
    return end;
}

/* weights/weights.c: the L2 image's weights, one const array read in place
 * (each layer's at its planned image offset); weights/l3_weights.bin: the
 * L3-resident ones, one blob, loaded into L3 at start-up through the HAL. */
int cg_write_weights(const char *dir, const Graph *g, const Layer *layers)
{
    Out o, blob;
    int64_t n = cg_l2_weights_bytes(g, layers);
    uint8_t *image = util_calloc((size_t)n + 1, 1);
    if (!image) return diag_error(DIAG_NOLOC, "out of memory");
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (!L->w || L->w_in_l3) continue;
        uint8_t *b = image_weights(L);
        if (!b) return free(image), diag_error(DIAG_NOLOC, "out of memory");
        memcpy(image + L->w_l2, b, (size_t)cg_w_image_bytes(L));
        free(b);
    }
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].c_block) cg_consts_bytes(g, &layers[i], image + layers[i].c_img);
    if (cg_out_open(&o, dir, "weights/weights.c") ||
        cg_out_open(&blob, dir, "weights/l3_weights.bin"))
        return free(image), -1;
    cg_emit(&o, "/* weights.c: the weights the L2 image holds, read where they are (the\n"
                " * loader or the linker puts them in L2). */\n#include \"network_layers.h\"\n\n"
                "/* image offset, bytes: layer (weights) */\n");
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].w && !layers[i].w_in_l3)
            cg_emit(&o, "/* %8lld %8lld: %s (%s) */\n", (long long)layers[i].w_l2,
                    (long long)cg_w_image_bytes(&layers[i]), cg_cmt(layers[i].n->name),
                    cg_cmt(layers[i].w->name));
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].c_block)
            cg_emit(&o, "/* %8lld %8lld: %s (constants of each channel tile, for L1) */\n",
                    (long long)layers[i].c_img, (long long)cg_consts_image_bytes(&layers[i]),
                    cg_cmt(layers[i].n->name));
    cg_emit_bytes(&o, "const uint8_t dory_l2_weights", image, n);
    free(image);
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (!L->w || !L->w_in_l3) continue;
        uint8_t *b = const_bytes(L->w, cg_weight_shift(L));
        if (!b) return diag_error(DIAG_NOLOC, "out of memory");
        fwrite(b, 1, (size_t)tensor_bytes(L->w), blob.f);
        free(b);
    }
    if (cg_out_close(&blob)) return -1;
    return cg_out_close(&o);
}

/* The L3 image items of network.c: {L3 offset, offset in the blob, bytes},
 * in the blob's order (cg_write_weights). */
void cg_emit_l3_image(Out *o, const Graph *g, const Layer *layers)
{
    int64_t at = 0;
    cg_emit(o, "static const struct {\n    size_t offset, at, bytes;\n} l3_image[] = {\n");
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        if (!L->w || !L->w_in_l3) continue;
        cg_emit(o, "    {.offset = %lld, .at = %lld, .bytes = %lld}, /* %s */\n",
                (long long)L->w_l3, (long long)at, (long long)tensor_bytes(L->w),
                cg_cmt(L->w->name));
        at += tensor_bytes(L->w);
    }
    cg_emit(o, "    {.offset = 0, .at = 0, .bytes = 0}};\n\n");
}

/* Bytes of all graph inputs, concatenated. */
static int64_t io_total(const Graph *g)
{
    int64_t b = 0;
    for (int i = 0; i < g->ninputs; i++) b += tensor_bytes(graph_tensor(g, g->inputs[i]));
    return b;
}

int cg_golden_hook(void *ctx, const InterpState *s, const Node *n, int index)
{
    Golden *gd = ctx;
    const Tensor *t = graph_tensor(s->g, n->out);
    uint8_t *b = tensor_bytes_of(t, s->values[n->out]);
    if (!b) return diag_error(DIAG_NOLOC, "out of memory for the golden output of '%s'", n->name);
    gd->sum[index] = fnv1a(b, tensor_bytes(t));
    gd->bytes[index] = b;
    return 0;
}

int cg_write_data(const char *dir, const Graph *g, const Plan *p, const CodegenOptions *opt,
                  Golden *gd)
{
    Out o;
    (void)p;
    if (cg_out_open(&o, dir, "test/data.c")) return -1;
    cg_emit(&o, "/* data.c: the harness's input and the golden outputs of every layer (the\n"
                " * reference interpreter's). Not part of the network library. */\n"
                "#include \"dory_test.h\"\n#include \"network.h\"\n\n");
    int64_t total = io_total(g);
    uint8_t *in = util_malloc((size_t)total + 1);
    if (!in) return diag_error(DIAG_NOLOC, "out of memory");
    for (int i = 0, at = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        uint8_t *b = tensor_bytes_of(t, opt->inputs[i]);
        if (!b) return free(in), diag_error(DIAG_NOLOC, "out of memory");
        memcpy(in + at, b, (size_t)tensor_bytes(t));
        at += (int)tensor_bytes(t);
        free(b);
    }
    cg_emit_bytes(&o, "const uint8_t dory_test_input", in, total);
    free(in);
    cg_emit(&o, "\n");
    for (int i = 0; i < g->nnodes; i++) {
        int last = i == g->nnodes - 1;
        int full = opt->check == CHECK_ALL || (opt->check == CHECK_LAST && last);
        if (!full) continue;
        char decl[64];
        snprintf(decl, sizeof decl, "static const uint8_t golden_%02d", i);
        cg_emit_bytes(&o, decl, gd->bytes[i], tensor_bytes(graph_tensor(g, g->nodes[i]->out)));
    }
    cg_emit(&o, "\nconst dory_golden_t dory_golden[DORY_LAYERS] = {\n");
    for (int i = 0; i < g->nnodes; i++) {
        int last = i == g->nnodes - 1;
        int full = opt->check == CHECK_ALL || (opt->check == CHECK_LAST && last);
        int check = opt->check != CHECK_NONE && (opt->check != CHECK_LAST || last);
        char bytes[32] = "NULL";
        if (full) snprintf(bytes, sizeof bytes, "golden_%02d", i);
        cg_emit(&o, "    {.check = %d, .sum = 0x%08xu, .bytes = %s}, /* %s */\n", check, gd->sum[i],
                bytes, cg_cmt(g->nodes[i]->name));
    }
    cg_emit(&o, "};\n");
    return cg_out_close(&o);
}
