"""Preimages of polyhedral output sets: every input ``x`` with ``N(x) ∈ Y``.

Forets & Schilling, "The inverse problem for neural networks" (AISoLA 2023).
For piecewise-affine networks the preimage of a union of polyhedra is again
a finite union of (possibly unbounded) polyhedra. :func:`preimage` has three
methods:

``"exact"``
    The whole preimage (intersected with ``domain`` when one is given), as
    one polyhedron per activation pattern whose region meets it: the union
    of ``P_j ∩ α_j⁻¹(Y)`` of the paper, with every empty piece pruned.
``"under"``
    The first ``max_pieces`` non-empty pieces of a depth-first search that
    follows one piece per layer and backtracks at dead ends: a subset of the
    exact preimage.
``"box"``
    Interval inversion layer by layer (paper, Sec. 3.2): one box containing
    the exact preimage. Fast, and defined for sigmoid and tanh too.

:func:`preimage_layers` computes the exact set the paper's way, last layer
first, and returns the set after every step.

Modules (each imports only the ones above it in this list, none imports
:mod:`relucid.preimage` itself):

* :mod:`.result` — :class:`Preimage`, :class:`PreimageStats`, :class:`IncompletePreimageWarning`;
* :mod:`.inputs` — :func:`as_output_set`, :func:`as_domain`, the layer check;
* :mod:`.affine` — the affine-inverse rule (Eq. 6), shared by both orders;
* :mod:`.box` — ``method="box"`` (:func:`box_preimage`);
* :mod:`.forward` — the default search, from the input side (``"exact"``, ``"under"``);
* :mod:`.layers` — the paper's order, output first (:func:`preimage_layers`, :class:`Stage`);
* :mod:`.api` — :func:`preimage`: checks the arguments and picks the search.
"""

from .result import IncompletePreimageWarning, Preimage, PreimageStats
from .inputs import as_domain, as_output_set
from .box import BOX_SLACK, box_preimage
from .layers import Stage, preimage_layers
from .api import METHODS, preimage

__all__ = [
    "BOX_SLACK",
    "IncompletePreimageWarning",
    "METHODS",
    "Preimage",
    "PreimageStats",
    "Stage",
    "as_domain",
    "as_output_set",
    "box_preimage",
    "preimage",
    "preimage_layers",
]
