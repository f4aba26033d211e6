/* cg_analyse.c: what the generator makes of one node and its plan (a Layer:
 * kernel, operand placement, channel slicing), and the checks that each L1
 * buffer the generated code needs fits the one the plan gave it.
 *
 * Refuses, naming the node, what cannot be generated yet. Writes no file and
 * must not pick tile sizes or offsets: they all come from the Plan.
 */
#include <string.h>

#include "cg_int.h"
#include "dory_kernels.h"

/* The kernels store int32 outputs (raw accumulators of a last layer). */
enum { KERNELS_I32_OUT = 1 };

/* Where a tensor lives: its level (LOC_L2 or LOC_L3) and offset there. */
int cg_place_of(const Plan *p, int id, int64_t *off)
{
    int guard = 0;
    while (p->tensors[id].loc == LOC_ALIAS && guard++ < 1000) id = p->tensors[id].alias;
    *off = p->tensors[id].offset;
    return p->tensors[id].loc;
}

static void safe_name(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < n && k < 40; src++)
        dst[k++] = (char)((*src >= 'a' && *src <= 'z') || (*src >= 'A' && *src <= 'Z') ||
                                  (*src >= '0' && *src <= '9')
                              ? *src
                              : '_');
    dst[k] = '\0';
}

static int classify(const Graph *g, Layer *L)
{
    const Node *n = L->n;
    DiagLoc loc = node_loc(g, n);
    switch (n->op) {
    case OP_CONV2D: {
        int64_t cin = act_c(L->x), cout = act_c(L->y);
        L->kh = (int)L->w->shape[1];
        L->kw = (int)L->w->shape[2];
        L->w_per_co = L->kh * L->kw * L->w->shape[3];
        if (n->groups == 1) {
            int nopad = !n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3];
            L->kind = L->kh == 1 && L->kw == 1 && nopad ? GK_PW : GK_CONV;
            L->kernel = L->kind == GK_PW ? "dory_conv1x1_s8" : "dory_conv2d_hwc_s8";
        } else if (n->groups == cin && cin == cout) {
            L->kind = GK_DW;
            L->coupled = 1;
            int fast = L->kh == 3 && L->kw == 3 && n->dilation[0] == 1 && n->dilation[1] == 1;
            L->kernel = fast ? "dory_dwconv3x3_s8" : "dory_dwconv_s8";
        } else {
            /* grouped, or depthwise with a channel multiplier: per group a
             * standard conv on the group's channel slices (channel strides) */
            L->kind = GK_GROUPED;
            L->coupled = 1;
            int nopad = !n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3];
            L->kernel =
                L->kh == 1 && L->kw == 1 && nopad ? "dory_conv1x1_s8" : "dory_conv2d_hwc_s8";
        }
        L->gin = cin / n->groups;
        L->gout = cout / n->groups;
        (void)loc;
        return 0;
    }
    case OP_FC:
        L->kind = GK_FC;
        L->kernel = "dory_fc_s8";
        L->w_per_co = L->w->shape[1];
        return 0;
    case OP_MAXPOOL:
    case OP_AVGPOOL:
        L->kind = n->op == OP_MAXPOOL ? GK_MAXPOOL : GK_AVGPOOL;
        L->kernel = n->op == OP_MAXPOOL ? "dory_maxpool_s8" : "dory_avgpool_s8";
        L->coupled = 1;
        L->gin = L->gout = 1;
        node_kernel(g, n, &L->kh, &L->kw);
        return 0;
    case OP_ADD:
        L->kind = GK_ADD;
        L->kernel = "dory_add_s8";
        L->coupled = 1;
        L->gin = L->gout = 1;
        return 0;
    case OP_REQUANT:
        L->kind = GK_REQUANT;
        L->kernel = "dory_requant_s8";
        L->coupled = 1;
        L->gin = L->gout = 1;
        L->kh = L->kw = 1;
        return 0;
    case OP_CONCAT: L->kind = GK_CONCAT; return 0;
    case OP_RESHAPE: L->kind = GK_ALIAS; return 0;
    default: return diag_error(loc, "the code generator has no kernel for %s yet", op_name(n->op));
    }
}

int cg_analyse(const Graph *g, const Plan *p, int i, Layer *L)
{
    memset(L, 0, sizeof *L);
    L->index = i;
    L->n = g->nodes[i];
    L->lp = &p->layers[i];
    const Node *n = L->n;
    char nm[48];
    safe_name(nm, sizeof nm, n->name);
    snprintf(L->fn, sizeof L->fn, "layer_%02d_%s", i, nm);
    L->x = graph_tensor(g, n->in[0]);
    L->y = graph_tensor(g, n->out);
    if (n->op == OP_CONV2D || n->op == OP_FC) {
        L->w = graph_tensor(g, n->in[1]);
        L->b = n->nin > 2 && n->in[2] >= 0 ? graph_tensor(g, n->in[2]) : NULL;
    }
    if (n->op == OP_ADD) L->x2 = graph_tensor(g, n->in[1]);
    if (classify(g, L)) return -1;
    if (L->coupled && L->gin == 1 && L->gout == 1) {
        snprintf(L->cin0, sizeof L->cin0, "t->co0");
        snprintf(L->cin_n, sizeof L->cin_n, "t->co");
    } else if (L->coupled) {
        snprintf(L->cin0, sizeof L->cin0, "t->co0 / %lld * %lld", (long long)L->gout,
                 (long long)L->gin);
        snprintf(L->cin_n, sizeof L->cin_n, "(t->co + %lld) / %lld * %lld",
                 (long long)(L->gout - 1), (long long)L->gout, (long long)L->gin);
    }
    if (L->kind == GK_ALIAS) return 0;
    L->in_elem = (int)cg_elem_bytes(L->x);
    L->out_elem = (int)cg_elem_bytes(L->y);
    if (L->kind != GK_CONCAT && L->lp->status != PLAN_OK)
        return diag_error(node_loc(g, n), "the layer has no plan: %s",
                          L->lp->why ? L->lp->why : plan_status_name(L->lp->status));
    if (L->kind == GK_CONCAT) {
        const L3Plan *l3 = &L->lp->l3;
        int64_t off, rows = l3->row_slice.n > 1 ? l3->row_slice.tile : act_h(L->y), in_row = 0;
        L->y_in_l3 = cg_place_of(p, n->out, &off) == LOC_L3;
        for (int k = 0; k < n->nin; k++) {
            const Tensor *x = graph_tensor(g, n->in[k]);
            if (cg_place_of(p, n->in[k], &off) == LOC_L3) L->x_in_l3 = 1;
            in_row += act_w(x) * act_c(x) * cg_elem_bytes(x);
        }
        int64_t out_row = act_w(L->y) * act_c(L->y) * L->out_elem;
        if ((L->x_in_l3 && (!l3->in_nbuf || l3->in_buf < rows * in_row)) ||
            (L->y_in_l3 && (!l3->out_nbuf || l3->out_buf < rows * out_row)))
            return diag_error(node_loc(g, n),
                              "the plan's L2 staging buffers do not hold %lld "
                              "rows (a bug in dory)",
                              (long long)rows);
        return 0;
    }
    int64_t off;
    L->x_in_l3 = cg_place_of(p, n->in[0], &off) == LOC_L3;
    *(L->x_in_l3 ? &L->x_l3 : &L->x_l2) = off;
    if (L->x2) {
        L->x2_in_l3 = cg_place_of(p, n->in[1], &off) == LOC_L3;
        *(L->x2_in_l3 ? &L->x2_l3 : &L->x2_l2) = off;
    }
    L->y_in_l3 = cg_place_of(p, n->out, &off) == LOC_L3;
    *(L->y_in_l3 ? &L->y_l3 : &L->y_l2) = off;
    if (L->w) {
        L->w_in_l3 = cg_place_of(p, n->in[1], &off) == LOC_L3;
        *(L->w_in_l3 ? &L->w_l3 : &L->w_l2) = off;
    }
    const L3Plan *l3 = &L->lp->l3;
    int any_in = L->x_in_l3 || L->x2_in_l3;
    L->l3 = any_in || L->y_in_l3 || L->w_in_l3 || l3->row_slice.n > 1 || l3->co_slice.n > 1;
    if (any_in != l3->in_l3 || L->y_in_l3 != l3->out_l3 || (L->w && L->w_in_l3 != l3->w_stream))
        return diag_error(node_loc(g, n), "the layer's L3 plan and the tensor placement "
                                          "disagree (a bug in dory)");
    const L1Plan *l1 = &L->lp->l1;
    int weighted = L->kind == GK_CONV || L->kind == GK_PW || L->kind == GK_FC;
    L->ci_tiled = l1->d[TD_CI].n > 1;
    L->CI = L->kind == GK_FC ? tensor_numel(L->x) : act_c(L->x);
    L->taps = L->kind == GK_FC ? 1 : (int64_t)L->kh * L->kw;
    if (L->kind == GK_GROUPED && l1->d[TD_CO].n > 1 && l1->d[TD_CO].tile % L->gout)
        return diag_error(node_loc(g, n),
                          "the plan's channel tiles (%lld) cut groups of %lld "
                          "channels: not generated yet",
                          (long long)l1->d[TD_CO].tile, (long long)L->gout);
    if (L->ci_tiled && !weighted)
        return diag_error(node_loc(g, n), "the plan tiles the input channels of a %s layer",
                          op_name(n->op));
    int out_ok = L->y->dtype == DT_U8 || L->y->dtype == DT_I8 ||
                 (KERNELS_I32_OUT && L->y->dtype == DT_I32 &&
                  (weighted || L->kind == GK_DW || L->kind == GK_GROUPED || L->kind == GK_REQUANT));
    if (L->y->dtype == DT_I32 && !out_ok)
        return diag_error(node_loc(g, n), "int32 outputs are not generated yet");
    int dt_ok = (L->x->dtype == DT_U8 || L->x->dtype == DT_I8) && out_ok &&
                (!L->x2 || L->x2->dtype == DT_U8 || L->x2->dtype == DT_I8) &&
                (!L->w || L->w->dtype == DT_I8 || L->w->dtype == DT_U8);
    if (!dt_ok)
        return diag_error(node_loc(g, n),
                          "the kernels take u8/i8 activations and i8 weights; "
                          "this layer has %s -> %s",
                          dtype_name(L->x->dtype), dtype_name(L->y->dtype));
    return 0;
}

/* Checks that a buffer the generated code needs fits what the plan gave. */
static int need(const Graph *g, const Layer *L, L1BufId b, int64_t bytes, int reloaded)
{
    const L1Buf *buf = &L->lp->l1.buf[b];
    if (bytes <= 0) return 0;
    if (!buf->nbuf || buf->bytes < bytes)
        return diag_error(node_loc(g, L->n),
                          "the plan's L1 buffer '%s' has %lld bytes; the "
                          "generated code needs %lld (planner and code "
                          "generator disagree: a bug in dory)",
                          plan_buf_name(b), (long long)buf->bytes, (long long)bytes);
    if (reloaded && buf->nbuf < 2)
        return diag_error(node_loc(g, L->n),
                          "the plan gives one copy of L1 buffer '%s', which "
                          "is reloaded between tiles (a bug in dory)",
                          plan_buf_name(b));
    return 0;
}

static int32_t scratch_bytes(const Layer *L)
{
    const L1Plan *l1 = &L->lp->l1;
    dory_conv_params_t p;
    memset(&p, 0, sizeof p);
    p.kh = L->kh, p.kw = L->kw;
    p.stride_h = L->n->stride[0], p.stride_w = L->n->stride[1];
    p.dil_h = L->n->dilation[0], p.dil_w = L->n->dilation[1];
    p.pad_top = L->n->pad[0], p.pad_left = L->n->pad[1];
    p.pad_bottom = L->n->pad[2], p.pad_right = L->n->pad[3];
    p.border = DORY_BORDER_ALL;
    p.im2col_pixels = L->lp->l1.im2col1 ? 1 : 0;
    p.in_type = L->x->dtype == DT_U8 ? DORY_U8 : DORY_I8;
    p.in_zp = L->x->zp;
    p.out.type = L->y->dtype == DT_U8 ? DORY_U8 : DORY_I8;
    p.out.zp = L->y->zp;
    dory_dims_t in = {(int)l1->in_h, (int)l1->in_w, (int)l1->in_c, 0};
    dory_dims_t out = {(int)l1->d[TD_HO].tile, (int)l1->d[TD_WO].tile, (int)l1->d[TD_CO].tile, 0};
    switch (L->kind) {
    case GK_CONV: return dory_conv2d_hwc_s8_scratch_bytes(&p, &in, &out);
    case GK_PW: return dory_conv1x1_s8_scratch_bytes(&p, &in, &out);
    case GK_DW: return dory_dwconv_s8_scratch_bytes(&p, &in, &out);
    case GK_GROUPED: /* one group at a time */
        in.c = (int)L->gin;
        out.c = (int)L->gout;
        return !strcmp(L->kernel, "dory_conv1x1_s8")
                   ? dory_conv1x1_s8_scratch_bytes(&p, &in, &out)
                   : dory_conv2d_hwc_s8_scratch_bytes(&p, &in, &out);
    case GK_FC: {
        dory_fc_params_t f;
        memset(&f, 0, sizeof f);
        f.in_type = p.in_type;
        f.in_zp = p.in_zp;
        f.out = p.out;
        return dory_fc_s8_scratch_bytes(&f, (int)(L->ci_tiled ? l1->d[TD_CI].tile : L->CI),
                                        (int)l1->d[TD_CO].tile);
    }
    default: return 0;
    }
}

int cg_check_buffers(const Graph *g, Layer *L, int cores)
{
    const L1Plan *l1 = &L->lp->l1;
    int spatial = l1->d[TD_HO].n * l1->d[TD_WO].n > 1;
    int chan = l1->d[TD_CO].n > 1;
    int64_t ci = L->ci_tiled ? l1->d[TD_CI].tile : L->CI;
    int64_t in_bytes =
        L->kind == GK_FC ? ci * L->in_elem : l1->in_h * l1->in_w * l1->in_c * L->in_elem;
    int64_t out_px = l1->d[TD_HO].tile * l1->d[TD_WO].tile * l1->d[TD_CO].tile;
    int in_reloaded = spatial || (L->coupled && chan) || L->ci_tiled;
    if (need(g, L, BUF_IN0, in_bytes, in_reloaded)) return -1;
    if (L->x2 && need(g, L, BUF_IN1, in_bytes, in_reloaded)) return -1;
    int64_t w_tile =
        L->ci_tiled ? l1->d[TD_CO].tile * L->taps * ci : l1->d[TD_CO].tile * L->w_per_co;
    if (L->w && need(g, L, BUF_W, w_tile, chan || L->ci_tiled)) return -1;
    if (need(g, L, BUF_OUT, out_px * L->out_elem, spatial || chan)) return -1;
    if (L->ci_tiled && need(g, L, BUF_ACC, out_px * 4, 0)) return -1;
    L->scratch = (scratch_bytes(L) + 3) & ~3;
    if (need(g, L, BUF_SCRATCH, (int64_t)L->scratch * cores, 0)) return -1;
    return 0;
}
