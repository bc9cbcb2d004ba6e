"""Adjacent regions: step from a region across each of its neuron facets.

Across the relative interior of a facet that belongs to neuron ``(l, i)``,
every other pre-activation is continuous and non-zero, so the region on the
other side has the same pattern with only ``(l, i)`` flipped (Woods et al.,
Sec. I-D, but crossing actual facets instead of flipping arbitrary bits).
A flip whose region turns out not to be full-dimensional signals a
degenerate arrangement (two hyperplanes that coincide on the facet); those
flips are reported as such rather than silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..geometry import Polyhedron
from ..tolerances import INTERIOR_TOL
from .pattern import Neuron
from .region import Region, region


@dataclass(frozen=True)
class Adjacency:
    """One neighbour of a region: the neuron crossed and the region beyond."""

    neuron: Neuron
    region: Region
    full_dimensional: bool


def is_full_dimensional(reg: Region, tol: float = INTERIOR_TOL) -> bool:
    """Whether the region has an interior (Chebyshev radius > ``tol``)."""
    ball = reg.chebyshev_center()
    return ball.center is not None and ball.radius > tol


def adjacent_regions(reg: Region, domain: Polyhedron | None = None) -> list[Adjacency]:
    """The regions that share a facet with ``reg``, one per non-redundant neuron facet.

    Parameters
    ----------
    reg : Region
    domain : Polyhedron, optional
        Restrict the neighbours to this domain (defaults to none; facets that
        lie on the domain's boundary are never crossed).
    """
    out = []
    for neuron, pat in reg.neighbour_patterns():
        nb = region(reg.network, pat, domain=domain)
        out.append(Adjacency(neuron, nb, is_full_dimensional(nb)))
    return out
