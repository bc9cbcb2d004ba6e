"""Lifting robustness proofs from the abstract network to the original.

:func:`lift_paper` is the paper's Theorem 3 as stated: interval propagation
through the *abstract* weights, widening every abstract neuron's bounds by
the largest ε of its cluster before the next layer. It is **not sound**:
ε is measured on the inputs of ``X`` only, so off ``X`` a neuron and its
representative may differ by more; and the proof of Theorem 3 takes
``max(0, Σ w)`` for ``Σ max(0, w)`` where members' outgoing weights have
mixed signs. ``docs/abstraction.md`` records a network on which it claims a
robustness the original does not have.

:func:`relucid.abstraction.lift_sound` (module :mod:`.sound`) is the sound
replacement; :func:`verify_via_abstraction` runs either on one L∞ ball.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..bounds.deeppoly import deeppoly_bounds
from ..errors import InvalidValueError
from ..network import Network
from ..verify.properties import ClassWins
from ._checks import check_box, check_classifier, check_inputs
from .bounds import _eps
from .merge import Abstraction

__all__ = ["LiftResult", "lift_paper", "margin_spec", "robust_from_bounds", "robustness_margins", "verify_via_abstraction"]

LIFTINGS = ("sound", "paper", "paper-max")


def cluster_radius(abstraction: Abstraction, layer: int, eps: str = "paper") -> np.ndarray:
    """Per abstract neuron of a hidden layer: the largest ε of its cluster's members."""
    e = _eps(abstraction, eps, "cluster_radius")[layer]
    r = np.zeros(len(abstraction.kept[layer]))
    np.maximum.at(r, abstraction.mapping[layer], e)
    return r


def lift_paper(abstraction: Abstraction, lo, hi, *, eps: str = "paper") -> tuple[np.ndarray, np.ndarray]:
    """Theorem 3 as the paper states it: output bounds claimed to enclose the original's.

    ``û = max(0, W̃+ (û' + ε') + W̃- (l̂' - ε') + b̃)`` and
    ``l̂ = max(0, W̃+ (l̂' - ε') + W̃- (û' + ε') + b̃)`` layer by layer from
    ``[l̂, û] = [lo, hi]`` at the input (primes: the layer below; ε' its
    cluster radii, 0 at the input; no ``max`` at the output layer).

    Parameters
    ----------
    abstraction : Abstraction
    lo, hi : arrays (n_in,) or (B, n_in)
        Input boxes.
    eps : {"paper", "max"}
        Cluster radii from Eq. 3 (``abstraction.eps``) or from the per-input
        maximum (``abstraction.eps_max``).

    Returns
    -------
    (lower, upper) : arrays (B, n_out) (or (n_out,) for one box).

    Notes
    -----
    Not sound (see the module docstring); use :func:`lift_sound`.
    """
    single = np.ndim(lo) == 1
    lo, hi = check_box(abstraction.network, lo, hi, "lift_paper")
    l_hat, u_hat = lo, hi
    widen = np.zeros(lo.shape[1])
    n_hidden = len(abstraction.mapping)
    for k, layer in enumerate(abstraction.network.layers):
        Wp, Wn = np.maximum(layer.weight, 0.0), np.minimum(layer.weight, 0.0)
        up, down = u_hat + widen, l_hat - widen
        u_new = up @ Wp.T + down @ Wn.T + layer.bias
        l_new = down @ Wp.T + up @ Wn.T + layer.bias
        if k < n_hidden:
            u_new, l_new = np.maximum(u_new, 0.0), np.maximum(l_new, 0.0)
            widen = cluster_radius(abstraction, k, eps)
        l_hat, u_hat = l_new, u_new
    return (l_hat[0], u_hat[0]) if single else (l_hat, u_hat)


def robust_from_bounds(lower, upper, labels) -> np.ndarray:
    """``lower[label] > upper[j]`` for every ``j != label``, per box (bool (B,))."""
    lower, upper = np.atleast_2d(lower), np.atleast_2d(upper)
    labels = np.broadcast_to(np.asarray(labels, dtype=np.int64), (lower.shape[0],))
    rows = np.arange(lower.shape[0])
    others = upper.copy()
    others[rows, labels] = -np.inf
    return lower[rows, labels] > others.max(axis=1)


def margin_spec(label: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``y_label - y_j`` for ``j != label``: ``(S (n_out-1, n_out), s (n_out-1,))``."""
    others = [j for j in range(n_out) if j != label]
    S = np.zeros((len(others), n_out))
    S[:, label] = 1.0
    S[np.arange(len(others)), others] = -1.0
    return S, np.zeros(len(others))


def robustness_margins(net: Network, lo, hi, labels) -> tuple[np.ndarray, list]:
    """DeepPoly lower bounds of ``y_label - y_j`` over boxes, and the per-layer bounds.

    Returns ``(margins (B, n_out) with +inf at the label, layers)`` where
    ``layers[k]`` is ``(L, U)`` of layer ``k``'s pre-activations, (B, width)
    each. Boxes are grouped by label (one DeepPoly pass per label).
    """
    lo, hi = np.atleast_2d(lo), np.atleast_2d(hi)
    labels = np.broadcast_to(np.asarray(labels, dtype=np.int64), (lo.shape[0],))
    B, n_out = lo.shape[0], net.output_dim
    margins = np.full((B, n_out), np.inf)
    layers = [(np.empty((B, l.out_dim)), np.empty((B, l.out_dim))) for l in net.layers]
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        S, s = margin_spec(int(c), n_out)
        out = deeppoly_bounds(net, lo[idx], hi[idx], spec=(S, s))
        margins[np.ix_(idx, [j for j in range(n_out) if j != c])] = out.spec_lower
        for k, (L, U) in enumerate(out.layers):
            layers[k][0][idx], layers[k][1][idx] = L, U
    return margins, layers


@dataclass(frozen=True)
class LiftResult:
    """Verdict of :func:`verify_via_abstraction` on one ball.

    Attributes
    ----------
    status : {"proved", "falsified", "unknown"}
        "proved" claims the *original* network robust on the ball (sound only
        for ``lifting="sound"``); "falsified" only with a counterexample
        checked on the original by a float64 forward pass.
    label : int
        The class the original network gives the centre.
    lifting : str
    margin : array (n_out,) or None
        Sound lifting: lower bounds of ``y_label - y_j`` on the original
        (+inf at the label).
    counterexample : array (n_in,) or None
    time : float
    """

    status: str
    label: int
    lifting: str
    margin: np.ndarray | None = None
    counterexample: np.ndarray | None = None
    time: float = 0.0


def verify_via_abstraction(
    abstraction: Abstraction,
    x,
    eps: float,
    *,
    label: int | None = None,
    domain: tuple[float, float] | None = None,
    lifting: str = "sound",
) -> LiftResult:
    """Local robustness of the original network on ``[x - eps, x + eps]``, from the abstraction.

    Parameters
    ----------
    abstraction : Abstraction
    x : array (n_in,)
        The centre.
    eps : float
        L∞ radius, >= 0.
    label : int, optional
        The class to keep (default: the original network's class at ``x``).
    domain : (lo, hi), optional
        Clip the ball to ``[lo, hi]`` in every input (e.g. ``(0, 1)`` for images).
    lifting : {"sound", "paper", "paper-max"}
        ``"sound"`` (:func:`lift_sound`): "proved" only when the original is
        robust. ``"paper"`` / ``"paper-max"``: the paper's Theorem 3 with ε
        from Eq. 3 / the per-input maximum — unsound, for comparison only.

    Returns
    -------
    LiftResult
    """
    from .sound import lift_sound

    t0 = time.perf_counter()
    if lifting not in LIFTINGS:
        raise InvalidValueError(f"verify_via_abstraction: lifting must be one of {LIFTINGS}; got {lifting!r}")
    net = abstraction.original
    check_classifier(net, "verify_via_abstraction")
    x = check_inputs(net, x, "verify_via_abstraction", "x")[0]
    try:
        r = float(eps)
    except (TypeError, ValueError):
        raise InvalidValueError(f"verify_via_abstraction: eps must be a number >= 0; got {eps!r}") from None
    if not (np.isfinite(r) and r >= 0):
        raise InvalidValueError(f"verify_via_abstraction: eps must be a finite number >= 0; got {eps!r}")
    lo, hi = x - r, x + r
    if domain is not None:
        lo, hi = np.maximum(lo, domain[0]), np.minimum(hi, domain[1])
    y = net(x)
    c = int(np.argmax(y)) if label is None else int(label)
    if not 0 <= c < net.output_dim:
        raise InvalidValueError(f"verify_via_abstraction: label {c} outside 0..{net.output_dim - 1}")
    P = np.vstack([x, lo, hi])
    bad = np.flatnonzero(~ClassWins(c).holds_at(net(P)))  # a tie does not keep the class
    if bad.size:
        return LiftResult("falsified", c, lifting, counterexample=P[bad[0]].copy(), time=time.perf_counter() - t0)
    margin = None
    if lifting == "sound":
        res = lift_sound(abstraction, lo[None], hi[None], c)
        margin = res.margin[0]
        proved = bool(res.proved[0])
    else:
        lower, upper = lift_paper(abstraction, lo, hi, eps="paper" if lifting == "paper" else "max")
        proved = bool(robust_from_bounds(lower, upper, c)[0])
    return LiftResult("proved" if proved else "unknown", c, lifting, margin=margin, time=time.perf_counter() - t0)
