/* elide.h: names that fit a table column without becoming ambiguous.
 *
 * A name longer than its column keeps its head and tail and loses its middle
 * ("/features/fe..conv.0/Conv"); where two names of one table would print the
 * same, the split moves until they differ. Only formats strings; it knows
 * nothing of graphs or tables.
 */
#ifndef DORY_ELIDE_H
#define DORY_ELIDE_H

#include <stddef.h>

/* The elision mark inside an elided name. */
#define ELIDE_MARK ".."

/* Writes, for each of the n names, a form of at most `width` bytes into
 * out + i * (width + 1) (NUL-terminated; out holds n * (width + 1) bytes).
 * Names that fit are copied whole; the others lose their middle. Returns how
 * many printed forms remain equal to another one (0: the column is
 * unambiguous; otherwise the caller prints the full names of those rows).
 * width >= 8. */
int elide_names(const char *const *names, int n, int width, char *out);

#endif
