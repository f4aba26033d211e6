/* cg_out.c: the generator's output files and the helpers that print C into
 * them (formatted text, integer and byte arrays).
 *
 * Knows nothing about layers or the plan; every generated file goes through
 * cg_out_open() and cg_out_close(), which report errors naming the file.
 */
#include <stdarg.h>
#include <string.h>

#include "cg_int.h"

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
    o->f = fopen(o->path, "w");
    if (!o->f) return diag_error((DiagLoc){o->path, 0, 0, 0}, "cannot create file");
    return 0;
}

int cg_out_close(Out *o)
{
    int bad = ferror(o->f);
    if (fclose(o->f) != 0 || bad) return diag_error((DiagLoc){o->path, 0, 0, 0}, "write error");
    return 0;
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
