/* verify.c: placeholder. */
#include "verify.h"
int ir_verify(Graph *g) { (void)g; return 0; }
void verify_input_range(const Graph *g, int tensor, int64_t *lo, int64_t *hi) { (void)g; (void)tensor; *lo = -128; *hi = 127; }
