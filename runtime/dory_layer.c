/* dory_layer.c: the software-pipelined L1 tile loop (dory_layer.h). Must not
 * know any kernel: the generated layer's hooks do the work. */
#include "dory_layer.h"

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
