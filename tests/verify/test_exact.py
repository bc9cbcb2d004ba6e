"""Near-tie counterexamples are settled in exact rational arithmetic (relucid/verify/exact.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import relucid as rl
from relucid.verify.exact import exact_violation, near_tie
from relucid.verify.query import Query


def _query(net, lo, hi, prop) -> Query:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    return Query(net, lo, hi, np.zeros((0, lo.size)), np.zeros(0), {}, tuple(prop.violations(net.output_dim)))


def test_float64_rounding_is_not_a_counterexample():
    # y = 1e16 * x - 1e16 at x = 1 + 2^-52: float64 gives 2.0, the exact value is 2.2204...
    net = rl.Network([rl.Dense([[1e16]], [-1e16])])
    x = np.array([1.0 + 2.0**-52])
    assert net(x)[0] == 2.0
    exact = Fraction(1e16) * Fraction(float(x[0])) - Fraction(1e16)
    assert exact > Fraction(21, 10)
    prop = rl.OutputIn(rl.Polyhedron(np.array([[-1.0]]), np.array([-2.1])))  # y >= 2.1
    q = _query(net, x, x, prop)
    assert near_tie(q, x, 0)
    assert exact_violation(q, x) == -1
    assert q.check_points(x)[0] == -1  # float64 alone would call it a counterexample
    r = rl.verify(net, rl.Box(x, x), prop, timeout=10)
    assert r.status != "falsified"


def test_exact_check_agrees_away_from_ties():
    rng = np.random.default_rng(3)
    net = rl.Network([rl.Dense(rng.normal(size=(6, 3)), rng.normal(size=6), "leaky_relu", 0.3),
                      rl.Dense(rng.normal(size=(2, 6)), rng.normal(size=2))])
    prop = rl.ClassWins(0)
    q = _query(net, -np.ones(3), np.ones(3), prop)
    X = rng.uniform(-1, 1, size=(200, 3))
    flt = q.check_points(X)
    for x, k in zip(X, flt):
        assert exact_violation(q, x) == k


def test_an_exact_tie_is_a_counterexample():
    # y0 = x, y1 = 1 - x: at x = 0.5 the classes tie, which violates ClassWins(0) (a tie is a violation)
    net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 1.0])])
    q = _query(net, [0.5], [0.5], rl.ClassWins(0))
    assert exact_violation(q, np.array([0.5])) == 0
    assert q.check_points(np.array([0.5]))[0] == 0
