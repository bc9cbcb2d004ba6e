"""The one check of an input domain, used by every public function that takes ``domain``.

A domain may be given as a :class:`~relucid.geometry.Polyhedron` (a
:class:`~relucid.geometry.Box` is one) or as constraint text such as
``"0 <= x0 <= 1, x0 + x1 <= 1"``. One exception class per mistake:
:class:`~relucid.errors.ShapeError` for a wrong dimension,
:class:`~relucid.errors.InvalidValueError` for anything else.

Examples
--------
>>> as_domain("0 <= x0 <= 1, 0 <= x1 <= 1", 2, who="f").bounding_box()[1].tolist()
[1.0, 1.0]
>>> as_domain(None, 2, who="f") is None
True
>>> as_domain(Box([0.0], [1.0]), 2, who="region")
Traceback (most recent call last):
    ...
relucid.errors.ShapeError: region: the domain has dimension 1 but the network takes 2 inputs
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError, ShapeError
from .box import Box
from .parse import parse_constraints
from .polyhedron import Polyhedron

__all__ = ["as_domain"]


def as_domain(
    domain,
    dim: int,
    *,
    who: str,
    required: bool = False,
    bounded: bool = False,
    var: str = "x",
    what: str = "the domain",
) -> Polyhedron | None:
    """``domain`` as a Polyhedron of dimension ``dim`` (``None`` stays ``None`` unless ``required``).

    Parameters
    ----------
    domain : Polyhedron, Box, str or None
    dim : int
        The dimension it must have (the network's inputs).
    who : str
        The public function's name, for messages.
    required : bool
        Refuse ``None``.
    bounded : bool
        Refuse an unbounded or empty polyhedron (the analysis needs a
        bounded domain with points in it; one LP per input dimension).
    var : str
        Variable prefix of constraint text.
    what : str
        How messages call it ("the domain", "the input set").
    """
    if domain is None:
        if required:
            raise InvalidValueError(
                f"{who}: needs {what}, a bounded input set, e.g. domain=rl.Box(lo, hi) or '0 <= x0 <= 1, ...'"
            )
        return None
    if isinstance(domain, str):
        domain = parse_constraints(domain, dim, var=var)
    if not isinstance(domain, Polyhedron):
        raise InvalidValueError(
            f"{who}: {what} must be a relucid Polyhedron, Box or constraint text; got {type(domain).__name__}"
        )
    if domain.dim != dim:
        raise ShapeError(f"{who}: {what} has dimension {domain.dim} but the network takes {dim} inputs")
    if bounded and not isinstance(domain, Box):
        lo, hi = domain.bounding_box()
        if np.any(lo > hi):
            raise InvalidValueError(f"{who}: {what} is empty: no input satisfies its constraints")
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise InvalidValueError(f"{who}: {what} must be bounded (give a Box or a bounded Polyhedron)")
    elif bounded and not domain.is_finite:
        raise InvalidValueError(f"{who}: {what} must be bounded in every dimension")
    return domain
