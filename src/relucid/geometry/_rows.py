"""Cheap, LP-free facts about the rows of ``A x <= b`` shared by the algorithms.

A row with ``b = +inf`` imposes nothing; a row with ``b = -inf`` makes the set
empty; a row whose ``a`` has norm below :data:`~relucid.tolerances.ZERO_ROW_TOL`
reads ``0 <= b`` and is true or false for every ``x`` at once. A row with one
nonzero coefficient (a *singleton*) is a bound on one variable; the algorithms
hand those to HiGHS as column bounds, which keeps the LP basis small (on a
784-input MNIST region, 1,568 of 2,592 rows are pixel bounds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tolerances import LP_FEASIBILITY_TOL, ZERO_ROW_TOL


@dataclass(frozen=True)
class RowSplit:
    """The rows of ``A x <= b`` sorted by kind (indices into the original rows).

    Attributes
    ----------
    general : ndarray of int
        Rows with two or more nonzeros (and a finite ``b``).
    upper, lower : ndarray of shape (n,)
        The tightest bounds implied by singleton rows (``+inf`` / ``-inf``
        where there is none).
    upper_row, lower_row : ndarray of int, shape (n,)
        The row giving each bound (the lowest index among ties), -1 if none.
    singletons : ndarray of int
        All singleton rows.
    empty_row : int
        A row that alone makes the set empty (``b = -inf`` or ``0 <= b < 0``),
        or -1.
    """

    general: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    upper_row: np.ndarray
    lower_row: np.ndarray
    singletons: np.ndarray
    empty_row: int

    @property
    def bounds_cross(self) -> bool:
        """Whether two singleton rows alone already make the set empty."""
        return bool(np.any(self.lower > self.upper + LP_FEASIBILITY_TOL * (1 + np.abs(self.upper))))


def row_norms(A: np.ndarray) -> np.ndarray:
    """Euclidean norms of the rows of ``A``."""
    return np.sqrt(np.einsum("ij,ij->i", A, A)) if A.size else np.zeros(A.shape[0])


def split_rows(A: np.ndarray, b: np.ndarray) -> RowSplit:
    """Sort the rows of ``A x <= b`` into free, empty-making, singleton and general rows."""
    m, n = A.shape
    norms = row_norms(A)
    zero = norms < ZERO_ROW_TOL
    empty = (b == -np.inf) | (zero & (b < -LP_FEASIBILITY_TOL))
    empty_row = int(np.flatnonzero(empty)[0]) if empty.any() else -1
    live = (b < np.inf) & ~zero & ~empty
    nnz = np.count_nonzero(A, axis=1)
    single = live & (nnz == 1)
    general = np.flatnonzero(live & (nnz > 1))
    upper = np.full(n, np.inf)
    lower = np.full(n, -np.inf)
    upper_row = np.full(n, -1, dtype=np.int64)
    lower_row = np.full(n, -1, dtype=np.int64)
    singletons = np.flatnonzero(single)
    for i in singletons:  # increasing i: on ties the lowest index wins (strict <, >)
        j = int(np.flatnonzero(A[i])[0])
        bound = b[i] / A[i, j]
        if A[i, j] > 0:
            if bound < upper[j]:
                upper[j], upper_row[j] = bound, i
        elif bound > lower[j]:
            lower[j], lower_row[j] = bound, i
    return RowSplit(general, upper, lower, upper_row, lower_row, singletons, empty_row)


def box_max(A: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """``max a_i x`` over the box ``lower <= x <= upper`` for every row (``+inf`` if unbounded)."""
    with np.errstate(invalid="ignore"):
        hi_part = np.where(A > 0, A * upper, 0.0)
        lo_part = np.where(A < 0, A * lower, 0.0)
    return (hi_part + lo_part).sum(axis=1)


def slack_tol(b: np.ndarray, tol: float) -> np.ndarray:
    """The relative slack ``tol * (1 + |b|)`` used by membership and redundancy tests."""
    return tol * (1.0 + np.abs(b))
