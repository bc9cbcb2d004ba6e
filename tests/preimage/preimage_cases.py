"""Shared by tests/preimage: the paper's networks, random output sets, and the exactness check.

Tolerances. A point within 1e-7 of a boundary (a row of Y, or a hidden
neuron's zero level) may be classified either way: the pieces are closed and
the LP tolerance is 1e-9, so such points are left out of the exactness check,
as the issue allows. Everything else must agree exactly.
"""

from __future__ import annotations

import numpy as np

import relucid as rl

BAND = 1e-7


def _in_y(ys, Yv):
    inside = np.zeros(len(Yv), dtype=bool)
    margin = np.full(len(Yv), np.inf)
    for Y in ys:
        slack = Y.b - Yv @ Y.A.T  # >= 0 inside
        inside |= np.all(slack >= 0, axis=1)
        margin = np.minimum(margin, np.abs(slack).min(axis=1))
    return inside, margin


def _near_kink(net, X):
    pre = [z for z, layer in zip(net.preactivations(X), net.layers) if layer.has_phases]
    if not pre:
        return np.zeros(len(X), dtype=bool)
    return np.abs(np.hstack(pre)).min(axis=1) <= BAND


def random_y(rng, net, n_rows, lo, hi):
    """Rows through the middle of the outputs over the sampling box, so Y is neither empty nor everything."""
    C = rng.normal(size=(n_rows, net.output_dim))
    Yv = net(lo + (hi - lo) * rng.random((2000, net.input_dim)))
    V = Yv @ C.T
    d = np.array([np.quantile(V[:, r], q) for r, q in enumerate(rng.uniform(0.3, 0.8, size=n_rows))])
    d += 1e-3 * (1.0 + V.std(axis=0))  # off any flat piece of the output (those would sit on the boundary)
    return rl.Polyhedron(C, d)


def assert_exact(net, pre, ys, X, domain=None):
    """``pre.contains(x)`` ⟺ ``N(x) ∈ Y`` (and x in the domain) off the 1e-7 boundary band."""
    inside, margin = _in_y(ys, net(X))
    if domain is not None:
        dslack = domain.b - X @ domain.A.T
        inside &= np.all(dslack >= 0, axis=1)
        margin = np.minimum(margin, np.abs(dslack).min(axis=1))
    got = pre.contains(X)
    clear = (margin > BAND) & ~_near_kink(net, X)
    bad = (got != inside) & clear
    assert not bad.any(), f"{bad.sum()} of {len(X)} points disagree, e.g. x={X[bad][0]}"
    assert clear.mean() > 0.9  # the check is not vacuous

# -- the paper's networks (Forets & Schilling) ---------------------------------------

PARABOLA = rl.Network([
    rl.Dense([[0.63], [0.17], [-0.79]], [0.06, -2.25, -2.27], "relu"),
    rl.Dense([[0.78, 2.17, 0.39], [-0.72, -0.75, 1.02], [-0.14, -0.64, -0.32]], [-2.42, -1.23, 0.0], "relu"),
    rl.Dense([[1.92, 1.01, 0.83]], [0.33]),
])

FIG1 = rl.Network([
    rl.Dense([[0.30, 0.53], [0.77, 0.42]], [0.43, -0.42], "relu"),
    rl.Dense([[0.17, -0.07], [0.71, -0.06]], [-0.01, 0.49], "relu"),
    rl.Dense([[0.35, 0.17], [-0.04, 0.08]], [0.03, 0.17]),
])

def points_of(union, rng, per_piece=200):
    pts = []
    for piece in union:
        if piece.chebyshev_center().radius > 1e-9:
            pts.append(piece.sample(per_piece, rng=rng))
        pts.append(piece.vertices())
    return np.vstack(pts) if pts else np.zeros((0, union.dim))
