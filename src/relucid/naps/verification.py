"""NAP properties (Geng et al., Sec. 3.2), each a verification query with the NAP as a pattern.

* **NAP robustness** (Eq. 8-9): every input of the domain that follows
  ``NAP_ℓ`` is classified ``ℓ`` — asked per competing label ``j``
  (``y_ℓ > y_j``), so a label's answer is a row of Y / N / T/o.
* **NAP-augmented robustness** (Eq. 10-11): the same inside the L∞ ball of
  radius ε around an input, intersected with the domain (a box again).
* **Non-ambiguity** (Eq. 7): no input follows ``NAP_a`` and ``NAP_b`` at once.
  Trivially true when one's ``A`` meets the other's ``D``; otherwise the
  combined pattern (``A_a ∪ A_b`` on, ``D_a ∪ D_b`` off) is handed to the
  engine with a property that *every* output violates (``y_0 <= u + 1``,
  ``u`` an interval upper bound of ``y_0`` over the domain): a counterexample
  is exactly an input following both NAPs, "proved" means none exists.

How a query is decided (``engine="relucid"``)
---------------------------------------------
1. DeepPoly bounds with the NAP's phases over the box, once for all of a
   NAP's competitor rows (the verification engine's bound stage): rows the
   bounds close are proved; when the bounds show that no input of the box
   follows the NAP at all, every row holds vacuously.
2. Following-NAP search (:mod:`.search`) on the open rows, from the given
   seeds (data of the label, or the ball's centre) and random points: a
   point that strictly follows the NAP and violates the row is a
   counterexample. If none is found, the linear regions of the search's
   best following points get an LP each
   (:func:`relucid.verify.confirm.confirm`: maximal slack of the region's
   strict constraints together with the violation row).
3. LP bound tightening once for the NAP and box, then one MILP per open row
   (:mod:`relucid.verify.milp`), each with an equal share of the time left.

``engine="verify"`` runs :func:`relucid.verify` per competitor instead
(attack, bounds, tightening, MILP — nothing shared), ``engine="marabou"``
:func:`relucid.verify.marabou.verify_marabou`, and ``engine=None`` stops
after the search (undecided rows stay "unknown"). Non-ambiguity follows the
same three steps with its single row.

Strictness. A NAP asks ``z > 0`` for ``A`` and ``z <= 0`` for ``D``. The
engines prove over the closure (``z >= 0`` for ``A``), a superset, so a proof
covers every input that follows the NAP. Every counterexample is re-checked
here in float64 with no tolerance — inside the box, every neuron of ``A`` at
``z > 0`` and of ``D`` at ``z <= 0``, and ``y_j >= y_ℓ`` (a tie counts
against ``ℓ``, as in :class:`~relucid.ClassWins`) — and a point that fails
the check is never reported as "falsified".
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidValueError
from ..geometry import Box
from ..network import Network
from ..parallel import run_all
from ..verify.properties import Conjunction, OutputAvoids
from .nap import NAP
from .search import nap_search, strictly_follows

__all__ = [
    "ENGINES",
    "CrossCheck",
    "NAPVerdict",
    "cross_check",
    "nap_augmented_robustness",
    "nap_robustness",
    "non_ambiguity",
    "non_ambiguity_all",
    "verdict_cell",
]

ENGINES = ("relucid", "verify", "marabou")

#: Share of a NAP's whole time budget (all its competitor rows) that LP bound
#: tightening may use before the MILPs.
TIGHTEN_SHARE = 0.25

#: Tightening budget without a timeout (seconds).
TIGHTEN_MAX_SECONDS = 120.0

#: Share of each query's timeout the following-NAP search may use first.
SEARCH_SHARE = 0.3

#: The search's best following points that get an LP in their linear region.
POLISH_POINTS = 3
#: Seconds the LP polish may run even when the search used up its share.
POLISH_MIN_SECONDS = 1.0

#: Table cell of each status (the paper's notation).
CELLS = {"proved": "Y", "falsified": "N", "unknown": "T/o"}


@dataclass(frozen=True, eq=False)
class NAPVerdict:
    """The answer to one NAP query.

    Attributes
    ----------
    kind : {"robustness", "augmented", "non-ambiguity"}
    status : {"proved", "falsified", "unknown"}
        robustness/augmented: "proved" = no input following the NAP (in the
        box) has ``y_j >= y_label``. non-ambiguity: "proved" = no input
        follows both NAPs.
    label : int
        The NAP's label (non-ambiguity: the first NAP's).
    other : int
        The competitor ``j`` (non-ambiguity: the second NAP's label).
    eps : float or None
        Radius of the L∞ ball (augmented only).
    time : float
        Seconds: own search and MILP time plus an equal share of the steps
        shared with the NAP's other rows.
    method : str
        What decided it: "trivial", "search", "bounds", "milp", "verify",
        "marabou".
    counterexample : ndarray or None
        robustness/augmented: an input following the NAP strictly with
        ``y_j >= y_label``; non-ambiguity: an input following both NAPs.
    output : ndarray or None
        ``net(counterexample)``.
    confirmed : bool or None
        Whether the counterexample passed the float64 re-check here (always
        True for a "falsified" verdict; None without a counterexample).
    note : str or None
    engine : str
    conflicts : tuple
        non-ambiguity: neurons one NAP fixes on and the other off.
    """

    kind: str
    status: str
    label: int
    other: int
    eps: float | None = None
    time: float = 0.0
    method: str = ""
    counterexample: np.ndarray | None = field(default=None, repr=False)
    output: np.ndarray | None = field(default=None, repr=False)
    confirmed: bool | None = None
    note: str | None = None
    engine: str = "relucid"
    conflicts: tuple = ()
    lo: np.ndarray | None = field(default=None, repr=False)
    hi: np.ndarray | None = field(default=None, repr=False)

    @property
    def cell(self) -> str:
        """"Y", "N" or "T/o"."""
        return CELLS[self.status]

    @property
    def predicted(self) -> int | None:
        """The class the network picks at the counterexample (argmax)."""
        return None if self.output is None else int(np.argmax(self.output))

    def to_dict(self, *, counterexample: bool = True) -> dict:
        return {
            "kind": self.kind,
            "status": self.status,
            "cell": self.cell,
            "label": self.label,
            "other": self.other,
            "eps": self.eps,
            "time": round(float(self.time), 4),
            "method": self.method,
            "engine": self.engine,
            "confirmed": self.confirmed,
            "predicted": self.predicted,
            "note": self.note,
            "conflicts": [list(n) for n in self.conflicts[:10]],
            "n_conflicts": len(self.conflicts),
            "counterexample": None if (self.counterexample is None or not counterexample) else self.counterexample.tolist(),
            "output": None if self.output is None else self.output.tolist(),
        }


def verdict_cell(v: NAPVerdict | None) -> str:
    """Table cell of a verdict ("-" for None: the label itself)."""
    return "-" if v is None else v.cell


# -- public queries -------------------------------------------------------------------------------
def nap_robustness(
    net: Network,
    nap: NAP,
    domain: Box | None = None,
    *,
    label: int | None = None,
    competitors=None,
    timeout: float | None = 10.0,
    search: bool = True,
    seeds=None,
    engine: str = "relucid",
    seed: int = 0,
) -> dict:
    """NAP robustness (Eq. 8): every input of ``domain`` that follows ``nap`` is classified ``label``.

    Parameters
    ----------
    net : Network
        relu / leaky_relu / identity layers.
    nap : NAP
    domain : Box, optional
        The input domain; default ``[0, 1]^n`` (images, as in the paper).
    label : int, optional
        Default ``nap.label``.
    competitors : iterable of int, optional
        Labels ``j`` to check ``y_label > y_j`` against (default: all others).
    timeout : float or None
        Seconds per competitor query (search and engine together; the rows
        of one NAP share a budget of ``timeout * len(competitors)``).
    search : bool
        Run the following-NAP search first (see the module notes).
    seeds : array (m, n_in), optional
        Starting points for the search, e.g. data of the label that follow
        the NAP (:meth:`NAP.follows`).
    engine : {"relucid", "verify", "marabou"} or None
        None: the search only.
    seed : int
        Seed of the search's random starts.

    Returns
    -------
    dict j -> NAPVerdict
        In the order of ``competitors``.
    """
    lo, hi = _domain_box(net, domain, "nap_robustness")
    c, comps = _label_and_competitors(net, nap, label, competitors, "nap_robustness")
    return _robust_rows(net, nap, c, comps, lo, hi, None, timeout, search, seeds, engine, seed, "robustness")


def nap_augmented_robustness(
    net: Network,
    nap: NAP,
    x,
    eps: float,
    domain: Box | None = None,
    *,
    label: int | None = None,
    competitors=None,
    timeout: float | None = 10.0,
    search: bool = True,
    engine: str = "relucid",
    seed: int = 0,
) -> dict:
    """NAP-augmented robustness (Eq. 10-11): inside the L∞ ball ``|x' - x| <= eps`` ∩ ``domain``.

    Parameters
    ----------
    x : array (n_in,)
        The centre (the paper: a test image, with ``nap`` the NAP of the
        class the network predicts for it).
    eps : float
        Radius, ``>= 0``.
    Others as in :func:`nap_robustness` (the search starts at ``x``).

    Returns
    -------
    dict j -> NAPVerdict

    Notes
    -----
    When ``x`` itself does not follow ``nap`` or is not classified
    ``label``, the query is still well defined (and answered); each verdict
    carries a note saying so.
    """
    dlo, dhi = _domain_box(net, domain, "nap_augmented_robustness")
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape[0] != net.input_dim:
        raise InvalidValueError(f"nap_augmented_robustness: x has {x.shape[0]} values but the network takes {net.input_dim}")
    if not np.all(np.isfinite(x)):
        raise InvalidValueError("nap_augmented_robustness: x contains NaN or inf")
    try:
        eps = float(eps)
    except (TypeError, ValueError):
        raise InvalidValueError(f"nap_augmented_robustness: eps must be a number >= 0; got {eps!r}") from None
    if not (np.isfinite(eps) and eps >= 0):
        raise InvalidValueError(f"nap_augmented_robustness: eps must be a number >= 0; got {eps!r}")
    lo, hi = np.maximum(x - eps, dlo), np.minimum(x + eps, dhi)
    if (lo > hi).any():
        raise InvalidValueError("nap_augmented_robustness: the ball around x does not meet the domain")
    c, comps = _label_and_competitors(net, nap, label, competitors, "nap_augmented_robustness")
    notes = []
    if not nap.follows(net, x):
        notes.append("x itself does not follow the NAP")
    if int(np.argmax(net(x))) != c:
        notes.append(f"x is classified {int(np.argmax(net(x)))}, not {c}")
    rows = _robust_rows(net, nap, c, comps, lo, hi, x[None], timeout, search, None, engine, seed, "augmented", eps)
    if notes:
        rows = {j: _with_note(v, "; ".join(notes)) for j, v in rows.items()}
    return rows


def non_ambiguity(
    net: Network,
    nap_a: NAP,
    nap_b: NAP,
    domain: Box | None = None,
    *,
    timeout: float | None = 10.0,
    search: bool = True,
    seeds=None,
    engine: str = "relucid",
    seed: int = 0,
) -> NAPVerdict:
    """Non-ambiguity (Eq. 7): no input of ``domain`` follows both NAPs.

    Returns
    -------
    NAPVerdict
        "proved" (method "trivial" when the NAPs conflict on a neuron, listed
        in ``conflicts``), "falsified" with ``counterexample`` an input that
        follows both strictly, or "unknown".
    """
    t0 = time.monotonic()
    lo, hi = _domain_box(net, domain, "non_ambiguity")
    _check_engine(engine, "non_ambiguity")
    for nap in (nap_a, nap_b):
        if not isinstance(nap, NAP):
            raise InvalidValueError(f"non_ambiguity: expects NAPs; got {type(nap).__name__}")
        nap.validate(net)
    a = nap_a.label if nap_a.label is not None else -1
    b = nap_b.label if nap_b.label is not None else -1
    conflicts = tuple(sorted(nap_a.conflicts(nap_b)))
    base = dict(kind="non-ambiguity", label=a, other=b, engine=engine, lo=lo, hi=hi)
    if conflicts:
        n = conflicts[0]
        side = "A" if n in nap_a.active else "D"
        return NAPVerdict(status="proved", method="trivial", time=time.monotonic() - t0, conflicts=conflicts,
                          note=f"{len(conflicts)} neurons conflict, e.g. {n} is in {side} of NAP {a} and in the "
                               f"{'D' if side == 'A' else 'A'} of NAP {b}", **base)
    both = NAP(nap_a.active | nap_b.active, nap_a.inactive | nap_b.inactive)
    phases = both.layer_phases(net)
    note = "both NAPs are empty: every input follows both" if both.is_empty else None
    deadline = None if timeout is None else t0 + float(timeout)
    conj = _everything(net, lo, hi)
    shared = None
    if engine == "relucid":  # bounds first: they often show that no input follows both
        shared = _Shared(net, lo, hi, phases, [conj])
        (first,) = shared.bounds()
        if first is not None:
            return NAPVerdict(status="proved", method="bounds", time=time.monotonic() - t0,
                              note=_join(note, "no input of the domain follows both NAPs (bounds)"), **base)
    if search:
        s = nap_search(net, phases, lo, hi, starts=seeds, rng=seed,
                       deadline=None if timeout is None else time.monotonic() + SEARCH_SHARE * float(timeout))
        if s.hit is not None:
            return _ambiguity_witness(net, phases, lo, hi, s.hit, "search", time.monotonic() - t0, note, base)
    left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
    if shared is not None:
        ((status, x, method, enote),) = shared.milps([0], left)
    else:
        ((status, x, method, enote),) = _decide(net, lo, hi, both, [conj], left, engine, seed)
    if status == "falsified":
        return _ambiguity_witness(net, phases, lo, hi, x, method, time.monotonic() - t0, note, base)
    if status == "proved":
        enote = _join(enote, "no input of the domain follows both NAPs")
    return NAPVerdict(status=status, method=method, time=time.monotonic() - t0, note=_join(note, enote), **base)


def non_ambiguity_all(
    net: Network,
    naps: dict,
    domain: Box | None = None,
    *,
    timeout: float | None = 10.0,
    search: bool = True,
    seeds: dict | None = None,
    engine: str = "relucid",
    n_jobs: int | None = None,
    seed: int = 0,
) -> dict:
    """:func:`non_ambiguity` for every pair of labels ``a < b``: ``{(a, b): NAPVerdict}``.

    ``seeds``: optional ``{label: points}``; a pair starts from both labels'
    points. ``n_jobs``: independent queries in parallel (:func:`relucid.parallel.run_all`).
    """
    if not isinstance(naps, dict) or not all(isinstance(v, NAP) for v in naps.values()):
        raise InvalidValueError("non_ambiguity_all: expects {label: NAP}")
    labels = sorted(naps)
    pairs = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]]
    fn = functools.partial(_pair_job, net, naps, domain, timeout, search, seeds, engine, seed)
    out = run_all(fn, pairs, n_jobs=n_jobs)
    return dict(zip(pairs, out))


def _pair_job(net, naps, domain, timeout, search, seeds, engine, seed, pair):
    a, b = pair
    pts = None
    if seeds is not None:
        parts = [np.atleast_2d(seeds[k]) for k in (a, b) if k in seeds and len(seeds[k])]
        pts = np.vstack(parts) if parts else None
    return non_ambiguity(net, naps[a], naps[b], domain, timeout=timeout, search=search, seeds=pts,
                         engine=engine, seed=seed)


# -- cross-check -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossCheck:
    """The independent check of one verdict.

    Attributes
    ----------
    ok : bool
        False only when the check contradicts the verdict (a soundness bug).
    n_following : int
        Inputs the search found that follow the NAP(s) strictly (a "proved"
        verdict is only tested by these).
    min_value : float
        robustness: the smallest ``y_label - y_j`` over those inputs (must be
        ``> 0`` for a proof to survive); non-ambiguity: unused (inf).
    note : str
    """

    ok: bool
    n_following: int
    min_value: float
    note: str


def cross_check(net: Network, verdict: NAPVerdict, nap: NAP, other: NAP | None = None, *, seeds=None,
                n_random: int = 64, n_steps: int = 150, rng: int = 1) -> CrossCheck:
    """Test a verdict independently of the engine that gave it.

    * "proved" robustness/augmented: a following-NAP search in the verdict's
      box, targeted at ``y_j >= y_label``, must find no following input that
      violates the row;
    * "proved" non-ambiguity: a search for an input following both NAPs
      (``other``) must find none;
    * "falsified": the counterexample must lie in the box, follow the NAP(s)
      strictly (float64, no tolerance) and — robustness — have
      ``y_j >= y_label``.
    """
    lo, hi = verdict.lo, verdict.hi
    if verdict.kind == "non-ambiguity":
        if other is None:
            raise InvalidValueError("cross_check: a non-ambiguity verdict needs both NAPs (other=...)")
        if verdict.conflicts:
            ok = bool(nap.conflicts(other))
            return CrossCheck(ok, 0, float("inf"), "trivial: the NAPs conflict on a neuron" if ok else "no conflict")
        phases = NAP(nap.active | other.active, nap.inactive | other.inactive).layer_phases(net)
        w = None
    else:
        phases = nap.layer_phases(net)
        w = np.zeros(net.output_dim)
        w[verdict.label] += 1.0
        w[verdict.other] -= 1.0
    if verdict.status == "falsified":
        x = verdict.counterexample
        ok = _confirmed(net, phases, lo, hi, w, x)
        return CrossCheck(ok, 1, float(net(x) @ w) if w is not None else float("inf"),
                          "counterexample re-checked" if ok else "counterexample FAILS the re-check")
    if verdict.status != "proved":
        return CrossCheck(True, 0, float("inf"), "undecided: nothing to check")
    s = nap_search(net, phases, lo, hi, objective=w, starts=seeds, n_random=n_random, n_steps=n_steps, rng=rng)
    if s.hit is not None:
        return CrossCheck(False, s.n_following, s.min_value, "the search found an input that contradicts the proof")
    note = f"{s.n_following} following points checked"
    if w is not None and s.values.size:
        note += f"; smallest y_{verdict.label} - y_{verdict.other} among them {s.min_value:.4g}"
    return CrossCheck(True, s.n_following, s.min_value, note)


# -- the rows of one NAP ----------------------------------------------------------------------------
def _robust_rows(net, nap, c, comps, lo, hi, starts, timeout, search, seeds, engine, seed, kind, eps=None) -> dict:
    t0 = time.monotonic()
    _check_engine(engine, kind)
    phases = nap.layer_phases(net)
    base_note = "the NAP is empty: every input follows it" if nap.is_empty else None
    spent = {j: 0.0 for j in comps}
    answers: dict = {}
    shared = None
    if engine == "relucid":  # cheap bounds first: the rows they close need no search
        shared = _Shared(net, lo, hi, phases, [_violation(net, c, j) for j in comps])
        for j, ans in zip(comps, shared.bounds()):
            if ans is not None:
                answers[j] = ans
        for j in comps:
            spent[j] += shared.elapsed / len(comps)
    if search:
        pts = [p for p in (starts, None if seeds is None else np.atleast_2d(np.asarray(seeds, dtype=float))) if p is not None]
        pts = np.vstack(pts) if pts else None
        for j in comps:
            if j in answers:
                continue
            t = time.monotonic()
            dl = None if timeout is None else t + SEARCH_SHARE * float(timeout)
            s = nap_search(net, phases, lo, hi, objective=_row(net, c, j), starts=pts, rng=seed + j, deadline=dl)
            hit = s.hit if s.hit is not None else _polish(net, lo, hi, phases, _violation(net, c, j), s.points, dl)
            spent[j] += time.monotonic() - t
            if hit is not None:
                answers[j] = ("falsified", hit, "search", None)
    rest = [j for j in comps if j not in answers]
    if rest:
        t = time.monotonic()
        budget = None if timeout is None else max(float(timeout) * len(comps) - (t - t0), 1e-3 * len(rest))
        if shared is not None:
            before = shared.elapsed
            got = shared.milps([comps.index(j) for j in rest], budget)
            share = (shared.elapsed - before) / len(rest)
        else:
            got = _decide(net, lo, hi, nap, [_violation(net, c, j) for j in rest], budget, engine, seed)
            share = (time.monotonic() - t) / len(rest)
        for j, ans in zip(rest, got):
            answers[j] = ans
            spent[j] += share
    out = {}
    for j in comps:
        base = dict(kind=kind, label=c, other=j, eps=eps, engine=engine, lo=lo, hi=hi)
        status, x, method, note = answers[j]
        if status == "falsified":
            if not _confirmed(net, phases, lo, hi, _row(net, c, j), x):
                out[j] = NAPVerdict(status="unknown", method=method, time=spent[j], confirmed=False, counterexample=x,
                                    output=None if x is None else net(x),
                                    note=_join(base_note, f"the {method} counterexample does not re-check in float64 "
                                                          "(not reported as falsified)"), **base)
                continue
            out[j] = NAPVerdict(status="falsified", method=method, time=spent[j], counterexample=x, output=net(x),
                                confirmed=True, note=_join(base_note, note), **base)
        else:
            out[j] = NAPVerdict(status=status, method=method, time=spent[j], note=_join(base_note, note), **base)
    return out


def _decide(net, lo, hi, pattern_nap: NAP, conjs, budget, engine, seed) -> list:
    """``[(status, x, method, note)]`` per conjunction (a violation set) over the box, following the NAP."""
    if engine is None:
        return [("unknown", None, "search", "search only (no engine run)")] * len(conjs)
    if engine == "relucid":
        sh = _Shared(net, lo, hi, pattern_nap.layer_phases(net), conjs)
        first = sh.bounds()
        todo = [k for k, a in enumerate(first) if a is None]
        rest = iter(sh.milps(todo, None if budget is None else max(budget - sh.elapsed, 1e-3)) if todo else [])
        return [a if a is not None else next(rest) for a in first]
    out = []
    t0 = time.monotonic()
    for i, conj in enumerate(conjs):
        left = None if budget is None else max((t0 + budget - time.monotonic()) / (len(conjs) - i), 1e-3)
        prop = OutputAvoids(conj)
        if engine == "marabou":
            from ..verify.marabou import verify_marabou

            r = verify_marabou(net, Box(lo, hi), prop, pattern=pattern_nap.as_pattern(), timeout=left)
        else:
            from ..verify import verify

            r = verify(net, Box(lo, hi), prop, pattern=pattern_nap.as_pattern(), timeout=left, seed=seed)
        out.append((r.status, r.counterexample, r.method or engine, r.note))
    return out


class _Shared:
    """The engine's stages for several violation rows over one box and pattern, shared where they can be.

    :meth:`bounds`: DeepPoly with the pattern's phases, once for all rows
    (the engine's stage 3). :meth:`milps`: LP bound tightening once, then one
    MILP per row (:func:`relucid.verify.milp.milp_search`), each with an
    equal share of the time left.
    """

    def __init__(self, net, lo, hi, phases, conjs) -> None:
        from ..verify.query import Query

        self.net, self.conjs = net, list(conjs)
        self.q = Query(net, lo, hi, np.zeros((0, net.input_dim)), np.zeros(0), phases, tuple(conjs), np.inf)
        self.layers = None
        self.elapsed = 0.0

    def bounds(self) -> list:
        """Per row: ``("proved", None, "bounds", note)`` when the bounds close it, else None."""
        from ..bounds.deeppoly import deeppoly_bounds

        t = time.monotonic()
        q = self.q
        S, s, strict, owner = q.spec()
        bnd = deeppoly_bounds(self.net, q.lo[None], q.hi[None], q.phases, spec=(S, s))
        self.elapsed += time.monotonic() - t
        n = len(self.conjs)
        if bnd.infeasible[0]:
            return [("proved", None, "bounds", "no input of the box follows the pattern (the property holds vacuously)")] * n
        safe = np.where(strict, bnd.spec_lower[0] >= 0, bnd.spec_lower[0] > 0)
        self.layers = [(L[0], U[0]) for L, U in bnd.layers]
        return [("proved", None, "bounds", None) if safe[owner == k].any() else None for k in range(n)]

    def milps(self, rows, budget) -> list:
        """``[(status, x, "milp", note)]`` for the given row indices (after :meth:`bounds`)."""
        from ..verify.milp import milp_search
        from ..verify.tighten import tighten_bounds

        q = self.q
        t0 = time.monotonic()
        deadline = np.inf if budget is None else t0 + float(budget)
        q.deadline = deadline
        tb = TIGHTEN_SHARE * float(budget) if budget is not None else TIGHTEN_MAX_SECONDS
        layers = tighten_bounds(q, self.layers, tb)
        out = []
        for i, k in enumerate(rows):
            now = time.monotonic()
            if now >= deadline:
                out.append(("unknown", None, "milp", "timeout"))
                continue
            q.deadline = now + (deadline - now) / (len(rows) - i) if np.isfinite(deadline) else np.inf
            active = np.zeros(len(self.conjs), dtype=bool)
            active[k] = True
            status, x, note = milp_search(q, layers, active)
            out.append((status, x, "milp", note))
        self.elapsed += time.monotonic() - t0
        return out


def _polish(net, lo, hi, phases, conj, points, deadline):
    """An LP in the linear region of each of the search's best following points (kept phases fixed).

    :func:`relucid.verify.confirm.confirm` maximises a common slack of the
    region's strict constraints and the violation row: a point it returns is
    a checked counterexample (a violation in the same region as the point).
    """
    from ..verify.confirm import confirm
    from ..verify.query import Query

    if points is None or not len(points):
        return None
    q = Query(net, lo, hi, np.zeros((0, net.input_dim)), np.zeros(0), phases, (conj,),
              np.inf if deadline is None else max(deadline, time.monotonic() + POLISH_MIN_SECONDS))
    for p in points[:POLISH_POINTS]:
        if q.expired():
            break
        x = confirm(q, p)
        if x is not None:
            return x
    return None


# -- helpers ---------------------------------------------------------------------------------------
def _row(net, c, j) -> np.ndarray:
    """``w`` with ``w·y = y_c - y_j`` (a violation where ``<= 0``)."""
    w = np.zeros(net.output_dim)
    w[c], w[j] = 1.0, -1.0
    return w


def _violation(net, c, j) -> Conjunction:
    """``y_c - y_j <= 0``: class ``j`` reaches class ``c`` (a tie counts, as in ClassWins)."""
    return Conjunction(_row(net, c, j), [0.0])


def _everything(net, lo, hi) -> Conjunction:
    """A violation set every output of the box lies in: ``y_0 <= u + 1`` with ``u`` an interval bound."""
    from ..bounds import bounds

    up = float(bounds(net, Box(lo, hi), method="interval")[-1][1][0])
    if net.layers[-1].activation == "relu":
        up = max(up, 0.0)
    row = np.zeros(net.output_dim)
    row[0] = 1.0
    return Conjunction(row, [abs(up) + 1.0 + abs(up) * 1e-6])


def _confirmed(net, phases, lo, hi, w, x) -> bool:
    if x is None:
        return False
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (net.input_dim,) or not np.all((x >= lo) & (x <= hi)):
        return False
    if not strictly_follows(net, phases, x)[0]:
        return False
    return True if w is None else bool(net(x) @ w <= 0)


def _ambiguity_witness(net, phases, lo, hi, x, method, elapsed, note, base) -> NAPVerdict:
    if not _confirmed(net, phases, lo, hi, None, x):
        return NAPVerdict(status="unknown", method=method, time=elapsed, confirmed=False, counterexample=x,
                          note=_join(note, "the witness does not re-check in float64"), **base)
    return NAPVerdict(status="falsified", method=method, time=elapsed, counterexample=np.asarray(x, dtype=float),
                      output=net(x), confirmed=True, note=_join(note, "an input follows both NAPs"), **base)


def _with_note(v: NAPVerdict, note: str) -> NAPVerdict:
    from dataclasses import replace

    return replace(v, note=_join(v.note, note))


def _join(*notes) -> str | None:
    parts = [n for n in notes if n]
    return "; ".join(parts) if parts else None


def _domain_box(net: Network, domain, who: str):
    if not isinstance(net, Network):
        raise InvalidValueError(f"{who}: expects a relucid.Network; got {type(net).__name__}")
    for i, layer in enumerate(net.layers):
        if layer.activation not in ("relu", "leaky_relu", "identity"):
            raise InvalidValueError(f"{who}: layer {i} is {layer.activation}; NAP verification needs relu, leaky_relu and identity layers")
    if domain is None:
        return np.zeros(net.input_dim), np.ones(net.input_dim)
    if not isinstance(domain, Box):
        raise InvalidValueError(f"{who}: domain must be a relucid.Box; got {type(domain).__name__}")
    if domain.dim != net.input_dim:
        raise InvalidValueError(f"{who}: the domain has dimension {domain.dim} but the network takes {net.input_dim} inputs")
    lo, hi = np.array(domain.lo, dtype=float), np.array(domain.hi, dtype=float)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise InvalidValueError(f"{who}: the domain must be bounded")
    return lo, hi


def _label_and_competitors(net, nap, label, competitors, who):
    if not isinstance(nap, NAP):
        raise InvalidValueError(f"{who}: expects a NAP; got {type(nap).__name__}")
    nap.validate(net)
    c = nap.label if label is None else label
    if c is None:
        raise InvalidValueError(f"{who}: the NAP has no label; pass label=...")
    c = int(c)
    if not 0 <= c < net.output_dim:
        raise InvalidValueError(f"{who}: label {c} is not a class of the network (classes 0..{net.output_dim - 1})")
    if competitors is None:
        comps = [j for j in range(net.output_dim) if j != c]
    else:
        comps = [int(j) for j in competitors]
        for j in comps:
            if not 0 <= j < net.output_dim or j == c:
                raise InvalidValueError(f"{who}: competitor {j} must be a class other than {c} (0..{net.output_dim - 1})")
    if not comps:
        raise InvalidValueError(f"{who}: no competing label to check (the network has {net.output_dim} outputs)")
    return c, comps


def _check_engine(engine, who):
    if engine is not None and engine not in ENGINES:
        raise InvalidValueError(f"{who}: engine must be one of {', '.join(ENGINES)}; got {engine!r}")
