"""Small polyhedra whose answers are known by hand, and random ones for property tests."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.spatial import ConvexHull

from relucid.geometry import Polyhedron

SQUARE = Polyhedron(np.vstack([np.eye(2), -np.eye(2)]), np.ones(4))  # [-1, 1]^2
TRIANGLE = Polyhedron([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 1.0])  # (0,0), (1,0), (0,1)
SIMPLEX3 = Polyhedron(np.vstack([-np.eye(3), np.ones((1, 3))]), [0.0, 0.0, 0.0, 1.0])
EMPTY = Polyhedron([[1.0, 0.0], [-1.0, 0.0]], [0.0, -1.0])  # x0 <= 0 and x0 >= 1
HALF_PLANE = Polyhedron([[0.0, 1.0]], [0.0])  # x1 <= 0
SEGMENT = Polyhedron([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], [1.0, -1.0, 1.0, 1.0])  # x0 = 1, |x1| <= 1
POINT = Polyhedron(np.vstack([np.eye(2), -np.eye(2)]), [2.0, 3.0, -2.0, -3.0])  # {(2, 3)}


def hull_polytope(points: np.ndarray) -> tuple[Polyhedron, np.ndarray]:
    """The H-representation of conv(points) from Qhull, and the hull's vertices."""
    hull = ConvexHull(points)
    eq = hull.equations  # normal . x + offset <= 0 inside
    return Polyhedron(eq[:, :-1], -eq[:, -1]), points[hull.vertices]


def random_polytope(rng: np.random.Generator, n: int, m: int, *, box: float | None = 2.0) -> Polyhedron:
    """``m`` random half-spaces ``a x <= b`` (b around 0.5) plus an optional box: often non-empty, sometimes empty."""
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m) * 0.7 + 0.3
    if box is not None:
        A = np.vstack([A, np.eye(n), -np.eye(n)])
        b = np.concatenate([b, np.full(2 * n, box)])
    return Polyhedron(A, b)


def lp_max(A: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """max c x over {A x <= b} with scipy's linprog (an independent solver path); inf if unbounded."""
    res = linprog(-c, A_ub=A, b_ub=b, bounds=(None, None), method="highs")
    if res.status == 3:
        return np.inf
    if res.status == 2 and not scipy_is_empty(A, b):
        # scipy 1.17's HiGHS reports some unbounded LPs as "infeasible" (seen with
        # 4 rows in R^3); the zero-objective LP shows the set is not empty.
        return np.inf
    assert res.status == 0, res.message
    return -res.fun


def scipy_is_empty(A: np.ndarray, b: np.ndarray) -> bool:
    res = linprog(np.zeros(A.shape[1]), A_ub=A, b_ub=b, bounds=(None, None), method="highs")
    assert res.status in (0, 2), res.message
    return res.status == 2
