"""The tightest axis-aligned box around ``P = {x : A x <= b}``: ``2 n`` warm-started LPs."""

from __future__ import annotations

import numpy as np

from . import lp
from ._rows import split_rows
from ..errors import SolverError
from ..tolerances import LP_FEASIBILITY_TOL


def bounding_box(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` with ``lo_k = min x_k`` and ``hi_k = max x_k`` over ``P``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    b : ndarray of shape (m,)
        As in :class:`~relucid.geometry.Polyhedron`.

    Returns
    -------
    lo, hi : ndarray of shape (n,)
        ``-inf`` / ``+inf`` in unbounded directions; when ``P`` is empty,
        ``lo = +inf`` and ``hi = -inf`` everywhere (the empty-interval
        convention, so ``lo <= hi`` fails in every coordinate).

    Notes
    -----
    One :class:`~relucid.geometry.lp.LPModel` holds the general rows, with
    the singleton rows as variable bounds; the ``2 n`` LPs ``min x_k`` and
    ``max x_k`` are solved in turn, each warm-started from the last. An LP is
    skipped when a singleton bound is already attained by one of the optimal
    points found so far (the bound cannot be beaten and a point reaches it).
    """
    m, n = A.shape
    empty = (np.full(n, np.inf), np.full(n, -np.inf))
    split = split_rows(A, b)
    if split.empty_row >= 0 or split.bounds_cross:
        return empty
    lower = np.minimum(split.lower, split.upper)
    G = split.general
    model = lp.LPModel(A[G], b[G], lb=lower, ub=split.upper)
    first = model.feasible()
    if first.status is lp.LPStatus.INFEASIBLE:
        return empty
    if first.status is not lp.LPStatus.OPTIMAL:
        raise SolverError(f"bounding_box: HiGHS ended with status {first.status.name}")
    witnesses = [first.x]
    lo, hi = np.empty(n), np.empty(n)
    for k in range(n):
        for maximize, out, bound in ((False, lo, lower[k]), (True, hi, split.upper[k])):
            if np.isfinite(bound):
                reach = max(w[k] for w in witnesses) if maximize else min(w[k] for w in witnesses)
                if abs(reach - bound) <= LP_FEASIBILITY_TOL * (1.0 + abs(bound)):
                    out[k] = bound
                    continue
            c = np.zeros(n)
            c[k] = 1.0
            res = model.optimize(c, maximize=maximize)
            if res.status is lp.LPStatus.OPTIMAL:
                out[k] = res.value
                witnesses.append(res.x)
            elif res.status is lp.LPStatus.UNBOUNDED:
                out[k] = np.inf if maximize else -np.inf
            elif res.status is lp.LPStatus.INFEASIBLE:
                return empty
            else:
                raise SolverError(f"bounding_box: HiGHS ended with status {res.status.name} on x_{k}")
    return lo, hi
