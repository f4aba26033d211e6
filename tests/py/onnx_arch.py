"""Architectures as users export them, at MCU input sizes, for the
onnxruntime oracle tests (tests/py/test_onnx_arch.py): layer-spec lists in
the language of onnx_models.float_model, quantized by onnxruntime's
quantize_static in the VARIANTS below.

To add an architecture, write a function returning (specs, input NCHW shape)
and list it in ARCHS; every test then runs it in every variant. Blocks that
several architectures share (inverted residual, depthwise-separable,
residual) are functions returning spec lists.
"""
P0 = (0, 0, 0, 0)
P1 = (1, 1, 1, 1)


def residual_block(cin, cout, stride, tag):
    """ResNet basic block: conv3x3-relu-conv3x3 + skip (a 1x1 conv with
    stride when the shape changes), relu after the add."""
    specs = [("save", tag + "_in"), ("conv", cout, 3, stride, P1, 1), ("relu",),
             ("conv", cout, 3, 1, P1, 1), ("save", tag + "_main")]
    if stride != 1 or cin != cout:
        specs += [("load", tag + "_in"), ("conv", cout, 1, stride, P0, 1), ("add", tag + "_main")]
    else:
        specs += [("add", tag + "_in")]
    return specs + [("relu",)]


def resnet_like():
    """ResNet-8 as MLPerf Tiny's image classification (32x32x3, three stages
    of residual blocks, global average pooling, FC)."""
    specs = [("conv", 16, 3, 1, P1, 1), ("relu",)]
    specs += residual_block(16, 16, 1, "b1")
    specs += residual_block(16, 32, 2, "b2")
    specs += residual_block(32, 32, 1, "b3")
    specs += [("gap",), ("flatten",), ("gemm", 10)]
    return specs, (1, 3, 32, 32)


def inverted_residual(cin, cout, stride, expand, tag):
    """MobileNetV2 block: 1x1 expand + ReLU6, 3x3 depthwise + ReLU6, 1x1
    linear projection, residual add when stride 1 and cin == cout."""
    hidden = cin * expand
    specs = [("save", tag)]
    if expand != 1:
        specs += [("conv", hidden, 1, 1, P0, 1), ("clip", 0, 6)]
    specs += [("conv", hidden, 3, stride, P1, hidden), ("clip", 0, 6),
              ("conv", cout, 1, 1, P0, 1)]
    if stride == 1 and cin == cout:
        specs += [("add", tag)]
    return specs


def mobilenet_v2_like():
    """MobileNetV2 at width 0.35 and 48x48 input, shortened: the stem, one
    block of each kind (expand 1, stride 2, stride 1 with residual), the
    1x1 head, pooling and the classifier."""
    specs = [("conv", 16, 3, 2, (0, 0, 1, 1), 1), ("clip", 0, 6)]
    specs += inverted_residual(16, 8, 1, 1, "m1")
    specs += inverted_residual(8, 16, 2, 6, "m2")
    specs += inverted_residual(16, 16, 1, 6, "m3")
    specs += inverted_residual(16, 24, 2, 6, "m4")
    specs += inverted_residual(24, 24, 1, 6, "m5")
    specs += [("conv", 64, 1, 1, P0, 1), ("clip", 0, 6), ("gap",), ("flatten",), ("gemm", 10)]
    return specs, (1, 3, 48, 48)


def ds_block(c, tag):
    """Depthwise-separable block: 3x3 depthwise + ReLU, 1x1 + ReLU."""
    return [("conv", c, 3, 1, P1, c), ("relu",), ("conv", c, 1, 1, P0, 1), ("relu",)]


def ds_cnn_like():
    """DS-CNN keyword spotting as MLPerf Tiny's (49x10 MFCC input, a 10x4
    stride-2 stem, depthwise-separable blocks, average pooling, FC)."""
    specs = [("conv", 32, (10, 4), 2, (4, 1, 5, 1), 1), ("relu",)]
    for i in range(3):
        specs += ds_block(32, f"d{i}")
    specs += [("gap",), ("flatten",), ("gemm", 12)]
    return specs, (1, 1, 49, 10)


ARCHS = {
    "resnet8": resnet_like,
    "mobilenetv2": mobilenet_v2_like,
    "dscnn": ds_cnn_like,
}

# name: (format, quantize options); onnxruntime's quantize_static variants
VARIANTS = {
    "qdq_pt_u8": ("qdq", {}),
    "qdq_pc_u8": ("qdq", {"per_channel": True}),
    "qdq_pt_s8": ("qdq", {"act": "s8"}),
    "qdq_pc_s8": ("qdq", {"per_channel": True, "act": "s8"}),
    "qop_pc_u8": ("qop", {"per_channel": True}),
}
