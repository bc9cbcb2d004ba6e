"""The Chebyshev ball of ``P = {x : A x <= b}``: the largest ball inside ``P``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import lp
from ._rows import row_norms, split_rows
from ..errors import SolverError
from ..tolerances import ZERO_ROW_TOL


class ChebyshevBall(NamedTuple):
    """The largest Euclidean ball inside a polyhedron.

    Attributes
    ----------
    center : ndarray of shape (n,) or None
        None when the polyhedron is empty.
    radius : float
        ``-inf`` when empty, ``0.0`` (up to LP tolerance) when non-empty but
        not full-dimensional, ``+inf`` when the polyhedron contains balls of
        every radius (``center`` is then an interior point, see
        :func:`chebyshev_center`).
    """

    center: np.ndarray | None
    radius: float


def chebyshev_center(A: np.ndarray, b: np.ndarray) -> ChebyshevBall:
    """Centre and radius of the largest ball inside ``P = {x : A x <= b}``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    b : ndarray of shape (m,)
        As in :class:`~relucid.geometry.Polyhedron`.

    Returns
    -------
    ChebyshevBall

    Notes
    -----
    The LP over ``(x, r)``, with ``||a_i||`` the Euclidean norm of row ``i``:

    .. math::

        \\max_{x \\in R^n,\\ r \\in R} \\; r
        \\quad\\text{s.t.}\\quad a_i x + \\lVert a_i \\rVert\\, r \\le b_i \\ (i = 1..m),
        \\qquad 0 \\le r.

    ``r >= 0`` makes the LP infeasible exactly when ``P`` is empty. When it is
    unbounded (``P`` contains arbitrarily large balls, e.g. a half-space) the
    radius is reported as ``inf`` and the centre is the centre of the largest
    ball of radius at most ``R = 1 + max_i |b_i| / ||a_i||`` (the distance
    scale of the hyperplanes from the origin), found by re-solving with
    ``r <= R``. Rows with ``b_i = +inf`` and zero rows are left out; large
    LPs use HiGHS' interior-point method (``solve_lp(method="auto")``).
    """
    m, n = A.shape
    split = split_rows(A, b)
    if split.empty_row >= 0 or split.bounds_cross:
        return ChebyshevBall(None, float("-inf"))
    keep = (b < np.inf) & (row_norms(A) >= ZERO_ROW_TOL)
    A, b = A[keep], b[keep]
    norms = row_norms(A)
    if n == 0:
        return ChebyshevBall(np.zeros(0), float("inf"))
    c = np.zeros(n + 1)
    c[n] = 1.0
    A_r = np.hstack([A, norms[:, None]])
    lb = np.full(n + 1, -np.inf)
    lb[n] = 0.0
    res = lp.solve_lp(c, A_r, b, lb=lb, maximize=True, method="auto")
    if res.status is lp.LPStatus.UNBOUNDED:
        cap = 1.0 + (float(np.max(np.abs(b) / norms)) if b.size else 0.0)
        ub = np.full(n + 1, np.inf)
        ub[n] = cap
        capped = lp.solve_lp(c, A_r, b, lb=lb, ub=ub, maximize=True, method="auto")
        if capped.status is not lp.LPStatus.OPTIMAL:
            raise SolverError(f"chebyshev_center: capped LP ended with status {capped.status.name}")
        return ChebyshevBall(capped.x[:n], float("inf"))
    if res.status is lp.LPStatus.INFEASIBLE:
        return ChebyshevBall(None, float("-inf"))
    if res.status is not lp.LPStatus.OPTIMAL:
        raise SolverError(f"chebyshev_center: HiGHS ended with status {res.status.name}")
    return ChebyshevBall(res.x[:n] + 0.0, max(float(res.x[n]), 0.0) + 0.0)

