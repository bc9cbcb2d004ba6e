"""The result of :func:`relucid.convex_region`: a set of inputs on which a property provably holds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..phases import FREE, ON
from .._validate import batch_input
from ..deadline import Deadline
from ..geometry import Box, Polyhedron
from ..geometry.max_box import box_log_volume, max_volume_box
from ..network import Network
from ..regions.pattern import Pattern, activation_bits
from ..verify import Property
from .minimal import MinimalPattern
from .boxes import box_inside, grow_box

__all__ = ["Characterization"]

#: Relative shrink factors tried on the maximum-volume box before growing it,
#: so that the bounds can prove it with a margin (its faces touch facets).
SHRINK = (1e-7, 1e-5, 1e-3)


@dataclass(frozen=True, eq=False)
class Characterization:
    """A set ``R`` of inputs, each of which provably satisfies the property.

    ``R = {x in domain : x follows pattern, G x <= h}`` (rows of
    ``constraints``; row ``i`` strict, ``<``, where ``strict[i]``), with the
    activation convention on: ``z > 0``, off: ``z <= 0``. Every point of ``R``
    satisfies the property: the verifier proved ``pattern ⇒ property`` (or the
    relaxed ``l``) on the domain, or ``R`` is one linear region intersected
    with the property written through its affine map.

    Which sets are exact and which are inner approximations:

    * :meth:`contains` decides membership in ``R`` exactly (forward pass).
    * ``R`` itself is a union of polytopes when ``pattern`` is partial.
    * :attr:`polyhedron` is a convex polytope whose interior lies in ``R``:
      ``x0``'s complete pattern on every layer before the last layer that
      ``pattern`` constrains, ``pattern``'s neurons in that layer, the
      constraint rows and the domain. When ``pattern`` fixes every neuron of
      those earlier layers, its closure *is* the closure of ``R``
      (:attr:`exact` is True); otherwise it is an inner approximation.
    * :meth:`ua_box` is an inner approximation: a box proven inside ``R``.

    Attributes
    ----------
    network : Network
    x0 : (n,) array
    prop : Property
    method : {"baseline", "relaxed"}
    logit_factor : float or None
    domain : Polyhedron
        The bounded input set the proofs are over (``R`` lies inside it).
    pattern : Pattern
        The (minimal, where ``reached_find_minimal``) pattern ``σ'``.
    start_pattern : Pattern
        ``x0``'s complete pattern ``σ``.
    constraints : Polyhedron
        The linear rows ``G x <= h`` of ``R``: none for a baseline pattern
        that implies the property; ``P(W x + b)`` when it does not;
        ``dW_k x + db_k >= d_k + ε_k`` for the relaxed method.
    strict : (m,) bool array
    polyhedron : Polyhedron
    exact : bool
    reached_find_minimal : bool
        Whether the pattern was minimised (baseline: only when ``x0``'s
        complete pattern implies the property).
    minimisation : MinimalPattern or None
        The pattern search (None when it was not run); its counts include
        the baseline's first call.
    verifier_calls : int
        Verifier calls made in all.
    epsilon : (K,) array or None
        ``ε_k`` of the relaxed method.
    proof : (Network, Property) or None
        The query the verifier proved for ``pattern`` (relaxed: the
        augmented network and the violation set of ``l``), for re-checking.
    time : float
        Seconds spent in :func:`convex_region`.
    """

    network: Network
    x0: np.ndarray
    prop: Property
    method: str
    logit_factor: float | None
    domain: Polyhedron
    pattern: Pattern
    start_pattern: Pattern
    constraints: Polyhedron
    strict: np.ndarray
    polyhedron: Polyhedron
    exact: bool
    reached_find_minimal: bool
    minimisation: MinimalPattern | None
    verifier_calls: int
    epsilon: np.ndarray | None
    proof: tuple | None
    time: float

    # -- membership ------------------------------------------------------------
    def contains(self, X):
        """Whether ``x`` (or each row of a batch) is in ``R``: exact float64 checks, no tolerance."""
        X2, single = batch_input(X, self.network.input_dim, what="Characterization.contains")
        dom = self.domain
        if isinstance(dom, Box):
            ok = np.all((X2 >= dom.lo) & (X2 <= dom.hi), axis=1)
        else:
            ok = np.all(X2 @ dom.A.T <= dom.b, axis=1)
        bits = self.pattern.to_bits(self.network)
        if (bits != FREE).any():
            on = activation_bits(self.network, X2)
            ok &= np.all((bits == FREE) | (on == (bits == ON)), axis=1)
        if self.constraints.n_constraints:
            M = X2 @ self.constraints.A.T - self.constraints.b
            ok &= np.all(np.where(self.strict, M < 0, M <= 0), axis=1)
        return bool(ok[0]) if single else ok

    def support(self, X) -> int:
        """How many rows of ``X`` (data points) lie in ``R``."""
        return int(np.count_nonzero(self.contains(np.atleast_2d(X))))

    # -- boxes -----------------------------------------------------------------
    def _boxes(self, timeout: float | None = None) -> tuple[Box, Box | None, bool]:
        """``(inner, grown, complete)``, computed once (the first call's ``timeout`` limits the work).

        ``complete`` is False when the timeout cut the box search short: the
        boxes still lie in ``R``, they may only be smaller than they could be.
        """
        cached = self.__dict__.get("_box_cache")
        if cached is not None:
            return cached
        deadline = Deadline.after(timeout, who="Characterization.ua_box")
        out = self._compute_boxes(deadline)
        object.__setattr__(self, "_box_cache", out)
        return out

    def _compute_boxes(self, deadline: Deadline) -> tuple[Box, Box | None, bool]:
        P = self.polyhedron
        res = max_volume_box(P.A, P.b, deadline=deadline)
        if res.status == "empty":  # cannot happen: x0 is in the polyhedron
            c = np.asarray(self.x0, dtype=np.float64)
            return Box(c, c), None, True
        inner = Box(res.lo, res.hi)
        G, h = self.constraints.A, self.constraints.b
        if isinstance(self.domain, Box):
            dlo, dhi = np.array(self.domain.lo), np.array(self.domain.hi)
        else:
            dlo, dhi = self.domain.bounding_box()
            G, h = np.vstack([G, self.domain.A]), np.concatenate([h, self.domain.b])
        centre = (inner.lo + inner.hi) / 2
        grown = None
        for s in SHRINK:
            if deadline.expired():
                break
            start = Box(centre + (1 - s) * (inner.lo - centre), centre + (1 - s) * (inner.hi - centre))
            grown = grow_box(self.network, self.pattern, G, h, dlo, dhi, start, deadline=deadline)
            if grown is not None:
                break
        return inner, grown, res.status != "timeout" and not deadline.expired()

    def ua_box(self, *, grow: bool = True, timeout: float | None = None) -> Box:
        """A large axis-aligned box inside ``R`` (an inner approximation).

        Parameters
        ----------
        grow : bool
            False: the maximum-volume box inside :attr:`polyhedron`. True:
            that box grown face by face while DeepPoly bounds prove the grown
            box stays in ``R`` (see :func:`~relucid.characterize.boxes.grow_box`);
            the larger of the two is returned.
        timeout : float, optional
            Seconds for computing the boxes (the first call computes both and
            keeps them). At ``n = 784`` inputs the maximum-volume box alone
            can take minutes; a box cut short still lies in ``R``
            (:attr:`ua_box_complete` says whether it was).
        """
        inner, grown, _ = self._boxes(timeout)
        if grow and grown is not None and box_log_volume(grown.lo, grown.hi) >= box_log_volume(inner.lo, inner.hi):
            return grown
        return inner

    @property
    def ua_box_complete(self) -> bool | None:
        """Whether the boxes were computed to the end (None: not computed yet)."""
        cached = self.__dict__.get("_box_cache")
        return None if cached is None else cached[2]

    def ua_log_volume(self, *, grow: bool = True) -> float:
        """``sum(log(widths))`` of :meth:`ua_box` (``-inf`` for a flat box)."""
        box = self.ua_box(grow=grow)
        return box_log_volume(box.lo, box.hi)

    def box_proven(self, box: Box) -> bool:
        """Whether DeepPoly bounds prove ``box`` inside ``R`` (with the proof margin)."""
        G, h = self.constraints.A, self.constraints.b
        if isinstance(self.domain, Box):
            dlo, dhi = self.domain.lo, self.domain.hi
        else:
            dlo, dhi = self.domain.bounding_box()
            G, h = np.vstack([G, self.domain.A]), np.concatenate([h, self.domain.b])
        return bool(box_inside(self.network, self.pattern, G, h, dlo, dhi, box.lo, box.hi)[0])

    # -- reporting ---------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-ready summary (arrays as lists)."""
        net = self.network
        m = self.minimisation
        box = self.ua_box()
        return {
            "method": self.method,
            "logit_factor": self.logit_factor,
            "property": self.prop.describe(),
            "x0": self.x0.tolist(),
            "pattern": self.pattern.to_string(net),
            "n_fixed": len(self.pattern),
            "n_fixed_start": len(self.start_pattern),
            "reached_find_minimal": self.reached_find_minimal,
            "minimal": None if m is None else m.minimal,
            "verifier_calls": self.verifier_calls,
            "epsilon": None if self.epsilon is None else self.epsilon.tolist(),
            "constraints": {"A": self.constraints.A.tolist(), "b": self.constraints.b.tolist(),
                            "strict": self.strict.tolist()},
            "polyhedron_rows": self.polyhedron.n_constraints,
            "polyhedron_exact": self.exact,
            "ua_box": {"lo": box.lo.tolist(), "hi": box.hi.tolist(), "log_volume": self.ua_log_volume()},
            "ua_box_max_volume_log_volume": self.ua_log_volume(grow=False),
            "ua_box_complete": self.ua_box_complete,
            "time": self.time,
        }

    def __repr__(self) -> str:
        return (
            f"Characterization({self.method}, {len(self.pattern)} of {len(self.start_pattern)} neurons fixed, "
            f"{self.constraints.n_constraints} linear rows, polyhedron {'exact' if self.exact else 'inner'})"
        )
