"""Regions: the input lies in its region; samples inside share its pattern and its
affine map; points just outside each non-redundant facet have another pattern.

Tolerances: the affine map is compared to 1e-9 (``AFFINE_ATOL``) absolute plus
relative; both sides are float64 evaluations of the same function in a
different order, so they agree to a few ulps times the depth. The step across a
facet is 1e-3 of the facet's inner radius (capped at 1e-6 absolute), so it
crosses that one hyperplane and no other.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import relucid as rl
from relucid.regions import activation_bits, is_full_dimensional
from relucid.regions.marching import facet_point, facet_points
from relucid.tolerances import AFFINE_ATOL
from nets import random_network


def check_region(net, x, rng, n_samples=1000, domain=None, max_facets=None):
    reg = rl.region(net, x, domain=domain)
    assert reg.contains(x)
    W, b = reg.affine
    np.testing.assert_allclose(W @ x + b, net(x), rtol=1e-9, atol=AFFINE_ATOL)
    if not is_full_dimensional(reg):
        return reg  # x on a boundary: the closure is lower-dimensional, nothing to sample
    bits = reg.pattern.to_bits(net) == 1
    S = reg.polyhedron.sample(n_samples, rng=rng)
    assert reg.polyhedron.contains(S).all()
    same = (activation_bits(net, S) == bits).all(axis=1)
    assert same.all(), f"{(~same).sum()} of {n_samples} samples left the region's pattern"
    np.testing.assert_allclose(S @ W.T + b, net(S), rtol=1e-9, atol=AFFINE_ATOL)
    facets = [f for f in reg.facets() if f.neuron is not None]
    if max_facets is not None:
        facets = facets[:max_facets]
    points = facet_points(reg, [f.row for f in facets])
    assert len(points) == len(facets), "every non-redundant row must be a facet with a relative interior"
    for f in facets:
        p = points[f.row]
        u = f.normal / np.linalg.norm(f.normal)
        # step: small against the distance from p to every other hyperplane
        norms = np.delete(np.linalg.norm(reg.polyhedron.A, axis=1), f.row)
        gaps = np.delete(reg.polyhedron.b - reg.polyhedron.A @ p, f.row)
        dist = gaps[norms > 0] / norms[norms > 0]  # zero rows (dead neurons) never bind
        step = min(1e-3 * dist.min(), 1e-6) if dist.size else 1e-6
        assert step > 0
        outside, inside = p + step * u, p - step * u
        assert not np.array_equal(activation_bits(net, outside), bits), f"crossing facet of {f.neuron} kept the pattern"
        flipped = reg.pattern.flip(f.neuron).to_bits(net) == 1
        assert np.array_equal(activation_bits(net, outside), flipped)
        assert np.array_equal(activation_bits(net, inside), bits)
    return reg


def test_region_by_hand():
    net = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"), rl.Dense([[1.0, 2.0]], [0.5])])
    reg = rl.region(net, np.array([1.0, -1.0]))
    # on for x0 > 0, off for x1 <= 0: rows -x0 <= 0 and x1 <= 0
    np.testing.assert_array_equal(reg.polyhedron.A, [[-1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(reg.polyhedron.b, [0.0, 0.0])
    np.testing.assert_array_equal(reg.affine[0], [[1.0, 0.0]])
    np.testing.assert_array_equal(reg.affine[1], [0.5])
    assert [f.neuron for f in reg.facets()] == [(0, 0), (0, 1)]


def test_leaky_relu_off_piece_has_slope_alpha():
    net = rl.Network([rl.Dense([[1.0]], [0.0], "leaky_relu", alpha=0.25), rl.Dense([[2.0]], [1.0])])
    reg = rl.region(net, np.array([-3.0]))
    np.testing.assert_allclose(reg.affine[0], [[0.5]])
    np.testing.assert_allclose(reg.evaluate(np.array([-3.0])), net(np.array([-3.0])))


def test_region_from_pattern_equals_region_from_point():
    rng = np.random.default_rng(1)
    net = random_network(rng, 3, [6, 5], 2)
    x = rng.normal(size=3)
    a = rl.region(net, x)
    b = rl.region(net, rl.pattern(net, x))
    np.testing.assert_array_equal(a.polyhedron.A, b.polyhedron.A)
    np.testing.assert_array_equal(a.affine[0], b.affine[0])


def test_domain_rows_are_appended_and_named_none():
    rng = np.random.default_rng(2)
    net = random_network(rng, 2, [4], 1)
    reg = rl.region(net, np.zeros(2), domain=rl.Box([-1, -1], [1, 1]))
    assert reg.polyhedron.n_constraints == 4 + 4
    assert reg.row_neurons[4:] == (None,) * 4


def test_region_errors():
    net = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "tanh")])
    with pytest.raises(rl.InvalidValueError, match="activation 'tanh'"):
        rl.region(net, np.zeros(2))
    net = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu")])
    with pytest.raises(rl.InvalidValueError, match="complete pattern"):
        rl.region(net, rl.Pattern.from_dict({(0, 0): True}))
    with pytest.raises(rl.ShapeError, match="length 2"):
        rl.region(net, np.zeros(3))
    with pytest.raises(rl.ShapeError, match="dimension 3"):
        rl.region(net, np.zeros(2), domain=rl.Box(np.zeros(3), np.ones(3)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_in=st.integers(1, 4),
    hidden=st.lists(st.integers(1, 8), min_size=1, max_size=3),
    activation=st.sampled_from(["relu", "leaky_relu"]),
)
def test_random_networks_regions(seed, n_in, hidden, activation):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_in, hidden, 3, activation=activation)
    x = np.clip(rng.normal(size=n_in), -2.5, 2.5)
    # regions are unbounded in general; sample them inside a box (whose facets are not crossed)
    box = rl.Box(np.full(n_in, -3.0), np.full(n_in, 3.0))
    check_region(net, x, rng, n_samples=1000, domain=box)


@pytest.mark.shared_data
@pytest.mark.slow
def test_mnistfc_256x4_region(shared_data, mnist_test_image):
    net = rl.load(shared_data / "mnistfc" / "mnist-net_256x4.onnx")
    x = mnist_test_image(0)
    rng = np.random.default_rng(0)
    # the region restricted to the pixel box [0, 1]^784, where the data lives
    reg = check_region(net, x, rng, n_samples=1000, domain=rl.Box(np.zeros(784), np.ones(784)))
    assert reg.pattern.is_complete(net)


def test_facet_point_lp_agrees_with_facet_points():
    rng = np.random.default_rng(5)
    net = random_network(rng, 3, [6, 4], 2)
    reg = rl.region(net, rng.normal(size=3), domain=rl.Box(-np.ones(3) * 3, np.ones(3) * 3))
    pts = facet_points(reg)
    assert set(pts) == set(int(i) for i in reg.nonredundant_rows)
    A, b = reg.polyhedron.A, reg.polyhedron.b
    for j, p in pts.items():
        assert abs(A[j] @ p - b[j]) <= 1e-9 * (1 + abs(b[j]))
        assert (np.delete(A @ p - b, j) < 0).all()  # strictly inside every other row
        q, margin = facet_point(reg, j)
        assert margin > 0 and abs(A[j] @ q - b[j]) <= 1e-7 * (1 + abs(b[j]))
