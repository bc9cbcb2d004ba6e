"""H-polyhedra ``{x : A x <= b}`` as immutable values.

A :class:`Polyhedron` holds its constraints and nothing else. Neither
boundedness nor non-emptiness is assumed or checked at construction; both are
answered on request (:meth:`Polyhedron.is_empty`, :meth:`Polyhedron.is_bounded`).
The operations are free functions in small modules named after them
(:mod:`.feasibility`, :mod:`.chebyshev`, :mod:`.bounding_box`,
:mod:`.redundancy`, :mod:`.vertices`, :mod:`.sampling`); the methods are thin
wrappers, and every LP goes through :mod:`.lp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import batch_input, readonly
from ..errors import InvalidValueError, ShapeError
from ..tolerances import MEMBERSHIP_TOL, REDUNDANCY_TOL
from . import bounding_box as _bbox
from . import chebyshev as _cheb
from . import feasibility as _feas
from . import redundancy as _red
from . import sampling as _sampling
from . import vertices as _vert
from ._rows import slack_tol


@dataclass(frozen=True, eq=False, repr=False)
class Polyhedron:
    """The closed convex set ``{x in R^n : A x <= b}``.

    Parameters
    ----------
    A : array of shape (m, n)
        ``m`` may be 0: the set is then all of ``R^n`` (pass ``np.zeros((0, n))``
        so the dimension is known, or use :meth:`Polyhedron.universe`).
    b : array of shape (m,)
        ``+inf`` entries impose nothing (the row stays, so row indices are
        stable, but never binds); a ``-inf`` entry makes the set empty.

    Notes
    -----
    Arrays are copied to float64 and made read-only: a Polyhedron is a value.
    Equality is identity (``eq=False``), as comparing H-representations would
    not compare sets. Tolerances: :meth:`contains` uses
    :data:`~relucid.tolerances.MEMBERSHIP_TOL`, LPs use HiGHS' feasibility
    tolerance :data:`~relucid.tolerances.LP_FEASIBILITY_TOL`.

    Examples
    --------
    >>> import numpy as np
    >>> square = Polyhedron(np.vstack([np.eye(2), -np.eye(2)]), np.ones(4))
    >>> square.contains([0.5, -1.0]), square.is_empty()
    (True, False)
    >>> square.chebyshev_center().radius
    1.0
    """

    A: np.ndarray
    b: np.ndarray

    def __post_init__(self) -> None:
        A, b = _validate_rows(self.A, self.b, "Polyhedron")
        object.__setattr__(self, "A", readonly(A))
        object.__setattr__(self, "b", readonly(b))

    def __setstate__(self, state: dict) -> None:
        # Unpickling (process pools) bypasses __init__: keep the arrays read-only.
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                value = readonly(value)
            object.__setattr__(self, key, value)

    @classmethod
    def universe(cls, dim: int) -> Polyhedron:
        """All of ``R^dim``: no constraints."""
        return cls(np.zeros((0, int(dim))), np.zeros(0))

    # -- structure -------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Dimension ``n`` of the ambient space."""
        return int(self.A.shape[1])

    @property
    def n_constraints(self) -> int:
        """Number of rows ``m`` (redundant ones included)."""
        return int(self.A.shape[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, n_constraints={self.n_constraints})"

    # -- membership and LP queries ---------------------------------------------
    def contains(self, x, tol: float = MEMBERSHIP_TOL):
        """Whether ``A x <= b + tol * (1 + |b|)`` row by row.

        Parameters
        ----------
        x : array of shape (n,) or (k, n)
        tol : float
            Relative slack (see :data:`~relucid.tolerances.MEMBERSHIP_TOL`).

        Returns
        -------
        bool for one point, bool ndarray of shape (k,) for a batch.
        """
        X, single = batch_input(x, self.dim, what="Polyhedron.contains")
        inside = contains_points(self.A, self.b, X, tol)
        return bool(inside[0]) if single else inside

    def is_empty(self) -> bool:
        """Exact LP feasibility test (no LP when ``x = 0`` is a witness)."""
        return _feas.is_empty(self.A, self.b)

    def find_point(self) -> np.ndarray | None:
        """Some point of the set (an LP vertex or the origin), or None when empty."""
        return _feas.find_point(self.A, self.b)

    def is_bounded(self) -> bool:
        """Whether the set is bounded (one LP; the empty set is bounded)."""
        return _feas.is_bounded(self.A, self.b)

    def chebyshev_center(self) -> _cheb.ChebyshevBall:
        """Centre and radius of the largest inscribed ball (see :func:`.chebyshev.chebyshev_center`)."""
        return _cheb.chebyshev_center(self.A, self.b)

    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Tightest box ``(lo, hi)``: ±inf where unbounded; ``lo=+inf, hi=-inf`` when empty."""
        return _bbox.bounding_box(self.A, self.b)

    # -- representations -------------------------------------------------------
    def nonredundant_rows(self, tol: float = REDUNDANCY_TOL) -> np.ndarray:
        """Indices (increasing) of the rows that are facets; exactly one per group of duplicates.

        See :func:`.redundancy.nonredundant_rows` for the algorithm and the LP.
        """
        return _red.nonredundant_rows(self.A, self.b, tol=tol)

    def remove_redundant(self, tol: float = REDUNDANCY_TOL) -> Polyhedron:
        """The same set with a minimal H-representation (rows in their original order)."""
        rows = self.nonredundant_rows(tol=tol)
        return Polyhedron(self.A[rows], self.b[rows])

    def vertices(self) -> np.ndarray:
        """Vertices of a bounded polyhedron, shape (k, n); 2-D ones counter-clockwise."""
        return _vert.compute_vertices(self.A, self.b)

    def sample(
        self, n: int, rng=None, *, burn_in: int | None = None, thin: int | None = None, directions: str = "auto"
    ) -> np.ndarray:
        """``n`` points, shape (n, dim), uniform in a bounded full-dimensional set (hit-and-run).

        See :func:`.sampling.hit_and_run` for the chain, its defaults and the errors.
        """
        return _sampling.hit_and_run(
            self.A, self.b, n, rng=rng, burn_in=burn_in, thin=thin, directions=directions
        )

    # -- constructions ---------------------------------------------------------
    def intersect(self, other: Polyhedron) -> Polyhedron:
        """The intersection: rows of ``self`` followed by rows of ``other``."""
        if not isinstance(other, Polyhedron):
            raise InvalidValueError(f"intersect: expected a Polyhedron; got {type(other).__name__}")
        if other.dim != self.dim:
            raise ShapeError(
                f"intersect requires sets of the same dimension but received sets of dimensions "
                f"{self.dim} and {other.dim}"
            )
        return Polyhedron(np.vstack([self.A, other.A]), np.concatenate([self.b, other.b]))

    def with_rows(self, A, b) -> Polyhedron:
        """The set cut by more rows ``A x <= b`` (appended after the existing rows)."""
        A, b = _validate_rows(A, b, "with_rows", dim=self.dim)
        return Polyhedron(np.vstack([self.A, A]), np.concatenate([self.b, b]))

    def affine_preimage(self, W, c) -> Polyhedron:
        """``{z in R^k : W z + c in self}`` = ``{z : (A W) z <= b - A c}``.

        Parameters
        ----------
        W : array of shape (n, k)
            ``n = self.dim``.
        c : array of shape (n,)
        """
        W = np.asarray(W, dtype=np.float64)
        c = np.asarray(c, dtype=np.float64)
        if W.ndim != 2 or W.shape[0] != self.dim or c.shape != (self.dim,):
            raise ShapeError(
                f"affine_preimage: W must have shape ({self.dim}, k) and c shape ({self.dim},); "
                f"got {W.shape} and {c.shape}"
            )
        if not (np.isfinite(W).all() and np.isfinite(c).all()):
            raise InvalidValueError("affine_preimage: W and c must be finite")
        with np.errstate(invalid="ignore"):
            rhs = self.b - self.A @ c
        return Polyhedron(self.A @ W, np.where(np.isinf(self.b), self.b, rhs))


def contains_points(A: np.ndarray, b: np.ndarray, X: np.ndarray, tol: float = MEMBERSHIP_TOL) -> np.ndarray:
    """Row-wise ``A x <= b + tol (1 + |b|)`` for a batch ``X`` of shape (k, n); bool array (k,)."""
    finite = np.isfinite(b)
    rhs = np.where(finite, b + slack_tol(np.where(finite, b, 0.0), tol), b)
    if A.shape[0] == 0:
        return np.ones(X.shape[0], dtype=bool)
    return np.all(X @ A.T <= rhs, axis=1)


def _validate_rows(A, b, who: str, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    try:
        A = np.array(A, dtype=np.float64)
        b = np.array(b, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{who}: A and b must be numeric arrays ({exc})") from None
    if A.ndim != 2:
        raise ShapeError(
            f"{who}: A must be a 2-D array of shape (m, n); got shape {A.shape} "
            f"(one row: pass [[...]]; no constraints: pass np.zeros((0, n)))"
        )
    if b.ndim != 1:
        raise ShapeError(f"{who}: b must be a 1-D array of shape ({A.shape[0]},); got shape {b.shape}")
    if A.shape[0] != b.shape[0]:
        raise ShapeError(f"{who}: A has {A.shape[0]} rows but b has {b.shape[0]} entries (one per row of A)")
    if dim is not None and A.shape[1] != dim:
        raise ShapeError(f"{who}: rows must have {dim} columns (the dimension); got A of shape {A.shape}")
    bad = ~np.isfinite(A)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(A[i, j]) else "inf"
        raise InvalidValueError(f"{who}: A must be finite; found {kind} at row {i}, column {j}")
    if np.isnan(b).any():
        raise InvalidValueError(f"{who}: b contains NaN (first at row {int(np.flatnonzero(np.isnan(b))[0])})")
    return A, b
