"""The Marabou backend against networks whose answers are known, and against sampling."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("maraboupy", reason="the Marabou backend needs maraboupy (pip install 'relucid[marabou]')")

from maraboupy import MarabouCore  # noqa: E402
from nets import random_network  # noqa: E402

import relucid as rl  # noqa: E402
from relucid.errors import InvalidValueError, RelucidError  # noqa: E402
from relucid.verify.marabou import MarabouUnavailable, verify_marabou  # noqa: E402
from relucid.verify.properties import ClassWins, Conjunction, OutputAvoids, OutputIn  # noqa: E402

SPURIOUS = "Marabou returned a counterexample that does not check out (spurious)"


def identity_net() -> rl.Network:
    """y = relu(x) - relu(-x) = x."""
    return rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, -1.0]], [0.0])])


def leaky_net(alpha: float) -> rl.Network:
    """y = leaky_relu(x, alpha)."""
    return rl.Network([rl.Dense([[1.0]], [0.0], "leaky_relu", alpha), rl.Dense([[1.0]], [0.0])])


def interval(lo, hi) -> OutputIn:
    return OutputIn(rl.Box([lo], [hi]))


def assert_counterexample(net, input_set, prop, r, pattern=None):
    assert r.status == "falsified", r
    x = r.counterexample
    assert input_set.contains(x)
    np.testing.assert_array_equal(r.output, net(x))
    assert prop.violated_by(r.output)[0] == r.violated >= 0
    if pattern is not None:
        pre = net.preactivations(x)
        assert all(pre[l][j] > 0 for l, j in pattern.on)
        assert all(pre[l][j] <= 0 for l, j in pattern.off)
    assert r.engine == "marabou" and r.method == "marabou"


# -- known answers ---------------------------------------------------------------
def test_identity_net_proved_and_falsified():
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    r = verify_marabou(net, box, interval(-1.5, 1.5))
    assert r.status == "proved" and r.engine == "marabou" and r.stats["queries"] == 2
    prop = interval(-0.5, 2.0)
    r = verify_marabou(net, box, prop)
    assert_counterexample(net, box, prop, r)
    assert r.counterexample[0] < -0.5


def test_class_wins():
    # y0 = relu(x), y1 = 0.5: class 0 wins exactly when x > 0.5
    net = rl.Network([rl.Dense([[1.0]], [0.0], "relu"), rl.Dense([[1.0], [0.0]], [0.0, 0.5])])
    assert verify_marabou(net, rl.Box([0.6], [2.0]), ClassWins(0)).status == "proved"
    box = rl.Box([0.0], [2.0])
    r = verify_marabou(net, box, ClassWins(0))
    assert_counterexample(net, box, ClassWins(0), r)
    assert r.counterexample[0] <= 0.5
    assert verify_marabou(net, rl.Box([0.0], [0.4]), ClassWins(1)).status == "proved"


@pytest.mark.parametrize(
    "alpha, proved_lo, falsified_lo",
    [
        (0.1, -0.2, -0.05),  # Marabou's own LeakyReLU constraint
        (2.0, -2.5, -1.5),  # slope > 1: encoded through a ReLU
        (-0.5, -0.1, 0.2),  # negative slope: encoded through a ReLU
    ],
)
def test_leaky_relu(alpha, proved_lo, falsified_lo):
    net, box = leaky_net(alpha), rl.Box([-1.0], [1.0])
    assert verify_marabou(net, box, interval(proved_lo, 1.5)).status == "proved"
    prop = interval(falsified_lo, 1.5)
    assert_counterexample(net, box, prop, verify_marabou(net, box, prop))


def test_pattern_makes_property_provable():
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    prop = interval(-0.5, 2.0)
    assert verify_marabou(net, box, prop).status == "falsified"
    assert verify_marabou(net, box, prop, rl.Pattern(on={(0, 0)})).status == "proved"  # x > 0
    assert verify_marabou(net, box, prop, rl.Pattern(off={(0, 1)})).status == "proved"  # -x <= 0
    pattern = rl.Pattern(on={(0, 1)})  # x < 0
    r = verify_marabou(net, box, prop, pattern)
    assert_counterexample(net, box, prop, r, pattern)


def test_disjunction():
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    reach_high = Conjunction([[-1.0]], [-0.9])  # y >= 0.9
    too_low = Conjunction([[1.0]], [-2.0])  # y <= -2
    too_high = Conjunction([[-1.0]], [-3.0])  # y >= 3
    r = verify_marabou(net, box, OutputAvoids([too_low, too_high]))
    assert r.status == "proved" and r.stats["queries"] == 2
    prop = OutputAvoids([too_low, reach_high])
    r = verify_marabou(net, box, prop)
    assert_counterexample(net, box, prop, r)
    assert r.violated == 1 and r.output[0] >= 0.9
    assert verify_marabou(net, box, OutputAvoids([])).status == "proved"


def test_polyhedron_and_union_inputs():
    net = identity_net()
    prop = interval(-0.5, 2.0)
    assert verify_marabou(net, rl.Polyhedron([[1.0], [-1.0]], [0.3, 0.2]), prop).status == "proved"
    union = rl.PolyUnion([rl.Box([0.0], [1.0]), rl.Polyhedron([[1.0], [-1.0]], [-0.6, 0.7])])
    r = verify_marabou(net, union, prop)
    assert_counterexample(net, union, prop, r)
    assert -0.7 <= r.counterexample[0] <= -0.6
    r = verify_marabou(net, rl.PolyUnion([], dim=1), prop)
    assert r.status == "proved" and "empty" in r.note
    empty = rl.Polyhedron([[1.0], [-1.0]], [-1.0, 0.0])  # x <= -1 and x >= 0
    assert verify_marabou(net, empty, prop).status == "proved"


def test_two_dimensional_polyhedron_rows_are_used():
    # y = x0 + x1 over the triangle x >= 0, x0 + x1 <= 1: its bounding box [0,1]^2 reaches 2
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    tri = rl.Polyhedron([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 1.0])
    assert verify_marabou(net, tri, interval(-1.0, 1.2)).status == "proved"
    prop = interval(-1.0, 0.8)
    assert_counterexample(net, tri, prop, verify_marabou(net, tri, prop))


# -- what is not a counterexample ----------------------------------------------
def test_spurious_counterexample_is_unknown(monkeypatch):
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    calls = []

    def bogus(query, options, redirect=""):
        calls.append(options._timeoutInSeconds)
        return "sat", {0: 0.25, 1: 0.25, 2: 0.0, 3: 0.25, 4: 0.0, 5: 0.25}, None

    monkeypatch.setattr(MarabouCore, "solve", bogus)
    r = verify_marabou(net, box, interval(-0.5, 2.0), timeout=10)
    assert r.status == "unknown" and r.counterexample is None
    assert r.note.startswith(SPURIOUS) and "does not violate" in r.note
    assert calls and all(1 <= t <= 10 for t in calls)
    # a point outside a polyhedral input set
    poly = rl.Polyhedron([[1.0], [-1.0]], [0.1, 1.0])
    r = verify_marabou(net, poly, interval(0.0, 2.0))
    assert r.status == "unknown" and "outside the input set" in r.note
    # a point against the pattern
    r = verify_marabou(net, box, interval(-0.5, 0.1), rl.Pattern(off={(0, 0)}))
    assert r.status == "unknown" and "fixes it off" in r.note


def test_marabou_error_and_timeout_answers(monkeypatch):
    net, box, prop = identity_net(), rl.Box([-1.0], [1.0]), interval(-0.5, 2.0)

    def broken(query, options, redirect=""):
        raise RuntimeError("Caught an unknown exception!")

    monkeypatch.setattr(MarabouCore, "solve", broken)
    r = verify_marabou(net, box, prop)
    assert r.status == "unknown" and "Marabou answered ERROR" in r.note and "unknown exception" in r.note
    monkeypatch.setattr(MarabouCore, "solve", lambda q, o, redirect="": ("TIMEOUT", {}, None))
    r = verify_marabou(net, box, prop, timeout=5)
    assert r.status == "unknown" and r.note == "timeout" and r.stats["queries"] == 1


def test_closure_boundary_is_not_a_counterexample():
    # y = x on [-1, 1] stays in [-1, 1]: Marabou finds y = 1 on the closure of {y > 1}
    net = identity_net()
    r = verify_marabou(net, rl.Box([-1.0], [1.0]), interval(-1.0, 1.0))
    assert r.status == "unknown" and r.note.startswith(SPURIOUS) and "boundary" in r.note


def test_unsupported_activation_and_missing_maraboupy(monkeypatch):
    net = rl.Network([rl.Dense([[1.0]], [0.0], "sigmoid", name="sig"), rl.Dense([[1.0]], [0.0])])
    with pytest.raises(InvalidValueError, match=r"layer 0 \(sig\) has activation 'sigmoid'; the Marabou engine needs"):
        verify_marabou(net, rl.Box([0.0], [1.0]), interval(0.0, 1.0))
    monkeypatch.setitem(sys.modules, "maraboupy", None)
    with pytest.raises(MarabouUnavailable, match=r"pip install 'relucid\[marabou\]'") as info:
        verify_marabou(identity_net(), rl.Box([0.0], [1.0]), interval(0.0, 1.0))
    assert isinstance(info.value, RelucidError)


def test_timeout_is_honoured():
    rng = np.random.default_rng(0)
    net = random_network(rng, 10, [50, 50], 5)
    c = rng.normal(size=10)
    prop = ClassWins(int(np.argmax(net(c))))
    r = verify_marabou(net, rl.Box(c - 0.5, c + 0.5), prop, timeout=0.5)  # Marabou gets ceil(0.5) = 1 s
    assert r.status == "unknown" and r.note == "timeout"
    assert r.time < 3.0


def test_quiet(capfd):
    verify_marabou(identity_net(), rl.Box([-1.0], [1.0]), interval(-0.5, 2.0))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# -- against sampling --------------------------------------------------------------
def _random_case(rng):
    n_in = int(rng.integers(2, 5))
    hidden = [int(rng.integers(2, 9)) for _ in range(int(rng.integers(1, 3)))]
    n_out = int(rng.integers(2, 4))
    act = str(rng.choice(["relu", "leaky_relu"]))
    alpha = float(rng.choice([0.1, 0.3, -0.2, 1.5]))
    net = random_network(rng, n_in, hidden, n_out, activation=act, alpha=alpha)
    center = rng.normal(size=n_in)
    box = rl.Box(center - rng.uniform(0.05, 1.0, n_in), center + rng.uniform(0.05, 1.0, n_in))
    pattern = None
    if rng.random() < 0.3:  # half the neurons fixed as at some point of the box
        pre = net.preactivations(box.sample(1, rng)[0])
        fixed = [(l, j) for l in net.pattern_layers for j in range(net.layers[l].out_dim) if rng.random() < 0.5]
        pattern = rl.Pattern(on={n for n in fixed if pre[n[0]][n[1]] > 0}, off={n for n in fixed if pre[n[0]][n[1]] <= 0})
    if rng.random() < 0.5:
        prop = ClassWins(int(np.argmax(net(center))))
    else:
        Y = net(box.sample(200, rng))
        lo, hi = Y.min(axis=0), Y.max(axis=0)
        slack = rng.uniform(-0.1, 0.3) * (hi - lo + 1e-3)
        prop = OutputIn(rl.Box(lo - slack, hi + slack))
    return net, box, prop, pattern


def _follows(net, X, pattern) -> np.ndarray:
    if pattern is None:
        return np.ones(X.shape[0], dtype=bool)
    pre = net.preactivations(X)
    ok = np.ones(X.shape[0], dtype=bool)
    for l, j in pattern.on:
        ok &= pre[l][:, j] > 0
    for l, j in pattern.off:
        ok &= pre[l][:, j] <= 0
    return ok


def check_against_sampling(seed: int, n_cases: int, n_samples: int = 10_000) -> list[str]:
    rng = np.random.default_rng(seed)
    statuses = []
    for _ in range(n_cases):
        net, box, prop, pattern = _random_case(rng)
        corners = np.array(np.meshgrid(*zip(box.lo, box.hi))).reshape(box.dim, -1).T
        X = np.vstack([box.sample(n_samples, rng), corners, box.center])
        X = X[_follows(net, X, pattern)]
        sampled_violation = bool((prop.violated_by(net(X)) >= 0).any())
        r = verify_marabou(net, box, prop, pattern, timeout=20)
        statuses.append(r.status)
        if sampled_violation:
            assert r.status != "proved", (net.summary(), box, prop.describe(), pattern)
        if r.status == "falsified":
            assert_counterexample(net, box, prop, r, pattern)
    return statuses


def test_agrees_with_sampling():
    statuses = check_against_sampling(2024, 30)
    assert statuses.count("proved") >= 3 and statuses.count("falsified") >= 3, statuses
    assert statuses.count("unknown") <= 3, statuses
