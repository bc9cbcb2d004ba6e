"""Box (a Polyhedron with bounds) and PolyUnion (finite unions)."""

import numpy as np
import pytest

from geom_cases import EMPTY, SQUARE, TRIANGLE
from relucid.errors import InvalidValueError, ShapeError
from relucid.geometry import Box, Polyhedron, PolyUnion


# -- Box -----------------------------------------------------------------------------
def test_box_rows():
    B = Box([0.0, -1.0], [2.0, 1.0])
    assert isinstance(B, Polyhedron)
    np.testing.assert_array_equal(B.A, [[1, 0], [0, 1], [-1, 0], [0, -1]])
    np.testing.assert_array_equal(B.b, [2.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(B.lo, [0.0, -1.0])
    np.testing.assert_array_equal(B.hi, [2.0, 1.0])
    np.testing.assert_array_equal(B.center, [1.0, 0.0])
    np.testing.assert_array_equal(B.widths, [2.0, 2.0])
    assert repr(B) == "Box(lo=[0.0, -1.0], hi=[2.0, 1.0])"


def test_box_infinite_bounds_skip_rows():
    B = Box([0.0, -np.inf], [np.inf, 1.0])
    np.testing.assert_array_equal(B.A, [[0, 1], [-1, 0]])
    np.testing.assert_array_equal(B.b, [1.0, 0.0])
    assert not B.is_bounded() and not B.is_finite
    assert B.chebyshev_center().radius == np.inf


def test_box_scalars_broadcast():
    assert Box(0, 1).dim == 1
    B = Box(0, 1, dim=784)
    assert B.dim == 784 and B.n_constraints == 1568
    np.testing.assert_array_equal(Box(0, [1, 2]).lo, [0, 0])
    np.testing.assert_array_equal(Box([-1, -2], 5).hi, [5, 5])


def test_box_errors_are_pinned():
    with pytest.raises(InvalidValueError, match=r"lo > hi in dimension 1 \(3 > 2\)"):
        Box([0, 3, 5], [1, 2, 4])
    with pytest.raises(ShapeError, match="lo and hi must have the same length; got 2 and 3"):
        Box([0, 0], [1, 1, 1])
    with pytest.raises(ShapeError, match="dim=3 but the bounds have length 2"):
        Box([0, 0], [1, 1], dim=3)
    with pytest.raises(InvalidValueError, match="bounds contain NaN"):
        Box([np.nan], [1.0])
    with pytest.raises(InvalidValueError, match="lo must be < \\+inf"):
        Box([np.inf], [np.inf])


def test_box_closed_forms_match_the_lp_answers():
    B = Box([0.0, -1.0, 3.0], [2.0, 1.0, 3.5])
    P = Polyhedron(B.A, B.b)
    assert B.chebyshev_center().radius == pytest.approx(P.chebyshev_center().radius)
    for x, y in zip(B.bounding_box(), P.bounding_box()):
        np.testing.assert_allclose(x, y)
    np.testing.assert_array_equal(B.nonredundant_rows(), P.nonredundant_rows())
    flat = Box([0.0, 1.0], [1.0, 1.0])
    assert flat.chebyshev_center().radius == 0.0 and not flat.is_empty()


# -- PolyUnion ---------------------------------------------------------------------------
def test_union_membership_and_box():
    U = PolyUnion([Box([0, 0], [1, 1]), Box([2, 0], [3, 1])])
    assert len(U) == 2 and U.dim == 2 and list(U) == list(U.pieces)
    assert U.contains([2.5, 0.5]) and not U.contains([1.5, 0.5])
    np.testing.assert_array_equal(U.contains([[0.5, 0.5], [1.5, 0.5], [3.0, 1.0]]), [True, False, True])
    lo, hi = U.bounding_box()
    np.testing.assert_allclose(lo, [0, 0])
    np.testing.assert_allclose(hi, [3, 1])
    assert not U.is_empty()
    assert repr(U) == "PolyUnion(dim=2, 2 pieces)"


def test_union_with_empty_pieces():
    U = PolyUnion([EMPTY, TRIANGLE])
    assert not U.is_empty() and len(U.nonempty_pieces()) == 1
    lo, hi = U.bounding_box()
    np.testing.assert_allclose(lo, [0, 0], atol=1e-9)
    np.testing.assert_allclose(hi, [1, 1], atol=1e-9)
    E = PolyUnion([], dim=2)
    assert E.is_empty() and len(E) == 0 and not E.contains([0.0, 0.0])
    lo, hi = E.bounding_box()
    assert np.all(lo == np.inf) and np.all(hi == -np.inf)
    assert PolyUnion([EMPTY]).is_empty()
    assert len(E.union(SQUARE).union(PolyUnion([TRIANGLE]))) == 2


def test_union_is_immutable():
    U = PolyUnion([SQUARE])
    assert isinstance(U.pieces, tuple)
    with pytest.raises(AttributeError):
        U.pieces = ()


def test_union_errors_are_pinned():
    with pytest.raises(InvalidValueError, match=r"an empty union needs its dimension: PolyUnion\(\[\], dim=n\)"):
        PolyUnion([])
    with pytest.raises(ShapeError, match=r"all pieces must have one dimension; got dimensions \[1, 2\]"):
        PolyUnion([SQUARE, Box(0, 1)])
    with pytest.raises(InvalidValueError, match="piece 1 must be a Polyhedron; got ndarray"):
        PolyUnion([SQUARE, np.eye(2)])
    with pytest.raises(ShapeError, match="dim=3 but the pieces have dimension 2"):
        PolyUnion([SQUARE], dim=3)
    with pytest.raises(InvalidValueError, match="wrap it in a list"):
        PolyUnion(SQUARE)
    with pytest.raises(ShapeError, match="expected inputs of length 2, got length 3"):
        PolyUnion([SQUARE]).contains([0.0, 0.0, 0.0])


def test_pickle_round_trip_keeps_values_read_only():
    import pickle

    B = Box([0.0, 0.0], [1.0, 2.0])
    for obj in (B, Polyhedron(B.A, B.b), PolyUnion([B, TRIANGLE])):
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is type(obj)
        pieces = zip(back.pieces, obj.pieces) if isinstance(back, PolyUnion) else [(back, obj)]
        for piece, original in pieces:
            assert not piece.A.flags.writeable and not piece.b.flags.writeable
            np.testing.assert_array_equal(piece.A, original.A)
            np.testing.assert_array_equal(piece.b, original.b)
    back = pickle.loads(pickle.dumps(B))
    assert not back.lo.flags.writeable
    np.testing.assert_array_equal(back.hi, [1.0, 2.0])
    assert back.contains([0.5, 1.5])
