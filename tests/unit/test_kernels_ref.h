/* test_kernels_ref.h: straightforward reference loops for the kernel
 * library's parameter structs: the interpreter's arithmetic (src/ir/interp.c,
 * src/ir/quant.c) written once more in portable C99 so that it also runs on
 * bare-metal RISC-V (QEMU tests, benchmark baseline). The host unit tests
 * check it bit-exactly against interp_node(), then the QEMU tests trust it.
 *
 * Full tensors only (honours the border flags like the kernels); no speed
 * tricks; must not call the kernel library's own arithmetic.
 */
#ifndef DORY_TEST_KERNELS_REF_H
#define DORY_TEST_KERNELS_REF_H

#include <stdint.h>

#include "dory_kernels.h"

/* If acc is non-NULL, the raw accumulators (before requant) are stored there
 * instead of writing y (used to choose requant constants in tests). y is of
 * the output type (int32 elements for DORY_I32). */
void kref_conv(const dory_conv_params_t *p, int depthwise, const dory_dims_t *in, const void *x,
               const int8_t *w, const int32_t *bias, const dory_dims_t *out, void *y, int32_t *acc);
void kref_fc(const dory_fc_params_t *p, int k, const void *x, const int8_t *w, const int32_t *bias,
             int n, void *y, int32_t *acc);
void kref_pool(const dory_pool_params_t *p, int is_max, const dory_dims_t *in, const void *x,
               const dory_dims_t *out, void *y, int32_t *acc);
void kref_add(const dory_add_params_t *p, const dory_dims_t *d, const void *a, const void *b,
              void *y, int32_t *acc);
/* y = clamp(rq(x - zx) + zy, lo, hi) on a dense tile (the IR's requant op). */
void kref_requant(const dory_eltwise_params_t *p, const dory_dims_t *d, const void *x, void *y,
                  int32_t *acc);

#endif
