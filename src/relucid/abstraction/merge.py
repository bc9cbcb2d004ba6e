"""Clustering-based abstraction: the paper's Algorithm 1 and the merge of Section 3.1.

For each hidden layer in order, the neurons' activation vectors over the
inputs ``X`` (computed on the *partly abstracted* network, so earlier merges
are taken into account) are clustered with k-means; each cluster keeps one
representative, the member closest to its centroid. The representative's
outgoing weights become the sum of its members' outgoing weights and the
other members are deleted (their incoming weights go with them).
Proposition 1: when the merged neurons have identical activations on ``X``,
the abstract network computes the same outputs as the original on ``X``.

Indexing: hidden layer ``k`` is ``net.layers[k]`` (0-based, as in the
``(layer, neuron)`` names of relucid); the last layer is never merged.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .._deprecated import renamed_keyword
from .._validate import seed_of
from .._validate import readonly
from ..network import Dense, Network
from ._checks import check_clusters, check_inputs, check_network

#: k-means restarts (scikit-learn's classic default, as in the paper's code).
N_INIT = 10

__all__ = ["Abstraction", "MergeStep", "abstract", "build_network", "kmeans_clusters", "layer_activations",
           "merge_layer"]


@dataclass(frozen=True, eq=False)
class Abstraction:
    """An abstract network with its mapping back to the original.

    Attributes
    ----------
    original : Network
        The network that was abstracted.
    network : Network
        The smaller network: hidden layer ``k`` has ``len(kept[k])`` neurons.
    mapping : tuple of int arrays
        ``mapping[k][i]`` is the abstract neuron (index in ``network.layers[k]``)
        that represents original neuron ``i`` of hidden layer ``k``.
    kept : tuple of int arrays
        ``kept[k][c]`` is the original neuron that abstract neuron ``c`` is
        (its cluster's representative); increasing.
    eps : tuple of float arrays
        ``eps[k][i] = ||a_i - a_rep(i)||_2`` (the paper's Eq. 3): the Euclidean
        distance of neuron ``i``'s activation vector over ``X`` to its
        representative's, both on the network abstracted up to layer ``k - 1``.
        0 for representatives.
    eps_max : tuple of float arrays
        ``max_x |a_i(x) - a_rep(i)(x)|`` over ``X``: the tightest number with
        the same meaning as ``eps`` (``eps_max <= eps``).
    clusters : tuple of int
        The cluster counts asked for, per hidden layer.
    n_samples : int
        ``|X|``.
    seconds : float
        Wall-clock time of the abstraction.

    Notes
    -----
    Both ``eps`` and ``eps_max`` describe the inputs of ``X`` only; off ``X``
    a neuron and its representative may differ by any amount (see
    :func:`relucid.abstraction.lift_sound`).
    """

    original: Network
    network: Network
    mapping: tuple
    kept: tuple
    eps: tuple
    eps_max: tuple
    clusters: tuple
    n_samples: int
    seconds: float = 0.0

    @property
    def hidden_sizes(self) -> tuple[tuple[int, int], ...]:
        """``(original width, abstract width)`` per hidden layer."""
        return tuple((len(m), len(k)) for m, k in zip(self.mapping, self.kept))

    @property
    def reduction_rate(self) -> float:
        """Share of hidden neurons removed (the paper's reduction rate, as a fraction)."""
        before = sum(n for n, _ in self.hidden_sizes)
        after = sum(m for _, m in self.hidden_sizes)
        return 1.0 - after / before

    def representative(self, layer: int, neuron: int) -> int:
        """The original neuron that represents ``(layer, neuron)`` of the original network."""
        return int(self.kept[layer][self.mapping[layer][neuron]])

    def expand(self, layer: int, Z: np.ndarray) -> np.ndarray:
        """Abstract activations of a hidden layer, (n, m), in original coordinates (n, n_layer)."""
        return np.asarray(Z)[..., self.mapping[layer]]

    def summary(self) -> str:
        """One line: the original network, the widths before → after, the reduction."""
        sizes = ", ".join(f"{n}→{m}" for n, m in self.hidden_sizes)
        return f"abstraction of {self.original!r}: hidden {sizes}; reduction {100 * self.reduction_rate:.1f}%"


@renamed_keyword("seed", "rng")
def abstract(net: Network, X, clusters, *, rng=0) -> Abstraction:
    """Merge similar neurons layer by layer (the paper's Algorithm 1).

    Parameters
    ----------
    net : Network
        relu hidden layers, identity last layer.
    X : array of shape (n, net.input_dim)
        The inputs whose activation vectors define similarity.
    clusters : sequence of int (or None), or dict {layer: int}
        Number of k-means clusters per hidden layer, in ``1..width``;
        ``None`` (or the width itself) keeps a layer as it is.
    rng : int, numpy Generator or None
        Seeds scikit-learn's k-means (``random_state``; an int makes results
        deterministic). ``seed=`` is a deprecated alias.

    Returns
    -------
    Abstraction

    Raises
    ------
    ShapeError
        ``X`` has the wrong width, or ``clusters`` the wrong length.
    InvalidValueError
        A cluster count outside ``1..width``; a network that is not relu
        hidden layers with an identity output.

    Notes
    -----
    When the activation vectors of a layer have fewer distinct values than
    the clusters asked for, k-means finds fewer clusters; the abstract layer
    then has as many neurons as clusters were found.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> W = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])   # neurons 0 and 1 are equal
    >>> net = rl.Network([rl.Dense(W, np.zeros(3), "relu"), rl.Dense([[1.0, 2.0, 3.0]], [0.0])])
    >>> X = np.random.default_rng(0).normal(size=(20, 2))
    >>> a = rl.abstract(net, X, [2])
    >>> a.network.layers[1].weight, bool(np.allclose(a.network(X), net(X)))
    (array([[3., 3.]]), True)
    """
    seed = seed_of(rng, who="abstract")
    t0 = time.perf_counter()
    who = "abstract"
    check_network(net, who)
    X = check_inputs(net, X, who)
    ks = check_clusters(net, clusters, who)
    weights = [np.array(layer.weight) for layer in net.layers]
    biases = [np.array(layer.bias) for layer in net.layers]
    mapping, kept, eps, eps_max = [], [], [], []
    H = X
    for k, c in enumerate(ks):
        A = layer_activations(weights, biases, k, H)
        step = merge_layer(weights, biases, k, A, c, seed=seed)
        weights, biases = step.weights, step.biases
        mapping.append(step.mapping)
        kept.append(step.kept)
        eps.append(step.eps)
        eps_max.append(step.eps_max)
        H = A[:, step.kept]
    return Abstraction(
        original=net,
        network=build_network(weights, biases, net),
        mapping=tuple(mapping),
        kept=tuple(kept),
        eps=tuple(eps),
        eps_max=tuple(eps_max),
        clusters=ks,
        n_samples=int(X.shape[0]),
        seconds=time.perf_counter() - t0,
    )


def build_network(weights: list, biases: list, like: Network) -> Network:
    """The network with these layer arrays and ``like``'s activations (a partly abstracted network)."""
    return Network([Dense(W, b, layer.activation) for W, b, layer in zip(weights, biases, like.layers)])


def layer_activations(weights: list, biases: list, k: int, H: np.ndarray) -> np.ndarray:
    """Activations (n, width) of hidden layer ``k`` for its inputs ``H`` (the previous layer's activations)."""
    return np.maximum(H @ weights[k].T + biases[k], 0.0)


@dataclass(frozen=True, eq=False)
class MergeStep:
    """One layer merged: the new weight and bias lists and what the merge did."""

    weights: list
    biases: list
    mapping: np.ndarray
    kept: np.ndarray
    eps: np.ndarray
    eps_max: np.ndarray


def merge_layer(weights: list, biases: list, k: int, A: np.ndarray, c: int, *, seed: int = 0) -> MergeStep:
    """Cluster hidden layer ``k`` into ``c`` clusters by its activations ``A`` (n, width) and merge.

    ``weights``/``biases`` are the layers' arrays of the partly abstracted
    network (not modified; the step returns new lists). The representatives
    keep their incoming rows; the next layer's column of a representative
    becomes the sum of its members' columns (Section 3.1).
    """
    n = A.shape[1]
    if c >= n:
        labels = np.arange(n)
        reps = np.arange(n)
    else:
        labels, reps = kmeans_clusters(A.T, c, seed=seed)
    keep = np.unique(reps)  # original indices of the representatives, increasing
    position = np.full(n, -1)
    position[keep] = np.arange(len(keep))
    rep_of = reps[labels]  # the representative of every neuron
    m = position[rep_of]
    diff = A - A[:, rep_of]
    P = np.zeros((n, len(keep)))
    P[np.arange(n), m] = 1.0
    weights, biases = list(weights), list(biases)
    weights[k] = weights[k][keep]
    biases[k] = biases[k][keep]
    weights[k + 1] = weights[k + 1] @ P
    return MergeStep(
        weights=weights,
        biases=biases,
        mapping=readonly(m),
        kept=readonly(keep),
        eps=readonly(np.linalg.norm(diff, axis=0)),
        eps_max=readonly(np.abs(diff).max(axis=0)),
    )


def kmeans_clusters(points: np.ndarray, k: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k-means on ``points`` (one row per neuron); ``(labels, representative of each cluster)``.

    The representative of a cluster is its member closest (Euclidean) to the
    centroid, the lowest index on ties; ``reps[label]`` is an index into
    ``points``. Labels of clusters k-means left empty never occur. k-means
    runs on one thread (BLAS and OpenMP): the clusters then do not depend on
    the machine's thread count, and small problems skip the threading overhead.
    """
    try:
        from sklearn.cluster import KMeans
        from sklearn.exceptions import ConvergenceWarning
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ImportError("relucid.abstract clusters with scikit-learn's k-means: pip install 'relucid[sklearn]'") from None

    with warnings.catch_warnings(), threadpool_limits(limits=1):
        # fewer distinct points than clusters: k-means says so and finds fewer
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(points)
    labels = km.labels_.astype(np.int64)
    reps = np.full(k, -1, dtype=np.int64)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        d = np.linalg.norm(points[members] - km.cluster_centers_[c], axis=1)
        reps[c] = members[int(np.argmin(d))]
    return labels, reps
