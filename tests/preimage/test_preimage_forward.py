"""The default preimage search (relucid/preimage/forward.py): exactness against evaluation, the paper's parabola, stable neurons, limits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relucid as rl
from relucid.preimage import IncompletePreimageWarning

from nets import random_network
from preimage_cases import PARABOLA, assert_exact, random_y

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    n_in=st.integers(1, 4),
    depth=st.integers(1, 3),
    activation=st.sampled_from(["relu", "leaky_relu"]),
    n_rows=st.integers(1, 3),
    with_domain=st.booleans(),
)
def test_membership_agrees_with_evaluation(seed, n_in, depth, activation, n_rows, with_domain):
    rng = np.random.default_rng(seed)
    hidden = [int(rng.integers(1, 9)) for _ in range(depth)]
    net = random_network(rng, n_in, hidden, int(rng.integers(1, 4)), activation=activation)
    lo, hi = -2 * np.ones(n_in), 2 * np.ones(n_in)
    Y = random_y(rng, net, n_rows, lo, hi)
    # without a domain, 4-input 3x8 networks have ~2,000 unbounded pieces (30 s of LPs): keep CI short
    domain = rl.Box(-1.5 * np.ones(n_in), 1.5 * np.ones(n_in)) if with_domain or n_in * depth > 6 else None
    pre = rl.preimage(net, Y, domain=domain, reduce=False)
    assert pre.kind == "exact" and pre.stats.complete
    X = lo + (hi - lo) * rng.random((100_000, n_in))
    assert_exact(net, pre, [Y], X, domain)

@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), activation=st.sampled_from(["relu", "leaky_relu"]))
def test_union_of_output_pieces_and_reduced_pieces(seed, activation):
    """Y as a PolyUnion of two polyhedra; redundancy removal keeps the set."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, [6, 5], 2, activation=activation)
    lo, hi = -2 * np.ones(2), 2 * np.ones(2)
    ys = [random_y(rng, net, 1, lo, hi), random_y(rng, net, 2, lo, hi)]
    pre = rl.preimage(net, rl.PolyUnion(ys), domain=rl.Box(lo, hi))
    X = lo + (hi - lo) * rng.random((100_000, 2))
    assert_exact(net, pre, ys, X)
    for piece in pre:  # reduced: every row is a facet
        assert len(piece.nonredundant_rows()) == piece.n_constraints

# -- the paper's examples (Forets & Schilling) ---------------------------------------

def test_parabola_preimage_matches_brute_force_and_paper():
    """Sec. 3.1: N⁻¹([100, 105]) is two intervals; the paper reports [-80.88, -77.35] ∪ [68.46, 71.48].

    The printed weights are rounded to two decimals, so the paper's endpoints
    (computed with the unrounded network) differ from the printed network's by
    under 1%; the exact endpoints of the printed network are checked against
    a fine grid instead.
    """
    pre = rl.preimage(PARABOLA, "100 <= y0 <= 105")
    intervals = sorted((float(p.bounding_box()[0][0]), float(p.bounding_box()[1][0])) for p in pre)
    assert len(intervals) == 2
    xs = np.linspace(-100, 100, 2_000_001)
    y = PARABOLA(xs[:, None])[:, 0]
    hit = xs[(y >= 100) & (y <= 105)]
    neg, pos = hit[hit < 0], hit[hit > 0]
    assert intervals[0] == pytest.approx((neg.min(), neg.max()), abs=2e-4)
    assert intervals[1] == pytest.approx((pos.min(), pos.max()), abs=2e-4)
    paper = [(-80.88, -77.35), (68.46, 71.48)]
    for (a, b), (pa, pb) in zip(intervals, paper):
        assert abs(a - pa) < 0.01 * abs(pa) and abs(b - pb) < 0.01 * abs(pb)

def test_stable_neurons_are_not_split_and_counts_add_up():
    rng = np.random.default_rng(3)
    net = random_network(rng, 2, [8, 8], 2)
    W0 = net.layers[0].weight.copy()
    b0 = net.layers[0].bias.copy()
    b0[0] = 100.0  # stable on over the domain
    b0[1] = -100.0  # stable off
    net = rl.Network([rl.Dense(W0, b0, "relu"), net.layers[1], net.layers[2]])
    pre = rl.preimage(net, "y0 <= y1", domain="-1 <= x0 <= 1, -1 <= x1 <= 1")
    s = pre.stats
    assert s.stable >= 2 and s.returned == len(pre) and s.explored >= s.returned and s.lps <= 2
    for bits in pre.patterns:
        assert bits[0] and not bits[1]

def test_under_and_limits_warn():
    rng = np.random.default_rng(4)
    net = random_network(rng, 2, [8, 8], 2, scale=3.0)
    dom = "-2 <= x0 <= 2, -2 <= x1 <= 2"
    y = net(rng.uniform(-2, 2, (4000, 2)))
    Y = rl.Polyhedron([[1.0, -1.0]], [float(np.median(y[:, 0] - y[:, 1]))])
    full = rl.preimage(net, Y, domain=dom)
    assert len(full) > 3
    with pytest.warns(IncompletePreimageWarning):
        part = rl.preimage(net, Y, domain=dom, max_pieces=1)
    assert part.kind == "under" and not part.stats.complete and len(part) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        under = rl.preimage(net, Y, domain=dom, method="under", max_pieces=3)
    assert under.kind == "under" and len(under) == 3


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n_in=st.integers(1, 2), depth=st.integers(2, 3))
def test_pieces_where_a_pre_activation_is_identically_zero_are_kept(seed, n_in, depth):
    """Without a domain (LP mode), a piece on which a neuron's pre-activation is identically 0 (all its
    inputs off, bias 0; or a zero row) has no point strictly on either side of the neuron's hyperplane:
    it must be kept, not pruned (the preimage paper's parabola lost x in [-2.87, -0.10] that way)."""
    rng = np.random.default_rng(seed)
    layers = []
    for k, layer in enumerate(random_network(rng, n_in, [int(rng.integers(2, 5)) for _ in range(depth)], 1).layers):
        W, b = np.array(layer.weight), np.array(layer.bias)
        if 0 < k < depth:  # zero biases after the first layer, some zero rows
            b[rng.random(b.shape) < 0.7] = 0.0
            W[rng.random(b.shape) < 0.2] = 0.0
        layers.append(rl.Dense(W, b, layer.activation))
    net = rl.Network(layers)
    X = rng.uniform(-6, 6, size=(20_000, n_in))
    y = net(X)[:, 0]
    lo, hi = np.quantile(y, [0.0, 0.6])
    pre = rl.preimage(net, f"{lo} <= y0 <= {hi}")
    assert pre.stats.complete
    inside = (y >= lo + 1e-6) & (y <= hi - 1e-6)
    missed = inside & ~pre.contains(X, tol=1e-7)
    assert not missed.any(), f"{missed.sum()} inputs with N(x) in Y outside the preimage, e.g. x={X[missed][0]}"
