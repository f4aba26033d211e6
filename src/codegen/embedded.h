/* embedded.h: the kernel library and runtime sources, embedded into the dory
 * binary at build time (tools/embed.c) so generated applications get exactly
 * the files this dory was built with. */
#ifndef DORY_EMBEDDED_H
#define DORY_EMBEDDED_H

#include <stddef.h>

typedef struct EmbeddedFile {
    const char *path; /* relative to the project root, e.g. "kernels/dory_fc_s8.c" */
    const char *data;
    size_t size;
} EmbeddedFile;

/* NULL-path terminated. */
extern const EmbeddedFile embedded_files[];

#endif
