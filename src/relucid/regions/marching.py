"""Adjacent regions: step from a region across each of its neuron facets.

Across the relative interior of a facet that belongs to neuron ``(l, i)``,
every other pre-activation is continuous and non-zero, so the region on the
other side has the same pattern with only ``(l, i)`` flipped (Woods et al.,
Sec. I-D, but crossing actual facets instead of flipping arbitrary bits).
A flip whose region turns out not to be full-dimensional signals a
degenerate arrangement (two hyperplanes that coincide on the facet); those
flips are reported as such rather than silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import Polyhedron
from ..tolerances import INTERIOR_TOL
from .pattern import Neuron
from .region import Region, region


@dataclass(frozen=True)
class Adjacency:
    """One neighbour of a region: the neuron crossed and the region beyond."""

    neuron: Neuron
    region: Region
    full_dimensional: bool


def is_full_dimensional(reg: Region, tol: float = INTERIOR_TOL) -> bool:
    """Whether the region has an interior (Chebyshev radius > ``tol``)."""
    ball = reg.chebyshev_center()
    return ball.center is not None and ball.radius > tol


def is_realised(reg: Region, tol: float = INTERIOR_TOL) -> bool:
    """Whether some input has exactly this region's pattern: full-dimensional, and the
    Chebyshev centre's own pattern (a float64 forward pass, on means ``z > 0``) is the region's.

    A closed region polytope can be full-dimensional while its pattern is
    never realised: a neuron whose pre-activation is identically zero on it
    gives the row ``0 <= 0`` for "on" as well as "off", and only "off" is
    real (``z = 0`` is off). At the centre every other pre-activation is
    strictly signed, so comparing patterns there decides it.
    """
    from .pattern import activation_bits

    ball = reg.chebyshev_center()
    if ball.center is None or not ball.radius > tol:
        return False
    return bool(np.array_equal(activation_bits(reg.network, np.asarray(ball.center)), reg.on_bits))


def adjacent_regions(reg: Region, domain: Polyhedron | None = None) -> list[Adjacency]:
    """The regions that share a facet with ``reg``, one per non-redundant neuron facet.

    Parameters
    ----------
    reg : Region
    domain : Polyhedron, optional
        Restrict the neighbours to this domain (defaults to none; facets that
        lie on the domain's boundary are never crossed).
    """
    out = []
    for neuron, pat in reg.neighbour_patterns():
        nb = region(reg.network, pat, domain=domain)
        out.append(Adjacency(neuron, nb, is_realised(nb)))
    return out


def facet_point(reg: Region, row: int):
    """A point in the relative interior of facet ``row`` of ``reg``, and its margin.

    Solves the facet's Chebyshev problem: over ``x`` on the hyperplane
    ``a_row · x = b_row``, maximise ``r`` subject to
    ``a_j · x + r ‖a_j − (a_j·u) u‖ <= b_j`` for the other rows ``j``
    (``u`` the unit normal of the facet), i.e. the largest ball *within the
    facet's hyperplane*. Returns ``(x, r)``; ``r <= 0`` means the row is not
    a facet (the face is lower-dimensional), ``(None, -inf)`` that it is empty.
    ``r`` is capped at 1e6 for unbounded facets.
    """
    from ..geometry.lp import LPStatus, solve_lp

    A, b = reg.polyhedron.A, reg.polyhedron.b
    a = A[row]
    u = a / np.linalg.norm(a)
    others = np.delete(np.arange(A.shape[0]), row)
    Ao, bo = A[others], b[others]
    proj = Ao - np.outer(Ao @ u, u)
    norms = np.linalg.norm(proj, axis=1)
    n = A.shape[1]
    A_ub = np.hstack([Ao, norms[:, None]])
    c = np.zeros(n + 1)
    c[-1] = 1.0
    lb = np.full(n + 1, -np.inf)
    ub = np.full(n + 1, np.inf)
    ub[-1] = 1e6
    res = solve_lp(
        c, A_ub, bo, A_eq=np.append(a, 0.0)[None, :], b_eq=np.array([b[row]]), lb=lb, ub=ub, maximize=True
    )
    if res.status is not LPStatus.OPTIMAL:
        return None, float("-inf")
    return res.x[:n], float(res.x[-1])


def facet_points(reg: Region, rows=None) -> dict[int, np.ndarray]:
    """Relative-interior points of many facets at once: ``{row: point}``.

    From an interior point ``x0`` (the Chebyshev centre), any point ``y`` that
    satisfies every other row but violates row ``j`` gives one: the segment
    ``x0 → y`` crosses hyperplane ``j`` strictly inside all other rows (``x0``
    is strictly inside them, and the crossing is a proper convex combination).
    ``y`` is found by ray shooting along the facet normal where that ray hits
    row ``j`` first, else by one warm-started LP (row ``j`` relaxed, maximise
    ``a_j · x``). Rows that are not facets are left out of the result.
    """
    from ..geometry._rows import split_rows
    from ..geometry.lp import LPModel, LPStatus

    A, b = reg.polyhedron.A, reg.polyhedron.b
    rows = reg.nonredundant_rows if rows is None else np.asarray(rows, dtype=int)
    ball = reg.chebyshev_center()
    if ball.center is None or not ball.radius > 0:
        return {}
    x0 = np.asarray(ball.center)
    slack = b - A @ x0
    out: dict[int, np.ndarray] = {}
    split = split_rows(A, b)
    general_pos = {int(r): k for k, r in enumerate(split.general)}
    model = None
    for j in rows:
        d = A[j]
        Ad = A @ d
        with np.errstate(divide="ignore", invalid="ignore"):
            steps = np.where(Ad > 0, slack / Ad, np.inf)
        t_j = steps[j]
        steps[j] = np.inf
        if np.isfinite(t_j) and steps.min() > t_j * (1 + 1e-6):
            out[int(j)] = x0 + t_j * d
            continue
        if int(j) not in general_pos:  # a bound row of the domain: one cold LP
            p, margin = facet_point(reg, int(j))
            if p is not None and margin > 0:
                out[int(j)] = p
            continue
        if model is None:  # singleton rows (domain bounds) as variable bounds: far better conditioned
            model = LPModel(A[split.general], b[split.general], lb=split.lower, ub=split.upper)
        k = general_pos[int(j)]
        model.set_rhs(k, b[j] + 1.0)
        res = model.optimize(A[j], maximize=True)
        model.set_rhs(k, b[j])
        if res.status is LPStatus.OPTIMAL and res.value > b[j]:
            y = res.x
            lam = slack[j] / (A[j] @ (y - x0))  # fraction of the way from x0 to y where row j binds
            out[int(j)] = x0 + lam * (y - x0)
    return out
