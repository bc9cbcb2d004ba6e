"""``strictly_follows`` and ``nap_sizes``: hand-checked cases (issue 16)."""

from __future__ import annotations

import numpy as np

import relucid as rl
from relucid.naps import NAP, nap_sizes
from relucid.naps.search import strictly_follows


def _net():
    # layer 0: z = (x0, -x0, x1); layer 1 (identity) on top
    return rl.Network([rl.Dense([[1.0, 0], [-1, 0], [0, 1]], np.zeros(3), "relu"), rl.Dense(np.ones((1, 3)), [0.0])])


def test_strictly_follows_on_is_positive_and_off_is_non_positive():
    net = _net()
    phases = {0: np.array([1, 0, -1], dtype=np.int8)}  # neuron 0 on, neuron 1 off, neuron 2 free
    X = np.array([[0.5, 3.0], [0.0, 3.0], [-0.5, 3.0], [1e-300, -7.0]])
    # x0 = 0: neuron 0 has z = 0, which is off, so "on" fails; x0 < 0 fails too; a tiny positive x0 follows
    assert strictly_follows(net, phases, X).tolist() == [True, False, False, True]
    assert strictly_follows(net, {}, X).all()


def test_strictly_follows_agrees_with_the_nap():
    net = _net()
    nap = NAP(frozenset({(0, 0)}), frozenset({(0, 1)}), label=0)
    X = np.random.default_rng(0).normal(size=(200, 2))
    assert np.array_equal(strictly_follows(net, nap.layer_phases(net), X), nap.follows(net, X))


def test_nap_sizes_counts_active_and_inactive_per_label():
    naps = {2: NAP(frozenset({(0, 0), (0, 2)}), frozenset(), label=2), 0: NAP(frozenset(), frozenset({(0, 1)}), label=0)}
    assert nap_sizes(naps) == {0: (0, 1), 2: (2, 0)}
    assert list(nap_sizes(naps)) == [0, 2]  # sorted by label
    assert nap_sizes({}) == {}
