"""``relucid tour`` / ``relucid report``: the HTML report, its provenance, bad inputs, and a real browser.

The tour runs once per module, through the installed ``relucid`` command (the
README's main job); the other tests reuse its page. The browser tests render
pages with headless Chromium and read back what the page's own check script
wrote into the DOM (images decoded, script errors).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import relucid as rl
from independent import pieces_1d, regioncam_faces
from relucid.cli import main
from relucid.report import build_report, load_subject
from relucid.report.html import CHECK_ID, render_page
from relucid.report.section import Section

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = Path(str(resources.files("relucid.examples")))
TOUR_KEYS = ["network", "regions", "explain", "preimage", "preimage-layers", "pieces", "characterize", "naps",
             "contraction", "verify", "abstraction"]
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)


def _relucid() -> list[str]:
    exe = Path(sys.executable).with_name("relucid")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "relucid.cli"]


def _abstraction_runs() -> bool:
    from relucid.report.abstraction import abstraction_unavailable

    return abstraction_unavailable() is None


@pytest.fixture(scope="module")
def tour_run(tmp_path_factory):
    """``relucid tour --out DIR --json`` in a subprocess: (completed process, payload, page html, out dir)."""
    out = tmp_path_factory.mktemp("tour") / "site"
    proc = subprocess.run([*_relucid(), "tour", "--out", str(out), "--json"], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path_factory.getbasetemp())
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    return proc, payload, (out / "index.html").read_text(encoding="utf-8"), out


# -- the tour ------------------------------------------------------------------------------------

def test_tour_writes_one_page_with_every_section(tour_run):
    _, payload, html, out = tour_run
    assert payload["report"] == str(out / "index.html")
    sections = {s["key"]: s for s in payload["sections"]}
    assert list(sections) == TOUR_KEYS
    for key, s in sections.items():
        if key == "abstraction" and not _abstraction_runs():
            assert s["status"] == "skipped" and s["reason"], s
            continue
        assert s["status"] == "done", (key, s["reason"])
        assert f'id="{key}"' in html


def test_every_section_records_network_data_parameters_and_time(tour_run):
    _, payload, html, _ = tour_run
    for s in payload["sections"]:
        if s["status"] != "done":
            continue
        assert "sha256" in s["network"] and "rows" in s["data"], s["key"]
        assert s["params"], s["key"]
        assert s["steps"] and all(sec >= 0 for _, sec in s["steps"]), s["key"]
        assert s["seconds"] >= sum(sec for _, sec in s["steps"]) - 1e-6, s["key"]
        assert s["figures"] >= 1, s["key"]
    assert 'id="timings"' in html and "(whole report)" in html


def test_tour_results_come_with_their_checks(tour_run):
    """The numbers each section reports, and the re-checks the run made of them."""
    _, payload, _, _ = tour_run
    summary = {s["key"]: s["summary"] for s in payload["sections"]}
    assert "2 of 2 polytopes re-checked" in summary["explain"]
    assert "agrees with forward passes on 4000/4000" in summary["preimage"]
    assert "agrees with the forward order on 4000/4000" in summary["preimage-layers"]
    wave, lo, hi = _example("wave")
    assert summary["pieces"].startswith(f"{len(pieces_1d(wave, lo[0], hi[0]))} pieces")  # walked here, from the weights
    assert "query 2: empty (proof)" in summary["contraction"]
    assert re.search(r"proved for ε = [\d.]+; counterexample at ε = [\d.]+ \(confirmed\)", summary["verify"])
    assert "re-checks all agree" in summary["naps"]


def test_tour_region_count_equals_regioncams(tour_run):
    """The moons network over its domain: the count of the tour's region map against regioncam's."""
    _, payload, _, _ = tour_run
    summary = {s["key"]: s["summary"] for s in payload["sections"]}
    assert summary["regions"].startswith(f"{regioncam_faces(*_example('moons'))} linear regions")


def _example(name: str):
    """A shipped example's network and the domain its data file names: (net, lo, hi)."""
    with np.load(EXAMPLES / f"{name}_data.npz", allow_pickle=False) as z:
        lo, hi = z["lo"], z["hi"]
    return rl.load(EXAMPLES / f"{name}_net.npz"), lo, hi


def test_tour_page_is_self_contained(tour_run):
    _, payload, html, out = tour_run
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    for pattern in (r'src="(?!data:)', r'href="(?!#)', r"<link\b", r"@import", r"url\(", r"<script\s+src"):
        assert not re.search(pattern, html), pattern
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == html.count("<img ") == sum(s["figures"] for s in payload["sections"])
    for b64 in images:
        png = base64.b64decode(b64)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert width > 100 and height > 100


def test_no_stored_figures_ship_with_the_package():
    """Every figure of the report is drawn in the run: the package holds no image files."""
    pkg = Path(rl.__file__).parent
    assert not [p for p in pkg.rglob("*") if p.suffix.lower() in (".png", ".svg", ".jpg", ".jpeg", ".gif")]


# -- a real browser ------------------------------------------------------------------------------

def _render_in_chromium(page: Path, profile: Path) -> dict:
    if CHROMIUM is None:
        if os.environ.get("RELUCID_REQUIRE_BROWSER"):  # set by .ci/run: CI must run the browser test
            pytest.fail("RELUCID_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("chromium is not installed here (Debian: apt-get install chromium chromium-driver; .ci/run does)")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(rf'<output id="{CHECK_ID}">([^<]*)</output>', proc.stdout)
    assert m, f"no self-check in the DOM (rc {proc.returncode}): {proc.stderr[-2000:]}"
    text = m.group(1).replace("&quot;", '"').replace("&amp;", "&")
    assert text.startswith("{"), f"the page's check script did not run: {text!r}"
    return json.loads(text)


def test_report_renders_in_chromium_without_errors(tour_run, tmp_path):
    _, payload, _, out = tour_run
    check = _render_in_chromium(out / "index.html", tmp_path / "profile")
    assert check["errors"] == [] and check["broken"] == []
    assert check["images"] == sum(s["figures"] for s in payload["sections"]) >= 10


def test_chromium_check_catches_a_broken_image_and_a_script_error(tmp_path):
    """The negative control: the same check must see what it is there to catch."""
    bad = Section("bad", "Broken on purpose", "done", n_figures=1,
                  body='<img src="data:image/png;base64,AAAA" alt="broken on purpose">'
                       '<script>throw new Error("boom");</script>')
    page = tmp_path / "bad.html"
    page.write_text(render_page("control", "", [bad], total_seconds=0.0), encoding="utf-8")
    check = _render_in_chromium(page, tmp_path / "profile")
    assert check["broken"] == ["broken on purpose"]
    assert any("boom" in e for e in check["errors"])


# -- relucid report on a user's network --------------------------------------------------------------

def _sections(html: str) -> dict:
    """key -> the HTML of that section."""
    return dict(re.findall(r'<section id="([^"]+)">(.*?)</section>', html, flags=re.S))


def test_report_cli_on_a_single_logit_classifier(capsys, tmp_path):
    out = tmp_path / "r"
    code = main(["report", "example:chevron", str(EXAMPLES / "chevron_data.npz"), "--out", str(out), "--no-progress"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert f"report: {out / 'index.html'}" in stdout and "Preimage of an output set" in stdout
    sec = _sections((out / "index.html").read_text(encoding="utf-8"))
    assert "Skipped: needs at least two outputs" in sec["explain"]
    assert "Skipped: for 1-input networks only" in sec["pieces"]
    assert "<img" in sec["regions"] and "<img" in sec["preimage-layers"] and "<img" in sec["verify"]


def test_report_on_a_3_input_network_without_labels_or_domain(tmp_path):
    rng = np.random.default_rng(0)
    net = rl.Network([rl.Dense(rng.normal(size=(4, 3)), rng.normal(size=4) * 0.3, "relu"),
                      rl.Dense(rng.normal(size=(4, 4)), rng.normal(size=4) * 0.3, "relu"),
                      rl.Dense(rng.normal(size=(3, 4)), rng.normal(size=3) * 0.3)])
    rl.save(net, tmp_path / "net.npz")
    np.savez(tmp_path / "data.npz", X=rng.uniform(-1, 1, size=(200, 3)))
    rep = build_report(tmp_path / "net.npz", tmp_path / "data.npz", strict=True)
    status = {s.key: s for s in rep.sections}
    assert status["regions"].status == "done" and "2-D slice" in status["regions"].summary
    assert status["preimage"].status == "skipped" and "3-input" in status["preimage"].reason
    assert status["preimage-layers"].status == "done"           # 8 neurons: the backward order is attempted
    assert status["characterize"].status == "done" and status["verify"].status == "done"
    assert html.escape("labels are the network's own predictions") in rep.html
    assert html.escape("domain is the data's range") in rep.html


def test_report_on_a_1_input_regression(tmp_path):
    rep = build_report("example:wave", EXAMPLES / "wave_data.npz", strict=True)
    status = {s.key: s for s in rep.sections}
    net, lo, hi = _example("wave")
    assert status["pieces"].status == "done"
    assert status["pieces"].summary.startswith(f"{len(pieces_1d(net, lo[0], hi[0]))} pieces")
    for key in ("explain", "characterize", "naps", "verify"):
        assert status[key].status == "skipped" and "needs a classifier" in status[key].reason
    assert status["regions"].status == "skipped"


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda d: ["example:moons", str(d / "missing.npz")], "no such data file"),
        (lambda d: [str(d / "missing.onnx"), str(EXAMPLES / "moons_data.npz")], "no such file"),
        (lambda d: ["example:moons", str(EXAMPLES / "iris_data.npz")], "rows of width 4 but the network takes 2"),
        (lambda d: [str(_write(d / "model.pt", b"not a model")), str(EXAMPLES / "moons_data.npz")], "unknown suffix '.pt'"),
        (lambda d: [str(_write(d / "model.onnx", b"garbage")), str(EXAMPLES / "moons_data.npz")], "onnx"),
        (lambda d: ["example:moons", str(_write(d / "data.npz", b"plain text"))], "is not an .npz archive"),
        (lambda d: ["example:moons", str(_pickled(d / "obj.npz"))], "holds pickled objects"),
        (lambda d: ["example:nosuch", str(EXAMPLES / "moons_data.npz")], "no shipped example 'nosuch'"),
    ],
    ids=["missing-data", "missing-net", "width-mismatch", "unsupported-suffix", "corrupt-onnx", "not-npz",
         "pickled", "unknown-example"],
)
def test_bad_inputs_one_line_exit_2(capsys, tmp_path, make, fragment):
    code = main(["report", *make(tmp_path), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 2
    assert fragment in err, err
    assert err.count("\n") == 1 and err.startswith("relucid: error:") and "Traceback" not in err
    assert out == "" and not (tmp_path / "out").exists()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _pickled(path: Path) -> Path:
    np.savez(path, X=np.array([[1, 2]], dtype=object))
    return path


@pytest.mark.parametrize(
    "arrays, error, fragment",
    [
        ({"y": np.zeros(3)}, rl.ShapeError, "'y' has 3 entries"),
        ({"class_names": np.array(["a", "b"])}, rl.ShapeError, "'class_names' has 2 names but 3"),
        ({"y": np.full(10, 5)}, rl.ShapeError, "labels run from 5 to 5"),
        ({"lo": np.zeros(3), "hi": np.ones(3)}, rl.ShapeError, "'lo' and 'hi' need 1 or 2 entries"),
        ({"lo": np.ones(2), "hi": np.zeros(2)}, rl.InvalidValueError, "lo <= hi"),
        ({"X": np.full((10, 2), np.nan)}, rl.InvalidValueError, "row 0 contains NaN"),
    ],
)
def test_load_subject_names_what_does_not_fit(tmp_path, arrays, error, fragment):
    base = {"X": np.random.default_rng(0).uniform(-1, 1, size=(10, 2))}
    np.savez(tmp_path / "d.npz", **(base | arrays))
    with pytest.raises(error, match=re.escape(fragment)):
        load_subject("example:moons", tmp_path / "d.npz")


# -- the README --------------------------------------------------------------------------------------

def test_readme_commands_and_python_example(monkeypatch, tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    main_job = text.split("# main job:", 1)[1].splitlines()[1]
    assert main_job.strip().endswith("relucid tour")
    assert "pip install -e ." in main_job
    block = re.search(r"## Ten lines.*?```python\n(.*?)```", text, flags=re.S).group(1)
    assert len(block.strip().splitlines()) <= 12
    import relucid.report as report

    calls = []

    class _Stub:
        def write(self, out):
            calls.append(out)

    def stub(net, data, **kw):  # the report itself is tested above; here only that the call fits the API
        load_subject(str(net), data)
        return _Stub()

    monkeypatch.setattr(report, "build_report", stub)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert calls


def test_shipped_examples_are_small_and_pickle_free():
    from relucid.examples import example_names, example_path, load_example_data, load_example_network

    assert example_names() == ["chevron", "iris", "moons", "wave", "xor"]
    for name in example_names():
        for kind in ("net", "data"):
            path = example_path(name, kind)
            assert path.stat().st_size < 20_000, path
            with np.load(path, allow_pickle=False) as z:
                assert z.files
        net, data = load_example_network(name), load_example_data(name)
        assert data.X.shape[1] == net.input_dim and len(data.y) == len(data.X)
        assert np.all((data.X >= data.lo) & (data.X <= data.hi))
        assert data.is_regression == (name == "wave")
