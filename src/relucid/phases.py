"""The one phase encoding: a neuron is ON, OFF or FREE.

Wherever an analysis stores the phases of a layer's relu / leaky_relu
neurons as an int8 array (patterns, fixed phases for bounds and verification,
NAPs, the preimage search), an entry is one of:

``ON = 1``
    the neuron is on: pre-activation ``z > 0`` (its closure ``z >= 0`` where a
    polyhedron is built);
``OFF = 0``
    the neuron is off: ``z <= 0``;
``FREE = -1``
    not fixed (undecided, "don't care").

``OFF == 0`` makes ``phases.astype(bool)`` wrong for FREE entries: compare
with the names (``phases == ON``) instead. This module sits below the network
layer and imports nothing from relucid, so every layer may use it.

Examples
--------
>>> import numpy as np
>>> p = free_phases(3)
>>> p[0], p[2] = ON, OFF
>>> p.tolist(), (p == ON).tolist(), int(np.count_nonzero(p != FREE))
([1, -1, 0], [True, False, False], 2)
"""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = ["FREE", "OFF", "ON", "PHASE_DTYPE", "free_phases"]

#: Pre-activation > 0.
ON: Final[int] = 1
#: Pre-activation <= 0.
OFF: Final[int] = 0
#: Not fixed.
FREE: Final[int] = -1
#: The dtype of phase arrays.
PHASE_DTYPE: Final = np.int8


def free_phases(n: int) -> np.ndarray:
    """An int8 array of ``n`` phases, all :data:`FREE`."""
    return np.full(int(n), FREE, dtype=PHASE_DTYPE)
