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
5. **Leaves**: a subproblem with no free unstable neuron left is decided by
   the MILP (:mod:`.milp`, then an LP) with its phases as the pattern, which
   is exact; so the search is complete. One with at most
   :data:`LEAF_UNSTABLE` left gets the MILP for at most :data:`LEAF_SECONDS`
   and is split further if that does not decide it.

The search is best-first by bound (lowest first); the deadline is checked
between batches; on expiry the answer is "unknown" with the number of open
subproblems and the lowest bound in the note.
"""

from __future__ import annotations

import time

import numpy as np

from ..bounds._xp import like, to_numpy
from ..bounds.optimized import Layers, Relaxation, optimised_bound, refine_bounds, root_bounds
from ..phases import FREE, OFF, ON
from .attack import descend_in_boxes
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
#: Descent steps from the root's relaxation minimisers, and from those of the DESCENT_CHILDREN lowest
#: open children of every batch (DESCENT_STEPS each).
ROOT_DESCENT_STEPS = 50
DESCENT_CHILDREN = 4
DESCENT_STEPS = 10
#: Seconds a leaf MILP of a subproblem that could still be split may take.
LEAF_SECONDS = 2.0
#: Recompute every subproblem's intermediate bounds by CROWN through its own phases (else the root's, clipped).
REFINE = True
#: Entries (children x rows x widest layer) per bound pass; the batch shrinks to fit.
MAX_ENTRIES = 1 << 23


def relu_bab_search(q: Query, active, device: str | None = None, poll=None) -> tuple[str, np.ndarray | None, str | None]:
    """Decide the active disjuncts by branch and bound over ReLU phases: (status, counterexample, note).

    ``poll``: called between batches; a ``(status, x, note)`` it returns (a
    portfolio member that decided the query) ends the search with that answer.
    """
    ctx = _Context(q, device)
    ctx.poll = poll
    if ctx.root_infeasible:
        return "proved", None, None
    notes = []
    for k in np.flatnonzero(active):
        if poll is not None and (got := poll()) is not None:
            return got
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
    phases = [p[None].copy() for p in ctx.phase0]
    root = _Pool(phases, np.zeros(1), np.zeros((1, 3), dtype=int), np.zeros(1, dtype=int),
                 [_store(to_numpy(L), to_numpy(U)) for L, U in ctx.root[:ctx.layers.depth - 1]], np.zeros(1, dtype=int))
    res = _bound(ctx, root, C, d, strict)
    if res.closed[0]:
        q.count("bab_root_closed")
        return "proved", None, None
    x = _try_points(ctx, res.points)
    if x is None:
        x = _descend(ctx, k, res.points, ROOT_DESCENT_STEPS)
    if x is not None:
        return "falsified", x, None
    pool = root.updated(res)
    leaf_notes = []
    while len(pool):
        if ctx.poll is not None and (got := ctx.poll()) is not None:
            return got
        if q.expired():
            lowest = float(pool.value.min())
            return "unknown", None, (f"timeout: {len(pool)} subproblems open in the phase search of disjunct {k} "
                                     f"(lowest bound {lowest:.3g}, {q.stats.get('bab_subproblems', 0)} bounded)")
        take = pool.pop(_batch_size(ctx, C.shape[0] + 1))
        leaves = (take.choice[:, 0] < 0) | (take.choice[:, 2] <= LEAF_UNSTABLE)
        for i in np.flatnonzero(leaves):
            status, x, note = _leaf(ctx, k, take, i, capped=take.choice[i, 0] >= 0)
            if status == "falsified":
                return status, x, None
            if status == "unknown" and take.choice[i, 0] >= 0 and not q.expired():
                leaves[i] = False  # the capped MILP did not finish: split it instead
                q.count("bab_leaves_split")
                continue
            if status == "unknown":
                return status, None, note
            if note:
                leaf_notes.append(note)
        keep = ~leaves
        if not keep.any():
            continue
        children = take.subset(keep).children()
        res = _bound(ctx, children, C, d, strict)
        q.count("bab_subproblems", len(children))
        q.count("bab_batches")
        x = _try_points(ctx, res.points)
        if x is None:
            lowest = np.argsort(np.where(res.closed, np.inf, res.value))[:DESCENT_CHILDREN]
            rows = res.points.reshape(len(res.value), -1, res.points.shape[-1])[lowest[~res.closed[lowest]]]
            x = _descend(ctx, k, rows.reshape(-1, rows.shape[-1]), DESCENT_STEPS)
        if x is not None:
            return "falsified", x, None
        pool.push(children.updated(res).subset(~res.closed))
    return "proved", None, "; ".join(sorted(set(leaf_notes))) or None


def _store(L, U):
    """``(L, U)`` as float32 rounded outward (half the memory of a pool of bounds; still valid bounds)."""
    L32, U32 = L.astype(np.float32), U.astype(np.float32)
    L32 = np.where(L32 > L, np.nextafter(L32, np.float32(-np.inf)), L32)
    U32 = np.where(U32 < U, np.nextafter(U32, np.float32(np.inf)), U32)
    return L32, U32


class _Pool:
    """Subproblems as stacked arrays.

    ``phases``: per layer (N, n) int8; ``value``: the bound (N,); ``choice``
    (N, 3): layer and neuron to split next (-1 when none is left) and the
    number of free unstable neurons; ``depth`` (N,); ``bounds``: per layer
    below the objective, the subproblem's pre-activation bounds ``(L, U)``
    (N, n) float32 (:func:`_store`); ``split`` (N,): the layer of the last
    split (the layers below it keep their parent's bounds).
    """

    FIELDS = ("phases", "value", "choice", "depth", "bounds", "split")

    def __init__(self, phases, value, choice, depth, bounds, split) -> None:
        self.phases = phases
        self.value = np.asarray(value, dtype=np.float64)
        self.choice = np.asarray(choice, dtype=int).reshape(-1, 3)
        self.depth = np.asarray(depth, dtype=int)
        self.bounds = bounds
        self.split = np.asarray(split, dtype=int)

    def __len__(self) -> int:
        return int(self.value.shape[0])

    def subset(self, idx) -> "_Pool":
        return _Pool([p[idx] for p in self.phases], self.value[idx], self.choice[idx], self.depth[idx],
                     [(L[idx], U[idx]) for L, U in self.bounds], self.split[idx])

    def updated(self, res: "_Bounded") -> "_Pool":
        """This pool with the bound values, choices and refined bounds of :func:`_bound`."""
        return _Pool(self.phases, res.value, res.choice, self.depth, res.bounds, self.split)

    def pop(self, n: int) -> "_Pool":
        """The ``n`` subproblems with the lowest bounds, removed from the pool."""
        if n >= len(self):
            idx = np.arange(len(self))
        else:
            idx = np.argpartition(self.value, n)[:n]
        rest = np.ones(len(self), dtype=bool)
        rest[idx] = False
        out = self.subset(idx)
        left = self.subset(rest)
        self.__dict__.update(left.__dict__)
        return out

    def push(self, other: "_Pool") -> None:
        self.phases = [np.concatenate([a, b]) for a, b in zip(self.phases, other.phases)]
        self.value = np.concatenate([self.value, other.value])
        self.choice = np.concatenate([self.choice, other.choice])
        self.depth = np.concatenate([self.depth, other.depth])
        self.bounds = [(np.concatenate([a, c]), np.concatenate([b, e])) for (a, b), (c, e) in zip(self.bounds, other.bounds)]
        self.split = np.concatenate([self.split, other.split])

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
        bounds = [(np.concatenate([L, L]), np.concatenate([U, U])) for L, U in self.bounds]
        return _Pool(phases, np.concatenate([self.value, self.value]), np.zeros((2 * n, 3), dtype=int), depth,
                     bounds, layer)


class _Bounded:
    """Per subproblem: closed, bound value (the best row's), candidate points, the next branching choice,
    the refined pre-activation bounds (stored as :func:`_store` gives them)."""

    def __init__(self, closed, value, points, choice, bounds) -> None:
        self.closed = closed
        self.value = value
        self.points = points
        self.choice = choice
        self.bounds = bounds


def _bound(ctx: _Context, pool: _Pool, C, d, strict) -> _Bounded:
    """Bound the disjunct's rows on every subproblem of ``pool``; choose each open one's next split.

    The intermediate bounds are the stored ones (the parent's), refined by
    CROWN through the subproblem's phases from the layer above the lowest
    split of the batch (:func:`~relucid.bounds.optimized.refine_bounds`).
    """
    xp = ctx._xp
    phases = pool.phases
    N = phases[0].shape[0]
    top = ctx.layers.depth - 1
    bounds = [(like(xp, L.astype(np.float64), ctx.ref), like(xp, U.astype(np.float64), ctx.ref)) for L, U in pool.bounds]
    lo = xp.broadcast_to(ctx.lo, (N, ctx.lo.shape[1]))
    hi = xp.broadcast_to(ctx.hi, (N, ctx.hi.shape[1]))
    if REFINE:
        bounds = refine_bounds(ctx.layers, bounds, phases, lo, hi, A=ctx.A, b=ctx.b, start=int(pool.split.min()) + 1)
    relax = Relaxation.of(bounds, phases)
    infeasible = to_numpy(relax.infeasible())
    Lam = xp.broadcast_to(like(xp, C, ctx.ref)[None], (N,) + C.shape) * 1.0
    const = xp.broadcast_to(like(xp, -d, ctx.ref)[None], (N, C.shape[0])) * 1.0
    res = optimised_bound(ctx.layers, top, relax, Lam, const, lo, hi, A=ctx.A, b=ctx.b, iters=ITERS, combine=True)
    lower = to_numpy(res.lower)
    if res.lam is not None:  # the optimised combination of the rows is one more row (non-strict)
        strict = np.append(strict, False)
        Lam = xp.concatenate([Lam, res.lam @ Lam], axis=1)
        const = xp.concatenate([const, (res.lam[:, 0, :] * const).sum(axis=-1)[:, None]], axis=1)
    safe = np.where(strict[None], lower >= 0, lower > 0)
    closed = infeasible | safe.any(axis=1)
    value = lower.max(axis=1)
    coef = to_numpy(res.coef)
    points = np.where(coef > 0, to_numpy(lo)[:, None, :], to_numpy(hi)[:, None, :])
    points = points.reshape(-1, points.shape[-1])
    points = np.where(np.repeat(closed, lower.shape[1])[:, None], np.nan, points)  # closed subproblems' are dropped
    choice = _choose(ctx, relax, res, lower, closed, C, d, lo, hi, Lam, const)
    stored = [_store(to_numpy(L), to_numpy(U)) for L, U in bounds]
    return _Bounded(closed, value, points, choice, stored)


def _choose(ctx: _Context, relax: Relaxation, res, lower, closed, C, d, lo, hi, Lam, const) -> np.ndarray:
    """(N, 3): (layer, neuron) to split next per subproblem ((-1, -1) where no free unstable neuron is
    left) and the number of free unstable neurons."""
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
    choice = np.full((N, 3), -1, dtype=int)
    choice[:, 2] = 0
    if not flat:
        return choice
    widths = [s.shape[1] for _, s in flat]
    allscores = np.concatenate([s for _, s in flat], axis=1)
    layer_of = np.concatenate([np.full(w, i) for (i, _), w in zip(flat, widths)])
    neuron_of = np.concatenate([np.arange(w) for w in widths])
    choice[:, 2] = np.isfinite(allscores).sum(axis=1)
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


def _descend(ctx: _Context, k: int, points, steps: int) -> np.ndarray | None:
    """A short targeted descent (:func:`~.attack.descend_in_boxes`) on disjunct ``k`` from the relaxation's
    minimisers: they sit where the linear bound says a violation is likeliest, but rarely on one."""
    points = np.asarray(points)
    points = points[np.isfinite(points).all(axis=1)] if points.size else points
    if not points.size:
        return None
    q = ctx.q
    n = len(points)
    return descend_in_boxes(q, points, np.broadcast_to(q.lo, points.shape), np.broadcast_to(q.hi, points.shape),
                            np.full(n, k), steps=steps)


def _try_points(ctx: _Context, points) -> np.ndarray | None:
    """The first confirmed counterexample among candidate inputs (NaN rows skipped), or None."""
    points = np.asarray(points)
    if not points.size:
        return None
    points = points[np.isfinite(points).all(axis=1)]
    if not points.size:
        return None
    return ctx.q.first_confirmed(points)


def _leaf(ctx: _Context, k: int, pool: _Pool, i: int, *, capped: bool):
    """Decide disjunct ``k`` on subproblem ``i`` of ``pool`` by the MILP with its phases as the pattern.

    ``capped``: the MILP gets at most :data:`LEAF_SECONDS` (the subproblem
    still has free unstable neurons and can be split instead).
    """
    from dataclasses import replace

    q = ctx.q
    phases = [p[i] for p in pool.phases]
    merged = {j: phases[j].astype(np.int8) for j in range(len(phases)) if ctx.has_phases[j] and (phases[j] != FREE).any()}
    deadline = min(q.deadline, time.monotonic() + LEAF_SECONDS) if capped else q.deadline
    sub = replace(q, phases=merged, stats={}, _rows=None, deadline=deadline)
    layers = [(L[i].astype(np.float64), U[i].astype(np.float64)) for L, U in pool.bounds]
    layers.append(tuple(to_numpy(a)[0] for a in ctx.root[len(layers)]))  # the output layer's (root) bounds
    for j, (L, U) in enumerate(layers):
        if j in merged:
            L = np.where(merged[j] == ON, np.maximum(L, 0), L)
            U = np.where(merged[j] == OFF, np.minimum(U, 0), U)
            if (L > U).any():
                return "proved", None, None
            layers[j] = (L, U)
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
