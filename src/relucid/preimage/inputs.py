"""The arguments every preimage function shares, checked once: the output set, the domain, the layers."""

from __future__ import annotations

from ..errors import InvalidValueError, ShapeError
from ..geometry import Polyhedron, PolyUnion
from ..geometry.parse import parse_constraints
from ..network import Network

__all__ = ["as_domain", "as_output_set", "check_exact_layers"]


def as_output_set(net: Network, output_set) -> tuple[Polyhedron, ...]:
    """``output_set`` (Polyhedron, PolyUnion or text like ``"y0 <= y1"``) as pieces of dimension ``net.output_dim``."""
    if isinstance(output_set, str):
        output_set = parse_constraints(output_set, net.output_dim, var="y")
    if isinstance(output_set, Polyhedron):
        pieces = (output_set,)
    elif isinstance(output_set, PolyUnion):
        pieces = tuple(output_set.pieces)
        dim = output_set.dim
        if dim != net.output_dim:
            raise ShapeError(f"preimage: the output set has dimension {dim} but the network has {net.output_dim} outputs")
    else:
        raise InvalidValueError(
            f"preimage: output_set must be a Polyhedron, a PolyUnion or a constraint string; got {type(output_set).__name__}"
        )
    for p in pieces:
        if p.dim != net.output_dim:
            raise ShapeError(f"preimage: the output set has dimension {p.dim} but the network has {net.output_dim} outputs")
    return pieces


def as_domain(net: Network, domain) -> Polyhedron | None:
    """``domain`` (None, Polyhedron, or text like ``"0 <= x0 <= 1"``) checked against ``net.input_dim``."""
    if domain is None:
        return None
    if isinstance(domain, str):
        domain = parse_constraints(domain, net.input_dim, var="x")
    if not isinstance(domain, Polyhedron):
        raise InvalidValueError(f"preimage: domain must be a Polyhedron or a constraint string; got {type(domain).__name__}")
    if domain.dim != net.input_dim:
        raise ShapeError(f"preimage: the domain has dimension {domain.dim} but the network takes {net.input_dim} inputs")
    return domain


def check_exact_layers(net: Network, method: str) -> None:
    """Refuse a layer without an exact polyhedral preimage (sigmoid, tanh) for ``method``."""
    for k, layer in enumerate(net.layers):
        if layer.activation not in ("relu", "leaky_relu", "identity"):
            raise InvalidValueError(
                f"preimage: layer {k} has {layer.activation} activations, which have no exact polyhedral "
                f"preimage; use method='box' or relucid.contract_intervals (interval methods) instead of method={method!r}"
            )
