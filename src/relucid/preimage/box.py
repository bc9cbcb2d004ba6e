"""Box over-approximation of a preimage: invert intervals layer by layer.

Forets & Schilling, Sec. 3.2: starting from a box around ``Y``, invert each
activation on intervals (monotone activations map an interval's endpoints),
then the affine map. For a square, invertible weight matrix ``W`` (layers of
equal width, the paper's setting) the interval of ``W⁻¹ (z - b)`` is
computed with interval arithmetic; otherwise the exact bounding box of
``{h : z_lo <= W h + b <= z_hi}`` comes from two LPs per coordinate (a
coordinate that the rows leave free is unbounded). With a bounded domain,
every box is intersected with DeepPoly's forward bounds over the domain,
which keeps the enclosure finite for ReLU layers (whose inverse of ``0`` is a
half-line). Every step is widened by :data:`BOX_SLACK` so rounding never cuts
a point of the exact preimage.
"""

from __future__ import annotations

import time

import numpy as np

from ..bounds.forward_backward import invert_activation
from ..errors import InvalidValueError
from ..geometry import Box, Polyhedron
from ..geometry.lp import LPStatus, solve_lp
from ..network import Network
from .result import Preimage, PreimageStats

__all__ = ["BOX_SLACK", "box_preimage"]

#: Relative outward widening of every interval bound computed here.
BOX_SLACK = 1e-9
#: Largest condition number for which ``W⁻¹`` is used by interval arithmetic.
_MAX_COND = 1e10


def _widen(lo, hi):
    lo = lo - BOX_SLACK * (1.0 + np.abs(lo))
    hi = hi + BOX_SLACK * (1.0 + np.abs(hi))
    return np.where(np.isnan(lo), -np.inf, lo), np.where(np.isnan(hi), np.inf, hi)


def _affine_box(W, b, zlo, zhi, hlo, hhi):
    """A box around ``{h ∈ [hlo, hhi] : zlo <= W h + b <= zhi}``; None when it is empty."""
    n_out, n_in = W.shape
    if n_out == n_in and np.all(np.isfinite(zlo)) and np.all(np.isfinite(zhi)):
        cond = np.linalg.cond(W)
        if cond < _MAX_COND:
            Winv = np.linalg.inv(W)
            c = (zlo + zhi) / 2 - b
            r = (zhi - zlo) / 2
            mid = Winv @ c
            rad = np.abs(Winv) @ r
            # the inverse itself is computed in floating point: widen by its residual
            err = np.abs(Winv @ (W @ mid - c))
            lo, hi = _widen(mid - rad - err, mid + rad + err)
            lo, hi = np.maximum(lo, hlo), np.minimum(hi, hhi)
            return None if np.any(lo > hi) else (lo, hi)
    rows_A, rows_b = [], []
    upper, lower = np.isfinite(zhi), np.isfinite(zlo)
    rows_A += [W[upper], -W[lower]]
    rows_b += [(zhi - b)[upper], (b - zlo)[lower]]
    A = np.vstack(rows_A)
    rhs = np.concatenate(rows_b)
    lo, hi = hlo.copy(), hhi.copy()
    for j in range(n_in):
        c = np.zeros(n_in)
        c[j] = 1.0
        for maximize in (False, True):
            res = solve_lp(c, A, rhs, lb=hlo, ub=hhi, maximize=maximize)
            if res.status is LPStatus.INFEASIBLE:
                return None
            if res.status is LPStatus.OPTIMAL:
                if maximize:
                    hi[j] = min(hi[j], res.value)
                else:
                    lo[j] = max(lo[j], res.value)
    lo, hi = _widen(lo, hi)
    return np.maximum(lo, hlo), np.minimum(hi, hhi)


def box_preimage(net: Network, ys, domain: Polyhedron | None):
    """One box containing ``{x ∈ domain : net(x) ∈ ∪ ys}`` (``Preimage`` with ``kind="over"``)."""
    for k, layer in enumerate(net.layers):
        if layer.activation == "leaky_relu" and layer.alpha < 0:
            raise InvalidValueError(
                f"preimage: method='box' needs monotone activations, but layer {k} is leaky_relu with slope "
                f"{layer.alpha:g} < 0; use method='exact'"
            )
    t0 = time.monotonic()
    stats = PreimageStats(order="backward-box")
    L = len(net.layers)
    # forward bounds: for each layer k, the box of its input h_{k-1} and of its pre-activation z_k
    h_box = [(np.full(layer.in_dim, -np.inf), np.full(layer.in_dim, np.inf)) for layer in net.layers]
    z_box = [(np.full(layer.out_dim, -np.inf), np.full(layer.out_dim, np.inf)) for layer in net.layers]
    out_box = (np.full(net.output_dim, -np.inf), np.full(net.output_dim, np.inf))
    if domain is not None:
        dlo, dhi = domain.bounding_box()
        stats.lps += 2 * net.input_dim
        if np.any(dlo > dhi):
            return Preimage((), net.input_dim, method="box", kind="over", stats=stats)
        h_box[0] = (dlo, dhi)
        if np.all(np.isfinite(dlo)) and np.all(np.isfinite(dhi)):
            from ..bounds import bounds

            pre = bounds(net, Box(dlo, dhi), method="deeppoly")
            for k, (l, u) in enumerate(pre):
                z_box[k] = _widen(l, u)
                act = net.layers[k]
                post = _widen(*_activate_interval(act, l, u))
                if k + 1 < L:
                    h_box[k + 1] = post
                else:
                    out_box = post
    # a box around Y (the union of its pieces' bounding boxes), cut by the forward output bounds
    ylo = np.full(net.output_dim, np.inf)
    yhi = np.full(net.output_dim, -np.inf)
    for Y in ys:
        l, u = Y.bounding_box()
        stats.lps += 2 * net.output_dim
        ylo, yhi = np.minimum(ylo, l), np.maximum(yhi, u)
    lo, hi = np.maximum(ylo, out_box[0]), np.minimum(yhi, out_box[1])
    for k in reversed(range(L)):
        if np.any(lo > hi):
            break
        layer = net.layers[k]
        zlo, zhi = _widen(*invert_activation(layer.activation, layer.alpha, lo, hi))
        zlo, zhi = np.maximum(zlo, z_box[k][0]), np.minimum(zhi, z_box[k][1])
        if np.any(zlo > zhi):
            lo, hi = zlo, zhi
            break
        got = _affine_box(layer.weight, layer.bias, zlo, zhi, *h_box[k])
        stats.explored += 1
        if got is None:
            lo, hi = np.ones(1), np.zeros(1)
            break
        lo, hi = got
    stats.time = time.monotonic() - t0
    if np.any(lo > hi):
        stats.pruned += 1
        return Preimage((), net.input_dim, method="box", kind="over", stats=stats)
    piece = Box(lo, hi)
    if domain is not None:
        piece = piece.intersect(domain)
    stats.returned = 1
    return Preimage((piece,), net.input_dim, method="box", kind="over", stats=stats)


def _activate_interval(layer, lo, hi):
    """Interval image of ``[lo, hi]`` under a monotone non-decreasing activation."""
    return layer.activate(lo), layer.activate(hi)
