"""Independent checks of NAP verdicts (docs/naps.md, "Cross-checks")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValueError
from ..network import Network
from .engine import confirmed
from .nap import NAP
from .search import nap_search
from .verdict import NAPVerdict

__all__ = ["CrossCheck", "cross_check"]


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
        ok = confirmed(net, phases, lo, hi, w, x)
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

