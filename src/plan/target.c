/* target.c: built-in target descriptions and JSON target files.
 *
 * A target is data: memory levels (size, bandwidth, latency), reserves, core
 * count, DMA capability and one KernelCost per kernel kind. The numbers and
 * their sources are listed in docs/PLANNER.md; measured values from bench/
 * replace the paper's estimates through the "kernels" table of a JSON file.
 * This file must not know about graphs or tiling.
 */
#include <cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"

/* runtime/host/dory_hal_host.c: HAL_MAX_CORES */
enum { HOST_HAL_MAX_CORES = 32 };
#define MAX_SRAM_BYTES ((int64_t)256 << 20)
#define MAX_L3_BYTES   ((int64_t)1 << 32)

static const char *const kernel_names[KK_COUNT] = {
#define X(e, name, desc) name,
    PLAN_KERNELS(X)
#undef X
};

const char *plan_kernel_name(KernelKind k)
{
    return (unsigned)k < KK_COUNT ? kernel_names[k] : "?";
}

/* PULP-NN on an 8-core cluster (paper: up to 15.5 MAC/cycle for conv). */
static void pulp_kernels(Target *t)
{
    static const char *paper = "DORY paper / PULP-NN (estimate, replace with bench/)";
    KernelCost conv = {15.5, PAR_ROWS, 4, 2.0, 2, 1.5, 4, 1.25, 0.25, 0.5, 600, paper};
    KernelCost pw = conv;
    /* one-pixel im2col: 4.39 vs 2.93 instructions/MAC for conv 3x3 16->16 on
     * rv32imc (bench/README.md), the same ratio applied to 15.5 */
    conv.im2col1_mac_per_cycle = 15.5 * 2.93 / 4.39;
    pw.mac_per_cycle = 16.0;
    KernelCost dw = {4.0, PAR_CHANNELS, 1, 1.0, 1, 1.0, 1, 1.0, 0.25, 0.0, 600, paper};
    KernelCost fc = {8.0, PAR_CHANNELS, 4, 2.0, 1, 1.0, 4, 1.25, 0.25, 0.5, 400, paper};
    KernelCost pool = {8.0, PAR_ROWS, 1, 1.0, 1, 1.0, 1, 1.0, 0.0, 0.0, 400, paper};
    KernelCost add = {8.0, PAR_ROWS, 1, 1.0, 1, 1.0, 1, 1.0, 0.25, 0.0, 400, paper};
    KernelCost elem = add;
    KernelCost copy = {32.0, PAR_ROWS, 1, 1.0, 1, 1.0, 1, 1.0, 0.0, 0.0, 200, paper};
    t->kernel[KK_CONV] = conv;
    t->kernel[KK_PW] = pw;
    t->kernel[KK_DW] = dw;
    t->kernel[KK_FC] = fc;
    t->kernel[KK_POOL] = pool;
    t->kernel[KK_ADD] = add;
    t->kernel[KK_ELEM] = elem;
    t->kernel[KK_COPY] = copy;
}

static void target_gap8(Target *t)
{
    memset(t, 0, sizeof *t);
    t->name = "gap8";
    t->description = "GreenWaves GAP8: 8-core cluster, 64 kB L1, 512 kB L2, 8 MB HyperRAM";
    t->levels = 3;
    t->l1 = (MemLevel){"L1 TCDM", 64000, 8.0, 100};
    t->l2 = (MemLevel){"L2", 512000, 8.0, 100};
    t->l3 = (MemLevel){"L3 HyperRAM", 8 * 1024 * 1024, 1.0, 300};
    t->l1_reserve = 3500 + 7 * 3400; /* master stack + 7 slave stacks */
    t->code_reserve = 64000;
    t->cores = 8;
    t->dma_dims = 2;
    t->has_fpu = 0;
    t->dory_l1_budget = 35000; /* DORY's GAP8 backend: 64000 minus its own stacks */
    t->build = (TargetBuild){"pmsis", "xpulpv2", "riscv32-unknown-elf-gcc", "-O3", 8};
    pulp_kernels(t);
}

static void target_gap9(Target *t)
{
    target_gap8(t);
    t->name = "gap9";
    t->dory_l1_budget = 0;
    /* 8 worker cores run the kernels (cores); the ninth, the cluster
     * controller, runs the layer loop (runtime/pmsis: the cluster task) */
    t->description =
        "GreenWaves GAP9: 8 workers + cluster controller, 128 kB L1, 1.5 MB L2, 8 MB L3";
    t->l1 = (MemLevel){"L1 TCDM", 128 * 1024, 16.0, 80};
    t->l2 = (MemLevel){"L2", 1536 * 1024, 16.0, 80};
    t->l3 = (MemLevel){"L3 HyperRAM", 8 * 1024 * 1024, 2.0, 300};
    t->l1_reserve = 4096 + 8 * 1024; /* cluster controller + 8 core stacks */
    t->code_reserve = 128 * 1024;
    t->dma_dims = 3;
    t->has_fpu = 1;
    t->build.isa = "xpulpv3";
}

static void target_pulp_open(Target *t)
{
    target_gap8(t);
    t->name = "pulp-open";
    t->description = "generic open PULP cluster: 8 cores, 64 kB L1, 512 kB L2, 8 MB L3";
    t->l1 = (MemLevel){"L1 TCDM", 64 * 1024, 8.0, 100};
    t->l2 = (MemLevel){"L2", 512 * 1024, 8.0, 100};
    t->l1_reserve = 8 * 2048;
    t->code_reserve = 64 * 1024;
    t->build = (TargetBuild){"pulp", "xpulpv2", "riscv64-unknown-elf-gcc",
                             "-O3 -march=rv32imc -mabi=ilp32", 8};
}

/* Cortex-M under QEMU's mps2 boards (runtime/cortex-m/mps2.ld): one SRAM
 * (ZBT SSRAM2&3, 4 MB) for the activation arena, the kernels' scratch, the
 * stack and the harness's data; 4 MB of "flash" (SSRAM1) for code and the
 * weights, read in place. Smaller parts: --l2 (the SRAM), --l3 (the flash). */
static void cortex_m_common(Target *t, const char *name, const char *board, const char *cflags)
{
    static const char *est = "estimate (Cortex-M, one instruction per cycle; bench/ measures)";
    target_gap8(t);
    t->name = name;
    t->dory_l1_budget = 0;
    t->description = board;
    t->levels = 1;
    t->l1 = (MemLevel){"SRAM", 4 * 1024 * 1024, 4.0, 0};
    t->l2 = t->l1;
    t->l3 = (MemLevel){"flash", 4 * 1024 * 1024, 4.0, 0};
    t->l1_reserve = 0;
    t->code_reserve = 256 * 1024; /* stack 64 kB, .data/.bss of the harness, heap headers */
    t->cores = 1;
    t->dma_dims = 0;
    t->weights_in_place = 1;
    t->has_fpu = 1;
    t->build = (TargetBuild){"cortex-m", "armv7e-m+dsp", "arm-none-eabi-gcc", cflags, 1};
    for (int k = 0; k < KK_COUNT; k++) {
        KernelCost *c = &t->kernel[k];
        c->mac_per_cycle = k == KK_DW ? 0.2 : k == KK_COPY ? 4.0 : 0.3;
        c->tile_overhead = 100;
        c->source = est;
    }
}

static void target_cortex_m4(Target *t)
{
    cortex_m_common(t, "cortex-m4",
                    "Cortex-M4F (QEMU mps2-an386): one 4 MB SRAM, weights in 4 MB flash",
                    "-O3 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16");
}

static void target_cortex_m7(Target *t)
{
    cortex_m_common(t, "cortex-m7",
                    "Cortex-M7 (QEMU mps2-an500): one 4 MB SRAM, weights in 4 MB flash",
                    "-O3 -mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16");
}

/* `cortex-m`: the name of earlier versions, now the Cortex-M7. */
static void target_cortex_m(Target *t)
{
    target_cortex_m7(t);
    t->name = "cortex-m";
}

static void target_host(Target *t)
{
    target_gap8(t);
    t->name = "host";
    t->description = "the PC, with GAP8's memory sizes and cost model";
    t->build = (TargetBuild){"host", "c", "cc", "-O2", 32};
}

typedef struct Builtin {
    const char *name;
    void (*fill)(Target *t);
} Builtin;

static const Builtin builtins[] = {
    {"gap8", target_gap8},           {"gap9", target_gap9}, {"pulp-open", target_pulp_open},
    {"cortex-m", target_cortex_m},   {"host", target_host}, {"cortex-m4", target_cortex_m4},
    {"cortex-m7", target_cortex_m7},
};

const char *const *target_names(void)
{
    static const char *names[DORY_ARRAY_LEN(builtins) + 1];
    for (size_t i = 0; i < DORY_ARRAY_LEN(builtins); i++) names[i] = builtins[i].name;
    return names;
}

int target_builtin(const char *name, Target *t)
{
    for (size_t i = 0; i < DORY_ARRAY_LEN(builtins); i++) {
        if (strcmp(name, builtins[i].name)) continue;
        builtins[i].fill(t);
        if (!t->dory_const_bits) t->dory_const_bits = 32; /* DORY's configs say 32 or 64 */
        return 0;
    }
    char list[256] = "";
    for (size_t i = 0; i < DORY_ARRAY_LEN(builtins); i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 builtins[i].name);
    return diag_error(DIAG_NOLOC, "unknown target '%s' (built in: %s)", name, list);
}

int64_t target_l1_budget(const Target *t) { return t->l1.size - t->l1_reserve; }
int64_t target_l2_budget(const Target *t) { return t->l2.size - t->code_reserve; }

/* ---- JSON ---------------------------------------------------------------- */

typedef struct JsonCtx {
    const char *path;
    Arena *a;
    int errors;
} JsonCtx;

/* Reads a non-negative number field if present; flags wrong types. */
static void json_num(JsonCtx *c, const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
        c->errors++;
        diag_error((DiagLoc){c->path, 0, 0, 0}, "'%s' must be a non-negative number", key);
        return;
    }
    *out = v->valuedouble;
}

/* An integer field: a whole number in [0, max] (no cast of an out-of-range
 * double to an integer, which C leaves undefined). */
static void json_whole(JsonCtx *c, const cJSON *obj, const char *key, double max, double *d)
{
    double v = *d;
    json_num(c, obj, key, &v);
    if (v == *d) return;
    if (!(v <= max) || v != floor(v)) {
        c->errors++;
        diag_error((DiagLoc){c->path, 0, 0, 0}, "'%s' must be a whole number of at most %.0f", key,
                   max);
        return;
    }
    *d = v;
}

static void json_i64(JsonCtx *c, const cJSON *obj, const char *key, int64_t *out)
{
    double d = (double)*out;
    json_whole(c, obj, key, (double)((int64_t)1 << 40), &d);
    *out = (int64_t)d;
}

static void json_int(JsonCtx *c, const cJSON *obj, const char *key, int *out)
{
    double d = *out;
    json_whole(c, obj, key, 65536.0, &d);
    *out = (int)d;
}

/* What a string field may hold: it goes into the app's Makefile and README. */
typedef enum { STR_TEXT, STR_WORD, STR_COMMAND } StrKind;

static int str_ok_for(const char *v, StrKind kind)
{
    for (const unsigned char *ch = (const unsigned char *)v; *ch; ch++) {
        if (*ch < 0x20 || *ch == 0x7f) return 0;
        if (kind == STR_WORD && !(isalnum(*ch) || *ch == '_' || *ch == '-' || *ch == '.')) return 0;
        if (kind == STR_COMMAND && strchr("$`;|&<>\\", *ch)) return 0;
    }
    return kind != STR_WORD || *v;
}

/* Reads a string field if present (copied into the arena); flags wrong types
 * and characters a Makefile or shell would read as more than text. */
static void json_str(JsonCtx *c, const cJSON *obj, const char *key, StrKind kind, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return;
    if (!cJSON_IsString(v)) {
        c->errors++;
        diag_error((DiagLoc){c->path, 0, 0, 0}, "'%s' must be a string", key);
        return;
    }
    if (!str_ok_for(v->valuestring, kind)) {
        c->errors++;
        diag_error((DiagLoc){c->path, 0, 0, 0}, "'%s': %s", key,
                   kind == STR_WORD      ? "letters, digits, '_', '-' and '.' only"
                   : kind == STR_COMMAND ? "no control characters nor any of $ ` ; | & < > \\"
                                         : "no control characters");
        return;
    }
    *out = arena_strdup(c->a, v->valuestring);
}

static void json_level(JsonCtx *c, const cJSON *root, const char *key, MemLevel *l)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!o) return;
    if (!cJSON_IsObject(o)) {
        c->errors++;
        diag_error((DiagLoc){c->path, 0, 0, 0}, "'%s' must be an object", key);
        return;
    }
    json_i64(c, o, "size", &l->size);
    json_num(c, o, "bandwidth", &l->bandwidth);
    json_num(c, o, "latency", &l->latency);
}

static void json_kernel(JsonCtx *c, const cJSON *o, KernelCost *k)
{
    json_num(c, o, "mac_per_cycle", &k->mac_per_cycle);
    json_int(c, o, "co_align", &k->co_align);
    json_num(c, o, "co_penalty", &k->co_penalty);
    json_int(c, o, "wo_align", &k->wo_align);
    json_num(c, o, "wo_penalty", &k->wo_penalty);
    json_int(c, o, "ci_align", &k->ci_align);
    json_num(c, o, "ci_penalty", &k->ci_penalty);
    json_num(c, o, "epilogue_cycles", &k->epilogue_cycles);
    json_num(c, o, "psum_cycles", &k->psum_cycles);
    json_num(c, o, "tile_overhead", &k->tile_overhead);
    json_num(c, o, "im2col1_mac_per_cycle", &k->im2col1_mac_per_cycle);
    const cJSON *par = cJSON_GetObjectItemCaseSensitive(o, "parallel");
    if (cJSON_IsString(par))
        k->par = strcmp(par->valuestring, "channels") ? PAR_ROWS : PAR_CHANNELS;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source");
    if (cJSON_IsString(src))
        k->source = arena_strdup(c->a, src->valuestring);
    else
        k->source = arena_printf(c->a, "%s", c->path);
}

static void json_kernels(JsonCtx *c, const cJSON *root, Target *t)
{
    const cJSON *ks = cJSON_GetObjectItemCaseSensitive(root, "kernels");
    if (!ks) return;
    const cJSON *o;
    cJSON_ArrayForEach(o, ks)
    {
        int found = 0;
        for (int k = 0; k < KK_COUNT; k++) {
            if (!o->string || strcmp(o->string, kernel_names[k])) continue;
            json_kernel(c, o, &t->kernel[k]);
            found = 1;
        }
        if (!found) {
            c->errors++;
            diag_error((DiagLoc){c->path, 0, 0, 0}, "unknown kernel kind '%s'",
                       o->string ? o->string : "?");
        }
    }
}

static int json_fill(JsonCtx *c, const cJSON *root, Target *t)
{
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "base");
    if (target_builtin(cJSON_IsString(base) ? base->valuestring : "gap8", t)) return -1;
    json_str(c, root, "name", STR_WORD, &t->name);
    json_str(c, root, "description", STR_TEXT, &t->description);
    json_str(c, root, "hal", STR_WORD, &t->build.hal);
    json_str(c, root, "isa", STR_WORD, &t->build.isa);
    json_str(c, root, "cc", STR_COMMAND, &t->build.cc);
    json_str(c, root, "cflags", STR_COMMAND, &t->build.cflags);
    json_int(c, root, "max_cores", &t->build.max_cores);
    json_int(c, root, "levels", &t->levels);
    json_int(c, root, "cores", &t->cores);
    json_int(c, root, "dma_dims", &t->dma_dims);
    json_int(c, root, "has_fpu", &t->has_fpu);
    json_int(c, root, "weights_in_place", &t->weights_in_place);
    json_int(c, root, "dory_const_bits", &t->dory_const_bits);
    json_i64(c, root, "dory_l1", &t->dory_l1_budget);
    json_i64(c, root, "l1_reserve", &t->l1_reserve);
    json_i64(c, root, "code_reserve", &t->code_reserve);
    json_level(c, root, "l1", &t->l1);
    json_level(c, root, "l2", &t->l2);
    json_level(c, root, "l3", &t->l3);
    json_kernels(c, root, t);
    return c->errors ? -1 : 0;
}

int target_parse_json(const char *path, const char *text, size_t size, Arena *a, Target *t)
{
    cJSON *root = cJSON_ParseWithLength(text, size);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return diag_error((DiagLoc){path, 0, 0, 0}, "not a JSON object (target description)");
    }
    JsonCtx c = {path, a, 0};
    int rc = json_fill(&c, root, t);
    cJSON_Delete(root);
    if (rc == 0 && (t->cores < 1 || t->levels < 1))
        return diag_error((DiagLoc){path, 0, 0, 0}, "target needs cores >= 1 and levels >= 1");
    return rc;
}

int target_load_json(const char *path, Arena *a, Target *t)
{
    size_t size;
    unsigned char *text = util_read_file(a, path, &size);
    if (!text) return -1;
    return target_parse_json(path, (const char *)text, size, a, t);
}

/* What dory can plan and generate for: refused here, once, with what the
 * user chose, so no later stage meets a target it cannot serve. */
static int target_capable(const Target *t)
{
    if (t->levels < 1 || t->levels > 3)
        return diag_error(DIAG_NOLOC,
                          "target '%s' has %d memory levels; dory plans 1 (one "
                          "SRAM, weights in flash) to 3 (L1/L2/L3)",
                          t->name, t->levels);
    if (t->levels >= 2 && (t->dma_dims < 1 || t->dma_dims > 3))
        return diag_error(DIAG_NOLOC,
                          "target '%s' has %d memory levels but dma_dims %d: "
                          "tiling needs a DMA of 1 to 3 dimensions",
                          t->name, t->levels, t->dma_dims);
    /* generated code addresses L3 with 32 bits; L1 and L2 are on-chip SRAMs */
    if (t->l1.size > MAX_SRAM_BYTES || t->l2.size > MAX_SRAM_BYTES)
        return diag_error(DIAG_NOLOC,
                          "target '%s': L1 of %lld and L2 of %lld bytes; on-chip "
                          "memories of more than %lld bytes are not supported",
                          t->name, (long long)t->l1.size, (long long)t->l2.size,
                          (long long)MAX_SRAM_BYTES);
    if (t->l3.size > MAX_L3_BYTES)
        return diag_error(DIAG_NOLOC,
                          "target '%s': L3 of %lld bytes; L3 addresses are 32-bit "
                          "(at most %lld bytes)",
                          t->name, (long long)t->l3.size, (long long)MAX_L3_BYTES);
    if (!t->build.hal || !t->build.isa || !t->build.cc || !t->build.cflags)
        return diag_error(DIAG_NOLOC, "target '%s' names no HAL, ISA, compiler or flags", t->name);
    return 0;
}

int target_resolve(const TargetOverrides *o, Arena *a, Target *t)
{
    if (o->file) {
        if (target_load_json(o->file, a, t)) return -1;
    } else if (target_builtin(o->name ? o->name : "gap8", t)) {
        return -1;
    }
    return target_apply(o, t);
}

int target_apply(const TargetOverrides *o, Target *t)
{
    if (o->l1) t->l1.size = o->l1;
    if (o->l2) t->l2.size = o->l2;
    if (o->l3) t->l3.size = o->l3;
    if (o->code_reserve >= 0) t->code_reserve = o->code_reserve;
    if (o->cores) t->cores = o->cores;
    if (target_capable(t)) return -1;
    if (t->build.max_cores > 0 && t->cores > t->build.max_cores)
        return diag_error(DIAG_NOLOC,
                          "%d cores requested, but target '%s' (HAL '%s') runs at most %d",
                          t->cores, t->name, t->build.hal, t->build.max_cores);
    if (t->cores > HOST_HAL_MAX_CORES) /* every application carries the host build */
        return diag_error(DIAG_NOLOC,
                          "%d cores requested for target '%s', but the host HAL that verifies "
                          "every application runs at most %d",
                          t->cores, t->name, HOST_HAL_MAX_CORES);
    if (t->levels == 1) t->l2.size = t->l1.size; /* one SRAM: --l1 and --l2 name it */
    if (o->l2 && t->levels == 1) t->l1.size = t->l2.size = o->l2;
    if (target_l1_budget(t) <= 0)
        return diag_error(DIAG_NOLOC, "L1 of %lld bytes leaves nothing beside %lld bytes of stacks",
                          (long long)t->l1.size, (long long)t->l1_reserve);
    if (target_l2_budget(t) <= 0)
        return diag_error(DIAG_NOLOC,
                          "L2 of %lld bytes leaves nothing beside the %lld-byte code "
                          "reserve",
                          (long long)t->l2.size, (long long)t->code_reserve);
    return 0;
}
