"""Seed corpus for fuzz_tflite, made at build time by `make fuzz` (mk/fuzz.mk):
every test model of tests/py/tflite_models.py (every supported operator),
one with an unsupported operator, and MLPerf Tiny's KWS model when
../shared is there. Usage: tflite_seeds.py CORPUS_DIR."""
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "py"))
import tflite_models as tm  # noqa: E402

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for name, build in tm.MODELS.items():
    (out / f"{name}.tflite").write_bytes(build(seed=1))
net = tm.Net(2)
x = net.input("x", [1, 4, 4, 3])
(out / "tanh.tflite").write_bytes(net.build([net.custom(tm.S.BuiltinOperator.TANH, x)]))
kws = ROOT.parent / "shared" / "models" / "mlperf-tiny" / "kws_ref_model.tflite"
if kws.exists():
    shutil.copy(kws, out / "kws.tflite")
print(f"tflite_seeds: {len(list(out.glob('*.tflite')))} seeds in {out}")
