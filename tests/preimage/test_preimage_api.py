"""The entry point (relucid/preimage/api.py, inputs.py) through the library and the CLI: bad inputs, emptiness as a proof, JSON."""

from __future__ import annotations

import numpy as np
import pytest

import relucid as rl
from relucid.cli import main

from preimage_cases import FIG1, PARABOLA

def test_emptiness_is_a_proof_library_and_cli(tmp_path, capsys):
    """Sec. 3.1: 'the DNN does not output negative numbers': N⁻¹({y <= 0}) = ∅."""
    pre = rl.preimage(PARABOLA, "y0 <= 0")
    assert len(pre) == 0 and pre.is_empty() and pre.kind == "exact" and pre.stats.complete
    assert PARABOLA(np.linspace(-1e3, 1e3, 100_001)[:, None]).min() > 0
    path = tmp_path / "parabola.npz"
    rl.save(PARABOLA, path)
    assert main(["preimage", str(path), "--output", "y0 <= 0"]) == 0
    out = capsys.readouterr().out
    assert "EMPTY" in out and "proof" in out

# -- bad inputs ------------------------------------------------------------------

def test_bad_inputs_name_the_cause():
    net = FIG1
    with pytest.raises(rl.ShapeError, match="dimension 3 but the network has 2 outputs"):
        rl.preimage(net, rl.Polyhedron(np.ones((1, 3)), [0.0]))
    with pytest.raises(rl.InvalidValueError, match=r"'\$ 3'|\$ 3"):
        rl.preimage(net, "y0 <= y1 $ 3")
    with pytest.raises(rl.InvalidValueError, match="y7"):
        rl.preimage(net, "y0 <= y7")
    with pytest.raises(rl.ShapeError, match="domain has dimension 3"):
        rl.preimage(net, "y0 <= y1", domain=rl.Box(np.zeros(3), np.ones(3)))
    with pytest.raises(rl.InvalidValueError, match="method"):
        rl.preimage(net, "y0 <= y1", method="magic")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--output", "y0 <= y1 $ 3"], "$ 3"),
        (["--output", "y0 <= y9"], "y9"),
        (["--output", "y0 <= y1", "--domain", "0 <= x5 <= 1"], "x5"),
    ],
)
def test_cli_bad_inputs_one_line_exit_2(tmp_path, capsys, argv, fragment):
    path = tmp_path / "fig1.npz"
    rl.save(FIG1, path)
    assert main(["preimage", str(path), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and fragment in err and "Traceback" not in err

def test_cli_json_and_plot(tmp_path, capsys):
    import json

    path = tmp_path / "fig1.npz"
    rl.save(FIG1, path)
    png = tmp_path / "pre.png"
    assert main(["preimage", str(path), "--output", "y0 <= y1", "--domain", "0 <= x0 <= 1, 0 <= x1 <= 1",
                 "--json", "--plot", str(png)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["n_pieces"] == len(payload["pieces"]) > 0 and payload["kind"] == "exact"
    assert png.stat().st_size > 10_000
