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
pattern) clip every layer before its relaxation is chosen, so a pattern can
only tighten them. All arrays carry a leading batch axis B (one box each).

``xp`` is the array module: ``numpy`` by default, or ``torch`` (tensors on
any device) through :func:`relucid.bounds.torch_backend`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import Network
from ._phases import apply_phases
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
    """

    layers: list
    infeasible: np.ndarray
    spec_lower: np.ndarray | None = None
    spec_coef: np.ndarray | None = None
    spec_const: np.ndarray | None = None


def deeppoly_bounds(
    net: Network,
    lo,
    hi,
    phases: dict | None = None,
    spec=None,
    *,
    concretize=None,
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
    """
    phases = phases or {}
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    B = lo.shape[0]
    if concretize is None:
        def concretize(Lam, const):
            return const + (Lam.clip(min=0) * lo[:, None, :]).sum(-1) + (Lam.clip(max=0) * hi[:, None, :]).sum(-1)

    layers, relax = [], []
    infeasible = np.zeros(B, dtype=bool)
    ilo, ihi = lo, hi  # interval bounds of the current layer's input
    for k, layer in enumerate(net.layers):
        W, b = layer.weight, layer.bias
        Wp, Wn = W.clip(min=0), W.clip(max=0)
        L = ilo @ Wp.T + ihi @ Wn.T + b
        U = ihi @ Wp.T + ilo @ Wn.T + b
        if k > 0:
            # Only neurons that interval bounds leave unstable (in some box)
            # can gain from back-substitution; the rest are exact already.
            rows = _needs_backsub(layer, L, U, phases.get(k))
            if rows.size:
                Wr, br, n = W[rows], b[rows], rows.size
                Lam = np.broadcast_to(np.concatenate([Wr, -Wr])[None], (B, 2 * n, W.shape[1]))
                const = np.broadcast_to(np.concatenate([br, -br])[None], (B, 2 * n))
                lower = _backward(net, relax, k - 1, Lam, const, concretize)[0]
                L[:, rows] = np.maximum(L[:, rows], lower[:, :n])
                U[:, rows] = np.minimum(U[:, rows], -lower[:, n:])
        L, U, bad = apply_phases(L, U, phases.get(k))
        infeasible |= bad
        layers.append((L, U))
        relax.append(relaxation(layer.activation, L, U, layer.alpha))
        ilo, ihi = layer.activate(L), layer.activate(np.maximum(L, U))
    out = DeepPolyBounds(layers=layers, infeasible=infeasible)
    if spec is not None:
        S, s = spec
        S = np.asarray(S, dtype=np.float64)
        s = np.asarray(s, dtype=np.float64)
        Lam = np.broadcast_to(S[None], (B,) + S.shape)
        const = np.broadcast_to(s[None], (B, S.shape[0]))
        out.spec_lower, out.spec_coef, out.spec_const = _backward(net, relax, len(net.layers) - 1, Lam, const, concretize)
    return out


def _needs_backsub(layer, L, U, phase) -> np.ndarray:
    """Indices of neurons whose relaxation would change with tighter bounds."""
    if layer.activation == "identity":
        # Only the output layer is usually identity; its bounds matter as they are.
        return np.arange(L.shape[1])
    if layer.activation in ("sigmoid", "tanh"):
        return np.arange(L.shape[1])
    unstable = (L < 0) & (U > 0)
    if phase is not None:
        unstable &= np.broadcast_to(phase < 0, unstable.shape)
    return np.flatnonzero(unstable.any(axis=0))


def _backward(net: Network, relax: list, top: int, Lam, const, concretize):
    """Lower-bound ``Lam @ a_top + const`` by substituting down to the input.

    Returns ``(lower, Lam_in, const_in)``: the bound (B, m) and the linear
    function of the input it minimised.
    """
    for j in range(top, -1, -1):
        ls, li, us, ui = relax[j]
        Lp, Ln = Lam.clip(min=0), Lam.clip(max=0)
        const = const + (Lp * li[:, None, :]).sum(-1) + (Ln * ui[:, None, :]).sum(-1)
        Lz = Lp * ls[:, None, :] + Ln * us[:, None, :]
        layer = net.layers[j]
        const = const + Lz @ layer.bias
        Bm = Lz.shape[0] * Lz.shape[1]
        Lam = (Lz.reshape(Bm, -1) @ layer.weight).reshape(Lz.shape[0], Lz.shape[1], -1)
    return concretize(Lam, const), Lam, const
