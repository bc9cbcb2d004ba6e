"""The LP layer: statuses are data, warm re-solves agree with fresh solves, misuse raises."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relucid.errors import InvalidValueError, ShapeError
from relucid.geometry.lp import LPModel, LPResult, LPStatus, feasible_point, solve_lp

SQUARE_A = np.vstack([np.eye(2), -np.eye(2)])


# -- solve_lp: one status each -------------------------------------------------
def test_optimal_min_and_max():
    r = solve_lp([1.0, 2.0], SQUARE_A, np.ones(4))
    assert r.status is LPStatus.OPTIMAL and r.ok
    assert r.value == pytest.approx(-3.0)
    np.testing.assert_allclose(r.x, [-1.0, -1.0])
    r = solve_lp([1.0, 2.0], SQUARE_A, np.ones(4), maximize=True)
    assert r.value == pytest.approx(3.0)
    np.testing.assert_allclose(r.x, [1.0, 1.0])


def test_infeasible_is_a_status_not_an_exception():
    r = solve_lp([0.0], [[1.0], [-1.0]], [0.0, -1.0])
    assert r == LPResult(LPStatus.INFEASIBLE)
    assert r.x is None and r.value is None


def test_unbounded_min_and_max():
    r = solve_lp([1.0, 0.0], [[1.0, 0.0]], [1.0])
    assert r.status is LPStatus.UNBOUNDED and r.value == -np.inf
    r = solve_lp([0.0, 1.0], [[1.0, 0.0]], [1.0], maximize=True)
    assert r.status is LPStatus.UNBOUNDED and r.value == np.inf


def test_free_variables_by_default_and_bounds():
    # without bounds, min x is unbounded; with lb = 0 it is 0
    assert solve_lp([1.0], None, None).status is LPStatus.UNBOUNDED
    r = solve_lp([1.0], None, None, lb=0.0)
    assert r.status is LPStatus.OPTIMAL and r.value == 0.0
    r = solve_lp([1.0, 1.0], None, None, lb=[1.0, 2.0], ub=[5.0, 5.0])
    assert r.value == pytest.approx(3.0)
    assert solve_lp([1.0], None, None, lb=2.0, ub=1.0).status is LPStatus.INFEASIBLE


def test_equality_rows():
    r = solve_lp([1.0, 1.0], -np.eye(2), np.zeros(2), A_eq=[[1.0, -1.0]], b_eq=[1.0])
    assert r.status is LPStatus.OPTIMAL
    np.testing.assert_allclose(r.x, [1.0, 0.0], atol=1e-12)


def test_infinite_right_hand_sides():
    # +inf imposes nothing: min x0 is then bounded only by the other row
    r = solve_lp([1.0], [[-1.0], [-1.0]], [np.inf, 3.0])
    assert r.value == pytest.approx(-3.0)
    assert solve_lp([1.0], [[1.0]], [-np.inf]).status is LPStatus.INFEASIBLE


def test_ipm_method_agrees_with_simplex():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 6))
    b = rng.random(40) + 0.1
    c = rng.standard_normal(6)
    a = solve_lp(c, A, b, lb=-5.0, ub=5.0)
    ipm = solve_lp(c, A, b, lb=-5.0, ub=5.0, method="ipm")
    assert a.value == pytest.approx(ipm.value, abs=1e-7)


def test_time_limit_is_a_status():
    rng = np.random.default_rng(0)
    A, b, c = rng.standard_normal((300, 50)), rng.random(300), rng.standard_normal(50)
    assert solve_lp(c, A, b, time_limit=0.0).status is LPStatus.TIME_LIMIT
    assert solve_lp(c, A, b).status is LPStatus.OPTIMAL  # the shared solver forgot the limit
    assert LPModel(A, b, time_limit=0.0).optimize(c).status is LPStatus.TIME_LIMIT


def test_no_variables():
    assert solve_lp(np.zeros(0), np.zeros((1, 0)), [1.0]).status is LPStatus.OPTIMAL
    assert solve_lp(np.zeros(0), np.zeros((1, 0)), [-1.0]).status is LPStatus.INFEASIBLE


# -- misuse raises, with messages that name the problem ----------------------------
def test_shape_errors_are_pinned():
    with pytest.raises(ShapeError, match=r"A_ub has 2 rows but b_ub has 3 entries"):
        solve_lp([1.0, 1.0], np.ones((2, 2)), np.ones(3))
    with pytest.raises(ShapeError, match=r"A_ub must have 2 columns"):
        solve_lp([1.0, 1.0], np.ones((2, 3)), np.ones(2))
    with pytest.raises(ShapeError, match=r"lb must have shape \(2,\)"):
        solve_lp([1.0, 1.0], lb=[0.0, 0.0, 0.0])
    with pytest.raises(InvalidValueError, match="pass A_ub and b_ub together"):
        solve_lp([1.0], A_ub=[[1.0]])


def test_value_errors_are_pinned():
    with pytest.raises(InvalidValueError, match="c contains NaN or inf"):
        solve_lp([np.nan])
    with pytest.raises(InvalidValueError, match="A_ub contains NaN or inf"):
        solve_lp([1.0], [[np.inf]], [1.0])
    with pytest.raises(InvalidValueError, match="b_ub contains NaN"):
        solve_lp([1.0], [[1.0]], [np.nan])
    with pytest.raises(InvalidValueError, match="method must be"):
        solve_lp([1.0], method="barrier")


# -- LPModel -----------------------------------------------------------------------
def test_lpmodel_doc_example_and_rhs_changes():
    model = LPModel(SQUARE_A, np.ones(4))
    assert model.dim == 2 and model.n_rows == 4
    assert model.optimize([1.0, 1.0], maximize=True).value == pytest.approx(2.0)
    model.set_rhs(0, 0.5)
    assert model.optimize([1.0, 1.0], maximize=True).value == pytest.approx(1.5)
    model.set_rhs(0, np.inf)  # row 0 freed: x0 unbounded above
    assert model.optimize([1.0, 0.0], maximize=True).status is LPStatus.UNBOUNDED
    model.set_rhs(0, -np.inf)
    assert model.feasible().status is LPStatus.INFEASIBLE
    model.set_rhs(0, 1.0)
    r = model.feasible()
    assert r.status is LPStatus.OPTIMAL and np.all(SQUARE_A @ r.x <= 1.0 + 1e-9)


def test_lpmodel_add_rows_and_bounds():
    model = LPModel(np.zeros((0, 2)), np.zeros(0), lb=-1.0, ub=1.0)
    assert model.optimize([1.0, 1.0], maximize=True).value == pytest.approx(2.0)
    model.add_rows([[1.0, 1.0]], [0.5])
    assert model.n_rows == 1
    assert model.optimize([1.0, 1.0], maximize=True).value == pytest.approx(0.5)
    model.set_col_bounds(0, -1.0, 0.0)
    assert model.optimize([1.0, 0.0], maximize=True).value == pytest.approx(0.0)
    model.set_col_bounds(0, 2.0, 1.0)  # crossing bounds: infeasible, not an error
    assert model.feasible().status is LPStatus.INFEASIBLE
    model.set_col_bounds(0, -1.0, 1.0)
    assert model.feasible().ok
    model.set_row_bounds(0, 3.0, np.inf)  # x0 + x1 >= 3 is out of reach in the box
    assert model.feasible().status is LPStatus.INFEASIBLE
    model.set_row_bounds(0, -np.inf, 0.5)
    assert model.feasible().ok


def test_lpmodel_bound_stops_early_or_answers():
    model = LPModel(SQUARE_A, np.ones(4))
    r = model.optimize([1.0, 0.0], maximize=True, bound=5.0)  # max is 1 <= 5
    assert r.status in (LPStatus.BOUND, LPStatus.OPTIMAL)
    if r.status is LPStatus.BOUND:
        assert r.value == 5.0 and r.x is None
    else:
        assert r.value == pytest.approx(1.0)
    r = model.optimize([1.0, 0.0], maximize=True, bound=0.5)  # max is 1 > 0.5: must be OPTIMAL
    assert r.status is LPStatus.OPTIMAL and r.value == pytest.approx(1.0)
    r = model.optimize([1.0, 0.0], maximize=True)  # the bound does not stick
    assert r.status is LPStatus.OPTIMAL


def test_lpmodel_misuse():
    model = LPModel(SQUARE_A, np.ones(4))
    with pytest.raises(InvalidValueError, match=r"row 7 does not exist \(the model has 4 rows\)"):
        model.set_rhs(7, 1.0)
    with pytest.raises(ShapeError, match=r"c must have shape \(2,\)"):
        model.optimize([1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="A must have 2 columns"):
        model.add_rows([[1.0]], [1.0])
    with pytest.raises(InvalidValueError, match="variable 5 does not exist"):
        model.set_col_bounds(5, 0.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), m=st.integers(1, 15))
def test_warm_resolves_agree_with_fresh_solves(seed, n, m):
    """A chain of objective and rhs changes on one LPModel gives the answers of fresh solves."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m) + 0.5
    model = LPModel(A, b, lb=-3.0, ub=3.0)
    rhs = b.copy()
    for _ in range(8):
        if rng.random() < 0.5:
            i = int(rng.integers(m))
            rhs[i] = rng.standard_normal() + 0.5
            model.set_rhs(i, rhs[i])
        c = rng.standard_normal(n)
        maximize = bool(rng.random() < 0.5)
        warm = model.optimize(c, maximize=maximize)
        fresh = solve_lp(c, A, rhs, lb=-3.0, ub=3.0, maximize=maximize)
        assert warm.status is fresh.status
        if fresh.ok:
            assert warm.value == pytest.approx(fresh.value, abs=1e-7)
            assert np.all(A @ warm.x <= rhs + 1e-7)


def test_feasible_point_fast_path():
    r = feasible_point(SQUARE_A, np.ones(4))
    assert r.ok and np.all(SQUARE_A @ r.x <= 1.0 + 1e-9)
    assert feasible_point([[1.0], [-1.0]], [0.0, -1.0]).status is LPStatus.INFEASIBLE
    assert feasible_point([[1.0]], [-np.inf]).status is LPStatus.INFEASIBLE
    with pytest.raises(ShapeError):
        feasible_point(np.ones(3), np.ones(3))
