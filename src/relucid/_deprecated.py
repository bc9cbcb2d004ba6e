"""Deprecation warnings for moved modules and renamed functions, in one place.

``moved_module`` is called at the top of a shim module left at an old import
path; ``renamed`` wraps a function kept under an old name. Both emit
:class:`DeprecationWarning` pointing at the user's line (import machinery
frames are skipped), so ``python -W error::DeprecationWarning`` finds every
use of an old name.
"""

from __future__ import annotations

import functools
import sys
import warnings

__all__ = ["moved_module", "renamed"]


def _caller_level(module: str) -> int:
    """The ``stacklevel`` of the first frame outside this module, ``module`` and importlib (the user's import line).

    :func:`warnings.warn` does not count importlib's frames, so neither does this.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None:
        internal = "importlib" in frame.f_code.co_filename and "_bootstrap" in frame.f_code.co_filename
        if not internal and frame.f_code.co_filename != __file__ and frame.f_globals.get("__name__") != module:
            break
        frame, level = frame.f_back, level + (not internal)
    return level


def moved_module(old: str, new: str, names: str) -> None:
    """Warn that module ``old`` moved to ``new`` (``names``: what to import from there instead)."""
    warnings.warn(
        f"the module {old} is deprecated and will be removed: import {names} from {new} instead",
        DeprecationWarning,
        stacklevel=_caller_level(old),
    )


def renamed(func, old: str, new: str):
    """``func`` under its old name ``old``: the same function, with a DeprecationWarning naming ``new`` on each call."""

    @functools.wraps(func)
    def alias(*args, **kwargs):
        warnings.warn(f"{old} is deprecated: use {new} (same arguments, same result)", DeprecationWarning, stacklevel=2)
        return func(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old.rsplit(".", 1)[-1]
    alias.__doc__ = f"Deprecated alias of :func:`{new}` (warns on every call)."
    return alias
