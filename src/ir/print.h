/* print.h: human-readable summaries of a graph (dory inspect). */
#ifndef DORY_IR_PRINT_H
#define DORY_IR_PRINT_H

#include <stdio.h>

#include "ir.h"

/* One line per layer: op, input and output shapes, MACs, parameter bytes,
 * requant scheme and arithmetic width, plus totals. */
void ir_print_summary(FILE *f, const Graph *g);

/* The layer names of g as a table column of `width` bytes prints them
 * (util/elide.h: whole, or elided in the middle so that no two rows read
 * alike): g->nnodes strings of width + 1 bytes in `a`, NULL when out of
 * memory. *ambiguous: how many rows still read alike. */
char *ir_table_names(const Graph *g, int width, Arena *a, int *ambiguous);
/* When rows read alike: the full names of the elided rows, after a table. */
void ir_print_full_names(FILE *f, const Graph *g, int width, int ambiguous);

#endif
