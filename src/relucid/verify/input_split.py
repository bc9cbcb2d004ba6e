"""The complete back end for few inputs: branch and bound over input boxes.

Boxes are processed in batches. For every box, DeepPoly bounds the rows
``c_i y - d_i`` of every disjunct still open there (optionally with α-CROWN
steps on the lower-line slopes, :data:`ALPHA_STEPS`); a disjunct is closed on a box
when one of its rows is positive on all of it (non-negative, for a strict
row). A box with no open disjunct is done. Otherwise points of it are tried as
counterexamples (its centre, per open disjunct the corner that minimises the
linear lower bound of the disjunct's tightest row, and a short targeted
descent inside the box), the box is contracted by the linear inequalities a
violation needs (:mod:`relucid.bounds.contract`), and split in two.

Splitting runs in two passes: first by the "smear" score (width times the
input's coefficient in those linear bounds) — cheap, broad, and it finds most
counterexamples quickly; then, if the first pass ran out of its share of the
time, from scratch with look-ahead branching: for the :data:`LOOKAHEAD` best
inputs by smear, both children of the bisection are bounded and the split
that leaves the least open (summed over the open disjuncts) is kept. On ACAS
Xu this cut the boxes needed for some proofs several-fold (1_4 prop_1: from
more than 11,000 without a proof in 40 s to 81; 4_9 prop_1 proved in ~5 s)
but needs far more on others (1_1 prop_2: 3.4 s by smear, no proof in 40 s
by look-ahead, whose thin boxes reach MAX_DEPTH and go to the MILP), so the
two passes split the time half and half (the first at most 30 s).

A box still open after :data:`MAX_DEPTH` splits, or with at most
:data:`MILP_UNSTABLE` unstable neurons left, is handed to the MILP, which
decides it exactly; so the search is complete.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..bounds.deeppoly import deeppoly_bounds
from ..bounds._xp import to_numpy
from ..bounds.contract import contract_boxes
from .attack import descend_in_boxes
from .milp import milp_search
from .query import Query

#: Boxes bounded together in one batched DeepPoly pass.
BATCH = 256
#: Batch of the look-ahead pass (each box bounds 2 x LOOKAHEAD children too).
LOOKAHEAD_BATCH = 64
#: Splits after which a box goes to the MILP.
MAX_DEPTH = 60
#: A box with at most this many unstable neurons goes straight to the MILP.
MILP_UNSTABLE = 4
#: Look-ahead branching: bound the children of the bisections of this many
#: inputs (the best by the smear score) and keep the split that closes most;
#: 0 splits by the smear score alone.
LOOKAHEAD = 3
#: The first pass (smear splitting) gets this share of the time, at most FIRST_PASS_SECONDS.
#: Measured 2026-12-08 (ACAS Xu, 116 s timeouts): 15 of the first 65 instances (prop_1) spend the full
#: 30 s in a first pass that cannot prove them, then 0.4-14 s in the second; with 3 s they take
#: 3.9-14.2 s in all, but 1_1 prop_3, which the first pass proves in 4.3 s, is then lost (the look-ahead
#: pass sends it into 797 MILP boxes and times out). The passes are complementary: alternating them
#: with growing budgets (3, 6, 12, ... s) is the next thing to try, not a shorter first pass alone.
FIRST_PASS_SHARE = 0.5
FIRST_PASS_SECONDS = 30.0
#: Open disjuncts per box whose bottleneck corners are tried and whose rows steer the split.
CAND_DISJUNCTS = 8
#: Boxes per batch are cut so that the spec's back-substitution (boxes x rows x
#: widest layer, children of the look-ahead included) stays under this many entries.
MAX_ENTRIES = 1 << 22
#: α-CROWN gradient steps on the spec's lower-line slopes per batch (0: plain
#: CROWN slopes). Off by default: 5 steps sped up some proofs (1_9 prop_2: 6,345
#: boxes -> 1,321) but the optimised linear bounds, used for contraction, sent
#: ACAS Xu 1_1 prop_3 into 655 MILP leaves (31.7 s against 1.5 s).
ALPHA_STEPS = 0
#: α/λ steps of the optimised row combination tried on boxes whose one open
#: disjunct has several rows (:func:`_close_by_combination`; 0: off).
COMBINE_STEPS = 0


def input_split_search(q: Query, active0, progress=None, device: str | None = None) -> tuple[str, np.ndarray | None, str | None]:
    """Decide the active disjuncts over the query's box: (status, counterexample, note).

    Two passes: first splitting by the smear score alone, which is cheap per
    box and, with the in-box descent, finds most counterexamples at once,
    for :data:`FIRST_PASS_SHARE` of the time (at most
    :data:`FIRST_PASS_SECONDS`); then, if undecided, from scratch with
    look-ahead branching, which needs far fewer boxes for proofs.

    ``device``: bound each batch with torch on this device ("cuda", "cpu").
    """
    if not LOOKAHEAD:
        return _search(q, active0, progress, device, 0, q.deadline, BATCH)
    budget = min(FIRST_PASS_SECONDS, FIRST_PASS_SHARE * q.remaining())
    status, x, note = _search(q, active0, progress, device, 0, min(q.deadline, time.monotonic() + budget), BATCH)
    if status != "unknown" or note != "timeout" or q.expired():
        return status, x, note
    q.count("second_pass")
    return _search(q, active0, progress, device, LOOKAHEAD, q.deadline, LOOKAHEAD_BATCH)


def _search(q: Query, active0, progress, device, lookahead: int, deadline: float, batch: int):
    R = q.rows
    S, s, strict = R.distinct  # DeepPoly bounds each distinct row once
    s = -s
    owner = R.owner
    row_of = (lambda r: r) if R.index is None else (lambda r: R.index[r])  # a row's distinct row
    batch = _batch_size(q, batch, S.shape[0], R.C.shape[0], lookahead)
    lo_q, hi_q = q.lo[None].copy(), q.hi[None].copy()
    active_q = np.asarray(active0, bool)[None].copy()
    depth_q = np.zeros(1, dtype=int)
    width0 = np.where(q.hi > q.lo, q.hi - q.lo, 1.0)
    while lo_q.shape[0]:
        if time.monotonic() >= deadline:
            return "unknown", None, "timeout"
        take = slice(0, batch)
        lo, hi, active, depth = lo_q[take], hi_q[take], active_q[take], depth_q[take]
        lo_q, hi_q, active_q, depth_q = lo_q[batch:], hi_q[batch:], active_q[batch:], depth_q[batch:]
        q.count("boxes", lo.shape[0])
        if progress is not None:
            progress.update(lo.shape[0])
        t_bound = time.monotonic()
        out = _bound(q, lo, hi, (S, s), device)
        per_box = (time.monotonic() - t_bound) / lo.shape[0]  # seconds of bounds per box, for the lookahead below
        safe_row = np.where(strict, out.spec_lower >= 0, out.spec_lower > 0)  # (B, u)
        closed = R.segment_any(R.expand(safe_row))
        active = active & ~closed & ~out.infeasible[:, None]
        open_box = active.any(axis=1)
        if not open_box.any():
            continue
        if COMBINE_STEPS:
            active = _close_by_combination(q, out, lo, hi, active)
            open_box = active.any(axis=1)
            if not open_box.any():
                continue
        if time.monotonic() >= deadline:
            return "unknown", None, "timeout"
        idx = np.flatnonzero(open_box)
        lo, hi, active, depth = lo[idx], hi[idx], active[idx], depth[idx]
        # Splitting and candidate corners follow the plain CROWN coefficients
        # (optimised slopes make erratic split scores); the cuts use the best bound.
        split_coef = out.spec_coef if out.plain_coef is None else out.plain_coef
        coef, lower = split_coef[idx], R.expand(out.spec_lower[idx])
        # Per box, the open disjuncts looked at (all of them when there are at
        # most CAND_DISJUNCTS, else the ones whose tightest row is lowest) and
        # each one's tightest row.
        tight = np.where(active[:, owner], lower, -np.inf)  # rows of open disjuncts
        chosen, worst_rows = _tightest(R, tight, active)  # (B, J) each
        B = len(lo)
        # Candidate points: centres and, per chosen disjunct, the bottleneck corner.
        c = coef[np.arange(B)[:, None], row_of(worst_rows)]  # (B, J, n)
        corners = np.where(c > 0, lo[:, None, :], hi[:, None, :])
        X = np.vstack([(lo + hi) / 2, corners.transpose(1, 0, 2).reshape(-1, lo.shape[1])])
        q.count("attack_points", X.shape[0])
        hit = q.first_confirmed(X)
        if hit is not None:
            return "falsified", hit, None
        # A short descent from each box's bottleneck corner, for its first open chosen disjunct.
        j = np.argmax(np.take_along_axis(active, chosen, axis=1), axis=1)
        first = chosen[np.arange(B), j]
        x = descend_in_boxes(q, corners[np.arange(B), j], lo, hi, first)
        if x is not None:
            return "falsified", x, None
        # Shrink each box to the part where a violation can be: the linear
        # lower bounds of the rows of its one open disjunct must be <= 0, and
        # the fixed phases give linear inequalities too (deeppoly cuts=True).
        cut_c, cut_k = _cuts(out, idx, active, R, row_of)
        if cut_c.shape[1]:
            lo, hi, empty = contract_boxes(lo, hi, cut_c, cut_k)
            q.count("boxes_emptied", int(empty.sum()))
            keep = ~empty
            lo, hi, active, depth, coef, idx = lo[keep], hi[keep], active[keep], depth[keep], coef[keep], idx[keep]
            chosen, worst_rows = chosen[keep], worst_rows[keep]
            if not lo.shape[0]:
                continue
        # Split or hand over to the MILP.
        unstable = sum(((L < 0) & (U > 0)).sum(axis=1) for L, U in out.layers[:-1])[idx] if len(out.layers) > 1 \
            else np.zeros(len(idx), int)
        to_milp = (depth >= MAX_DEPTH) | (unstable <= MILP_UNSTABLE)
        for i in np.flatnonzero(to_milp):
            if time.monotonic() >= deadline:
                return "unknown", None, "timeout"
            sub = replace(q, lo=lo[i], hi=hi[i], deadline=min(q.deadline, deadline))
            layers = [(L[idx[i]], U[idx[i]]) for L, U in out.layers]
            status, x, note = milp_search(sub, layers, active[i])
            q.count("milp_boxes")
            if status == "falsified":
                return status, x, None
            if status == "unknown":
                return status, None, note
        keep = ~to_milp
        if not keep.any():
            continue
        lo, hi, active, depth, coef = lo[keep], hi[keep], active[keep], depth[keep], coef[keep]
        chosen, wr = chosen[keep], worst_rows[keep]  # (B', J)
        rowcoef = np.abs(coef[np.arange(len(lo))[:, None], row_of(wr)])  # (B', J, n)
        score = (rowcoef * np.take_along_axis(active, chosen, axis=1)[:, :, None]).sum(axis=1) * (hi - lo)
        score = np.where(hi > lo, score + 1e-12 * (hi - lo) / width0, -1.0)
        # The lookahead bounds 2 * lookahead children per box: skip it (split by the
        # score alone) when that would run past the deadline.
        dim = None
        if lookahead and time.monotonic() + 2 * lookahead * len(lo) * per_box < deadline:
            shortlist = np.argsort(-score, axis=1)[:, :lookahead]
            dim = _lookahead_dims(q, lo, hi, active, (S, s), device, width0, shortlist, deadline)
        if dim is None:
            dim = np.argmax(score, axis=1)
        mid = (lo[np.arange(len(dim)), dim] + hi[np.arange(len(dim)), dim]) / 2
        lo2, hi1 = lo.copy(), hi.copy()
        hi1[np.arange(len(dim)), dim] = mid
        lo2[np.arange(len(dim)), dim] = mid
        # Children go to the front: depth-first in batches keeps the queue short.
        lo_q = np.vstack([lo, lo2, lo_q])
        hi_q = np.vstack([hi1, hi, hi_q])
        active_q = np.vstack([active, active, active_q])
        depth_q = np.concatenate([depth + 1, depth + 1, depth_q])
    return "proved", None, None


def _close_by_combination(q: Query, out, lo, hi, active):
    """Close disjuncts of several rows that no single row closes, by an optimised combination of the rows.

    A counterexample makes every row of its disjunct ``<= 0``, so also any
    combination ``Σ λ_r (c_r y - d_r)`` with ``λ >= 0``; a positive lower
    bound of one closes the disjunct (:func:`relucid.bounds.optimized.optimised_bound`
    with ``combine=True``, over the box's own DeepPoly layer bounds, α and λ
    optimised for :data:`COMBINE_STEPS` steps). Only boxes with one open
    disjunct of several rows are tried (ACAS Xu's properties 2-4).
    """
    from ..bounds.optimized import Layers, Relaxation, optimised_bound

    R = q.rows
    single = active.sum(axis=1) == 1
    k = np.argmax(active, axis=1)
    todo = np.flatnonzero(single & (R.counts[k] > 1))
    if not todo.size:
        return active
    layers = Layers.of(q.net)
    top = layers.depth - 1
    phases = [None if q.phases.get(i) is None else np.broadcast_to(q.phases[i], (todo.size,) + q.phases[i].shape)
              for i in range(top)]
    bounds = [(L[todo], U[todo]) for L, U in out.layers[:top]]
    relax = Relaxation.of(bounds, phases)
    active = active.copy()
    for kk in np.unique(k[todo]):
        sel = np.flatnonzero(k[todo] == kk)
        conj = q.disjuncts[kk]
        B, m = sel.size, conj.C.shape[0]
        sub = Relaxation(*[[a[sel] for a in getattr(relax, f)] for f in ("low", "opt", "up_slope", "up_int", "sign", "L", "U")])
        Lam = np.broadcast_to(np.asarray(conj.C)[None], (B, m, conj.C.shape[1])).copy()
        const = np.broadcast_to(-np.asarray(conj.d)[None], (B, m)).copy()
        res = optimised_bound(layers, top, sub, Lam, const, lo[todo[sel]], hi[todo[sel]], A=q.A if q.A.shape[0] else None,
                              b=q.b if q.A.shape[0] else None, iters=COMBINE_STEPS, combine=True)
        closed = res.lower[:, -1] > 0
        active[todo[sel[closed]], kk] = False
        q.count("boxes_closed_by_combination", int(closed.sum()))
    return active


def _batch_size(q: Query, batch: int, u: int, m: int, lookahead: int) -> int:
    """``batch``, or fewer boxes when the spec's distinct rows ``u`` times the widest layer
    (or the ``m`` rows) would pass :data:`MAX_ENTRIES` entries per batch."""
    width = _widest(q.net)
    per_box = max(u * width, m, 1) * (1 + 2 * lookahead)
    return int(max(1, min(batch, MAX_ENTRIES // per_box)))


def _widest(net) -> int:
    """The widest layer (inputs included): the back-substitution's per-row width."""
    return max([net.input_dim] + [layer.weight.shape[0] for layer in net.layers])


def _tightest(R, tight, active):
    """Per box, the open disjuncts to look at and each one's tightest row: two (B, J) int arrays.

    ``tight`` (B, m): each row's lower bound, ``-inf`` for rows of closed
    disjuncts. With at most :data:`CAND_DISJUNCTS` disjuncts, all of them (in
    order); else the open ones whose tightest row is lowest.
    """
    B, K = active.shape
    seg = R.segment_max(tight)  # (B, K): the tightest row's bound per disjunct
    if K <= CAND_DISJUNCTS:
        chosen = np.broadcast_to(np.arange(K), (B, K)).copy()
    else:
        key = np.where(active, seg, np.inf)
        chosen = np.sort(np.argpartition(key, CAND_DISJUNCTS - 1, axis=1)[:, :CAND_DISJUNCTS], axis=1)
    rows = np.empty(chosen.shape, dtype=np.intp)
    for j in range(chosen.shape[1]):
        k = chosen[:, j]
        mask = R.owner[None, :] == k[:, None]
        masked = np.where(mask, tight, -np.inf)
        rows[:, j] = np.argmax(masked, axis=1)
        none = masked[np.arange(B), rows[:, j]] == -np.inf  # a closed disjunct: its first row
        rows[none, j] = R.starts[k[none]]
    return chosen, rows


def _lookahead_dims(q, lo, hi, active, spec, device, width0, shortlist, deadline):
    """For each box, the input among its ``shortlist`` (B, c) whose bisection closes most.

    The children are bounded in chunks of at most :data:`MAX_ENTRIES` entries;
    None when ``deadline`` passes first (the caller splits by its score).
    """
    B, n = lo.shape
    rows = np.arange(B)
    los, his = [], []
    for c in range(shortlist.shape[1]):
        i = shortlist[:, c]
        mid = (lo[rows, i] + hi[rows, i]) / 2
        l2, h1 = lo.copy(), hi.copy()
        h1[rows, i] = mid
        l2[rows, i] = mid
        los += [lo, l2]
        his += [h1, hi]
    n = shortlist.shape[1]
    L, H = np.vstack(los), np.vstack(his)
    width = _widest(q.net)
    chunk = max(1, MAX_ENTRIES // max(spec[0].shape[0] * width, 1))
    lows, infeasible = [], []
    for start in range(0, L.shape[0], chunk):
        if time.monotonic() >= deadline:
            return None
        out = _bound(q, L[start:start + chunk], H[start:start + chunk], spec, device)
        lows.append(out.spec_lower)
        infeasible.append(out.infeasible)
    q.count("lookahead_boxes", L.shape[0])
    low = np.vstack(lows)  # (2 n B, m)
    infeasible = np.concatenate(infeasible)
    # How far each child is from closing its open disjuncts: the sum over them
    # of the (negative) best row bound; 0 for a child with nothing left open.
    per_k = q.rows.segment_max(q.rows.expand(low))  # (2 n B, K)
    per_k = np.where(np.tile(active, (2 * n, 1)) & ~infeasible[:, None], np.minimum(per_k, 0.0), 0.0)
    child = per_k.sum(axis=1).reshape(2 * n, B)
    score = child[0::2] + child[1::2]  # (n, B): both children of each split
    # Ties (no split helps the hardest disjunct, or all children close) go to
    # the relatively widest input, so that no box is cut along one axis forever.
    rel = np.take_along_axis((hi - lo) / width0, shortlist, axis=1).T  # (c, B)
    best = np.max(score, axis=0)
    tied = np.isclose(score, best, rtol=1e-9, atol=1e-12) | (score == best)
    choice = np.where(tied & (rel > 0), rel, -1.0)
    return shortlist[rows, np.argmax(choice, axis=0)]


def _bound(q: Query, lo, hi, spec, device):
    if device is None:
        return deeppoly_bounds(q.net, lo, hi, q.phases, spec=spec, cuts=bool(q.phases), optimize=ALPHA_STEPS)
    import torch

    t_lo = torch.as_tensor(lo, dtype=torch.float64, device=device)
    t_hi = torch.as_tensor(hi, dtype=torch.float64, device=device)
    out = deeppoly_bounds(q.net, t_lo, t_hi, q.phases, spec=spec, cuts=bool(q.phases))
    out.layers = [(to_numpy(L), to_numpy(U)) for L, U in out.layers]
    out.infeasible = to_numpy(out.infeasible)
    out.spec_lower, out.spec_coef, out.spec_const = (to_numpy(a) for a in (out.spec_lower, out.spec_coef, out.spec_const))
    if out.cuts is not None:
        out.cuts = tuple(to_numpy(a) for a in out.cuts)
    return out


def _cuts(out, idx, active, R, row_of):
    """Linear inequalities ``coef @ x + const <= 0`` valid where a violation can be, per open box."""
    coefs, consts = [], []
    if out.cuts is not None and out.cuts[0].shape[1]:
        coefs.append(out.cuts[0][idx])
        consts.append(out.cuts[1][idx])
    # Rows of the one open disjunct: lower(x) <= c_i y - d_i <= 0.
    single = active.sum(axis=1) == 1
    if single.any():
        k = np.argmax(active, axis=1)
        width = int(R.counts.max())
        j = np.arange(width)
        row = R.starts[k][:, None] + j  # (B, width)
        valid = (j < R.counts[k][:, None]) & single[:, None]
        row = row_of(np.where(valid, row, 0))
        B = len(idx)
        c = out.spec_coef[idx][np.arange(B)[:, None], row]  # (B, width, n)
        d = out.spec_const[idx][np.arange(B)[:, None], row]
        coefs.append(np.where(valid[:, :, None], c, 0.0))
        consts.append(np.where(valid, d, 0.0))
    if not coefs:
        return np.zeros((len(idx), 0, out.spec_coef.shape[2])), np.zeros((len(idx), 0))
    return np.concatenate(coefs, axis=1), np.concatenate(consts, axis=1)


__all__ = ["input_split_search"]
