"""relucid's .npz archive: exact round trips, and refusal of pickles and malformed archives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import relucid as rl
from io_helpers import random_network
from relucid.io.npz import FORMAT

ACTS = ["relu", "leaky_relu", "identity", "sigmoid", "tanh"]


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 4))
    dims = draw(st.lists(st.integers(1, 7), min_size=depth + 1, max_size=depth + 1))
    acts = draw(st.lists(st.sampled_from(ACTS), min_size=depth, max_size=depth))
    seed = draw(st.integers(0, 2**32 - 1))
    return random_network(np.random.default_rng(seed), dims, acts, alpha=draw(st.floats(-2, 2)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_round_trip_is_exact(tmp_path, net):
    path = tmp_path / "net.npz"
    rl.save(net, path)
    back = rl.load(path)
    assert len(back.layers) == len(net.layers)
    for a, b in zip(back.layers, net.layers):
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias)
        assert (a.activation, a.alpha) == (b.activation, b.alpha)


def test_names_are_kept(tmp_path):
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu", name="fc1"), rl.Dense(np.ones((1, 2)), [0.0])])
    rl.save(net, tmp_path / "n.npz")
    assert [layer.name for layer in rl.load(tmp_path / "n.npz").layers] == ["fc1", None]


def _write(path, **arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def _valid(**over):
    arrays = {"format": np.str_(FORMAT), "n_layers": np.int64(1), "W0": np.eye(2), "b0": np.zeros(2),
              "act0": np.str_("relu")}
    arrays.update(over)
    return arrays


def test_valid_hand_written_archive(tmp_path):
    net = rl.load(_write(tmp_path / "ok.npz", **_valid()))
    assert np.array_equal(net(np.array([1.0, -1.0])), [1.0, 0.0])


def test_pickled_object_array_is_refused(tmp_path):
    path = _write(tmp_path / "evil.npz", **_valid(W0=np.array([np.eye(2), "payload"], dtype=object)))
    with pytest.raises(rl.ModelFormatError, match=r"contains pickled object data in 'W0'; relucid never loads pickles"):
        rl.load(path)


def test_missing_key(tmp_path):
    arrays = _valid()
    del arrays["b0"]
    with pytest.raises(rl.ModelFormatError, match=r"missing the key 'b0'"):
        rl.load(_write(tmp_path / "m.npz", **arrays))


def test_missing_alpha_for_leaky_relu(tmp_path):
    with pytest.raises(rl.ModelFormatError, match=r"missing the key 'alpha0'"):
        rl.load(_write(tmp_path / "m.npz", **_valid(act0=np.str_("leaky_relu"))))


def test_wrong_format_tag(tmp_path):
    with pytest.raises(rl.ModelFormatError, match=r"format 'something-else' is not supported"):
        rl.load(_write(tmp_path / "f.npz", **_valid(format=np.str_("something-else"))))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights(tmp_path, bad):
    W = np.eye(2)
    W[0, 1] = bad
    with pytest.raises(rl.InvalidValueError, match=r"layer 0.*weight.*NaN/inf"):
        rl.load(_write(tmp_path / "nan.npz", **_valid(W0=W)))


def test_layers_that_do_not_fit(tmp_path):
    arrays = _valid(n_layers=np.int64(2), W1=np.ones((1, 3)), b1=np.zeros(1), act1=np.str_("identity"))
    with pytest.raises(rl.ShapeError, match="layer 1.*takes 3 inputs but layer 0.*gives 2"):
        rl.load(_write(tmp_path / "shape.npz", **arrays))


def test_unknown_activation(tmp_path):
    with pytest.raises(rl.InvalidValueError, match="activation must be one of"):
        rl.load(_write(tmp_path / "act.npz", **_valid(act0=np.str_("softplus"))))


def test_not_a_zip(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(rl.ModelFormatError, match="could not read .* as an .npz archive"):
        rl.load(path)


def test_truncated_zip(tmp_path):
    data = _write(tmp_path / "ok.npz", **_valid()).read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(rl.ModelFormatError, match="as an .npz archive"):
        rl.load(path)


def test_single_npy_array(tmp_path):
    path = tmp_path / "one.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.eye(2))
    with pytest.raises(rl.ModelFormatError, match="single .npy array"):
        rl.load(path)
