"""The :class:`Explanation` value: what why / why_not return, with its expensive parts lazy."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InvalidValueError
from ..geometry import Polyhedron
from ..geometry.redundancy import nonredundant_rows
from ..geometry.vertices import compute_vertices
from ..network import Network
from ..regions.region import Region
from ..tolerances import MEMBERSHIP_TOL, REDUNDANCY_TOL
from .bounds import feature_bounds
from .render import class_name, render_explanation
from .system import Constraint, class_system

__all__ = ["MAX_VERTEX_DIM", "Explanation"]

#: Vertices are listed for inputs of at most this many dimensions.
MAX_VERTEX_DIM: int = 6


@dataclass(frozen=True, eq=False, repr=False)
class Explanation:
    """A why or why-not explanation of one input's class.

    Attributes (always present)
    ---------------------------
    kind : {"why", "why_not"}
    network : Network
    x : ndarray of shape (input_dim,)
        The explained input.
    scores : ndarray of shape (output_dim,)
        ``net(x)``.
    predicted : int
        ``argmax net(x)`` (the first one on exact ties).
    explained : int
        The class whose sub-polytope is described: ``predicted`` for why,
        the target for why-not.
    ties : tuple of int
        Other classes whose score at ``x`` is within
        :data:`~relucid.tolerances.CLASS_TIE_TOL` ``(1 + |y_c|)`` of the
        predicted one: ``x`` then lies on a decision boundary.
    region : Region or None
        For why, the region of ``x``; for why-not, the region where the target
        was found (None when none was found).
    origin : Region
        The region of ``x``.
    domain : Polyhedron or None
    feature_names, class_names : tuple of str (class_names may be None)

    Computed on first access (cached)
    ---------------------------------
    polyhedron : Polyhedron
        The sub-polytope of ``region`` where ``explained`` wins, minimal
        H-representation (rows in :attr:`constraints` order).
    constraints : list of Constraint
        Its rows with their origin (neuron, domain, class).
    bounds : (lo, hi)
        Range of each input feature over ``polyhedron`` (±inf where unbounded).
    vertices : ndarray of shape (k, input_dim) or None
        For at most :data:`MAX_VERTEX_DIM` inputs and a bounded set; else None.
    text : str
        A readable multi-line rendering (:meth:`render` for options).

    Why-not only
    ------------
    target : int
    search : {"march", "engine"}
        How the answer was searched for (``why_not(method=...)``).
    status : {"found", "timeout", "max_hamming", "exhausted", "unknown"}
        March: "found": the whole first level holding the target was
        examined. "timeout": stopped at the deadline (a region may still have
        been found on an unfinished level: then it has the fewest crossings,
        but a nearer one may exist on that level). "max_hamming": no region
        within ``max_hamming`` crossings has the target. "exhausted": no
        region reachable by crossing facets has it (within the domain).
        Engine: "found": a point, and the search ended on its own (gap within
        ``gap_tol``, or only narrower gaps left between radii the engine
        could not decide); "timeout": the deadline came first (the best
        point so far, if any); "exhausted": proved that no input of the
        domain gets the target; "unknown": no point and no proof, for a
        reason other than time (``note``).
    hamming : int or None
        Number of neurons whose phase differs from ``x``'s (``len(flipped)``).
    steps : int or None
        March: facet crossings from ``x``'s region (the search level).
        Engine: neuron flips along the segment from ``x`` to ``point``
        (``len(segment_flips)``). Both are ``>= hamming``.
    flipped : tuple of (layer, neuron)
    distinguishing : list of Constraint
        The constraints of ``polyhedron`` that ``x`` violates: what would have
        to change for the target.
    point : ndarray or None
        An input classified as the target: the nearest point of the target set,
        nudged into its interior.
    exact_distance : float or None
        Distance from ``x`` to the target set of ``region`` (the LP/QP
        optimum): no input of that set is nearer. Engine: None when the
        search ran no LP in the point's region (the deadline came first).
    distance : float or None
        Distance from ``x`` to ``point`` (``>= exact_distance``, by the nudge).
    norm : {"inf", "1", "2"}
    method : str
        How the nearest point was found: march "LP" or "QP (least-distance,
        NNLS)"; engine "verify: L-inf radius bisection", "MILP (L1
        objective)", or "verify: L-inf radius bisection (L1 distance of its
        point)" (L1 on a network too large for the MILP).
    confirmed : bool
        A float64 forward pass at ``point`` gives the target within
        :data:`~relucid.tolerances.CLASS_TIE_TOL` (the engine's points win
        strictly).
    regions_visited : int
        March: regions examined.
    seconds : float
    segment_regions : int or None
        Linear regions the straight segment from ``x`` to ``point`` passes
        through (both ends' included; found exactly, :mod:`.segment`).
    segment_flips : tuple of (s, (layer, neuron), on)
        The phase changes along that segment, in order: at ``x + s (point -
        x)`` the neuron turns on (``on`` True) or off.

    Engine only
    -----------
    distance_lower_bound : float
        The largest distance proved to hold no input of the target class (0
        when none was proved): L∞, the largest radius the engine proved
        empty; L1, the MILP's dual bound (or the L∞ bound, also one for L1).
    minimal_proved : bool
        ``distance - distance_lower_bound <= gap_tol``.
    gap_tol : float or None
        ``max(rtol * distance, atol)``.
    queries : tuple of (radius, status, seconds)
        The verification queries asked, in order.
    note : str or None
        What the user should know (a fallback taken, an engine note).
    """

    kind: str
    network: Network
    x: np.ndarray
    scores: np.ndarray
    predicted: int
    explained: int
    ties: tuple
    region: Region | None
    origin: Region
    domain: Polyhedron | None
    feature_names: tuple
    class_names: tuple | None = None
    n_jobs: int | None = None
    # why-not
    target: int | None = None
    status: str | None = None
    steps: int | None = None
    point: np.ndarray | None = None
    exact_distance: float | None = None
    distance: float | None = None
    norm: str | None = None
    method: str | None = None
    confirmed: bool | None = None
    regions_visited: int = 0
    seconds: float = 0.0
    search: str | None = None
    distance_lower_bound: float | None = None
    minimal_proved: bool | None = None
    gap_tol: float | None = None
    segment_regions: int | None = None
    segment_flips: tuple = ()
    queries: tuple = ()
    note: str | None = None
    _center: np.ndarray | None = field(default=None, repr=False)

    # -- the sub-polytope, unreduced -------------------------------------------
    @cached_property
    def _system(self) -> tuple[np.ndarray, np.ndarray, list[Constraint]]:
        if self.region is None:
            raise InvalidValueError(f"{self.kind}: no region was found ({self.status}); nothing to describe")
        return class_system(self.region, self.explained)

    @property
    def n_rows_unreduced(self) -> int:
        """Rows of the explained set before redundancy removal (region rows, domain rows, class rows)."""
        return int(self._system[0].shape[0])

    @property
    def found(self) -> bool:
        """Whether there is a region (always for why; for why-not, whether the target was found)."""
        return self.region is not None

    @property
    def hamming(self) -> int | None:
        if self.region is None or self.kind == "why":
            return 0 if self.kind == "why" else None
        return len(self.flipped)

    @property
    def flipped(self) -> tuple:
        """Neurons whose phase differs between ``x``'s region and ``region``."""
        if self.region is None:
            return ()
        return tuple(sorted(self.origin.pattern.conflicts(self.region.pattern)))

    @cached_property
    def nonredundant_rows(self) -> np.ndarray:
        """Indices into the unreduced system (region rows, then class rows) of the minimal set."""
        A, b, _ = self._system
        return nonredundant_rows(A, b, tol=REDUNDANCY_TOL)

    @cached_property
    def constraints(self) -> list[Constraint]:
        _, _, labels = self._system
        return [labels[i] for i in self.nonredundant_rows]

    @cached_property
    def polyhedron(self) -> Polyhedron:
        A, b, _ = self._system
        rows = self.nonredundant_rows
        return Polyhedron(A[rows], b[rows])

    @cached_property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        A, b, _ = self._system
        witnesses = [w for w in (self.x if self.kind == "why" else None, self.point, self._center) if w is not None]
        return feature_bounds(A, b, witnesses, n_jobs=self.n_jobs)

    @cached_property
    def vertices(self) -> np.ndarray | None:
        if self.network.input_dim > MAX_VERTEX_DIM or self.region is None:
            return None
        lo, hi = self.bounds
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            return None
        P = self.polyhedron
        return compute_vertices(P.A, P.b)

    @cached_property
    def distinguishing(self) -> list[Constraint]:
        """Constraints of the minimal set that ``x`` violates (empty for why)."""
        out = []
        for c in self.constraints:
            if c.normal @ self.x > c.offset + MEMBERSHIP_TOL * (1.0 + abs(c.offset)):
                out.append(c)
        return out

    @cached_property
    def text(self) -> str:
        return self.render()

    # -- rendering -----------------------------------------------------------------
    def render(self, *, digits: int = 4, drop_below: float = 0.0, max_terms: int | None = None,
               max_rows: int | None = None) -> str:
        """The explanation as text.

        Parameters
        ----------
        digits : int
            Significant digits.
        drop_below : float
            Leave out coefficients below this (rows scaled to a largest
            coefficient of 1); each row then says how many it lost.
        max_terms : int, optional
            Terms shown per row (largest first); default: all up to 12
            inputs, else 12.
        max_rows : int, optional
            Constraints listed; the rest are counted.
        """
        return render_explanation(self, digits=digits, drop_below=drop_below, max_terms=max_terms, max_rows=max_rows)

    def __repr__(self) -> str:
        cn = self.class_names
        if self.kind == "why":
            return f"Explanation(why {class_name(self.predicted, cn)}, {self.network.input_dim} features)"
        extra = ""
        if self.search == "engine" and self.found:
            extra = f", lower_bound={self.distance_lower_bound}, minimal_proved={self.minimal_proved}"
        return (
            f"Explanation(why {class_name(self.predicted, cn)} not {class_name(self.target, cn)}: "
            f"{self.search} {self.status}, hamming={self.hamming}, distance={self.distance}{extra})"
        )

    # -- JSON ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Everything as plain Python values (lists, floats, None for ±inf), ready for ``json.dumps``."""
        cn = self.class_names
        d = {
            "kind": self.kind,
            "x": self.x.tolist(),
            "scores": self.scores.tolist(),
            "predicted": self.predicted,
            "explained": self.explained,
            "ties": list(self.ties),
            "feature_names": list(self.feature_names),
            "class_names": None if cn is None else list(cn),
            "origin_pattern": self.origin.pattern.to_string(self.network),
        }
        if self.kind == "why_not":
            d.update({
                "target": self.target,
                "status": self.status,
                "found": self.found,
                "hamming": self.hamming,
                "steps": self.steps,
                "flipped": [list(n) for n in self.flipped],
                "point": None if self.point is None else self.point.tolist(),
                "exact_distance": self.exact_distance,
                "distance": self.distance,
                "norm": self.norm,
                "method": self.method,
                "confirmed": self.confirmed,
                "regions_visited": self.regions_visited,
                "seconds": self.seconds,
                "search": self.search,
                "distance_lower_bound": self.distance_lower_bound,
                "minimal_proved": self.minimal_proved,
                "gap_tol": self.gap_tol,
                "segment_regions": self.segment_regions,
                "segment_flips": [[float(s), list(n), bool(on)] for s, n, on in self.segment_flips],
                "queries": [{"radius": float(r), "status": st, "seconds": float(sec)} for r, st, sec in self.queries],
                "note": self.note,
            })
        if self.region is not None:
            lo, hi = self.bounds
            V = self.vertices
            d.update({
                "pattern": self.region.pattern.to_string(self.network),
                "n_constraints_unreduced": self.n_rows_unreduced,
                "constraints": [c.to_dict(self.feature_names, cn) for c in self.constraints],
                "bounds": [[_json_float(a), _json_float(b)] for a, b in zip(lo, hi)],
                "vertices": None if V is None else V.tolist(),
            })
            if self.kind == "why_not":
                d["distinguishing"] = [c.to_dict(self.feature_names, cn) for c in self.distinguishing]
        d["text"] = self.text
        return d


def _json_float(v: float):
    return float(v) if np.isfinite(v) else None
