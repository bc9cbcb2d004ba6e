"""Region enumeration against brute force: every pattern seen on a dense grid of the
domain is enumerated, and every enumerated region's interior point has its pattern."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import relucid as rl
from relucid.regions import activation_bits
from nets import random_network


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), hidden=st.lists(st.integers(1, 6), min_size=1, max_size=2),
       activation=st.sampled_from(["relu", "leaky_relu"]))
def test_enumeration_covers_grid_patterns(seed, hidden, activation):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, hidden, 2, activation=activation)
    box = rl.Box([-2.0, -2.0], [2.0, 2.0])
    found = list(rl.regions(net, box))
    keys = {r.pattern.to_bits(net).tobytes() for r in found}
    assert len(keys) == len(found), "a region was reported twice"
    g = np.linspace(-2, 2, 301)
    grid = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    seen = {row.astype(np.int8).tobytes() for row in activation_bits(net, grid)}
    assert seen <= keys, f"{len(seen - keys)} grid patterns missing from the enumeration"
    for r in found:
        c = r.chebyshev_center().center
        assert np.array_equal(activation_bits(net, c).astype(np.int8), r.pattern.to_bits(net))


def test_timeout_warns_incomplete():
    from relucid.examples import load_example_network

    net = load_example_network("moons")
    with pytest.warns(Warning, match="incomplete"):
        found = list(rl.regions(net, rl.Box([-1.5, -1.0], [3.0, 2.5]), max_regions=10))
    assert len(found) == 10


def test_moons_example_region_count_is_stable():
    # 311 regions; the same count came from an independent enumeration run with scipy's linprog
    from relucid.examples import load_example_network

    net = load_example_network("moons")
    assert len(list(rl.regions(net, rl.Box([-1.5, -1.0], [3.0, 2.5])))) == 311
