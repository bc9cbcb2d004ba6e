"""Cheap falsification before any proof attempt: sampling, then projected gradient descent.

The score of an output is ``min_k max_i (c_i y - d_i)`` over the disjuncts
of the violation set: ``<= 0`` exactly when the output lies in (the closure
of) one of them. Inputs that break a fixed phase pay a penalty (the amount by
which their pre-activations are on the wrong side). Gradients come from the
network's own piecewise-linear structure (one backward pass of the active
affine pieces), batched over starting points. Every point that scores
``<= 0`` goes through :func:`~.confirm.confirm`.
"""

from __future__ import annotations

import numpy as np

from ..phases import OFF, ON

from .confirm import confirm
from .query import Query, disjunct_margins

#: Uniform samples drawn from the input box.
N_SAMPLES = 2048
#: Samples times property rows checked at most (fewer samples for properties of many rows) ...
SAMPLE_ENTRIES = 1 << 22
#: ... but never fewer samples than this.
MIN_SAMPLES = 16
#: Starting points for gradient descent (the best samples for each disjunct).
N_STARTS = 64
#: Gradient steps per start (the step size follows a cosine schedule).
N_STEPS = 100
#: With more disjuncts than this, the targeted descent aims only at the ones
#: whose best sample is closest (2 starts each).
MAX_TARGETS = N_STARTS // 2
#: Gradient steps per open box in input splitting.
BOX_STEPS = 8


def attack(q: Query, rng: np.random.Generator) -> np.ndarray | None:
    """A confirmed counterexample found by sampling and PGD, or None."""
    n = q.net.input_dim
    # Fewer samples when the property has very many rows: every sample is checked against all of them.
    half = int(np.clip(SAMPLE_ENTRIES // max(q.rows.C.shape[0], 1), MIN_SAMPLES, N_SAMPLES)) // 2
    corners = np.where(rng.random((half, n)) < 0.5, q.lo, q.hi)
    X = np.vstack([(q.lo + q.hi) / 2, rng.uniform(q.lo, q.hi, size=(half, n)), corners])
    if q.A.shape[0]:
        X = X[(X @ q.A.T <= q.b).all(axis=1)]
        if X.shape[0] == 0:
            return None
    q.count("attack_points", X.shape[0])
    found = _first_confirmed(q, X)
    if found is not None or q.expired():
        return found
    # Targeted descent: for each disjunct, the best starts for *that* disjunct;
    # with many disjuncts, only the MAX_TARGETS whose best sample is closest.
    K = len(q.disjuncts)
    per = max(2, N_STARTS // K) if K > 1 else N_STARTS
    _, Y, penalty = _forward(q, X)
    if K > MAX_TARGETS:
        best = np.full(K, np.inf)
        R = q.rows
        step = R.chunk(X.shape[0])
        for i in range(0, X.shape[0], step):
            seg = R.segment_max(R.margins(Y[i:i + step])) + penalty[i:i + step, None]
            best = np.minimum(best, seg.min(axis=0))
            if q.expired():
                return None
        targets = np.sort(np.argpartition(best, MAX_TARGETS - 1)[:MAX_TARGETS])
    else:
        targets = np.arange(K)
    sub, order = q.rows.subset(targets)
    S = sub.segment_max(sub.margins(Y)) + penalty[:, None]  # (n, len(order))
    starts, target = [], []
    for j, k in enumerate(order):
        starts.append(X[np.argsort(S[:, j])[:per]])
        target.append(np.full(min(per, X.shape[0]), k))
    x, target = np.vstack(starts), np.concatenate(target)
    step0 = (q.hi - q.lo) / 4
    for t in range(N_STEPS):
        if q.expired():
            return None
        _, g = _score_and_grad(q, x, need_grad=True, only=target)
        step = step0 * 0.5 * (1 + np.cos(np.pi * t / N_STEPS)) + (q.hi - q.lo) * 1e-4
        x = np.clip(x - step * np.sign(g), q.lo, q.hi)
        if t % 5 == 4 or t == N_STEPS - 1:
            q.count("attack_points", x.shape[0])
            found = _first_confirmed(q, x)
            if found is not None:
                return found
    return None


def lp_guided_attack(q: Query, layer_bounds: list, active) -> np.ndarray | None:
    """Descent from the LP relaxation's best points, then an exact LP in the region reached.

    Gradient descent from samples can stall where most neurons are dead
    (flat regions); the LP relaxation's optimum for a disjunct is usually
    much closer to a violation. For each open disjunct: its relaxation point
    and three jittered copies start a targeted descent with small steps, and
    the linear region of the best point is searched exactly by
    :func:`~.confirm.confirm`'s LP.
    """
    from .milp import Encoding

    enc = Encoding(q, layer_bounds, relaxed=True)
    rng = np.random.default_rng(0)
    for k in np.flatnonzero(active):
        if q.expired():
            return None
        x0, _ = enc.relaxation_point(q.disjuncts[k], time_limit=max(q.remaining(), 1e-3) if np.isfinite(q.remaining()) else None)
        q.count("attack_lps")
        if x0 is None:
            continue
        x = np.repeat(np.clip(x0, q.lo, q.hi)[None], 4, axis=0)
        x[1:] = np.clip(x[1:] + rng.uniform(-0.1, 0.1, x[1:].shape) * (q.hi - q.lo), q.lo, q.hi)
        target = np.full(len(x), k)
        best, best_score = x[0], np.inf
        for t in range(N_STEPS):
            if q.expired():
                return None
            score, g = _score_and_grad(q, x, need_grad=True, only=target)
            i = int(np.argmin(score))
            if score[i] < best_score:
                best, best_score = x[i].copy(), score[i]
            if t % 10 == 0:
                hit = q.first_confirmed(x)
                if hit is not None:
                    return hit
            step = (q.hi - q.lo) * 0.05 * 0.5 * (1 + np.cos(np.pi * t / N_STEPS))
            x = np.clip(x - step * np.sign(g), q.lo, q.hi)
        q.count("attack_points", N_STEPS * len(x))
        found = confirm(q, best, only=int(k))
        if found is not None:
            return found
    return None


def descend_in_boxes(q: Query, X, lo, hi, target, steps: int = BOX_STEPS) -> np.ndarray | None:
    """Targeted descent from one point per box, each kept inside its own box (batched).

    Used by input splitting on the boxes it could not close: cheap next to
    their bounds, and it finds counterexamples that lie in small pockets no
    corner or centre hits.
    """
    x = X.copy()
    step0 = (hi - lo) / 4
    for t in range(steps):
        _, g = _score_and_grad(q, x, need_grad=True, only=target)
        x = np.clip(x - step0 * (1 - t / steps) * np.sign(g), lo, hi)
    q.count("attack_points", steps * len(x))
    return q.first_confirmed(x)


def _first_confirmed(q: Query, X) -> np.ndarray | None:
    hit = q.first_confirmed(X)
    if hit is not None:
        return hit
    if q.expired():
        return None
    score, _ = _score_and_grad(q, X, need_grad=False)
    for i in np.flatnonzero(score <= 0)[:4]:
        if q.expired():
            return None
        k = int(np.argmin(disjunct_margins(q, q.net(X[i]))[0]))
        y = confirm(q, X[i], only=k)
        if y is not None:
            return y
    return None


def _forward(q: Query, X):
    """Pre-activations per layer, the outputs, and the penalty for broken fixed phases (n,)."""
    pres, H = [], X
    penalty = np.zeros(X.shape[0])
    for k, layer in enumerate(q.net.layers):
        Z = layer.preactivation(H)
        pres.append(Z)
        ph = q.phases.get(k)
        if ph is not None:
            penalty += np.where(ph == ON, np.maximum(-Z, 0), 0).sum(1) + np.where(ph == OFF, np.maximum(Z, 0), 0).sum(1)
        H = layer.activate(Z)
    return pres, H, penalty


def _score_and_grad(q: Query, X, need_grad: bool, only=None):
    """Score (n,) and its gradient with respect to the inputs (n, n_in).

    ``only``: a disjunct index, or one per point (targeted); default the best
    disjunct. Vectorised over the disjuncts' stacked rows, in blocks of points.
    """
    net = q.net
    pres, Y, penalty = _forward(q, X)
    n = X.shape[0]
    R = q.rows
    if only is not None:  # only the rows of the targeted disjuncts
        kk = np.broadcast_to(np.asarray(only, dtype=np.intp), (n,))
        R, order = R.subset(kk)
        kk = np.searchsorted(order, kk)
    best = np.empty(n)
    grad_y = np.zeros_like(Y)
    step = R.chunk(n)
    for i in range(0, n, step):
        M = R.margins(Y[i:i + step])
        k = R.segment_max(M).argmin(axis=1) if only is None else kk[i:i + step]
        Mk = np.where(R.owner[None, :] == k[:, None], M, -np.inf)
        r = Mk.argmax(axis=1)
        best[i:i + step] = Mk[np.arange(len(r)), r]
        grad_y[i:i + step] = R.C[r]
    score = best + penalty
    if not need_grad:
        return score, None
    g = grad_y  # gradient w.r.t. the last layer's output
    for k in range(len(net.layers) - 1, -1, -1):
        layer, Z = net.layers[k], pres[k]
        g = g * _slope(layer, Z)
        ph = q.phases.get(k)
        if ph is not None:
            g = g + np.where((ph == ON) & (Z < 0), -1.0, 0.0) + np.where((ph == OFF) & (Z > 0), 1.0, 0.0)
        g = g @ layer.weight
    return score, g


def _slope(layer, Z):
    act = layer.activation
    if act == "relu":
        return (Z > 0).astype(float)
    if act == "leaky_relu":
        return np.where(Z > 0, 1.0, layer.alpha)
    return np.ones_like(Z)
