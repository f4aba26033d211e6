/* graphs.h: a library of small hand-built test graphs shared by the unit tests
 * (text form, verifier, interpreter, kernels).
 *
 * Every op and variant appears at least once, with deterministic pseudo-random
 * constants that satisfy the integer contract (no accumulator or requant
 * overflow), u8 and i8 activations, nonzero zero points and every requant
 * scheme. Graphs are finalized but not verified: verifying them is a test.
 * Must not depend on anything but the IR builder.
 */
#ifndef DORY_TEST_GRAPHS_H
#define DORY_TEST_GRAPHS_H

#include <stdint.h>

#include "ir/ir.h"

/* Number of test graphs; indices are stable once published (append only). */
int test_graph_count(void);
/* Builds graph i (0 <= i < count), finalized; *name (may be NULL) gets its
 * name. NULL (with a diagnostic) only if construction failed: a bug. */
Graph *test_graph_build(int i, const char **name);
/* Builds the graph with this name; NULL if there is none. */
Graph *test_graph_by_name(const char *name);

/* xorshift32; *state must be nonzero. The only randomness tests should use. */
uint32_t tg_rand(uint32_t *state);
/* Uniform-ish integer in [lo, hi]. */
int64_t tg_range(uint32_t *state, int64_t lo, int64_t hi);
/* A malloc'd buffer of numel values of graph input i (HWC order), uniform
 * over the input's dtype range, from `seed`; free() it. */
int32_t *tg_random_input(const Graph *g, int i, uint32_t seed);

#endif
