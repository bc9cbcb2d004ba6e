"""The default preimage search: activation phases fixed layer by layer from the input side.

The paper inverts the last layer first and works back to the input;
:func:`relucid.preimage.layers.preimage_layers` does exactly that and
returns the set after every step (the docs' walkthrough). Done that way,
a piece in a hidden layer's space can only be tested for emptiness in that
space, where the set of *reachable* hidden vectors is unknown, so pieces that
no input reaches survive for several layers. :class:`ForwardSearch` builds
the same union in the other order: it fixes each layer's phases from the
input side, so that every piece is a polyhedron *in input space* whose
emptiness (within the domain) is decided exactly by one LP, and applies the
affine-inverse rule ``{x : C W x <= d - C b}`` (:mod:`.affine`) for ``Y``
with the piece's local affine map at the end. Both orders give the same set
(tested); ``benchmarks/preimage.py`` measures how many pieces each explores.

Pruning: with a bounded ``domain``, DeepPoly bounds over it fix every neuron
that is stable there, so it is never split; a neuron is split only when the
piece has points strictly on both sides of its hyperplane (known from witness
points carried along, else from one LP that minimises or maximises the
pre-activation over the piece); a side that holds no full-dimensional part
is pruned (the lower-dimensional rest lies in the other side's closure, so
nothing is lost). Two-input pieces over a bounded domain are kept as polygons
(:class:`relucid.geometry.polygon.Polygon2D`) and split by their vertices,
without LPs.

Phases are int8 arrays in the one encoding of :mod:`relucid.phases`
(``ON``, ``OFF``, ``FREE``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ..deadline import Deadline
from ..geometry import Polyhedron
from ..geometry.feasibility import find_point
from ..geometry.lp import LPStatus, solve_lp
from ..geometry.polygon import EMPTY, Polygon2D
from ..network import Network
from ..phases import FREE, OFF, ON, free_phases
from ..tolerances import SLIVER_TOL
from .affine import affine_rows
from .result import PreimageStats

__all__ = ["ForwardSearch"]

#: Witness points kept per piece (more points: fewer LPs, more arithmetic).
_MAX_WITNESSES = 8


class _OutOfTime(Exception):
    """The deadline passed in the middle of splitting one piece's layer."""


@dataclass
class _Piece:
    """A search node: input-space rows, witness points, the affine map into the current layer."""

    A: np.ndarray
    b: np.ndarray
    witnesses: np.ndarray  # (k, n) points of the piece, strictly inside every split row
    M: np.ndarray  # h = M x + m: the current layer's input on this piece
    m: np.ndarray
    bits: list  # per finished pattern layer, its on flags
    poly: Polygon2D | None = None  # 2-D fast path: the piece as a polygon with labelled edges


class ForwardSearch:
    """Depth-first search over activation phases, layer by layer from the input side."""

    def __init__(self, net, ys, domain, *, max_pieces, timeout, reduce, progress):
        self.net = net
        self.ys = ys
        self.domain = domain
        self.max_pieces = max_pieces
        self.deadline = Deadline.after(timeout)
        self.reduce = reduce
        self.progress = progress
        self.stats = PreimageStats(order="forward")
        self.stopped_by = ""
        self.fixed = self._stable_phases()
        self._rest: dict = {}

    def _stable_phases(self) -> list:
        """Per layer: ON / OFF where DeepPoly over a bounded domain shows the neuron stable, else FREE."""
        out = [free_phases(layer.out_dim) for layer in self.net.layers]
        dom = self.domain
        if dom is None:
            return out
        lo, hi = dom.bounding_box()
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            return out
        from ..bounds import bounds

        for k, (l, u) in enumerate(bounds(self.net, dom, method="deeppoly")):
            if not self.net.layers[k].has_phases:
                continue
            if np.any(l > u):  # domain empty
                return out
            out[k][l > 0] = ON
            out[k][u <= 0] = OFF
            self.stats.stable += int(np.count_nonzero(out[k] != FREE))
        return out

    def _root(self) -> _Piece | None:
        n = self.net.input_dim
        if self.domain is None:
            A, b, w = np.zeros((0, n)), np.zeros(0), np.zeros((1, n))
        else:
            A, b = self.domain.A, self.domain.b
            ball = self.domain.chebyshev_center()
            self.stats.lps += 1
            if ball.center is None:
                return None
            w = np.asarray(ball.center, dtype=np.float64)[None, :]
            if n == 2 and self.domain.is_bounded():
                poly = Polygon2D.from_polyhedron(self.domain)
                if poly is not None:
                    return _Piece(A, b, w, np.eye(n), np.zeros(n), [], poly)
        return _Piece(A, b, w, np.eye(n), np.zeros(n), [])

    def _out_of_time(self) -> bool:
        return self.deadline.expired()

    def _check_time(self) -> None:
        """Raise :class:`_OutOfTime` once the deadline has passed (inside a layer's splitting loops)."""
        if self.deadline.expired():
            raise _OutOfTime

    def run(self):
        t0 = time.monotonic()
        pieces, patterns = [], []
        root = self._root()
        stack = [] if root is None else [(0, root)]
        bar = tqdm(desc="preimage", unit="piece", disable=not self.progress)
        layers = self.net.layers
        try:
            while stack:
                if self._out_of_time():
                    self.stats.complete, self.stopped_by = False, "the timeout"
                    break
                k, piece = stack.pop()
                if k == len(layers):
                    for poly in self._leaf(piece):
                        if self.max_pieces is not None and len(pieces) >= self.max_pieces:
                            self.stats.complete, self.stopped_by = False, f"max_pieces={self.max_pieces}"
                            break
                        pieces.append(poly)
                        patterns.append(np.concatenate(piece.bits) if piece.bits else np.zeros(0, dtype=bool))
                        bar.update(1)
                    if not self.stats.complete:
                        break
                    if self.max_pieces is not None and len(pieces) >= self.max_pieces and stack:
                        self.stats.complete, self.stopped_by = False, f"max_pieces={self.max_pieces}"
                        break
                    continue
                try:
                    children = self._expand(k, piece)
                except _OutOfTime:  # the piece being split is dropped: what was returned is still exact
                    self.stats.complete, self.stopped_by = False, "the timeout"
                    break
                self.stats.explored += len(children)
                stack.extend((k + 1, c) for c in reversed(children))
        finally:
            bar.close()
        self.stats.returned = len(pieces)
        self.stats.time = time.monotonic() - t0
        return pieces, patterns

    # -- one layer -------------------------------------------------------------
    def _expand(self, k: int, piece: _Piece) -> list:
        """All non-empty children of ``piece`` after fixing layer ``k``'s phases."""
        layer = self.net.layers[k]
        G = layer.weight @ piece.M  # z = G x + g on the piece
        g = layer.weight @ piece.m + layer.bias
        if not layer.has_phases:
            self.stats.explored -= 1  # an affine layer passes the piece on: nothing new explored
            return [_Piece(piece.A, piece.b, piece.witnesses, G, g, piece.bits, piece.poly)]
        fixed = self.fixed[k]
        # (rows A, rows b, witnesses, phases ON / OFF / FREE, polygon or None)
        if piece.poly is not None:
            partial = self._split_polygon_layer(piece.A, piece.b, piece.witnesses, fixed.copy(), piece.poly, G, g)
        else:
            partial = [(piece.A, piece.b, piece.witnesses, fixed.copy(), None)]
            for i in np.flatnonzero(fixed == FREE):
                nxt = []
                for node in partial:
                    self._check_time()
                    nxt.extend(self._split(*node, i, G[i], g[i]))
                partial = nxt
        alpha = layer.off_slope
        out = []
        for A, b, W, phase, poly in partial:
            on = phase == ON
            slope = np.where(on, 1.0, alpha)
            out.append(_Piece(A, b, W, slope[:, None] * G, slope * g, piece.bits + [on], poly))
        if piece.poly is not None and out:
            keep = self._may_reach_y(k, out)
            self.stats.pruned += int(np.count_nonzero(~keep))
            out = [c for c, ok in zip(out, keep) if ok]
        return out

    def _may_reach_y(self, k: int, pieces: list) -> np.ndarray:
        """Per polygon piece: False when DeepPoly proves that none of its points maps into ``Y``.

        The pieces have every phase of layers ``0..k`` fixed, so layer
        ``k``'s output is the affine ``M x + m`` on each; the rest of the
        network is bounded by batched DeepPoly/CROWN over that image, with
        every linear bound minimised exactly over the polygon's vertices.
        """
        if not any(layer.has_phases for layer in self.net.layers[k + 1 :]):
            return np.ones(len(pieces), dtype=bool)  # only affine layers left: the leaf test is exact and cheaper
        from ..bounds.deeppoly import deeppoly_bounds

        rest = self._rest.get(k)
        if rest is None:
            rest = self._rest[k] = Network(list(self.net.layers[k + 1 :]))
        nv = max(len(p.poly.verts) for p in pieces)
        H = np.stack([_pad(p.poly.verts, nv) @ p.M.T + p.m for p in pieces])  # (B, nv, n_k)
        lo, hi = H.min(axis=1), H.max(axis=1)

        def at_vertices(Lam, const):
            return const + np.einsum("bmn,bvn->bmv", Lam, H).min(axis=2)

        S = np.vstack([Y.A for Y in self.ys])
        s = -np.concatenate([Y.b for Y in self.ys])
        res = deeppoly_bounds(rest, lo, hi, spec=(S, s), concretize=at_vertices)
        low = res.spec_lower  # (B, rows): lower bounds of C y - d
        keep = np.zeros(len(pieces), dtype=bool)
        start = 0
        for Y in self.ys:
            stop = start + Y.A.shape[0]
            tol = 1e-9 * (1.0 + np.abs(Y.b))
            keep |= ~np.any(low[:, start:stop] > tol, axis=1)
            start = stop
        return keep

    def _split_polygon_layer(self, A, b, W, phase, poly, G, g):
        """All sub-pieces of one polygon for a layer's undecided neurons: vertex values decide, clipping splits.

        A neuron is split only where the polygon has vertices strictly on
        both sides of its line (beyond :data:`SLIVER_TOL`, relative); after a
        split, each child re-tests only the neurons that still crossed its
        parent. No LP.
        """
        out = []
        stack = [(A, b, phase, poly, np.flatnonzero(phase == FREE))]
        while stack:
            self._check_time()
            A, b, phase, poly, cand = stack.pop()
            if cand.size == 0:
                out.append((A, b, poly.verts[:1], phase, poly))
                continue
            Gc, gc = G[cand], g[cand]
            Z = poly.verts @ Gc.T + gc  # (vertices, candidates)
            scale = SLIVER_TOL * (1.0 + np.abs(poly.verts) @ np.abs(Gc).T + np.abs(gc))
            on_full = (Z > scale).any(axis=0)
            off_full = (Z < -scale).any(axis=0)
            crossing = on_full & off_full
            settled = ~crossing
            if settled.any():
                phase = phase.copy()
                phase[cand[settled]] = np.where(on_full[settled], ON, OFF)
                self.stats.pruned += int(settled.sum())
            rest = cand[crossing]
            if rest.size == 0:
                out.append((A, b, poly.verts[:1], phase, poly))
                continue
            i, rest = rest[0], rest[1:]
            for on in (False, True):
                phase2 = phase.copy()
                phase2[i] = ON if on else OFF
                row, rhs = (-G[i], g[i]) if on else (G[i], -g[i])
                r = A.shape[0]
                child = poly.clip(row, rhs, r)
                if isinstance(child, Polygon2D):
                    stack.append((np.vstack([A, row[None, :]]), np.append(b, rhs), phase2, child, rest))
        return out

    def _split(self, A, b, W, phase, poly, i, gi, ci):
        """Children of one partial piece for neuron ``i`` (pre-activation ``gi·x + ci``)."""
        z = W @ gi + ci
        on_w, off_w = W[z > 0], W[z < 0]
        if len(on_w) and len(off_w):  # points strictly on both sides: both halves full-dimensional
            return [self._side(A, b, on_w, phase, i, gi, ci, True) + (None,),
                    self._side(A, b, off_w, phase, i, gi, ci, False) + (None,)]
        out = []
        for on, known in ((True, on_w), (False, off_w)):
            if len(known):
                out.append(self._side(A, b, known, phase, i, gi, ci, on) + (None,))
                continue
            point = self._strict_point(A, b, gi, ci, on)
            if point is None:
                self.stats.pruned += 1
                continue
            out.append(self._side(A, b, point[None, :], phase, i, gi, ci, on) + (None,))
        if not out:
            # Neither side has a point beyond SLIVER_TOL of the hyperplane: the (non-empty) piece lies in
            # it -- the pre-activation is 0 on the whole piece (e.g. every neuron feeding it is off), so
            # either phase gives the same output. Keep the piece, "off", without a new row: dropping it
            # lost whole intervals of a preimage (the preimage paper's parabola network, Fig. 5).
            phase = phase.copy()
            phase[i] = OFF
            out.append((A, b, W[:_MAX_WITNESSES], phase, None))
        return out

    def _side(self, A, b, W, phase, i, gi, ci, on: bool):
        phase = phase.copy()
        phase[i] = ON if on else OFF
        row, rhs = (-gi, ci) if on else (gi, -ci)  # on: z >= 0 (closure of z > 0); off: z <= 0
        return np.vstack([A, row[None, :]]), np.append(b, rhs), W[:_MAX_WITNESSES], phase

    def _strict_point(self, A, b, gi, ci, on: bool):
        """A point of the piece strictly on the ``on`` side of ``gi·x + ci = 0``, or None.

        One LP: minimise (off side) or maximise (on side) the pre-activation
        over the piece; the side is full-dimensional exactly when the optimum
        is strictly on it. Optima within :data:`SLIVER_TOL` (relative) of 0
        are treated as touching only: the side is then at most a sliver whose
        points lie within that tolerance of the hyperplane.
        """
        self.stats.lps += 1
        n = A.shape[1]
        res = solve_lp(gi, A, b, lb=np.full(n, -np.inf), ub=np.full(n, np.inf), maximize=on)
        if res.status is LPStatus.UNBOUNDED:
            return self._unbounded_side(A, b, gi, ci, on)
        if res.status is not LPStatus.OPTIMAL:
            return None
        x = res.x
        z = float(gi @ x + ci)
        scale = 1.0 + float(np.abs(gi) @ np.abs(x)) + abs(ci)
        if (z > SLIVER_TOL * scale) if on else (z < -SLIVER_TOL * scale):
            return x
        return None

    def _unbounded_side(self, A, b, gi, ci, on: bool):
        """The pre-activation is unbounded on this side: a point with ``|z| >= 1`` exists."""
        sign = 1.0 if on else -1.0
        row = -sign * gi  # sign * z >= 1  →  -sign*gi x <= sign*ci - 1
        p = find_point(np.vstack([A, row[None, :]]), np.append(b, sign * ci - 1.0))
        self.stats.lps += 1
        return p

    # -- the output set ----------------------------------------------------------
    def _leaf(self, piece: _Piece):
        """The piece's part of ``{x : M x + m ∈ Y}``, one polyhedron per non-empty piece of ``Y``."""
        out = []
        for j, Y in enumerate(self.ys):
            rows = affine_rows(Y, piece.M, piece.m)
            self.stats.explored += j > 0  # the piece itself was counted when its last layer was fixed
            if rows is None:
                self.stats.pruned += 1
                continue
            A = np.vstack([piece.A, rows[0]])
            b = np.concatenate([piece.b, rows[1]])
            if piece.poly is not None:
                poly = self._clip_leaf(piece, A, b)
                if poly is EMPTY:
                    self.stats.pruned += 1
                    continue
                if isinstance(poly, Polygon2D):  # its edges are the minimal H-representation
                    rows_kept = np.unique(poly.edges)
                    out.append(Polyhedron(A[rows_kept], b[rows_kept]))
                    continue
            if not _any_inside(A, b, piece.witnesses):
                self.stats.lps += 1
                if find_point(A, b) is None:
                    self.stats.pruned += 1
                    continue
            poly = Polyhedron(A, b)
            if self.reduce and A.shape[0]:
                poly = poly.remove_redundant()
            out.append(poly)
        return out


    @staticmethod
    def _clip_leaf(piece: _Piece, A, b):
        poly = piece.poly
        for r in range(piece.A.shape[0], A.shape[0]):
            poly = poly.clip(A[r], b[r], r)
            if not isinstance(poly, Polygon2D):
                return poly
        return poly


def _pad(V: np.ndarray, n: int) -> np.ndarray:
    """``V`` with its last row repeated up to ``n`` rows (minima over rows unchanged)."""
    return V if len(V) == n else np.vstack([V, np.repeat(V[-1:], n - len(V), axis=0)])


def _any_inside(A, b, W) -> bool:
    if len(W) == 0:
        return False
    return bool(np.any(np.all(W @ A.T <= b, axis=1)))
