"""The maximum-volume axis-aligned box inside a polyhedron.

A box ``[l, u]`` lies in ``P = {x : A x <= b}`` if and only if, for every row,

.. math::

    \\max_{l \\le x \\le u} a_i x \\;=\\; a_i^+ u - a_i^- l \\;\\le\\; b_i,
    \\qquad a^+ = \\max(a, 0),\\ a^- = \\max(-a, 0),

which is *linear* in ``(l, u)``: every corner is checked at once, whatever the
signs of the weights. (Checking only the two corners ``l`` and ``u`` — as the
input-characterisation paper's own code did — is unsound as soon as a row has
weights of mixed signs: ``x0 - x1 <= 0`` holds at ``(0, 0)`` and ``(1, 1)`` but
not at the corner ``(1, 0)`` of ``[0, 1]^2``.)

Maximising the volume is maximising ``sum_i log(u_i - l_i)``, a concave
objective under linear constraints. :func:`max_volume_box` solves it with a
log-barrier interior-point method (Newton steps on ``2n`` variables,
Boyd & Vandenberghe, *Convex Optimization*, §11.3), in numpy only. Every
iterate is strictly feasible, so the returned box fits by construction;
:func:`box_fits` re-checks it in float64 with no tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..deadline import Deadline
from ..errors import InvalidValueError, ShapeError
from ..tolerances import INTERIOR_TOL, ZERO_ROW_TOL
from .chebyshev import chebyshev_center

__all__ = ["MaxBox", "box_fits", "box_log_volume", "max_volume_box"]

#: Stop when the barrier's duality-gap bound ``m / t`` (in units of
#: log-volume) is below this: the returned log-volume is within this of the
#: optimum.
GAP_TOL: float = 1e-8


@dataclass(frozen=True)
class MaxBox:
    """Result of :func:`max_volume_box`.

    Attributes
    ----------
    status : {"optimal", "flat", "empty", "iteration_limit", "timeout"}
        ``"flat"``: the polyhedron has no interior (its Chebyshev radius is
        below :data:`~relucid.tolerances.INTERIOR_TOL`); the box is then the
        single point ``lo == hi`` at the Chebyshev centre. ``"empty"``: no
        point at all; ``lo`` and ``hi`` are None. ``"iteration_limit"`` and
        ``"timeout"`` (the deadline passed): the box fits (every iterate is
        strictly feasible) but may be short of the optimum by more than ``gap``.
    lo, hi : (n,) arrays or None
    log_volume : float
        ``sum(log(hi - lo))``; ``-inf`` for a flat box.
    gap : float
        Upper bound on ``optimum - log_volume``.
    newton_steps : int
    """

    status: str
    lo: np.ndarray | None
    hi: np.ndarray | None
    log_volume: float
    gap: float
    newton_steps: int


def box_fits(A, b, lo, hi) -> bool:
    """Whether every corner of ``[lo, hi]`` satisfies ``A x <= b`` (float64, no tolerance).

    Uses ``A+ hi - A- lo <= b``: the maximum of each row over the box.
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    if A.shape[0] == 0:
        return bool(np.all(lo <= hi))
    worst = A.clip(min=0) @ hi - (-A).clip(min=0) @ lo
    return bool(np.all(worst <= b) and np.all(lo <= hi))


def box_log_volume(lo, hi) -> float:
    """``sum(log(hi - lo))``: the log-volume of a box (``-inf`` when flat)."""
    w = np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return float(np.sum(np.log(w)))


def max_volume_box(A, b, *, gap_tol: float = GAP_TOL, max_newton: int = 2000, deadline=None) -> MaxBox:
    """The axis-aligned box of largest volume inside ``{x : A x <= b}``.

    Parameters
    ----------
    A : array of shape (m, n)
    b : array of shape (m,)
        The polyhedron must be bounded (else the volume is unbounded).
    gap_tol : float
        Optimality tolerance on the log-volume (see :data:`GAP_TOL`).
    max_newton : int
        Limit on the total number of Newton steps.
    deadline : relucid.deadline.Deadline, optional
        Stop the Newton steps when it passes and return the current box
        (status ``"timeout"``): it fits, it is only not the largest. Each
        Newton step solves a ``2n``-by-``2n`` system, about 0.1 s at
        ``n = 784`` on one core.

    Returns
    -------
    MaxBox

    Raises
    ------
    InvalidValueError
        The polyhedron is unbounded.

    Notes
    -----
    With ``G = [-A-, A+]`` (shape (m, 2n)) and ``z = (l, u)`` the problem is

    .. math::

        \\max_{z} \\; \\sum_i \\log(u_i - l_i) \\quad \\text{s.t.} \\quad G z \\le b,

    solved by minimising ``-t sum log(u - l) - sum log(b - G z)`` with
    Newton's method for ``t = 1, 20, 400, ...`` until ``m / t < gap_tol``.
    Rows are scaled to unit norm first. The start is the cube of half-width
    ``r / (2 sqrt(n))`` around the Chebyshev centre (radius ``r``), which lies
    strictly inside.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])   # the triangle x, y >= 0, x + y <= 1
    >>> r = max_volume_box(A, np.array([1.0, 0.0, 0.0]))
    >>> np.round(r.lo, 6).tolist(), np.round(r.hi, 6).tolist()
    ([0.0, 0.0], [0.5, 0.5])
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if A.ndim != 2 or b.shape != (A.shape[0],):
        raise ShapeError(f"max_volume_box: A must be (m, n) and b (m,); got {A.shape} and {b.shape}")
    n = A.shape[1]
    norms = np.linalg.norm(A, axis=1)
    zero = norms < ZERO_ROW_TOL
    if np.any(zero & (b < 0)):
        return MaxBox("empty", None, None, float("-inf"), 0.0, 0)
    keep = ~zero & (b < np.inf)
    A, b, norms = A[keep] / norms[keep, None], b[keep] / norms[keep], norms[keep]
    ball = chebyshev_center(A, b)
    if ball.center is None:
        return MaxBox("empty", None, None, float("-inf"), 0.0, 0)
    if not np.isfinite(ball.radius) or not _bounded(A):
        raise InvalidValueError(
            "max_volume_box: the polyhedron is unbounded, so boxes inside it have no largest volume; "
            "intersect it with a bounded domain first"
        )
    if ball.radius <= INTERIOR_TOL or n == 0:
        c = ball.center.copy()
        return MaxBox("flat" if n else "optimal", c, c.copy(), float("-inf") if n else 0.0, 0.0, 0)
    h = ball.radius / (2.0 * np.sqrt(n))
    z = np.concatenate([ball.center - h, ball.center + h])
    G = np.hstack([-(-A).clip(min=0), A.clip(min=0)])
    deadline = Deadline.never() if deadline is None else deadline
    z, gap, steps, ok = _barrier(G, b, z, n, gap_tol, max_newton, deadline)
    lo, hi = z[:n], z[n:]
    if not box_fits(A * norms[:, None], b * norms, lo, hi):  # rounding in the last step: back off
        lo, hi = _shrink_to_fit(A * norms[:, None], b * norms, lo, hi, ball.center)
    status = "optimal" if ok else ("timeout" if deadline.expired() else "iteration_limit")
    return MaxBox(status, lo, hi, box_log_volume(lo, hi), gap, steps)


def _barrier(G, b, z, n, gap_tol, max_newton, deadline):
    """Barrier method on ``f_t(z) = -t sum log w - sum log s`` (w = u - l, s = b - G z).

    Each centring step stops within ``1e-3 gap_tol`` of the central point, so
    the log-volume is within ``m / t + 1e-3 gap_tol`` of the optimum.
    """
    m = G.shape[0]
    t, mu = 1.0, 20.0
    steps = 0
    while True:
        z, used, converged = _centre(G, b, z, n, t, max_newton - steps, tol=1e-3 * gap_tol, deadline=deadline)
        steps += used
        gap = m / t
        if not converged:
            return z, gap, steps, False
        if gap < gap_tol:
            return z, gap, steps, True
        t *= mu


def _centre(G, b, z, n, t, budget, tol, alpha=0.01, beta=0.5, deadline=None):
    """Newton's method with backtracking on ``f_t / t``; returns (z, steps, converged).

    Stops (not converged) when ``deadline`` passes; ``z`` is then the last
    strictly feasible iterate.

    Dividing by ``t`` keeps the objective near the log-volume's scale, so
    that its rounding error stays far below ``tol`` (the stopping bound on
    half the squared Newton decrement, which bounds ``f_t/t - min f_t/t``).
    """
    inv_t = 1.0 / t

    def value(z):
        w = z[n:] - z[:n]
        s = b - G @ z
        if np.any(w <= 0) or np.any(s <= 0):
            return np.inf
        return -np.sum(np.log(w)) - inv_t * np.sum(np.log(s))

    idx = np.arange(n)
    fz = value(z)
    for k in range(budget):
        if deadline is not None and deadline.expired():
            return z, k, False
        w = z[n:] - z[:n]
        s = b - G @ z
        grad = inv_t * (G.T @ (1.0 / s))
        grad[:n] += 1.0 / w
        grad[n:] -= 1.0 / w
        H = (G.T * (inv_t / s**2)) @ G
        hw = 1.0 / w**2
        H[idx, idx] += hw
        H[idx + n, idx + n] += hw
        H[idx, idx + n] -= hw
        H[idx + n, idx] -= hw
        try:
            step = -np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(H, grad, rcond=None)[0]
        dec = -grad @ step
        if not np.isfinite(dec) or dec / 2 <= tol:
            return z, k, True
        a = 1.0
        while True:
            cand = z + a * step
            fc = value(cand)
            if fc <= fz - alpha * a * dec:
                break
            a *= beta
            if a < 1e-12:
                # no decrease resolvable in float64: z is as central as it gets
                return z, k + 1, True
        z, fz = cand, fc
    return z, budget, False


def _bounded(A) -> bool:
    """Whether a non-empty ``{x : A x <= b}`` (unit-norm rows) is bounded.

    It is bounded iff its recession cone ``{d : A d <= 0}`` is ``{0}``: iff
    ``A`` has rank ``n`` (no line ``A d = 0``) and no ``d`` with ``A d <= 0``
    has ``A d != 0``, i.e. ``max -sum(A d)`` over ``A d <= 0, |d| <= 1`` is 0.
    """
    from .lp import LPStatus, solve_lp

    n = A.shape[1]
    if A.shape[0] < n + 1 or np.linalg.matrix_rank(A) < n:
        return False
    res = solve_lp(-A.sum(axis=0), A, np.zeros(A.shape[0]), lb=np.full(n, -1.0), ub=np.full(n, 1.0), maximize=True)
    return res.status is LPStatus.OPTIMAL and res.value <= 1e-9


def _shrink_to_fit(A, b, lo, hi, centre):
    """Scale ``[lo, hi]`` towards ``centre`` until it fits (it does at scale 0)."""
    for k in range(1, 60):
        s = 1.0 - 2.0**-40 * 4**k
        if s <= 0:
            break
        l2, h2 = centre + s * (lo - centre), centre + s * (hi - centre)
        if box_fits(A, b, l2, h2):
            return l2, h2
    return centre.copy(), centre.copy()
