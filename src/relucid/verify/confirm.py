"""Turning a solver's candidate into a confirmed counterexample, or refusing it.

Solvers work with tolerances (HiGHS' MIP feasibility tolerance is 1e-6) and
with closures (a neuron fixed on is ``z >= 0`` to them, a strict violation
``c y > d`` is ``c y >= d``). A candidate is therefore accepted only after
:meth:`Query.check_points` passes it with exact float64 comparisons. When it
fails, one repair is tried: inside the linear region of the candidate's own
activation pattern (fixed phases kept), an LP maximises a common slack ``s``
on the strict constraints (on-neurons, strict violation rows) and, in a first
attempt, on all of them; a point with ``s > 0`` is re-checked the same way.
No tolerance is ever used to *accept* a point.
"""

from __future__ import annotations

import numpy as np

from ..geometry.lp import solve_lp
from ..regions.region import _region_rows
from .query import Query


def confirm(q: Query, x, only: int | None = None) -> np.ndarray | None:
    """A confirmed counterexample near ``x``, or None.

    ``only``: try the repair for this disjunct only (default: every disjunct,
    nearest first).
    """
    x = np.clip(np.asarray(x, dtype=np.float64), q.lo, q.hi)
    if q.check_points(x)[0] >= 0:
        return x
    if only is None:
        y = q.net(x)
        order = np.argsort([conj.margins(y).max() for conj in q.disjuncts])
    else:
        order = [only]
    for k in order:
        if q.expired():
            return None
        q.count("repair_lps")
        for slack_all in (True, False):
            y = _repair(q, x, k, slack_all)
            if y is not None and q.check_points(y)[0] >= 0:
                return y
    return None


def _repair(q: Query, x, k: int, slack_all: bool):
    net = q.net
    pre = net.preactivations(x[None])
    phases = {}
    for layer in net.pattern_layers:
        ph = (pre[layer][0] > 0).astype(np.int8)
        fixed = q.phases.get(layer)
        if fixed is not None:
            ph = np.where(fixed >= 0, fixed, ph).astype(np.int8)
        phases[layer] = ph
    A_reg, b_reg, (M, c) = _region_rows(net, phases)
    on_rows = np.concatenate([phases[layer] == 1 for layer in net.pattern_layers]) if phases else np.zeros(0, bool)
    conj = q.disjuncts[k]
    A_out = conj.C @ M
    b_out = conj.d - conj.C @ c
    A = np.vstack([A_reg, A_out, q.A])
    b = np.concatenate([b_reg, b_out, q.b])
    strict = np.concatenate([on_rows, conj.strict, np.zeros(q.A.shape[0], bool)])
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
