"""One verification query in the form every backend works on, and its exact point check."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ..geometry import Polyhedron, PolyUnion
from ..network import Network
from .properties import first_satisfied


@dataclass
class Query:
    """``∃ x ∈ input set following the phases: net(x) ∈ one of the disjuncts?``

    Attributes
    ----------
    net : Network
    lo, hi : (n_in,) arrays
        The input box (the bounding box of a polyhedral input set).
    A, b : extra input rows ``A x <= b`` ((0, n_in) for a box).
    phases : dict layer -> int8 array
        Fixed phases (1 on, 0 off, -1 free) from the pattern.
    disjuncts : tuple of Conjunction
        The violation set.
    deadline : float
        ``time.monotonic()`` at which to give up (inf: none).
    """

    net: Network
    lo: np.ndarray
    hi: np.ndarray
    A: np.ndarray
    b: np.ndarray
    phases: dict
    disjuncts: tuple
    deadline: float = float("inf")
    stats: dict = field(default_factory=dict)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def spec(self, active=None):
        """Stacked rows of the (active) disjuncts: ``(S, s, strict, owner)`` bounding ``S y + s``."""
        rows, consts, strict, owner = [], [], [], []
        for k, conj in enumerate(self.disjuncts):
            if active is not None and not active[k]:
                continue
            rows.append(conj.C)
            consts.append(-conj.d)
            strict.append(conj.strict)
            owner.append(np.full(len(conj), k))
        return np.vstack(rows), np.concatenate(consts), np.concatenate(strict), np.concatenate(owner)


    def check_points(self, X) -> np.ndarray:
        """For each input, the disjunct it violates, or -1; every check exact in float64.

        A point counts only if it is inside the box and the extra rows with
        no tolerance, follows every fixed phase (on: pre-activation ``> 0``;
        off: ``<= 0``) and its output satisfies a disjunct (strict rows
        strictly).
        """
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        ok = ((X >= self.lo) & (X <= self.hi)).all(axis=1)
        if self.A.shape[0]:
            ok &= (X @ self.A.T <= self.b).all(axis=1)
        H = X
        for k, layer in enumerate(self.net.layers):
            Z = layer.preactivation(H)
            ph = self.phases.get(k)
            if ph is not None:
                ok &= ~((ph == 1) & ~(Z > 0)).any(axis=1)
                ok &= ~((ph == 0) & (Z > 0)).any(axis=1)
            H = layer.activate(Z)
        out = first_satisfied(self.disjuncts, H)
        out[~ok] = -1
        return out


def input_pieces(input_set, dim: int, who: str) -> list:
    """The pieces of an input set (a Box/Polyhedron is one piece), checked against ``dim`` inputs."""
    if isinstance(input_set, PolyUnion):
        pieces = list(input_set.pieces)
    elif isinstance(input_set, Polyhedron):
        pieces = [input_set]
    else:
        raise InvalidValueError(
            f"{who}: input_set must be a Box, Polyhedron or PolyUnion; got {type(input_set).__name__}"
        )
    if input_set.dim != dim:
        raise ShapeError(f"{who}: the input set has dimension {input_set.dim} but the network has {dim} inputs")
    return pieces


def disjunct_scores(q: Query, Y) -> np.ndarray:
    """``min_k max_i (c_i y - d_i)`` per output: <= 0 where the output is in (the closure of) a disjunct."""
    Y = np.atleast_2d(Y)
    best = np.full(Y.shape[0], np.inf)
    for conj in q.disjuncts:
        best = np.minimum(best, conj.margins(Y).max(axis=1))
    return best
