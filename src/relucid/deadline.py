"""One deadline helper: a timeout in seconds becomes a :class:`Deadline`.

Every function that takes ``timeout`` validates it with :func:`check_timeout`
(one message, one exception class) and turns it into a :class:`Deadline`;
every loop that can run long asks ``deadline.expired()`` and every solver call
gets ``deadline.seconds()`` (its remaining time, or ``None`` for "no limit").

The promise (docs/verify.md, "Timeouts"): a call with ``timeout=T`` returns
within ``1.1 T + 1`` seconds of wall-clock time.

Examples
--------
>>> d = Deadline.after(None)
>>> d.expired(), d.remaining(), d.seconds()
(False, inf, None)
>>> d = Deadline.after(0.5)
>>> 0 < d.remaining() <= 0.5 and not d.expired()
True
>>> check_timeout(-1, who="verify")
Traceback (most recent call last):
    ...
relucid.errors.InvalidValueError: verify: timeout must be a positive, finite number of seconds; got -1
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass

from .errors import InvalidValueError

__all__ = ["Deadline", "DeadlineExpired", "check_timeout"]


class DeadlineExpired(TimeoutError):
    """Raised by :meth:`Deadline.check` inside work that has no partial answer (e.g. parsing)."""


def check_timeout(timeout, *, who: str, zero_ok: bool = False) -> float | None:
    """``timeout`` as a float of seconds (``None`` stays ``None``), or :class:`InvalidValueError`.

    Refused: booleans, non-numbers, NaN, infinity, negative values and zero
    (unless ``zero_ok``: a caller that answers "unknown" at once for 0).
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise InvalidValueError(
            f"{who}: timeout must be a positive, finite number of seconds; got {timeout!r} ({type(timeout).__name__})"
        )
    t = float(timeout)
    if zero_ok and t == 0:
        return 0.0
    if not (math.isfinite(t) and t > 0):
        raise InvalidValueError(f"{who}: timeout must be a positive, finite number of seconds; got {timeout!r}")
    return t


@dataclass(frozen=True)
class Deadline:
    """A point in ``time.monotonic()`` time (``inf``: no limit)."""

    at: float = math.inf

    @classmethod
    def after(cls, timeout: float | None, *, who: str | None = None) -> "Deadline":
        """The deadline ``timeout`` seconds from now; ``who`` validates ``timeout`` first."""
        if who is not None:
            timeout = check_timeout(timeout, who=who)
        return cls(math.inf if timeout is None else time.monotonic() + float(timeout))

    @classmethod
    def never(cls) -> "Deadline":
        return cls(math.inf)

    @classmethod
    def coerce(cls, value) -> "Deadline":
        """A Deadline from a Deadline, a ``time.monotonic()`` instant, or None (no limit)."""
        if isinstance(value, Deadline):
            return value
        return cls(math.inf if value is None else float(value))

    @property
    def limited(self) -> bool:
        """Whether there is a limit at all."""
        return math.isfinite(self.at)

    def remaining(self) -> float:
        """Seconds left (``inf`` without a limit, ``<= 0`` once expired)."""
        return self.at - time.monotonic() if self.limited else math.inf

    def expired(self) -> bool:
        return self.limited and time.monotonic() >= self.at

    def check(self, what: str) -> None:
        """Raise :class:`DeadlineExpired` ("``what``: the timeout passed") once expired."""
        if self.expired():
            raise DeadlineExpired(f"{what}: the timeout passed")

    def seconds(self, floor: float = 0.0) -> float | None:
        """Seconds left for a solver's time limit, at least ``floor``; ``None`` without a limit."""
        return None if not self.limited else max(self.remaining(), floor)

    def share(self, fraction: float, *, cap: float | None = None) -> "Deadline":
        """An earlier deadline: ``fraction`` of the remaining time (at most ``cap`` seconds)."""
        left = self.remaining()
        span = fraction * left if math.isfinite(left) else math.inf
        if cap is not None:
            span = min(span, cap)
        return Deadline(min(self.at, time.monotonic() + span) if math.isfinite(span) else self.at)

    def sooner(self, other: "Deadline | float | None") -> "Deadline":
        """The earlier of this deadline and ``other`` (a Deadline, a monotonic time, or None)."""
        if other is None:
            return self
        at = other.at if isinstance(other, Deadline) else float(other)
        return Deadline(min(self.at, at))
