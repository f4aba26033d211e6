"""DORY's own networks (../shared/models/dory): every layer bit-exact.

Each network folder holds the integer ONNX model (NEMO or QuantLab dialect),
input.txt and out_layerN.txt, the golden output of DORY's N-th layer. The test
runs `dory run --dump` and compares every dumped layer with its golden file.

Mapping rule: DORY fuses conv/FC + BN + ReLU/requant (and QAdd, pooling) into
one layer; dory's lowering produces exactly one compute node per such layer,
in the ONNX order, so dump k (file NNN_*.npy in node order) is out_layer<k>.
Flatten/Reshape produce no node, and the float tail (LogSoftmax, Sigmoid,
Gather, ...) is not deployed, as in DORY.

Golden layout: the files are HWC-flattened (channels last), except dscnn_test
whose conv layers are written CHW (NCHW-flattened) although the header says
[1, 25, 5, 64]; the table below records it per network. dory dumps in ONNX's
NCHW layout, so the test transposes. input.txt is channels-last.
"""
import pathlib
import re

import numpy as np
import onnx
import pytest

from conftest import require_shared

NETS = [
    # folder, golden layout of the layer outputs
    ("dscnn_test", "chw"),
    ("Residual_connection_test_1", "hwc"),
    ("PenguiNet_32", "hwc"),
    ("eegnet_1d_8b_1xW", "hwc"),
    ("Quantlab_Dronet", "hwc"),
]


def read_golden(path):
    text = pathlib.Path(path).read_text()
    header, _, body = text.partition("\n")
    shape = [int(v) for v in re.search(r"shape \[([^\]]*)\]", header).group(1).split(",")]
    vals = np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", body)])
    assert np.all(vals == np.round(vals)), f"{path}: non-integer golden values"
    return shape, vals.astype(np.int64)


def model_input_shape(model_path):
    m = onnx.load(str(model_path), load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    inp = [i for i in m.graph.input if i.name not in inits][0]
    return [d.dim_value for d in inp.type.tensor_type.shape.dim]


def to_golden_layout(arr, layout):
    """dory's NCHW (or [1, N]) dump -> flat array in the golden's layout."""
    if arr.ndim == 4 and layout == "hwc":
        arr = arr.transpose(0, 2, 3, 1)
    elif arr.ndim == 3 and layout == "hwc":
        arr = arr.transpose(0, 2, 1)
    return arr.reshape(-1).astype(np.int64)


@pytest.mark.parametrize("net,layout", NETS, ids=[n for n, _ in NETS])
def test_dory_network_bit_exact(net, layout, shared_models, dory, run_dory, tmp_path):
    folder = require_shared(shared_models / "dory" / net)
    model = sorted(folder.glob("*.onnx"))[0]
    shape = model_input_shape(model)
    n, c = shape[0], shape[1]
    h, w = (shape[2], shape[3]) if len(shape) == 4 else (1, shape[2])
    _, ivals = read_golden(folder / "input.txt")
    assert ivals.size == c * h * w
    x = ivals.reshape(h, w, c).transpose(2, 0, 1).reshape(shape)
    np.save(tmp_path / "in.npy", np.ascontiguousarray(x.astype(np.uint8)))
    dump = tmp_path / "dump"
    run_dory(dory, "run", model, "--input", tmp_path / "in.npy", "--dump", dump,
             "-o", tmp_path / "out.npy")
    dumps = sorted(dump.glob("*.npy"))
    goldens = sorted(folder.glob("out_layer*.txt"),
                     key=lambda p: int(re.search(r"(\d+)\.txt$", p.name).group(1)))
    assert len(dumps) == len(goldens), (
        f"{net}: dory has {len(dumps)} layers, DORY {len(goldens)}: "
        f"{[d.name for d in dumps]}")
    bad = []
    for k, (d, g) in enumerate(zip(dumps, goldens)):
        _, gv = read_golden(g)
        got = to_golden_layout(np.load(d), layout)
        if got.size != gv.size:
            bad.append(f"layer {k} ({d.name}): {got.size} values, golden {gv.size}")
        elif not np.array_equal(got, gv):
            diff = int(np.count_nonzero(got != gv))
            bad.append(f"layer {k} ({d.name}): {diff} of {gv.size} values differ "
                       f"(max |diff| {int(np.abs(got - gv).max())})")
    assert not bad, f"{net}:\n" + "\n".join(bad)


@pytest.mark.parametrize("net", [n for n, _ in NETS])
def test_dory_network_inspect(net, shared_models, dory, run_dory):
    folder = require_shared(shared_models / "dory" / net)
    model = sorted(folder.glob("*.onnx"))[0]
    out = run_dory(dory, "inspect", model).stdout
    ngold = len(list(folder.glob("out_layer*.txt")))
    m = re.search(r"^total: (\d+) layers,", out, re.M)
    assert m and int(m.group(1)) == ngold, f"DORY has {ngold} layers:\n{out}"
