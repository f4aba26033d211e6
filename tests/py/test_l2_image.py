"""The L2 image the planner counts is the one the generated code holds.

The plan's figure (report.json totals.l2_image) is its resident constants:
the weights, the staged per-channel blocks of the layers that move their
bias and requant constants into L1 with each weight tile, and the bias and
requant arrays of the other layers. The application holds those, each once:
the weights array (dory_l2_weights) plus the per-layer constant arrays add
up to the plan's figure (up to alignment), and a layer that stages its
constants has no arrays of them besides its blocks.

Known gap, measured here rather than hidden: a layer whose weights stream
from L3 has its bias and requant constants planned in L3 with them (and
modeled as streamed), but the generated code reads them from arrays in L2,
which the plan does not count. Those arrays are summed apart and reported;
the fix is to stream them with the weight slices."""
import json
import re
import subprocess

import pytest

from conftest import ROOT, SHARED_MODELS

EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"
ELEM = {"int32_t": 4, "int64_t": 8, "float": 4}
# the planner's constant tensors (w_zp comes from the weights' quantization
# parameters, not a tensor of its own)
ARRAY = re.compile(r"static const (int32_t|int64_t|float) "
                   r"(bias|avg_table|rq[ab]?_(?:k|l|mult|shift|scale|table))\[(\d+)\]")


MODELS = ["kws_dscnn", "dscnn_test", "PenguiNet_32", "Quantlab_Dronet"]


def _model(name):
    if name == "kws_dscnn":
        return EXAMPLE
    folder = SHARED_MODELS / "dory" / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (../shared/models holds DORY's networks)")
    return sorted(folder.glob("*.onnx"))[0]


@pytest.mark.parametrize("target", ["gap8", "pulp-open"])
@pytest.mark.parametrize("name", MODELS)
def test_image_bytes_are_the_planned_ones(dory, tmp_path, name, target):
    model = _model(name)
    d = tmp_path / "app"
    r = subprocess.run([str(dory), "deploy", str(model), "-t", target, "-o", str(d)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"{name}: {r.stderr}"
    planned = json.loads((d / "report.json").read_text())["totals"]["l2_image"]
    weights = (d / "weights" / "weights.c").read_text()
    m = re.search(r"const uint8_t dory_l2_weights\[(\d+)\]", weights)
    assert m, f"{name}: no weights array"
    streamed = {L["index"] for L in json.loads((d / "report.json").read_text())["layers"]
                if L.get("l3", {}).get("weights_stream")}
    total, staged, layers, gap = int(m.group(1)), 0, 0, 0
    for f in sorted((d / "src").glob("layer_*.c")):
        text = f.read_text()
        arrays = [(t, a, int(n)) for t, a, n in ARRAY.findall(text)]
        layers += 1
        if int(f.name.split("_")[1]) in streamed:
            gap += sum(ELEM[t] * n for t, _, n in arrays)
            continue
        total += sum(ELEM[t] * n for t, _, n in arrays)
        if ".consts = {.src" in text:
            staged += 1
            assert not [a for _, a, _ in arrays if a == "bias" or a.startswith("rq_")], \
                f"{name}: {f.name} stages its constants and still has arrays of them"
    # each array and block is padded to 4 (blocks to 8) bytes in the plan
    assert planned - 8 * (layers + 1) <= total <= planned, \
        f"{name} on {target}: the application holds {total} bytes, the plan {planned}"
    if name != "kws_dscnn":  # its requant is float: nothing to stage
        assert staged > 0, f"{name} on {target}: no layer stages its constants"
    if gap:
        print(f"{name} on {target}: {gap} bytes of bias/requant arrays of layers streaming "
              f"their weights from L3 are in L2, planned in L3 (known gap)")
