"""Redundancy removal against brute force: kept rows are facets, removed rows are implied."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from geom_cases import EMPTY, SQUARE, TRIANGLE, lp_max, random_polytope
from relucid.errors import InvalidValueError
from relucid.geometry import Box, Polyhedron
from relucid.geometry.redundancy import nonredundant_rows


def check_minimal(P: Polyhedron, keep: np.ndarray, slack: float = 1e-7) -> None:
    """Brute force with scipy's linprog: every kept row is needed, every dropped row implied."""
    A, b = P.A, P.b
    assert np.all(np.diff(keep) > 0), "indices must be increasing"
    for i in keep:  # dropping a kept row enlarges the set
        others = np.setdiff1d(keep, [i])
        assert lp_max(A[others], b[others], A[i]) > b[i] + 1e-9 * (1 + abs(b[i])) - slack
    for i in np.setdiff1d(np.arange(len(b)), keep):  # a dropped row is implied by the kept ones
        if np.isfinite(b[i]):
            assert lp_max(A[keep], b[keep], A[i]) <= b[i] + slack * (1 + abs(b[i]))


def test_by_hand():
    np.testing.assert_array_equal(SQUARE.nonredundant_rows(), [0, 1, 2, 3])
    P = TRIANGLE.with_rows([[1.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.5, 0.5]], [5.0, 1.0, 2.0, 3.0])
    # x0 <= 5 is loose; (1,1).x <= 1 repeats row 2 (kept once: the lowest index); 2x <= 2 too; 0.5 x <= 3 is loose
    np.testing.assert_array_equal(P.nonredundant_rows(), [0, 1, 2])
    R = P.remove_redundant()
    assert R.n_constraints == 3 and R.contains([0.3, 0.3]) and not R.contains([0.6, 0.6])


def test_duplicates_keep_exactly_one_of_each_group():
    A = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0], [0.0, 1.0], [1.0, 0.0], [0.0, 3.0]])
    b = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 3.0])
    for method in ("per-row", "clarkson"):
        np.testing.assert_array_equal(nonredundant_rows(A, b, method=method), [0, 1, 2])
    # the tighter of two parallel rows wins, whatever its position
    np.testing.assert_array_equal(nonredundant_rows(np.vstack([A, [[0.0, 1.0]]]), np.append(b, 0.5)), [0, 2, 6])


def test_singleton_rows_become_bounds():
    # x0 <= 1 three times (scaled), x0 >= -1, x1 within [-1, 1]; the box prefilter removes x0 + x1 <= 5
    A = np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [1.0, 1.0], [0.5, 0.0]])
    b = np.array([1.0, 2.0, 1.0, 1.0, 1.0, 5.0, 0.5])
    np.testing.assert_array_equal(nonredundant_rows(A, b), [0, 2, 3, 4])


def test_empty_sets_and_trivial_rows():
    np.testing.assert_array_equal(EMPTY.nonredundant_rows(), [0, 1])  # two crossing bounds, alone
    P = Polyhedron([[1.0, 1.0], [0.0, 0.0], [1.0, -1.0]], [1.0, -2.0, 1.0])  # 0 <= -2: the one row that empties it
    np.testing.assert_array_equal(P.nonredundant_rows(), [1])
    Q = Polyhedron([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]], [-1.0, -1.0, 0.0])  # empty, no single culprit
    keep = Q.nonredundant_rows()
    assert Polyhedron(Q.A[keep], Q.b[keep]).is_empty()
    Z = Polyhedron([[0.0, 0.0], [1.0, 0.0]], [1.0, np.inf])  # nothing binds
    assert Z.nonredundant_rows().shape == (0,)


def test_unbounded_sets():
    P = Polyhedron([[0.0, 1.0], [0.0, 2.0], [1.0, 1.0], [1.0, 2.0]], [0.0, 1.0, 0.0, 5.0])
    keep = P.nonredundant_rows()
    np.testing.assert_array_equal(keep, [0, 2])
    check_minimal(P, keep)


def test_box_rows_are_all_facets():
    B = Box([0.0, -1.0, 2.0], [1.0, -1.0, np.inf])  # flat in dimension 1, open above in 2
    np.testing.assert_array_equal(B.nonredundant_rows(), np.arange(B.n_constraints))
    np.testing.assert_array_equal(Polyhedron(B.A, B.b).nonredundant_rows(), np.arange(B.n_constraints))


def test_method_is_validated():
    with pytest.raises(InvalidValueError, match=r"method must be one of \('per-row', 'clarkson'\)"):
        nonredundant_rows(SQUARE.A, SQUARE.b, method="fast")


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 4),
    m=st.integers(1, 14),
    method=st.sampled_from(["per-row", "clarkson"]),
    n_rays=st.sampled_from([None, 0]),
)
def test_against_brute_force(seed, n, m, method, n_rays):
    rng = np.random.default_rng(seed)
    P = random_polytope(rng, n, m, box=2.0)
    # some exact and scaled duplicates, as regions have
    extra = rng.integers(0, m, size=2)
    scale = rng.uniform(0.5, 2.0, size=2)
    P = P.with_rows(P.A[extra] * scale[:, None], P.b[extra] * scale)
    keep = nonredundant_rows(P.A, P.b, method=method, n_rays=n_rays)
    if P.is_empty():
        assert Polyhedron(P.A[keep], P.b[keep]).is_empty()
        return
    check_minimal(P, keep)
    assert len(keep) == len(nonredundant_rows(P.A, P.b, method="per-row", n_rays=0))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 3))
def test_removing_a_kept_row_changes_the_set_by_sampling(seed, n):
    """Independent of any LP: for each kept row a point of the reduced set without it lies outside P."""
    rng = np.random.default_rng(seed)
    P = random_polytope(rng, n, 8, box=1.5)
    if P.chebyshev_center().radius < 1e-3:
        return
    keep = P.nonredundant_rows()
    R = P.remove_redundant()
    X = Box(np.full(n, -1.5), np.full(n, 1.5)).sample(4000, rng=rng)
    np.testing.assert_array_equal(P.contains(X), R.contains(X))  # the same set
    for q, i in enumerate(keep):
        others = np.delete(np.arange(len(keep)), q)
        W = Polyhedron(R.A[others], R.b[others])
        wider = W.contains(X) & ~P.contains(X)
        if not wider.any():  # a thin sliver: find one by LP instead
            assert lp_max(R.A[others], R.b[others], P.A[i]) > P.b[i] + 1e-9
