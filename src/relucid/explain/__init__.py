"""Why and why-not explanations from the geometry of a ReLU network (Woods et al.).

Inside the linear region ``R(x)`` of an input (its activation pattern as a
polytope, :func:`relucid.region`) the network is one affine map
``y = W z + b``. **Why** class ``c``: the sub-polytope of ``R(x)`` where ``c``
beats every other class,

.. math::  P_c = R(x) \\cap \\{ z : (W_j - W_c) z \\le b_c - b_j,\\ j \\ne c \\},

given by its minimal set of constraints (LP redundancy removal; Sec. II-A),
the range of every input feature over it (2 LPs per feature, most of them
skipped, see :func:`feature_bounds`) and, for at most six inputs, its
vertices (the V-representation, Sec. II-C).

**Why not** target ``t``: if ``P_t`` inside ``R(x)`` has an interior, the
answer is there (Hamming distance 0). Otherwise regions are visited
breadth-first by crossing facets of the current region (flipping the one
neuron whose non-redundant facet is crossed, :meth:`Region.neighbour_patterns`;
Sec. II-B, where the paper flips arbitrary bits) until the first level that
holds a region where ``t`` wins on a set with an interior. The whole level is
examined and the region whose target set comes nearest to ``x`` is returned,
with the neurons flipped, the constraints of its target set that ``x``
violates, and the nearest point (an LP for the L1 and L∞ norms, a
least-distance QP for L2). The point lies on the boundary of the target set,
where class scores tie, so it is nudged toward the set's Chebyshev centre and
re-checked by a float64 forward pass (``Explanation.confirmed``).

That is the march (``method="march"``): its answer is the region with the
fewest crossings, then the nearest point there, which need not be the nearest
input of the target class overall. ``method="engine"`` answers that question
instead: the nearest input of the target class in the L∞ norm (radius
bisection, one :func:`relucid.verify` query per radius) or L1 (one MILP), with
a proved lower bound (``distance_lower_bound``, ``minimal_proved``); see
:mod:`.engine_search`. ``method="auto"`` (the default) marches on small
networks and uses the engine otherwise. Either way the segment from ``x`` to
the point is walked exactly and the regions it passes through are reported
(:mod:`.segment`).

Levels count facet crossings. For one hidden layer (a hyperplane arrangement)
that is the Hamming distance between patterns, and every region of a convex
domain is reachable, so no region with fewer flipped neurons contains the
target anywhere. In deeper networks a region's Hamming distance can be
smaller than its number of crossings (a bent hyperplane can be crossed twice);
both are reported (``hamming``, ``steps``) and the guarantee is: no region
reachable in fewer crossings has the target.

Cost. Building an explanation is cheap (one forward pass and a few matrix
products); the minimal H-representation, the bounds and the text are computed
on first access and cached. On a 784-input MNIST network the minimal
H-representation needs about a thousand LPs (tens of seconds); see
``docs/explain.md`` and ``benchmarks/explain_bench.py`` for measured figures.

=======================  =====================================================
:mod:`.factual`          ``why``
:mod:`.counterfactual`   ``why_not``: the march over regions, nearest point, check
:mod:`.engine_search`    ``why_not(method="engine")``: radius bisection, L1 MILP
:mod:`.segment`          regions along a segment; where a class first wins on it
:mod:`.explanation`      ``Explanation`` (lazy polyhedron, bounds, vertices, text)
:mod:`.system`           labelled rows of a class's sub-polytope; argument checks
:mod:`.bounds`           ``feature_bounds`` (rays, batch LPs, then single LPs)
:mod:`.nearest`          ``nearest_point`` in the L-inf, L1 and L2 norms
:mod:`.render`           text: rows in feature names, the why-not story
=======================  =====================================================
"""

from .bounds import feature_bounds
from .counterfactual import why_not
from .explanation import MAX_VERTEX_DIM, Explanation
from .factual import why
from .nearest import nearest_point
from .render import render_row
from .segment import SegmentWalk, walk_segment
from .system import Constraint

__all__ = ["MAX_VERTEX_DIM", "Constraint", "Explanation", "SegmentWalk", "feature_bounds", "nearest_point", "render_row",
           "walk_segment", "why", "why_not"]
