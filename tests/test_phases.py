"""relucid.phases: the one phase encoding is the one patterns, bounds and NAPs already store."""

from __future__ import annotations

import numpy as np

import relucid as rl
from relucid.phases import FREE, OFF, ON, PHASE_DTYPE, free_phases


def test_names_match_what_patterns_and_naps_store():
    net = rl.Network([rl.Dense(np.eye(3), np.zeros(3), "relu"), rl.Dense(np.ones((1, 3)), [0.0])])
    bits = rl.Pattern.from_dict({(0, 0): True, (0, 1): False}).to_bits(net)
    assert bits.tolist() == [ON, OFF, FREE] and bits.dtype == PHASE_DTYPE
    nap = rl.NAP(frozenset({(0, 0)}), frozenset({(0, 1)}))
    assert nap.layer_phases(net)[0].tolist() == [ON, OFF, FREE]


def test_free_phases():
    p = free_phases(4)
    assert p.dtype == np.int8 and (p == FREE).all() and len({ON, OFF, FREE}) == 3
