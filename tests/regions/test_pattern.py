import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import relucid as rl
from relucid.regions import activation_bits, neuron_names
from nets import random_network


def two_layer():
    return rl.Network(
        [
            rl.Dense([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0], "relu"),
            rl.Dense(np.ones((2, 3)), [0.0, -0.5], "leaky_relu", alpha=0.1),
            rl.Dense(np.ones((1, 2)), [0.0]),
        ]
    )


def test_pattern_by_hand_and_zero_is_off():
    net = two_layer()
    p = rl.pattern(net, np.array([2.0, 0.0]))
    # layer 0: z = (2, 0, 1): x1 has pre-activation exactly 0 -> off
    assert p.to_dict()[(0, 0)] is True
    assert p.to_dict()[(0, 1)] is False
    assert p.to_dict()[(0, 2)] is True
    assert p.is_complete(net)
    assert p.to_string(net) == "101|11"
    assert len(p) == 5


def test_sub_pattern_relation():
    full = rl.Pattern.from_dict({(0, 0): True, (0, 1): False, (1, 0): True})
    part = rl.Pattern.from_dict({(0, 0): True})
    other = rl.Pattern.from_dict({(0, 0): False})
    assert part <= full and part < full and full >= part
    assert not full <= part
    assert not other <= full
    assert full <= full and not full < full
    assert rl.Pattern() <= part


def test_partial_pattern_queries():
    net = two_layer()
    part = rl.Pattern.from_dict({(0, 1): True, (1, 0): False})
    assert not part.is_complete(net)
    assert part.phase((0, 1)) is True and part.phase((1, 0)) is False and part.phase((0, 0)) is None
    assert part.to_string(net) == "*1*|0*"
    assert set(part.free(net)) == {(0, 0), (0, 2), (1, 1)}
    assert part.flip((0, 1)).phase((0, 1)) is False
    assert Pattern_roundtrip(part)


def Pattern_roundtrip(p):
    return rl.Pattern.from_dict(p.to_dict()) == p


def test_bad_patterns():
    net = two_layer()
    with pytest.raises(rl.InvalidValueError, match="both on and off"):
        rl.Pattern(frozenset({(0, 0)}), frozenset({(0, 0)}))
    with pytest.raises(rl.InvalidValueError, match="layer 5 does not exist"):
        rl.Pattern.from_dict({(5, 0): True}).validate(net)
    with pytest.raises(rl.InvalidValueError, match="has 2 neurons"):
        rl.Pattern.from_dict({(1, 7): True}).validate(net)
    with pytest.raises(rl.InvalidValueError, match="no on/off phase"):
        rl.Pattern.from_dict({(2, 0): True}).validate(net)
    with pytest.raises(rl.InvalidValueError, match="True/False"):
        rl.Pattern.from_dict({(0, 0): "yes"})
    with pytest.raises(rl.InvalidValueError, match="free"):
        rl.Pattern.from_dict({(0, 0): True}).flip((0, 1))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_in=st.integers(1, 5), width=st.integers(1, 8), depth=st.integers(1, 3))
def test_bits_roundtrip_and_batch_agree(seed, n_in, width, depth):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_in, [width] * depth, 2)
    X = rng.normal(size=(20, n_in))
    bits = activation_bits(net, X)
    assert bits.shape == (20, net.n_pattern_neurons) == (20, len(neuron_names(net)))
    for x, row in zip(X, bits):
        p = rl.pattern(net, x)
        assert np.array_equal(p.to_bits(net) == 1, row)
        assert rl.Pattern.from_bits(net, p.to_bits(net)) == p
