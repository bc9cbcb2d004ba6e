"""Padding and pooling as exact maps, shared by the ONNX and torch importers.

Pad, AveragePool and GlobalAveragePool are linear: each output entry is a
fixed combination of a few input entries, so they are applied to the pending
:class:`~._affine.Affine` as a sparse matrix (:meth:`~._affine.Affine.linear_map`).

Max pooling is piecewise linear but not affine. :func:`fold_max` writes it
with ReLUs, exactly, so that every analysis (patterns, regions, bounds, the
MILP) sees an ordinary ReLU network. For one window it is a tournament::

    max(a, b) = b + relu(a - b)

Each round pairs up the window's remaining values and is one ReLU layer with,
per pair, the difference neuron ``relu(a - b)`` and the neurons that carry
``b`` across the layer: ``relu(b)`` alone when ``b >= 0`` is known (it is the
output of a ReLU, or a max of such), else ``relu(b)`` and ``relu(-b)``
(``b = relu(b) - relu(-b)``). An odd value out is carried the same way. A
window of K values takes ``ceil(log2 K)`` layers; with values known to be
``>= 0`` (the usual Conv -> Relu -> MaxPool) it adds ``2K - 2`` neurons when K
is a power of two (K/2 differences and K/2 carries in the first round, then
half as many each round), up to twice as many carries otherwise. Neurons
shared by overlapping windows (the same pair or the same carried value) are
built once.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.sparse as sps

from ..errors import ShapeError, UnsupportedOperatorError
from ._affine import Affine, check_size

__all__ = ["average_matrix", "fold_max", "pad_indices", "pool_output_shape", "same_pads", "take", "window_indices"]


def same_pads(spatial, kernel, strides, *, upper: bool) -> list[int]:
    """ONNX ``auto_pad=SAME_UPPER`` / ``SAME_LOWER`` pads (begins, then ends) for a (dilated) kernel."""
    k = len(spatial)
    pads = [0] * (2 * k)
    for i in range(k):
        total = max(0, (-(-spatial[i] // strides[i]) - 1) * strides[i] + kernel[i] - spatial[i])
        small, big = total // 2, total - total // 2
        pads[i], pads[k + i] = (small, big) if upper else (big, small)
    return pads


def pool_output_shape(spatial, kernel, strides, pads) -> tuple[int, ...]:
    """Spatial output shape of a pooling window (floor mode); refuses a kernel larger than the padded input."""
    k = len(kernel)
    out = []
    for i in range(k):
        size = spatial[i] + pads[i] + pads[k + i] - kernel[i]
        if size < 0:
            raise ShapeError(
                f"kernel {tuple(kernel)} is larger than the padded input: spatial shape {tuple(spatial)} "
                f"with pads {list(pads)}"
            )
        out.append(size // strides[i] + 1)
    return tuple(out)


def window_indices(shape, kernel, strides, pads, *, limit: int) -> np.ndarray:
    """Flat indices into a tensor of ``shape`` of each pooling window over its last ``len(kernel)`` axes.

    Returns an int array of shape (*shape[:-k], *spatial_out, K), K = prod(kernel),
    with -1 where a window covers padding. Pads must be smaller than the kernel
    (as onnxruntime and torch require), so every window holds an input entry.
    """
    k = len(kernel)
    lead, spatial = tuple(shape[:-k]), tuple(shape[-k:])
    for i in range(k):
        if not (pads[i] < kernel[i] and pads[k + i] < kernel[i]):
            raise ShapeError(f"pads {list(pads)} must be smaller than the kernel {tuple(kernel)} on every axis")
    out = pool_output_shape(spatial, kernel, strides, pads)
    K = math.prod(kernel)
    check_size(K, (*lead, *out), limit=limit, what=f"the pooling windows of kernel {tuple(kernel)}")
    padded_shape = (*lead, *(spatial[i] + pads[i] + pads[k + i] for i in range(k)))
    check_size(1, padded_shape, limit=limit, what=f"the padded input of pooling with pads {list(pads)}")
    idx = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
    padded = np.pad(idx, [(0, 0)] * len(lead) + [(pads[i], pads[k + i]) for i in range(k)], constant_values=-1)
    cols = []
    for offset in itertools.product(*(range(s) for s in kernel)):
        window = tuple(slice(offset[i], offset[i] + strides[i] * (out[i] - 1) + 1, strides[i]) for i in range(k))
        cols.append(padded[(Ellipsis, *window)])
    return np.stack(cols, axis=-1)


def average_matrix(windows: np.ndarray, size: int, *, count_include_pad: bool) -> sps.csr_array:
    """Sparse (m, size) matrix of window means; ``windows`` (m, K) as from :func:`window_indices`."""
    windows = windows.reshape(-1, windows.shape[-1])
    valid = windows >= 0
    count = np.full(len(windows), windows.shape[1]) if count_include_pad else valid.sum(axis=1)
    rows = np.broadcast_to(np.arange(len(windows))[:, None], windows.shape)[valid]
    weights = np.broadcast_to((1.0 / count)[:, None], windows.shape)[valid]
    return sps.csr_array((weights, (rows, windows[valid])), shape=(len(windows), size))


def pad_indices(shape, begins, ends, mode: str, *, limit: int) -> np.ndarray:
    """Flat indices into a tensor of ``shape`` of each entry of it padded (-1: the constant).

    ``mode`` is ``"constant"``, ``"reflect"`` or ``"edge"`` (numpy's and ONNX's
    meaning); negative pads crop.
    """
    out = tuple(int(d + b + e) for d, b, e in zip(shape, begins, ends))
    if min(out, default=1) < 0:
        raise ShapeError(f"pads {list(begins) + list(ends)} crop more than the shape {tuple(shape)} holds")
    check_size(1, out, limit=limit, what=f"the output of padding shape {tuple(shape)}")
    idx = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
    crop = tuple(slice(max(0, -b), d - max(0, -e)) for d, b, e in zip(shape, begins, ends))
    idx = idx[crop]
    widths = [(max(0, b), max(0, e)) for b, e in zip(begins, ends)]
    if mode == "constant":
        return np.pad(idx, widths, constant_values=-1)
    for axis, (d, (b, e)) in enumerate(zip(idx.shape, widths)):
        if (b or e) and (d == 0 or (mode == "reflect" and max(b, e) >= d)):
            raise ShapeError(f"{mode} padding by {max(b, e)} needs more than {d} entries on axis {axis}")
    return np.pad(idx, widths, mode=mode)


def take(x: Affine, idx: np.ndarray, fill: float = 0.0, *, what: str) -> Affine:
    """The tensor ``out[j] = x.ravel()[idx[j]]``, or ``fill`` where ``idx[j] < 0``."""
    flat = idx.reshape(-1)
    hit = flat >= 0
    P = sps.csr_array((np.ones(int(hit.sum())), (np.flatnonzero(hit), flat[hit])), shape=(flat.size, x.const.size))
    y = x.linear_map(P, idx.shape, what=what)
    return y.add(np.where(hit, 0.0, float(fill)).reshape(idx.shape)) if fill and not hit.all() else y


# -- max pooling as ReLU layers -----------------------------------------------
def fold_max(builder, windows: np.ndarray, out_shape, name: str) -> None:
    """Fold ``out[j] = max(x.ravel()[w] for w in windows[j] if w >= 0)`` into ``builder`` as ReLU layers.

    Parameters
    ----------
    builder : SegmentBuilder
        Its pending map ``x`` is the pooled tensor; one ReLU layer is emitted
        per round of the tournament, and the pending map becomes the maxima.
    windows : int array (m, K)
        Flat indices into ``x`` (-1 for none); every row has at least one.
    out_shape : tuple of int
        Shape of the result (``m`` entries).
    name : str
        The operator, for layer names (``name/max1``, ...) and messages.
    """
    x = builder.pending
    prev = builder.layers[-1].activation if builder.layers else None
    nonneg = x.nonnegative_entries(input_nonnegative=prev == "relu")
    values, groups = x.reshape((x.const.size,)), np.asarray(windows, dtype=np.int64).reshape(len(windows), -1)
    rounds = math.ceil(math.log2(groups.shape[1])) if groups.shape[1] > 1 else 0
    for r in range(1, rounds + 1):
        rows, carry, groups, nonneg = _tournament_round(groups, nonneg, values.const.size)
        N = rows.shape[0]
        what = f"{name} round {r} of {rounds} of max pooling ({N:,} ReLU neurons on {values.n:,} inputs)"
        check_size(values.n, (N,), limit=x.limit, what=what)
        builder.fold(values.linear_map(rows, (N,), what=what), "")
        builder.activate("relu", None, f"{name}/max{r}")
        values = Affine.identity((N,), limit=x.limit).linear_map(carry, (carry.shape[0],), what=what)
    builder.fold(take(values, groups[:, 0], what=name).reshape(out_shape), name)


def _tournament_round(groups: np.ndarray, nonneg: np.ndarray, n_values: int):
    """One round: pairs columns (0, 1), (2, 3), ... of ``groups`` and carries an odd one out.

    Returns ``rows`` (N, n_values): the layer's pre-activations as combinations
    of the current values; ``carry`` (n_new, N): each new value as a
    combination of the layer's outputs; the new ``groups`` (indices of new
    values, -1 for none) and which new values are known to be ``>= 0``.
    """
    m, K = groups.shape
    a, b = groups[:, 0:K - 1:2], groups[:, 1:K:2]
    known = np.append(nonneg, False)  # index -1 (none) reads False
    both = (a >= 0) & (b >= 0)
    swap = both & known[a] & ~known[b]  # carry the value known to be >= 0: one neuron instead of two
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    # A slot is a pair (a, b), a carried value (u, -1), or empty (-1, -1).
    first = np.where(both, a, np.maximum(a, b))
    second = np.where(both, b, -1)
    if K % 2:
        first = np.concatenate([first, groups[:, -1:]], axis=1)
        second = np.concatenate([second, np.full((m, 1), -1)], axis=1)
    keys = np.stack([first, second], axis=-1).reshape(-1, 2)
    used = keys[:, 0] >= 0
    uniq, inverse = np.unique(keys[used], axis=0, return_inverse=True)
    new_groups = np.full(len(keys), -1, dtype=np.int64)
    new_groups[used] = inverse.reshape(-1)
    is_pair = uniq[:, 1] >= 0
    carried = np.where(is_pair, uniq[:, 1], uniq[:, 0])  # the value each new value carries across the layer
    passed = np.unique(carried)
    neg = passed[~nonneg[passed]]
    pairs = uniq[is_pair]
    n_pos, n_neg, n_pair = len(passed), len(neg), len(pairs)
    N = n_pos + n_neg + n_pair
    # Layer rows: relu(v) for v carried, relu(-v) for those not known >= 0, relu(a - b) per pair.
    r = np.concatenate([np.arange(n_pos), n_pos + np.arange(n_neg), np.repeat(n_pos + n_neg + np.arange(n_pair), 2)])
    c = np.concatenate([passed, neg, pairs.reshape(-1)])
    v = np.concatenate([np.ones(n_pos), -np.ones(n_neg), np.tile([1.0, -1.0], n_pair)])
    rows = sps.csr_array((v, (r, c)), shape=(N, n_values))
    # New values: relu(v) - relu(-v) [+ relu(a - b)].
    pos_of = np.searchsorted(passed, carried)
    neg_at = np.full(n_values, -1, dtype=np.int64)
    neg_at[neg] = n_pos + np.arange(n_neg)
    has_neg = neg_at[carried] >= 0
    n_new = len(uniq)
    r = np.concatenate([np.arange(n_new), np.flatnonzero(has_neg), np.flatnonzero(is_pair)])
    c = np.concatenate([pos_of, neg_at[carried][has_neg], n_pos + n_neg + np.arange(n_pair)])
    v = np.concatenate([np.ones(n_new), -np.ones(int(has_neg.sum())), np.ones(n_pair)])
    carry = sps.csr_array((v, (r, c)), shape=(n_new, N))
    return rows, carry, new_groups.reshape(m, -1), nonneg[carried]


def check_pool_modes(*, dilations, ceil_mode: bool, spatial, kernel, strides, pads, op: str) -> None:
    """Refuse pooling modes relucid does not convert: dilations, and ceil_mode where it changes the shape."""
    if any(int(d) != 1 for d in dilations):
        raise UnsupportedOperatorError(f"{op} with dilations {list(dilations)} is not supported (only 1)")
    k = len(kernel)
    if ceil_mode and any((spatial[i] + pads[i] + pads[k + i] - kernel[i]) % strides[i] for i in range(k)):
        raise UnsupportedOperatorError(
            f"{op} with ceil_mode=1 is not supported where it adds a partial window (spatial shape "
            f"{tuple(spatial)}, kernel {tuple(kernel)}, strides {list(strides)}, pads {list(pads)})"
        )
