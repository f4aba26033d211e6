/* tensorio.c: tensors to and from .npy, raw binary and text files.
 *
 * Files hold tensors in the source model's layout; the IR stores HWC. All
 * parsing of untrusted files checks sizes before reading; nothing here trusts
 * a header. Must not know about graphs beyond one Tensor's description.
 */
#include "tensorio.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int tensor_format_from_name(const char *name, TensorFormat *out)
{
    if (!strcmp(name, "npy"))
        *out = TIO_NPY;
    else if (!strcmp(name, "raw") || !strcmp(name, "bin"))
        *out = TIO_RAW;
    else if (!strcmp(name, "txt") || !strcmp(name, "text"))
        *out = TIO_TEXT;
    else
        return -1;
    return 0;
}

TensorFormat tensor_format_for_path(const char *path)
{
    if (util_ends_with(path, ".bin") || util_ends_with(path, ".raw")) return TIO_RAW;
    if (util_ends_with(path, ".txt")) return TIO_TEXT;
    return TIO_NPY;
}

/* ---- Layout ------------------------------------------------------------- */

/* Source shape of a tensor: src_shape if set, else the IR shape. */
static int src_shape(const Tensor *t, int64_t *shape)
{
    if (t->src_rank > 0) {
        memcpy(shape, t->src_shape, sizeof(int64_t) * (size_t)t->src_rank);
        return t->src_rank;
    }
    memcpy(shape, t->shape, sizeof(int64_t) * (size_t)t->rank);
    return t->rank;
}

/* Dims (H, W, C) whose HWC order is the storage order. */
static void hwc_dims(const Tensor *t, int64_t *h, int64_t *w, int64_t *c)
{
    if (t->src_hwc[0] > 0) {
        *h = t->src_hwc[0], *w = t->src_hwc[1], *c = t->src_hwc[2];
    } else if (t->rank == 4) {
        *h = t->shape[1], *w = t->shape[2], *c = t->shape[3];
    } else {
        *h = 1, *w = 1, *c = tensor_numel(t);
    }
}

void tensor_hwc_to_src(const Tensor *t, const int32_t *hwc, int32_t *src)
{
    int64_t n = tensor_numel(t);
    if (t->src_layout != SRC_CHW) {
        memcpy(src, hwc, (size_t)n * sizeof(int32_t));
        return;
    }
    int64_t H, W, C;
    hwc_dims(t, &H, &W, &C);
    for (int64_t h = 0; h < H; h++)
        for (int64_t w = 0; w < W; w++)
            for (int64_t c = 0; c < C; c++) src[(c * H + h) * W + w] = hwc[(h * W + w) * C + c];
}

void tensor_src_to_hwc(const Tensor *t, const int32_t *src, int32_t *hwc)
{
    int64_t n = tensor_numel(t);
    if (t->src_layout != SRC_CHW) {
        memcpy(hwc, src, (size_t)n * sizeof(int32_t));
        return;
    }
    int64_t H, W, C;
    hwc_dims(t, &H, &W, &C);
    for (int64_t h = 0; h < H; h++)
        for (int64_t w = 0; w < W; w++)
            for (int64_t c = 0; c < C; c++) hwc[(h * W + w) * C + c] = src[(c * H + h) * W + w];
}

/* ---- Range check -------------------------------------------------------- */

static int check_range(const char *path, const Tensor *t, const int32_t *v, int64_t n)
{
    const DTypeInfo *di = dtype_info(t->dtype);
    for (int64_t i = 0; i < n; i++)
        if (v[i] < di->min || v[i] > di->max)
            return diag_error(
                (DiagLoc){path, 0, 0, 0},
                "element %lld is %d, outside the range of tensor '%s' (%s: %lld..%lld)",
                (long long)i, v[i], t->name, di->name, (long long)di->min, (long long)di->max);
    return 0;
}

/* ---- .npy --------------------------------------------------------------- */

typedef struct NpyType {
    const char *descr;
    int bytes, is_signed;
} NpyType;

static const NpyType npy_types[] = {
    {"|i1", 1, 1}, {"|u1", 1, 0}, {"<i2", 2, 1}, {"<u2", 2, 0}, {"<i4", 4, 1}, {"<i8", 8, 1},
};

static const NpyType *npy_type_for(DType dt)
{
    switch (dt) {
    case DT_U8:
    case DT_U4:
    case DT_U2: return &npy_types[1];
    case DT_I32: return &npy_types[4];
    default: return &npy_types[0];
    }
}

/* Reads the header dict: descr, fortran_order, shape. */
static int npy_parse_header(const char *path, const char *h, size_t len, const NpyType **type,
                            int64_t *shape, int *rank, int *fortran)
{
    DiagLoc loc = {path, 0, 0, 0};
    char buf[1024];
    if (len >= sizeof buf) return diag_error(loc, "npy header too long");
    memcpy(buf, h, len);
    buf[len] = '\0';
    const char *d = strstr(buf, "'descr':");
    const char *f = strstr(buf, "'fortran_order':");
    const char *s = strstr(buf, "'shape':");
    if (!d || !f || !s) return diag_error(loc, "malformed npy header");
    d = strchr(d + 8, '\'');
    if (!d) return diag_error(loc, "malformed npy descr");
    *type = NULL;
    for (size_t i = 0; i < DORY_ARRAY_LEN(npy_types); i++)
        if (!strncmp(d + 1, npy_types[i].descr, 3) && d[4] == '\'') *type = &npy_types[i];
    if (!*type)
        return diag_error(loc,
                          "unsupported npy dtype %.6s (accepted, little-endian: int8 |i1, uint8 "
                          "|u1, int16 <i2, uint16 <u2, int32 <i4, int64 <i8)",
                          d);
    f += 16;
    while (*f == ' ') f++;
    *fortran = !strncmp(f, "True", 4);
    if (!*fortran && strncmp(f, "False", 5)) return diag_error(loc, "malformed npy fortran_order");
    s = strchr(s, '(');
    if (!s) return diag_error(loc, "malformed npy shape");
    *rank = 0;
    for (s++;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        if (!isdigit((unsigned char)*s)) return diag_error(loc, "malformed npy shape");
        if (*rank >= 8) return diag_error(loc, "npy rank above 8");
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno || v < 0 || v > ((int64_t)1 << 40)) return diag_error(loc, "absurd npy shape");
        shape[(*rank)++] = v;
        s = end;
    }
    return 0;
}

/* Shapes agree when equal after dropping leading 1s. */
static int shape_matches(const int64_t *a, int ra, const int64_t *b, int rb)
{
    while (ra > 0 && a[0] == 1 && ra > rb) a++, ra--;
    while (rb > 0 && b[0] == 1 && rb > ra) b++, rb--;
    if (ra != rb) return 0;
    for (int i = 0; i < ra; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static void shape_str(char *buf, size_t n, const int64_t *s, int r)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < r && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)s[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

static int64_t read_le(const unsigned char *p, const NpyType *ty)
{
    uint64_t u = 0;
    for (int i = 0; i < ty->bytes; i++) u |= (uint64_t)p[i] << (8 * i);
    if (ty->is_signed && ty->bytes < 8 && (u >> (8 * ty->bytes - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * ty->bytes);
    return (int64_t)u;
}

static int decode_values(const char *path, const Tensor *t, const unsigned char *p,
                         const NpyType *ty, int32_t *src)
{
    const DTypeInfo *di = dtype_info(t->dtype);
    for (int64_t i = 0; i < tensor_numel(t); i++) {
        int64_t v = read_le(p + i * ty->bytes, ty);
        if (v < di->min || v > di->max)
            return diag_error((DiagLoc){path, 0, 0, 0},
                              "element %lld is %lld, outside the range of tensor '%s' (%s)",
                              (long long)i, (long long)v, t->name, di->name);
        src[i] = (int32_t)v;
    }
    return 0;
}

/* Reorders values read in Fortran (column-major) order into C order: the
 * element at C index c, multi-index (i0, .., ir-1), is at Fortran index
 * i0 + s0 * (i1 + s1 * (...)). */
static int fortran_to_c(int32_t *v, const int64_t *shape, int rank)
{
    int64_t n = 1;
    for (int d = 0; d < rank; d++) n *= shape[d];
    if (rank < 2 || n < 2) return 0;
    int32_t *f = util_malloc((size_t)n * sizeof *f);
    if (!f) return diag_error(DIAG_NOLOC, "out of memory");
    memcpy(f, v, (size_t)n * sizeof *f);
    for (int64_t c = 0; c < n; c++) {
        int64_t rest = c, fi = 0, stride = 1, idx[8];
        for (int d = rank - 1; d >= 0; d--) idx[d] = rest % shape[d], rest /= shape[d];
        for (int d = 0; d < rank; d++) fi += idx[d] * stride, stride *= shape[d];
        v[c] = f[fi];
    }
    free(f);
    return 0;
}

static int npy_read(const char *path, const unsigned char *b, size_t n, const Tensor *t,
                    int32_t *src)
{
    DiagLoc loc = {path, 0, 0, 0};
    if (n < 10 || memcmp(b, "\x93NUMPY", 6)) return diag_error(loc, "not an .npy file");
    size_t hlen, off;
    if (b[6] == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (n < 12) return diag_error(loc, "truncated .npy header");
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        off = 12;
    } else {
        return diag_error(loc, "unsupported .npy version %d", b[6]);
    }
    if (hlen > n - off) return diag_error(loc, "truncated .npy header");
    const NpyType *ty = NULL;
    int64_t shape[8];
    int rank = 0, fortran = 0;
    if (npy_parse_header(path, (const char *)b + off, hlen, &ty, shape, &rank, &fortran)) return -1;
    int64_t want[DORY_MAX_RANK];
    int wr = src_shape(t, want);
    if (!shape_matches(shape, rank, want, wr)) {
        char s1[128], s2[128];
        shape_str(s1, sizeof s1, shape, rank);
        shape_str(s2, sizeof s2, want, wr);
        return diag_error(loc, "shape %s does not match tensor '%s' %s", s1, t->name, s2);
    }
    off += hlen;
    if ((size_t)tensor_numel(t) * (size_t)ty->bytes > n - off)
        return diag_error(loc, "truncated .npy data: %zu bytes for %lld elements", n - off,
                          (long long)tensor_numel(t));
    if (decode_values(path, t, b + off, ty, src)) return -1;
    return fortran ? fortran_to_c(src, shape, rank) : 0;
}

static int npy_write(const char *path, const Tensor *t, const int32_t *src)
{
    const NpyType *ty = npy_type_for(t->dtype);
    int64_t shape[DORY_MAX_RANK];
    int r = src_shape(t, shape);
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     ty->descr);
    for (int i = 0; i < r; i++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%lld,%s", (long long)shape[i],
                      i + 1 < r ? " " : "");
    k += snprintf(dict + k, sizeof dict - (size_t)k, "), }");
    size_t total = 10 + (size_t)k + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)k + pad + 1;
    size_t n = (size_t)tensor_numel(t);
    size_t size = 10 + hlen + n * (size_t)ty->bytes;
    unsigned char *buf = util_malloc(size);
    if (!buf) return diag_error((DiagLoc){path, 0, 0, 0}, "out of memory");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, dict, (size_t)k);
    memset(buf + 10 + k, ' ', pad);
    buf[10 + hlen - 1] = '\n';
    unsigned char *p = buf + 10 + hlen;
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < ty->bytes; j++) *p++ = (unsigned char)((uint32_t)src[i] >> (8 * j));
    int rc = util_write_file(path, buf, size);
    free(buf);
    return rc;
}

/* ---- raw ---------------------------------------------------------------- */

static const NpyType *raw_type(DType dt)
{
    return dtype_info(dt)->bytes == 4 ? &npy_types[4] : npy_type_for(dt);
}

static int raw_read(const char *path, const unsigned char *b, size_t n, const Tensor *t,
                    int32_t *src)
{
    const NpyType *ty = raw_type(t->dtype);
    size_t want = (size_t)tensor_numel(t) * (size_t)ty->bytes;
    if (n != want)
        return diag_error((DiagLoc){path, 0, 0, 0},
                          "raw file has %zu bytes; tensor '%s' (%s, %lld elements) needs %zu", n,
                          t->name, dtype_name(t->dtype), (long long)tensor_numel(t), want);
    return decode_values(path, t, b, ty, src);
}

static int raw_write(const char *path, const Tensor *t, const int32_t *src)
{
    const NpyType *ty = raw_type(t->dtype);
    size_t n = (size_t)tensor_numel(t);
    unsigned char *buf = util_malloc(n * (size_t)ty->bytes + 1);
    if (!buf) return diag_error((DiagLoc){path, 0, 0, 0}, "out of memory");
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < ty->bytes; j++)
            buf[i * (size_t)ty->bytes + (size_t)j] = (unsigned char)((uint32_t)src[i] >> (8 * j));
    int rc = util_write_file(path, buf, n * (size_t)ty->bytes);
    free(buf);
    return rc;
}

/* ---- text --------------------------------------------------------------- */

/* One integer per value; separators: whitespace, ',' and '\'. '#' starts a
 * comment; a first line holding "(shape" is a header (DORY's files). Values
 * like "255.000" are accepted when their fraction is zero. */
static int text_read(const char *path, const char *s, size_t n, const Tensor *t, int32_t *src)
{
    int64_t want = tensor_numel(t), got = 0;
    int line = 1;
    const char *end = s + n;
    const char *nl = memchr(s, '\n', n);
    size_t first = nl ? (size_t)(nl - s) : n;
    for (size_t i = 0; i + 6 <= first; i++)
        if (!memcmp(s + i, "(shape", 6)) {
            s += first;
            break;
        }
    while (s < end) {
        char c = *s;
        if (c == '\n') line++;
        if (c == '#') {
            while (s < end && *s != '\n') s++;
            continue;
        }
        if (isspace((unsigned char)c) || c == ',' || c == '\\') {
            s++;
            continue;
        }
        char tok[64];
        size_t k = 0;
        while (s < end && !isspace((unsigned char)*s) && *s != ',' && *s != '\\' &&
               k + 1 < sizeof tok)
            tok[k++] = *s++;
        tok[k] = '\0';
        if (s < end && !isspace((unsigned char)*s) && *s != ',' && *s != '\\')
            return diag_error((DiagLoc){path, line, 0, 0}, "a value of more than %d characters",
                              (int)sizeof tok - 1);
        char *e;
        errno = 0;
        long long v = strtoll(tok, &e, 10);
        if (*e == '.') {
            e++;
            while (*e == '0') e++;
        }
        if (e == tok || *e || errno) {
            for (unsigned char *q = (unsigned char *)tok; *q; q++) /* show invisible bytes */
                if (*q < 0x20 || *q >= 0x7f) *q = '?';
            return diag_error((DiagLoc){path, line, 0, 0}, "'%s' is not an integer%s", tok,
                              (unsigned char)tok[0] == '?' && !memcmp(s - k, "\xef\xbb\xbf", 3)
                                  ? " (it holds a UTF-8 byte-order mark)"
                                  : "");
        }
        if (got >= want)
            return diag_error((DiagLoc){path, line, 0, 0},
                              "more than the %lld values of tensor '%s'", (long long)want, t->name);
        if (v < INT32_MIN || v > INT32_MAX)
            return diag_error((DiagLoc){path, line, 0, 0}, "value %s out of range", tok);
        src[got++] = (int32_t)v;
    }
    if (got != want)
        return diag_error((DiagLoc){path, 0, 0, 0}, "%lld values; tensor '%s' needs %lld",
                          (long long)got, t->name, (long long)want);
    return check_range(path, t, src, want);
}

static int text_write(const char *path, const int32_t *src, int64_t n)
{
    FILE *f = fopen(path, "w");
    if (!f) return diag_error((DiagLoc){path, 0, 0, 0}, "cannot create: %s", strerror(errno));
    for (int64_t i = 0; i < n; i++) fprintf(f, "%d\n", src[i]);
    if (fclose(f) != 0) return diag_error((DiagLoc){path, 0, 0, 0}, "write error");
    return 0;
}

/* ---- entry points ------------------------------------------------------- */

int tensor_read_mem(const char *name, const unsigned char *b, size_t n, TensorFormat fmt,
                    const Tensor *t, int32_t *hwc)
{
    DORY_ASSERT(fmt != TIO_AUTO);
    int32_t *src = util_malloc(((size_t)tensor_numel(t) + 1) * sizeof(int32_t));
    if (!src) return diag_error((DiagLoc){name, 0, 0, 0}, "out of memory");
    int rc;
    if (fmt == TIO_NPY)
        rc = npy_read(name, b, n, t, src);
    else if (fmt == TIO_RAW)
        rc = raw_read(name, b, n, t, src);
    else
        rc = text_read(name, (const char *)b, n, t, src);
    if (rc == 0) tensor_src_to_hwc(t, src, hwc);
    free(src);
    return rc;
}

int tensor_read_file(const char *path, TensorFormat fmt, const Tensor *t, int32_t *hwc)
{
    Arena a;
    arena_init(&a);
    size_t n = 0;
    unsigned char *b = util_read_file(&a, path, &n);
    int rc = b ? tensor_read_mem(path, b, n, fmt == TIO_AUTO ? tensor_format_for_path(path) : fmt,
                                 t, hwc)
               : -1;
    arena_free(&a);
    return rc;
}

int tensor_npy_byte_dtype(const char *path, DType *dt)
{
    char head[128] = {0};
    struct stat st;
    /* regular files only: a FIFO or standard input must be read once, later */
    FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
    size_t n = f ? fread(head, 1, sizeof head - 1, f) : 0;
    if (f) fclose(f);
    if (n < 10 || memcmp(head, "\x93NUMPY", 6)) return 1;
    for (size_t i = 10; i + 5 < n; i++) { /* the header's 'descr': '|i1' */
        if (head[i] != '|' || head[i + 3] != '\'' || head[i + 2] != '1') continue;
        if (head[i + 1] == 'i' || head[i + 1] == 'u') {
            *dt = head[i + 1] == 'i' ? DT_I8 : DT_U8;
            return 0;
        }
    }
    return 1;
}

int tensor_write_file(const char *path, TensorFormat fmt, const Tensor *t, const int32_t *hwc)
{
    if (fmt == TIO_AUTO) fmt = tensor_format_for_path(path);
    int32_t *src = util_malloc(((size_t)tensor_numel(t) + 1) * sizeof(int32_t));
    if (!src) return diag_error((DiagLoc){path, 0, 0, 0}, "out of memory");
    tensor_hwc_to_src(t, hwc, src);
    int rc = fmt == TIO_NPY   ? npy_write(path, t, src)
             : fmt == TIO_RAW ? raw_write(path, t, src)
                              : text_write(path, src, tensor_numel(t));
    free(src);
    return rc;
}
