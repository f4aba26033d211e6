/* passes.c: the pass pipeline and its verification discipline: the table
 * below is the order; the verifier runs before the first pass and after
 * each (debug, --verify-each) or once at the end. Must not hold a pass. */
#include "passes.h"

#include <string.h>

#include "ir/text.h"
#include "ir/verify.h"

static int want_fixed(const PassOptions *opt) { return opt && opt->requant_fixed; }
static int want_exact(const PassOptions *opt) { return opt && opt->requant_exact; }

static const Pass pass_table[] = {
    {"fold_pad", "fold pad nodes into the convolution or pooling that reads them", pass_fold_pad},
    {"fold_select", "fold channel selections (Split, Slice, shuffle) into the layer reading them",
     pass_fold_select},
    {"dce", "remove nodes whose results no graph output needs", pass_dce},
    {"float_to_fixed", "turn FLOAT requants into FIXED for integer-only MCUs (--requant fixed)",
     pass_float_to_fixed, want_fixed},
    {"float_to_exact",
     "compute FLOAT and QLADD requants in integers, bit-exact, for integer-only MCUs (--requant "
     "exact)",
     pass_float_to_exact, want_exact},
};

const Pass *passes_list(int *count)
{
    *count = (int)DORY_ARRAY_LEN(pass_table);
    return pass_table;
}

int passes_run(Graph *g, const PassOptions *opt)
{
#ifdef DORY_DEBUG
    int each = 1;
#else
    int each = opt && opt->verify_each;
#endif
    if (ir_verify(g)) return -1;
    for (size_t i = 0; i < DORY_ARRAY_LEN(pass_table); i++) {
        const Pass *p = &pass_table[i];
        if (p->when && !p->when(opt)) continue;
        if (p->run(g) || graph_finalize(g)) {
            diag_note("while running pass '%s'", p->name);
            return -1;
        }
        if (each && ir_verify(g)) {
            diag_note("the graph is invalid after pass '%s' (a bug in dory)", p->name);
            return -1;
        }
        if (opt && opt->print_after && strcmp(opt->print_after, p->name) == 0)
            ir_write_text(stdout, g, NULL);
    }
    return each ? 0 : ir_verify(g);
}
