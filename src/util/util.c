/* util.c: arenas, diagnostics, file helpers and checked arithmetic.
 *
 * Must not know anything about networks: it is plumbing shared by every stage.
 */
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cJSON.h"

/* ---- Allocation -------------------------------------------------------- */

static AllocHook alloc_hook;

/* cJSON (target files, reports) allocates through the hook while one is set */
void util_set_alloc_hook(AllocHook hook)
{
    alloc_hook = hook;
    cJSON_Hooks h = {util_malloc, free};
    cJSON_InitHooks(hook ? &h : NULL);
}

static long alloc_failures;
static const void *alloc_site;

long util_alloc_failures(void) { return alloc_failures; }

const void *util_alloc_site(void) { return alloc_site; }

static void *alloc_at(const void *site, size_t size)
{
    alloc_site = site;
    void *p = alloc_hook ? alloc_hook(size) : malloc(size);
    if (!p) alloc_failures++;
    return p;
}

void *util_malloc(size_t size) { return alloc_at(__builtin_return_address(0), size); }

void *util_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    size_t bytes = count * size;
    void *p = alloc_at(__builtin_return_address(0), bytes > 0 ? bytes : 1);
    if (p) memset(p, 0, bytes);
    return p;
}

void *util_realloc(void *p, size_t size)
{
    if (alloc_hook) {
        void *probe = alloc_at(__builtin_return_address(0), size ? size : 1);
        if (!probe) return NULL;
        free(probe);
    }
    void *q = realloc(p, size ? size : 1);
    if (!q) alloc_failures++;
    return q;
}

struct ArenaBlock {
    ArenaBlock *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_BLOCK_BYTES = 1 << 16 };

void arena_init(Arena *a) { memset(a, 0, sizeof *a); }

void arena_free(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    arena_init(a);
}

void *arena_alloc(Arena *a, size_t size)
{
    size_t need = (size + 15) & ~(size_t)15;
    if (need < size) goto oom;
    ArenaBlock *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > ARENA_BLOCK_BYTES ? need : ARENA_BLOCK_BYTES;
        if (cap > SIZE_MAX - sizeof(ArenaBlock)) goto oom;
        b = alloc_at(__builtin_return_address(0), sizeof(ArenaBlock) + cap);
        if (!b) goto oom;
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->used_bytes += need;
    memset(p, 0, size);
    return p;
oom:
    a->failed = 1;
    diag_error(DIAG_NOLOC, "out of memory allocating %zu bytes", size);
    return NULL;
}

void *arena_alloc_array(Arena *a, size_t count, size_t elem_size)
{
    if (elem_size && count > SIZE_MAX / elem_size) {
        a->failed = 1;
        diag_error(DIAG_NOLOC, "allocation of %zu x %zu bytes overflows", count, elem_size);
        return NULL;
    }
    return arena_alloc(a, count * elem_size);
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) memcpy(p, s, n);
    return p;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* ---- Diagnostics ------------------------------------------------------- */

static int diag_errors;
static int diag_quiet;

void diag_set_quiet(int quiet) { diag_quiet = quiet; }
int diag_error_count(void) { return diag_errors; }
void diag_reset(void) { diag_errors = 0; }

static void diag_vprint(const char *kind, DiagLoc loc, const char *fmt, va_list ap)
{
    if (diag_quiet) return;
    fprintf(stderr, "dory: %s: ", kind);
    if (loc.file) {
        if (loc.line > 0)
            fprintf(stderr, "%s:%d: ", loc.file, loc.line);
        else
            fprintf(stderr, "%s: ", loc.file);
    }
    if (loc.node && loc.op)
        fprintf(stderr, "node '%s' (%s): ", loc.node, loc.op);
    else if (loc.node)
        fprintf(stderr, "node '%s': ", loc.node);
    else if (loc.op)
        fprintf(stderr, "%s: ", loc.op);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* Only the first error is printed: what follows it is most often a
 * consequence (docs/ARCHITECTURE.md, "Errors and bad input"). */
int diag_error(DiagLoc loc, const char *fmt, ...)
{
    if (diag_errors++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        diag_vprint("error", loc, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void diag_warning(DiagLoc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vprint("warning", loc, fmt, ap);
    va_end(ap);
}

void diag_note(const char *fmt, ...)
{
    if (diag_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dory: note: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

_Noreturn void util_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "dory: internal error: %s:%d: assertion '%s' failed\n", file, line, expr);
    abort();
}

/* ---- Files ------------------------------------------------------------- */

/* Only regular files (a FIFO or a device would block or never end), or
 * standard input as "-". */
FILE *util_open_input(const char *path)
{
    DiagLoc loc = {path, 0, 0, 0};
    if (!strcmp(path, "-")) return stdin;
    struct stat st;
    if (stat(path, &st) != 0) {
        diag_error(loc, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        diag_error(loc, "not a regular file");
        return NULL;
    }
    if ((uint64_t)st.st_size > UTIL_MAX_FILE_BYTES) {
        diag_error(loc, "%lld bytes: dory reads files of at most %lld bytes", (long long)st.st_size,
                   (long long)UTIL_MAX_FILE_BYTES);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) diag_error(loc, "cannot open: %s", strerror(errno));
    return f;
}

unsigned char *util_read_file(Arena *a, const char *path, size_t *size)
{
    DiagLoc loc = {path, 0, 0, 0};
    FILE *f = util_open_input(path);
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    unsigned char *out = NULL;
    if (!buf) goto done;
    for (;;) {
        if (len > UTIL_MAX_FILE_BYTES) { /* standard input, or a file that grew */
            diag_error(loc, "more than %lld bytes: dory reads files of at most that",
                       (long long)UTIL_MAX_FILE_BYTES);
            goto done;
        }
        if (len == cap) {
            unsigned char *nb = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                diag_error(loc, "file too large to read");
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    if (ferror(f)) {
        diag_error(loc, "read error: %s", strerror(errno));
        goto done;
    }
    out = arena_alloc(a, len + 1); /* +1: text parsers may rely on a NUL */
    if (out) {
        memcpy(out, buf, len);
        *size = len;
    }
done:
    free(buf);
    if (f != stdin) fclose(f);
    return out;
}

int util_write_file(const char *path, const void *data, size_t size)
{
    DiagLoc loc = {path, 0, 0, 0};
    FILE *f = fopen(path, "wb");
    if (!f) return diag_error(loc, "cannot create: %s", strerror(errno));
    size_t n = fwrite(data, 1, size, f);
    int bad = n != size || fflush(f) != 0;
    if (fclose(f) != 0) bad = 1;
    if (bad) return diag_error(loc, "write error: %s", strerror(errno));
    return 0;
}

int util_mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return diag_error(DIAG_NOLOC, "bad directory name '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return diag_error((DiagLoc){path, 0, 0, 0}, "cannot create directory: %s",
                              strerror(errno));
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return diag_error((DiagLoc){path, 0, 0, 0}, "not a directory");
    return 0;
}

int util_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- Checked arithmetic ------------------------------------------------ */

int util_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return -1;
    *out = r;
    return 0;
}

int util_add_i64(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return -1;
    *out = r;
    return 0;
}
