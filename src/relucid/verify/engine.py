"""relucid's complete verifier: ``verify(net, input_set, prop, pattern, timeout)``.

Stages, each cheaper than the next, each able to end the search:

1. **Checks**: the network must be piecewise linear (relu, leaky_relu,
   identity); dimensions of the input set and property must fit; the pattern
   must name existing neurons. An empty input set is proved vacuously.
2. **Bounds**: DeepPoly bounds of every disjunct's rows over the whole input
   set (with the pattern's phases); disjuncts already unreachable are closed.
   One pass costs about one batch of the attack's forward passes, so easy
   proofs never wait for the attack.
3. **Attack**: sampling and projected gradient descent
   (:mod:`.attack`); any hit is a confirmed counterexample.
4. **Complete search** on what is left: branch and bound over input boxes
   (:mod:`.input_split`) when the input set is a box of at most
   :data:`INPUT_SPLIT_MAX_DIM` dimensions, else one MILP per disjunct
   (:mod:`.milp`). When it stops without a verdict (a candidate that fails
   the exact check) and time is left, the searches not yet run (sampling and
   descent, the LP-guided descent) get it before the answer is "unknown".

Soundness policy (see docs/verify.md): proofs are over closures (a neuron
fixed on is ``z >= 0``, a strict violation row is non-strict), so a proof
covers a superset of the question; a counterexample is reported only after
exact float64 checks (:meth:`~.query.Query.check_points`): inside the input
set with no tolerance (strict input rows of a :class:`~.query.StrictPolyhedron`
strictly), every fixed phase strict (on: ``z > 0``; ties at 0 are
off), and the output in a disjunct (a tie ``y_j == y_c`` violates
``ClassWins(c)``). Anything a solver proposes that fails those checks is
repaired or refused (:mod:`.confirm`), never reported. A reported
counterexample is, when one exists nearby, a vector of float32 numbers
(:func:`float32_witness`: VNN-COMP reads witnesses in float32); else the note
says so and ``stats["float32_witness"]`` is False.

Work per disjunct is vectorised over the stacked rows of all disjuncts
(:class:`~.properties.StackedRows`), so that a property of 65,536 disjuncts
costs array passes, not Python loops; every loop that can run long checks the
deadline.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .._deprecated import renamed_keyword
from .._validate import seed_of
from ..bounds import input_box, pattern_phases
from ..bounds._xp import torch_device
from ..deadline import Deadline, check_timeout
from ..errors import InvalidValueError
from ..geometry import Box
from ..network import Network, check_piecewise_linear
from .attack import attack, lp_guided_attack
from .input_split import input_split_search
from .properties import Conjunction, Property
from .query import Query, StrictPolyhedron, input_pieces
from .result import Result
from .stages import bound_stage, complete_search, milp_stage, phase_search_stage, tighten_stage

__all__ = ["verify"]

#: Box input sets of at most this many dimensions use input splitting.
INPUT_SPLIT_MAX_DIM = 8

METHODS = ("auto", "input-split", "milp", "relu-bab")

#: Before the phase search, the LP-guided attack may use this share of the time left.
LP_ATTACK_SHARE = 0.2


@renamed_keyword("seed", "rng")
def verify(
    net: Network,
    input_set,
    prop: Property,
    pattern=None,
    timeout: float | None = None,
    *,
    method: str = "auto",
    attack_first: bool = True,
    rng=0,
    progress: bool = False,
    device: str | None = None,
) -> Result:
    """Prove or falsify ``prop`` for every input of ``input_set`` that follows ``pattern``.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers.
    input_set : Box, Polyhedron, StrictPolyhedron or PolyUnion
        Bounded. A PolyUnion is verified piece by piece. Too wide for float64
        arithmetic (``hi - lo`` overflows) is refused.
    prop : Property
        :class:`ClassWins`, :class:`OutputIn` or :class:`OutputAvoids`. A
        disjunct without rows (no output constraint) is violated by every
        input that follows the pattern.
    pattern : Pattern, optional
        A partial activation pattern: only inputs that follow it count
        (a NAP, a minimal pattern).
    timeout : float, optional
        Seconds of wall-clock time; at expiry the result is "unknown"; 0
        answers "unknown" at once (booleans, NaN, infinity and negative
        values are refused).
    method : {"auto", "input-split", "milp", "relu-bab"}
        The complete back end. "auto": input splitting for boxes of at most
        :data:`INPUT_SPLIT_MAX_DIM` inputs; else the MILP when at most
        :data:`~.stages.MILP_MAX_UNSTABLE` free neurons are unstable after
        the first bounds, and branch and bound over ReLU phases
        (:mod:`.relu_bab`, α/β-CROWN bounds, MILP leaves) above that.
    attack_first : bool
        Try sampling and gradient descent before any proof.
    rng : int, numpy Generator or None
        Seed (or generator) of the attack's random samples (``seed=`` is a
        deprecated alias).
    progress : bool
        Show a tqdm bar of the boxes explored (input splitting).
    device : str, optional
        Bound with torch (float64) on this device: the input-splitting
        batches and the branch and bound over ReLU phases ("cuda" for a GPU,
        "cpu"; needs the ``torch`` extra). Default: numpy. A device torch or
        this machine does not have is refused in one line.

    Returns
    -------
    Result

    Examples
    --------
    >>> import relucid as rl
    >>> net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [0.0])])
    >>> rl.verify(net, rl.Box([-1], [1]), rl.OutputIn(rl.Box([0], [1]))).status   # |x| in [0, 1]
    'proved'
    >>> r = rl.verify(net, rl.Box([-2], [1]), rl.OutputIn(rl.Box([0], [1])))
    >>> r.status, bool(net(r.counterexample)[0] > 1)
    ('falsified', True)
    """
    t0 = time.monotonic()
    timeout = check_timeout(timeout, who="verify", zero_ok=True)
    deadline = Deadline.after(timeout)
    seed = seed_of(rng, who="verify")
    if method not in METHODS:
        raise InvalidValueError(f"verify: method must be one of {METHODS}; got {method!r}")
    if device is not None:
        device = torch_device(device, who="verify")
    check_piecewise_linear(net, who="verify", purpose="complete verification (relucid.bounds still bounds it)")
    if not isinstance(prop, Property):
        raise InvalidValueError(f"verify: prop must be a relucid property (ClassWins, OutputIn, OutputAvoids); got {type(prop).__name__}")
    disjuncts = prop.violations(net.output_dim)
    prop.check(net.output_dim)
    disjuncts = _no_empty_disjuncts(disjuncts, net.output_dim)
    phases = pattern_phases(net, pattern)
    pieces = input_pieces(input_set, net.input_dim, "verify")
    if timeout == 0:
        return Result("unknown", time=time.monotonic() - t0, method="none", note="timeout 0: nothing was run")
    if not pieces:
        return Result("proved", time=time.monotonic() - t0, method="empty-input",
                      note="the input set is empty: the property holds vacuously")
    results = []
    for i, piece in enumerate(pieces):
        if i and deadline.expired():
            results.append(Result("unknown", method="pieces", note="timeout"))
            break
        r = _verify_piece(net, piece, disjuncts, phases, deadline, method, attack_first, seed, progress, device)
        results.append(r)
        if r.status != "proved":
            break
    return _combine(results, len(pieces), time.monotonic() - t0)


def _no_empty_disjuncts(disjuncts, n_out: int) -> tuple:
    """A disjunct without rows (``(assert true)``, outputs never constrained) holds everywhere:
    written as the row ``0 y <= 0`` so that every stage handles it (every output violates it)."""
    return tuple(c if len(c) else Conjunction(np.zeros((1, n_out)), [0.0]) for c in disjuncts)


def _verify_piece(net, piece, disjuncts, phases, deadline, method, attack_first, seed, progress, device) -> Result:
    lo, hi = input_box(net, piece)
    if lo is None:
        return Result("proved", method="empty-input", note="the input set is empty: the property holds vacuously")
    _check_range(lo, hi)
    A = np.zeros((0, net.input_dim)) if isinstance(piece, Box) else np.asarray(piece.A)
    b = np.zeros(0) if isinstance(piece, Box) else np.asarray(piece.b)
    strict_in = np.asarray(piece.strict) if isinstance(piece, StrictPolyhedron) else None
    q = Query(net, lo, hi, A, b, phases, disjuncts, deadline.at, strict_rows=strict_in)
    q.stats["disjuncts"] = len(disjuncts)
    if not disjuncts:
        return Result("proved", method="trivial", note="the property has no violation set", stats=q.stats)
    # One DeepPoly pass first: it costs about one batch of the attack's
    # forward passes and closes easy queries before any search.
    first = bound_stage(q)
    if first.infeasible:
        return Result("proved", method="bounds", stats=q.stats,
                      note="no input of the set follows the pattern: the property holds vacuously")
    active = first.open
    q.stats["open_after_bounds"] = int(active.sum())
    if not active.any():
        return Result("proved", method="bounds", stats=q.stats)
    if q.expired():
        return Result("unknown", method="bounds", note="timeout", stats=q.stats)
    if attack_first:
        x = attack(q, np.random.default_rng(seed))
        if x is not None:
            return _falsified(q, x, "attack")
        if q.expired():
            return Result("unknown", method="attack", note="timeout", stats=q.stats)
    use_split = method == "input-split" or (
        method == "auto" and not A.shape[0] and net.input_dim <= INPUT_SPLIT_MAX_DIM
    )
    if use_split:
        bar = _progress(progress)
        try:
            status, x, note = input_split_search(q, active, bar, device)
        finally:
            if bar is not None:
                bar.close()
        name = "input-split"
    else:
        layers = first.layers
        name = complete_search(q, layers, method)
        if name == "milp":
            layers = tighten_stage(q, layers)
            x = lp_guided_attack(q, layers, active) if attack_first else None
            if x is not None:
                return _falsified(q, x, "lp-attack")
            status, x, note = milp_stage(q, layers, active)
        else:
            # The LP relaxation's best points (over the first bounds: no tightening) start a descent
            # first: they find counterexamples the phase search's relaxation minimisers miss (mnistfc
            # 256x2 prop_0_0.05).
            x = None
            if attack_first:
                share = Deadline(q.deadline).share(LP_ATTACK_SHARE)
                x = lp_guided_attack(replace(q, deadline=share.at), layers, active)
            if x is not None:
                return _falsified(q, x, "lp-attack")
            status, x, note, name = phase_search_stage(q, layers, active, device=device)
    if status == "unknown" and note != "timeout" and not q.expired():
        # The complete search stopped without a verdict (a candidate that did
        # not survive the exact check): spend the time left on the searches
        # not tried yet before answering "unknown".
        if use_split:
            layers = first.layers
        x = _last_resort(q, layers, active, tried_attack=attack_first, tried_lp=attack_first and not use_split,
                         seed=seed)
        if x is not None:
            return _falsified(q, x, name + "+attack")
    if status == "falsified":
        return _falsified(q, x, name)
    if status == "unknown" and q.strict_rows.any() and note != "timeout":
        note = (f"{note}; the input set has strict constraints (< or >) and no point strictly inside them "
                "was found" if note else "the input set has strict constraints (< or >) and no point "
                "strictly inside them was found")
    return Result(status, method=name, note=note, stats=q.stats)


def _last_resort(q: Query, layers, active, *, tried_attack: bool, tried_lp: bool, seed: int):
    """Sampling and descent, then the LP-guided descent, where not run before: a counterexample or None."""
    x = None
    if not tried_attack:
        x = attack(q, np.random.default_rng(seed + 1))
    if x is None and not tried_lp and not q.expired():
        x = lp_guided_attack(q, layers, active)
    return x


def _falsified(q: Query, x, method: str) -> Result:
    x = np.asarray(x, dtype=np.float64)
    k = int(q.check_points(x)[0])
    assert k >= 0, "internal error: an unconfirmed counterexample reached the result"
    x32 = float32_witness(q, x)
    note = None
    if x32 is not None:
        x, k = x32, int(q.check_points(x32)[0])
    else:
        note = ("no float32 point near the counterexample is one (VNN-COMP replays witnesses in float32); "
                "the float64 counterexample is reported")
    q.stats["float32_witness"] = x32 is not None
    return Result("falsified", counterexample=x, output=q.net(x), method=method, note=note, violated=k, stats=q.stats)


#: Steps (as fractions of the way to the input box's centre) tried to find a float32 witness.
FLOAT32_STEPS = (0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


def float32_witness(q: Query, x) -> np.ndarray | None:
    """A counterexample near ``x`` whose entries are float32 numbers (so a float32 cast keeps it), or None.

    VNN-COMP reads a witness into float32; a float64 point on the edge of the
    input box can round outside it. Candidates: ``x`` rounded to float32 and
    moved inside the box's float32 range, then points a little way towards
    the box's centre, rounded the same way; the first that passes the exact
    check (:meth:`Query.check_points`) is returned.
    """
    lo32 = _float32_above(q.lo)
    hi32 = -_float32_above(-q.hi)
    if (lo32 > hi32).any():
        return None
    centre = (q.lo + q.hi) / 2
    cands = np.array([np.clip((x + t * (centre - x)).astype(np.float32), lo32, hi32) for t in FLOAT32_STEPS],
                     dtype=np.float64)
    return q.first_confirmed(cands)


def _float32_above(v) -> np.ndarray:
    """The smallest float32 numbers ``>= v`` (as float32)."""
    with np.errstate(over="ignore"):
        f = np.asarray(v, dtype=np.float64).astype(np.float32)
    return np.where(f.astype(np.float64) < v, np.nextafter(f, np.float32(np.inf)), f)


def _combine(results: list, n_pieces: int, elapsed: float) -> Result:
    """One result for the pieces: the last one decides (every earlier piece was proved).

    Its note is the last piece's own; a proof of several pieces keeps the
    distinct notes of its pieces, each naming its piece.
    """
    last = results[-1]
    if n_pieces > 1:
        stats = dict(last.stats)
        stats["pieces_done"] = len(results)
        stats["pieces"] = n_pieces
    else:
        stats = last.stats
    status = last.status
    if status == "proved" and n_pieces > 1:
        methods = sorted({r.method for r in results})
        notes = [f"piece {i}: {r.note}" for i, r in enumerate(results) if r.note]
        return Result("proved", time=elapsed, method="+".join(methods), note="; ".join(notes) or None, stats=stats)
    note = last.note
    if n_pieces > 1 and note:
        note = f"piece {len(results) - 1}: {note}"
    return Result(status, last.counterexample, last.output, elapsed, "relucid", last.method, note, last.violated, stats)


def _check_range(lo, hi) -> None:
    """Refuse an input box whose widths overflow float64 (e.g. ``±1.7e308``): no arithmetic on it is exact."""
    with np.errstate(over="ignore", invalid="ignore"):
        width = hi - lo
    bad = np.flatnonzero(~np.isfinite(width) | ~np.isfinite(lo + hi))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(
            f"verify: the input set is too wide for float64 arithmetic in dimension {i} "
            f"([{lo[i]:.6g}, {hi[i]:.6g}]: its width overflows); rescale the inputs"
        )


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="boxes", unit="box")
