"""VNN-LIB reading: the shared benchmark files, hand-written texts, every refusal, a round trip."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relucid.errors import InvalidValueError
from relucid.geometry import Box, Polyhedron, PolyUnion
from relucid.io import load_vnnlib
from relucid.io.vnnlib import VnnlibError, parse_vnnlib
from relucid.verify.properties import OutputAvoids

HEADER = """; two inputs, two outputs
(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const Y_0 Real)
(declare-const Y_1 Real)
(assert (<= X_0 1))
(assert (>= X_0 0))
(assert (<= X_1 1))
(assert (>= X_1 -1))
"""  # 9 lines: the next assert is on line 10


# -- the shared benchmark files ----------------------------------------------------------------
@pytest.mark.shared_data
def test_every_shared_file_parses(shared_data):
    files = sorted(shared_data.rglob("*.vnnlib"))
    assert len(files) >= 100
    for f in files:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            input_set, prop = load_vnnlib(f)
        assert isinstance(input_set, (Box, PolyUnion)), f
        assert isinstance(prop, OutputAvoids) and prop.disjuncts, f
        assert prop.describe() == f"VNN-LIB {f.name}"


@pytest.mark.shared_data
def test_acasxu_prop_1(shared_data):
    box, prop = load_vnnlib(shared_data / "acasxu" / "prop_1.vnnlib", input_dim=5, output_dim=5)
    assert isinstance(box, Box)
    np.testing.assert_array_equal(box.lo, [0.6, -0.5, -0.5, 0.45, -0.5])
    np.testing.assert_array_equal(box.hi, [0.679857769, 0.5, 0.5, 0.5, -0.45])
    (conj,) = prop.violations(5)
    np.testing.assert_array_equal(conj.C, [[-1.0, 0, 0, 0, 0]])  # Y_0 >= 3.991125645861615
    np.testing.assert_array_equal(conj.d, [-3.991125645861615])
    assert not conj.strict.any()
    assert prop.holds_at([[3.99, 0, 0, 0, 0]]).tolist() == [True]
    assert prop.holds_at([[3.991125645861615, 0, 0, 0, 0]]).tolist() == [False]


@pytest.mark.shared_data
def test_acasxu_prop_6_is_a_union_of_two_boxes(shared_data):
    union, prop = load_vnnlib(shared_data / "acasxu" / "prop_6.vnnlib")
    assert isinstance(union, PolyUnion) and len(union) == 2
    assert all(isinstance(p, Box) for p in union)
    np.testing.assert_array_equal(union[0].lo, [-0.129289109, 0.11140846, -0.499999896, -0.5, -0.5])
    np.testing.assert_array_equal(union[1].hi, [0.700434925, -0.11140846, -0.499204121, 0.5, 0.5])
    assert len(prop.disjuncts) == 4  # "COC is not minimal": Y_j <= Y_0 for j = 1..4
    np.testing.assert_array_equal(prop.disjuncts[0].C, [[-1.0, 1.0, 0, 0, 0]])


@pytest.mark.shared_data
def test_mnistfc_prop_is_a_box_and_a_class_wins_violation(shared_data):
    path = shared_data / "mnistfc" / "prop_0_0.03.vnnlib"  # label 8
    box, prop = load_vnnlib(path, input_dim=784, output_dim=10)  # its speed: benchmarks, not tests
    assert isinstance(box, Box) and box.dim == 784
    assert (box.lo >= 0).all() and (box.hi <= 1).all()
    assert len(prop.disjuncts) == 9
    for j, conj in zip([0, 1, 2, 3, 4, 5, 6, 7, 9], prop.disjuncts):
        row = np.zeros(10)
        row[8], row[j] = 1.0, -1.0  # Y_j >= Y_8
        np.testing.assert_array_equal(conj.C, [row])
        np.testing.assert_array_equal(conj.d, [0.0])
    y = np.zeros(10)
    y[8] = 1.0
    assert prop.holds_at([y]).tolist() == [True]


@pytest.mark.shared_data
def test_test_small_mixes_inputs_and_outputs_in_one_conjunction(shared_data):
    box, prop = load_vnnlib(shared_data / "test" / "test_small.vnnlib", input_dim=1, output_dim=1)
    np.testing.assert_array_equal([box.lo, box.hi], [[-1.0], [1.0]])
    np.testing.assert_array_equal(prop.disjuncts[0].C, [[-1.0]])
    np.testing.assert_array_equal(prop.disjuncts[0].d, [-100.0])


# -- hand-written texts ------------------------------------------------------------------------
def test_strict_comparisons_are_kept():
    _, prop = parse_vnnlib(HEADER + "(assert (or (and (< Y_0 Y_1) (>= Y_0 0)) (and (> Y_0 2))))")
    a, b = prop.violations(2)
    np.testing.assert_array_equal(a.C, [[1.0, -1.0], [-1.0, 0.0]])
    np.testing.assert_array_equal(a.strict, [True, False])
    np.testing.assert_array_equal(b.C, [[-1.0, 0.0]])
    np.testing.assert_array_equal(b.d, [-2.0])
    assert b.strict.tolist() == [True]
    assert prop.holds_at([[2.0, 0.0], [1.0, 1.0]]).tolist() == [True, True]
    assert prop.holds_at([[2.5, 0.0], [0.0, 1.0]]).tolist() == [False, False]


def test_expressions_on_both_sides():
    text = HEADER + "(assert (<= (+ Y_0 (* 2 Y_1) -0.5) (- (* 3 Y_1) (- 0.25) (/ Y_0 4))))"
    _, prop = parse_vnnlib(text)
    (conj,) = prop.disjuncts
    # y0 + 2 y1 - 0.5 - (3 y1 + 0.25 - y0 / 4) <= 0  <=>  1.25 y0 - y1 <= 0.75
    np.testing.assert_array_equal(conj.C, [[1.25, -1.0]])
    np.testing.assert_array_equal(conj.d, [0.75])


def test_equality_and_chains():
    _, prop = parse_vnnlib(HEADER + "(assert (= Y_0 1e-3))(assert (<= 0 Y_1 1.5E1))")
    (conj,) = prop.disjuncts
    np.testing.assert_array_equal(conj.C, [[1, 0], [-1, 0], [0, -1], [0, 1]])
    np.testing.assert_array_equal(conj.d, [1e-3, -1e-3, 0, 15])


def test_general_linear_inputs_give_a_polyhedron():
    text = HEADER + "(assert (<= (+ X_0 X_1) 0.5))\n(assert (>= Y_0 0))"
    P, _ = parse_vnnlib(text)
    assert type(P) is Polyhedron
    assert P.contains([0.25, 0.25]) and not P.contains([0.5, 0.5])


def test_input_disjunction_is_intersected_with_the_other_input_constraints():
    text = HEADER + "(assert (or (and (<= X_0 0.25)) (and (>= X_0 0.75))))\n(assert (>= Y_0 0))"
    union, _ = parse_vnnlib(text)
    assert isinstance(union, PolyUnion) and len(union) == 2
    np.testing.assert_array_equal([union[0].lo, union[0].hi], [[0, -1], [0.25, 1]])
    np.testing.assert_array_equal([union[1].lo, union[1].hi], [[0.75, -1], [1, 1]])


def test_shared_input_part_of_mixed_disjuncts_is_factored():
    text = HEADER + "(assert (or (and (<= X_0 0.5) (<= Y_0 1)) (and (<= X_0 0.5) (<= Y_1 2))))"
    box, prop = parse_vnnlib(text)
    np.testing.assert_array_equal(box.hi, [0.5, 1])
    assert [c.text() for c in prop.disjuncts] == ["y0 <= 1", "y1 <= 2"]


def test_no_output_constraint_means_every_output_violates():
    _, prop = parse_vnnlib(HEADER)
    assert len(prop.disjuncts) == 1 and len(prop.disjuncts[0]) == 0
    assert prop.holds_at([[0.0, 0.0]]).tolist() == [False]


def test_strict_input_constraints_are_kept():
    from relucid.verify.query import StrictPolyhedron

    text = HEADER.replace("(<= X_0 1)", "(< X_0 1)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        poly, _ = parse_vnnlib(text)
    assert isinstance(poly, StrictPolyhedron)
    assert poly.bounding_box()[1][0] == 1.0  # the closure
    assert poly.strict.tolist() == [r[0] == 1.0 and b == 1.0 for r, b in zip(poly.A, poly.b)]


# -- refusals: one line, naming file:line ------------------------------------------------------
ERRORS = [
    ("(assert (<= (exp Y_0) 1))", 10, "unsupported operator or function 'exp'"),
    ("(assert (<= Y_0\n    (* Y_1 Y_0)))", 11, "nonlinear"),
    ("(assert (>= Y_0 2))\n(assert (<= Y_2 1))", 11, "undeclared variable Y_2"),
    ("(assert (<= Y_0 1)))", 10, "unbalanced parentheses"),
    ("\n(assert (<= Y_0 1)", 11, "unbalanced parentheses"),
    ("(declare-const Y_2 Int)", 10, "only Real variables"),
    ("(declare-const Y_3 Real)", 10, "Y_3 is declared but Y_2 is not"),
    ("(assert (or\n (and (<= X_0 0.5) (<= Y_0 1))\n (and (>= X_0 0.5) (<= Y_1 1))))", 11,
     "mixing input and output constraints inside one disjunct is not supported"),
    ("(assert (or (<= X_0 0.5) (<= Y_1 1)))", 10, "disjunction between input and output"),
    ("(assert (<= X_0 Y_1))", 10, "both inputs and outputs"),
    ("(assert (not (<= Y_0 1)))", 10, "unsupported operator 'not'"),
    ("(assert (<= Y_0 foo))", 10, "unknown symbol 'foo'"),
    ("(assert (<= Y_0 1e999))", 10, "out of the float64 range"),
    ("(assert (<= Y_0 (/ Y_1 0)))", 10, "division by zero"),
    ("(define-fun f () Real 1)", 10, "unsupported command 'define-fun'"),
    ("(assert (<= Y_0 1))\n(declare-const X_0 Real)", 11, "declared twice"),
]


@pytest.mark.parametrize(("tail", "line", "cause"), ERRORS, ids=[e[2][:30] for e in ERRORS])
def test_errors_name_the_line(tail, line, cause):
    with pytest.raises(VnnlibError) as info:
        parse_vnnlib(HEADER + tail, source="spec.vnnlib")
    msg = str(info.value)
    assert isinstance(info.value, InvalidValueError)
    assert msg.startswith(f"spec.vnnlib:{line}: "), msg
    assert cause in msg and "\n" not in msg


def test_gap_in_the_inputs_names_the_declaration():
    text = "(declare-const X_0 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)\n"
    with pytest.raises(VnnlibError, match=r"^f:2: X_2 is declared but X_1 is not"):
        parse_vnnlib(text, source="f")


def test_missing_bound_names_the_variable():
    text = HEADER.replace("(assert (>= X_1 -1))\n", "")
    with pytest.raises(VnnlibError, match=r"^<string>:3: X_1 has no lower bound"):
        parse_vnnlib(text)


def test_used_before_declaration():
    with pytest.raises(VnnlibError, match=r":1: Y_0 is used before its declaration on line 2"):
        parse_vnnlib("(assert (<= Y_0 1))\n(declare-const Y_0 Real)\n(declare-const X_0 Real)")


def test_dimensions_are_checked():
    with pytest.raises(VnnlibError, match="property declares 2 inputs but the network has 784"):
        parse_vnnlib(HEADER, input_dim=784)
    with pytest.raises(VnnlibError, match="property declares 2 outputs but the network has 10"):
        parse_vnnlib(HEADER, output_dim=10)
    parse_vnnlib(HEADER, input_dim=2, output_dim=2)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.vnnlib"
    with pytest.raises(VnnlibError, match="no such file: .*nope.vnnlib"):
        load_vnnlib(path)


def test_load_reads_a_file(tmp_path):
    path = tmp_path / "p.vnnlib"
    path.write_text(HEADER + "(assert (>= Y_1 Y_0))\n")
    box, prop = load_vnnlib(path)
    np.testing.assert_array_equal(box.lo, [0, -1])
    assert prop.describe() == "VNN-LIB p.vnnlib"
    with pytest.raises(VnnlibError, match=r"^.*p.vnnlib:11: undeclared variable Y_5"):
        path.write_text(HEADER + "(assert (>= Y_1 Y_0))\n(assert (>= Y_5 Y_0))\n")
        load_vnnlib(path)


# -- round trip: random box and random DNF -> text -> arrays -----------------------------------
_FLOATS = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def _problem(draw):
    n_in = draw(st.integers(1, 5))
    n_out = draw(st.integers(1, 4))
    lo = np.array(draw(st.lists(_FLOATS, min_size=n_in, max_size=n_in)))
    hi = lo + np.array(draw(st.lists(st.floats(0, 10), min_size=n_in, max_size=n_in)))
    n_disj = draw(st.integers(1, 3))
    dnf = []
    for _ in range(n_disj):
        rows = []
        for _ in range(draw(st.integers(1, 3))):
            c = np.array(draw(st.lists(_FLOATS, min_size=n_out, max_size=n_out)))
            rows.append((c, draw(_FLOATS), draw(st.sampled_from(["<=", ">=", "<", ">"])), draw(st.booleans())))
        dnf.append(rows)
    return lo, hi, dnf


def _write(lo, hi, dnf) -> str:
    n_out = len(dnf[0][0][0])
    lines = [f"(declare-const X_{i} Real)" for i in range(len(lo))]
    lines += [f"(declare-const Y_{j} Real)" for j in range(n_out)]
    for i, (a, b) in enumerate(zip(lo, hi)):
        lines += [f"(assert (>= X_{i} {float(a)!r}))", f"(assert (<= X_{i} {float(b)!r}))"]
    ands = []
    for rows in dnf:
        atoms = []
        for c, rhs, op, flip in rows:
            expr = "(+ " + " ".join(f"(* {float(v)!r} Y_{j})" for j, v in enumerate(c)) + ")"
            lhs, rhs_text = (f"{rhs!r}", expr) if flip else (expr, f"{rhs!r}")
            if flip:  # rhs OP expr  is  expr OP' rhs
                op = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}[op]
            atoms.append(f"({op} {lhs} {rhs_text})")
        ands.append("(and " + " ".join(atoms) + ")")
    lines.append("(assert (or\n    " + "\n    ".join(ands) + "))")
    return "\n".join(lines)


@settings(max_examples=60, deadline=None)
@given(_problem())
def test_round_trip(problem):
    lo, hi, dnf = problem
    box, prop = parse_vnnlib(_write(lo, hi, dnf))
    np.testing.assert_array_equal(box.lo, lo)
    np.testing.assert_array_equal(box.hi, hi)
    assert len(prop.disjuncts) == len(dnf)
    for conj, rows in zip(prop.disjuncts, dnf):
        sign = np.array([1.0 if op in ("<=", "<") else -1.0 for _, _, op, _ in rows])
        C = np.array([c for c, *_ in rows]) * sign[:, None]
        d = np.array([r for _, r, _, _ in rows]) * sign
        np.testing.assert_array_equal(conj.C, C + 0.0)  # + 0.0: -0.0 and 0.0 compare equal anyway
        np.testing.assert_array_equal(conj.d, d)
        assert conj.strict.tolist() == [op in ("<", ">") for _, _, op, _ in rows]
