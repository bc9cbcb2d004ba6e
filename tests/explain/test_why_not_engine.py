"""why_not(method="engine"), the method choice, and the segment walk: checked by hand and by brute force.

Independent evidence, none of it the code under test:
- the true minimal distance to the target class on 2-D networks: every region
  of the domain (``rl.regions``, planar subdivision), the target's polytope in
  each, and its distance to ``x`` by scipy's ``linprog`` (L∞ and L1);
- the march on the same inputs (its point is an input of the target class, so
  the global minimum is no farther);
- the segment walk against dense sampling of activation patterns along the
  segment;
- every point is re-run through a float64 forward pass here.
"""

import json
import math
import time

import numpy as np
import pytest
from scipy.optimize import linprog

import relucid as rl
from relucid.cli import main
from relucid.errors import InvalidValueError
from relucid.explain import walk_segment, why_not
from relucid.explain.counterfactual import MARCH_MAX_INPUTS, MARCH_MAX_NEURONS
from relucid.explain.segment import first_win
from relucid.regions import activation_bits, neuron_names
from nets import random_network


def tiny_net():
    """y0 = relu(a), y1 = relu(b): class 1 wins where b > max(a, 0)."""
    return rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"), rl.Dense(np.eye(2), [0.0, 0.0])])


def box(n, r=2.0):
    return rl.Box(-r * np.ones(n), r * np.ones(n))


def wins_strictly(net, p, t):
    y = net(p)
    return bool(y[t] > np.delete(y, t).max())


def check_answer(e, net, x, t, domain):
    """What holds for every engine answer that found a point."""
    assert e.search == "engine" and e.found and e.confirmed
    assert wins_strictly(net, e.point, t), "the point must get the target in a float64 forward pass"
    assert domain is None or domain.contains(e.point, tol=1e-9)
    d = np.max(np.abs(e.point - x)) if e.norm == "inf" else np.sum(np.abs(e.point - x))
    assert e.distance == pytest.approx(d, abs=1e-12)
    assert 0.0 <= e.distance_lower_bound <= e.distance + 1e-12
    assert e.minimal_proved == (e.distance - e.distance_lower_bound <= e.gap_tol)
    assert e.exact_distance is None or e.exact_distance <= e.distance + 1e-12
    assert e.segment_regions == len({s for s, _, _ in e.segment_flips}) + 1
    assert e.hamming <= e.steps == len(e.segment_flips)


# -- by hand ---------------------------------------------------------------------

def test_engine_by_hand_linf_and_l1():
    net, dom = tiny_net(), rl.Box([-3, -3], [3, 3])
    # x = (2, 1): the nearest point of {b >= a} in L-inf is (1.5, 1.5), distance 0.5
    e = why_not(net, [2.0, 1.0], 1, domain=dom, method="engine")
    check_answer(e, net, np.array([2.0, 1.0]), 1, dom)
    assert e.status == "found" and e.minimal_proved
    assert e.distance_lower_bound <= 0.5 <= e.distance <= 0.5 + e.gap_tol
    assert e.gap_tol == pytest.approx(max(1e-3 * e.distance, 1e-4))
    # x = (2, -1): the target needs b > 0 and b > a. L-inf: (0.5, 0.5), distance 1.5; L1: 3 (e.g. to (0, 0+))
    x = np.array([2.0, -1.0])
    e = why_not(net, x, 1, domain=dom, method="engine")
    check_answer(e, net, x, 1, dom)
    assert e.minimal_proved and e.distance_lower_bound <= 1.5 <= e.distance <= 1.5 + e.gap_tol
    assert e.flipped == ((0, 1),) and e.segment_regions >= 2
    e = why_not(net, x, 1, domain=dom, method="engine", norm="1")
    check_answer(e, net, x, 1, dom)
    assert e.method == "MILP (L1 objective)" and 3.0 <= e.distance <= 3.0 + e.gap_tol
    # Proofs are over the closure y1 >= y0, which holds on the whole quadrant a, b <= 0 (both scores 0: a tie
    # everywhere, never a win), at L1 distance 2: so the bound is 2, honestly not 3, and minimality is not claimed.
    assert e.distance_lower_bound == pytest.approx(2.0, abs=1e-5) and not e.minimal_proved
    x = np.array([2.0, 1.0])  # L1: to (1.5, 1.5), distance 1; no tie region is nearer
    e = why_not(net, x, 1, domain=dom, method="engine", norm="1")
    check_answer(e, net, x, 1, dom)
    assert e.minimal_proved and e.distance_lower_bound <= 1.0 + 1e-6 and 1.0 <= e.distance <= 1.0 + e.gap_tol


def test_engine_without_domain_and_with_a_polyhedral_domain():
    net = tiny_net()
    e = why_not(net, [2.0, 1.0], 1, method="engine")
    check_answer(e, net, np.array([2.0, 1.0]), 1, None)
    assert e.minimal_proved and e.distance == pytest.approx(0.5, abs=2e-4)
    # a triangle a + b <= 3.5, a >= -1, b >= -1 around x = (2, 1): (1.5, 1.5) is on its edge a + b = 3 < 3.5
    tri = rl.Polyhedron([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], [3.5, 1.0, 1.0])
    e = why_not(net, [2.0, 1.0], 1, method="engine", domain=tri)
    check_answer(e, net, np.array([2.0, 1.0]), 1, tri)
    assert e.minimal_proved and e.distance == pytest.approx(0.5, abs=2e-4)


def test_engine_proves_when_no_input_of_the_domain_gets_the_target():
    # y1 = -1 everywhere: class 1 never wins
    net = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0], [0.0, 0.0]], [0.0, -1.0])])
    e = why_not(net, [0.5, 0.5], 1, domain=box(2), method="engine")
    assert e.status == "exhausted" and not e.found and e.point is None
    assert "proved: no input of the domain gets it" in e.text
    d = json.loads(json.dumps(e.to_dict(), allow_nan=False))
    assert d["status"] == "exhausted" and d["search"] == "engine" and d["point"] is None


def test_engine_when_x_ties_with_the_target():
    e = why_not(tiny_net(), [1.0, 1.0], 1, domain=box(2), method="engine")
    assert e.distance == 0.0 and e.minimal_proved and e.confirmed and np.array_equal(e.point, [1.0, 1.0])


# -- against brute force -----------------------------------------------------------

def target_polytope(reg, t):
    W, c = reg.affine
    others = [j for j in range(W.shape[0]) if j != t]
    return reg.polyhedron.with_rows(W[others] - W[t], c[t] - c[others])


def lp_distance(P, x, norm):
    """min ||z - x|| over P (L-inf or L1) by scipy's linprog; inf when P is empty."""
    n, A, b = x.size, P.A, P.b
    eye = np.eye(n)
    if norm == "inf":
        A_ub = np.vstack([np.hstack([A, np.zeros((A.shape[0], 1))]), np.hstack([eye, -np.ones((n, 1))]),
                          np.hstack([-eye, -np.ones((n, 1))])])
        c = np.r_[np.zeros(n), 1.0]
        bounds = [(None, None)] * n + [(0, None)]
    else:
        A_ub = np.vstack([np.hstack([A, np.zeros_like(A)]), np.hstack([eye, -eye]), np.hstack([-eye, -eye])])
        c = np.r_[np.zeros(n), np.ones(n)]
        bounds = [(None, None)] * n + [(0, None)] * n
    res = linprog(c, A_ub=A_ub, b_ub=np.r_[b, x, -x], bounds=bounds, method="highs")
    return res.fun if res.status == 0 else math.inf


def true_min_distance(net, x, t, dom, norm):
    """(min over every region's closed target polytope, min over those with an interior)."""
    d_all = d_int = math.inf
    for reg in rl.regions(net, dom):
        P = target_polytope(reg, t)
        d = lp_distance(P, x, norm)
        d_all = min(d_all, d)
        ball = P.chebyshev_center()
        if ball.center is not None and ball.radius > 1e-9:
            d_int = min(d_int, d)
    return d_all, d_int


CASES = [(seed, norm) for seed in range(8) for norm in ("inf", "1")]


@pytest.mark.parametrize("seed, norm", CASES)
def test_engine_distance_is_the_true_minimum_on_2d_nets(seed, norm):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, [6, 5], 3, activation="relu" if seed % 2 else "leaky_relu", alpha=0.1)
    x = rng.uniform(-1.0, 1.0, size=2)
    dom = box(2)
    y = net(x)
    t = int(np.argsort(y)[-2])  # the runner-up class
    e = why_not(net, x, t, domain=dom, method="engine", norm=norm, timeout=30)
    d_all, d_int = true_min_distance(net, x, t, dom, norm)
    if not math.isfinite(d_int):
        assert not e.found and e.status == "exhausted"
        return
    check_answer(e, net, x, t, dom)
    assert e.distance >= d_all - 1e-7, "no input of the target class is nearer than the true minimum"
    assert e.distance_lower_bound <= d_int + 1e-6, "the lower bound must not exceed the true minimum"
    assert e.minimal_proved, "small networks: the gap closes well within the time limit"
    assert e.distance <= d_int + e.gap_tol + 1e-7
    # the march's point is an input of the target class too: the minimum is no farther
    m = why_not(net, x, t, domain=dom, method="march", norm=norm, timeout=None)
    assert m.search == "march" and m.found
    assert e.distance <= m.distance + e.gap_tol + 1e-7
    assert e.distance_lower_bound <= m.exact_distance + 1e-7


# -- the method choice and its errors ------------------------------------------------

def test_auto_picks_march_for_small_networks_and_l2_and_engine_otherwise():
    rng = np.random.default_rng(0)
    small = random_network(rng, 2, [8, 8], 3)
    x = np.array([0.3, -0.2])
    t = int(np.argsort(small(x))[-2])
    assert why_not(small, x, t, domain=box(2)).search == "march"
    wide = random_network(rng, MARCH_MAX_INPUTS + 1, [10], 3)
    xw = rng.uniform(-0.5, 0.5, size=MARCH_MAX_INPUTS + 1)
    tw = int(np.argsort(wide(xw))[-2])
    e = why_not(wide, xw, tw, domain=box(MARCH_MAX_INPUTS + 1), timeout=20)
    assert e.search == "engine"
    deep = random_network(rng, 2, [MARCH_MAX_NEURONS // 2 + 1] * 2, 3)
    td = int(np.argsort(deep(x))[-2])
    assert why_not(deep, x, td, domain=box(2), timeout=20).search == "engine"
    assert why_not(deep, x, td, domain=box(2), norm="2", timeout=5).search == "march"
    assert why_not(deep, x, td, domain=box(2), max_hamming=0).search == "march"


def test_method_errors_are_one_clear_line():
    net = tiny_net()
    with pytest.raises(InvalidValueError, match="L-inf and L1 norms only"):
        why_not(net, [2.0, 1.0], 1, method="engine", norm="2")
    with pytest.raises(InvalidValueError, match="max_hamming"):
        why_not(net, [2.0, 1.0], 1, method="engine", max_hamming=2)
    with pytest.raises(InvalidValueError, match="method must be one of"):
        why_not(net, [2.0, 1.0], 1, method="bisect")
    for bad in (-1.0, float("nan"), "1e-3", True):
        with pytest.raises(InvalidValueError, match="rtol"):
            why_not(net, [2.0, 1.0], 1, method="engine", rtol=bad)


def test_march_results_unchanged_and_gain_the_segment():
    net = tiny_net()
    e = why_not(net, [2.0, -1.0], 1, domain=rl.Box([-3, -3], [3, 3]), norm="2", method="march")
    assert (e.status, e.hamming, e.steps, e.flipped, e.search) == ("found", 1, 1, ((0, 1),), "march")
    assert e.exact_distance == pytest.approx(np.sqrt(2.0 * 1.5**2), abs=1e-6)
    assert e.distance_lower_bound is None and e.minimal_proved is None
    assert e.segment_regions == 2 and [n for _, n, _ in e.segment_flips] == [(0, 1)]
    assert "passes through 2 regions" in e.text


def test_engine_timeout_returns_an_honest_answer_in_time():
    rng = np.random.default_rng(3)
    net = random_network(rng, 12, [40, 40], 4)
    x = rng.uniform(-1, 1, size=12)
    t = int(np.argsort(net(x))[-2])
    start = time.monotonic()
    e = why_not(net, x, t, domain=box(12), method="engine", timeout=2.0, rtol=0.0, atol=0.0)
    assert time.monotonic() - start < 1.1 * 2.0 + 1.0 + 1.0
    assert e.status in ("timeout", "found", "exhausted")
    if e.found:
        check_answer(e, net, x, t, box(12))
        assert e.status == "timeout" or e.minimal_proved


# -- text, JSON, CLI -------------------------------------------------------------------

def test_engine_text_and_json():
    net = tiny_net()
    e = why_not(net, [2.0, -1.0], 1, domain=box(2, 3.0), method="engine", feature_names=["a", "b"])
    text = e.text
    assert "by the verification engine" in text and "minimal within" in text and ": proved" in text
    assert "L-inf distance 1.5" in text and "Hamming distance 1" in text
    d = json.loads(json.dumps(e.to_dict(), allow_nan=False))
    assert d["search"] == "engine" and d["minimal_proved"] is True and d["queries"]
    assert d["distance_lower_bound"] <= d["distance"] and d["segment_flips"][0][1] == [0, 1]
    assert "lower_bound=" in repr(e)


def test_cli_method_engine(capsys):
    assert main(["explain", "example:moons", "--x", "0.5,0.2", "--why-not", "0", "--domain",
                 "-2 <= x0 <= 3, -1.5 <= x1 <= 2", "--method", "engine", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["search"] == "engine" and d["confirmed"] is True and d["minimal_proved"] is True
    assert main(["explain", "example:moons", "--x", "0.5,0.2", "--why-not", "0", "--method", "engine",
                 "--norm", "2"]) == 2
    assert "L-inf and L1" in capsys.readouterr().err


# -- the segment walk --------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_walk_segment_against_dense_sampling(seed):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 3, [7, 6, 5], 3, activation="relu" if seed % 2 else "leaky_relu", alpha=0.2)
    a, b = rng.uniform(-2, 2, size=3), rng.uniform(-2, 2, size=3)
    w = walk_segment(net, a, b)
    assert w.complete and w.n_regions == len({s for s, _, _ in w.flips}) + 1
    S = np.linspace(0.0, 1.0, 20_001)
    B = activation_bits(net, a + S[:, None] * (b - a))
    changes = np.flatnonzero((B[1:] != B[:-1]).any(axis=1))
    names = neuron_names(net)
    # every change between samples is a flip of the walk in that interval, and vice versa
    flips_at = np.array([s for s, _, _ in w.flips])
    for i in changes:
        inside = (flips_at >= S[i] - 1e-9) & (flips_at <= S[i + 1] + 1e-9)
        assert inside.any(), f"a pattern change near s={S[i]:.5f} was missed"
        moved = {names.index(n) for (s, n, _), keep in zip(w.flips, inside) if keep}
        assert moved >= set(np.flatnonzero(B[i] != B[i + 1])), "the walk names the neurons that changed"
    for s, n, on in w.flips:
        k = names.index(n)
        after = activation_bits(net, (a + min(s + 1e-7, 1.0) * (b - a))[None])[0, k]
        assert bool(after) == on


@pytest.mark.parametrize("seed", range(6))
def test_first_win_is_the_first_win_along_the_segment(seed):
    rng = np.random.default_rng(10 + seed)
    net = random_network(rng, 2, [8, 8], 3)
    a, b = rng.uniform(-2, 2, size=2), rng.uniform(-2, 2, size=2)
    t = int(np.argsort(net(a))[-2])
    hit = first_win(net, a, b, t)
    S = np.linspace(0, 1, 5001)
    Y = net(a + S[:, None] * (b - a))
    win = Y[:, t] > np.delete(Y, t, axis=1).max(axis=1)
    if hit is None:
        assert not win.any()
        return
    s, p, inner = hit
    assert wins_strictly(net, p, t) and wins_strictly(net, inner, t)
    assert not win[S < s - 1e-6].any(), "a sample before the first win already wins"


# -- a real network ---------------------------------------------------------------------

@pytest.mark.shared_data
def test_engine_on_mnistfc_256x4(shared_data, mnist_test_image, record_property):
    net = rl.load(shared_data / "mnistfc" / "mnist-net_256x4.onnx")
    x = mnist_test_image(0)
    dom = rl.Box(0.0, 1.0, dim=784)
    y = net(x)
    t = int(np.argsort(y)[-2])
    start = time.monotonic()
    e = why_not(net, x, t, domain=dom, method="engine", timeout=15)  # the benchmark: 20 images, median 8.9 s at 10 s
    wall = time.monotonic() - start
    record_property("why_not_engine_s", wall)
    record_property("why_not_engine_distance", e.distance)
    record_property("why_not_engine_lower_bound", e.distance_lower_bound)
    assert wall < 1.1 * 15 + 1 + 5
    assert e.status in ("found", "timeout") and e.found
    check_answer(e, net, x, t, dom)
    assert int(np.argmax(net(e.point))) == t
    assert 0.0 < e.distance < 0.5 and e.distance_lower_bound > 0.0
    assert e.segment_regions > 1 and e.hamming > 0
