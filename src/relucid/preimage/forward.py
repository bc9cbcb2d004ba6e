"""Preimages of polyhedral output sets: every input ``x`` with ``N(x) ∈ Y``.

Forets & Schilling, "The inverse problem for neural networks" (AISoLA 2023).
For piecewise-affine networks the preimage of a union of polyhedra is again
a finite union of (possibly unbounded) polyhedra. Three methods:

``"exact"``
    The whole preimage (intersected with ``domain`` when one is given), as
    one polyhedron per activation pattern whose region meets it: the union
    of ``P_j ∩ α_j⁻¹(Y)`` of the paper, with every empty piece pruned.
``"under"``
    The first ``max_pieces`` non-empty pieces of a depth-first search that
    follows one piece per layer and backtracks at dead ends: a subset of the
    exact preimage.
``"box"``
    Interval inversion layer by layer (paper, Sec. 3.2): one box containing
    the exact preimage. Fast, and defined for sigmoid and tanh too.

Search order. The paper inverts the last layer first and works back to the
input; :func:`relucid.preimage_layers.preimage_layers` does exactly that and
returns the set after every step (the docs' walkthrough). Done that way,
a piece in a hidden layer's space can only be tested for emptiness in that
space, where the set of *reachable* hidden vectors is unknown, so pieces that
no input reaches survive for several layers. The default search here builds
the same union in the other order: it fixes each layer's phases from the
input side, so that every piece is a polyhedron *in input space* whose
emptiness (within the domain) is decided exactly by one LP, and applies the
affine-inverse rule ``{x : C W x <= d - C b}`` for ``Y`` with the piece's local
affine map at the end. Both orders give the same set (tested);
``benchmarks/preimage.py`` measures how many pieces each explores.

Pruning (both orders): with a bounded ``domain``, DeepPoly bounds over it
fix every neuron that is stable there, so it is never split; a neuron is split
only when the piece has points strictly on both sides of its hyperplane
(known from witness points carried along, else from one LP that minimises or
maximises the pre-activation over the piece); a side that holds no
full-dimensional part is pruned (the lower-dimensional rest lies in the
other side's closure, so nothing is lost).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from ..deadline import Deadline, check_timeout
from ..errors import InvalidValueError, ShapeError
from ..geometry import Box, Polyhedron, PolyUnion
from ..geometry.feasibility import find_point
from ..geometry.polyhedron import contains_points
from ..geometry.lp import LPStatus, solve_lp
from ..geometry.parse import parse_constraints
from ..geometry.polygon import DEGENERATE, EMPTY, Polygon2D
from ..network import Network
from ..tolerances import MEMBERSHIP_TOL, SLIVER_TOL, ZERO_ROW_TOL

__all__ = ["Preimage", "PreimageStats", "IncompletePreimageWarning", "preimage", "as_output_set", "as_domain"]

METHODS = ("exact", "under", "box")
#: Witness points kept per piece (more points: fewer LPs, more arithmetic).
_MAX_WITNESSES = 8


class IncompletePreimageWarning(RuntimeWarning):
    """An exact preimage stopped at its timeout or piece limit (the result is an under-approximation)."""


@dataclass
class PreimageStats:
    """What the search did.

    ``explored``: non-empty pieces the search held, counted once per layer
    boundary they reached (a piece with all phases of layers ``0..l`` fixed;
    a piece tested against ``k`` pieces of ``Y`` counts as ``k`` leaves). ``pruned``: candidate
    pieces discarded as empty (a side of a neuron that the piece does not
    cross, a leaf whose image misses ``Y``). ``returned``: pieces in the
    result. ``lps``: linear programs solved. ``stable``: neurons fixed by
    the domain's bounds and never split.
    """

    explored: int = 0
    pruned: int = 0
    returned: int = 0
    lps: int = 0
    stable: int = 0
    time: float = 0.0
    complete: bool = True
    order: str = "forward"

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False, repr=False)
class Preimage(PolyUnion):
    """A :class:`PolyUnion` in input space plus how it was computed.

    ``kind`` is ``"exact"`` (the preimage itself, within the domain),
    ``"under"`` (a subset of it) or ``"over"`` (a superset). ``patterns``
    holds, per piece, the on/off flags of every hidden neuron (in
    :func:`relucid.regions.pattern.neuron_names` order) or None.
    """

    method: str = "exact"
    kind: str = "exact"
    stats: PreimageStats = field(default_factory=PreimageStats)
    patterns: tuple = ()
    network: Network | None = None

    def contains(self, x, tol: float = MEMBERSHIP_TOL):
        """Membership in the union of the (closed) pieces; same answer as :meth:`PolyUnion.contains`.

        With the pieces' activation patterns known, a point whose every
        pre-activation is clearly non-zero (``|z| > 1e-6 (1 + |terms|)``) can
        only lie in pieces of its own pattern (the closures of other regions
        do not reach it), so only those are tested; points near a kink are
        tested against every piece.
        """
        if self.network is None or len(self.patterns) != len(self.pieces) or not self.pieces:
            return super().contains(x, tol)
        from .._validate import batch_input
        from ..regions.pattern import activation_bits

        X, single = batch_input(x, self.dim, what="Preimage.contains")
        net = self.network
        zs = [z for z, layer in zip(net.preactivations(X), net.layers) if layer.is_piecewise_linear]
        inside = np.zeros(X.shape[0], dtype=bool)
        if zs:
            near = np.abs(np.hstack(zs)).min(axis=1) <= 1e-6 * (1.0 + np.abs(X).max(axis=1, initial=0.0))
        else:
            near = np.ones(X.shape[0], dtype=bool)
        groups = self._pattern_index()
        bits = activation_bits(net, X[~near]) if (~near).any() else np.zeros((0, 0), dtype=bool)
        far = np.flatnonzero(~near)
        keys = [b.tobytes() for b in np.packbits(bits, axis=1)] if len(far) else []
        by_key: dict = {}
        for i, key in zip(far, keys):
            by_key.setdefault(key, []).append(i)
        for key, rows in by_key.items():
            rows = np.asarray(rows)
            for j in groups.get(key, ()):
                p = self.pieces[j]
                todo = rows[~inside[rows]]
                if not todo.size:
                    break
                inside[todo] = contains_points(p.A, p.b, X[todo], tol)
        if near.any():
            inside[near] = super().contains(X[near], tol)
        return bool(inside[0]) if single else inside

    def _pattern_index(self) -> dict:
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            for j, bits in enumerate(self.patterns):
                index.setdefault(np.packbits(np.asarray(bits, dtype=bool)).tobytes(), []).append(j)
            object.__setattr__(self, "_index", index)
        return index

    def __repr__(self) -> str:
        return f"Preimage({self.method}, {self.kind}, dim={self.dim}, {len(self.pieces)} pieces)"

    def to_dict(self, max_pieces: int | None = None) -> dict:
        """JSON-ready description: pieces as ``A``/``b`` lists, stats, flags."""
        shown = self.pieces if max_pieces is None else self.pieces[:max_pieces]
        return {
            "method": self.method,
            "kind": self.kind,
            "dim": self.dim,
            "empty": len(self.pieces) == 0,
            "n_pieces": len(self.pieces),
            "stats": self.stats.as_dict(),
            "pieces": [{"A": p.A.tolist(), "b": p.b.tolist()} for p in shown],
        }


# -- inputs --------------------------------------------------------------------

def as_output_set(net: Network, output_set) -> tuple[Polyhedron, ...]:
    """``output_set`` (Polyhedron, PolyUnion or text like ``"y0 <= y1"``) as pieces of dimension ``net.output_dim``."""
    if isinstance(output_set, str):
        output_set = parse_constraints(output_set, net.output_dim, var="y")
    if isinstance(output_set, Polyhedron):
        pieces = (output_set,)
    elif isinstance(output_set, PolyUnion):
        pieces = tuple(output_set.pieces)
        dim = output_set.dim
        if dim != net.output_dim:
            raise ShapeError(f"preimage: the output set has dimension {dim} but the network has {net.output_dim} outputs")
    else:
        raise InvalidValueError(
            f"preimage: output_set must be a Polyhedron, a PolyUnion or a constraint string; got {type(output_set).__name__}"
        )
    for p in pieces:
        if p.dim != net.output_dim:
            raise ShapeError(f"preimage: the output set has dimension {p.dim} but the network has {net.output_dim} outputs")
    return pieces


def as_domain(net: Network, domain) -> Polyhedron | None:
    """``domain`` (None, Polyhedron, or text like ``"0 <= x0 <= 1"``) checked against ``net.input_dim``."""
    if domain is None:
        return None
    if isinstance(domain, str):
        domain = parse_constraints(domain, net.input_dim, var="x")
    if not isinstance(domain, Polyhedron):
        raise InvalidValueError(f"preimage: domain must be a Polyhedron or a constraint string; got {type(domain).__name__}")
    if domain.dim != net.input_dim:
        raise ShapeError(f"preimage: the domain has dimension {domain.dim} but the network takes {net.input_dim} inputs")
    return domain


def _check_exact_layers(net: Network, method: str) -> None:
    for k, layer in enumerate(net.layers):
        if layer.activation not in ("relu", "leaky_relu", "identity"):
            raise InvalidValueError(
                f"preimage: layer {k} has {layer.activation} activations, which have no exact polyhedral "
                f"preimage; use method='box' or relucid.contract_intervals (interval methods) instead of method={method!r}"
            )


# -- the public entry point ------------------------------------------------------

def preimage(
    net: Network,
    output_set,
    domain=None,
    method: str = "exact",
    *,
    max_pieces: int | None = None,
    timeout: float | None = None,
    reduce: bool = True,
    progress: bool = False,
) -> Preimage:
    """Every input whose output lies in ``output_set``: ``{x ∈ domain : net(x) ∈ Y}``.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers for ``"exact"`` and ``"under"``;
        ``"box"`` also takes sigmoid and tanh.
    output_set : Polyhedron, PolyUnion or str
        ``Y`` in output space, e.g. ``"y0 <= y1"`` (outputs are ``y0, y1, ...``).
    domain : Polyhedron or str, optional
        Intersect the preimage with this input set (``"0 <= x0 <= 1, ..."``).
        A bounded domain also enables stable-neuron pruning.
    method : {"exact", "under", "box"}
    max_pieces : int, optional
        ``"under"``: how many pieces to return (default 10). ``"exact"``: a
        safety limit; stopping there warns and marks the result an
        under-approximation.
    timeout : float, optional
        Seconds; an exact search that runs out warns and returns what it has
        (``kind="under"``, ``stats.complete=False``).
    reduce : bool
        Remove redundant constraints from every returned piece (LPs; off for
        speed when only membership matters).
    progress : bool
        tqdm bar over returned pieces.

    Returns
    -------
    Preimage
        A PolyUnion. Empty (``len == 0``) for ``"exact"`` is a proof that no
        input in the domain maps into ``Y``.

    Examples
    --------
    >>> import relucid as rl
    >>> net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [1.0])])
    >>> rl.preimage(net, "y0 <= 0").is_empty()   # |x| + 1 is never <= 0
    True
    >>> pre = rl.preimage(net, "y0 <= 2")         # |x| <= 1
    >>> sorted(pre.contains([[0.5], [-0.9], [1.5]]).tolist())
    [False, True, True]
    """
    if not isinstance(net, Network):
        raise InvalidValueError(f"preimage: net must be a relucid Network; got {type(net).__name__}")
    if method not in METHODS:
        raise InvalidValueError(f"preimage: method must be one of {', '.join(METHODS)}; got {method!r}")
    ys = as_output_set(net, output_set)
    dom = as_domain(net, domain)
    if max_pieces is not None and (
        isinstance(max_pieces, bool) or not isinstance(max_pieces, (int, np.integer)) or max_pieces < 1
    ):
        raise InvalidValueError(f"preimage: max_pieces must be a positive integer; got {max_pieces!r}")
    timeout = check_timeout(timeout, who="preimage")
    if method == "box":
        from .box import box_preimage

        return box_preimage(net, ys, dom)
    _check_exact_layers(net, method)
    if method == "under" and max_pieces is None:
        max_pieces = 10
    search = _ForwardSearch(net, ys, dom, max_pieces=max_pieces, timeout=timeout, reduce=reduce, progress=progress)
    pieces, patterns = search.run()
    stats = search.stats
    kind = "exact"
    if method == "under" or not stats.complete:
        kind = "under"
    if method == "exact" and not stats.complete:
        warnings.warn(
            f"preimage: stopped at {search.stopped_by} after {len(pieces)} pieces; the result is an under-approximation",
            IncompletePreimageWarning,
            stacklevel=2,
        )
    return Preimage(tuple(pieces), net.input_dim, method=method, kind=kind, stats=stats, patterns=tuple(patterns),
                    network=net)


# -- the forward-order search -----------------------------------------------------

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


class _ForwardSearch:
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
        """Per layer: +1 stable on, -1 stable off, 0 unknown, from DeepPoly over a bounded domain."""
        out = [np.zeros(layer.out_dim, dtype=np.int8) for layer in self.net.layers]
        dom = self.domain
        if dom is None:
            return out
        lo, hi = dom.bounding_box()
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            return out
        from ..bounds import bounds

        for k, (l, u) in enumerate(bounds(self.net, dom, method="deeppoly")):
            if not self.net.layers[k].is_piecewise_linear:
                continue
            if np.any(l > u):  # domain empty
                return out
            out[k][l > 0] = 1
            out[k][u <= 0] = -1
            self.stats.stable += int(np.count_nonzero(out[k]))
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
        if not layer.is_piecewise_linear:
            self.stats.explored -= 1  # an affine layer passes the piece on: nothing new explored
            return [_Piece(piece.A, piece.b, piece.witnesses, G, g, piece.bits, piece.poly)]
        fixed = self.fixed[k]
        # (rows A, rows b, witnesses, phases +1 on / -1 off / 0 undecided, polygon or None)
        if piece.poly is not None:
            partial = self._split_polygon_layer(piece.A, piece.b, piece.witnesses, fixed.copy(), piece.poly, G, g)
        else:
            partial = [(piece.A, piece.b, piece.witnesses, fixed.copy(), None)]
            for i in np.flatnonzero(fixed == 0):
                nxt = []
                for node in partial:
                    self._check_time()
                    nxt.extend(self._split(*node, i, G[i], g[i]))
                partial = nxt
        alpha = layer.off_slope
        out = []
        for A, b, W, phase, poly in partial:
            on = phase > 0
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
        if not any(layer.is_piecewise_linear for layer in self.net.layers[k + 1 :]):
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
        stack = [(A, b, phase, poly, np.flatnonzero(phase == 0))]
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
                phase[cand[settled]] = np.where(on_full[settled], 1, -1)
                self.stats.pruned += int(settled.sum())
            rest = cand[crossing]
            if rest.size == 0:
                out.append((A, b, poly.verts[:1], phase, poly))
                continue
            i, rest = rest[0], rest[1:]
            for on in (False, True):
                phase2 = phase.copy()
                phase2[i] = 1 if on else -1
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
        return out

    def _side(self, A, b, W, phase, i, gi, ci, on: bool):
        phase = phase.copy()
        phase[i] = 1 if on else -1
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
            rows = _affine_rows(Y, piece.M, piece.m)
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


def _affine_rows(Y: Polyhedron, M: np.ndarray, m: np.ndarray):
    """Rows of ``{x : M x + m ∈ Y}`` = ``{x : C M x <= d - C m}``; None when a zero row makes it empty.

    Zero rows (``0 x <= r``, e.g. Y's constraints on outputs that an all-off
    layer pins to a constant) are dropped when ``r >= 0`` within
    :data:`MEMBERSHIP_TOL` (the constant lies in Y) and make the set empty otherwise.
    """
    finite = np.isfinite(Y.b)
    C, d = Y.A[finite], Y.b[finite]
    A = C @ M
    r = d - C @ m
    norms = np.abs(A).sum(axis=1)
    zero = norms <= ZERO_ROW_TOL * (1.0 + np.abs(C) @ np.abs(m))
    if np.any(r[zero] < -MEMBERSHIP_TOL * (1.0 + np.abs(d[zero]))):
        return None
    return A[~zero], r[~zero]


def _pad(V: np.ndarray, n: int) -> np.ndarray:
    """``V`` with its last row repeated up to ``n`` rows (minima over rows unchanged)."""
    return V if len(V) == n else np.vstack([V, np.repeat(V[-1:], n - len(V), axis=0)])


def _any_inside(A, b, W) -> bool:
    if len(W) == 0:
        return False
    return bool(np.any(np.all(W @ A.T <= b, axis=1)))
