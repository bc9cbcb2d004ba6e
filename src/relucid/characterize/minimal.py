"""``find_minimal``: the smallest sub-pattern that still implies a property.

The greedy of Gopinath et al. (used by Dingliwal et al., §3.1): starting from
the last hidden layer, try to free a whole layer at once (one verifier call:
"does the pattern without this layer still imply ``P`` on the domain?"); when
a layer cannot be freed whole, try its neurons one at a time. Unlike the
paper's implementation, which stops after the first layer that cannot be
freed whole (``stop_early=True`` reproduces that), the search goes on to the
earlier layers, so that the result is *minimal*: freeing any single neuron
that is still fixed lets the verifier find a counterexample. (Freeing only shrinks the pattern, so a neuron that
could not be freed earlier cannot be freed later: a counterexample for
``τ - n`` follows every ``τ' - n`` with ``τ' ⊆ τ``.)

Counterexamples are kept: a candidate that one of them already refutes
(it follows the candidate pattern and violates the property, checked by a
forward pass) costs no verifier call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..phases import FREE, ON
from ..deadline import Deadline, check_timeout
from ..errors import InvalidValueError
from ..geometry import Polyhedron
from ..geometry.domain import as_domain
from ..network import Network
from ..regions.pattern import Pattern, activation_bits, neuron_names
from ..verify import Property, verify

__all__ = ["MinimalPattern", "find_minimal"]


@dataclass(frozen=True)
class MinimalPattern:
    """Result of :func:`find_minimal`.

    Attributes
    ----------
    pattern : Pattern
        A sub-pattern of the start pattern that implies the property on the domain.
    calls : int
        Verifier calls made.
    refuted_by_cache : int
        Candidates refuted by an earlier counterexample, without a call.
    unknown : int
        Calls that ended "unknown" (a per-call timeout, or the total budget
        spent: such candidates are not even tried); their neurons stay fixed.
    minimal : bool
        True when no call was unknown and every layer was visited (always,
        unless ``stop_early``): freeing any single remaining neuron is then
        refuted by a confirmed counterexample.
    time : float
        Seconds.
    """

    pattern: Pattern
    calls: int
    refuted_by_cache: int
    unknown: int
    minimal: bool
    time: float


@dataclass
class Oracle:
    """``implies(pattern)``: does every domain input following ``pattern`` satisfy ``prop``?

    ``timeout`` limits each verifier call; ``deadline`` all of them together:
    once it has passed, every candidate is answered "unknown" without a call
    (sound: an unknown candidate keeps its neurons fixed).
    """

    net: Network
    domain: Polyhedron
    prop: Property
    timeout: float | None = None
    deadline: Deadline = field(default_factory=Deadline.never)
    calls: int = 0
    cached: int = 0
    unknown: int = 0
    witnesses: list = field(default_factory=list)

    def implies(self, pat: Pattern) -> str:
        """"proved", "falsified" or "unknown"."""
        if self._refuted(pat):
            self.cached += 1
            return "falsified"
        left = self.deadline.remaining()
        if left <= 0:
            self.unknown += 1
            return "unknown"
        timeout = left if self.timeout is None else min(self.timeout, left)
        self.calls += 1
        r = verify(self.net, self.domain, self.prop, pattern=pat, timeout=None if timeout == float("inf") else timeout,
                   attack_first=False)
        if r.status == "falsified":
            self.witnesses.append(np.asarray(r.counterexample, dtype=np.float64))
        elif r.status == "unknown":
            self.unknown += 1
        return r.status

    def _refuted(self, pat: Pattern) -> bool:
        if not self.witnesses:
            return False
        X = np.array(self.witnesses, dtype=np.float64)
        bits = pat.to_bits(self.net)
        on = activation_bits(self.net, X)
        follows = np.all((bits == FREE) | (on == (bits == ON)), axis=1)
        inside = np.all(X @ self.domain.A.T <= self.domain.b, axis=1)
        bad = ~self.prop.holds_at(self.net(X))
        return bool(np.any(follows & inside & bad))


def find_minimal(
    net: Network,
    pattern: Pattern,
    prop: Property,
    *,
    domain: Polyhedron | None = None,
    timeout: float | None = None,
    total_timeout: float | None = None,
    check: bool = True,
    stop_early: bool = False,
) -> MinimalPattern:
    """A minimal sub-pattern of ``pattern`` that still implies ``prop`` on ``domain``.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers.
    pattern : Pattern
        Must imply ``prop`` on the domain (checked with one verifier call
        unless ``check=False``).
    prop : Property
    domain : Box or Polyhedron
        Bounded input domain; required (the verifier proves over it).
    timeout : float, optional
        Seconds per verifier call; an "unknown" answer keeps the neuron(s)
        fixed (sound) and marks the result not provably minimal.
    total_timeout : float, optional
        Seconds for the whole search (every verifier call together). When it
        is spent the remaining candidates count as "unknown": the pattern
        returned still implies ``prop``, but is marked not minimal.
    check : bool
        Verify the precondition first.
    stop_early : bool
        The paper's greedy: stop after the first layer that cannot be freed
        whole (once its neurons have been tried). The earlier layers then
        stay fixed and the result is in general *not* minimal
        (``minimal`` reports only the absence of timeouts).

    Returns
    -------
    MinimalPattern

    Raises
    ------
    InvalidValueError
        No domain, or ``pattern`` does not imply ``prop`` (the message holds
        the counterexample's output).

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"),
    ...                   rl.Dense([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.0])])   # y = (relu(x0)+1, relu(x1))
    >>> p = rl.Pattern.from_dict({(0, 0): True, (0, 1): False})
    >>> rl.find_minimal(net, p, rl.ClassWins(0), domain=rl.Box([-1, -1], [1, 1])).pattern.to_dict()
    {(0, 1): False}
    """
    domain = as_box_or_polyhedron(domain, getattr(net, "input_dim", 0), "find_minimal")
    if not isinstance(pattern, Pattern):
        raise InvalidValueError(f"find_minimal: pattern must be a relucid.Pattern; got {type(pattern).__name__}")
    pattern.validate(net)
    timeout = check_timeout(timeout, who="find_minimal")
    oracle = Oracle(net, domain, prop, timeout, Deadline.after(total_timeout, who="find_minimal (total_timeout)"))
    t0 = time.monotonic()
    if check:
        status = oracle.implies(pattern)
        if status != "proved":
            why = (
                f"a counterexample has output {np.array2string(net(oracle.witnesses[-1]), precision=6)}"
                if status == "falsified" else "the verifier could not decide it (timeout)"
            )
            raise InvalidValueError(
                f"find_minimal: the pattern does not imply {prop.describe()!r} on the domain ({why}); "
                "start from a pattern that does"
            )
    result, visited_all = minimise(net, pattern, oracle, stop_early=stop_early)
    return MinimalPattern(result, oracle.calls, oracle.cached, oracle.unknown,
                          oracle.unknown == 0 and visited_all, time.monotonic() - t0)


def minimise(net: Network, pattern: Pattern, oracle: Oracle, *, stop_early: bool = False) -> tuple[Pattern, bool]:
    """The greedy itself: last layer first, whole layer, then neuron by neuron.

    Returns the pattern and whether every layer was visited (False when
    ``stop_early`` stopped before the first layer: then not minimal).
    """
    current = pattern
    order = neuron_names(net)
    for layer in reversed(net.pattern_layers):
        fixed = [n for n in order if n[0] == layer and n in current.fixed]
        if not fixed:
            continue
        whole = current.restrict(current.fixed - set(fixed))
        if oracle.implies(whole) == "proved":
            current = whole
            continue
        if len(fixed) > 1:  # (a single neuron was the whole-layer candidate)
            for n in fixed:
                cand = current.restrict(current.fixed - {n})
                if oracle.implies(cand) == "proved":
                    current = cand
        if stop_early and layer != net.pattern_layers[0]:
            return current, False
    return current, True


def as_box_or_polyhedron(domain, n_in: int, who: str):
    """Validate a domain: a bounded Box or Polyhedron of the right dimension."""
    return as_domain(domain, n_in, who=who, required=True, bounded=True,
                     what="the bounded input domain the proofs are over")
