"""Output properties: what a verifier is asked to prove.

Every property is stored the way a verifier uses it: as its **violation set**,
a finite union of conjunctions of linear output constraints. A counterexample
is an input whose output lies in one of them; the property holds when none is
reachable. This is also exactly what a VNN-LIB file asserts.

* :class:`ClassWins` ``(c)`` holds when ``y_c > y_j`` for every ``j != c``.
  Its violations are ``{y : y_j >= y_c}``, one per ``j`` (non-strict: a tie is
  a violation, as in VNN-LIB robustness properties).
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

import numpy as np

from .._validate import as_float_array, check_finite, readonly
from ..errors import InvalidValueError, ShapeError
from ..geometry import Polyhedron

__all__ = ["ClassWins", "Conjunction", "OutputAvoids", "OutputIn", "Property"]


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


def first_satisfied(conjunctions, Y) -> np.ndarray:
    """For each output (row of ``Y``), the index of the first conjunction it satisfies exactly, or -1."""
    out = np.full(Y.shape[0], -1, dtype=int)
    for k, conj in enumerate(conjunctions):
        out[(out < 0) & conj.satisfied(Y)] = k
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
