"""Forward-backward interval contraction (relucid/bounds/forward_backward.py): the preimage paper's Sec. 3.3.

Kept with the preimage tests because it is the paper's third method; the code lives in bounds/.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relucid as rl

from nets import random_network

XOR = rl.Network([
    rl.Dense([[-4.60248, 4.74295], [-3.19378, 2.90011]], [2.74108, -1.49695], "sigmoid"),
    rl.Dense([[-4.57199, 4.64925]], [2.10176], "sigmoid"),
])


def test_xor_experiments_from_the_paper():
    """Sec. 3.3 / Fig. 8 (numbers given to two decimals in the paper, rounded outwards)."""
    c = rl.contract_intervals(XOR, ([0, 0.8], [0.2, 1]))  # experiment 1: N(x) ∈ [0.51, 0.79]
    lo, hi = c.output
    assert 0.51 <= lo[0] < 0.52 and 0.78 < hi[0] <= 0.79
    c = rl.contract_intervals(XOR, ([0.8, 0], [1, 1]), ([0.5], [1]))  # experiment 3
    # paper: x2 ∈ [0, 0.41] and N(x) ∈ [0.5, 0.86]; the fixpoint here is a little tighter (0.404, 0.850)
    assert 0.39 < c.input[1][1] <= 0.41 and 0.84 < c.output[1][0] <= 0.86
    fwd = rl.contract_intervals(XOR, ([0.8, 0], [1, 1]), max_iter=1)
    assert fwd.output[1][0] == pytest.approx(0.94, abs=0.01)  # one forward pass: [0.5, 0.94] after meeting Y
    bad = rl.contract_intervals(XOR, ([0.8, 0], [1, 0.1]), ([0.9], [1]))
    assert bad.empty  # incompatible: proven by the contraction
    X = np.random.default_rng(0).uniform([0.8, 0], [1, 0.1], (100_000, 2))
    assert XOR(X).max() < 0.9


def _trace_blocks(net, X):
    out = [X]
    h = X
    for layer in net.layers:
        z = layer.preactivation(h)
        h = layer.activate(z)
        out += [z, h]
    return out


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    activation=st.sampled_from(["relu", "leaky_relu", "sigmoid", "tanh"]),
    n_in=st.integers(1, 4),
)
def test_contraction_is_sound_and_at_least_as_tight_as_forward(seed, activation, n_in):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_in, [int(rng.integers(2, 7)) for _ in range(2)], 2, activation=activation)
    lo, hi = -np.ones(n_in), np.ones(n_in)
    X = rng.uniform(lo, hi, (50_000, n_in))
    Yv = net(X)
    olo = np.quantile(Yv, 0.3, axis=0)
    ohi = np.quantile(Yv, 0.9, axis=0)
    c = rl.contract_intervals(net, (lo, hi), (olo, ohi))
    feasible = np.all((Yv >= olo) & (Yv <= ohi), axis=1)
    if c.empty:
        assert not feasible.any()
        return
    for block, (blo, bhi) in zip(_trace_blocks(net, X[feasible]), c.final):
        tol = 1e-9 * (1 + np.abs(block))
        assert np.all(block >= blo - tol) and np.all(block <= bhi + tol)
    fwd = rl.contract_intervals(net, (lo, hi), max_iter=1)
    flo, fhi = fwd.output
    assert np.all(c.output[0] >= np.maximum(flo, olo) - 1e-12) and np.all(c.output[1] <= np.minimum(fhi, ohi) + 1e-12)
    for a, b in zip(c.history, c.history[1:]):  # monotone: every iteration only shrinks
        for (l0, h0), (l1, h1) in zip(a, b):
            assert np.all(l1 >= l0) and np.all(h1 <= h0)
