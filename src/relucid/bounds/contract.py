"""Shrinking boxes by linear inequalities (interval constraint propagation).

For a box ``[lo, hi]`` and inequalities ``a · x + c <= 0``, every variable
``x_i`` with ``a_i != 0`` satisfies ``a_i x_i <= -c - Σ_{j≠i} min(a_j x_j)``
(the minimum over the box), which bounds ``x_i`` from above (``a_i > 0``) or
below (``a_i < 0``). Applying this to every row and variable, a few rounds,
gives a smaller box containing every point of the old one that satisfies
the inequalities; a box that becomes empty contains none. Batched over
boxes, no LP.

Each new bound is loosened by :data:`CONTRACT_SLACK` relative to its size
so that floating-point rounding can never cut off a point that satisfies
the inequalities exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["contract_boxes"]

#: Relative slack on every contracted bound.
CONTRACT_SLACK = 1e-9
#: Coefficients smaller than this (relative to the row's largest) bound nothing.
_TINY = 1e-9


def contract_boxes(lo, hi, coef, const, rounds: int = 2):
    """Contract boxes by ``coef @ x + const <= 0``.

    Parameters
    ----------
    lo, hi : (B, n)
    coef : (B, m, n)
    const : (B, m)
    rounds : int

    Returns
    -------
    lo, hi : (B, n) contracted copies
    empty : (B,) bool — boxes that contain no point satisfying all rows
    """
    lo = np.array(lo, dtype=np.float64)
    hi = np.array(hi, dtype=np.float64)
    B = lo.shape[0]
    if coef.shape[1] == 0:
        return lo, hi, np.zeros(B, dtype=bool)
    scale = np.abs(coef).max(axis=2, keepdims=True)
    usable = np.abs(coef) > _TINY * np.maximum(scale, 1e-300)
    pos = usable & (coef > 0)
    neg = usable & (coef < 0)
    safe = np.where(usable, coef, 1.0)
    empty = np.zeros(B, dtype=bool)
    for _ in range(rounds):
        terms = np.where(coef > 0, coef * lo[:, None, :], coef * hi[:, None, :])  # min of a_j x_j
        total = terms.sum(axis=2)
        empty |= (total + const > 1e-9 * (1 + np.abs(const))).any(axis=1)
        rest = -const[:, :, None] - (total[:, :, None] - terms)  # a_i x_i <= rest
        bound = rest / safe
        slack = CONTRACT_SLACK * (1 + np.abs(bound))
        new_hi = np.where(pos, bound + slack, np.inf).min(axis=1)
        new_lo = np.where(neg, bound - slack, -np.inf).max(axis=1)
        hi = np.minimum(hi, new_hi)
        lo = np.maximum(lo, new_lo)
        empty |= (lo > hi).any(axis=1)
        hi = np.maximum(hi, lo)  # keep the arrays ordered for the next round
    return lo, hi, empty
