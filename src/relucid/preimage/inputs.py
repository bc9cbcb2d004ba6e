"""The arguments every preimage function shares, checked once: the output set, the domain, the layers."""

from __future__ import annotations

from ..errors import InvalidValueError, ShapeError
from ..geometry import Polyhedron, PolyUnion
from ..geometry.domain import as_domain as check_domain
from ..geometry.parse import parse_constraints
from ..network import Network, check_piecewise_linear

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
    return check_domain(domain, net.input_dim, who="preimage")


def check_exact_layers(net: Network, method: str) -> None:
    """Refuse a layer without an exact polyhedral preimage (sigmoid, tanh) for ``method``."""
    check_piecewise_linear(
        net, who="preimage",
        purpose=f"an exact polyhedral preimage (method={method!r}; use method='box' or relucid.contract_intervals "
                "for sigmoid and tanh layers)",
    )
