/* dory_layer.c: the software-pipelined L1 tile loop (dory_layer.h). Must not
 * know any kernel: the generated layer's hooks do the work. */
#include "dory_layer.h"

#include <string.h>

static dory_tile_t tile_of(const dory_layer_ops_t *o, const dory_tiling_t *tl,
                           const dory_slice_t *s, int t)
{
    return o->t_ci ? dory_slice_tile_ci(tl, s, t, o->t_ci, o->ci_all) : dory_slice_tile(tl, s, t);
}

static int input_changes(const dory_layer_ops_t *o, const dory_tile_t *a, const dory_tile_t *b)
{
    return (o->spatial && (a->h0 != b->h0 || a->w0 != b->w0)) || (o->coupled && a->co0 != b->co0) ||
           a->ci0 != b->ci0;
}

static void wait_pending(dory_dma_id_t *id)
{
    if (*id) {
        dory_dma_wait(*id);
        *id = 0;
    }
}

void dory_run_slice(const dory_layer_ops_t *o, const dory_tiling_t *tiling, const dory_slice_t *s)
{
    unsigned char *l1 = dory_l1_base();
    dory_tiling_t tl = dory_tiling_of(tiling, s);
    int nci = o->t_ci ? (o->ci_all + o->t_ci - 1) / o->t_ci : 1;
    int n = dory_tile_count(&tl) * nci, t, i, in_buf = 0, w_buf = 0, nout = 0;
    dory_dma_id_t in_id[2][2] = {{0, 0}, {0, 0}}, w_id[2] = {0, 0}, out_id[2] = {0, 0};
    dory_tile_t cur = tile_of(o, &tl, s, 0), nxt = cur;
    for (i = 0; i < o->inputs; i++) in_id[i][0] = o->load_input(s, l1, &cur, 0, i);
    if (o->load_weights) w_id[0] = o->load_weights(s, l1, &cur, 0);
    for (t = 0; t < n; t++) {
        int in_next = in_buf, w_next = w_buf;
        if (t + 1 < n) { /* prefetch tile t+1 into the other copies */
            nxt = tile_of(o, &tl, s, t + 1);
            if (input_changes(o, &cur, &nxt)) {
                in_next = 1 - in_buf;
                for (i = 0; i < o->inputs; i++)
                    in_id[i][in_next] = o->load_input(s, l1, &nxt, in_next, i);
            }
            if (o->load_weights && (nxt.co0 != cur.co0 || nxt.ci0 != cur.ci0)) {
                w_next = 1 - w_buf;
                w_id[w_next] = o->load_weights(s, l1, &nxt, w_next);
            }
        }
        for (i = 0; i < o->inputs; i++) wait_pending(&in_id[i][in_buf]);
        wait_pending(&w_id[w_buf]);
        o->compute(&cur, l1, in_buf, w_buf, nout & 1);
        if (!o->t_ci || cur.ci0 + cur.ci == o->ci_all) { /* the output tile is complete */
            if (o->t_ci) o->requant(&cur, l1, nout & 1);
            if (nout > 0) dory_dma_wait(out_id[(nout - 1) & 1]);
            out_id[nout & 1] = o->store_output(s, l1, &cur, nout & 1);
            nout++;
        }
        in_buf = in_next;
        w_buf = w_next;
        cur = nxt;
    }
    if (nout > 0) dory_dma_wait(out_id[(nout - 1) & 1]);
}

/* The input rows of output-row slice r. */
static dory_window_t rows_of(const dory_l3_layer_t *l, int r)
{
    dory_window_t w;
    dory_tile_t t;
    memset(&t, 0, sizeof t);
    t.h0 = r * l->rt;
    t.h = l->ho - t.h0 < l->rt ? l->ho - t.h0 : l->rt;
    t.w = l->wo;
    t.co = l->co;
    if (l->geom) return dory_window(l->geom, &t);
    memset(&w, 0, sizeof w);
    w.r1 = 1;
    return w;
}

void dory_run_l3(const dory_l3_layer_t *l)
{
    unsigned char *l2 = dory_l2_base();
    dory_dma_id_t x_id[2][2] = {{0, 0}, {0, 0}}, w_id[2] = {0, 0}, y_id[2] = {0, 0};
    int any_in = l->x_l3[0] || l->x_l3[1], n = l->nr * l->nc, k, i;
    for (k = 0; k <= n; k++) {
        int kk = k, r = kk / l->nc, c = kk % l->nc, wb = l->nc > 1 ? kk & 1 : 0;
        dory_slice_t s;
        if (kk < n) { /* issue the loads of slice kk */
            if (any_in && c == 0) {
                dory_window_t win = rows_of(l, r);
                for (i = 0; i < l->inputs; i++)
                    if (l->x_l3[i])
                        x_id[i][r & 1] =
                            dory_l3_read(l2 + l->in_buf[r & 1] + i * l->in_rows * l->x_row[0],
                                         (uint32_t)(l->x_addr[i] + win.r0 * l->x_row[i]),
                                         (size_t)(win.r1 - win.r0) * l->x_row[i], "input rows");
            }
            if (l->w_l3 && (l->nc > 1 || kk == 0)) {
                int co = l->co - c * l->ct < l->ct ? l->co - c * l->ct : l->ct;
                w_id[wb] =
                    dory_l3_read(l2 + l->w_buf[wb],
                                 (uint32_t)(l->w_addr + (unsigned long)c * l->ct * l->w_per_co),
                                 (size_t)co * l->w_per_co, "weight slice");
            }
        }
        if (k == 0) continue;
        kk = k - 1; /* compute slice kk */
        r = kk / l->nc;
        c = kk % l->nc;
        wb = l->nc > 1 ? kk & 1 : 0;
        if (any_in && c == 0)
            for (i = 0; i < l->inputs; i++) wait_pending(&x_id[i][r & 1]);
        if (l->w_l3 && (l->nc > 1 || kk == 0)) wait_pending(&w_id[wb]);
        if (l->y_l3 && c == 0) wait_pending(&y_id[r & 1]);
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
        if (l->has_w)
            s.w = l->w_l3 ? l2 + l->w_buf[wb]
                          : l->w_image + l->w_addr + (unsigned long)s.co0 * l->w_per_co;
        if (l->y_l3) {
            s.y = l2 + l->out_buf[r & 1];
            s.y_r0 = s.h0;
        } else {
            s.y = l2 + l->y_addr;
        }
        s.y_c = l->co;
        dory_run_slice(l->ops, l->tiling, &s);
        if (l->y_l3 && c == l->nc - 1)
            y_id[r & 1] = dory_l3_write((uint32_t)(l->y_addr + s.h0 * l->y_row), s.y,
                                        (size_t)s.h * l->y_row, "output rows");
    }
    for (i = 0; i < 2; i++) wait_pending(&y_id[i]);
}
