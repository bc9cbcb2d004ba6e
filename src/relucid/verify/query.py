"""One verification query in the form every backend works on, and its exact point check."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..phases import OFF, ON
from .._validate import readonly
from ..errors import InvalidValueError, ShapeError
from ..geometry import Polyhedron, PolyUnion
from ..network import Network
from .properties import StackedRows, first_satisfied, stack_rows


@dataclass(frozen=True, eq=False, repr=False)
class StrictPolyhedron(Polyhedron):
    """``{x : A x <= b}`` with the rows marked in ``strict`` read as ``A_i x < b_i``.

    What a VNN-LIB file with ``(< X_0 0)`` describes. Every
    :class:`~relucid.geometry.Polyhedron` method (``contains``,
    ``bounding_box``, ``is_empty``, ...) answers for the **closure**;
    :func:`relucid.verify` proves over the closure (a superset: sound) and
    reports a counterexample only when it satisfies the strict rows strictly
    (:meth:`Query.check_points`).

    Parameters
    ----------
    A : array of shape (m, n)
    b : array of shape (m,)
    strict : bool array of shape (m,)
    """

    strict: np.ndarray = None

    def __post_init__(self) -> None:
        super().__post_init__()
        strict = np.broadcast_to(np.asarray(False if self.strict is None else self.strict, dtype=bool),
                                 self.b.shape).copy()
        object.__setattr__(self, "strict", readonly(strict))


#: Near-tie candidates re-checked exactly per :meth:`Query.check_points` call.
MAX_EXACT_CHECKS = 8


@dataclass
class Query:
    """``∃ x ∈ input set following the phases: net(x) ∈ one of the disjuncts?``

    Attributes
    ----------
    net : Network
    lo, hi : (n_in,) arrays
        The input box (the bounding box of a polyhedral input set).
    A, b : extra input rows ``A x <= b`` ((0, n_in) for a box).
    phases : dict layer -> int8 array
        Fixed phases (1 on, 0 off, -1 free) from the pattern.
    disjuncts : tuple of Conjunction
        The violation set.
    deadline : float
        ``time.monotonic()`` at which to give up (inf: none).
    strict_rows : bool array (m,), optional
        Rows of ``A x <= b`` that are strict (``<``): a counterexample must
        satisfy them strictly; proofs use the closure.
    """

    net: Network
    lo: np.ndarray
    hi: np.ndarray
    A: np.ndarray
    b: np.ndarray
    phases: dict
    disjuncts: tuple
    deadline: float = float("inf")
    stats: dict = field(default_factory=dict)
    strict_rows: np.ndarray | None = None
    _rows: StackedRows | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.strict_rows is None:
            self.strict_rows = np.zeros(self.b.shape[0], dtype=bool)
        self.strict_rows = np.asarray(self.strict_rows, dtype=bool)
        if self.strict_rows.shape != self.b.shape:
            raise ShapeError(f"Query: strict_rows has shape {self.strict_rows.shape} but b has {self.b.shape}")

    @property
    def rows(self) -> StackedRows:
        """The disjuncts' rows stacked once (:func:`~.properties.stack_rows`)."""
        if self._rows is None:
            self._rows = stack_rows(self.disjuncts, self.net.output_dim)
        return self._rows

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def check_points(self, X) -> np.ndarray:
        """For each input, the disjunct it violates, or -1; every check exact in float64.

        A point counts only if it is inside the box and the extra rows with
        no tolerance (strict rows strictly), follows every fixed phase (on: pre-activation ``> 0``;
        off: ``<= 0``) and its output satisfies a disjunct (strict rows
        strictly).
        """
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        ok = ((X >= self.lo) & (X <= self.hi)).all(axis=1)
        if self.A.shape[0]:
            G = X @ self.A.T
            ok &= np.where(self.strict_rows, G < self.b, G <= self.b).all(axis=1)
        H = X
        for k, layer in enumerate(self.net.layers):
            Z = layer.preactivation(H)
            ph = self.phases.get(k)
            if ph is not None:
                ok &= ~((ph == ON) & ~(Z > 0)).any(axis=1)
                ok &= ~((ph == OFF) & (Z > 0)).any(axis=1)
            H = layer.activate(Z)
        # The output check costs (points x rows): with very many rows it runs in
        # blocks, and once the deadline has passed the unchecked points count as
        # no counterexample (conservative; the first block is always checked).
        out = np.full(X.shape[0], -1, dtype=int)
        step = self.rows.chunk(X.shape[0])
        for i in range(0, X.shape[0], step):
            if i and self.expired():
                break
            out[i:i + step] = first_satisfied(self.disjuncts, H[i:i + step], self.rows)
        out[~ok] = -1
        return self._settle_ties(X, out)

    def first_confirmed(self, X) -> np.ndarray | None:
        """The first row of ``X`` that :meth:`check_points` confirms in the batch *and alone*, or None.

        BLAS can round a batch differently from one point, so a batch hit is
        re-checked on its own (at most :data:`MAX_EXACT_CHECKS` hits) before a
        caller reports it: every reported counterexample passes the one-point check.
        """
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        for i in np.flatnonzero(self.check_points(X) >= 0)[:MAX_EXACT_CHECKS]:
            if self.check_points(X[i])[0] >= 0:
                return X[i].copy()
        return None

    def _settle_ties(self, X, out: np.ndarray) -> np.ndarray:
        """Re-check exactly (:mod:`.exact`) the confirmed points that float64 may have decided by rounding.

        At most :data:`MAX_EXACT_CHECKS` per call; further near-tie points are
        refused (conservative: a refused point is only a missed candidate).
        """
        from .exact import exact_violation, near_ties

        hit = np.flatnonzero(out >= 0)
        if not hit.size:
            return out
        near = hit[near_ties(self, X[hit], out[hit])]
        for j, i in enumerate(near):
            out[i] = exact_violation(self, X[i]) if j < MAX_EXACT_CHECKS else -1
        if near.size:
            self.count("exact_checks", int(near.size))
        return out


def input_pieces(input_set, dim: int, who: str) -> list:
    """The pieces of an input set (a Box/Polyhedron is one piece), checked against ``dim`` inputs."""
    if isinstance(input_set, PolyUnion):
        pieces = list(input_set.pieces)
    elif isinstance(input_set, Polyhedron):
        pieces = [input_set]
    else:
        raise InvalidValueError(
            f"{who}: input_set must be a Box, Polyhedron or PolyUnion; got {type(input_set).__name__}"
        )
    if input_set.dim != dim:
        raise ShapeError(f"{who}: the input set has dimension {input_set.dim} but the network has {dim} inputs")
    return pieces


def disjunct_margins(q: Query, Y) -> np.ndarray:
    """``max_i (c_i y - d_i)`` per output and disjunct: (n, K), ``<= 0`` where in the disjunct's closure."""
    Y = np.atleast_2d(Y)
    R = q.rows
    out = np.empty((Y.shape[0], R.n_disjuncts))
    step = R.chunk(Y.shape[0])
    for i in range(0, Y.shape[0], step):
        out[i:i + step] = R.segment_max(R.margins(Y[i:i + step]))
    return out
