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
   (:mod:`.milp`).

Soundness policy (see docs/verify.md): proofs are over closures (a neuron
fixed on is ``z >= 0``, a strict violation row is non-strict), so a proof
covers a superset of the question; a counterexample is reported only after
exact float64 checks (:meth:`~.query.Query.check_points`): inside the input
set with no tolerance, every fixed phase strict (on: ``z > 0``; ties at 0 are
off), and the output in a disjunct (a tie ``y_j == y_c`` violates
``ClassWins(c)``). Anything a solver proposes that fails those checks is
repaired or refused (:mod:`.confirm`), never reported.
"""

from __future__ import annotations

import time

import numpy as np

from ..bounds import input_box, pattern_phases
from ..bounds.deeppoly import deeppoly_bounds
from ..errors import InvalidValueError
from ..geometry import Box
from ..network import Network
from .attack import attack, lp_guided_attack
from .input_split import input_split_search
from .milp import milp_search
from .properties import Property
from .query import Query, input_pieces
from .result import Result
from .tighten import tighten_bounds

__all__ = ["verify"]

#: Box input sets of at most this many dimensions use input splitting.
INPUT_SPLIT_MAX_DIM = 8

METHODS = ("auto", "input-split", "milp")

#: LP bound tightening before a MILP may use this share of the remaining time
#: (or TIGHTEN_MAX_SECONDS without a timeout).
TIGHTEN_SHARE = 0.4
TIGHTEN_MAX_SECONDS = 120.0


def verify(
    net: Network,
    input_set,
    prop: Property,
    pattern=None,
    timeout: float | None = None,
    *,
    method: str = "auto",
    attack_first: bool = True,
    seed: int = 0,
    progress: bool = False,
    device: str | None = None,
) -> Result:
    """Prove or falsify ``prop`` for every input of ``input_set`` that follows ``pattern``.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers.
    input_set : Box, Polyhedron or PolyUnion
        Bounded. A PolyUnion is verified piece by piece.
    prop : Property
        :class:`ClassWins`, :class:`OutputIn` or :class:`OutputAvoids`.
    pattern : Pattern, optional
        A partial activation pattern: only inputs that follow it count
        (a NAP, a minimal pattern).
    timeout : float, optional
        Seconds of wall-clock time; at expiry the result is "unknown".
    method : {"auto", "input-split", "milp"}
        The complete back end ("auto": input splitting for boxes of at most
        :data:`INPUT_SPLIT_MAX_DIM` inputs, else MILP).
    attack_first : bool
        Try sampling and gradient descent before any proof.
    seed : int
        Seed of the attack's random samples.
    progress : bool
        Show a tqdm bar of the boxes explored (input splitting).
    device : str, optional
        Bound the input-splitting batches with torch on this device
        ("cuda" for a GPU; needs the ``torch`` extra). Default: numpy.

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
    deadline = np.inf if timeout is None else t0 + float(timeout)
    if timeout is not None and not float(timeout) > 0:
        raise InvalidValueError(f"verify: timeout must be a positive number of seconds; got {timeout!r}")
    if method not in METHODS:
        raise InvalidValueError(f"verify: method must be one of {METHODS}; got {method!r}")
    _check_network(net)
    if not isinstance(prop, Property):
        raise InvalidValueError(f"verify: prop must be a relucid property (ClassWins, OutputIn, OutputAvoids); got {type(prop).__name__}")
    disjuncts = prop.violations(net.output_dim)
    prop.check(net.output_dim)
    phases = pattern_phases(net, pattern)
    pieces = input_pieces(input_set, net.input_dim, "verify")
    if not pieces:
        return Result("proved", time=time.monotonic() - t0, method="empty-input",
                      note="the input set is empty: the property holds vacuously")
    results = []
    for i, piece in enumerate(pieces):
        r = _verify_piece(net, piece, disjuncts, phases, deadline, method, attack_first, seed, progress, device)
        results.append(r)
        if r.status != "proved":
            break
    return _combine(results, len(pieces), time.monotonic() - t0)


def _verify_piece(net, piece, disjuncts, phases, deadline, method, attack_first, seed, progress, device) -> Result:
    lo, hi = input_box(net, piece)
    if lo is None:
        return Result("proved", method="empty-input", note="the input set is empty: the property holds vacuously")
    A = np.zeros((0, net.input_dim)) if isinstance(piece, Box) else np.asarray(piece.A)
    b = np.zeros(0) if isinstance(piece, Box) else np.asarray(piece.b)
    q = Query(net, lo, hi, A, b, phases, disjuncts, deadline)
    q.stats["disjuncts"] = len(disjuncts)
    if not disjuncts:
        return Result("proved", method="trivial", note="the property has no violation set", stats=q.stats)
    # One DeepPoly pass first: it costs about one batch of the attack's
    # forward passes and closes easy queries before any search.
    S, s, strict, owner = q.spec()
    out = deeppoly_bounds(net, lo[None], hi[None], phases, spec=(S, s))
    if out.infeasible[0]:
        return Result("proved", method="bounds", stats=q.stats,
                      note="no input of the set follows the pattern: the property holds vacuously")
    safe = np.where(strict, out.spec_lower[0] >= 0, out.spec_lower[0] > 0)
    active = np.array([not safe[owner == k].any() for k in range(len(disjuncts))])
    q.stats["open_after_bounds"] = int(active.sum())
    if not active.any():
        return Result("proved", method="bounds", stats=q.stats)
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
        layers = [(L[0], U[0]) for L, U in out.layers]
        budget = TIGHTEN_SHARE * q.remaining() if np.isfinite(q.remaining()) else TIGHTEN_MAX_SECONDS
        layers = tighten_bounds(q, layers, budget)
        x = lp_guided_attack(q, layers, active) if attack_first else None
        if x is not None:
            return _falsified(q, x, "lp-attack")
        status, x, note = milp_search(q, layers, active)
        name = "milp"
    if status == "falsified":
        return _falsified(q, x, name)
    return Result(status, method=name, note=note, stats=q.stats)


def _falsified(q: Query, x, method: str) -> Result:
    k = int(q.check_points(x)[0])
    assert k >= 0, "internal error: an unconfirmed counterexample reached the result"
    return Result("falsified", counterexample=x, output=q.net(x), method=method, violated=k, stats=q.stats)


def _combine(results: list, n_pieces: int, elapsed: float) -> Result:
    last = results[-1]
    if n_pieces > 1:
        stats = dict(last.stats)
        stats["pieces_done"] = len(results)
        stats["pieces"] = n_pieces
    else:
        stats = last.stats
    status = last.status
    notes = [r.note for r in results if r.note]
    note = notes[-1] if notes else None
    if status == "proved" and n_pieces > 1:
        methods = sorted({r.method for r in results})
        return Result("proved", time=elapsed, method="+".join(methods), note=note, stats=stats)
    return Result(status, last.counterexample, last.output, elapsed, "relucid", last.method, note, last.violated, stats)


def _check_network(net: Network) -> None:
    if not isinstance(net, Network):
        raise InvalidValueError(f"verify: expects a relucid.Network; got {type(net).__name__}")
    for i, layer in enumerate(net.layers):
        if layer.activation not in ("relu", "leaky_relu", "identity"):
            raise InvalidValueError(
                f"verify: layer {i} has activation {layer.activation!r}; complete verification needs relu, "
                "leaky_relu and identity layers (relucid.bounds still bounds it)"
            )


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="boxes", unit="box")
