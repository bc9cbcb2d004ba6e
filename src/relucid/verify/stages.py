"""The engine's stages as functions, called by :func:`relucid.verify` and by every analysis that asks
a verification question over a box and a partial pattern (NAP queries, issue 16).

* :func:`bound_stage` — one DeepPoly pass with the pattern's phases over the
  query's box, bounding every distinct violation row; says which disjuncts
  it closes and whether no input follows the pattern at all;
* :func:`tighten_stage` — LP bound tightening for the MILP's big-M constants,
  within one budget rule (:data:`TIGHTEN_SHARE` of the time left, or
  :data:`TIGHTEN_MAX_SECONDS` without a deadline);
* :func:`milp_stage` — the MILP for the open disjuncts
  (:func:`relucid.verify.milp.milp_search`);
* :func:`complete_search` — which complete search a query gets: the MILP for
  few free unstable neurons, else :func:`phase_search_stage`;
* :func:`phase_search_stage` — branch and bound over ReLU phases
  (:func:`relucid.verify.relu_bab.relu_bab_search`), the MILP beside it in a
  forked child where a second core is free;
* counterexamples are confirmed by :meth:`~relucid.verify.query.Query.check_points`
  only (:func:`is_counterexample` for one point).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..bounds.deeppoly import deeppoly_bounds
from ..errors import InvalidValueError
from ..phases import FREE
from .milp import milp_search
from .relu_bab import relu_bab_search
from .query import Query
from .tighten import tighten_bounds

__all__ = ["BoundStage", "MILP_MAX_UNSTABLE", "TIGHTEN_MAX_SECONDS", "TIGHTEN_SHARE", "bound_stage",
           "complete_search", "free_unstable", "is_counterexample", "milp_stage", "phase_search_stage", "tighten_stage"]

#: LP bound tightening before the MILPs may use this share of the time left.
TIGHTEN_SHARE = 0.4
#: ... or this many seconds when there is no deadline.
TIGHTEN_MAX_SECONDS = 120.0


@dataclass
class BoundStage:
    """What one DeepPoly pass over the query's box decided.

    ``infeasible``: no input of the box follows the pattern (every disjunct is
    closed, vacuously). ``open``: (K,) bool, the disjuncts the bounds leave
    open. ``layers``: per layer, the (lower, upper) pre-activation bounds.
    """

    infeasible: bool
    open: np.ndarray
    layers: list


def bound_stage(q: Query) -> BoundStage:
    """DeepPoly with the query's phases; a disjunct closes when one of its rows is bounded away from it.

    A row ``c y <= d`` of a disjunct is safe when the lower bound of ``c y - d`` is ``> 0``
    (``>= 0`` for a strict row); a disjunct with a safe row is unreachable.
    """
    S, d, strict = q.rows.distinct  # each distinct row bounded once
    out = deeppoly_bounds(q.net, q.lo[None], q.hi[None], q.phases, spec=(S, -d))
    _check_bounds(out)
    layers = [(L[0], U[0]) for L, U in out.layers]
    if out.infeasible[0]:
        return BoundStage(True, np.zeros(len(q.disjuncts), dtype=bool), layers)
    safe = np.where(strict, out.spec_lower >= 0, out.spec_lower > 0)
    return BoundStage(False, ~q.rows.segment_any(q.rows.expand(safe))[0], layers)


def tighten_stage(q: Query, layers: list) -> list:
    """LP-tightened copies of ``layers`` within :data:`TIGHTEN_SHARE` of the query's time left."""
    left = q.remaining()
    budget = TIGHTEN_SHARE * left if np.isfinite(left) else TIGHTEN_MAX_SECONDS
    return tighten_bounds(q, layers, budget)


def milp_stage(q: Query, layers: list, open_: np.ndarray):
    """``(status, x, note)`` of the MILP over the open disjuncts (``x`` confirmed when falsified)."""
    return milp_search(q, layers, open_)


#: Queries with at most this many free unstable neurons after the first bounds go to the MILP directly;
#: more go to branch and bound over ReLU phases (:mod:`.relu_bab`), whose leaves are MILPs.
MILP_MAX_UNSTABLE = 48


def free_unstable(q: Query, layers: list) -> int:
    """Neurons with phases whose bounds straddle 0 and that the query's pattern leaves free."""
    n = 0
    for k, (L, U) in enumerate(layers):
        if k >= len(q.net.layers) or not q.net.layers[k].has_phases:
            continue
        straddle = (L < 0) & (U > 0)
        ph = q.phases.get(k)
        if ph is not None:
            straddle &= ph == FREE
        n += int(straddle.sum())
    return n


def complete_search(q: Query, layers: list, method: str = "auto") -> str:
    """The complete search a query gets: ``method`` when it names one ("milp" or "relu-bab"), else the
    MILP when at most :data:`MILP_MAX_UNSTABLE` free neurons are unstable under ``layers``' bounds, else
    branch and bound over ReLU phases. The one place this choice is made (verify, NAP queries)."""
    if method in ("milp", "relu-bab"):
        return method
    return "milp" if free_unstable(q, layers) <= MILP_MAX_UNSTABLE else "relu-bab"


def parallel_allowed(q: Query) -> bool:
    """Whether the MILP may run beside the phase search in a forked child (see :func:`phase_search_stage`)."""
    if os.environ.get("RELUCID_PARALLEL_MILP", "1") == "0" or not hasattr(os, "fork"):
        return False
    if (os.cpu_count() or 1) < 2:
        return False
    return q.remaining() >= PARALLEL_MIN_SECONDS


def phase_search_stage(q: Query, layers: list, open_: np.ndarray, *, device=None, parallel: bool | None = None):
    """``(status, x, note, name)``: branch and bound over ReLU phases (α/β-CROWN bounds, MILP leaves;
    :mod:`.relu_bab`) over the open disjuncts; :func:`complete_search` says when a query gets it.

    ``parallel`` (default: :func:`parallel_allowed`): the MILP (tightened bounds, then HiGHS) runs
    beside it in a forked child on the second core, on the same deadline; the first decided answer wins
    (a counterexample from the child is re-checked here by
    :meth:`~.query.Query.check_points` before it counts) and the other
    member is stopped. On mnistfc 256x2 the MILP decides queries the phase
    search does not (prop_3_0.03 in 50 s) and the reverse on 256x4.
    """
    if parallel is None:
        parallel = parallel_allowed(q)
    member = _milp_member(q, layers, open_) if parallel else None
    try:
        status, x, note = relu_bab_search(q, open_, device=device, poll=None if member is None else member.answer)
    finally:
        if member is not None:
            member.cancel()
    name = "relu-bab"
    if member is not None and member.decided:
        name = "relu-bab|milp"
        q.count("portfolio_milp_decided")
    return status, x, note, name


#: The MILP runs beside the phase search only for queries with at least this many seconds left
#: (a fork and a tightening pass cost too much for short queries; tests use short timeouts).
PARALLEL_MIN_SECONDS = 20.0


def _milp_child(q: Query, layers: list, open_: np.ndarray):
    status, x, note = milp_search(q, tighten_stage(q, layers), open_)
    return {"status": status, "note": note}, x


class _milp_member:
    """The MILP as a portfolio member in a forked child (:class:`relucid.geometry.forked.ForkedRun`)."""

    def __init__(self, q: Query, layers: list, open_: np.ndarray) -> None:
        from ..geometry.forked import ForkedRun

        self.q = q
        self.decided = False
        self.run = ForkedRun(_milp_child, (q, layers, open_), max(q.remaining(), 0.0) + 1.0)

    def answer(self):
        """``(status, x, note)`` once the child decided (a counterexample re-checked here), else None."""
        got = self.run.poll()
        if got is None or isinstance(got, str):
            return None
        head, x = got
        if head["status"] == "proved":
            self.decided = True
            return "proved", None, head.get("note")
        if head["status"] == "falsified" and x is not None and self.q.check_points(x)[0] >= 0:
            self.decided = True
            return "falsified", x, None
        return None

    def cancel(self) -> None:
        self.run.cancel()


def is_counterexample(q: Query, x) -> bool:
    """Whether ``x`` is a confirmed counterexample of ``q`` (the one check: :meth:`Query.check_points`)."""
    if x is None:
        return False
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (q.net.input_dim,):
        return False
    return bool(q.check_points(x)[0] >= 0)


def _check_bounds(out) -> None:
    """Refuse a query whose bounds overflow float64 (inf or NaN): the network's outputs are not representable."""
    for k, (L, U) in enumerate(out.layers):
        if not (np.isfinite(L).all() and np.isfinite(U).all()):
            raise InvalidValueError(
                f"verify: the bounds of layer {k} overflow float64 over the input set (inf or NaN); "
                "rescale the inputs or the weights"
            )
    if out.spec_lower is not None and np.isnan(out.spec_lower).any():
        raise InvalidValueError("verify: the bounds of the property's rows overflow float64 over the input set (NaN); "
                                "rescale the inputs, the weights or the property")
