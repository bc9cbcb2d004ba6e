"""Lazy regions (what ``rl.regions`` yields for 2-input networks) against eager ``rl.region``.

For every region, its interior point and random points of the domain that fall in it give
an eager ``rl.region(net, x, domain=box)``; the lazy region must hold the same pattern, the
same polytope rows (bit for bit: the same code builds both), the same affine map and row
names. Counts equal the subdivision's and the LP-based marching's.
"""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import relucid as rl
from relucid.regions import IncompleteEnumerationWarning, LazyRegion, activation_bits
from relucid.regions.planar import planar_regions
from nets import random_network

BOX = rl.Box([-1.5, -1.5], [1.5, 1.5])


def assert_same_region(lazy, eager):
    assert lazy.pattern == eager.pattern
    assert np.array_equal(lazy.on_bits, eager.on_bits)
    assert np.array_equal(lazy.polyhedron.A, eager.polyhedron.A)
    assert np.array_equal(lazy.polyhedron.b, eager.polyhedron.b)
    assert np.array_equal(lazy.affine[0], eager.affine[0])
    assert np.array_equal(lazy.affine[1], eager.affine[1])
    assert lazy.row_neurons == eager.row_neurons


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), hidden=st.lists(st.integers(1, 6), min_size=1, max_size=3),
       activation=st.sampled_from(["relu", "leaky_relu"]))
def test_lazy_regions_equal_eager_regions_at_sampled_points(seed, hidden, activation):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, hidden, 3, activation=activation)
    found = list(rl.regions(net, BOX))
    sub = planar_regions(net, BOX)
    assert len(found) == len(sub)
    assert all(isinstance(r, LazyRegion) and isinstance(r, rl.Region) for r in found)
    # every region at its interior point
    for r, x in zip(found, sub.interior_points()):
        assert_same_region(r, rl.region(net, x, domain=BOX))
    # random points: each falls in the region whose pattern it has
    by_key = {r.on_bits.tobytes(): r for r in found}
    X = BOX.sample(200, rng=rng)
    for x, bits in zip(X, activation_bits(net, X)):
        r = by_key[bits.tobytes()]
        assert r.contains(x, tol=1e-9)
        assert_same_region(r, rl.region(net, x, domain=BOX))
        np.testing.assert_allclose(r.evaluate(x), net(x), rtol=1e-9, atol=1e-9)


def test_counts_equal_subdivision_and_marching():
    rng = np.random.default_rng(3)
    net = random_network(rng, 2, [5, 4], 2)
    lazy = list(rl.regions(net, BOX))
    marched = list(rl.regions(net, BOX, method="march"))
    assert len(lazy) == len(planar_regions(net, BOX)) == len(marched)
    assert {r.pattern for r in lazy} == {r.pattern for r in marched}


def test_hand_counted_quadrants_and_facets():
    # relu(x0) + relu(x1): the axes cut the box into 4 quadrants, each with 2 neuron facets
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    found = list(rl.regions(net, rl.Box([-1, -1], [1, 1])))
    assert len(found) == 4
    both_on = next(r for r in found if r.pattern == rl.Pattern(frozenset({(0, 0), (0, 1)})))
    np.testing.assert_array_equal(both_on.affine[0], [[1.0, 1.0]])
    neurons = sorted(f.neuron for f in both_on.facets() if f.neuron is not None)
    assert neurons == [(0, 0), (0, 1)]
    assert np.allclose(both_on.reduced().bounding_box(), ([0, 0], [1, 1]))


def test_nothing_is_computed_until_asked_and_the_region_is_immutable():
    rng = np.random.default_rng(0)
    net = random_network(rng, 2, [4], 1)
    r = next(iter(rl.regions(net, BOX)))
    assert not {"pattern", "polyhedron", "affine", "row_neurons"} & set(vars(r))
    assert repr(r).startswith("LazyRegion(2-D, 8 constraints")  # 4 neurons + 4 box rows
    assert not {"polyhedron", "affine"} & set(vars(r)), "repr must not build the polytope"
    assert r.polyhedron.n_constraints == 8
    assert r.polyhedron is r.polyhedron and r.affine is r.affine  # cached
    with pytest.raises(AttributeError):
        r.pattern = None
    with pytest.raises(AttributeError):
        r.network = None
    with pytest.raises(AttributeError):
        del r.affine
    with pytest.raises(ValueError):
        r.affine[0][0, 0] = 1.0  # read-only, as the eager region's


def test_pickle_round_trip():
    rng = np.random.default_rng(1)
    net = random_network(rng, 2, [5], 2)
    r = list(rl.regions(net, BOX))[2]
    _ = r.affine
    back = pickle.loads(pickle.dumps(r))
    assert isinstance(back, LazyRegion)
    assert_same_region(back, r)


def test_adjacent_regions_of_a_lazy_region_equal_the_eager_ones():
    rng = np.random.default_rng(5)
    net = random_network(rng, 2, [6], 2)
    r = list(rl.regions(net, BOX))[0]
    eager = rl.region(net, r.pattern, domain=BOX)
    lazy_adj = rl.adjacent_regions(r, domain=BOX)
    eager_adj = rl.adjacent_regions(eager, domain=BOX)
    assert [(a.neuron, a.region.pattern, a.full_dimensional) for a in lazy_adj] == \
           [(a.neuron, a.region.pattern, a.full_dimensional) for a in eager_adj]


def test_max_regions_still_warns():
    rng = np.random.default_rng(2)
    net = random_network(rng, 2, [6, 6], 2)
    n = len(planar_regions(net, BOX))
    assert n > 5
    with pytest.warns(IncompleteEnumerationWarning, match="max_regions=5"):
        assert len(list(rl.regions(net, BOX, max_regions=5))) == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error", IncompleteEnumerationWarning)
        assert len(list(rl.regions(net, BOX, max_regions=n))) == n  # exactly all: no warning


def test_warning_class_is_one_class_from_every_public_place():
    import importlib

    # rl.regions is the function; the modules are reached through importlib
    mod = {name: importlib.import_module(f"relucid.regions{name}") for name in ("", ".enumerate", ".planar", ".incomplete")}
    cls = mod[".incomplete"].IncompleteEnumerationWarning
    assert mod[""].IncompleteEnumerationWarning is cls
    assert mod[".enumerate"].IncompleteEnumerationWarning is cls
    assert mod[".planar"].IncompleteEnumerationWarning is cls
    assert issubclass(cls, RuntimeWarning)
