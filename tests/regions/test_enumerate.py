"""Region enumeration against brute force: every pattern seen on a dense grid of the
domain is enumerated, and every enumerated region's interior point has its pattern."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import relucid as rl
from relucid.regions import activation_bits
from independent import regioncam_faces
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


MOONS_BOX = rl.Box([-1.5, -1.0], [3.0, 2.5])  # the moons example's domain (lo, hi in moons_data.npz)


def test_moons_example_region_count_equals_regioncams():
    """The count from regioncam (Rust, float32). Measured too, not run here (23 s): the scipy-LP
    splitting of tests/independent.py (lp_regions) also finds 311, and a 1000 x 1000 grid sees 305 of them."""
    from relucid.examples import load_example_network

    net = load_example_network("moons")
    assert len(list(rl.regions(net, MOONS_BOX))) == regioncam_faces(net, MOONS_BOX.lo, MOONS_BOX.hi)


def test_moons_example_regions_are_real_distinct_and_cover_a_fine_grid():
    """Without regioncam: every pattern on a 1000 x 1000 grid is enumerated (count >= the grid's), and every
    region has an interior ball whose centre has the region's pattern by a raw forward pass (count <= truth)."""
    from relucid.examples import load_example_network

    net = load_example_network("moons")
    found = list(rl.regions(net, MOONS_BOX))
    keys = {r.pattern.to_bits(net).astype(bool).tobytes() for r in found}
    assert len(keys) == len(found), "a region was reported twice"
    seen = set()
    gx, gy = (np.linspace(a, b, 1000) for a, b in zip(MOONS_BOX.lo, MOONS_BOX.hi))
    for rows in np.array_split(gy, 10):
        grid = np.array(np.meshgrid(gx, rows)).reshape(2, -1).T
        seen |= {row.tobytes() for row in raw_bits(net, grid)}
    assert seen <= keys, f"{len(seen - keys)} grid patterns missing from the enumeration"
    for r in found:
        ball = r.chebyshev_center()
        assert ball.radius > 1e-9
        assert raw_bits(net, ball.center[None]).tobytes() == r.pattern.to_bits(net).astype(bool).tobytes()


def raw_bits(net, X):
    """Hidden neurons' on flags (z > 0) for a batch, from the raw weights."""
    out, h = [], np.asarray(X, dtype=np.float64)
    for layer in net.layers[:-1]:
        z = h @ layer.weight.T + layer.bias
        out.append(z > 0)
        h = np.maximum(z, 0.0)
    return np.concatenate(out, axis=1)
