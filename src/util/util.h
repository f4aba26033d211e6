/* util.h: the compiler's shared plumbing: arenas, diagnostics, small helpers.
 *
 * Everything the compiler allocates goes through an Arena (one per IR lifetime,
 * one scratch arena per layer); arenas are freed whole, never object by object.
 * All allocation funnels through one hook (util_set_alloc_hook) so tests can
 * inject failures. Diagnostics about user input go through diag_error(), which
 * names the file, the node and the op; nothing here exits or aborts on bad
 * input. Internal bugs use DORY_ASSERT (file and line).
 */
#ifndef DORY_UTIL_H
#define DORY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DORY_VERSION "0.1.0"

/* ---- Allocation -------------------------------------------------------- */

/* The one allocation hook: malloc-compatible; NULL means out of memory. */
typedef void *(*AllocHook)(size_t size);
void util_set_alloc_hook(AllocHook hook); /* NULL restores malloc */
/* malloc, calloc and realloc through the hook, for the buffers that do not live
 * in an arena (libraries' callbacks, buffers handed to the caller). NULL when
 * out of memory or when count * size overflows; free() releases the result (a
 * hook hands out malloc'd memory). util_realloc asks the hook for the new size
 * first, so an injected failure reaches it too. */
void *util_malloc(size_t size);
void *util_calloc(size_t count, size_t size);
void *util_realloc(void *p, size_t size);
/* How many allocations have failed so far (arena blocks, util_* and the
 * libraries' allocations through the hook): a stage built on a library that
 * drops failures (cJSON) compares the count before and after. */
long util_alloc_failures(void);
/* Where the allocation the hook is asked for comes from: the return address
 * into the caller of util_malloc/util_calloc/util_realloc/arena_alloc (inside
 * the library for cJSON's and protobuf-c's), for tests that fail each
 * allocation site in turn. */
const void *util_alloc_site(void);

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;
    size_t used_bytes; /* total bytes handed out, for reports */
    int failed;        /* set once an allocation failed */
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);
/* Zeroed memory aligned to 16 bytes; NULL (and a diagnostic) when out of memory. */
void *arena_alloc(Arena *a, size_t size);
void *arena_alloc_array(Arena *a, size_t count, size_t elem_size);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Diagnostics ------------------------------------------------------- */

/* Where a diagnostic points: any field may be NULL / 0. */
typedef struct DiagLoc {
    const char *file; /* model or IR file */
    int line;         /* line in a text file, 0 if none */
    const char *node; /* node name */
    const char *op;   /* op name (source op for frontends) */
} DiagLoc;

/* Counts an error and, if it is the first since diag_reset(), prints
 * "dory: error: FILE:LINE: node 'N' (OP): message" to stderr; later errors
 * are counted, not printed, so a failure has exactly one error line.
 * Returns -1 so callers can `return diag_error(...)`. */
int diag_error(DiagLoc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warning(DiagLoc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int diag_error_count(void);
void diag_reset(void);
/* Tests silence diagnostics to keep their output readable. */
void diag_set_quiet(int quiet);

#define DIAG_NOLOC ((DiagLoc){0, 0, 0, 0})

/* Internal invariants: a bug in dory, never the user's input. */
#define DORY_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) util_assert_fail(#cond, __FILE__, __LINE__);                                  \
    } while (0)
_Noreturn void util_assert_fail(const char *expr, const char *file, int line);

/* ---- Small helpers ----------------------------------------------------- */

#define DORY_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DORY_MIN(a, b)    ((a) < (b) ? (a) : (b))
#define DORY_MAX(a, b)    ((a) > (b) ? (a) : (b))

/* The most bytes util_read_file() reads: models, tensors and target files
 * for MCUs are far smaller; past it the read stops with a message. */
#define UTIL_MAX_FILE_BYTES ((uint64_t)1 << 30)
/* Reads a whole regular file ("-": standard input) into arena memory; *size
 * gets its length. NULL and a diagnostic naming the file on failure, on a
 * FIFO or device, and past UTIL_MAX_FILE_BYTES. */
unsigned char *util_read_file(Arena *a, const char *path, size_t *size);
/* Opens a file for reading as util_read_file() does: a regular file of at
 * most UTIL_MAX_FILE_BYTES, or standard input as "-"; NULL and a diagnostic. */
FILE *util_open_input(const char *path);
/* Writes bytes to a file; -1 and a diagnostic on failure. */
int util_write_file(const char *path, const void *data, size_t size);
/* Creates a directory (and its parents); -1 and a diagnostic on failure. */
int util_mkdir_p(const char *path);
/* 1 if `s` ends with `suffix`. */
int util_ends_with(const char *s, const char *suffix);

/* Checked arithmetic for sizes computed from untrusted shapes: return -1 on
 * overflow and leave *out untouched. */
int util_mul_i64(int64_t a, int64_t b, int64_t *out);
int util_add_i64(int64_t a, int64_t b, int64_t *out);

#endif
