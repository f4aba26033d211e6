/* fuzz_tensorio.c: libFuzzer target over the tensor readers (.npy, raw, text).
 * The first input byte picks the format and the tensor (dtype, shape, source
 * layout); the rest is the file. Any input must give 0 or a diagnostic. */
#include <stdlib.h>
#include <string.h>

#include "ir/tensorio.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1) return 0;
    static const DType dts[4] = {DT_I8, DT_U8, DT_I32, DT_U4};
    Tensor t;
    memset(&t, 0, sizeof t);
    t.name = "x";
    t.dtype = dts[data[0] & 3];
    t.rank = 4;
    t.shape[0] = 1;
    t.shape[1] = 1 + ((data[0] >> 4) & 3);
    t.shape[2] = 2;
    t.shape[3] = 1 + ((data[0] >> 6) & 3);
    if (data[0] & 8) {
        t.src_layout = SRC_CHW;
        t.src_rank = 4;
        int64_t s[4] = {1, t.shape[3], t.shape[1], t.shape[2]};
        memcpy(t.src_shape, s, sizeof s);
    }
    TensorFormat fmt = (TensorFormat)(1 + (data[0] >> 2) % 3);
    int32_t hwc[64];
    diag_set_quiet(1);
    tensor_read_mem("fuzz", data + 1, size - 1, fmt, &t, hwc);
    diag_reset();
    return 0;
}
