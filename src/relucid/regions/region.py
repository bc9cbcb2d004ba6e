"""The region of an activation pattern: its polytope and its affine map.

For a complete pattern, every relu/leaky_relu layer acts as a fixed diagonal
matrix ``D`` (1 for on neurons, 0 or alpha for off ones), so the network
collapses to one affine map ``x ↦ W x + b``. Writing the pre-activation of
layer ``l`` as ``z_l = M_l x + c_l`` (with ``M_0 = W_0``, ``c_0 = b_0`` and
``M_{l+1} = W_{l+1} D_l M_l``, ``c_{l+1} = W_{l+1} D_l c_l + b_{l+1}``),
the closure of the set of inputs with the pattern is::

    on  (z > 0):   -M_l[j] x <= c_l[j]
    off (z <= 0):   M_l[j] x <= -c_l[j]

one row per neuron, in the order of :func:`~relucid.regions.pattern.neuron_names`,
followed by the rows of the domain, if one is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._deprecated import keyword_only
from ..errors import InvalidValueError
from ..geometry import Polyhedron
from ..phases import FREE, ON
from ..geometry.domain import as_domain
from ..network import Network, check_piecewise_linear
from ..tolerances import REDUNDANCY_TOL
from .pattern import Neuron, Pattern, neuron_names, pattern, split_bits


@dataclass(frozen=True)
class Facet:
    """One non-redundant constraint ``normal · x <= offset`` of a region.

    ``neuron`` is the ``(layer, neuron)`` whose hyperplane it is, or ``None``
    for a constraint of the domain; ``row`` indexes the region's polyhedron.
    """

    row: int
    neuron: Neuron | None
    normal: np.ndarray
    offset: float


@dataclass(frozen=True, eq=False)
class Region:
    """A linear region of a piecewise-linear network.

    Attributes
    ----------
    network : Network
    pattern : Pattern
        The complete activation pattern of the region.
    polyhedron : Polyhedron
        Closure of the inputs with that pattern (and inside the domain), one
        row per neuron followed by the domain's rows; not reduced (see
        :meth:`facets` and :meth:`reduced`).
    affine : (W, b)
        ``net(x) == W @ x + b`` for every ``x`` in the region; W has shape
        (output_dim, input_dim).
    row_neurons : tuple
        For each row of ``polyhedron``, its neuron ``(layer, neuron)`` or
        ``None`` for a domain row.
    """

    network: Network
    pattern: Pattern
    polyhedron: Polyhedron
    affine: tuple[np.ndarray, np.ndarray]
    row_neurons: tuple

    @cached_property
    def on_bits(self) -> np.ndarray:
        """On flags of the region's pattern over ``neuron_names(network)`` (bool array)."""
        return self.pattern.to_bits(self.network) == ON

    # -- geometry --------------------------------------------------------------
    @cached_property
    def nonredundant_rows(self) -> np.ndarray:
        """Indices of the rows of ``polyhedron`` that are facets."""
        return self.polyhedron.nonredundant_rows(tol=REDUNDANCY_TOL)

    def facets(self) -> list[Facet]:
        """The non-redundant constraints, each with the neuron it comes from."""
        A, b = self.polyhedron.A, self.polyhedron.b
        return [Facet(int(i), self.row_neurons[i], A[i].copy(), float(b[i])) for i in self.nonredundant_rows]

    def reduced(self) -> Polyhedron:
        """The region's polytope in a minimal H-representation."""
        rows = self.nonredundant_rows
        return Polyhedron(self.polyhedron.A[rows], self.polyhedron.b[rows])

    def contains(self, x, tol: float | None = None):
        """Membership of ``x`` (or a batch) in the closed region."""
        return self.polyhedron.contains(x) if tol is None else self.polyhedron.contains(x, tol=tol)

    def chebyshev_center(self):
        return self.polyhedron.chebyshev_center()

    def is_empty(self) -> bool:
        return self.polyhedron.is_empty()

    def neighbour_patterns(self) -> list[tuple[Neuron, Pattern]]:
        """For each neuron facet, the neuron and the pattern across it (that neuron flipped).

        Across the relative interior of a facet only that neuron changes
        phase (every other pre-activation is continuous and non-zero there),
        so these are the patterns of the adjacent regions.
        """
        return [(f.neuron, self.pattern.flip(f.neuron)) for f in self.facets() if f.neuron is not None]

    def evaluate(self, X) -> np.ndarray:
        """``W x + b``: the network inside the region (and its affine extension outside)."""
        W, b = self.affine
        X = np.asarray(X, dtype=np.float64)
        return X @ W.T + b

    def __repr__(self) -> str:
        return (
            f"Region({self.network.input_dim}-D, {self.polyhedron.n_constraints} constraints, "
            f"{len(self.pattern.on)} on / {len(self.pattern.off)} off)"
        )


@keyword_only("domain")
def region(net: Network, x_or_pattern, *, domain: Polyhedron | None = None) -> Region:
    """The linear region of an input or of a complete activation pattern.

    Parameters
    ----------
    net : Network
        Every activation must be relu, leaky_relu or identity.
    x_or_pattern : array of shape (input_dim,) or Pattern
        An input (its pattern is taken) or a complete pattern.
    domain : Polyhedron, optional
        Intersected with the region (its rows are appended).

    Returns
    -------
    Region

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu"),
    ...                   rl.Dense([[1.0, 1.0]], [0.0])])
    >>> r = rl.region(net, np.array([1.0, -1.0]))
    >>> r.affine[0]
    array([[1., 0.]])
    """
    check_piecewise_linear(net, who="region", purpose="a linear region")
    domain = as_domain(domain, net.input_dim, who="region")
    if isinstance(x_or_pattern, Pattern):
        pat = x_or_pattern
    else:
        pat = pattern(net, x_or_pattern)
    bits = pat.to_bits(net)  # validates the neuron names once
    free = np.flatnonzero(bits == FREE)
    if free.size:
        raise InvalidValueError(
            f"region: needs a complete pattern; this one leaves {free.size} neurons free "
            f"(first: {neuron_names(net)[free[0]]}). A partial pattern describes a union of regions."
        )
    return Region(net, pat, *_region_parts(net, bits, domain))


class LazyRegion(Region):
    """A :class:`Region` whose pattern, polytope and affine map are computed on first use.

    :func:`relucid.regions` yields these for 2-input networks: the planar
    subdivision already holds every face's pattern, so a region costs one small
    object until it is looked at. The public interface is the Region's
    (``pattern``, ``polyhedron``, ``affine``, ``row_neurons``, ``on_bits``,
    ``facets()``, ``reduced()``, ``contains()``, ``evaluate()``, ...), and
    every value is the one :func:`region` gives for the same pattern and domain
    (the same code builds both). Each attribute is computed once and cached;
    like a Region, the object is immutable.

    Parameters
    ----------
    network : Network
        Relu / leaky_relu / identity layers (not checked again here).
    bits : bool or int array of shape (n_neurons,)
        The complete pattern over ``neuron_names(network)`` (True / 1 on); kept
        by reference, so it must not change afterwards.
    domain : Polyhedron or None
        Its rows are appended to the polytope, as in :func:`region`.
    """

    def __init__(self, network: Network, bits: np.ndarray, domain: Polyhedron | None = None) -> None:
        d = self.__dict__
        d["network"] = network
        d["_bits"] = bits
        d["_domain"] = domain

    def __setattr__(self, name, value):
        raise AttributeError(f"LazyRegion is immutable; cannot set {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"LazyRegion is immutable; cannot delete {name!r}")

    @cached_property
    def pattern(self) -> Pattern:
        return Pattern.from_bits(self.network, self._bits)

    @cached_property
    def on_bits(self) -> np.ndarray:
        return np.array(self._bits, dtype=bool)

    @cached_property
    def _parts(self) -> tuple:
        bits = np.asarray(self._bits).astype(np.int8)
        return _region_parts(self.network, bits, self._domain)

    @cached_property
    def polyhedron(self) -> Polyhedron:
        return self._parts[0]

    @cached_property
    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        return self._parts[1]

    @cached_property
    def row_neurons(self) -> tuple:
        return self._parts[2]

    def __repr__(self) -> str:
        n_on = int(np.count_nonzero(self._bits))
        rows = len(self._bits) + (0 if self._domain is None else self._domain.n_constraints)
        return (f"LazyRegion({self.network.input_dim}-D, {rows} constraints, "
                f"{n_on} on / {len(self._bits) - n_on} off)")

    def __reduce__(self):
        return (LazyRegion, (self.network, np.array(self._bits), self._domain))


def _region_parts(net: Network, bits: np.ndarray, domain: Polyhedron | None):
    """(polyhedron, (W, c), row_neurons) of the complete pattern ``bits`` (int8, 1 on / 0 off)."""
    A_rows, b_rows, (W, c) = region_rows(net, split_bits(net, bits))
    names: list = list(neuron_names(net))
    if domain is not None:
        A_rows = np.vstack([A_rows, domain.A])
        b_rows = np.concatenate([b_rows, domain.b])
        names += [None] * domain.n_constraints
    W.flags.writeable = False
    c.flags.writeable = False
    return Polyhedron(A_rows, b_rows), (W, c), tuple(names)


def region_rows(net: Network, phases: dict[int, np.ndarray]):
    """Rows (A, b) of the region's neuron constraints and the final affine map (W, c)."""
    n = net.input_dim
    M = np.eye(n)
    c = np.zeros(n)
    A_parts, b_parts = [], []
    for i, layer in enumerate(net.layers):
        M = layer.weight @ M
        c = layer.weight @ c + layer.bias
        if i in phases:
            on = phases[i] == ON
            sign = np.where(on, -1.0, 1.0)
            A_parts.append(sign[:, None] * M)
            b_parts.append(-sign * c)
            d = np.where(on, 1.0, layer.off_slope)
            M = d[:, None] * M
            c = d * c
    if A_parts:
        return np.vstack(A_parts), np.concatenate(b_parts), (M, c)
    return np.zeros((0, n)), np.zeros(0), (M, c)

