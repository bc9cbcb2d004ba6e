"""Hit-and-run: samples lie inside, their mean is the centroid, misuse raises."""

import numpy as np
import pytest

from geom_cases import EMPTY, HALF_PLANE, SEGMENT, SIMPLEX3, SQUARE, TRIANGLE
from relucid.errors import InvalidValueError
from relucid.geometry import Box, Polyhedron
from relucid.geometry.sampling import default_burn_in, default_thin, hit_and_run


def sample_with(P, n, rng, **kw):
    return hit_and_run(P.A, P.b, n, rng=rng, **kw)


def test_samples_are_inside_and_shaped():
    X = TRIANGLE.sample(500, rng=0)
    assert X.shape == (500, 2)
    assert TRIANGLE.contains(X).all()
    X = SIMPLEX3.sample(300, rng=np.random.default_rng(1))
    assert X.shape == (300, 3) and SIMPLEX3.contains(X).all()
    assert SQUARE.sample(0, rng=0).shape == (0, 2)


def test_same_seed_same_samples():
    np.testing.assert_array_equal(TRIANGLE.sample(50, rng=7), TRIANGLE.sample(50, rng=7))


@pytest.mark.parametrize("directions", ["random", "coordinate"])
@pytest.mark.parametrize(
    "P, centroid, std",
    [
        (SQUARE, np.zeros(2), 1 / np.sqrt(3)),  # uniform on [-1, 1]: sd 0.577
        (TRIANGLE, np.full(2, 1 / 3), np.sqrt(1 / 18)),  # marginal of the unit right triangle: sd 0.236
    ],
)
def test_mean_is_the_centroid(P, centroid, std, directions):
    # 4,000 samples thinned by 5: even with an autocorrelation that halves the effective sample
    # size, the standard error is std / sqrt(2000) < 0.013; 5 standard errors is the threshold.
    X = sample_with(P, 4000, np.random.default_rng(12345), thin=5, directions=directions)
    tol = 5 * std / np.sqrt(2000)
    np.testing.assert_allclose(X.mean(axis=0), centroid, atol=tol)
    np.testing.assert_allclose(X.std(axis=0), std, rtol=0.1)


def test_box_samples_uniformly_without_a_chain():
    B = Box([0.0, 10.0], [1.0, 10.0])  # flat in dimension 1 is fine for a box
    X = B.sample(1000, rng=0)
    assert B.contains(X).all() and np.all(X[:, 1] == 10.0)
    assert abs(X[:, 0].mean() - 0.5) < 0.05
    with pytest.raises(InvalidValueError, match="the box is unbounded"):
        Box([0.0], [np.inf]).sample(3)


def test_misuse_raises_clear_errors():
    with pytest.raises(InvalidValueError, match="the polyhedron is empty"):
        EMPTY.sample(5)
    with pytest.raises(InvalidValueError, match="the polyhedron is unbounded"):
        HALF_PLANE.sample(5)
    strip = Polyhedron([[0.0, 1.0], [0.0, -1.0]], [1.0, 1.0])  # bounded width, infinite length
    with pytest.raises(InvalidValueError, match="the polyhedron is unbounded"):
        strip.sample(5)
    with pytest.raises(InvalidValueError, match=r"not full-dimensional \(Chebyshev radius"):
        SEGMENT.sample(5)
    with pytest.raises(InvalidValueError, match="n must be >= 0"):
        SQUARE.sample(-1)
    with pytest.raises(InvalidValueError, match="thin >= 1"):
        SQUARE.sample(3, thin=0)
    with pytest.raises(InvalidValueError, match="directions must be 'auto', 'random' or 'coordinate'"):
        sample_with(SQUARE, 3, 0, directions="gibbs")


def test_high_dimensional_simplex_uses_coordinate_steps():
    d = 100  # above COORDINATE_ABOVE_DIM: coordinate directions, no matrix product per step
    P = Polyhedron(np.vstack([-np.eye(d), np.ones((1, d))]), np.append(np.zeros(d), 1.0))
    X = P.sample(200, rng=3)
    assert P.contains(X).all() and X.shape == (200, d)
    # the simplex centroid is 1/(d+1) per coordinate; the average over all coordinates is tight
    assert abs(X.mean() - 1 / (d + 1)) < 0.2 / (d + 1)


def test_defaults_are_documented_values():
    assert default_burn_in(2) == 120 and default_thin(2) == 2
    assert default_burn_in(784) == 7940 and default_thin(784) == 20
