"""The affine-inverse rule (Forets & Schilling, Eq. 6), shared by both search orders.

``{x : M x + m ∈ Y}`` for ``Y = {y : C y <= d}`` is ``{x : C M x <= d - C m}``.
"""

from __future__ import annotations

import numpy as np

from ..geometry import Polyhedron
from ..tolerances import MEMBERSHIP_TOL, ZERO_ROW_TOL

__all__ = ["affine_rows"]


def affine_rows(Y: Polyhedron, M: np.ndarray, m: np.ndarray):
    """Rows of ``{x : M x + m ∈ Y}`` = ``{x : C M x <= d - C m}``; None when a zero row makes it empty.

    Zero rows (``0 x <= r``, e.g. Y's constraints on outputs that an all-off
    layer pins to a constant) are dropped when ``r >= 0`` within
    :data:`MEMBERSHIP_TOL` (the constant lies in Y) and make the set empty otherwise.
    """
    finite = np.isfinite(Y.b)
    C, d = Y.A[finite], Y.b[finite]
    A = C @ M
    r = d - C @ m
    norms = np.abs(A).sum(axis=1)
    zero = norms <= ZERO_ROW_TOL * (1.0 + np.abs(C) @ np.abs(m))
    if np.any(r[zero] < -MEMBERSHIP_TOL * (1.0 + np.abs(d[zero]))):
        return None
    return A[~zero], r[~zero]
