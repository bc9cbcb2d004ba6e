"""The complete back end for many inputs: branch and bound over ReLU phases with α/β-CROWN bounds.

A subproblem is the query's input set plus a partial activation pattern (the
phases fixed so far, the query's own pattern included from the start). Per
open disjunct of the property:

1. **Root**: intermediate bounds by CROWN, tightened by α steps
   (:func:`relucid.bounds.optimized.root_bounds`), computed once; a
   subproblem's bounds are the root's clipped to its phases.
2. **Batches**: the :data:`BATCH` subproblems with the lowest bounds are
   split on one neuron each; both children are bounded in one batched pass
   with α, β (and μ for polyhedral input sets) optimised
   (:func:`~relucid.bounds.optimized.optimised_bound`). A child is closed
   when its phases contradict its bounds, or when one row of the disjunct is
   bounded away from it (``> 0``; ``>= 0`` for a strict row).
3. **Counterexamples**: the input minimising each open child's linear bound
   is checked by the exact float64 forward pass
   (:meth:`~.query.Query.check_points`) — every counterexample reported is
   confirmed there.
4. **Branching**: BaBSR-style scores (the relaxation gap ``u (-l) / (u - l)``
   of each free unstable neuron times its relu part's coefficient in the
   objective's substitution) pick up to :data:`FSB_CANDIDATES` neurons; the
   one whose two children have the highest lesser bound (filtered smart
   branching, evaluated with the parent's slopes in one pass) is split.
5. **Leaves**: a subproblem with at most :data:`LEAF_UNSTABLE` free unstable
   neurons left, or at :data:`MAX_DEPTH` splits, is decided by the MILP
   (:mod:`.milp`) with its phases as the pattern, which is exact; so the
   search is complete.

The search is best-first by bound (lowest first); the deadline is checked
between batches; on expiry the answer is "unknown" with the number of open
subproblems and the lowest bound in the note.
"""

from __future__ import annotations

import numpy as np

from ..bounds._xp import like, to_numpy
from ..bounds.optimized import Layers, Relaxation, optimised_bound, root_bounds
from ..phases import FREE, OFF, ON
from .milp import milp_search
from .query import Query

__all__ = ["relu_bab_search"]

#: Subproblems split per batch (each gives two children bounded together).
BATCH = 64
#: α/β steps per batch of children, and for the root's intermediate bounds.
ITERS = 20
ROOT_ITERS = 20
#: The root's α steps stop after this share of the time left (at most ROOT_MAX_SECONDS).
ROOT_SHARE = 0.25
ROOT_MAX_SECONDS = 60.0
#: Branching candidates (by BaBSR score) whose children are evaluated before one is chosen (1: BaBSR alone).
FSB_CANDIDATES = 3
#: A subproblem with at most this many free unstable neurons goes to the MILP.
LEAF_UNSTABLE = 6
#: Splits after which a subproblem goes to the MILP.
MAX_DEPTH = 40
#: Entries (children x rows x widest layer) per bound pass; the batch shrinks to fit.
MAX_ENTRIES = 1 << 23


def relu_bab_search(q: Query, active, device: str | None = None) -> tuple[str, np.ndarray | None, str | None]:
    """Decide the active disjuncts by branch and bound over ReLU phases: (status, counterexample, note)."""
    ctx = _Context(q, device)
    if ctx.root_infeasible:
        return "proved", None, None
    notes = []
    for k in np.flatnonzero(active):
        status, x, note = _search_disjunct(ctx, int(k))
        if status == "falsified":
            return status, x, None
        if status == "unknown":
            return status, None, note
        if note:
            notes.append(note)
    return "proved", None, "; ".join(notes) or None


class _Context:
    """What every disjunct's search shares: the layers, the root bounds and the query's phases."""

    def __init__(self, q: Query, device: str | None) -> None:
        self.q = q
        ref = np.zeros(1)
        if device is not None:
            import torch

            ref = torch.zeros(1, dtype=torch.float64, device=device)
        self.ref = ref
        self.layers = Layers.of(q.net, ref)
        depth = self.layers.depth
        self.n = [self.layers.weights[k][0].shape[0] for k in range(depth)]
        self.has_phases = [q.net.layers[k].has_phases if k < len(q.net.layers) else False for k in range(depth)]
        self.phase0 = [self._query_phases(k) for k in range(depth - 1)]
        self.lo = like(self._xp, q.lo[None], ref)
        self.hi = like(self._xp, q.hi[None], ref)
        self.A = q.A if q.A.shape[0] else None
        self.b = q.b if q.A.shape[0] else None
        from ..deadline import Deadline

        share = Deadline(q.deadline).share(ROOT_SHARE, cap=ROOT_MAX_SECONDS)
        self.root = root_bounds(self.layers, self.lo, self.hi, [p[None] for p in self.phase0], A=self.A, b=self.b,
                                iters=ROOT_ITERS, deadline=share)
        relax = Relaxation.of(self.root, [p[None] for p in self.phase0])
        self.root_infeasible = bool(to_numpy(relax.infeasible())[0])

    @property
    def _xp(self):
        from ..bounds._xp import namespace

        return namespace(self.ref)

    def _query_phases(self, k: int) -> np.ndarray:
        ph = self.q.phases.get(k)
        if ph is None:
            return np.full(self.n[k], FREE, dtype=np.int8)
        return np.asarray(ph, dtype=np.int8).copy()

    def rows(self, k: int):
        """The disjunct's rows ``C y <= d`` and which are strict."""
        conj = self.q.disjuncts[k]
        return np.asarray(conj.C, dtype=np.float64), np.asarray(conj.d, dtype=np.float64), np.asarray(conj.strict)


def _search_disjunct(ctx: _Context, k: int):
    q = ctx.q
    C, d, strict = ctx.rows(k)
    # Open subproblems: phases per layer (N, n) int8, their bounds (N,) and branching choices.
    phases = [p[None].copy() for p in ctx.phase0]
    res = _bound(ctx, phases, C, d, strict)
    if res.closed[0]:
        q.count("bab_root_closed")
        return "proved", None, None
    x = _try_points(ctx, res.points)
    if x is not None:
        return "falsified", x, None
    pool = _Pool(phases, res.value, res.choice, np.zeros(1, dtype=int))
    leaf_notes = []
    while len(pool):
        if q.expired():
            lowest = float(pool.value.min())
            return "unknown", None, (f"timeout: {len(pool)} subproblems open in the phase search of disjunct {k} "
                                     f"(lowest bound {lowest:.3g}, {q.stats.get('bab_subproblems', 0)} bounded)")
        take = pool.pop(_batch_size(ctx, C.shape[0]))
        leaves = (take.choice[:, 0] < 0) | (take.depth >= MAX_DEPTH)
        for i in np.flatnonzero(leaves):
            status, x, note = _leaf(ctx, k, [p[i] for p in take.phases])
            if status == "falsified":
                return status, x, None
            if status == "unknown":
                return status, None, note
            if note:
                leaf_notes.append(note)
        keep = ~leaves
        if not keep.any():
            continue
        parents = take.subset(keep)
        children = parents.children()
        res = _bound(ctx, children.phases, C, d, strict)
        q.count("bab_subproblems", len(children))
        q.count("bab_batches")
        x = _try_points(ctx, res.points)
        if x is not None:
            return "falsified", x, None
        open_ = ~res.closed
        pool.push(_Pool([p[open_] for p in children.phases], res.value[open_], res.choice[open_],
                        children.depth[open_]))
    return "proved", None, "; ".join(sorted(set(leaf_notes))) or None


class _Pool:
    """Subproblems as stacked arrays: phases per layer (N, n), bound value (N,), branching choice (N, 2), depth (N,)."""

    def __init__(self, phases, value, choice, depth) -> None:
        self.phases = phases
        self.value = np.asarray(value, dtype=np.float64)
        self.choice = np.asarray(choice, dtype=int).reshape(-1, 2)
        self.depth = np.asarray(depth, dtype=int)

    def __len__(self) -> int:
        return int(self.value.shape[0])

    def subset(self, idx) -> "_Pool":
        return _Pool([p[idx] for p in self.phases], self.value[idx], self.choice[idx], self.depth[idx])

    def pop(self, n: int) -> "_Pool":
        """The ``n`` subproblems with the lowest bounds, removed from the pool."""
        if n >= len(self):
            out = self.subset(np.arange(len(self)))
            self.__init__([p[:0] for p in self.phases], self.value[:0], self.choice[:0], self.depth[:0])
            return out
        idx = np.argpartition(self.value, n)[:n]
        rest = np.ones(len(self), dtype=bool)
        rest[idx] = False
        out = self.subset(idx)
        self.__init__(*self._parts(rest))
        return out

    def _parts(self, idx):
        return [p[idx] for p in self.phases], self.value[idx], self.choice[idx], self.depth[idx]

    def push(self, other: "_Pool") -> None:
        self.phases = [np.concatenate([a, b]) for a, b in zip(self.phases, other.phases)]
        self.value = np.concatenate([self.value, other.value])
        self.choice = np.concatenate([self.choice, other.choice])
        self.depth = np.concatenate([self.depth, other.depth])

    def children(self) -> "_Pool":
        """Both children of every subproblem: its chosen neuron fixed on, then off."""
        n = len(self)
        phases = [np.concatenate([p, p]) for p in self.phases]
        rows = np.arange(2 * n)
        layer = np.concatenate([self.choice[:, 0], self.choice[:, 0]])
        neuron = np.concatenate([self.choice[:, 1], self.choice[:, 1]])
        value = np.concatenate([np.full(n, ON), np.full(n, OFF)]).astype(np.int8)
        for k in np.unique(layer):
            sel = layer == k
            phases[k][rows[sel], neuron[sel]] = value[sel]
        depth = np.concatenate([self.depth, self.depth]) + 1
        return _Pool(phases, np.concatenate([self.value, self.value]), np.zeros((2 * n, 2), dtype=int), depth)


class _Bounded:
    """Per subproblem: closed, bound value (the best row's), candidate points, the next branching choice."""

    def __init__(self, closed, value, points, choice) -> None:
        self.closed = closed
        self.value = value
        self.points = points
        self.choice = choice


def _bound(ctx: _Context, phases: list, C, d, strict) -> _Bounded:
    """Bound the disjunct's rows on every subproblem; choose each open one's next split."""
    xp = ctx._xp
    N = phases[0].shape[0]
    top = ctx.layers.depth - 1
    bounds = [(xp.broadcast_to(L, (N,) + tuple(L.shape[1:])), xp.broadcast_to(U, (N,) + tuple(U.shape[1:])))
              for L, U in ctx.root[:top]]
    relax = Relaxation.of(bounds, phases)
    infeasible = to_numpy(relax.infeasible())
    Lam = xp.broadcast_to(like(xp, C, ctx.ref)[None], (N,) + C.shape) * 1.0
    const = xp.broadcast_to(like(xp, -d, ctx.ref)[None], (N, C.shape[0])) * 1.0
    lo = xp.broadcast_to(ctx.lo, (N, ctx.lo.shape[1]))
    hi = xp.broadcast_to(ctx.hi, (N, ctx.hi.shape[1]))
    res = optimised_bound(ctx.layers, top, relax, Lam, const, lo, hi, A=ctx.A, b=ctx.b, iters=ITERS)
    lower = to_numpy(res.lower)
    safe = np.where(strict[None], lower >= 0, lower > 0)
    closed = infeasible | safe.any(axis=1)
    value = lower.max(axis=1)
    coef = to_numpy(res.coef)
    points = np.where(coef > 0, to_numpy(lo)[:, None, :], to_numpy(hi)[:, None, :])
    points = points.reshape(-1, points.shape[-1])
    points = np.where(np.repeat(closed, C.shape[0])[:, None], np.nan, points)  # closed subproblems' are dropped
    choice = _choose(ctx, relax, res, lower, closed, C, d, lo, hi, Lam, const)
    return _Bounded(closed, value, points, choice)


def _choose(ctx: _Context, relax: Relaxation, res, lower, closed, C, d, lo, hi, Lam, const) -> np.ndarray:
    """(N, 2) (layer, neuron) to split next per subproblem; (-1, -1) where no free unstable neuron is left."""
    xp = ctx._xp
    N = lower.shape[0]
    best_row = lower.argmax(axis=1)
    cands = []  # per layer: (N, n) scores
    for i, Lr in enumerate(res.relu_coef):
        if Lr is None or not ctx.has_phases[i]:
            cands.append(None)
            continue
        L, U = to_numpy(relax.L[i]), to_numpy(relax.U[i])
        free_unstable = to_numpy(relax.opt[i]) & (to_numpy(relax.sign[i]) == 0)
        gap = np.where(free_unstable, U * (-L) / np.where(free_unstable, U - L, 1.0), 0.0)
        coef = np.abs(to_numpy(Lr)[np.arange(N), best_row])
        score = np.where(free_unstable, gap * (coef + 1e-9), -np.inf)
        cands.append(score)
    flat = [(i, s) for i, s in enumerate(cands) if s is not None]
    choice = np.full((N, 2), -1, dtype=int)
    if not flat:
        return choice
    widths = [s.shape[1] for _, s in flat]
    allscores = np.concatenate([s for _, s in flat], axis=1)
    layer_of = np.concatenate([np.full(w, i) for (i, _), w in zip(flat, widths)])
    neuron_of = np.concatenate([np.arange(w) for w in widths])
    has = np.isfinite(allscores).any(axis=1) & ~closed
    if not has.any():
        return choice
    kc = min(FSB_CANDIDATES, allscores.shape[1])
    top = np.argsort(-allscores, axis=1)[:, :kc]  # (N, kc)
    if kc == 1:
        pick = top[:, 0]
    else:
        pick = _smart_pick(ctx, relax, res, allscores, top, layer_of, neuron_of, C, lo, hi, Lam, const)
    choice[has, 0] = layer_of[pick[has]]
    choice[has, 1] = neuron_of[pick[has]]
    return choice


def _smart_pick(ctx, relax, res, allscores, top, layer_of, neuron_of, C, lo, hi, Lam, const) -> np.ndarray:
    """Filtered smart branching: of the candidates, the one whose children's lesser bound is highest."""
    xp = ctx._xp
    N, kc = top.shape
    m = C.shape[0]
    best = np.full(N, -np.inf)
    pick = top[:, 0].copy()
    for c in range(kc):
        cand = top[:, c]
        ok = np.isfinite(allscores[np.arange(N), cand])
        worst = np.full(N, np.inf)
        for phase in (ON, OFF):
            Ls, Us = [], []
            for i in range(len(relax.L)):
                L, U = relax.L[i], relax.U[i]
                sel = np.flatnonzero(ok & (layer_of[cand] == i))
                if sel.size:
                    L = L * 1.0
                    U = U * 1.0
                    idx = like(xp, sel, L)
                    nid = like(xp, neuron_of[cand[sel]], L)
                    if phase == ON:
                        L[idx, nid] = L[idx, nid].clip(min=0)
                    else:
                        U[idx, nid] = U[idx, nid].clip(max=0)
                Ls.append(L)
                Us.append(U)
            sub = Relaxation.of(list(zip(Ls, Us)), [None] * len(Ls))
            sub.sign = relax.sign
            alpha = [xp.where(sub.opt[i][:, None, :], a, sub.low[i][:, None, :]) for i, a in enumerate(res.alpha)]
            r = optimised_bound(ctx.layers, ctx.layers.depth - 1, sub, Lam, const, lo, hi, A=ctx.A, b=ctx.b,
                                iters=0, alpha=alpha, beta=False)
            worst = np.minimum(worst, to_numpy(r.lower).max(axis=1))
        better = ok & (worst > best)
        best = np.where(better, worst, best)
        pick = np.where(better, cand, pick)
    return pick


def _try_points(ctx: _Context, points) -> np.ndarray | None:
    """The first confirmed counterexample among candidate inputs (NaN rows skipped), or None."""
    points = np.asarray(points)
    if not points.size:
        return None
    points = points[np.isfinite(points).all(axis=1)]
    if not points.size:
        return None
    hit = np.flatnonzero(ctx.q.check_points(points) >= 0)
    return points[hit[0]].copy() if hit.size else None


def _leaf(ctx: _Context, k: int, phases: list):
    """Decide disjunct ``k`` on one subproblem by the MILP with its phases as the pattern."""
    from dataclasses import replace

    q = ctx.q
    merged = {i: phases[i].astype(np.int8) for i in range(len(phases)) if ctx.has_phases[i] and (phases[i] != FREE).any()}
    sub = replace(q, phases=merged, stats={}, _rows=None)
    layers = []
    for i, (L, U) in enumerate(ctx.root):
        L, U = to_numpy(L)[0].copy(), to_numpy(U)[0].copy()
        if i in merged:
            L = np.where(merged[i] == ON, np.maximum(L, 0), L)
            U = np.where(merged[i] == OFF, np.minimum(U, 0), U)
            if (L > U).any():
                return "proved", None, None
        layers.append((L, U))
    layers = layers[: len(q.net.layers)]
    active = np.zeros(len(q.disjuncts), dtype=bool)
    active[k] = True
    q.count("bab_leaves")
    status, x, note = milp_search(sub, layers, active)
    if status == "falsified":
        x = _try_points(ctx, x[None])
        if x is None:
            return "unknown", None, "a leaf MILP's counterexample failed the exact check of the whole query"
    return status, x, note


def _batch_size(ctx: _Context, m: int) -> int:
    widest = max(ctx.n + [ctx.q.net.input_dim])
    fit = MAX_ENTRIES // max(1, 2 * m * widest * (1 + FSB_CANDIDATES))
    return int(max(1, min(BATCH, fit)))
