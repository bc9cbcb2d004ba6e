"""The paper's output-to-input order (relucid/preimage/layers.py): the same set as the default search, Examples 1-4."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import relucid as rl
from relucid.preimage import as_output_set

from nets import random_network
from preimage_cases import FIG1, assert_exact, random_y

@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_in=st.integers(1, 3), activation=st.sampled_from(["relu", "leaky_relu"]))
def test_backward_order_gives_the_same_set(seed, n_in, activation):
    """The paper's output-to-input order (preimage_layers) and the default search agree."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_in, [int(rng.integers(1, 6)) for _ in range(2)], 2, activation=activation)
    lo, hi = -2 * np.ones(n_in), 2 * np.ones(n_in)
    Y = random_y(rng, net, 1, lo, hi)
    domain = rl.Box(lo, hi)
    stages, stats = rl.preimage_layers(net, Y, domain)
    assert stages[0].space == "y" and stages[-1].space == "x"
    X = lo + (hi - lo) * rng.random((50_000, n_in))
    assert_exact(net, stages[-1].union, [Y], X, domain)
    assert stats.returned == len(stages[-1].union)

# -- the paper's examples (Forets & Schilling) ---------------------------------------

def test_example_3_relu_inverse_of_a_band():
    """Examples 1-3: f(x) = (-0.46 0.32) x + 2 after a 2-D ReLU, Y = [2, 3]."""
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense([[-0.46, 0.32]], [2.0])])
    stages, _ = rl.preimage_layers(net, "2 <= y0 <= 3")
    band = stages[1].union  # affine inverse: the band 0 <= (-0.46 0.32) h <= 1
    assert len(band) == 1 and band.contains([0.0, 0.0]) and band.contains([0.0, 3.125]) and not band.contains([0.0, 3.2])
    relu_inv = stages[2].union  # X1 ∪ X2 ∪ X4 (X3 is empty)
    assert len(relu_inv) == 3
    # X2 = {x1 <= 0, 0 <= x2 <= 3.125}; X4 = the negative orthant; X1 inside the band with x1 > 0
    assert relu_inv.contains([-5.0, 3.1]) and not relu_inv.contains([-5.0, 3.2])
    assert relu_inv.contains([-3.0, -7.0])
    assert relu_inv.contains([1.0, 3.0]) and not relu_inv.contains([1.0, -0.1])
    assert not relu_inv.contains([1.0, 0.0])  # x1 > 0, x2 <= 0: X3 is empty

def test_example_4_class_two_preimage_over_the_unit_square():
    """Example 4 / Fig. 3: C2 = {y1 <= y2} (0-based: y0 <= y1) under the Fig. 1 network, clipped to [0, 1]²."""
    domain = rl.Box([0, 0], [1, 1])
    stages, _ = rl.preimage_layers(FIG1, "y0 <= y1", domain)
    assert [s.space for s in stages] == ["y", "h1", "z1", "h0", "z0", "x"]
    pre = rl.preimage(FIG1, "y0 <= y1", domain=domain)
    X = np.random.default_rng(0).random((100_000, 2))
    ys = as_output_set(FIG1, "y0 <= y1")
    assert_exact(FIG1, pre, ys, X, domain)
    assert_exact(FIG1, stages[-1].union, ys, X, domain)
    inside = np.mean(pre.contains(X))
    assert 0.05 < inside < 0.95  # both classes occur in [0, 1]², as in Fig. 2(a)
