/* verify.h: the IR verifier: shapes, dtypes, zero points, ranges, and the
 * overflow rule of the integer contract.
 *
 * For every node with arithmetic it bounds, per output channel, the
 * accumulator and the requant product from the input range (the producer's
 * clamp or the dtype range), the actual weights and the kernel size; it sets
 * Node.arith to the narrowest width (32 or 64 bit) that provably cannot
 * overflow, and rejects the node, naming it, when even 64 bits could.
 * It does not change anything else in the graph.
 */
#ifndef DORY_IR_VERIFY_H
#define DORY_IR_VERIFY_H

#include "ir.h"

/* 0 if the graph is valid; -1 with one diagnostic per problem otherwise. */
int ir_verify(Graph *g);

/* Range a node's input activation can take (integer units, zero point
 * included): the producer's clamp if any, else the dtype range. */
void verify_input_range(const Graph *g, int tensor, int64_t *lo, int64_t *hi);

#endif
