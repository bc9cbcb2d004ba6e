"""Output properties as conjunctions of half-spaces, the form characterisation needs.

A characterisation writes the property through a local affine map
(``P(W x + b)``) and relaxes it row by row, so it needs ``P`` to be a
conjunction of half-spaces of the output::

    P(y)  ⇔  C_k y > d_k  (or >= where the row is not strict)   for every k.

A relucid property stores its *violation set* as a union of conjunctions
(:mod:`relucid.verify.properties`); when every conjunction is a single row
``c y <= d`` (resp. ``c y < d``), the property is exactly the conjunction of
their negations ``c y > d`` (resp. ``c y >= d``). :class:`~relucid.ClassWins`
and :class:`~relucid.OutputIn` are of this kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ..verify import ClassWins, Conjunction, OutputAvoids, Property

__all__ = ["HalfspaceProperty", "class_property", "halfspace_rows"]


@dataclass(frozen=True, eq=False)
class HalfspaceProperty:
    """``P(y) ⇔ C y > d`` row by row (``>=`` where ``strict`` is False).

    Attributes
    ----------
    C : (K, n_out) array
    d : (K,) array
    strict : (K,) bool array
        True: the row is ``C_k y > d_k`` (its violation ``C_k y <= d_k`` is
        non-strict, as for ``ClassWins``, where a tie is a violation).
    """

    C: np.ndarray
    d: np.ndarray
    strict: np.ndarray

    def margins(self, Y) -> np.ndarray:
        """``C y - d`` for a batch of outputs: (n, K)."""
        return np.atleast_2d(np.asarray(Y, dtype=np.float64)) @ self.C.T - self.d

    def holds(self, Y) -> np.ndarray:
        """Whether each output of a batch satisfies every row, exactly (float64)."""
        M = self.margins(Y)
        return np.where(self.strict, M > 0, M >= 0).all(axis=1)


def halfspace_rows(prop: Property, output_dim: int, *, who: str) -> HalfspaceProperty:
    """``prop`` as a :class:`HalfspaceProperty`, or an error naming what does not fit.

    Raises
    ------
    InvalidValueError
        ``prop`` is not a relucid Property, or one of its violation
        conjunctions has more than one row (then ``P`` is not convex in the
        output and ``P(W x + b)`` is not a polyhedron).
    ShapeError
        The property does not fit the network's outputs (e.g. a class that
        does not exist).
    """
    if not isinstance(prop, Property):
        raise InvalidValueError(
            f"{who}: prop must be a relucid property (ClassWins, OutputIn, OutputAvoids); got {type(prop).__name__}"
        )
    try:
        disjuncts = prop.violations(output_dim)
        prop.check(output_dim)
    except ShapeError as exc:
        raise ShapeError(f"{who}: {exc}") from None
    rows, consts, strict = [], [], []
    for k, conj in enumerate(disjuncts):
        if len(conj) != 1:
            raise InvalidValueError(
                f"{who}: the property must be a conjunction of half-spaces of the output (ClassWins, OutputIn); "
                f"violation {k} of {prop.describe()!r} has {len(conj)} rows, so the property is not convex"
            )
        rows.append(conj.C[0])
        consts.append(conj.d[0])
        strict.append(not bool(conj.strict[0]))  # not (c y <= d) is c y > d; not (c y < d) is c y >= d
    C = np.array(rows, dtype=np.float64).reshape(-1, output_dim)
    return HalfspaceProperty(C, np.array(consts, dtype=np.float64), np.array(strict, dtype=bool))


def class_property(output_dim: int, c: int) -> Property:
    """"Class ``c`` wins" for a network with ``output_dim`` outputs.

    With two or more outputs this is :class:`~relucid.ClassWins` ``(c)``. A
    single-output network is read as a binary classifier in scikit-learn's
    convention (:func:`relucid.from_sklearn`): class 1 where the logit
    ``y0 > 0``, class 0 where ``y0 <= 0``.

    Raises
    ------
    ShapeError
        ``c`` is not a class of the network.
    """
    if isinstance(c, bool) or int(c) != c or c < 0:
        raise InvalidValueError(f"class_property: the class must be a non-negative integer; got {c!r}")
    c = int(c)
    n_classes = 2 if output_dim == 1 else output_dim
    if c >= n_classes:
        raise ShapeError(f"class {c} does not exist: the network has {n_classes} classes (0..{n_classes - 1})")
    if output_dim > 1:
        return ClassWins(c)
    if c == 1:  # violation y0 <= 0
        return OutputAvoids((Conjunction([1.0], [0.0]),), "class 1 wins (logit y0 > 0)")
    return OutputAvoids((Conjunction([-1.0], [0.0], True),), "class 0 wins (logit y0 <= 0)")  # violation y0 > 0
