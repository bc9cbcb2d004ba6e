"""Named numerical tolerances: the one place where they are defined.

Functions that compare floating-point numbers take their tolerance as an
explicit keyword argument whose default is one of these constants; nothing
reads a mutable global.

Activation convention (no tolerance): a neuron is **on** when its
pre-activation is ``> 0`` and **off** when it is ``<= 0``, in every module.
"""

from __future__ import annotations

#: Primal/dual feasibility tolerance handed to HiGHS. HiGHS' own default is
#: 1e-7; we ask for 1e-9 because region polytopes of deep networks have
#: constraints whose right-hand sides are differences of large numbers.
LP_FEASIBILITY_TOL: float = 1e-9

#: ``Polyhedron.contains(x)`` accepts ``A x <= b + MEMBERSHIP_TOL * (1 + |b|)``.
#: Relative to the right-hand side so that it means the same for constraints of
#: different scale; 1e-9 is ~1e7 float64 ulps at unit scale, far above the
#: rounding error of one dot product of length <= 10^4.
MEMBERSHIP_TOL: float = 1e-9

#: A constraint row ``a x <= b`` is redundant when ``max a x`` over the other
#: rows is ``<= b + REDUNDANCY_TOL * (1 + |b|)``. Keeping a row that is
#: redundant up to this slack is harmless (the set is the same); dropping a
#: row that is not redundant would enlarge the set, so the test is strict.
REDUNDANCY_TOL: float = 1e-9

#: A polyhedron is treated as *empty* for a purpose that needs an interior
#: (sampling, plotting a region) when its Chebyshev radius is below this.
#: ``is_empty()`` itself is an exact LP feasibility test, not this.
INTERIOR_TOL: float = 1e-9

#: Two class scores closer than this are a tie; explanations report ties
#: instead of silently picking one class.
CLASS_TIE_TOL: float = 1e-9

#: Rows of ``A`` with Euclidean norm below this are treated as zero rows
#: (``0 x <= b``): trivially true when ``b >= -tol``, an empty set otherwise.
ZERO_ROW_TOL: float = 1e-12

#: Float64 agreement of two affine maps computed in different orders
#: (e.g. ``net(x)`` against ``W x + b`` of the region of ``x``).
AFFINE_ATOL: float = 1e-9

#: A side of a neuron's hyperplane whose deepest point over a piece is within
#: this (relative to the magnitude of the pre-activation's terms) of the
#: hyperplane is treated as a sliver and not split off: it lies in the other
#: side's closure up to this distance. 1e-9 sits above HiGHS' feasibility
#: tolerance scaled by a unit-size problem, far below the 1e-7 boundary band
#: that membership tests leave out.
SLIVER_TOL: float = 1e-9
