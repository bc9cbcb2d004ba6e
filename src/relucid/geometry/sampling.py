"""Uniform sampling of a bounded, full-dimensional polyhedron by hit-and-run."""

from __future__ import annotations

import numpy as np

from ._rows import split_rows
from .chebyshev import chebyshev_center
from .feasibility import is_bounded
from ..errors import InvalidValueError
from ..tolerances import INTERIOR_TOL

#: Steps per block: random directions drawn (and multiplied by ``A``) at a time.
_BLOCK = 256

#: ``directions="auto"`` uses coordinate directions above this dimension.
COORDINATE_ABOVE_DIM: int = 64


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
    directions: str = "auto",
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
    directions : {"auto", "random", "coordinate"}
        Uniform random directions (classic hit-and-run), or coordinate
        directions (coordinate hit-and-run: no matrix product per step).
        "auto" takes random directions up to dimension
        :data:`COORDINATE_ABOVE_DIM` and coordinate directions above it.

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
    The chain starts at the Chebyshev centre. Each step picks a direction
    ``u`` (uniform on the unit sphere, or a uniformly chosen coordinate
    axis), computes the chord ``{x + t u : A (x + t u) <= b} = [t_lo, t_hi]``
    from the slacks ``s = b - A x`` (``t <= s_i / (a_i u)`` for ``a_i u > 0``,
    ``t >= s_i / (a_i u)`` for ``a_i u < 0``) and moves to a uniform point of
    the chord. For both kinds of direction the uniform distribution on ``P``
    is stationary. Singleton rows act as variable bounds (an O(d) chord);
    random directions come in blocks of 256 so that ``A u`` is one matrix
    product; the slacks are updated in O(m) per step and recomputed exactly
    once per block. Successive samples are correlated: the defaults (burn-in
    ``100 + 10 d``, thinning ``min(d, 20)``) are a compromise for speed in high
    dimension, not a mixing guarantee; raise them for statistics that need
    near-independent draws. Measured: 1,000 samples of a 784-dimensional MNIST
    region (2,592 rows) take about 2 s with coordinate directions and 24 s
    with random ones (one AMD EPYC core).
    """
    d = A.shape[1]
    n = int(n)
    if n < 0:
        raise InvalidValueError(f"sample: n must be >= 0; got {n}")
    if directions not in ("auto", "random", "coordinate"):
        raise InvalidValueError(f"sample: directions must be 'auto', 'random' or 'coordinate'; got {directions!r}")
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
    split = split_rows(A, b)
    G = split.general
    chain = _Chain(A[G], b[G], split.lower, split.upper, ball.center.copy(), np.random.default_rng(rng))
    if directions == "coordinate" or (directions == "auto" and d > COORDINATE_ABOVE_DIM):
        return chain.run(n, burn_in, thin, chain.coordinate_block)
    return chain.run(n, burn_in, thin, chain.random_block)


class _Chain:
    """The state of one chain: the point, the slacks of the general rows, the bounds."""

    def __init__(self, G, g, lower, upper, x, rng) -> None:
        self.G, self.g, self.lower, self.upper, self.x, self.rng = G, g, lower, upper, x, rng
        self.Gf = np.asfortranarray(G)  # contiguous columns for coordinate steps

    def run(self, n, burn_in, thin, block) -> np.ndarray:
        d = self.x.shape[0]
        out = np.empty((n, d))
        total = burn_in + n * thin
        step, kept = 0, 0
        while step < total:
            k = min(_BLOCK, total - step)
            for _ in block(k):
                step += 1
                if step > burn_in and (step - burn_in) % thin == 0:
                    out[kept] = self.x
                    kept += 1
        return out

    def _slack(self) -> np.ndarray:
        return np.maximum(self.g - self.G @ self.x, 0.0)  # exact, once per block

    def _move(self, t_lo: float, t_hi: float, u: float) -> float:
        if not (np.isfinite(t_hi) and np.isfinite(t_lo)):
            raise InvalidValueError("sample: found an unbounded chord; the polyhedron is unbounded")
        return t_lo + u * (t_hi - t_lo)

    def random_block(self, k: int):
        x, rng = self.x, self.rng
        U = rng.standard_normal((x.shape[0], k))
        U /= np.linalg.norm(U, axis=0)
        GU = self.G @ U
        s = self._slack()
        uniforms = rng.random(k)
        for j in range(k):
            t_lo, t_hi = _chord(s, GU[:, j])
            b_lo, b_hi = _chord_bounds(x, U[:, j], self.lower, self.upper)
            t = self._move(max(t_lo, b_lo), min(t_hi, b_hi), uniforms[j])
            x += t * U[:, j]
            s = np.maximum(s - t * GU[:, j], 0.0)
            yield

    def coordinate_block(self, k: int):
        x, rng = self.x, self.rng
        axes = rng.integers(0, x.shape[0], size=k)
        s = self._slack()
        uniforms = rng.random(k)
        for j in range(k):
            i = axes[j]
            col = self.Gf[:, i]
            t_lo, t_hi = _chord(s, col)
            t = self._move(max(t_lo, self.lower[i] - x[i]), min(t_hi, self.upper[i] - x[i]), uniforms[j])
            x[i] += t
            s = np.maximum(s - t * col, 0.0)
            yield


def _chord(s: np.ndarray, au: np.ndarray) -> tuple[float, float]:
    """``[t_lo, t_hi]`` with ``t * au <= s`` row-wise."""
    pos, neg = au > 0, au < 0
    t_hi = float(np.min(s[pos] / au[pos])) if pos.any() else np.inf
    t_lo = float(np.max(s[neg] / au[neg])) if neg.any() else -np.inf
    return t_lo, t_hi


def _chord_bounds(x, u, lower, upper) -> tuple[float, float]:
    """``[t_lo, t_hi]`` with ``lower <= x + t u <= upper``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a, c = (lower - x) / u, (upper - x) / u
    lo = np.where(u > 0, a, np.where(u < 0, c, -np.inf))
    hi = np.where(u > 0, c, np.where(u < 0, a, np.inf))
    return float(np.max(lo)), float(np.min(hi))
