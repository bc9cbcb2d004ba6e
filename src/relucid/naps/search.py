"""Following-NAP search: random and gradient-guided points that strictly follow a pattern.

Used twice, on purpose with the same code: before a proof, to find
counterexamples cheaply (a confirmed point ends the query), and after a
proof, as the independent check that no input the search can reach
contradicts it (docs/naps.md, "Cross-checks").

Each start ``x`` (given points, e.g. training images of the label, and
uniform samples of the box) descends, by projected signed-gradient steps
inside the box ``[lo, hi]``, on

    L(x) = Σ_{v ∈ A} max(τ - z_v, 0) + Σ_{v ∈ D} max(z_v + τ, 0) + λ · max(w·y + κ, 0)

where the first two sums pull the point into the NAP with a margin ``τ``
(so that it follows it *strictly*), and the last term, when an objective
``w`` is given, pushes ``w·y`` below zero (``w = e_c - e_j``: class ``j``
reaches class ``c``). Gradients come from the active affine piece of each
point (one batched backward pass). After every few steps the points are
checked exactly in float64: inside the box, every neuron of ``A`` at
``z > 0`` and of ``D`` at ``z <= 0``; only such points are kept.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import numpy as np

from ..phases import OFF, ON
from ..deadline import Deadline
from ..network import Network

__all__ = ["SearchResult", "nap_search", "strictly_follows"]

#: Margin τ the penalty asks of every fixed pre-activation (a point with
#: margin follows the NAP strictly even after float64 rounding).
FOLLOW_MARGIN = 1e-3
#: Margin κ below zero the objective is pushed to.
OBJECTIVE_MARGIN = 1e-2
#: Weight λ of the objective against the NAP penalty.
OBJECTIVE_WEIGHT = 1.0
#: Steps between exact checks of the whole batch.
CHECK_EVERY = 4
#: Most following points kept in a result (the best by objective, then first found).
KEEP = 256


@dataclass
class SearchResult:
    """What a following-NAP search found.

    Attributes
    ----------
    hit : ndarray or None
        A point that follows the pattern strictly, lies in the box and has
        ``w·y <= 0`` (with no objective: any following point).
    points : ndarray (k, n_in)
        Following points found (at most :data:`KEEP`, lowest ``w·y`` first).
    values : ndarray (k,)
        ``w·y`` at ``points`` (zeros without an objective).
    n_following : int
        Following points seen over all checks (with repeats).
    n_checked : int
        Points checked.
    time : float
    """

    hit: np.ndarray | None = None
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_following: int = 0
    n_checked: int = 0
    time: float = 0.0

    @property
    def min_value(self) -> float:
        """Smallest ``w·y`` over the following points found (inf if none)."""
        return float(self.values.min()) if self.values.size else float("inf")


def strictly_follows(net: Network, phases: dict, X) -> np.ndarray:
    """Exact float64 check for a batch: every fixed phase holds (on: ``z > 0``; off: ``z <= 0``)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    ok = np.ones(X.shape[0], dtype=bool)
    H = X
    last = max(phases, default=-1)
    for k in range(last + 1):
        layer = net.layers[k]
        Z = layer.preactivation(H)
        ph = phases.get(k)
        if ph is not None:
            ok &= ~((ph == ON) & ~(Z > 0)).any(axis=1)
            ok &= ~((ph == OFF) & (Z > 0)).any(axis=1)
        H = layer.activate(Z)
    return ok


def nap_search(
    net: Network,
    phases: dict,
    lo,
    hi,
    *,
    objective=None,
    starts=None,
    n_random: int = 32,
    n_steps: int = 200,
    step: float = 0.02,
    rng=0,
    deadline=None,
) -> SearchResult:
    """Search the box ``[lo, hi]`` for inputs that strictly follow ``phases`` (and reach ``w·y <= 0``).

    Parameters
    ----------
    net : Network
    phases : dict layer -> int8 array
        1 on, 0 off, -1 free (``NAP.layer_phases(net)``).
    lo, hi : arrays (n_in,)
        The box (domain, or an L∞ ball intersected with it).
    objective : array (n_out,), optional
        ``w``; the search stops at the first following point with ``w·y <= 0``.
        Without it, at the first following point.
    starts : array (m, n_in), optional
        Starting points (clipped to the box), before ``n_random`` uniform ones.
    n_steps : int
        Signed-gradient steps (cosine step schedule from ``step · (hi - lo)``).
    rng : int or numpy Generator
    deadline : Deadline or float, optional
        When to stop (a :class:`~relucid.deadline.Deadline`, or a ``time.monotonic()`` instant).

    Returns
    -------
    SearchResult
    """
    t0 = time.monotonic()
    rng = np.random.default_rng(rng)
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    w = None if objective is None else np.asarray(objective, dtype=np.float64)
    parts = []
    if starts is not None and len(starts):
        parts.append(np.clip(np.atleast_2d(np.asarray(starts, dtype=np.float64)), lo, hi))
    parts.append(((lo + hi) / 2)[None])
    if n_random:
        parts.append(rng.uniform(lo, hi, size=(int(n_random), lo.shape[0])))
    x = np.vstack(parts)
    with _small_blas():
        res = _descend(net, phases, w, x, lo, hi, n_steps, step, Deadline.coerce(deadline))
    res.time = time.monotonic() - t0
    return res


def _descend(net, phases, w, x, lo, hi, n_steps, step, deadline) -> SearchResult:
    res = SearchResult(points=np.zeros((0, lo.shape[0])))
    kept_x, kept_v = [], []
    step0 = step * (hi - lo)
    for t in range(n_steps + 1):
        if t % CHECK_EVERY == 0 or t == n_steps:
            hit = _check(net, phases, w, x, lo, hi, res, kept_x, kept_v)
            if hit is not None:
                res.hit = hit
                break
        if t == n_steps or deadline.expired():
            break
        g = _gradient(net, phases, w, x)
        size = step0 * 0.5 * (1 + np.cos(np.pi * t / n_steps)) + 1e-3 * (hi - lo)
        x = np.clip(x - size * np.sign(g), lo, hi)
    if kept_x:
        P, V = np.vstack(kept_x), np.concatenate(kept_v)
        order = np.argsort(V, kind="stable")[:KEEP]
        res.points, res.values = P[order], V[order]
    return res


def _small_blas():
    """One BLAS thread while the search runs (optional: needs threadpoolctl).

    The search multiplies small batches (tens of rows); a multi-threaded
    OpenBLAS on a loaded two-core machine made each such product 10-30x
    slower than one thread (measured: 20 s against 1.5 s for one search).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _check(net, phases, w, x, lo, hi, res: SearchResult, kept_x, kept_v):
    inside = ((x >= lo) & (x <= hi)).all(axis=1)
    ok = strictly_follows(net, phases, x) & inside
    res.n_checked += x.shape[0]
    res.n_following += int(ok.sum())
    if not ok.any():
        return None
    F = x[ok]
    v = np.zeros(F.shape[0]) if w is None else net(F) @ w
    kept_x.append(F.copy())
    kept_v.append(v)
    if sum(len(k) for k in kept_x) > 4 * KEEP:  # keep memory bounded: best KEEP so far
        P, V = np.vstack(kept_x), np.concatenate(kept_v)
        order = np.argsort(V, kind="stable")[:KEEP]
        kept_x[:] = [P[order]]
        kept_v[:] = [V[order]]
    hits = np.flatnonzero(v <= 0)
    return F[hits[0]].copy() if hits.size else None


def _gradient(net, phases, w, x):
    """d L / d x for the loss in the module notes (batched, through the active pieces)."""
    pres = []
    H = x
    for layer in net.layers:
        Z = layer.preactivation(H)
        pres.append(Z)
        H = layer.activate(Z)
    if w is not None:
        active = (H @ w) > -OBJECTIVE_MARGIN
        g = OBJECTIVE_WEIGHT * active[:, None] * w[None, :]
    else:
        g = np.zeros_like(H)
    for k in range(len(net.layers) - 1, -1, -1):
        layer, Z = net.layers[k], pres[k]
        if layer.activation == "relu":
            g = g * (Z > 0)
        elif layer.activation == "leaky_relu":
            g = g * np.where(Z > 0, 1.0, layer.alpha)
        ph = phases.get(k)
        if ph is not None:
            g = g - ((ph == ON) & (Z < FOLLOW_MARGIN)) + ((ph == OFF) & (Z > -FOLLOW_MARGIN))
        g = g @ layer.weight
    return g
