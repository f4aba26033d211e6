/* tflite_fb.h: a bounds-checked reader of FlatBuffers binaries, enough for
 * the TFLite schema (tables, vtables, scalars, strings, vectors of scalars and
 * of tables). Debian packages no C FlatBuffers library, so this is written
 * here (docs/FRONTEND_TFLITE.md).
 *
 * Every offset, vtable, vector length and string read is checked against the
 * buffer before it is used. Errors are sticky: the first one is recorded in
 * Fb.err and every later read returns a default, so a caller may read a whole
 * table and check once. Must not know the TFLite schema (tflite.c does).
 */
#ifndef DORY_TFLITE_FB_H
#define DORY_TFLITE_FB_H

#include <stddef.h>
#include <stdint.h>

typedef struct Fb {
    const uint8_t *p;
    size_t n;
    char err[160]; /* "" while no error */
} Fb;

/* A table: pos of its start (0: absent) and its vtable. */
typedef struct FbTable {
    uint32_t pos, vt;
    uint16_t vtsize, tsize;
} FbTable;

/* A vector: pos of its first element, element count and size in bytes. */
typedef struct FbVec {
    uint32_t pos, len, esize;
} FbVec;

/* Checks the root offset; the root table, or an absent one with Fb.err set.
 * The buffer must stay alive while the reader is used. */
FbTable fb_root(Fb *fb, const uint8_t *p, size_t n);
int fb_ok(const Fb *fb);

int fb_has(Fb *fb, FbTable t, int field);
/* Scalars: the field's value, or dflt when it is absent. */
int64_t fb_int(Fb *fb, FbTable t, int field, int bytes, int is_signed, int64_t dflt);
float fb_f32(Fb *fb, FbTable t, int field, float dflt);
/* Sub-table, vector (elements of esize bytes; tables and strings: 4), string
 * (NUL-terminated copy-free view; *len its length). Absent: empty results. */
FbTable fb_table(Fb *fb, FbTable t, int field);
FbVec fb_vec(Fb *fb, FbTable t, int field, uint32_t esize);
const char *fb_str(Fb *fb, FbTable t, int field, uint32_t *len);

/* Elements of a vector (index checked). */
FbTable fb_vec_table(Fb *fb, FbVec v, uint32_t i);
int64_t fb_vec_int(Fb *fb, FbVec v, uint32_t i, int is_signed);
float fb_vec_f32(Fb *fb, FbVec v, uint32_t i);
const uint8_t *fb_vec_bytes(Fb *fb, FbVec v);

#endif
