"""Deprecated module path: the paper's output-to-input preimage lives in :mod:`relucid.preimage.layers`.

``rl.preimage_layers(...)`` (the function) is unchanged and does not warn.
Importing this module warns once. Python then binds the name
``relucid.preimage_layers`` to this module, so the module is callable and
runs the function: ``rl.preimage_layers(net, Y)`` keeps working after an
old ``from relucid.preimage_layers import Stage``.
"""

import sys
import types

from ._deprecated import moved_module
from .preimage.layers import Stage, preimage_layers

__all__ = ["Stage", "preimage_layers"]

moved_module(__name__, "relucid.preimage", "preimage_layers and Stage")


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return preimage_layers(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
