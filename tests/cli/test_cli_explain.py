"""The explain, regions and characterize commands: output, JSON, plots, one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest

from relucid.cli import main

DOMAIN = "-2 <= x0 <= 3, -1.5 <= x1 <= 2"


def test_explain_why_text_and_plot(tmp_path, capsys):
    png = tmp_path / "why.png"
    assert main(["explain", "example:moons", "--x", "0.5,0.2", "--domain", DOMAIN, "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Why class 1?") and "minimal set" in out and png.stat().st_size > 10_000


def test_explain_why_not_json(capsys):
    assert main(["explain", "example:moons", "--x", "0.5,0.2", "--why-not", "0", "--domain", DOMAIN, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kind"] == "why_not" and d["target"] == 0 and d["confirmed"] is True and len(d["point"]) == 2


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["explain", "example:moons", "--x", "0.5,0.2,0.1"], "3 values but the network takes 2"),
        (["explain", "example:moons", "--x", "0.5,0.2", "--why-not", "1"], "1"),
        (["explain", "example:moons", "--x", "0.5,0.2", "--why-not", "7"], "7"),
        (["regions", "example:moons", "--domain", "-2 <= x0 <= 3, -1.5 <= x1"], "unbounded"),
    ],
)
def test_bad_inputs_one_line_exit_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("relucid: error:") and "\n" not in err and fragment in err and "Traceback" not in err


def test_regions_planar_json(capsys):
    assert main(["regions", "example:moons", "--domain", DOMAIN, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["method"] == "planar" and d["complete"] and d["n_regions"] == len(d["regions"]) > 100
    area = sum(r["area"] for r in d["regions"])
    assert area == pytest.approx(5 * 3.5, rel=1e-9)  # the regions tile the domain


def test_characterize_through_main(capsys):
    assert main(["characterize", "example:moons", "--x", "0.5,0.2", "--property", "class 1",
                 "--domain", DOMAIN]) == 0
    assert capsys.readouterr().out.strip()
    assert main(["characterize", "example:moons", "--x", "0.5,0.2", "--property", "class 9", "--domain", DOMAIN]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "9" in err
