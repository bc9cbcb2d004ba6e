"""Polyhedra, boxes and unions of polyhedra; ``lp.py`` is the one LP layer (HiGHS).

Sets are immutable values (:class:`Polyhedron`, :class:`Box`,
:class:`PolyUnion`); the algorithms are free functions in modules named after
them, over ``(A, b)`` arrays:

=====================  ==========================================================
:mod:`.lp`             ``solve_lp``, ``LPModel`` (warm-started), ``LPStatus``
:mod:`.feasibility`    ``is_empty``, ``find_point``, ``is_bounded``
:mod:`.chebyshev`      ``chebyshev_center`` → ``ChebyshevBall``
:mod:`.bounding_box`   ``bounding_box``
:mod:`.redundancy`     ``nonredundant_rows`` (pre-filters, ray shooting, LPs)
:mod:`.vertices`       ``compute_vertices`` (Qhull, lower-dimensional cases too)
:mod:`.sampling`       ``hit_and_run``
=====================  ==========================================================
"""

from .box import Box
from .chebyshev import ChebyshevBall
from .lp import LPModel, LPResult, LPStatus, solve_lp
from .polyhedron import Polyhedron
from .union import PolyUnion

__all__ = ["Box", "ChebyshevBall", "LPModel", "LPResult", "LPStatus", "PolyUnion", "Polyhedron", "solve_lp"]
