"""The verifier on networks whose answers are known by hand, its refusals, timeouts, results and CLI."""

from __future__ import annotations

import csv
import json
import time

import numpy as np
import pytest
from nets import random_network

import relucid as rl
from relucid.cli import main
from relucid.errors import InvalidValueError, ShapeError
from relucid.verify.properties import ClassWins, Conjunction, OutputAvoids, OutputIn
from relucid.verify.result import Result

BACKENDS = [("input-split", True), ("input-split", False), ("milp", True), ("milp", False)]
BACKEND_IDS = [f"{m}{'' if a else '-no-attack'}" for m, a in BACKENDS]


def identity_net() -> rl.Network:
    """y = relu(x) - relu(-x) = x."""
    return rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, -1.0]], [0.0])])


def leaky_net(alpha: float) -> rl.Network:
    """y = leaky_relu(x, alpha)."""
    return rl.Network([rl.Dense([[1.0]], [0.0], "leaky_relu", alpha), rl.Dense([[1.0]], [0.0])])


def deep_narrow_net(depth: int, c: float) -> rl.Network:
    """``depth`` relu layers of width 2 carrying (relu(t), relu(-t)) with t = c^k x: y = c^(depth-1) x."""
    layers = [rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu")]
    layers += [rl.Dense(c * np.array([[1.0, -1.0], [-1.0, 1.0]]), [0.0, 0.0], "relu") for _ in range(depth - 1)]
    return rl.Network(layers + [rl.Dense([[1.0, -1.0]], [0.0])])


def r_out(net, x):
    return net(np.asarray(x, dtype=np.float64))


def interval(lo, hi) -> OutputIn:
    return OutputIn(rl.Box([lo], [hi]))


def run(net, input_set, prop, pattern=None, backend=("auto", True), **kw):
    method, attack_first = backend
    return rl.verify(net, input_set, prop, pattern, method=method, attack_first=attack_first, **kw)


def assert_counterexample(net, input_set, prop, r, pattern=None):
    """Inside the set (exactly), follows the pattern (exactly), violates the property (exactly)."""
    assert r.status == "falsified", r
    x = np.asarray(r.counterexample)
    assert x.shape == (net.input_dim,)
    assert (input_set.A @ x <= input_set.b).all()
    np.testing.assert_array_equal(r.output, net(x))
    assert prop.violated_by(r.output)[0] == r.violated >= 0
    if pattern is not None:
        pre = net.preactivations(x)
        assert all(pre[k][j] > 0 for k, j in pattern.on)
        assert all(pre[k][j] <= 0 for k, j in pattern.off)
    return x


# -- known answers ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_identity_net(backend):
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    assert run(net, box, interval(-1.5, 1.5), backend=backend).status == "proved"
    prop = interval(-0.5, 2.0)
    x = assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))
    assert x[0] < -0.5


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_absolute_value_docstring(backend):
    net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [0.0])])  # |x|
    assert run(net, rl.Box([-1], [1]), interval(0, 1), backend=backend).status == "proved"
    box, prop = rl.Box([-2], [1]), interval(0, 1)
    x = assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))
    assert x[0] < -1


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_two_inputs_with_an_identity_hidden_layer(backend):
    # u = x0 + x1, v = x0 - x1 (identity), then y = relu(u) + relu(v) = max(2 x0, x0 + x1) on [0, 1]^2
    net = rl.Network([
        rl.Dense([[1.0, 1.0], [1.0, -1.0]], [0.0, 0.0], "identity"),
        rl.Dense(np.eye(2), [0.0, 0.0], "relu"),
        rl.Dense([[1.0, 1.0]], [0.0]),
    ])
    box = rl.Box([0.0, 0.0], [1.0, 1.0])
    assert run(net, box, interval(-0.01, 2.01), backend=backend).status == "proved"
    assert run(net, box, interval(0.0, 2.0), backend=backend).status != "falsified"  # both ends are reached
    prop = interval(0.0, 1.9)
    x = assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))
    assert max(2 * x[0], x[0] + x[1]) > 1.9
    # the minimum 0 is reached only at the origin
    prop = interval(1e-3, 2.0)
    x = assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))
    assert x.sum() < 1e-3


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
@pytest.mark.parametrize(
    "alpha, proved, falsified",
    [
        (0.1, (-0.2, 1.5), (-0.05, 1.5)),  # y in [-0.1, 1]
        (0.5, (-0.5, 1.0), (-0.4, 1.0)),  # y in [-0.5, 1]
        (-0.5, (0.0, 1.0), (0.2, 1.0)),  # not monotone: y in [0, 1], y(0) = 0
        (2.0, (-2.0, 1.0), (-1.5, 1.0)),  # concave: y in [-2, 1]
    ],
)
def test_leaky_relu(alpha, proved, falsified, backend):
    net, box = leaky_net(alpha), rl.Box([-1.0], [1.0])
    r = run(net, box, interval(*proved), backend=backend)
    if alpha in (-0.5, 2.0) and r.status == "unknown":
        # the output reaches the interval's end exactly (y(0) = 0, y(1) = 1): zero margin, which the MILP no
        # longer counts as a proof (see milp.py: wrong proofs were found through that tolerance branch)
        assert "zero margin" in r.note, r
    else:
        assert r.status == "proved", r
    prop = interval(*falsified)
    assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_leaky_relu_slope_above_one_is_not_proved_by_a_chord(backend):
    # a = leaky_relu(x, 1.5) is concave on [-1, 1]: the chord through (-1, -1.5), (1, 1) lies below it.
    # y = a - 1.25 x reaches 0 at x = 0, so "y <= -0.1" is false.
    net = rl.Network([rl.Dense([[1.0], [1.0]], [0.0, 2.0], "leaky_relu", 1.5), rl.Dense([[1.0, -1.25]], [2.5])])
    box, prop = rl.Box([-1.0], [1.0]), interval(-10.0, -0.1)
    assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_leaky_relu_negative_slope_is_not_monotone(backend):
    # y = leaky_relu(x, -0.2) on [-1, 1] reaches 0 at x = 0: "y >= 0.1" is false
    net, box, prop = leaky_net(-0.2), rl.Box([-1.0], [1.0]), interval(0.1, 2.0)
    x = assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))
    assert -0.5 < x[0] < 0.1


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
@pytest.mark.parametrize("depth", [3, 8, 16])
def test_deep_narrow_net(depth, backend):
    c = 1.1
    net = deep_narrow_net(depth, c)
    box = rl.Box([-1.0], [1.0])
    M = float(net([1.0])[0])
    assert M == pytest.approx(c ** (depth - 1)) and float(net([-1.0])[0]) == -M
    assert run(net, box, interval(-1.001 * M, 1.001 * M), backend=backend).status == "proved"
    prop = interval(-0.99 * M, 1.001 * M)
    x = assert_counterexample(net, box, prop, run(net, box, prop, backend=backend))
    assert x[0] < -0.99


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_class_wins(backend):
    # y0 = relu(x), y1 = 0.5: class 0 wins exactly when x > 0.5
    net = rl.Network([rl.Dense([[1.0]], [0.0], "relu"), rl.Dense([[1.0], [0.0]], [0.0, 0.5])])
    assert run(net, rl.Box([0.6], [2.0]), ClassWins(0), backend=backend).status == "proved"
    assert run(net, rl.Box([0.0], [0.4]), ClassWins(1), backend=backend).status == "proved"
    box = rl.Box([0.0], [2.0])
    x = assert_counterexample(net, box, ClassWins(0), run(net, box, ClassWins(0), backend=backend))
    assert x[0] <= 0.5


# -- ties and boundaries ---------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_class_wins_tie_is_a_violation(backend):
    # y0 = relu(x), y1 = 0.5 on [0.5, 2]: class 0 wins everywhere except the tie at x = 0.5
    net = rl.Network([rl.Dense([[1.0]], [0.0], "relu"), rl.Dense([[1.0], [0.0]], [0.0, 0.5])])
    box = rl.Box([0.5], [2.0])
    x = assert_counterexample(net, box, ClassWins(0), run(net, box, ClassWins(0), backend=backend))
    assert x[0] == 0.5 and r_out(net, x)[0] == r_out(net, x)[1]
    # two inputs: y = x on [1, 2] x [0, 1]: y0 >= y1 with a tie only at the corner (1, 1)
    lin = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"), rl.Dense(np.eye(2), [0.0, 0.0])])
    box = rl.Box([1.0, 0.0], [2.0, 1.0])
    x = assert_counterexample(lin, box, ClassWins(0), run(lin, box, ClassWins(0), backend=backend))
    np.testing.assert_array_equal(x, [1.0, 1.0])
    assert run(lin, rl.Box([1.0, 0.0], [2.0, 0.999]), ClassWins(0), backend=backend).status == "proved"



@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_output_touching_the_boundary_is_not_falsified(backend):
    # OutputIn includes its boundary: y = x on [-1, 1] stays in [-1, 1]
    r = run(identity_net(), rl.Box([-1.0], [1.0]), interval(-1.0, 1.0), backend=backend)
    assert r.status == "proved", r
    # deep: the exact maximum c^(d-1) is reached at x = 1
    net = deep_narrow_net(8, 1.1)
    M = float(net([1.0])[0])
    r = run(net, rl.Box([-1.0], [1.0]), interval(-M, M), backend=backend)
    assert r.status != "falsified", r
    assert r.status == "proved" or r.note, r
    # a VNN-LIB style non-strict violation row (y >= 1) *is* violated at the boundary
    prop = OutputAvoids([Conjunction([[-1.0]], [-1.0])])
    x = assert_counterexample(identity_net(), rl.Box([-1.0], [1.0]), prop,
                              run(identity_net(), rl.Box([-1.0], [1.0]), prop, backend=backend))
    assert x[0] == 1.0


# -- patterns ----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_pattern_makes_property_provable(backend):
    net, box, prop = identity_net(), rl.Box([-1.0], [1.0]), interval(-0.5, 2.0)
    assert run(net, box, prop, backend=backend).status == "falsified"
    assert run(net, box, prop, rl.Pattern(on={(0, 0)}), backend=backend).status == "proved"  # x > 0
    assert run(net, box, prop, rl.Pattern(off={(0, 1)}), backend=backend).status == "proved"  # -x <= 0
    pattern = rl.Pattern(on={(0, 1)})  # x < 0
    x = assert_counterexample(net, box, prop, run(net, box, prop, pattern, backend=backend), pattern)
    assert x[0] < -0.5


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_pattern_with_the_tie_off(backend):
    # neuron (0, 0) is x; fixing it off keeps x <= 0 (0 included: a tie at 0 is off)
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    pattern = rl.Pattern(off={(0, 0)})
    prop = interval(-2.0, -1e-9)  # y = x < 0 ... but x = 0 follows the pattern
    x = assert_counterexample(net, box, prop, run(net, box, prop, pattern, backend=backend), pattern)
    assert -1e-9 < x[0] <= 0.0
    # fixed on: x > 0 strictly, so y = x never drops below 0 (x = 0 does not follow the pattern)
    assert run(net, box, interval(0.0, 1.0), rl.Pattern(on={(0, 0)}), backend=backend).status != "falsified"


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_pattern_no_input_follows_is_vacuous(backend):
    # z0 = x - 2 < 0 on [0, 1]: no input has it on
    net = rl.Network([rl.Dense([[1.0], [1.0]], [-2.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    r = run(net, rl.Box([0.0], [1.0]), interval(5.0, 6.0), rl.Pattern(on={(0, 0)}), backend=backend)
    assert r.status == "proved" and "follows the pattern" in r.note and "vacuous" in r.note, r


def test_pattern_contradiction_inside_one_layer_is_never_falsified():
    # x > 0 and -x > 0 cannot both hold, but their closures meet at x = 0 (where y = 0 violates):
    # proofs over closures cannot close it; the answer must not be a counterexample
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    for method in ("input-split", "milp"):
        r = rl.verify(net, box, interval(5.0, 6.0), rl.Pattern(on={(0, 0), (0, 1)}), method=method)
        assert r.status in ("proved", "unknown"), r


def test_pattern_refusals():
    net, box, prop = identity_net(), rl.Box([-1.0], [1.0]), interval(-1.0, 1.0)
    with pytest.raises(InvalidValueError, match=r"neuron \(5, 0\): layer 5 does not exist"):
        rl.verify(net, box, prop, rl.Pattern(on={(5, 0)}))
    with pytest.raises(InvalidValueError, match=r"neuron \(0, 7\): layer 0 has 2 neurons"):
        rl.verify(net, box, prop, rl.Pattern(off={(0, 7)}))
    with pytest.raises(InvalidValueError, match=r"neuron \(1, 0\): layer 1 is identity"):
        rl.verify(net, box, prop, rl.Pattern(on={(1, 0)}))
    with pytest.raises(InvalidValueError, match="Pattern"):
        rl.verify(net, box, prop, {(0, 0): True})


# -- refusals -----------------------------------------------------------------------------------
def test_dimension_mismatches_are_shape_errors():
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    with pytest.raises(ShapeError, match=r"ClassWins\(3\)"):
        rl.verify(net, box, ClassWins(3))
    with pytest.raises(ShapeError, match="dimension 2 but the network has 1 outputs"):
        rl.verify(net, box, OutputIn(rl.Box([0.0, 0.0], [1.0, 1.0])))
    with pytest.raises(ShapeError, match="over 2 outputs but the network has 1"):
        rl.verify(net, box, OutputAvoids([Conjunction([[1.0, 0.0]], [0.0])]))
    with pytest.raises(ShapeError, match="dimension 2 but the network has 1 inputs"):
        rl.verify(net, rl.Box([0.0, 0.0], [1.0, 1.0]), interval(0.0, 1.0))
    with pytest.raises(ShapeError, match="dimension 2 but the network has 1 inputs"):
        rl.verify(net, rl.PolyUnion([rl.Box([0.0, 0.0], [1.0, 1.0])]), interval(0.0, 1.0))


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_smooth_activation_is_refused_naming_the_layer(act):
    net = rl.Network([rl.Dense([[1.0]], [0.0], "relu"), rl.Dense([[1.0]], [0.0], act), rl.Dense([[1.0]], [0.0])])
    with pytest.raises(InvalidValueError, match=rf"layer 1 has activation '{act}'"):
        rl.verify(net, rl.Box([0.0], [1.0]), interval(0.0, 1.0))


def test_other_refusals():
    net, box, prop = identity_net(), rl.Box([-1.0], [1.0]), interval(-1.0, 1.0)
    with pytest.raises(InvalidValueError, match="unbounded in dimension 0"):
        rl.verify(net, rl.Polyhedron([[1.0]], [1.0]), prop)
    with pytest.raises(InvalidValueError, match="unbounded"):
        rl.verify(rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [0.0])]),
                  rl.Polyhedron([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]], [1.0, 1.0, 1.0]), prop)
    for bad in (-1.0, float("nan"), True):
        with pytest.raises(InvalidValueError, match="timeout must be a positive"):
            rl.verify(net, box, prop, timeout=bad)
    assert rl.verify(net, box, prop, timeout=0).status == "unknown"  # 0: unknown at once (issue 17)
    with pytest.raises(InvalidValueError, match="method must be one of"):
        rl.verify(net, box, prop, method="bab")
    with pytest.raises(InvalidValueError, match="prop must be a relucid property"):
        rl.verify(net, box, "y <= 1")
    with pytest.raises(InvalidValueError, match="input_set must be a Box, Polyhedron or PolyUnion"):
        rl.verify(net, [(-1.0, 1.0)], prop)


# -- input sets -----------------------------------------------------------------------------------
def test_empty_polyhedron_is_proved_vacuously():
    empty = rl.Polyhedron([[1.0], [-1.0]], [-1.0, 0.0])  # x <= -1 and x >= 0
    r = rl.verify(identity_net(), empty, interval(5.0, 6.0))
    assert r.status == "proved" and "vacuous" in r.note


def test_empty_union_is_proved_vacuously():
    r = rl.verify(identity_net(), rl.PolyUnion([], dim=1), interval(5.0, 6.0))
    assert r.status == "proved" and r.note and ("vacuous" in r.note or "empty" in r.note), r


@pytest.mark.parametrize("method", ["input-split", "milp", "auto"])
def test_polyhedron_rows_are_used(method):
    # y = x0 + x1 over the triangle x >= 0, x0 + x1 <= 1: its bounding box [0, 1]^2 reaches 2
    net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    tri = rl.Polyhedron([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 1.0])
    assert rl.verify(net, tri, interval(-1.0, 1.2), method=method).status == "proved"
    assert rl.verify(net, tri, interval(0.0, 1.0), method=method).status != "falsified"  # touches both ends
    prop = interval(-1.0, 0.8)
    x = assert_counterexample(net, tri, prop, rl.verify(net, tri, prop, method=method, attack_first=False))
    assert x.sum() > 0.8


@pytest.mark.parametrize("method", ["input-split", "milp"])
def test_union_input(method):
    net, prop = identity_net(), interval(-0.5, 2.0)
    union = rl.PolyUnion([rl.Box([0.0], [1.0]), rl.Polyhedron([[1.0], [-1.0]], [-0.6, 0.7])])  # [0, 1] u [-0.7, -0.6]
    r = rl.verify(net, union, prop, method=method, attack_first=False)
    x = assert_counterexample(net, union.pieces[1], prop, r)
    assert -0.7 <= x[0] <= -0.6
    both = rl.PolyUnion([rl.Box([0.0], [1.0]), rl.Polyhedron([[1.0], [-1.0]], [-0.1, 0.4])])
    r = rl.verify(net, both, prop, method=method)
    assert r.status == "proved" and r.stats["pieces"] == 2 and r.stats["pieces_done"] == 2


# -- timeouts ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_timeout_is_honoured_milp():
    rng = np.random.default_rng(0)
    net = random_network(rng, 784, [256, 256], 10)
    x = rng.random(784)
    box = rl.Box(np.clip(x - 0.05, 0, 1), np.clip(x + 0.05, 0, 1))
    prop = ClassWins(int(np.argmax(net(x))))
    t0 = time.monotonic()
    r = rl.verify(net, box, prop, timeout=3, method="milp", attack_first=False)
    elapsed = time.monotonic() - t0
    assert r.status == "unknown" and r.note == "timeout", r
    assert elapsed <= 2 * 3 + 3, f"timeout=3 but verify took {elapsed:.2f} s ({r.stats})"


@pytest.mark.slow
def test_timeout_is_honoured_input_split():
    # A convex network (non-negative weights after the first layer, relu): its maximum over a box
    # is at a vertex, so "y0 <= max + 1e-9 (1 + |max|)" holds and is known exactly, yet is very
    # hard to prove by splitting (the relaxation gap never closes at the maximising vertex).
    rng = np.random.default_rng(1)
    n = 8
    layers = [rl.Dense(rng.normal(size=(64, n)), rng.normal(size=64), "relu")]
    for _ in range(2):
        layers.append(rl.Dense(np.abs(rng.normal(size=(64, 64))) / 8, rng.normal(size=64), "relu"))
    layers.append(rl.Dense(np.abs(rng.normal(size=(1, 64))), [0.0]))
    net = rl.Network(layers)
    box = rl.Box(-np.ones(n), np.ones(n))
    corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * n)).reshape(n, -1).T
    top = float(net(corners)[:, 0].max())
    assert net(box.sample(20_000, rng))[:, 0].max() <= top  # convex: no interior point is higher
    prop = OutputIn(rl.Polyhedron([[1.0]], [top + 1e-9 * (1 + abs(top))]))
    t0 = time.monotonic()
    r = rl.verify(net, box, prop, timeout=2, method="input-split")
    elapsed = time.monotonic() - t0
    assert elapsed <= 2 * 2 + 3, f"timeout=2 but verify took {elapsed:.2f} s"
    assert r.status != "falsified"
    assert r.status == "unknown" and r.note == "timeout" and r.stats["boxes"] > 100, r


# -- results -------------------------------------------------------------------------------------------
def test_result_to_dict_is_json_and_vnncomp_words():
    net, box = identity_net(), rl.Box([-1.0], [1.0])
    proved = rl.verify(net, box, interval(-1.5, 1.5))
    falsified = rl.verify(net, box, interval(-0.5, 2.0), method="milp", attack_first=False)
    unknown = Result("unknown", note="timeout", stats={"lps": np.int64(3), "t": np.float64(0.5)})
    for r, word in ((proved, "unsat"), (falsified, "sat"), (unknown, "timeout")):
        assert r.vnncomp == word
        d = json.loads(json.dumps(r.to_dict()))
        assert d["status"] == r.status and d["result"] == word and d["note"] == r.note
    d = falsified.to_dict()
    assert d["counterexample"] == falsified.counterexample.tolist() and d["output"] == falsified.output.tolist()
    assert d["violated"] == falsified.violated and d["engine"] == "relucid" and d["method"] == "milp"
    assert proved.time >= 0 and falsified.proved is False and falsified.falsified is True
    assert json.loads(json.dumps(unknown.to_dict()))["stats"] == {"lps": 3, "t": 0.5}
    with pytest.raises(ValueError, match="status must be one of"):
        Result("sat")


# -- CLI ------------------------------------------------------------------------------------------------
VNNLIB = """; y = x on [-1, 1]
(declare-const X_0 Real)
(declare-const Y_0 Real)
(assert (>= X_0 -1))
(assert (<= X_0 1))
{tail}
"""  # the tail is on line 6


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "net.npz"
    rl.save(identity_net(), path)
    return path


def cli(capsys, *argv):
    code = main(["verify", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_unsat(net_file, tmp_path, capsys):
    prop = tmp_path / "prop.vnnlib"
    prop.write_text(VNNLIB.format(tail="(assert (>= Y_0 1.5))"))
    code, out, err = cli(capsys, net_file, prop)
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "unsat"
    code, out, _ = cli(capsys, net_file, prop, "--json")
    d = json.loads(out)
    assert code == 0 and d["result"] == "unsat" and d["status"] == "proved" and d["counterexample"] is None


@pytest.mark.parametrize("method", ["auto", "input-split", "milp"])
def test_cli_sat_prints_the_counterexample(net_file, tmp_path, capsys, method):
    prop = tmp_path / "prop.vnnlib"
    prop.write_text(VNNLIB.format(tail="(assert (<= Y_0 -0.5))"))
    code, out, err = cli(capsys, net_file, prop, "--method", method)
    lines = out.splitlines()
    assert code == 0 and err == "" and lines[0] == "sat"
    assert lines[1].startswith("((X_0 ") and lines[2].startswith(" (Y_0 ") and lines[2].endswith("))")
    x = float(lines[1][len("((X_0 "):-1])
    y = float(lines[2][len(" (Y_0 "):-2])
    assert -1 <= x <= -0.5 and y == float(identity_net()([x])[0])
    code, out, _ = cli(capsys, net_file, prop, "--json", "--method", method)
    d = json.loads(out)
    assert d["result"] == "sat" and d["counterexample"][0] <= -0.5


def test_cli_pattern_and_timeout(net_file, tmp_path, capsys):
    prop = tmp_path / "prop.vnnlib"
    prop.write_text(VNNLIB.format(tail="(assert (<= Y_0 -0.5))"))
    code, out, _ = cli(capsys, net_file, prop, "--pattern", "10", "--timeout", "30")  # x > 0
    assert code == 0 and out.splitlines()[0] == "unsat"


def test_cli_unsupported_operator_names_file_and_line(net_file, tmp_path, capsys):
    prop = tmp_path / "prop.vnnlib"
    prop.write_text(VNNLIB.format(tail="(assert (<= (exp Y_0) 1))"))
    code, out, err = cli(capsys, net_file, prop)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("relucid: error: ") and "prop.vnnlib:6:" in err and "exp" in err


def test_cli_dimension_mismatch(net_file, tmp_path, capsys):
    prop = tmp_path / "prop.vnnlib"
    prop.write_text("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
                    "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 -1))\n(assert (<= X_1 1))\n"
                    "(assert (<= Y_0 0))\n")
    code, out, err = cli(capsys, net_file, prop)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert "input" in err and "2" in err and "1" in err


# -- a benchmark instance with a known answer --------------------------------------------------------
def consensus(shared_data, onnx: str, vnnlib: str) -> str:
    path = shared_data / "vnncomp2021_results" / "consensus_acasxu_mnistfc_eran.csv"
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["onnx"] == onnx and row["vnnlib"] == vnnlib:
                assert row["unanimous"] == "1"
                return {"holds": "proved", "violated": "falsified"}[row["consensus"]]
    raise LookupError((onnx, vnnlib))


_DIRS = {"acasxu": "acasxu", "mnistfc": "mnistfc", "test": "test", "eran": "eran_vnncomp2021"}

#: Unanimous VNN-COMP 2021 instances that relucid decides in about a second on the dev machine
#: (benchmarks/results/verify_consensus.md checks all of them; this is the CI slice).
CONSENSUS_SLICE = [
    ("acasxu", "ACASXU_run2a_1_1_batch_2000.onnx", "prop_1.vnnlib"),
    ("acasxu", "ACASXU_run2a_1_1_batch_2000.onnx", "prop_3.vnnlib"),
    ("acasxu", "ACASXU_run2a_1_2_batch_2000.onnx", "prop_2.vnnlib"),
    ("acasxu", "ACASXU_run2a_2_1_batch_2000.onnx", "prop_2.vnnlib"),
    ("acasxu", "ACASXU_run2a_1_9_batch_2000.onnx", "prop_3.vnnlib"),
    ("acasxu", "ACASXU_run2a_2_4_batch_2000.onnx", "prop_4.vnnlib"),
    ("acasxu", "ACASXU_run2a_1_8_batch_2000.onnx", "prop_4.vnnlib"),
    ("mnistfc", "mnist-net_256x2.onnx", "prop_2_0.05.vnnlib"),
    ("mnistfc", "mnist-net_256x2.onnx", "prop_7_0.03.vnnlib"),
    ("mnistfc", "mnist-net_256x4.onnx", "prop_4_0.03.vnnlib"),
    ("mnistfc", "mnist-net_256x4.onnx", "prop_3_0.05.vnnlib"),
    ("test", "test_nano.onnx", "test_nano.vnnlib"),
    ("test", "test_tiny.onnx", "test_tiny.vnnlib"),
    ("test", "test_small.onnx", "test_small.vnnlib"),
    ("test", "test_sat.onnx", "test_prop.vnnlib"),
    ("eran", "mnist_relu_9_200.onnx", "specs/mnist/mnist_spec_idx_8098_eps_0.01500.vnnlib"),
]


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("bench, onnx, vnnlib", CONSENSUS_SLICE, ids=lambda v: str(v).replace(".vnnlib", ""))
def test_agrees_with_vnncomp_consensus(shared_data, bench, onnx, vnnlib):
    from relucid.io import load, load_vnnlib

    folder = shared_data / _DIRS[bench]
    net = load(folder / onnx)
    path = folder / vnnlib
    if not path.exists():  # the consensus file says specs/mnist/..., the data has specs/...
        path = folder / "specs" / path.name
    input_set, prop = load_vnnlib(path, input_dim=net.input_dim, output_dim=net.output_dim)
    r = rl.verify(net, input_set, prop, timeout=60)
    expected = consensus(shared_data, onnx, vnnlib)
    assert r.status != {"proved": "falsified", "falsified": "proved"}[expected], f"contradicts VNN-COMP: {r}"
    assert r.status == expected, f"undecided in 60 s (decided in ~1 s on the dev machine): {r}"
    if r.status == "falsified":
        assert_counterexample(net, input_set, prop, r)
