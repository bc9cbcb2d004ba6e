"""Activation patterns, the region of a pattern, adjacent regions, enumeration."""

from .enumerate import IncompleteEnumerationWarning, regions
from .marching import Adjacency, adjacent_regions, facet_point, facet_points, is_full_dimensional
from .pattern import Pattern, activation_bits, neuron_names, pattern
from .region import Facet, Region, region

__all__ = [
    "Adjacency",
    "Facet",
    "IncompleteEnumerationWarning",
    "Pattern",
    "Region",
    "activation_bits",
    "adjacent_regions",
    "facet_point",
    "facet_points",
    "is_full_dimensional",
    "neuron_names",
    "pattern",
    "region",
    "regions",
]
