"""The bundled examples: reproducible from their scripts, and the ONNX one
agrees with onnxruntime."""
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import ort_oracle

ROOT = pathlib.Path(__file__).resolve().parents[2]
EX = ROOT / "examples"


def test_kws_dscnn_onnx_is_reproducible(tmp_path):
    shutil.copy(EX / "gen_kws_dscnn_onnx.py", tmp_path)
    subprocess.run([sys.executable, str(tmp_path / "gen_kws_dscnn_onnx.py")], check=True,
                   capture_output=True)
    assert (tmp_path / "kws_dscnn.onnx").read_bytes() == (EX / "kws_dscnn.onnx").read_bytes()
    assert (EX / "kws_dscnn.onnx").stat().st_size < 500_000


def test_kws_tiny_dory_is_reproducible(tmp_path):
    shutil.copy(EX / "gen_kws_tiny.py", tmp_path)
    subprocess.run([sys.executable, str(tmp_path / "gen_kws_tiny.py")], check=True,
                   capture_output=True)
    assert (tmp_path / "kws_tiny.dory").read_bytes() == (EX / "kws_tiny.dory").read_bytes()


def test_kws_dscnn_matches_onnxruntime(dory, run_dory, tmp_path):
    """u8 activations: onnxruntime fuses every QDQ group into integer kernels
    except GlobalAveragePool, which it computes in fp32 (1 LSB allowed there,
    so on the output after it); dory's FLOAT requantization matches the rest."""
    model = str(EX / "kws_dscnn.onnx")
    sess = ort_oracle.session(model)
    x = np.random.default_rng(5).integers(0, 256, (1, 1, 49, 10)).astype(np.uint8)
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0].astype(np.int64).reshape(-1)
    np.save(tmp_path / "x.npy", x)
    run_dory(dory, "run", model, "--input", tmp_path / "x.npy", "-o", tmp_path / "y.npy")
    got = np.load(tmp_path / "y.npy").astype(np.int64).reshape(-1)
    diff = np.abs(got - ref)
    print(f"{int((diff > 0).sum())} of {diff.size} logits differ from onnxruntime (max {diff.max()})")
    assert diff.max() <= 1
