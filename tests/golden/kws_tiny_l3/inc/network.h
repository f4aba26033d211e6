/* network.h: the deployed network 'kws_tiny' (dory 0.1.0, target gap8).
 *
 * Call dory_network_init() once, then dory_network_run() per inference on
 * your own buffers. Tensors are HWC; several inputs (outputs) are
 * concatenated in the order below. Every call returns 0 or a negative error
 * code; nothing here exits or prints. */
#ifndef DORY_NETWORK_H
#define DORY_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#define DORY_INPUT_BYTES 490
#define DORY_NUM_INPUTS 1
/* INPUT 0: 'input', u8, HWC 49x10x1, zero point 0 */
typedef uint8_t dory_input_t; /* element type */

#define DORY_OUTPUT_BYTES 12
#define DORY_NUM_OUTPUTS 1
/* OUTPUT 0: 'logits', i8, HWC 1x1x12, zero point 0 */
typedef int8_t dory_output_t; /* element type */

/* Memory the network needs (bytes): L1 for tiles, the L2 arena for
 * activations and staging, the resident weights the image holds in L2
 * (const data), and L3. */
#define DORY_L1_BYTES 3000
#define DORY_L2_BYTES 8848
#define DORY_L2_IMAGE_BYTES 0
#define DORY_L3_BYTES 8388608
#define DORY_CORES 8
#define DORY_LAYERS 7

/* Error codes (kernel errors are passed on as they are). */
#define DORY_NET_OK 0
#define DORY_NET_ERR_HAL (-100)      /* the HAL could not start */
#define DORY_NET_ERR_L3_IMAGE (-101) /* L3 weights could not be loaded */
#define DORY_NET_ERR_CORES (-102)    /* core count outside 1..DORY_CORES */
#define DORY_NET_ERR_STATE (-103)    /* not initialised */

/* Starts the HAL on DORY_CORES cores and loads the L3 weights. */
int dory_network_init(void);
/* The same on `cores` cores (1..DORY_CORES): results are identical. */
int dory_network_init_cores(int cores);
/* One inference: DORY_INPUT_BYTES from `input`, DORY_OUTPUT_BYTES to `output`. */
int dory_network_run(const void *input, void *output);
void dory_network_deinit(void);
/* What an error code means. */
const char *dory_network_strerror(int code);

/* Called after layer i (0..DORY_LAYERS-1) with the time it took, in the
 * HAL's unit (cycles, instructions or ns): for profiling and checks. */
typedef void (*dory_layer_hook_t)(int layer, uint64_t elapsed, void *user);
void dory_network_set_hook(dory_layer_hook_t hook, void *user);

#endif
