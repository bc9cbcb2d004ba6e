"""DeepPoly / CROWN back-substitution bounds, batched over input boxes.

Each neuron's pre-activation ``z_k`` is bounded by a linear function of the
input: the relaxations of :mod:`.relax` replace every activation below layer
``k`` by a line (the lower line where the running coefficient is positive,
the upper line where it is negative, for a lower bound), substituting layer by
layer down to the input, where the linear function is minimised over the box
exactly (``Λ+ lo + Λ- hi``). Upper bounds are lower bounds of ``-z``. The same
backward pass bounds a *specification* ``S y`` (rows of output constraints)
directly, which is tighter than combining bounds of ``y``.

The bounds are intersected with interval bounds, and fixed phases (a partial
pattern) clip every layer before its relaxation is chosen (see
:func:`_fixed_relaxation`). The linear bounds are minimised over the whole box,
where a fixed phase need not hold, so an individual bound can come out looser
than without the pattern; :func:`relucid.bounds.bounds` intersects the two.
All arrays carry a leading batch axis B (one box each).

``xp`` is the array module: ``numpy`` by default, or ``torch`` (tensors on
any device) through :func:`relucid.bounds.torch_backend`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..phases import FREE, ON
from ..network import Network
from ._phases import apply_phases
from ._xp import image, like, namespace, nonzero, zeros_bool
from .relax import relaxation

__all__ = ["DeepPolyBounds", "deeppoly_bounds"]


@dataclass
class DeepPolyBounds:
    """Output of :func:`deeppoly_bounds`.

    Attributes
    ----------
    layers : list of (L, U)
        Pre-activation bounds per layer, each (B, n_layer).
    infeasible : (B,) bool
        Boxes in which the fixed phases cannot all hold.
    spec_lower : (B, m) or None
        Lower bounds of ``S y + s`` when a spec was given.
    spec_coef, spec_const : (B, m, n_in), (B, m) or None
        The linear lower bound ``spec_coef @ x + spec_const <= S y + s`` on the box.
    cuts : (coef (B, c, n_in), const (B, c)) or None
        With ``cuts=True``: ``coef @ x + const <= 0`` holds for every input of
        the box that follows the fixed phases.
    """

    layers: list
    infeasible: np.ndarray
    spec_lower: np.ndarray | None = None
    spec_coef: np.ndarray | None = None
    spec_const: np.ndarray | None = None
    cuts: tuple | None = None
    plain_coef: np.ndarray | None = None


def deeppoly_bounds(
    net: Network,
    lo,
    hi,
    phases: dict | None = None,
    spec=None,
    *,
    concretize=None,
    cuts: bool = False,
    optimize: int = 0,
) -> DeepPolyBounds:
    """DeepPoly/CROWN bounds of every pre-activation (and of a spec) over boxes.

    Parameters
    ----------
    net : Network
    lo, hi : arrays (B, n_in)
        One input box per batch row.
    phases : dict layer -> int8 array (n,) or (B, n), optional
        Fixed phases (1 on, 0 off, -1 free).
    spec : (S, s), optional
        ``S`` of shape (m, n_out), ``s`` of shape (m,): also bound ``S y + s``.
    concretize : callable(Lam, const) -> (B, m), optional
        Minimise ``Lam @ x + const`` over the input set; default: over the box.
        Pass an exact LP for a polyhedral input set.
    cuts : bool
        Also return, for every fixed neuron whose interval bounds straddle 0,
        a linear inequality on the input that its phase implies: with the
        linear bounds ``lo(x) <= z <= up(x)``, "off" (``z <= 0``) implies
        ``lo(x) <= 0`` and "on" (``z >= 0``) implies ``-up(x) <= 0``.
        Fixed neurons are then back-substituted too (tighter bounds, and
        more patterns found infeasible).
    optimize : int
        Gradient steps of α-CROWN slope optimisation for the spec bound
        (numpy, box input sets; 0: plain DeepPoly/CROWN slopes).
    """
    phases = phases or {}
    xp = namespace(lo)
    if xp is np:
        lo = np.asarray(lo, dtype=np.float64)
        hi = np.asarray(hi, dtype=np.float64)
    B = lo.shape[0]
    custom_concretize = concretize is not None
    if concretize is None:
        def concretize(Lam, const):
            return const + (Lam.clip(min=0) * lo[:, None, :]).sum(axis=-1) + (Lam.clip(max=0) * hi[:, None, :]).sum(axis=-1)

    weights = [(like(xp, layer.weight, lo), like(xp, layer.bias, lo)) for layer in net.layers]
    layers, relax = [], []
    infeasible = zeros_bool(xp, B, lo)
    ilo, ihi = lo, hi  # interval bounds of the current layer's input
    cut_coef, cut_const = [], []
    for k, layer in enumerate(net.layers):
        W, b = weights[k]
        Wp, Wn = W.clip(min=0), W.clip(max=0)
        L = ilo @ Wp.T + ihi @ Wn.T + b
        U = ihi @ Wp.T + ilo @ Wn.T + b
        phase = phases.get(k)
        fixed = None
        if cuts and phase is not None:
            ph = like(xp, phase, L)
            fixed = nonzero(xp, ((ph != FREE) & ((L < 0) & (U > 0))).any(axis=0))
        if k == 0 and fixed is not None and fixed.shape[0]:
            sign = xp.where(ph[fixed] == ON, -1.0 * xp.ones_like(b[fixed]), xp.ones_like(b[fixed]))
            cut_coef.append(xp.broadcast_to((sign[:, None] * W[fixed])[None], (B, fixed.shape[0], W.shape[1])))
            cut_const.append(xp.broadcast_to((sign * b[fixed])[None], (B, fixed.shape[0])))
        if k > 0:
            # Only neurons that interval bounds leave unstable (in some box)
            # can gain from back-substitution; the rest are exact already.
            rows = _needs_backsub(xp, layer, L, U, None if fixed is not None else phase)
            if rows.shape[0]:
                Wr, br, n = W[rows], b[rows], rows.shape[0]
                Lam = xp.broadcast_to(xp.concatenate([Wr, -Wr])[None], (B, 2 * n, W.shape[1]))
                const = xp.broadcast_to(xp.concatenate([br, -br])[None], (B, 2 * n))
                lower, Lam_in, const_in = back_substitute(weights, relax, k - 1, Lam, const, concretize)
                L[:, rows] = xp.maximum(L[:, rows], lower[:, :n])
                U[:, rows] = xp.minimum(U[:, rows], -lower[:, n:])
                if fixed is not None:
                    ph_rows = ph[rows]
                    pick_on = nonzero(xp, ph_rows == 1)
                    pick_off = nonzero(xp, ph_rows == 0)
                    cut_coef += [Lam_in[:, n + pick_on], Lam_in[:, pick_off]]
                    cut_const += [const_in[:, n + pick_on], const_in[:, pick_off]]
        L_free, U_free = L, U
        L, U, bad = apply_phases(L, U, phases.get(k))
        infeasible |= bad
        layers.append((L, U))
        relax.append(_fixed_relaxation(xp, layer, L, U, L_free, U_free, phases.get(k)))
        ilo, ihi = image(xp, layer.activation, layer.alpha, L, xp.maximum(L, U))
    out = DeepPolyBounds(layers=layers, infeasible=infeasible)
    if cuts:
        n_in = lo.shape[1]
        out.cuts = (xp.concatenate(cut_coef, axis=1) if cut_coef else xp.zeros((B, 0, n_in), dtype=lo.dtype),
                    xp.concatenate(cut_const, axis=1) if cut_const else xp.zeros((B, 0), dtype=lo.dtype))
    if spec is not None:
        S, s = spec
        S = like(xp, np.asarray(S, dtype=np.float64), lo)
        s = like(xp, np.asarray(s, dtype=np.float64), lo)
        Lam = xp.broadcast_to(S[None], (B,) + tuple(S.shape))
        const = xp.broadcast_to(s[None], (B, S.shape[0]))
        out.spec_lower, out.spec_coef, out.spec_const = back_substitute(weights, relax, len(net.layers) - 1, Lam, const, concretize)
        if optimize and xp is np and not custom_concretize:
            _optimize_spec(net, weights, relax, layers, Lam, const, lo, hi, out, optimize)
    return out


def _optimize_spec(net, weights, relax, layers, Lam0, const0, lo, hi, out, iters: int) -> None:
    """α-CROWN for the spec: tune the lower-line slopes of unstable neurons by gradient ascent.

    Any slope in ``[s, 1]`` gives a valid lower line for a convex relu/leaky
    neuron, so every iterate's bound is valid and the best one per spec row
    and box is kept (``out`` is updated in place). Slopes are per spec row
    (each row is its own minimisation); intermediate bounds stay as they
    are. The gradient is one reverse pass through the back-substitution
    (the sign pattern of the coefficients is held fixed, as in α-CROWN).
    """
    top = len(net.layers) - 1
    alpha, mask, floor = {}, {}, {}
    for j in range(top + 1):
        layer = net.layers[j]
        L, U = layers[j]
        if layer.activation not in ("relu", "leaky_relu") or (layer.alpha or 0.0) > 1.0:
            continue
        unstable = (L < 0) & (U > 0)
        if not unstable.any():
            continue
        alpha[j] = np.broadcast_to(relax[j][0][:, None, :], Lam0.shape[:2] + (L.shape[1],)).copy()
        mask[j] = np.broadcast_to(unstable[:, None, :], alpha[j].shape)
        floor[j] = layer.off_slope
    if not alpha:
        return
    best = out.spec_lower.copy()
    best_coef, best_const = out.spec_coef.copy(), out.spec_const.copy()
    lr = 0.5
    for _ in range(iters):
        bound, Lam_in, const_in, grads = _spec_pass(weights, relax, top, Lam0, const0, lo, hi, alpha)
        better = bound > best
        best = np.where(better, bound, best)
        best_coef = np.where(better[:, :, None], Lam_in, best_coef)
        best_const = np.where(better, const_in, best_const)
        for j in alpha:
            step = lr * np.sign(grads[j])
            alpha[j] = np.where(mask[j], np.clip(alpha[j] + step, floor[j], 1.0), alpha[j])
        lr *= 0.7
    out.plain_coef = out.spec_coef
    out.spec_lower, out.spec_coef, out.spec_const = best, best_coef, best_const


def _spec_pass(weights, relax, top, Lam, const, lo, hi, alpha):
    """Back-substitution with per-row lower slopes ``alpha``; returns the bound and its gradient in alpha."""
    tape = []
    for j in range(top, -1, -1):
        ls, li, us, ui = relax[j]
        pos = Lam > 0
        low = alpha[j] if j in alpha else ls[:, None, :]
        slope = np.where(pos, low, us[:, None, :])
        inter = np.where(pos, li[:, None, :], ui[:, None, :])
        const = const + (Lam * inter).sum(axis=-1)
        Lz = Lam * slope
        W, b = weights[j]
        const = const + Lz @ b
        tape.append((j, pos, Lam, slope, inter))
        Bm = Lz.shape[0] * Lz.shape[1]
        Lam = (Lz.reshape(Bm, -1) @ W).reshape(Lz.shape[0], Lz.shape[1], -1)
    bound = const + (Lam.clip(min=0) * lo[:, None, :]).sum(axis=-1) + (Lam.clip(max=0) * hi[:, None, :]).sum(axis=-1)
    G = np.where(Lam > 0, lo[:, None, :], hi[:, None, :])  # d bound / d Lam
    grads = {}
    for j, pos, Lam_j, slope, inter in reversed(tape):
        W, b = weights[j]
        dLz = G @ W.T + b  # d bound / d Lz
        if j in alpha:
            grads[j] = np.where(pos, dLz * Lam_j, 0.0)
        G = dLz * slope + inter
    return bound, Lam, const, grads


def _fixed_relaxation(xp, layer, L, U, L_free, U_free, phase):
    """Relaxation lines of one layer, fixed phases included.

    A fixed neuron's output is exactly linear on the set being bounded
    (``z`` when on, ``s z`` when off): that line replaces the chord (the upper
    line of a convex activation, the lower one of a concave one). The other
    side keeps the line a free neuron would get from the unclipped bounds; it
    is valid everywhere, and, unlike the exact line, also off the set, where
    the back-substituted bound is still minimised.
    """
    clipped = relaxation(layer.activation, L, U, layer.alpha, xp)
    if phase is None or layer.activation not in ("relu", "leaky_relu"):
        return clipped
    free = relaxation(layer.activation, L_free, U_free, layer.alpha, xp)
    fixed = like(xp, phase, L) != FREE
    convex = layer.activation == "relu" or layer.alpha <= 1.0
    keep = (0, 1) if convex else (2, 3)  # the side that keeps the free line
    return tuple(xp.where(fixed, free[i], clipped[i]) if i in keep else clipped[i] for i in range(4))


def _needs_backsub(xp, layer, L, U, phase):
    """Indices of neurons whose relaxation would change with tighter bounds."""
    if layer.activation not in ("relu", "leaky_relu"):
        # identity (usually the output layer), sigmoid, tanh: every bound matters.
        return nonzero(xp, xp.ones_like(L[0]) > 0)
    unstable = (L < 0) & (U > 0)
    if phase is not None:
        unstable = unstable & (like(xp, phase, L) == FREE)
    return nonzero(xp, unstable.any(axis=0))


def back_substitute(weights: list, relax: list, top: int, Lam, const, concretize):
    """Lower-bound ``Lam @ a_top + const`` by substituting down to the input.

    Returns ``(lower, Lam_in, const_in)``: the bound (B, m) and the linear
    function of the input it minimised.
    """
    xp = namespace(Lam)
    for j in range(top, -1, -1):
        ls, li, us, ui = relax[j]
        # a >= ls z + li where the coefficient is positive, a <= us z + ui where
        # negative: Lz = Lam*ls + min(Lam, 0)*(us - ls), and likewise for the
        # constants. Only columns where the two lines differ need min(Lam, 0).
        Lz = Lam * ls[:, None, :]
        const = const + (Lam @ li[:, :, None])[..., 0]
        cols = nonzero(xp, ((us != ls) | (ui != li)).any(axis=0))
        if cols.shape[0]:
            Ln = Lam[:, :, cols].clip(max=0)
            Lz[:, :, cols] += Ln * (us - ls)[:, None, cols]
            const = const + (Ln @ (ui - li)[:, cols, None])[..., 0]
        W, b = weights[j]
        const = const + Lz @ b
        Bm = Lz.shape[0] * Lz.shape[1]
        Lam = (Lz.reshape(Bm, -1) @ W).reshape(Lz.shape[0], Lz.shape[1], -1)
    return concretize(Lam, const), Lam, const
