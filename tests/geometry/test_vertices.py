"""Vertices: known polygons, H -> V -> H round trips, degenerate and unbounded cases."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.spatial import ConvexHull

from geom_cases import EMPTY, HALF_PLANE, POINT, SEGMENT, SIMPLEX3, SQUARE, TRIANGLE, hull_polytope
from relucid.errors import InvalidValueError
from relucid.geometry import Box, Polyhedron


def same_points(P, Q, atol=1e-8):
    P, Q = np.asarray(P), np.asarray(Q)
    assert P.shape == Q.shape, (P, Q)
    for p in P:
        assert np.min(np.max(np.abs(Q - p), axis=1)) <= atol, (p, Q)


def signed_area(V):
    x, y = V[:, 0], V[:, 1]
    return 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)


def test_square_counter_clockwise():
    V = SQUARE.vertices()
    same_points(V, [[-1, -1], [1, -1], [1, 1], [-1, 1]])
    assert signed_area(V) == pytest.approx(4.0)  # > 0: counter-clockwise


def test_triangle_and_simplex():
    V = TRIANGLE.vertices()
    same_points(V, [[0, 0], [1, 0], [0, 1]])
    assert signed_area(V) == pytest.approx(0.5)
    same_points(SIMPLEX3.vertices(), np.vstack([np.zeros(3), np.eye(3)]))
    assert Box(0, 1, dim=3).vertices().shape == (8, 3)


def test_redundant_and_duplicate_rows_do_not_add_vertices():
    P = TRIANGLE.with_rows([[1.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [1.0, 3.0, 2.0])
    same_points(P.vertices(), [[0, 0], [1, 0], [0, 1]])


def test_empty_and_unbounded():
    assert EMPTY.vertices().shape == (0, 2)
    with pytest.raises(InvalidValueError, match=r"unbounded \(in direction \+x0\); intersect it with a Box first"):
        HALF_PLANE.vertices()
    with pytest.raises(InvalidValueError, match="vertex enumeration is for low dimensions"):
        Box(0, 1, dim=12).vertices()


def test_lower_dimensional_polytopes():
    same_points(SEGMENT.vertices(), [[1, -1], [1, 1]])
    same_points(POINT.vertices(), [[2, 3]])
    flat = Polyhedron(np.vstack([np.eye(3), -np.eye(3)]), [1.0, 1.0, 0.5, 0.0, 0.0, -0.5])  # z = 0.5
    same_points(flat.vertices(), [[0, 0, 0.5], [1, 0, 0.5], [0, 1, 0.5], [1, 1, 0.5]])
    # a triangle tilted in 3-D: x + y + z = 1, x, y, z >= 0 (as two inequalities)
    tilted = Polyhedron(np.vstack([-np.eye(3), np.ones((1, 3)), -np.ones((1, 3))]), [0, 0, 0, 1.0, -1.0])
    same_points(tilted.vertices(), np.eye(3))
    same_points(Polyhedron([[1.0], [-1.0]], [2.0, 1.0]).vertices(), [[-1.0], [2.0]])


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 3), k=st.integers(4, 25))
def test_round_trip_h_v_h(seed, n, k):
    """conv(points) -> H (Qhull) -> V (ours) gives the hull's vertices; V -> H again gives the same set."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-1, 1, size=(k, n))
    P, hull_vertices = hull_polytope(pts)
    V = P.vertices()
    same_points(V, hull_vertices, atol=1e-7)
    if n == 2:
        assert signed_area(V) > 0
    Q, _ = hull_polytope(V)
    X = rng.uniform(-1.2, 1.2, size=(2000, n))
    inside_p, inside_q = P.contains(X, tol=1e-9), Q.contains(X, tol=1e-9)
    near = np.min(P.b - X @ P.A.T, axis=1)
    stable = np.abs(near) > 1e-6  # points on the boundary may go either way
    np.testing.assert_array_equal(inside_p[stable], inside_q[stable])
    assert ConvexHull(V).volume == pytest.approx(ConvexHull(pts).volume)
