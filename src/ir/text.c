/* text.c: the IR's text form ("dory IR"): a printer and a parser that reads
 * back exactly what the printer writes (grammar in docs/IR.md).
 *
 * The parser checks syntax, names and references only, then calls
 * graph_finalize(); it must not judge shapes, dtypes or arithmetic (that is
 * the verifier). Untrusted input never crashes it and never makes it allocate
 * more than a small multiple of the text (or side-file) size.
 */
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    TEXT_VERSION = 1,
    TEXT_MAX_LINE = 1 << 16, /* bytes per physical line */
    TEXT_MAX_NAME = 4096,    /* bytes per name */
    TEXT_WRAP = 16,          /* values per line in long {...} lists */
    SIDE_ALIGN = 16,         /* side-file offsets are multiples of this */
};

static const char TEXT_MAGIC[] = "dory-ir";
static const uint32_t F32_CANON_NAN = 0x7fc00000u;

/* Characters of a bare (unquoted) name. */
static int name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '/' || c == '-';
}

/* Characters of a keyword (statement, dtype, op, attribute, scheme). */
static int word_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* ======================================================================== */
/* ---- Writer ------------------------------------------------------------- */

typedef struct Writer {
    FILE *f;
    const Graph *g;
    const TextWriteOptions *opt;
    FILE *side;       /* opened on the first constant that goes there */
    int64_t side_off; /* bytes written to the side file */
    int err;
} Writer;

static void put_name(FILE *f, const char *s)
{
    int bare = *s != '\0';
    for (const char *c = s; *c && bare; c++) bare = name_char((unsigned char)*c);
    if (bare) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(f, "\\x%02x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static void put_tensor_ref(FILE *f, const Graph *g, int id)
{
    const Tensor *t = graph_tensor(g, id);
    if (t) {
        put_name(f, t->name);
        return;
    }
    char buf[48];
    snprintf(buf, sizeof buf, "<no tensor %d>", id); /* invalid graph: won't re-parse */
    put_name(f, buf);
}

static void put_f32(FILE *f, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (isnan(v)) {
        if (bits == F32_CANON_NAN)
            fputs("nan", f);
        else
            fprintf(f, "nan:0x%08x", (unsigned)bits);
    } else if (isinf(v)) {
        fputs(v < 0 ? "-inf" : "inf", f);
    } else {
        fprintf(f, "%.9g", (double)v);
    }
}

typedef void (*PutElem)(FILE *f, const void *ctx, int64_t i);

static void put_tensor_elem(FILE *f, const void *ctx, int64_t i)
{
    const Tensor *t = ctx;
    if (t->dtype == DT_F32)
        put_f32(f, tensor_get_f32(t, i));
    else
        fprintf(f, "%lld", (long long)tensor_get(t, i));
}

static void put_zp_elem(FILE *f, const void *ctx, int64_t i)
{
    fprintf(f, "%d", (int)((const Tensor *)ctx)->zps[i]);
}

/* {a,b,c} on one line, or wrapped TEXT_WRAP values per line when longer. */
static void put_list(FILE *f, int64_t n, PutElem put, const void *ctx)
{
    int wrap = n > TEXT_WRAP;
    fputc('{', f);
    for (int64_t i = 0; i < n; i++) {
        if (wrap && i % TEXT_WRAP == 0)
            fputs(i ? ",\n  " : "\n  ", f);
        else if (i)
            fputc(',', f);
        put(f, ctx, i);
    }
    fputs(wrap ? "\n}" : "}", f);
}

static void put_dims(FILE *f, const int64_t *d, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)d[i]);
    fputc(']', f);
}

/* Little-endian bytes of the tensor's storage, whatever the host order. */
static int side_write_data(Writer *w, const Tensor *t)
{
    int bytes = dtype_info(t->dtype)->bytes;
    unsigned char buf[4096];
    size_t used = 0;
    int64_t n = tensor_numel(t);
    const unsigned char *src = t->data;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = 0;
        if (bytes == 1) v = src[i];
        if (bytes == 4) {
            uint32_t u;
            memcpy(&u, src + i * 4, 4);
            v = u;
        }
        if (bytes == 8) memcpy(&v, src + i * 8, 8);
        if (used + (size_t)bytes > sizeof buf) {
            if (fwrite(buf, 1, used, w->side) != used) return -1;
            used = 0;
        }
        for (int b = 0; b < bytes; b++) buf[used++] = (unsigned char)(v >> (8 * b));
    }
    return fwrite(buf, 1, used, w->side) == used ? 0 : -1;
}

static const char *side_ref(const TextWriteOptions *opt)
{
    if (opt->sidecar_ref) return opt->sidecar_ref;
    const char *slash = strrchr(opt->sidecar_path, '/');
    return slash ? slash + 1 : opt->sidecar_path;
}

/* Writes " = @FILE:OFFSET" and the data to the side file. */
static int put_side(Writer *w, const Tensor *t)
{
    if (!w->side) {
        w->side = fopen(w->opt->sidecar_path, "wb");
        if (!w->side)
            return diag_error((DiagLoc){w->opt->sidecar_path, 0, 0, 0}, "cannot create: %s",
                              strerror(errno));
    }
    while (w->side_off % SIDE_ALIGN) {
        if (fputc(0, w->side) == EOF) return -1;
        w->side_off++;
    }
    fputs(" = @", w->f);
    put_name(w->f, side_ref(w->opt));
    fprintf(w->f, ":%lld", (long long)w->side_off);
    if (side_write_data(w, t)) return -1;
    w->side_off += tensor_bytes(t);
    return 0;
}

static int goes_to_side(const Writer *w, const Tensor *t)
{
    return w->opt && w->opt->sidecar_path && w->opt->inline_limit > 0 &&
           tensor_numel(t) > w->opt->inline_limit;
}

static void put_tensor(Writer *w, const Tensor *t)
{
    FILE *f = w->f;
    fputs("tensor ", f);
    put_name(f, t->name);
    fprintf(f, " %s ", dtype_name(t->dtype));
    put_dims(f, t->shape, t->rank);
    if (t->zp) fprintf(f, " zp=%d", (int)t->zp);
    if (t->zps && t->nzps > 0) {
        fputs(" zps=", f);
        put_list(f, t->nzps, put_zp_elem, t);
    }
    if (t->src_layout == SRC_CHW)
        fprintf(f, " src=chw(%lld,%lld,%lld)", (long long)t->src_hwc[0], (long long)t->src_hwc[1],
                (long long)t->src_hwc[2]);
    if (t->src_rank > 0) {
        fputs(" srcshape=", f);
        put_dims(f, t->src_shape, t->src_rank);
    }
    if (t->is_const && t->data) {
        if (goes_to_side(w, t)) {
            if (w->err || put_side(w, t)) w->err = 1;
        } else {
            fputs(" = ", f);
            put_list(f, tensor_numel(t), put_tensor_elem, t);
        }
    }
    fputc('\n', f);
}

static void put_pair(FILE *f, const char *key, const int *v, int n)
{
    fprintf(f, " %s=", key);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", v[i]);
}

static void put_rq(FILE *f, const Graph *g, const char *key, const Requant *r)
{
    if (r->scheme == RQ_NONE) return;
    fprintf(f, " %s=%s(", key, rq_scheme_name(r->scheme));
    const char *sep = "";
    struct {
        const char *name;
        int id;
    } refs[3] = {{0, -1}, {0, -1}, {0, -1}};
    if (r->scheme == RQ_SHIFT) {
        refs[0].name = "k", refs[0].id = r->k;
        refs[1].name = "l", refs[1].id = r->l;
    } else if (rq_is_fixed(r->scheme)) {
        refs[0].name = "mult", refs[0].id = r->mult;
        refs[1].name = "shift", refs[1].id = r->shift;
    } else if (r->scheme == RQ_LUT) {
        refs[0].name = "table", refs[0].id = r->table;
    } else {
        refs[0].name = "scale", refs[0].id = r->scale;
        if (r->scheme == RQ_F32INT) {
            refs[1].name = "k", refs[1].id = r->k;
            refs[2].name = "l", refs[2].id = r->l;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (refs[i].id < 0) continue;
        fprintf(f, "%s%s=", sep, refs[i].name);
        put_tensor_ref(f, g, refs[i].id);
        sep = ",";
    }
    if (r->scheme == RQ_SHIFT || (r->scheme == RQ_F32INT && r->k >= 0))
        fprintf(f, "%sd=%d", sep, r->d);
    if (r->scheme == RQ_FIXED) fprintf(f, "%spre=%d", sep, r->pre);
    if (r->scheme == RQ_LUT) fprintf(f, "%sbase=%d", sep, r->base);
    fputc(')', f);
}

static void default_clamp(const Graph *g, const Node *n, int32_t *lo, int32_t *hi)
{
    const Tensor *o = graph_tensor(g, n->out);
    *lo = *hi = 0;
    if (!o) return;
    const DTypeInfo *di = dtype_info(o->dtype);
    *lo = (int32_t)DORY_MAX(di->min, INT32_MIN);
    *hi = (int32_t)DORY_MIN(di->max, INT32_MAX);
}

static void put_node_attrs(FILE *f, const Graph *g, const Node *n)
{
    if (n->kernel[0] != 1 || n->kernel[1] != 1) put_pair(f, "kernel", n->kernel, 2);
    if (n->stride[0] != 1 || n->stride[1] != 1) put_pair(f, "stride", n->stride, 2);
    if (n->dilation[0] != 1 || n->dilation[1] != 1) put_pair(f, "dilation", n->dilation, 2);
    if (n->pad[0] || n->pad[1] || n->pad[2] || n->pad[3]) put_pair(f, "pad", n->pad, 4);
    if (n->pad_value) fprintf(f, " value=%d", (int)n->pad_value);
    if (n->groups != 1) put_pair(f, "groups", &n->groups, 1);
    if (n->global) fputs(" global", f);
    if (n->count_include_pad) fputs(" count_include_pad", f);
    if (n->avg_round != AVG_FLOOR) fprintf(f, " avg_round=%s", avg_round_name(n->avg_round));
    if (n->avg_table >= 0) {
        fputs(" avg_table=", f);
        put_tensor_ref(f, g, n->avg_table);
    }
    int32_t lo, hi;
    default_clamp(g, n, &lo, &hi);
    if (n->lo != lo || n->hi != hi) fprintf(f, " clamp=%d,%d", (int)n->lo, (int)n->hi);
    if (n->sm_mult || n->sm_shift || n->sm_diff_min)
        fprintf(f, " sm=%d,%d,%d", (int)n->sm_mult, (int)n->sm_shift, (int)n->sm_diff_min);
    put_rq(f, g, "rq", &n->rq);
    put_rq(f, g, "rqa", &n->in_rq[0]);
    put_rq(f, g, "rqb", &n->in_rq[1]);
}

static void put_node(FILE *f, const Graph *g, const Node *n)
{
    fputs("node ", f);
    put_name(f, n->name);
    fprintf(f, " %s (", op_name(n->op));
    for (int i = 0; i < n->nin; i++) {
        if (i) fputs(", ", f);
        put_tensor_ref(f, g, n->in[i]);
    }
    fputs(") -> ", f);
    put_tensor_ref(f, g, n->out);
    put_node_attrs(f, g, n);
    fputc('\n', f);
}

/* Highest tensor id a node refers to: the node is printed right after that
 * tensor's declaration (ids out of range sort last). */
static int node_last_ref(const Graph *g, const Node *n)
{
    int m = DORY_MAX(n->out, n->avg_table);
    for (int i = 0; i < n->nin; i++) m = DORY_MAX(m, n->in[i]);
    const Requant *rqs[3] = {&n->rq, &n->in_rq[0], &n->in_rq[1]};
    for (int i = 0; i < 3; i++) {
        const Requant *r = rqs[i];
        if (r->scheme == RQ_SHIFT) m = DORY_MAX(m, DORY_MAX(r->k, r->l));
        if (rq_is_fixed(r->scheme)) m = DORY_MAX(m, DORY_MAX(r->mult, r->shift));
        if (rq_has_scale(r->scheme)) m = DORY_MAX(m, r->scale);
        if (r->scheme == RQ_F32INT) m = DORY_MAX(m, DORY_MAX(r->k, r->l));
        if (r->scheme == RQ_LUT) m = DORY_MAX(m, r->table);
    }
    return m >= g->ntensors ? g->ntensors : m;
}

static void put_io(FILE *f, const Graph *g, const char *keyword, int tensor)
{
    fprintf(f, "%s ", keyword);
    put_tensor_ref(f, g, tensor);
    fputc('\n', f);
}

/* Tensors in id order; each input and node (in order) right after the last
 * tensor it refers to; outputs at the end. */
int ir_write_text(FILE *f, const Graph *g, const TextWriteOptions *opt)
{
    Writer w = {f, g, opt, NULL, 0, 0};
    const char *name = g->name ? g->name : "";
    fprintf(f, "%s %d\ngraph ", TEXT_MAGIC, TEXT_VERSION);
    put_name(f, name);
    fputs("\n\n", f);
    int ni = 0, ii = 0;
    for (int t = 0; t <= g->ntensors; t++) {
        int flush = t == g->ntensors;
        if (!flush) put_tensor(&w, g->tensors[t]);
        for (; ii < g->ninputs && (flush || g->inputs[ii] <= t); ii++)
            put_io(f, g, "input", g->inputs[ii]);
        for (; ni < g->nnodes && (flush || node_last_ref(g, g->nodes[ni]) <= t); ni++)
            put_node(f, g, g->nodes[ni]);
    }
    for (int i = 0; i < g->noutputs; i++) put_io(f, g, "output", g->outputs[i]);
    if (w.side && fclose(w.side) != 0) w.err = 1;
    if (w.err || ferror(f)) {
        diag_error((DiagLoc){opt && opt->sidecar_path ? opt->sidecar_path : NULL, 0, 0, 0},
                   "write error while printing graph '%s'", name);
        return -1;
    }
    return 0;
}

/* ======================================================================== */
/* ---- Parser ------------------------------------------------------------- */

/* Name -> id, open addressing; lives in the graph arena. */
typedef struct Parser {
    const char *path; /* diagnostics */
    const char *dir;  /* anchors relative side-file references */
    const char *p, *end;
    int line;
    Graph *g;
    NameIndex nodes; /* tensors: graph_find_tensor */
    int have_graph;
    /* side-file cache: the last file opened */
    char *side_path;
    FILE *side;
    int64_t side_size;
    /* memory bound: bytes loaded from side files never exceed the total
     * size of the distinct side files opened (regions never overlap) */
    struct SeenFile *seen_files;
    int64_t side_budget, side_loaded;
} Parser;

typedef struct SeenFile {
    struct SeenFile *next;
    const char *path;
} SeenFile;

static int perr(Parser *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(Parser *P, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_error((DiagLoc){P->path, P->line, 0, 0}, "%s", msg);
}

/* Describes the character at the cursor for "expected X, found Y". */
static const char *found(Parser *P, char *buf, size_t n)
{
    if (P->p >= P->end) return "end of file";
    unsigned char c = (unsigned char)*P->p;
    if (c == '\n') return "end of line";
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, n, "'%c'", c);
    else
        snprintf(buf, n, "byte 0x%02x", c);
    return buf;
}

static int expected(Parser *P, const char *what)
{
    char buf[16];
    return perr(P, "expected %s, found %s", what, found(P, buf, sizeof buf));
}

static const char *node_name_of(const Graph *g, int id) { return g->nodes[id]->name; }

/* ---- Lexing: the cursor moves within one line unless told otherwise ---- */

static void skip_blank(Parser *P)
{
    while (P->p < P->end && (*P->p == ' ' || *P->p == '\t' || *P->p == '\r')) P->p++;
}

static void skip_comment(Parser *P)
{
    if (P->p < P->end && *P->p == '#')
        while (P->p < P->end && *P->p != '\n') P->p++;
}

/* Inside {...}: newlines and comments are white space too. */
static void skip_space_nl(Parser *P)
{
    for (;;) {
        skip_blank(P);
        skip_comment(P);
        if (P->p < P->end && *P->p == '\n') {
            P->p++;
            P->line++;
        } else {
            return;
        }
    }
}

static int at_eol(Parser *P)
{
    skip_blank(P);
    return P->p >= P->end || *P->p == '\n' || *P->p == '#';
}

static int expect_eol(Parser *P)
{
    if (!at_eol(P)) return expected(P, "end of line");
    skip_comment(P);
    if (P->p < P->end) {
        P->p++;
        P->line++;
    }
    return 0;
}

static int accept(Parser *P, char c)
{
    skip_blank(P);
    if (P->p < P->end && *P->p == c) {
        P->p++;
        return 1;
    }
    return 0;
}

static int expect_char(Parser *P, char c)
{
    if (accept(P, c)) return 0;
    char what[8];
    snprintf(what, sizeof what, "'%c'", c);
    return expected(P, what);
}

/* A keyword into buf (NUL-terminated); 0 on success. */
static int parse_word(Parser *P, char *buf, size_t n, const char *what)
{
    skip_blank(P);
    size_t len = 0;
    while (P->p + len < P->end && word_char((unsigned char)P->p[len])) len++;
    if (len == 0) return expected(P, what);
    if (len >= n) return perr(P, "expected %s, found an overlong word", what);
    memcpy(buf, P->p, len);
    buf[len] = '\0';
    P->p += len;
    return 0;
}

static int hex_digit(char h)
{
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
}

static int parse_quoted(Parser *P, const char **out)
{
    char buf[TEXT_MAX_NAME];
    size_t len = 0;
    P->p++; /* opening quote */
    for (;;) {
        if (P->p >= P->end || *P->p == '\n') return perr(P, "unterminated string");
        char c = *P->p++;
        if (c == '"') break;
        if (c == '\\') {
            if (P->p >= P->end) return perr(P, "unterminated string");
            char e = *P->p++;
            if (e == 'n') {
                c = '\n';
            } else if (e == 'x') {
                unsigned v = 0;
                for (int i = 0; i < 2; i++) {
                    int d = hex_digit(P->p < P->end ? *P->p++ : 0);
                    if (d < 0) return perr(P, "bad \\x escape in string (two hex digits)");
                    v = v * 16 + (unsigned)d;
                }
                if (v == 0) return perr(P, "\\x00 is not allowed in a name");
                c = (char)v;
            } else if (e == '"' || e == '\\') {
                c = e;
            } else {
                return perr(P, "unknown escape '\\%c' in string (\\\", \\\\, \\n, \\xHH)", e);
            }
        }
        if (len >= TEXT_MAX_NAME) return perr(P, "name longer than %d bytes", TEXT_MAX_NAME);
        buf[len++] = c;
    }
    *out = arena_strndup(&P->g->arena, buf, len);
    return *out ? 0 : -1;
}

/* NAME: bare [A-Za-z0-9_.:/-]+ or a double-quoted string; arena copy. */
static int parse_name(Parser *P, const char **out, const char *what)
{
    skip_blank(P);
    if (P->p < P->end && *P->p == '"') return parse_quoted(P, out);
    size_t len = 0;
    while (P->p + len < P->end && name_char((unsigned char)P->p[len])) len++;
    if (len == 0) return expected(P, what);
    if (len > TEXT_MAX_NAME) return perr(P, "name longer than %d bytes", TEXT_MAX_NAME);
    *out = arena_strndup(&P->g->arena, P->p, len);
    P->p += len;
    return *out ? 0 : -1;
}

/* A decimal integer in [lo, hi]. */
static int parse_int(Parser *P, int64_t lo, int64_t hi, int64_t *out, const char *what)
{
    skip_blank(P);
    const char *s = P->p;
    int neg = 0;
    if (s < P->end && (*s == '-' || *s == '+')) neg = *s++ == '-';
    if (s >= P->end || *s < '0' || *s > '9') return expected(P, what);
    uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int over = 0;
    for (; s < P->end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (mag > (limit - d) / 10)
            over = 1;
        else
            mag = mag * 10 + d;
    }
    if (s < P->end && name_char((unsigned char)*s))
        return perr(P, "expected %s, found a malformed number", what);
    if (over) return perr(P, "%s: number does not fit in 64 bits", what);
    int64_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    if (v < lo || v > hi)
        return perr(P, "%s: %lld is out of range [%lld, %lld]", what, (long long)v, (long long)lo,
                    (long long)hi);
    P->p = s;
    *out = v;
    return 0;
}

static int parse_int32(Parser *P, int32_t *out, const char *what)
{
    int64_t v;
    if (parse_int(P, INT32_MIN, INT32_MAX, &v, what)) return -1;
    *out = (int32_t)v;
    return 0;
}

/* f32: "%.9g" text, inf, -inf, nan, or nan:0xBITS (exact bits of any NaN). */
static int parse_f32(Parser *P, float *out)
{
    skip_blank(P);
    char buf[64];
    size_t len = 0;
    while (P->p + len < P->end && (name_char((unsigned char)P->p[len]) || P->p[len] == '+')) len++;
    if (len == 0) return expected(P, "an f32 value");
    if (len >= sizeof buf) return perr(P, "expected an f32 value, found an overlong token");
    memcpy(buf, P->p, len);
    buf[len] = '\0';
    if (strncmp(buf, "nan:0x", 6) == 0) {
        uint32_t b = 0;
        int ok = len == 14;
        for (size_t i = 6; ok && i < 14; i++) {
            int d = hex_digit(buf[i]);
            ok = d >= 0;
            b = b << 4 | (uint32_t)(d & 15);
        }
        memcpy(out, &b, sizeof b);
        if (!ok || !isnan(*out)) return perr(P, "bad NaN bits '%s' (nan:0x + 8 hex digits)", buf);
    } else {
        char *e;
        errno = 0;
        float v = strtof(buf, &e);
        if (*e || e == buf) return perr(P, "expected an f32 value, found '%s'", buf);
        int literal_inf = strstr(buf, "inf") || strstr(buf, "INF");
        if (isinf(v) && !literal_inf) return perr(P, "f32 value '%s' overflows", buf);
        *out = v;
    }
    P->p += len;
    return 0;
}

/* [d0,d1,...] with at most `max` non-negative dims. */
static int parse_dims(Parser *P, int64_t *dims, int max, int *n, const char *what)
{
    if (expect_char(P, '[')) return -1;
    *n = 0;
    if (accept(P, ']')) return 0;
    do {
        if (*n >= max) return perr(P, "%s has more than %d dimensions", what, max);
        if (parse_int(P, 0, INT64_MAX, &dims[(*n)++], "a dimension (>= 0)")) return -1;
    } while (accept(P, ','));
    return expect_char(P, ']');
}

/* ---- Tensors ------------------------------------------------------------ */

static int lookup_tensor(Parser *P, int *id, const char *what)
{
    const char *name;
    if (parse_name(P, &name, what)) return -1;
    *id = graph_find_tensor(P->g, name);
    if (*id < 0) return perr(P, "unknown tensor '%s' (tensors are declared before use)", name);
    return 0;
}

static int parse_zps(Parser *P, Tensor *t)
{
    if (expect_char(P, '{')) return -1;
    int cap = 16, n = 0;
    int32_t *v = arena_alloc_array(&P->g->arena, (size_t)cap, sizeof *v);
    skip_space_nl(P);
    if (!accept(P, '}')) {
        do {
            skip_space_nl(P);
            if (n == cap) {
                int32_t *nv = arena_alloc_array(&P->g->arena, (size_t)cap * 2, sizeof *v);
                if (!nv) return -1;
                memcpy(nv, v, (size_t)n * sizeof *v);
                v = nv, cap *= 2;
            }
            if (!v || parse_int32(P, &v[n++], "a zero point")) return -1;
            skip_space_nl(P);
        } while (accept(P, ','));
        if (expect_char(P, '}')) return -1;
    }
    t->zps = n ? v : NULL;
    t->nzps = n;
    return 0;
}

static int parse_inline_data(Parser *P, Tensor *t)
{
    int64_t n = tensor_numel(t);
    /* every value takes at least two bytes ("v,"): bound memory by the text */
    if (n > (P->end - P->p) / 2 + 1)
        return perr(P, "tensor '%s' needs %lld values but the text ends first", t->name,
                    (long long)n);
    if (!tensor_alloc_data(P->g, t)) return -1;
    const DTypeInfo *di = dtype_info(t->dtype);
    skip_space_nl(P);
    int64_t i = 0;
    if (!accept(P, '}')) {
        do {
            skip_space_nl(P);
            if (i == n)
                return perr(P, "tensor '%s' has more values than its shape needs (%lld)", t->name,
                            (long long)n);
            if (t->dtype == DT_F32) {
                if (parse_f32(P, &((float *)t->data)[i])) return -1;
            } else {
                int64_t v;
                if (parse_int(P, di->min, di->max, &v, "a value of the tensor's dtype")) return -1;
                tensor_set(t, i, v);
            }
            i++;
            skip_space_nl(P);
        } while (accept(P, ','));
        if (expect_char(P, '}')) return -1;
    }
    if (i != n)
        return perr(P, "tensor '%s' has %lld values, its shape needs %lld", t->name, (long long)i,
                    (long long)n);
    return 0;
}

static int side_open(Parser *P, const char *ref)
{
    /* side files live beside the model: no absolute path, no way up */
    if (!ref[0] || ref[0] == '/' || strstr(ref, ".."))
        return perr(P,
                    "side file '%s': the path must be relative to the model's folder, "
                    "without '..'",
                    ref);
    char *full = arena_printf(&P->g->arena, "%s/%s", P->dir, ref);
    if (!full) return -1;
    if (P->side && strcmp(P->side_path, full) == 0) return 0;
    if (P->side) fclose(P->side);
    P->side = NULL;
    struct stat st;
    if (stat(full, &st) != 0) return perr(P, "side file '%s': %s", full, strerror(errno));
    if (!S_ISREG(st.st_mode)) return perr(P, "side file '%s' is not a regular file", full);
    P->side = fopen(full, "rb");
    if (!P->side) return perr(P, "side file '%s': %s", full, strerror(errno));
    P->side_path = full;
    P->side_size = (int64_t)st.st_size;
    for (SeenFile *f = P->seen_files; f; f = f->next)
        if (strcmp(f->path, full) == 0) return 0;
    SeenFile *f = arena_alloc(&P->g->arena, sizeof *f);
    if (!f) return -1;
    f->path = full;
    f->next = P->seen_files;
    P->seen_files = f;
    P->side_budget += P->side_size;
    return 0;
}

/* Decodes little-endian storage read from the side file into t->data. */
static int side_decode(Parser *P, Tensor *t, const unsigned char *raw)
{
    const DTypeInfo *di = dtype_info(t->dtype);
    int64_t n = tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *b = raw + i * di->bytes;
        uint64_t u = 0;
        for (int k = 0; k < di->bytes; k++) u |= (uint64_t)b[k] << (8 * k);
        if (t->dtype == DT_I64) {
            memcpy((int64_t *)t->data + i, &u, 8);
            continue;
        }
        if (di->bytes == 4) { /* i32 and f32: the exact bits */
            uint32_t u32 = (uint32_t)u;
            memcpy((uint32_t *)t->data + i, &u32, 4);
            continue;
        }
        int64_t v = di->is_signed ? (int64_t)(int8_t)u : (int64_t)u;
        if (v < di->min || v > di->max)
            return perr(P,
                        "tensor '%s': side-file value %lld at index %lld is out of the range of %s",
                        t->name, (long long)v, (long long)i, di->name);
        tensor_set(t, i, v);
    }
    return 0;
}

static int parse_side_ref(Parser *P, const char **file, int64_t *off)
{
    skip_blank(P);
    if (P->p < P->end && *P->p == '"') {
        if (parse_quoted(P, file) || expect_char(P, ':')) return -1;
        return parse_int(P, 0, INT64_MAX, off, "a byte offset");
    }
    const char *s;
    if (parse_name(P, &s, "FILE:OFFSET")) return -1;
    char *colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1]) return perr(P, "expected FILE:OFFSET after '@'");
    char *e;
    errno = 0;
    long long v = strtoll(colon + 1, &e, 10);
    if (*e || errno || v < 0 || colon[1] < '0' || colon[1] > '9')
        return perr(P, "bad byte offset '%s' in side-file reference", colon + 1);
    *colon = '\0';
    *file = s;
    *off = v;
    return 0;
}

static int parse_side_data(Parser *P, Tensor *t)
{
    const char *file;
    int64_t off, end;
    if (parse_side_ref(P, &file, &off) || side_open(P, file)) return -1;
    int64_t bytes = tensor_bytes(t);
    if (util_add_i64(off, bytes, &end) || end > P->side_size)
        return perr(P,
                    "side file '%s' is too short for tensor '%s' (%lld bytes at offset %lld, "
                    "file has %lld)",
                    P->side_path, t->name, (long long)bytes, (long long)off,
                    (long long)P->side_size);
    P->side_loaded += bytes;
    if (P->side_loaded > P->side_budget)
        return perr(P, "tensor '%s': side-file data is referenced more than once", t->name);
    unsigned char *raw = arena_alloc(&P->g->arena, (size_t)bytes);
    if (!raw || !tensor_alloc_data(P->g, t)) return -1;
    if (fseeko(P->side, (off_t)off, SEEK_SET) != 0 ||
        fread(raw, 1, (size_t)bytes, P->side) != (size_t)bytes)
        return perr(P, "cannot read %lld bytes at offset %lld of side file '%s'", (long long)bytes,
                    (long long)off, P->side_path);
    return side_decode(P, t, raw);
}

/* zp=Z zps={...} src=chw(H,W,C) srcshape=[...] in any order, each once. */
static int parse_tensor_opts(Parser *P, Tensor *t)
{
    unsigned seen = 0;
    while (!at_eol(P) && *P->p != '=') {
        char key[16];
        if (parse_word(P, key, sizeof key, "a tensor attribute or '='")) return -1;
        static const char *const keys[] = {"zp", "zps", "src", "srcshape"};
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(key, keys[i]) == 0) k = i;
        if (k < 0) return perr(P, "unknown tensor attribute '%s' (zp, zps, src, srcshape)", key);
        if (seen & (1u << k)) return perr(P, "tensor attribute '%s' given twice", key);
        seen |= 1u << k;
        if (expect_char(P, '=')) return -1;
        if (k == 0 && parse_int32(P, &t->zp, "a zero point")) return -1;
        if (k == 1 && parse_zps(P, t)) return -1;
        if (k == 2) {
            char lay[8];
            if (parse_word(P, lay, sizeof lay, "a source layout") || strcmp(lay, "chw") != 0)
                return perr(P, "expected src=chw(H,W,C)");
            t->src_layout = SRC_CHW;
            if (expect_char(P, '(')) return -1;
            for (int i = 0; i < 3; i++)
                if ((i && expect_char(P, ',')) ||
                    parse_int(P, 0, INT64_MAX, &t->src_hwc[i], "a dimension (>= 0)"))
                    return -1;
            if (expect_char(P, ')')) return -1;
        }
        if (k == 3 && parse_dims(P, t->src_shape, DORY_MAX_RANK, &t->src_rank, "srcshape"))
            return -1;
    }
    return 0;
}

/* tensor NAME DTYPE [dims] [attrs] [= {values} | = @FILE:OFFSET] */
static int parse_tensor(Parser *P)
{
    const char *name;
    char dt_name[16];
    DType dt;
    int64_t dims[DORY_MAX_RANK];
    int rank;
    if (parse_name(P, &name, "a tensor name")) return -1;
    if (parse_word(P, dt_name, sizeof dt_name, "a dtype")) return -1;
    if (dtype_from_name(dt_name, &dt)) return perr(P, "unknown dtype '%s'", dt_name);
    if (parse_dims(P, dims, DORY_MAX_RANK, &rank, "a tensor shape")) return -1;
    if (graph_find_tensor(P->g, name) >= 0) return perr(P, "tensor '%s' is declared twice", name);
    int id = graph_add_tensor(P->g, name, dt, rank, dims);
    if (id < 0) return perr(P, "bad declaration of tensor '%s'", name);
    Tensor *t = P->g->tensors[id];
    if (parse_tensor_opts(P, t)) return -1;
    if (!accept(P, '=')) return 0;
    if (accept(P, '{')) return parse_inline_data(P, t);
    if (accept(P, '@')) return parse_side_data(P, t);
    return expected(P, "'{' or '@' after '='");
}

/* ---- Nodes -------------------------------------------------------------- */

/* rq=none | shift(k=T,l=T,d=N) | fixed(mult=T,shift=T,pre=N) | float(scale=T)
 *    | fixed_sr(mult=T,shift=T) | lut(table=T,base=N) | f32int(scale=T[,k=T,l=T,d=N]) */
static int parse_requant(Parser *P, Requant *r)
{
    char scheme[16];
    RqScheme s;
    if (parse_word(P, scheme, sizeof scheme, "a requant scheme")) return -1;
    if (rq_scheme_from_name(scheme, &s)) return perr(P, "unknown requant scheme '%s'", scheme);
    *r = rq_none();
    r->scheme = s;
    if (s == RQ_NONE) return 0;
    if (expect_char(P, '(')) return -1;
    if (accept(P, ')')) return 0;
    /* per scheme: up to three tensor fields, then one integer field */
    static const char *const keys[6][4] = {{"k", "l", 0, "d"},      {"mult", "shift", 0, "pre"},
                                           {"mult", "shift", 0, 0}, {"table", 0, 0, "base"},
                                           {"scale", 0, 0, 0},      {"scale", "k", "l", "d"}};
    int *refs[6][4] = {{&r->k, &r->l, 0, &r->d},    {&r->mult, &r->shift, 0, &r->pre},
                       {&r->mult, &r->shift, 0, 0}, {&r->table, 0, 0, &r->base},
                       {&r->scale, 0, 0, 0},        {&r->scale, &r->k, &r->l, &r->d}};
    int f = s == RQ_SHIFT      ? 0
            : s == RQ_FIXED    ? 1
            : s == RQ_FIXED_SR ? 2
            : s == RQ_LUT      ? 3
            : s == RQ_F32INT   ? 5
                               : 4;
    unsigned seen = 0;
    do {
        char key[16];
        if (parse_word(P, key, sizeof key, "a requant field")) return -1;
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (keys[f][i] && strcmp(keys[f][i], key) == 0) k = i;
        if (k < 0) return perr(P, "unknown field '%s' for requant scheme '%s'", key, scheme);
        if (seen & (1u << k)) return perr(P, "requant field '%s' given twice", key);
        seen |= 1u << k;
        if (expect_char(P, '=')) return -1;
        int is_int = k == 3;
        if (is_int) {
            int32_t v;
            if (parse_int32(P, &v, "an integer")) return -1;
            *refs[f][k] = v;
        } else if (lookup_tensor(P, refs[f][k], "a tensor name")) {
            return -1;
        }
    } while (accept(P, ','));
    return expect_char(P, ')');
}

static int parse_ints(Parser *P, int *v, int n)
{
    if (expect_char(P, '=')) return -1;
    for (int i = 0; i < n; i++) {
        int32_t x;
        if ((i && expect_char(P, ',')) || parse_int32(P, &x, "an integer")) return -1;
        v[i] = x;
    }
    return 0;
}

static int parse_attr(Parser *P, Node *n, const char *key)
{
    if (!strcmp(key, "kernel")) return parse_ints(P, n->kernel, 2);
    if (!strcmp(key, "stride")) return parse_ints(P, n->stride, 2);
    if (!strcmp(key, "dilation")) return parse_ints(P, n->dilation, 2);
    if (!strcmp(key, "pad")) return parse_ints(P, n->pad, 4);
    if (!strcmp(key, "groups")) return parse_ints(P, &n->groups, 1);
    if (!strcmp(key, "value")) return parse_ints(P, &n->pad_value, 1);
    if (!strcmp(key, "global")) return n->global = true, 0;
    if (!strcmp(key, "count_include_pad")) return n->count_include_pad = true, 0;
    if (!strcmp(key, "avg_table"))
        return expect_char(P, '=') || lookup_tensor(P, &n->avg_table, "a tensor name");
    if (!strcmp(key, "rq")) return expect_char(P, '=') || parse_requant(P, &n->rq);
    if (!strcmp(key, "rqa")) return expect_char(P, '=') || parse_requant(P, &n->in_rq[0]);
    if (!strcmp(key, "rqb")) return expect_char(P, '=') || parse_requant(P, &n->in_rq[1]);
    int v[3];
    if (!strcmp(key, "clamp")) {
        if (parse_ints(P, v, 2)) return -1;
        n->lo = v[0], n->hi = v[1];
        return 0;
    }
    if (!strcmp(key, "sm")) {
        if (parse_ints(P, v, 3)) return -1;
        n->sm_mult = v[0], n->sm_shift = v[1], n->sm_diff_min = v[2];
        return 0;
    }
    if (!strcmp(key, "avg_round")) {
        char name[16];
        if (expect_char(P, '=') || parse_word(P, name, sizeof name, "an avg_round name")) return -1;
        AvgRound r;
        if (avg_round_from_name(name, &r)) return perr(P, "unknown avg_round '%s'", name);
        n->avg_round = r;
        return 0;
    }
    return perr(P, "unknown node attribute '%s'", key);
}

static const char *const node_attrs[] = {
    "kernel", "stride", "dilation", "pad", "groups", "global", "count_include_pad", "avg_round",
    "clamp",  "sm",     "rq",       "rqa", "rqb",    "value",  "avg_table"};

static int parse_attrs(Parser *P, Node *n)
{
    unsigned seen = 0;
    while (!at_eol(P)) {
        char key[24];
        if (parse_word(P, key, sizeof key, "a node attribute")) return -1;
        for (size_t i = 0; i < DORY_ARRAY_LEN(node_attrs); i++) {
            if (strcmp(key, node_attrs[i]) != 0) continue;
            if (seen & (1u << i)) return perr(P, "node attribute '%s' given twice", key);
            seen |= 1u << i;
        }
        if (parse_attr(P, n, key)) return -1;
    }
    return 0;
}

/* node NAME OP (IN, ...) -> OUT [attrs] */
static int parse_node(Parser *P)
{
    const char *name;
    char opname[24];
    Op op;
    int in[DORY_MAX_INPUTS], nin = 0, out;
    if (parse_name(P, &name, "a node name")) return -1;
    if (parse_word(P, opname, sizeof opname, "an op name")) return -1;
    if (op_from_name(opname, &op)) return perr(P, "unknown op '%s'", opname);
    if (name_index_find(&P->nodes, name, node_name_of, P->g) >= 0)
        return perr(P, "node '%s' is declared twice", name);
    if (expect_char(P, '(')) return -1;
    if (!accept(P, ')')) {
        do {
            if (nin == DORY_MAX_INPUTS)
                return perr(P, "node '%s' has more than %d inputs", name, DORY_MAX_INPUTS);
            if (lookup_tensor(P, &in[nin++], "an input tensor name")) return -1;
        } while (accept(P, ','));
        if (expect_char(P, ')')) return -1;
    }
    const OpInfo *oi = op_info(op);
    if (nin < oi->min_inputs || nin > oi->max_inputs)
        return perr(P, "node '%s': %s takes %d to %d inputs, found %d", name, oi->name,
                    oi->min_inputs, oi->max_inputs, nin);
    skip_blank(P);
    if (P->end - P->p < 2 || P->p[0] != '-' || P->p[1] != '>') return expected(P, "'->'");
    P->p += 2;
    if (lookup_tensor(P, &out, "an output tensor name")) return -1;
    Node *n = graph_add_node(P->g, name, op, nin, in, out);
    if (!n || name_index_put(P->g, &P->nodes, n->name, n->id, node_name_of)) return -1;
    return parse_attrs(P, n);
}

/* ---- Statements --------------------------------------------------------- */

static int parse_io(Parser *P, int is_input)
{
    int id;
    if (lookup_tensor(P, &id, "a tensor name")) return -1;
    int *count = is_input ? &P->g->ninputs : &P->g->noutputs;
    if (*count >= DORY_MAX_INPUTS)
        return perr(P, "more than %d graph %s", DORY_MAX_INPUTS, is_input ? "inputs" : "outputs");
    return is_input ? graph_add_input(P->g, id) : graph_add_output(P->g, id);
}

static int parse_statement(Parser *P)
{
    char kw[16];
    if (parse_word(P, kw, sizeof kw, "a statement (tensor, input, node, output)")) return -1;
    if (strcmp(kw, "graph") == 0) {
        if (P->have_graph) return perr(P, "'graph' given twice");
        P->have_graph = 1;
        return parse_name(P, &P->g->name, "a graph name");
    }
    if (!P->have_graph) return perr(P, "expected 'graph NAME' before '%s'", kw);
    if (strcmp(kw, "tensor") == 0) return parse_tensor(P);
    if (strcmp(kw, "node") == 0) return parse_node(P);
    if (strcmp(kw, "input") == 0) return parse_io(P, 1);
    if (strcmp(kw, "output") == 0) return parse_io(P, 0);
    return perr(P, "unknown statement '%s' (tensor, input, node, output)", kw);
}

/* Rejects NUL bytes and overlong lines before anything else looks at them. */
static int prescan(Parser *P)
{
    const char *line_start = P->p;
    int line = 1;
    for (const char *c = P->p; c < P->end; c++) {
        if (*c == '\0') {
            P->line = line;
            return perr(P, "NUL byte in text");
        }
        if (*c == '\n') {
            line++;
            line_start = c + 1;
        } else if (c - line_start >= TEXT_MAX_LINE) {
            P->line = line;
            return perr(P, "line longer than %d bytes", TEXT_MAX_LINE);
        }
    }
    return 0;
}

static int parse_magic(Parser *P)
{
    size_t n = sizeof TEXT_MAGIC - 1;
    int64_t version;
    if ((size_t)(P->end - P->p) < n || memcmp(P->p, TEXT_MAGIC, n) != 0)
        return perr(P, "not dory IR text: the first line must be '%s %d'", TEXT_MAGIC,
                    TEXT_VERSION);
    P->p += n;
    if (P->p >= P->end || (*P->p != ' ' && *P->p != '\t')) return expected(P, "a version number");
    if (parse_int(P, 0, INT32_MAX, &version, "a version number")) return -1;
    if (version != TEXT_VERSION)
        return perr(P, "unsupported dory IR version %lld (this dory reads %d)", (long long)version,
                    TEXT_VERSION);
    return expect_eol(P);
}

static int parse_body(Parser *P)
{
    if (prescan(P) || parse_magic(P)) return -1;
    for (;;) {
        skip_blank(P);
        skip_comment(P);
        if (P->p >= P->end) break;
        if (*P->p == '\n') {
            P->p++;
            P->line++;
            continue;
        }
        if (parse_statement(P) || expect_eol(P)) return -1;
    }
    if (!P->have_graph) return perr(P, "missing 'graph NAME' line");
    return graph_finalize(P->g);
}

static const char *dir_of(Arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return ".";
    if (slash == path) return "/";
    return arena_strndup(a, path, (size_t)(slash - path));
}

Graph *ir_parse_text(const char *path, const char *text, size_t len)
{
    if (!path) path = "<text>";
    Parser P = {0};
    P.g = graph_new("");
    if (!P.g) return NULL;
    P.path = P.g->source = arena_strdup(&P.g->arena, path);
    P.dir = dir_of(&P.g->arena, path);
    P.p = text ? text : "";
    P.end = P.p + (text ? len : 0);
    P.line = 1;
    int rc = P.path && P.dir ? parse_body(&P) : -1;
    if (P.side) fclose(P.side);
    if (rc) {
        graph_free(P.g);
        return NULL;
    }
    return P.g;
}

Graph *ir_load_text(const char *path)
{
    Arena a;
    arena_init(&a);
    size_t size = 0;
    unsigned char *bytes = util_read_file(&a, path, &size);
    Graph *g = bytes ? ir_parse_text(path, (const char *)bytes, size) : NULL;
    arena_free(&a);
    return g;
}

int ir_text_sniff(const unsigned char *bytes, size_t len)
{
    size_t n = sizeof TEXT_MAGIC - 1;
    return len > n && memcmp(bytes, TEXT_MAGIC, n) == 0 && (bytes[n] == ' ' || bytes[n] == '\t');
}
