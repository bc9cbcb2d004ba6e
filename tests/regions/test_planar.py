"""The planar subdivision against independent evidence: point sampling with float64
forward passes, the affine maps against net(x), the LP-based marching enumerator, regioncam,
hand-counted fixtures, and the structure of the subdivision itself (a tiling by convex
polygons whose interior edges are shared by exactly two faces)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import relucid as rl
from relucid.errors import InvalidValueError, ShapeError
from relucid.regions import IncompleteEnumerationWarning, activation_bits
from relucid.regions.planar import PlanarSubdivision, _cut_at_dominant_run, planar_regions
from nets import random_network

BOUNDARY = 1e-7  # points closer than this to a face's boundary are not checked


def inside_distance(sub: PlanarSubdivision, P: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Signed distance of each point to the boundary of its (convex, counter-clockwise) face: > 0 inside."""
    lens = np.diff(sub.face_ptr)
    K = int(lens.max())
    pad = np.repeat(sub.face_vertices[sub.face_ptr[:-1]][:, None], K, axis=1)
    rows = np.repeat(np.arange(len(sub)), lens)
    cols = np.arange(sub.face_vertices.size) - np.repeat(sub.face_ptr[:-1], lens)
    pad[rows, cols] = sub.face_vertices
    V = sub.vertices[pad[faces]]  # (n, K, 2)
    a, b = V, np.roll(V, -1, axis=1)
    e = b - a
    length = np.hypot(e[..., 0], e[..., 1])
    d = (e[..., 0] * (P[:, None, 1] - a[..., 1]) - e[..., 1] * (P[:, None, 0] - a[..., 0]))
    d = np.where(length > 0, d / np.where(length > 0, length, 1.0), np.inf)
    return d.min(axis=1)


def check_against_points(net, sub: PlanarSubdivision, P: np.ndarray) -> None:
    """Every sample point lies in the face whose pattern is its pattern; the face's map gives net(x)."""
    X = sub.to_input(P)
    faces = sub.locate(P)
    missing = faces < 0
    if missing.any():
        # Only a point on a boundary (some pre-activation ~ 0) may have a pattern of no face.
        pre = np.concatenate(net.preactivations(X[missing]), axis=1)
        assert np.all(np.min(np.abs(pre), axis=1) < 1e-9), f"{missing.sum()} points have a pattern of no face"
    P, X, faces = P[~missing], X[~missing], faces[~missing]
    d = inside_distance(sub, P, faces)
    far = np.abs(d) >= BOUNDARY
    assert np.all(d[far] > 0), f"{np.sum(d[far] < 0)} points lie outside the face with their pattern"
    np.testing.assert_allclose(sub.evaluate(P, faces), net(X), atol=1e-9, rtol=0)


def check_structure(sub: PlanarSubdivision, domain_area: float) -> None:
    """Convex counter-clockwise faces tiling the domain; interior edges shared by two faces."""
    area = sub.area()
    assert np.all(area > 0)
    assert abs(area.sum() - domain_area) <= 1e-6
    V, cyc, ptr = sub.vertices, sub.face_vertices, sub.face_ptr
    nxt = np.arange(1, cyc.size + 1)
    nxt[ptr[1:] - 1] = ptr[:-1]
    prv = np.empty_like(nxt)
    prv[nxt] = np.arange(cyc.size)
    e1 = V[cyc] - V[cyc[prv]]
    e2 = V[cyc[nxt]] - V[cyc]
    turn = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    assert turn.min() >= -1e-12, "a face is not convex"
    directed = {(int(u), int(w)) for u, w in zip(cyc, cyc[nxt])}
    assert len(directed) == cyc.size, "a directed edge belongs to two faces"
    A, b = sub.domain.A, sub.domain.b
    for u, w in directed - {(w, u) for u, w in directed}:
        mid = (V[u] + V[w]) / 2
        gap = np.abs(b - A @ mid) / np.linalg.norm(A, axis=1)
        assert gap.min() < 1e-12, "an interior edge has one face"


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), hidden=st.lists(st.integers(1, 12), min_size=1, max_size=3),
       activation=st.sampled_from(["relu", "leaky_relu"]))
def test_faces_tile_the_domain_and_carry_the_patterns(seed, hidden, activation):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, hidden, 2, activation=activation)
    box = rl.Box([-2.0, -1.5], [2.0, 2.5])
    sub = planar_regions(net, box)
    check_structure(sub, 16.0)
    assert len({row.tobytes() for row in np.packbits(sub.bits, axis=1)}) == len(sub), "two faces share a pattern"
    check_against_points(net, sub, box.sample(100_000, rng=rng))
    # each face's interior point has the face's pattern
    ip = sub.interior_points()
    assert np.array_equal(activation_bits(net, sub.to_input(ip)), sub.bits)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), hidden=st.lists(st.integers(1, 6), min_size=1, max_size=2),
       activation=st.sampled_from(["relu", "leaky_relu"]))
def test_count_and_patterns_equal_marching(seed, hidden, activation):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, hidden, 2, activation=activation)
    box = rl.Box([-2.0, -2.0], [2.0, 2.0])
    marched = {r.pattern.to_bits(net).tobytes() for r in rl.regions(net, box, method="march")}
    sub = planar_regions(net, box)
    assert {row.astype(np.int8).tobytes() for row in sub.bits} == marched


def test_rl_regions_uses_the_subdivision_for_two_inputs():
    rng = np.random.default_rng(7)
    net = random_network(rng, 2, [5, 4], 2)
    box = rl.Box([-1.0, -1.0], [1.0, 1.0])
    planar = list(rl.regions(net, box))
    marched = list(rl.regions(net, box, method="march"))
    assert {r.pattern for r in planar} == {r.pattern for r in marched}
    assert all(isinstance(r, rl.Region) for r in planar)
    for r in planar[:5]:
        c = r.chebyshev_center().center
        assert r.pattern == rl.pattern(net, c)


def _hand_counted_network():
    # x = 0, y = 0 and x + y = 0.5 cut [-1, 1]^2 into 7 regions; the second layer copies the
    # first (identity weights, zero bias), so its pre-activations are exactly 0 on large areas
    # (the sweep's exact-zero path) and it adds no region.
    return rl.Network([
        rl.Dense([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -0.5], "relu"),
        rl.Dense(np.eye(3), np.zeros(3), "relu"),
        rl.Dense(np.ones((1, 3)), [0.0]),
    ])


def test_hand_counted_lines():
    net = _hand_counted_network()
    box = rl.Box([-1.0, -1.0], [1.0, 1.0])
    sub = planar_regions(net, box)
    assert len(sub) == 7
    check_structure(sub, 4.0)
    check_against_points(net, sub, box.sample(20_000, rng=0))
    assert np.array_equal(sub.bits[:, :3], sub.bits[:, 3:])


def test_zero_biases_give_exact_zeros_at_vertices():
    # Every first-layer line passes through the origin, which becomes a vertex where later
    # neurons are exactly zero; compare with the patterns seen on a dense grid.
    rng = np.random.default_rng(3)
    base = random_network(rng, 2, [6, 6], 2)
    net = rl.Network([rl.Dense(L.weight, np.zeros_like(L.bias), L.activation, L.alpha) for L in base.layers])
    box = rl.Box([-1.0, -1.0], [1.0, 1.0])
    sub = planar_regions(net, box)
    check_structure(sub, 4.0)
    check_against_points(net, sub, box.sample(50_000, rng=1))
    g = np.linspace(-1, 1, 600)  # avoids the origin, where every neuron is exactly 0
    grid = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    assert {r.tobytes() for r in np.packbits(activation_bits(net, grid), axis=1)} == set(sub._face_by_key)


def test_identity_hidden_layer_and_relu_output():
    rng = np.random.default_rng(5)
    net = rl.Network([
        rl.Dense(rng.normal(size=(5, 2)), rng.normal(size=5), "relu"),
        rl.Dense(rng.normal(size=(4, 5)), rng.normal(size=4), "identity"),
        rl.Dense(rng.normal(size=(3, 4)), rng.normal(size=3), "leaky_relu", 0.2),
    ])
    box = rl.Box([-1.0, -1.0], [1.0, 1.0])
    sub = planar_regions(net, box)
    assert sub.bits.shape == (len(sub), 8)
    check_structure(sub, 4.0)
    check_against_points(net, sub, box.sample(20_000, rng=0))
    assert len(sub) == len(list(rl.regions(net, box, method="march")))


def test_equal_counts_to_regioncam():
    regioncam = pytest.importorskip("regioncam")
    for seed, widths in [(0, [32, 32, 32]), (1, [16, 16]), (2, [24, 24, 24]), (3, [8] * 5)]:
        rng = np.random.default_rng(seed)
        dims = [2, *widths, 1]
        layers = []
        rc = regioncam.Regioncam(1.0)  # the square [-1, 1]^2
        for i, (a, b) in enumerate(zip(dims, dims[1:])):
            W = rng.normal(scale=np.sqrt(2 / a), size=(b, a)).astype(np.float32)  # regioncam is float32
            c = rng.normal(scale=0.1, size=b).astype(np.float32)
            act = "relu" if i < len(dims) - 2 else "identity"
            layers.append(rl.Dense(W, c, act))
            rc.linear(np.ascontiguousarray(W.T), c)
            if act == "relu":
                rc.relu()
        sub = planar_regions(rl.Network(layers), rl.Box([-1.0, -1.0], [1.0, 1.0]))
        assert len(sub) == rc.num_faces, widths


def test_plane_slice_of_a_four_input_network():
    rng = np.random.default_rng(11)
    net = random_network(rng, 4, [10, 8], 3)
    x0, x1, x2 = rng.normal(size=(3, 4))
    domain = rl.Box([-1.0, -1.0], [2.0, 2.0])
    sub = planar_regions(net, domain, plane=(x0, x1, x2))
    check_structure(sub, 9.0)
    P = domain.sample(50_000, rng=rng)
    assert np.allclose(sub.to_input(P), x0 + P[:, :1] * (x1 - x0) + P[:, 1:] * (x2 - x0))
    check_against_points(net, sub, P)
    default = planar_regions(net, plane=(x0, x1, x2))  # the unit square of the plane
    assert abs(default.area().sum() - 1.0) < 1e-12


def test_plane_through_the_axes_is_the_plain_map():
    rng = np.random.default_rng(2)
    net = random_network(rng, 2, [7, 7], 2)
    box = rl.Box([-1.0, -1.0], [1.0, 1.0])
    plain = planar_regions(net, box)
    sliced = planar_regions(net, box, plane=([0.0, 0.0], [1.0, 0.0], [0.0, 1.0]))
    assert {r.tobytes() for r in plain.bits} == {r.tobytes() for r in sliced.bits}


def test_general_polygon_domain_and_docstring_example():
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense(np.ones((1, 2)), np.zeros(1))])
    tri = rl.Polyhedron([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 1.0])  # corners (-1,-1), (2,-1), (-1,2)
    sub = planar_regions(net, tri)
    assert len(sub) == 4
    check_structure(sub, 4.5)
    polys = sub.polygons(input_space=True)
    assert len(polys) == 4 and all(p.shape[1] == 2 for p in polys)


def test_max_regions_stops_with_a_warning():
    rng = np.random.default_rng(0)
    net = random_network(rng, 2, [10, 10], 2)
    box = rl.Box([-1.0, -1.0], [1.0, 1.0])
    with pytest.warns(IncompleteEnumerationWarning, match="max_regions=5"):
        sub = planar_regions(net, box, max_regions=5)
    assert not sub.complete and len(sub) > 5
    assert abs(sub.area().sum() - 4.0) < 1e-9
    assert np.array_equal(sub.bits, activation_bits(net, sub.interior_points()))
    with pytest.warns(IncompleteEnumerationWarning, match="incomplete"):
        assert len(list(rl.regions(net, box, max_regions=5))) == 5


def test_face_by_face_cutting_gives_the_same_subdivision(monkeypatch):
    # The careful path (used where rounding breaks the single-run rule, rare) agrees with the
    # vectorised one on every face where both apply.
    from relucid.regions import planar

    rng = np.random.default_rng(4)
    net = random_network(rng, 2, [8, 8], 2, activation="leaky_relu")
    box = rl.Box([-1.0, -1.0], [1.0, 1.0])
    fast = planar_regions(net, box)

    def careful(lv2, lpe2, r, isA, isB, fi2, n):
        lens2 = np.bincount(fi2, minlength=n)
        return planar._halves_careful(lv2, lpe2, np.where(r, 1.0, -1.0), np.cumsum(lens2) - lens2, lens2)

    monkeypatch.setattr(planar, "_halves_vectorised", careful)
    slow = planar_regions(net, box)
    check_structure(slow, 4.0)
    key = lambda sub: sorted(zip(map(bytes, np.packbits(sub.bits, axis=1)), np.round(sub.area(), 12)))  # noqa: E731
    assert key(slow) == key(fast)


def test_cut_at_the_dominant_run():
    # two runs of positive values (rounding); the run holding 2.0 is kept
    on, off = _cut_at_dominant_run(np.array([1e-17, -1.0, 2.0, 0.0, -3.0, 0.0]))
    assert on.tolist() == [1, 2, 3] and off.tolist() == [3, 4, 5, 0, 1]
    assert _cut_at_dominant_run(np.array([1.0, 0.0, 2.0])) is None  # an off half of two corners


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda net, net4: planar_regions(net, rl.Polyhedron([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0])),
         InvalidValueError, "bounded"),
        (lambda net, net4: planar_regions(net4, rl.Box([-1, -1], [1, 1])), ShapeError, "4 inputs"),
        (lambda net, net4: planar_regions(net, rl.Box(-1, 1, dim=3)), ShapeError, "dimension 3"),
        (lambda net, net4: planar_regions(net), InvalidValueError, "domain"),
        (lambda net, net4: planar_regions(net4, plane=(np.zeros(4), np.ones(4), 2 * np.ones(4))),
         InvalidValueError, "one line"),
        (lambda net, net4: planar_regions(net4, plane=(np.zeros(3), np.ones(4), np.eye(4)[0])), ShapeError, "length 3"),
        (lambda net, net4: planar_regions(
            rl.Network([rl.Dense(np.eye(2), np.zeros(2), "tanh")]), rl.Box([-1, -1], [1, 1])),
         InvalidValueError, "tanh"),
        (lambda net, net4: list(rl.regions(net4, rl.Box(-1, 1, dim=4), method="planar")),
         InvalidValueError, "2 inputs"),
        (lambda net, net4: list(rl.regions(net, rl.Box(-1, 1, dim=2), method="fast")), InvalidValueError, "method"),
    ],
)
def test_bad_inputs_name_the_cause(call, error, match):
    rng = np.random.default_rng(0)
    net, net4 = random_network(rng, 2, [3], 1), random_network(rng, 4, [3], 1)
    with pytest.raises(error, match=match):
        call(net, net4)


def test_empty_interior_domain_has_no_faces():
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sub = planar_regions(net, rl.Box([0.0, 0.0], [1.0, 0.0]))
    assert len(sub) == 0 and sub.bits.shape == (0, 2)


def test_marching_does_not_count_unrealised_patterns():
    """A neuron identically zero on a region: only its "off" pattern is real (z = 0 is off).

    Marching used to report the closed "on" twin of such regions too (22 instead of 7 here).
    """
    net = _hand_counted_network()
    marched = list(rl.regions(net, rl.Box([-1, -1], [1, 1]), method="march"))
    assert len(marched) == len(planar_regions(net, rl.Box([-1, -1], [1, 1]))) == 7
