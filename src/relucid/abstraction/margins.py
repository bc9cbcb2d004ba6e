"""Robustness margins ``y_label - y_j`` over input boxes, and the verdict they give.

Shared by the paper's lifting (:mod:`.lifting`) and the sound one
(:mod:`.sound`), so that neither imports the other's helpers.
"""

from __future__ import annotations

import numpy as np

from ..bounds.deeppoly import deeppoly_bounds
from ..network import Network

__all__ = ["margin_spec", "robust_from_bounds", "robustness_margins"]


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
