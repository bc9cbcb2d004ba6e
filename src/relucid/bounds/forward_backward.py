"""Forward-backward interval contraction (Forets & Schilling, Sec. 3.3).

Given a box of inputs and a box of outputs, keep one interval per variable of
the network — the input, every pre-activation ``z_k`` and every activation
``h_k`` (the last is the output) — and alternately

* **forward**: ``z_k ⊆ W_k h_{k-1} + b_k`` (interval arithmetic), ``h_k ⊆ act(z_k)``;
* **backward**: ``z_k ⊆ act⁻¹(h_k)`` (monotone activations invert endpoint by
  endpoint), and ``h_{k-1}`` contracted by the rows of ``z_k = W_k h_{k-1} + b_k``
  (:func:`relucid.bounds.contract.contract_boxes`),

intersecting with what is already known, until no bound moves by more than
``tol`` or some interval becomes empty. An empty interval proves that no
input of the input box maps into the output box. Every interval always
contains every feasible point (each step is an over-approximation widened by
a relative slack), so the contraction is sound; and since the first sweep is
a plain forward pass whose results are only ever intersected, the final
output interval is never looser than one forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ..network import Network

__all__ = ["Contraction", "contract_intervals", "invert_activation"]

#: Relative outward widening of every computed bound (rounding safety).
_SLACK = 1e-12


@dataclass(frozen=True)
class Contraction:
    """The result of :func:`contract_intervals`.

    ``history[t]`` is the list of ``(lo, hi)`` per variable block after
    iteration ``t`` (``t = 0`` is the initial configuration): block 0 is the
    input, then for each layer ``k`` its pre-activation ``z_k`` and
    activation ``h_k``; ``names`` labels the blocks. ``empty`` means the
    constraints are incompatible.
    """

    history: list
    names: list
    empty: bool
    converged: bool

    @property
    def iterations(self) -> int:
        return len(self.history) - 1

    @property
    def final(self) -> list:
        return self.history[-1]

    @property
    def input(self) -> tuple[np.ndarray, np.ndarray]:
        return self.final[0]

    @property
    def output(self) -> tuple[np.ndarray, np.ndarray]:
        return self.final[-1]

    def to_dict(self) -> dict:
        return {
            "empty": self.empty,
            "converged": self.converged,
            "iterations": self.iterations,
            "names": self.names,
            "history": [[[lo.tolist(), hi.tolist()] for lo, hi in step] for step in self.history],
        }


def invert_activation(activation: str, alpha, lo, hi):
    """The interval of pre-activations ``z`` with ``act(z) ∈ [lo, hi]`` (per coordinate).

    Returns ``(zlo, zhi)``; a coordinate with ``zlo > zhi`` has an empty inverse.
    relu: ``[lo, hi]`` with ``lo <= 0`` inverts to ``(-inf, hi]``; sigmoid and
    tanh are clipped to their open ranges before the inverse.
    """
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if activation == "identity":
            return lo.copy(), hi.copy()
        if activation == "relu":
            zlo = np.where(lo > 0, lo, -np.inf)
            zhi = np.where(hi >= 0, hi, -np.inf)  # hi < 0: nothing maps there
            zlo = np.where(hi < 0, np.inf, zlo)
            return zlo, zhi
        if activation == "leaky_relu":
            a = float(alpha)
            if a > 0:
                inv = lambda v: np.where(v > 0, v, v / a)  # noqa: E731 - monotone increasing inverse
                return inv(lo), inv(hi)
            if a == 0:
                return invert_activation("relu", None, lo, hi)
            raise InvalidValueError("leaky_relu with a negative slope is not monotone: no interval inverse")
        if activation == "sigmoid":
            l, h = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
            zlo = np.log(l) - np.log1p(-l)
            zhi = np.log(h) - np.log1p(-h)
            empty = (hi <= 0) | (lo >= 1)
            return np.where(empty, np.inf, zlo), np.where(empty, -np.inf, zhi)
        if activation == "tanh":
            l, h = np.clip(lo, -1.0, 1.0), np.clip(hi, -1.0, 1.0)
            empty = (hi <= -1) | (lo >= 1)
            return np.where(empty, np.inf, np.arctanh(l)), np.where(empty, -np.inf, np.arctanh(h))
    raise InvalidValueError(f"unknown activation {activation!r}")



def _widen(lo, hi):
    return lo - _SLACK * (1 + np.abs(lo)), hi + _SLACK * (1 + np.abs(hi))


def _forward_affine(W, b, lo, hi):
    pos, neg = np.clip(W, 0, None), np.clip(W, None, 0)
    zlo = _dot(pos, lo) + _dot(neg, hi) + b
    zhi = _dot(pos, hi) + _dot(neg, lo) + b
    zlo = np.where(np.isnan(zlo), -np.inf, zlo)
    zhi = np.where(np.isnan(zhi), np.inf, zhi)
    return _widen(zlo, zhi)


def contract_intervals(
    net: Network,
    input_box,
    output_box=None,
    *,
    hidden=None,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> Contraction:
    """Contract input, hidden and output intervals to a fixpoint (or to emptiness).

    Parameters
    ----------
    net : Network
        Activations must be monotone: relu, leaky_relu with slope >= 0,
        identity, sigmoid, tanh.
    input_box : (lo, hi) or Box
    output_box : (lo, hi) or Box, optional
        Unconstrained (infinite) when omitted: then the result is one
        forward pass.
    hidden : dict, optional
        Extra constraints ``{("z" or "h", layer): (lo, hi)}`` on hidden blocks.
    max_iter : int
        Forward-backward sweeps at most.
    tol : float
        Stop when no finite bound moved by more than this.

    Returns
    -------
    Contraction

    Examples
    --------
    >>> import relucid as rl
    >>> net = rl.Network([rl.Dense([[1.0, 1.0]], [0.0], "relu")])
    >>> c = contract_intervals(net, ([0, 0], [1, 1]), ([0, 0.5]))
    >>> [round(float(v), 6) for v in c.input[1]]   # x0 + x1 <= 0.5 forces each input below 0.5 (up to the LP tolerance)
    [0.5, 0.5]
    """
    L = len(net.layers)
    for k, layer in enumerate(net.layers):
        if layer.activation == "leaky_relu" and layer.alpha < 0:
            raise InvalidValueError(f"contract_intervals: layer {k} is leaky_relu with slope {layer.alpha:g} < 0, which is not monotone")
    blocks = [_as_interval(input_box, net.input_dim, "input_box")]
    names = ["x"]
    for k, layer in enumerate(net.layers):
        blocks.append((np.full(layer.out_dim, -np.inf), np.full(layer.out_dim, np.inf)))
        blocks.append((np.full(layer.out_dim, -np.inf), np.full(layer.out_dim, np.inf)))
        names += [f"z{k}", f"h{k}"]
    if output_box is not None:
        blocks[-1] = _as_interval(output_box, net.output_dim, "output_box")
    for key, box in (hidden or {}).items():
        kind, k = key
        if kind not in ("z", "h") or not 0 <= k < L:
            raise InvalidValueError(f"contract_intervals: hidden keys are ('z'|'h', layer); got {key!r}")
        idx = 1 + 2 * k + (kind == "h")
        blocks[idx] = _as_interval(box, net.layers[k].out_dim, f"hidden[{key!r}]")
    history = [[(lo.copy(), hi.copy()) for lo, hi in blocks]]
    empty = _any_empty(blocks)
    converged = empty
    for _ in range(max_iter):
        if empty:
            break
        before = [(lo.copy(), hi.copy()) for lo, hi in blocks]
        empty = _forward(net, blocks) or _backward(net, blocks)
        history.append([(lo.copy(), hi.copy()) for lo, hi in blocks])
        if empty:
            break
        if _moved(before, blocks) <= tol:
            converged = True
            break
    return Contraction(history, names, bool(empty), bool(converged))


def _as_interval(box, dim: int, what: str):
    if hasattr(box, "lo") and hasattr(box, "hi"):
        lo, hi = box.lo, box.hi
    else:
        try:
            lo, hi = box
        except (TypeError, ValueError):
            raise InvalidValueError(f"contract_intervals: {what} must be a Box or a pair (lo, hi)") from None
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), (dim,)).copy() if np.ndim(lo) == 0 else np.asarray(lo, dtype=np.float64).copy()
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), (dim,)).copy() if np.ndim(hi) == 0 else np.asarray(hi, dtype=np.float64).copy()
    if lo.shape != (dim,) or hi.shape != (dim,):
        raise ShapeError(f"contract_intervals: {what} must have {dim} entries; got lo {lo.shape}, hi {hi.shape}")
    if np.isnan(lo).any() or np.isnan(hi).any():
        raise InvalidValueError(f"contract_intervals: {what} contains NaN")
    return lo, hi


def _any_empty(blocks) -> bool:
    return any(np.any(lo > hi) for lo, hi in blocks)


def _moved(before, after) -> float:
    worst = 0.0
    for (l0, h0), (l1, h1) in zip(before, after):
        for a, b in ((l0, l1), (h0, h1)):
            fin = np.isfinite(a) & np.isfinite(b)
            if np.any(np.isfinite(a) != np.isfinite(b)):
                return np.inf
            if fin.any():
                worst = max(worst, float(np.max(np.abs(a[fin] - b[fin]))))
    return worst


def _meet(blocks, i, lo, hi) -> bool:
    l0, h0 = blocks[i]
    blocks[i] = (np.maximum(l0, lo), np.minimum(h0, hi))
    return bool(np.any(blocks[i][0] > blocks[i][1]))


def _forward(net, blocks) -> bool:
    for k, layer in enumerate(net.layers):
        hlo, hhi = blocks[2 * k]
        if _meet(blocks, 2 * k + 1, *_forward_affine(layer.weight, layer.bias, hlo, hhi)):
            return True
        zlo, zhi = blocks[2 * k + 1]
        with np.errstate(over="ignore"):
            alo, ahi = layer.activate(zlo), layer.activate(zhi)
        if _meet(blocks, 2 * k + 2, *_widen(alo, ahi)):
            return True
    return False


def _backward(net, blocks) -> bool:
    for k in reversed(range(len(net.layers))):
        layer = net.layers[k]
        hlo, hhi = blocks[2 * k + 2]
        zlo, zhi = invert_activation(layer.activation, layer.alpha, hlo, hhi)
        if _meet(blocks, 2 * k + 1, *_widen(zlo, zhi)):
            return True
        zlo, zhi = blocks[2 * k + 1]
        W, b = layer.weight, layer.bias
        # z_lo <= W h + b <= z_hi  as  [W; -W] h + [b - z_hi; z_lo - b] <= 0, finite rows only
        coef = np.vstack([W[np.isfinite(zhi)], -W[np.isfinite(zlo)]])
        const = np.concatenate([(b - zhi)[np.isfinite(zhi)], (zlo - b)[np.isfinite(zlo)]])
        if coef.shape[0] and _contract_rows(blocks, 2 * k, coef, const):
            return True
    return False


def _dot(A, v):
    """``A @ v`` where ``0 * inf`` counts as 0 (a zero weight ignores an unbounded variable)."""
    with np.errstate(invalid="ignore"):
        terms = A * v[None, :]
    return np.where(A == 0, 0.0, terms).sum(axis=1)


def _contract_rows(blocks, i, coef, const, rounds: int = 2) -> bool:
    """Shrink block ``i`` by ``coef @ h + const <= 0`` (bounds may be infinite); True when empty."""
    for _ in range(rounds):
        lo, hi = blocks[i]
        with np.errstate(invalid="ignore"):
            terms = np.where(coef > 0, coef * lo, np.where(coef < 0, coef * hi, 0.0))  # min of a_j h_j
        terms = np.where(coef == 0, 0.0, terms)
        n_inf = np.isneginf(terms).sum(axis=1)
        finite_sum = np.where(np.isneginf(terms), 0.0, terms).sum(axis=1)
        if np.any((n_inf == 0) & (finite_sum + const > 1e-9 * (1 + np.abs(const)))):
            return True
        # a_i h_i <= -const - (sum of the other minima): finite only when the others are finite
        others_inf = n_inf[:, None] - np.isneginf(terms)
        others = finite_sum[:, None] - np.where(np.isneginf(terms), 0.0, terms)
        rest = np.where(others_inf == 0, -const[:, None] - others, np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = rest / np.where(coef == 0, 1.0, coef)
        slack = 1e-9 * (1 + np.abs(bound))
        usable = (coef != 0) & np.isfinite(rest)
        new_hi = np.where(usable & (coef > 0), bound + slack, np.inf).min(axis=0)
        new_lo = np.where(usable & (coef < 0), bound - slack, -np.inf).max(axis=0)
        if _meet(blocks, i, new_lo, new_hi):
            return True
    return False
