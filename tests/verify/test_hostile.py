"""The adversarial review's hostile inputs for the verifier (issue 15), through the API and the CLI.

Each test reproduces the exact input of one finding: 1 (constant overflow in a
VNN-LIB file), 2 (strict input constraints), 4 (thousands of disjuncts and the
timeout), 5 (no output constraint), 8 (an empty property, a ±1.7e308 box),
10 (the MILP back end alone and reachable ties), 12 (ClassWins on a
one-output network), 13 (notes of a falsified PolyUnion), 14 (``timeout=True``,
a float32 witness).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import relucid as rl
from relucid.cli import main
from relucid.errors import InvalidValueError, RelucidError, ShapeError
from relucid.io.vnnlib import VnnlibError
from relucid.verify.query import StrictPolyhedron

ONE_IN_ONE_OUT = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"  # 2 lines


def identity(n: int = 1) -> rl.Network:
    return rl.Network([rl.Dense(np.eye(n), np.zeros(n))])


@pytest.fixture
def id_net(tmp_path):
    path = tmp_path / "id.npz"
    rl.save(identity(), path)
    return path


def write(tmp_path, text: str, name: str = "prop.vnnlib"):
    path = tmp_path / name
    path.write_text(text)
    return path


def cli(capsys, *argv):
    code = main(["verify", *map(str, argv)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err
    return code, out, err


def one_line_error(code, out, err, *parts):
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    for p in parts:
        assert p in err, (p, err)


# -- finding 1: constant overflow must not drop a constraint -----------------------------------
OVERFLOWS = [
    "(assert (<= (* 1e308 10 X_0) -1))",           # the review's input: 1e309 * X_0, NaN constant
    "(assert (<= (+ 1e308 1e308 X_0) 0))",         # a sum of constants
    "(assert (<= (/ X_0 1e-310) 1))",              # a quotient
    "(assert (<= (- (* 1e300 1e10 X_0) X_0) 1))",  # inf - 1
    "(assert (<= (* 1e-200 1e-200 X_0) 0))",       # underflow: the coefficient would become 0
    "(assert (<= X_0 1e-400))",                    # a literal that reads as 0
]


@pytest.mark.parametrize("bad", OVERFLOWS)
def test_constant_overflow_is_an_error_naming_file_and_line(tmp_path, id_net, capsys, bad):
    prop = write(tmp_path, ONE_IN_ONE_OUT + "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n" + bad + "\n"
                 "(assert (>= Y_0 -5))\n")
    with pytest.raises(VnnlibError, match=r"prop\.vnnlib:5: .*(overflows|underflows|too small)"):
        rl.load_vnnlib(prop)
    one_line_error(*cli(capsys, id_net, prop), "prop.vnnlib:5:")


def test_folding_that_fits_is_kept(tmp_path):
    prop = write(tmp_path, ONE_IN_ONE_OUT + "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n"
                 "(assert (<= (* 0.0 1e308 X_0) 1))\n(assert (<= (/ (* 1e300 X_0) 1e300) 2))\n(assert (>= Y_0 -5))\n")
    box, _ = rl.load_vnnlib(prop)
    assert isinstance(box, rl.Polyhedron) and box.dim == 1


# -- finding 2: strict input constraints -------------------------------------------------------
STRICT = ONE_IN_ONE_OUT + "(assert (>= X_0 -1))\n(assert (< X_0 0))\n"


@pytest.mark.parametrize("method", ["auto", "milp", "input-split"])
@pytest.mark.parametrize("attack_first", [True, False])
def test_strict_input_boundary_point_is_not_a_counterexample(tmp_path, method, attack_first):
    # y = x on -1 <= x < 0 never reaches y >= 0: the only point of the closure, x = 0, is outside.
    input_set, prop = rl.load_vnnlib(write(tmp_path, STRICT + "(assert (>= Y_0 0))\n"))
    assert isinstance(input_set, StrictPolyhedron)
    r = rl.verify(identity(), input_set, prop, method=method, attack_first=attack_first, timeout=20)
    assert r.status in ("proved", "unknown") and r.counterexample is None
    if r.status == "unknown":
        assert "strict" in r.note


@pytest.mark.parametrize("method", ["auto", "milp", "input-split"])
@pytest.mark.parametrize("attack_first", [True, False])
def test_strict_input_interior_counterexample_is_found(tmp_path, method, attack_first):
    input_set, prop = rl.load_vnnlib(write(tmp_path, STRICT + "(assert (>= Y_0 -0.5))\n"))
    r = rl.verify(identity(), input_set, prop, method=method, attack_first=attack_first, timeout=20)
    assert r.falsified and -0.5 <= r.counterexample[0] < 0


def test_strict_input_cli(tmp_path, id_net, capsys):
    code, out, err = cli(capsys, id_net, write(tmp_path, STRICT + "(assert (>= Y_0 0))\n"), "--timeout", "20")
    assert code == 0 and out.splitlines()[0] in ("timeout", "unsat"), out
    assert "X_0 0.0" not in out


def test_strict_input_marabou(tmp_path):
    pytest.importorskip("maraboupy")
    from relucid.verify.marabou import verify_marabou

    input_set, prop = rl.load_vnnlib(write(tmp_path, STRICT + "(assert (>= Y_0 0))\n"))
    r = verify_marabou(identity(), input_set, prop, timeout=20)
    assert not r.falsified
    input_set, prop = rl.load_vnnlib(write(tmp_path, STRICT + "(assert (>= Y_0 -0.5))\n"))
    r = verify_marabou(identity(), input_set, prop, timeout=20)
    assert r.falsified and r.counterexample[0] < 0


# -- finding 4: thousands of disjuncts, the timeout honoured -------------------------------------
def _many_disjuncts(tmp_path, K: int, product: bool = False):
    """A 5-50-50-5 relu network and K one-row disjuncts ``Y_j >= t_k`` that no bound closes
    (``product``: K = 2^16 disjuncts of 16 rows, from 16 asserts ``(or (>= Y_0 a) (>= Y_1 b))``)."""
    rng = np.random.default_rng(0)
    layers = []
    for a, b, act in ((5, 50, "relu"), (50, 50, "relu"), (50, 5, "identity")):
        W = rng.normal(size=(b, a)) / np.sqrt(a)
        layers.append(rl.Dense(W, rng.normal(size=b) * 0.1 if act == "relu" else np.zeros(b), act))
    net = rl.Network(layers)
    lines = [f"(declare-const X_{i} Real)" for i in range(5)] + [f"(declare-const Y_{j} Real)" for j in range(5)]
    lines += [f"(assert (>= X_{i} -1))\n(assert (<= X_{i} 1))" for i in range(5)]
    base = [0.5, 0.3, 1.5, 1.5, 1.2]  # above every sampled output, below every DeepPoly bound
    if product:
        lines += [f"(assert (or (>= Y_0 {0.5 + t * 0.01}) (>= Y_1 {0.3 + t * 0.01})))" for t in range(K.bit_length() - 1)]
    else:
        lines.append("(assert (or " + " ".join(f"(and (>= Y_{k % 5} {base[k % 5] + k * 1e-5:.6f}))"
                                               for k in range(K)) + "))")
    path = tmp_path / f"d{K}.vnnlib"
    path.write_text("\n".join(lines) + "\n")
    net_path = tmp_path / "r5.npz"
    rl.save(net, net_path)
    return net, net_path, path


@pytest.mark.slow
@pytest.mark.parametrize("K,product", [(2000, False), (65536, False), (65536, True)])
def test_many_disjuncts_honour_the_timeout(tmp_path, capsys, K, product):
    T = 3.0
    net, net_path, path = _many_disjuncts(tmp_path, K, product)
    input_set, prop = rl.load_vnnlib(path)
    assert len(prop.disjuncts) == K
    t0 = time.monotonic()
    r = rl.verify(net, input_set, prop, timeout=T)
    wall = time.monotonic() - t0
    assert wall <= 1.1 * T + 3, wall
    assert r.status in ("unknown", "proved")  # no sampled output reaches a threshold
    if K == 2000:  # the CLI (its parse of the 65,536-disjunct file is not under --timeout)
        t0 = time.monotonic()
        code, out, _ = cli(capsys, net_path, path, "--timeout", T)
        assert code == 0 and out.splitlines()[0] in ("timeout", "unsat")
        assert time.monotonic() - t0 <= 1.1 * T + 3


def test_many_disjuncts_are_checked_like_one_by_one():
    # The vectorised counterexample check agrees with the per-disjunct one (strict rows, empty rows, NaN).
    rng = np.random.default_rng(1)
    conjs = [rl.Conjunction(rng.integers(-2, 3, size=(m, 3)).astype(float), rng.integers(-1, 2, size=m).astype(float),
                            rng.random(m) < 0.5) for m in rng.integers(0, 4, size=40)]
    Y = rng.integers(-2, 3, size=(500, 3)).astype(float)
    Y[0] = np.nan
    expected = np.full(len(Y), -1)
    for k, c in enumerate(conjs):
        expected[(expected < 0) & c.satisfied(Y)] = k
    got = rl.OutputAvoids(tuple(conjs)).violated_by(Y)
    assert got.tolist() == expected.tolist()


# -- finding 5: no output constraint ------------------------------------------------------------
NO_OUTPUT = {
    "assert-true": ONE_IN_ONE_OUT + "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert true)\n",
    "never-constrained": ONE_IN_ONE_OUT + "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n",
}


@pytest.mark.parametrize("case", sorted(NO_OUTPUT))
@pytest.mark.parametrize("method", ["auto", "milp", "input-split"])
def test_no_output_constraint_is_falsified(tmp_path, id_net, capsys, case, method):
    prop_path = write(tmp_path, NO_OUTPUT[case])
    input_set, prop = rl.load_vnnlib(prop_path)
    for attack_first in (True, False):
        r = rl.verify(identity(), input_set, prop, method=method, attack_first=attack_first)
        assert r.falsified and -1 <= r.counterexample[0] <= 1 and r.violated == 0
    code, out, err = cli(capsys, id_net, prop_path, "--method", method)
    assert code == 0 and out.splitlines()[0] == "sat"


def test_no_output_constraint_with_a_pattern_still_needs_the_pattern():
    net = rl.Network([rl.Dense([[1.0]], [0.0], "relu"), rl.Dense([[1.0]], [0.0])])
    prop = rl.OutputAvoids((rl.Conjunction(np.zeros((0, 1)), np.zeros(0)),))
    p = rl.Pattern.from_string(net, "1")  # x > 0
    r = rl.verify(net, rl.Box([-1], [1]), prop, pattern=p)
    assert r.falsified and r.counterexample[0] > 0
    # no input follows it (only x = 0, where z = 0 is off, is in the closure): never a counterexample
    assert not rl.verify(net, rl.Box([-1], [0]), prop, pattern=p, timeout=10).falsified
    assert rl.verify(net, rl.Box([-1], [-0.5]), prop, pattern=p).proved


# -- finding 8: an empty property, a box of +-1.7e308 -------------------------------------------
def test_empty_property_files(tmp_path, id_net, capsys):
    for text in ("", "; only a comment\n", ONE_IN_ONE_OUT):
        path = write(tmp_path, text)
        with pytest.raises(VnnlibError):
            rl.load_vnnlib(path)
        one_line_error(*cli(capsys, id_net, path), "prop.vnnlib")
    # an empty violation set: the property holds
    assert rl.verify(identity(), rl.Box([-1], [1]), rl.OutputAvoids(())).proved


def test_huge_box_is_refused(tmp_path, id_net, capsys):
    path = write(tmp_path, ONE_IN_ONE_OUT + "(assert (>= X_0 -1.7e308))\n(assert (<= X_0 1.7e308))\n"
                 "(assert (>= Y_0 1e300))\n")
    input_set, prop = rl.load_vnnlib(path)
    with pytest.raises(InvalidValueError, match="too wide for float64"):
        rl.verify(identity(), input_set, prop)
    one_line_error(*cli(capsys, id_net, path), "too wide for float64")
    # bounds that overflow inside the network
    net = rl.Network([rl.Dense([[1e300]], [0.0], "relu"), rl.Dense([[1e300]], [0.0])])
    with pytest.raises(InvalidValueError, match="overflow float64"):
        rl.verify(net, rl.Box([-1e10], [1e10]), rl.OutputIn(rl.Box([-1.0], [1.0])))


# -- finding 10: the MILP back end alone; reachable ties ------------------------------------------
def test_milp_alone_finds_a_reachable_tie():
    # y1 - y0 = -4 relu(z0) - relu(z1) <= 0: ClassWins(0) is violated only by ties (both neurons off).
    net = rl.Network([rl.Dense([[-2.0, 1.0, -3.0], [3.0, 0.0, 2.0]], [1.0, 0.0], "relu"),
                      rl.Dense([[3.0, -2.0], [-1.0, -3.0]], [-1.0, -1.0])])
    box = rl.Box(-np.ones(3), np.ones(3))
    for method in ("milp", "input-split", "auto"):
        r = rl.verify(net, box, rl.ClassWins(0), method=method, attack_first=False, timeout=30)
        assert r.falsified, (method, r)
        y = net(r.counterexample)
        assert y[1] >= y[0] and not rl.ClassWins(0).holds_at(y[None])[0]


@pytest.mark.parametrize("lo,hi", [(-1.0, 2.0), (-0.3, 0.7)])
def test_tie_at_a_single_point_is_found(lo, hi):
    # y0 = |x|, y1 = 0: ClassWins(0) fails only at x = 0, inside a box that splitting never cuts at 0.
    net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0], [0.0, 0.0]], [0.0, 0.0])])
    for method in ("milp", "input-split"):
        for attack_first in (True, False):
            r = rl.verify(net, rl.Box([lo], [hi]), rl.ClassWins(0), method=method, attack_first=attack_first, timeout=30)
            assert r.falsified and r.counterexample[0] == 0.0, (method, attack_first, r)


# -- finding 12: ClassWins on a one-output network agrees with Network.classify ---------------------
def test_class_wins_on_one_output_follows_classify():
    net = identity()  # class 1 where y0 > 0
    box = rl.Box([-1], [1])
    for c in (0, 1):
        r = rl.verify(net, box, rl.ClassWins(c))
        assert r.falsified and int(net.classify(r.counterexample)) != c
    assert rl.verify(net, rl.Box([-1], [0]), rl.ClassWins(0)).proved  # y0 <= 0: class 0 everywhere
    assert (net.classify(np.linspace(-1, 0, 11)[:, None]) == 0).all()
    r = rl.verify(net, rl.Box([-1], [0]), rl.ClassWins(1))
    assert r.falsified and net.classify(r.counterexample) == 0
    assert rl.verify(net, rl.Box([1e-3], [1]), rl.ClassWins(1)).proved
    Y = np.array([[-1.0], [0.0], [2.0]])
    assert rl.ClassWins(1).holds_at(Y).tolist() == (net.classify(Y) == 1).tolist()
    assert rl.ClassWins(0).holds_at(Y).tolist() == (net.classify(Y) == 0).tolist()
    with pytest.raises(ShapeError, match="binary classifier"):
        rl.verify(net, box, rl.ClassWins(2))


# -- finding 13: a falsified PolyUnion's note ----------------------------------------------------
def test_falsified_union_has_no_vacuous_note(tmp_path, id_net, capsys):
    text = ONE_IN_ONE_OUT + ("(assert (or (and (>= X_0 2) (<= X_0 1)) (and (>= X_0 -1) (<= X_0 1))))\n"
                             "(assert (>= Y_0 0.5))\n")
    path = write(tmp_path, text)
    union, prop = rl.load_vnnlib(path)
    assert isinstance(union, rl.PolyUnion) and len(union) == 2
    r = rl.verify(identity(), union, prop)
    assert r.falsified
    assert r.note is None or ("vacuous" not in r.note and "empty" not in r.note)
    code, out, _ = cli(capsys, id_net, path)
    assert code == 0 and out.splitlines()[0] == "sat" and "vacuous" not in out
    # a proof of several pieces keeps each piece's note, naming it
    r = rl.verify(identity(), union, rl.OutputIn(rl.Box([-1.0], [1.0])))
    assert r.proved and r.note.startswith("piece 0: the input set is empty")


# -- finding 14: timeout=True; a witness that survives float32 --------------------------------------
def test_timeout_true_is_refused():
    with pytest.raises(InvalidValueError, match="timeout"):
        rl.verify(identity(), rl.Box([-1], [1]), rl.ClassWins(0), timeout=True)
    from relucid.verify.marabou import verify_marabou

    with pytest.raises(InvalidValueError, match="timeout"):
        verify_marabou(identity(), rl.Box([-1], [1]), rl.ClassWins(0), timeout=True)


def test_counterexample_survives_float32_cast():
    # 0.3 is not a float32 number: float32(0.3) > 0.3 lies outside the box. The violation y >= 0.25
    # is largest at the corner x = 0.3; the witness must be a float32 number inside the box.
    r = rl.verify(identity(), rl.Box([0.1], [0.3]), rl.OutputIn(rl.Box([-1.0], [0.25])))
    x = r.counterexample
    assert r.falsified and r.stats["float32_witness"]
    assert np.array_equal(x, x.astype(np.float32).astype(np.float64)) and 0.25 < x[0] <= 0.3


def test_no_float32_witness_is_said():
    # The only counterexample is x = 0.1 (a flat box), which float32 cannot hold.
    r = rl.verify(identity(), rl.Box([0.1], [0.1]), rl.OutputIn(rl.Box([-1.0], [0.05])))
    assert r.falsified and not r.stats["float32_witness"] and "float32" in r.note


@pytest.mark.shared_data
def test_acasxu_2_9_prop_8_float32_witness(shared_data, capsys):
    d = shared_data / "acasxu"
    net_path, prop_path = d / "ACASXU_run2a_2_9_batch_2000.onnx", d / "prop_8.vnnlib"
    net = rl.load(net_path)
    box, prop = rl.load_vnnlib(prop_path)
    r = rl.verify(net, box, prop, timeout=60)
    assert r.falsified
    x32 = r.counterexample.astype(np.float32).astype(np.float64)
    assert box.contains(x32, tol=0) and not prop.holds_at(net(x32))[0]
    code, out, _ = cli(capsys, net_path, prop_path, "--timeout", 60)
    assert code == 0 and out.splitlines()[0] == "sat"


def test_every_refusal_is_a_relucid_error(tmp_path):
    # the API raises relucid's own errors for the review's bad inputs
    for bad in (OVERFLOWS[0], "(assert (<= X_0 1e-400))"):
        with pytest.raises(RelucidError):
            rl.load_vnnlib(write(tmp_path, ONE_IN_ONE_OUT + bad + "\n"))
