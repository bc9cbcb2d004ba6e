"""Activation patterns: which neurons are on, which off, which left free.

A :class:`Pattern` fixes the phase of some neurons of a network, each named
``(layer, neuron)`` (``layer`` indexes ``net.layers``). A neuron is **on**
when its pre-activation is ``> 0`` and **off** when it is ``<= 0``. A
*complete* pattern fixes every neuron of every relu/leaky_relu layer; a
*partial* pattern leaves some free ("don't care").

``p <= q`` is the sub-pattern relation: every neuron fixed by ``p`` is fixed
by ``q`` to the same phase, so the inputs following ``q`` are a subset of
those following ``p``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from ..phases import FREE, OFF, ON
from ..errors import InvalidValueError
from ..network import Network

Neuron = tuple[int, int]


@dataclass(frozen=True)
class Pattern:
    """A (possibly partial) activation pattern.

    Parameters
    ----------
    on : frozenset of (layer, neuron)
        Neurons fixed on (pre-activation > 0).
    off : frozenset of (layer, neuron)
        Neurons fixed off (pre-activation <= 0).

    Notes
    -----
    A pattern does not know its network; functions that need one
    (:meth:`is_complete`, :meth:`to_bits`, :func:`relucid.region`) take it and
    validate the neuron names against it.
    """

    on: frozenset = frozenset()
    off: frozenset = frozenset()

    def __post_init__(self) -> None:
        on, off = disjoint_neuron_sets(self.on, self.off, "Pattern: neuron {} is fixed both on and off")
        object.__setattr__(self, "on", on)
        object.__setattr__(self, "off", off)

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_dict(cls, phases: Mapping[Neuron, bool]) -> Pattern:
        """``{(layer, neuron): True (on) / False (off)}`` → Pattern."""
        on = [n for n, v in phases.items() if _phase(n, v)]
        off = [n for n, v in phases.items() if not _phase(n, v)]
        return cls(frozenset(on), frozenset(off))

    @classmethod
    def from_bits(cls, net: Network, bits) -> Pattern:
        """From a flat vector over ``net``'s relu/leaky_relu neurons in layer order.

        Entries: 1/True = on, 0/False = off, -1 = free.
        """
        bits = np.asarray(bits).astype(np.int8).reshape(-1)
        names = neuron_names(net)
        if bits.shape[0] != len(names):
            raise InvalidValueError(
                f"Pattern.from_bits: network has {len(names)} relu/leaky_relu neurons; got {bits.shape[0]} bits"
            )
        on = frozenset(names[i] for i in np.flatnonzero(bits == ON))
        off = frozenset(names[i] for i in np.flatnonzero(bits == OFF))
        return cls(on, off)

    # -- queries ---------------------------------------------------------------
    @classmethod
    def from_string(cls, net: Network, text: str) -> Pattern:
        """Inverse of :meth:`to_string`: ``"1*0|01"`` (1 on, 0 off, * free; one group per layer).

        Raises InvalidValueError naming the layer whose length or characters are wrong.
        """
        groups = text.strip().split("|")
        layers = net.pattern_layers
        if len(groups) != len(layers):
            raise InvalidValueError(
                f"pattern string has {len(groups)} layer groups but the network has {len(layers)} relu/leaky_relu layers"
            )
        on, off = [], []
        for layer, g in zip(layers, groups):
            g = g.strip()
            size = net.layers[layer].out_dim
            if len(g) != size:
                raise InvalidValueError(f"pattern string: layer {layer} has {size} neurons but its group has {len(g)} characters")
            for j, ch in enumerate(g):
                if ch == "1":
                    on.append((layer, j))
                elif ch == "0":
                    off.append((layer, j))
                elif ch not in "*-":
                    raise InvalidValueError(f"pattern string: layer {layer}, neuron {j}: expected 1, 0 or *; got {ch!r}")
        return cls(frozenset(on), frozenset(off))

    def to_dict(self) -> dict[Neuron, bool]:
        d = {n: True for n in self.on}
        d.update({n: False for n in self.off})
        return dict(sorted(d.items()))

    @property
    def fixed(self) -> frozenset:
        """All neurons this pattern fixes."""
        return self.on | self.off

    def __len__(self) -> int:
        return len(self.on) + len(self.off)

    def phase(self, neuron: Neuron) -> bool | None:
        """True (on), False (off) or None (free)."""
        neuron = _neuron(neuron)
        if neuron in self.on:
            return True
        if neuron in self.off:
            return False
        return None

    def __le__(self, other: Pattern) -> bool:
        if not isinstance(other, Pattern):
            return NotImplemented
        return self.on <= other.on and self.off <= other.off

    def __lt__(self, other: Pattern) -> bool:
        if not isinstance(other, Pattern):
            return NotImplemented
        return self <= other and self != other

    def __ge__(self, other: Pattern) -> bool:
        if not isinstance(other, Pattern):
            return NotImplemented
        return other <= self

    def __gt__(self, other: Pattern) -> bool:
        if not isinstance(other, Pattern):
            return NotImplemented
        return other < self

    def conflicts(self, other: Pattern) -> frozenset:
        """Neurons fixed by both patterns to different phases."""
        return (self.on & other.off) | (self.off & other.on)

    def hamming(self, other: Pattern) -> int:
        """Number of neurons fixed by both patterns to different phases."""
        return len(self.conflicts(other))

    def flip(self, neuron: Neuron) -> Pattern:
        """The pattern with one fixed neuron's phase reversed."""
        neuron = _neuron(neuron)
        if neuron in self.on:
            return Pattern(self.on - {neuron}, self.off | {neuron})
        if neuron in self.off:
            return Pattern(self.on | {neuron}, self.off - {neuron})
        raise InvalidValueError(f"Pattern.flip: neuron {neuron} is free in this pattern")

    def restrict(self, neurons: Iterable[Neuron]) -> Pattern:
        """The sub-pattern fixing only ``neurons`` (those of them this pattern fixes)."""
        keep = frozenset(_neuron(n) for n in neurons)
        return Pattern(self.on & keep, self.off & keep)

    def combine(self, other: Pattern) -> Pattern:
        """The union of two compatible patterns (error if they conflict)."""
        bad = self.conflicts(other)
        if bad:
            raise InvalidValueError(f"Pattern.combine: patterns disagree on neuron {sorted(bad)[0]}")
        return Pattern(self.on | other.on, self.off | other.off)

    # -- against a network -------------------------------------------------------
    def validate(self, net: Network) -> None:
        """Raise InvalidValueError if a fixed neuron does not exist in ``net``."""
        for n in sorted(self.fixed):
            net.check_neuron(n)

    def to_bits(self, net: Network) -> np.ndarray:
        """Flat int8 vector over ``net``'s relu/leaky_relu neurons: 1 on, 0 off, -1 free."""
        self.validate(net)
        index = {n: i for i, n in enumerate(neuron_names(net))}
        bits = np.full(len(index), -1, dtype=np.int8)
        bits[[index[n] for n in self.on]] = 1
        bits[[index[n] for n in self.off]] = 0
        return bits

    def layer_phases(self, net: Network) -> dict[int, np.ndarray]:
        """Per relu/leaky_relu layer, an int8 array: 1 on, 0 off, -1 free."""
        return split_bits(net, self.to_bits(net))

    def is_complete(self, net: Network) -> bool:
        """Whether every relu/leaky_relu neuron of ``net`` is fixed."""
        return len(self) == net.n_pattern_neurons and bool((self.to_bits(net) != FREE).all())

    def free(self, net: Network) -> list[Neuron]:
        """The neurons of ``net`` this pattern leaves free."""
        return [n for n in neuron_names(net) if n not in self.on and n not in self.off]

    def to_string(self, net: Network) -> str:
        """Layer-by-layer string: ``1`` on, ``0`` off, ``*`` free, layers separated by ``|``."""
        chars = {1: "1", 0: "0", -1: "*"}
        return "|".join("".join(chars[int(v)] for v in arr) for arr in self.layer_phases(net).values())

    def __repr__(self) -> str:
        return f"Pattern({len(self.on)} on, {len(self.off)} off)"


def neuron_names(net: Network) -> list[Neuron]:
    """Names ``(layer, neuron)`` of ``net``'s relu/leaky_relu neurons in layer order."""
    return [(layer, j) for layer in net.pattern_layers for j in range(net.layers[layer].out_dim)]


def split_bits(net: Network, bits: np.ndarray) -> dict[int, np.ndarray]:
    """Cut a flat vector over ``net``'s relu/leaky_relu neurons into per-layer views."""
    out, start = {}, 0
    for layer in net.pattern_layers:
        size = net.layers[layer].out_dim
        out[layer] = bits[start : start + size]
        start += size
    return out


def activation_bits(net: Network, X) -> np.ndarray:
    """On/off flags of every relu/leaky_relu neuron for a batch: bool array (n, n_neurons).

    Column order is :func:`neuron_names`. On means pre-activation ``> 0``.
    A single vector gives a 1-D array.
    """
    pre = net.preactivations(X)
    cols = [pre[layer] > 0 for layer in net.pattern_layers]
    if not cols:
        shape = (0,) if np.ndim(pre[0]) == 1 else (np.shape(pre[0])[0], 0)
        return np.zeros(shape, dtype=bool)
    return np.concatenate(cols, axis=-1)


def pattern(net: Network, x) -> Pattern:
    """The complete activation pattern of one input ``x`` (shape (input_dim,)).

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu")])
    >>> rl.pattern(net, np.array([2.0])).to_dict()
    {(0, 0): True, (0, 1): False}
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise InvalidValueError(
            f"pattern: expects one input vector of length {net.input_dim}; got shape {x.shape} "
            "(use relucid.regions.activation_bits for a batch)"
        )
    return Pattern.from_bits(net, activation_bits(net, x))


def disjoint_neuron_sets(on, off, clash: str) -> tuple[frozenset, frozenset]:
    """Two iterables of ``(layer, neuron)`` as frozensets of int pairs.

    Raises InvalidValueError for a malformed name, or ``clash`` (a format
    string with one ``{}`` for the neuron) when a neuron is in both.
    """
    a = frozenset(_neuron(n) for n in on)
    b = frozenset(_neuron(n) for n in off)
    both = a & b
    if both:
        raise InvalidValueError(clash.format(sorted(both)[0]))
    return a, b


def _neuron(n) -> Neuron:
    try:
        layer, idx = n
        layer_i, idx_i = int(layer), int(idx)
    except (TypeError, ValueError):
        raise InvalidValueError(f"a neuron is named (layer, neuron) with two integers; got {n!r}") from None
    if layer_i != layer or idx_i != idx or layer_i < 0 or idx_i < 0:
        raise InvalidValueError(f"a neuron is named (layer, neuron) with two non-negative integers; got {n!r}")
    return (layer_i, idx_i)


def _phase(neuron, value) -> bool:
    if isinstance(value, (bool, np.bool_)) or value in (0, 1):
        return bool(value)
    raise InvalidValueError(f"Pattern.from_dict: phase of neuron {neuron!r} must be True/False; got {value!r}")
