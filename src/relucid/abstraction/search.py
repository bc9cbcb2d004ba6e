"""Cluster-count search: the paper's Algorithm 2 (IDENTIFY-CLUSTERS).

Layer by layer from the first hidden layer, a binary search finds the
smallest number of clusters ``k`` whose abstraction keeps the accuracy at
least ``min_accuracy``; that layer is then abstracted and the search moves on
to the next layer on the partly abstracted network. The binary search keeps
the invariant "the upper end satisfies the accuracy" (the layer's full width
does: it changes nothing), so the returned counts always keep the accuracy,
even where accuracy is not monotone in ``k``; the smallest such ``k`` is then
not guaranteed (the paper says the same).
"""

from __future__ import annotations

import numpy as np

from .._deprecated import renamed_keyword
from .._validate import seed_of
from ..errors import InvalidValueError
from ..network import Network
from ._checks import check_accuracy, check_inputs, check_labels, check_network
from .merge import build_network, layer_activations, merge_layer

__all__ = ["accuracy", "identify_clusters"]


def accuracy(net: Network, X: np.ndarray, y: np.ndarray) -> float:
    """Share of rows of ``X`` whose predicted class (:meth:`Network.classify`) is the label."""
    return float(np.mean(net.classify(X) == y))


@renamed_keyword("seed", "rng")
def identify_clusters(
    net: Network,
    X,
    y,
    min_accuracy: float,
    *,
    X_val=None,
    y_val=None,
    rng=0,
) -> tuple[int, ...]:
    """Cluster counts per hidden layer that keep the accuracy at least ``min_accuracy``.

    Parameters
    ----------
    net : Network
    X : array of shape (n, net.input_dim)
        Inputs whose activation vectors are clustered (the paper's ``X``).
    y : array of shape (n,)
        Labels of ``X``; the accuracy is measured on ``(X, y)`` unless a
        validation set is given. The predicted class is the arg-max output,
        or ``y > 0`` for a network with one output (labels 0 and 1).
    min_accuracy : float in [0, 1]
        The paper's α. Must not exceed the original network's accuracy.
    X_val, y_val : arrays, optional
        A validation set on which the accuracy is measured instead.
    rng : int, numpy Generator or None
        k-means seed (as in :func:`abstract`; ``seed=`` is a deprecated alias).

    Returns
    -------
    tuple of int
        One cluster count per hidden layer; ``abstract(net, X, counts,
        rng=rng)`` rebuilds the abstraction the search ended with (with an int ``rng``).

    Raises
    ------
    InvalidValueError
        ``min_accuracy`` outside [0, 1] or above the original accuracy; bad labels.
    ShapeError
        Inputs of the wrong width, labels of the wrong length.
    """
    who = "identify_clusters"
    seed = seed_of(rng, who=who)
    check_network(net, who)
    X = check_inputs(net, X, who)
    y = check_labels(net, X, y, who)
    if (X_val is None) != (y_val is None):
        raise InvalidValueError(f"{who}: give both X_val and y_val, or neither")
    if X_val is None:
        Xv, yv = X, y
    else:
        Xv = check_inputs(net, X_val, who, "X_val")
        yv = check_labels(net, Xv, y_val, who, "y_val")
    alpha = check_accuracy(min_accuracy, who)
    base = accuracy(net, Xv, yv)
    if alpha > base:
        where = "the validation data" if X_val is not None else "X"
        raise InvalidValueError(
            f"{who}: min_accuracy {alpha:.4g} is above the original network's accuracy {base:.4g} on {where}; "
            f"ask for at most {base:.4g}"
        )
    weights = [np.array(layer.weight) for layer in net.layers]
    biases = [np.array(layer.bias) for layer in net.layers]
    counts: list[int] = []
    H = X
    for k, layer in enumerate(net.layers[:-1]):
        A = layer_activations(weights, biases, k, H)
        steps: dict[int, object] = {}

        def keeps(c: int) -> bool:
            step = merge_layer(weights, biases, k, A, c, seed=seed)
            steps[c] = step
            return accuracy(build_network(step.weights, step.biases, net), Xv, yv) >= alpha

        lo, hi = 1, layer.out_dim
        while lo < hi:
            mid = (lo + hi) // 2
            if keeps(mid):
                hi = mid
            else:
                lo = mid + 1
        step = steps.get(lo) or merge_layer(weights, biases, k, A, lo, seed=seed)
        weights, biases = step.weights, step.biases
        H = A[:, step.kept]
        counts.append(int(lo))
    return tuple(counts)
