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
} Options;

static void usage_main(FILE *f)
{
    fprintf(f,
            "usage: dory [--help] [--version] COMMAND [ARGS]\n"
            "\n"
            "dory compiles a quantized neural network into tiled, double-buffered C\n"
            "for microcontrollers with scratchpad memories (GAP8/GAP9, PULP, Cortex-M).\n"
            "\n"
            "commands:\n"
            "  run      execute a model with the reference interpreter\n"
            "  inspect  print a model's layers (shapes, MACs, parameters, requant)\n"
            "  deploy   generate the C application for a target\n"
            "\n"
            "model formats:\n");
    for (const Frontend *const *fe = frontend_list(); *fe; fe++)
        fprintf(f, "  %-8s %s\n", (*fe)->name, (*fe)->description);
    fprintf(f, "\n'dory COMMAND --help' describes a command.\n");
}

static void usage_common(FILE *f)
{
    fprintf(f,
            "model options:\n"
            "  --format NAME        force the model format (default: detect)\n"
            "  --dialect NAME       force a format's dialect (ONNX: qdq, qop, nemo, quantlab)\n"
            "  --verify-each        verify the IR after every pass (always in debug builds)\n"
            "  --print-after PASS   print the IR text after a pass\n");
}

static void usage_run(FILE *f)
{
    fprintf(f,
            "usage: dory run MODEL (--input FILE | --random SEED) [-o FILE] [--dump DIR]\n"
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
    fprintf(f,
            "usage: dory inspect MODEL [--ir] [-o FILE]\n"
            "\n"
            "Prints one line per layer: op, input and output shapes, MACs, parameter\n"
            "bytes, requant scheme and arithmetic width, then totals.\n"
            "\n"
            "  --ir                 print the lowered graph as dory IR text instead\n"
            "  -o, --output FILE    write to FILE instead of stdout (with --ir, large\n"
            "                       constants go to FILE.bin beside it)\n");
    usage_common(f);
}

static void usage_deploy(FILE *f)
{
    fprintf(f,
            "usage: dory deploy MODEL -t TARGET -o DIR\n"
            "\n"
            "Generates the tiled, double-buffered C application for TARGET.\n"
            "Not implemented yet: code generation arrives with the planner and code\n"
            "generator; today 'dory run' and 'dory inspect' work.\n");
    usage_common(f);
}

static int parse_format(const char *s, TensorFormat *out)
{
    if (tensor_format_from_name(s, out) == 0) return 0;
    return diag_error(DIAG_NOLOC, "unknown tensor format '%s' (npy, raw or txt)", s);
}

/* Returns 0 to continue, 1 when help was printed, -1 on a usage error. */
static int parse_args(int argc, char **argv, Options *o, void (*usage)(FILE *))
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                                  \
    do {                                                                            \
        if (!next) return diag_error(DIAG_NOLOC, "option %s needs an argument", a); \
        i++;                                                                        \
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
        } else if (!strcmp(a, "--verify-each")) {
            o->passes.verify_each = 1;
        } else if (!strcmp(a, "--print-after")) {
            NEED_ARG();
            o->passes.print_after = next;
        } else if (!strcmp(a, "--ir")) {
            o->print_ir = 1;
        } else if (a[0] == '-' && a[1]) {
            return diag_error(DIAG_NOLOC, "unknown option '%s' for 'dory %s' (see --help)", a,
                              o->cmd);
        } else if (!o->model) {
            o->model = a;
        } else {
            return diag_error(DIAG_NOLOC, "unexpected argument '%s'", a);
        }
#undef NEED_ARG
    }
    if (!o->model) return diag_error(DIAG_NOLOC, "'dory %s' needs a MODEL (see --help)", o->cmd);
    return 0;
}

/* ---- Pipeline ----------------------------------------------------------- */

/* Frontend, passes, verifier: the model as verified integer IR. */
static Graph *compile(const Options *o)
{
    Graph *g = frontend_load(o->model, &o->fe);
    if (!g) return NULL;
    if (graph_finalize(g) || passes_run(g, &o->passes)) {
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
        v[i] = (int32_t)(di->min + (int64_t)(s % (uint32_t)(span > 0xffffffffLL ? 0xffffffffu : span)));
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

static int cmd_run(const Options *o)
{
    Graph *g = compile(o);
    if (!g) return 1;
    int rc = 1;
    int32_t *inputs[DORY_MAX_INPUTS] = {0};
    InterpState st = {0};
    if (o->ninputs == 0 && o->random_seed < 0) {
        diag_error(DIAG_NOLOC, "'dory run' needs --input FILE (or --random SEED)");
        goto out;
    }
    if (o->ninputs && o->ninputs != g->ninputs) {
        diag_error(DIAG_NOLOC, "the model has %d input(s) but %d --input given", g->ninputs,
                   o->ninputs);
        goto out;
    }
    for (int i = 0; i < g->ninputs; i++) {
        const Tensor *t = graph_tensor(g, g->inputs[i]);
        inputs[i] = calloc((size_t)tensor_numel(t), sizeof(int32_t));
        if (!inputs[i]) goto out;
        if (o->ninputs) {
            if (tensor_read_file(o->inputs[i], o->in_fmt, t, inputs[i])) goto out;
        } else {
            random_fill(t, o->random_seed + i, inputs[i]);
        }
    }
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
        int32_t *src = malloc((size_t)tensor_numel(t) * sizeof(int32_t));
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
    } else {
        ir_print_summary(f, g);
    }
    if (f != stdout && fclose(f) != 0) rc = 1;
    graph_free(g);
    return rc;
}

static int cmd_deploy(const Options *o)
{
    (void)o;
    diag_error(DIAG_NOLOC, "'dory deploy' is not implemented yet: code generation arrives with "
                           "the memory planner and code generator (use 'dory run' and "
                           "'dory inspect' meanwhile)");
    return 2;
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
};

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
        int r = parse_args(argc, argv, &o, commands[i].usage);
        if (r) return r > 0 ? 0 : 2;
        return commands[i].run(&o);
    }
    diag_error(DIAG_NOLOC, "unknown command '%s' (see dory --help)", argv[1]);
    return 2;
}
