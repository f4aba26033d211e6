/* test_plan_mzn.c: cross-checks the exact L1 solver against the same cost
 * model written independently in MiniZinc and solved by Gecode.
 *
 * The brute-force tests share cost.c with the solver, so they cannot catch a
 * cost.c that disagrees with docs/PLANNER.md. Here the model of the doc is
 * written a second time (below, in MiniZinc), Gecode minimizes it over every
 * integer tile size, and both the optimal values and the C cost of Gecode's
 * tiling must agree with the C solver. Needs `minizinc` with Gecode (Debian
 * package minizinc); without it the test says so and fails.
 */
#define _DEFAULT_SOURCE /* mkstemps */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dory_kernels.h"
#include "harness.h"
#include "models.h"
#include "plan/plan.h"

static const char *const mzn_model =
    "int: Dco; int: Dho; int: Dwo; int: Dci; int: hin; int: win;\n"
    "int: kh; int: kw; int: sh; int: sw; int: dh; int: dw; int: pt; int: pl; int: pb; int: pr;\n"
    "int: inzp;\n"
    "int: cores; int: par_ch; int: coa; float: cop; int: woa; float: wop; int: cia; float: cip;\n"
    "float: mpc; float: epi; float: psum; float: ovh;\n"
    "int: coupled; int: gin; int: gout; int: citile; int: cofull; int: kind;\n"
    "int: ie; int: oe; int: we; int: rqc; int: rqf; int: cint; int: cin0;\n"
    "int: dmad; float: bw; float: lat; int: budget;\n"
    "var 1..Dco: co; var 1..Dho: ho; var 1..Dwo: wo; var 1..Dci: ci;\n"
    "constraint cofull = 1 -> co = Dco;\n"
    "constraint (coupled = 1 /\\ gout > 1) -> co mod gout = 0;\n"
    "constraint citile = 0 -> ci = Dci;\n"
    "var int: nco = (Dco + co - 1) div co; var int: nho = (Dho + ho - 1) div ho;\n"
    "var int: nwo = (Dwo + wo - 1) div wo; var int: nci = (Dci + ci - 1) div ci;\n"
    "var int: lco = Dco - (nco - 1) * co; var int: lho = Dho - (nho - 1) * ho;\n"
    "var int: lwo = Dwo - (nwo - 1) * wo; var int: lci = Dci - (nci - 1) * ci;\n"
    "function var float: al(var int: x, int: a, float: p) =\n"
    "  if a <= 1 then int2float(x) else int2float(a * (x div a)) + p * int2float(x mod a) endif;\n"
    "function var int: rup(var int: x) = ((x + cores - 1) div cores) * cores;\n"
    "var float: fco = if par_ch = 1 then int2float((nco - 1) * rup(co) + rup(lco))\n"
    "  else int2float(nco - 1) * al(co, coa, cop) + al(lco, coa, cop) endif;\n"
    "var float: fho = if par_ch = 0 then int2float((nho - 1) * rup(ho) + rup(lho))\n"
    "  else int2float(Dho) endif;\n"
    "var float: fwo = int2float(nwo - 1) * al(wo, woa, wop) + al(lwo, woa, wop);\n"
    "var float: fci = if coupled = 1 then int2float(gin)\n"
    "  else int2float(nci - 1) * al(ci, cia, cip) + al(lci, cia, cip) endif;\n"
    "function var int: ext(var int: a, var int: len, int: s, int: k, int: d, int: p, int: n) =\n"
    "  min((a + len - 1) * s - p + (k - 1) * d + 1, n) - max(a * s - p, 0);\n"
    "var 0..Dho * hin: rh = sum(i in 0..Dho - 1)(if i < nho then\n"
    "  ext(i * ho, if i < nho - 1 then ho else lho endif, sh, kh, dh, pt, hin) else 0 endif);\n"
    "var 0..Dwo * win: rw = sum(i in 0..Dwo - 1)(if i < nwo then\n"
    "  ext(i * wo, if i < nwo - 1 then wo else lwo endif, sw, kw, dw, pl, win) else 0 endif);\n"
    "var int: inh = min(hin, (ho - 1) * sh + (kh - 1) * dh + 1);\n"
    "var int: inw = min(win, (wo - 1) * sw + (kw - 1) * dw + 1);\n"
    "var int: inc = if coupled = 1 then (co div gout) * gin else ci endif;\n"
    "var int: nsp = nho * nwo;\n"
    "function var int: a4(var int: x) = ((x + 3) div 4) * 4;\n"
    "var int: inb = inh * inw * inc * ie;\n"
    "var int: wb = co * kh * kw * (if coupled = 1 then gin else ci endif) * we;\n"
    "var int: rqb = co * rqc + rqf;\n"
    "var int: outb = ho * wo * co * oe;\n"
    "var int: accb = if nci > 1 then ho * wo * co * 4 else 0 endif;\n"
    "int: sa; int: sb; array[1..sa, 1..sb] of int: scrtab;\n"
    "var int: scr = cores * a4(if kind <= 1 then scrtab[co, inc]\n"
    "  elseif kind = 2 then scrtab[inh, inw] else scrtab[1, inc] endif);\n"
    "var int: nbin = if nsp * nci = 1 /\\ (coupled = 0 \\/ nco = 1) then 1 else 2 endif;\n"
    "var int: used = a4(inb) * nbin + a4(wb) * (if nco * nci = 1 then 1 else 2 endif)\n"
    "  + a4(rqb) * (if nco = 1 then 1 else 2 endif) + a4(outb) * (if nsp * nco = 1 then 1 else 2 "
    "endif)\n"
    "  + a4(accb) + a4(scr);\n"
    "constraint used <= budget;\n"
    "function var float: dmaf(var float: jobs, var float: bytes) =\n"
    "  if bytes <= 0.0 then 0.0 else jobs * lat + bytes / bw endif;\n"
    "function var float: dma(var int: jobs, var int: bytes) = dmaf(int2float(jobs), "
    "int2float(bytes));\n"
    "function var float: fl(var int: x) = int2float(x);\n"
    "float: outs = int2float(Dho * Dwo * Dco);\n"
    "var float: comp = fco * fho * fwo * fci * int2float(kh * kw) / mpc + outs * epi\n"
    "  + outs * psum * int2float(nci - 1);\n"
    "var float: flst = dma(bool2int(inb > 0) + bool2int(wb + rqb > 0), inb + wb + rqb) + dma(1, "
    "outb);\n"
    "int: cfull = if coupled = 1 then cin0 else cint endif;\n"
    "function var int: boxjobs(var int: r, var int: c, var int: k, int: W, int: C) =\n"
    "  let { var int: dims = if k = C /\\ c = W then 1 elseif k = C then 2 else 3 endif } in\n"
    "  if dmad >= dims then 1 elseif dims = 2 \\/ dmad = 2 then r else r * c endif;\n"
    "var int: perin = boxjobs(inh, inw, inc, win, cfull);\n"
    "var int: perout = boxjobs(ho, wo, co, Dwo, Dco);\n"
    "var int: outjobs = if perout = 1 then nho * nwo * nco\n"
    "  elseif perout = ho then Dho * nwo * nco else Dho * Dwo * nco endif;\n"
    "var float: dout = dma(outjobs, Dho * Dwo * Dco * oe);\n"
    "int: wtot = Dco * kh * kw * (if coupled = 1 then gin else cint endif) * we;\n"
    "var int: rqtot = Dco * rqc + rqf * nco;\n"
    "var int: jw = if ci = Dci \\/ dmad >= 2 then 1 else co * kh * kw endif;\n"
    "function var float: total(int: o) = let {\n"
    "  var int: sweeps = if coupled = 1 then 1 elseif o = 0 then (if nci = 1 then 1 else nco "
    "endif)\n"
    "    else (if nsp * nci = 1 then 1 else nco endif) endif;\n"
    "  var int: lph = sweeps * nwo * (if coupled = 1 then nco else nci endif);\n"
    "  var float: injobs = if perin = 1 then fl(lph) * fl(nho) elseif perin = inh then\n"
    "    fl(lph) * fl(rh) else fl(lph) * fl(rh) * fl(inw) endif;\n"
    "  var int: reads = if o = 0 then (if nco * nci = 1 then 1 else nsp endif)\n"
    "    else (if nci = 1 then 1 else nsp endif) endif;\n"
    "  var float: wjobs = fl(reads) * fl(nco) * fl(nci) * fl((if wtot > 0 then jw else 0 endif)\n"
    "    + bool2int(rqtot > 0));\n"
    "  var float: d = dmaf(injobs, fl(sweeps) * fl(rh) * fl(rw) * int2float(cfull * ie))\n"
    "    + dmaf(wjobs, fl(reads) * fl(wtot + rqtot)) + dout } in\n"
    "  fl(nco) * fl(nho) * fl(nwo) * fl(nci) * ovh + max(comp + flst, d);\n"
    "var float: cost = min(total(0), total(1));\n"
    "solve :: int_search([co, ho, wo, ci], input_order, indomain_max) minimize cost;\n"
    "output [\"co=\\(co) ho=\\(ho) wo=\\(wo) ci=\\(ci) cost=\\(cost)\\n\"];\n";

static int have_minizinc(void)
{
    return system("minizinc --solvers 2>/dev/null | grep -q gecode") == 0;
}

/* The kernels' scratch bytes per core (kernels/dory_kernels.h) as a table
 * over what they depend on: conv and pointwise (output channels, input
 * channels), depthwise (input rows, input columns), fc (input channels).
 * They are an input of the model, as they are of the planner. */
static int32_t kernel_scratch(const PlanGeom *g, int kind, int a, int b)
{
    dory_conv_params_t cp;
    memset(&cp, 0, sizeof cp);
    cp.kh = g->kh, cp.kw = g->kw, cp.stride_h = g->sh, cp.stride_w = g->sw;
    cp.dil_h = g->dh, cp.dil_w = g->dw, cp.pad_top = g->pad[0], cp.pad_left = g->pad[1];
    cp.pad_bottom = g->pad[2], cp.pad_right = g->pad[3], cp.border = DORY_BORDER_ALL;
    dory_dims_t in = {1, 1, b, 0}, out = {1, 1, a, 0};
    dory_fc_params_t fp;
    memset(&fp, 0, sizeof fp);
    fp.in_zp = g->in_zp;
    switch (kind) {
    case 0: return dory_conv2d_hwc_s8_scratch_bytes(&cp, &in, &out);
    case 1: return dory_conv1x1_s8_scratch_bytes(&cp, &in, &out);
    case 2: {
        dory_dims_t din = {a, b, 1, 0};
        return dory_dwconv_s8_scratch_bytes(&cp, &din, &out);
    }
    default: return dory_fc_s8_scratch_bytes(&fp, b, 1);
    }
}

static void write_scratch(FILE *f, const PlanGeom *g, int kind)
{
    int64_t sa = kind <= 1 ? g->co : kind == 2 ? g->hin : 1;
    int64_t sb = kind <= 1 || kind == 3 ? g->cin_total : g->win;
    fprintf(f, "sa=%lld; sb=%lld; scrtab=array2d(1..sa, 1..sb, [", (long long)sa, (long long)sb);
    for (int64_t a = 1; a <= sa; a++)
        for (int64_t b = 1; b <= sb; b++)
            fprintf(f, "%s%d", a == 1 && b == 1 ? "" : ",",
                    (int)kernel_scratch(g, kind, (int)a, (int)b));
    fprintf(f, "]);\n");
}

static void write_data(FILE *f, const PlanGeom *g, const Target *t)
{
    const KernelCost *k = &t->kernel[g->kind];
    int kind = g->kind == KK_CONV ? 0 : g->kind == KK_PW ? 1 : g->kind == KK_DW ? 2 : 3;
    fprintf(f, "Dco=%lld; Dho=%lld; Dwo=%lld; Dci=%lld; hin=%lld; win=%lld;\n", (long long)g->co,
            (long long)g->ho, (long long)g->wo, (long long)(g->coupled ? 1 : g->cin_total),
            (long long)g->hin, (long long)g->win);
    fprintf(f, "kh=%d; kw=%d; sh=%d; sw=%d; dh=%d; dw=%d; pt=%d; pl=%d; pb=%d; pr=%d;\n", g->kh,
            g->kw, g->sh, g->sw, g->dh, g->dw, g->pad[0], g->pad[1], g->pad[2], g->pad[3]);
    fprintf(f, "inzp=%d;\n", (int)g->in_zp);
    fprintf(f, "cores=%d; par_ch=%d; coa=%d; cop=%.17g; woa=%d; wop=%.17g; cia=%d; cip=%.17g;\n",
            t->cores, k->par == PAR_CHANNELS, k->co_align, k->co_penalty, k->wo_align,
            k->wo_penalty, k->ci_align, k->ci_penalty);
    fprintf(f, "mpc=%.17g; epi=%.17g; psum=%.17g; ovh=%.17g;\n", k->mac_per_cycle,
            k->epilogue_cycles, k->psum_cycles, k->tile_overhead);
    fprintf(f, "coupled=%d; gin=%lld; gout=%lld; citile=%d; cofull=%d; kind=%d;\n", g->coupled,
            (long long)g->gin, (long long)g->gout, g->ci_tiling, g->co_full, kind);
    fprintf(f, "ie=%d; oe=%d; we=%d; rqc=%lld; rqf=%lld; cint=%lld; cin0=%lld;\n", g->in_elem[0],
            g->out_elem, g->w_elem, (long long)g->rq_per_ch, (long long)g->rq_fixed,
            (long long)g->cin_total, (long long)g->cin[0]);
    fprintf(f, "dmad=%d; bw=%.17g; lat=%.17g; budget=%lld;\n", t->dma_dims, t->l1.bandwidth,
            t->l1.latency, (long long)target_l1_budget(t));
    write_scratch(f, g, kind);
}

/* Gecode's time limit per layer (ms). Every layer of the test is proven
 * optimal well within it (the slowest, pw1 with GAP8's full L1, in about 7 s
 * with the search order above); a layer that is not fails the test rather
 * than being compared with a solution that may not be optimal. */
enum { MZN_TIME_LIMIT_MS = 20000 };

/* Runs Gecode on the layer: 0 with the optimal tiling and its cost, 1 when
 * no tiling fits, 2 when the search stopped before proving optimality. */
static int mzn_solve(const PlanGeom *g, const Target *t, int64_t tile[TD_COUNT], double *cost)
{
    char mzn[] = "/tmp/dory_plan_XXXXXX.mzn", dzn[] = "/tmp/dory_plan_XXXXXX.dzn";
    int fm = mkstemps(mzn, 4), fd = mkstemps(dzn, 4);
    if (fm < 0 || fd < 0) return -1;
    FILE *m = fdopen(fm, "w"), *d = fdopen(fd, "w");
    fputs(mzn_model, m);
    write_data(d, g, t);
    fclose(m);
    fclose(d);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "minizinc --solver gecode --time-limit %d -m %s -d %s 2>&1",
             MZN_TIME_LIMIT_MS, mzn, dzn);
    FILE *p = popen(cmd, "r");
    int rc = -1, found = 0;
    char line[512];
    long long co, ho, wo, ci;
    while (p && fgets(line, sizeof line, p)) {
        if (sscanf(line, "co=%lld ho=%lld wo=%lld ci=%lld cost=%lf", &co, &ho, &wo, &ci, cost) ==
            5) {
            tile[TD_CO] = co, tile[TD_HO] = ho, tile[TD_WO] = wo, tile[TD_CI] = ci;
            found = 1; /* the last solution printed is the best */
            if (rc < 0) rc = 2;
        } else if (found && strncmp(line, "==========", 10) == 0) {
            rc = 0; /* the search is complete: the best is the optimum */
        } else if (strstr(line, "UNSATISFIABLE")) {
            rc = 1;
        }
    }
    if (p) pclose(p);
    unlink(mzn);
    unlink(dzn);
    return rc;
}

static void cross_check(const PlanGeom *g, const Target *t, const char *what)
{
    Arena a;
    arena_init(&a);
    L1Plan ex, at;
    const char *why;
    int64_t tile[TD_COUNT];
    double mcost = 0;
    int rex = tile_l1_solve(g, t, OBJ_EXACT, &ex, &a, &why);
    int rm = mzn_solve(g, t, tile, &mcost);
    if (!CHECK(rm >= 0)) {
        harness_fail(__FILE__, __LINE__, "%s: minizinc gave no answer", what);
    } else if (rm == 2) {
        harness_fail(__FILE__, __LINE__, "%s: Gecode did not prove optimality in %d ms", what,
                     MZN_TIME_LIMIT_MS);
    } else if (rm == 1 || rex != 0) {
        CHECK_EQ_I64(rm, 1); /* both infeasible */
        CHECK(rex != 0);
    } else {
        tile_l1_eval(g, t, tile, &at);
        double tol = 1e-6 * ex.cost.total + 1e-3;
        if (fabs(mcost - ex.cost.total) > tol || fabs(at.cost.total - mcost) > tol || !at.ok)
            harness_fail(
                __FILE__, __LINE__,
                "%s (L1 %lld): C solver %.3f (co %lld ho %lld wo %lld ci %lld); Gecode "
                "%.3f (co %lld ho %lld wo %lld ci %lld), C cost of that %.3f (fits %d, %lld B)",
                what, (long long)target_l1_budget(t), ex.cost.total, (long long)ex.d[TD_CO].tile,
                (long long)ex.d[TD_HO].tile, (long long)ex.d[TD_WO].tile,
                (long long)ex.d[TD_CI].tile, mcost, (long long)tile[TD_CO], (long long)tile[TD_HO],
                (long long)tile[TD_WO], (long long)tile[TD_CI], at.cost.total, at.ok,
                (long long)at.l1_used);
    }
    arena_free(&a);
}

SLOW_TEST(plan_minizinc_gecode_cross_check)
{
    if (!have_minizinc()) {
        harness_fail(
            __FILE__, __LINE__,
            "minizinc with Gecode not found (apt-get install minizinc): cannot cross-check");
        return;
    }
    Graph *g = model_dscnn();
    if (!CHECK(g != NULL)) return;
    int64_t budgets[] = {36700, 6000, 2500};
    int checked = 0;
    for (size_t b = 0; b < DORY_ARRAY_LEN(budgets); b++) {
        Target t;
        target_builtin("gap8", &t);
        t.l1.size = budgets[b] + t.l1_reserve;
        /* the MiniZinc model has one conv kernel (4-pixel im2col); the C
         * solver's choice between the two variants is checked against brute
         * force in test_plan.c */
        t.kernel[KK_CONV].im2col1_mac_per_cycle = 0;
        /* the kind entries' model (docs/PLANNER.md, "The cost model"), not
         * the fitted rows' extra terms ("The PULP model") */
        memset(t.row, 0, sizeof t.row);
        t.l1.latency = 100, t.l1.bandwidth = 8; /* the estimate's DMA */
        /* conv 3x3 s2, depthwise, pointwise, fc: one of each kind */
        int nodes[] = {0, 1, 2, 10};
        for (size_t k = 0; k < DORY_ARRAY_LEN(nodes); k++) {
            PlanGeom geom;
            if (!CHECK(plan_geom(g, g->nodes[nodes[k]], &t, &geom) == 0)) continue;
            cross_check(&geom, &t, g->nodes[nodes[k]]->name);
            checked++;
        }
    }
    CHECK(checked == 12);
    graph_free(g);
}
