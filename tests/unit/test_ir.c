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
