"""Fixed phases from a (partial) pattern restrict the set being bounded."""

from __future__ import annotations

import numpy as np


def apply_phases(L: np.ndarray, U: np.ndarray, phase):
    """Clip ``[L, U]`` to the fixed phases of one layer.

    ``phase`` is None or an int8 array (n,) or (B, n): 1 on (``z >= 0``: the
    closure of ``z > 0``), 0 off (``z <= 0``), -1 free. Returns the clipped
    ``(L, U)`` and a (B,) flag of boxes where some fixed phase is impossible.
    """
    if phase is None:
        return L, U, np.zeros(L.shape[0], dtype=bool)
    on, off = phase == 1, phase == 0
    bad = (on & (U < 0)) | (off & (L > 0))
    L = np.where(on, np.maximum(L, 0.0), L)
    U = np.where(off, np.minimum(U, 0.0), U)
    return L, U, bad.any(axis=1)
