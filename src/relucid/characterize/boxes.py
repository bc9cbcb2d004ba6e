"""Under-approximation boxes: large axis-aligned boxes proven to lie in a region.

Two steps (issue 6, §4):

1. :func:`ua_box` — the maximum-volume box inside a polyhedron
   (:func:`relucid.geometry.max_box.max_volume_box`; every corner is inside,
   whatever the signs of the weights).
2. :func:`grow_box` — push each face of a box outwards for as long as bounds
   over the grown box *prove* that it stays inside a characterised set
   ``R = {x in domain : x follows σ', G x <= h}``: DeepPoly bounds
   (:func:`relucid.bounds.deeppoly.deeppoly_bounds`, no phases assumed)
   show every neuron fixed by ``σ'`` keeps its phase over the whole box
   (on: lower bound ``> 0``; off: upper bound ``<= 0``), the linear rows
   hold at their worst corner (``G+ hi - G- lo <= h``), and the box stays in
   the domain. Neurons that ``σ'`` leaves free may change phase inside the
   grown box, so it can reach beyond the convex polytope step 1 started from.
"""

from __future__ import annotations

import numpy as np

from ..phases import FREE, OFF, ON
from ..bounds.deeppoly import deeppoly_bounds
from ..errors import InvalidValueError
from ..geometry import Box, Polyhedron
from ..geometry.max_box import max_volume_box
from ..network import Network
from ..regions.pattern import Pattern

__all__ = ["grow_box", "ua_box"]

#: A bound must clear its threshold by this much (relative to ``1 + |value|``)
#: before it counts as proof: DeepPoly is computed in float64 without outward
#: rounding, so results within rounding error of the threshold are not trusted.
PROOF_MARGIN: float = 1e-9

#: Face pushes tried per side per round: the gap to the domain times 2^-k, k < this.
GROW_STEPS: int = 12

#: Rounds over all 2n faces.
GROW_ROUNDS: int = 2


def ua_box(polyhedron: Polyhedron) -> Box:
    """The maximum-volume axis-aligned box inside a bounded polyhedron.

    Parameters
    ----------
    polyhedron : Polyhedron
        Bounded and non-empty.

    Returns
    -------
    Box
        Every corner satisfies every row of ``polyhedron`` in float64; a
        polyhedron with no interior gives a flat box (``lo == hi``).

    Raises
    ------
    InvalidValueError
        The polyhedron is empty or unbounded.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> diamond = rl.Polyhedron(np.array([[1, 1], [1, -1], [-1, 1], [-1, -1.0]]), np.ones(4))
    >>> np.round(rl.ua_box(diamond).hi, 6).tolist()
    [0.5, 0.5]
    """
    if not isinstance(polyhedron, Polyhedron):
        raise InvalidValueError(f"ua_box: expects a relucid Polyhedron; got {type(polyhedron).__name__}")
    res = max_volume_box(polyhedron.A, polyhedron.b)
    if res.status == "empty":
        raise InvalidValueError("ua_box: the polyhedron is empty, so no box fits inside it")
    return Box(res.lo, res.hi)


def box_inside(net: Network, pattern: Pattern, G: np.ndarray, h: np.ndarray, dom_lo, dom_hi, lo, hi) -> np.ndarray:
    """For each box of a batch (lo, hi of shape (B, n)), whether bounds prove it lies in ``R``.

    ``R = {x : dom_lo <= x <= dom_hi, x follows pattern, G x <= h}`` (the
    strictness of the rows does not matter: the proof demands a margin; the
    box bounds are compared exactly).
    """
    lo = np.atleast_2d(lo)
    hi = np.atleast_2d(hi)
    ok = np.all(lo >= dom_lo, axis=1) & np.all(hi <= dom_hi, axis=1) & np.all(lo <= hi, axis=1)
    if G.shape[0]:
        worst = hi @ G.clip(min=0).T - lo @ (-G).clip(min=0).T
        ok &= np.all(worst <= h - PROOF_MARGIN * (1 + np.abs(h)), axis=1)
    phases = pattern.layer_phases(net)
    if not any((ph != FREE).any() for ph in phases.values()):
        return ok
    out = deeppoly_bounds(net, lo, hi, {})
    for layer, ph in phases.items():
        L, U = out.layers[layer]
        on, off = ph == ON, ph == OFF
        ok &= np.all(L[:, on] > PROOF_MARGIN * (1 + np.abs(L[:, on])), axis=1)
        ok &= np.all(U[:, off] <= -PROOF_MARGIN * (1 + np.abs(U[:, off])), axis=1)
    return ok


def grow_box(net: Network, pattern: Pattern, G, h, dom_lo, dom_hi, box: Box, *, rounds: int = GROW_ROUNDS,
             deadline=None) -> Box | None:
    """Push the faces of a box outwards while :func:`box_inside` still proves it.

    Each round visits the 2n faces in turn; for each, the pushes
    ``gap * 2^-k`` (``gap`` the distance to the domain's face, ``k < GROW_STEPS``)
    are proved in one batch and the largest proven one is kept. Returns None
    when the starting box itself cannot be proven. When ``deadline`` (a
    :class:`~relucid.deadline.Deadline`) passes, the box grown so far is
    returned: every box it holds was proven.
    """
    lo, hi = np.array(box.lo), np.array(box.hi)
    if not box_inside(net, pattern, G, h, dom_lo, dom_hi, lo, hi)[0]:
        return None
    n = lo.shape[0]
    scales = 2.0 ** -np.arange(GROW_STEPS)
    for _ in range(rounds):
        grew = False
        for i in range(n):
            for side in (0, 1):
                if deadline is not None and deadline.expired():
                    return Box(lo, hi)
                gap = (lo[i] - dom_lo[i]) if side == 0 else (dom_hi[i] - hi[i])
                if gap <= 0:
                    continue
                L = np.repeat(lo[None], GROW_STEPS, axis=0)
                U = np.repeat(hi[None], GROW_STEPS, axis=0)
                if side == 0:
                    L[:, i] = np.maximum(lo[i] - gap * scales, dom_lo[i])
                else:
                    U[:, i] = np.minimum(hi[i] + gap * scales, dom_hi[i])
                ok = np.flatnonzero(box_inside(net, pattern, G, h, dom_lo, dom_hi, L, U))
                if ok.size:
                    k = ok[0]  # scales decrease: the first proven push is the largest
                    lo, hi = L[k], U[k]
                    grew = True
        if not grew:
            break
    return Box(lo, hi)
