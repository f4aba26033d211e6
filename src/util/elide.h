/* elide.h: names that fit a table column without becoming ambiguous.
 *
 * A name longer than its column keeps its head and tail and loses its middle
 * ("/features/fe..conv.0/Conv"); where another name of the same column would
 * read the same (same head, same tail), the split moves until none does.
 * Only formats strings; it knows nothing of graphs or tables.
 */
#ifndef DORY_ELIDE_H
#define DORY_ELIDE_H

#include <stddef.h>

/* The elision mark inside an elided name. */
#define ELIDE_MARK ".."

/* Writes, for each of the n names, a form of at most `width` bytes into
 * out + i * (width + 1) (NUL-terminated; out holds n * (width + 1) bytes).
 * Names that fit are copied whole; the others keep a head and a tail chosen
 * so that no other name of the column starts with that head and ends with
 * that tail, or else also a window of the middle that no such name has
 * there ("/fe..s.3/..conv.0/Conv"). Where none exists, amb[i] is set (amb: n flags, or NULL) and
 * the caller prints that row's full name after the table. Returns how many
 * rows are so flagged. width >= 8. */
int elide_names(const char *const *names, int n, int width, char *out, char *amb);

#endif
