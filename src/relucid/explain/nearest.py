"""The point of a polyhedron nearest to a given input, in the L-inf, L1 or L2 norm."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from ..geometry import lp
from ..geometry._rows import split_rows
from ..geometry.qp import nearest_point_l2

__all__ = ["NORMS", "nearest_point"]

#: Accepted spellings of the three norms, mapped to "inf", "1", "2".
NORMS = {"inf": "inf", "linf": "inf", "l_inf": "inf", "1": "1", "l1": "1", "2": "2", "l2": "2"}


def nearest_point(A, b, x, norm: str = "inf") -> lp.LPResult:
    """The point of ``{z : A z <= b}`` nearest to ``x``: ``value`` is the distance.

    L∞: ``min t  s.t.  A z <= b,  |z_k - x_k| <= t``; L1: ``min sum u  s.t.
    A z <= b,  |z_k - x_k| <= u_k`` (LPs, :func:`relucid.geometry.lp.solve_lp`,
    singleton rows as variable bounds); L2: least-distance programming
    (:func:`relucid.geometry.qp.nearest_point_l2`).
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    norm = parse_norm(norm, "nearest_point")
    split = split_rows(A, b)
    if split.empty_row >= 0 or split.bounds_cross:
        return lp.LPResult(lp.LPStatus.INFEASIBLE)
    lower, upper = np.minimum(split.lower, split.upper), split.upper
    G = split.general
    if norm == "2":
        return nearest_point_l2(x, A[G], b[G], lb=lower, ub=upper)
    m, n = G.size, x.size
    eye = np.eye(n)
    if norm == "inf":  # variables (z, t)
        c = np.zeros(n + 1)
        c[-1] = 1.0
        ones = np.ones((n, 1))
        A_ub = np.vstack([np.hstack([A[G], np.zeros((m, 1))]), np.hstack([eye, -ones]), np.hstack([-eye, -ones])])
        lb, ub = np.append(lower, 0.0), np.append(upper, np.inf)
    else:  # variables (z, u)
        c = np.concatenate([np.zeros(n), np.ones(n)])
        A_ub = np.vstack([np.hstack([A[G], np.zeros((m, n))]), np.hstack([eye, -eye]), np.hstack([-eye, -eye])])
        lb, ub = np.concatenate([lower, np.zeros(n)]), np.concatenate([upper, np.full(n, np.inf)])
    b_ub = np.concatenate([b[G], x, -x])
    res = lp.solve_lp(c, A_ub, b_ub, lb=lb, ub=ub, method="auto")
    if res.status is not lp.LPStatus.OPTIMAL:
        return res
    z = res.x[:n]
    dist = float(np.max(np.abs(z - x))) if norm == "inf" else float(np.sum(np.abs(z - x)))
    return lp.LPResult(res.status, z, dist)


def parse_norm(norm, who: str) -> str:
    """``"inf"``, ``"1"`` or ``"2"`` for any accepted spelling (``np.inf``, ``"l2"``, 1, ...)."""
    key = str(norm).lower().replace("-", "").replace(" ", "")
    if norm == np.inf or norm == float("inf"):
        key = "inf"
    elif norm in (1, 2):
        key = str(int(norm))
    if key not in NORMS:
        raise InvalidValueError(f"{who}: norm must be 'inf', '1' or '2' (L-inf, L1, L2); got {norm!r}")
    return NORMS[key]


def distance(u: np.ndarray, v: np.ndarray, norm: str) -> float:
    """``||u - v||`` in the norm ``"inf"``, ``"1"`` or ``"2"``."""
    d = u - v
    if norm == "inf":
        return float(np.max(np.abs(d))) if d.size else 0.0
    if norm == "1":
        return float(np.sum(np.abs(d)))
    return float(np.linalg.norm(d))
