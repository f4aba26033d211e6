/* text.h: the IR's text form ("dory IR"), written by the printer and read back
 * exactly by the parser, so graphs can be written by hand before any frontend
 * exists. The grammar is documented in docs/IR.md.
 *
 * Must not interpret or verify: the parser checks syntax and references only;
 * graph_finalize() and the verifier do the rest.
 */
#ifndef DORY_IR_TEXT_H
#define DORY_IR_TEXT_H

#include <stdio.h>

#include "ir.h"

typedef struct TextWriteOptions {
    /* Constants with more elements than this go to a side file (`sidecar`,
     * raw little-endian, referenced as @FILE:OFFSET); 0 = always inline. */
    int64_t inline_limit;
    const char *sidecar_path; /* file to write; NULL: everything inline */
    const char *sidecar_ref;  /* name written in the text, relative to it */
} TextWriteOptions;

/* Writes g as text. -1 on I/O error. */
int ir_write_text(FILE *f, const Graph *g, const TextWriteOptions *opt);
/* Parses a text IR from memory; `path` names it in diagnostics and anchors
 * relative side-file references. NULL (with diagnostics) on error. */
Graph *ir_parse_text(const char *path, const char *text, size_t len);
/* Reads and parses a file. */
Graph *ir_load_text(const char *path);
/* 1 if `bytes` look like dory IR text (starts with the magic line). */
int ir_text_sniff(const unsigned char *bytes, size_t len);

#endif
