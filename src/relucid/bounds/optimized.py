"""α/β-CROWN: back-substitution bounds with optimised relaxations, batched over subproblems.

The bounds branch and bound over ReLU phases (:mod:`relucid.verify.relu_bab`)
needs. Every piecewise-linear activation is written as a linear part plus a
relu part, ``act(z) = s z + (1 - s) relu(z)`` (``s`` = 0 for relu, the leaky
slope for leaky_relu — negative or above 1 included — and 1 for identity),
so one relaxation serves every slope: the relu part ``r = relu(z)`` of a
neuron with pre-activation bounds ``[l, u]`` is

* exact when the neuron is stable (``r = z`` for ``l >= 0``, ``r = 0`` for ``u <= 0``),
  or fixed by the subproblem's phases (its bounds are clipped to the phase first);
* otherwise below a line ``r >= α z`` for any ``α`` in ``[0, 1]`` and above the
  chord ``r <= u (z - l) / (u - l)``.

A linear objective ``Λ z_top + c`` is lower-bounded by substituting these
lines layer by layer down to the input (the line below where the running
coefficient of ``r`` is positive, the chord where it is negative) and
minimising over the input box. Three kinds of parameters tighten it, each
valid for any value in its range, so every iterate is a sound bound:

* **α** (α-CROWN, Xu et al. 2021): the lower-line slopes of unstable neurons, in ``[0, 1]``;
* **β** (β-CROWN, Wang et al. 2021): a multiplier ``β >= 0`` per fixed neuron
  adds ``-β z`` (fixed on: ``z >= 0``) or ``+β z`` (fixed off) to the
  objective, which is below it on the subproblem; substituted through the
  layers underneath, a split tightens the bound of everything above it;
* **μ**: multipliers ``μ >= 0`` of the input rows ``A x <= b`` of a polyhedral
  input set add ``μ (A x - b)`` (``<= 0`` on the set).

Parameters are per subproblem and per objective row, and are improved by
projected gradient ascent (Adam steps); the gradient is one reverse pass
through the substitution with the sign pattern of the coefficients held
fixed, as in α-CROWN; the best bound per row over all iterates is kept.

``xp`` is numpy (default) or torch (tensors on any device): only operations
both spell alike are used here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import Network
from ..phases import OFF, ON
from ._xp import like, namespace

__all__ = ["Layers", "OptimisedBound", "Relaxation", "optimised_bound", "root_bounds"]

#: Adam step sizes of the three kinds of parameters, and the per-step decay.
LR_ALPHA = 0.1
LR_BETA = 0.05
LR_MU = 0.05
LR_DECAY = 0.98


@dataclass
class Layers:
    """The network as the bounds see it: ``(W, b)`` per layer and the off slope ``s`` of each.

    An identity layer is appended when the last layer has an activation, so
    the objective is always a linear function of the last pre-activation.
    """

    weights: list
    slopes: list  # float per layer: 0 relu, alpha leaky, 1 identity

    @classmethod
    def of(cls, net: Network, ref=None) -> "Layers":
        xp = np if ref is None else namespace(ref)
        ref = np.zeros(1) if ref is None else ref
        weights, slopes = [], []
        for layer in net.layers:
            weights.append((like(xp, layer.weight, ref), like(xp, layer.bias, ref)))
            slopes.append(1.0 if layer.activation == "identity" else layer.off_slope)
        if net.layers[-1].activation != "identity":
            n = net.output_dim
            weights.append((like(xp, np.eye(n), ref), like(xp, np.zeros(n), ref)))
            slopes.append(1.0)
        return cls(weights, slopes)

    @property
    def depth(self) -> int:
        return len(self.weights)


@dataclass
class Relaxation:
    """Per layer below the objective: the relu part's lines on a batch of subproblems, each (B, n).

    ``low``: the lower slope where it is not optimised (stable or fixed neurons: exact);
    ``opt``: where α is optimised (free unstable neurons);
    ``up_slope``, ``up_int``: the upper line (the chord; exact where stable or fixed);
    ``sign``: +1 fixed on, -1 fixed off, 0 free (where β applies);
    ``L``, ``U``: the clipped bounds the lines were built from.
    """

    low: list
    opt: list
    up_slope: list
    up_int: list
    sign: list
    L: list
    U: list

    @classmethod
    def of(cls, bounds: list, phases: list) -> "Relaxation":
        """Lines from per-layer bounds ``(L, U)`` (B, n) clipped to ``phases`` (B, n) int8 (None: all free)."""
        out = cls([], [], [], [], [], [], [])
        for (L, U), ph in zip(bounds, phases):
            xp = namespace(L)
            if ph is not None:
                ph = like(xp, ph, L)
                L = xp.where(ph == ON, L.clip(min=0), L)
                U = xp.where(ph == OFF, U.clip(max=0), U)
                one = xp.ones_like(L)
                sign = xp.where(ph == ON, one, xp.where(ph == OFF, -one, 0.0 * one))
            else:
                sign = xp.zeros_like(L)
            on, off = L >= 0, U <= 0
            unstable = ~(on | off)
            width = xp.where(unstable, U - L, xp.ones_like(L))
            up = xp.where(unstable, U / width, xp.where(on, xp.ones_like(L), xp.zeros_like(L)))
            out.up_slope.append(up)
            out.up_int.append(xp.where(unstable, -L * up, xp.zeros_like(L)))
            out.low.append(xp.where(on, xp.ones_like(L), xp.where(unstable & (U > -L), xp.ones_like(L), xp.zeros_like(L))))
            out.opt.append(unstable)
            out.sign.append(sign)
            out.L.append(L)
            out.U.append(U)
        return out

    def infeasible(self):
        """(B,) bool: subproblems whose phases contradict their bounds (a clipped ``L > U``)."""
        bad = None
        for L, U in zip(self.L, self.U):
            b = (L > U).any(axis=1)
            bad = b if bad is None else (bad | b)
        return bad


@dataclass
class OptimisedBound:
    """Result of :func:`optimised_bound`: per subproblem and objective row.

    ``lower`` (B, m): the best bound found; ``coef`` (B, m, n_in), ``const``
    (B, m): the linear function of the input it minimised (``lower = min over
    the box of coef x + const``; the input rows' multipliers are folded in);
    ``relu_coef``: per layer below the objective, the coefficient (B, m, n) of
    each neuron's relu part at the last iterate (the branching scores read it);
    ``alpha``: the final α per layer (B, m, n), for warm starts; ``lam``: the
    final combination weights (B, 1, m) when ``combine`` was asked (the
    combined row is the last of ``lower``).
    """

    lower: object
    coef: object
    const: object
    relu_coef: list
    alpha: list
    lam: object = None


def optimised_bound(layers: Layers, top: int, relax: Relaxation, Lam, const, lo, hi, *, A=None, b=None,
                    iters: int = 0, alpha=None, beta: bool = True, combine: bool = False) -> OptimisedBound:
    """Lower-bound ``Lam @ z_top + const`` on every subproblem; ``iters`` gradient steps on α, β, μ.

    Parameters
    ----------
    layers : Layers
    top : int
        The layer whose pre-activation the objective is a function of.
    relax : Relaxation
        Lines of layers ``0 .. top-1``, each (B, n).
    Lam : (B, m, n_top); const : (B, m)
    lo, hi : (B, n_in) input boxes.
    A, b : input rows ``A x <= b`` (rows of the input set besides the box), optional.
    iters : int
        Projected gradient (Adam) steps; 0 gives plain CROWN with the initial slopes.
    alpha : list of (B, m, n) or None
        Initial α per layer (default: the relaxation's own lower slopes).
    beta : bool
        Optimise β for fixed neurons (else β = 0).
    combine : bool
        Also bound one more row, ``Σ λ_r (row r)`` with ``λ >= 0`` optimised
        (returned last): for a conjunction of rows, all ``<= 0`` on a
        counterexample, any such combination is ``<= 0`` there too, so a
        positive bound of it closes the conjunction when no single row does.
    """
    xp = namespace(Lam)
    B, m = Lam.shape[0], Lam.shape[1]
    combine = combine and m > 1 and iters > 0
    if combine:
        m = m + 1
    params = {}
    shape_m = (B, m)
    for i in range(top):
        a0 = alpha[i] if alpha is not None else xp.broadcast_to(relax.low[i][:, None, :], shape_m + (relax.low[i].shape[1],))
        opt = relax.opt[i][:, None, :]
        params[("alpha", i)] = xp.where(opt, a0, relax.low[i][:, None, :]) * xp.ones_like(relax.low[i][:, None, :1]) \
            * like(xp, np.ones((1, m, 1)), Lam)
        if beta and iters:
            params[("beta", i)] = xp.zeros_like(params[("alpha", i)])
    has_rows = A is not None and A.shape[0] > 0
    if has_rows and iters:
        params["mu"] = like(xp, np.zeros((B, m, A.shape[0])), Lam)
    if has_rows:
        A = like(xp, A, Lam)
        b = like(xp, b, Lam)
    if combine:
        params["lam"] = like(xp, np.full((B, 1, m - 1), 1.0 / (m - 1)), Lam)
    state = _Adam(xp, params)
    best = None
    for step in range(max(1, iters + 1)):
        want_grad = step < iters
        bound, coef, c, grads, relu_coef = _pass(layers, top, relax, Lam, const, lo, hi, A, b, params, want_grad)
        if best is None:
            best = OptimisedBound(bound, coef, c, relu_coef, None)
            best_lam = params.get("lam")
        else:
            better = bound > best.lower
            best.lower = xp.where(better, bound, best.lower)
            best.coef = xp.where(better[:, :, None], coef, best.coef)
            best.const = xp.where(better, c, best.const)
            best.relu_coef = relu_coef
            if "lam" in params:  # the weights of the best combined row (the last row)
                best_lam = xp.where(better[:, -1:, None], params["lam"], best_lam)
        if not want_grad:
            break
        state.ascend(params, grads, step)
        for i in range(top):
            opt = relax.opt[i][:, None, :]
            params[("alpha", i)] = xp.where(opt, params[("alpha", i)].clip(min=0.0, max=1.0), relax.low[i][:, None, :])
            if ("beta", i) in params:
                fixed = (relax.sign[i] != 0)[:, None, :]
                params[("beta", i)] = xp.where(fixed, params[("beta", i)].clip(min=0.0), 0.0 * params[("beta", i)])
        if "mu" in params:
            params["mu"] = params["mu"].clip(min=0.0)
        if "lam" in params:
            params["lam"] = params["lam"].clip(min=0.0)
    best.alpha = [params[("alpha", i)] for i in range(top)]
    best.lam = best_lam
    return best


def _pass(layers, top, relax, Lam, const, lo, hi, A, b, params, want_grad):
    """One substitution pass: the bound, its linear function of x, and (optionally) the gradients."""
    xp = namespace(Lam)
    Lam_top, const_top = Lam, const
    if "lam" in params:
        lam = params["lam"]  # (B, 1, r)
        Lam = xp.concatenate([Lam, lam @ Lam], axis=1)
        const = xp.concatenate([const, (lam[:, 0, :] * const).sum(axis=-1)[:, None]], axis=1)
    tape = []
    relu_coef = [None] * top
    for j in range(top, -1, -1):
        W, bias = layers.weights[j]
        const = const + Lam @ bias
        B, m, n = Lam.shape
        Lam = (Lam.reshape(B * m, n) @ W).reshape(B, m, W.shape[1])
        if j == 0:
            break
        i = j - 1
        s = layers.slopes[i]
        if s == 1.0:  # identity: no relu part
            tape.append((i, None, None, None))
            continue
        t = 1.0 - s
        Lr = Lam * t
        pos = Lr >= 0
        slope = xp.where(pos, params[("alpha", i)], relax.up_slope[i][:, None, :])
        neg_part = xp.where(pos, 0.0 * Lr, Lr)
        const = const + (neg_part * relax.up_int[i][:, None, :]).sum(axis=-1)
        Lz = Lam * s + Lr * slope
        if ("beta", i) in params:
            Lz = Lz - params[("beta", i)] * relax.sign[i][:, None, :]
        relu_coef[i] = Lr
        tape.append((i, Lr, pos, slope))
        Lam = Lz
    if "mu" in params:
        Lam = Lam + params["mu"] @ A
        const = const - params["mu"] @ b
    bound = const + (Lam.clip(min=0) * lo[:, None, :]).sum(axis=-1) + (Lam.clip(max=0) * hi[:, None, :]).sum(axis=-1)
    if not want_grad:
        return bound, Lam, const, None, relu_coef
    grads = {}
    G = xp.where(Lam > 0, lo[:, None, :] * xp.ones_like(Lam), hi[:, None, :] * xp.ones_like(Lam))
    if "mu" in params:
        grads["mu"] = G @ A.T - b
    for i, Lr, pos, slope in reversed(tape):
        W, bias = layers.weights[i]
        B, m, n = G.shape
        dLz = (G.reshape(B * m, n) @ W.T).reshape(B, m, W.shape[0]) + bias
        s = layers.slopes[i]
        if Lr is None:
            G = dLz
            continue
        if ("beta", i) in params:
            grads[("beta", i)] = -dLz * relax.sign[i][:, None, :]
        grads[("alpha", i)] = xp.where(pos, dLz * Lr, 0.0 * Lr)
        t = 1.0 - s
        G = dLz * (s + t * slope) + xp.where(pos, 0.0 * Lr, t * relax.up_int[i][:, None, :] * xp.ones_like(Lr))
    if "lam" in params:
        W, bias = layers.weights[top]
        B, m, n = G.shape
        G_top = (G[:, -1:, :] @ W.T) + bias  # d bound of the combined row / d its top coefficients
        grads["lam"] = (G_top @ Lam_top.transpose(0, 2, 1) if xp is np else G_top @ Lam_top.transpose(1, 2)) \
            + const_top[:, None, :]
    return bound, Lam, const, grads, relu_coef


class _Adam:
    """Adam ascent steps (each kind of parameter has its own step size)."""

    def __init__(self, xp, params: dict) -> None:
        self.xp = xp
        self.m = {k: xp.zeros_like(v) for k, v in params.items()}
        self.v = {k: xp.zeros_like(v) for k, v in params.items()}

    def ascend(self, params: dict, grads: dict, step: int) -> None:
        b1, b2 = 0.9, 0.999
        for k, g in grads.items():
            if k not in params:
                continue
            kind = k if isinstance(k, str) else k[0]
            lr = {"alpha": LR_ALPHA, "beta": LR_BETA, "mu": LR_MU, "lam": LR_MU}[kind] * LR_DECAY ** step
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            mhat = self.m[k] / (1 - b1 ** (step + 1))
            vhat = self.v[k] / (1 - b2 ** (step + 1))
            params[k] = params[k] + lr * mhat / (vhat ** 0.5 + 1e-8)


def root_bounds(layers: Layers, lo, hi, phases: list, *, A=None, b=None, iters: int = 0, deadline=None) -> list:
    """Pre-activation bounds ``(L, U)`` (B, n) of every layer: interval, then CROWN, then ``iters`` α/β steps.

    ``phases``: per layer (B, n) int8 or None; bounds are returned unclipped
    (the caller's :class:`Relaxation` clips them to the phases). Each
    layer's unstable neurons (interval bounds straddling 0, not fixed) are
    bounded from above and below by back-substitution through the layers
    below; ``deadline`` (a :class:`~relucid.deadline.Deadline`) stops the
    optimisation early (the CROWN bounds are always computed).
    """
    xp = namespace(lo)
    out = []
    ilo, ihi = lo, hi
    for k in range(layers.depth):
        W, bias = layers.weights[k]
        Wp, Wn = W.clip(min=0), W.clip(max=0)
        L = ilo @ Wp.T + ihi @ Wn.T + bias
        U = ihi @ Wp.T + ilo @ Wn.T + bias
        if k > 0:
            relax = Relaxation.of(out, phases[:k])
            want = (L < 0) & (U > 0)
            if layers.slopes[k] == 1.0 or k == layers.depth - 1:  # identity: every bound matters
                want = want | (L <= U)
            if k < len(phases) and phases[k] is not None:
                want = want & (like(xp, phases[k], L) == -1)
            rows = np.flatnonzero(np.asarray(_to_np(want.any(axis=0))))
            if rows.size:
                rows_x = like(xp, rows, L)
                n = rows.size
                B = L.shape[0]
                eye_np = np.zeros((n, W.shape[0]))
                eye_np[np.arange(n), rows] = 1.0
                eye = like(xp, eye_np, L)
                Lam = xp.broadcast_to(xp.concatenate([eye, -eye])[None], (B, 2 * n, W.shape[0])) * 1.0
                const = xp.zeros_like(Lam[:, :, 0])
                steps = iters if deadline is None or not deadline.expired() else 0
                res = optimised_bound(layers, k, relax, Lam, const, lo, hi, A=A, b=b, iters=steps)
                L[:, rows_x] = xp.maximum(L[:, rows_x], res.lower[:, :n])
                U[:, rows_x] = xp.minimum(U[:, rows_x], -res.lower[:, n:])
        out.append((L, U))
        if k == layers.depth - 1:
            break
        s = layers.slopes[k]
        Lc, Uc = L, U
        if phases[k] is not None:
            ph = like(xp, phases[k], L)
            Lc = xp.where(ph == ON, L.clip(min=0), L)
            Uc = xp.where(ph == OFF, U.clip(max=0), U)
            Uc = xp.maximum(Uc, Lc)  # an infeasible phase: any non-empty interval (the caller refuses it)
        ilo, ihi = _image(xp, s, Lc, Uc)
    return out


def _image(xp, s: float, L, U):
    """Elementwise range of ``s z + (1 - s) relu(z)`` over ``[L, U]`` (any slope)."""
    def f(z):
        return s * z + (1.0 - s) * z.clip(min=0)
    fL, fU = f(L), f(U)
    lo, hi = xp.minimum(fL, fU), xp.maximum(fL, fU)
    straddle = (L < 0) & (U > 0)
    lo = xp.where(straddle, lo.clip(max=0), lo)
    hi = xp.where(straddle, hi.clip(min=0), hi)
    return lo, hi


def _to_np(a):
    from ._xp import to_numpy

    return to_numpy(a)


#: Entries (subproblems x rows x widest layer) per refinement pass; larger batches are cut into chunks.
REFINE_ENTRIES = 1 << 23


def refine_bounds(layers: Layers, bounds: list, phases: list, lo, hi, *, A=None, b=None, start: int = 1) -> list:
    """Per-subproblem CROWN bounds of the hidden layers, intersected with ``bounds``.

    ``bounds``: per layer below the objective, ``(L, U)`` (B, n) valid for
    every subproblem (the root's); ``phases``: per layer (B, n) int8 or
    None. Layer by layer, the neurons that the bounds leave unstable and the
    phases leave free (every neuron of an identity layer) are bounded by
    back-substitution through the subproblem's own relaxation of the layers
    below, built from the bounds refined so far: a split tightens the chords
    of every layer above it, not only the objective (β-CROWN recomputes its
    intermediate bounds per subdomain in the same way). Layers below
    ``start`` are kept (a child's bounds below its split layer are its
    parent's). Returns new arrays.
    """
    xp = namespace(lo)
    out = [(L * 1.0, U * 1.0) for L, U in bounds]
    B = lo.shape[0]
    widest = max([lo.shape[1]] + [int(L.shape[1]) for L, _ in out])
    for k in range(max(1, start), len(out)):
        L, U = out[k]
        ph = phases[k] if k < len(phases) else None
        Lc, Uc = L, U
        if ph is not None:
            ph = like(xp, ph, L)
            Lc = xp.where(ph == ON, L.clip(min=0), L)
            Uc = xp.where(ph == OFF, U.clip(max=0), U)
        want = (Lc < 0) & (Uc > 0)
        if layers.slopes[k] == 1.0:
            want = Lc <= Uc
        elif ph is not None:
            want = want & (ph == -1)
        rows = np.flatnonzero(np.asarray(_to_np(want.any(axis=0))))
        if not rows.size:
            continue
        r = rows.size
        eye_np = np.zeros((r, L.shape[1]))
        eye_np[np.arange(r), rows] = 1.0
        eye = like(xp, eye_np, L)
        rows_x = like(xp, rows, L)
        chunk = max(1, REFINE_ENTRIES // (2 * r * widest))
        for s in range(0, B, chunk):
            sl = slice(s, min(B, s + chunk))
            n_b = sl.stop - sl.start
            relax = Relaxation.of([(a[sl], c[sl]) for a, c in out[:k]],
                                  [None if p is None else p[sl] for p in phases[:k]])
            Lam = xp.broadcast_to(xp.concatenate([eye, -eye])[None], (n_b, 2 * r, L.shape[1])) * 1.0
            res = optimised_bound(layers, k, relax, Lam, xp.zeros_like(Lam[:, :, 0]), lo[sl], hi[sl], A=A, b=b)
            Lk, Uk = L[sl], U[sl]
            Lk[:, rows_x] = xp.maximum(Lk[:, rows_x], res.lower[:, :r])
            Uk[:, rows_x] = xp.minimum(Uk[:, rows_x], -res.lower[:, r:])
            L[sl], U[sl] = Lk, Uk
    return out
