/* dory_exec.c: the hooks of every generated layer (dory_exec.h): loaders,
 * the per-tile parameter block, the per-core kernel call by call shape, the
 * partial-sum epilogue and the store. Everything layer-specific comes from
 * the descriptor (the kernel's call shape and function from its row of the
 * kernel table, written there by the code generator). Must not allocate, exit
 * or decide anything the plan decided (tiles, offsets, kernel, scratch).
 */
#include "dory_exec.h"

#include <string.h>

/* Out of line: the rarer call shapes' code, kept off the per-tile path of
 * conv layers (on the PULP cluster every line of it is fetched again from
 * L2 after each kernel, ~19 cycles a 16-byte line). */
#if defined(__GNUC__)
#define EXEC_NOINLINE __attribute__((noinline))
#else
#define EXEC_NOINLINE
#endif

static const dory_exec_layer_t *layer_of(const dory_loop_t *l)
{
    return (const dory_exec_layer_t *)(const void *)l; /* loop is the first member */
}

/* Copy `buf` of a buffer (one copy: copy 1 == 0). */
static unsigned long copy_at(const unsigned long off[2], int buf)
{
    return buf && off[1] ? off[1] : off[0];
}

/* The input channels of tile t: [*c0, *c0 + *n). */
static void in_channels(const dory_exec_layer_t *d, const dory_tile_t *t, int *c0, int *n)
{
    if (d->loop.coupled) {
        *c0 = t->co0 / d->gout * d->gin;
        *n = (t->co + d->gout - 1) / d->gout * d->gin;
    } else if (d->loop.t_ci) {
        *c0 = t->ci0;
        *n = t->ci;
    } else {
        *c0 = 0;
        *n = d->x.c;
    }
}

/* ---- Loaders ---------------------------------------------------------------- */

static dory_dma_id_t load_input(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                const dory_tile_t *t, int buf, int which)
{
    const dory_exec_layer_t *d = layer_of(l);
    dory_window_t win;
    int c0, n;
    if (!l->spatial && l->t_ci)
        return dory_dma_copy_1d(l1 + copy_at(d->l1.in0, buf), s->x + (size_t)t->ci0 * d->x.elem,
                                (size_t)t->ci * d->x.elem, "x slice");
    if (!l->spatial)
        return dory_dma_copy_1d(l1 + copy_at(d->l1.in0, buf), s->x, (size_t)d->k * d->x.elem, "x");
    win = dory_window(&d->geom, t);
    in_channels(d, t, &c0, &n);
    if (which && d->x2_pixel) /* the tile's channels of the one pixel */
        return dory_dma_copy_1d(l1 + copy_at(d->l1.in1, buf), s->x2 + (size_t)c0 * d->x.elem,
                                (size_t)n * d->x.elem, "x2 pixel");
    return dory_load_hwc(l1 + copy_at(which ? d->l1.in1 : d->l1.in0, buf), which ? s->x2 : s->x,
                         d->x.w, d->x.c, win.r0 - (which ? s->x2_r0 : s->x_r0), win.r1 - win.r0,
                         win.c0, win.c1 - win.c0, c0, n, d->x.elem, which ? "x2 tile" : "x tile");
}

static dory_dma_id_t load_weights(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                  const dory_tile_t *t, int buf)
{
    const dory_exec_layer_t *d = layer_of(l);
    const unsigned char *w = s->w + (size_t)(t->co0 - s->co0) * d->w_per_co;
    unsigned char *dst = l1 + copy_at(d->l1.w, buf);
    if (l->t_ci) /* co x taps rows of the slice's input channels: a 2-D copy */
        return dory_dma_copy_2d(dst, w + t->ci0, (size_t)t->ci, (size_t)t->co * d->taps,
                                (size_t)t->ci, (size_t)l->ci_all, "weights slice");
    return dory_dma_copy_1d(dst, w, (size_t)t->co * d->w_per_co, "weights");
}

static dory_dma_id_t load_consts(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                 const dory_tile_t *t, int buf)
{
    const dory_exec_layer_t *d = layer_of(l);
    const unsigned char *src = (const unsigned char *)d->consts.src;
    (void)s;
    if (!src) return 0;
    return dory_dma_copy_1d(l1 + copy_at(d->l1.rq, buf),
                            src + (size_t)(t->co0 / l->tiling.t_co) * d->consts.bytes,
                            d->consts.bytes, "constants");
}

static dory_dma_id_t store_output(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                  const dory_tile_t *t, int buf)
{
    const dory_exec_layer_t *d = layer_of(l);
    return dory_store_hwc(s->y, l1 + copy_at(d->l1.out, buf), d->y.w, s->y_c, t->h0 - s->y_r0, t->h,
                          t->w0, t->w, t->co0 - s->y_co0, t->co, d->y.elem, "y tile");
}

/* ---- The parameter block of a tile ------------------------------------------ */

/* What one kernel call on every core gets. */
typedef struct exec_args {
    const dory_exec_layer_t *d;
    dory_call_t call;
    dory_exec_params_t p;
    dory_out_params_t out_p; /* PSUM: the epilogue's constants */
    dory_dims_t in, out;
    const void *x, *x2;
    const int8_t *w;
    const int32_t *b;
    const int32_t *acc;
    void *y;
    /* each core's kernel status, in the caller's frame (core 0's stack: L1
     * on the PULP cluster, where a word in L2 costs ~15 cycles) */
    int rc[DORY_EXEC_MAX_CORES];
} exec_args_t;

/* Per-channel requant arrays from channel k on. */
static void rq_advance(dory_requant_t *r, int k)
{
    if (!r->per_channel) return;
    if (r->k32) r->k32 += k;
    if (r->l32) r->l32 += k;
    if (r->k64) r->k64 += k;
    if (r->l64) r->l64 += k;
    if (r->mult) r->mult += k;
    if (r->shift) r->shift += k;
    if (r->scale) r->scale += k;
}

/* The output epilogue inside the parameter block of call shape c. */
static dory_out_params_t *out_params(dory_exec_params_t *p, dory_call_t c)
{
    switch (c) {
    case DORY_CALL_FC: return &p->fc.out;
    case DORY_CALL_POOL: return &p->pool.out;
    case DORY_CALL_ADD: return &p->add.out;
    case DORY_CALL_MUL: return &p->mul.out;
    case DORY_CALL_ELTWISE: return &p->eltwise.out;
    default: return &p->conv.out;
    }
}

/* The constants of call shape c only (the descriptor is in L2: a word read
 * costs the cluster about 25 cycles; the union is as large as its largest
 * member). */
static EXEC_NOINLINE void copy_params_other(dory_exec_params_t *dst, const dory_exec_params_t *src,
                                            dory_call_t c)
{
    switch (c) {
    case DORY_CALL_FC: dst->fc = src->fc; break;
    case DORY_CALL_POOL: dst->pool = src->pool; break;
    case DORY_CALL_ADD: dst->add = src->add; break;
    case DORY_CALL_MUL: dst->mul = src->mul; break;
    case DORY_CALL_ELTWISE: dst->eltwise = src->eltwise; break;
    case DORY_CALL_SOFTMAX: dst->softmax = src->softmax; break;
    default: dst->conv = src->conv; break;
    }
}

static void copy_params(dory_exec_params_t *dst, const dory_exec_params_t *src, dory_call_t c)
{
    if (c == DORY_CALL_CONV || c == DORY_CALL_GROUPED)
        dst->conv = src->conv;
    else
        copy_params_other(dst, src, c);
}

/* The parameter block's per-channel constants in rq copy c (L1) where the
 * layer stages them (its descriptor names no L2 arrays for them: the
 * requant's scheme says which pointers the kernels read). */
static void staged_consts(exec_args_t *a, const dory_exec_consts_t *k, const unsigned char *c)
{
    dory_requant_t *r = &out_params(&a->p, a->call)->rq;
    const void *q = c + k->k, *l = c + k->l;
    if (k->bias >= 0) a->b = (const int32_t *)(const void *)(c + k->bias);
    switch (r->scheme) {
    case DORY_RQ_SHIFT64:
        r->k64 = (const int64_t *)q;
        r->l64 = (const int64_t *)l;
        break;
    case DORY_RQ_SHIFT32:
        r->k32 = (const int32_t *)q;
        r->l32 = (const int32_t *)l;
        break;
    case DORY_RQ_FIXED:
    case DORY_RQ_FIXED_SR:
        r->mult = (const int32_t *)q;
        r->shift = (const int32_t *)l;
        break;
    default: break;
    }
}

/* The tile's padding on the sides where it touches the tensor's border. */
#define SET_PADS(q, win)                                                                           \
    do {                                                                                           \
        (q).pad_top = (win).pad_top;                                                               \
        (q).pad_left = (win).pad_left;                                                             \
        (q).pad_bottom = (win).pad_bottom;                                                         \
        (q).pad_right = (win).pad_right;                                                           \
        (q).border = (win).border;                                                                 \
    } while (0)

/* The shape-specific part: padding, channel offsets, accumulation mode. */
static EXEC_NOINLINE void shape_params_other(exec_args_t *a, const dory_tile_t *t,
                                             const dory_window_t *win, int acc)
{
    const dory_exec_layer_t *d = a->d;
    switch (d->call) {
    case DORY_CALL_FC:
        if (a->p.fc.w_zp) a->p.fc.w_zp += t->co0;
        a->p.fc.acc_mode = acc;
        break;
    case DORY_CALL_POOL: SET_PADS(a->p.pool, *win); break;
    case DORY_CALL_ADD:
        rq_advance(&a->p.add.rq_a, t->co0);
        rq_advance(&a->p.add.rq_b, t->co0);
        break;
    default: break;
    }
}

static void shape_params(exec_args_t *a, const dory_tile_t *t, const dory_window_t *win)
{
    const dory_exec_layer_t *d = a->d;
    int acc = !d->loop.t_ci ? DORY_ACC_STORE : t->ci0 == 0 ? DORY_ACC_FIRST : DORY_ACC_NEXT;
    if (d->call == DORY_CALL_CONV || d->call == DORY_CALL_GROUPED) {
        SET_PADS(a->p.conv, *win);
        if (a->p.conv.w_zp) a->p.conv.w_zp += t->co0;
        a->p.conv.acc_mode = acc;
    } else {
        shape_params_other(a, t, win, acc);
    }
}

/* The kernel call of tile t from copies in_buf, w_buf, out_buf. */
static void tile_args(exec_args_t *a, const dory_exec_layer_t *d, const dory_tile_t *t,
                      unsigned char *l1, int in_buf, int w_buf, int out_buf)
{
    dory_window_t win;
    int c0;
    /* the fields the call reads only (a is ~300 bytes; out_p is PSUM's) */
    a->d = d;
    a->call = d->call;
    a->in.c_stride = a->out.c_stride = 0;
    a->acc = 0;
    copy_params(&a->p, &d->p, d->call);
    if (d->call != DORY_CALL_SOFTMAX) /* the one shape without an epilogue */
        rq_advance(&out_params(&a->p, d->call)->rq, t->co0);
    a->x = l1 + copy_at(d->l1.in0, in_buf);
    a->x2 = l1 + copy_at(d->l1.in1, in_buf);
    a->w = (const int8_t *)(l1 + copy_at(d->l1.w, w_buf));
    a->y = d->loop.t_ci ? l1 + d->l1.acc : l1 + copy_at(d->l1.out, out_buf);
    a->b = d->bias ? d->bias + t->co0 : 0;
    if (d->consts.src) staged_consts(a, &d->consts, l1 + copy_at(d->l1.rq, w_buf));
    if (d->loop.spatial) {
        win = dory_window(&d->geom, t);
        a->in.h = win.r1 - win.r0;
        a->in.w = win.c1 - win.c0;
        in_channels(d, t, &c0, &a->in.c);
    } else {
        memset(&win, 0, sizeof win);
        a->in.h = a->in.w = 1;
        a->in.c = d->loop.t_ci ? t->ci : d->k;
    }
    a->out.h = t->h;
    a->out.w = t->w;
    a->out.c = t->co;
    shape_params(a, t, &win);
}

/* ---- The kernel call on one core -------------------------------------------- */

/* Groups are independent: each core takes its share of each; every group
 * reads and writes its channel slice of the tile (channel strides). Out of
 * line: its copies (about 200 B) would otherwise be in every core's frame of
 * on_core, under every kernel (the PULP workers have 1 kB stacks). */
static EXEC_NOINLINE int grouped(dory_conv_fn_t fn, const dory_ctx_t *ctx, const exec_args_t *a)
{
    const dory_exec_layer_t *d = a->d;
    int g, ng = a->out.c / d->gout, rc = DORY_OK;
    for (g = 0; g < ng; g++) {
        dory_conv_params_t p = a->p.conv;
        dory_dims_t in = a->in, out = a->out;
        in.c = d->gin;
        in.c_stride = a->in.c;
        out.c = d->gout;
        out.c_stride = a->out.c;
        rq_advance(&p.out.rq, g * d->gout);
        if (p.w_zp) p.w_zp += g * d->gout;
        rc |= fn(ctx, &p, &in, (const uint8_t *)a->x + g * d->gin * d->x.elem,
                 a->w + g * d->gout * d->w_per_co, a->b ? a->b + g * d->gout : 0, &out,
                 (uint8_t *)a->y + g * d->gout * d->y.elem);
    }
    return rc;
}

/* The call of the layer's function in its call shape (dory_kernels.h). */
static int call_kernel(const exec_args_t *a, const dory_ctx_t *ctx)
{
    const dory_exec_fn_t *f = &a->d->fn;
    switch (a->call) {
    case DORY_CALL_CONV: return f->conv(ctx, &a->p.conv, &a->in, a->x, a->w, a->b, &a->out, a->y);
    case DORY_CALL_GROUPED: return grouped(f->conv, ctx, a);
    case DORY_CALL_FC: return f->fc(ctx, &a->p.fc, a->in.c, a->x, a->w, a->b, a->out.c, a->y);
    case DORY_CALL_POOL: return f->pool(ctx, &a->p.pool, &a->in, a->x, &a->out, a->y);
    case DORY_CALL_ADD: return f->add(ctx, &a->p.add, &a->in, a->x, &a->in, a->x2, &a->out, a->y);
    case DORY_CALL_MUL: {
        dory_dims_t b = a->in;
        if (a->d->x2_pixel) b.h = b.w = 1, b.c_stride = 0;
        return f->mul(ctx, &a->p.mul, &a->in, a->x, &b, a->x2, &a->out, a->y);
    }
    case DORY_CALL_ELTWISE: return f->eltwise(ctx, &a->p.eltwise, &a->in, a->x, &a->out, a->y);
    case DORY_CALL_PSUM: return a->d->psum(ctx, &a->out_p, &a->out, a->acc, a->y);
    case DORY_CALL_SOFTMAX: return f->softmax(ctx, &a->p.softmax, &a->in, a->x, &a->out, a->y);
    default: return DORY_ERR_ARG;
    }
}

static void on_core(void *arg)
{
    exec_args_t *a = (exec_args_t *)arg;
    dory_ctx_t ctx;
    ctx.core_id = dory_core_id();
    ctx.num_cores = dory_num_cores();
    ctx.buf = dory_l1_base() + a->d->l1.scratch + (size_t)ctx.core_id * a->d->scratch;
    ctx.size = a->d->scratch;
    a->rc[ctx.core_id] = call_kernel(a, &ctx);
}

/* Runs a on every core: 0 or the first core's non-zero code. */
static int run_cores(exec_args_t *a)
{
    const dory_exec_layer_t *d = a->d;
    int c, n = dory_num_cores();
    if (n > d->cores || n > DORY_EXEC_MAX_CORES) return DORY_ERR_ARG; /* more than the plan's */
    dory_cluster_run(on_core, a); /* every core sets its a->rc */
    for (c = 0; c < n; c++)
        if (a->rc[c] != DORY_OK) return a->rc[c];
    return DORY_OK;
}

/* ---- Hooks -------------------------------------------------------------------- */

static int compute(const dory_loop_t *l, const dory_tile_t *t, unsigned char *l1, int in_buf,
                   int w_buf, int out_buf)
{
    exec_args_t a;
    tile_args(&a, layer_of(l), t, l1, in_buf, w_buf, out_buf);
    return run_cores(&a);
}

/* The finished int32 sums of tile t into output copy out_buf. */
static int requant(const dory_loop_t *l, const dory_tile_t *t, unsigned char *l1, int out_buf)
{
    const dory_exec_layer_t *d = layer_of(l);
    exec_args_t a;
    dory_exec_params_t p = d->p;
    memset(&a, 0, sizeof a);
    a.d = d;
    a.call = DORY_CALL_PSUM;
    a.out_p = *out_params(&p, d->call);
    rq_advance(&a.out_p.rq, t->co0);
    a.out.h = t->h;
    a.out.w = t->w;
    a.out.c = t->co;
    a.acc = (const int32_t *)(l1 + d->l1.acc);
    a.y = l1 + copy_at(d->l1.out, out_buf);
    return run_cores(&a);
}

const dory_layer_hooks_t dory_exec_hooks = {
    .load_input = load_input,
    .load_weights = load_weights,
    .load_consts = load_consts,
    .store_output = store_output,
    .compute = compute,
    .requant = requant,
};

/* The descriptor is read from a copy on this core's stack (dory_fetch_local:
 * on the PULP cluster, L1 for L2, about 2k cycles a layer). */
int dory_exec_l2(const dory_exec_layer_t *layer, const unsigned char *x, const unsigned char *x2,
                 const unsigned char *w, unsigned char *y)
{
    dory_exec_layer_t copy;
    const dory_exec_layer_t *d = &copy;
    dory_slice_t s;
    dory_fetch_local(&copy, layer, sizeof copy);
    memset(&s, 0, sizeof s);
    s.h = d->loop.tiling.HO;
    s.co = d->loop.tiling.CO;
    s.x = x;
    s.x2 = x2;
    s.w = w;
    s.y = y;
    s.y_c = d->loop.tiling.CO;
    return dory_run_slice(&d->loop, &s);
}

int dory_exec_in_place(const dory_exec_layer_t *d, const unsigned char *x, const unsigned char *x2,
                       const unsigned char *w, unsigned char *y)
{
    const dory_tiling_t *tl = &d->loop.tiling;
    dory_tile_t t;
    exec_args_t a;
    if (tl->n_co != 1 || tl->n_h != 1 || tl->n_w != 1 || d->loop.t_ci || d->consts.src)
        return DORY_ERR_ARG;
    memset(&t, 0, sizeof t);
    t.co = tl->CO;
    t.h = tl->HO;
    t.w = tl->WO;
    tile_args(&a, d, &t, dory_l1_base(), 0, 0, 0);
    if (d->loop.spatial) { /* the whole tensor: its width is the row pitch */
        a.in.h = d->geom.H;
        a.in.w = d->geom.W;
    }
    a.x = x;
    a.x2 = x2;
    a.w = (const int8_t *)w;
    a.y = y;
    return run_cores(&a);
}
