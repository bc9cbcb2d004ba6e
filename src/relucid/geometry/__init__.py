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
:mod:`.max_box`        ``max_volume_box``, ``box_fits`` (the largest box inside)
:mod:`.qp`             least-distance QPs (nearest points in the 2-norm)
:mod:`.parse`          ``parse_constraints``, ``format_row`` (constraint text)
:mod:`.polygon`        ``Polygon2D`` (convex polygons with labelled edges, clipping)
:mod:`.domain`         ``as_domain``: the one check of an input domain
:mod:`.forked`         ``run_forked``: a MILP in a child killed at its deadline
=====================  ==========================================================
"""

from .box import Box
from .chebyshev import ChebyshevBall
from .lp import LPModel, LPResult, LPStatus, solve_lp
from .polyhedron import Polyhedron
from .union import PolyUnion

__all__ = ["Box", "ChebyshevBall", "LPModel", "LPResult", "LPStatus", "PolyUnion", "Polyhedron", "solve_lp"]
