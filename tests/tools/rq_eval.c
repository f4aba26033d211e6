/* rq_eval.c: evaluates requantization cases with the reference implementation
 * (src/ir/quant.c) for tests/py/test_requant.py, which checks every answer
 * against an arbitrary-precision Python implementation.
 *
 * stdin, one case per line, stdout one integer per line:
 *   shift K L D ACC        (k*acc + l) >> d
 *   fixed MULT SHIFT PRE ACC
 *   fixed_sr MULT SHIFT ACC
 *   float SCALE_BITS ACC   SCALE_BITS: the fp32 scale's bit pattern, hex
 *   f32int SCALE_BITS ACC  the same by the kernels' F32INT (dory__f32int_fast:
 *                          the inline fast path, else the full emulation)
 *   srdhm A B
 *   rdiv X E
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dory_internal.h"
#include "ir/quant.h"

static int eval_line(const char *line, long long *out)
{
    char op[16];
    long long a, b, c, d;
    unsigned bits;
    if (sscanf(line, "%15s", op) != 1) return -1;
    RqChan r;
    memset(&r, 0, sizeof r);
    if (!strcmp(op, "shift") && sscanf(line, "%*s %lld %lld %lld %lld", &a, &b, &c, &d) == 4) {
        r.scheme = RQ_SHIFT, r.k = a, r.l = b, r.d = (int)c;
        *out = rq_apply(&r, d);
    } else if (!strcmp(op, "fixed") &&
               sscanf(line, "%*s %lld %lld %lld %lld", &a, &b, &c, &d) == 4) {
        r.scheme = RQ_FIXED, r.mult = (int32_t)a, r.shift = (int32_t)b, r.pre = (int)c;
        *out = rq_apply(&r, d);
    } else if (!strcmp(op, "fixed_sr") && sscanf(line, "%*s %lld %lld %lld", &a, &b, &c) == 3) {
        r.scheme = RQ_FIXED_SR, r.mult = (int32_t)a, r.shift = (int32_t)b;
        *out = rq_apply(&r, c);
    } else if (!strcmp(op, "float") && sscanf(line, "%*s %x %lld", &bits, &a) == 2) {
        float s;
        memcpy(&s, &bits, sizeof s);
        r.scheme = RQ_FLOAT, r.scale = s;
        *out = rq_apply(&r, a);
    } else if (!strcmp(op, "f32int") && sscanf(line, "%*s %x %lld", &bits, &a) == 2) {
        float s;
        memcpy(&s, &bits, sizeof s);
        *out = dory__f32int_fast((int32_t)a, &s);
    } else if (!strcmp(op, "srdhm") && sscanf(line, "%*s %lld %lld", &a, &b) == 2) {
        *out = q_srdhm((int32_t)a, (int32_t)b);
    } else if (!strcmp(op, "rdiv") && sscanf(line, "%*s %lld %lld", &a, &b) == 2) {
        *out = q_rdiv_pot((int32_t)a, (int)b);
    } else {
        return -1;
    }
    return 0;
}

int main(void)
{
    char line[256];
    long n = 0;
    while (fgets(line, sizeof line, stdin)) {
        long long v;
        n++;
        if (eval_line(line, &v)) {
            fprintf(stderr, "rq_eval: line %ld: cannot parse '%s'\n", n, line);
            return 2;
        }
        printf("%lld\n", v);
    }
    return 0;
}
