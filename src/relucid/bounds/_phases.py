"""Fixed phases from a (partial) pattern restrict the set being bounded."""

from __future__ import annotations

import numpy as np

from ..phases import OFF, ON


def apply_phases(L: np.ndarray, U: np.ndarray, phase):
    """Clip ``[L, U]`` to the fixed phases of one layer.

    ``phase`` is None or an int8 array (n,) or (B, n): 1 on (``z >= 0``: the
    closure of ``z > 0``), 0 off (``z <= 0``), -1 free. Returns the clipped
    ``(L, U)`` and a (B,) flag of boxes where some fixed phase is impossible.
    """
    from ._xp import like, namespace, zeros_bool

    xp = namespace(L)
    if phase is None:
        return L, U, zeros_bool(xp, L.shape[0], L)
    phase = like(xp, phase, L)
    on, off = phase == ON, phase == OFF
    bad = (on & (U < 0)) | (off & (L > 0))
    L = xp.where(on, L.clip(min=0), L)
    U = xp.where(off, U.clip(max=0), U)
    return L, U, bad.any(axis=1)
