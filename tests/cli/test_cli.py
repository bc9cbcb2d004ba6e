"""The command line: outputs, --json, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

import relucid as rl
from relucid.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def small_net(tmp_path):
    net = rl.Network(
        [
            rl.Dense([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -0.5], "relu"),
            rl.Dense([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.5]], [0.0, 0.1]),
        ]
    )
    path = tmp_path / "net.npz"
    rl.save(net, path)
    return net, path


def test_info(capsys, small_net):
    net, path = small_net
    code, out, err = run(capsys, "info", str(path))
    assert code == 0 and err == ""
    assert "input dim 2, output dim 2" in out and "3 piecewise-linear neurons" in out
    code, out, _ = run(capsys, "info", str(path), "--json")
    payload = json.loads(out)
    assert payload["n_parameters"] == net.n_parameters
    assert [l["activation"] for l in payload["layers"]] == ["relu", "identity"]


def test_region_text_and_json(capsys, small_net):
    net, path = small_net
    code, out, _ = run(capsys, "region", str(path), "--x", "0.3,-0.2")
    assert code == 0
    assert "pattern         100" in out and "local map" in out
    code, out, _ = run(capsys, "region", str(path), "--x", "0.3,-0.2", "--json", "--domain", "-1 <= x0 <= 1, -1 <= x1 <= 1")
    payload = json.loads(out)
    x = np.array([0.3, -0.2])
    W, b = np.array(payload["affine_W"]), np.array(payload["affine_b"])
    np.testing.assert_allclose(W @ x + b, net(x), atol=1e-12)
    assert payload["pattern"] == "100"
    assert payload["n_facets"] == len(payload["facet_neurons"]) >= 2
    assert payload["chebyshev_radius"] > 0


def test_regions_command_counts_and_plots(capsys, small_net, tmp_path):
    _, path = small_net
    png = tmp_path / "r.png"
    code, out, _ = run(capsys, "regions", str(path), "--domain", "-1 <= x0 <= 1, -1 <= x1 <= 1", "--json", "--plot", str(png))
    assert code == 0
    payload = json.loads(out)
    # x0 = 0 and x1 = 0 make 4 quadrants; x0 + x1 = 0.5 crosses three of them: 7 cells
    assert payload["n_regions"] == 7
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["region", "{net}", "--x", "1,2,3"], "--x has 3 values but the network takes 2 inputs"),
        (["region", "{net}", "--x", "1,abc"], "expected comma-separated numbers"),
        (["region", "{net}", "--x", "1,2", "--domain", "x7 <= 1"], "only 2 variables"),
        (["info", "{missing}"], "no such file"),
        (["info", "{bad}"], "ONNX"),
        (["region", "{net}"], "one of the arguments --x --x-file is required"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, small_net, tmp_path, argv, fragment):
    _, path = small_net
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01 not a protobuf \xff" * 3)
    subs = {"{net}": str(path), "{missing}": str(tmp_path / "nope.onnx"), "{bad}": str(bad)}
    try:
        code = main([subs.get(a, a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    _, err = capsys.readouterr()
    assert code == 2
    assert fragment in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_console_script_entry_point_runs(small_net):
    _, path = small_net
    proc = subprocess.run(
        [sys.executable, "-m", "relucid.cli", "region", str(path), "--x", "1"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("relucid: error:") and "Traceback" not in proc.stderr


def _bad_files(tmp_path):
    """One file per kind of bad model input, with the message fragment the CLI must print."""
    from onnx import helper

    from io_helpers import make_model
    from relucid.io.npz import FORMAT

    def onnx_file(name, model):
        path = tmp_path / name
        path.write_bytes(model.SerializeToString())
        return path

    relu = helper.make_node("Relu", ["x"], ["r"], name="act0")
    softmax = onnx_file(
        "softmax.onnx",
        make_model([relu, helper.make_node("Softmax", ["r"], ["y"], name="head")], [("x", [1, 2])], [("y", [1, 2])]),
    )
    mismatch = onnx_file(
        "mismatch.onnx",
        make_model(
            [
                helper.make_node("MatMul", ["x", "W"], ["h"], name="mm1"),
                helper.make_node("Relu", ["h"], ["r"]),
                helper.make_node("MatMul", ["r", "V"], ["y"], name="mm2"),
            ],
            [("x", [1, 3])],
            [("y", [1, 2])],
            {"W": np.ones((3, 4)), "V": np.ones((5, 2))},
        ),
    )
    nan_onnx = onnx_file(
        "nan.onnx",
        make_model(
            [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
            [("x", [1, 2])],
            [("y", [1, 2])],
            {"W": np.array([[1.0, np.nan], [0.0, 1.0]])},
        ),
    )
    valid = {"format": np.array(FORMAT), "n_layers": np.array(1), "W0": np.eye(2), "b0": np.zeros(2),
             "act0": np.array("relu"), "alpha0": np.array(np.nan)}
    nan_npz = tmp_path / "nan.npz"
    np.savez(nan_npz, **{**valid, "W0": np.array([[1.0, np.inf], [0.0, 1.0]])})
    pickled = tmp_path / "evil.npz"
    np.savez(pickled, **{**valid, "W0": np.array([np.eye(2), "payload"], dtype=object)})
    truncated = tmp_path / "cut.onnx"
    truncated.write_bytes(softmax.read_bytes()[:-9])
    return [
        (softmax, "unsupported ONNX operator 'Softmax' at node 'head'"),
        (mismatch, "'MatMul' at node 'mm2'"),
        (nan_onnx, "NaN"),
        (nan_npz, "NaN/inf"),
        (pickled, "relucid never loads pickles"),
        (truncated, "could not parse ONNX file"),
    ]


def test_bad_model_files_one_line_exit_2(capsys, tmp_path):
    for path, fragment in _bad_files(tmp_path):
        code = main(["info", str(path)])
        out, err = capsys.readouterr()
        assert code == 2, path
        assert fragment in err, (path, err)
        assert err.count("\n") == 1 and "Traceback" not in err and out == ""

