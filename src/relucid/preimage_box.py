"""Deprecated module path: the box over-approximation lives in :mod:`relucid.preimage.box`.

Use ``rl.preimage(net, Y, domain, method="box")``; importing this module warns.
"""

from ._deprecated import moved_module
from .preimage.box import BOX_SLACK, box_preimage

__all__ = ["BOX_SLACK", "box_preimage"]

moved_module(__name__, "relucid.preimage", "box_preimage and BOX_SLACK")
