/* tensorio.h: reading and writing tensors as .npy (int8, uint8, int32), raw
 * binary (the tensor's dtype, little-endian) and text (one value per line;
 * commas and other whitespace also separate values).
 *
 * Converts between the IR's HWC storage and the source model's layout
 * (Tensor.src_layout) so files compare directly with the framework's tensors.
 */
#ifndef DORY_IR_TENSORIO_H
#define DORY_IR_TENSORIO_H

#include "ir.h"

typedef enum { TIO_AUTO = 0, TIO_NPY, TIO_RAW, TIO_TEXT } TensorFormat;

/* "npy", "raw", "txt"/"text"; -1 if unknown. */
int tensor_format_from_name(const char *name, TensorFormat *out);
/* From the file extension (.npy, .bin/.raw, .txt); TIO_NPY otherwise. */
TensorFormat tensor_format_for_path(const char *path);

/* Reads values for tensor t (source layout in the file) into `hwc` (numel
 * int32, HWC order). Checks element count, dtype range and, for .npy, the
 * dtype and shape. -1 with a diagnostic on error. */
int tensor_read_file(const char *path, TensorFormat fmt, const Tensor *t, int32_t *hwc);
/* The same from memory; `name` names the data in diagnostics. `fmt` must
 * not be TIO_AUTO. */
int tensor_read_mem(const char *name, const unsigned char *bytes, size_t len, TensorFormat fmt,
                    const Tensor *t, int32_t *hwc);
/* 0 with *dt = DT_I8 or DT_U8 if path is a readable .npy of int8 or uint8
 * elements; 1 otherwise (no diagnostic: reading it later says what is wrong). */
int tensor_npy_byte_dtype(const char *path, DType *dt);
/* Writes `hwc` values of t in the source layout. */
int tensor_write_file(const char *path, TensorFormat fmt, const Tensor *t, const int32_t *hwc);

/* Layout conversion between HWC storage and the source layout. */
void tensor_hwc_to_src(const Tensor *t, const int32_t *hwc, int32_t *src);
void tensor_src_to_hwc(const Tensor *t, const int32_t *src, int32_t *hwc);

#endif
