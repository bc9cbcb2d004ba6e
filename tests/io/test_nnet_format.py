"""The NNet format: a hand-written file with answers by hand, round trips, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import relucid as rl
from io_helpers import random_network
from relucid.io import read_nnet, save_nnet

# 2 inputs -> 2 ReLUs -> 1 output. Stored weights act on (x - mean) / range and the output
# is de-normalised as y * 10 + 5.
TINY = """// a tiny network written by hand
// second comment line
2,2,1,2,
2,2,1,
0,
-1.0,0.0,
1.0,4.0,
0.5,2.0,5.0,
2.0,4.0,10.0,
1.0,-1.0,
0.5,0.25,
0.0,
1.0,
1.0,2.0,
-0.5,
"""


def _tiny_by_hand(x):
    u = np.array([(x[0] - 0.5) / 2.0, (x[1] - 2.0) / 4.0])
    h = np.maximum(0.0, np.array([[1.0, -1.0], [0.5, 0.25]]) @ u + np.array([0.0, 1.0]))
    return (np.array([1.0, 2.0]) @ h - 0.5) * 10.0 + 5.0


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.nnet"
    path.write_text(TINY)
    return path


def test_tiny_file_by_hand(tiny):
    net = rl.load(tiny)
    assert [layer.activation for layer in net.layers] == ["relu", "identity"]
    for x in ([0.0, 0.0], [1.0, 4.0], [-1.0, 3.0], [0.3, 1.7]):
        assert net(np.array(x))[0] == pytest.approx(_tiny_by_hand(np.array(x)), abs=1e-12)


def test_read_nnet_exposes_normalisation(tiny):
    model = read_nnet(tiny)
    assert np.array_equal(model.input_mins, [-1.0, 0.0]) and np.array_equal(model.input_maxs, [1.0, 4.0])
    assert np.array_equal(model.input_means, [0.5, 2.0]) and np.array_equal(model.input_ranges, [2.0, 4.0])
    assert (model.output_mean, model.output_range) == (5.0, 10.0)
    # Clipping to [mins, maxs] is not applied: outside the box the network is the unclipped map.
    x = np.array([3.0, 9.0])
    assert model.network(x)[0] == pytest.approx(_tiny_by_hand(x), abs=1e-12)


def test_round_trip_with_normalisation(tiny, tmp_path):
    model = read_nnet(tiny)
    out = tmp_path / "again.nnet"
    save_nnet(model.network, out, input_mins=model.input_mins, input_maxs=model.input_maxs,
              input_means=model.input_means, input_ranges=model.input_ranges,
              output_mean=model.output_mean, output_range=model.output_range)
    again = read_nnet(out)
    X = np.random.default_rng(0).uniform(-2, 5, size=(200, 2))
    assert np.max(np.abs(again.network(X) - model.network(X))) <= 1e-12
    assert np.array_equal(again.input_ranges, model.input_ranges) and again.output_mean == model.output_mean


@pytest.mark.parametrize("dims", [[3, 1], [4, 7, 2], [5, 8, 8, 6, 3]])
def test_save_load_round_trip(tmp_path, dims):
    net = random_network(np.random.default_rng(len(dims)), dims, ["relu"] * (len(dims) - 2) + ["identity"])
    rl.save(net, tmp_path / "n.nnet")
    back = rl.load(tmp_path / "n.nnet")
    for a, b in zip(back.layers, net.layers):
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias)  # repr is lossless


def test_save_refuses_other_activations(tmp_path):
    net = random_network(np.random.default_rng(0), [2, 3, 1], ["tanh", "identity"])
    with pytest.raises(rl.UnsupportedOperatorError, match=r"cannot save as .nnet.*layer 0 is 'tanh'"):
        rl.save(net, tmp_path / "x.nnet")
    net = random_network(np.random.default_rng(0), [2, 3, 1], ["relu", "relu"])
    with pytest.raises(rl.UnsupportedOperatorError, match=r"layer 1 is 'relu'"):
        rl.save(net, tmp_path / "x.nnet")


def test_wrong_number_of_values(tiny, tmp_path):
    bad = tmp_path / "short.nnet"
    bad.write_text(TINY.rsplit("\n", 2)[0] + "\n")  # drop the last bias
    with pytest.raises(rl.ModelFormatError, match=r"expected 9 weight and bias values .* found 8"):
        rl.load(bad)


def test_header_that_does_not_fit(tmp_path):
    bad = tmp_path / "hdr.nnet"
    bad.write_text(TINY.replace("2,2,1,\n", "3,2,1,\n", 1))
    with pytest.raises(rl.ModelFormatError, match="layer sizes .* do not fit the header"):
        rl.load(bad)


def test_not_numbers(tmp_path):
    bad = tmp_path / "text.nnet"
    bad.write_text(TINY.replace("0.5,0.25,", "0.5,abc,"))
    with pytest.raises(rl.ModelFormatError, match=r"line 11 .*must hold numbers"):
        rl.load(bad)


def test_zero_range(tmp_path):
    bad = tmp_path / "zero.nnet"
    bad.write_text(TINY.replace("2.0,4.0,10.0,", "2.0,0.0,10.0,"))
    with pytest.raises(rl.ModelFormatError, match="ranges must be non-zero"):
        rl.load(bad)


def test_nan_weight(tmp_path):
    bad = tmp_path / "nan.nnet"
    bad.write_text(TINY.replace("1.0,-1.0,", "nan,-1.0,"))
    with pytest.raises(rl.InvalidValueError, match="NaN"):
        rl.load(bad)


def test_too_short(tmp_path):
    bad = tmp_path / "empty.nnet"
    bad.write_text("// only a comment\n1,1,1,1,\n")
    with pytest.raises(rl.ModelFormatError, match="too short"):
        rl.load(bad)
