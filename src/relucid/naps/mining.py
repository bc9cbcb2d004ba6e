"""Mining δ-relaxed NAPs (Geng et al., Algorithm 1): exact activation counts per label.

For every label ``ℓ`` and neuron ``v`` the miner counts ``c_ℓ(v)``, the
number of inputs of label ``ℓ`` on which ``v`` is on (pre-activation
``> 0``). With ``n_ℓ`` inputs of label ``ℓ``,

    A_ℓ = { v : c_ℓ(v) / n_ℓ >= δ },      D_ℓ = { v : (n_ℓ - c_ℓ(v)) / n_ℓ >= δ },

i.e. ``A`` holds the neurons on for at least a fraction δ of the label's
inputs and ``D`` those off for at least a fraction δ (the paper's
``c/n <= 1 - δ``, written as the off-frequency so that both sides round
alike in floating point). δ must lie in (0.5, 1]: then no neuron can be in
both sets.

Counts are integers accumulated chunk by chunk (:mod:`.stream`), so mining is
exact and streaming: :class:`ActivationCounts` of two data sets add up
(``counts_a + counts_b``), and one count pass gives the NAPs of every δ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import readonly
from ..errors import InvalidValueError, ShapeError
from ..network import Network
from .nap import NAP
from .stream import CHUNK_SIZE, activation_chunks, as_batch

__all__ = ["ActivationCounts", "check_delta", "count_activations", "hidden_layers", "mine_naps"]


def check_delta(delta, who: str = "mine_naps") -> float:
    """δ as a float in (0.5, 1], or :class:`InvalidValueError` saying why not."""
    try:
        d = float(delta)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{who}: delta must be a number in (0.5, 1]; got {delta!r}") from None
    if not 0.5 < d <= 1.0:
        raise InvalidValueError(
            f"{who}: delta must be in (0.5, 1] (a neuron is in A when on for >= delta of a label's inputs, "
            f"in D when off for >= delta; delta <= 0.5 could put it in both); got {delta!r}"
        )
    return d


def hidden_layers(net: Network) -> tuple[int, ...]:
    """The relu/leaky_relu layers that are not the network's last layer (the default mining layers)."""
    last = len(net.layers) - 1
    return tuple(k for k in net.pattern_layers if k != last)


@dataclass(frozen=True, eq=False)
class ActivationCounts:
    """How often each neuron is on, per label.

    Attributes
    ----------
    neurons : tuple of (layer, neuron)
        Column order of ``on``.
    labels : tuple of int
        Row order of ``on`` and ``totals``.
    on : int64 array (n_labels, n_neurons)
        ``on[i, k]``: inputs of label ``labels[i]`` on which neuron ``neurons[k]`` is on.
    totals : int64 array (n_labels,)
        Inputs of each label.
    layers : tuple of int
        The layers counted.
    """

    neurons: tuple
    labels: tuple
    on: np.ndarray
    totals: np.ndarray
    layers: tuple

    def __post_init__(self) -> None:
        object.__setattr__(self, "on", readonly(np.array(self.on, dtype=np.int64)))
        object.__setattr__(self, "totals", readonly(np.array(self.totals, dtype=np.int64)))

    @property
    def n_inputs(self) -> int:
        return int(self.totals.sum())

    def frequencies(self) -> np.ndarray:
        """``on / totals`` per label (float, NaN for a label without inputs)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.on / self.totals[:, None]

    def __add__(self, other: ActivationCounts) -> ActivationCounts:
        """Counts of two data sets together (same network and layers); labels are merged."""
        if not isinstance(other, ActivationCounts):
            return NotImplemented
        if self.neurons != other.neurons:
            raise InvalidValueError("ActivationCounts: cannot add counts over different neurons (network or layers differ)")
        labels = tuple(sorted(set(self.labels) | set(other.labels)))
        on = np.zeros((len(labels), len(self.neurons)), dtype=np.int64)
        tot = np.zeros(len(labels), dtype=np.int64)
        for src in (self, other):
            idx = [labels.index(l) for l in src.labels]
            on[idx] += src.on
            tot[idx] += src.totals
        return ActivationCounts(self.neurons, labels, on, tot, self.layers)

    def naps(self, delta: float, labels=None) -> dict:
        """``{label: NAP}`` for relaxing factor ``delta`` (see the module notes).

        Raises
        ------
        InvalidValueError
            δ outside (0.5, 1], or a requested label with no inputs.
        """
        delta = check_delta(delta, "ActivationCounts.naps")
        want = self.labels if labels is None else tuple(_label_list(labels, "naps"))
        out = {}
        for label in want:
            if label not in self.labels:
                raise InvalidValueError(
                    f"mine_naps: label {label} has no inputs in the data (labels present: {_short(self.labels)})"
                )
            i = self.labels.index(label)
            n = int(self.totals[i])
            if n == 0:
                raise InvalidValueError(
                    f"mine_naps: label {label} has no inputs in the data (labels present: "
                    f"{_short([l for l, t in zip(self.labels, self.totals) if t])})"
                )
            c = self.on[i]
            act = np.flatnonzero(c / n >= delta)
            ina = np.flatnonzero((n - c) / n >= delta)
            out[label] = NAP(
                frozenset(self.neurons[k] for k in act),
                frozenset(self.neurons[k] for k in ina),
                label=label, delta=delta, support=n, layers=self.layers,
            )
        return out


def count_activations(
    net: Network,
    X,
    y,
    *,
    layers=None,
    labels=None,
    scale: float = 1.0,
    chunk_size: int = CHUNK_SIZE,
    device: str | None = None,
) -> ActivationCounts:
    """Count, per label and neuron, the inputs on which the neuron is on.

    Parameters
    ----------
    net : Network
    X : array of shape (n, input_dim)
        Any numeric dtype; converted to float64 chunk by chunk (rows of more
        dimensions, e.g. (n, 28, 28) images, are flattened).
    y : int array of shape (n,)
        Labels.
    layers : iterable of int, optional
        Layers to mine (relu/leaky_relu only). Default: every hidden
        relu/leaky_relu layer (:func:`hidden_layers`).
    labels : iterable of int, optional
        Labels to count (default: those in ``y``). Inputs with other labels
        are skipped.
    scale : float
        Multiply each chunk by this first (``1/255`` for uint8 images).
    chunk_size : int
        Inputs per forward pass.
    device : str, optional
        Run the passes with torch in float64 on this device ("cuda").

    Returns
    -------
    ActivationCounts
    """
    layers = _check_layers(net, layers)
    arr, n, _ = as_batch(X, net.input_dim, what="mine_naps: data")
    if n == 0:
        raise InvalidValueError("mine_naps: the data has no inputs")
    y = _check_labels_array(y, n)
    present = tuple(int(v) for v in np.unique(y))
    want = present if labels is None else tuple(_label_list(labels, "mine_naps"))
    for label in want:
        if label >= net.output_dim:
            raise InvalidValueError(
                f"mine_naps: label {label} is not a class of this network (it has {net.output_dim} outputs, "
                f"classes 0..{net.output_dim - 1})"
            )
    neurons = tuple((k, j) for k in layers for j in range(net.layers[k].out_dim))
    on = np.zeros((len(want), len(neurons)), dtype=np.int64)
    totals = np.array([int((y == l).sum()) for l in want], dtype=np.int64)
    lookup = np.full(max(max(want, default=0), int(y.max(initial=0))) + 1, -1, dtype=np.int64)
    lookup[list(want)] = np.arange(len(want))
    for start, flags, _ in activation_chunks(net, arr, layers=layers, scale=scale, chunk_size=chunk_size,
                                             device=device, what="mine_naps: data"):
        rows = lookup[y[start : start + chunk_size]]
        keep = rows >= 0
        if not keep.any() or not layers:
            continue
        B = np.concatenate([flags[k] for k in layers], axis=1)[keep]
        onehot = np.zeros((B.shape[0], len(want)), dtype=np.float32)
        onehot[np.arange(B.shape[0]), rows[keep]] = 1.0
        # float32 sums of 0/1 are exact below 2**24 (chunk_size is capped there)
        on += np.rint(onehot.T @ B.astype(np.float32)).astype(np.int64)
    return ActivationCounts(neurons, want, on, totals, layers)


def mine_naps(
    net: Network,
    X,
    y,
    delta: float,
    *,
    layers=None,
    labels=None,
    scale: float = 1.0,
    chunk_size: int = CHUNK_SIZE,
    device: str | None = None,
) -> dict:
    """Mine one δ-relaxed NAP per label (Geng et al., Algorithm 1).

    Parameters
    ----------
    net : Network
    X : array of shape (n, input_dim)
    y : int array of shape (n,)
    delta : float in (0.5, 1]
        A neuron joins ``A_ℓ`` when on for at least a fraction δ of the
        label's inputs, ``D_ℓ`` when off for at least δ.
    layers, labels, scale, chunk_size, device
        As in :func:`count_activations`.

    Returns
    -------
    dict label -> NAP

    Raises
    ------
    InvalidValueError
        δ outside (0.5, 1]; a requested label without inputs; a label that is
        not a class of the network; NaN/inf in the data.
    ShapeError
        Data rows whose width is not the network's input size; ``y`` of
        another length.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> from relucid.naps import mine_naps
    >>> net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense(np.eye(2), np.zeros(2))])
    >>> naps = mine_naps(net, np.array([[1.0], [2.0], [-1.0]]), np.array([0, 0, 1]), delta=1.0)
    >>> sorted(naps[0].active), sorted(naps[0].inactive)
    ([(0, 0)], [(0, 1)])
    """
    delta = check_delta(delta)
    counts = count_activations(net, X, y, layers=layers, labels=labels, scale=scale,
                               chunk_size=chunk_size, device=device)
    return counts.naps(delta)


# -- validation -----------------------------------------------------------------------------
def _check_layers(net: Network, layers) -> tuple:
    if not isinstance(net, Network):
        raise InvalidValueError(f"mine_naps: expects a relucid.Network; got {type(net).__name__}")
    if layers is None:
        out = hidden_layers(net)
    else:
        try:
            out = tuple(sorted({int(k) for k in layers}))
        except (TypeError, ValueError):
            raise InvalidValueError(f"mine_naps: layers must be layer indices; got {layers!r}") from None
        for k in out:
            if not 0 <= k < len(net.layers):
                raise InvalidValueError(f"mine_naps: layer {k} does not exist (the network has layers 0..{len(net.layers) - 1})")
            if not net.layers[k].has_phases:
                raise InvalidValueError(
                    f"mine_naps: layer {k} is {net.layers[k].activation}, which has no on/off phases "
                    f"(relu/leaky_relu layers: {list(net.pattern_layers)})"
                )
    if not out:
        raise InvalidValueError("mine_naps: the network has no hidden relu/leaky_relu layer to mine")
    return out


def _check_labels_array(y, n: int) -> np.ndarray:
    if y is None:
        raise InvalidValueError("mine_naps: labels are missing (pass y, one integer label per input)")
    arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.size == n else arr
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ShapeError(f"mine_naps: y must hold one label per input ({n}); got shape {np.shape(y)}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise InvalidValueError("mine_naps: labels must be integers (class indices); got non-integer values")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iub":
        raise InvalidValueError(f"mine_naps: labels must be integers (class indices); got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise InvalidValueError(f"mine_naps: labels must be non-negative class indices; got {int(arr.min())}")
    return arr


def _label_list(labels, who: str) -> list:
    try:
        out = [int(l) for l in labels]
    except (TypeError, ValueError):
        raise InvalidValueError(f"{who}: labels must be integers; got {labels!r}") from None
    if any(l < 0 for l in out):
        raise InvalidValueError(f"{who}: labels must be non-negative; got {labels!r}")
    if len(set(out)) != len(out):
        raise InvalidValueError(f"{who}: labels repeat; got {labels!r}")
    return out


def _short(labels) -> str:
    labels = list(labels)
    return ", ".join(str(l) for l in labels[:20]) + (" ..." if len(labels) > 20 else "") if labels else "none"
