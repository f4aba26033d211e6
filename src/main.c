/* main.c: the dory command line. Each subcommand is the pipeline read top to
 * bottom: load (frontend) -> passes + verifier -> interpreter / printer /
 * planner / codegen. Option parsing lives here; no stage parses argv.
 */
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "ir/interp.h"
#include "ir/print.h"
#include "ir/tensorio.h"
#include "ir/text.h"
#include "ir/verify.h"
#include "passes/passes.h"
#include "plan/plan.h"
#include "codegen/codegen.h"
#include "report/report.h"

/* ---- Options ------------------------------------------------------------ */

enum { MAX_FILES = DORY_MAX_INPUTS };

typedef struct Options {
    const char *cmd;
    const char *model;
    const char *inputs[MAX_FILES];
    int ninputs;
    const char *output;
    const char *dump_dir;
    TensorFormat in_fmt, out_fmt;
    int random_seed; /* -1: none */
    int print_ir;
    FrontendOptions fe;
    PassOptions passes;
    /* planner (inspect --target) */
    TargetOverrides target;
    PlanObjective objective;
    int json;
    /* code generation (deploy) */
    CheckMode check;
    int check_set;
    int requant_set;        /* --requant given: no automatic FLOAT -> F32INT */
    const char *input_type; /* --input-type u8|i8, or NULL */
    /* the deployment report (inspect --html/--report-json, report) */
    const char *html, *report_json;
    const char *run_output; /* dory report APP_DIR RUN_OUTPUT */
} Options;

static void usage_main(FILE *f)
{
    fprintf(f, "usage: dory [--help] [--version] COMMAND [ARGS]\n"
               "\n"
               "dory compiles a quantized neural network into tiled, double-buffered C\n"
               "for microcontrollers with scratchpad memories (GAP8/GAP9, PULP, Cortex-M).\n"
               "\n"
               "commands:\n"
               "  run      execute a model with the reference interpreter\n"
               "  inspect  print a model's layers (shapes, MACs, parameters, requant)\n"
               "  deploy   generate the C application for a target\n"
               "  report   add the measured cycles of a run to an application's report\n"
               "\n"
               "model formats:\n");
    for (const Frontend *const *fe = frontend_list(); *fe; fe++)
        fprintf(f, "  %-8s %s\n", (*fe)->name, (*fe)->description);
    fprintf(f, "\n'dory COMMAND --help' describes a command.\n");
}

static void usage_common(FILE *f)
{
    fprintf(f, "model options:\n"
               "  --format NAME        force the model format (default: detect)\n"
               "  --dialect NAME       force a format's dialect (ONNX: qdq, qop, nemo, quantlab)\n"
               "  --tflite-arith A     TFLite: tflm (default, TFLite Micro and CMSIS-NN) or\n"
               "                       litert (LiteRT's reference kernels)\n"
               "  --verify-each        verify the IR after every pass (always in debug builds)\n"
               "  --print-after PASS   print the IR text after a pass\n"
               "  --input-type u8|i8   type of inputs the model leaves open (ONNX NEMO and\n"
               "                       QuantLab float inputs; default: the --input .npy's\n"
               "                       int8/uint8 dtype, else u8); refused where the model\n"
               "                       fixes another\n"
               "  --requant SCHEME     float (default: as the model says), exact (FLOAT and\n"
               "                       QLADD computed in integers, bit-exact with fp32, for\n"
               "                       MCUs without an FPU; deploy's default there) or fixed\n"
               "                       (TFLite-style fixed point; may differ by 1 LSB)\n");
}

static void usage_run(FILE *f)
{
    fprintf(f, "usage: dory run MODEL (--input FILE | --random SEED) [-o FILE] [--dump DIR]\n"
               "\n"
               "Executes MODEL with the reference interpreter (the integer contract of\n"
               "docs/ARCHITECTURE.md, bit for bit) and writes the graph's output.\n"
               "\n"
               "  --input FILE         input tensor, once per graph input, in the source\n"
               "                       model's layout (NCHW for ONNX, NHWC for TFLite)\n"
               "  --random SEED        use a deterministic pseudo-random input instead\n"
               "  -o, --output FILE    write the (first) output tensor\n"
               "  --dump DIR           write every layer's output as DIR/NNN_<layer>.npy\n"
               "  --input-format F     npy, raw or txt (default: from the extension)\n"
               "  --output-format F    npy, raw or txt (default: from the extension)\n"
               "\n"
               "Formats: .npy (int8, uint8, int32), raw little-endian binary in the tensor's\n"
               "dtype (.bin, .raw), text with one value per line (.txt).\n");
    usage_common(f);
}

static void usage_inspect(FILE *f)
{
    fprintf(f, "usage: dory inspect MODEL [--ir] [-o FILE] [--target T [PLAN OPTIONS]]\n"
               "                    [--html FILE] [--report-json FILE]\n"
               "\n"
               "Prints one line per layer: op, input and output shapes, MACs, parameter\n"
               "bytes, requant scheme and arithmetic width, then totals. With --target,\n"
               "then prints the memory plan: per layer the L1 tiles, tile counts, L1 use,\n"
               "L3 streaming, DMA bytes per level, modeled cycles and MAC/cycle beside the\n"
               "cycles of the DORY paper's objective, and the binding constraint.\n"
               "\n"
               "  --ir                 print the lowered graph as dory IR text instead\n"
               "  -o, --output FILE    write to FILE instead of stdout (with --ir, large\n"
               "                       constants go to FILE.bin beside it)\n"
               "\n"
               "plan options:\n"
               "  -t, --target T       gap8, gap9, pulp-open, cortex-m or host\n"
               "  --target-file F      JSON target description (docs/PLANNER.md)\n"
               "  --json               print the plan as JSON instead of text\n"
               "  --html FILE          write the deployment report (report.html of 'dory\n"
               "                       deploy') to FILE, without generating code\n"
               "  --report-json FILE   write its JSON (report.json, docs/REPORT.md) to FILE\n"
               "  --objective O        exact (fewest modeled cycles, default) or dory\n"
               "  --l1/--l2/--l3 BYTES override a memory level's size\n"
               "  --code-reserve BYTES L2 bytes kept for code and stacks\n"
               "  --cores N            cluster cores\n");
    usage_common(f);
}

static void usage_report(FILE *f)
{
    fprintf(f, "usage: dory report APP_DIR RUN_OUTPUT\n"
               "\n"
               "Adds the per-layer measurements of a run of the application in APP_DIR\n"
               "(RUN_OUTPUT: what 'make run' or 'make run-qemu' printed there) to its\n"
               "report.json and report.html: per layer the measured count beside the\n"
               "modeled cycles, and their ratio. QEMU counts retired instructions, the\n"
               "host nanoseconds; the report says which (docs/REPORT.md).\n");
}

static void usage_deploy(FILE *f)
{
    fprintf(f, "usage: dory deploy MODEL -t TARGET -o DIR [--input FILE | --random SEED]\n"
               "                   [--check all|last|none] [PLAN OPTIONS]\n"
               "\n"
               "Plans MODEL for TARGET and writes the application to DIR: one tiled,\n"
               "double-buffered C function per layer, the network, main, weights, golden\n"
               "data from the reference interpreter, the kernels and the HAL, a Makefile\n"
               "and a README. `make -C DIR run` builds and runs it on the host and exits 0\n"
               "only if every checked layer matches the reference interpreter.\n"
               "\n"
               "  -t, --target T       gap8, gap9, pulp-open, cortex-m or host\n"
               "  -o, --output DIR     the application folder (created if missing)\n"
               "  --input FILE         the input the application runs and checks (source\n"
               "                       layout, as for 'dory run'); default: --random 1\n"
               "  --random SEED        a deterministic pseudo-random input\n"
               "  --check MODE         what the application checks against the reference\n"
               "                       interpreter: every layer by checksum (default), all\n"
               "                       (every layer in full, reporting the first differing\n"
               "                       byte), last (the output in full) or none\n"
               "  plan options as for 'dory inspect' (--l1, --l2, --l3, --cores, ...)\n"
               "\n"
               "DIR also gets report.html and report.json: the deployment report (layers,\n"
               "tiles and L1 maps, L2 timeline, L3 map, modeled cycles; docs/REPORT.md).\n"
               "\n"
               "Weights and activations that do not fit L2 stream from L3; input channels\n"
               "that do not fit L1 accumulate int32 partial sums.\n");
    usage_common(f);
}

/* A size or count on the command line: a decimal integer in [lo, hi]. */
static int parse_i64(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return diag_error(DIAG_NOLOC, "%s needs an integer between %lld and %lld", opt,
                          (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

/* Planner options; 1 if `a` was one (i advanced past its argument), -1 on error. */
static int parse_plan_arg(const char *a, const char *next, int *i, Options *o)
{
    int64_t v = 0;
    const int64_t big = (int64_t)1 << 40;
    if (!strcmp(a, "--json")) return o->json = 1;
    int known = !strcmp(a, "-t") || !strcmp(a, "--target") || !strcmp(a, "--target-file") ||
                !strcmp(a, "--objective") || !strcmp(a, "--l1") || !strcmp(a, "--l2") ||
                !strcmp(a, "--l3") || !strcmp(a, "--code-reserve") || !strcmp(a, "--cores");
    if (!known) return 0;
    if (!next) return diag_error(DIAG_NOLOC, "option %s needs an argument", a);
    (*i)++;
    if (!strcmp(a, "-t") || !strcmp(a, "--target"))
        o->target.name = next;
    else if (!strcmp(a, "--target-file"))
        o->target.file = next;
    else if (!strcmp(a, "--objective")) {
        if (strcmp(next, "exact") && strcmp(next, "dory"))
            return diag_error(DIAG_NOLOC, "--objective is 'exact' or 'dory', not '%s'", next);
        o->objective = strcmp(next, "dory") ? OBJ_EXACT : OBJ_DORY;
    } else if (!strcmp(a, "--cores")) {
        if (parse_i64(a, next, 1, 64, &v)) return -1;
        o->target.cores = (int)v;
    } else {
        if (parse_i64(a, next, !strcmp(a, "--code-reserve") ? 0 : 1, big, &v)) return -1;
        int64_t *dst = !strcmp(a, "--l1")   ? &o->target.l1
                       : !strcmp(a, "--l2") ? &o->target.l2
                       : !strcmp(a, "--l3") ? &o->target.l3
                                            : &o->target.code_reserve;
        *dst = v;
    }
    return 1;
}

static int parse_format(const char *s, TensorFormat *out)
{
    if (tensor_format_from_name(s, out) == 0) return 0;
    return diag_error(DIAG_NOLOC, "unknown tensor format '%s' (npy, raw or txt)", s);
}

/* Returns 0 to continue, 1 when help was printed, -1 on a usage error. */
/* Which commands take an option (the others refuse it rather than ignore it). */
static const struct {
    const char *opt, *cmds;
} option_cmds[] = {
    {"--input", "run deploy"},
    {"-i", "run deploy"},
    {"--random", "run deploy"},
    {"--input-format", "run deploy"},
    {"--dump", "run"},
    {"--output-format", "run"},
    {"--ir", "inspect"},
    {"--json", "inspect"},
    {"--check", "deploy"},
    {"--html", "inspect"},
    {"--report-json", "inspect"},
    /* `report` reads an application folder, not a model */
    {"-o", "run inspect deploy"},
    {"--output", "run inspect deploy"},
    {"--format", "run inspect deploy"},
    {"--dialect", "run inspect deploy"},
    {"--tflite-arith", "run inspect deploy"},
    {"--verify-each", "run inspect deploy"},
    {"--print-after", "run inspect deploy"},
    {"--requant", "run inspect deploy"},
    {"--input-type", "run inspect deploy"},
};

static int option_taken(const char *cmd, const char *a)
{
    for (size_t k = 0; k < DORY_ARRAY_LEN(option_cmds); k++) {
        if (strcmp(a, option_cmds[k].opt)) continue;
        const char *c = strstr(option_cmds[k].cmds, cmd);
        size_t n = strlen(cmd);
        if (!c || (c[n] && c[n] != ' '))
            return diag_error(DIAG_NOLOC, "'dory %s' does not take %s (see dory %s --help)", cmd, a,
                              cmd);
    }
    return 0;
}

static int parse_args(int argc, char **argv, Options *o, void (*usage)(FILE *))
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] == '-' && option_taken(o->cmd, a)) return -1;
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (!next) return diag_error(DIAG_NOLOC, "option %s needs an argument", a);                \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--input") || !strcmp(a, "-i")) {
            NEED_ARG();
            if (o->ninputs >= MAX_FILES) return diag_error(DIAG_NOLOC, "too many --input");
            o->inputs[o->ninputs++] = next;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            NEED_ARG();
            o->output = next;
        } else if (!strcmp(a, "--dump")) {
            NEED_ARG();
            o->dump_dir = next;
        } else if (!strcmp(a, "--random")) {
            NEED_ARG();
            char *end;
            long v = strtol(next, &end, 10);
            if (*end || v < 0 || v > 1000000000)
                return diag_error(DIAG_NOLOC, "--random needs a seed between 0 and 1e9");
            o->random_seed = (int)v;
        } else if (!strcmp(a, "--input-format")) {
            NEED_ARG();
            if (parse_format(next, &o->in_fmt)) return -1;
        } else if (!strcmp(a, "--output-format")) {
            NEED_ARG();
            if (parse_format(next, &o->out_fmt)) return -1;
        } else if (!strcmp(a, "--format")) {
            NEED_ARG();
            o->fe.format = next;
        } else if (!strcmp(a, "--dialect")) {
            NEED_ARG();
            o->fe.dialect = next;
        } else if (!strcmp(a, "--tflite-arith")) {
            NEED_ARG();
            o->fe.tflite_arith = next;
        } else if (!strcmp(a, "--verify-each")) {
            o->passes.verify_each = 1;
        } else if (!strcmp(a, "--print-after")) {
            NEED_ARG();
            o->passes.print_after = next;
        } else if (!strcmp(a, "--requant")) {
            NEED_ARG();
            if (strcmp(next, "fixed") && strcmp(next, "float") && strcmp(next, "exact"))
                return diag_error(DIAG_NOLOC,
                                  "--requant takes 'float', 'exact' or 'fixed', not '%s'", next);
            o->passes.requant_fixed = !strcmp(next, "fixed");
            o->passes.requant_exact = !strcmp(next, "exact");
            o->requant_set = 1;
        } else if (!strcmp(a, "--input-type")) {
            NEED_ARG();
            if (strcmp(next, "u8") && strcmp(next, "i8"))
                return diag_error(DIAG_NOLOC, "--input-type takes 'u8' or 'i8', not '%s'", next);
            o->input_type = next;
        } else if (!strcmp(a, "--ir")) {
            o->print_ir = 1;
        } else if (!strcmp(a, "--html")) {
            NEED_ARG();
            o->html = next;
        } else if (!strcmp(a, "--report-json")) {
            NEED_ARG();
            o->report_json = next;
        } else if (!strcmp(a, "--check")) {
            NEED_ARG();
            o->check_set = 1;
            if (!strcmp(next, "all"))
                o->check = CHECK_ALL;
            else if (!strcmp(next, "last"))
                o->check = CHECK_LAST;
            else if (!strcmp(next, "none"))
                o->check = CHECK_NONE;
            else
                return diag_error(DIAG_NOLOC, "--check is all, last or none, not '%s'", next);
        } else if ((!strcmp(o->cmd, "inspect") || !strcmp(o->cmd, "deploy")) &&
                   parse_plan_arg(a, next, &i, o)) {
            if (diag_error_count()) return -1;
        } else if (a[0] == '-' && a[1]) {
            return diag_error(DIAG_NOLOC, "unknown option '%s' for 'dory %s' (see --help)", a,
                              o->cmd);
        } else if (!o->model) {
            o->model = a;
        } else if (!strcmp(o->cmd, "report") && !o->run_output) {
            o->run_output = a;
        } else {
            return diag_error(DIAG_NOLOC, "unexpected argument '%s'", a);
        }
#undef NEED_ARG
    }
    if (!strcmp(o->cmd, "report") && !o->run_output)
        return diag_error(DIAG_NOLOC, "'dory report' needs APP_DIR and RUN_OUTPUT (see --help)");
    if (!o->model) return diag_error(DIAG_NOLOC, "'dory %s' needs a MODEL (see --help)", o->cmd);
    return 0;
}

/* ---- Pipeline ----------------------------------------------------------- */

/* Frontend, passes, verifier: the model as verified integer IR. */
/* The dtype of inputs the model leaves open: --input-type, else the first
 * --input's if it is an int8/uint8 .npy; -1 for the frontend's default. */
static int open_input_dtype(const Options *o)
{
    DType dt;
    if (o->input_type) return !strcmp(o->input_type, "i8") ? DT_I8 : DT_U8;
    if (o->ninputs && tensor_format_for_path(o->inputs[0]) == TIO_NPY &&
        tensor_npy_byte_dtype(o->inputs[0], &dt) == 0)
        return (int)dt;
    return -1;
}

/* --input-type given: every graph input must have that dtype. */
static int check_input_type(const Graph *g, const Options *o)
{
    for (int i = 0; o->input_type && i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        if (strcmp(dtype_name(t->dtype), o->input_type))
            return diag_error((DiagLoc){o->model, 0, 0, 0},
                              "graph input '%s' is %s in the model; --input-type %s does not "
                              "apply to it",
                              t->name, dtype_name(t->dtype), o->input_type);
    }
    return 0;
}

static Graph *compile(const Options *o)
{
    FrontendOptions fe = o->fe;
    fe.signed_input = open_input_dtype(o) == DT_I8;
    Graph *g = frontend_load(o->model, &fe);
    if (!g) return NULL;
    if (check_input_type(g, o) || graph_finalize(g) || passes_run(g, &o->passes)) {
        graph_free(g);
        return NULL;
    }
    return g;
}

/* xorshift32: a deterministic input that tests and generated apps reproduce. */
static void random_fill(const Tensor *t, int seed, int32_t *v)
{
    uint32_t s = 2463534242u ^ (uint32_t)seed;
    const DTypeInfo *di = dtype_info(t->dtype);
    int64_t span = di->max - di->min + 1;
    for (int64_t i = 0; i < tensor_numel(t); i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        v[i] = (int32_t)(di->min +
                         (int64_t)(s % (uint32_t)(span > 0xffffffffLL ? 0xffffffffu : span)));
    }
}

typedef struct DumpCtx {
    const char *dir;
    int failed;
} DumpCtx;

static int dump_hook(void *ctx, const InterpState *s, const Node *n, int index)
{
    DumpCtx *d = ctx;
    const Tensor *t = graph_tensor(s->g, n->out);
    char path[4096];
    char name[256];
    size_t k = 0;
    for (const char *p = n->name; *p && k + 1 < sizeof name; p++)
        name[k++] = (char)((*p == '/' || *p == '\\' || *p == ' ' || *p == ':') ? '_' : *p);
    name[k] = '\0';
    snprintf(path, sizeof path, "%s/%03d_%s.npy", d->dir, index, name);
    if (tensor_write_file(path, TIO_NPY, t, s->values[n->out])) d->failed = 1;
    return d->failed;
}

/* The graph inputs from --input files or --random; -1 with a diagnostic. */
static int load_inputs(const Graph *g, const Options *o, int default_seed,
                       int32_t *inputs[DORY_MAX_INPUTS])
{
    if (o->ninputs == 0 && o->random_seed < 0 && default_seed < 0)
        return diag_error(DIAG_NOLOC, "'dory %s' needs --input FILE (or --random SEED)", o->cmd);
    if (o->ninputs && o->ninputs != g->ninputs)
        return diag_error(DIAG_NOLOC, "the model has %d input(s) but %d --input given", g->ninputs,
                          o->ninputs);
    int seed = o->random_seed >= 0 ? o->random_seed : default_seed;
    for (int i = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        inputs[i] = util_calloc((size_t)tensor_numel(t), sizeof(int32_t));
        if (!inputs[i]) return diag_error(DIAG_NOLOC, "out of memory");
        if (o->ninputs) {
            if (tensor_read_file(o->inputs[i], o->in_fmt, t, inputs[i])) return -1;
        } else {
            random_fill(t, seed + i, inputs[i]);
        }
    }
    return 0;
}

static int cmd_run(const Options *o)
{
    Graph *g = compile(o);
    if (!g) return 1;
    int rc = 1;
    int32_t *inputs[DORY_MAX_INPUTS] = {0};
    InterpState st = {0};
    if (load_inputs(g, o, -1, inputs)) goto out;
    DumpCtx dump = {o->dump_dir, 0};
    if (o->dump_dir && util_mkdir_p(o->dump_dir)) goto out;
    if (interp_run(g, (const int32_t *const *)inputs, &st, o->dump_dir ? dump_hook : NULL, &dump))
        goto out;
    if (dump.failed) goto out;
    if (o->output) {
        const Tensor *t = graph_tensor(g, g->outputs[0]);
        if (tensor_write_file(o->output, o->out_fmt, t, st.values[t->id])) goto out;
    } else {
        /* No -o: print the first output as text, one value per line. */
        const Tensor *t = graph_tensor(g, g->outputs[0]);
        int32_t *src = util_malloc((size_t)tensor_numel(t) * sizeof(int32_t));
        if (!src) goto out;
        tensor_hwc_to_src(t, st.values[t->id], src);
        for (int64_t i = 0; i < tensor_numel(t); i++) printf("%d\n", src[i]);
        free(src);
    }
    rc = 0;
out:
    interp_free(&st);
    for (int i = 0; i < DORY_MAX_INPUTS; i++) free(inputs[i]);
    graph_free(g);
    return rc;
}

/* The memory plan of inspect --target: resolve the target, plan, report. */
static int plan_inspect(FILE *f, const Graph *g, const Options *o)
{
    Arena a;
    arena_init(&a);
    Target t;
    int rc = target_resolve(&o->target, &a, &t) ? 1 : 0;
    if (!rc) {
        if (!o->json) fputc('\n', f);
        rc = plan_report(f, g, &t, o->objective, o->json) ? 1 : 0;
        if (rc)
            diag_error((DiagLoc){o->model, 0, 0, 0},
                       "no complete plan for target '%s' (the report says which layer and why)",
                       t.name);
    }
    arena_free(&a);
    return rc;
}

static int inspect_report(const Options *o);

static int cmd_inspect(const Options *o)
{
    Graph *g = compile(o);
    if (!g) return 1;
    int rc = 0;
    FILE *f = stdout;
    if (o->output && !(f = fopen(o->output, "w"))) {
        diag_error((DiagLoc){o->output, 0, 0, 0}, "cannot create output file");
        graph_free(g);
        return 1;
    }
    if (o->print_ir) {
        char *bin = o->output ? arena_printf(&g->arena, "%s.bin", o->output) : NULL;
        const char *ref = bin ? strrchr(bin, '/') : NULL;
        TextWriteOptions wo = {4096, bin, ref ? ref + 1 : bin};
        rc = ir_write_text(f, g, o->output ? &wo : NULL) ? 1 : 0;
    } else if (o->json && (o->target.name || o->target.file)) {
        rc = plan_inspect(f, g, o);
    } else {
        ir_print_summary(f, g);
        if (o->target.name || o->target.file) rc = plan_inspect(f, g, o);
    }
    if (f != stdout && fclose(f) != 0) rc = 1;
    graph_free(g);
    if (!rc && (o->html || o->report_json) && inspect_report(o)) rc = 1;
    return rc;
}

/* Counts, per layer, the outputs where the converted graph differs from the FLOAT
 * one on the same input, prints them as notes and keeps them for the
 * report (diff: one entry per node of gx; the last is the network output). */
static int report_fixed_diff(const Graph *gf, const Graph *gx, const int32_t *const *inputs,
                             ReportDiff *diff, int *ndiff)
{
    InterpState sf = {0}, sx = {0};
    int rc = -1;
    *ndiff = 0;
    if (interp_run(gf, inputs, &sf, NULL, NULL) || interp_run(gx, inputs, &sx, NULL, NULL))
        goto out;
    int64_t total = 0, differ = 0, worst = 0;
    for (int i = 0; i < gx->nnodes; i++) {
        const Node *n = gx->nodes[i];
        int j = 0;
        while (j < gf->nnodes && strcmp(gf->nodes[j]->name, n->name)) j++;
        if (j == gf->nnodes) continue;
        const Tensor *t = graph_tensor(gx, n->out);
        int64_t d = 0, m = 0;
        for (int64_t k = 0; k < tensor_numel(t); k++) {
            int64_t e = (int64_t)sx.values[n->out][k] - sf.values[gf->nodes[j]->out][k];
            e = e < 0 ? -e : e;
            d += e != 0;
            m = e > m ? e : m;
        }
        if (d)
            diag_note("  layer '%s': %lld of %lld outputs differ (at most %lld)", n->name,
                      (long long)d, (long long)tensor_numel(t), (long long)m);
        diff[(*ndiff)++] = (ReportDiff){n->name, d, tensor_numel(t), m};
        if (i == gx->nnodes - 1) total = tensor_numel(t), differ = d, worst = m;
    }
    diag_note("  network output: %lld of %lld elements differ from FLOAT (at most %lld)",
              (long long)differ, (long long)total, (long long)worst);
    rc = 0;
out:
    interp_free(&sf);
    interp_free(&sx);
    return rc;
}

static int has_float_requant(const Graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = g->nodes[i];
        if (n->rq.scheme == RQ_FLOAT || n->rq.scheme == RQ_QLADD || n->rq.scheme == RQ_QLMUL ||
            n->in_rq[0].scheme == RQ_FLOAT || n->in_rq[1].scheme == RQ_FLOAT)
            return 1;
    }
    return 0;
}

/* What `deploy` and the report of `inspect` share: the target, the graph
 * for it (FLOAT requantization computed in integers on a target without an FPU,
 * the differences counted on the test input), the test input, the plan. */
typedef struct Deployment {
    Arena a;
    Target t;
    Graph *g, *gf; /* gf: the FLOAT graph, when converted */
    int32_t *inputs[DORY_MAX_INPUTS];
    ReportDiff *diff; /* NULL: no conversion */
    int ndiff;
    char desc[4200]; /* the test input */
    Plan *p;
} Deployment;

static void deployment_close(Deployment *d)
{
    plan_free(d->p);
    arena_free(&d->a);
    for (int i = 0; i < DORY_MAX_INPUTS; i++) free(d->inputs[i]);
    graph_free(d->g);
    graph_free(d->gf);
}

/* 0 with d filled, -1 (a diagnostic given) otherwise; close it either way. */
static int deployment_open(const Options *o, Deployment *d)
{
    memset(d, 0, sizeof *d);
    arena_init(&d->a);
    if (target_resolve(&o->target, &d->a, &d->t)) return -1;
    d->g = compile(o);
    if (!d->g || load_inputs(d->g, o, 1, d->inputs)) return -1;
    if (!d->t.has_fpu && !o->requant_set && has_float_requant(d->g)) {
        /* integer-only target: fp32 requantization computed in integers */
        Options ox = *o;
        ox.passes.requant_exact = 1;
        d->gf = d->g;
        d->g = compile(&ox);
        if (!d->g) return -1;
        diag_note("%s has no FPU: FLOAT, QLADD and QLMUL requantization computed in integers, "
                  "bit-exact (--requant fixed for TFLite-style fixed point, --requant float "
                  "keeps fp32); on the test input:",
                  d->t.name);
        d->diff = arena_alloc_array(&d->a, (size_t)d->g->nnodes + 1, sizeof *d->diff);
        if (!d->diff ||
            report_fixed_diff(d->gf, d->g, (const int32_t *const *)d->inputs, d->diff, &d->ndiff))
            return -1;
    }
    PlanOptions po = {.objective = o->objective};
    d->p = plan_graph(d->g, &d->t, &po);
    if (!d->p) return diag_error(DIAG_NOLOC, "out of memory");
    if (o->ninputs)
        snprintf(d->desc, sizeof d->desc, "%s", o->inputs[0]);
    else
        snprintf(d->desc, sizeof d->desc, "pseudo-random (--random %d)",
                 o->random_seed >= 0 ? o->random_seed : 1);
    return 0;
}

static cJSON *deployment_report(const Deployment *d)
{
    ReportExtra x = {d->diff, d->ndiff, d->desc};
    cJSON *r = report_build(d->g, d->p, &x);
    if (!r) diag_error(DIAG_NOLOC, "out of memory");
    return r;
}

/* inspect --html / --report-json: the report deploy would write, no code. */
static int inspect_report(const Options *o)
{
    if (!o->target.name && !o->target.file)
        return diag_error(DIAG_NOLOC, "--html and --report-json need a target (-t NAME)");
    Deployment d;
    int rc = -1;
    cJSON *r = NULL;
    if (deployment_open(o, &d) == 0 && (r = deployment_report(&d))) {
        rc = 0;
        if (o->report_json && report_write_json(o->report_json, r)) rc = -1;
        if (!rc && o->html && report_write_html(o->html, r)) rc = -1;
        if (!rc && d.p->status != PLAN_OK)
            rc = diag_error((DiagLoc){o->model, 0, 0, 0},
                            "no complete plan for target '%s' (the report says which layer and "
                            "why)",
                            d.t.name);
    }
    cJSON_Delete(r);
    deployment_close(&d);
    return rc;
}

static int cmd_deploy(const Options *o)
{
    if (!o->output) {
        diag_error(DIAG_NOLOC, "'dory deploy' needs -o DIR");
        return 2;
    }
    if (!o->target.name && !o->target.file) {
        char list[256] = "";
        for (const char *const *n = target_names(); *n; n++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? ", " : "",
                     *n);
        diag_error(DIAG_NOLOC, "'dory deploy' needs a target: -t NAME (%s) or --target-file F",
                   list);
        return 2;
    }
    int rc = 1;
    Deployment d;
    cJSON *r = NULL;
    if (deployment_open(o, &d)) goto out;
    CodegenOptions co = {o->output, o->check_set ? o->check : CHECK_SUMS,
                         (const int32_t *const *)d.inputs, d.desc};
    if (codegen_app(d.g, d.p, &co)) goto out;
    if (!(r = deployment_report(&d)) || report_write_dir(o->output, r)) goto out;
    printf("wrote %s: %d layers for target %s ('make -C %s run' builds and runs it)\n", o->output,
           d.g->nnodes, d.t.name, o->output);
    rc = 0;
out:
    cJSON_Delete(r);
    deployment_close(&d);
    return rc;
}

/* dory report APP_DIR RUN_OUTPUT: the run's measurements into the report. */
static int cmd_report(const Options *o)
{
    cJSON *r = report_load(o->model);
    int rc = !r || report_merge_run(r, o->run_output) || report_write_dir(o->model, r) ? 1 : 0;
    if (!rc)
        printf("wrote %s/report.html and report.json with the measurements of %s\n", o->model,
               o->run_output);
    cJSON_Delete(r);
    return rc;
}

typedef struct Command {
    const char *name;
    int (*run)(const Options *o);
    void (*usage)(FILE *f);
} Command;

static const Command commands[] = {
    {"run", cmd_run, usage_run},
    {"inspect", cmd_inspect, usage_inspect},
    {"deploy", cmd_deploy, usage_deploy},
    {"report", cmd_report, usage_report},
};

/* The exit status policy (docs/ARCHITECTURE.md): after a diagnostic the
 * status is never 0, a failure always has its `dory: error:` line, and what
 * could not be written to standard output is a failure. */
static int finish(int rc, const char *model)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        diag_error(DIAG_NOLOC, "cannot write standard output");
        return rc ? rc : 1;
    }
    if (diag_error_count() > 1)
        diag_note("%d more error(s) after this one are not shown; fix it and run again",
                  diag_error_count() - 1);
    if (rc == 0 && diag_error_count() > 0) return 1;
    if (rc != 0 && diag_error_count() == 0)
        diag_error((DiagLoc){model, 0, 0, 0}, "failed without saying why (a bug in dory: please "
                                              "report it with the model)");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage_main(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("dory %s\n", DORY_VERSION);
        return 0;
    }
    for (size_t i = 0; i < DORY_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        Options o;
        memset(&o, 0, sizeof o);
        o.cmd = commands[i].name;
        o.random_seed = -1;
        o.target.code_reserve = -1;
        int r = parse_args(argc, argv, &o, commands[i].usage);
        if (r) return finish(r > 0 ? 0 : 2, NULL);
        return finish(commands[i].run(&o), o.model);
    }
    diag_error(DIAG_NOLOC, "unknown command '%s' (see dory --help)", argv[1]);
    return 2;
}
