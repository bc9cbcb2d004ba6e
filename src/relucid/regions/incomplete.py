"""The warning that region enumeration stopped early.

It sits in its own module so that :mod:`.enumerate` and :mod:`.planar` both
import it from below instead of from each other.
"""

from __future__ import annotations

__all__ = ["IncompleteEnumerationWarning"]


class IncompleteEnumerationWarning(RuntimeWarning):
    """Region enumeration stopped at its timeout or region limit."""
