"""Activation patterns, the region of a pattern, adjacent regions, enumeration."""

from .enumerate import regions
from .incomplete import IncompleteEnumerationWarning
from .marching import Adjacency, adjacent_regions, facet_point, facet_points, is_full_dimensional, is_realised
from .pattern import Pattern, activation_bits, neuron_names, pattern
from .planar import PlanarSubdivision, planar_regions
from .region import Facet, LazyRegion, Region, region

__all__ = [
    "Adjacency",
    "Facet",
    "IncompleteEnumerationWarning",
    "LazyRegion",
    "Pattern",
    "PlanarSubdivision",
    "Region",
    "activation_bits",
    "adjacent_regions",
    "facet_point",
    "facet_points",
    "is_full_dimensional",
    "is_realised",
    "neuron_names",
    "pattern",
    "planar_regions",
    "region",
    "regions",
]
