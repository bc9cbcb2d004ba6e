"""Polyhedron: validation, membership, emptiness, boundedness, Chebyshev ball, bounding box, constructions."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from geom_cases import (
    EMPTY, HALF_PLANE, POINT, SEGMENT, SIMPLEX3, SQUARE, TRIANGLE, lp_max, random_polytope, scipy_is_empty,
)
from relucid.errors import InvalidValueError, ShapeError
from relucid.geometry import Box, Polyhedron
from relucid.tolerances import MEMBERSHIP_TOL


# -- validation ------------------------------------------------------------------
def test_values_are_read_only_float64_copies():
    A = np.eye(2, dtype=np.float32)
    P = Polyhedron(A, [1, 1])
    assert P.A.dtype == np.float64 and P.b.dtype == np.float64
    assert not P.A.flags.writeable and not P.b.flags.writeable
    A[0, 0] = 5.0
    assert P.A[0, 0] == 1.0
    assert (P.dim, P.n_constraints) == (2, 2)
    assert repr(P) == "Polyhedron(dim=2, n_constraints=2)"


def test_validation_messages_are_pinned():
    with pytest.raises(ShapeError, match=r"A must be a 2-D array of shape \(m, n\); got shape \(2,\).*np.zeros\(\(0, n\)\)"):
        Polyhedron([1.0, 2.0], [1.0])
    with pytest.raises(ShapeError, match=r"A has 2 rows but b has 3 entries"):
        Polyhedron(np.eye(2), np.ones(3))
    with pytest.raises(ShapeError, match=r"b must be a 1-D array of shape \(2,\); got shape \(2, 1\)"):
        Polyhedron(np.eye(2), np.ones((2, 1)))
    with pytest.raises(InvalidValueError, match=r"A must be finite; found NaN at row 1, column 0"):
        Polyhedron([[1.0, 0.0], [np.nan, 1.0]], [1.0, 1.0])
    with pytest.raises(InvalidValueError, match=r"A must be finite; found inf at row 0, column 1"):
        Polyhedron([[1.0, np.inf]], [1.0])
    with pytest.raises(InvalidValueError, match=r"b contains NaN \(first at row 0\)"):
        Polyhedron([[1.0]], [np.nan])
    with pytest.raises(InvalidValueError, match="must be numeric"):
        Polyhedron([["a"]], [1.0])


def test_no_rows_is_the_whole_space():
    U = Polyhedron.universe(3)
    assert U.dim == 3 and U.n_constraints == 0
    assert U.contains([1e9, -1e9, 0.0]) and not U.is_empty()
    assert not U.is_bounded()
    lo, hi = U.bounding_box()
    assert np.all(lo == -np.inf) and np.all(hi == np.inf)
    assert U.chebyshev_center().radius == np.inf
    assert U.nonredundant_rows().shape == (0,)


def test_infinite_right_hand_sides():
    P = Polyhedron([[1.0, 0.0], [0.0, 1.0]], [np.inf, 1.0])  # row 0 imposes nothing
    assert P.contains([1e12, 0.0]) and not P.contains([0.0, 2.0])
    assert list(P.nonredundant_rows()) == [1]
    Q = Polyhedron([[1.0, 0.0]], [-np.inf])
    assert Q.is_empty() and not Q.contains([0.0, 0.0])


# -- membership ---------------------------------------------------------------------
def test_contains_vector_and_batch():
    assert TRIANGLE.contains([0.25, 0.25]) is True
    assert TRIANGLE.contains([1.0, 0.0])  # closed: vertices belong
    X = np.array([[0.2, 0.2], [0.6, 0.6], [-0.1, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(TRIANGLE.contains(X), [True, False, False, True])
    with pytest.raises(ShapeError, match="expected inputs of length 2, got length 3"):
        TRIANGLE.contains([0.0, 0.0, 0.0])


def test_contains_tolerance_is_relative_to_b():
    P = Polyhedron([[1.0]], [1e6])
    assert P.contains([1e6 * (1 + 0.5 * MEMBERSHIP_TOL)])  # within tol * (1 + |b|)
    assert not P.contains([1e6 + 2 * MEMBERSHIP_TOL * (1 + 1e6)])
    Q = Polyhedron([[1.0]], [0.0])
    assert Q.contains([0.5 * MEMBERSHIP_TOL]) and not Q.contains([2 * MEMBERSHIP_TOL])
    assert not Q.contains([0.1], tol=0.0) and Q.contains([0.1], tol=0.2)


# -- emptiness and boundedness --------------------------------------------------------
def test_emptiness_by_hand():
    assert not SQUARE.is_empty() and not TRIANGLE.is_empty() and not SEGMENT.is_empty() and not POINT.is_empty()
    assert EMPTY.is_empty()
    assert EMPTY.find_point() is None
    p = TRIANGLE.find_point()
    assert TRIANGLE.contains(p)
    assert Polyhedron([[0.0, 0.0]], [-1.0]).is_empty()  # 0 <= -1
    assert not Polyhedron([[0.0, 0.0]], [1.0]).is_empty()


@settings(max_examples=400, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6), m=st.integers(5, 20), boxed=st.booleans())
def test_emptiness_against_scipy_linprog(seed, n, m, boxed):
    P = random_polytope(np.random.default_rng(seed), n, m, box=1.0 if boxed else None)
    empty = P.is_empty()
    assert empty == scipy_is_empty(P.A, P.b)
    if not empty:
        assert P.contains(P.find_point(), tol=1e-7)


def test_boundedness_by_hand():
    assert SQUARE.is_bounded() and TRIANGLE.is_bounded() and SIMPLEX3.is_bounded() and SEGMENT.is_bounded()
    assert not HALF_PLANE.is_bounded()
    strip = Polyhedron([[0.0, 1.0], [0.0, -1.0]], [1.0, 1.0])  # |x1| <= 1, x0 free: full rank fails
    assert not strip.is_bounded()
    cone = Polyhedron([[-1.0, 0.0], [0.0, -1.0], [1.0, -1.0]], [0.0, 0.0, 0.0])  # x0 <= x1, both >= 0
    assert not cone.is_bounded()
    assert EMPTY.is_bounded()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), m=st.integers(1, 10))
def test_boundedness_against_bounding_box(seed, n, m):
    P = random_polytope(np.random.default_rng(seed), n, m, box=None)
    if P.is_empty():
        return
    lo, hi = P.bounding_box()
    assert P.is_bounded() == bool(np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)))


# -- Chebyshev ball ---------------------------------------------------------------------
def test_chebyshev_known_answers():
    ball = SQUARE.chebyshev_center()
    np.testing.assert_allclose(ball.center, [0.0, 0.0], atol=1e-9)
    assert ball.radius == pytest.approx(1.0)
    r = 1.0 / (2.0 + np.sqrt(2.0))  # inradius of the right triangle with legs 1
    ball = TRIANGLE.chebyshev_center()
    assert ball.radius == pytest.approx(r)
    np.testing.assert_allclose(ball.center, [r, r], atol=1e-9)
    ball = SIMPLEX3.chebyshev_center()  # inradius of the corner simplex: 1 / (3 + sqrt 3)
    assert ball.radius == pytest.approx(1.0 / (3.0 + np.sqrt(3.0)))


def test_chebyshev_degenerate_cases():
    empty = EMPTY.chebyshev_center()
    assert empty.center is None and empty.radius == -np.inf
    seg = SEGMENT.chebyshev_center()
    assert seg.radius == pytest.approx(0.0, abs=1e-12) and SEGMENT.contains(seg.center, tol=1e-7)
    half = HALF_PLANE.chebyshev_center()
    assert half.radius == np.inf
    assert half.center[1] < 0 and HALF_PLANE.contains(half.center)  # an interior point


# -- bounding box -------------------------------------------------------------------------
def test_bounding_box_by_hand():
    lo, hi = TRIANGLE.bounding_box()
    np.testing.assert_allclose(lo, [0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(hi, [1.0, 1.0], atol=1e-9)
    lo, hi = HALF_PLANE.bounding_box()
    np.testing.assert_array_equal(lo, [-np.inf, -np.inf])
    np.testing.assert_array_equal(hi, [np.inf, 0.0])
    lo, hi = EMPTY.bounding_box()
    assert np.all(lo == np.inf) and np.all(hi == -np.inf)
    lo, hi = POINT.bounding_box()
    np.testing.assert_allclose(lo, [2.0, 3.0])
    np.testing.assert_allclose(hi, [2.0, 3.0])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 3), m=st.integers(3, 12))
def test_bounding_box_is_the_vertex_hull_box(seed, n, m):
    P = random_polytope(np.random.default_rng(seed), n, m)
    lo, hi = P.bounding_box()
    if P.is_empty():
        assert np.all(lo == np.inf) and np.all(hi == -np.inf)
        return
    V = P.vertices()
    np.testing.assert_allclose(lo, V.min(axis=0), atol=1e-7)
    np.testing.assert_allclose(hi, V.max(axis=0), atol=1e-7)


# -- constructions ------------------------------------------------------------------------
def test_intersect():
    Q = SQUARE.intersect(TRIANGLE)
    assert Q.n_constraints == 7 and Q.contains([0.2, 0.2]) and not Q.contains([-0.5, 0.0])
    assert SQUARE.intersect(EMPTY).is_empty()
    with pytest.raises(ShapeError, match="requires sets of the same dimension but received sets of dimensions 2 and 3"):
        SQUARE.intersect(SIMPLEX3)
    with pytest.raises(InvalidValueError, match="expected a Polyhedron"):
        SQUARE.intersect(np.eye(2))


def test_with_rows_and_affine_preimage():
    P = SQUARE.with_rows([[1.0, 1.0]], [0.0])
    assert P.n_constraints == 5 and not P.contains([0.5, 0.5])
    with pytest.raises(ShapeError, match="rows must have 2 columns"):
        SQUARE.with_rows([[1.0, 1.0, 1.0]], [0.0])
    # {z : 2 z + 1 in [-1, 1]^2} = [-1, 0]^2
    W, c = 2.0 * np.eye(2), np.ones(2)
    Z = SQUARE.affine_preimage(W, c)
    lo, hi = Z.bounding_box()
    np.testing.assert_allclose(lo, [-1.0, -1.0])
    np.testing.assert_allclose(hi, [0.0, 0.0], atol=1e-12)
    line = SQUARE.affine_preimage(np.array([[1.0], [1.0]]), np.zeros(2))  # {t : (t, t) in square}
    assert line.dim == 1 and line.contains([1.0]) and not line.contains([1.5])
    with pytest.raises(ShapeError, match=r"W must have shape \(2, k\)"):
        SQUARE.affine_preimage(np.eye(3), np.zeros(3))


def test_box_is_a_polyhedron_for_every_method():
    B = Box([0.0, 0.0], [2.0, 1.0])
    assert isinstance(B, Polyhedron)
    P = Polyhedron(B.A, B.b)
    for method in ("is_empty", "is_bounded"):
        assert getattr(B, method)() == getattr(P, method)()
    np.testing.assert_allclose(B.chebyshev_center().radius, P.chebyshev_center().radius)
    for x, y in zip(B.bounding_box(), P.bounding_box()):
        np.testing.assert_allclose(x, y)
    assert lp_max(B.A, B.b, np.array([1.0, 1.0])) == pytest.approx(3.0)
