"""The command line against hostile input (issue 15, findings 8, 11, 14): each bad input is one line on stderr
with exit code 2 — never a traceback or an "internal error". Finding 6 (the report writer) is in
test_cli_report_out.py."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest

import relucid as rl
from cli_helpers import refused, run
from relucid.cli import _common, main
from relucid.errors import InvalidValueError, ModelFormatError, RelucidError, ShapeError

BOX = "-1 <= x0 <= 1, -1 <= x1 <= 1"
EMPTY = "x0 <= 0, x0 >= 1, -1 <= x1 <= 1"


@pytest.fixture
def small_net(tmp_path):
    net = rl.Network([rl.Dense([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -0.5], "relu"),
                      rl.Dense([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.5]], [0.0, 0.1])])
    path = tmp_path / "net.npz"
    rl.save(net, path)
    return path


# -- finding 11: region with an empty or contradictory --domain --------------------------------------

def test_region_refuses_empty_domain(capsys):
    refused(capsys, "region", "example:moons", "--x", "0.5,0.25", "--domain", "x0 <= 0, x0 >= 1",
            fragment="is empty: its constraints contradict each other")


def test_region_refuses_domain_without_x(capsys):
    refused(capsys, "region", "example:moons", "--x", "0.5,0.25", "--domain", "x0 <= 0",
            fragment="x lies outside the domain")


def test_region_refuses_empty_domain_string(capsys):
    refused(capsys, "region", "example:moons", "--x", "0.5,0.25", "--domain", "",
            fragment="argument --domain: expected constraints")


@pytest.mark.parametrize("argv", [
    ["regions", "example:moons", f"--domain={EMPTY}"],
    ["explain", "example:moons", "--x", "0.5,0.25", f"--domain={EMPTY}"],
    ["characterize", "example:moons", "--x", "0.5,0.25", f"--domain={EMPTY}"],
    ["preimage", "example:moons", "--output", "y0 >= y1", f"--domain={EMPTY}"],
])
def test_empty_domain_is_called_empty_in_every_command(capsys, argv):
    err = refused(capsys, *argv, fragment="is empty")
    assert "unbounded" not in err


@pytest.mark.parametrize("cmd", [
    ["region", "example:moons", "--x", "0.5,0.25"],
    ["regions", "example:moons"],
    ["explain", "example:moons", "--x", "0.5,0.25"],
    ["characterize", "example:moons", "--x", "0.5,0.25"],
    ["preimage", "example:moons", "--output", "y0 >= y1"],
])
@pytest.mark.parametrize("blank", ["", "  ", " , "])
def test_blank_domain_is_refused_not_read_as_none(capsys, cmd, blank):
    refused(capsys, *cmd, "--domain", blank, fragment="argument --domain: expected constraints")


# -- finding 8: bad input files ----------------------------------------------------------------------

def _bad_vector_files(tmp_path):
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("garbage here\n")
    npz = tmp_path / "x.npz"
    np.savez(npz, x=np.zeros(2))
    pickled = tmp_path / "pickled.npy"
    np.save(pickled, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    raw_pickle = tmp_path / "raw.npy"  # a pickle stream named .npy
    raw_pickle.write_bytes(pickle.dumps([0.5, 0.25]))
    binary = tmp_path / "binary.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    strings = tmp_path / "strings.npy"
    np.save(strings, np.array(["0.5", "0.25"]))
    huge = tmp_path / "huge.npy"  # a header declaring 10^12 values, with no data behind it
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    with huge.open("wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
    return [
        (garbage, "garbage.txt:1: expected numbers; got 'garbage'", InvalidValueError),
        (npz, "a zip / .npz archive", ModelFormatError),
        (pickled, "never loads pickles", ModelFormatError),
        (raw_pickle, "binary file", ModelFormatError),
        (binary, "binary file, not UTF-8 text", ModelFormatError),
        (strings, "never loads pickles", ModelFormatError),
        (huge, "has 1000000000000 values", ShapeError),
    ]


def test_x_file_bad_inputs_api(tmp_path):
    for path, fragment, error in _bad_vector_files(tmp_path):
        with pytest.raises(error) as info:
            _common.read_vector_file(str(path), 2)
        assert fragment in str(info.value), (path, info.value)


@pytest.mark.parametrize("command", ["region", "explain", "characterize"])
def test_x_file_bad_inputs_cli(capsys, tmp_path, command):
    extra = [f"--domain={BOX}"] if command == "characterize" else []
    for path, fragment, _ in _bad_vector_files(tmp_path):
        refused(capsys, command, "example:moons", "--x-file", path, *extra, fragment=fragment)


def test_x_file_good_inputs(capsys, tmp_path):
    text = tmp_path / "x.txt"
    text.write_text("# the input\n0.5, 0.25\n")
    npy = tmp_path / "x.npy"
    np.save(npy, np.array([[0.5], [0.25]], dtype=np.float32))
    for path in (text, npy):
        np.testing.assert_array_equal(_common.read_vector_file(str(path), 2), [0.5, 0.25])
        code, out, err = run(capsys, "region", "example:moons", "--x-file", path, "--json")
        assert code == 0 and json.loads(out)["x"] == [0.5, 0.25]


def test_binary_features_file(capsys, tmp_path):
    features = tmp_path / "features.bin"
    features.write_bytes(b"\xff\xfe\x00\x81" * 50)
    with pytest.raises(ModelFormatError, match="binary file"):
        _common.read_names_file(features, 2, "--features", "input")
    refused(capsys, "explain", "example:moons", "--x", "0.5,0.25", "--features", features,
            fragment="--features")
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"a\x00b\nc\n")
    refused(capsys, "explain", "example:moons", "--x", "0.5,0.25", "--features", nul, fragment="NUL bytes")
    escape = tmp_path / "escape.txt"
    escape.write_text("a\x1b[31m\nb\n")
    refused(capsys, "explain", "example:moons", "--x", "0.5,0.25", "--features", escape,
            fragment="control character")


@pytest.mark.parametrize("argv", [
    ["regions", "example:moons", f"--domain={BOX}", "--plot", "{tmp}/x.xyz"],
    ["regions", "example:moons", f"--domain={BOX}", "--plot", "{tmp}/no-such-folder/x.png"],
    ["regions", "example:moons", f"--domain={BOX}", "--plot", "{tmp}"],
    ["regions", "example:moons", f"--domain={BOX}", "--plot", ""],
    ["preimage", "example:moons", "--output", "y0 >= y1", "--plot", "{tmp}/p.xyz"],
    ["explain", "example:moons", "--x", "0.5,0.25", "--plot", "{tmp}/e.nope"],
    ["naps", "table", "example:moons", "d.npz", "n.json", "--heatmap", "{tmp}/h.xyz"],
    ["naps", "mine", "example:moons", "d.npz", "--delta", "0.9", "--out", "{tmp}/no-such-folder/n.json"],
    ["abstract", "example:moons", "d.npz", "--clusters", "4,4", "--out", "{tmp}"],
    ["abstract", "example:moons", "d.npz", "--clusters", "4,4", "--out", "{tmp}/small.xyz"],
])
def test_output_paths_are_checked_before_the_work(capsys, tmp_path, argv):
    """The output path's folder and figure format are checked by argparse, before any network is loaded."""
    err = refused(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv], fragment="argument --")
    assert "see 'relucid" in err


def test_regions_plot_of_a_3_input_network_is_refused_before_the_work(capsys, tmp_path, monkeypatch):
    import importlib

    regions_pkg = importlib.import_module("relucid.regions")  # rl.regions is the function of that name
    net = rl.Network([rl.Dense(np.eye(3), np.zeros(3), "relu"), rl.Dense(np.ones((1, 3)), [0.0])])
    path = tmp_path / "net3.npz"
    rl.save(net, path)
    monkeypatch.setattr(regions_pkg, "regions", lambda *a, **k: pytest.fail("enumerated before refusing"))
    refused(capsys, "regions", path, "--domain", "0 <= x0 <= 1, 0 <= x1 <= 1, 0 <= x2 <= 1", "--plot",
            tmp_path / "r.png", fragment="only 2-input networks")


# -- finding 14: the same option checks everywhere ------------------------------------------------------

TIMEOUTS = ["0", "-1", "nan", "inf", "-inf", "abc"]


@pytest.mark.parametrize("cmd", [
    ["regions", "example:moons", f"--domain={BOX}"],
    ["verify", "example:moons", "p.vnnlib"],
    ["preimage", "example:moons", "--output", "y0 >= y1"],
    ["explain", "example:moons", "--x", "0.5,0.25", "--why-not", "1"],
    ["naps", "verify", "example:moons", "n.json", "--property", "robust"],
])
@pytest.mark.parametrize("value", TIMEOUTS)
def test_timeout_validated_the_same_in_every_command(capsys, cmd, value):
    refused(capsys, *cmd, f"--timeout={value}", fragment="argument --timeout: expected a positive")


@pytest.mark.parametrize("argv, fragment", [
    (["regions", "example:moons", f"--domain={BOX}", "--max-regions", "0"], "argument --max-regions"),
    (["regions", "example:moons", f"--domain={BOX}", "--max-regions=-3"], "argument --max-regions"),
    (["preimage", "example:moons", "--output", "y0 >= y1", "--show=-2"], "argument --show: expected an integer >= 0"),
    (["preimage", "example:moons", "--output", "y0 >= y1", "--max-pieces", "0"], "argument --max-pieces"),
    (["explain", "example:moons", "--x", "0.5,0.25", "--why-not", "1", "--jobs", "0"], "argument --jobs"),
    (["explain", "example:moons", "--x", "0.5,0.25", "--why-not", "1", "--max-hamming=-1"], "argument --max-hamming"),
    (["explain", "example:moons", "--x", "0.5,0.25", "--why-not=-1"], "argument --why-not"),
    (["naps", "verify", "example:moons", "n.json", "--property", "robust", "--jobs", "0"], "argument --jobs"),
    (["naps", "table", "example:moons", "d.npz", "n.json", "--limit", "0"], "argument --limit"),
    (["abstract", "example:moons", "d.npz", "--clusters", "4", "--out", "a.npz", "--samples", "0"],
     "argument --samples"),
    (["abstract", "example:moons", "d.npz", "--clusters", "4", "--out", "a.npz", "--seed=-1"], "argument --seed"),
])
def test_counts_validated_the_same_in_every_command(capsys, argv, fragment):
    refused(capsys, *argv, fragment=fragment)


def test_type_helpers():
    import argparse

    assert _common.positive_seconds("2.5") == 2.5
    assert _common.positive_int("3") == 3 and _common.nonnegative_int("0") == 0
    assert _common.jobs("-1") == -1 and _common.jobs("4") == 4
    for f, bad in [(_common.positive_seconds, "nan"), (_common.positive_seconds, "0"),
                   (_common.positive_int, "0"), (_common.positive_int, "1.5"),
                   (_common.nonnegative_int, "-1"), (_common.jobs, "-2"), (_common.jobs, "0"),
                   (_common.constraints_text, "")]:
        with pytest.raises(argparse.ArgumentTypeError):
            f(bad)


def test_every_timeout_option_uses_the_shared_helper():
    """One rule for every ``--timeout`` (characterize's is the lead engineer's and checked by its API)."""
    from relucid.cli import _build_parser

    def walk(parser, prefix=()):
        for action in parser._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                for name, sub in action.choices.items():
                    yield from walk(sub, prefix + (name,))
            elif "--timeout" in getattr(action, "option_strings", ()):
                yield prefix, action

    found = dict(walk(_build_parser()))
    assert {"regions", "verify", "preimage", "explain"} <= {p[0] for p in found}
    for prefix, action in found.items():
        if prefix != ("characterize",):
            assert action.type is _common.positive_seconds, prefix


@pytest.mark.parametrize("name", ["../../examples/moons", "../examples/moons", "/tmp/evil", "moons/../moons",
                                  "", "MOONS", "moons_net"])
def test_example_names_only_shipped(capsys, name):
    from relucid.examples import example_path, load_example_network

    with pytest.raises(ModelFormatError, match="available: chevron, iris, moons"):
        load_example_network(name)
    with pytest.raises(ModelFormatError, match="no shipped example"):
        example_path(name, "data")
    refused(capsys, "info", f"example:{name}", fragment="no shipped example")


def test_example_loader_does_not_read_a_planted_net_outside(tmp_path):
    """``example:../../<path>`` used to load any ``*_net.npz`` on disk."""
    from relucid.examples import _folder, load_example_network

    net = rl.Network([rl.Dense([[1.0]], [0.0])])
    rl.save(net, tmp_path / "evil_net.npz")
    rel = os.path.relpath(tmp_path / "evil", _folder())
    with pytest.raises(ModelFormatError, match="no shipped example"):
        load_example_network(rel)


def test_unknown_command_usage_hint(capsys):
    err = refused(capsys, "frobnicate", fragment="invalid choice")
    assert "(see 'relucid --help')" in err and "relucid relucid" not in err
    err = refused(capsys, "naps", "frobnicate", fragment="invalid choice")
    assert "(see 'relucid naps --help')" in err
    err = refused(capsys, "naps", "verify", "example:moons", "n.json", "--property", "bogus",
                  fragment="invalid choice")
    assert "(see 'relucid naps verify --help')" in err


def test_help_returns_zero(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "commands" in out


def test_warnings_are_one_line_each(capsys):
    code, out, err = run(capsys, "regions", "example:moons", f"--domain={BOX}", "--max-regions", "1", "--json")
    assert code == 0 and json.loads(out)["complete"] is False
    lines = err.splitlines()
    assert lines and all(line.startswith("relucid: warning: ") for line in lines), err
    assert "max_regions=1" in err and "regions.py" not in err and "Traceback" not in err


def test_runtime_warning_is_one_line(capsys, monkeypatch):
    import relucid.cli.info as cmd

    def noisy(args):
        np.log(np.zeros(1))  # RuntimeWarning: divide by zero
        import warnings

        warnings.warn("two\nlines", UserWarning)
        return 0

    monkeypatch.setattr(cmd, "info", noisy)
    code, out, err = run(capsys, "info", "example:moons")
    assert code == 0
    assert err.splitlines() == ["relucid: warning: divide by zero encountered in log",
                                "relucid: warning: two lines"], err


# -- labels out of range (naps table, abstract) ----------------------------------------------------------

@pytest.fixture
def bad_label_data(tmp_path):
    from relucid.examples import load_example_data

    d = load_example_data("moons")
    out = {}
    for tag, value in (("seven", 7), ("negative", -1), ("fraction", 0.5)):
        y = d.y.astype(np.float64 if tag == "fraction" else np.int64).copy()
        y[3] = value
        out[tag] = tmp_path / f"{tag}.npz"
        np.savez(out[tag], x=d.X, y=y)
    good = tmp_path / "good.npz"
    np.savez(good, x=d.X, y=d.y)
    return good, out


def test_naps_table_labels_out_of_range(capsys, tmp_path, bad_label_data):
    good, bad = bad_label_data
    naps = tmp_path / "naps.json"
    assert main(["naps", "mine", "example:moons", str(good), "--delta", "0.99", "--out", str(naps), "--json"]) == 0
    capsys.readouterr()
    refused(capsys, "naps", "table", "example:moons", bad["seven"], naps,
            fragment="label 7 at row 3 is not a class of this network (classes 0..2)")
    refused(capsys, "naps", "table", "example:moons", bad["negative"], naps, fragment="label")
    refused(capsys, "naps", "table", "example:moons", bad["fraction"], naps, fragment="must be integers")


def test_abstract_labels_out_of_range(capsys, tmp_path, bad_label_data):
    _, bad = bad_label_data
    out = tmp_path / "small.npz"
    for tag, fragment in (("seven", "label 7 at row 3"), ("negative", "label -1 at row 3"),
                          ("fraction", "must be integers")):
        refused(capsys, "abstract", "example:moons", bad[tag], "--clusters", "8,8", "--out", out, fragment=fragment)
        refused(capsys, "abstract", "example:moons", bad_label_data[0], "--clusters", "8,8", "--out", out,
                "--val", bad[tag], fragment=fragment)
    assert not out.exists()


def test_check_labels_api():
    np.testing.assert_array_equal(_common.check_labels(np.array([0, 1, 2]), 3, "d"), [0, 1, 2])
    np.testing.assert_array_equal(_common.check_labels(np.array([0.0, 1.0]), 1, "d"), [0, 1])  # one output: 0/1
    for y in ([3], [-1], [np.nan], [0.5]):
        with pytest.raises(InvalidValueError):
            _common.check_labels(np.array(y), 3, "d")
    with pytest.raises(ShapeError):
        _common.check_labels(np.zeros((2, 2)), 3, "d")


def test_every_refusal_is_a_relucid_error():
    """The readers raise relucid's own errors (so the API user can catch RelucidError)."""
    assert issubclass(ModelFormatError, RelucidError) and issubclass(InvalidValueError, RelucidError)


def test_model_suffixes_match_what_relucid_saves():
    from relucid import io

    assert set(_common.MODEL_SUFFIXES) == set(io._SAVERS)


@pytest.mark.parametrize("text, fragment", [
    ("x0 <= 1e400", "too large for a float"),
    ("-1e999 <= x0 <= 1, -1 <= x1 <= 1", "too large for a float"),
    ("", "no constraint found"),
    (" ; ", "no constraint found"),
])
def test_constraint_text_with_non_finite_or_no_numbers(capsys, text, fragment):
    """``x0 <= 1e400`` used to be read as ``x0 <= inf``: a constraint silently dropped."""
    from relucid.geometry.parse import parse_constraints

    with pytest.raises(InvalidValueError, match=fragment):
        parse_constraints(text, 2)
    with pytest.raises(InvalidValueError, match="expected text"):
        parse_constraints(None, 2)
    if text.strip(" ;"):
        refused(capsys, "region", "example:moons", "--x", "0.5,0.25", f"--domain={text}", fragment=fragment)
