/* elide.c: middle elision of names for fixed-width table columns (elide.h).
 * A printed form head..tail is unambiguous when no other name of the column
 * starts with its head and ends with its tail; the split moves until that
 * holds, and where no split does, a window of the middle is kept between two
 * marks (head..window..tail). Strings only.
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

/* 1 if a reader of `form` (head, then middle parts, then tail, between
 * marks) could take it for `name`: the form as read, not as written, so a
 * name holding the mark itself is judged as it will look. */
static int reads_as(const char *form, const char *name)
{
    size_t mk = strlen(ELIDE_MARK), len = strlen(name);
    const char *mark = strstr(form, ELIDE_MARK), *last = mark, *p;
    if (!mark) return !strcmp(form, name);
    while ((p = strstr(last + mk, ELIDE_MARK))) last = p;
    size_t head = (size_t)(mark - form), tail = strlen(last + mk);
    if (len < head + tail || strncmp(name, form, head) || strcmp(name + len - tail, last + mk))
        return 0;
    size_t pos = head, end = len - tail;
    for (const char *s = mark + mk; s < last;) { /* leftmost match of each middle part */
        const char *e = strstr(s, ELIDE_MARK);
        size_t m = (size_t)(e - s), q = pos;
        while (q + m <= end && strncmp(name + q, s, m)) q++;
        if (q + m > end) return 0;
        pos = q + m;
        s = e + mk;
    }
    return 1;
}

/* 1 if `form` reads as names[i] and as no other name of the column. */
static int reads_only_as(const char *form, const char *const *names, int n, int i)
{
    if (!reads_as(form, names[i])) return 0;
    for (int j = 0; j < n; j++)
        if (j != i && strcmp(names[j], names[i]) && reads_as(form, names[j])) return 0;
    return 1;
}

/* 1 if `other` reads as the form `head` bytes of name, mark, `tail` bytes. */
static int matches(const char *other, const char *name, size_t head, size_t tail)
{
    size_t lo = strlen(other), ln = strlen(name);
    return lo >= head + tail && !strncmp(other, name, head) &&
           !strcmp(other + lo - tail, name + ln - tail);
}

/* 1 if names[i] (longer than `width`), split after `head` bytes, could be
 * read as another name: the quick test before reads_only_as(). */
static int ambiguous(const char *const *names, int n, int width, int i, int head)
{
    size_t tail = (size_t)width - strlen(ELIDE_MARK) - (size_t)head;
    for (int j = 0; j < n; j++)
        if (j != i && matches(names[j], names[i], (size_t)head, tail)) return 1;
    return 0;
}

/* 1 if splitting `name` after `head` bytes keeps '.' away from the mark
 * (no "a...b" that reads as the mark plus a dot of the name). */
static int clean_cut(const char *name, int width, int head)
{
    size_t len = strlen(name), tail = (size_t)width - strlen(ELIDE_MARK) - (size_t)head;
    if (len <= (size_t)width) return 1;
    return (head == 0 || name[head - 1] != '.') && (tail == 0 || name[len - tail] != '.');
}

/* The split tried k-th for a column of `width`: a third of the visible
 * bytes first, then ever further from it on both sides; -1 if out of range. */
static int split_at(int width, int k)
{
    int vis = width - (int)strlen(ELIDE_MARK), h0 = vis / 3;
    int h = h0 + (k % 2 ? (k + 1) / 2 : -(k / 2));
    return h >= 0 && h <= vis ? h : -1;
}

/* Two marks: head, a window of the middle at `pos`, tail (h + m + t bytes
 * of the name and two marks make `width`). */
static void elide_two(const char *name, size_t h, size_t pos, size_t m, size_t t, char *dst)
{
    size_t k = strlen(ELIDE_MARK), len = strlen(name);
    memcpy(dst, name, h);
    memcpy(dst + h, ELIDE_MARK, k);
    memcpy(dst + h + k, name + pos, m);
    memcpy(dst + h + k + m, ELIDE_MARK, k);
    memcpy(dst + h + 2 * k + m, name + len - t, t);
    dst[h + 2 * k + m + t] = '\0';
}

/* 1 if another name has the head and tail of names[i] and, between them,
 * its window of m bytes at pos. */
static int ambiguous_two(const char *const *names, int n, int i, size_t h, size_t pos, size_t m,
                         size_t t)
{
    const char *s = names[i];
    for (int j = 0; j < n; j++) {
        if (j == i || !matches(names[j], s, h, t)) continue;
        size_t lj = strlen(names[j]);
        for (size_t q = h; q + m + t <= lj; q++)
            if (!strncmp(names[j] + q, s + pos, m)) return 1;
    }
    return 0;
}

/* A two-mark form of names[i] that no other name reads as: the longest tail
 * first, then the shortest window; 0 if there is none. */
static int elide_twice(const char *const *names, int n, int width, int i, char *dst)
{
    size_t len = strlen(names[i]), k = 2 * strlen(ELIDE_MARK);
    if ((size_t)width < k + 8) return 0;
    size_t vis = (size_t)width - k;
    for (size_t t = vis - 4; t >= 3; t--) {
        for (size_t m = 3; m + t + 1 <= vis; m++) {
            size_t h = vis - m - t;
            if (h > 8) continue;
            for (size_t pos = h + 1; pos + m + 1 + t <= len; pos++) {
                if (ambiguous_two(names, n, i, h, pos, m, t)) continue;
                elide_two(names[i], h, pos, m, t, dst);
                if (reads_only_as(dst, names, n, i)) return 1;
            }
        }
    }
    return 0;
}

/* Comparing every long name with every other is quadratic: past this many
 * name pairs (a graph of tens of thousands of long names) the long names are
 * flagged for printing whole instead, so a table never takes minutes. */
#define ELIDE_MAX_PAIRS 20000000.0

int elide_names(const char *const *names, int n, int width, char *out, char *amb)
{
    int left = 0, nlong = 0;
    for (int i = 0; i < n; i++) nlong += strlen(names[i]) > (size_t)width;
    int search = (double)nlong * (double)n <= ELIDE_MAX_PAIRS;
    for (int i = 0; i < n; i++) {
        char *dst = out + (size_t)i * (size_t)(width + 1);
        int ok = 0;
        if (strlen(names[i]) <= (size_t)width) {
            memcpy(dst, names[i], strlen(names[i]) + 1);
            /* without the mark it reads only as itself (and equal names) */
            ok = !strstr(dst, ELIDE_MARK) || reads_only_as(dst, names, n, i);
        } else if (!search) {
            elide_one(names[i], width, split_at(width, 0), dst);
            if (amb) amb[i] = 1;
            left++;
            continue;
        }
        /* one mark: splits that keep '.' away from it first, then any */
        for (int pass = 0; pass < 2 && !ok && strlen(names[i]) > (size_t)width; pass++) {
            for (int k = 0; k <= 2 * width + 2 && !ok; k++) {
                int h = split_at(width, k);
                if (h < 0 || (!pass && !clean_cut(names[i], width, h)) ||
                    ambiguous(names, n, width, i, h))
                    continue;
                elide_one(names[i], width, h, dst);
                ok = reads_only_as(dst, names, n, i);
            }
        }
        if (!ok && strlen(names[i]) > (size_t)width) {
            ok = elide_twice(names, n, width, i, dst);
            if (!ok) elide_one(names[i], width, split_at(width, 0), dst);
        }
        if (amb) amb[i] = (char)!ok;
        left += !ok;
    }
    return left;
}
