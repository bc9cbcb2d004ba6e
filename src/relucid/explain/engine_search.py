"""Why not, by the verification engine: the nearest input of the target class, with a proved lower bound.

**L∞** (radius bisection). For a radius ``r`` the question "does some input
within ``r`` of ``x`` (and in the domain) get class ``t``?" is one call of
:func:`relucid.verify`::

    verify(net, [x - r, x + r] ∩ domain, OutputAvoids(Conjunction(C, 0, strict=True)))

with one row ``y_j - y_t < 0`` per other class ``j``: the property is
violated exactly where ``t`` beats every other class. "falsified" gives a
point (its distance is an upper bound ``U`` on the minimal distance);
"proved" says no input within ``r`` gets ``t`` (a lower bound ``L = r``).
The first question is asked at the whole domain (its farthest corner, or
doubling radii without a bounded domain); then the widest unresolved gap of
``[L, U]`` is halved until ``U - L <= max(rtol U, atol)`` or the deadline.
A radius the engine could not decide ("unknown") splits the gap it was in.

**Tie convention.** A point counts when ``t`` wins *strictly* in float64
(``y_t > y_j`` for every ``j``; then ``argmax`` is ``t`` whatever the index
order): the rows are strict, and verify confirms every counterexample with an
exact forward pass. Its proofs are over the closure (``y_t >= y_j``), so a
lower bound is one on the distance to the *closed* target set, the set whose
distance the march's ``exact_distance`` measures; both sets have the same
infimum distance wherever the strict set is dense in the closed one.

**Every point found is improved** before it becomes ``U`` (:func:`descend`):
the segment from ``x`` to it is walked region by region and cut where ``t``
first wins (:func:`~.segment.first_win`), then the nearest point of the
target's polytope in that region (the march's LP, :func:`~.nearest.nearest_point`)
is moved a little toward the point (which is inside) until a forward pass
confirms it; repeated while it helps.

**L1.** The minimal L1 distance is one MILP: the engine's encoding of the
network (:class:`relucid.verify.milp.Encoding`, big-M with DeepPoly bounds)
over the box ``[x - U1, x + U1] ∩ domain`` (``U1``: the L1 distance of a
first point; the L1 ball lies in that box), the target rows ``y_j <= y_t``,
and ``u_k >= |z_k - x_k|``, minimising ``sum u``; HiGHS' dual bound is the
lower bound. With more than :data:`L1_MILP_MAX_UNSTABLE` unstable neurons the
MILP is not attempted: the L∞ search runs instead and its point's L1
distance is reported, not proved minimal, with the L∞ lower bound (valid for
L1: ``||v||_1 >= ||v||_inf``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..deadline import Deadline
from ..geometry import Box, Polyhedron, lp
from ..network import Network
from ..regions.region import Region, region
from ..tolerances import CLASS_TIE_TOL, INTERIOR_TOL, MEMBERSHIP_TOL
from ..verify import Conjunction, OutputAvoids, verify
from .nearest import distance, nearest_point
from .segment import first_win, wins
from .system import class_rows

__all__ = ["CHEAP_MAX_UNKNOWN", "CHEAP_SECONDS", "CHEAP_SHARE", "DESCENT_ROUNDS", "L1_MILP_MAX_UNSTABLE", "MIN_QUERY_SECONDS",
           "EngineAnswer", "descend", "engine_search", "input_set", "target_property"]

#: The L1 MILP is attempted up to this many unstable neurons (over the box of
#: the first point); the engine itself sends at most 48 free unstable neurons
#: to a plain MILP (``verify.stages.MILP_MAX_UNSTABLE``) and this one is an
#: optimisation, not a feasibility question.
L1_MILP_MAX_UNSTABLE: int = 48

#: The cheap phase of the bisection gives each query this many seconds at most ...
#: With no point after the first question: radii from this fraction of the domain's extent, growing by GROW_FACTOR.
GROW_START: float = 0.02
GROW_FACTOR: float = 1.6
#: ... each query with this share of the time left (the attack needs more than a cheap query's second).
GROW_SHARE: float = 0.25
CHEAP_SECONDS: float = 1.0
#: ... and at most this share of the time left; each side stops after this many undecided queries
#: (on mnistfc 256x4 a 1 s query decides only radii the bounds prove or the attack reaches).
CHEAP_SHARE: float = 0.05
CHEAP_MAX_UNKNOWN: int = 4

#: A verification query with less time than this is not started.
MIN_QUERY_SECONDS: float = 0.05

#: Rounds of segment cut + region LP per point found ...
DESCENT_ROUNDS: int = 4
#: ... while each gains at least this fraction of the distance.
DESCENT_GAIN: float = 0.01

#: Fractions of the way from the region LP's optimum toward a point known to be inside
#: (all checked in one batch; the first that wins strictly is kept).
NUDGES: tuple[float, ...] = tuple(float(v) for v in np.geomspace(1e-7, 1.0, 22))

#: Doublings of the radius tried without a bounded domain (from ``max(1, |x|_inf)``).
MAX_DOUBLINGS: int = 30


@dataclass(frozen=True)
class EngineAnswer:
    """What the engine search found (the fields of the why-not :class:`~.explanation.Explanation`).

    ``status``: "found" (a point; the search ended on its own: gap closed,
    or only gaps narrower than the tolerance were left between undecided
    radii), "timeout" (the deadline; the best point so far, if any),
    "exhausted" (proved: no input of the domain gets the target), "unknown"
    (no point, no proof, time left: ``note`` says why).
    """

    status: str
    point: np.ndarray | None
    distance: float | None
    lower: float
    exact: float | None
    gap_tol: float | None
    minimal_proved: bool
    method: str
    region: Region | None
    queries: tuple = ()
    note: str | None = None


def target_property(n_out: int, t: int) -> OutputAvoids:
    """Violated exactly where class ``t`` wins strictly: rows ``y_j - y_t < 0`` for every ``j != t``."""
    others = [j for j in range(n_out) if j != t]
    C = np.zeros((len(others), n_out))
    C[np.arange(len(others)), others] = 1.0
    C[:, t] = -1.0
    return OutputAvoids(Conjunction(C, np.zeros(len(others)), strict=True), description=f"class {t} never wins")


def input_set(x: np.ndarray, r: float, domain: Polyhedron | None) -> Polyhedron:
    """``[x - r, x + r]`` intersected with the domain (a Box for a box domain, else a Polyhedron)."""
    lo, hi = x - r, x + r
    if domain is None:
        return Box(lo, hi)
    if isinstance(domain, Box):
        return Box(np.maximum(lo, domain.lo), np.minimum(hi, domain.hi))
    eye = np.eye(x.size)
    return Polyhedron(np.vstack([domain.A, eye, -eye]), np.concatenate([domain.b, hi, -lo]))


def _inside(domain: Polyhedron | None, p: np.ndarray) -> bool:
    return domain is None or bool(domain.contains(p, tol=MEMBERSHIP_TOL))


@dataclass(frozen=True)
class _Polish:
    point: np.ndarray
    exact: float
    region: Region


def _polish(net, x, t, p, inner, domain, norm) -> _Polish | None:
    """The nearest point of the target's polytope in ``p``'s region, moved toward ``inner`` until it wins.

    ``inner``: a point of the same region where the target wins clearly (the
    LP's optimum lies where two scores tie).
    """
    reg = region(net, p, domain=domain)
    A_c, b_c, _ = class_rows(reg, t)
    P = reg.polyhedron.with_rows(A_c, b_c)
    res = nearest_point(P.A, P.b, x, norm)
    if res.status is not lp.LPStatus.OPTIMAL:
        return None
    cands = np.array([res.x + lam * (inner - res.x) for lam in NUDGES])
    if isinstance(domain, Box):
        cands = np.clip(cands, domain.lo, domain.hi)
    for q, ok in zip(cands, wins(net, cands, t)):
        if ok and _inside(domain, q):
            return _Polish(q, float(res.value), reg)
    return None


def descend(net: Network, x, t: int, p, domain, norm: str, deadline: Deadline) -> tuple[np.ndarray, float | None, Region | None]:
    """A point of class ``t`` at most as far from ``x`` as ``p`` (which must be one): ``(point, exact, region)``.

    Rounds of: cut the segment ``x -> p`` where ``t`` first wins
    (:func:`~.segment.first_win`), then the region LP (:func:`_polish`);
    ``exact`` is the LP's distance from ``x`` to the target's polytope in the
    returned point's region (None when no LP ran). Stops when a round gains
    less than :data:`DESCENT_GAIN` of the distance.
    """
    exact = reg = None  # the LP's distance and region of the current p, once an LP ran in p's region
    for _ in range(DESCENT_ROUNDS):
        hit = first_win(net, x, p, t)
        if hit is None or deadline.expired():
            break
        _, cut, inner = hit
        moved = distance(cut, x, norm) < distance(p, x, norm)
        if moved:
            p, exact, reg = cut, None, None
        pol = _polish(net, x, t, cut, inner, domain, norm)
        if pol is None:
            break
        if moved:
            exact, reg = pol.exact, pol.region
        d_old, d_new = distance(p, x, norm), distance(pol.point, x, norm)
        if d_new < d_old:
            p, exact, reg = pol.point, pol.exact, pol.region
        if not d_new < d_old * (1 - DESCENT_GAIN):
            break
    return p, exact, reg


@dataclass
class _Search:
    """State of the L∞ radius search: bounds, the best point, the queries asked."""

    net: Network
    x: np.ndarray
    t: int
    domain: Polyhedron | None
    deadline: Deadline
    rtol: float
    atol: float
    lower: float = 0.0
    upper: float = math.inf
    point: np.ndarray | None = None
    exact: float | None = None
    region: Region | None = None
    unknown: list = field(default_factory=list)
    _walls: list = field(default_factory=list)
    out_of_time: bool = False
    queries: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.prop = target_property(self.net.output_dim, self.t)

    def gap_tol(self) -> float:
        return max(self.rtol * self.upper, self.atol) if math.isfinite(self.upper) else self.atol

    def ask(self, r: float, budget: Deadline, *, record: bool = True) -> str | None:
        """One verification query at radius ``r`` until ``budget``; its status (None: no time to ask).

        ``record``: remember an "unknown" radius as splitting its gap (the
        expensive phase); cheap-phase unknowns are only a hint.
        """
        timeout = budget.seconds()
        if timeout is not None and timeout < MIN_QUERY_SECONDS:
            self.out_of_time = True
            return None
        t0 = time.monotonic()
        res = verify(self.net, input_set(self.x, r, self.domain), self.prop, timeout=timeout)
        self.queries.append((float(r), res.status, time.monotonic() - t0))
        if res.status == "proved":
            self.lower = max(self.lower, r)
            self.unknown = [u for u in self.unknown if u > r]
        elif res.status == "falsified":
            self.offer(np.asarray(res.counterexample, dtype=np.float64))
        else:
            if record:
                self.unknown.append(r)
            if res.note and not res.note.startswith("timeout") and res.note not in self.notes:
                self.notes.append(res.note)
        return res.status

    def offer(self, p: np.ndarray) -> None:
        """A point that wins strictly: improve it (:func:`descend`) and keep it if it is the nearest so far."""
        q, exact, reg = descend(self.net, self.x, self.t, p, self.domain, "inf", self.deadline)
        d = distance(q, self.x, "inf")
        if d < self.upper:
            self.upper, self.point, self.exact, self.region = d, q, exact, reg
            self.unknown = [u for u in self.unknown if u < d]

    def first_bound(self) -> str | None:
        """Ask at the whole domain (or at doubling radii): "exhausted" when proved empty, else None.

        (Tried first and dropped: a DeepFool-like repeated linearisation from
        ``x``. On mnistfc 256x4 images 0-5 the linearised target set is
        empty in ``[0, 1]^784`` at ``x``, and a trust-region variant found
        farther points than this query plus :func:`descend`, or none.)
        """
        lo, hi = (None, None) if self.domain is None else (
            (self.domain.lo, self.domain.hi) if isinstance(self.domain, Box) else self.domain.bounding_box())
        r_max = math.inf if lo is None else float(np.max(np.maximum(hi - self.x, self.x - lo)))
        self.r_max = r_max
        if math.isfinite(r_max):
            status = self.ask(r_max, self.deadline.share(0.5))
            return "exhausted" if status == "proved" else None
        r = max(1.0, float(np.max(np.abs(self.x))))
        for _ in range(MAX_DOUBLINGS):
            status = self.ask(r, self.deadline.share(0.25), record=False)
            if status is None or status == "falsified":
                return None
            r *= 2.0
        self.notes.append(f"no domain: the search stopped at radius {r / 2:g}")
        return "exhausted" if self.lower >= r / 2 else None

    def next_radius(self) -> float | None:
        """The middle of the widest gap between ``lower``, undecided radii and ``upper`` (None: all within tolerance)."""
        marks = sorted({self.lower, *[u for u in self.unknown if self.lower < u < self.upper], self.upper})
        gaps = np.diff(marks)
        i = int(np.argmax(gaps))
        if not gaps[i] > self.gap_tol():
            return None
        return 0.5 * (marks[i] + marks[i + 1])

    def bisect(self) -> None:
        """Close the gap ``[lower, upper]``: a cheap phase from each side, then long queries (see :meth:`_expensive`)."""
        if self.point is None:
            self._grow()
        if self.point is None:
            return
        self._cheap(from_below=True)
        self._cheap(from_below=False)
        self._expensive()

    def _grow(self) -> None:
        """No point yet (the whole-domain question was undecided): short queries at radii growing by
        :data:`GROW_FACTOR` from :data:`GROW_START` of the domain's extent, until one finds a point (a
        small ball is a far easier search than the whole domain; on mnistfc 256x4 test images 9 and 11
        the whole-domain query found nothing in 5-7 s)."""
        r_max = getattr(self, "r_max", math.inf)
        r = max(self.lower, GROW_START * (r_max if math.isfinite(r_max) else 1.0))
        while self.point is None and not self.deadline.expired() and r < r_max:
            if self.ask(r, self.deadline.share(GROW_SHARE), record=False) is None:
                return
            r *= GROW_FACTOR

    def _closed(self) -> bool:
        return self.upper - self.lower <= self.gap_tol()

    def _cheap(self, *, from_below: bool) -> None:
        """Bisection with short queries (:data:`CHEAP_SECONDS`), treating "unknown" as a wall.

        From below, an undecided radius is taken as too far (the largest
        radius the bounds prove quickly is found); from above, as too near
        (the smallest at which the attack finds a point quickly).
        """
        lo, hi = self.lower, self.upper
        if not from_below:
            lo = max([self.lower, *[u for u in self._walls if u < self.upper]])
        undecided = 0
        while hi - lo > self.gap_tol() and not self._closed() and not self.deadline.expired():
            if undecided >= CHEAP_MAX_UNKNOWN:
                return
            r = 0.5 * (lo + hi)
            status = self.ask(r, self.deadline.share(CHEAP_SHARE, cap=CHEAP_SECONDS), record=False)
            if status is None:
                return
            if status == "proved":
                lo = r
            elif status == "falsified":
                hi = min(hi, self.upper)
            else:
                undecided += 1
                if from_below:
                    hi = r
                    self._walls.append(r)
                else:
                    lo = r
            lo, hi = max(lo, self.lower), min(hi, self.upper)

    def _expensive(self) -> None:
        """Bisect the widest gap left with the time left: each query gets ``2 / (steps left + 1)`` of it.

        Never less than twice a cheap query's time (a shorter query would
        repeat the cheap phase): with less than that left, the search stops.
        """
        while not self._closed() and not self.deadline.expired():
            r = self.next_radius()
            if r is None:
                return
            left_s = self.deadline.remaining()
            if left_s < 2 * CHEAP_SECONDS:
                self.out_of_time = True
                return
            steps = max(math.ceil(math.log2(max((self.upper - self.lower) / self.gap_tol(), 2.0))), 1)
            share = min(1.0, max(2.0 / (steps + 1), 2 * CHEAP_SECONDS / left_s))
            if self.ask(r, self.deadline.share(share)) is None:
                return


def engine_search(net: Network, x: np.ndarray, t: int, domain: Polyhedron | None, norm: str, deadline: Deadline, *,
                  rtol: float, atol: float) -> EngineAnswer:
    """The nearest input of class ``t`` to ``x`` in the L∞ or L1 norm, with a lower bound (see the module)."""
    y = net(x)
    if y[t] >= np.delete(y, t).max() - CLASS_TIE_TOL * (1.0 + abs(y[t])):  # x ties with the target already
        reg = region(net, x, domain=domain)
        return EngineAnswer("found", x.copy(), 0.0, 0.0, 0.0, max(atol, 0.0), True, "none (x ties with the target)",
                            reg)
    s = _Search(net, x, t, domain, deadline, rtol, atol)
    first = s.first_bound()
    if norm == "1":
        return _l1(s, first)
    if first is None:
        s.bisect()
    return _answer(s, first, "verify: L-inf radius bisection")


def _answer(s: _Search, first: str | None, method: str) -> EngineAnswer:
    if first == "exhausted":
        status = "exhausted"
    elif (s.out_of_time or s.deadline.expired()) and not (s.point is not None and s._closed()):
        status = "timeout"
    else:
        status = "found" if s.point is not None else "unknown"
    proved = s.point is not None and s.upper - s.lower <= s.gap_tol()
    tol = s.gap_tol() if s.point is not None else None
    return EngineAnswer(status, s.point, None if s.point is None else s.upper, s.lower, s.exact, tol, proved,
                        method, s.region, tuple(s.queries), "; ".join(s.notes) or None)


# -- L1 ------------------------------------------------------------------------------------

def _l1(s: _Search, first: str | None) -> EngineAnswer:
    x, t, net, domain = s.x, s.t, s.net, s.domain
    method = "MILP (L1 objective)"
    if first == "exhausted" or s.point is None:
        return _answer(s, first, method)
    p, exact, reg = descend(net, x, t, s.point, domain, "1", s.deadline)
    best = [distance(p, x, "1"), p, exact, reg]
    lower, optimal, notes = 0.0, False, list(s.notes)

    def keep(q, e, r) -> None:
        d = distance(q, x, "1")
        if d < best[0]:
            best[:] = [d, q, e, r]

    out = _l1_milp(net, x, t, domain, best[0], s.deadline)
    if out == "too large":
        method = "verify: L-inf radius bisection (L1 distance of its point)"
        notes.insert(0, f"the L1 MILP has more than {L1_MILP_MAX_UNSTABLE} unstable neurons: the point comes from the "
                        "L-inf search, its L1 distance is not proved minimal, and the lower bound is the L-inf one "
                        "(|v|_1 >= |v|_inf)")
        s.bisect()
        keep(*descend(net, x, t, s.point, domain, "1", s.deadline))
        lower = s.lower
    elif out is None:
        notes.insert(0, "the L1 MILP gave no answer in the time left")
    else:
        z, dual, optimal = out
        if dual is not None and np.isfinite(dual):
            lower = max(dual, 0.0)
        if z is not None:
            pol = _confirm_l1(net, x, t, z, domain)
            if pol is not None:
                keep(pol.point, pol.exact, pol.region)
    d, point, exact, reg = best
    lower = min(lower, d)
    tol = max(s.rtol * d, s.atol)
    proved = d - lower <= tol
    status = "timeout" if (s.out_of_time or s.deadline.expired()) and not proved else "found"
    return EngineAnswer(status, point, d, lower, exact, tol, proved, method, reg, tuple(s.queries),
                        "; ".join(notes) or None)


def _confirm_l1(net, x, t, z, domain) -> _Polish | None:
    """A strictly winning point near the MILP's optimum ``z`` (on the closure): nudged toward its set's centre."""
    reg = region(net, z, domain=domain)
    A_c, b_c, _ = class_rows(reg, t)
    P = reg.polyhedron.with_rows(A_c, b_c)
    ball = P.chebyshev_center()
    if ball.center is None or not ball.radius > INTERIOR_TOL:
        return None
    return _polish(net, x, t, ball.center, ball.center, domain, "1")


def _l1_milp(net: Network, x, t: int, domain, u1: float, deadline: Deadline):
    """``(z, dual_bound, optimal)`` of ``min |z - x|_1`` over the target set; "too large"; or None (no answer)."""
    from ..bounds import input_box
    from ..verify.milp import Encoding
    from ..verify.query import Query
    from ..verify.stages import bound_stage

    piece = input_set(x, u1, domain)
    lo, hi = input_box(net, piece)
    A = np.zeros((0, x.size)) if isinstance(piece, Box) else np.asarray(piece.A)
    b = np.zeros(0) if isinstance(piece, Box) else np.asarray(piece.b)
    conj = target_property(net.output_dim, t).disjuncts[0]
    q = Query(net, lo, hi, A, b, {}, (conj,), deadline.at)
    first = bound_stage(q)
    if first.infeasible:
        return None
    enc = Encoding(q, first.layers)
    if enc.n_unstable > L1_MILP_MAX_UNSTABLE:
        return "too large"
    n = x.size
    M = enc.matrix()
    m0, nv = M.shape
    out_rows = sp.csr_matrix(np.array([enc.expression(c) for c in conj.C]))
    eye = sp.hstack([sp.identity(n, format="csr"), sp.csr_matrix((n, nv - n))])
    A_all = sp.vstack([
        sp.hstack([M, sp.csr_matrix((m0, n))]),
        sp.hstack([out_rows, sp.csr_matrix((out_rows.shape[0], n))]),
        sp.hstack([eye, -sp.identity(n)]),       # z - u <= x
        sp.hstack([-eye, -sp.identity(n)]),      # -z - u <= -x
    ], format="csr")
    row_lo = np.concatenate([enc.row_lo, np.full(out_rows.shape[0] + 2 * n, -np.inf)])
    row_hi = np.concatenate([enc.row_hi, conj.d, x, -x])
    c = np.concatenate([np.zeros(nv), np.ones(n)])
    lb = np.concatenate([enc.lb, np.zeros(n)])
    ub = np.concatenate([enc.ub, np.full(n, u1)])
    integer = list(enc.integer) + [False] * n
    res = lp.solve_milp(c, A_all, row_lo, row_hi, lb, ub, integer, time_limit=deadline.seconds(floor=MIN_QUERY_SECONDS))
    if res.status in (lp.LPStatus.INFEASIBLE, lp.LPStatus.ERROR) or (res.x is None and res.dual_bound is None):
        return None
    z = None if res.x is None else res.x[:n]
    return z, res.dual_bound, res.status is lp.LPStatus.OPTIMAL
