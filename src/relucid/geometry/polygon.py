"""Convex polygons with labelled edges: exact 2-D clipping without LPs.

A convex polygon is kept as its vertices in counter-clockwise order plus, for
each vertex, the index of the constraint row along which the edge *leaving*
that vertex runs. Cutting by a half-plane ``a · v <= c`` (one pass of
Sutherland–Hodgman) gives the new polygon and its labels, so the rows that
are edges of the result — its minimal H-representation — are known without
a single LP. Used by the 2-D fast path of :func:`relucid.preimage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .polyhedron import Polyhedron

__all__ = ["Polygon2D", "EMPTY", "DEGENERATE"]

#: :meth:`Polygon2D.clip` results that are not polygons.
EMPTY = "empty"
DEGENERATE = "degenerate"


@dataclass(frozen=True)
class Polygon2D:
    """``verts`` (k, 2) counter-clockwise; ``edges[j]`` is the row index of edge ``verts[j] → verts[j+1]``."""

    verts: np.ndarray
    edges: np.ndarray

    @classmethod
    def from_polyhedron(cls, P: Polyhedron) -> "Polygon2D | None":
        """The bounded 2-D polyhedron ``P`` with edge labels pointing at ``P``'s rows (None if not 2-D full)."""
        if hasattr(P, "lo") and P.A.shape[0] == 4 and np.all(P.lo < P.hi):  # a finite Box: rows [I; -I]
            (x0, y0), (x1, y1) = P.lo, P.hi
            V = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
            return cls(V, np.array([3, 0, 1, 2], dtype=np.int64))
        reduced_rows = P.nonredundant_rows()
        V = P.vertices()
        if len(V) < 3:
            return None
        A, b = P.A[reduced_rows], P.b[reduced_rows]
        edges = np.empty(len(V), dtype=np.int64)
        for j in range(len(V)):
            mid = (V[j] + V[(j + 1) % len(V)]) / 2
            edges[j] = reduced_rows[int(np.argmin(np.abs(A @ mid - b) / np.linalg.norm(A, axis=1)))]
        return cls(V, edges)

    def area(self) -> float:
        x, y = self.verts[:, 0], self.verts[:, 1]
        return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))

    def clip(self, a, c: float, row: int):
        """The part with ``a · v <= c``; the new edge is labelled ``row``.

        Returns a Polygon2D, :data:`EMPTY` when every vertex is strictly
        outside (the intersection is empty), or :data:`DEGENERATE` when what
        remains is a segment or a point (it has no area but is not empty).
        """
        V = self.verts
        vals = V @ a - c
        inside = vals <= 0
        if inside.all():
            return self
        if not inside.any():
            return EMPTY
        k = len(V)
        out_v, out_e = [], []
        for j in range(k):
            nj = (j + 1) % k
            if inside[j]:
                out_v.append(V[j])
                out_e.append(self.edges[j])
                if not inside[nj]:  # leaving: the crossing point starts an edge along the cut
                    t = vals[j] / (vals[j] - vals[nj])
                    out_v.append(V[j] + t * (V[nj] - V[j]))
                    out_e.append(row)
            elif inside[nj]:  # entering: the crossing point starts the rest of edge j
                t = vals[j] / (vals[j] - vals[nj])
                out_v.append(V[j] + t * (V[nj] - V[j]))
                out_e.append(self.edges[j])
        if len(out_v) < 3:
            return DEGENERATE
        return Polygon2D(np.array(out_v), np.array(out_e, dtype=np.int64))
