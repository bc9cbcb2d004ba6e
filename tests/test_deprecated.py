"""Old names keep working and warn (relucid/_deprecated.py and the aliases it serves)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import relucid as rl
from relucid._deprecated import renamed


def test_dense_is_piecewise_linear_is_a_deprecated_alias_of_has_phases():
    for act, alpha, phases in (("relu", None, True), ("leaky_relu", 0.1, True), ("identity", None, False),
                               ("sigmoid", None, False)):
        layer = rl.Dense(np.eye(2), np.zeros(2), act, alpha)
        assert layer.has_phases is phases
        with pytest.warns(DeprecationWarning, match="Dense.has_phases"):
            assert layer.is_piecewise_linear is phases


def test_network_is_piecewise_linear_keeps_its_meaning_and_does_not_warn():
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense(np.eye(2), np.zeros(2))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert net.is_piecewise_linear and net.pattern_layers == (0,)  # identity: piecewise linear, no phases
        assert not rl.Network([rl.Dense(np.eye(2), np.zeros(2), "tanh")]).is_piecewise_linear


def test_renamed_warns_on_every_call_and_returns_the_same():
    def new_name(x, *, k=1):
        return x + k

    old = renamed(new_name, "pkg.old_name", "pkg.new_name")
    assert old.__name__ == "old_name" and "pkg.new_name" in old.__doc__
    for _ in range(2):
        with pytest.warns(DeprecationWarning, match="pkg.old_name is deprecated: use pkg.new_name"):
            assert old(1, k=2) == 3
