"""Seed corpus for fuzz_onnx, made at build time by `make fuzz` (mk/fuzz.mk):
small QDQ, QOperator and NEMO-style models from tests/py/onnx_models.py, plus
a copy with external data references. Usage: onnx_seeds.py CORPUS_DIR."""
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "py"))
import onnx  # noqa: E402

import onnx_models as om  # noqa: E402

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
specs = [("conv", 4, 3, 1, (1, 1, 1, 1), 1), ("relu",), ("save", "a"),
         ("conv", 4, 3, 1, (1, 1, 1, 1), 2), ("add", "a"), ("maxpool", 2, 2, (0, 0, 0, 0)),
         ("conv", 4, 3, 2, (0, 1, 1, 0), 4), ("gap",), ("flatten",), ("gemm", 3)]
small = (1, 4, 6, 6)
with tempfile.TemporaryDirectory() as d:
    for fmt in ("qdq", "qop"):
        for pc in (False, True):
            p = om.quantize(om.float_model(specs, small, seed=1), d, fmt=fmt, per_channel=pc)
            (out / f"{fmt}_{int(pc)}.onnx").write_bytes(pathlib.Path(p).read_bytes())
    concat = [("conv", 4, 1, 1, (0, 0, 0, 0), 1), ("save", "a"), ("avgpool", 1, 1, (0, 0, 0, 0)),
              ("concat", "a"), ("reshape",), ("matmul", 2)]
    p = om.quantize(om.float_model(concat, small, seed=2), d, fmt="qdq")
    (out / "qdq_concat.onnx").write_bytes(pathlib.Path(p).read_bytes())
(out / "nemo.onnx").write_bytes(om.nemo_model(seed=1).SerializeToString())
print(f"onnx_seeds: {len(list(out.glob('*.onnx')))} seeds in {out}")
