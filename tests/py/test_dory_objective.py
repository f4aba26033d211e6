"""`--objective dory` against the original DORY's own tiles.

../shared/dory-tiles.md lists, for DORY's five regression networks, the L1
tile DORY's GAP8 backend chose for every layer. dory's reimplementation of
DORY's tiler (src/plan/tile_dory.c) must compute exactly that choice for every
layer (the plan JSON's `dory_tile`), and the plan must adopt it wherever
dory's own kernels' buffers for it fit the target's L1; where they do not,
the layer says so (naming DORY's tile and the bytes it needs) and takes the
nearest tiling that fits. The layers where that happens are listed here by
name, so that any change in either direction fails.

BNRelu_bits (the width DORY assumes for k and lambda) comes from each
network's dory_config.json; dscnn_test and eegnet_1d_8b_1xW come without one,
and the widths below are the ones under which DORY's reported L1 bytes of
their layers add up (64: dscnn's 22400 for a pointwise layer; 32: eegnet's
34952 for its first layer).
"""
import json
import re
import subprocess

import pytest

from conftest import SHARED_MODELS, require_shared

TILES_MD = SHARED_MODELS.parent / "dory-tiles.md"
CONST_BITS_WITHOUT_CONFIG = {"dscnn_test": 64, "eegnet_1d_8b_1xW": 32}
# dory's pointwise kernel keeps int32 accumulators for 4 pixels of every
# output channel per core (kernels/dory_conv1x1_s8.c): these DORY tiles need
# more L1 than GAP8's 36700 bytes in dory's buffers.
TOO_BIG_FOR_DORY_BUFFERS = {("Quantlab_Dronet", 6), ("Quantlab_Dronet", 10),
                            ("eegnet_1d_8b_1xW", 0)}


def dory_tables():
    tables, cur = {}, None
    for line in require_shared(TILES_MD).read_text().splitlines():
        m = re.match(r"### (\S+)", line)
        if m:
            cur = tables.setdefault(m.group(1), [])
            continue
        m = re.match(r"\| (\d+) \| ([^|]+) \| [^|]+ \| (\d+)x(\d+)x(\d+)", line)
        if cur is not None and m:
            cur.append((int(m.group(1)), m.group(2).strip(),
                        tuple(int(m.group(k)) for k in (3, 4, 5))))
    return tables


def plan_dory(dory, net, tmp_path):
    d = require_shared(SHARED_MODELS / "dory" / net)
    cfg_path = d / "dory_config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    target = {"base": "gap8", "code_reserve": cfg.get("code reserved space", 64000),
              "dory_const_bits": cfg.get("BNRelu_bits", CONST_BITS_WITHOUT_CONFIG.get(net))}
    tf = tmp_path / f"{net}.json"
    tf.write_text(json.dumps(target))
    model = next(d.glob("*.onnx"))
    r = subprocess.run([str(dory), "inspect", str(model), "--target-file", str(tf),
                        "--objective", "dory", "--json"], capture_output=True, text=True,
                       check=True)
    return json.loads(r.stdout)


NETS = ["dscnn_test", "PenguiNet_32", "Residual_connection_test_1", "Quantlab_Dronet",
        "eegnet_1d_8b_1xW"]


@pytest.mark.parametrize("net", NETS)
def test_dory_objective_reproduces_dory_tiles(dory, tmp_path, net):
    rows = dory_tables()[net]
    plan = plan_dory(dory, net, tmp_path)
    assert plan["status"] == "ok", plan["message"]
    assert len(plan["layers"]) == len(rows), "dory and DORY see different layers"
    for (i, name, want), layer in zip(rows, plan["layers"]):
        l1 = layer["l1"]
        assert tuple(l1["dory_tile"]) == want, f"{net} layer {i} {name}: DORY's rules give " \
            f"{tuple(l1['dory_tile'])}, DORY chose {want}"
        got = (l1["co"]["tile"], l1["ho"]["tile"], l1["wo"]["tile"])
        if (net, i) in TOO_BIG_FOR_DORY_BUFFERS:
            assert got != want and "DORY's tile (co %d, rows %d, cols %d) needs" % want \
                in layer["why"], f"{net} layer {i}: {got}, {layer['why']}"
            need = int(re.search(r"needs (\d+) bytes", layer["why"]).group(1))
            assert need > l1["l1_budget"]
        else:
            assert got == want, f"{net} layer {i} {name}: adopted {got}, DORY chose {want}"
            assert l1["l1_used"] <= l1["l1_budget"]
