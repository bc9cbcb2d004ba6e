"""Why not: the nearest region, in facet crossings, where the target class wins (Sec. II-B), or the nearest input.

``method="march"``: breadth-first over the regions reachable from ``x``'s
region by crossing non-redundant facets (each crossing flips the facet's
neuron). A level is examined in two passes through
:func:`relucid.parallel.run_all`: first every region for the target (a
feasibility LP, then the Chebyshev ball of the target's polytope and the
nearest point), then, only if none holds it, every region for its facets
(redundancy removal), which give the next level.

``method="engine"``: the nearest input of the target class by the
verification engine (:mod:`.engine_search`). ``method="auto"`` picks one
(:func:`why_not`).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass

import numpy as np

from .. import parallel
from ..deadline import Deadline
from ..errors import InvalidValueError
from ..geometry import Polyhedron, lp
from ..network import Network
from ..phases import ON
from ..regions.pattern import Pattern, activation_bits, neuron_names
from ..regions.region import region
from ..tolerances import CLASS_TIE_TOL, INTERIOR_TOL, ZERO_ROW_TOL
from .engine_search import engine_search
from .explanation import Explanation
from .nearest import distance, nearest_point, parse_norm
from .segment import walk_segment
from .system import check_inputs, class_rows, ties_at

__all__ = ["DEFAULT_ATOL", "DEFAULT_RTOL", "MARCH_MAX_INPUTS", "MARCH_MAX_NEURONS", "METHODS", "NUDGES", "why_not"]

#: Accepted values of ``why_not(method=...)``.
METHODS: tuple[str, ...] = ("auto", "march", "engine")

#: ``method="auto"`` marches on networks with at most this many hidden (relu / leaky) neurons ...
MARCH_MAX_NEURONS: int = 64
#: ... and at most this many inputs; the engine searches otherwise (see :func:`why_not`).
MARCH_MAX_INPUTS: int = 8

#: Engine: the search stops when the distance found exceeds the proved lower
#: bound by at most ``max(DEFAULT_RTOL * distance, DEFAULT_ATOL)``.
DEFAULT_RTOL: float = 1e-3
DEFAULT_ATOL: float = 1e-4

#: Fractions of the way from the nearest point to the Chebyshev centre of the
#: target's polytope tried, in order, until a forward pass confirms the target.
NUDGES: tuple[float, ...] = (1e-6, 1e-4, 1e-2, 0.1, 0.5, 1.0)


@dataclass(frozen=True)
class _Hit:
    """What examining one region for the target found (small: travels back from workers)."""

    bits: np.ndarray
    found: bool
    center: np.ndarray | None = None
    radius: float = float("-inf")
    nearest: np.ndarray | None = None
    distance: float = float("inf")


@dataclass(frozen=True)
class _Examine:
    """Does the target win on a full-dimensional part of a region? Then its nearest point to x."""

    net: Network
    domain: Polyhedron | None
    target: int
    x: np.ndarray
    norm: str

    def __call__(self, bits) -> _Hit:
        reg = region(self.net, Pattern.from_bits(self.net, bits), domain=self.domain)
        A_c, b_c, _ = class_rows(reg, self.target)
        if np.any((np.linalg.norm(A_c, axis=1) < ZERO_ROW_TOL) & (b_c <= CLASS_TIE_TOL * (1.0 + np.abs(b_c)))):
            return _Hit(bits, False)  # another class has the same affine map here: a tie everywhere, never a win
        P = reg.polyhedron.with_rows(A_c, b_c)
        if P.find_point() is None:  # one feasibility LP: far cheaper than the Chebyshev LP in high dimension
            return _Hit(bits, False)
        ball = P.chebyshev_center()
        if ball.center is None or not ball.radius > INTERIOR_TOL:
            return _Hit(bits, False)
        res = nearest_point(P.A, P.b, self.x, self.norm)
        if res.status is not lp.LPStatus.OPTIMAL:
            return _Hit(bits, False)
        return _Hit(bits, True, ball.center, float(ball.radius), res.x, float(res.value))


@dataclass(frozen=True)
class _Neighbours:
    """The neurons across the non-redundant facets of a full-dimensional region (none otherwise)."""

    net: Network
    domain: Polyhedron | None

    def __call__(self, bits) -> list:
        reg = region(self.net, Pattern.from_bits(self.net, bits), domain=self.domain)
        ball = reg.chebyshev_center()
        if ball.center is None or not ball.radius > INTERIOR_TOL:
            return []
        return [n for n, _ in reg.neighbour_patterns()]


def _confirm(net: Network, p: np.ndarray, center: np.ndarray, target: int, bits: np.ndarray):
    """Nudge ``p`` toward ``center`` until a forward pass gives ``target``; (point, confirmed)."""
    candidates = [p + lam * (center - p) for lam in NUDGES]
    Y = net(np.array(candidates))
    B = activation_bits(net, np.array(candidates))
    want = bits == ON
    for q, y, on in zip(candidates, Y, B):
        others = np.delete(y, target)
        if y[target] > others.max() and np.array_equal(on, want):
            return q, True
    for q, y in zip(candidates, Y):  # a tie within tolerance still counts (DESIGN: up to CLASS_TIE_TOL)
        if y[target] >= np.delete(y, target).max() - CLASS_TIE_TOL * (1.0 + abs(y[target])):
            return q, True
    return candidates[0], False


def why_not(net: Network, x, target: int, *, max_hamming: int | None = None, timeout: float | None = 60.0,
            n_jobs: int | None = None, norm="inf", feature_names=None, domain: Polyhedron | None = None,
            class_names=None, method: str = "auto", rtol: float = DEFAULT_RTOL,
            atol: float = DEFAULT_ATOL) -> Explanation:
    """Why does ``x`` not get class ``target``? The nearest region (march) or the nearest input (engine) where it would.

    Parameters
    ----------
    net : Network
    x : array of shape (input_dim,)
    target : int
        A class other than the predicted one.
    max_hamming : int, optional
        March only: stop after this many facet crossings (levels) without
        the target (status "max_hamming"). Default: no limit.
    timeout : float, optional
        Seconds for the search (default 60; None: no limit). March: checked
        between regions when serial; a process pool (``n_jobs``) stops
        running regions at the deadline. Engine: every verification query
        gets a share of what is left.
    n_jobs : int, optional
        March only: examine the regions of a level in this many processes
        (:func:`relucid.parallel.run_all`).
    norm : {"inf", "1", "2"}
        Distance to the nearest point. March: L∞ and L1 by an LP, L2 by a
        least-distance QP. Engine: L∞ (radius bisection) and L1 (a MILP);
        it has no L2 search.
    feature_names, domain, class_names
        As in :func:`why`.
    method : {"auto", "march", "engine"}
        "march": breadth-first over regions by facet crossings from ``x``'s
        region (the paper's search; the answer is the region with the fewest
        crossings, then the nearest point there). "engine": the nearest input
        of class ``target`` in the norm, by the verification engine, with a
        proved lower bound (:mod:`.engine_search`). "auto": the march for
        small networks (at most :data:`MARCH_MAX_NEURONS` hidden neurons and
        :data:`MARCH_MAX_INPUTS` inputs), for ``norm="2"`` and when
        ``max_hamming`` is given; the engine otherwise. Why that rule: a march
        level holds up to ``C(neurons, level)`` regions, each costing LPs in
        ``input_dim`` dimensions (their facets by redundancy removal), so it
        is fast only while both are small (the moons 2-16-16-3 and 4-8-8-3
        policy networks of ``docs/explain.md``: median 0.2 s, at most 5 s),
        and it timed out on all 20 mnistfc 256x4 images; the engine's
        fixed cost per query (bounds, attack, search set-up) is what
        dominates on such small networks.
    rtol, atol : float
        Engine only: stop when the gap between the distance found and the
        proved lower bound is at most ``max(rtol * distance, atol)``
        (``minimal_proved``).

    Returns
    -------
    Explanation
        With ``status``, ``hamming``, ``steps``, ``flipped``, ``point``,
        ``distance``, ``exact_distance``, ``confirmed``, ``distinguishing``,
        ``search`` ("march" or "engine"), ``segment_regions`` and
        ``segment_flips`` (the regions the segment from ``x`` to ``point``
        passes through), and for the engine ``distance_lower_bound``,
        ``minimal_proved``, ``gap_tol`` and ``queries``. A search that found
        nothing is a normal answer (``found`` False).

    Raises
    ------
    InvalidValueError
        ``target`` out of range or equal to the predicted class; an unknown
        ``method``; ``method="engine"`` with ``norm="2"`` or ``max_hamming``;
        ``rtol`` or ``atol`` negative or not finite; as :func:`why`.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"),
    ...                   rl.Dense([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])])
    >>> e = why_not(net, [2.0, 1.0], 1, domain=rl.Box([-3, -3], [3, 3]))
    >>> e.status, e.hamming, round(e.exact_distance, 9), e.confirmed
    ('found', 0, 0.5, True)
    """
    t0 = time.monotonic()
    x, names, class_names, domain = check_inputs("why_not", net, x, feature_names, class_names, domain)
    norm = parse_norm(norm, "why_not")
    try:
        t = int(target)
    except (TypeError, ValueError):
        raise InvalidValueError(f"why_not: target must be a class index; got {target!r}") from None
    if t != target or not 0 <= t < net.output_dim:
        raise InvalidValueError(f"why_not: target must be a class index in [0, {net.output_dim - 1}]; got {target!r}")
    y = net(x)
    c = int(np.argmax(y))
    if t == c:
        raise InvalidValueError(f"why_not: class {t} is already the predicted class of x; ask why(net, x) instead")
    if max_hamming is not None and (int(max_hamming) != max_hamming or max_hamming < 0):
        raise InvalidValueError(f"why_not: max_hamming must be a non-negative int or None; got {max_hamming!r}")
    search = _pick_method(method, net, norm, max_hamming)
    rtol, atol = _check_tol(rtol, "rtol"), _check_tol(atol, "atol")
    deadline = Deadline.after(timeout, who="why_not")
    origin = region(net, x, domain=domain)
    common = dict(network=net, x=x, scores=y, predicted=c, explained=t, ties=ties_at(y, c), origin=origin,
                  domain=domain, feature_names=names, class_names=class_names, n_jobs=n_jobs, target=t, norm=norm)
    if search == "engine":
        return _engine(net, x, t, domain, norm, deadline, rtol, atol, t0, common)
    root = origin.pattern.to_bits(net)
    names_n = neuron_names(net)
    index = {n: i for i, n in enumerate(names_n)}
    examine = _Examine(net, domain, t, x, norm)
    expand = _Neighbours(net, domain)
    seen = {root.tobytes()}
    level = [root]
    depth, visited, status, best = 0, 0, "exhausted", None
    while level:
        hits = parallel.run_all(examine, level, n_jobs=n_jobs, timeout=deadline.seconds(), on_timeout="partial")
        done = [h for h in hits if h is not parallel.NOT_DONE]
        visited += len(done)
        found = [h for h in done if h.found]
        if found:
            best = min(found, key=lambda h: (h.distance, int(np.sum(h.bits != root))))
            status = "found" if len(done) == len(level) else "timeout"
            break
        if len(done) < len(level) or deadline.expired():
            status = "timeout"
            break
        if max_hamming is not None and depth >= max_hamming:
            status = "max_hamming"
            break
        flips = parallel.run_all(expand, level, n_jobs=n_jobs, timeout=deadline.seconds(), on_timeout="partial")
        nxt = []
        for bits, neurons in zip(level, flips):
            if neurons is parallel.NOT_DONE:
                continue
            for n in neurons:
                nb = bits.copy()
                nb[index[n]] = 1 - nb[index[n]]
                key = nb.tobytes()
                if key not in seen:
                    seen.add(key)
                    nxt.append(nb)
        if any(f is parallel.NOT_DONE for f in flips):
            status = "timeout"
            break
        level = nxt
        depth += 1
    seconds = time.monotonic() - t0
    common.update(status=status, method="LP" if norm != "2" else "QP (least-distance, NNLS)", regions_visited=visited,
                  search="march")
    if best is None:
        return Explanation("why_not", region=None, steps=depth, seconds=seconds, **common)
    same = np.array_equal(best.bits, root)
    reg = origin if same else region(net, Pattern.from_bits(net, best.bits), domain=domain)
    point, ok = _confirm(net, best.nearest, best.center, t, best.bits)
    walk = walk_segment(net, x, point)
    return Explanation(
        "why_not", region=reg, steps=depth, point=point, exact_distance=best.distance,
        distance=distance(point, x, norm), confirmed=ok, seconds=time.monotonic() - t0, _center=best.center,
        segment_regions=walk.n_regions, segment_flips=walk.flips, **common,
    )


def _pick_method(method, net: Network, norm: str, max_hamming) -> str:
    """"march" or "engine" for ``method`` (see :func:`why_not`'s rule for "auto")."""
    if method not in METHODS:
        raise InvalidValueError(f"why_not: method must be one of {METHODS}; got {method!r}")
    if method == "engine":
        if norm == "2":
            raise InvalidValueError("why_not: method='engine' searches in the L-inf and L1 norms only (no L2 search in "
                                    "the verification engine); use norm='inf' or '1', or method='march' for L2")
        if max_hamming is not None:
            raise InvalidValueError("why_not: max_hamming limits the march's facet crossings; it has no meaning for "
                                    "method='engine' (leave it None, or use method='march')")
        return "engine"
    if method == "march":
        return "march"
    small = net.n_pattern_neurons <= MARCH_MAX_NEURONS and net.input_dim <= MARCH_MAX_INPUTS
    return "march" if small or norm == "2" or max_hamming is not None else "engine"


def _check_tol(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v >= 0):
        raise InvalidValueError(f"why_not: {name} must be a finite number >= 0; got {v!r}")
    return float(v)


def _engine(net, x, t, domain, norm, deadline, rtol, atol, t0, common) -> Explanation:
    """why_not by the verification engine (:func:`.engine_search.engine_search`) as an Explanation."""
    ans = engine_search(net, x, t, domain, norm, deadline, rtol=rtol, atol=atol)
    common.update(status=ans.status, method=ans.method, search="engine", distance_lower_bound=ans.lower,
                  minimal_proved=ans.minimal_proved, gap_tol=ans.gap_tol, queries=ans.queries, note=ans.note)
    if ans.point is None:
        return Explanation("why_not", region=None, seconds=time.monotonic() - t0, **common)
    reg = ans.region if ans.region is not None else region(net, ans.point, domain=domain)
    walk = walk_segment(net, x, ans.point)
    yp = net(ans.point)
    ok = bool(yp[t] >= np.delete(yp, t).max() - CLASS_TIE_TOL * (1.0 + abs(yp[t])))
    return Explanation(
        "why_not", region=reg, steps=len(walk.flips), point=ans.point,
        exact_distance=None if ans.exact is None else min(ans.exact, ans.distance), distance=ans.distance,
        confirmed=ok, seconds=time.monotonic() - t0, _center=ans.point, segment_regions=walk.n_regions,
        segment_flips=walk.flips, **common,
    )
