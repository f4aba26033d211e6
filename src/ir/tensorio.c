/* tensorio.c: placeholder. */
#include "tensorio.h"
int tensor_format_from_name(const char *name, TensorFormat *out) { (void)name; (void)out; return -1; }
TensorFormat tensor_format_for_path(const char *path) { (void)path; return TIO_NPY; }
int tensor_read_file(const char *path, TensorFormat fmt, const Tensor *t, int32_t *hwc) { (void)path; (void)fmt; (void)t; (void)hwc; return -1; }
int tensor_write_file(const char *path, TensorFormat fmt, const Tensor *t, const int32_t *hwc) { (void)path; (void)fmt; (void)t; (void)hwc; return -1; }
void tensor_hwc_to_src(const Tensor *t, const int32_t *hwc, int32_t *src) { (void)t; (void)hwc; (void)src; }
void tensor_src_to_hwc(const Tensor *t, const int32_t *src, int32_t *hwc) { (void)t; (void)hwc; (void)src; }
