"""The deployment report (docs/REPORT.md): report.json validates against
docs/report.schema.json and says what the plan says (`dory inspect --json`,
a separate printer of the same Plan); report.html parses, names every layer
and tensor, and draws every L1 buffer copy, L2 bar and map item at the plan's
byte range; headless Chromium renders it (not blank, one visible bar per L2
range); `dory report` puts a QEMU run's retired instructions beside the
modeled cycles. Cases: the bundled example (kws_dscnn.onnx, FLOAT->FIXED on
gap8) and a MobileNetV1-1.0-128-shaped network built here, on gap8.

Also issue 16 item 3: the terminal tables of `dory inspect` fit 100 columns
and never print two layer names alike."""
import html.parser
import json
import pathlib
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import jsonschema
import numpy as np
import pytest

import irgen
from conftest import CLEAN_ENV, assert_user_error

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"
VOID = {"meta", "br", "img", "hr", "input", "link", "col", "wbr"}
SVG_LEAF = {"rect", "line", "polyline", "circle"}


# ---- a MobileNetV1-1.0-128-shaped network, with torchvision-style names -----

MNV1_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
               (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def write_mobilenet_v1(path, res=128):
    """MobileNetV1 1.0 at res x res (29 layers, 4.2 M parameters): integer
    SHIFT requantization, random small weights in a side file. Only its shapes
    matter here: the report is about the plan."""
    rng = np.random.default_rng(0)
    g = irgen.GraphText("mobilenet_v1_1.0_128")
    blob = bytearray()

    def const(name, dt, shape, arr):
        nonlocal blob
        blob += b"\0" * (-len(blob) % 16)
        off = len(blob)
        blob += np.asarray(arr, dtype={"i8": np.int8, "i32": np.int32}[dt]).tobytes()
        g.lines.append(f"tensor {name} {dt} [{','.join(map(str, shape))}] = @{path.name}.bin:{off}")
        return name

    def conv(prefix, x, cin, cout, k, stride, groups, hw_out):
        w = const(prefix + ".weight", "i8", [cout, k, k, cin // groups],
                  rng.integers(-3, 4, size=(cout, k, k, cin // groups)))
        b = const(prefix + ".bias", "i32", [cout], np.zeros(cout))
        kk = const(prefix + ".k", "i32", [1], [1])
        ll = const(prefix + ".l", "i32", [1], [0])
        y = g.tensor(prefix + "_output_0", "u8", [1, hw_out, hw_out, cout])
        pad = (1, 1, 1, 1) if stride == 1 else (0, 0, 1, 1)
        if k == 1:
            pad = (0, 0, 0, 0)
        g.node(prefix, "conv2d", [x, w, b], y, stride=(stride, stride), pad=pad, groups=groups,
               rq=f"shift(k={kk},l={ll},d=8)")
        return y

    x = g.tensor("input", "u8", [1, res, res, 3])
    g.input(x)
    hw = res // 2
    x = conv("/model/features.0/conv/Conv", x, 3, 32, 3, 2, 1, hw)
    cin = 32
    for i, (cout, s) in enumerate(MNV1_BLOCKS, start=1):
        hw //= s
        x = conv(f"/model/features.{i}/dw/Conv", x, cin, cin, 3, s, cin, hw)
        x = conv(f"/model/features.{i}/pw/Conv", x, cin, cout, 1, 1, 1, hw)
        cin = cout
    p = g.tensor("/model/pool/GlobalAveragePool_output_0", "u8", [1, 1, 1, cin])
    g.node("/model/pool/GlobalAveragePool", "avgpool", [x], p, **{"global": True,
                                                                 "avg_round": "floor"})
    w = const("/model/classifier/Gemm.weight", "i8", [1000, cin],
              rng.integers(-3, 4, size=(1000, cin)))
    b = const("/model/classifier/Gemm.bias", "i32", [1000], np.zeros(1000))
    kk = const("/model/classifier/Gemm.k", "i32", [1], [1])
    ll = const("/model/classifier/Gemm.l", "i32", [1], [0])
    y = g.tensor("logits", "i8", [1, 1, 1, 1000])
    g.node("/model/classifier/Gemm", "fc", [p, w, b], y, rq=f"shift(k={kk},l={ll},d=8)",
           clamp=(-128, 127))
    g.output(y)
    path.with_name(path.name + ".bin").write_bytes(bytes(blob))
    path.write_text(g.text())
    return path


def mobilenet_macs(res=128):
    hw, cin = res // 2, 32
    macs = hw * hw * 32 * 27
    for cout, s in MNV1_BLOCKS:
        hw //= s
        macs += hw * hw * cin * 9 + hw * hw * cin * cout
        cin = cout
    return macs + hw * hw * cin + cin * 1000


# ---- reading the page ------------------------------------------------------------

class Page(html.parser.HTMLParser):
    """The page's text, its SVG items by class and whether its elements
    nest: every non-void element closed, in order."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.text = [], [], []
        self.items = {}   # class -> [attrs]
        self.svgs = {}    # svg class or id -> [attrs]
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        if tag == "svg":
            self.svgs.setdefault(a.get("id") or a.get("class"), []).append(a)
        if "class" in a and tag in SVG_LEAF:
            self.items.setdefault(a["class"], []).append(a)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path):
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    for banned in ("<script", "http://", "https://", "@import", "url("):
        assert banned not in text, f"{banned} in a self-contained page"
    p = Page()
    p.feed(text)
    p.close()
    assert not p.errors and not p.stack, (p.errors, p.stack)
    p.all_text = "".join(p.text)
    return p


# ---- checks shared by the cases ----------------------------------------------------

def check_report_against_plan(report, plan):
    """report.json says what `dory inspect --json` says of the same plan."""
    jsonschema.validate(report, SCHEMA)
    assert len(report["layers"]) == len(plan["layers"])
    for rl, pl in zip(report["layers"], plan["layers"]):
        assert rl["name"] == pl["name"] and rl["macs"] == pl["macs"]
        if pl["status"] != "ok":
            continue
        want = sorted((name, c, b["off"][c], b["bytes"])
                      for name, b in pl["l1"]["buffers"].items() for c in range(b["nbuf"]))
        got = sorted((b["name"], b["copy"], b["offset"], b["bytes"]) for b in rl["l1"]["buffers"])
        assert got == want, rl["name"]
        for d in ("co", "ho", "wo", "ci"):
            assert rl["tiles"][d] == pl["l1"][d], (rl["name"], d)
        assert rl["dma"]["l2l1_bytes"] == pl["dma_l2l1_bytes"]
        assert rl["dma"]["l3l2_bytes"] == pl["dma_l3l2_bytes"]
        assert rl["modeled"]["cycles"] == pytest.approx(pl["cost"]["total"], abs=0.11)  # both tenths
    ptens = {t["id"]: t for t in plan["tensors"]}
    assert {t["id"] for t in report["tensors"]} == set(ptens)
    for t in report["tensors"]:
        p = ptens[t["id"]]
        assert (t["name"], t["bytes"], t["first"], t["last"]) == \
            (p["name"], p["bytes"], p["first"], p["last"])
        if t["region"] != "alias":
            assert t["offset"] == p["offset"], t["name"]
    for k in ("l2_peak", "l2_lower_bound", "l3_used"):
        assert report["totals"][k] == plan[k], k


def l2_ranges(report):
    """The L2 timeline's bars as the report's JSON places them."""
    nl = len(report["layers"])
    bars = [(t["name"], t["offset"], t["offset"] + t["bytes"], max(t["first"], 0),
             t["last"] if 0 <= t["last"] < nl else nl - 1)
            for t in report["tensors"] if t["region"] == "arena"]
    bars += [(f"L3 staging {s['name']}[{s['copy']}] of layer {s['layer']}", s["offset"],
              s["offset"] + s["bytes"], s["layer"], s["layer"]) for s in report["l2_staging"]]
    return sorted(bars)


def check_page_against_report(page, report):
    for layer in report["layers"]:
        assert layer["name"] in page.all_text, layer["name"]
    for t in report["tensors"]:
        assert t["name"] in page.all_text, t["name"]
    # every L1 buffer copy of every planned layer, at its offset, to scale
    maps = {int(s["data-layer"]): s for s in page.svgs["l1map"]}
    items = page.items["l1map-item"]
    planned = [l for l in report["layers"] if "l1" in l]
    assert len(maps) == len(planned)
    got = sorted((int(float(a["data-lo"])), int(float(a["data-hi"]))) for a in items)
    want = sorted((b["offset"], b["offset"] + b["bytes"])
                  for l in planned for b in l["l1"]["buffers"])
    assert got == want
    for l in planned:
        assert float(maps[l["index"]]["data-total"]) == l["l1"]["budget"]
    for a in items:  # x = 10 + lo * 900 / budget: the drawing is to scale
        budgets = {float(s["data-total"]) for s in maps.values()}
        assert any(abs(float(a["x"]) - (10 + float(a["data-lo"]) * 900 / b)) < 0.01
                   for b in budgets)
    # the L2 timeline: one bar per arena tensor and staging copy, peak and bound
    bars = sorted((a["data-name"], int(a["data-lo"]), int(a["data-hi"]), int(a["data-first"]),
                   int(a["data-last"])) for a in page.items["l2bar"])
    assert bars == l2_ranges(report)
    (tl,) = page.svgs["l2-timeline"]
    assert int(tl["data-peak"]) == report["totals"]["l2_peak"]
    assert int(tl["data-lower-bound"]) == report["totals"]["l2_lower_bound"]
    assert f"peak {report['totals']['l2_peak']} B" in page.all_text
    assert f"lower bound {report['totals']['l2_lower_bound']} B" in page.all_text
    # the image and L3 maps: every constant and spilled activation at its place
    for cls, region in (("imagemap-item", "image"), ("l3map-item", "L3")):
        got = sorted((a["data-name"], int(a["data-lo"]), int(a["data-hi"]))
                     for a in page.items.get(cls, []))
        want = [(t["name"], t["offset"], t["offset"] + t["bytes"])
                for t in report["tensors"] if t["region"] == region]
        if region == "image":  # and the layers' staged constant blocks
            want += [(l["name"], l["staged_consts"]["offset"],
                      l["staged_consts"]["offset"] + l["staged_consts"]["bytes"])
                     for l in report["layers"] if "staged_consts" in l]
        assert got == sorted(want), cls
    assert len(page.items.get("roof-pt", [])) == sum(
        1 for l in planned if l["dma"]["l2l1_bytes"] > 0 and l["macs"] > 0)
    assert "modeled" in page.all_text


# ---- rendering ------------------------------------------------------------------------

def chromium():
    exe = shutil.which("chromium")
    if not exe:
        pytest.fail("chromium is not installed (tools/install-deps.sh installs it)", pytrace=False)
    return exe


def screenshot(src, png, width, height):
    p = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--force-device-scale-factor=1",
                        f"--window-size={width},{height}", f"--screenshot={png}", src.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and png.exists(), p.stderr
    return read_png(png)


def read_png(path):
    """The pixels of an 8-bit RGB or RGBA non-interlaced PNG (what Chromium
    writes), as an (h, w, channels) array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and not interlace, hdr
    ch = 3 if ctype == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * ch)
    out = np.zeros((h, w * ch), dtype=np.int32)
    prev = np.zeros(w * ch, dtype=np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        cur = np.zeros(w * ch, dtype=np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:
            for x in range(w * ch):
                a = cur[x - ch] if x >= ch else 0
                b, c = prev[x], prev[x - ch] if x >= ch else 0
                if f == 1:
                    pr = a
                elif f == 3:
                    pr = (a + b) >> 1
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                cur[x] = (line[x] + pr) & 255
        out[y] = cur
        prev = cur
    return out.reshape(h, w, ch)[:, :, :3]


def check_rendering(page_path, tmp_path, report):
    """The page is not blank; the L2 timeline drawn alone shows every bar."""
    px = screenshot(page_path, tmp_path / "page.png", 1400, 2400)
    nonwhite = np.any(px < 245, axis=2).mean()
    assert nonwhite > 0.02, f"page nearly blank: {nonwhite:.3%} non-white pixels"
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 20
    text = page_path.read_text()
    svg = re.search(r"<svg id=\"l2-timeline\".*?</svg>", text, re.S).group(0)
    svg = svg.replace("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1)
    ET.fromstring(svg)  # well-formed XML on its own: every text escaped
    alone = tmp_path / "l2.svg"
    alone.write_text(svg)
    w = int(float(re.search(r'width="([0-9.]+)"', svg).group(1)))
    h = int(float(re.search(r'height="([0-9.]+)"', svg).group(1)))
    px = screenshot(alone, tmp_path / "l2.png", w + 20, h + 20)
    colours = {tuple(int(v) for v in m.groups())
               for m in re.finditer(r'class="l2bar"[^>]*fill="rgb\((\d+),(\d+),(\d+)\)"', svg)}
    assert len(colours) == len(l2_ranges(report)), "bar colours are not unique"
    seen = {tuple(c) for c in np.unique(px.reshape(-1, 3), axis=0)}
    assert len(colours & seen) == len(colours), \
        f"{len(colours & seen)} of {len(colours)} L2 bars visible"


def inspect_plan(run_dory, dory, model, *opts):
    return json.loads(run_dory(dory, "inspect", model, "-t", "gap8", "--json", *opts).stdout)


# ---- the example ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example_app(dory, tmp_path_factory):
    app = tmp_path_factory.mktemp("report") / "app"
    p = subprocess.run([str(dory), "deploy", str(EXAMPLE), "-t", "gap8", "-o", str(app)],
                       capture_output=True, text=True, check=True)
    return app, p.stderr


def test_example_report_matches_plan_and_page(example_app, dory, run_dory, tmp_path):
    app, _ = example_app
    report = json.loads((app / "report.json").read_text())
    # deploy computes FLOAT in integers for gap8: inspect plans the same graph with --requant exact
    check_report_against_plan(report, inspect_plan(run_dory, dory, EXAMPLE, "--requant", "exact"))
    page = parse_page(app / "report.html")
    check_page_against_report(page, report)
    assert report["measured"] is None and "measured" not in report["layers"][0]
    # inspect writes the same report without generating code
    run_dory(dory, "inspect", EXAMPLE, "-t", "gap8", "--html", tmp_path / "r.html",
             "--report-json", tmp_path / "r.json")
    assert (tmp_path / "r.json").read_bytes() == (app / "report.json").read_bytes()
    assert (tmp_path / "r.html").read_bytes() == (app / "report.html").read_bytes()


def test_example_float_to_fixed_counts(example_app):
    """gap8 has no FPU: deploy computes FLOAT and QLADD in integers (F32INT,
    QLADD_INT), and the differences it counts on the test input (the
    interpreter's FLOAT graph against the converted one) are 0, in the notes
    and in the report."""
    app, stderr = example_app
    report = json.loads((app / "report.json").read_text())
    assert report["float_to_fixed"]["converted"]
    noted = {m.group(1): tuple(map(int, m.group(2, 3, 4))) for m in re.finditer(
        r"layer '([^']+)': (\d+) of (\d+) outputs differ \(at most (\d+)\)", stderr)}
    assert noted == {}, stderr
    got = {l["name"]: (l["fixed_diff"]["differ"], l["fixed_diff"]["total"], l["fixed_diff"]["worst"])
           for l in report["layers"] if l["fixed_diff"]["differ"]}
    assert got == noted
    m = re.search(r"network output: (\d+) of (\d+) elements differ from FLOAT \(at most (\d+)\)",
                  stderr)
    fx = report["float_to_fixed"]
    assert (fx["network_differ"], fx["network_total"], fx["network_worst"]) == \
        tuple(map(int, m.groups()))
    assert fx["network_differ"] == 0 and fx["network_total"] > 0


def test_example_renders(example_app, tmp_path):
    app, _ = example_app
    check_rendering(app / "report.html", tmp_path, json.loads((app / "report.json").read_text()))


def test_example_qemu_measured_beside_modeled(dory, run_dory, tmp_path):
    """Under QEMU rv32 the harness's time column is retired instructions;
    `dory report` puts them beside the modeled cycles of each layer."""
    app = tmp_path / "app"
    run_dory(dory, "deploy", EXAMPLE, "-t", "gap8", "-o", app)
    run = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(app), "run-qemu"],
                         capture_output=True, text=True, timeout=900, env=CLEAN_ENV)
    assert run.returncode == 0, run.stdout + run.stderr
    (app / "run.txt").write_text(run.stdout)
    rows = {line.split()[0]: int(line.split()[6]) for line in run.stdout.splitlines()[1:-1]}
    run_dory(dory, "report", app, app / "run.txt")
    report = json.loads((app / "report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["measured"]["unit"] == "instr"
    assert "QEMU" in report["measured"]["what"]
    assert report["measured"]["total"] == sum(rows.values())
    page = parse_page(app / "report.html")
    cells = page.all_text
    assert "measured instr" in cells
    for layer in report["layers"]:
        m = layer["measured"]
        assert m["value"] == rows[layer["name"]] > 0
        assert m["ratio"] == pytest.approx(m["value"] / layer["modeled"]["cycles"], abs=0.001)
        assert m["mac_per_unit"] == pytest.approx(layer["macs"] / m["value"], abs=0.001)
        assert m["check"] == "OK"
        assert f"{m['value']}" in cells and f"{m['ratio']:.2f}" in cells
    # a second report of the same run replaces, not adds
    before = (app / "report.json").read_bytes()
    run_dory(dory, "report", app, app / "run.txt")
    assert (app / "report.json").read_bytes() == before
    check_page_against_report(page, report)


# ---- MobileNetV1-1.0-128 on gap8 ---------------------------------------------------------

@pytest.fixture(scope="module")
def mobilenet(tmp_path_factory):
    return write_mobilenet_v1(tmp_path_factory.mktemp("mnv1") / "mobilenet_v1.dory")


def test_mobilenet_report(mobilenet, dory, run_dory, tmp_path):
    html_path, json_path = tmp_path / "mnv1.html", tmp_path / "mnv1.json"
    p = run_dory(dory, "inspect", mobilenet, "-t", "gap8", "--html", html_path, "--report-json",
                 json_path)
    report = json.loads(json_path.read_text())
    assert len(report["layers"]) == 29 and report["status"] == "ok"
    assert report["totals"]["macs"] == mobilenet_macs()  # 186 M at 128 x 128
    check_report_against_plan(report, inspect_plan(run_dory, dory, mobilenet))
    page = parse_page(html_path)
    check_page_against_report(page, report)
    for layer in report["layers"]:  # every layer's tiles and L1 map
        assert f"layer-{layer['index']}" in page.ids
        assert sum(t["n"] for t in layer["tiles"].values()) >= 4
    assert any(l["tiles"]["ho"]["n"] > 1 or l["tiles"]["co"]["n"] > 1 for l in report["layers"])
    check_rendering(html_path, tmp_path, report)
    # the terminal tables of the same run: 100 columns, names never alike
    check_tables(p.stdout, [l["name"] for l in report["layers"]])


# ---- item 3: the terminal tables --------------------------------------------------------

def check_tables(out, names):
    for line in out.splitlines():
        if not line.startswith("model "):
            assert len(line) <= 100, f"{len(line)} columns: {line}"
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^ *(\d+) (\S+)", line)
        if m and int(m.group(1)) < len(names):
            rows.setdefault(int(m.group(1)), set()).add(m.group(2))
    assert set(rows) == set(range(len(names)))
    for i, forms in rows.items():
        for form in forms:
            assert reads_as(form, names[i]), (names[i], form)
            others = [j for j, n in enumerate(names) if j != i and reads_as(form, n)]
            assert not others, f"{form!r} reads as {[names[j] for j in others]}"


def reads_as(form, name):
    """A printed form head..middle..tail could be `name`: the name starts
    with the head, ends with the tail and has the middle parts in order."""
    parts = form.split("..")
    if len(parts) == 1:
        return form == name
    if not (name.startswith(parts[0]) and name.endswith(parts[-1])):
        return False
    pos, end = len(parts[0]), len(name) - len(parts[-1])
    for mid in parts[1:-1]:
        pos = name.find(mid, pos, end)
        if pos < 0:
            return False
        pos += len(mid)
    return pos <= end


def test_inspect_tables_fit_and_names_stay_distinct(dory, run_dory, tmp_path):
    """torchvision-style names differing only in the middle (features.3 and
    features.13: no head and tail of 20 bytes tells them apart, so a window of
    the middle is kept too), and two differing in one byte deep inside."""
    g = irgen.GraphText("names")
    x = g.tensor("x", "u8", [1, 4, 4, 8])
    g.input(x)
    names = ["/features/features.3/conv/conv.0/Conv", "/features/features.13/conv/conv.0/Conv",
             "/features/features.3/conv/conv.1/Conv", "/features/features.13/conv/conv.1/Conv",
             "/a/" + "x" * 40 + "1" + "x" * 40 + "/Relu", "/a/" + "x" * 40 + "2" + "x" * 40 + "/Relu"]
    for i, n in enumerate(names):
        y = g.tensor(f"{n}_output_0", "u8", [1, 4, 4, 8])
        g.node(n, "maxpool", [x], y, kernel=(1, 1))
        x = y
    g.output(x)
    model = tmp_path / "names.dory"
    model.write_text(g.text())
    out = run_dory(dory, "inspect", model, "-t", "gap8").stdout
    check_tables(out, names)
    assert "names in full" not in out  # every row has an unambiguous short form
    assert names[0] not in out


# ---- bad input ---------------------------------------------------------------------------

def test_report_bad_input(example_app, dory_asan, run_dory, tmp_path):
    app, _ = example_app
    work = tmp_path / "app"
    shutil.copytree(app, work, ignore=shutil.ignore_patterns("kernels", "runtime", "src"))
    good = json.loads((work / "report.json").read_text())
    lines = ["layer MACs L2->L1 B L1->L2 B L3<->L2 B model cyc instr  check"]
    lines += [f"{l['name']} {l['macs']} 1 2 0 {l['modeled']['cycles']} 1000  OK"
              for l in good["layers"]]
    (tmp_path / "ok.txt").write_text("\n".join(lines) + "\n")
    run_dory(dory_asan, "report", work, tmp_path / "ok.txt")
    cases = {
        "empty.txt": ("", "no per-layer table"),
        "short.txt": ("\n".join(lines[:4]) + "\n", "expected the run's line of layer"),
        "macs.txt": ("\n".join(lines).replace(f" {good['layers'][2]['macs']} ", " 7 ", 1),
                     "not a run of this application"),
        "nul.txt": ("\0" + "\n".join(lines), "NUL"),
        "nan.txt": ("\n".join(lines).replace(" 1000  OK", " nan  OK", 1), "expected the run's line"),
        "huge.txt": ("\n".join(lines).replace(" 1000  OK", " 1e300  OK", 1),
                     "expected the run's line"),
    }
    for name, (text, want) in cases.items():
        (tmp_path / name).write_text(text)
        assert_user_error(run_dory(dory_asan, "report", work, tmp_path / name, check=False), want)
    assert_user_error(run_dory(dory_asan, "report", work, check=False), "APP_DIR and RUN_OUTPUT")
    for opt in ("-o", "--requant", "-t", "--json"):
        assert_user_error(run_dory(dory_asan, "report", work, tmp_path / "ok.txt", opt, "x",
                                   check=False), opt)
    assert_user_error(run_dory(dory_asan, "report", tmp_path / "nowhere", tmp_path / "ok.txt",
                               check=False), "report.json")
    (work / "report.json").write_text("{\"schema\": \"other\"}")
    assert_user_error(run_dory(dory_asan, "report", work, tmp_path / "ok.txt", check=False),
                      "not a dory report")
    (work / "report.json").write_text("{nope")
    assert_user_error(run_dory(dory_asan, "report", work, tmp_path / "ok.txt", check=False),
                      "not JSON")
    # a hand-edited report with nonsense numbers still draws, without UB
    bad = json.loads(json.dumps(good))
    bad["layers"][0]["index"] = 1e300
    bad["totals"]["l2_peak"] = -5
    bad["tensors"][0]["first"] = 1e12
    (work / "report.json").write_text(json.dumps(bad))
    run_dory(dory_asan, "report", work, tmp_path / "ok.txt")
    assert_user_error(run_dory(dory_asan, "inspect", EXAMPLE, "--html", tmp_path / "x.html",
                               check=False), "need a target")
    assert_user_error(run_dory(dory_asan, "inspect", EXAMPLE, "-t", "gap8", "--html",
                               tmp_path / "no" / "dir" / "x.html", check=False), "x.html")
