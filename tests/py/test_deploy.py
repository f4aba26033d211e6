"""`dory deploy`: generated applications build with -std=c99 -Wall -Wextra
-Werror under AddressSanitizer + UBSan, run on the host HAL (bounds-checked
arenas, DMA completing only at wait, poisoned in-flight buffers) and match the
reference interpreter on every layer, with GAP8's sizes and with L1 budgets
small enough to force many tiles, on 1 and 8 cores.

Layers the generator cannot handle yet must be refused with an error naming
the node and op, never generated wrongly; which graphs are refused, and why,
is listed below by name.
"""
import filecmp
import pathlib
import re
import subprocess

import numpy as np
import pytest

from irgen import GraphText, rq_shift

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "kws_tiny.dory"

# The unit tests' graphs (tests/unit/graphs.c) that deploy refuses at every
# budget below, with the message naming the node and op; every other graph
# must deploy and run bit-exact. Every op has a kernel now.
REFUSED = {}

# Sizes for gap8: its default; L1 budgets leaving 2-6 kB for tiles (the stacks
# of 8 cores take 27300 bytes); L2 budgets small enough that weights (9 kB) or
# weights and activations (6 kB) stream from L3 for the example network.
BUDGETS = {"gap8": [], "l1_6k": ["--l1", "33300"], "l1_3k": ["--l1", "30300"]}
L3_BUDGETS = {"l2_9k": ["--l2", "9000", "--code-reserve", "0"],
              "l2_6k": ["--l2", "6000", "--code-reserve", "0"],
              "l2_6k_l1_3k": ["--l2", "6000", "--code-reserve", "0", "--l1", "30300"]}


from conftest import CLEAN_ENV, assert_user_error


def build_and_run(app, libs, cores=None, san=True):
    args = ["make", "-s", "--no-print-directory", "-C", str(app), "run", f"RT_LIB={libs[san]}"]
    if san:
        args.append("SAN=1")
    if cores:
        args.append(f"CORES={cores}")
    return subprocess.run(args, capture_output=True, text=True, timeout=600, env=CLEAN_ENV)


def deploy(run_dory, dory, model, out, *extra):
    return run_dory(dory, "deploy", model, "-t", "gap8", "-o", out, *extra, check=False)


def check_app_ok(p, model):
    assert p.returncode == 0, f"{model}:\n{p.stdout}\n{p.stderr}"
    # the harness's verdict is its last line; the PULP HAL prints its stack
    # high-water marks after it, at deinit
    lines = [ln for ln in p.stdout.strip().splitlines() if not ln.startswith("dory_hal:")]
    assert lines and re.search(r" 0 failed: OK$", lines[-1]), p.stdout
    assert "FAIL" not in p.stdout


def graph_names(test_graphs):
    return sorted(p.stem for p in test_graphs.glob("*.dory"))


# test_every_test_graph runs in shards, so that pytest-xdist spreads them.
SHARDS = 2


def test_refused_graphs_exist(test_graphs):
    assert set(REFUSED) <= set(graph_names(test_graphs))


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("budget", sorted(BUDGETS))
def test_every_test_graph(dory, run_dory, test_graphs, rt_libs, tmp_path, budget, shard):
    names = graph_names(test_graphs)[shard::SHARDS]
    deployed = 0
    for name in names:
        model = test_graphs / f"{name}.dory"
        app = tmp_path / name
        p = deploy(run_dory, dory, model, app, *BUDGETS[budget])
        if name in REFUSED:
            assert_user_error(p, f"{model}: {REFUSED[name]}", status=1)
            continue
        assert p.returncode == 0, f"{name}: {p.stderr}"
        check_app_ok(build_and_run(app, rt_libs), name)
        deployed += 1
    print(f"{budget}, shard {shard}: {deployed} deployed and verified, "
          f"{len(names) - deployed} refused as listed")
    assert deployed > 0


@pytest.mark.parametrize("budget", sorted(BUDGETS))
def test_example_on_1_and_8_cores(dory, run_dory, rt_libs, tmp_path, budget):
    app = tmp_path / "app"
    p = deploy(run_dory, dory, EXAMPLE, app, *BUDGETS[budget])
    assert p.returncode == 0, p.stderr
    for cores in (1, 8):
        check_app_ok(build_and_run(app, rt_libs, cores), f"kws_tiny cores={cores}")


@pytest.mark.parametrize("budget", sorted(L3_BUDGETS))
def test_example_streaming_from_l3(dory, run_dory, rt_libs, tmp_path, budget):
    """Weights by channel slices, activations by row slices, or both, through
    double-buffered L2 staging buffers; every layer still bit-exact."""
    app = tmp_path / "app"
    p = deploy(run_dory, dory, EXAMPLE, app, *L3_BUDGETS[budget])
    assert p.returncode == 0, p.stderr
    assert any("L3 slices" in f.read_text() for f in app.glob("src/layer_*.c"))
    for cores in (1, 8):
        r = build_and_run(app, rt_libs, cores)
        check_app_ok(r, f"kws_tiny {budget} cores={cores}")
        l3_bytes = [int(line.split()[4]) for line in r.stdout.splitlines()[1:-1]]
        assert sum(l3_bytes) > 0, "nothing moved between L3 and L2"


def test_deploy_is_deterministic(dory, run_dory, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        assert deploy(run_dory, dory, EXAMPLE, d, "--l1", "30300").returncode == 0
    cmp = filecmp.dircmp(a, b)

    def same(c):
        return not c.diff_files and not c.left_only and not c.right_only and all(
            same(s) for s in c.subdirs.values())
    assert same(cmp)


def test_corrupted_dma_is_caught(dory, run_dory, rt_libs, tmp_path):
    """Shift the L2 address of one layer's output tile by one byte: the app
    must report that layer and exit non-zero."""
    app = tmp_path / "app"
    assert deploy(run_dory, dory, EXAMPLE, app, "--l1", "30300", "--check", "all").returncode == 0
    layer = next(app.glob("src/layer_02_*.c"))
    text = layer.read_text()
    m = re.search(r"dory_l2_base\(\) \+ (\d+)\);", text)  # the entry's last argument: y
    assert m, "the output address of the layer was not found"
    layer.write_text(text.replace(m.group(0), f"dory_l2_base() + {int(m.group(1)) + 1});"))
    p = build_and_run(app, rt_libs, san=False)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert re.search(r"pw1 .*FAIL at byte \d+", out) or "layer 'pw1'" in out, out


@pytest.mark.parametrize("mode", ["sums", "all", "last", "none"])
def test_check_modes(dory, run_dory, rt_libs, tmp_path, mode):
    app = tmp_path / "app"
    extra = [] if mode == "sums" else ["--check", mode]
    assert deploy(run_dory, dory, EXAMPLE, app, "--l1", "33300", *extra).returncode == 0
    r = build_and_run(app, rt_libs, san=False)
    check_app_ok(r, mode)
    want = {"sums": 7, "all": 7, "last": 1, "none": 0}[mode]
    assert f" {want} checked, 0 failed" in r.stdout
    data = (app / "test" / "data.c").read_text()
    assert ("static const uint8_t golden_" in data) == (mode in ("all", "last"))


def test_deploy_needs_output_dir(dory, run_dory):
    p = run_dory(dory, "deploy", EXAMPLE, "-t", "gap8", check=False)
    assert_user_error(p, "-o DIR", status=2)


def write_wide_conv(path, h=4, cin=128, cout=16, seed=5):
    """A 3x3 conv with many input channels (random int8 weights, SHIFT
    requant): its 4-pixel im2col scratch is large."""
    rnd = np.random.default_rng(seed)
    g = GraphText("wide_conv")
    g.input(g.tensor("input", "u8", [1, h, h, cin]))
    g.tensor("c.w", "i8", [cout, 3, 3, cin], data=rnd.integers(-9, 10, cout * 9 * cin))
    g.tensor("c.b", "i32", [cout], data=rnd.integers(-500, 501, cout))
    rq_text, _ = rq_shift(g, "c.", rnd.integers(800, 1201, cout), rnd.integers(0, 1 << 19, cout),
                          20)
    g.output(g.tensor("y", "u8", [1, h, h, cout]))
    g.node("c", "conv2d", ["input", "c.w", "c.b"], "y", stride=(1, 1), pad=(1, 1, 1, 1),
           groups=1, rq=rq_text)
    path.write_text(g.text())


def test_one_pixel_im2col_chosen_and_bit_exact(dory, run_dory, rt_libs, tmp_path):
    """With 2.7 kB of L1 the planner models the conv kernel's one-pixel im2col
    blocks as faster; the generated layer asks the kernel for them and the
    application matches the interpreter on 1 and 8 cores. At GAP8's full L1
    the 4-pixel kernel (with input-channel tiles) is kept."""
    model = tmp_path / "wide.dory"
    write_wide_conv(model)
    p = run_dory(dory, "inspect", model, "-t", "gap8", "--l1", "30000")
    assert "[1-pixel im2col]" in p.stdout, p.stdout
    app = tmp_path / "app"
    p = deploy(run_dory, dory, model, app, "--l1", "30000")
    assert p.returncode == 0, p.stderr
    layer = next((app / "src").glob("layer_*_c.c")).read_text()
    assert ".im2col_pixels = 1," in layer
    for cores in (1, 8):
        check_app_ok(build_and_run(app, rt_libs, cores=cores), f"wide conv, {cores} cores")
    p = run_dory(dory, "inspect", model, "-t", "gap8")
    assert "[1-pixel im2col]" not in p.stdout, p.stdout
    full = tmp_path / "full"
    assert deploy(run_dory, dory, model, full).returncode == 0
    assert "im2col_pixels" not in next((full / "src").glob("layer_*_c.c")).read_text()
