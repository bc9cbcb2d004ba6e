"""Output properties: what a verifier is asked to prove.

Every property is stored the way a verifier uses it: as its **violation set**,
a finite union of conjunctions of linear output constraints. A counterexample
is an input whose output lies in one of them; the property holds when none is
reachable. This is also exactly what a VNN-LIB file asserts.

* :class:`ClassWins` ``(c)`` holds when ``y_c > y_j`` for every ``j != c``.
  Its violations are ``{y : y_j >= y_c}``, one per ``j`` (non-strict: a tie is
  a violation, as in VNN-LIB robustness properties). On a one-output network
  (a binary classifier, as in :meth:`~relucid.Network.classify`) class 1 wins
  where ``y0 > 0`` and class 0 where ``y0 <= 0``.
* :class:`OutputIn` ``(P)`` holds when ``A y <= b``. Its violations are
  ``{y : a_i y > b_i}``, one per row (strict: the boundary of ``P`` is inside).
* :class:`OutputAvoids` ``([Conjunction, ...])`` holds when the output is in
  none of the given conjunctions (what VNN-LIB expresses).

Strictness is kept per row (:attr:`Conjunction.strict`) so that proofs and
counterexample checks treat boundary points the right way; concrete checks
(:meth:`Property.holds_at`) compare in float64 with no tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._validate import as_float_array, check_finite, readonly
from ..errors import InvalidValueError, ShapeError
from ..geometry import Polyhedron

__all__ = ["ClassWins", "Conjunction", "OutputAvoids", "OutputIn", "Property", "StackedRows", "stack_rows"]


@dataclass(frozen=True, eq=False)
class Conjunction:
    """``{y : C y <= d}`` row by row, row ``i`` strict (``<``) where ``strict[i]``.

    Parameters
    ----------
    C : array of shape (m, n_out)
    d : array of shape (m,)
    strict : bool or bool array of shape (m,), default False
    """

    C: np.ndarray
    d: np.ndarray
    strict: np.ndarray | bool = False

    def __post_init__(self) -> None:
        C = as_float_array(self.C, what="Conjunction: C", ndim=(1, 2))
        if C.ndim == 1:
            C = C[None, :]
        d = as_float_array(self.d, what="Conjunction: d", ndim=(0, 1)).reshape(-1)
        if d.shape[0] != C.shape[0]:
            raise ShapeError(f"Conjunction: C has {C.shape[0]} rows but d has {d.shape[0]} entries")
        check_finite(C, what="Conjunction: C")
        check_finite(d, what="Conjunction: d")
        strict = np.broadcast_to(np.asarray(self.strict, dtype=bool), d.shape).copy()
        object.__setattr__(self, "C", readonly(C))
        object.__setattr__(self, "d", readonly(d))
        object.__setattr__(self, "strict", readonly(strict))

    @classmethod
    def _checked(cls, C: np.ndarray, d: np.ndarray, strict: np.ndarray) -> "Conjunction":
        """A conjunction from arrays its caller has already checked (float64 (m, n), finite (m,), bool (m,)).

        Skips the validation of ``__init__``: the VNN-LIB reader builds up to
        100,000 of them from numbers it has checked itself.
        """
        obj = object.__new__(cls)
        object.__setattr__(obj, "C", readonly(C))
        object.__setattr__(obj, "d", readonly(d))
        object.__setattr__(obj, "strict", readonly(strict))
        return obj

    @property
    def output_dim(self) -> int:
        return int(self.C.shape[1])

    def __len__(self) -> int:
        return int(self.C.shape[0])

    def margins(self, Y) -> np.ndarray:
        """``C y - d`` for a batch of outputs: (n, m). The row holds where it is ``<= 0`` (``< 0`` if strict)."""
        Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
        return Y @ self.C.T - self.d

    def satisfied(self, Y) -> np.ndarray:
        """Whether each output of a batch satisfies every row, exactly (no tolerance): bool (n,)."""
        M = self.margins(Y)
        ok = np.where(self.strict, M < 0, M <= 0)
        return ok.all(axis=1)

    def text(self, names=None) -> str:
        """Human-readable form, e.g. ``"y1 - y0 <= 0 and y2 - y0 <= 0"``."""
        return " and ".join(_row_text(c, dv, s, names) for c, dv, s in zip(self.C, self.d, self.strict))


class StackedRows(NamedTuple):
    """The rows of several conjunctions stacked: conjunction ``k`` owns rows ``starts[k] : starts[k] + counts[k]``.

    ``C`` (m, n_out), ``d`` (m,), ``strict`` (m,), ``owner`` (m,) (sorted),
    ``starts`` and ``counts`` (K,). Built once per query so that every
    per-disjunct reduction is one vectorised pass (``np.*.reduceat``), not a
    Python loop over the disjuncts (a VNN-LIB file may hold 100,000 of them).

    ``index`` (m,) or None: when many rows repeat (the disjunctive normal form
    of a conjunction of disjunctions), row ``i`` is ``unique[index[i]]`` and
    margins and bounds are computed once per distinct row.
    """

    C: np.ndarray
    d: np.ndarray
    strict: np.ndarray
    owner: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    index: np.ndarray | None = None
    unique: tuple | None = None  # (C, d, strict) of the distinct rows

    @property
    def n_disjuncts(self) -> int:
        return int(self.counts.shape[0])

    @property
    def distinct(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(C, d, strict)`` of the distinct rows (all rows when none repeat)."""
        return (self.C, self.d, self.strict) if self.unique is None else self.unique

    def expand(self, V) -> np.ndarray:
        """Per-distinct-row values ``V`` (..., u) as per-row values (..., m)."""
        return V if self.index is None else V[..., self.index]

    def chunk(self, n_points: int) -> int:
        """How many points to process at once so that a (points, rows) array stays near 4 million entries."""
        return max(1, min(n_points, CHUNK_ENTRIES // max(self.C.shape[0], 1)))

    def margins(self, Y) -> np.ndarray:
        """``c_i y - d_i`` for every row: (points, m)."""
        C, d, _ = self.distinct
        return self.expand(Y @ C.T - d)

    def segment_max(self, M) -> np.ndarray:
        """Per point and conjunction, the largest entry of ``M`` (points, m) over its rows: (points, K).

        A conjunction without rows gets ``-inf`` (it holds everywhere).
        """
        if self.index is None and self.C.shape[0] == self.n_disjuncts:  # one row each
            return np.array(M, dtype=np.float64)
        out = np.full((M.shape[0], self.n_disjuncts), -np.inf)
        has = self.counts > 0
        if has.any():
            out[:, has] = np.maximum.reduceat(M, self.starts[has], axis=1)
        return out

    def segment_any(self, B) -> np.ndarray:
        """Per point and conjunction, whether any of its rows is True in ``B`` (points, m): (points, K)."""
        if self.index is None and self.C.shape[0] == self.n_disjuncts:
            return np.array(B, dtype=bool)
        out = np.zeros((B.shape[0], self.n_disjuncts), dtype=bool)
        has = self.counts > 0
        if has.any():
            out[:, has] = np.logical_or.reduceat(B, self.starts[has], axis=1)
        return out

    def subset(self, ks) -> tuple["StackedRows", np.ndarray]:
        """The rows of the conjunctions ``ks`` only: ``(rows, order)``, ``order`` the sorted unique ``ks``."""
        order = np.unique(np.asarray(ks, dtype=np.intp))
        keep = np.zeros(self.n_disjuncts, dtype=bool)
        keep[order] = True
        sel = keep[self.owner]
        counts = self.counts[order]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        owner = np.repeat(np.arange(len(order)), counts)
        return StackedRows(self.C[sel], self.d[sel], self.strict[sel], owner, starts, counts), order


#: Entries of one (points, rows) block in the vectorised checks.
CHUNK_ENTRIES = 1 << 22


def stack_rows(conjunctions, output_dim: int | None = None) -> StackedRows:
    """The rows of ``conjunctions`` as one :class:`StackedRows` (distinct rows found when rows repeat)."""
    conjunctions = tuple(conjunctions)
    if output_dim is None:
        output_dim = conjunctions[0].output_dim if conjunctions else 0
    counts = np.array([len(c) for c in conjunctions], dtype=np.intp)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp) if len(counts) else counts
    if counts.sum():
        C = np.vstack([c.C for c in conjunctions if len(c)])
        d = np.concatenate([c.d for c in conjunctions])
        strict = np.concatenate([c.strict for c in conjunctions])
    else:
        C, d, strict = np.zeros((0, output_dim)), np.zeros(0), np.zeros(0, bool)
    owner = np.repeat(np.arange(len(counts)), counts)
    index = unique = None
    if C.shape[0] > 2 * len(counts):  # rows repeat (a product of disjunctions): find the distinct ones
        index, first = _distinct_rows(C, d, strict)
        unique = (C[first], d[first], strict[first])
    return StackedRows(C, d, strict, owner, starts, counts, index, unique)


def _distinct_rows(C, d, strict) -> tuple[np.ndarray, np.ndarray]:
    """``(index, first)``: row ``i`` equals row ``first[index[i]]``, and the ``first`` rows are distinct.

    One random projection of each row is sorted (fast); the grouping is then
    checked entry by entry, and an exact byte-wise grouping is used when two
    different rows share a projection.
    """
    key = np.hstack([C, d[:, None], strict[:, None].astype(np.float64)]) + 0.0  # + 0.0: -0.0 is 0.0
    proj = key @ np.random.default_rng(0).standard_normal(key.shape[1])
    _, first, index = np.unique(proj, return_index=True, return_inverse=True)
    index = index.ravel()
    if not np.array_equal(key[first][index], key):
        key = np.ascontiguousarray(key)
        _, first, index = np.unique(key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel(),
                                    return_index=True, return_inverse=True)
        index = index.ravel()
    return index, first


def first_satisfied(conjunctions, Y, rows: StackedRows | None = None) -> np.ndarray:
    """For each output (row of ``Y``), the index of the first conjunction it satisfies exactly, or -1.

    ``rows``: the conjunctions already stacked (:func:`stack_rows`), to save
    rebuilding them on every call. One vectorised pass over all rows, in
    blocks of points; each row's margin ``c·y - d`` is compared with 0
    exactly (``<`` for a strict row).
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
    out = np.full(Y.shape[0], -1, dtype=int)
    if rows is None:
        rows = stack_rows(conjunctions, Y.shape[1])
    K = rows.n_disjuncts
    if K == 0:
        return out
    step = rows.chunk(Y.shape[0])
    _, _, strict = rows.distinct
    for i in range(0, Y.shape[0], step):
        M = Y[i:i + step] @ rows.distinct[0].T - rows.distinct[1]  # per distinct row
        broken = rows.segment_any(rows.expand(np.where(strict, M >= 0, M > 0) | np.isnan(M)))
        sat = ~broken
        out[i:i + step] = np.where(sat.any(axis=1), sat.argmax(axis=1), -1)
    return out


class Property:
    """Base class: a property given by its violation set (a union of conjunctions)."""

    #: Short name used in results and reports.
    name: str = "property"

    def violations(self, output_dim: int) -> tuple[Conjunction, ...]:
        """The violation set for a network with ``output_dim`` outputs."""
        raise NotImplementedError

    def check(self, output_dim: int) -> None:
        """Raise :class:`ShapeError` when the property does not fit ``output_dim`` outputs."""
        for k, conj in enumerate(self.violations(output_dim)):
            if conj.output_dim != output_dim:
                raise ShapeError(
                    f"{self.describe()}: constraint {k} is over {conj.output_dim} outputs "
                    f"but the network has {output_dim}"
                )

    def violated_by(self, Y) -> np.ndarray:
        """Index of the first violation each output lies in, or -1: int array (n,)."""
        Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
        return first_satisfied(self.violations(Y.shape[1]), Y)

    def holds_at(self, Y) -> np.ndarray:
        """Whether the property holds at each output of a batch (exact float64 comparison)."""
        return self.violated_by(Y) < 0

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class ClassWins(Property):
    """Class ``c`` wins: ``y_c > y_j`` for every other output ``j``.

    A one-output network is a binary classifier, as in
    :meth:`~relucid.Network.classify`: class 1 wins where ``y0 > 0``, class 0
    where ``y0 <= 0`` (no other class exists).

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassWins(1)
    >>> p.holds_at(np.array([[0.0, 2.0, 1.0], [2.0, 2.0, 0.0]])).tolist()
    [True, False]
    """

    c: int

    name = "class-wins"

    def __post_init__(self) -> None:
        if isinstance(self.c, bool) or int(self.c) != self.c or self.c < 0:
            raise InvalidValueError(f"ClassWins: the class must be a non-negative integer; got {self.c!r}")
        object.__setattr__(self, "c", int(self.c))

    def violations(self, output_dim: int) -> tuple[Conjunction, ...]:
        if output_dim == 1:
            # One output is a binary classifier, as in Network.classify: class 1 iff y0 > 0.
            if self.c > 1:
                raise ShapeError(f"ClassWins({self.c}): a one-output network is a binary classifier "
                                 "(class 1 where y0 > 0, class 0 where y0 <= 0)")
            if self.c == 1:
                return (Conjunction([1.0], [0.0]),)  # violation: y0 <= 0
            return (Conjunction([-1.0], [0.0], True),)  # violation: y0 > 0
        if self.c >= output_dim:
            raise ShapeError(f"ClassWins({self.c}): the network has {output_dim} outputs (classes 0..{output_dim - 1})")
        out = []
        for j in range(output_dim):
            if j == self.c:
                continue
            row = np.zeros(output_dim)
            row[self.c], row[j] = 1.0, -1.0  # y_c - y_j <= 0
            out.append(Conjunction(row, [0.0]))
        return tuple(out)

    def describe(self) -> str:
        return f"class {self.c} wins (y{self.c} > every other output)"


@dataclass(frozen=True, eq=False)
class OutputIn(Property):
    """The output stays in a polyhedron ``{y : A y <= b}`` (its boundary included)."""

    polyhedron: Polyhedron

    name = "output-in"

    def __post_init__(self) -> None:
        if not isinstance(self.polyhedron, Polyhedron):
            raise InvalidValueError(f"OutputIn: expects a Polyhedron; got {type(self.polyhedron).__name__}")

    def violations(self, output_dim: int) -> tuple[Conjunction, ...]:
        P = self.polyhedron
        if P.dim != output_dim:
            raise ShapeError(f"OutputIn: the polyhedron has dimension {P.dim} but the network has {output_dim} outputs")
        return tuple(Conjunction(-a, [-bv], True) for a, bv in zip(P.A, P.b))  # a y > b

    def describe(self) -> str:
        return f"output in a polyhedron of {self.polyhedron.n_constraints} constraints"


@dataclass(frozen=True, eq=False)
class OutputAvoids(Property):
    """The output lies in none of the given conjunctions (a VNN-LIB property).

    Parameters
    ----------
    disjuncts : sequence of Conjunction
        The violation set is their union. An empty sequence is a property
        that always holds.
    description : str, optional
    """

    disjuncts: tuple
    description: str | None = None

    name = "output-avoids"

    def __post_init__(self) -> None:
        if isinstance(self.disjuncts, Conjunction):
            object.__setattr__(self, "disjuncts", (self.disjuncts,))
        ds = tuple(self.disjuncts)
        for i, d in enumerate(ds):
            if not isinstance(d, Conjunction):
                raise InvalidValueError(f"OutputAvoids: disjunct {i} must be a Conjunction; got {type(d).__name__}")
        dims = sorted({d.output_dim for d in ds})
        if len(dims) > 1:
            raise ShapeError(f"OutputAvoids: disjuncts are over different numbers of outputs: {dims}")
        object.__setattr__(self, "disjuncts", ds)

    def violations(self, output_dim: int) -> tuple[Conjunction, ...]:
        for i, d in enumerate(self.disjuncts):
            if d.output_dim != output_dim:
                raise ShapeError(
                    f"property: disjunct {i} is over {d.output_dim} outputs but the network has {output_dim}"
                )
        return self.disjuncts

    def describe(self) -> str:
        if self.description:
            return self.description
        return f"output avoids a union of {len(self.disjuncts)} polyhedra"


def _row_text(c, d, strict, names) -> str:
    terms = []
    for j, v in enumerate(c):
        if v == 0:
            continue
        name = names[j] if names is not None else f"y{j}"
        coef = "" if abs(v) == 1 else f"{abs(v):g}*"
        sign = "-" if v < 0 else "+"
        terms.append((sign, f"{coef}{name}"))
    if not terms:
        lhs = "0"
    else:
        lhs = ("-" if terms[0][0] == "-" else "") + terms[0][1]
        lhs += "".join(f" {s} {t}" for s, t in terms[1:])
    return f"{lhs} {'<' if strict else '<='} {d:g}"
