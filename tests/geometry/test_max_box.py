"""Maximum-volume inscribed boxes: known answers, the mixed-sign corner trap, and scipy as a cross-check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from relucid.errors import InvalidValueError, ShapeError
from relucid.geometry.max_box import box_fits, box_log_volume, max_volume_box


def simplex(n):
    """{x >= 0, sum x <= 1}: the largest box is [0, 1/n]^n (AM-GM)."""
    return np.vstack([np.ones((1, n)), -np.eye(n)]), np.concatenate([[1.0], np.zeros(n)])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 12])
def test_simplex(n):
    A, b = simplex(n)
    r = max_volume_box(A, b)
    assert r.status == "optimal"
    np.testing.assert_allclose(r.lo, 0.0, atol=1e-7)
    np.testing.assert_allclose(r.hi, 1.0 / n, atol=1e-7)
    assert r.log_volume == pytest.approx(n * np.log(1.0 / n), abs=1e-6)
    assert r.log_volume <= n * np.log(1.0 / n)  # strictly inside: never above the optimum
    assert box_fits(A, b, r.lo, r.hi)


def test_diamond_and_box():
    A = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1.0]])
    r = max_volume_box(A, np.ones(4))
    np.testing.assert_allclose(r.lo, -0.5, atol=1e-7)
    np.testing.assert_allclose(r.hi, 0.5, atol=1e-7)
    lo, hi = np.array([-1.0, 2.0, 0.0]), np.array([3.0, 2.5, 10.0])
    r = max_volume_box(np.vstack([np.eye(3), -np.eye(3)]), np.concatenate([hi, -lo]))
    np.testing.assert_allclose(r.lo, lo, atol=1e-6)
    np.testing.assert_allclose(r.hi, hi, atol=1e-6)


def test_mixed_signs_need_every_corner():
    """x0 - x1 <= 0 in [0, 1]^2: the two corners lo, hi of [0, 1]^2 satisfy it, the corner (1, 0) does not."""
    A = np.array([[1.0, -1.0], [1, 0], [0, 1], [-1, 0], [0, -1]])
    b = np.array([0.0, 1, 1, 0, 0])
    lo, hi = np.zeros(2), np.ones(2)
    assert np.all(A @ lo <= b) and np.all(A @ hi <= b)  # the paper code's two-corner test passes ...
    assert not box_fits(A, b, lo, hi)  # ... but the box is not inside
    r = max_volume_box(A, b)
    # optimum: [0, t] x [t, 1] with t = 1/2 (maximise t (1 - t))
    np.testing.assert_allclose(r.lo, [0.0, 0.5], atol=1e-7)
    np.testing.assert_allclose(r.hi, [0.5, 1.0], atol=1e-7)
    corners = np.array([[x, y] for x in (r.lo[0], r.hi[0]) for y in (r.lo[1], r.hi[1])])
    assert np.all(corners @ A.T <= b)


def test_special_cases():
    with pytest.raises(InvalidValueError, match="unbounded"):
        max_volume_box(np.array([[1.0, 0.0], [0.0, 1.0]]), np.ones(2))
    with pytest.raises(InvalidValueError, match="unbounded"):
        max_volume_box(np.array([[1.0, 0.0], [-1.0, 0.0]]), np.ones(2))  # a slab: unbounded in x1
    with pytest.raises(ShapeError):
        max_volume_box(np.ones((2, 2)), np.ones(3))
    A = np.vstack([np.eye(2), -np.eye(2)])
    empty = max_volume_box(A, np.array([0.0, 1, -1, 1]))  # x0 <= 0 and x0 >= 1
    assert empty.status == "empty" and empty.lo is None
    flat = max_volume_box(A, np.array([0.0, 1, 0, 1]))  # x0 == 0
    assert flat.status == "flat" and flat.log_volume == -np.inf
    assert flat.lo[0] == pytest.approx(0.0, abs=1e-9)
    assert box_log_volume([0, 0], [1, 2]) == pytest.approx(np.log(2))


def _slsqp(A, b, z0):
    n = A.shape[1]
    G = np.hstack([-(-A).clip(min=0), A.clip(min=0)])
    cons = [{"type": "ineq", "fun": lambda z: b - G @ z, "jac": lambda z: -G},
            {"type": "ineq", "fun": lambda z: z[n:] - z[:n] - 1e-12, "jac": lambda z: np.hstack([-np.eye(n), np.eye(n)])}]
    r = minimize(lambda z: -np.sum(np.log(np.maximum(z[n:] - z[:n], 1e-300))), z0,
                 jac=lambda z: np.concatenate([1 / (z[n:] - z[:n]), -1 / (z[n:] - z[:n])]),
                 constraints=cons, method="SLSQP", options={"maxiter": 500, "ftol": 1e-12})
    return r


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 4), m=st.integers(1, 8))
def test_random_polytopes_against_slsqp(seed, n, m):
    rng = np.random.default_rng(seed)
    A = np.vstack([rng.normal(size=(m, n)), np.eye(n), -np.eye(n)])
    b = np.concatenate([rng.random(m) + 0.1, 2 * np.ones(n), 2 * np.ones(n)])  # contains a ball around 0
    r = max_volume_box(A, b)
    assert r.status == "optimal"
    assert box_fits(A, b, r.lo, r.hi)
    h = 0.05 / np.sqrt(n)
    ref = _slsqp(A, b, np.concatenate([-h * np.ones(n), h * np.ones(n)]))
    if ref.success:
        n_ = A.shape[1]
        ref_vol = box_log_volume(ref.x[:n_], ref.x[n_:])
        G = np.hstack([-(-A).clip(min=0), A.clip(min=0)])
        if np.max(G @ ref.x - b) <= 1e-9:
            assert r.log_volume >= ref_vol - 1e-6
    # no random inscribed box (scaled down until it fits) beats it
    centre = (r.lo + r.hi) / 2  # strictly inside
    for _ in range(20):
        w = rng.random(n) + 0.01
        for _ in range(200):
            if box_fits(A, b, centre - w, centre + w):
                break
            w *= 0.8
        assert box_log_volume(centre - w, centre + w) <= r.log_volume + 1e-9
