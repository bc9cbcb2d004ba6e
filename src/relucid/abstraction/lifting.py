"""Lifting robustness proofs from the abstract network to the original.

:func:`lift_paper_unsound` is the paper's Theorem 3 as stated (named
``lift_paper`` before; that name is a deprecated alias): interval propagation
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

from .._deprecated import renamed
from ..errors import InvalidValueError
from ..verify.properties import ClassWins
from ._checks import check_box, check_classifier, check_inputs
from .bounds import eps_of_kind
from .margins import robust_from_bounds
from .merge import Abstraction
from .sound import lift_sound

__all__ = ["LiftResult", "cluster_radius", "lift_paper", "lift_paper_unsound", "verify_via_abstraction"]

LIFTINGS = ("sound", "paper", "paper-max")


def cluster_radius(abstraction: Abstraction, layer: int, eps: str = "paper") -> np.ndarray:
    """Per abstract neuron of a hidden layer: the largest ε of its cluster's members."""
    e = eps_of_kind(abstraction, eps, "cluster_radius")[layer]
    r = np.zeros(len(abstraction.kept[layer]))
    np.maximum.at(r, abstraction.mapping[layer], e)
    return r


def lift_paper_unsound(abstraction: Abstraction, lo, hi, *, eps: str = "paper") -> tuple[np.ndarray, np.ndarray]:
    """Theorem 3 as the paper states it: output bounds *claimed* to enclose the original's — unsound.

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
    Not sound (see the module docstring and the counterexamples in
    ``docs/abstraction.md``): for comparison with the paper only. Use
    :func:`lift_sound` for a claim about the original network.
    """
    single = np.ndim(lo) == 1
    lo, hi = check_box(abstraction.network, lo, hi, "lift_paper_unsound")
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


#: Deprecated name of :func:`lift_paper_unsound` (warns on every call).
lift_paper = renamed(lift_paper_unsound, "relucid.lift_paper", "relucid.lift_paper_unsound")


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
        robust. ``"paper"`` / ``"paper-max"``: the paper's Theorem 3
        (:func:`lift_paper_unsound`) with ε from Eq. 3 / the per-input
        maximum — unsound, for comparison only.

    Returns
    -------
    LiftResult
    """
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
        lower, upper = lift_paper_unsound(abstraction, lo, hi, eps="paper" if lifting == "paper" else "max")
        proved = bool(robust_from_bounds(lower, upper, c)[0])
    return LiftResult("proved" if proved else "unknown", c, lifting, margin=margin, time=time.perf_counter() - t0)
