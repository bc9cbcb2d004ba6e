"""Finite unions of polyhedra (the output of exact preimage computations)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import batch_input
from ..errors import InvalidValueError, ShapeError
from ..tolerances import MEMBERSHIP_TOL
from .polyhedron import Polyhedron, contains_points


@dataclass(frozen=True, eq=False, repr=False)
class PolyUnion:
    """The union of finitely many polyhedra of one dimension (immutable).

    Parameters
    ----------
    pieces : iterable of Polyhedron
        Stored as a tuple, in the order given. Pieces may overlap or be empty.
    dim : int, optional
        Required when ``pieces`` is empty (the empty set of that dimension);
        checked against the pieces otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from relucid.geometry import Box
    >>> u = PolyUnion([Box([0, 0], [1, 1]), Box([2, 0], [3, 1])])
    >>> len(u), u.contains([2.5, 0.5]), u.contains([1.5, 0.5])
    (2, True, False)
    >>> PolyUnion([], dim=2).is_empty()
    True
    """

    pieces: tuple
    dim: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.pieces, Polyhedron):
            raise InvalidValueError("PolyUnion: pieces must be an iterable of Polyhedron; got one Polyhedron (wrap it in a list)")
        pieces = tuple(self.pieces)
        for i, p in enumerate(pieces):
            if not isinstance(p, Polyhedron):
                raise InvalidValueError(f"PolyUnion: piece {i} must be a Polyhedron; got {type(p).__name__}")
        dims = sorted({p.dim for p in pieces})
        if len(dims) > 1:
            raise ShapeError(f"PolyUnion: all pieces must have one dimension; got dimensions {dims}")
        if not pieces and self.dim is None:
            raise InvalidValueError("PolyUnion: an empty union needs its dimension: PolyUnion([], dim=n)")
        dim = pieces[0].dim if pieces else int(self.dim)
        if self.dim is not None and int(self.dim) != dim:
            raise ShapeError(f"PolyUnion: dim={self.dim} but the pieces have dimension {dim}")
        if dim < 0:
            raise InvalidValueError(f"PolyUnion: dim must be >= 0; got {dim}")
        object.__setattr__(self, "pieces", pieces)
        object.__setattr__(self, "dim", dim)

    def __len__(self) -> int:
        return len(self.pieces)

    def __iter__(self):
        return iter(self.pieces)

    def __getitem__(self, i: int) -> Polyhedron:
        return self.pieces[i]

    def __repr__(self) -> str:
        return f"PolyUnion(dim={self.dim}, {len(self.pieces)} pieces)"

    def is_empty(self) -> bool:
        """Whether every piece is empty (one LP per piece at most)."""
        return all(p.is_empty() for p in self.pieces)

    def contains(self, x, tol: float = MEMBERSHIP_TOL):
        """Membership in at least one piece (each with the relative slack of :meth:`Polyhedron.contains`).

        ``x`` of shape (n,) gives a bool; a batch (k, n) gives a bool array (k,).
        """
        X, single = batch_input(x, self.dim, what="PolyUnion.contains")
        inside = np.zeros(X.shape[0], dtype=bool)
        for p in self.pieces:
            todo = ~inside
            if not todo.any():
                break
            inside[todo] = contains_points(p.A, p.b, X[todo], tol)
        return bool(inside[0]) if single else inside

    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The box around all pieces: ``(min lo, max hi)``; empty union → ``lo=+inf, hi=-inf``."""
        lo = np.full(self.dim, np.inf)
        hi = np.full(self.dim, -np.inf)
        for p in self.pieces:
            plo, phi = p.bounding_box()
            lo = np.minimum(lo, plo)
            hi = np.maximum(hi, phi)
        return lo, hi

    def nonempty_pieces(self) -> PolyUnion:
        """The same set without its empty pieces."""
        return PolyUnion([p for p in self.pieces if not p.is_empty()], dim=self.dim)

    def union(self, other: PolyUnion | Polyhedron) -> PolyUnion:
        """The union with another PolyUnion or Polyhedron (pieces concatenated)."""
        more = (other,) if isinstance(other, Polyhedron) else tuple(other)
        return PolyUnion(self.pieces + more, dim=self.dim)
