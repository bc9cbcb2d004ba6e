"""LP bound tightening: sharper pre-activation bounds for the MILP's big-M constants.

For every hidden layer ``k >= 1`` in turn, the network below it is encoded
with each unstable neuron's binary relaxed to ``[0, 1]`` (the LP relaxation
of the big-M form, which is the "triangle" relaxation), and every neuron of
layer ``k`` that DeepPoly leaves unstable gets two LPs: the minimum and the
maximum of its pre-activation. The LP model is built once per layer and
warm-started across objectives. A neuron whose new bounds do not straddle 0
becomes stable and loses its binary; the others get smaller big-M constants.

The LP optimum is a bound only up to HiGHS' tolerances, so each new bound is
loosened by :data:`BOUND_SLACK` (relative to its size) before it is used.
"""

from __future__ import annotations

import time

import numpy as np

from ..geometry.lp import LPModel, LPStatus
from .milp import Encoding
from .query import Query

#: Safety margin added to every LP bound: ``1e-7 * (1 + |bound|)``.
BOUND_SLACK = 1e-7


def tighten_bounds(q: Query, layer_bounds: list, budget: float) -> list:
    """Tighter copies of ``layer_bounds`` (stops early, keeping what it has, after ``budget`` seconds)."""
    stop = min(q.deadline, time.monotonic() + budget)
    bounds = [(L.copy(), U.copy()) for L, U in layer_bounds]
    net = q.net
    for k in range(1, len(net.layers) - 1):
        if not net.layers[k].has_phases:
            continue
        L, U = bounds[k]
        free = q.phases.get(k)
        todo = np.flatnonzero((L < 0) & (U > 0) & (True if free is None else free < 0))
        if not todo.size:
            continue
        enc = Encoding(q, bounds, upto=k, relaxed=True)
        model = LPModel.from_sparse(enc.matrix(), enc.row_lo, enc.row_hi, enc.lb, enc.ub,
                                    time_limit=max(stop - time.monotonic(), 1e-3))
        W, b = net.layers[k].weight, net.layers[k].bias
        for j in todo:
            if time.monotonic() >= stop:
                return bounds
            c = enc.expression(W[j])
            for maximize in (False, True):
                r = model.optimize(c, maximize=maximize)
                q.count("tighten_lps")
                if r.status is not LPStatus.OPTIMAL:
                    continue
                v = r.value + b[j]
                slack = BOUND_SLACK * (1 + abs(v))
                if maximize:
                    U[j] = min(U[j], v + slack)
                else:
                    L[j] = max(L[j], v - slack)
                if L[j] >= 0 or U[j] <= 0:
                    break
    return bounds
