"""Exception classes.

Every error that a user can cause by handing relucid bad input derives from
:class:`RelucidError`; the CLI prints its message as one line and exits with
code 2. LP outcomes such as "infeasible" are *not* exceptions (see
:mod:`relucid.geometry.lp`), only misuse and solver breakdown are.
"""

from __future__ import annotations


class RelucidError(Exception):
    """Base class of every error relucid raises on bad input."""


class ShapeError(RelucidError, ValueError):
    """An array has the wrong shape, or two layers do not fit together."""


class InvalidValueError(RelucidError, ValueError):
    """A value is out of its domain (NaN or inf weights, a negative width, ...)."""


class ModelFormatError(RelucidError, ValueError):
    """A model file cannot be read: malformed, truncated, or of an unknown kind."""


class UnsupportedOperatorError(ModelFormatError):
    """A model uses an operator or layer type that relucid cannot convert exactly."""


class SolverError(RelucidError, RuntimeError):
    """The LP/MILP solver broke down (not: the problem is infeasible or unbounded)."""
