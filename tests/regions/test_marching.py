"""Adjacent regions on networks whose arrangement is known by hand."""

import numpy as np

import relucid as rl
from relucid.regions import Adjacency, is_full_dimensional, is_realised

ON, OFF = True, False


def pat(**phases):
    """pat(n0=ON, n1=OFF) -> Pattern fixing neurons (0, 0) and (0, 1)."""
    return rl.Pattern.from_dict({(0, int(k[1:])): v for k, v in phases.items()})


def test_one_input_breakpoints_at_zero_and_one():
    # relu(x) - relu(x - 1): breakpoints x = 0 and x = 1; the middle piece has both neighbours
    net = rl.Network([rl.Dense([[1.0], [1.0]], [0.0, -1.0], "relu"), rl.Dense([[1.0, -1.0]], [0.0])])
    dom = rl.Box([-3.0], [3.0])
    mid = rl.region(net, np.array([0.5]), domain=dom)
    assert mid.pattern == pat(n0=ON, n1=OFF)
    adj = rl.adjacent_regions(mid, domain=dom)
    assert all(isinstance(a, Adjacency) for a in adj)
    by_neuron = {a.neuron: a for a in adj}
    assert set(by_neuron) == {(0, 0), (0, 1)}
    left, right = by_neuron[(0, 0)], by_neuron[(0, 1)]
    assert left.region.pattern == pat(n0=OFF, n1=OFF) and left.full_dimensional
    assert right.region.pattern == pat(n0=ON, n1=ON) and right.full_dimensional
    assert np.allclose(left.region.reduced().bounding_box(), ([-3.0], [0.0]))
    assert np.allclose(right.region.reduced().bounding_box(), ([1.0], [3.0]))
    # slopes: 0 left of 0, 1 between, 0 right of 1 (the two relus cancel)
    assert left.region.affine[0][0, 0] == 0.0 and mid.affine[0][0, 0] == 1.0 and right.region.affine[0][0, 0] == 0.0
    assert right.region.affine[1][0] == 1.0


def test_two_inputs_quadrants():
    # relu(x0), relu(x1): the first quadrant's neighbours are the second and the fourth
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense([[1.0, 2.0]], [0.0])])
    dom = rl.Box([-1.0, -1.0], [1.0, 1.0])
    q1 = rl.region(net, np.array([0.5, 0.5]), domain=dom)
    adj = {a.neuron: a for a in rl.adjacent_regions(q1, domain=dom)}
    assert set(adj) == {(0, 0), (0, 1)}
    q2 = adj[(0, 0)].region  # across x0 = 0
    q4 = adj[(0, 1)].region  # across x1 = 0
    assert q2.pattern == pat(n0=OFF, n1=ON) and q4.pattern == pat(n0=ON, n1=OFF)
    assert q2.contains(np.array([-0.5, 0.5])) and not q2.contains(np.array([0.5, 0.5]))
    assert q4.contains(np.array([0.5, -0.5]))
    np.testing.assert_array_equal(q2.affine[0], [[0.0, 2.0]])
    np.testing.assert_array_equal(q4.affine[0], [[1.0, 0.0]])
    assert adj[(0, 0)].full_dimensional and adj[(0, 1)].full_dimensional


def test_domain_boundary_is_not_crossed():
    # the domain x0 >= 0.5 hides the facet x0 = 0: only the x1 = 0 neighbour is left
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    dom = rl.Box([0.5, -1.0], [2.0, 2.0])
    reg = rl.region(net, np.array([1.0, 1.0]), domain=dom)
    adj = rl.adjacent_regions(reg, domain=dom)
    assert [a.neuron for a in adj] == [(0, 1)]
    assert adj[0].region.pattern == pat(n0=ON, n1=OFF)
    assert adj[0].region.contains(np.array([1.0, -0.5]))
    assert not adj[0].region.contains(np.array([0.0, -0.5]))  # restricted to the domain


def test_coinciding_hyperplanes_give_a_flat_neighbour():
    # two neurons with the same hyperplane x0 = 0: crossing flips only one of them, and the
    # pattern (off, on) needs x0 <= 0 and x0 > 0 -- a line, not a region
    net = rl.Network([rl.Dense([[1.0, 0.0], [1.0, 0.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    dom = rl.Box([-1.0, -1.0], [1.0, 1.0])
    reg = rl.region(net, np.array([0.5, 0.0]), domain=dom)
    adj = rl.adjacent_regions(reg, domain=dom)
    assert len(adj) == 1  # the duplicate row is redundant: one facet
    a = adj[0]
    assert a.neuron in {(0, 0), (0, 1)}
    assert not a.full_dimensional
    assert not is_full_dimensional(a.region) and not is_realised(a.region)
    assert a.region.pattern == reg.pattern.flip(a.neuron)


def test_leaky_relu_neighbour_has_slope_alpha():
    net = rl.Network([rl.Dense([[1.0]], [0.0], "leaky_relu", alpha=0.25), rl.Dense([[2.0]], [0.0])])
    dom = rl.Box([-1.0], [1.0])
    (adj,) = rl.adjacent_regions(rl.region(net, np.array([0.5]), domain=dom), domain=dom)
    assert adj.neuron == (0, 0) and adj.full_dimensional
    assert adj.region.affine[0][0, 0] == 0.5  # 2 * alpha
