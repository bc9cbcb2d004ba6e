"""Exact re-checks of counterexamples near a tie, in dyadic rational arithmetic.

A float64 forward pass is not one well-defined function: a matrix product
rounds differently for a batch than for one vector (BLAS picks other
kernels), and a point whose margin is within rounding error of zero can be a
counterexample in one order of summation and not in another — or in float64
but not in the real arithmetic of the network's own (float64) weights. The
random "hostile" soundness cases (integer and dyadic weights, thresholds at
attained values) hit exactly such points.

So a candidate counterexample whose float64 check has any quantity within
:data:`NEAR_TIE` (relative) of its threshold — an input row, a fixed phase's
pre-activation, a row of the violated disjunct — is re-checked **exactly**:
every float64 number is a dyadic rational ``m · 2^e``, so the forward pass is
carried out in Python integers scaled by a common power of two per vector,
with no rounding at all. Points clear of every tie are decided by float64
(its rounding error is far below :data:`NEAR_TIE`).

Cost: one Python-integer matrix product per layer (object arrays), about
0.05–0.3 s for an MNIST fully connected network; only near-tie candidates
pay it.
"""

from __future__ import annotations

import numpy as np

from ..phases import FREE, ON

__all__ = ["NEAR_TIE", "exact_violation", "near_tie", "near_ties"]

#: A float64 quantity within ``NEAR_TIE * (1 + sum of |terms|)`` of its
#: threshold is re-checked exactly. float64 dot products of length n err by
#: at most ``n * 2^-53`` of the sum of |terms| (1e-13 at n = 784), and
#: rounding through a few layers stays orders of magnitude below this.
NEAR_TIE: float = 1e-9


class _Dyadic:
    """A vector of dyadic rationals ``m_i · 2^e``: integer numerators (object array), one exponent."""

    __slots__ = ("m", "e")

    def __init__(self, m: np.ndarray, e: int) -> None:
        self.m, self.e = m, e

    @classmethod
    def of(cls, values) -> "_Dyadic":
        flat = np.asarray(values, dtype=np.float64).ravel()
        ratios = [float(v).as_integer_ratio() for v in flat]
        exps = [-(q.bit_length() - 1) for _, q in ratios]  # q is a power of two
        e = min(exps, default=0)
        m = np.array([p << (k - e) for (p, _), k in zip(ratios, exps)] or [], dtype=object)
        return cls(m.reshape(np.shape(values)), e)

    def shift_to(self, e: int) -> np.ndarray:
        """The numerators at the (smaller or equal) exponent ``e``."""
        return self.m if e == self.e else self.m * (1 << (self.e - e))


def _affine(W: _Dyadic, x: _Dyadic, b: _Dyadic) -> _Dyadic:
    """``W x + b`` exactly."""
    prod = W.m.dot(x.m) if x.m.size else np.zeros(W.m.shape[0], dtype=object)
    e = W.e + x.e
    lo = min(e, b.e)
    return _Dyadic(prod * (1 << (e - lo)) + b.shift_to(lo), lo)


def _activate(z: _Dyadic, activation: str, alpha) -> _Dyadic:
    if activation == "identity":
        return z
    on = np.array([v > 0 for v in z.m], dtype=bool)
    if activation == "relu" or alpha == 0.0:
        return _Dyadic(np.where(on, z.m, 0).astype(object), z.e)
    a = _Dyadic.of([alpha])
    am, ae = int(a.m[0]), a.e
    if ae >= 0:
        return _Dyadic(np.where(on, z.m, z.m * (am << ae)).astype(object), z.e)
    return _Dyadic(np.where(on, z.m * (1 << -ae), z.m * am).astype(object), z.e + ae)


def _sign_rows(C: _Dyadic, y: _Dyadic, d: _Dyadic) -> list:
    """Signs of ``C y - d`` row by row (-1, 0, 1)."""
    v = _affine(C, y, _Dyadic(-d.m, d.e))
    return [(x > 0) - (x < 0) for x in v.m]


def _dyadic_matrix(A) -> _Dyadic:
    return _Dyadic.of(np.asarray(A, dtype=np.float64))


def exact_violation(q, x) -> int:
    """The first disjunct of query ``q`` that ``x`` violates in exact arithmetic, or -1.

    The same checks as :meth:`~relucid.verify.query.Query.check_points`
    (inside the box and the input rows, strict rows strictly; every fixed
    phase strict; the output in a disjunct, strict rows strictly), with the
    network's float64 weights taken as exact rationals.
    """
    x = np.asarray(x, dtype=np.float64)
    if not ((x >= q.lo) & (x <= q.hi)).all():  # float comparisons are exact
        return -1
    X = _Dyadic.of(x)
    if q.A.shape[0]:
        signs = _sign_rows(_dyadic_matrix(q.A), X, _Dyadic.of(q.b))
        for s, strict in zip(signs, np.broadcast_to(q.strict_rows, (q.A.shape[0],))):
            if s > 0 or (strict and s == 0):
                return -1
    h = X
    for k, layer in enumerate(q.net.layers):
        z = _affine(_dyadic_matrix(layer.weight), h, _Dyadic.of(layer.bias))
        ph = q.phases.get(k)
        if ph is not None:
            for j in np.flatnonzero(ph != FREE):
                positive = z.m[j] > 0
                if positive != bool(ph[j] == ON):
                    return -1
        h = _activate(z, layer.activation, getattr(layer, "alpha", None))
    for k, conj in enumerate(q.disjuncts):
        if len(conj) == 0:
            return k
        signs = _sign_rows(_dyadic_matrix(conj.C), h, _Dyadic.of(conj.d))
        strict = np.broadcast_to(conj.strict, (len(signs),))
        if all(s < 0 or (s == 0 and not st) for s, st in zip(signs, strict)):
            return k
    return -1


def near_ties(q, X, ks) -> np.ndarray:
    """For each point ``X[i]`` (violating disjunct ``ks[i]``), whether float64 may have decided it by rounding.

    True when an input row, a fixed phase's pre-activation or a row of the
    point's disjunct is within :data:`NEAR_TIE` of its threshold, relative to
    the magnitude of everything summed to compute it (``|W| mag + |b|``
    carried through the layers). One batched forward pass for all points.
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    ks = np.broadcast_to(np.asarray(ks, dtype=np.intp), (X.shape[0],))

    def close(value, scale) -> np.ndarray:
        return (np.abs(value) <= NEAR_TIE * (1.0 + scale)).any(axis=1)

    near = np.zeros(X.shape[0], dtype=bool)
    if q.A.shape[0]:
        near |= close(X @ q.A.T - q.b, np.abs(X) @ np.abs(q.A).T + np.abs(q.b))
    # ``mag`` bounds the sum of |terms| behind each value, through the layers: the
    # rounding error of a value is a tiny fraction of it, not of the value itself.
    H, mag = X, np.abs(X)
    for i, layer in enumerate(q.net.layers):
        Z = layer.preactivation(H)
        scale = mag @ np.abs(layer.weight).T + np.abs(layer.bias)
        ph = q.phases.get(i)
        if ph is not None:
            fixed = ph != FREE
            near |= close(Z[:, fixed], scale[:, fixed])
        H = layer.activate(Z)
        slope = 1.0 if layer.activation == "identity" else max(1.0, abs(getattr(layer, "alpha", None) or 0.0))
        mag = slope * scale
    for k in np.unique(ks):
        conj, sel = q.disjuncts[k], ks == k
        if len(conj):
            near[sel] |= close(H[sel] @ conj.C.T - conj.d, mag[sel] @ np.abs(conj.C).T + np.abs(conj.d))
    return near


def near_tie(q, x, k: int) -> bool:
    """:func:`near_ties` for one point ``x`` violating disjunct ``k``."""
    return bool(near_ties(q, x, [k])[0])
