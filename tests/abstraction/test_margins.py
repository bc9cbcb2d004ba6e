"""``robustness_margins``: DeepPoly lower bounds of ``y_label - y_j`` over boxes (issue 16)."""

from __future__ import annotations

import numpy as np

import relucid as rl
from relucid.abstraction import robustness_margins


def test_margins_of_an_affine_network_are_exact():
    # y = (x0, x1, 0): over [lo, hi] the lower bound of y_c - y_j is exact for an affine network
    net = rl.Network([rl.Dense([[1.0, 0], [0, 1], [0, 0]], np.zeros(3))])
    lo, hi = np.array([[1.0, -1.0], [0.0, 2.0]]), np.array([[2.0, 0.5], [0.5, 3.0]])
    m, layers = robustness_margins(net, lo, hi, [0, 1])
    assert np.isinf(m[0, 0]) and np.isinf(m[1, 1])
    assert np.allclose(m[0, 1:], [1.0 - 0.5, 1.0])  # min(x0 - x1) = 1 - 0.5, min(x0 - 0) = 1
    assert np.allclose(m[1, [0, 2]], [2.0 - 0.5, 2.0])  # min(x1 - x0) = 2 - 0.5, min(x1) = 2
    assert len(layers) == 1 and layers[0][0].shape == (2, 3)


def test_margins_are_sound_lower_bounds():
    rng = np.random.default_rng(1)
    net = rl.Network([rl.Dense(rng.normal(size=(8, 3)), rng.normal(size=8), "relu"), rl.Dense(rng.normal(size=(3, 8)), np.zeros(3))])
    centres = rng.normal(size=(5, 3))
    lo, hi = centres - 0.1, centres + 0.1
    labels = net(centres).argmax(axis=1)
    m, _ = robustness_margins(net, lo, hi, labels)
    for b in range(5):
        X = lo[b] + (hi[b] - lo[b]) * rng.random((2000, 3))
        Y = net(X)
        diff = Y[:, [labels[b]]] - Y
        finite = np.isfinite(m[b])
        assert np.all(diff[:, finite].min(axis=0) >= m[b, finite] - 1e-9)
