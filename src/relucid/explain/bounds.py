"""Range of every input feature over a polyhedron, with most of the ``2 n`` LPs skipped.

The V-representation view of an explanation (Woods et al., Sec. II-C): the
lower and upper bound of each feature over the explained set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import parallel
from ..errors import SolverError
from ..geometry import lp
from ..geometry._rows import split_rows
from ..tolerances import LP_FEASIBILITY_TOL, MEMBERSHIP_TOL

__all__ = ["feature_bounds"]


def feature_bounds(A, b, witnesses=(), *, n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``: ``min x_k`` and ``max x_k`` over ``P = {x : A x <= b}`` for every ``k``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    b : ndarray of shape (m,)
    witnesses : sequence of ndarray of shape (n,)
        Points known to lie in ``P`` (others are ignored).
    n_jobs : int, optional
        Solve the remaining LPs in this many processes (:func:`relucid.parallel.run_all`).

    Returns
    -------
    lo, hi : ndarray of shape (n,)
        ±inf in unbounded directions; ``lo = +inf, hi = -inf`` when ``P`` is empty.

    Notes
    -----
    Three stages, cheapest first; a bound is only ever settled by a point of
    ``P`` that attains it (or a ray that proves it infinite), so the answer is
    the LP answer.

    1. **Rays, no LP.** From a witness ``p`` the ray ``p + t e_k`` stays in
       ``P`` up to ``t* = min_i slack_i / a_ik`` over rows with ``a_ik > 0``.
       When ``p_k + t*`` reaches the tightest singleton bound ``x_k <= u_k``
       (up to LP tolerance), ``max x_k = u_k``; when no row stops the ray,
       ``max x_k = +inf``. The same for ``-e_k``.
    2. **Batch LPs.** Maximise (minimise) the sum of the coordinates still
       open: the optimal vertex sits at the singleton bound in many of them at
       once, and each one it attains is settled. When a batch of all of them
       settles less than 5 %, batches become random eighths of the open set
       (they compete less), halving again whenever a batch settles nothing.
    3. A batch of one coordinate is the LP ``max / min x_k`` itself: its
       optimum settles ``x_k`` whether or not it reaches the bound.

    All LPs are warm-started on one :class:`~relucid.geometry.lp.LPModel`
    with the singleton rows as variable bounds. On why-polytopes of mnistfc
    256x4 over ``[0, 1]^784`` (every pixel range is the whole ``[0, 1]``)
    this settles the 1,568 bounds with 14 LPs for test image 0 and 55 for
    image 2, the hardest of the first 20 (single warm LPs: about 1,500 and
    ~50 s; timings in ``benchmarks/results/explain.md``).
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m, n = A.shape
    empty = (np.full(n, np.inf), np.full(n, -np.inf))
    split = split_rows(A, b)
    if split.empty_row >= 0 or split.bounds_cross:
        return empty
    upper, lower = split.upper, np.minimum(split.lower, split.upper)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    live = np.isfinite(b)
    Al, bl = A[live], b[live]
    pts = [np.asarray(w, dtype=np.float64) for w in witnesses]
    pts = [p for p in pts if p.shape == (n,) and np.all(Al @ p <= bl + MEMBERSHIP_TOL * (1 + np.abs(bl)))]
    for p in pts:
        slack = np.maximum(bl - Al @ p, 0.0)
        for sign, out, bound in ((1.0, hi, upper), (-1.0, lo, lower)):
            rate = sign * Al  # (m, n): approach to each row along sign * e_k
            with np.errstate(divide="ignore", invalid="ignore"):
                steps = np.where(rate > 1e-14, slack[:, None] / rate, np.inf)
            t = steps.min(axis=0) if steps.shape[0] else np.full(n, np.inf)
            reach = p + sign * t
            tol = LP_FEASIBILITY_TOL * (1.0 + np.abs(np.where(np.isfinite(bound), bound, 0.0)))
            with np.errstate(invalid="ignore"):
                hit = np.isfinite(bound) & (np.abs(reach - bound) <= tol)
            free = ~np.isfinite(t)
            out[hit & np.isnan(out)] = bound[hit & np.isnan(out)]
            out[free & np.isnan(out)] = sign * np.inf
    todo = [(k, True) for k in np.flatnonzero(np.isnan(hi))] + [(k, False) for k in np.flatnonzero(np.isnan(lo))]
    if not todo:
        return lo + 0.0, hi + 0.0
    k_jobs = parallel.effective_n_jobs(n_jobs)
    chunks = [todo[i::k_jobs] for i in range(k_jobs)] if k_jobs > 1 and len(todo) >= 8 * k_jobs else [todo]
    results = parallel.run_all(_BoundsTask(A, b, pts), chunks, n_jobs=n_jobs if len(chunks) > 1 else None)
    for part in results:
        if part is None:
            return empty
        for (k, maximize), value in part:
            (hi if maximize else lo)[k] = value
    return lo + 0.0, hi + 0.0  # no -0.0 in the output


@dataclass(frozen=True)
class _BoundsTask:
    """Settle ``max / min x_k`` for a list of ``(k, maximize)`` over one warm model (stages 2 and 3)."""

    A: np.ndarray
    b: np.ndarray
    witnesses: list

    def __call__(self, todo):
        split = split_rows(self.A, self.b)
        upper, lower = split.upper, np.minimum(split.lower, split.upper)
        G = split.general
        n = self.A.shape[1]
        model = lp.LPModel(self.A[G], self.b[G], lb=lower, ub=upper)
        rng = np.random.default_rng(0)
        out = []
        for maximize in (True, False):
            sign = 1.0 if maximize else -1.0
            bound = upper if maximize else lower
            tol = LP_FEASIBILITY_TOL * (1.0 + np.abs(np.where(np.isfinite(bound), bound, 0.0)))
            reach = np.full(n, -np.inf)  # best sign * x_k over the points seen
            for w in self.witnesses:
                reach = np.maximum(reach, sign * w)
            wanted = np.zeros(n, dtype=bool)
            wanted[[k for k, mx in todo if mx is maximize]] = True
            value = np.full(n, np.nan)

            def settle_attained():
                hit = wanted & np.isnan(value) & np.isfinite(bound) & (np.abs(sign * reach - bound) <= tol)
                value[hit] = bound[hit]
                return int(hit.sum())

            settle_attained()
            frac = 1  # batch = 1/frac of the open coordinates: all of them first, then random subsets
            while True:
                open_ = np.flatnonzero(wanted & np.isnan(value))
                if not open_.size:
                    break
                k = max(1, open_.size // frac)
                batch = open_ if k == open_.size else rng.choice(open_, k, replace=False)
                c = np.zeros(n)
                c[batch] = 1.0
                res = model.optimize(c, maximize=maximize)
                if res.status is lp.LPStatus.INFEASIBLE:
                    return None
                if res.status is lp.LPStatus.UNBOUNDED and k == 1:
                    value[batch] = sign * np.inf
                    continue
                if res.status is lp.LPStatus.UNBOUNDED:
                    frac *= 2  # some coordinate of the batch is unbounded: smaller batches
                    continue
                if res.status is not lp.LPStatus.OPTIMAL:
                    raise SolverError(f"feature_bounds: HiGHS ended with status {res.status.name}")
                reach = np.maximum(reach, sign * res.x)
                settled = settle_attained()
                if k == 1 and np.isnan(value[batch[0]]):
                    value[batch[0]] = res.value  # the LP optimum of x_k itself
                    settled += 1
                if frac == 1 and settled < max(1, k // 20):
                    frac = 8  # the whole set competes: batches of an eighth attain far more each
                elif settled == 0 and k > 1:
                    frac *= 2
            out += [((int(k), maximize), float(value[k])) for k in np.flatnonzero(wanted)]
        return out
