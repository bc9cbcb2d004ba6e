"""The preimage computed the paper's way: from the output back to the input, one step at a time.

Forets & Schilling, Algorithm 1: for each layer, last first, invert the
activation (Eq. 7-10: one piece per activation phase pattern ``P_j``, i.e.
``P_j ∩ α_j⁻¹(Y)`` — for ReLU's all-off piece that is ``P_j`` itself when
``0 ∈ Y`` and nothing otherwise) and then the affine map (Eq. 6:
``{x : C W x <= d - C b}``). :func:`preimage_layers` returns the set after
every step, in the space where it lives, which is what the docs' walkthrough
plots.

Patterns are not enumerated blindly (the paper's code visits all ``2ⁿ``):
phases are fixed neuron by neuron in a depth-first search, and a partial
assignment is dropped as soon as a linear relaxation proves that no
completion meets the piece — the free neurons' activations are bounded below
by the activation's convex hull (``h >= z``, ``h >= α z``) and, where forward
bounds over the domain are known, above by its chord. Neurons that are stable
over the domain are fixed and never split. Leaves are checked exactly.

For large networks use :func:`relucid.preimage` (same set, searched from the
input side, where every emptiness test is exact in input space).

Phases are int8 arrays in the one encoding of :mod:`relucid.phases`
(``ON``, ``OFF``, ``FREE``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..deadline import Deadline
from ..geometry import Polyhedron, PolyUnion
from ..geometry.feasibility import find_point
from ..geometry.lp import LPStatus, solve_lp
from ..network import Network
from ..phases import FREE, OFF, ON, free_phases
from ..tolerances import SLIVER_TOL
from .affine import affine_rows
from .inputs import as_domain, as_output_set, check_exact_layers
from .result import PreimageStats

__all__ = ["Stage", "preimage_layers"]


@dataclass(frozen=True)
class Stage:
    """One step of the backward computation: ``union`` lives in ``space`` (``"y"``, ``"z2"``, ``"h1"``, ``"x"``)."""

    label: str
    space: str
    union: PolyUnion


def preimage_layers(net: Network, output_set, domain=None, *, reduce: bool = True, timeout: float | None = None):
    """The preimage after each inverse step, output first.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers.
    output_set : Polyhedron, PolyUnion or str
    domain : Polyhedron or str, optional
        The final (input-space) stage is intersected with it; when bounded,
        forward bounds over it prune pieces in hidden spaces that no input
        of the domain reaches.
    reduce : bool
        Remove redundant constraints from every piece.
    timeout : float, optional
        Seconds (positive, finite); raises :class:`TimeoutError` when exceeded.

    Returns
    -------
    stages : list of Stage
        ``stages[0]`` is ``Y``; ``stages[-1]`` the preimage in input space.
    stats : PreimageStats
    """
    ys = as_output_set(net, output_set)
    dom = as_domain(net, domain)
    check_exact_layers(net, "exact")
    deadline = Deadline.after(timeout, who="preimage_layers")
    t0 = time.monotonic()
    stats = PreimageStats(order="backward")
    z_box, h_box = _forward_boxes(net, dom)
    current = list(ys)
    stages = [Stage("Y", "y", PolyUnion(current, dim=net.output_dim))]
    for k in reversed(range(len(net.layers))):
        layer = net.layers[k]
        space = f"z{k}"
        if layer.has_phases:
            fixed = free_phases(layer.out_dim)
            if z_box is not None:
                fixed[z_box[k][0] > 0] = ON
                fixed[z_box[k][1] <= 0] = OFF
                stats.stable += int(np.count_nonzero(fixed != FREE))
            inv = _ActivationInverse(layer.off_slope, None if z_box is None else z_box[k], fixed, stats, deadline)
            zpieces = [p for Q in current for p in inv.pieces(Q)]
            stages.append(Stage(f"{layer.activation}⁻¹ (layer {k})", space, PolyUnion(zpieces, dim=layer.out_dim)))
        else:
            zpieces = current
        nxt = []
        for P in zpieces:
            R = P.affine_preimage(layer.weight, layer.bias)
            test = R
            if k == 0 and dom is not None:
                R = test = R.intersect(dom)
            elif k > 0 and h_box is not None:
                test = R.with_rows(*_box_rows(*h_box[k - 1]))
            stats.explored += 1
            stats.lps += 1
            if find_point(test.A, test.b) is None:
                stats.pruned += 1
                continue
            nxt.append(R.remove_redundant() if reduce and R.n_constraints else R)
        current = nxt
        where = "x" if k == 0 else f"h{k - 1}"
        stages.append(Stage(f"affine⁻¹ (layer {k})", where, PolyUnion(current, dim=layer.in_dim)))
    stats.returned = len(current)
    stats.time = time.monotonic() - t0
    return stages, stats


def _forward_boxes(net: Network, dom: Polyhedron | None):
    if dom is None:
        return None, None
    lo, hi = dom.bounding_box()
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        return None, None
    from ..bounds import bounds

    z_box = [(l, u) for l, u in bounds(net, dom, method="deeppoly")]
    h_box = []
    for layer, (l, u) in zip(net.layers, z_box):
        h_box.append((layer.activate(l), layer.activate(u)))
    return z_box, h_box


def _box_rows(lo, hi):
    n = lo.shape[0]
    slack_lo = lo - 1e-9 * (1 + np.abs(lo))
    slack_hi = hi + 1e-9 * (1 + np.abs(hi))
    return np.vstack([np.eye(n), -np.eye(n)]), np.concatenate([slack_hi, -slack_lo])


class _ActivationInverse:
    """Pieces ``P_j ∩ α_j⁻¹(Q)`` in pre-activation space, for ``h = relu / leaky(z)``."""

    def __init__(self, alpha: float, box, fixed, stats: PreimageStats, deadline: Deadline):
        self.alpha = alpha
        self.box = box
        self.fixed = fixed
        self.stats = stats
        self.deadline = deadline

    def pieces(self, Q: Polyhedron) -> list[Polyhedron]:
        out = []
        stack = [self.fixed.copy()]
        while stack:
            if self.deadline.expired():
                raise TimeoutError("preimage_layers: timeout")
            phase = stack.pop()
            free = np.flatnonzero(phase == FREE)
            if free.size == 0:
                leaf = self._leaf(Q, phase)
                if leaf is not None:
                    out.append(leaf)
                continue
            i = free[0]
            for s in (ON, OFF):
                child = phase.copy()
                child[i] = s
                self.stats.explored += 1
                self.stats.lps += 1
                if self._relaxation_feasible(Q, child):
                    stack.append(child)
                else:
                    self.stats.pruned += 1
        return out

    def _leaf(self, Q: Polyhedron, phase) -> Polyhedron | None:
        n = phase.shape[0]
        on = phase == ON  # every phase is fixed at a leaf
        slope = np.where(on, 1.0, self.alpha)
        rows = affine_rows(Q, np.diag(slope), np.zeros(n))  # α_j⁻¹(Q): {z : C D z <= d}
        if rows is None:  # a constant piece whose value misses Q
            return None
        sign = np.where(on, -1.0, 1.0)  # on: -z <= 0, off: z <= 0
        A = np.vstack([rows[0], np.diag(sign)])
        b = np.concatenate([rows[1], np.zeros(n)])
        test_A, test_b = A, b
        if self.box is not None:
            bA, bb = _box_rows(*self.box)
            test_A, test_b = np.vstack([A, bA]), np.concatenate([b, bb])
        self.stats.lps += 1
        if not _strictly_on_feasible(test_A, test_b, np.flatnonzero(on), n):
            return None
        return Polyhedron(A, b)

    def _relaxation_feasible(self, Q: Polyhedron, phase) -> bool:
        """Can some completion of ``phase`` meet ``Q``? (LP over ``z`` and the free ``h``.)"""
        n = phase.shape[0]
        free = np.flatnonzero(phase == FREE)
        nf = free.size
        a = self.alpha
        # h = S z + F u  with S diagonal (1 on, α off, 0 free) and F selecting the free h's
        S = np.diag(np.where(phase == ON, 1.0, np.where(phase == OFF, a, 0.0)))
        F = np.zeros((n, nf))
        F[free, np.arange(nf)] = 1.0
        finite = np.isfinite(Q.b)
        C, d = Q.A[finite], Q.b[finite]
        rows_A = [np.hstack([C @ S, C @ F])]
        rows_b = [d]
        sign = np.zeros(n)
        sign[phase == ON], sign[phase == OFF] = -1.0, 1.0
        fixed = np.flatnonzero(phase != FREE)
        rows_A.append(np.hstack([np.diag(sign)[fixed], np.zeros((fixed.size, nf))]))
        rows_b.append(np.zeros(fixed.size))
        for slope in (1.0, a):  # u >= slope * z   →  slope z - u <= 0
            E = np.zeros((nf, n))
            E[np.arange(nf), free] = slope
            rows_A.append(np.hstack([E, -np.eye(nf)]))
            rows_b.append(np.zeros(nf))
        if self.box is not None:
            lo, hi = self.box
            rows_A.append(np.hstack([np.vstack([np.eye(n), -np.eye(n)]), np.zeros((2 * n, nf))]))
            rows_b.append(np.concatenate([hi, -lo]) + 1e-9 * (1 + np.abs(np.concatenate([hi, lo]))))
            l, u = lo[free], hi[free]
            chord = (u > l) & np.isfinite(l) & np.isfinite(u)
            for j in np.flatnonzero(chord):  # u_j <= a l + (u - a l)(z - l)/(u - l)
                slope = (u[j] - a * l[j]) / (u[j] - l[j])
                row = np.zeros(n + nf)
                row[free[j]] = -slope
                row[n + j] = 1.0
                rows_A.append(row[None, :])
                rows_b.append(np.array([a * l[j] - slope * l[j] + 1e-9 * (1 + abs(u[j]) + abs(l[j]))]))
        return find_point(np.vstack(rows_A), np.concatenate(rows_b)) is not None


def _strictly_on_feasible(A, b, on, n: int) -> bool:
    """Whether some ``z`` with ``A z <= b`` has every ``on`` coordinate strictly positive.

    The closure of a pattern's piece can be non-empty while the piece itself
    (on means ``z > 0``) is empty, e.g. ``{z_1 >= 0} ∩ {z_1 <= 0}``; such
    points have ``z_1 = 0`` and belong to the pattern with that neuron off,
    so dropping the piece loses nothing (Example 3's ``X_3 = ∅``). One LP:
    maximise ``t <= 1`` subject to ``z_i >= t`` for the on coordinates.
    """
    if on.size == 0:
        return find_point(A, b) is not None
    rows = np.hstack([A, np.zeros((A.shape[0], 1))])
    strict = np.zeros((on.size, n + 1))
    strict[np.arange(on.size), on] = -1.0
    strict[:, -1] = 1.0
    c = np.zeros(n + 1)
    c[-1] = 1.0
    res = solve_lp(c, np.vstack([rows, strict]), np.concatenate([b, np.zeros(on.size)]),
                   lb=np.append(np.full(n, -np.inf), -np.inf), ub=np.append(np.full(n, np.inf), 1.0), maximize=True)
    return res.status is LPStatus.OPTIMAL and res.value > SLIVER_TOL
