"""Soundness floor on hostile random networks (the adversarial review's generators, issue 15).

Beside the smooth Gaussian networks of :mod:`test_soundness`, these cases are
built to hit the corners a verifier gets wrong:

* weights that are **integers**, **sparse** (mostly zero), **dead** (a bias
  that keeps every neuron off over the box), **constant** (zero rows: the
  neuron is its bias) or small dyadic Gaussians;
* **leaky slopes from -2 to 3** (negative slopes make the network
  non-monotone in a neuron; slope 1 is the identity, 0 is relu);
* boxes with integer or half-integer corners, sometimes **flat** in a
  dimension (``lo == hi``), so that **ties** (``y_j == y_c``, a row exactly
  at its threshold) are reachable and land on lattice points.

Every weight, bias, slope and box corner is a dyadic rational, so the exact
checks below are done in :class:`fractions.Fraction` arithmetic: a
counterexample must violate the property exactly (a tie violates
``ClassWins``; a strict row must hold strictly), and a proof must survive
every lattice point of the box (corners, half and quarter steps) and 20,000
uniform samples, a float64 violation being settled in exact rationals (at a
tie float64 can round either way; relucid re-checks near-tie counterexamples
exactly too, :mod:`relucid.verify.exact`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import relucid as rl
from test_soundness import Case, _forward, follows, inside, violated

N_CASES = 2000
CHUNK = 200
N_CHUNKS = N_CASES // CHUNK
SLOPES = (-2.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
WEIGHT_KINDS = ("integer", "sparse", "dead", "constant", "dyadic")


def _weights(rng, kind: str, m: int, a: int) -> tuple[np.ndarray, np.ndarray]:
    if kind == "integer":
        return rng.integers(-3, 4, (m, a)).astype(float), rng.integers(-2, 3, m).astype(float)
    if kind == "sparse":
        W = np.round(rng.normal(size=(m, a)) * 8) / 8
        W[rng.random((m, a)) < 0.7] = 0.0
        return W, np.round(rng.normal(size=m) * 4) / 4
    if kind == "dead":  # most neurons are off on any box of width < 10 around the origin
        W = rng.integers(-1, 2, (m, a)).astype(float)
        b = np.where(rng.random(m) < 0.8, -64.0, rng.integers(-1, 2, m).astype(float))
        return W, b
    if kind == "constant":
        W = rng.integers(-2, 3, (m, a)).astype(float)
        W[rng.random(m) < 0.5] = 0.0  # these neurons are their bias
        return W, rng.integers(-2, 3, m).astype(float)
    return np.round(rng.normal(scale=1 / np.sqrt(a), size=(m, a)) * 64) / 64, np.round(rng.normal(size=m) * 16) / 16


def make_hostile_case(i: int) -> Case:
    rng = np.random.default_rng([20261207, i])
    n_in = int(rng.integers(1, 5))
    hidden = [int(rng.integers(1, 9)) for _ in range(int(rng.integers(1, 4)))]
    n_out = int(rng.integers(2, 5))
    act = "relu" if rng.random() < 0.4 else "leaky_relu"
    dims = [n_in, *hidden, n_out]
    weights = []
    for k, (a, m) in enumerate(zip(dims, dims[1:])):
        last = k == len(dims) - 2
        W, b = _weights(rng, WEIGHT_KINDS[(i + k) % len(WEIGHT_KINDS)], m, a)
        a_k = "identity" if last else act
        weights.append((W, b, a_k, float(rng.choice(SLOPES)) if a_k == "leaky_relu" else None))
    centre = rng.integers(-2, 3, n_in) / 2.0
    half = rng.integers(0, 5, n_in) / 2.0  # 0 .. 2 in half steps; 0 makes the box flat in that dimension
    if not half.any():
        half[0] = 0.5
    lo, hi = centre - half, centre + half
    case = Case(i, weights, lo, hi, "class-wins")
    grid = _lattice(lo, hi, 2)
    _, Y = _forward(weights, grid)
    r = rng.random()
    if r < 0.4:
        case.kind, case.c = "class-wins", int(rng.integers(n_out))
    elif r < 0.7:  # a box around the sampled outputs, its faces on attained values (boundary hits)
        case.kind = "output-in"
        ylo, yhi = Y.min(axis=0), Y.max(axis=0)
        shrink = rng.integers(0, 2, n_out) * np.floor((yhi - ylo) / 4)
        case.A = np.vstack([np.eye(n_out), -np.eye(n_out)])
        case.b = np.concatenate([yhi - shrink, -(ylo + shrink)])
    else:  # thresholds at attained output values: ties on strict and non-strict rows
        case.kind = "output-avoids"
        for _ in range(int(rng.integers(1, 3))):
            m = int(rng.integers(1, 3))
            C = rng.integers(-1, 2, (m, n_out)).astype(float)
            C[~C.any(axis=1), 0] = 1.0
            V = Y @ C.T
            d = V[rng.integers(len(V))]
            case.conjs.append((C, d, rng.random(m) < 0.5))
    case.method = ("auto", "input-split", "milp", "auto")[i % 4]
    case.attack_first = i % 3 != 1
    return case


def _lattice(lo, hi, per_unit: int) -> np.ndarray:
    """Every point of the box on the grid of step ``1 / per_unit`` (corners included)."""
    axes = [np.arange(a, b + 1e-12, 1.0 / per_unit) if b > a else np.array([a]) for a, b in zip(lo, hi)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(lo))


# -- exact rational checks ---------------------------------------------------------------------
def _exact_forward(case: Case, x) -> tuple[list, list]:
    """Pre-activations and output of one input in exact rationals (float64 inputs are exact rationals)."""
    h = [Fraction(float(v)) for v in x]
    pre = []
    for W, b, act, alpha in case.weights:
        z = [sum((Fraction(float(w)) * hj for w, hj in zip(row, h)), Fraction(float(bi))) for row, bi in zip(W, b)]
        pre.append(z)
        if act == "relu":
            h = [v if v > 0 else Fraction(0) for v in z]
        elif act == "leaky_relu":
            h = [v if v > 0 else Fraction(alpha) * v for v in z]
        else:
            h = z
    return pre, h


def _exact_violates(case: Case, y) -> bool:
    if case.kind == "class-wins":
        return any(y[j] >= y[case.c] for j in range(len(y)) if j != case.c)
    if case.kind == "output-in":
        return any(sum(Fraction(float(a)) * v for a, v in zip(row, y)) > Fraction(float(bb))
                   for row, bb in zip(case.A, case.b))
    for C, d, strict in case.conjs:
        vals = [sum(Fraction(float(a)) * v for a, v in zip(row, y)) for row in C]
        if all((v < Fraction(float(t))) if s else (v <= Fraction(float(t))) for v, t, s in zip(vals, d, strict)):
            return True
    return False


def _exact_problem(case: Case, x) -> str | None:
    """Why ``x`` is not an exact counterexample of ``case`` (None: it is one)."""
    x = np.asarray(x, dtype=np.float64)
    if not inside(case, x[None])[0]:
        return "outside the box"
    pre, y = _exact_forward(case, x)
    for k, j in case.on:
        if not pre[k][j] > 0:
            return f"neuron {(k, j)} is not on"
    for k, j in case.off:
        if pre[k][j] > 0:
            return f"neuron {(k, j)} is not off"
    if not _exact_violates(case, y):
        return "the property holds at it (exact rationals)"
    return None


_OUTCOMES: dict = {}


def outcome(i: int) -> tuple[str, list, str | None]:
    """(status, problems, note) of hostile case ``i``, cached; a problem is a wrong verdict."""
    if i in _OUTCOMES:
        return _OUTCOMES[i]
    case = make_hostile_case(i)
    r = rl.verify(case.net, case.box, case.prop, case.pattern, method=case.method,
                  attack_first=case.attack_first, rng=i)
    problems = []
    if r.status == "falsified":
        why = _exact_problem(case, r.counterexample)
        if why:
            problems.append(f"hostile {case.describe()}: counterexample {r.counterexample.tolist()} is wrong: {why}")
    elif r.status == "proved":
        grid = _lattice(case.lo, case.hi, 4)[:50_000]
        rng = np.random.default_rng(i)
        U = case.lo + (case.hi - case.lo) * rng.random((20_000, case.lo.size))
        for X in (grid, U):
            pre, Y = _forward(case.weights, X)
            bad = np.flatnonzero(follows(case, pre) & violated(case, Y))
            # settle float64's verdict in exact rationals (a float64 "violation" at a tie can be rounding)
            bad = [k for k in bad[:200] if _exact_problem(case, X[k]) is None]
            if len(bad):
                problems.append(f"hostile {case.describe()}: proved, but x = {X[bad[0]].tolist()} violates it")
                break
    _OUTCOMES[i] = (r.status, problems, r.note)
    return _OUTCOMES[i]


CHUNKS = [range(c * CHUNK, (c + 1) * CHUNK) for c in range(N_CHUNKS)]


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(N_CHUNKS), ids=[f"cases{r.start}-{r.stop - 1}" for r in CHUNKS])
def test_hostile_verdicts_are_exactly_right(chunk):
    problems = [p for i in CHUNKS[chunk] for p in outcome(i)[1]]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_hostile_mix_is_not_vacuous():
    statuses = [outcome(i)[0] for i in range(N_CASES)]
    n = {s: statuses.count(s) for s in ("proved", "falsified", "unknown")}
    assert n["proved"] >= 60 and n["falsified"] >= 60, n
    # No timeout is set, so "unknown" means the search's best point reaches the violation set only on its
    # boundary (margin 0, e.g. a strict row at a threshold the network attains): the property may hold
    # with zero margin, which a proof over closures cannot show. Measured: 21 of 2,000 (1.05 %) while a MILP
    # optimum of margin <= 1e-6 counted as a proof; 134 of 2,000 (6.7 %) since it answers "unknown"
    # (2026-12-07: the relu-bab soundness suite caught wrong proofs through that branch; see milp.py).
    unknown = [f"case {i}: {outcome(i)[2]}" for i in range(N_CASES) if statuses[i] == "unknown"]
    assert all("zero margin" in u for u in unknown), "\n".join(unknown)
    assert len(unknown) <= N_CASES * 8 // 100, "\n".join(unknown)


def test_hostile_generator_covers_the_corners():
    cases = [make_hostile_case(i) for i in range(N_CASES)]
    slopes = {al for c in cases for *_, al in c.weights[:-1] if al is not None}
    assert min(slopes) == -2.0 and max(slopes) == 3.0 and 0.0 in slopes and 1.0 in slopes
    assert any((c.lo == c.hi).any() for c in cases)  # flat dimensions
    assert any((W == 0).all(axis=1).any() for c in cases for W, *_ in c.weights)  # constant neurons
    assert {c.kind for c in cases} == {"class-wins", "output-in", "output-avoids"}
    # ties are reachable: some class-wins case has a lattice point where two outputs are equal
    ties = 0
    for c in cases[:80]:
        if c.kind == "class-wins":
            _, Y = _forward(c.weights, _lattice(c.lo, c.hi, 2))
            ties += int((np.sort(Y, axis=1)[:, -1] == np.sort(Y, axis=1)[:, -2]).any())
    assert ties >= 3
