"""Preimages of polyhedral output sets (Forets & Schilling): :func:`preimage`, :func:`preimage_layers`."""

from .forward import IncompletePreimageWarning, Preimage, PreimageStats, as_domain, as_output_set, preimage
from .box import box_preimage
from .layers import Stage, preimage_layers

__all__ = ["IncompletePreimageWarning", "Preimage", "PreimageStats", "Stage", "as_domain", "as_output_set",
           "box_preimage", "preimage", "preimage_layers"]
