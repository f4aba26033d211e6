/* codegen.c: writes the application folder: checks the plan, analyses every
 * layer, runs the reference interpreter for the golden data, then writes the
 * files; this file holds the application skeleton: the API (network.h), the
 * layer table and run call (network.c), the Makefile (the target's settings,
 * then the app.mk of each HAL folder it carries), the README, and the
 * embedded kernels, runtime and harness. The layer files and the data files
 * have their own (cg_*.c). Which HAL folders an application carries follows
 * from the target's build description (Target.build), nothing else.
 *
 * Everything about memory comes from the Plan (tile sizes, L1 offsets, L2
 * offsets); the generator only checks that what each buffer must hold fits
 * the buffer the plan gave it, and refuses, naming the node, what it cannot
 * generate yet. Must not pick tile sizes or change the graph.
 */
#include "codegen.h"

#include <stdlib.h>
#include <string.h>

#include "cg_int.h"
#include "codegen/embedded.h"
#include "ir/interp.h"

/* Bytes and element type of graph inputs or outputs (ids), concatenated. */
static int64_t io_bytes(const Graph *g, const int *ids, int n)
{
    int64_t b = 0;
    for (int i = 0; i < n; i++) b += tensor_bytes(graph_tensor(g, ids[i]));
    return b;
}

static const char *c_type(DType t)
{
    return t == DT_U8 ? "uint8_t" : t == DT_I8 ? "int8_t" : t == DT_I32 ? "int32_t" : "uint8_t";
}

static void emit_io_macros(Out *o, const Graph *g, const char *io, const int *ids, int n)
{
    const Tensor *t = graph_tensor(g, ids[0]);
    cg_emit(o, "#define DORY_%s_BYTES %lld\n", io, (long long)io_bytes(g, ids, n));
    cg_emit(o, "#define DORY_NUM_%sS %d\n", io, n);
    for (int i = 0; i < n; i++) {
        const Tensor *x = graph_tensor(g, ids[i]);
        cg_emit(o, "/* %s %d: '%s', %s, HWC %lldx%lldx%lld, zero point %d */\n", io, i,
                cg_cmt(x->name), dtype_name(x->dtype), (long long)(x->rank == 4 ? act_h(x) : 1),
                (long long)(x->rank == 4 ? act_w(x) : 1), (long long)x->shape[x->rank - 1], x->zp);
    }
    cg_emit(o, "typedef %s dory_%s_t; /* element type%s */\n\n", c_type(t->dtype),
            !strcmp(io, "INPUT") ? "input" : "output", n > 1 ? " of the first" : "");
}

/* inc/network.h: the network's API; it includes nothing of dory's. */
static int write_api(const char *dir, const Graph *g, const Plan *p)
{
    Out o;
    if (cg_out_open(&o, dir, "inc/network.h")) return -1;
    cg_emit(&o,
            "/* network.h: the deployed network '%s' (dory %s, target %s).\n *\n"
            " * Call dory_network_init() once, then dory_network_run() per inference on\n"
            " * your own buffers. Tensors are HWC; several inputs (outputs) are\n"
            " * concatenated in the order below. Every call returns 0 or a negative error\n"
            " * code; nothing here exits or prints. */\n"
            "#ifndef DORY_NETWORK_H\n#define DORY_NETWORK_H\n\n#include <stddef.h>\n"
            "#include <stdint.h>\n\n",
            g->name, DORY_VERSION, p->target.name);
    emit_io_macros(&o, g, "INPUT", g->inputs, g->ninputs);
    emit_io_macros(&o, g, "OUTPUT", g->outputs, g->noutputs);
    cg_emit(&o,
            "/* Memory the network needs (bytes): L1 for tiles, the L2 arena for\n"
            " * activations and staging, the resident weights the image holds in L2\n"
            " * (const data), and L3. */\n"
            "#define DORY_L1_BYTES %lld\n#define DORY_L2_BYTES %lld\n"
            "#define DORY_L2_IMAGE_BYTES %lld\n#define DORY_L3_BYTES %lld\n"
            "#define DORY_CORES %d\n#define DORY_LAYERS %d\n\n",
            (long long)(p->target.levels < 2 ? plan_sram_scratch(p) : target_l1_budget(&p->target)),
            (long long)p->l2_peak, (long long)p->l2_image,
            (long long)(p->target.levels >= 3 && p->target.l3.size > 0 ? p->target.l3.size : 0),
            p->target.cores, g->nnodes);
    cg_emit(&o,
            "/* Error codes (kernel errors are passed on as they are). */\n"
            "#define DORY_NET_OK 0\n#define DORY_NET_ERR_HAL (-100)      /* the HAL could not "
            "start */\n"
            "#define DORY_NET_ERR_L3_IMAGE (-101) /* L3 weights could not be loaded */\n"
            "#define DORY_NET_ERR_CORES (-102)    /* core count outside 1..DORY_CORES */\n"
            "#define DORY_NET_ERR_STATE (-103)    /* not initialised */\n\n"
            "/* Starts the HAL on DORY_CORES cores and loads the L3 weights. */\n"
            "int dory_network_init(void);\n"
            "/* The same on `cores` cores (1..DORY_CORES): results are identical. */\n"
            "int dory_network_init_cores(int cores);\n"
            "/* One inference: DORY_INPUT_BYTES from `input`, DORY_OUTPUT_BYTES to `output`. */\n"
            "int dory_network_run(const void *input, void *output);\n"
            "void dory_network_deinit(void);\n"
            "/* What an error code means. */\n"
            "const char *dory_network_strerror(int code);\n\n"
            "/* Called after layer i (0..DORY_LAYERS-1) with the time it took, in the\n"
            " * HAL's unit (cycles, instructions or ns): for profiling and checks. */\n"
            "typedef void (*dory_layer_hook_t)(int layer, uint64_t elapsed, void *user);\n"
            "void dory_network_set_hook(dory_layer_hook_t hook, void *user);\n\n#endif\n");
    return cg_out_close(&o);
}

/* inc/network_layers.h: the layer table, for the generated layers, the
 * harness and profilers; a firmware needs only network.h. */
static int write_layers_h(const char *dir, const Graph *g, const Plan *p, const Layer *layers)
{
    Out o;
    int64_t max_l3_out = 0;
    for (int i = 0; i < g->nnodes; i++) {
        int64_t off;
        if (cg_place_of(p, g->nodes[i]->out, &off) == LOC_L3)
            max_l3_out = DORY_MAX(max_l3_out, tensor_bytes(graph_tensor(g, g->nodes[i]->out)));
    }
    if (cg_out_open(&o, dir, "inc/network_layers.h")) return -1;
    cg_emit(&o,
            "/* network_layers.h: the layers of '%s' and where their outputs live. */\n"
            "#ifndef DORY_NETWORK_LAYERS_H\n#define DORY_NETWORK_LAYERS_H\n\n"
            "#include \"dory_hal.h\"\n#include \"dory_kernels.h\"\n#include \"dory_layer.h\"\n"
            "#include \"network.h\"\n\n",
            g->name);
    cg_emit(&o,
            "typedef struct dory_layer_info {\n    const char *name;\n"
            "    int (*run)(void); /* NULL: no data movement (reshape) */\n"
            "    int out_l3;       /* the output lives in L3 (else in the L2 arena) */\n"
            "    size_t out_offset, out_bytes;\n    long long macs;\n"
            "    double modeled_cycles;\n} dory_layer_info_t;\n\n"
            "extern const dory_layer_info_t dory_layers[DORY_LAYERS];\n\n"
            "/* Which layer writes each graph output, and where it goes in the\n"
            " * caller's output buffer. */\n"
            "typedef struct dory_output_info {\n    int layer;\n    size_t at, bytes;\n"
            "} dory_output_info_t;\n\n"
            "extern const dory_output_info_t dory_outputs[DORY_NUM_OUTPUTS];\n\n"
            "/* The largest layer output that lives in L3 (bytes). */\n"
            "#define DORY_MAX_L3_OUTPUT_BYTES %lld\n\n"
            "/* The L2 image's weights, read in place. */\n"
            "#define DORY_L2_WEIGHTS_BYTES %lld\n"
            "extern const uint8_t dory_l2_weights[];\n\n",
            (long long)max_l3_out, (long long)cg_l2_weights_bytes(g, layers));
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].kernel != DORY_K_ALIAS) cg_emit(&o, "int %s(void);\n", layers[i].fn);
    cg_emit(&o, "\n#endif\n");
    return cg_out_close(&o);
}

/* Where graph tensor `id` lives, as {l3, offset, bytes} initializer fields. */
static void emit_place(Out *o, const Plan *p, const Graph *g, int id, int64_t at)
{
    int64_t off = 0;
    int l3 = cg_place_of(p, id, &off) == LOC_L3;
    cg_emit(o, "    {.l3 = %d, .offset = %lld, .at = %lld, .bytes = %lld}, /* %s */\n", l3,
            (long long)off, (long long)at, (long long)tensor_bytes(graph_tensor(g, id)),
            cg_cmt(graph_tensor(g, id)->name));
}

static void emit_io_table(Out *o, const Plan *p, const Graph *g, const char *name, const int *ids,
                          int n)
{
    int64_t at = 0;
    cg_emit(o, "static const io_t %s[%d] = {\n", name, n);
    for (int i = 0; i < n; i++) {
        emit_place(o, p, g, ids[i], at);
        at += tensor_bytes(graph_tensor(g, ids[i]));
    }
    cg_emit(o, "};\n\n");
}

static void emit_output_layers(Out *o, const Graph *g)
{
    int64_t at = 0;
    cg_emit(o, "const dory_output_info_t dory_outputs[DORY_NUM_OUTPUTS] = {\n");
    for (int i = 0; i < g->noutputs; i++) {
        int layer = -1;
        for (int n = 0; n < g->nnodes; n++)
            if (g->nodes[n]->out == g->outputs[i]) layer = n;
        int64_t b = tensor_bytes(graph_tensor(g, g->outputs[i]));
        cg_emit(o, "    {.layer = %d, .at = %lld, .bytes = %lld},\n", layer, (long long)at,
                (long long)b);
        at += b;
    }
    cg_emit(o, "};\n\n");
}

static const char network_run[] =
    "static dory_layer_hook_t hook;\nstatic void *hook_user;\nstatic int ready;\n\n"
    "void dory_network_set_hook(dory_layer_hook_t fn, void *user)\n{\n    hook = fn;\n"
    "    hook_user = user;\n}\n\n"
    "int dory_network_init_cores(int cores)\n{\n    dory_hal_config_t cfg;\n    size_t i;\n"
    "    if (cores < 1 || cores > DORY_CORES) return DORY_NET_ERR_CORES;\n"
    "    memset(&cfg, 0, sizeof cfg);\n    cfg.l1_bytes = DORY_L1_BYTES;\n"
    "    cfg.l2_bytes = DORY_L2_BYTES;\n    cfg.l3_bytes = DORY_L3_BYTES;\n"
    "    cfg.num_cores = cores;\n    cfg.poison = 1;\n    cfg.l2_image = dory_l2_weights;\n"
    "    cfg.l2_image_bytes = DORY_L2_WEIGHTS_BYTES;\n"
    "    if (dory_hal_init(&cfg)) return DORY_NET_ERR_HAL;\n"
    "    for (i = 0; i < sizeof l3_image / sizeof l3_image[0]; i++)\n"
    "        if (l3_image[i].bytes &&\n"
    "            dory_l3_load_file((uint32_t)l3_image[i].offset, L3_IMAGE_FILE, "
    "l3_image[i].at,\n                              l3_image[i].bytes)) {\n"
    "            dory_hal_deinit();\n            return DORY_NET_ERR_L3_IMAGE;\n        }\n"
    "    ready = 1;\n    return DORY_NET_OK;\n}\n\n"
    "int dory_network_init(void) { return dory_network_init_cores(DORY_CORES); }\n\n"
    "void dory_network_deinit(void)\n{\n    if (ready) dory_hal_deinit();\n    ready = 0;\n}\n\n"
    "int dory_network_run(const void *input, void *output)\n{\n    size_t i;\n    int k;\n"
    "    if (!ready) return DORY_NET_ERR_STATE;\n"
    "    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {\n"
    "        const uint8_t *src = (const uint8_t *)input + inputs[i].at;\n"
    "        if (inputs[i].l3)\n"
    "            dory_l3_load((uint32_t)inputs[i].offset, src, inputs[i].bytes);\n"
    "        else\n            memcpy(dory_l2_base() + inputs[i].offset, src, inputs[i].bytes);\n"
    "    }\n"
    "    for (k = 0; k < DORY_LAYERS; k++) {\n        uint64_t t0;\n        int rc = 0;\n"
    "        dory_hal_set_layer(dory_layers[k].name);\n        t0 = dory_cycles();\n"
    "        if (dory_layers[k].run) rc = dory_layers[k].run();\n"
    "        if (rc) return rc;\n"
    "        if (hook) hook(k, dory_cycles() - t0, hook_user);\n    }\n"
    "    for (i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {\n"
    "        uint8_t *dst = (uint8_t *)output + outputs[i].at;\n"
    "        if (outputs[i].l3)\n"
    "            dory_l3_peek(dst, (uint32_t)outputs[i].offset, outputs[i].bytes);\n"
    "        else\n            memcpy(dst, dory_l2_base() + outputs[i].offset, outputs[i].bytes);\n"
    "    }\n    return DORY_NET_OK;\n}\n\n"
    "const char *dory_network_strerror(int code)\n{\n    switch (code) {\n"
    "    case DORY_NET_OK: return \"ok\";\n"
    "    case DORY_NET_ERR_HAL: return \"the HAL could not start (memory arenas)\";\n"
    "    case DORY_NET_ERR_L3_IMAGE: return \"the L3 weights could not be loaded\";\n"
    "    case DORY_NET_ERR_CORES: return \"core count outside 1..DORY_CORES\";\n"
    "    case DORY_NET_ERR_STATE: return \"dory_network_init() was not called\";\n"
    "    case DORY_ERR_ARG: return \"a kernel was given inconsistent parameters\";\n"
    "    case DORY_ERR_SCRATCH: return \"a kernel's scratch buffer is too small\";\n"
    "    default: return \"unknown error\";\n    }\n}\n";

/* src/network.c: the layer table, init and run. */
static int write_network(const char *dir, const Graph *g, const Plan *p, const Layer *layers)
{
    Out o;
    if (write_api(dir, g, p) || write_layers_h(dir, g, p, layers)) return -1;
    if (cg_out_open(&o, dir, "src/network.c")) return -1;
    cg_emit(&o,
            "/* network.c: the deployed network '%s': start-up, its %d layers in\n"
            " * execution order, and one inference on the caller's buffers. */\n"
            "#include <string.h>\n\n#include \"network_layers.h\"\n\n",
            g->name, g->nnodes);
    cg_emit(&o, "const dory_layer_info_t dory_layers[DORY_LAYERS] = {\n");
    for (int i = 0; i < g->nnodes; i++) {
        const Layer *L = &layers[i];
        const Tensor *y = graph_tensor(g, g->nodes[i]->out);
        int64_t off = 0;
        int l3 = cg_place_of(p, g->nodes[i]->out, &off) == LOC_L3;
        cg_emit(&o,
                "    {.name = \"%s\",\n     .run = %s,\n     .out_l3 = %d,\n"
                "     .out_offset = %lld,\n     .out_bytes = %lld,\n     .macs = %lldLL,\n"
                "     .modeled_cycles = %.1f},\n",
                cg_lit(g->nodes[i]->name), L->kernel == DORY_K_ALIAS ? "NULL" : L->fn, l3,
                (long long)off, (long long)tensor_bytes(y), (long long)node_macs(g, g->nodes[i]),
                p->layers[i].cost.total);
    }
    cg_emit(&o, "};\n\n/* Graph inputs and outputs: in L2 or L3 at offset; at: in the caller's "
                "buffer. */\ntypedef struct io {\n    int l3;\n    size_t offset, at, bytes;\n"
                "} io_t;\n\n");
    emit_io_table(&o, p, g, "inputs", g->inputs, g->ninputs);
    emit_io_table(&o, p, g, "outputs", g->outputs, g->noutputs);
    emit_output_layers(&o, g);
    cg_emit(&o, "/* The L3-resident weights: at L3 offset, from `at` in the image file. */\n"
                "#define L3_IMAGE_FILE \"weights/l3_weights.bin\"\n");
    cg_emit_l3_image(&o, g, layers);
    cg_emit(&o, "%s", network_run);
    return cg_out_close(&o);
}

static int write_text_file(const char *dir, const char *name, const char *text, size_t n)
{
    Out o;
    if (cg_out_open(&o, dir, name)) return -1;
    fwrite(text, 1, n, o.f);
    return cg_out_close(&o);
}

/* The HAL folders an application of target t carries: the host's (the
 * verification build), the target's own, and the RISC-V bare-metal one
 * (QEMU) for RISC-V ISAs. */
static int hal_wanted(const Target *t, const char *hal)
{
    const char *isa = t->build.isa ? t->build.isa : "c";
    int riscv = !strncmp(isa, "rv", 2) || !strncmp(isa, "xpulp", 5);
    return !strcmp(hal, "host") || (t->build.hal && !strcmp(hal, t->build.hal)) ||
           (riscv && !strcmp(hal, "riscv"));
}

static int hal_present(const char *hal)
{
    size_t n = strlen(hal);
    for (const EmbeddedFile *e = embedded_files; e->path; e++)
        if (!strncmp(e->path, "runtime/", 8) && !strncmp(e->path + 8, hal, n) &&
            e->path[8 + n] == '/')
            return 1;
    return 0;
}

/* kernels/, the runtime files, the wanted HAL folders; the harness into test/. */
static int write_support(const char *dir, const Target *t)
{
    for (const EmbeddedFile *e = embedded_files; e->path; e++) {
        const char *rest = e->path + 8, *slash = strchr(rest, '/');
        int kernel = !strncmp(e->path, "kernels/", 8);
        int runtime = !strncmp(e->path, "runtime/", 8);
        char folder[64] = "";
        if (runtime && slash && (size_t)(slash - rest) < sizeof folder)
            memcpy(folder, rest, (size_t)(slash - rest)), folder[slash - rest] = '\0';
        if (runtime && !strcmp(folder, "harness")) {
            char name[160];
            snprintf(name, sizeof name, "test/%s", slash + 1);
            if (write_text_file(dir, name, e->data, e->size)) return -1;
            continue;
        }
        int wanted = kernel || (runtime && (!slash || hal_wanted(t, folder)));
        if (wanted && write_text_file(dir, e->path, e->data, e->size)) return -1;
    }
    return 0;
}

/* The Makefile: the target's build settings, then the HAL folders' rules. */
static int write_makefile(const char *dir, const Graph *g, const Target *t)
{
    static const char *const hals[] = {"host", "riscv", "pulp", "pmsis", "cortex-m"};
    Out o;
    if (cg_out_open(&o, dir, "Makefile")) return -1;
    cg_emit(&o,
            "# Makefile of the dory application '%s' for target %s (HAL %s, ISA %s).\n"
            "# The network library is src/, weights/, kernels/ and runtime/*.c; test/ is the\n"
            "# verifying harness. The rules come from each HAL folder's app.mk:\n"
            "#   make run         the host build, every layer checked (runtime/host/app.mk)\n",
            g->name, t->name, t->build.hal, t->build.isa);
    if (hal_wanted(t, "riscv"))
        cg_emit(&o, "#   make run-qemu    bare-metal RV32 under QEMU (runtime/riscv/app.mk)\n");
    if (hal_wanted(t, "pulp") && hal_present("pulp"))
        cg_emit(&o,
                "#   make run-gvsoc GVSOC=.../bin/gvsoc   the PULP cluster on GVSoC's pulp-open "
                "(runtime/pulp/app.mk)\n");
    if (hal_wanted(t, "cortex-m") && hal_present("cortex-m"))
        cg_emit(&o,
                "#   make run-qemu    bare-metal Cortex-M under QEMU (runtime/cortex-m/app.mk)\n"
                "#   make lib-cm      the network library for the target's core\n");
    cg_emit(&o,
            "TARGET_NAME = %s\nTARGET_HAL = %s\nTARGET_ISA = %s\nTARGET_CC = %s\n"
            "TARGET_CFLAGS = %s\n"
            "APP_INC = -Iinc -Ikernels -Iruntime -Itest\n"
            "APP_SRC = $(wildcard src/*.c) $(wildcard weights/*.c)\n"
            "TEST_SRC = $(wildcard test/*.c)\n"
            "RT_COMMON = $(wildcard kernels/*.c runtime/*.c)\n"
            "APP_DEPS = $(wildcard inc/*.h kernels/*.h runtime/*.h test/*.h)\n\n",
            t->name, t->build.hal, t->build.isa, t->build.cc, t->build.cflags);
    int gap_sdk = !strcmp(t->build.hal, "pmsis") && hal_present("pmsis");
    if (gap_sdk)
        cg_emit(&o, "# In a sourced GAP SDK shell (RULES_DIR set) this is a GAP SDK project:\n"
                    "#   make clean all run platform=gvsoc|board  (runtime/pmsis/gap_sdk.mk;\n"
                    "# GAP_SDK_BUILD=0 for the rules below)\n"
                    "GAP_SDK_BUILD ?= $(if $(RULES_DIR),1,0)\nifeq ($(GAP_SDK_BUILD),1)\n"
                    "include runtime/pmsis/gap_sdk.mk\nelse\n");
    for (size_t i = 0; i < DORY_ARRAY_LEN(hals); i++)
        if (hal_wanted(t, hals[i]) && hal_present(hals[i]))
            cg_emit(&o, "include runtime/%s/app.mk\n", hals[i]);
    if (gap_sdk) cg_emit(&o, "endif\n");
    if (!hal_present(t->build.hal))
        cg_emit(
            &o,
            "\n# This version of dory has no runtime/%s/ yet: the chip build is not available;\n"
            "# verify the deployment on the host (make run) and under QEMU (make run-qemu).\n"
            "target:\n\t@echo \"target %s: HAL '%s' is not available in this version of "
            "dory\" >&2; exit 1\n.PHONY: target\n",
            t->build.hal, t->name, t->build.hal);
    return cg_out_close(&o);
}

static const char readme_api[] =
    "## Using the network in a firmware\n\n"
    "```c\n#include \"network.h\"\n\n"
    "static dory_input_t input[DORY_INPUT_BYTES / sizeof(dory_input_t)];\n"
    "static dory_output_t output[DORY_OUTPUT_BYTES / sizeof(dory_output_t)];\n\n"
    "if (dory_network_init() != 0) { /* dory_network_strerror(rc) */ }\n"
    "/* fill input (HWC) */\nint rc = dory_network_run(input, output);\n```\n\n"
    "Compile `src/`, `weights/`, `kernels/`, `runtime/*.c` and one HAL of `runtime/<hal>/` "
    "with `-Iinc -Ikernels -Iruntime` (`make lib` builds `libdory_net.a` for the host); "
    "`test/` is the verifying harness and is not needed. Calls return 0 or a negative "
    "error code; nothing in the library exits or prints. L3-resident weights are read at "
    "start-up from `weights/l3_weights.bin` through the HAL.\n\n";

/* The README's section for a GAP SDK user: how to build and flash, what the
 * run prints (runtime/pmsis). */
static void readme_gap_sdk(Out *o, const Target *t, const Plan *p)
{
    cg_emit(o,
            "## On %s through the GAP SDK\n\n"
            "Build and flash in a GAP SDK shell: `source sourceme.sh` at the SDK's root "
            "(choose the %s board; or source its script in the SDK's `configs/`), which "
            "sets `RULES_DIR`; in it this folder is a GAP SDK project "
            "(`runtime/pmsis/gap_sdk.mk`: `APP`, `APP_SRCS`, `APP_CFLAGS`, `READFS_FILES`, "
            "`include $(RULES_DIR)/pmsis_rules.mk`):\n\n"
            "```\nmake clean all run platform=gvsoc   # the SDK's GVSoC\n"
            "make clean all run platform=board   # flash and run on the board\n```\n\n"
            "`platform=board` writes the code and the flash's readfs to the board's flash, "
            "then runs. %s\n\n",
            t->name, !strcmp(t->name, "gap9") ? "GAP9 EVK" : "GAPuino (GAP8)",
            p->l3_used ? "The readfs holds `weights/l3_weights.bin` (`READFS_FILES`): the "
                         "weights the plan keeps in L3, copied into the external RAM at start."
                       : "Nothing is in L3 here: the readfs's file, `weights/l3_weights.bin`, "
                         "is empty.");
    cg_emit(o, "The fabric controller opens the external RAM, the flash and its readfs, opens "
               "the cluster and runs the harness on the cluster's master core; layers fork onto "
               "the cluster cores (`pi_cl_team_fork`), move tiles with "
               "`pi_cl_dma_cmd`/`pi_cl_dma_cmd_2d` and L3 data with "
               "`pi_cl_ram_read`/`pi_cl_ram_write`. Printed (the board's UART or GVSoC's "
               "console): a header, one line per layer (MACs, bytes moved L2->L1, L1->L2 and "
               "L3<->L2, modeled and measured `pi_perf` cycles, `OK` or `FAIL` against the "
               "reference), `profile:` lines (MAC/cycle and DMA wait cycles per layer), then "
               "the summary `<n> layers, ... 0 failed: OK`; the exit status is non-zero on any "
               "mismatch, and a `dory_hal:` line says what is missing if the RAM, the flash or "
               "the readfs file cannot be opened.\n\n"
               "Without the SDK: `make pmsis-check PMSIS_INC=<headers>` compiles it with the "
               "RV32 cross compiler; `make run-pmsis-host PMSIS_HOST=<dory>/tests/pmsis` runs "
               "this PMSIS HAL on dory's host implementation of the PMSIS calls. In the SDK "
               "shell, `GAP_SDK_BUILD=0` gives back the host rules "
               "(`make run GAP_SDK_BUILD=0`).\n\n");
}

static int write_readme(const char *dir, const Graph *g, const Plan *p, const CodegenOptions *opt)
{
    Out o;
    const Target *t = &p->target;
    if (cg_out_open(&o, dir, "README.md")) return -1;
    cg_emit(&o, "# %s, deployed by dory %s\n\n", g->name, DORY_VERSION);
    cg_emit(&o,
            "Target `%s` (%s): HAL `%s`, kernel ISA `%s`, %d cores.\n\n"
            "| memory | bytes |\n|---|---|\n| L1 for tiles (`DORY_L1_BYTES`) | %lld |\n"
            "| L2 arena: activations and staging (`DORY_L2_BYTES`) | %lld |\n"
            "| L2 image: resident constants, read in place (`DORY_L2_IMAGE_BYTES`) | %lld |\n"
            "| L2 budget for data | %lld |\n| L3 used | %lld |\n\n",
            t->name, t->description, t->build.hal, t->build.isa, t->cores,
            (long long)target_l1_budget(t), (long long)p->l2_peak, (long long)p->l2_image,
            (long long)p->l2_budget, (long long)p->l3_used);
    cg_emit(&o,
            "Verify on the host: `make run` (`make run SAN=1` with sanitizers, `make run "
            "CORES=1` on one core). The harness runs the network through its API on the host HAL "
            "(L1, L2 and L3 as bounds-checked arenas of the target's sizes, DMA that completes "
            "only at wait), checks %s against the reference interpreter and exits non-zero on "
            "any mismatch.%s\n\n",
            opt->check == CHECK_ALL    ? "every layer in full"
            : opt->check == CHECK_SUMS ? "every layer by checksum"
            : opt->check == CHECK_LAST ? "the last layer in full"
                                       : "nothing",
            hal_wanted(t, "riscv") ? " `make run-qemu` runs the same on bare-metal RV32 under "
                                     "QEMU, counting retired instructions."
                                   : "");
    if (!hal_present(t->build.hal))
        cg_emit(&o, "The chip build (HAL `%s`) is not in this version of dory yet.\n\n",
                t->build.hal);
    else if (!strcmp(t->build.hal, "pmsis"))
        readme_gap_sdk(&o, t, p);
    else if (!strcmp(t->build.hal, "pulp"))
        cg_emit(&o, "On the PULP cluster: `make run-gvsoc GVSOC=/path/to/bin/gvsoc` builds "
                    "`app-pulp.elf` (bare metal, 8 cluster cores, DMA by mchan) and runs it on "
                    "GVSoC's pulp-open; the time column is cycles, and `profile:` lines give "
                    "MAC/cycle and DMA wait cycles per layer.\n\n");
    cg_emit(&o, "Input of the harness: %s.\n\n",
            opt->input_desc ? cg_cmt(opt->input_desc) : "pseudo-random");
    cg_emit(&o, "%s", readme_api);
    cg_emit(&o, "| file | what |\n|---|---|\n"
                "| inc/network.h | the API: sizes, types, init, run, error codes |\n"
                "| inc/network_layers.h | the layer table (for the harness and profilers) |\n"
                "| src/network.c | start-up, the layers in order, one inference |\n"
                "| src/layer_NN_*.c | one tiled, double-buffered function per layer (header "
                "comment: shapes, tiles, L1 map, modeled cycles) |\n"
                "| weights/weights.c | the L2 image's weights |\n"
                "| weights/l3_weights.bin | the L3-resident weights |\n"
                "| test/ | the harness: golden input and outputs, per-layer checks |\n"
                "| kernels/, runtime/ | the kernel library and the HALs |\n\n");
    cg_emit(&o,
            "## L2 memory map (bytes)\n\n| tensor | where | offset | bytes |\n|---|---|---|---|\n");
    for (int i = 0; i < g->ntensors; i++) {
        const TensorPlan *tp = &p->tensors[i];
        if (tp->loc == LOC_L2 && !tp->staged)
            cg_emit(&o, "| %s | %s | %lld | %lld |\n", cg_cmt(g->tensors[i]->name),
                    g->tensors[i]->is_const ? "image" : "arena", (long long)tp->offset,
                    (long long)tp->bytes);
    }
    for (int n = 0; n < p->nlayers; n++)
        if (p->layers[n].consts_block)
            cg_emit(&o,
                    "| %s: bias and requant, one block per channel tile | image | %lld | %lld |\n",
                    cg_cmt(g->nodes[n]->name), (long long)p->layers[n].consts_off,
                    (long long)plan_consts_image_bytes(&p->layers[n]));
    cg_emit(&o, "\nArena peak %lld bytes (lower bound %lld); image %lld bytes; budget %lld.\n",
            (long long)p->l2_peak, (long long)p->l2_lower_bound, (long long)p->l2_image,
            (long long)p->l2_budget);
    return cg_out_close(&o);
}

int codegen_app(const Graph *g, const Plan *p, const CodegenOptions *opt)
{
    if (p->status != PLAN_OK) {
        for (int i = 0; i < p->nlayers; i++) {
            const LayerPlan *lp = &p->layers[i];
            if (lp->status != PLAN_OK && lp->status != PLAN_NO_DATA)
                return diag_error(node_loc(g, g->nodes[lp->node]), "no plan for %s: %s",
                                  p->target.name, lp->why ? lp->why : plan_status_name(lp->status));
        }
        return diag_error((DiagLoc){g->source, 0, 0, 0}, "no complete plan: %s",
                          p->message ? p->message : plan_status_name(p->status));
    }
    char why[512];
    if (plan_check(p, why, sizeof why))
        return diag_error((DiagLoc){g->source, 0, 0, 0}, "invalid plan (a bug in dory): %s", why);
    if (cg_out_prepare(opt->out_dir)) return -1;
    Layer *layers = util_calloc((size_t)g->nnodes + 1, sizeof(Layer));
    Golden gd = {util_calloc((size_t)g->nnodes + 1, sizeof(uint32_t)),
                 util_calloc((size_t)g->nnodes + 1, sizeof(uint8_t *))};
    InterpState st = {0};
    int rc = -1;
    if (!layers || !gd.sum || !gd.bytes) {
        diag_error(DIAG_NOLOC, "out of memory");
        goto out;
    }
    for (int i = 0; i < g->nnodes; i++)
        if (cg_analyse(g, p, i, &layers[i])) goto out;
    for (int i = 0; i < g->nnodes; i++) /* cross-layer prefetches: who requests them */
        if (p->layers[i].status == PLAN_OK && p->layers[i].l3.w_pre)
            layers[p->layers[i].l3.w_pre_from].next_fn = layers[i].fn;
    if (interp_run(g, opt->inputs, &st, cg_golden_hook, &gd)) goto out;
    for (int i = 0; i < g->nnodes; i++)
        if (layers[i].kernel != DORY_K_ALIAS && cg_write_layer(opt->out_dir, g, p, &layers[i]))
            goto out;
    if (cg_write_weights(opt->out_dir, g, layers) || cg_write_data(opt->out_dir, g, p, opt, &gd) ||
        write_network(opt->out_dir, g, p, layers) || write_support(opt->out_dir, &p->target) ||
        write_makefile(opt->out_dir, g, &p->target) || write_readme(opt->out_dir, g, p, opt) ||
        cg_out_mark(opt->out_dir))
        goto out;
    rc = 0;
out:
    interp_free(&st);
    if (gd.bytes)
        for (int i = 0; i < g->nnodes; i++) free(gd.bytes[i]);
    free(gd.bytes);
    free(gd.sum);
    free(layers);
    return rc;
}
