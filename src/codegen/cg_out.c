/* cg_out.c: the generator's output files and the helpers that print C into
 * them (formatted text, integer and byte arrays).
 *
 * Knows nothing about layers or the plan; every generated file goes through
 * cg_out_open() and cg_out_close(), which report errors naming the file.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg_int.h"

/* The file that marks a folder as a dory application (written last). */
static const char APP_MARK[] = ".dory-app";

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) ? -1 : 0;
}

/* Is `dir` missing or empty? 1 yes, 0 no, -1 not a folder. */
static int dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 1 : -1;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

int cg_out_prepare(const char *dir)
{
    int empty = dir_empty(dir);
    DiagLoc loc = {dir, 0, 0, 0};
    if (empty < 0)
        return diag_error(loc, "cannot use as the application folder: %s", strerror(errno));
    if (!empty) {
        char mark[4096];
        snprintf(mark, sizeof mark, "%s/%s", dir, APP_MARK);
        if (access(mark, F_OK) != 0)
            return diag_error(loc, "the folder exists and is not a dory application: give a new "
                                   "or empty folder");
        /* an earlier deployment: remove it whole, so no stale file is compiled in */
        if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
            return diag_error(loc, "cannot remove the earlier application: %s", strerror(errno));
    }
    return util_mkdir_p(dir);
}

int cg_out_mark(const char *dir)
{
    Out o;
    if (cg_out_open(&o, dir, APP_MARK)) return -1;
    cg_emit(&o, "written by dory deploy; the next deploy into this folder replaces it whole\n");
    return cg_out_close(&o);
}

int cg_out_open(Out *o, const char *dir, const char *name)
{
    snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
    char sub[4096];
    snprintf(sub, sizeof sub, "%s", o->path);
    char *slash = strrchr(sub, '/');
    if (slash) {
        *slash = '\0';
        if (util_mkdir_p(sub)) return -1;
    }
    o->failed = 0;
    o->f = fopen(o->path, "w");
    if (!o->f) return diag_error((DiagLoc){o->path, 0, 0, 0}, "cannot create file");
    return 0;
}

int cg_out_close(Out *o)
{
    int bad = ferror(o->f);
    if (fclose(o->f) != 0 || bad) return diag_error((DiagLoc){o->path, 0, 0, 0}, "write error");
    return o->failed ? -1 : 0;
}

void cg_out_fail(Out *o)
{
    if (!o->failed) diag_error((DiagLoc){o->path, 0, 0, 0}, "out of memory writing this file");
    o->failed = 1;
}

void cg_emit(Out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->f, fmt, ap);
    va_end(ap);
}

/* A C array of integers, 16 per line. */
void cg_emit_ints(Out *o, const char *decl, const int64_t *v, int64_t n)
{
    cg_emit(o, "%s[%lld] = {", decl, (long long)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        if (i % 16 == 0) cg_emit(o, "\n   ");
        cg_emit(o, " %lld,", (long long)v[i]);
    }
    if (!n) cg_emit(o, "0");
    cg_emit(o, "\n};\n");
}

void cg_emit_bytes(Out *o, const char *decl, const uint8_t *v, int64_t n)
{
    cg_emit(o, "%s[%lld] = {", decl, (long long)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        if (i % 24 == 0) cg_emit(o, "\n   ");
        cg_emit(o, " %u,", v[i]);
    }
    if (!n) cg_emit(o, "0");
    cg_emit(o, "\n};\n");
}

/* ---- names from the model ------------------------------------------------ */

enum { NAME_BUFS = 8, NAME_MAX_OUT = 512 };

static char *name_buf(void)
{
    static char bufs[NAME_BUFS][NAME_MAX_OUT];
    static unsigned next;
    return bufs[next++ % NAME_BUFS];
}

/* lit: a C string literal's contents; else comment and README text. */
static const char *escape_name(const char *name, int lit)
{
    char *b = name_buf();
    size_t k = 0;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        int prev = k > 0 ? b[k - 1] : 0;
        if (k + 8 >= NAME_MAX_OUT) {
            memcpy(b + k, "...", 4);
            return b;
        }
        if (lit && (*c == '"' || *c == '\\'))
            b[k++] = '\\', b[k++] = (char)*c;
        else if (lit && (*c < 0x20 || *c >= 0x7f || *c == '?')) /* '?': no trigraph */
            k += (size_t)snprintf(b + k, 5, "\\%03o", *c);
        else if (*c < 0x20 || *c >= 0x7f)
            b[k++] = '?';
        else if (!lit && ((*c == '/' && prev == '*') || (*c == '*' && prev == '/')))
            b[k++] = ' ', b[k++] = (char)*c; /* neither closes nor opens a comment */
        else if (!lit && *c == '|')
            b[k++] = '\\', b[k++] = '|';
        else
            b[k++] = (char)*c;
    }
    b[k] = '\0';
    return b;
}

const char *cg_lit(const char *name) { return escape_name(name, 1); }
const char *cg_cmt(const char *name) { return escape_name(name, 0); }
