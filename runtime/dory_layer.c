/* dory_layer.c: the software-pipelined L1 tile loop and the L3 slice loop
 * (dory_layer.h). Must not know any kernel: the layer's hooks do the work
 * (runtime/dory_exec.c); must not exit: errors are returned. */
#include "dory_layer.h"

#include <string.h>

static dory_tile_t tile_of(const dory_loop_t *l, const dory_tiling_t *tl, const dory_slice_t *s,
                           int t)
{
    return l->t_ci ? dory_slice_tile_ci(tl, s, t, l->t_ci, l->ci_all) : dory_slice_tile(tl, s, t);
}

static int input_changes(const dory_loop_t *l, const dory_tile_t *a, const dory_tile_t *b)
{
    return (l->spatial && (a->h0 != b->h0 || a->w0 != b->w0)) || (l->coupled && a->co0 != b->co0) ||
           a->ci0 != b->ci0;
}

static void wait_pending(dory_dma_id_t *id)
{
    if (*id) {
        dory_dma_wait(*id);
        *id = 0;
    }
}

/* Before tile t's weights are loaded from L2: the L3 pieces they are in. */
static void wait_weights(const dory_slice_t *s, const dory_tile_t *t)
{
    int k, last;
    if (!s->w_pending) return;
    k = (t->co0 - s->co0) / s->w_piece_co;
    last = (t->co0 - s->co0 + t->co - 1) / s->w_piece_co;
    if (last >= s->w_pieces) last = s->w_pieces - 1;
    for (k = k < last ? k : last; k <= last; k++) wait_pending(&s->w_pending[k]);
}

/* Before tile t's input is loaded from L2: the L3 pieces of rows it reads. */
static void wait_rows(const dory_slice_t *s, const dory_tile_t *t)
{
    int i, k, last;
    if (!s->x_pieces) return;
    last = (t->h0 - s->h0 + t->h - 1) / s->x_piece_h;
    if (last >= s->x_pieces) last = s->x_pieces - 1;
    for (i = 0; i < 2; i++)
        for (k = 0; s->x_pending[i] && k <= last; k++) wait_pending(&s->x_pending[i][k]);
}

/* The DMA transfers one pass of the loop may have in flight. */
typedef struct inflight {
    dory_dma_id_t in[2][2], w[2], c[2], out[2]; /* c: the weights' constants */
    int band[2]; /* out[i] completes the slice's L1 tile row band[i] - 1 (0: none) */
} inflight_t;

/* The slice's L1 tile rows up to band b are all in L2: the L3 write of
 * b's group when b ends one (or is the slice's last). */
static void write_band(const dory_loop_t *l, const dory_slice_t *s, int b)
{
    int th = l->tiling.t_h, last = (s->h + th - 1) / th - 1, k = b / s->y_group;
    unsigned long r0 = (unsigned long)k * s->y_group * th, r1;
    if ((b + 1) % s->y_group && b != last) return;
    r1 = b == last ? (unsigned long)s->h : (unsigned long)(b + 1) * th;
    s->y_pending[k] = dory_l3_write(s->y_l3 + (uint32_t)(r0 * s->y_row), s->y + r0 * s->y_row,
                                    (size_t)((r1 - r0) * s->y_row), "output rows");
}

/* Waits for output store i; then writes the rows it completed to L3. */
static void wait_store(const dory_loop_t *l, const dory_slice_t *s, inflight_t *f, int i)
{
    wait_pending(&f->out[i]);
    if (f->band[i] && s->y_pending) write_band(l, s, f->band[i] - 1);
    f->band[i] = 0;
}

static void wait_all(const dory_loop_t *l, const dory_slice_t *s, inflight_t *f)
{
    int i;
    for (i = 0; i < 2; i++) {
        wait_pending(&f->in[0][i]);
        wait_pending(&f->in[1][i]);
        wait_pending(&f->w[i]);
        wait_pending(&f->c[i]);
        wait_store(l, s, f, i);
    }
}

/* Tile t's weights and their constants into copy buf. */
static void load_weights(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                         const dory_tile_t *t, int buf, inflight_t *f)
{
    wait_weights(s, t);
    f->w[buf] = l->hooks->load_weights(l, s, l1, t, buf);
    if (l->hooks->load_consts) f->c[buf] = l->hooks->load_consts(l, s, l1, t, buf);
}

/* Issues the loads of tile nxt that differ from tile cur into the other
 * copies; updates the copies tile nxt will use. */
static void prefetch(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                     const dory_tile_t *cur, const dory_tile_t *nxt, inflight_t *f, int *in_next,
                     int *w_next)
{
    int i;
    if (input_changes(l, cur, nxt)) {
        *in_next = 1 - *in_next;
        wait_rows(s, nxt);
        for (i = 0; i < l->inputs; i++)
            f->in[i][*in_next] = l->hooks->load_input(l, s, l1, nxt, *in_next, i);
    }
    if (l->weights && (nxt->co0 != cur->co0 || nxt->ci0 != cur->ci0)) {
        *w_next = 1 - *w_next;
        load_weights(l, s, l1, nxt, *w_next, f);
    }
}

/* Computes tile t; when its output tile is complete, requantizes (input
 * channels tiled) and starts its store. */
static int finish_tile(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                       const dory_tile_t *t, int in_buf, int w_buf, int *nout, inflight_t *f)
{
    int rc = l->hooks->compute(l, t, l1, in_buf, w_buf, *nout & 1);
    if (rc || (l->t_ci && t->ci0 + t->ci != l->ci_all)) return rc;
    if (l->t_ci) rc = l->hooks->requant(l, t, l1, *nout & 1);
    if (rc) return rc;
    if (*nout > 0) wait_store(l, s, f, (*nout - 1) & 1);
    f->out[*nout & 1] = l->hooks->store_output(l, s, l1, t, *nout & 1);
    /* the last tile of its rows (channels and columns innermost in both orders) */
    f->band[*nout & 1] = t->co0 + t->co == s->co0 + s->co && t->w0 + t->w == l->tiling.WO
                             ? (t->h0 - s->h0) / l->tiling.t_h + 1
                             : 0;
    (*nout)++;
    return 0;
}

int dory_run_slice(const dory_loop_t *l, const dory_slice_t *s)
{
    unsigned char *l1 = dory_l1_base();
    dory_tiling_t tl = dory_tiling_of(&l->tiling, s);
    int nci = l->t_ci ? (l->ci_all + l->t_ci - 1) / l->t_ci : 1;
    int n = dory_tile_count(&tl) * nci, t, i, in_buf = 0, w_buf = 0, nout = 0, rc = 0;
    inflight_t f;
    dory_tile_t cur = tile_of(l, &tl, s, 0), nxt = cur;
    memset(&f, 0, sizeof f);
    wait_rows(s, &cur);
    for (i = 0; i < l->inputs; i++) f.in[i][0] = l->hooks->load_input(l, s, l1, &cur, 0, i);
    if (l->weights) load_weights(l, s, l1, &cur, 0, &f);
    for (t = 0; t < n && !rc; t++) {
        int in_next = in_buf, w_next = w_buf;
        if (t + 1 < n) { /* prefetch tile t+1 into the other copies */
            nxt = tile_of(l, &tl, s, t + 1);
            prefetch(l, s, l1, &cur, &nxt, &f, &in_next, &w_next);
        }
        for (i = 0; i < l->inputs; i++) wait_pending(&f.in[i][in_buf]);
        wait_pending(&f.w[w_buf]);
        wait_pending(&f.c[w_buf]);
        rc = finish_tile(l, s, l1, &cur, in_buf, w_buf, &nout, &f);
        in_buf = in_next;
        w_buf = w_next;
        cur = nxt;
    }
    wait_all(l, s, &f);
    for (i = 0; s->w_pending && i < s->w_pieces; i++) wait_pending(&s->w_pending[i]);
    for (i = 0; i < s->x_pieces; i++) {
        if (s->x_pending[0]) wait_pending(&s->x_pending[0][i]);
        if (s->x_pending[1]) wait_pending(&s->x_pending[1][i]);
    }
    return rc;
}

/* The input rows of output rows [h0, h0 + h). */
static dory_window_t rows_span(const dory_l3_layer_t *l, int h0, int h)
{
    dory_window_t w;
    dory_tile_t t;
    memset(&t, 0, sizeof t);
    t.h0 = h0;
    t.h = h;
    t.w = l->wo;
    t.co = l->co;
    if (l->geom) return dory_window(l->geom, &t);
    memset(&w, 0, sizeof w);
    w.r1 = 1;
    return w;
}

/* The input rows of output-row slice r. */
static dory_window_t rows_of(const dory_l3_layer_t *l, int r)
{
    int h0 = r * l->rt;
    return rows_span(l, h0, l->ho - h0 < l->rt ? l->ho - h0 : l->rt);
}

/* The first slice's L3 reads are cut into up to this many pieces in all
 * (weights by the L1 tiles' channels, input rows by their rows), so that its
 * first tiles need not wait for all of it: the later slices are read a
 * slice ahead. With the next slice's reads (two inputs, weights) and the
 * output rows in flight, 8 transfers at most (the HALs' queues). */
#define W_PIECES 4
/* A layer whose only L3 reads are input rows cuts its first slice's into up
 * to this many (one per L1 tile row but the last): the HyperRAM reads a
 * tile row about as fast as the pooling or add computes it, so only the
 * first one is waited for. Beyond the HALs' queues, an issue waits for the
 * oldest transfer, the first piece, which the first tile needs anyway. */
#define X_PIECES 8
/* A row slice's output rows go to L3 in up to this many writes, each of
 * whole L1 tile rows, issued as soon as their last tile is stored in L2:
 * only the last one is left for the end of the layer. */
#define Y_PIECES 4

static void wait_ids(dory_dma_id_t *ids, int n)
{
    int k;
    for (k = 0; k < n; k++) wait_pending(&ids[k]);
}

/* Issues the L3 reads of input i's rows for row slice r into its staging
 * copy, the first slice's in up to np pieces by L1 tile rows; their count. */
static int read_rows(const dory_l3_layer_t *l, unsigned char *l2, int i, int r, int np,
                     dory_dma_id_t *ids)
{
    dory_window_t all = rows_of(l, r);
    unsigned char *dst = l2 + l->in_buf[r & 1] + i * l->in_rows * l->x_row[0];
    int h0 = r * l->rt, h = l->ho - h0 < l->rt ? l->ho - h0 : l->rt, th = l->loop->tiling.t_h;
    int n = r == 0 && l->geom ? (h + th - 1) / th : 1, p, from = all.r0;
    if (n > np) n = np;
    if (n < 1) n = 1;
    for (p = 0; p < n; p++) {
        int to = p == n - 1 ? all.r1 : rows_span(l, h0, (p + 1) * th).r1;
        ids[p] = 0;
        if (to <= from) continue; /* the rows of these tiles are all read already */
        ids[p] = dory_l3_read(dst + (from - all.r0) * l->x_row[i],
                              (uint32_t)(l->x_addr[i] + from * l->x_row[i]),
                              (size_t)(to - from) * l->x_row[i], "input rows");
        from = to;
    }
    return n;
}

/* The pieces of slice c's weights (co channels) as read_weights issues
 * them: the first slice's in up to np pieces by L1 tile channels. */
static int w_pieces(const dory_l3_layer_t *l, int c, int co, int np)
{
    int tco = l->loop->tiling.t_co, n = c == 0 ? (co + tco - 1) / tco : 1;
    if (n > np) n = np;
    return n < 1 ? 1 : n;
}

/* The first slice's weight pieces at most (beside input rows: half). */
static int w_np_of(const dory_l3_layer_t *l)
{
    return l->x_l3[0] || l->x_l3[1] ? W_PIECES / 2 : W_PIECES;
}

/* The channels of slice c's first output channel. */
static int slice_co(const dory_l3_layer_t *l, int c)
{
    return l->co - c * l->ct < l->ct ? l->co - c * l->ct : l->ct;
}

/* Issues the L3 read of piece p of n (w_pieces) of slice c's weights (co
 * channels) into staging copy wb. */
static dory_dma_id_t read_piece(const dory_l3_layer_t *l, unsigned char *l2, int c, int co, int wb,
                                int n, int p)
{
    int tco = l->loop->tiling.t_co, c0 = n == 1 ? 0 : p * tco, c1 = p == n - 1 ? co : c0 + tco;
    return dory_l3_read(l2 + l->w_buf[wb] + (unsigned long)c0 * l->w_per_co,
                        (uint32_t)(l->w_addr + ((unsigned long)c * l->ct + c0) * l->w_per_co),
                        (size_t)(c1 - c0) * l->w_per_co, "weight slice");
}

/* Issues the L3 reads of slice c's weights (co channels) into staging copy
 * wb, from piece `from` on; their count n. */
static int read_weights(const dory_l3_layer_t *l, unsigned char *l2, int c, int co, int wb, int np,
                        int from, dory_dma_id_t *ids)
{
    int n = w_pieces(l, c, co, np), p;
    for (p = from; p < n; p++) ids[p] = read_piece(l, l2, c, co, wb, n, p);
    return n;
}

/* The cross-layer prefetch in flight: the layer it is for and its read. */
static struct {
    const dory_l3_layer_t *l;
    dory_dma_id_t id;
} pre;

void dory_l3_prefetch(const dory_l3_layer_t *next)
{
    int co;
    wait_pending(&pre.id); /* one nobody took (a run stopped by an error) */
    if (!next || !next->w_l3) return;
    co = slice_co(next, 0);
    pre.l = next;
    pre.id = read_piece(next, dory_l2_base(), 0, co, 0, w_pieces(next, 0, co, w_np_of(next)), 0);
}

int dory_run_l3(const dory_l3_layer_t *l, const unsigned char *w_l2)
{
    unsigned char *l2 = dory_l2_base();
    dory_dma_id_t x_id[2][2][X_PIECES], w_id[2][W_PIECES], y_id[2][Y_PIECES];
    int any_in = l->x_l3[0] || l->x_l3[1], n = l->nr * l->nc, k, i, rc = 0, w_n[2] = {0, 0};
    int x_n[2] = {0, 0}, x_np, w_np = w_np_of(l); /* pieces: the first slice's at most */
    int w_from = 0; /* the first weight piece: 1 if the layer before requested it */
    x_np = (l->w_l3 ? W_PIECES / 2 : X_PIECES) / (l->x_l3[0] + l->x_l3[1] > 1 ? 2 : 1);
    memset(x_id, 0, sizeof x_id);
    memset(w_id, 0, sizeof w_id);
    memset(y_id, 0, sizeof y_id);
    if (pre.id && pre.l == l && l->w_pre) {
        w_id[0][0] = pre.id;
        w_from = 1;
        pre.id = 0;
    }
    wait_pending(&pre.id); /* not this layer's */
    for (k = 0; k <= n && !rc; k++) {
        int kk = k, r = kk / l->nc, c = kk % l->nc, wb = l->nc > 1 ? kk & 1 : 0;
        dory_slice_t s;
        if (kk < n) { /* issue the loads of slice kk */
            if (any_in && c == 0)
                for (i = 0; i < l->inputs; i++)
                    if (l->x_l3[i]) x_n[r & 1] = read_rows(l, l2, i, r, x_np, x_id[i][r & 1]);
            if (l->w_l3 && (l->nc > 1 || kk == 0))
                w_n[wb] =
                    read_weights(l, l2, c, slice_co(l, c), wb, w_np, kk ? 0 : w_from, w_id[wb]);
        }
        if (k == 0) continue;
        if (k == n && l->next) dory_l3_prefetch(l->next); /* this layer's reads are all issued */
        kk = k - 1;                                       /* compute slice kk */
        r = kk / l->nc;
        c = kk % l->nc;
        wb = l->nc > 1 ? kk & 1 : 0;
        if (l->y_l3 && c == 0) wait_ids(y_id[r & 1], Y_PIECES);
        memset(&s, 0, sizeof s);
        s.h0 = r * l->rt;
        s.h = l->ho - s.h0 < l->rt ? l->ho - s.h0 : l->rt;
        s.co0 = c * l->ct;
        s.co = l->co - s.co0 < l->ct ? l->co - s.co0 : l->ct;
        for (i = 0; i < l->inputs; i++) {
            const unsigned char *x = l->x_l3[i]
                                         ? l2 + l->in_buf[r & 1] + i * l->in_rows * l->x_row[0]
                                         : l2 + l->x_addr[i];
            int r0 = l->x_l3[i] ? rows_of(l, r).r0 : 0;
            if (i == 0)
                s.x = x, s.x_r0 = r0;
            else
                s.x2 = x, s.x2_r0 = r0;
        }
        if (l->has_w) s.w = l->w_l3 ? l2 + l->w_buf[wb] : w_l2 + (unsigned long)s.co0 * l->w_per_co;
        if (any_in) { /* waited for by the tile loop (zero once done) */
            s.x_pending[0] = l->x_l3[0] ? x_id[0][r & 1] : 0;
            s.x_pending[1] = l->x_l3[1] ? x_id[1][r & 1] : 0;
            s.x_pieces = x_n[r & 1];
            s.x_piece_h = l->loop->tiling.t_h;
        }
        if (l->w_l3) {
            s.w_pending = w_id[wb];
            s.w_pieces = w_n[wb];
            s.w_piece_co = l->loop->tiling.t_co;
        }
        if (l->y_l3) {
            int nb = (s.h + l->loop->tiling.t_h - 1) / l->loop->tiling.t_h;
            s.y = l2 + l->out_buf[r & 1];
            s.y_r0 = s.h0;
            /* written by the last channel slice's tile loop */
            s.y_pending = c == l->nc - 1 ? y_id[r & 1] : 0;
            s.y_l3 = (uint32_t)(l->y_addr + s.h0 * l->y_row);
            s.y_row = l->y_row;
            s.y_group = (nb + Y_PIECES - 1) / Y_PIECES;
        } else {
            s.y = l2 + l->y_addr;
        }
        s.y_c = l->co;
        rc = dory_run_slice(l->loop, &s);
    }
    for (i = 0; i < 2; i++) {
        wait_ids(y_id[i], Y_PIECES);
        wait_ids(x_id[0][i], X_PIECES);
        wait_ids(x_id[1][i], X_PIECES);
        wait_ids(w_id[i], W_PIECES);
    }
    return rc;
}
