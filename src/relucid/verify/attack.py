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

from .confirm import confirm
from .query import Query

#: Uniform samples drawn from the input box.
N_SAMPLES = 2048
#: Starting points for gradient descent (the best samples).
N_STARTS = 16
#: Gradient steps per start.
N_STEPS = 60


def attack(q: Query, rng: np.random.Generator) -> np.ndarray | None:
    """A confirmed counterexample found by sampling and PGD, or None."""
    n = q.net.input_dim
    X = np.vstack([(q.lo + q.hi) / 2, rng.uniform(q.lo, q.hi, size=(N_SAMPLES, n))])
    if q.A.shape[0]:
        X = X[(X @ q.A.T <= q.b).all(axis=1)]
        if X.shape[0] == 0:
            return None
    q.count("attack_points", X.shape[0])
    found = _first_confirmed(q, X)
    if found is not None:
        return found
    score, _ = _score_and_grad(q, X, need_grad=False)
    starts = X[np.argsort(score)[:N_STARTS]]
    step = (q.hi - q.lo) / 4
    x = starts.copy()
    for t in range(N_STEPS):
        if q.expired():
            return None
        score, g = _score_and_grad(q, x, need_grad=True)
        x = np.clip(x - step * np.sign(g), q.lo, q.hi)
        if t % 5 == 4 or t == N_STEPS - 1:
            q.count("attack_points", x.shape[0])
            found = _first_confirmed(q, x)
            if found is not None:
                return found
        step = step * 0.9
    return None


def _first_confirmed(q: Query, X) -> np.ndarray | None:
    hit = np.flatnonzero(q.check_points(X) >= 0)
    if hit.size:
        return X[hit[0]].copy()
    score, _ = _score_and_grad(q, X, need_grad=False)
    for i in np.flatnonzero(score <= 0)[:4]:
        y = confirm(q, X[i])
        if y is not None:
            return y
    return None


def _score_and_grad(q: Query, X, need_grad: bool):
    """Score (n,) and its gradient with respect to the inputs (n, n_in)."""
    net = q.net
    pres, H = [], X
    penalty = np.zeros(X.shape[0])
    for k, layer in enumerate(net.layers):
        Z = layer.preactivation(H)
        pres.append(Z)
        ph = q.phases.get(k)
        if ph is not None:
            penalty += np.where(ph == 1, np.maximum(-Z, 0), 0).sum(1) + np.where(ph == 0, np.maximum(Z, 0), 0).sum(1)
        H = layer.activate(Z)
    Y = H
    best = np.full(X.shape[0], np.inf)
    grad_y = np.zeros_like(Y)
    for conj in q.disjuncts:
        M = conj.margins(Y)
        i = M.argmax(axis=1)
        m = M[np.arange(len(i)), i]
        better = m < best
        best = np.where(better, m, best)
        grad_y[better] = conj.C[i[better]]
    score = best + penalty
    if not need_grad:
        return score, None
    g = grad_y  # gradient w.r.t. the last layer's output
    for k in range(len(net.layers) - 1, -1, -1):
        layer, Z = net.layers[k], pres[k]
        g = g * _slope(layer, Z)
        ph = q.phases.get(k)
        if ph is not None:
            g = g + np.where((ph == 1) & (Z < 0), -1.0, 0.0) + np.where((ph == 0) & (Z > 0), 1.0, 0.0)
        g = g @ layer.weight
    return score, g


def _slope(layer, Z):
    act = layer.activation
    if act == "relu":
        return (Z > 0).astype(float)
    if act == "leaky_relu":
        return np.where(Z > 0, 1.0, layer.alpha)
    return np.ones_like(Z)
