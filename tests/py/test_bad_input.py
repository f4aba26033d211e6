"""Bad input never passes silently (issue 11): one test per reproduced case.
Each must end with a `dory: error:` line, a non-zero exit, no sanitizer
report, and no hang (every run is bounded in time). They run the ASan build."""
import os
import subprocess

import pytest

from conftest import ROOT, assert_user_error

EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"
def refused(binary, *args, words=None, timeout=60):
    r = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    assert_user_error(r, *([words] if words else []))
    return r


@pytest.mark.parametrize("desc,words", [
    ('{"l1": {"size": 1e300}}', "'size' must be a whole number"),
    ('{"cores": 1e10}', "'cores' must be a whole number"),
    ('{"cores": 2.5}', "'cores' must be a whole number"),
    ('{"l3": {"size": -1}}', "non-negative"),
])
def test_item4_target_file_numbers_out_of_range(dory_asan, tmp_path, desc, words):
    f = tmp_path / "t.json"
    f.write_text(desc)
    refused(dory_asan, "inspect", EXAMPLE, "--target-file", f, words=words)


@pytest.mark.parametrize("flag", ["--input", "--target-file"])
def test_item5_unbounded_reads_refused(dory_asan, flag):
    args = ["run", EXAMPLE, "--input", "/dev/zero"] if flag == "--input" else \
        ["inspect", EXAMPLE, "--target-file", "/dev/zero"]
    refused(dory_asan, *args, words="not a regular file", timeout=30)


def test_item5_fifo_model_does_not_block(dory_asan, tmp_path):
    fifo = tmp_path / "model.onnx"
    os.mkfifo(fifo)
    refused(dory_asan, "inspect", fifo, words="not a regular file", timeout=30)


def test_item6_graph_without_output_or_layers(dory_asan, tmp_path):
    no_out = tmp_path / "no_output.dory"
    no_out.write_text("dory-ir 1\ngraph g\ntensor x i8 [1,2,2,3]\ninput x\n"
                      "tensor y i8 [1,2,2,3]\nnode r requant (x) -> y\n")
    refused(dory_asan, "run", no_out, "--random", 1, words="graph has no output")
    no_layers = tmp_path / "no_layers.dory"
    no_layers.write_text("dory-ir 1\ngraph g\ntensor x i8 [1,2,2,3]\ninput x\noutput x\n")
    refused(dory_asan, "run", no_layers, "--random", 1, words="graph has no layers")


@pytest.mark.parametrize("ref", ["@/etc/passwd:0", "@../w.bin:0"])
def test_item7_side_file_path_escape(dory_asan, tmp_path, ref):
    (tmp_path / "w.bin").write_bytes(bytes(16))
    sub = tmp_path / "m"
    sub.mkdir()
    (sub / "w.bin").write_bytes(bytes(16))
    m = sub / "m.dory"
    m.write_text("dory-ir 1\ngraph g\ntensor x i8 [1,1,1,4]\ninput x\n"
                 f"tensor w i8 [4] = {ref}\ntensor y i8 [1,1,1,4]\n"
                 "node r requant (x) -> y\noutput y\n")
    refused(dory_asan, "inspect", m, words="relative to the model's folder")


@pytest.mark.parametrize("args,words", [
    (["--cores", "64"], "runs at most 8"),
    (["--l1", "99999999999"], "on-chip memories of more than"),
    (["--l3", "99999999999"], "L3 addresses are 32-bit"),
])
def test_item8_budgets_the_app_cannot_run(dory_asan, tmp_path, args, words):
    refused(dory_asan, "deploy", EXAMPLE, "-t", "gap8", *args, "-o", tmp_path / "app",
            words=words)
    assert not (tmp_path / "app").exists()


def test_item6_duplicate_graph_input(dory_asan, tmp_path):
    m = tmp_path / "dup.dory"
    m.write_text("dory-ir 1\ngraph g\ntensor x i8 [1,2,2,3]\ninput x\ninput x\n"
                 "tensor y i8 [1,2,2,3]\nnode r requant (x) -> y\noutput y\n")
    refused(dory_asan, "inspect", m, words="listed twice")


def _onnx():
    return pytest.importorskip("onnx")


def test_item1_many_unused_initializers_do_not_hang(dory_asan, tmp_path):
    onnx = _onnx()
    import numpy as np
    from onnx import numpy_helper
    m = onnx.load(str(EXAMPLE))
    for i in range(1000):
        m.graph.initializer.append(numpy_helper.from_array(np.zeros(1, np.float32), f"unused_{i}"))
    p = tmp_path / "many.onnx"
    onnx.save(m, str(p))
    r = subprocess.run([str(dory_asan), "inspect", str(p)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "11 layers" in r.stdout, r.stderr


def test_item1_graph_without_nodes_does_not_hang(dory_asan, tmp_path):
    onnx = _onnx()
    m = onnx.load(str(EXAMPLE))
    del m.graph.node[:]
    p = tmp_path / "nonodes.onnx"
    onnx.save(m, str(p))
    refused(dory_asan, "inspect", p, timeout=60)


def test_item2_undefined_optional_input_is_an_error(dory_asan, tmp_path):
    onnx_models = pytest.importorskip("onnx_models")
    onnx = _onnx()
    model = onnx_models.float_model([("conv", 8, 3, 1, (1, 1, 1, 1), 1), ("relu",)])
    path = onnx_models.quantize(model, str(tmp_path), fmt="qop")
    m = onnx.load(str(path))
    convs = [n for n in m.graph.node if n.op_type == "QLinearConv"]
    assert convs and len(convs[0].input) == 9
    convs[0].input[8] = "no_such_bias"
    bad = tmp_path / "bad.onnx"
    onnx.save(m, str(bad))
    refused(dory_asan, "deploy", bad, "-t", "gap8", "-o", tmp_path / "app",
            words="'no_such_bias' is used before it is defined")


def test_item9_write_error_on_stdout(dory_asan):
    with open("/dev/full", "w") as full:
        r = subprocess.run([str(dory_asan), "inspect", str(EXAMPLE)], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode != 0 and "dory: error: cannot write standard output" in r.stderr


def test_item3_refusals_say_why(dory_asan, tmp_path):
    onnx = _onnx()
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper
    onnx_models = pytest.importorskip("onnx_models")
    x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 4, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 4, 4, 4])
    inits = [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
             numpy_helper.from_array(np.array(0, np.uint8), "z")]
    nodes = [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["f"]),
             helper.make_node("QuantizeLinear", ["f", "s", "z"], ["y"])]
    g = helper.make_graph(nodes, "g", [x], [y], inits)
    dq = tmp_path / "dq_only.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(dq))
    refused(dory_asan, "inspect", dq, words="graph has no layers")
    m = onnx_models.nemo_model(seed=1)
    out = m.graph.output[0].name
    m.graph.initializer.append(numpy_helper.from_array(np.array(2.0, np.float32), "two"))
    m.graph.node.append(helper.make_node("Div", [out, "two"], ["divout"]))
    m.graph.output[0].name = "divout"
    div = tmp_path / "nemo_div.onnx"
    onnx.save(m, str(div))
    refused(dory_asan, "inspect", div, words="division")


def test_item9_redeploy_leaves_no_stale_file(dory_asan, tmp_path):
    app = tmp_path / "app"
    subprocess.run([str(dory_asan), "deploy", str(ROOT / "tests" / "ir" / "conv_relu.dory"), "-t",
                    "gap8", "-o", str(app)], check=True, capture_output=True)
    stale = app / "src" / "layer_99_stale.c"
    stale.write_text("#error stale\n")
    subprocess.run([str(dory_asan), "deploy", str(EXAMPLE), "-t", "gap8", "-o", str(app)],
                   check=True, capture_output=True)
    assert not stale.exists() and (app / "src" / "layer_10_fc.c").exists()


def test_item9_refuses_a_folder_dory_did_not_write(dory_asan, tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep me")
    refused(dory_asan, "deploy", EXAMPLE, "-t", "gap8", "-o", d, words="not a dory application")
    assert (d / "notes.txt").read_text() == "keep me"


def test_item9_deploy_needs_a_target(dory_asan, tmp_path):
    refused(dory_asan, "deploy", EXAMPLE, "-o", tmp_path / "app", words="needs a target")


@pytest.mark.parametrize("version", [2**32 + 13, -1])
def test_item9_opset_read_whole(dory_asan, tmp_path, version):
    onnx = _onnx()
    m = onnx.load(str(EXAMPLE))
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = version
    p = tmp_path / "opset.onnx"
    onnx.save(m, str(p))
    refused(dory_asan, "inspect", p, words=f"opset {version}")


def test_item11_fortran_ordered_npy_read_correctly(dory_asan, tmp_path):
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (1, 1, 49, 10), dtype=np.uint8)
    c, f = tmp_path / "c.npy", tmp_path / "f.npy"
    np.save(c, a)
    np.save(f, np.asfortranarray(a))
    assert b"'fortran_order': True" in f.read_bytes()[:128]
    outs = []
    for p in (c, f):
        r = subprocess.run([str(dory_asan), "run", str(EXAMPLE), "--input", str(p)],
                           capture_output=True, text=True, timeout=120, check=True)
        outs.append(r.stdout)
    assert outs[0] == outs[1] and outs[0].strip()
    t = np.ascontiguousarray(a.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # F-order view
    np.save(f, t)
    r = subprocess.run([str(dory_asan), "run", str(EXAMPLE), "--input", str(f)],
                       capture_output=True, text=True, timeout=120, check=True)
    assert r.stdout == outs[0]


def _edited(tmp_path, edit, name="edited.onnx"):
    onnx = _onnx()
    m = onnx.load(str(EXAMPLE))
    edit(m)
    p = tmp_path / name
    onnx.save(m, str(p))
    return p


def _first(m, op):
    return next(n for n in m.graph.node if n.op_type == op)


def test_item10_node_with_too_many_inputs(dory_asan, tmp_path):
    def edit(m):
        n = _first(m, "Conv")
        n.input.extend([n.input[0]] * 3000)
    refused(dory_asan, "inspect", _edited(tmp_path, edit), words="inputs; Conv takes 2 to 3")


def test_item10_retyped_node_with_wrong_arity(dory_asan, tmp_path):
    def edit(m):
        n = _first(m, "DequantizeLinear")
        n.input.extend([n.input[0]] * 6)  # nine inputs, as a retyped QGemm has
    refused(dory_asan, "inspect", _edited(tmp_path, edit), words="DequantizeLinear takes 2 to 3")


def test_item10_attribute_of_the_wrong_type(dory_asan, tmp_path):
    onnx = _onnx()

    def edit(m):
        n = _first(m, "Conv")
        for a in n.attribute:
            if a.name == "strides":
                n.attribute.remove(a)
                break
        n.attribute.append(onnx.helper.make_attribute("strides", 2.0))
    refused(dory_asan, "inspect", _edited(tmp_path, edit),
            words="attribute 'strides' has the wrong type")


def test_item10_attribute_given_twice(dory_asan, tmp_path):
    onnx = _onnx()

    def edit(m):
        n = _first(m, "Conv")
        n.attribute.append(onnx.helper.make_attribute("group", 1))
        n.attribute.append(onnx.helper.make_attribute("group", 2))
    refused(dory_asan, "inspect", _edited(tmp_path, edit), words="attribute 'group' is given twice")


@pytest.mark.parametrize("elem", [0, 99])
def test_item10_graph_input_of_no_onnx_type(dory_asan, tmp_path, elem):
    def edit(m):
        m.graph.input[0].type.tensor_type.elem_type = elem
    refused(dory_asan, "inspect", _edited(tmp_path, edit),
            words=f"element type {elem} is not an ONNX type")


def test_item10_graph_output_nothing_computes(dory_asan, tmp_path):
    def edit(m):
        m.graph.output[0].name = "nothing"
    refused(dory_asan, "inspect", _edited(tmp_path, edit),
            words="graph output 'nothing' is not computed by any node")


def test_item10_no_default_opset_or_ancient_ir(dory_asan, tmp_path):
    def no_opset(m):
        del m.opset_import[:]
    refused(dory_asan, "inspect", _edited(tmp_path, no_opset),
            words="imports no opset of the default ONNX domain")

    def ir1(m):
        m.ir_version = 1
    refused(dory_asan, "inspect", _edited(tmp_path, ir1), words="IR version 1")


def test_item10_nemo_without_graph_outputs(dory_asan, tmp_path):
    onnx = _onnx()
    onnx_models = pytest.importorskip("onnx_models")
    m = onnx_models.nemo_model(seed=1)
    del m.graph.output[:]
    p = tmp_path / "nemo_no_output.onnx"
    onnx.save(m, str(p))
    refused(dory_asan, "inspect", p, words="no integer output")


def test_item9_long_text_token_is_one_error(dory_asan, tmp_path):
    p = tmp_path / "long.txt"
    p.write_text("1" * 70 + "\n")
    refused(dory_asan, "run", EXAMPLE, "--input", p, words="more than 63 characters")


def test_item9_byte_order_mark_is_named(dory_asan, tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbf255\n" + b"1\n" * 489)
    refused(dory_asan, "run", EXAMPLE, "--input", p, words="byte-order mark")


def test_item9_onnx_file_named_dory_is_read_by_content(dory_asan, tmp_path):
    p = tmp_path / "model.dory"
    p.write_bytes(EXAMPLE.read_bytes())
    r = subprocess.run([str(dory_asan), "inspect", str(p)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "11 layers" in r.stdout, r.stderr
    junk = tmp_path / "junk.dory"
    junk.write_bytes(bytes(range(256)))
    refused(dory_asan, "inspect", junk, words="unrecognised model format")


@pytest.mark.parametrize("cmd,opt", [("run", ["--check", "all"]), ("deploy", ["--json"]),
                                     ("inspect", ["--dump", "d"]), ("run", ["--ir"])])
def test_item9_options_a_command_does_not_take(dory_asan, tmp_path, cmd, opt):
    extra = ["-t", "gap8", "-o", tmp_path / "app"] if cmd == "deploy" else []
    refused(dory_asan, cmd, EXAMPLE, *opt, *extra, words=f"'dory {cmd}' does not take {opt[0]}")


def test_policy_one_error_line_for_many_faults(dory_asan, tmp_path):
    """Two independent faults (two layers whose outputs have the wrong shape):
    the first is the one error line, a note counts the rest."""
    m = tmp_path / "two_faults.dory"
    m.write_text("dory-ir 1\ngraph g\ntensor x i8 [1,4,4,2]\ninput x\n"
                 "tensor a i8 [1,4,4,2]\nnode p1 maxpool (x) -> a kernel=2,2 stride=2,2\n"
                 "tensor b i8 [1,4,4,2]\nnode p2 maxpool (a) -> b kernel=2,2 stride=2,2\n"
                 "output b\n")
    err = refused(dory_asan, "inspect", m, words="node 'p1' (maxpool)").stderr
    assert "node 'p2'" not in err
    assert "1 more error(s) after this one are not shown" in err


def test_item7_model_names_cannot_inject_code(dory, tmp_path):
    """Names come from the model and may hold any byte: quotes, backslashes,
    comment delimiters and newlines must reach the generated C as text, so the
    app builds (warnings are errors) and runs its checks."""
    evil = 'y\\"); exit(1); /* */'
    m = tmp_path / "evil.dory"
    m.write_text("dory-ir 1\ngraph g\ntensor x i8 [1,2,2,4]\ninput x\n"
                 f'tensor "{evil}" i8 [1,2,2,4]\n'
                 f'node "r\\"*/\\n\\\\??/" requant (x) -> "{evil}"\noutput "{evil}"\n')
    app = tmp_path / "app"
    subprocess.run([str(dory), "deploy", str(m), "-t", "host", "-o", str(app)], check=True,
                   capture_output=True)
    r = subprocess.run(["make", "-s", "-C", str(app), "run"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 checked, 0 failed: OK" in r.stdout


@pytest.mark.parametrize("desc,words", [
    ('{"name": "a b"}', "'name': letters, digits"),
    ('{"hal": "../../etc"}', "'hal': letters, digits"),
    ('{"cflags": "-O2 $(shell id)"}', "'cflags': no control characters nor any of"),
    ('{"cc": "gcc; rm -rf x"}', "'cc': no control characters nor any of"),
    ('{"description": "two\\nlines"}', "'description': no control characters"),
])
def test_item7_target_strings_stay_text(dory_asan, tmp_path, desc, words):
    tf = tmp_path / "t.json"
    tf.write_text(desc)
    refused(dory_asan, "inspect", EXAMPLE, "--target-file", tf, words=words)


def test_item1_long_graph_is_not_quadratic(dory_asan, tmp_path):
    """Name lookups are hashed (tensors in the graph, node names in the
    verifier): a 100,000-layer chain, which took minutes when they were linear
    scans, finishes in seconds. The timeout guards against a hang, it does
    not measure speed."""
    n = 100_000
    lines = ["dory-ir 1", "graph g", "tensor t0 i8 [1,1,1,4]", "input t0"]
    for i in range(n):
        lines += [f"tensor t{i + 1} i8 [1,1,1,4]", f"node n{i} requant (t{i}) -> t{i + 1}"]
    lines.append(f"output t{n}")
    m = tmp_path / "chain.dory"
    m.write_text("\n".join(lines) + "\n")
    r = subprocess.run([str(dory_asan), "inspect", str(m)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"{n} layers" in r.stdout
