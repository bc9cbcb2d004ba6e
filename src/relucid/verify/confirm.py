"""Turning a solver's candidate into a confirmed counterexample, or refusing it.

Solvers work with tolerances (HiGHS' MIP feasibility tolerance is 1e-6) and
with closures (a neuron fixed on is ``z >= 0`` to them, a strict violation
``c y > d`` is ``c y >= d``). A candidate is therefore accepted only after
:meth:`Query.check_points` passes it with exact float64 comparisons. When it
fails, one repair is tried: inside the linear region of the candidate's own
activation pattern (fixed phases kept), an LP maximises a common slack ``s``
on the strict constraints (on-neurons, strict violation rows, strict input
rows) and, in a first
attempt, on all of them; a point with ``s > 0`` is re-checked the same way.
No tolerance is ever used to *accept* a point.
"""

from __future__ import annotations

import numpy as np

from ..phases import FREE, ON
from ..geometry.lp import solve_lp
from ..regions.region import region_rows
from .query import Query, disjunct_margins

#: Without ``only``, the repair is tried for at most this many disjuncts (the nearest first).
MAX_REPAIRS = 8


def confirm(q: Query, x, only: int | None = None) -> np.ndarray | None:
    """A confirmed counterexample near ``x``, or None.

    ``only``: try the repair for this disjunct only (default: every disjunct,
    nearest first).
    """
    x = np.clip(np.asarray(x, dtype=np.float64), q.lo, q.hi)
    if q.check_points(x)[0] >= 0:
        return x
    if only is None:
        order = np.argsort(disjunct_margins(q, q.net(x))[0], kind="stable")[:MAX_REPAIRS]
    else:
        order = [only]
    pre = q.net.preactivations(x[None])
    near_tie = any((np.abs(pre[layer][0]) <= TIE_TOL * (1 + np.abs(pre[layer][0]).max())).any()
                   for layer in q.net.pattern_layers)
    # (slack on every row, ties off): ties off tries the region where every
    # neuron within TIE_TOL of 0 is off (a tie at 0 is off), for a violation
    # reached only on the boundary of the candidate's region (a tie y_j = y_c).
    variants = [(True, False), (False, False)] + ([(False, True)] if near_tie else [])
    regions = {}  # the candidate's region (its rows do not depend on the disjunct), per ties_off
    for k in order:
        if q.expired():
            return None
        q.count("repair_lps")
        for slack_all, ties_off in variants:
            if ties_off not in regions:
                regions[ties_off] = _region(q, pre, ties_off)
            y = _repair(q, regions[ties_off], k, slack_all)
            if y is not None and q.check_points(y)[0] >= 0:
                return y
    return None


#: Pre-activations within this (relative to the layer's largest) of 0 count as ties in the repair.
TIE_TOL = 1e-6


def _region(q: Query, pre, ties_off: bool):
    """Rows, local affine map and on-rows of the linear region of the candidate (pre-activations ``pre``).

    Fixed phases are kept; ``ties_off``: neurons within :data:`TIE_TOL` of 0 count as off.
    """
    net = q.net
    phases = {}
    for layer in net.pattern_layers:
        z = pre[layer][0]
        on = z > TIE_TOL * (1 + np.abs(z).max()) if ties_off else z > 0
        ph = on.astype(np.int8)
        fixed = q.phases.get(layer)
        if fixed is not None:
            ph = np.where(fixed != FREE, fixed, ph).astype(np.int8)
        phases[layer] = ph
    A_reg, b_reg, (M, c) = region_rows(net, phases)
    on_rows = np.concatenate([phases[layer] == ON for layer in net.pattern_layers]) if phases else np.zeros(0, bool)
    return A_reg, b_reg, M, c, on_rows


def _repair(q: Query, region, k: int, slack_all: bool):
    """An LP in ``region`` (from :func:`_region`) maximising a common slack on disjunct ``k``'s rows and the strict rows."""
    A_reg, b_reg, M, c, on_rows = region
    net = q.net
    conj = q.disjuncts[k]
    A_out = conj.C @ M
    b_out = conj.d - conj.C @ c
    A = np.vstack([A_reg, A_out, q.A])
    b = np.concatenate([b_reg, b_out, q.b])
    strict = np.concatenate([on_rows, conj.strict, q.strict_rows])
    weight = strict | slack_all
    norms = np.linalg.norm(A, axis=1)
    n = net.input_dim
    A_s = np.hstack([A, (weight * np.maximum(norms, 1e-12))[:, None]])
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    r = solve_lp(cost, A_s, b, lb=np.append(q.lo, 0.0), ub=np.append(q.hi, 1.0), maximize=True,
                 time_limit=max(q.remaining(), 1e-3) if np.isfinite(q.remaining()) else None)
    if not r.ok or r.value <= 0:
        return None
    return np.clip(r.x[:n], q.lo, q.hi)
