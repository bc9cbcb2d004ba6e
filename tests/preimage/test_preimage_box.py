"""The box over-approximation (relucid/preimage/box.py), and under ⊆ exact ⊆ box."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relucid as rl

from nets import random_network
from preimage_cases import FIG1, points_of, random_y

@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), activation=st.sampled_from(["relu", "leaky_relu"]), n_in=st.integers(1, 3))
def test_under_subset_exact_subset_box(seed, activation, n_in):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_in, [n_in, n_in], 2, activation=activation)  # equal widths: the paper's box setting
    lo, hi = -np.ones(n_in), np.ones(n_in)
    Y = random_y(rng, net, 2, lo, hi)
    domain = rl.Box(lo, hi)
    exact = rl.preimage(net, Y, domain=domain)
    under = rl.preimage(net, Y, domain=domain, method="under", max_pieces=2)
    box = rl.preimage(net, Y, domain=domain, method="box")
    assert under.kind == "under" and box.kind == "over" and len(under) <= 2
    assert len(under) == min(2, len(exact))
    # under ⊆ exact: every point of every under-piece is in the exact preimage
    pts = points_of(under, rng)
    if len(pts):
        assert exact.contains(pts, tol=1e-7).all()
    # exact ⊆ box: samples and vertices of every exact piece lie in the box
    pts = points_of(exact, rng)
    if len(pts):
        assert box.contains(pts, tol=1e-7).all()
    if len(exact) == 0:
        return
    assert len(box) == 1

def test_box_matches_paper_setting_leaky_fig6():
    """Sec. 3.2 / Fig. 6: the Fig. 1 network with leaky ReLUs (0.01, 0.02); Y ⊇ N([0,1]²) by intervals."""
    net = rl.Network([
        rl.Dense(FIG1.layers[0].weight, FIG1.layers[0].bias, "leaky_relu", 0.01),
        rl.Dense(FIG1.layers[1].weight, FIG1.layers[1].bias, "leaky_relu", 0.02),
        FIG1.layers[2],
    ])
    ylo, yhi = rl.bounds(net, rl.Box([0, 0], [1, 1]), method="interval")[-1]
    Y = rl.Box(ylo, yhi)
    exact = rl.preimage(net, Y)  # no domain: the whole preimage, bounded since every layer is injective
    box = rl.preimage(net, Y, method="box")
    blo, bhi = box.bounding_box()
    assert np.all(np.isfinite(blo)) and np.all(np.isfinite(bhi))
    assert np.all(blo <= 0) and np.all(bhi >= 1)  # contains [0, 1]², which maps into Y
    elo, ehi = exact.bounding_box()
    assert np.all(blo <= elo + 1e-9) and np.all(ehi <= bhi + 1e-9)  # coarser, as the paper's Fig. 6 shows

def test_box_handles_sigmoid_and_exact_refuses_it():
    net = rl.Network([rl.Dense([[1.0, -1.0], [0.5, 2.0]], [0.0, 0.1], "sigmoid"), rl.Dense([[1.0, -1.0]], [0.0])])
    with pytest.raises(rl.InvalidValueError, match="sigmoid.*box.*contract_intervals"):
        rl.preimage(net, "y0 <= 0")
    box = rl.preimage(net, "y0 <= 0", domain="-3 <= x0 <= 3, -3 <= x1 <= 3", method="box")
    X = np.random.default_rng(1).uniform(-3, 3, (20_000, 2))
    hit = X[net(X)[:, 0] <= 0]
    assert len(hit) and box.contains(hit).all()
