/* print.h: human-readable summaries of a graph (dory inspect). */
#ifndef DORY_IR_PRINT_H
#define DORY_IR_PRINT_H

#include <stdio.h>

#include "ir.h"

/* One line per layer: op, input and output shapes, MACs, parameter bytes,
 * requant scheme and arithmetic width, plus totals. */
void ir_print_summary(FILE *f, const Graph *g);

#endif
