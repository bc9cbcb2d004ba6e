"""The engine side of NAP queries: shared bounds and MILPs, the LP polish, the violation rows, re-checks.

:class:`Shared` runs the verification engine's stages for several
violation rows over one box and pattern, sharing what can be shared (one
DeepPoly pass, one round of LP bound tightening); :func:`decide` runs any
engine on a list of rows; :func:`polish` turns the search's best points
into counterexamples by an LP in their linear regions; :func:`confirmed` is
the float64 re-check every counterexample passes before it is reported.
"""

from __future__ import annotations

import time

import numpy as np

from ..deadline import Deadline
from ..geometry import Box
from ..verify.properties import Conjunction, OutputAvoids
from .nap import NAP

#: The search's best following points that get an LP in their linear region.
POLISH_POINTS = 3
#: Seconds the LP polish may run even when the search used up its share.
POLISH_MIN_SECONDS = 1.0


def decide(net, lo, hi, pattern_nap: NAP, conjs, budget, engine, seed) -> list:
    """``[(status, x, method, note)]`` per conjunction (a violation set) over the box, following the NAP."""
    if engine is None:
        return [("unknown", None, "search", "search only (no engine run)")] * len(conjs)
    if engine == "relucid":
        sh = Shared(net, lo, hi, pattern_nap.layer_phases(net), conjs)
        first = sh.bounds()
        todo = [k for k, a in enumerate(first) if a is None]
        rest = iter(sh.milps(todo, None if budget is None else max(budget - sh.elapsed, 1e-3)) if todo else [])
        return [a if a is not None else next(rest) for a in first]
    out = []
    t0 = time.monotonic()
    for i, conj in enumerate(conjs):
        left = None if budget is None else max((t0 + budget - time.monotonic()) / (len(conjs) - i), 1e-3)
        prop = OutputAvoids(conj)
        if engine == "marabou":
            from ..verify.marabou import verify_marabou

            r = verify_marabou(net, Box(lo, hi), prop, pattern=pattern_nap.as_pattern(), timeout=left)
        else:
            from ..verify import verify

            r = verify(net, Box(lo, hi), prop, pattern=pattern_nap.as_pattern(), timeout=left, rng=seed)
        out.append((r.status, r.counterexample, r.method or engine, r.note))
    return out


class Shared:
    """The engine's stages (:mod:`relucid.verify.stages`) for several violation rows over one box and
    pattern, shared where they can be.

    :meth:`bounds`: :func:`~relucid.verify.stages.bound_stage`, once for all
    rows. :meth:`milps`: per row, with an equal share of the time left, the
    MILP (:func:`~relucid.verify.stages.tighten_stage` once, then
    :func:`~relucid.verify.stages.milp_stage`) or, with many unstable
    neurons, branch and bound over ReLU phases
    (:func:`~relucid.verify.stages.phase_search_stage`).
    """

    def __init__(self, net, lo, hi, phases, conjs) -> None:
        from ..verify.query import Query

        self.net, self.conjs = net, list(conjs)
        self.q = Query(net, lo, hi, np.zeros((0, net.input_dim)), np.zeros(0), phases, tuple(conjs), np.inf)
        self.layers = None
        self.elapsed = 0.0

    def bounds(self) -> list:
        """Per row: ``("proved", None, "bounds", note)`` when the bounds close it, else None."""
        from ..verify.stages import bound_stage

        t = time.monotonic()
        first = bound_stage(self.q)
        self.elapsed += time.monotonic() - t
        n = len(self.conjs)
        if first.infeasible:
            return [("proved", None, "bounds", "no input of the box follows the pattern (the property holds vacuously)")] * n
        self.layers = first.layers
        return [None if first.open[k] else ("proved", None, "bounds", None) for k in range(n)]

    def milps(self, rows, budget) -> list:
        """``[(status, x, method, note)]`` for the given row indices (after :meth:`bounds`).

        The complete search of :func:`~relucid.verify.stages.complete_search`'s
        choice: the MILP (bounds tightened once for all rows) when few free
        neurons are unstable, else branch and bound over ReLU phases, which
        starts from the NAP's phases as fixed.
        """
        from ..verify.stages import complete_search, milp_stage, phase_search_stage, tighten_stage

        q = self.q
        t0 = time.monotonic()
        deadline = np.inf if budget is None else t0 + float(budget)
        q.deadline = deadline
        use_milp = complete_search(q, self.layers) == "milp"
        layers = tighten_stage(q, self.layers) if use_milp else self.layers
        out = []
        for i, k in enumerate(rows):
            now = time.monotonic()
            if now >= deadline:
                out.append(("unknown", None, "milp" if use_milp else "relu-bab", "timeout"))
                continue
            q.deadline = now + (deadline - now) / (len(rows) - i) if np.isfinite(deadline) else np.inf
            active = np.zeros(len(self.conjs), dtype=bool)
            active[k] = True
            if use_milp:
                status, x, note = milp_stage(q, layers, active)
                name = "milp"
            else:
                status, x, note, name = phase_search_stage(q, layers, active)
            out.append((status, x, name, note))
        self.elapsed += time.monotonic() - t0
        return out


def polish(net, lo, hi, phases, conj, points, deadline):
    """An LP in the linear region of each of the search's best following points (kept phases fixed).

    :func:`relucid.verify.confirm.confirm` maximises a common slack of the
    region's strict constraints and the violation row: a point it returns is
    a checked counterexample (a violation in the same region as the point).
    """
    from ..verify.confirm import confirm
    from ..verify.query import Query

    if points is None or not len(points):
        return None
    limit = Deadline.coerce(deadline)  # at least POLISH_MIN_SECONDS, even when the search used up its share
    at = max(limit.at, time.monotonic() + POLISH_MIN_SECONDS) if limit.limited else np.inf
    q = Query(net, lo, hi, np.zeros((0, net.input_dim)), np.zeros(0), phases, (conj,), at)
    for p in points[:POLISH_POINTS]:
        if q.expired():
            break
        x = confirm(q, p)
        if x is not None:
            return x
    return None


def row(net, c, j) -> np.ndarray:
    """``w`` with ``w·y = y_c - y_j`` (a violation where ``<= 0``)."""
    w = np.zeros(net.output_dim)
    w[c], w[j] = 1.0, -1.0
    return w


def violation(net, c, j) -> Conjunction:
    """``y_c - y_j <= 0``: class ``j`` reaches class ``c`` (a tie counts, as in ClassWins)."""
    return Conjunction(row(net, c, j), [0.0])


def everything(net, lo, hi) -> Conjunction:
    """A violation set every output of the box lies in: ``y_0 <= u + 1`` with ``u`` an interval bound."""
    from ..bounds import bounds

    up = float(bounds(net, Box(lo, hi), method="interval")[-1][1][0])
    if net.layers[-1].activation == "relu":
        up = max(up, 0.0)
    row = np.zeros(net.output_dim)
    row[0] = 1.0
    return Conjunction(row, [abs(up) + 1.0 + abs(up) * 1e-6])


def confirmed(net, phases, lo, hi, w, x) -> bool:
    """Whether ``x`` is in the box, follows the phases and (with ``w``) has ``w·y <= 0``: the engine's one
    counterexample check (:meth:`relucid.verify.query.Query.check_points`)."""
    from ..verify.query import Query
    from ..verify.stages import is_counterexample

    rows = np.zeros((1, net.output_dim)) if w is None else np.asarray(w, dtype=np.float64)[None]
    q = Query(net, np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64), np.zeros((0, net.input_dim)),
              np.zeros(0), phases, (Conjunction(rows, [0.0]),))
    return is_counterexample(q, x)

