/* print.h: human-readable summaries of a graph (dory inspect). */
#ifndef DORY_IR_PRINT_H
#define DORY_IR_PRINT_H

#include <stdio.h>

#include "ir.h"

/* One line per layer: op, input and output shapes, MACs, parameter bytes,
 * requant scheme and arithmetic width, plus totals. */
void ir_print_summary(FILE *f, const Graph *g);

/* The layer names of g as a table column of `width` bytes prints them
 * (util/elide.h: whole, or elided in the middle so that no row reads as
 * another layer's name). Arrays in `a`; -1 when out of memory. */
typedef struct NameColumn {
    char *text;     /* g->nnodes forms of width + 1 bytes */
    char *amb;      /* per row: 1 if no form of `width` bytes is unambiguous */
    int nambiguous; /* rows flagged */
    int width;
} NameColumn;
int ir_name_column(const Graph *g, int width, Arena *a, NameColumn *c);
const char *ir_name_at(const NameColumn *c, int i);
/* After a table: the full names of the rows flagged ambiguous, if any. */
void ir_print_full_names(FILE *f, const Graph *g, const NameColumn *c);

#endif
