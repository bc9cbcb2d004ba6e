"""The complete back end for many inputs: one MILP per disjunct, solved by HiGHS.

Encoding (Tjeng et al.'s big-M form with bounds from DeepPoly): a continuous
variable per input and per pre-activation ``z`` (bounded by ``[l, u]``),
equality rows ``z_k = W_k a_{k-1} + b_k``. Stable neurons need nothing more:
an on neuron's output *is* ``z``, a relu-off neuron's output is 0 and a
leaky-off neuron's is ``s z`` (folded into the next layer's coefficients).
Fixed phases from the pattern have already made their neurons stable by
clipping the bounds (on: ``l >= 0``; off: ``u <= 0``). An unstable neuron
(``l < 0 < u``) gets ``p = relu(z)`` and a binary ``δ``::

    p >= 0,  p >= z,  p <= z - l (1 - δ),  p <= u δ

which forces ``p = z, z >= 0`` when ``δ = 1`` and ``p = 0, z <= 0`` when
``δ = 0``; a leaky neuron of any slope ``s`` (negative, or above 1, too)
outputs ``a = s z + (1 - s) p``. A disjunct ``C y <= d`` adds rows
``C y + t <= d`` with a margin variable ``t`` in ``[0, 1]``, maximised; HiGHS
stops at the first feasible point. Infeasible means the disjunct (its closure)
is unreachable.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..geometry.lp import LPStatus, solve_milp
from .confirm import confirm
from .properties import Conjunction
from .query import Query

_INF = np.inf

#: A disjunct of strict rows whose best margin is at most this is unreachable
#: (HiGHS' MIP feasibility tolerance: its "infeasible" means the same thing).
ZERO_MARGIN = 1e-6

#: HiGHS MIP presolve (module switch for measurements; see solve_milp on time limits).
PRESOLVE = True


class Encoding:
    """The network part of the MILP, built once per query and reused for every disjunct."""

    def __init__(self, q: Query, layer_bounds: list, upto: int | None = None, relaxed: bool = False) -> None:
        """Encode layers ``0 .. upto-1`` (all by default); ``relaxed``: binaries continuous (the LP relaxation)."""
        net = q.net
        upto = len(net.layers) if upto is None else upto
        self.n_in = net.input_dim
        self.lb = list(q.lo)
        self.ub = list(q.hi)
        self.integer = [False] * self.n_in
        rows, cols, vals, rlo, rhi = [], [], [], [], []
        self._r = 0

        def add_row(idx, coef, lo, hi):
            rows.extend([self._r] * len(idx))
            cols.extend(idx)
            vals.extend(coef)
            rlo.append(lo)
            rhi.append(hi)
            self._r += 1

        def new_var(lo, hi, integer=False):
            self.lb.append(lo)
            self.ub.append(hi)
            self.integer.append(integer)
            return len(self.lb) - 1

        # The previous layer's outputs as linear expressions: (var index, coefficient); -1: constant 0.
        prev_idx = np.arange(self.n_in)
        prev_coef = np.ones(self.n_in)
        n_unstable = 0
        for k, layer in enumerate(net.layers[:upto]):
            L, U = layer_bounds[k]
            W, b = layer.weight, layer.bias
            live = prev_idx >= 0
            Wl = W[:, live] * prev_coef[live]
            src = prev_idx[live]
            z_idx = np.array([new_var(L[j], U[j]) for j in range(W.shape[0])], dtype=int)
            for j in range(W.shape[0]):
                nz = np.flatnonzero(Wl[j])
                add_row(list(src[nz]) + [z_idx[j]], list(-Wl[j, nz]) + [1.0], b[j], b[j])
            if layer.activation == "identity":
                prev_idx, prev_coef = z_idx, np.ones(len(z_idx))
                continue
            s = layer.off_slope
            out_idx = z_idx.copy()
            out_coef = np.ones(len(z_idx))
            for j in range(W.shape[0]):
                l, u = L[j], U[j]
                if l >= 0:
                    continue
                if u <= 0:
                    if s == 0.0:
                        out_idx[j] = -1
                    out_coef[j] = s
                    continue
                n_unstable += 1
                z = z_idx[j]
                p = new_var(0.0, u)                                           # p = relu(z)
                d = new_var(0.0, 1.0, integer=not relaxed)
                add_row([z, p], [1.0, -1.0], -_INF, 0.0)                     # p >= z
                add_row([p, z, d], [1.0, -1.0, -l], -_INF, -l)               # p <= z - l (1 - δ)
                add_row([p, d], [1.0, -u], -_INF, 0.0)                       # p <= u δ
                if s == 0.0:
                    out_idx[j], out_coef[j] = p, 1.0
                else:  # leaky(z) = s z + (1 - s) relu(z), for any slope s
                    a = new_var(min(s * l, 0.0, u), max(s * l, u))
                    add_row([a, z, p], [1.0, -s, -(1 - s)], 0.0, 0.0)
                    out_idx[j], out_coef[j] = a, 1.0
            prev_idx, prev_coef = out_idx, out_coef
        for i in range(q.A.shape[0]):
            nz = np.flatnonzero(q.A[i])
            add_row(list(nz), list(q.A[i, nz]), -_INF, q.b[i])
        self.strict_in = (q.A[q.strict_rows], q.b[q.strict_rows])
        self.out_idx, self.out_coef = prev_idx, prev_coef
        self.rows, self.cols, self.vals = rows, cols, vals
        self.row_lo, self.row_hi = rlo, rhi
        self.n_unstable = n_unstable
        self._matrix = None

    def matrix(self):
        """The constraint matrix (CSR) of the encoding (built once; the encoding does not change)."""
        if self._matrix is None:
            self._matrix = sp.csr_matrix((self.vals, (self.rows, self.cols)), shape=(len(self.row_lo), len(self.lb)))
        return self._matrix

    def expression(self, w) -> np.ndarray:
        """Objective vector of ``w · (outputs of the last encoded layer)``."""
        c = np.zeros(len(self.lb))
        live = self.out_idx >= 0
        np.add.at(c, self.out_idx[live], w[live] * self.out_coef[live])
        return c

    def with_margin(self, conj: Conjunction, t_lower: float):
        """The encoding plus ``C y + t <= d`` with a margin column ``t`` in ``[t_lower, 1]``.

        Returns ``(c, A, row_lo, row_hi, lb, ub)`` with ``c`` selecting ``t`` (to maximise).
        """
        M = self.matrix()
        rows = np.array([np.append(self.expression(c), 1.0) for c in conj.C])
        # Strict input rows a x < b get the margin too (a x + t <= b): the search prefers inner points.
        A_in, b_in = self.strict_in
        if A_in.shape[0]:
            rows_in = np.zeros((A_in.shape[0], M.shape[1] + 1))
            rows_in[:, :self.n_in] = A_in
            rows_in[:, -1] = 1.0
            rows = np.vstack([rows, rows_in])
        A = sp.vstack([sp.hstack([M, sp.csr_matrix((M.shape[0], 1))]), sp.csr_matrix(rows)], format="csr")
        row_lo = np.append(self.row_lo, np.full(rows.shape[0], -_INF))
        row_hi = np.concatenate([self.row_hi, conj.d, b_in])
        c = np.zeros(A.shape[1])
        c[-1] = 1.0
        return c, A, row_lo, row_hi, np.append(self.lb, t_lower), np.append(self.ub, 1.0)

    def relaxation_point(self, conj: Conjunction, time_limit: float | None = None):
        """The LP relaxation's input maximising the margin of ``conj`` (None if infeasible)."""
        from ..geometry.lp import LPModel

        c, A, row_lo, row_hi, lb, ub = self.with_margin(conj, -_INF)
        r = LPModel.from_sparse(A, row_lo, row_hi, lb, ub, time_limit=time_limit).optimize(c, maximize=True)
        return (r.x[: self.n_in], r.value) if r.ok else (None, None)

    def solve(self, conj: Conjunction, time_limit: float, stop_at_first: bool = True, presolve: bool = True):
        """Search for an input whose output satisfies ``conj`` (its closure): margin ``t >= 0``, maximised.

        The margin objective stays even with ``stop_at_first``. Tried and
        reverted: a pure feasibility first pass (no objective) found a
        whole-domain NAP counterexample on mnist-net_256x2 (δ = 0.99, label 0
        vs 2) in 7-17 s that the maximised margin misses in 60 s, but it made
        NAP-augmented MILP proofs at ε = 0.1 slower (7.4 → 13.8 s, 7.0 s →
        over 40 s, 6.2 → 9.5 s on three queries) and cost 10 of 79 proofs in
        ``benchmarks/naps_mnist.py``; proofs matter more here.
        """
        c, A, row_lo, row_hi, lb, ub = self.with_margin(conj, 0.0)
        integer = self.integer + [False]
        return solve_milp(c, A, row_lo, row_hi, lb, ub, integer, maximize=True,
                          time_limit=time_limit, stop_at_first=stop_at_first, presolve=presolve)


def milp_search(q: Query, layer_bounds: list, active) -> tuple[str, np.ndarray | None, str | None]:
    """Decide the active disjuncts by MILP: ("proved" | "falsified" | "unknown", x, note)."""
    enc = Encoding(q, layer_bounds)
    q.stats["unstable"] = max(q.stats.get("unstable", 0), enc.n_unstable)
    note = None
    for k in np.flatnonzero(active):
        conj = q.disjuncts[k]
        for stop_at_first in (True, False):
            if q.expired():
                return "unknown", None, "timeout"
            res = enc.solve(conj, q.remaining(), stop_at_first=stop_at_first, presolve=PRESOLVE)
            q.count("milps")
            q.count("milp_nodes", res.nodes)
            if res.status is LPStatus.INFEASIBLE:
                break
            if res.x is not None:
                x = confirm(q, res.x[: enc.n_in])
                if x is not None:
                    return "falsified", x, None
                if not stop_at_first:
                    if conj.strict.all() and res.status is LPStatus.OPTIMAL and res.dual_bound <= ZERO_MARGIN:
                        # The closure is reached, the open set may not be: the output touches the
                        # boundary of the safe set (y >= 0 after a relu) -- or HiGHS' tolerance hides a
                        # small violation. Not a proof: tests/verify/test_soundness_bab.py found
                        # wrong "proved" answers through this branch (a violation of 0.15 missed,
                        # timing-dependent), so it answers "unknown".
                        q.count("zero_margin")
                        return "unknown", None, ("the output reaches the boundary of the property with zero margin "
                                                 f"(within HiGHS' tolerance, margin <= {ZERO_MARGIN:g}): not proved")
                    note = (f"disjunct {k}: the MILP's best point (margin {res.value + 0.0:.3g}) does not survive the "
                            "exact float64 check; the property may hold with zero margin")
                    return "unknown", None, note
                continue  # look for the best-margin point instead
            if res.status is LPStatus.TIME_LIMIT:
                return "unknown", None, "timeout"
            return "unknown", None, f"HiGHS stopped without a verdict on disjunct {k} ({res.status.value})"
    return "proved", None, note
