/* tflite_fb.c: the bounds-checked FlatBuffers reader (tflite_fb.h).
 *
 * Layout, as the FlatBuffers format defines it: a buffer starts with a u32
 * offset to the root table; a table starts with an i32 soffset, table minus
 * vtable position; a vtable is u16 vtable bytes, u16 table bytes, then one u16
 * offset per field (0: absent); offset fields (tables, vectors, strings) hold
 * a u32 relative to their own position; a vector is a u32 count followed by
 * its elements; a string a u32 length, its bytes and a NUL. All little-endian.
 * Nothing here trusts a number read from the buffer before checking it.
 */
#include "tflite_fb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fail(Fb *fb, const char *fmt, ...)
{
    if (fb->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fb->err, sizeof fb->err, fmt, ap);
    va_end(ap);
}

int fb_ok(const Fb *fb) { return fb->err[0] == 0; }

/* 1 if [pos, pos + len) lies in the buffer. */
static int in_buf(const Fb *fb, uint64_t pos, uint64_t len)
{
    return pos <= fb->n && len <= fb->n - pos;
}

static uint64_t rd(const Fb *fb, uint64_t pos, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | fb->p[pos + (uint64_t)i];
    return v;
}

static FbTable table_at(Fb *fb, uint64_t pos)
{
    FbTable t = {0};
    if (!fb_ok(fb)) return t;
    if (pos == 0 || !in_buf(fb, pos, 4)) {
        fail(fb, "table offset %llu outside the file", (unsigned long long)pos);
        return t;
    }
    int64_t vt = (int64_t)pos - (int32_t)(uint32_t)rd(fb, pos, 4);
    if (vt < 0 || !in_buf(fb, (uint64_t)vt, 4)) {
        fail(fb, "vtable of the table at %llu outside the file", (unsigned long long)pos);
        return t;
    }
    uint16_t vsz = (uint16_t)rd(fb, (uint64_t)vt, 2), tsz = (uint16_t)rd(fb, (uint64_t)vt + 2, 2);
    if (vsz < 4 || vsz % 2 || !in_buf(fb, (uint64_t)vt, vsz) || tsz < 4 || !in_buf(fb, pos, tsz)) {
        fail(fb, "malformed vtable at %lld", (long long)vt);
        return t;
    }
    t.pos = (uint32_t)pos, t.vt = (uint32_t)vt, t.vtsize = vsz, t.tsize = tsz;
    return t;
}

FbTable fb_root(Fb *fb, const uint8_t *p, size_t n)
{
    memset(fb, 0, sizeof *fb);
    fb->p = p, fb->n = n;
    FbTable none = {0};
    if (n < 8 || n > UINT32_MAX) {
        fail(fb, n < 8 ? "file too short (%zu bytes)" : "file too large (%zu bytes)", n);
        return none;
    }
    return table_at(fb, rd(fb, 0, 4));
}

/* Position of a field of `bytes` bytes inside the table, 0 if absent. */
static uint64_t field_pos(Fb *fb, FbTable t, int field, int bytes)
{
    if (!fb_ok(fb) || !t.pos || field < 0) return 0;
    uint64_t slot = 4 + 2 * (uint64_t)field;
    if (slot + 2 > t.vtsize) return 0;
    uint16_t off = (uint16_t)rd(fb, t.vt + slot, 2);
    if (!off) return 0;
    if ((uint64_t)off + (uint64_t)bytes > t.tsize) {
        fail(fb, "field %d of the table at %u lies outside the table", field, t.pos);
        return 0;
    }
    return t.pos + (uint64_t)off;
}

int fb_has(Fb *fb, FbTable t, int field) { return field_pos(fb, t, field, 1) != 0; }

int64_t fb_int(Fb *fb, FbTable t, int field, int bytes, int is_signed, int64_t dflt)
{
    uint64_t at = field_pos(fb, t, field, bytes);
    if (!at) return dflt;
    uint64_t v = rd(fb, at, bytes);
    if (is_signed && bytes < 8 && (v >> (8 * bytes - 1)) & 1) v |= ~(uint64_t)0 << (8 * bytes);
    return (int64_t)v;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float fb_f32(Fb *fb, FbTable t, int field, float dflt)
{
    uint64_t at = field_pos(fb, t, field, 4);
    return at ? bits_f32((uint32_t)rd(fb, at, 4)) : dflt;
}

/* Target of the u32 offset at `at` (absolute), checked to hold 4 bytes. */
static uint64_t follow(Fb *fb, uint64_t at)
{
    uint64_t to = at + rd(fb, at, 4);
    if (!in_buf(fb, to, 4)) {
        fail(fb, "offset at %llu points outside the file", (unsigned long long)at);
        return 0;
    }
    return to;
}

FbTable fb_table(Fb *fb, FbTable t, int field)
{
    FbTable none = {0};
    uint64_t at = field_pos(fb, t, field, 4);
    if (!at) return none;
    uint64_t to = follow(fb, at);
    return to ? table_at(fb, to) : none;
}

static FbVec vec_at(Fb *fb, uint64_t at, uint32_t esize)
{
    FbVec v = {0};
    uint64_t to = follow(fb, at);
    if (!to) return v;
    uint64_t len = rd(fb, to, 4);
    if (!in_buf(fb, to + 4, len * esize)) {
        fail(fb, "vector of %llu elements at %llu runs past the end of the file",
             (unsigned long long)len, (unsigned long long)to);
        return v;
    }
    v.pos = (uint32_t)(to + 4), v.len = (uint32_t)len, v.esize = esize;
    return v;
}

FbVec fb_vec(Fb *fb, FbTable t, int field, uint32_t esize)
{
    FbVec none = {0};
    uint64_t at = field_pos(fb, t, field, 4);
    return at ? vec_at(fb, at, esize) : none;
}

const char *fb_str(Fb *fb, FbTable t, int field, uint32_t *len)
{
    *len = 0;
    uint64_t at = field_pos(fb, t, field, 4);
    if (!at) return NULL;
    FbVec v = vec_at(fb, at, 1);
    if (!fb_ok(fb)) return NULL;
    if (!in_buf(fb, (uint64_t)v.pos + v.len, 1) || fb->p[v.pos + v.len] != 0) {
        fail(fb, "string at %u is not NUL-terminated", v.pos);
        return NULL;
    }
    *len = v.len;
    return (const char *)fb->p + v.pos;
}

static uint64_t elem(Fb *fb, FbVec v, uint32_t i)
{
    if (!fb_ok(fb)) return 0;
    if (i >= v.len) {
        fail(fb, "index %u past a vector of %u elements", i, v.len);
        return 0;
    }
    return v.pos + (uint64_t)i * v.esize;
}

FbTable fb_vec_table(Fb *fb, FbVec v, uint32_t i)
{
    FbTable none = {0};
    uint64_t at = elem(fb, v, i);
    if (!at) return none;
    if (v.esize != 4) {
        fail(fb, "vector of tables with %u-byte elements", v.esize);
        return none;
    }
    uint64_t to = follow(fb, at);
    return to ? table_at(fb, to) : none;
}

int64_t fb_vec_int(Fb *fb, FbVec v, uint32_t i, int is_signed)
{
    uint64_t at = elem(fb, v, i);
    if (!at) return 0;
    int b = (int)v.esize;
    uint64_t x = rd(fb, at, b);
    if (is_signed && b < 8 && (x >> (8 * b - 1)) & 1) x |= ~(uint64_t)0 << (8 * b);
    return (int64_t)x;
}

float fb_vec_f32(Fb *fb, FbVec v, uint32_t i)
{
    uint64_t at = elem(fb, v, i);
    return at ? bits_f32((uint32_t)rd(fb, at, 4)) : 0.0f;
}

const uint8_t *fb_vec_bytes(Fb *fb, FbVec v) { return fb_ok(fb) && v.len ? fb->p + v.pos : NULL; }
