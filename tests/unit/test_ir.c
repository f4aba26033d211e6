/* test_ir.c: tables and graph construction. */
#include "harness.h"
#include "ir/ir.h"

TEST(ir_tables_round_trip_names)
{
    for (int i = 0; i < OP_COUNT; i++) {
        Op op;
        CHECK(op_from_name(op_name((Op)i), &op) == 0 && op == (Op)i);
    }
    for (int i = 0; i < DT_COUNT; i++) {
        DType dt;
        CHECK(dtype_from_name(dtype_name((DType)i), &dt) == 0 && dt == (DType)i);
    }
    CHECK_EQ_I64(dtype_info(DT_I8)->min, -128);
    CHECK_EQ_I64(dtype_info(DT_U4)->max, 15);
    CHECK_EQ_I64(dtype_info(DT_I2)->min, -2);
}

TEST(ir_conv_out_dim)
{
    CHECK_EQ_I64(conv_out_dim(32, 3, 1, 1, 1, 1), 32);
    CHECK_EQ_I64(conv_out_dim(96, 3, 2, 1, 0, 1), 48);
    CHECK_EQ_I64(conv_out_dim(5, 3, 1, 2, 0, 0), 1);
    CHECK_EQ_I64(conv_out_dim(2, 3, 1, 1, 0, 0), -1);
}

TEST(ir_node_kernel_of_conv_comes_from_weights)
{
    Graph *g = graph_new("k");
    int64_t xs[4] = {1, 8, 8, 2}, ws[4] = {4, 5, 3, 2}, ys[4] = {1, 4, 6, 4};
    int x = graph_add_tensor(g, "x", DT_I8, 4, xs);
    int w = graph_add_const(g, "w", DT_I8, 4, ws, NULL);
    int y = graph_add_tensor(g, "y", DT_I8, 4, ys);
    int in[2] = {x, w};
    Node *n = graph_add_node(g, "c", OP_CONV2D, 2, in, y);
    int kh = 0, kw = 0;
    node_kernel(g, n, &kh, &kw);
    CHECK_EQ_I64(kh, 5);
    CHECK_EQ_I64(kw, 3);
    graph_free(g);
}
