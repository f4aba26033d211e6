/* frontend.h: model loading. One file per format in src/frontend/; each
 * detects its files and lowers them to the IR. Only frontends know file
 * formats; nothing after them knows which one ran.
 */
#ifndef DORY_FRONTEND_H
#define DORY_FRONTEND_H

#include "ir/ir.h"

typedef struct FrontendOptions {
    const char *format;       /* "ir", "onnx", ...; NULL = detect */
    const char *dialect;      /* format-specific (e.g. ONNX: qdq, qop, nemo, quantlab) */
    const char *tflite_arith; /* TFLite: "tflm" (default) or "litert" */
} FrontendOptions;

typedef struct Frontend {
    const char *name;
    const char *description;
    /* 1 if this frontend recognises the file (by content, then extension). */
    int (*sniff)(const char *path, const unsigned char *head, size_t len);
    Graph *(*load)(const char *path, const FrontendOptions *opt);
} Frontend;

/* A format's loader from the bytes of a file. */
typedef Graph *(*FrontendBufferFn)(const char *path, const unsigned char *buf, size_t len,
                                   const FrontendOptions *opt);
/* Reads the file (util_read_file) and calls fn on its bytes. */
Graph *frontend_load_file(const char *path, const FrontendOptions *opt, FrontendBufferFn fn);

/* Loads a model with the matching frontend; NULL with diagnostics on error. */
Graph *frontend_load(const char *path, const FrontendOptions *opt);
/* The table of frontends, NULL-terminated (for --help). */
const Frontend *const *frontend_list(void);

#endif
