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


HSIGMOID = ("fn", "HardSigmoid", {"alpha": 1 / 6, "beta": 0.5})  # torch's Hardsigmoid


def se_block(c, squeeze, tag, act=("relu",), gate=HSIGMOID):
    """Squeeze-excitation as torchvision's SqueezeExcitation: global average
    pooling, 1x1 conv to `squeeze` channels, act, 1x1 conv back to c, gate,
    then Mul of the block input [1, c, H, W] and the gate [1, c, 1, 1]."""
    return [("save", tag), ("gap",), ("conv", squeeze, 1, 1, P0, 1), act,
            ("conv", c, 1, 1, P0, 1), gate, ("mul", tag)]


def mobilenet_v3_like():
    """MobileNetV3-Small at 48x48, shortened: the HardSwish stem, the
    stride-2 depthwise block with SE, an inverted residual without SE, one
    with SE (5x5 depthwise, HardSwish) and its residual repeat, the 1x1 head
    with HardSwish, pooling and the classifier."""
    hs = ("fn", "HardSwish")
    specs = [("conv", 16, 3, 2, P1, 1), hs]
    specs += [("conv", 16, 3, 2, P1, 16), ("relu",)] + se_block(16, 8, "s1") + [
        ("conv", 16, 1, 1, P0, 1)]
    specs += [("conv", 72, 1, 1, P0, 1), ("relu",), ("conv", 72, 3, 2, P1, 72), ("relu",),
              ("conv", 24, 1, 1, P0, 1)]
    specs += [("save", "r"), ("conv", 96, 1, 1, P0, 1), hs, ("conv", 96, 5, 1, (2, 2, 2, 2), 96),
              hs] + se_block(96, 24, "s2") + [("conv", 24, 1, 1, P0, 1), ("add", "r")]
    specs += [("conv", 96, 1, 1, P0, 1), hs, ("gap",), ("flatten",), ("gemm", 10)]
    return specs, (1, 3, 48, 48)


def mbconv(cin, cout, k, stride, expand, tag):
    """EfficientNet's MBConv: 1x1 expand + SiLU (none for expand 1), k x k
    depthwise + SiLU, SE to cin/4 channels (SiLU, Sigmoid gate), 1x1
    projection, residual Add when stride 1 and cin == cout."""
    hidden = cin * expand
    specs = [("save", tag + "_in")]
    if expand != 1:
        specs += [("conv", hidden, 1, 1, P0, 1), ("silu",)]
    specs += [("conv", hidden, k, stride, (k // 2,) * 4, hidden), ("silu",)]
    specs += se_block(hidden, max(1, cin // 4), tag, ("silu",), ("fn", "Sigmoid"))
    specs += [("conv", cout, 1, 1, P0, 1)]
    if stride == 1 and cin == cout:
        specs += [("add", tag + "_in")]
    return specs


def efficientnet_b0_like():
    """EfficientNet-B0 at 32x32, width 0.5, shortened: the SiLU stem, the
    first block of each of the first four stages (MBConv1 k3, MBConv6 k3 s2,
    MBConv6 k5 s2, MBConv6 k3 s2) and a residual repeat, the 1x1 head with
    SiLU, pooling and the classifier."""
    specs = [("conv", 16, 3, 2, P1, 1), ("silu",)]
    specs += mbconv(16, 8, 3, 1, 1, "e1")
    specs += mbconv(8, 12, 3, 2, 6, "e2")
    specs += mbconv(12, 20, 5, 2, 6, "e3")
    specs += mbconv(20, 20, 5, 1, 6, "e4")
    specs += mbconv(20, 40, 3, 2, 6, "e5")
    specs += [("conv", 64, 1, 1, P0, 1), ("silu",), ("gap",), ("flatten",), ("gemm", 10)]
    return specs, (1, 3, 32, 32)


ARCHS = {
    "resnet8": resnet_like,
    "mobilenetv2": mobilenet_v2_like,
    "dscnn": ds_cnn_like,
    "mobilenetv3": mobilenet_v3_like,
    "efficientnetb0": efficientnet_b0_like,
}

# name: (format, quantize options); onnxruntime's quantize_static variants
VARIANTS = {
    "qdq_pt_u8": ("qdq", {}),
    "qdq_pc_u8": ("qdq", {"per_channel": True}),
    "qdq_pt_s8": ("qdq", {"act": "s8"}),
    "qdq_pc_s8": ("qdq", {"per_channel": True, "act": "s8"}),
    "qop_pc_u8": ("qop", {"per_channel": True}),
}
