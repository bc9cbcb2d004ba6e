"""Argument checks at the edges, in one place.

Each check raises a :class:`~relucid.errors.RelucidError` subclass whose
message names the caller, what was expected, what arrived and, where there is
one, the fix.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidValueError, ShapeError


def as_float_array(value, *, what: str, ndim: int | tuple[int, ...]) -> np.ndarray:
    """Return ``value`` as a fresh float64 array with ``ndim`` dimensions.

    Raises :class:`ShapeError` when the number of dimensions is wrong and
    :class:`InvalidValueError` when the value is not numeric.
    """
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{what} must be numeric; got {type(value).__name__} ({exc})") from None
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ShapeError(f"{what} must be a {want} array; got shape {arr.shape}")
    return arr


def check_finite(arr: np.ndarray, *, what: str) -> None:
    """Raise :class:`InvalidValueError` naming the first NaN/inf entry of ``arr``."""
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(arr[first]) else "inf"
        raise InvalidValueError(
            f"{what} has {int(bad.sum())} NaN/inf entries (first: {kind} at index {list(first)})"
        )


def readonly(arr: np.ndarray) -> np.ndarray:
    """Mark ``arr`` read-only and return it (values of immutable objects)."""
    arr.flags.writeable = False
    return arr


def batch_input(X, dim: int, *, what: str) -> tuple[np.ndarray, bool]:
    """Return ``(X2, single)`` with ``X2`` of shape (n, dim) in float64.

    ``single`` tells whether ``X`` was one vector, so callers can return a
    vector again.
    """
    arr = as_float_array(X, what=what, ndim=(1, 2))
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.shape[1] != dim:
        got = arr.shape[1] if not single else arr.shape[1]
        raise ShapeError(
            f"{what}: expected inputs of length {dim}, got length {got}"
            + (" (pass a batch as an array of shape (n, %d))" % dim if not single else "")
        )
    return arr, single


def seed_of(rng, *, who: str) -> int:
    """The integer seed behind ``rng`` (relucid's one name for randomness): an int is itself, a numpy
    ``Generator`` gives one draw, None a fresh one. Algorithms that derive per-task seeds
    (``seed + j``) or hand one to scikit-learn work from this integer."""
    if rng is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**31 - 1))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return int(rng)
    raise InvalidValueError(f"{who}: rng must be an int seed, a numpy Generator or None; got {type(rng).__name__}")
