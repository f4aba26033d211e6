/* dory_test.h: what the verifying harness of a generated application knows
 * of its golden data (test/data.c, written by dory from the reference
 * interpreter). Part of the harness only: the network library (src/,
 * weights/, kernels/, runtime/) never includes it. C99.
 */
#ifndef DORY_TEST_H
#define DORY_TEST_H

#include <stddef.h>
#include <stdint.h>

/* A layer's expected output: checked or not, its FNV-1a checksum, and the
 * bytes themselves when the application was generated with them. */
typedef struct dory_golden {
    int check;
    uint32_t sum;
    const uint8_t *bytes; /* the whole tensor, or NULL: checksum only */
} dory_golden_t;

/* The input the golden data was computed from (DORY_INPUT_BYTES) and one
 * entry per layer (DORY_LAYERS). */
extern const uint8_t dory_test_input[];
extern const dory_golden_t dory_golden[];

#endif
