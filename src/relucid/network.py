"""Feed-forward networks of dense layers: the object every analysis works on.

A :class:`Network` is a sequence of :class:`Dense` layers, each an affine map
followed by an element-wise activation. Evaluation is batched and always in
float64, whatever the dtype of the weights that were loaded.

Neurons are named ``(layer, neuron)``: ``layer`` indexes ``net.layers``
(0-based) and ``neuron`` indexes that layer's outputs. Only neurons of
piecewise-linear layers (``relu``, ``leaky_relu``) have an on/off phase; a
neuron is **on** when its pre-activation is ``> 0``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ._validate import as_float_array, batch_input, check_finite, readonly
from .errors import InvalidValueError, ShapeError

ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "identity", "sigmoid", "tanh")
#: Activations whose neurons have an on/off phase (and so activation patterns).
PIECEWISE_LINEAR: frozenset[str] = frozenset({"relu", "leaky_relu"})


@dataclass(frozen=True, eq=False)
class Dense:
    """One dense layer ``y = act(W x + b)``.

    Parameters
    ----------
    weight : array of shape (out, in)
    bias : array of shape (out,)
    activation : {"relu", "leaky_relu", "identity", "sigmoid", "tanh"}
    alpha : float, optional
        Slope of ``leaky_relu`` on its off side (``x <= 0``); required for
        ``leaky_relu`` and must be ``None`` otherwise.
    name : str, optional
        Where the layer came from (an ONNX node, a torch module), used in
        error messages only.

    Notes
    -----
    Arrays are copied to float64 and made read-only; a ``Dense`` is a value.
    """

    weight: np.ndarray
    bias: np.ndarray
    activation: str = "identity"
    alpha: float | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        who = f"Dense layer {self.name!r}" if self.name else "Dense layer"
        W = as_float_array(self.weight, what=f"{who}: weight", ndim=2)
        b = as_float_array(self.bias, what=f"{who}: bias", ndim=(1, 2))
        if b.ndim == 2 and 1 in b.shape:
            b = b.reshape(-1)
        if b.ndim != 1 or b.shape[0] != W.shape[0]:
            raise ShapeError(
                f"{who}: bias must have shape ({W.shape[0]},) to match weight of shape "
                f"{W.shape} (out, in); got {b.shape}"
            )
        check_finite(W, what=f"{who}: weight")
        check_finite(b, what=f"{who}: bias")
        if self.activation not in ACTIVATIONS:
            raise InvalidValueError(
                f"{who}: activation must be one of {', '.join(ACTIVATIONS)}; got {self.activation!r}"
            )
        alpha = self.alpha
        if self.activation == "leaky_relu":
            if alpha is None or not np.isfinite(alpha):
                raise InvalidValueError(f"{who}: leaky_relu needs a finite slope alpha; got {alpha!r}")
            alpha = float(alpha)
        elif alpha is not None:
            raise InvalidValueError(f"{who}: alpha is only used by leaky_relu; got activation {self.activation!r}")
        object.__setattr__(self, "weight", readonly(W))
        object.__setattr__(self, "bias", readonly(b))
        object.__setattr__(self, "alpha", alpha)

    @property
    def in_dim(self) -> int:
        return int(self.weight.shape[1])

    @property
    def out_dim(self) -> int:
        return int(self.weight.shape[0])

    @property
    def has_phases(self) -> bool:
        """Whether this layer's neurons have on/off phases: a relu or leaky_relu kink at 0.

        Not the same question as :attr:`Network.is_piecewise_linear` (every
        layer relu, leaky_relu *or identity*): an identity layer is piecewise
        linear but has no phases.
        """
        return self.activation in PIECEWISE_LINEAR

    @property
    def is_piecewise_linear(self) -> bool:
        """Deprecated alias of :attr:`has_phases` (the name read like :attr:`Network.is_piecewise_linear`)."""
        warnings.warn(
            "Dense.is_piecewise_linear is deprecated: use Dense.has_phases (the layer has a relu/leaky_relu kink); "
            "Network.is_piecewise_linear keeps its meaning",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.has_phases

    @property
    def off_slope(self) -> float:
        """Slope of the activation on the off side: 0 for relu, alpha for leaky_relu."""
        if self.activation == "relu":
            return 0.0
        if self.activation == "leaky_relu":
            return float(self.alpha)
        raise InvalidValueError(f"{self.activation} layers have no on/off phases")

    def preactivation(self, X: np.ndarray) -> np.ndarray:
        """``X @ W.T + b`` for a batch ``X`` of shape (n, in)."""
        return X @ self.weight.T + self.bias

    def activate(self, Z: np.ndarray) -> np.ndarray:
        """Apply the activation element-wise to pre-activations ``Z``."""
        act = self.activation
        if act == "relu":
            return np.where(Z > 0, Z, 0.0)
        if act == "leaky_relu":
            return np.where(Z > 0, Z, self.alpha * Z)
        if act == "identity":
            return Z
        if act == "sigmoid":
            return expit(Z)
        return np.tanh(Z)


class Network:
    """A feed-forward network: a non-empty sequence of :class:`Dense` layers.

    Parameters
    ----------
    layers : sequence of Dense
        Consecutive layers must fit: ``layers[i].in_dim == layers[i-1].out_dim``.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"),
    ...                   rl.Dense(np.ones((1, 2)), np.zeros(1))])
    >>> net(np.array([1.0, -2.0]))
    array([1.])
    """

    def __init__(self, layers) -> None:
        layers = tuple(layers)
        if not layers:
            raise ShapeError("Network: needs at least one layer; got none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Dense):
                raise InvalidValueError(f"Network: layer {i} must be a relucid.Dense; got {type(layer).__name__}")
            if i and layer.in_dim != layers[i - 1].out_dim:
                raise ShapeError(
                    f"Network: layer {i}{_named(layer)} takes {layer.in_dim} inputs but layer {i - 1}"
                    f"{_named(layers[i - 1])} gives {layers[i - 1].out_dim} outputs"
                )
        self._layers = layers

    # -- structure -----------------------------------------------------------
    @property
    def layers(self) -> tuple[Dense, ...]:
        return self._layers

    @property
    def input_dim(self) -> int:
        return self._layers[0].in_dim

    @property
    def output_dim(self) -> int:
        return self._layers[-1].out_dim

    @property
    def pattern_layers(self) -> tuple[int, ...]:
        """Indices of the layers whose neurons have on/off phases (relu, leaky_relu)."""
        return tuple(i for i, layer in enumerate(self._layers) if layer.has_phases)

    @property
    def n_pattern_neurons(self) -> int:
        """Number of neurons with an on/off phase."""
        return sum(self._layers[i].out_dim for i in self.pattern_layers)

    @property
    def is_piecewise_linear(self) -> bool:
        """True when every activation is relu, leaky_relu or identity (the network is a piecewise-affine map).

        Per layer, :attr:`Dense.has_phases` says whether a layer has on/off phases.
        """
        return all(layer.activation in PIECEWISE_LINEAR | {"identity"} for layer in self._layers)

    @property
    def n_parameters(self) -> int:
        return sum(layer.weight.size + layer.bias.size for layer in self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __repr__(self) -> str:
        dims = " → ".join([str(self.input_dim)] + [f"{l.out_dim}:{l.activation}" for l in self._layers])
        return f"Network({dims})"

    def summary(self) -> str:
        """A multi-line, human-readable description of the network."""
        lines = [
            f"input dim {self.input_dim}, output dim {self.output_dim}, "
            f"{len(self._layers)} layers, {self.n_pattern_neurons} piecewise-linear neurons, "
            f"{self.n_parameters} parameters"
        ]
        for i, layer in enumerate(self._layers):
            act = layer.activation + (f"(alpha={layer.alpha:g})" if layer.alpha is not None else "")
            lines.append(f"  layer {i}: Dense {layer.in_dim} -> {layer.out_dim}, {act}")
        return "\n".join(lines)

    # -- evaluation ----------------------------------------------------------
    def __call__(self, X) -> np.ndarray:
        """Evaluate a batch (n, input_dim) → (n, output_dim), or one vector."""
        Z, single = batch_input(X, self.input_dim, what="Network input")
        for layer in self._layers:
            Z = layer.activate(layer.preactivation(Z))
        return Z[0] if single else Z

    def classify(self, X) -> np.ndarray:
        """Predicted classes: the arg-max output (ties: the lowest index); one output: class 1 iff ``y > 0``.

        The one-output rule is scikit-learn's for a binary MLP and relucid's
        ``class_property(1, c)``. A batch gives an int array (n,), one vector an int.
        """
        Y = self(X)
        single = Y.ndim == 1
        Y = np.atleast_2d(Y)
        c = np.argmax(Y, axis=1) if Y.shape[1] > 1 else (Y[:, 0] > 0).astype(np.int64)
        return c[0] if single else c

    def preactivations(self, X) -> list[np.ndarray]:
        """Pre-activations of every layer: a list of arrays (n, out_i), or vectors for one input."""
        pre, _ = self.trace(X)
        return pre

    def trace(self, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre- and post-activations of every layer, for a batch or one vector."""
        Z, single = batch_input(X, self.input_dim, what="Network input")
        pre: list[np.ndarray] = []
        post: list[np.ndarray] = []
        for layer in self._layers:
            P = layer.preactivation(Z)
            Z = layer.activate(P)
            pre.append(P[0] if single else P)
            post.append(Z[0] if single else Z)
        return pre, post

    def check_neuron(self, neuron: tuple[int, int]) -> tuple[int, int]:
        """Validate a neuron name ``(layer, index)``; return it as ints."""
        try:
            layer, idx = (int(v) for v in neuron)
        except (TypeError, ValueError):
            raise InvalidValueError(f"a neuron is named (layer, neuron); got {neuron!r}") from None
        if not 0 <= layer < len(self._layers):
            raise InvalidValueError(f"neuron {neuron!r}: layer {layer} does not exist (network has {len(self._layers)} layers)")
        if not self._layers[layer].has_phases:
            raise InvalidValueError(
                f"neuron {neuron!r}: layer {layer} is {self._layers[layer].activation}, which has no on/off phase"
            )
        width = self._layers[layer].out_dim
        if not 0 <= idx < width:
            raise InvalidValueError(f"neuron {neuron!r}: layer {layer} has {width} neurons (0..{width - 1})")
        return layer, idx


def _named(layer: Dense) -> str:
    return f" ({layer.name})" if layer.name else ""


def check_piecewise_linear(net, *, who: str, purpose: str = "this analysis") -> Network:
    """The one check that ``net`` is a relucid Network of relu, leaky_relu and identity layers.

    Raises :class:`InvalidValueError` naming the first other layer (index,
    name, activation). Returns ``net``.

    Examples
    --------
    >>> net = Network([Dense([[1.0]], [0.0], "sigmoid")])
    >>> check_piecewise_linear(net, who="verify", purpose="complete verification")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    relucid.errors.InvalidValueError: verify: layer 0 has activation 'sigmoid'; complete verification needs a piecewise-linear ...
    """
    if not isinstance(net, Network):
        raise InvalidValueError(f"{who}: expects a relucid.Network; got {type(net).__name__}")
    for i, layer in enumerate(net.layers):
        if 0 in layer.weight.shape:
            raise ShapeError(f"{who}: layer {i}{_named(layer)} has weight shape {layer.weight.shape}; every layer needs "
                             "at least one input and one neuron")
        if layer.activation not in PIECEWISE_LINEAR and layer.activation != "identity":
            raise InvalidValueError(
                f"{who}: layer {i}{_named(layer)} has activation {layer.activation!r}; {purpose} needs a piecewise-linear "
                "network (relu, leaky_relu and identity layers)"
            )
    return net
