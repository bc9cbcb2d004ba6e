"""Pre-activation bounds (interval and DeepPoly) against sampling, and their promised orderings.

On random small networks (relu, leaky_relu, identity, sigmoid and tanh layers;
2–6 inputs; 1–3 hidden layers of at most 16 neurons), random boxes and random
polyhedra (a box cut by random halfspaces, never empty), with and without
random partial patterns:

* every sampled pre-activation of an input that follows the pattern (on:
  ``z > 0``, off: ``z <= 0``) lies within the bounds;
* DeepPoly bounds lie inside interval bounds (DeepPoly is intersected with
  them);
* a pattern never loosens a bound;
* a pattern no input can follow, when the bounds detect it, gives
  ``(+inf, -inf)`` on every layer.

Tolerance of the sampling checks: ``1e-9 * (1 + |v|)``. The bounds are
computed in float64 with another order of operations than the forward pass
and without outward rounding, so a bound may miss a value the forward pass
attains by a few ulps; polyhedral DeepPoly bounds also come from LPs solved
to HiGHS' tolerances. Anything larger is a real escape.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relucid as rl
from relucid.bounds import deeppoly_bounds, interval_bounds, pattern_phases
from relucid.errors import InvalidValueError, ShapeError

N_SAMPLES = 10_000
ACTIVATIONS = ("relu", "leaky_relu", "identity", "sigmoid", "tanh")


def rel_tol(v):
    return 1e-9 * (1.0 + np.abs(v))


# -- random cases --------------------------------------------------------------------------------
def random_net(rng, *, activations=ACTIVATIONS, alphas=(0.01, 0.1, 0.5)) -> rl.Network:
    """2–6 inputs, 1–3 hidden layers of 2–16 neurons (activation drawn per layer), identity output."""
    n_in = int(rng.integers(2, 7))
    dims = [n_in] + [int(rng.integers(2, 17)) for _ in range(int(rng.integers(1, 4)))] + [int(rng.integers(1, 5))]
    layers = []
    for k, (a, m) in enumerate(zip(dims, dims[1:])):
        act = "identity" if k == len(dims) - 2 else str(rng.choice(activations))
        alpha = float(rng.choice(alphas)) if act == "leaky_relu" else None
        layers.append(rl.Dense(rng.normal(scale=1.5 / np.sqrt(a), size=(m, a)), rng.normal(scale=0.5, size=m), act, alpha))
    return rl.Network(layers)


def random_box(rng, n: int) -> rl.Box:
    c = rng.normal(size=n)
    half = 10.0 ** rng.uniform(-2, 0.5) * rng.uniform(0.2, 1.0, n)
    return rl.Box(c - half, c + half)


def random_polyhedron(rng, box: rl.Box) -> tuple[rl.Polyhedron, np.ndarray]:
    """``box`` cut by 1–4 random halfspaces, each keeping a random point of the box (so never empty)."""
    n = box.dim
    p = box.lo + (box.hi - box.lo) * rng.random(n)
    k = int(rng.integers(1, 5))
    A = rng.normal(size=(k, n))
    b = A @ p + rng.uniform(0, 0.5, k) * (np.abs(A) @ (box.hi - box.lo))
    return rl.Polyhedron(np.vstack([box.A, A]), np.concatenate([box.b, b])), p


def sample_in(rng, box: rl.Box, poly: rl.Polyhedron | None, n: int = N_SAMPLES) -> np.ndarray:
    """Uniform samples of the box, the box's corners and centre; for a polyhedron those inside it (exactly)."""
    d = box.dim
    corners = np.stack(np.meshgrid(*zip(box.lo, box.hi), indexing="ij"), axis=-1).reshape(-1, d)
    X = np.vstack([box.lo + (box.hi - box.lo) * rng.random((n, d)), corners, box.center[None]])
    if poly is not None:
        X = X[(X @ poly.A.T <= poly.b).all(axis=1)]
    return X


def random_pattern(rng, net: rl.Network, x, frac: float) -> rl.Pattern:
    """Fix about ``frac`` of the relu/leaky_relu neurons to their phases at ``x``."""
    pre = net.preactivations(x)
    on, off = set(), set()
    for k in net.pattern_layers:
        for j in range(net.layers[k].out_dim):
            if rng.random() < frac:
                (on if pre[k][j] > 0 else off).add((k, j))
    return rl.Pattern(on=frozenset(on), off=frozenset(off))


def follows(net, X, pattern) -> np.ndarray:
    ok = np.ones(X.shape[0], dtype=bool)
    if pattern is None:
        return ok
    pre = net.preactivations(X)
    for k, j in pattern.on:
        ok &= pre[k][:, j] > 0
    for k, j in pattern.off:
        ok &= pre[k][:, j] <= 0
    return ok


def assert_contains(B, pre, what: str) -> None:
    for k, ((L, U), Z) in enumerate(zip(B, pre)):
        assert L.shape == U.shape == (Z.shape[1],)
        below = Z < L - rel_tol(Z)
        above = Z > U + rel_tol(Z)
        if below.any() or above.any():
            i, j = np.argwhere(below | above)[0]
            pytest.fail(f"{what}: layer {k} neuron {j}: sampled {Z[i, j]!r} outside [{L[j]!r}, {U[j]!r}]")


def assert_inside(inner, outer, what: str, tol: float = 0.0) -> None:
    """``inner`` bounds lie within ``outer`` bounds, layer by layer."""
    for k, ((Li, Ui), (Lo, Uo)) in enumerate(zip(inner, outer)):
        slack = tol * (1 + np.abs(Lo)), tol * (1 + np.abs(Uo))
        assert (Li >= Lo - slack[0]).all(), f"{what}: layer {k}: lower {Li} below {Lo}"
        assert (Ui <= Uo + slack[1]).all(), f"{what}: layer {k}: upper {Ui} above {Uo}"


def check_case(seed: int, *, polyhedral: bool, with_pattern: bool, alphas=(0.01, 0.1, 0.5)) -> int:
    """Run every check on one random case; return the number of samples that follow the pattern."""
    rng = np.random.default_rng(seed)
    net = random_net(rng, alphas=alphas)
    box = random_box(rng, net.input_dim)
    poly, inside = random_polyhedron(rng, box) if polyhedral else (None, box.center)
    input_set = poly if polyhedral else box
    pattern = random_pattern(rng, net, inside, rng.uniform(0.1, 0.6)) if with_pattern else None
    X = sample_in(rng, box, poly)
    if polyhedral:
        X = np.vstack([X, inside[None]])
    X = X[follows(net, X, pattern)]
    assert X.shape[0] >= 1  # `inside` follows the pattern by construction
    pre = net.preactivations(X)
    what = f"seed {seed} ({'polyhedron' if polyhedral else 'box'}, pattern {pattern})"

    dp = rl.bounds(net, input_set, pattern=pattern)
    iv = rl.bounds(net, input_set, method="interval", pattern=pattern)
    assert_contains(dp, pre, "deeppoly " + what)
    assert_contains(iv, pre, "interval " + what)
    assert_inside(dp, iv, "deeppoly inside interval " + what)
    if pattern is not None:
        for method in ("deeppoly", "interval"):
            free = rl.bounds(net, input_set, method=method)
            assert_inside(rl.bounds(net, input_set, method=method, pattern=pattern), free,
                          f"{method}: pattern never loosens, {what}")
    return X.shape[0]


# -- the sampling floor ------------------------------------------------------------------------
@pytest.mark.parametrize("with_pattern", [False, True], ids=["no-pattern", "pattern"])
@pytest.mark.parametrize("seed", range(12))
def test_box_bounds_contain_samples(seed, with_pattern):
    check_case(1000 + seed, polyhedral=False, with_pattern=with_pattern)


@pytest.mark.parametrize("with_pattern", [False, True], ids=["no-pattern", "pattern"])
@pytest.mark.parametrize("seed", range(8))
def test_polyhedron_bounds_contain_samples(seed, with_pattern):
    check_case(2000 + seed, polyhedral=True, with_pattern=with_pattern)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), polyhedral=st.booleans(), with_pattern=st.booleans())
def test_bounds_contain_samples_hypothesis(seed, polyhedral, with_pattern):
    check_case(seed, polyhedral=polyhedral, with_pattern=with_pattern)


@pytest.mark.parametrize("alpha", [-0.5, -0.2, 1.5, 3.0])
@pytest.mark.parametrize("seed", range(4))
def test_leaky_relu_slopes_outside_0_1(seed, alpha):
    # Dense accepts any finite slope (the Marabou backend encodes them all); leaky_relu is then
    # not monotone (alpha < 0) or concave rather than convex (alpha > 1).
    check_case(3000 + seed, polyhedral=bool(seed % 2), with_pattern=bool(seed // 2), alphas=(alpha,))


def test_leaky_relu_negative_slope_by_hand():
    # y = leaky_relu(x, -0.2) over [-1, 1] takes every value in [0, 1] (y(0) = 0, y(-1) = 0.2)
    net = rl.Network([rl.Dense([[1.0]], [0.0], "leaky_relu", -0.2), rl.Dense([[1.0]], [0.0])])
    for method in ("interval", "deeppoly"):
        (L0, U0), (L1, U1) = rl.bounds(net, rl.Box([-1.0], [1.0]), method=method)
        assert (L0[0], U0[0]) == (-1.0, 1.0)
        assert L1[0] <= 0.0 and U1[0] >= 1.0, (method, L1, U1)


def test_leaky_relu_slope_above_one_by_hand():
    # a = leaky_relu(x, 1.5) is concave: the chord through (-1, -1.5) and (1, 1) lies *below* it.
    # y = a - 1.25 x is 0 at x = 0 but the chord as an upper line gives y <= -0.25.
    net = rl.Network([rl.Dense([[1.0], [1.0]], [0.0, 2.0], "leaky_relu", 1.5), rl.Dense([[1.0, -1.25]], [2.5])])
    assert net([0.0])[0] == 0.0
    (_, _), (L1, U1) = rl.bounds(net, rl.Box([-1.0], [1.0]))
    assert L1[0] <= -0.25 and U1[0] >= 0.0, (L1, U1)


# -- orderings on their own --------------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_batched_cores_agree_with_bounds(seed):
    # the batched cores on one box give what bounds() gives, and DeepPoly <= interval there too
    rng = np.random.default_rng(seed)
    net = random_net(rng)
    box = random_box(rng, net.input_dim)
    pattern = random_pattern(rng, net, box.center, 0.3)
    phases = pattern_phases(net, pattern)
    iv, bad_iv = interval_bounds(net, box.lo[None], box.hi[None], phases)
    dp = deeppoly_bounds(net, box.lo[None], box.hi[None], phases)
    assert not bad_iv[0] and not dp.infeasible[0]  # the centre follows the pattern
    # bounds() with a pattern is the batched core's result intersected with the pattern-free bounds
    free = deeppoly_bounds(net, box.lo[None], box.hi[None], {}).layers
    for (Li, Ui), (Ld, Ud), (Lf, Uf), (L, U) in zip(iv, dp.layers, free, rl.bounds(net, box, pattern=pattern)):
        np.testing.assert_array_equal(np.maximum(Ld[0], Lf[0]), L)
        np.testing.assert_array_equal(np.minimum(Ud[0], Uf[0]), U)
        assert (Ld >= Li).all() and (Ud <= Ui).all()


def test_fixed_phases_never_loosen():
    # Every pattern of a chain p1 <= p2 <= p3 gives bounds inside the pattern-free ones (the
    # documented guarantee). Monotonicity *along* the chain is not promised: DeepPoly minimises
    # its linear bounds over the whole box, where a fixed phase need not hold, so fixing one more
    # neuron can move the minimiser and loosen another bound slightly.
    rng = np.random.default_rng(5)
    for _ in range(10):
        net = random_net(rng, activations=("relu", "leaky_relu"))
        box = random_box(rng, net.input_dim)
        full = random_pattern(rng, net, box.center, 1.0)
        names = sorted(full.fixed)
        rng.shuffle(names)
        free = rl.bounds(net, box)
        for m in np.linspace(0, len(names), 4).astype(int)[1:]:
            part = rl.Pattern.from_dict({n: full.phase(n) for n in names[:m]})
            cur = rl.bounds(net, box, pattern=part)
            assert_inside(cur, free, f"{m} of {len(names)} fixed")


# -- infeasible patterns -----------------------------------------------------------------------
def assert_empty(B, net):
    assert len(B) == len(net.layers)
    for (L, U), layer in zip(B, net.layers):
        assert L.shape == U.shape == (layer.out_dim,)
        assert (L == np.inf).all() and (U == -np.inf).all()


@pytest.mark.parametrize("method", ["deeppoly", "interval"])
def test_pattern_no_input_follows_gives_empty_bounds(method):
    # z0 = x - 2 < 0 on [0, 1]: fixing it on is impossible
    net = rl.Network([rl.Dense([[1.0], [1.0]], [-2.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    assert_empty(rl.bounds(net, rl.Box([0.0], [1.0]), method=method, pattern=rl.Pattern(on={(0, 0)})), net)
    # deeper: a = relu(x) <= 1, so z = a - 1.5 is never > 0
    net = rl.Network([rl.Dense([[1.0]], [0.0], "relu"), rl.Dense([[1.0]], [-1.5], "relu"), rl.Dense([[1.0]], [0.0])])
    box = rl.Box([-1.0], [1.0])
    assert_empty(rl.bounds(net, box, method=method, pattern=rl.Pattern(on={(1, 0)})), net)
    assert not np.isinf(rl.bounds(net, box, method=method, pattern=rl.Pattern(off={(1, 0)}))[1][0]).any()
    # an empty polyhedron
    empty = rl.Polyhedron([[1.0], [-1.0]], [-1.0, 0.0])
    assert_empty(rl.bounds(net, empty, method=method), net)


def test_random_impossible_patterns_give_empty_bounds():
    # fix on a neuron whose interval upper bound is negative: every method must say "empty"
    rng = np.random.default_rng(11)
    found = 0
    for _ in range(60):
        net = random_net(rng, activations=("relu", "leaky_relu"))
        box = random_box(rng, net.input_dim)
        iv = rl.bounds(net, box, method="interval")
        dead = [(k, j) for k in net.pattern_layers for j in np.flatnonzero(iv[k][1] < 0)]
        if not dead:
            continue
        found += 1
        k, j = dead[int(rng.integers(len(dead)))]
        pattern = rl.Pattern(on={(k, int(j))})
        for method in ("deeppoly", "interval"):
            assert_empty(rl.bounds(net, box, method=method, pattern=pattern), net)
    assert found >= 5


# -- the documented example and refusals ------------------------------------------------------
def test_docstring_example():
    net = rl.Network([rl.Dense([[1.0, -1.0]], [0.0], "relu"), rl.Dense([[2.0]], [1.0])])
    got = [(float(l[0]), float(u[0])) for l, u in rl.bounds(net, rl.Box([0, 0], [1, 1]))]
    assert got == [(-1.0, 1.0), (1.0, 3.0)]
    assert [(float(l[0]), float(u[0])) for l, u in rl.bounds(net, rl.Box([0, 0], [1, 1]), method="interval")] == got


def test_refusals():
    net = rl.Network([rl.Dense([[1.0, -1.0]], [0.0], "relu"), rl.Dense([[2.0]], [1.0])])
    with pytest.raises(InvalidValueError, match="method must be one of"):
        rl.bounds(net, rl.Box([0, 0], [1, 1]), method="crown")
    with pytest.raises(ShapeError, match="dimension 3 but the network has 2 inputs"):
        rl.bounds(net, rl.Box([0, 0, 0], [1, 1, 1]))
    with pytest.raises(InvalidValueError, match="unbounded"):
        rl.bounds(net, rl.Polyhedron([[1.0, 0.0]], [1.0]))
    with pytest.raises(InvalidValueError, match="Pattern"):
        rl.bounds(net, rl.Box([0, 0], [1, 1]), pattern={(0, 0): True})


# -- alpha-CROWN slope optimisation of a spec ------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_optimised_spec_bound_is_sound_and_never_worse(seed):
    # optimize=k tunes lower-line slopes; every iterate is a valid bound, so the result must lie
    # between the plain CROWN bound and the sampled minimum of S y + s (tolerance as above).
    rng = np.random.default_rng(seed)
    net = random_net(rng, activations=("relu", "leaky_relu"))
    B = 3
    boxes = [random_box(rng, net.input_dim) for _ in range(B)]
    lo, hi = np.array([b.lo for b in boxes]), np.array([b.hi for b in boxes])
    S = rng.normal(size=(2, net.output_dim))
    s = rng.normal(size=2)
    plain = deeppoly_bounds(net, lo, hi, spec=(S, s))
    tuned = deeppoly_bounds(net, lo, hi, spec=(S, s), optimize=8)
    assert (tuned.spec_lower >= plain.spec_lower).all()
    for i, box in enumerate(boxes):
        X = np.vstack([rng.uniform(box.lo, box.hi, size=(20_000, net.input_dim)), box.lo, box.hi])
        sampled_min = (net(X) @ S.T + s).min(axis=0)
        assert (tuned.spec_lower[i] <= sampled_min + 1e-9 * (1 + np.abs(sampled_min))).all()
        # the returned linear function is a lower bound too: coef @ x + const <= S y + s at every sample
        lin = X @ tuned.spec_coef[i].T + tuned.spec_const[i]
        assert (lin <= net(X) @ S.T + s + 1e-9 * (1 + np.abs(lin))).all()
