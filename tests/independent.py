"""Answers computed without relucid's algorithms, for tests to compare relucid against (importable helper).

Only the raw weights of a network (``layer.weight``, ``layer.bias``,
``layer.activation``) are read; the rest is numpy, scipy's ``linprog`` or
regioncam (a separate Rust implementation of 2-D region enumeration):

- :func:`lp_regions`: every linear region of a small ReLU network on a box,
  by splitting cells one neuron at a time with Chebyshev-ball LPs;
- :func:`pieces_1d`: the linear pieces of a 1-input ReLU network on an
  interval, walked left to right;
- :func:`regioncam_faces`: regioncam's region count of a 2-input ReLU network
  on a box (skips the test where regioncam is not installed).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

#: A cell whose largest inscribed ball has a smaller radius is empty (or flat) here.
MIN_RADIUS = 1e-9


def _hidden(net):
    layers = list(net.layers)
    assert all(layer.activation == "relu" for layer in layers[:-1]) and layers[-1].activation == "identity", \
        "these references handle relu hidden layers and an identity output"
    return layers[:-1], layers[-1]


def _ball(A, b) -> tuple[np.ndarray | None, float]:
    """Centre and radius of the largest ball in {x : A x <= b} (radius capped at 1), by scipy's linprog."""
    norms = np.linalg.norm(A, axis=1)
    n = A.shape[1]
    res = linprog(np.r_[np.zeros(n), -1.0], A_ub=np.c_[A, norms], b_ub=b,
                  bounds=[(None, None)] * n + [(None, 1.0)], method="highs")
    return (res.x[:n], -res.fun) if res.status == 0 else (None, -np.inf)


def lp_regions(net, lo, hi) -> list[dict]:
    """Every full-dimensional linear region of a small ReLU network on the box ``[lo, hi]``.

    Each region is a dict: ``bits`` (bool, every hidden neuron in layer order,
    True where ``z > 0``), ``A``, ``b`` (the closed region ``A x <= b``) and
    ``G``, ``g`` (the network there: ``y = G x + g``). Cells are split by one
    neuron's hyperplane at a time; a side is kept when a ball of radius
    :data:`MIN_RADIUS` fits in it. Each cell keeps a ball inside it: the side
    holding that ball (with room to spare) needs no LP; the other side costs one.
    """
    hidden, out = _hidden(net)
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    n = lo.size
    eye = np.eye(n)
    # a cell: (bits so far, A, b, M, m) with the current layer's input h = M x + m
    # a cell: (bits so far, A, b, ball centre, ball radius, M, m) with the current layer's input h = M x + m
    A0, b0 = np.r_[eye, -eye], np.r_[hi, -lo]
    cells = [((), A0, b0, *_ball(A0, b0), eye, np.zeros(n))]
    for layer in hidden:
        split = []
        for bits, A, b, x, r, M, m in cells:
            P, q = layer.weight @ M, layer.weight @ m + layer.bias
            parts = [((), A, b, x, r)]
            for k in range(layer.out_dim):
                nxt = []
                for on, A_, b_, x_, r_ in parts:
                    norm = np.linalg.norm(P[k])
                    dist = (P[k] @ x_ + q[k]) / norm if norm > 0 else np.sign(q[k]) * np.inf
                    for side in (True, False):  # on: P_k x + q_k >= 0; off: P_k x + q_k <= 0
                        sign = -1.0 if side else 1.0
                        A2, b2 = np.r_[A_, sign * P[k][None]], np.r_[b_, -sign * q[k]]
                        room = -sign * dist  # the ball centre's distance inside this side
                        x2, r2 = (x_, min(r_, room)) if room > MIN_RADIUS else _ball(A2, b2)
                        if r2 > MIN_RADIUS:
                            nxt.append(((*on, side), A2, b2, x2, r2))
                parts = nxt
            for on, A_, b_, x_, r_ in parts:
                d = np.array(on, dtype=np.float64)
                split.append(((*bits, *on), A_, b_, x_, r_, d[:, None] * P, d * q))
        cells = split
    return [{"bits": np.array(bits, dtype=bool), "A": A, "b": b, "G": out.weight @ M, "g": out.weight @ m + out.bias}
            for bits, A, b, _, _, M, m in cells]


def lp_max(c, A, b) -> float:
    """max c.x over the bounded polyhedron {A x <= b}, by scipy's linprog."""
    res = linprog(-np.asarray(c, dtype=np.float64), A_ub=A, b_ub=b, bounds=[(None, None)] * A.shape[1],
                  method="highs")
    assert res.status == 0, res.message
    return -res.fun


def pieces_1d(net, lo: float, hi: float) -> list[tuple[float, float]]:
    """The linear pieces ``[a, b]`` of a 1-input ReLU network on ``[lo, hi]``, left to right.

    From the left end ``t`` of a piece, each layer's pre-activations are affine
    in the input, ``z(s) = a s + c``; a neuron is on in the piece to the right
    of ``t`` where ``z(t) > 0``, or ``z(t) = 0`` (to rounding) and ``a > 0``.
    The piece ends at the first root ``-c / a`` of any neuron beyond ``t``.
    """
    hidden, _ = _hidden(net)
    out, t = [], float(lo)
    while t < hi:
        A, C, end = np.ones(1), np.zeros(1), float(hi)
        for layer in hidden:
            a, c = layer.weight @ A, layer.weight @ C + layer.bias
            z = a * t + c
            tol = 1e-9 * (1.0 + np.abs(c) + np.abs(a * t))
            on = (z > tol) | ((np.abs(z) <= tol) & (a > 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                roots = np.where(a != 0, -c / a, np.inf)
            beyond = roots[roots > t + 1e-12 * (1.0 + abs(t))]
            end = min(end, float(beyond.min(initial=np.inf)))
            A, C = np.where(on, a, 0.0), np.where(on, c, 0.0)
        out.append((t, end))
        t = end
    return out


def regioncam_faces(net, lo, hi) -> int:
    """regioncam's count of the linear regions of a 2-input ReLU network on the box ``[lo, hi]``.

    regioncam partitions the square ``[-1, 1]^2`` (in float32); the box is
    mapped onto it by ``x = centre + half_width * u``, folded into the first layer.
    """
    regioncam = pytest.importorskip("regioncam", reason="regioncam is a dev extra: the independent region count")
    hidden, _ = _hidden(net)
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    rc = regioncam.Regioncam(1.0)
    for k, layer in enumerate(hidden):
        W, c = (layer.weight * half, layer.weight @ centre + layer.bias) if k == 0 else (layer.weight, layer.bias)
        rc.linear(np.ascontiguousarray(W.T, dtype=np.float32), np.asarray(c, dtype=np.float32))
        rc.relu()
    return int(rc.num_faces)
