/* elide.c: middle elision of names for fixed-width table columns, with
 * every elided form distinct from every other printed form where a split
 * of head and tail allows it (elide.h). Strings only.
 */
#include "elide.h"

#include <string.h>

/* name with its middle replaced by ELIDE_MARK: `head` bytes, the mark, and
 * the tail that completes `width` bytes. */
static void elide_one(const char *name, int width, int head, char *dst)
{
    size_t len = strlen(name), mark = strlen(ELIDE_MARK);
    if (len <= (size_t)width) {
        memcpy(dst, name, len + 1);
        return;
    }
    size_t tail = (size_t)width - mark - (size_t)head;
    memcpy(dst, name, (size_t)head);
    memcpy(dst + head, ELIDE_MARK, mark);
    memcpy(dst + head + mark, name + len - tail, tail);
    dst[width] = '\0';
}

/* Index of another row printed as row i is, or -1. */
static int clash(const char *out, int n, int width, int i)
{
    const char *s = out + (size_t)i * (size_t)(width + 1);
    for (int j = 0; j < n; j++)
        if (j != i && !strcmp(s, out + (size_t)j * (size_t)(width + 1))) return j;
    return -1;
}

/* The split of head and tail tried k-th for a column of `width`: a third of
 * the visible bytes first, then ever further from it on both sides. */
static int split_at(int width, int k)
{
    int vis = width - (int)strlen(ELIDE_MARK), h0 = vis / 3;
    int h = h0 + (k % 2 ? (k + 1) / 2 : -(k / 2));
    return h >= 0 && h <= vis ? h : -1;
}

int elide_names(const char *const *names, int n, int width, char *out)
{
    size_t stride = (size_t)width + 1;
    for (int i = 0; i < n; i++) elide_one(names[i], width, split_at(width, 0), out + i * stride);
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) <= (size_t)width) continue;
        for (int k = 1; clash(out, n, width, i) >= 0 && k <= 2 * width; k++) {
            int h = split_at(width, k);
            if (h >= 0) elide_one(names[i], width, h, out + i * stride);
        }
        if (clash(out, n, width, i) >= 0)
            elide_one(names[i], width, split_at(width, 0), out + i * stride);
    }
    int left = 0;
    for (int i = 0; i < n; i++) left += clash(out, n, width, i) >= 0;
    return left;
}
