"""Argument checks of the abstraction functions, in one place.

Messages name the function, what was expected, what arrived and the fix.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_finite
from ..errors import InvalidValueError, ShapeError
from ..network import Network


def check_network(net, who: str) -> Network:
    """A Network of relu hidden layers and an identity last layer (what the paper abstracts)."""
    if not isinstance(net, Network):
        raise InvalidValueError(f"{who}: expects a relucid.Network; got {type(net).__name__}")
    if len(net.layers) < 2:
        raise InvalidValueError(f"{who}: the network has no hidden layer to abstract (one Dense layer)")
    for k, layer in enumerate(net.layers[:-1]):
        if layer.activation != "relu":
            raise InvalidValueError(
                f"{who}: hidden layer {k} has activation {layer.activation!r}; the abstraction (and its error "
                "bounds) needs relu hidden layers"
            )
    if net.layers[-1].activation != "identity":
        raise InvalidValueError(
            f"{who}: the last layer has activation {net.layers[-1].activation!r}; expected identity (logits)"
        )
    return net


def check_inputs(net: Network, X, who: str, what: str = "X") -> np.ndarray:
    """``X`` as a float64 array (n, net.input_dim) with n >= 1, finite."""
    X = as_float_array(X, what=f"{who}: {what}", ndim=(1, 2))
    if X.ndim == 1:
        X = X[None, :]
    if X.shape[1] != net.input_dim:
        raise ShapeError(
            f"{who}: {what} has rows of width {X.shape[1]} but the network takes {net.input_dim} inputs; "
            f"pass an array of shape (n, {net.input_dim})"
        )
    if X.shape[0] < 1:
        raise ShapeError(f"{who}: {what} has no rows; pass at least one input")
    check_finite(X, what=f"{who}: {what}")
    return X


def check_labels(net: Network, X: np.ndarray, y, who: str, what: str = "y") -> np.ndarray:
    """Integer class labels, one per row of ``X``, each in 0..n_out-1."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != X.shape[0]:
        raise ShapeError(f"{who}: {what} must have shape ({X.shape[0]},), one label per input; got {arr.shape}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise InvalidValueError(f"{who}: {what} must hold integer class labels; got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    n_classes = max(net.output_dim, 2)  # one output: classes 0 (y <= 0) and 1 (y > 0)
    bad = (arr < 0) | (arr >= n_classes)
    if bad.any():
        raise InvalidValueError(
            f"{who}: {what} has label {int(arr[bad][0])}, outside 0..{n_classes - 1} (the network has "
            f"{net.output_dim} outputs)"
        )
    return arr


def check_clusters(net: Network, clusters, who: str) -> tuple[int, ...]:
    """One cluster count per hidden layer, each in 1..width (``None``: keep the layer)."""
    hidden = [layer.out_dim for layer in net.layers[:-1]]
    if isinstance(clusters, dict):
        bad = [k for k in clusters if not (isinstance(k, (int, np.integer)) and 0 <= k < len(hidden))]
        if bad:
            raise InvalidValueError(
                f"{who}: clusters names layer {bad[0]!r}, which is not a hidden layer (hidden layers: "
                f"0..{len(hidden) - 1})"
            )
        clusters = [clusters.get(k) for k in range(len(hidden))]
    try:
        clusters = list(clusters)
    except TypeError:
        raise InvalidValueError(
            f"{who}: clusters must be a sequence of cluster counts, one per hidden layer; got {type(clusters).__name__}"
        ) from None
    if len(clusters) != len(hidden):
        raise ShapeError(
            f"{who}: clusters has {len(clusters)} entries but the network has {len(hidden)} hidden layers "
            f"(widths {hidden}); give one count per hidden layer (None keeps a layer)"
        )
    out = []
    for k, (c, n) in enumerate(zip(clusters, hidden)):
        if c is None:
            out.append(n)
            continue
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)):
            raise InvalidValueError(f"{who}: clusters[{k}] must be an integer; got {c!r}")
        if not 1 <= c <= n:
            raise InvalidValueError(
                f"{who}: clusters[{k}] = {int(c)} but hidden layer {k} has {n} neurons; use a count in 1..{n}"
            )
        out.append(int(c))
    return tuple(out)


def check_accuracy(value, who: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{who}: min_accuracy must be a number in [0, 1]; got {value!r}") from None
    if not 0.0 <= v <= 1.0:
        raise InvalidValueError(f"{who}: min_accuracy must be in [0, 1] (a fraction, not a percentage); got {v:g}")
    return v


def check_classifier(net: Network, who: str) -> None:
    """Robustness lifting compares class scores: at least two outputs."""
    if net.output_dim < 2:
        raise InvalidValueError(f"{who}: robustness needs a network with at least two outputs (class scores); "
                                f"this one has {net.output_dim}")


def check_box(net: Network, lo, hi, who: str) -> tuple[np.ndarray, np.ndarray]:
    """Batched boxes ``(B, n_in)`` with ``lo <= hi``."""
    lo = check_inputs(net, lo, who, "lo")
    hi = check_inputs(net, hi, who, "hi")
    if lo.shape != hi.shape:
        raise ShapeError(f"{who}: lo has shape {lo.shape} but hi has {hi.shape}")
    if (lo > hi).any():
        raise InvalidValueError(f"{who}: the box has lo > hi in dimension {int(np.argwhere(lo > hi)[0][1])}")
    return lo, hi
