"""relucid — the exact geometry of piecewise-linear neural networks.

The public API (see ``docs/`` and DESIGN.md) is re-exported here and nothing else.
"""

from .errors import (
    InvalidValueError,
    ModelFormatError,
    RelucidError,
    ShapeError,
    SolverError,
    UnsupportedOperatorError,
)
from .abstraction import (
    Abstraction,
    abstract,
    error_bounds,
    identify_clusters,
    layer_error_bound,
    lift_paper,
    lift_paper_unsound,
    lift_sound,
    perturbation_error_bound,
    verify_via_abstraction,
)
from .bounds import bounds
from .bounds.forward_backward import Contraction, contract_intervals
from .geometry import Box, Polyhedron, PolyUnion
from .io import from_sklearn, from_torch, load, load_vnnlib, save
from .characterize import Characterization, MinimalPattern, convex_region, find_minimal, ua_box
from .explain import Explanation, why, why_not
from .naps import NAP, mine_naps
from .network import Dense, Network
from .preimage import Preimage, preimage, preimage_layers
from .regions import Pattern, Region, adjacent_regions, pattern, region, regions
from .verify import ClassWins, Conjunction, OutputAvoids, OutputIn, Property, Result, verify

__version__ = "0.1.0"

__all__ = [
    "Abstraction",
    "abstract",
    "error_bounds",
    "identify_clusters",
    "layer_error_bound",
    "lift_paper",
    "lift_paper_unsound",
    "lift_sound",
    "perturbation_error_bound",
    "verify_via_abstraction",
    "Box",
    "NAP",
    "mine_naps",
    "Characterization",
    "Explanation",
    "MinimalPattern",
    "convex_region",
    "find_minimal",
    "ua_box",
    "why",
    "why_not",
    "Contraction",
    "Preimage",
    "contract_intervals",
    "preimage",
    "preimage_layers",
    "ClassWins",
    "Conjunction",
    "OutputAvoids",
    "OutputIn",
    "Property",
    "Result",
    "bounds",
    "load_vnnlib",
    "verify",
    "Dense",
    "InvalidValueError",
    "ModelFormatError",
    "Network",
    "Pattern",
    "PolyUnion",
    "Polyhedron",
    "Region",
    "RelucidError",
    "ShapeError",
    "SolverError",
    "UnsupportedOperatorError",
    "adjacent_regions",
    "from_sklearn",
    "from_torch",
    "load",
    "pattern",
    "region",
    "regions",
    "save",
]
