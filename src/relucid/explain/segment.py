"""The linear regions a straight segment from ``a`` to ``b`` passes through, found exactly.

Along ``p(s) = a + s (b - a)``, ``s`` in ``[0, 1]``, every pre-activation is
piecewise linear in ``s``. Inside one region it is affine, ``z(s) = z(s0) +
(s - s0) dz``, so the next breakpoint is the smallest root ``s0 - z / dz``
over the neurons that move toward 0 (on neurons with ``dz < 0``, off neurons
with ``dz > 0``). The walk starts at ``s = 0`` and, at each breakpoint,
re-evaluates the network there (one float64 forward pass, with derivatives)
and reads the phases of the *next* piece from ``z + TAU dz`` (the sign just
after the breakpoint; ``z`` alone would be 0 for the neuron that just
crossed). One forward pass per piece; no LP.

Within a piece the outputs are affine too, so the first ``s`` at which a
class wins strictly is solvable piece by piece (:func:`first_win`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import Network
from ..tolerances import CLASS_TIE_TOL

__all__ = ["MAX_PIECES", "TAU", "WIN_NUDGES", "Piece", "SegmentWalk", "first_win", "walk_segment", "wins"]

#: Step in ``s`` (the segment has length 1 in ``s``) at which a neuron's phase
#: on the next piece is read: on iff ``z + TAU dz > 0``. Roots closer than this
#: to the current breakpoint are taken as crossed there.
TAU: float = 1e-10

#: The walk stops (``complete`` False) after this many pieces.
MAX_PIECES: int = 100_000


@dataclass(frozen=True)
class Piece:
    """One region's part of the segment: ``s`` in ``[start, end]``, outputs ``y + (s - start) dy``."""

    start: float
    end: float
    y: np.ndarray
    dy: np.ndarray


@dataclass(frozen=True)
class SegmentWalk:
    """The regions met along a segment.

    Attributes
    ----------
    pieces : tuple of Piece
        In order of ``s``; consecutive pieces lie in different regions.
    flips : tuple of (s, (layer, neuron), on)
        Every phase change, in order: at ``s`` the neuron turns on (``on``
        True) or off.
    complete : bool
        False when the walk stopped at :data:`MAX_PIECES` (or at ``stop``).
    """

    pieces: tuple
    flips: tuple
    complete: bool

    @property
    def n_regions(self) -> int:
        """Regions the segment passes through (its two ends' included)."""
        return len(self.pieces)


def _forward(net: Network, p: np.ndarray, d: np.ndarray):
    """Outputs, their derivatives along ``d``, and each phase layer's (z, dz, on-just-after) at ``p``."""
    h, dh = p, d
    layers = []
    for k, layer in enumerate(net.layers):
        z = layer.weight @ h + layer.bias
        dz = layer.weight @ dh
        if layer.has_phases:
            on = z + TAU * dz > 0
            s = layer.off_slope
            h = np.where(on, z, s * z)
            dh = np.where(on, dz, s * dz)
            layers.append((k, z, dz, on))
        else:  # identity (piecewise-linear networks only reach here)
            h, dh = z, dz
    return h, dh, layers


def walk_segment(net: Network, a, b, *, stop=None) -> SegmentWalk:
    """Walk the segment from ``a`` to ``b`` region by region.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers.
    a, b : arrays of shape (input_dim,)
    stop : callable, optional
        ``stop(piece) -> bool``, asked after each piece; True ends the walk
        there (``complete`` False unless it was the last piece). Asked for
        every piece, the last one included.

    Returns
    -------
    SegmentWalk

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"), rl.Dense(np.eye(2), [0.0, 0.0])])
    >>> w = walk_segment(net, np.array([-1.0, -1.0]), np.array([1.0, 3.0]))
    >>> w.n_regions, [(round(s, 6), n, on) for s, n, on in w.flips]
    (3, [(0.25, (0, 1), True), (0.5, (0, 0), True)])
    """
    a = np.asarray(a, dtype=np.float64)
    d = np.asarray(b, dtype=np.float64) - a
    pieces, flips = [], []
    s, prev = 0.0, None
    while True:
        y, dy, layers = _forward(net, a + s * d, d)
        if prev is not None:
            for (k, _, _, on0), (_, _, _, on1) in zip(prev, layers):
                for j in np.flatnonzero(on0 != on1):
                    flips.append((s, (k, int(j)), bool(on1[j])))
        end = 1.0
        for _, z, dz, on in layers:
            moving = np.where(on, dz < 0, dz > 0)
            if moving.any():
                roots = s - z[moving] / dz[moving]
                roots = roots[roots > s + TAU / 2]
                if roots.size:
                    end = min(end, float(roots.min()))
        piece = Piece(s, end, y, dy)
        pieces.append(piece)
        stopped = stop is not None and stop(piece)
        if stopped or end >= 1.0 or len(pieces) >= MAX_PIECES:
            return SegmentWalk(tuple(pieces), tuple(flips), end >= 1.0)
        s, prev = end, layers


#: Fractions of a winning interval (from its start) tried until a forward pass confirms the win (one batch).
WIN_NUDGES: tuple[float, ...] = (0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.5)


def wins(net: Network, P, target: int) -> np.ndarray:
    """Whether ``target`` wins at each input of ``P`` clear of the tie band: bool (n,).

    ``y_t - max_j y_j > CLASS_TIE_TOL (1 + |y_t|)``: a win that
    :func:`~.system.ties_at` would not call a tie, so that float64 rounding
    (a batch and a single forward pass sum in different orders) cannot turn
    it into a loss.
    """
    Y = np.atleast_2d(net(np.atleast_2d(P)))
    margin = Y[:, target] - np.delete(Y, target, axis=1).max(axis=1)
    return margin > CLASS_TIE_TOL * (1.0 + np.abs(Y[:, target]))


def first_win(net: Network, a, b, target: int) -> tuple[float, np.ndarray, np.ndarray] | None:
    """The smallest ``s`` (nudged inside) at which ``target`` wins (:func:`wins`) at ``a + s (b - a)``.

    Returns ``(s, point, inner)`` or None when no point of the segment was
    confirmed. ``inner`` is the middle of the winning part of the same piece
    (same region, deeper inside the target's set: a point to nudge toward).
    Piece by piece: on a piece the margins ``y_t - y_j`` are affine in ``s``,
    so the set where all are positive is an interval, whose start is nudged
    by :data:`WIN_NUDGES` of its length until a forward pass agrees.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = b - a
    found: list = []

    def check(piece: Piece) -> bool:
        hit = _win_in_piece(net, a, d, piece, target)
        if hit is not None:
            found.append(hit)
            return True
        return False

    walk_segment(net, a, b, stop=check)
    return found[0] if found else None


def _win_in_piece(net: Network, a, d, piece: Piece, t: int):
    others = np.delete(np.arange(piece.y.size), t)
    g = piece.y[t] - piece.y[others]          # margins at piece.start
    dg = piece.dy[t] - piece.dy[others]       # their slopes in s
    lo, hi = piece.start, piece.end
    for gj, dgj in zip(g, dg):
        if dgj > 0:
            lo = max(lo, piece.start - gj / dgj)
        elif dgj < 0:
            hi = min(hi, piece.start - gj / dgj)
        elif gj <= 0:
            return None
    if lo > hi + 1e-12:
        return None
    lo = min(lo, piece.end)
    width = max(hi - lo, 0.0)
    S = np.array([lo + f * width for f in WIN_NUDGES] + [piece.end])
    P = a + S[:, None] * d
    ok = np.flatnonzero(wins(net, P, t))
    if not ok.size:
        return None
    return float(S[ok[0]]), P[ok[0]], P[-2]  # P[-2]: the middle of the winning interval
