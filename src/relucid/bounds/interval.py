"""Interval bound propagation: the fastest, loosest pre-activation bounds.

Every layer maps a box of inputs to the box of its pre-activations exactly
(``W+ l + W- u + b``, ``W+ u + W- l + b``); the activation is monotone, so its
image box is ``[act(l), act(u)]``. Fixed phases clip the pre-activation box
to ``z >= 0`` (on) or ``z <= 0`` (off) first.

Batched over boxes: ``lo``, ``hi`` have shape (B, n_in).
"""

from __future__ import annotations

import numpy as np

from ..network import Network
from ._phases import apply_phases
from ._xp import image

__all__ = ["interval_bounds"]


def interval_bounds(net: Network, lo: np.ndarray, hi: np.ndarray, phases: dict | None = None):
    """Per layer, ``(L, U)`` of pre-activations, each (B, n_layer); and an infeasible flag (B,).

    A box whose fixed phases cannot all hold (a neuron fixed on whose upper
    bound is < 0, or fixed off whose lower bound is > 0) is flagged
    infeasible: no input of it follows the pattern.
    """
    phases = phases or {}
    infeasible = np.zeros(lo.shape[0], dtype=bool)
    out = []
    for k, layer in enumerate(net.layers):
        Wp, Wn = np.maximum(layer.weight, 0.0), np.minimum(layer.weight, 0.0)
        L = lo @ Wp.T + hi @ Wn.T + layer.bias
        U = hi @ Wp.T + lo @ Wn.T + layer.bias
        L, U, bad = apply_phases(L, U, phases.get(k))
        infeasible |= bad
        out.append((L, U))
        lo, hi = image(np, layer.activation, layer.alpha, L, np.maximum(L, U))
    return out, infeasible
