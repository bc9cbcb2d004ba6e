"""Input characterisation (issue 6): soundness, minimality, exactness, bad inputs, the CLI."""

from __future__ import annotations

import argparse
import doctest
import functools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relucid as rl
from independent import lp_max, lp_regions
from nets import random_network
from relucid import characterize as C
from relucid.characterize import Characterization, class_property, convex_region, find_minimal, ua_box
from relucid.characterize.properties import halfspace_rows
from relucid.errors import InvalidValueError, RelucidError, ShapeError
from relucid.geometry.max_box import box_fits
from relucid.regions.pattern import activation_bits

N_SAMPLES = 10_000
DOMAIN = rl.Box([-2.0, -2.0], [2.0, 2.0])


def tiny():
    """y = (relu(x0) + 1, relu(x1)): class 0 wins wherever x1 <= 0 (then y1 = 0 < 1 <= y0)."""
    return rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"), rl.Dense(np.eye(2), [1.0, 0.0])])


def case(seed: int, k: int, activation: str = "relu"):
    """A random 2-8-6-3 network on [-2, 2]^2 and its k-th random start point."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, [8, 6], 3, scale=2.0, activation=activation)
    xs = rng.uniform(-2, 2, size=(k + 1, 2))
    x = xs[k]
    return net, x, rl.ClassWins(int(np.argmax(net(x))))


def check_sound(ch: Characterization, n: int = N_SAMPLES, seed: int = 0) -> None:
    """Samples of .polyhedron and ua_box() lie in R and satisfy P; every domain point R accepts satisfies P."""
    net, prop = ch.network, ch.prop
    assert ch.contains(ch.x0)
    S = ch.polyhedron.sample(n, rng=seed, burn_in=200, thin=1)
    assert ch.contains(S).all()
    assert prop.holds_at(net(S)).all()
    box = ch.ua_box()
    assert ch.box_proven(box) or box_fits(ch.polyhedron.A, ch.polyhedron.b, box.lo, box.hi)
    B = box.sample(n, rng=seed)
    assert ch.contains(B).all()
    assert prop.holds_at(net(B)).all()
    D = ch.domain.sample(2 * n, rng=seed + 1)
    inside = ch.contains(D)
    assert prop.holds_at(net(D[inside])).all()
    if ch.exact:  # R lies in the (closed) polyhedron
        assert ch.polyhedron.contains(D[inside]).all()


def check_minimal(ch: Characterization) -> None:
    """σ' implies the proved property; freeing any one of its neurons gives a confirmed counterexample."""
    net, prop = ch.proof
    assert rl.verify(net, ch.domain, prop, pattern=ch.pattern).status == "proved"
    for n in sorted(ch.pattern.fixed):
        freed = ch.pattern.restrict(ch.pattern.fixed - {n})
        r = rl.verify(net, ch.domain, prop, pattern=freed)
        assert r.status == "falsified", n
        cex = r.counterexample
        assert not prop.holds_at(net(cex))[0]
        bits = freed.to_bits(net)
        on = activation_bits(net, cex)
        assert np.all((bits < 0) | (on == (bits == 1)))


# -- hand-checked answers ----------------------------------------------------------
def test_find_minimal_by_hand():
    net = tiny()
    start = rl.Pattern.from_dict({(0, 0): True, (0, 1): False})
    res = find_minimal(net, start, rl.ClassWins(0), domain=rl.Box([-1, -1], [1, 1]))
    # {x0 on} also implies P, but the greedy tries neuron (0, 0) first: without it {x1 off} remains, which works
    assert res.pattern.to_dict() == {(0, 1): False}
    assert res.minimal and res.unknown == 0 and res.calls >= 2
    # on [-1, 0.5]^2, y1 <= 0.5 < 1 <= y0 everywhere: nothing needs fixing
    assert len(find_minimal(net, start, rl.ClassWins(0), domain=rl.Box([-1, -1], [0.5, 0.5])).pattern) == 0


def test_find_minimal_precondition():
    net = tiny()
    with pytest.raises(InvalidValueError, match="does not imply"):
        find_minimal(net, rl.Pattern.from_dict({(0, 1): True}), rl.ClassWins(0), domain=rl.Box([-2, -2], [2, 2]))
    with pytest.raises(InvalidValueError, match="domain"):
        find_minimal(net, rl.Pattern(), rl.ClassWins(0))


def test_baseline_by_hand():
    ch = convex_region(tiny(), [0.5, -0.5], rl.ClassWins(0), domain=rl.Box([-1, -1], [1, 1]))
    assert ch.reached_find_minimal and ch.pattern.to_dict() == {(0, 1): False}
    assert ch.constraints.n_constraints == 0 and ch.exact
    assert ch.contains([-1.0, -1.0]) and ch.contains([1.0, 0.0])
    assert not ch.contains([0.0, 0.5]) and not ch.contains([1.5, -0.5])  # x1 on; outside the domain
    assert ch.support(np.array([[0.0, -1.0], [0.0, 1.0], [0.9, -0.1]])) == 2
    box = ch.ua_box()
    np.testing.assert_allclose([box.lo, box.hi], [[-1, -1], [1, 0]], atol=1e-6)
    check_sound(ch)
    check_minimal(ch)


def test_relaxed_by_hand():
    """x0 = (0.5, -0.5): y = (1.5, 0), margin 1.5; dW = (1, 0), db = 1; f = 0.3 gives ε = 0.45, x0 >= -0.55."""
    ch = convex_region(tiny(), [0.5, -0.5], rl.ClassWins(0), "relaxed", 0.3, domain=rl.Box([-1, -1], [1, 1]))
    np.testing.assert_allclose(ch.epsilon, [0.45])
    np.testing.assert_allclose(ch.constraints.A, [[-1.0, 0.0]])
    np.testing.assert_allclose(ch.constraints.b, [0.55])
    assert ch.pattern.to_dict() == {(0, 1): False}
    assert ch.contains([-0.5, -1.0]) and not ch.contains([-0.6, -1.0])
    check_sound(ch)
    check_minimal(ch)


# -- random networks ---------------------------------------------------------------
CASES = [(2, 1, "baseline", 0.5), (2, 1, "relaxed", 0.5), (3, 0, "relaxed", 0.2), (3, 0, "baseline", 0.5),
         (5, 0, "baseline", 0.5), (5, 1, "relaxed", 0.8), (5, 1, "baseline", 0.5), (2, 3, "relaxed", 0.5)]


@functools.lru_cache(maxsize=None)
def solved(seed, k, method, f) -> Characterization:
    net, x, prop = case(seed, k)
    return convex_region(net, x, prop, method, f, domain=DOMAIN)


@pytest.mark.parametrize("seed,k,method,f", CASES)
def test_sound_and_minimal(seed, k, method, f):
    ch = solved(seed, k, method, f)
    check_sound(ch)
    if ch.reached_find_minimal:
        check_minimal(ch)
    else:  # σ(X) ∧ P(W x + b): x0's whole pattern and one row per class comparison
        assert ch.pattern == ch.start_pattern and ch.constraints.n_constraints == 2 and ch.exact


def test_cases_cover_every_branch():
    """The fixed cases exercise the baseline's two branches, an inexact polyhedron, and a grown box."""
    seen = {"else": False, "minimised": False, "inner": False, "grown": False}
    for seed, k, method, f in CASES:
        ch = solved(seed, k, method, f)
        seen["else"] |= method == "baseline" and not ch.reached_find_minimal
        seen["minimised"] |= method == "baseline" and ch.reached_find_minimal and len(ch.pattern) > 0
        seen["inner"] |= not ch.exact
        seen["grown"] |= ch.ua_log_volume() > ch.ua_log_volume(grow=False) + 1e-6
    assert all(seen.values()), seen


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6), method=st.sampled_from(["baseline", "relaxed"]),
       f=st.sampled_from([0.1, 0.5, 0.9]), activation=st.sampled_from(["relu", "leaky_relu"]))
def test_random_sound(seed, method, f, activation):
    net, x, prop = case(seed, 0, activation)
    ch = convex_region(net, x, prop, method, f, domain=DOMAIN)
    check_sound(ch, n=2000, seed=seed % 1000)
    assert ch.reached_find_minimal or method == "baseline"


def test_relaxed_always_minimises_and_witness_pool():
    net, x, prop = case(2, 0)
    pool: list = []
    a = convex_region(net, x, prop, "relaxed", 0.9, domain=DOMAIN, witnesses=pool)
    b = convex_region(net, x, prop, "relaxed", 0.1, domain=DOMAIN, witnesses=pool)
    c = convex_region(net, x, prop, "relaxed", 0.1, domain=DOMAIN)
    assert a.reached_find_minimal and b.reached_find_minimal
    assert b.pattern == c.pattern  # a shared pool saves calls but never changes the answer
    assert b.verifier_calls <= c.verifier_calls
    assert len(pool) > 0


def test_single_output_binary_network():
    rng = np.random.default_rng(4)
    net = random_network(rng, 2, [6], 1, scale=2.0)
    X = DOMAIN.sample(500, rng=0)
    for c in (0, 1):
        prop = class_property(1, c)
        pos = X[(net(X)[:, 0] > 0) == bool(c)]
        if not len(pos):
            continue
        for method in ("baseline", "relaxed"):
            ch = convex_region(net, pos[0], prop, method, 0.5, domain=DOMAIN)
            check_sound(ch, n=2000)


def test_ua_box_function():
    diamond = rl.Polyhedron(np.array([[1, 1], [1, -1], [-1, 1], [-1, -1.0]]), np.ones(4))
    box = ua_box(diamond)
    assert isinstance(box, rl.Box)
    np.testing.assert_allclose(box.hi, [0.5, 0.5], atol=1e-7)
    with pytest.raises(InvalidValueError, match="empty"):
        ua_box(rl.Polyhedron(np.array([[1.0], [-1.0]]), np.array([0.0, -1.0])))
    with pytest.raises(InvalidValueError, match="unbounded"):
        ua_box(rl.Polyhedron(np.array([[1.0, 0.0]]), np.array([1.0])))
    with pytest.raises(InvalidValueError):
        ua_box("not a polyhedron")


# -- bad inputs --------------------------------------------------------------------
def test_bad_inputs():
    net = tiny()
    dom = rl.Box([-1, -1], [1, 1])
    with pytest.raises(InvalidValueError, match="does not hold"):
        convex_region(net, [0.0, 1.0], rl.ClassWins(0), domain=dom)  # y = (1, 1): a tie, class 0 does not win
    with pytest.raises(InvalidValueError, match="does not hold"):
        convex_region(net, [0.5, -0.5], rl.ClassWins(1), "relaxed", domain=dom)
    for f in (0, 1, -0.1, 1.5, float("nan"), "abc", True):
        with pytest.raises(InvalidValueError, match="logit_factor"):
            convex_region(net, [0.5, -0.5], rl.ClassWins(0), "relaxed", f, domain=dom)
    with pytest.raises(ShapeError, match="outputs|class"):
        convex_region(net, [0.5, -0.5], rl.ClassWins(5), domain=dom)
    with pytest.raises(ShapeError, match="does not exist"):
        class_property(2, 2)
    with pytest.raises(ShapeError, match="does not exist"):
        class_property(1, 2)
    with pytest.raises(InvalidValueError, match="outside the domain"):
        convex_region(net, [1.5, -0.5], rl.ClassWins(0), domain=dom)
    with pytest.raises(InvalidValueError, match="domain"):
        convex_region(net, [0.5, -0.5], rl.ClassWins(0))
    with pytest.raises(InvalidValueError, match="method"):
        convex_region(net, [0.5, -0.5], rl.ClassWins(0), "exact", domain=dom)
    with pytest.raises(ShapeError):
        convex_region(net, [0.5, -0.5, 0.0], rl.ClassWins(0), domain=dom)
    two_rows = rl.OutputAvoids((rl.Conjunction(np.array([[1.0, -1.0], [0.0, 1.0]]), [0.0, 5.0]),))
    with pytest.raises(InvalidValueError, match="half-spaces"):
        convex_region(net, [0.5, -0.5], two_rows, domain=dom)
    sig = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "sigmoid"), rl.Dense(np.eye(2), np.zeros(2))])
    with pytest.raises(InvalidValueError, match="sigmoid"):
        convex_region(sig, [0.5, -0.5], rl.ClassWins(0), domain=dom)
    # zero margin: OutputIn's boundary is inside the property, but ε = f * 0 relaxes nothing
    on_edge = rl.OutputIn(rl.Polyhedron(np.array([[-1.0, 0.0]]), np.array([-1.0])))  # y0 >= 1
    assert convex_region(net, [0.0, 0.0], on_edge, domain=dom).contains([0.0, 0.0])
    with pytest.raises(InvalidValueError, match="margin"):
        convex_region(net, [0.0, 0.0], on_edge, "relaxed", domain=dom)


def test_halfspace_rows():
    hp = halfspace_rows(rl.ClassWins(1), 3, who="t")
    np.testing.assert_array_equal(hp.C, [[-1, 1, 0], [0, 1, -1]])
    assert hp.strict.all()
    assert hp.holds(np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])).tolist() == [True, False]


# -- CLI ---------------------------------------------------------------------------
def _parser():
    from relucid import cli
    from relucid.cli import characterize as cli_characterize

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true")
    common.add_argument("--debug", action="store_true")
    common.add_argument("-v", "--verbose", action="store_true")
    p = cli._Parser(prog="relucid", parents=[common])
    cli_characterize.register(p.add_subparsers(parser_class=cli._Parser), common)
    return p


def test_cli(tmp_path, capsys):
    path = tmp_path / "tiny.npz"
    rl.save(tiny(), path)
    p = _parser()
    dom = "-1 <= x0 <= 1, -1 <= x1 <= 1"
    args = p.parse_args(["characterize", str(path), "--x", "0.5,-0.5", "--property", "class 0", "--domain", dom])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "1 of 2 neurons fixed" in out and "*0" in out
    args = p.parse_args(["characterize", str(path), "--x", "0.5,-0.5", "--domain", dom, "--method", "relaxed",
                         "--logit-factor", "0.3", "--json"])
    assert args.func(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["method"] == "relaxed" and payload["pattern"] == "*0" and payload["reached_find_minimal"]
    np.testing.assert_allclose(payload["epsilon"], [0.45])
    assert payload["ua_box"]["log_volume"] == pytest.approx(np.log(1.55), abs=1e-6)
    args = p.parse_args(["characterize", str(path), "--x", "0.5,-0.5", "--domain", dom, "--property", "y0 >= y1 + 1"])
    assert args.func(args) == 0
    for bad in (["--property", "class 7"], ["--property", "class one"], ["--method", "relaxed", "--logit-factor", "1.5"],
                ["--x", "1.5,-0.5"]):
        argv = ["characterize", str(path), "--x", "0.5,-0.5", "--domain", dom] + bad
        args = p.parse_args(argv)
        with pytest.raises(RelucidError):
            args.func(args)
    with pytest.raises(SystemExit) as e:  # usage error: no domain
        p.parse_args(["characterize", str(path), "--x", "0.5,-0.5"])
    assert e.value.code == 2


# -- docstring examples --------------------------------------------------------------
def test_doctests(monkeypatch):
    """The examples in the docstrings, with the names they use from relucid (wired into relucid/__init__ later)."""
    for name in ("convex_region", "find_minimal", "ua_box"):
        monkeypatch.setattr(rl, name, getattr(C, name), raising=False)
    from relucid.characterize import boxes, methods, minimal
    from relucid.geometry import max_box

    for mod in (boxes, methods, minimal, max_box):
        res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.failed == 0 and res.attempted > 0, mod.__name__


def brute_greedy(net, x, c):
    """The greedy of ``find_minimal``'s docstring with an exact oracle built without relucid.

    Returns ``to_string`` of its answer with ``stop_early`` True and False.

    The oracle enumerates the network's linear regions on DOMAIN with scipy LPs
    (tests/independent.py) and takes, in each, the largest ``y_j - y_c`` (one LP
    per rival class): a sub-pattern implies "class c wins" iff that maximum is
    negative in every region whose activation bits agree with x's on the fixed neurons.
    """
    regions = lp_regions(net, DOMAIN.lo, DOMAIN.hi)
    worst = np.array([max(lp_max(r["G"][j] - r["G"][c], r["A"], r["b"]) + r["g"][j] - r["g"][c]
                          for j in range(net.output_dim) if j != c) for r in regions])
    assert np.abs(worst).min() > 1e-6, "a region touches the class boundary: the brute-force answer would be fragile"
    B = np.array([r["bits"] for r in regions])
    h, x_bits = np.asarray(x, dtype=np.float64), []
    for layer in net.layers[:-1]:
        z = layer.weight @ h + layer.bias
        x_bits.append(z > 0)
        h = np.maximum(z, 0.0)
    x_bits = np.concatenate(x_bits)

    def implies(fixed):
        f = sorted(fixed)
        return bool(np.all(worst[np.all(B[:, f] == x_bits[f], axis=1)] < 0))

    sizes = [layer.out_dim for layer in net.layers[:-1]]
    starts = np.cumsum([0, *sizes])

    def greedy(stop_early):
        fixed = set(range(starts[-1]))
        for k in reversed(range(len(sizes))):  # last hidden layer first: the whole layer, then neuron by neuron
            layer = [n for n in range(starts[k], starts[k + 1]) if n in fixed]
            if implies(fixed - set(layer)):
                fixed -= set(layer)
                continue
            for n in layer:
                if implies(fixed - {n}):
                    fixed -= {n}
            if stop_early and k > 0:
                break
        if not stop_early:  # minimal by the same oracle: freeing any fixed neuron breaks the implication
            assert not any(implies(fixed - {n}) for n in fixed)
        chars = "".join(("1" if x_bits[n] else "0") if n in fixed else "*" for n in range(starts[-1]))
        return "|".join(chars[a:b] for a, b in zip(starts, starts[1:]))

    return greedy(True), greedy(False)


def test_stop_early_is_the_papers_greedy():
    """The paper's greedy stops at the first layer it cannot free whole, so earlier layers stay fixed."""
    net, x, prop = case(3, 1)
    start = rl.pattern(net, x)
    full = find_minimal(net, start, prop, domain=DOMAIN)
    early = find_minimal(net, start, prop, domain=DOMAIN, stop_early=True)
    # expected answers from the brute-force greedy (they read "00111111|*****0" and "****1*1*|*****0"):
    # layer 1 cannot be freed whole, so the paper's greedy keeps all of layer 0; relucid's frees most of it
    want_early, want_full = brute_greedy(net, x, prop.c)
    assert early.pattern.to_string(net) == want_early and not early.minimal
    assert full.pattern.to_string(net) == want_full and full.minimal
    assert {n for n in start.fixed if n[0] == 0} <= early.pattern.fixed
    assert full.pattern <= early.pattern
    ch = convex_region(net, x, prop, "relaxed", 0.5, domain=DOMAIN, stop_early=True)
    assert {n for n in start.fixed if n[0] == 0} <= ch.pattern.fixed and not ch.minimisation.minimal
    check_sound(ch, n=2000)
