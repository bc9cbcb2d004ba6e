"""Axis-aligned boxes: a :class:`Polyhedron` that also knows its bounds."""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, readonly
from ..errors import InvalidValueError, ShapeError
from .chebyshev import ChebyshevBall
from .polyhedron import Polyhedron


class Box(Polyhedron):
    """The box ``{x : lo <= x <= hi}`` as a :class:`Polyhedron` with ``.lo`` and ``.hi``.

    Parameters
    ----------
    lo, hi : array of shape (n,) or scalar
        Bounds; infinite ones are allowed (``-inf`` for ``lo``, ``+inf`` for
        ``hi``) and give no row. Scalars broadcast against the other bound, or
        to ``dim`` when both are scalars.
    dim : int, optional
        The dimension when both bounds are scalars (default 1).

    Notes
    -----
    The rows are ``x_i <= hi_i`` for every finite ``hi_i`` (in order of ``i``),
    then ``-x_i <= -lo_i`` for every finite ``lo_i``: ``A = [I; -I]``,
    ``b = [hi; -lo]`` without the infinite bounds. ``lo_i == hi_i`` is allowed
    (a flat box).

    Examples
    --------
    >>> box = Box([0, 0], [1, 2])
    >>> box.contains([0.5, 2.0]), box.A.shape
    (True, (4, 2))
    >>> Box(0, 1, dim=3).hi
    array([1., 1., 1.])
    """

    lo: np.ndarray
    hi: np.ndarray

    def __init__(self, lo, hi, *, dim: int | None = None) -> None:
        lo = as_float_array(lo, what="Box: lo", ndim=(0, 1))
        hi = as_float_array(hi, what="Box: hi", ndim=(0, 1))
        if lo.ndim == 0 and hi.ndim == 0:
            n = 1 if dim is None else int(dim)
            lo, hi = np.full(n, float(lo)), np.full(n, float(hi))
        elif lo.ndim == 0:
            lo = np.full(hi.shape, float(lo))
        elif hi.ndim == 0:
            hi = np.full(lo.shape, float(hi))
        if lo.shape != hi.shape:
            raise ShapeError(f"Box: lo and hi must have the same length; got {lo.shape[0]} and {hi.shape[0]}")
        if lo.shape[0] == 0:
            raise ShapeError("Box: needs at least one dimension; got empty lo and hi")
        if dim is not None and lo.shape[0] != dim:
            raise ShapeError(f"Box: dim={dim} but the bounds have length {lo.shape[0]}")
        if np.isnan(lo).any() or np.isnan(hi).any():
            raise InvalidValueError("Box: bounds contain NaN")
        if (lo == np.inf).any() or (hi == -np.inf).any():
            raise InvalidValueError("Box: lo must be < +inf and hi > -inf (the box would be empty)")
        bad = np.flatnonzero(lo > hi)
        if bad.size:
            i = int(bad[0])
            raise InvalidValueError(f"Box: lo > hi in dimension {i} ({lo[i]:g} > {hi[i]:g})")
        n = lo.shape[0]
        eye = np.eye(n)
        up, down = np.isfinite(hi), np.isfinite(lo)
        A = np.vstack([eye[up], -eye[down]]).reshape(-1, n)
        b = np.concatenate([hi[up], -lo[down]])
        super().__init__(A, b)
        object.__setattr__(self, "lo", readonly(lo))
        object.__setattr__(self, "hi", readonly(hi))

    def __repr__(self) -> str:
        if self.dim <= 4:
            return f"Box(lo={self.lo.tolist()}, hi={self.hi.tolist()})"
        return f"Box(dim={self.dim})"

    @property
    def center(self) -> np.ndarray:
        """The midpoint ``(lo + hi) / 2`` (inf or nan where unbounded)."""
        return (self.lo + self.hi) / 2

    @property
    def widths(self) -> np.ndarray:
        """``hi - lo`` per dimension."""
        return self.hi - self.lo

    @property
    def is_finite(self) -> bool:
        """Whether every bound is finite (the box is bounded)."""
        return bool(np.isfinite(self.lo).all() and np.isfinite(self.hi).all())

    # Closed forms; no LP needed.
    def is_empty(self) -> bool:
        return False

    def is_bounded(self) -> bool:
        return self.is_finite

    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        return self.lo.copy(), self.hi.copy()

    def chebyshev_center(self) -> ChebyshevBall:
        if not self.is_finite:
            return super().chebyshev_center()
        if self.dim == 0:
            return ChebyshevBall(np.zeros(0), float("inf"))
        return ChebyshevBall(self.center, float(np.min(self.widths) / 2))

    def nonredundant_rows(self, tol: float | None = None) -> np.ndarray:
        # Every bound row is a facet (a flat dimension needs both of its rows).
        return np.arange(self.n_constraints)

    def sample(self, n: int, rng=None, *, burn_in=None, thin=None, directions=None) -> np.ndarray:
        """``n`` independent uniform points (exact, no Markov chain; the chain options are unused)."""
        if not self.is_finite:
            raise InvalidValueError("Box.sample: the box is unbounded; give every dimension finite bounds")
        n = int(n)
        if n < 0:
            raise InvalidValueError(f"Box.sample: n must be >= 0; got {n}")
        rng = np.random.default_rng(rng)
        return self.lo + rng.random((n, self.dim)) * self.widths
