"""What a preimage computation returns: :class:`Preimage`, its :class:`PreimageStats`, and the warning for a stopped search."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..geometry import PolyUnion
from ..geometry.polyhedron import contains_points
from ..network import Network
from ..tolerances import MEMBERSHIP_TOL

__all__ = ["IncompletePreimageWarning", "Preimage", "PreimageStats"]


class IncompletePreimageWarning(RuntimeWarning):
    """An exact preimage stopped at its timeout or piece limit (the result is an under-approximation)."""


@dataclass
class PreimageStats:
    """What the search did.

    ``explored``: non-empty pieces the search held, counted once per layer
    boundary they reached (a piece with all phases of layers ``0..l`` fixed;
    a piece tested against ``k`` pieces of ``Y`` counts as ``k`` leaves). ``pruned``: candidate
    pieces discarded as empty (a side of a neuron that the piece does not
    cross, a leaf whose image misses ``Y``). ``returned``: pieces in the
    result. ``lps``: linear programs solved. ``stable``: neurons fixed by
    the domain's bounds and never split.
    """

    explored: int = 0
    pruned: int = 0
    returned: int = 0
    lps: int = 0
    stable: int = 0
    time: float = 0.0
    complete: bool = True
    order: str = "forward"

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False, repr=False)
class Preimage(PolyUnion):
    """A :class:`PolyUnion` in input space plus how it was computed.

    ``kind`` is ``"exact"`` (the preimage itself, within the domain),
    ``"under"`` (a subset of it) or ``"over"`` (a superset). ``patterns``
    holds, per piece, the on/off flags of every hidden neuron (in
    :func:`relucid.regions.pattern.neuron_names` order) or None.
    """

    method: str = "exact"
    kind: str = "exact"
    stats: PreimageStats = field(default_factory=PreimageStats)
    patterns: tuple = ()
    network: Network | None = None

    def contains(self, x, tol: float = MEMBERSHIP_TOL):
        """Membership in the union of the (closed) pieces; same answer as :meth:`PolyUnion.contains`.

        With the pieces' activation patterns known, a point whose every
        pre-activation is clearly non-zero (``|z| > 1e-6 (1 + |terms|)``) can
        only lie in pieces of its own pattern (the closures of other regions
        do not reach it), so only those are tested; points near a kink are
        tested against every piece.
        """
        if self.network is None or len(self.patterns) != len(self.pieces) or not self.pieces:
            return super().contains(x, tol)
        from .._validate import batch_input
        from ..regions.pattern import activation_bits

        X, single = batch_input(x, self.dim, what="Preimage.contains")
        net = self.network
        zs = [z for z, layer in zip(net.preactivations(X), net.layers) if layer.has_phases]
        inside = np.zeros(X.shape[0], dtype=bool)
        if zs:
            near = np.abs(np.hstack(zs)).min(axis=1) <= 1e-6 * (1.0 + np.abs(X).max(axis=1, initial=0.0))
        else:
            near = np.ones(X.shape[0], dtype=bool)
        groups = self._pattern_index()
        bits = activation_bits(net, X[~near]) if (~near).any() else np.zeros((0, 0), dtype=bool)
        far = np.flatnonzero(~near)
        keys = [b.tobytes() for b in np.packbits(bits, axis=1)] if len(far) else []
        by_key: dict = {}
        for i, key in zip(far, keys):
            by_key.setdefault(key, []).append(i)
        for key, rows in by_key.items():
            rows = np.asarray(rows)
            for j in groups.get(key, ()):
                p = self.pieces[j]
                todo = rows[~inside[rows]]
                if not todo.size:
                    break
                inside[todo] = contains_points(p.A, p.b, X[todo], tol)
        if near.any():
            inside[near] = super().contains(X[near], tol)
        return bool(inside[0]) if single else inside

    def _pattern_index(self) -> dict:
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            for j, bits in enumerate(self.patterns):
                index.setdefault(np.packbits(np.asarray(bits, dtype=bool)).tobytes(), []).append(j)
            object.__setattr__(self, "_index", index)
        return index

    def __repr__(self) -> str:
        return f"Preimage({self.method}, {self.kind}, dim={self.dim}, {len(self.pieces)} pieces)"

    def to_dict(self, max_pieces: int | None = None) -> dict:
        """JSON-ready description: pieces as ``A``/``b`` lists, stats, flags."""
        shown = self.pieces if max_pieces is None else self.pieces[:max_pieces]
        return {
            "method": self.method,
            "kind": self.kind,
            "dim": self.dim,
            "empty": len(self.pieces) == 0,
            "n_pieces": len(self.pieces),
            "stats": self.stats.as_dict(),
            "pieces": [{"A": p.A.tolist(), "b": p.b.tolist()} for p in shown],
        }
