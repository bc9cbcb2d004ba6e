"""Vertices of a bounded polyhedron (low dimension): H- to V-representation."""

from __future__ import annotations

import numpy as np
from scipy.spatial import HalfspaceIntersection, QhullError

from . import lp
from ._rows import row_norms
from .bounding_box import bounding_box
from .chebyshev import chebyshev_center
from ..errors import InvalidValueError, SolverError
from ..tolerances import INTERIOR_TOL, LP_FEASIBILITY_TOL, ZERO_ROW_TOL

#: A row is an implicit equality of P when ``min a_i x >= b_i - _EQUALITY_TOL (1 + |b_i|)``
#: over P (unit rows): ten LP feasibility tolerances.
_EQUALITY_TOL = 10 * LP_FEASIBILITY_TOL

#: Above this dimension ``compute_vertices`` refuses: the vertex count can be
#: exponential and Qhull's cost with it.
MAX_VERTEX_DIM: int = 8


def compute_vertices(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vertices of the bounded polyhedron ``P = {x : A x <= b}``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        ``n <= MAX_VERTEX_DIM``.
    b : ndarray of shape (m,)

    Returns
    -------
    ndarray of shape (k, n)
        ``(0, n)`` when ``P`` is empty; in 2-D the vertices are in
        counter-clockwise order (ready to draw as a polygon); a segment gives
        its two end points, a point one row.

    Raises
    ------
    InvalidValueError
        When ``P`` is unbounded (naming a direction) or ``n`` is too large.

    Notes
    -----
    Full-dimensional polytopes go to Qhull (``scipy.spatial.HalfspaceIntersection``)
    with the Chebyshev centre as interior point; vertices closer than
    ``1e-9 (1 + scale)`` are merged. A lower-dimensional ``P`` (Chebyshev radius
    ``<= INTERIOR_TOL``) is first restricted to its affine hull: the rows with
    ``min a_i x = b_i`` over ``P`` (one LP each) are its implicit equalities
    ``E``; with ``x = x_p + N z`` (``x_p`` in ``P``, ``N`` an orthonormal basis of
    the null space of ``A_E``) the set ``{z : A N z <= b - A x_p}`` is
    full-dimensional in ``R^k`` and its vertices map back.
    """
    m, n = A.shape
    if n > MAX_VERTEX_DIM:
        raise InvalidValueError(
            f"vertices: dimension {n} is above {MAX_VERTEX_DIM}; vertex enumeration is for low dimensions"
        )
    return _vertices(A, b, depth=0)


def _vertices(A: np.ndarray, b: np.ndarray, depth: int) -> np.ndarray:
    m, n = A.shape
    ball = chebyshev_center(A, b)
    if ball.center is None:
        return np.zeros((0, n))
    if n == 0:
        return np.zeros((1, 0))
    lo, hi = bounding_box(A, b)
    unbounded = np.flatnonzero(~(np.isfinite(lo) & np.isfinite(hi)))
    if unbounded.size:
        k = int(unbounded[0])
        side = "+" if not np.isfinite(hi[k]) else "-"
        raise InvalidValueError(
            f"vertices: the polyhedron is unbounded (in direction {side}x{k}); intersect it with a Box first"
        )
    scale = 1.0 + float(np.max(np.abs(np.concatenate([lo, hi]))))
    if n == 1:
        return _dedupe(np.array([[lo[0]], [hi[0]]]), scale)
    if ball.radius > INTERIOR_TOL * scale:
        V = _qhull(A, b, ball.center, scale)
    elif depth > 0:
        raise InvalidValueError("vertices: could not find the affine hull of a degenerate polyhedron (numerically ill-posed)")
    else:
        V = _degenerate(A, b, ball.center, depth)
    V = _dedupe(V, scale)
    return _counter_clockwise(V) if n == 2 and V.shape[0] > 2 else V


def _qhull(A: np.ndarray, b: np.ndarray, center: np.ndarray, scale: float) -> np.ndarray:
    keep = (b < np.inf) & (row_norms(A) >= ZERO_ROW_TOL)
    A, b = A[keep], b[keep]
    norms = row_norms(A)
    halfspaces = np.hstack([A / norms[:, None], (-b / norms)[:, None]])
    try:
        return HalfspaceIntersection(halfspaces, center).intersections
    except QhullError as exc:
        raise SolverError(f"vertices: Qhull failed on a full-dimensional polytope ({str(exc).splitlines()[0]})") from None


def _degenerate(A: np.ndarray, b: np.ndarray, point: np.ndarray, depth: int) -> np.ndarray:
    """Vertices of a lower-dimensional P through its affine hull."""
    live = np.flatnonzero((b < np.inf) & (row_norms(A) >= ZERO_ROW_TOL))
    norms = row_norms(A[live])
    An, bn = A[live] / norms[:, None], b[live] / norms
    model = lp.LPModel(An, bn)
    equal = []
    for q, i in enumerate(live):
        res = model.optimize(An[q])  # min a_i x = b_i: the row holds with equality on all of P
        if res.status is lp.LPStatus.OPTIMAL and res.value >= bn[q] - _EQUALITY_TOL * (1.0 + abs(bn[q])):
            equal.append(i)
    if not equal:
        raise InvalidValueError("vertices: the polyhedron has no interior but no implicit equality was found")
    AE = A[equal] / row_norms(A[equal])[:, None]
    _, sing, Vt = np.linalg.svd(AE)
    rank = int(np.sum(sing > 1e-9 * max(1.0, sing[0])))
    N = Vt[rank:].T  # (n, k) orthonormal basis of the null space
    if N.shape[1] == 0:
        return point[None, :]
    others = np.setdiff1d(live, equal)
    Z = _vertices(A[others] @ N, b[others] - A[others] @ point, depth + 1)
    return point + Z @ N.T


def _dedupe(V: np.ndarray, scale: float) -> np.ndarray:
    """Merge points closer than ``1e-9 * scale`` (max-norm); keeps the first of each cluster."""
    out = np.zeros((0, V.shape[1]))
    for v in V:
        if not out.shape[0] or np.min(np.max(np.abs(out - v), axis=1)) > 1e-9 * scale:
            out = np.vstack([out, v])
    return out


def _counter_clockwise(V: np.ndarray) -> np.ndarray:
    c = V.mean(axis=0)
    angle = np.arctan2(V[:, 1] - c[1], V[:, 0] - c[0])
    return V[np.argsort(angle)]
