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


def test_domain_by_position_still_works_and_warns():
    net = rl.Network([rl.Dense([[1.0, 0], [0, 1]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 0], [0, 1]], [0.0, 0.1])])
    x, box = np.array([0.5, 0.2]), rl.Box([-1, -1], [1, 1])
    with pytest.warns(DeprecationWarning, match=r"region: pass domain= by keyword"):
        old = rl.region(net, x, box)
    assert np.array_equal(old.polyhedron.A, rl.region(net, x, domain=box).polyhedron.A)
    with pytest.warns(DeprecationWarning, match=r"preimage: pass domain=, method= by keyword"):
        old = rl.preimage(net, "y0 <= y1", box, "exact")
    assert len(old) == len(rl.preimage(net, "y0 <= y1", domain=box, method="exact"))
    with pytest.warns(DeprecationWarning, match=r"why: pass feature_names=, domain= by keyword"):
        old = rl.why(net, x, ["a", "b"], box)
    assert old.text == rl.why(net, x, feature_names=["a", "b"], domain=box).text
    with pytest.raises(TypeError, match="multiple values for argument 'domain'"):
        rl.region(net, x, box, domain=box)
    with pytest.raises(TypeError, match="positional arguments"):
        rl.region(net, x, box, box)


def test_domain_is_keyword_only_in_the_signatures():
    import inspect

    from relucid.naps import nap_augmented_robustness, nap_robustness, non_ambiguity, non_ambiguity_all

    for f in (rl.region, rl.preimage, rl.why, rl.why_not, nap_robustness, nap_augmented_robustness, non_ambiguity,
              non_ambiguity_all, rl.convex_region):
        assert inspect.signature(f).parameters["domain"].kind is inspect.Parameter.KEYWORD_ONLY, f.__name__


def test_rng_is_the_one_name_for_randomness_and_seed_warns():
    net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    box, prop = rl.Box([-2], [1]), rl.OutputIn(rl.Box([0], [1]))
    new = rl.verify(net, box, prop, rng=3)
    with pytest.warns(DeprecationWarning, match="verify: seed= is deprecated: use rng="):
        old = rl.verify(net, box, prop, seed=3)
    assert old.status == new.status == "falsified"
    assert np.array_equal(old.counterexample, new.counterexample)
    assert rl.verify(net, box, prop, rng=np.random.default_rng(0)).status == "falsified"
    with pytest.raises(rl.InvalidValueError, match="rng must be an int seed"):
        rl.verify(net, box, prop, rng="3")
    with pytest.raises(TypeError, match="both seed="):
        rl.verify(net, box, prop, seed=1, rng=1)
    X = np.random.default_rng(0).normal(size=(40, 1))
    with pytest.warns(DeprecationWarning, match="abstract: seed="):
        a = rl.abstract(net, X, [1], seed=5)
    b = rl.abstract(net, X, [1], rng=5)
    assert np.array_equal(a.network.layers[0].weight, b.network.layers[0].weight)
