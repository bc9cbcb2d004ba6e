"""Deprecation warnings for moved modules and renamed functions, in one place.

``moved_module`` is called at the top of a shim module left at an old import
path; ``renamed`` wraps a function kept under an old name. Both emit
:class:`DeprecationWarning` pointing at the user's line (import machinery
frames are skipped), so ``python -W error::DeprecationWarning`` finds every
use of an old name.
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings

__all__ = ["keyword_only", "moved_module", "renamed", "renamed_keyword"]


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


def keyword_only(*names: str):
    """Decorator: the parameters ``names`` (keyword-only in the new signature) may still be passed by
    position, in that order after the positional ones, with a DeprecationWarning (the old call form).

    Examples
    --------
    >>> import warnings
    >>> @keyword_only("domain")
    ... def f(net, x, *, domain=None):
    ...     return domain
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     f(1, 2, "box"), f(1, 2, domain="box"), len(w)
    ('box', 'box', 1)
    """

    def wrap(func):
        params = inspect.signature(func).parameters.values()
        n_pos = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)

        @functools.wraps(func)
        def inner(*args, **kwargs):
            if len(args) > n_pos:
                extra = args[n_pos:]
                if len(extra) > len(names):
                    raise TypeError(f"{func.__name__}() takes {n_pos + len(names)} positional arguments "
                                    f"(the last {len(names)} deprecated) but {len(args)} were given")
                for name, value in zip(names, extra):
                    if name in kwargs:
                        raise TypeError(f"{func.__name__}() got multiple values for argument {name!r}")
                    kwargs[name] = value
                given = ", ".join(f"{n}=" for n in names[: len(extra)])
                warnings.warn(f"{func.__name__}: pass {given} by keyword; passing it by position is deprecated",
                              DeprecationWarning, stacklevel=2)
                args = args[:n_pos]
            return func(*args, **kwargs)

        return inner

    return wrap


def renamed_keyword(old: str, new: str):
    """Decorator: the keyword ``old`` still works as ``new``, with a DeprecationWarning."""

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            if old in kwargs:
                if new in kwargs:
                    raise TypeError(f"{func.__name__}() got both {old}= (deprecated) and {new}=")
                warnings.warn(f"{func.__name__}: {old}= is deprecated: use {new}= (the same value)",
                              DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return inner

    return wrap
