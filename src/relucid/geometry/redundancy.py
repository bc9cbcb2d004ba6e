"""Redundancy removal: which rows of ``A x <= b`` are facets.

Row ``i`` is **non-redundant** when dropping it enlarges the set, measured
with the relative tolerance ``tol`` of :data:`~relucid.tolerances.REDUNDANCY_TOL`:

.. math::  \\max \\{ a_i x : a_j x \\le b_j \\ (j \\ne i \\text{ kept}) \\} > b_i + tol\\,(1 + |b_i|).

The pipeline, cheapest evidence first:

1. **Pre-filters, no LP.** Rows with ``b = +inf`` and zero rows (``0 <= b``,
   ``b >= 0``) impose nothing. Singleton rows (one nonzero) are bounds on one
   variable: per variable and side only the tightest survives. Exact duplicates
   after normalising rows to unit norm keep the tightest (lowest index on
   ties). A row whose maximum over the box of singleton bounds is within
   ``b_i + tol (1 + |b_i|)`` is implied by those bounds (sound: the box
   contains the set).
2. **Ray shooting, no LP.** From an interior point ``x0`` (the Chebyshev
   centre), a ray ``x0 + t d`` first leaves the set through one row ``j``; when
   that first hit is unique with a margin (the point just past it violates
   ``j`` by more than the tolerance and satisfies every other row) ``j`` is a
   facet. Rays go along every row normal and ``n_rays`` random directions.
3. **LPs** for the rows left, over one persistent :class:`~relucid.geometry.lp.LPModel`
   in which singleton bounds are *variable bounds* (a much smaller basis than
   rows: on the 784-input MNIST region below, 1,568 of the 2,592 rows are
   pixel bounds). Two algorithms:

   ``"per-row"`` (default)
       Row ``i``'s right-hand side is relaxed to ``b_i + 1`` (rows are
       normalised, so "+1" is a unit distance) and ``a_i x`` is maximised;
       the row is then restored if it is a facet, or freed (``+inf``) for good
       if it is redundant. Every solve is warm-started by HiGHS' dual simplex
       from the previous basis. Rows are tested in decreasing index order so
       that, within a group of near-duplicates, the lowest index survives (as
       for exact duplicates).
   ``"clarkson"``
       Clarkson's algorithm: the model only holds the facets found so far
       (``K``). A candidate ``i`` is redundant if it is implied by ``K``;
       otherwise the LP optimum ``x*`` lies outside the set and the ray from
       ``x0`` to ``x*`` exits through a facet ``j`` of the whole set, which
       joins ``K`` (and ``i`` is tested again if ``j != i``). LPs are smaller,
       but there are up to ``#facets`` more of them and every objective change
       is a cold-ish start.

   Measured on a region of the VNN-COMP mnistfc 256x4 network (784 inputs,
   1,024 neuron rows + 1,568 pixel-bound rows, MNIST test image 0; AMD EPYC,
   one thread; ``benchmarks/lp_core.py``, figures in
   ``benchmarks/results/lp_core.md``): pre-filters leave 2,585 rows, rays
   certify 1,329, and 1,258 LPs decide the rest (2,070 rows kept).
   ``"per-row"`` took 65 s, ``"clarkson"`` 81 s, with identical output, so
   ``"per-row"`` is the default. What made the difference on the way there
   (same region, per-row LPs): singleton rows as rows and primal simplex,
   0.3-0.5 s per LP (dual simplex: 3.5 s, and numerical breakdowns); singleton
   rows as variable bounds, dual simplex, 0.068 s; plus HiGHS'
   ``objective_bound`` (an LP for a redundant row stops once its dual
   objective proves ``max <= b_i + tol``), 0.028 s instead of 0.072 s for
   redundant rows, 85 s → 62 s in all. The same LPs through
   ``scipy.optimize.linprog(method="highs")`` from scratch are 6x slower.

When the set is empty the rows are returned unreduced after the pre-filters
(an empty set has no facets; the rows returned still describe it), except that
a single row or a pair of bounds that alone make it empty is returned alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import lp
from ._rows import box_max, row_norms, slack_tol, split_rows
from .chebyshev import chebyshev_center
from ..errors import InvalidValueError
from ..tolerances import INTERIOR_TOL, REDUNDANCY_TOL

METHODS = ("per-row", "clarkson")


@dataclass(frozen=True)
class RedundancyReport:
    """What :func:`redundancy_report` found and how much each stage did.

    Attributes
    ----------
    rows : ndarray of int
        The non-redundant rows, increasing (what :func:`nonredundant_rows` returns).
    n_rows : int
        Rows given.
    n_candidates : int
        Rows left after the LP-free pre-filters.
    n_certified : int
        Candidates certified as facets by ray shooting (no LP).
    n_lps : int
        LPs solved (Chebyshev centre and feasibility included).
    method : str
    empty : bool
        Whether the set was found empty (rows then unreduced, see the module notes).
    """

    rows: np.ndarray
    n_rows: int
    n_candidates: int
    n_certified: int
    n_lps: int
    method: str
    empty: bool = False


def nonredundant_rows(
    A: np.ndarray,
    b: np.ndarray,
    *,
    tol: float = REDUNDANCY_TOL,
    method: str = "per-row",
    n_rays: int | None = None,
    rng=0,
) -> np.ndarray:
    r"""Indices of the non-redundant rows of ``A x <= b``, in increasing order.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    b : ndarray of shape (m,)
        As in :class:`~relucid.geometry.Polyhedron`.
    tol : float
        Relative tolerance of the test in the module docstring.
    method : {"per-row", "clarkson"}
        LP strategy for the rows the cheap tests leave open.
    n_rays : int, optional
        Random rays shot from the Chebyshev centre, on top of one ray per row
        normal; default ``min(2 m, 2000)``. 0 switches ray shooting off
        (every open row then gets an LP).
    rng : seed or numpy Generator
        For the random rays (the result does not depend on it, only speed).

    Returns
    -------
    ndarray of int
        Exactly one row of each group of duplicate rows is kept.

    Notes
    -----
    The LP behind a ``"per-row"`` verdict on a general row ``i`` (unit rows
    ``a_j``; ``K`` the rows not yet removed; ``l, u`` the singleton bounds, as
    variable bounds; ``t_i = tol (1 + |b_i|) / ||a_i||`` in unit-row scale):

    .. math::

        v_i = \max_{x \in R^n} a_i x
        \quad\text{s.t.}\quad a_j x \le b_j \ (j \in K \setminus \{i\}),
        \quad a_i x \le b_i + 1,\quad l \le x \le u,

    row ``i`` is kept iff ``v_i > b_i + t_i``; HiGHS may stop early once its
    dual bound proves ``v_i <= b_i + t_i``. For a bound row ``x_k <= u_k`` the
    same LP maximises ``x_k`` with ``u_k`` raised by one. ``"clarkson"`` solves
    the same LP with ``K`` replaced by the facets certified so far.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0], [1.0, 1.0], [2.0, 0.0]])
    >>> nonredundant_rows(A, np.array([1.0, 1.0, 0.0, 5.0, 2.0]))
    array([0, 1, 2])
    """
    return redundancy_report(A, b, tol=tol, method=method, n_rays=n_rays, rng=rng).rows


def redundancy_report(
    A: np.ndarray,
    b: np.ndarray,
    *,
    tol: float = REDUNDANCY_TOL,
    method: str = "per-row",
    n_rays: int | None = None,
    rng=0,
) -> RedundancyReport:
    """:func:`nonredundant_rows` with counts of what each stage did (same parameters)."""
    if method not in METHODS:
        raise InvalidValueError(f"nonredundant_rows: method must be one of {METHODS}; got {method!r}")
    m, n = A.shape

    def report(rows, n_candidates=0, n_certified=0, n_lps=0, empty=False):
        rows = np.sort(np.asarray(rows, dtype=np.int64))
        return RedundancyReport(rows, m, n_candidates, n_certified, n_lps, method, empty)

    split = split_rows(A, b)
    if split.empty_row >= 0:
        return report([split.empty_row], empty=True)
    if split.bounds_cross:
        k = int(np.flatnonzero(split.lower > split.upper)[0])
        return report([split.lower_row[k], split.upper_row[k]], empty=True)
    cons = _Constraints.build(A, b, split, tol)
    if cons.size == 0:
        return report([])
    model = lp.LPModel(cons.A_gen, cons.b_gen, lb=cons.lower, ub=cons.upper)
    if model.feasible().status is lp.LPStatus.INFEASIBLE:
        return report(cons.rows, cons.size, 0, 1, empty=True)
    certified = np.zeros(cons.size, dtype=bool)
    x0 = None
    ball = chebyshev_center(cons.dense_A(), cons.b)
    if ball.center is not None and ball.radius > INTERIOR_TOL:
        x0 = ball.center
        if n_rays is None:
            n_rays = min(2 * cons.size, 2000)
        if n_rays:
            certified = _shoot_rays(cons, x0, int(n_rays), np.random.default_rng(rng))
    if method == "clarkson" and x0 is not None:
        keep = _clarkson(cons, model, certified, x0)
    else:
        keep = _per_row(cons, model, certified)
    return report(cons.rows[keep], cons.size, int(certified.sum()), 2 + cons.n_lps)


class _Constraints:
    """Candidate constraints after the pre-filters, normalised.

    The first ``n_gen`` are general rows ``A_gen x <= b_gen`` (unit rows); the
    rest are bounds ``x_k <= upper_k`` / ``-x_k <= -lower_k``. ``rows`` maps each
    to its row in the caller's ``A``, ``thr`` is its tolerance in normalised
    units, ``col`` the variable of a bound (-1 for general rows) and ``sign``
    its direction.
    """

    @classmethod
    def build(cls, A, b, split, tol) -> "_Constraints":
        self = cls()
        n = A.shape[1]
        G = split.general
        norms = row_norms(A[G])
        An, bn = A[G] / norms[:, None], b[G] / norms
        keep = np.ones(G.size, dtype=bool)
        if G.size:  # exact duplicates after normalisation: keep the tightest, then the lowest index
            _, group = np.unique(An, axis=0, return_inverse=True)
            order = np.lexsort((G, bn, group.reshape(-1)))
            first = np.ones(order.size, dtype=bool)
            first[1:] = group.reshape(-1)[order][1:] != group.reshape(-1)[order][:-1]
            keep[:] = False
            keep[order[first]] = True
            reach = box_max(A[G], split.lower, split.upper)
            keep &= ~(reach <= b[G] + slack_tol(b[G], tol))
        self.n = n
        self.A_gen, self.b_gen = An[keep], bn[keep]
        self.n_gen = int(keep.sum())
        up = np.flatnonzero(np.isfinite(split.upper))
        lo = np.flatnonzero(np.isfinite(split.lower))
        self.col = np.concatenate([np.full(self.n_gen, -1), up, lo]).astype(np.int64)
        self.sign = np.concatenate([np.zeros(self.n_gen), np.ones(up.size), -np.ones(lo.size)])
        self.rows = np.concatenate([G[keep], split.upper_row[up], split.lower_row[lo]]).astype(np.int64)
        self.b = np.concatenate([self.b_gen, split.upper[up], -split.lower[lo]])
        scale = np.concatenate([norms[keep], np.abs(A[split.upper_row[up], up]), np.abs(A[split.lower_row[lo], lo])])
        self.thr = slack_tol(b[self.rows], tol) / scale
        self.upper = split.upper.copy()
        self.lower = np.minimum(split.lower, split.upper)
        self.size = self.rows.size
        self.n_lps = 0
        return self

    def dense_A(self) -> np.ndarray:
        """All candidates as unit rows of one dense matrix (for the Chebyshev LP and rays)."""
        B = np.zeros((self.size - self.n_gen, self.n))
        B[np.arange(B.shape[0]), self.col[self.n_gen:]] = self.sign[self.n_gen:]
        return np.vstack([self.A_gen, B])

    def objective(self, i: int) -> np.ndarray:
        if i < self.n_gen:
            return self.A_gen[i]
        c = np.zeros(self.n)
        c[self.col[i]] = self.sign[i]
        return c


def _shoot_rays(cons: _Constraints, x0: np.ndarray, n_rays: int, rng, chunk: int = 512) -> np.ndarray:
    """Which constraints are certified facets by a ray from ``x0`` that exits through them alone."""
    C = cons.dense_A()
    slack = np.maximum(cons.b - C @ x0, 0.0)
    certified = np.zeros(cons.size, dtype=bool)
    total = cons.size + n_rays
    for start in range(0, total, chunk):
        stop = min(start + chunk, total)
        normals = np.arange(start, min(stop, cons.size))
        D = C[normals].T
        if stop > cons.size:
            R = rng.standard_normal((cons.n, stop - max(start, cons.size)))
            D = np.hstack([D, R / np.linalg.norm(R, axis=0)])
        CD = C @ D  # (constraints, rays): rate of approach to each hyperplane
        with np.errstate(divide="ignore", invalid="ignore"):
            T = np.where(CD > 1e-14, slack[:, None] / CD, np.inf)
        k = np.arange(D.shape[1])
        j = np.argmin(T, axis=0)
        t1 = T[j, k]
        T[j, k] = np.inf
        t2 = T.min(axis=0)
        with np.errstate(invalid="ignore"):
            step = np.where(np.isfinite(t2), (t2 - t1) / 2, 1.0)
            ok = np.isfinite(t1) & (step * CD[j, k] > 2 * cons.thr[j])  # past j by 2 tol, before any other row
        certified[j[ok]] = True
    return certified


def _relax(cons: _Constraints, model: lp.LPModel, i: int, amount: float) -> None:
    """Move constraint ``i`` outwards by ``amount`` (``inf`` frees it, 0 restores it)."""
    if i < cons.n_gen:
        model.set_rhs(i, cons.b_gen[i] + amount)
    else:
        k = cons.col[i]
        if cons.sign[i] > 0:
            cons.upper[k] = cons.b[i] + amount
        else:
            cons.lower[k] = -cons.b[i] - amount
        model.set_col_bounds(k, cons.lower[k], cons.upper[k])


def _is_facet(cons: _Constraints, model: lp.LPModel, i: int) -> bool:
    """One LP: is ``max c_i x`` with constraint ``i`` relaxed by 1 beyond ``b_i + thr_i``?"""
    _relax(cons, model, i, 1.0)
    limit = cons.b[i] + cons.thr[i]
    res = model.optimize(cons.objective(i), maximize=True, bound=limit)
    cons.n_lps += 1
    if res.status is lp.LPStatus.BOUND:
        return False  # proven: max <= limit
    if res.status is not lp.LPStatus.OPTIMAL:
        return True  # no verdict: keeping a row is always safe
    return bool(res.value > limit)


def _per_row(cons: _Constraints, model: lp.LPModel, certified: np.ndarray) -> np.ndarray:
    keep = certified.copy()
    for i in sorted(np.flatnonzero(~certified), key=lambda i: -cons.rows[i]):
        if _is_facet(cons, model, i):
            keep[i] = True
            _relax(cons, model, i, 0.0)
        else:
            _relax(cons, model, i, np.inf)
    return keep


def _clarkson(cons: _Constraints, model: lp.LPModel, certified: np.ndarray, x0: np.ndarray) -> np.ndarray:
    C = cons.dense_A()
    slack = np.maximum(cons.b - C @ x0, 0.0)
    in_K = certified.copy()
    alive = np.ones(cons.size, dtype=bool)
    unsure = np.zeros(cons.size, dtype=bool)  # joined K on a tied ray: verified at the end
    for i in range(cons.size):  # the model starts with every constraint not in K freed
        if not in_K[i]:
            _relax(cons, model, i, np.inf)
    for i in sorted(np.flatnonzero(~certified), key=lambda i: -cons.rows[i]):
        while not in_K[i]:
            _relax(cons, model, i, 1.0)
            limit = cons.b[i] + cons.thr[i]
            res = model.optimize(cons.objective(i), maximize=True, bound=limit)
            cons.n_lps += 1
            _relax(cons, model, i, np.inf)
            if res.status is lp.LPStatus.BOUND or (res.status is lp.LPStatus.OPTIMAL and res.value <= limit):
                alive[i] = False
                break
            if res.status is not lp.LPStatus.OPTIMAL:
                in_K[i] = unsure[i] = True
                _relax(cons, model, i, 0.0)
                break
            d = res.x - x0
            rate = C[alive] @ d
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(rate > 1e-14, slack[alive] / rate, np.inf)
            order = np.argsort(t)[:2]
            j = int(np.flatnonzero(alive)[order[0]])
            if t.size > 1 and t[order[1]] <= t[order[0]] * (1 + 1e-9):
                unsure[j] = True
            in_K[j] = True
            _relax(cons, model, j, 0.0)
    for j in np.flatnonzero(unsure):  # against the final K, as in the per-row test
        if not _is_facet(cons, model, j):
            in_K[j] = False
            _relax(cons, model, j, np.inf)
        else:
            _relax(cons, model, j, 0.0)
    return in_K
