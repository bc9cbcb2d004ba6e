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

import numpy as np

from .._deprecated import keyword_only, renamed_keyword
from .._validate import seed_of
from ..deadline import Deadline, check_timeout
from ..errors import InvalidValueError
from ..geometry import Box
from ..geometry.domain import as_domain
from ..network import Network, check_piecewise_linear
from ..parallel import run_all
from .crosscheck import CrossCheck, cross_check
from .engine import Shared, confirmed, decide, everything, polish, row, violation
from .nap import NAP
from .search import nap_search
from .verdict import NAPVerdict, verdict_cell

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

#: Share of each query's timeout the following-NAP search may use first.
SEARCH_SHARE = 0.3


# -- public queries -------------------------------------------------------------------------------
@renamed_keyword("seed", "rng")
@keyword_only("domain")
def nap_robustness(
    net: Network,
    nap: NAP,
    *,
    domain: Box | None = None,
    label: int | None = None,
    competitors=None,
    timeout: float | None = 10.0,
    search: bool = True,
    seeds=None,
    engine: str = "relucid",
    rng=0,
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
    rng : int, numpy Generator or None
        Seed (or generator) of the search's random starts (``seed=`` is a deprecated alias).

    Returns
    -------
    dict j -> NAPVerdict
        In the order of ``competitors``.
    """
    lo, hi = _domain_box(net, domain, "nap_robustness")
    timeout = check_timeout(timeout, who="nap_robustness")
    seed = seed_of(rng, who="nap_robustness")
    c, comps = _label_and_competitors(net, nap, label, competitors, "nap_robustness")
    return _robust_rows(net, nap, c, comps, lo, hi, None, timeout, search, seeds, engine, seed, "robustness")


@renamed_keyword("seed", "rng")
@keyword_only("domain")
def nap_augmented_robustness(
    net: Network,
    nap: NAP,
    x,
    eps: float,
    *,
    domain: Box | None = None,
    label: int | None = None,
    competitors=None,
    timeout: float | None = 10.0,
    search: bool = True,
    engine: str = "relucid",
    rng=0,
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
    timeout = check_timeout(timeout, who="nap_augmented_robustness")
    seed = seed_of(rng, who="nap_augmented_robustness")
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


@renamed_keyword("seed", "rng")
@keyword_only("domain")
def non_ambiguity(
    net: Network,
    nap_a: NAP,
    nap_b: NAP,
    *,
    domain: Box | None = None,
    timeout: float | None = 10.0,
    search: bool = True,
    seeds=None,
    engine: str = "relucid",
    rng=0,
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
    timeout = check_timeout(timeout, who="non_ambiguity")
    seed = seed_of(rng, who="non_ambiguity")
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
    deadline = Deadline.after(timeout)
    conj = everything(net, lo, hi)
    shared = None
    if engine == "relucid":  # bounds first: they often show that no input follows both
        shared = Shared(net, lo, hi, phases, [conj])
        (first,) = shared.bounds()
        if first is not None:
            return NAPVerdict(status="proved", method="bounds", time=time.monotonic() - t0,
                              note=_join(note, "no input of the domain follows both NAPs (bounds)"), **base)
    if search:
        s = nap_search(net, phases, lo, hi, starts=seeds, rng=seed,
                       deadline=Deadline.after(None if timeout is None else SEARCH_SHARE * timeout))
        if s.hit is not None:
            return _ambiguity_witness(net, phases, lo, hi, s.hit, "search", time.monotonic() - t0, note, base)
    left = deadline.seconds(floor=1e-3)
    if shared is not None:
        ((status, x, method, enote),) = shared.milps([0], left)
    else:
        ((status, x, method, enote),) = decide(net, lo, hi, both, [conj], left, engine, seed)
    if status == "falsified":
        return _ambiguity_witness(net, phases, lo, hi, x, method, time.monotonic() - t0, note, base)
    if status == "proved":
        enote = _join(enote, "no input of the domain follows both NAPs")
    return NAPVerdict(status=status, method=method, time=time.monotonic() - t0, note=_join(note, enote), **base)


@renamed_keyword("seed", "rng")
@keyword_only("domain")
def non_ambiguity_all(
    net: Network,
    naps: dict,
    *,
    domain: Box | None = None,
    timeout: float | None = 10.0,
    search: bool = True,
    seeds: dict | None = None,
    engine: str = "relucid",
    n_jobs: int | None = None,
    rng=0,
) -> dict:
    """:func:`non_ambiguity` for every pair of labels ``a < b``: ``{(a, b): NAPVerdict}``.

    ``seeds``: optional ``{label: points}``; a pair starts from both labels'
    points. ``n_jobs``: independent queries in parallel (:func:`relucid.parallel.run_all`).
    """
    if not isinstance(naps, dict) or not all(isinstance(v, NAP) for v in naps.values()):
        raise InvalidValueError("non_ambiguity_all: expects {label: NAP}")
    labels = sorted(naps)
    pairs = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]]
    fn = functools.partial(_pair_job, net, naps, domain, timeout, search, seeds, engine, seed_of(rng, who="non_ambiguity_all"))
    out = run_all(fn, pairs, n_jobs=n_jobs)
    return dict(zip(pairs, out))


def _pair_job(net, naps, domain, timeout, search, seeds, engine, seed, pair):
    a, b = pair
    pts = None
    if seeds is not None:
        parts = [np.atleast_2d(seeds[k]) for k in (a, b) if k in seeds and len(seeds[k])]
        pts = np.vstack(parts) if parts else None
    return non_ambiguity(net, naps[a], naps[b], domain=domain, timeout=timeout, search=search, seeds=pts,
                         engine=engine, rng=seed)



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
        shared = Shared(net, lo, hi, phases, [violation(net, c, j) for j in comps])
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
            dl = Deadline.after(None if timeout is None else SEARCH_SHARE * timeout)
            s = nap_search(net, phases, lo, hi, objective=row(net, c, j), starts=pts, rng=seed + j, deadline=dl)
            hit = s.hit if s.hit is not None else polish(net, lo, hi, phases, violation(net, c, j), s.points, dl)
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
            got = decide(net, lo, hi, nap, [violation(net, c, j) for j in rest], budget, engine, seed)
            share = (time.monotonic() - t) / len(rest)
        for j, ans in zip(rest, got):
            answers[j] = ans
            spent[j] += share
    out = {}
    for j in comps:
        base = dict(kind=kind, label=c, other=j, eps=eps, engine=engine, lo=lo, hi=hi)
        status, x, method, note = answers[j]
        if status == "falsified":
            if not confirmed(net, phases, lo, hi, row(net, c, j), x):
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



def _ambiguity_witness(net, phases, lo, hi, x, method, elapsed, note, base) -> NAPVerdict:
    if not confirmed(net, phases, lo, hi, None, x):
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
    check_piecewise_linear(net, who=who, purpose="NAP verification")
    if domain is None:
        return np.zeros(net.input_dim), np.ones(net.input_dim)
    domain = as_domain(domain, net.input_dim, who=who, bounded=True)
    if not isinstance(domain, Box):
        raise InvalidValueError(f"{who}: the domain must be a relucid.Box (NAP queries bound inputs by a box); "
                                f"got {type(domain).__name__}")
    return np.array(domain.lo, dtype=float), np.array(domain.hi, dtype=float)


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
