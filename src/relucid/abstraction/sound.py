"""A sound proof lifting: Theorem 1's error recursion with ε bounded over the input box.

For every input ``x'`` of a box, write (hidden layer ``k``, original neuron
``i`` with representative ``r``):

* ``h'_i``: the pre-activation of ``i`` in the *partly abstracted* network
  (layers below ``k`` merged, ``k`` not): ``W[i,:] · expand(z̃^(k-1)) + b_i``;
* ``d_i = h'_i - h̃_r``: neuron minus representative, both functions of the
  abstract layer ``k - 1`` — a linear function of its activations, bounded
  over the box by back-substitution through the *abstract* network's
  DeepPoly relaxations (exactly, for ``k = 0``);
* ``η_i = relu(h'_i) - z̃_r``: the paper's ε, but over the whole box;
* ``Δ_i = h_i - h'_i = W[i,:] · e^(k-1)`` and ``ζ_i = relu(h'_i + Δ_i) - relu(h'_i)``;
* ``e_i = z_i - z̃_r = ζ_i + η_i``: the error of the original against the
  abstract network, kept as a signed interval per original neuron.

relu differences are enclosed by intervals (:func:`relu_difference`) and by
lines in ``Δ`` (:func:`relu_difference_lines`); both use that relu is
monotone and 1-Lipschitz and are exact for stable neurons. ``Δ`` of every
layer is bounded by substituting those lines down to the input, where the
error is 0 — DeepPoly's back-substitution applied to the error (interval
propagation alone widens the error about 3.5× per layer on the MNIST 6x100
network and lifted no proof there at ε = 0.005). The output layer gives ``y - ỹ = W_out e``, so
the original's margin ``y_c - y_j`` is at least DeepPoly's bound on the
abstract margin plus the minimum of ``(W_c - W_j) · e``. Every step is an
enclosure valid for every input of the box, so "proved" is never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..bounds.deeppoly import back_substitute
from ..bounds.relax import relaxation
from ..network import Network
from ._checks import check_box, check_classifier
from .margins import robustness_margins
from .merge import Abstraction

__all__ = ["SoundLift", "lift_sound", "relu_difference", "relu_difference_lines"]

#: Boxes per DeepPoly pass (memory: rows × boxes × inputs floats per pass).
CHUNK = 16


@dataclass(frozen=True, eq=False)
class SoundLift:
    """Result of :func:`lift_sound` on a batch of B boxes.

    Attributes
    ----------
    proved : (B,) bool
        The original network keeps the label on the whole box (sound).
    margin : (B, n_out)
        Lower bounds of ``y_label - y_j`` for the original network (+inf at the label).
    abstract_margin : (B, n_out)
        DeepPoly's lower bounds of the same margins on the abstract network.
    error : list of (lower, upper)
        Per hidden layer, (B, width) bounds of ``z_i - z̃_rep(i)`` over the box
        (original coordinates).
    eps_box : list of (lower, upper)
        Per hidden layer, (B, width) bounds of ``η_i = relu(h'_i) - z̃_rep(i)``:
        the neuron-to-representative distance over the box.
    """

    proved: np.ndarray
    margin: np.ndarray
    abstract_margin: np.ndarray
    error: list
    eps_box: list


def relu_difference(a_lo, a_hi, t_lo, t_hi, b_lo=None, b_hi=None):
    """Bounds of ``relu(a + t) - relu(a)`` for ``a`` in ``[a_lo, a_hi]``, ``t`` in ``[t_lo, t_hi]``.

    ``b_lo, b_hi`` optionally bound ``a + t`` more tightly than
    ``a_lo + t_lo, a_hi + t_hi``. The result is the intersection of three
    enclosures: ``[min(0, t_lo), max(0, t_hi)]`` (relu is monotone and
    1-Lipschitz), ``[relu(b_lo) - relu(a_hi), relu(b_hi) - relu(a_lo)]``, and
    ``[t_lo, t_hi]`` where both ``a`` and ``a + t`` are stably ``>= 0``.
    """
    if b_lo is None:
        b_lo, b_hi = a_lo + t_lo, a_hi + t_hi
    lo = np.maximum(np.minimum(0.0, t_lo), np.maximum(b_lo, 0.0) - np.maximum(a_hi, 0.0))
    hi = np.minimum(np.maximum(0.0, t_hi), np.maximum(b_hi, 0.0) - np.maximum(a_lo, 0.0))
    both_on = (a_lo >= 0) & (b_lo >= 0)
    lo = np.where(both_on, np.maximum(lo, t_lo), lo)
    hi = np.where(both_on, np.minimum(hi, t_hi), hi)
    return np.minimum(lo, hi), np.maximum(lo, hi)  # crossed only by rounding


def lift_sound(abstraction: Abstraction, lo, hi, labels, *, symbolic: bool = True) -> SoundLift:
    """Prove the *original* network robust on boxes using only abstract-size bound computations.

    Parameters
    ----------
    abstraction : Abstraction
    lo, hi : arrays (B, n_in) (or (n_in,))
        Input boxes.
    labels : int or int array (B,)
        The class each box must keep.
    symbolic : bool
        Bound ``Δ`` by back-substitution (default). ``False``: interval
        propagation of the error only — faster, much looser on deep networks.

    Returns
    -------
    SoundLift

    Notes
    -----
    Cost: one DeepPoly pass on the abstract network per label; per hidden
    layer, one back-substitution through the abstract layers below it with
    two rows per merged neuron (the gaps ``d``) and one through the original
    weights with two rows per neuron (``Δ``). The last dominates: on the
    MNIST 6x300 network the lifting took about twice as long as DeepPoly on
    the original (``benchmarks/results/abstraction.md``).
    """
    check_classifier(abstraction.original, "lift_sound")
    lo, hi = check_box(abstraction.original, lo, hi, "lift_sound")
    labels = np.broadcast_to(np.asarray(labels, dtype=np.int64), (lo.shape[0],))
    parts = [_lift_chunk(abstraction, lo[s : s + CHUNK], hi[s : s + CHUNK], labels[s : s + CHUNK], symbolic)
             for s in range(0, lo.shape[0], CHUNK)]
    return SoundLift(
        proved=np.concatenate([p.proved for p in parts]),
        margin=np.concatenate([p.margin for p in parts]),
        abstract_margin=np.concatenate([p.abstract_margin for p in parts]),
        error=_join([p.error for p in parts]),
        eps_box=_join([p.eps_box for p in parts]),
    )


def _join(per_chunk: list) -> list:
    """Per-layer (lower, upper) pairs of several chunks of boxes, concatenated along the boxes."""
    return [tuple(np.concatenate([c[k][j] for c in per_chunk]) for j in (0, 1)) for k in range(len(per_chunk[0]))]


def _lift_chunk(abstraction: Abstraction, lo, hi, labels, symbolic: bool) -> SoundLift:
    net, anet = abstraction.original, abstraction.network
    B = lo.shape[0]
    abs_margin, abs_layers = robustness_margins(anet, lo, hi, labels)
    e_lo = e_hi = np.zeros((B, net.input_dim))
    errors, etas, lines = [], [], []
    for k in range(len(abstraction.mapping)):
        W = net.layers[k].weight
        m = abstraction.mapping[k]
        # Δ = h - h' = W e^(k-1)
        Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
        D_lo = e_lo @ Wp.T + e_hi @ Wn.T
        D_hi = e_hi @ Wp.T + e_lo @ Wn.T
        if symbolic and k > 0:
            both = _backsubstitute(net, np.vstack([W, -W]), k - 1, etas, lines)
            D_lo = np.maximum(D_lo, both[:, : W.shape[0]])
            D_hi = np.minimum(D_hi, -both[:, W.shape[0]:])
            D_lo, D_hi = np.minimum(D_lo, D_hi), np.maximum(D_lo, D_hi)
        # h̃ of each neuron's representative, and d = h' - h̃_rep
        Lt, Ut = abs_layers[k][0][:, m], abs_layers[k][1][:, m]
        d_lo, d_hi = _representative_gap(abstraction, k, lo, hi, abs_layers)
        eta_lo, eta_hi = relu_difference(Lt, Ut, d_lo, d_hi)
        Lp, Up = Lt + d_lo, Ut + d_hi  # h'
        zeta_lo, zeta_hi = relu_difference(Lp, Up, D_lo, D_hi)
        # e = z - z̃_rep = ζ + η, also inside [relu(h)_lo - z̃_hi, relu(h)_hi - z̃_lo]
        z_lo, z_hi = np.maximum(Lp + D_lo, 0.0), np.maximum(Up + D_hi, 0.0)
        a_lo, a_hi = np.maximum(Lt, 0.0), np.maximum(Ut, 0.0)
        e_lo = np.maximum(zeta_lo + eta_lo, z_lo - a_hi)
        e_hi = np.minimum(zeta_hi + eta_hi, z_hi - a_lo)
        e_lo, e_hi = np.minimum(e_lo, e_hi), np.maximum(e_lo, e_hi)  # crossed only by rounding
        errors.append((e_lo, e_hi))
        etas.append((eta_lo, eta_hi))
        lines.append(relu_difference_lines(Lp, Up, D_lo, D_hi))
    W_out = net.layers[-1].weight
    margin = np.full_like(abs_margin, np.inf)
    top = len(abstraction.mapping) - 1
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        others = np.arange(net.output_dim) != c
        R = (W_out[c][None, :] - W_out)[others]  # rows (W_c - W_j)
        boxed = e_lo[idx] @ np.maximum(R, 0.0).T + e_hi[idx] @ np.minimum(R, 0.0).T
        sub = [(lo_[idx], hi_[idx]) for lo_, hi_ in etas]
        sub_lines = [tuple(v[idx] for v in ln) for ln in lines]
        sym = _backsubstitute(net, R, top, sub, sub_lines)
        margin[np.ix_(idx, np.flatnonzero(others))] = abs_margin[np.ix_(idx, np.flatnonzero(others))] + np.maximum(boxed, sym)
    proved = (margin > 0).all(axis=1)
    return SoundLift(proved=proved, margin=margin, abstract_margin=abs_margin, error=errors, eps_box=etas)


def relu_difference_lines(h_lo, h_hi, t_lo, t_hi):
    """Lines in ``t`` around ``f = relu(h + t) - relu(h)`` for ``h`` in ``[h_lo, h_hi]``, ``t`` in ``[t_lo, t_hi]``.

    Returns ``(lower slope, lower intercept, upper slope, upper intercept)``,
    each shaped like the inputs: ``ls t + li <= f <= us t + ui``. By cases of
    ``h``: stably off (``f = relu(h + t)``, between 0 and the chord of
    ``max(0, h_hi + t)``), stably on (``f = max(-h, t)``, between ``t`` and
    the chord of ``max(-h_lo, t)``), else between the chords of ``min(0, t)``
    and ``max(0, t)``; chords are over ``[t_lo, t_hi]``.
    """
    width = np.maximum(t_hi - t_lo, 1e-300)

    def chord_of_max(c):  # upper line of max(c, t) on [t_lo, t_hi]: (slope, intercept)
        slope = np.clip((t_hi - c) / width, 0.0, 1.0)
        slope = np.where(t_hi <= c, 0.0, np.where(t_lo >= c, 1.0, slope))
        icpt = np.where(t_hi <= c, c, np.where(t_lo >= c, 0.0, c - slope * t_lo))
        return slope, icpt

    zero = np.zeros_like(h_lo)
    off, on = h_hi <= 0, h_lo >= 0
    # stably off: f = relu(h + t) <= max(0, h_hi + t) = h_hi + max(-h_hi, t)
    s_off, i_off = chord_of_max(-h_hi)
    i_off = i_off + h_hi
    # stably on: f = max(-h, t) <= max(-h_lo, t)
    s_on, i_on = chord_of_max(-h_lo)
    # unstable: min(0, t) <= f <= max(0, t)
    s_up, i_up = chord_of_max(zero)
    s_dn = np.where(t_lo >= 0, 0.0, np.where(t_hi <= 0, 1.0, np.clip(-t_lo / width, 0.0, 1.0)))
    i_dn = np.where((t_lo < 0) & (t_hi > 0), -s_dn * t_hi, 0.0)
    ls = np.where(off, 0.0, np.where(on, 1.0, s_dn))
    li = np.where(off | on, 0.0, i_dn)
    us = np.where(off, s_off, np.where(on, s_on, s_up))
    ui = np.where(off, i_off, np.where(on, i_on, i_up))
    return ls, li, us, ui


def _backsubstitute(net: Network, R: np.ndarray, top: int, etas: list, lines: list) -> np.ndarray:
    """Lower bounds (B, rows) of ``R e^(top)`` over every box.

    ``R`` is (rows, width). ``e^(k) = ζ^(k) + η^(k)``: η is bounded by its
    interval, ζ by the lines of :func:`relu_difference_lines` in
    ``Δ^(k) = W_k e^(k-1)``, substituted down to the input, where the error is 0:
    DeepPoly's back-substitution with η folded into the lines' intercepts and
    no biases (the error of an affine map is the map of the error).
    """
    B = etas[0][0].shape[0]
    relax = [(ls, eta_lo + li, us, eta_hi + ui) for (ls, li, us, ui), (eta_lo, eta_hi) in zip(lines, etas)]
    weights = [(layer.weight, np.zeros(layer.out_dim)) for layer in net.layers]
    lower, _, _ = back_substitute(weights, relax, top, np.broadcast_to(R, (B,) + R.shape), np.zeros((B, R.shape[0])),
                            lambda Lam, const: const)
    return lower


def _box_min(Lam: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``min Lam[b] @ x`` over the box ``[lo[b], hi[b]]``, for every box: (B, rows)."""
    return (np.maximum(Lam, 0.0) @ lo[:, :, None] + np.minimum(Lam, 0.0) @ hi[:, :, None])[..., 0]


def _representative_gap(abstraction: Abstraction, k: int, lo, hi, abs_layers: list):
    """Bounds (B, width) of ``d_i = h'_i - h̃_rep(i)`` over the boxes (0 for representatives).

    ``d`` is linear in the abstract layer ``k - 1``'s activations; it is
    bounded by back-substitution through the abstract network's DeepPoly
    relaxations (``abs_layers``: its pre-activation bounds), exactly for ``k = 0``.
    """
    net, anet = abstraction.original, abstraction.network
    B = lo.shape[0]
    m = abstraction.mapping[k]
    width = len(m)
    rep = abstraction.kept[k][m]
    merged = np.flatnonzero(rep != np.arange(width))
    d_lo, d_hi = np.zeros((B, width)), np.zeros((B, width))
    if not merged.size:
        return d_lo, d_hi
    W, b = net.layers[k].weight, net.layers[k].bias
    if k > 0:  # rows over the abstract layer k-1: W[i,:] @ P, P the 0/1 expansion of layer k-1
        prev = abstraction.mapping[k - 1]
        P = np.zeros((len(prev), len(abstraction.kept[k - 1])))
        P[np.arange(len(prev)), prev] = 1.0
        W = W @ P
    S = np.vstack([W[merged] - W[rep[merged]], W[rep[merged]] - W[merged]])
    const = np.broadcast_to(np.concatenate([b[merged] - b[rep[merged]], b[rep[merged]] - b[merged]]), (B, 2 * len(merged)))
    layers = anet.layers[:k]
    relax = [relaxation(layer.activation, abs_layers[j][0], abs_layers[j][1], layer.alpha) for j, layer in enumerate(layers)]
    lower, _, _ = back_substitute([(layer.weight, layer.bias) for layer in layers], relax, k - 1,
                            np.broadcast_to(S, (B,) + S.shape), const, lambda Lam, c: c + _box_min(Lam, lo, hi))
    n = len(merged)
    d_lo[:, merged] = lower[:, :n]
    d_hi[:, merged] = -lower[:, n:]
    return d_lo, d_hi
