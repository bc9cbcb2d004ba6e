"""Uniform sampling of a bounded, full-dimensional polyhedron by hit-and-run."""

from __future__ import annotations

import numpy as np

from ._rows import row_norms
from .chebyshev import chebyshev_center
from .feasibility import is_bounded
from ..errors import InvalidValueError
from ..tolerances import INTERIOR_TOL, ZERO_ROW_TOL

#: Random directions drawn (and multiplied by ``A``) at a time.
_BLOCK = 256


def default_burn_in(dim: int) -> int:
    """Steps discarded before the first sample: ``100 + 10 * dim``."""
    return 100 + 10 * dim


def default_thin(dim: int) -> int:
    """Steps between kept samples: ``min(dim, 20)`` (at least 1)."""
    return max(1, min(dim, 20))


def hit_and_run(
    A: np.ndarray,
    b: np.ndarray,
    n: int,
    rng=None,
    *,
    burn_in: int | None = None,
    thin: int | None = None,
) -> np.ndarray:
    """``n`` points drawn uniformly from ``P = {x : A x <= b}`` by hit-and-run.

    Parameters
    ----------
    A : ndarray of shape (m, d)
    b : ndarray of shape (m,)
        ``P`` must be non-empty, bounded and full-dimensional.
    n : int
        Number of samples.
    rng : seed or numpy Generator, optional
    burn_in : int, optional
        Steps discarded at the start; default :func:`default_burn_in`.
    thin : int, optional
        Steps taken per kept sample; default :func:`default_thin`.

    Returns
    -------
    ndarray of shape (n, d)

    Raises
    ------
    InvalidValueError
        When ``P`` is empty, unbounded, or not full-dimensional (Chebyshev
        radius at most :data:`~relucid.tolerances.INTERIOR_TOL`).

    Notes
    -----
    The chain starts at the Chebyshev centre. Each step draws a direction
    ``u`` uniformly on the unit sphere, computes the chord
    ``{x + t u : A (x + t u) <= b} = [t_lo, t_hi]`` from the slacks
    ``s = b - A x`` (``t <= s_i / (a_i u)`` for ``a_i u > 0``, ``t >= s_i / (a_i u)``
    for ``a_i u < 0``) and moves to a uniform point of it; the uniform
    distribution on ``P`` is stationary. Directions come in blocks of 256 so
    that ``A u`` is one matrix product; the slacks are updated in O(m) per
    step and recomputed exactly once per block. Successive samples are
    correlated: the defaults (burn-in ``100 + 10 d``, thinning ``min(d, 20)``)
    are a compromise for speed in high dimension, not a mixing guarantee;
    raise them for statistics that need near-independent draws.
    """
    d = A.shape[1]
    n = int(n)
    if n < 0:
        raise InvalidValueError(f"sample: n must be >= 0; got {n}")
    burn_in = default_burn_in(d) if burn_in is None else int(burn_in)
    thin = default_thin(d) if thin is None else int(thin)
    if burn_in < 0 or thin < 1:
        raise InvalidValueError(f"sample: burn_in must be >= 0 and thin >= 1; got {burn_in} and {thin}")
    ball = chebyshev_center(A, b)
    if ball.center is None:
        raise InvalidValueError("sample: the polyhedron is empty; there is nothing to sample")
    if d == 0:
        return np.zeros((n, 0))
    if ball.radius <= INTERIOR_TOL:
        raise InvalidValueError(
            f"sample: the polyhedron is not full-dimensional (Chebyshev radius {ball.radius:.3g}); "
            "hit-and-run needs an interior"
        )
    if not np.isfinite(ball.radius) or not is_bounded(A, b):
        raise InvalidValueError(
            "sample: the polyhedron is unbounded; uniform sampling needs a bounded set (intersect it with a Box)"
        )
    keep = (b < np.inf) & (row_norms(A) >= ZERO_ROW_TOL)
    A, b = np.ascontiguousarray(A[keep]), b[keep]
    rng = np.random.default_rng(rng)
    return _chain(A, b, ball.center.copy(), n, burn_in, thin, rng)


def _chain(A, b, x, n, burn_in, thin, rng) -> np.ndarray:
    d = A.shape[1]
    out = np.empty((n, d))
    total = burn_in + n * thin
    step, kept = 0, 0
    while step < total:
        k = min(_BLOCK, total - step)
        U = rng.standard_normal((d, k))
        U /= np.linalg.norm(U, axis=0)
        AU = A @ U
        s = np.maximum(b - A @ x, 0.0)  # exact slacks once per block
        uniforms = rng.random(k)
        for j in range(k):
            au = AU[:, j]
            with np.errstate(divide="ignore"):
                ratio = s / au
            pos, neg = au > 0, au < 0
            t_hi = ratio[pos].min() if pos.any() else np.inf
            t_lo = ratio[neg].max() if neg.any() else -np.inf
            if not (np.isfinite(t_hi) and np.isfinite(t_lo)):
                raise InvalidValueError("sample: found an unbounded chord; the polyhedron is unbounded")
            t = t_lo + uniforms[j] * (t_hi - t_lo)
            x += t * U[:, j]
            s = np.maximum(s - t * au, 0.0)
            step += 1
            if step > burn_in and (step - burn_in) % thin == 0:
                out[kept] = x
                kept += 1
    return out
