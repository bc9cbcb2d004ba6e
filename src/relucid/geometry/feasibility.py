"""Emptiness and boundedness of ``P = {x : A x <= b}``: one LP each, no more.

``is_empty`` is an exact LP feasibility test (up to HiGHS' feasibility
tolerance :data:`~relucid.tolerances.LP_FEASIBILITY_TOL`); a free witness
(the origin, when ``b >= 0``) skips the LP. ``is_bounded`` uses the fact that
a non-empty ``P`` is bounded exactly when the rows of ``A`` positively span
``R^n``, which is one LP plus a rank computation, instead of ``2 n`` LPs for a
bounding box.
"""

from __future__ import annotations

import numpy as np

from . import lp
from ._rows import row_norms, split_rows
from ..errors import SolverError
from ..tolerances import ZERO_ROW_TOL


def find_point(A: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """A point of ``P = {x : A x <= b}``, or None when ``P`` is empty.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    b : ndarray of shape (m,)
        As in :class:`~relucid.geometry.Polyhedron` (``+inf`` rows impose
        nothing, ``-inf`` rows make ``P`` empty).

    Returns
    -------
    ndarray of shape (n,) or None

    Notes
    -----
    Singleton rows are passed to HiGHS as variable bounds and the remaining
    rows as one row-wise sparse matrix (:func:`relucid.geometry.lp.feasible_point`).
    """
    m, n = A.shape
    if np.all(b >= 0):
        return np.zeros(n)  # the witness x = 0
    split = split_rows(A, b)
    if split.empty_row >= 0 or split.bounds_cross:
        return None
    G = split.general
    lower = np.minimum(split.lower, split.upper)  # crossing within tolerance: a point
    res = lp.feasible_point(A[G], b[G], lb=lower, ub=split.upper)
    if res.status is lp.LPStatus.OPTIMAL:
        return res.x
    if res.status is lp.LPStatus.INFEASIBLE:
        return None
    raise SolverError(f"emptiness test: HiGHS ended with status {res.status.name}")


def is_empty(A: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``P = {x : A x <= b}`` is empty (one LP, or none when ``b >= 0``)."""
    return find_point(A, b) is None


def is_bounded(A: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``P = {x : A x <= b}`` is bounded (the empty set is bounded).

    Notes
    -----
    A non-empty ``P`` is bounded iff its recession cone ``{d : A d <= 0}`` is
    ``{0}``, iff the rows ``a_i`` (with finite ``b_i``) positively span
    ``R^n``, iff ``rank A = n`` and there is a ``y`` with

    .. math::  A^T y = 0,\\qquad y_i \\ge 1 \\text{ for every row } i,

    a single feasibility LP with ``m`` variables and ``n`` equality rows.
    When the singleton rows (variable bounds) already bound every variable
    the answer is True without an LP.
    """
    m, n = A.shape
    if n == 0:
        return True
    keep = (b < np.inf) & (row_norms(A) >= ZERO_ROW_TOL)
    if find_point(A, b) is None:
        return True
    split = split_rows(A, b)
    if np.isfinite(split.lower).all() and np.isfinite(split.upper).all():
        return True  # the singleton rows alone bound every variable: no LP
    A = A[keep] / row_norms(A[keep])[:, None]  # unit rows: the LP is scale-free
    if A.shape[0] <= n or np.linalg.matrix_rank(A) < n:
        return False
    res = lp.solve_lp(np.zeros(A.shape[0]), A_eq=A.T, b_eq=np.zeros(n), lb=1.0)
    if res.status is lp.LPStatus.OPTIMAL:
        return True
    if res.status is lp.LPStatus.INFEASIBLE:
        return False
    raise SolverError(f"boundedness test: HiGHS ended with status {res.status.name}")
