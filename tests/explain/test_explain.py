"""why / why_not: checked against sampling, independent LPs and brute-force region graphs.

Independent evidence used here, none of it the code under test:
- points sampled in a why-polytope (hit-and-run) are run through the network;
- non-redundancy of every kept row and implication of every dropped row are
  LPs written here with ``solve_lp`` (not the redundancy module);
- feature bounds against ``Polyhedron.bounding_box``, vertices and ``scipy.optimize.linprog``;
- why-not levels against a breadth-first search over the regions that
  ``rl.regions`` enumerates (planar subdivision for 2 inputs), with adjacency
  decided by ``facet_point``'s in-facet Chebyshev LP;
- nearest points against ``scipy.optimize.linprog`` / SLSQP and samples.
"""

import json
import time
from collections import deque

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy.optimize import linprog, minimize

import relucid as rl
from relucid.errors import InvalidValueError, ShapeError
from relucid.explain import feature_bounds, nearest_point, render_row, why, why_not
from relucid.geometry.lp import LPStatus, solve_lp
from relucid.regions import activation_bits
from relucid.regions.marching import facet_point
from relucid.tolerances import CLASS_TIE_TOL
from nets import random_network

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def box(n, r=2.0):
    return rl.Box(-r * np.ones(n), r * np.ones(n))


def tiny_net():
    """y0 = relu(a), y1 = relu(b): class 0 wins where a >= b (on the relu-on side)."""
    return rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"), rl.Dense(np.eye(2), [0.0, 0.0])])


# -- by hand ---------------------------------------------------------------------

def test_why_by_hand():
    e = why(tiny_net(), [2.0, 1.0], feature_names=["a", "b"], domain=rl.Box([-3, -3], [3, 3]))
    assert e.predicted == 0 and e.ties == () and e.hamming == 0
    assert [c.render(e.feature_names) for c in e.constraints] == ["b >= 0", "a <= 3", "-a + b <= 0"]
    assert [c.label() for c in e.constraints] == ["neuron (0, 1) on", "domain", "class 0 >= class 1"]
    lo, hi = e.bounds
    np.testing.assert_allclose(lo, [0, 0], atol=1e-12)
    np.testing.assert_allclose(hi, [3, 3], atol=1e-12)
    V = e.vertices
    assert V.shape == (3, 2)
    np.testing.assert_allclose(sorted(map(tuple, np.round(V, 9))), [(0, 0), (3, 0), (3, 3)], atol=1e-9)
    assert "-a + b <= 0" in e.text and "[class 0 >= class 1]" in e.text and "a in [0, 3]" in e.text


def test_why_not_by_hand_inside_the_region_and_across_a_facet():
    net = tiny_net()
    dom = rl.Box([-3, -3], [3, 3])
    e = why_not(net, [2.0, 1.0], 1, domain=dom)
    assert (e.status, e.hamming, e.steps, e.flipped) == ("found", 0, 0, ())
    assert e.exact_distance == pytest.approx(0.5, abs=1e-9)  # L-inf: (1.5, 1.5)
    assert e.confirmed and np.argmax(net(e.point)) == 1
    assert [c.label() for c in e.distinguishing] == ["class 1 >= class 0"]
    # x = (2, -1): b's neuron is off, so y1 = 0 < y0 everywhere in x's region; the
    # target needs b > 0: one crossing, of neuron (0, 1)'s facet b = 0.
    e = why_not(net, [2.0, -1.0], 1, domain=dom, norm="2")
    assert (e.status, e.hamming, e.steps, e.flipped) == ("found", 1, 1, ((0, 1),))
    assert e.exact_distance == pytest.approx(np.sqrt(2.0 * 1.5**2), abs=1e-6)  # nearest: (0.5, 0.5)
    assert e.confirmed and e.distance >= e.exact_distance
    # b >= 0 (the flipped neuron's row) is implied by a >= 0 and a <= b: not in the minimal set
    assert [c.label() for c in e.constraints] == ["neuron (0, 0) on", "domain", "class 1 >= class 0"]
    assert [c.label() for c in e.distinguishing] == ["class 1 >= class 0"]


def test_leaky_relu_paper_extension_by_hand():
    # y = leaky(a) - leaky(-a), alpha 0.5: y0 = that, y1 = 0.25: class 0 for a > 0.25
    net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "leaky_relu", alpha=0.5),
                      rl.Dense([[1.0, -1.0], [0.0, 0.0]], [0.0, 0.25])])
    e = why(net, [1.0], domain=rl.Box([-2.0], [2.0]))
    assert e.predicted == 0
    lo, hi = e.bounds
    assert lo[0] == pytest.approx(0.25 / 1.5) and hi[0] == pytest.approx(2.0)
    w = why_not(net, [1.0], 1, domain=rl.Box([-2.0], [2.0]))
    assert w.found and w.hamming == 0 and w.exact_distance == pytest.approx(1.0 - 0.25 / 1.5)


def test_render_row_formats_and_says_what_it_drops():
    names = ["speed", "angle", "gap"]
    assert render_row([0.52, -1.3, 0.0], 0.7, names) == "0.4*speed - angle <= 0.5385"
    assert render_row([0.0, -2.0, 0.0], 1.0, names) == "angle >= -0.5"
    text = render_row([1.0, 1e-5, -0.5], 1.0, names, drop_below=1e-3)
    assert text.startswith("speed - 0.5*gap <= 1") and "1 terms with |coefficient| < 0.001 dropped" in text
    text = render_row([1.0, 0.2, -0.5], 1.0, names, max_terms=2)
    assert text.startswith("speed - 0.5*gap <= 1") and "1 smaller terms not shown" in text


def test_ties_are_reported():
    e = why(tiny_net(), [1.0, 1.0], domain=box(2))
    assert e.ties == (1,)
    assert "decision boundary" in e.text
    assert e.to_dict()["ties"] == [1]


def test_to_dict_is_json_and_complete():
    net = tiny_net()
    for e in (why(net, [2.0, 1.0], domain=box(2), class_names=["left", "right"]),
              why_not(net, [2.0, -1.0], 1, domain=box(2), feature_names=["a", "b"])):
        d = json.loads(json.dumps(e.to_dict(), allow_nan=False))
        assert d["kind"] == e.kind and d["text"] == e.text
        assert len(d["constraints"]) == len(e.constraints) and len(d["bounds"]) == 2
    assert d["status"] == "found" and d["flipped"] == [[0, 1]] and d["confirmed"] is True
    assert "left >= right" in why(net, [2.0, 1.0], domain=box(2), class_names=["left", "right"]).text


def test_unbounded_domain_gives_infinite_bounds_and_no_vertices():
    e = why(tiny_net(), [2.0, 1.0])
    lo, hi = e.bounds
    assert lo[0] == 0.0 and np.isinf(hi).all() and e.vertices is None
    assert json.loads(json.dumps(e.to_dict(), allow_nan=False))["bounds"][0] == [0.0, None]


# -- errors ------------------------------------------------------------------------

def test_bad_inputs_raise_one_clear_error():
    net = tiny_net()
    with pytest.raises(ShapeError, match="length 2"):
        why(net, [1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="length 2"):
        why_not(net, [[1.0, 2.0]], 1)
    with pytest.raises(InvalidValueError, match="already the predicted class"):
        why_not(net, [2.0, 1.0], 0)
    for bad in (2, -1, 1.5, "x"):
        with pytest.raises(InvalidValueError, match="target"):
            why_not(net, [2.0, 1.0], bad)
    sig = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "sigmoid"), rl.Dense(np.eye(2), [0.0, 0.0])])
    for fn in (lambda: why(sig, [1.0, 0.0]), lambda: why_not(sig, [1.0, 0.0], 1)):
        with pytest.raises(InvalidValueError, match="piecewise-linear"):
            fn()
    with pytest.raises(ShapeError, match="feature_names"):
        why(net, [2.0, 1.0], feature_names=["a"])
    with pytest.raises(InvalidValueError, match="norm"):
        why_not(net, [2.0, 1.0], 1, norm="l3")
    with pytest.raises(InvalidValueError, match="outside the domain"):
        why(net, [5.0, 1.0], domain=box(2))
    with pytest.raises(InvalidValueError, match="NaN"):
        why(net, [np.nan, 1.0])


# -- property tests: why -------------------------------------------------------------

@st.composite
def net_and_point(draw, max_in=4, activations=("relu", "leaky_relu")):
    seed = draw(st.integers(0, 10_000))
    n_in = draw(st.integers(1, max_in))
    hidden = draw(st.lists(st.integers(2, 6), min_size=1, max_size=2))
    n_out = draw(st.integers(2, 4))
    act = draw(st.sampled_from(activations))
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_in, hidden, n_out, activation=act, alpha=0.1)
    x = rng.uniform(-1.5, 1.5, size=n_in)
    return net, x, rng


def lp_max(c, A, b):
    res = solve_lp(c, A, b, maximize=True)
    return np.inf if res.status is LPStatus.UNBOUNDED else res.value


@settings(max_examples=30, **SETTINGS)
@given(net_and_point())
def test_why_polytope_is_exact_minimal_and_its_bounds_are_right(case):
    net, x, rng = case
    e = why(net, x, domain=box(net.input_dim))
    P = e.polyhedron
    A_full, b_full, labels = e._system
    c = e.predicted
    assert P.contains(x)
    # minimal: dropping any kept row enlarges the set
    for i in range(P.n_constraints):
        others = np.delete(np.arange(P.n_constraints), i)
        assert lp_max(P.A[i], P.A[others], P.b[others]) > P.b[i] + 1e-10 * (1 + abs(P.b[i])), f"row {i} redundant"
    # exact: every dropped row is implied by the kept ones
    for j in np.setdiff1d(np.arange(A_full.shape[0]), e.nonredundant_rows):
        assert lp_max(A_full[j], P.A, P.b) <= b_full[j] + 1e-7 * (1 + abs(b_full[j]))
    # bounds: the LP bounding box, and the samples stay inside
    lo, hi = e.bounds
    blo, bhi = P.bounding_box()
    np.testing.assert_allclose(lo, blo, atol=1e-7)
    np.testing.assert_allclose(hi, bhi, atol=1e-7)
    # tight, by scipy's LP (not relucid's): each bound is attained by a point of the polytope
    n = net.input_dim
    for i in range(n):
        for sign, bound in ((1.0, lo[i]), (-1.0, hi[i])):  # min x_i = lo_i; min -x_i = -hi_i
            res = linprog(sign * np.eye(n)[i], A_ub=P.A, b_ub=P.b, bounds=[(None, None)] * n, method="highs")
            assert res.status == 0 and sign * res.fun == pytest.approx(bound, abs=1e-7), (i, sign)
    ball = P.chebyshev_center()
    if ball.radius > 1e-6:
        S = P.sample(300, rng=rng)
        bits = e.region.pattern.to_bits(net) == 1
        assert (activation_bits(net, S) == bits).all(), "a sample of the why-polytope left x's region"
        Y = net(S)
        assert (Y[:, c] >= Y.max(axis=1) - CLASS_TIE_TOL).all(), "a sample of the why-polytope changed class"
        assert (S >= lo - 1e-9).all() and (S <= hi + 1e-9).all()
    V = e.vertices
    if V is not None and V.shape[0]:
        np.testing.assert_allclose(V.min(axis=0), lo, atol=1e-6)
        np.testing.assert_allclose(V.max(axis=0), hi, atol=1e-6)
        assert P.contains(V, tol=1e-7).all()
    # the labels of the kept rows say where they come from
    for con in e.constraints:
        assert con.kind in ("neuron", "domain", "class")
        if con.kind == "class":
            assert con.classes[0] == c
    assert e.text.count("\n") >= len(e.constraints)


@settings(max_examples=10, **SETTINGS)
@given(net_and_point(max_in=3))
def test_feature_bounds_witness_shortcuts_agree_with_lps(case):
    net, x, rng = case
    reg = rl.region(net, x, domain=box(net.input_dim))
    A, b = reg.polyhedron.A, reg.polyhedron.b
    lo, hi = feature_bounds(A, b, [x])
    blo, bhi = reg.polyhedron.bounding_box()
    np.testing.assert_allclose(lo, blo, atol=1e-7)
    np.testing.assert_allclose(hi, bhi, atol=1e-7)
    lo2, hi2 = feature_bounds(A, b)  # no witness: every bound by LP
    np.testing.assert_allclose(lo2, blo, atol=1e-7)
    np.testing.assert_allclose(hi2, bhi, atol=1e-7)


# -- property tests: why not ------------------------------------------------------------

def target_set(reg, t):
    W, c = reg.affine
    others = [j for j in range(W.shape[0]) if j != t]
    return reg.polyhedron.with_rows(W[others] - W[t], c[t] - c[others])


def has_target(reg, t):
    """The target wins strictly on an open set: at the centre of its (full-dimensional) set."""
    ball = target_set(reg, t).chebyshev_center()
    if ball.center is None or not ball.radius > 1e-9:
        return False
    y = reg.network(ball.center)
    return bool(y[t] > np.delete(y, t).max())


def linf_distance(P, x):
    """min ||z - x||_inf over P, by scipy's linprog (independent of relucid's LP layer)."""
    n = x.size
    A, b = P.A, P.b
    I = np.eye(n)
    A_ub = np.vstack([np.hstack([A, np.zeros((A.shape[0], 1))]), np.hstack([I, -np.ones((n, 1))]),
                      np.hstack([-I, -np.ones((n, 1))])])
    b_ub = np.concatenate([b, x, -x])
    c = np.zeros(n + 1)
    c[-1] = 1
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * n + [(0, None)], method="highs")
    return res.fun


def region_graph(net, dom):
    """All regions of a 2-D domain (planar subdivision) and their facet adjacency."""
    regs = list(rl.regions(net, dom))
    key = {r.pattern: i for i, r in enumerate(regs)}
    adj = {i: set() for i in range(len(regs))}
    for i, r in enumerate(regs):
        for row, n in enumerate(r.row_neurons):
            if n is None:
                continue
            j = key.get(r.pattern.flip(n))
            if j is None or j in adj[i]:
                continue
            _, margin = facet_point(r, row)
            if margin > 1e-9:
                adj[i].add(j)
                adj[j].add(i)
    return regs, key, adj


def bfs_depths(adj, start):
    depth = {start: 0}
    queue = deque([start])
    while queue:
        i = queue.popleft()
        for j in adj[i]:
            if j not in depth:
                depth[j] = depth[i] + 1
                queue.append(j)
    return depth


@settings(max_examples=25, **SETTINGS)
@given(net_and_point(max_in=2), st.integers(0, 3))
def test_why_not_matches_a_brute_force_search_on_2d_nets(case, t_pick):
    net, x, rng = case
    if net.input_dim == 1:
        net = random_network(rng, 2, [4, 3], net.output_dim, activation="relu")
        x = rng.uniform(-1.5, 1.5, size=2)
    dom = box(2)
    c = int(np.argmax(net(x)))
    t = [j for j in range(net.output_dim) if j != c][t_pick % (net.output_dim - 1)]
    e = why_not(net, x, t, domain=dom, timeout=None)
    regs, key, adj = region_graph(net, dom)
    origin = rl.pattern(net, x)
    start = key.get(origin)
    if start is None:  # x's own region is not full-dimensional (x on a bent hyperplane): skip
        return
    depth = bfs_depths(adj, start)
    hits = {i for i in depth if has_target(regs[i], t)}
    if not hits:
        assert not e.found and e.status == "exhausted"
        return
    best_depth = min(depth[i] for i in hits)
    assert e.found and e.status == "found"
    assert e.steps == best_depth, "the march must stop at the first level holding the target"
    assert e.hamming == len(e.flipped) <= e.steps
    found = key[e.region.pattern]
    assert found in hits and depth[found] == best_depth
    # the nearest among that level, by an independent LP
    level = [i for i in hits if depth[i] == best_depth]
    dists = {i: linf_distance(target_set(regs[i], t), x) for i in level}
    assert e.exact_distance <= min(dists.values()) + 1e-7
    assert e.exact_distance == pytest.approx(dists[found], abs=1e-7)
    # the witness: classified as the target, and no sample of the target set is nearer
    assert e.confirmed
    y = net(e.point)
    assert y[t] >= y.max() - CLASS_TIE_TOL * (1 + abs(y[t]))
    T = target_set(e.region, t)
    S = T.sample(200, rng=rng)
    assert np.max(np.abs(S - x), axis=1).min() >= e.exact_distance - 1e-9
    # one hidden layer: a hyperplane arrangement, where crossings = Hamming distance globally
    if len(net.pattern_layers) == 1:
        assert e.hamming == e.steps
        for i, r in enumerate(regs):
            if r.pattern.hamming(origin) < e.hamming:
                assert not has_target(r, t)


@settings(max_examples=8, **SETTINGS)
@given(net_and_point(max_in=4), st.sampled_from(["1", "2"]))
def test_nearest_point_l1_and_l2_against_scipy(case, norm):
    net, x, rng = case
    reg = rl.region(net, x, domain=box(net.input_dim))
    c = int(np.argmax(net(x)))
    T = target_set(reg, c)  # x's own class set: non-empty, contains x
    z0 = T.chebyshev_center().center
    far = z0 + 3.0  # a point outside, to project back
    res = nearest_point(T.A, T.b, far, norm)
    assert res.status is LPStatus.OPTIMAL and T.contains(res.x, tol=1e-7)
    cons = [{"type": "ineq", "fun": lambda z: T.b - T.A @ z, "jac": lambda z: -T.A}]
    if norm == "2":
        ref = minimize(lambda z: np.sum((z - far) ** 2), z0, jac=lambda z: 2 * (z - far), constraints=cons,
                       method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
        assert res.value == pytest.approx(np.sqrt(ref.fun), abs=1e-5)
    else:
        n = x.size
        I = np.eye(n)
        A_ub = np.vstack([np.hstack([T.A, np.zeros_like(T.A)]), np.hstack([I, -I]), np.hstack([-I, -I])])
        ref = linprog(np.r_[np.zeros(n), np.ones(n)], A_ub=A_ub, b_ub=np.r_[T.b, far, -far],
                      bounds=[(None, None)] * n + [(0, None)] * n, method="highs")
        assert res.value == pytest.approx(ref.fun, abs=1e-7)


def test_why_not_parallel_equals_serial_and_limits_are_honoured():
    rng = np.random.default_rng(7)
    net = random_network(rng, 2, [6, 6], 3)
    x = np.array([0.3, -0.4])
    c = int(np.argmax(net(x)))
    runs = {}
    for t in range(3):
        if t == c:
            continue
        a = why_not(net, x, t, domain=box(2), timeout=None)
        b = why_not(net, x, t, domain=box(2), timeout=None, n_jobs=2)
        assert (a.status, a.steps, a.flipped) == (b.status, b.steps, b.flipped)
        if a.found:
            np.testing.assert_allclose(a.point, b.point)
        runs[t] = a
    far = max(runs.values(), key=lambda e: e.steps or 0)
    if far.steps and far.steps > 0:
        capped = why_not(net, x, far.target, domain=box(2), max_hamming=far.steps - 1)
        assert capped.status == "max_hamming" and not capped.found and "No region" in capped.text


def test_why_not_timeout_returns_an_honest_answer():
    rng = np.random.default_rng(3)
    net = random_network(rng, 3, [12, 12], 4)
    x = rng.uniform(-1, 1, size=3)
    c = int(np.argmax(net(x)))
    t = (c + 1) % 4
    start = time.monotonic()
    e = why_not(net, x, t, domain=box(3), timeout=1e-3)
    assert time.monotonic() - start < 10
    assert e.status in ("timeout", "found")
    if e.status == "timeout" and not e.found:
        assert e.point is None and "time limit" in e.text


# -- real network ----------------------------------------------------------------------

@pytest.mark.shared_data
def test_why_on_mnistfc_256x4_image_0(shared_data, mnist_test_image, record_property):
    net = rl.load(shared_data / "mnistfc" / "mnist-net_256x4.onnx")
    x = mnist_test_image(0)
    dom = rl.Box(0.0, 1.0, dim=784)
    t = time.perf_counter()
    e = why(net, x, domain=dom)
    record_property("why_construction_s", time.perf_counter() - t)
    assert e.predicted == 7 and e.ties == ()
    A, b, labels = e._system
    assert A.shape == (1024 + 1568 + 9, 784)
    assert np.all(A @ x <= b + 1e-9 * (1 + np.abs(b)))  # x lies in its why-polytope
    assert sum(con.kind == "class" for con in labels) == 9
    t = time.perf_counter()
    lo, hi = e.bounds
    record_property("why_bounds_s", time.perf_counter() - t)
    assert (lo <= x + 1e-9).all() and (hi >= x - 1e-9).all()
    assert (lo >= 0).all() and (hi <= 1).all()
    # the bounds are attained: spot-check a few coordinates by LP
    for k in (0, 300, 400):
        for maximize, ref in ((True, hi[k]), (False, lo[k])):
            cvec = np.zeros(784)
            cvec[k] = 1.0
            res = solve_lp(cvec, A, b, maximize=maximize, lb=0.0, ub=1.0)
            assert res.value == pytest.approx(ref, abs=1e-7)
