"""The onnxruntime sessions every oracle comparison uses.

onnxruntime's x86 MLAS kernels for u8 activations times s8 weights
(QLinearConv, MatMulInteger, QGemm, and the QDQ groups fused into them)
use VPMADDUBSW on CPUs without VNNI (SSE4.1, AVX2, AVX-512 without VNNI):
it adds two u8 x s8 products into a saturating int16, so the accumulator
is not the exact integer sum, and the result depends on the CPU the test
runs on (exact on AVX-512 VNNI or AVX-VNNI, up to several LSB off on an
AVX2-only EPYC). The session option `session.x64quantprecision` =
"1" makes onnxruntime use its exact u8 x u8 kernels there instead
(onnxruntime_session_options_config_keys.h); where the fast path is exact
already it changes nothing. Its weight rewrite also takes the ops on s8
activations, for which onnxruntime 1.23 has no kernel then (NOT_IMPLEMENTED
on an AVX2 CPU); those run exactly without the option (s8 x s8 is widened
before it is multiplied), so such a model is opened without it.
test_ort_oracle.py checks both on the machine the tests run on. The oracle
must be exact on every machine, so every test opens its sessions here.
"""
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import NotImplemented as OrtNotImplemented


def session(model, so=None):
    """An InferenceSession on `model` (a path or serialized bytes) with
    exact integer matrix products on every x86 CPU; `so` adds options."""
    model = model if isinstance(model, (bytes, str)) else str(model)
    exact = ort.SessionOptions() if so is None else so
    exact.add_session_config_entry("session.x64quantprecision", "1")
    try:
        return ort.InferenceSession(model, exact)
    except OrtNotImplemented:  # s8 activations on a CPU without VNNI, see above
        if so is None:
            so = ort.SessionOptions()
        so.add_session_config_entry("session.x64quantprecision", "0")
        return ort.InferenceSession(model, so)
