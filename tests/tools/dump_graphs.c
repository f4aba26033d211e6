/* dump_graphs.c: writes every graph of tests/unit/graphs.c as DIR/NAME.dory,
 * so the end-to-end tests (pytest) can deploy the same graphs the unit tests
 * use. usage: dump_graphs DIR */
#include <stdio.h>

#include "../unit/graphs.h"
#include "ir/text.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dump_graphs DIR\n");
        return 2;
    }
    for (int i = 0; i < test_graph_count(); i++) {
        const char *name;
        Graph *g = test_graph_build(i, &name);
        if (!g) return 1;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.dory", argv[1], name);
        FILE *f = fopen(path, "w");
        if (!f || ir_write_text(f, g, NULL) || fclose(f)) {
            fprintf(stderr, "dump_graphs: cannot write %s\n", path);
            return 1;
        }
        graph_free(g);
    }
    return 0;
}
