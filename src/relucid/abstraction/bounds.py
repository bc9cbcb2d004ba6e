"""Error bounds of an abstraction: the paper's Theorems 1 and 2.

``err`` is measured in the original network's coordinates: for original
neuron ``i`` of hidden layer ``k`` it is ``z̃_rep(i)(x) - z_i(x)``, the
abstract network's value of the neuron's representative minus the original
value (for the output layer, ``D̃(x) - D(x)``). The proof of Theorem 1 goes
through the partly abstracted network, whose neuron ``i`` has the
pre-activation ``W[i, :] · expand(z̃) + b_i`` with the *original* row
``W[i, :]``; hence the original weight matrices in the bounds below.

Theorem 1 holds for the inputs of ``X`` only (ε is measured there).
Theorem 2 as the paper states it, ``|W̃_L ⋯ W̃_1 δ| + |err|``, is not a bound:
a ReLU network ``|x| = relu(x) + relu(-x)`` has ``W2 W1 = 0`` but changes by
``|δ|`` (see ``docs/abstraction.md``). :func:`perturbation_error_bound` offers
the paper's form and a sound one with absolute values of the matrices.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from ._checks import check_inputs
from .merge import Abstraction

__all__ = ["abstraction_error", "error_bounds", "layer_error_bound", "perturbation_error_bound"]

EPS_KINDS = ("paper", "max")


def eps_of_kind(abstraction: Abstraction, kind: str, who: str) -> tuple:
    """Per hidden layer, every neuron's ε: Eq. 3's (``kind="paper"``) or the per-input maximum (``"max"``)."""
    if kind == "paper":
        return abstraction.eps
    if kind == "max":
        return abstraction.eps_max
    raise InvalidValueError(f"{who}: eps must be one of {EPS_KINDS} (Eq. 3's Euclidean norm, or the per-input maximum); got {kind!r}")


def abstraction_error(abstraction: Abstraction, X) -> list[np.ndarray]:
    """The actual ``err`` of every layer for the inputs ``X``: one (n, width) array per layer.

    Hidden layers in original coordinates (``z̃_rep(i) - z_i``); the last
    entry is ``D̃(X) - D(X)``.
    """
    X = check_inputs(abstraction.original, X, "abstraction_error")
    _, post = abstraction.original.trace(X)
    _, post_abs = abstraction.network.trace(X)
    out = [abstraction.expand(k, post_abs[k]) - post[k] for k in range(len(abstraction.mapping))]
    out.append(post_abs[-1] - post[-1])
    return out


def layer_error_bound(abstraction: Abstraction, layer: int, err_prev, *, eps: str = "paper") -> np.ndarray:
    """One step of Theorem 1: ``|W^(layer) err_prev| + ε^(layer)``.

    Parameters
    ----------
    abstraction : Abstraction
    layer : int
        Index into ``net.layers`` (a hidden layer, or the last layer, whose ε is 0).
    err_prev : array (n, width of the layer's input)
        The accumulated error of the layer below, in original coordinates
        (zeros for the input layer).
    eps : {"paper", "max"}
        ``abstraction.eps`` (Eq. 3) or ``abstraction.eps_max``.

    Returns
    -------
    array (n, width): for inputs of ``X``, ``|err^(layer)| <=`` this, row by row.
    """
    net = abstraction.original
    if not 0 <= layer < len(net.layers):
        raise InvalidValueError(f"layer_error_bound: layer {layer} does not exist (0..{len(net.layers) - 1})")
    W = net.layers[layer].weight
    e = np.atleast_2d(np.asarray(err_prev, dtype=np.float64))
    if e.shape[-1] != W.shape[1]:
        raise InvalidValueError(f"layer_error_bound: err_prev has width {e.shape[-1]} but layer {layer} takes {W.shape[1]} inputs")
    bound = np.abs(e @ W.T)
    if layer < len(abstraction.mapping):
        bound = bound + eps_of_kind(abstraction, eps, "layer_error_bound")[layer]
    return bound


def error_bounds(abstraction: Abstraction, *, eps: str = "paper") -> list[np.ndarray]:
    """Theorem 1 for every layer at once, uniform over ``X``.

    ``E^(0) = ε^(0)`` and ``E^(k) = |W^(k)| E^(k-1) + ε^(k)`` (``|W|``
    entry-wise, which bounds ``|W err|`` given ``|err| <= E``); the last
    layer has no ε. Returns one (width,) array per layer of ``net.layers``:
    ``|err^(k)(x)| <= E^(k)`` for every ``x`` in ``X``.
    """
    net = abstraction.original
    eps_k = eps_of_kind(abstraction, eps, "error_bounds")
    E = np.zeros(net.input_dim)
    out = []
    for k, layer in enumerate(net.layers):
        E = np.abs(layer.weight) @ E
        if k < len(eps_k):
            E = E + eps_k[k]
        out.append(E)
    return out


def perturbation_error_bound(abstraction: Abstraction, delta, *, form: str = "sound", eps: str = "paper") -> np.ndarray:
    """Theorem 2: a bound on ``|D̃(x + δ) - D(x)|`` for ``x`` in ``X``.

    Parameters
    ----------
    abstraction : Abstraction
    delta : array (n_in,) or (B, n_in)
        The perturbation(s).
    form : {"sound", "paper"}
        ``"paper"``: ``|W̃_L ⋯ W̃_1 δ| + E^(L)`` exactly as the paper states
        it; **not a bound in general** (ReLU can turn cancelling paths into
        adding ones). ``"sound"``: ``|W̃_L| ⋯ |W̃_1| |δ| + E^(L)``, which
        holds because ReLU is 1-Lipschitz entry-wise.
    eps : {"paper", "max"}
        Which ε enters ``E^(L)`` (:func:`error_bounds`).

    Returns
    -------
    array (n_out,) or (B, n_out)
    """
    if form not in ("sound", "paper"):
        raise InvalidValueError(f"perturbation_error_bound: form must be 'sound' or 'paper'; got {form!r}")
    anet = abstraction.network
    d = np.asarray(delta, dtype=np.float64)
    single = d.ndim == 1
    d = check_inputs(anet, d, "perturbation_error_bound", "delta")
    v = np.abs(d) if form == "sound" else d
    for layer in anet.layers:
        W = np.abs(layer.weight) if form == "sound" else layer.weight
        v = v @ W.T
    out = np.abs(v) + error_bounds(abstraction, eps=eps)[-1]
    return out[0] if single else out
