"""Every linear region of a network over a plane, by planar subdivision.

For a network with two inputs, or for a 2-D slice ``x = x0 + s (x1 - x0) +
t (x2 - x0)`` through a network with more, the linear regions inside a convex
polygon are the faces of a planar subdivision. :func:`planar_regions` builds
that subdivision directly, without a linear program, the way region-map tools
such as regioncam do:

1. Start with one face, the domain polygon, and the first layer's
   pre-activations at its corners.
2. For each neuron of a relu/leaky_relu layer, in the order of
   :func:`~relucid.regions.pattern.neuron_names`: every face whose corners
   hold both a positive and a negative value of that neuron's pre-activation
   ``z`` is cut along ``z = 0``. The cut points on edges come from linear
   interpolation (``z`` is affine on each face of the previous layer's
   subdivision, hence along every edge); a corner where ``z == 0`` exactly is
   a cut point already. The face's part with ``z >= 0`` at its corners is
   *on* (``z > 0`` inside), the part with ``z <= 0`` is *off*; an uncut face is
   on when one of its corners has ``z > 0``.
3. After the layer's last neuron, apply the activation at every vertex:
   post-activations are continuous, so one value per vertex describes every
   face, and the next layer's pre-activations at the vertices are one matrix
   product.

Each face then has one activation pattern and the network is affine on it.

Data layout (chosen for numpy vectorisation)
--------------------------------------------
Vertices are columns of growing arrays: plane coordinates ``(2, n)``, the
current layer's pre-activations ``(width, n)`` and their sign codes (uint8:
1 for ``> 0``, 2 for ``< 0``, 0 for ``== 0``), so one neuron's values are one
contiguous row. Edges are four arrays: two end vertices and the faces on
either side (-1 outside the domain). Faces are counter-clockwise cycles stored
back to back in two integer buffers, the vertices and, beside each, the edge
to the next vertex (``start`` and ``length`` per face).

Per neuron, the whole-subdivision work is two gathers and an ``|`` over the
edges (an edge is crossed when its end codes OR to 3) and one gather over
the faces' first corners (an uncut face has one sign at every corner); all
the rest touches only the crossed edges and the faces they bound: each
crossed edge gets one new vertex, shared by both of its faces; the cut faces'
cycles get the new vertices inserted; each cut face keeps its id for its on
half (the run of positive corners with the two corners around it) and its
off half becomes a new face; a new edge joins the two cut points. A cut half
is appended to the buffers (the old cycle becomes garbage, dropped when the
buffers are full). When some vertex has ``z == 0`` exactly for the neuron
(exact zeros come from zero biases, copied neurons, ...), the faces to cut
and their phases come instead from every face's corner minimum and maximum.

Rounding can make a face's corner values inconsistent with an affine function
(more than one run of positive corners, only on slivers whose width is near
the rounding error): such a face is cut at the run holding its largest value,
and its other corners go to the off half. A face whose area is zero up to
rounding (:data:`FACE_AREA_RTOL`), e.g. from two coinciding lines, is not
reported.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from tqdm.auto import tqdm

from .._validate import as_float_array
from ..errors import InvalidValueError, ShapeError
from ..geometry import Box, Polyhedron
from ..geometry.domain import as_domain
from ..network import Network, check_piecewise_linear
from .incomplete import IncompleteEnumerationWarning
from .pattern import Pattern, activation_bits

#: A face is not reported when its area is at most this fraction of the
#: domain's area: ~10 float64 ulps of the area computed from coordinates of the
#: domain's scale, i.e. a face whose area is zero up to rounding.
FACE_AREA_RTOL: float = 1e-15


@dataclass(frozen=True, eq=False)
class PlanarSubdivision:
    """The linear regions of a network over a convex polygon of a plane.

    Coordinates are *plane coordinates*: the input itself for a 2-input
    network, ``(s, t)`` for a slice ``x = x0 + s (x1 - x0) + t (x2 - x0)``.

    Attributes
    ----------
    network : Network
    vertices : ndarray of shape (n_vertices, 2)
        Vertex positions in plane coordinates.
    face_ptr : ndarray of shape (n_faces + 1,)
        Face ``i``'s vertex cycle is ``face_vertices[face_ptr[i]:face_ptr[i+1]]``.
    face_vertices : ndarray of shape (face_ptr[-1],)
        Vertex indices, counter-clockwise around each face.
    bits : ndarray of shape (n_faces, n_neurons), bool
        Each face's activation pattern (True = on), columns in the order of
        ``neuron_names(network)``.
    domain : Polyhedron
        The polygon, in plane coordinates.
    origin : ndarray of shape (input_dim,)
        ``x0``: the input at plane coordinates ``(0, 0)``.
    basis : ndarray of shape (input_dim, 2)
        ``[x1 - x0, x2 - x0]`` as columns; the identity for a 2-input network.
    complete : bool
        False when the sweep stopped early (``max_regions`` or ``timeout``):
        the faces are then unions of regions, and ``bits`` holds the pattern at
        each face's :meth:`interior_points` (which then need not be the
        pattern of the whole face).

    Notes
    -----
    Every array is read-only. Faces with zero area (up to
    :data:`FACE_AREA_RTOL`) are not reported, so ``len(self)`` is the number
    of full-dimensional regions meeting the domain.
    """

    network: Network
    vertices: np.ndarray
    face_ptr: np.ndarray
    face_vertices: np.ndarray
    bits: np.ndarray
    domain: Polyhedron
    origin: np.ndarray
    basis: np.ndarray
    complete: bool = True

    def __len__(self) -> int:
        return int(self.face_ptr.shape[0] - 1)

    @property
    def n_faces(self) -> int:
        return len(self)

    def __repr__(self) -> str:
        state = "" if self.complete else ", incomplete"
        return f"PlanarSubdivision({len(self)} faces, {self.vertices.shape[0]} vertices{state})"

    # -- geometry ------------------------------------------------------------
    def cycle(self, i: int) -> np.ndarray:
        """Vertex indices of face ``i``, counter-clockwise."""
        return self.face_vertices[self.face_ptr[i] : self.face_ptr[i + 1]]

    def polygons(self, *, input_space: bool = False) -> list[np.ndarray]:
        """Each face's corners, counter-clockwise: a list of arrays (k, 2) (or (k, input_dim))."""
        pts = self.to_input(self.vertices) if input_space else self.vertices
        return np.split(pts[self.face_vertices], self.face_ptr[1:-1])

    def area(self) -> np.ndarray:
        """Area of each face in plane coordinates, shape (n_faces,)."""
        return _areas(self.vertices, self.face_vertices, self.face_ptr)

    def interior_points(self) -> np.ndarray:
        """The mean of each face's corners (a point inside it), shape (n_faces, 2)."""
        sums = np.add.reduceat(self.vertices[self.face_vertices], self.face_ptr[:-1], axis=0)
        return sums / np.diff(self.face_ptr)[:, None]

    def to_input(self, points) -> np.ndarray:
        """Plane coordinates (n, 2) → network inputs (n, input_dim)."""
        P = np.asarray(points, dtype=np.float64)
        return self.origin + P @ self.basis.T

    # -- patterns and affine maps -------------------------------------------------
    def pattern(self, i: int) -> Pattern:
        """The activation pattern of face ``i``."""
        return Pattern.from_bits(self.network, self.bits[i])

    @cached_property
    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """Per face, ``(W, c)`` with ``net(x(p)) == W[i] @ p + c[i]`` for plane points ``p`` in face ``i``.

        ``W`` has shape (n_faces, output_dim, 2) and ``c`` (n_faces, output_dim).
        Computed on first use from the patterns, as products of masked weights.
        """
        W, c = _face_affine(self.network, self.origin, self.basis, self.bits)
        W.flags.writeable = False
        c.flags.writeable = False
        return W, c

    def evaluate(self, points, faces) -> np.ndarray:
        """The network at plane ``points`` (n, 2) through the affine maps of ``faces`` (n,)."""
        W, c = self.affine
        faces = np.asarray(faces)
        P = np.asarray(points, dtype=np.float64)
        return np.einsum("nij,nj->ni", W[faces], P) + c[faces]

    @cached_property
    def _face_by_key(self) -> dict[bytes, int]:
        packed = np.packbits(self.bits, axis=1)
        return {row.tobytes(): i for i, row in enumerate(packed)}

    def locate(self, points) -> np.ndarray:
        """Index of the face whose pattern is the pattern of each plane point, or -1.

        The point's pattern comes from a float64 forward pass
        (:func:`~relucid.regions.pattern.activation_bits`); a point on a
        boundary gets the face on its side of the ``> 0`` convention, a point
        outside the domain (or in a face too thin to report) gets -1.
        """
        P = np.atleast_2d(np.asarray(points, dtype=np.float64))
        bits = activation_bits(self.network, self.to_input(P))
        table = self._face_by_key
        return np.array([table.get(row.tobytes(), -1) for row in np.packbits(bits, axis=1)], dtype=np.intp)


def planar_regions(
    net: Network,
    domain: Polyhedron | None = None,
    *,
    plane=None,
    max_regions: int | None = None,
    timeout: float | None = None,
    progress: bool = False,
) -> PlanarSubdivision:
    """The linear regions of a network over a convex polygon, as a planar subdivision.

    Parameters
    ----------
    net : Network
        relu / leaky_relu / identity layers only.
    domain : Polyhedron, optional
        A bounded 2-D polyhedron (e.g. ``rl.Box([-1, -1], [1, 1])``) in plane
        coordinates. Required for a 2-input network without ``plane``; with
        ``plane`` it defaults to the unit square ``[0, 1]^2``, the
        parallelogram with corners ``x0, x1, x2, x1 + x2 - x0``.
    plane : (x0, x1, x2), optional
        Three points of input space, each of shape (input_dim,), not on one
        line: the slice ``x = x0 + s (x1 - x0) + t (x2 - x0)``.
    max_regions : int, optional
        Stop when the subdivision has more faces than this.
    timeout : float, optional
        Stop after this many seconds (checked between neurons).
    progress : bool
        Show a tqdm progress bar over the neurons.

    Returns
    -------
    PlanarSubdivision
        ``complete`` is False, with an
        :class:`~relucid.regions.incomplete.IncompleteEnumerationWarning`,
        when the sweep stopped early.

    Raises
    ------
    ShapeError
        When the network does not take 2 inputs and no plane is given, when
        the domain is not 2-D, or when a plane point has the wrong length.
    InvalidValueError
        For an unbounded domain, a sigmoid/tanh layer, or three plane points
        on one line.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> from relucid.regions.planar import planar_regions
    >>> net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"),
    ...                   rl.Dense(np.ones((1, 2)), np.zeros(1))])
    >>> sub = planar_regions(net, rl.Box([-1, -1], [1, 1]))
    >>> len(sub), float(sub.area().sum())
    (4, 4.0)
    """
    origin, basis = _plane(net, plane)
    corners, domain = _domain_polygon(domain, plane is not None)
    check_piecewise_linear(net, who="planar_regions", purpose="a linear region")
    if corners.shape[0] == 0:
        return _empty(net, domain, origin, basis)
    sweep = _Sweep(net, origin, basis, corners)
    complete = sweep.run(max_regions=max_regions, timeout=timeout, progress=progress)
    vertices, ptr, cycles, bits = sweep.result()
    if not complete:
        bits = activation_bits(net, origin + _vertex_means(vertices, cycles, ptr) @ basis.T).reshape(len(ptr) - 1, -1)
    keep = _areas(vertices, cycles, ptr) > FACE_AREA_RTOL * _polygon_area(corners)
    if not keep.all():
        ptr, cycles = _select_faces(ptr, cycles, keep)
        bits = bits[keep]
    arrays = [vertices, ptr, cycles, bits, origin, basis]
    for a in arrays:
        a.flags.writeable = False
    return PlanarSubdivision(net, vertices, ptr, cycles, bits, domain, origin, basis, complete)


# -- the sweep ------------------------------------------------------------------
class _Sweep:
    """Mutable state of the neuron-by-neuron subdivision (growing arrays).

    Vertices: ``P`` (2, cap) plane coordinates, ``Z`` (width, cap) the current
    layer's pre-activations (post-activations once the layer is done), ``C``
    (width, cap) uint8 sign codes of ``Z`` (1: > 0, 2: < 0, 0: == 0).
    Edges: end points ``eu``, ``ew`` and the faces on either side ``ef0``,
    ``ef1`` (-1 outside the domain). Faces: cycles in ``buf`` (vertices) and
    ``pe`` (the edge from each vertex to the next), face ``f`` at
    ``fs[f] : fs[f] + fl[f]``; ``fv0`` is each face's first vertex.
    """

    def __init__(self, net: Network, origin: np.ndarray, basis: np.ndarray, corners: np.ndarray) -> None:
        self.net = net
        k = corners.shape[0]
        self.nv = k
        self.P = np.zeros((2, max(256, 2 * k)))
        self.P[:, :k] = corners.T
        first = net.layers[0]
        # The first layer in plane coordinates: z = W (x0 + B p) + b.
        W0, b0 = first.weight @ basis, first.weight @ origin + first.bias
        Z = np.zeros((first.out_dim, self.P.shape[1]))
        Z[:, :k] = W0 @ corners.T + b0[:, None]
        self._set_values(Z)
        cap = max(256, 2 * k)
        self.eu = np.zeros(cap, dtype=np.intp)
        self.ew = np.zeros(cap, dtype=np.intp)
        self.ef0 = np.zeros(cap, dtype=np.intp)
        self.ef1 = np.full(cap, -1, dtype=np.intp)
        self.eu[:k] = np.arange(k)
        self.ew[:k] = np.roll(np.arange(k), -1)
        self.ne = k
        self.emap = np.full(cap, -1, dtype=np.intp)  # scratch: crossing index of an edge
        self.buf = np.zeros(cap, dtype=np.intp)
        self.pe = np.zeros(cap, dtype=np.intp)
        self.buf[:k] = np.arange(k)
        self.pe[:k] = np.arange(k)
        self.nbuf = k
        self.live = k
        self.fs = np.zeros(64, dtype=np.intp)
        self.fl = np.zeros(64, dtype=np.intp)
        self.fv0 = np.zeros(64, dtype=np.intp)
        self.fl[0] = k
        self.nf = 1
        self.bitsT = np.zeros((net.n_pattern_neurons, 64), dtype=bool)
        self.lineage: list[tuple[int, np.ndarray, np.ndarray]] = []

    def _set_values(self, Z: np.ndarray) -> None:
        """Install a layer's pre-activations (width, cap) and their sign codes."""
        self.Z = Z
        self.C = _codes(Z)
        self.zero_any = (self.C[:, : self.nv] == 0).any(axis=1)

    # -- driver ----------------------------------------------------------------
    def run(self, *, max_regions, timeout, progress) -> bool:
        net = self.net
        start = time.monotonic()
        col = 0
        bar = tqdm(total=net.n_pattern_neurons, desc="neurons", unit="neuron", disable=not progress)
        try:
            last = max(net.pattern_layers, default=-1)
            for i, layer in enumerate(net.layers[: last + 1]):
                if i > 0:
                    self._next_layer(layer)
                if not layer.has_phases:
                    continue
                for j in range(layer.out_dim):
                    if max_regions is not None and self.nf > max_regions:
                        _warn_incomplete(self.nf, f"max_regions={max_regions}")
                        return False
                    if timeout is not None and time.monotonic() - start > timeout:
                        _warn_incomplete(self.nf, f"timeout={timeout:g} s")
                        return False
                    self._split(j, col)
                    col += 1
                    bar.update(1)
                self._activate(layer)
        finally:
            bar.close()
        if max_regions is not None and self.nf > max_regions:
            _warn_incomplete(self.nf, f"max_regions={max_regions}")
            return False
        return True

    def _activate(self, layer) -> None:
        """Post-activations at every vertex (continuous, so one value per vertex)."""
        Z = self.Z[:, : self.nv]
        if layer.activation == "relu":
            np.maximum(Z, 0.0, out=Z)
        else:
            np.multiply(Z, np.where(Z > 0, 1.0, layer.off_slope), out=Z)

    def _next_layer(self, layer) -> None:
        """Pre-activations of ``layer`` at every vertex, from the previous layer's outputs."""
        nv = self.nv
        Z = np.zeros((layer.out_dim, self.P.shape[1]))
        Z[:, :nv] = layer.weight @ self.Z[:, :nv] + layer.bias[:, None]
        self._set_values(Z)

    # -- one neuron --------------------------------------------------------------
    def _split(self, j: int, col: int) -> None:
        """Cut every face that neuron ``j`` of the current layer (column ``col``) crosses."""
        c = self.C[j]
        nf, ne = self.nf, self.ne
        ce = c[self.eu[:ne]] | c[self.ew[:ne]]
        xe = np.flatnonzero(ce == 3)
        if self.zero_any[j]:
            on, F = self._crossed_faces_slow(j)
        else:
            # No vertex has z == 0: an uncut face has one sign at all corners,
            # and a cut face has a crossed edge.
            on = c[self.fv0[:nf]] == 1
            f = np.concatenate([self.ef0[xe], self.ef1[xe]])
            F = np.unique(f[f >= 0])
        if F.size:
            on[F] = True
        self._grow_faces(nf + F.size)
        self.bitsT[col, :nf] = on
        if F.size == 0:
            return
        newv, enew = self._split_edges(xe, j)
        self._cut_faces(F, xe, newv, enew, j, col)

    def _crossed_faces_slow(self, j: int):
        """(on, cut faces) from every face's corner values; used when some vertex has z == 0."""
        lens = self.fl[: self.nf]
        ends = np.cumsum(lens)
        offs = ends - lens
        idx = np.arange(int(ends[-1])) + np.repeat(self.fs[: self.nf] - offs, lens)
        vals = self.Z[j][self.buf[idx]]
        mx = np.maximum.reduceat(vals, offs)
        mn = np.minimum.reduceat(vals, offs)
        return mx > 0, np.flatnonzero((mx > 0) & (mn < 0))

    def _split_edges(self, xe: np.ndarray, j: int):
        """A vertex at the zero of neuron ``j`` on each crossed edge; edge e=(u,w) becomes (u,m) and new (m,w)."""
        k = xe.size
        u, w = self.eu[xe], self.ew[xe]
        v = self.Z[j]
        t = v[u] / (v[u] - v[w])
        nv = self.nv
        if nv + k > self.P.shape[1]:
            cap = 2 * (nv + k)
            self.P = _grow_cols(self.P, cap)
            self.Z = _grow_cols(self.Z, cap)
            self.C = _grow_cols(self.C, cap)
        new = slice(nv, nv + k)
        Zu = self.Z[:, u]
        Znew = Zu + (self.Z[:, w] - Zu) * t
        Znew[j] = 0.0
        self.Z[:, new] = Znew
        Cnew = _codes(Znew)
        self.C[:, new] = Cnew
        self.zero_any |= (Cnew == 0).any(axis=1)
        Pu = self.P[:, u]
        self.P[:, new] = Pu + (self.P[:, w] - Pu) * t
        self.nv = nv + k
        newv = np.arange(nv, nv + k)
        ne = self.ne
        self._grow_edges(ne + k)
        enew = np.arange(ne, ne + k)
        self.eu[enew] = newv
        self.ew[enew] = w
        self.ef0[enew] = self.ef0[xe]
        self.ef1[enew] = self.ef1[xe]
        self.ew[xe] = newv
        self.ne = ne + k
        return newv, enew

    def _cut_faces(self, F, xe, newv, enew, j: int, col: int) -> None:
        """Insert the new vertices into the cycles of the faces ``F`` and cut each along z_j = 0."""
        lens = self.fl[F]
        ends = np.cumsum(lens)
        offs = ends - lens
        m = int(ends[-1])
        idx = np.arange(m) + np.repeat(self.fs[F] - offs, lens)
        lv = self.buf[idx]
        lpe = self.pe[idx]
        # Positions whose edge was crossed get the edge's new vertex after them.
        self.emap[xe] = np.arange(xe.size)
        q = self.emap[lpe]
        self.emap[xe] = -1
        cpos = np.flatnonzero(q >= 0)
        qi = q[cpos]
        nc = cpos.size
        shift = cpos + np.arange(nc)
        ins = shift + 1
        m2 = m + nc
        keep = np.ones(m2, dtype=bool)
        keep[ins] = False
        lv2 = np.empty(m2, dtype=np.intp)
        lv2[keep] = lv
        lv2[ins] = newv[qi]
        e_old, e_new = xe[qi], enew[qi]
        forward = lv[cpos] == self.eu[e_old]  # walking from the end that kept edge e_old
        lpe2 = np.empty(m2, dtype=np.intp)
        lpe2[keep] = lpe
        lpe2[shift] = np.where(forward, e_old, e_new)
        lpe2[ins] = np.where(forward, e_new, e_old)
        fi = np.searchsorted(offs, cpos, side="right") - 1
        lens2 = lens + np.bincount(fi, minlength=F.size)
        ends2 = np.cumsum(lens2)
        offs2 = ends2 - lens2
        fi2 = np.repeat(np.arange(F.size), lens2)
        nxt = np.arange(1, m2 + 1)
        nxt[ends2 - 1] = offs2
        prv = np.arange(-1, m2 - 1)
        prv[offs2] = ends2 - 1
        r = self.Z[j][lv2] > 0
        isA = ~r & r[prv]  # first corner after the run of positive corners
        isB = ~r & r[nxt]  # last corner before it
        runs = np.bincount(fi2[isA], minlength=F.size)
        if np.all(runs == 1):
            halves = _halves_vectorised(lv2, lpe2, r, isA, isB, fi2, F.size)
        else:
            halves = _halves_careful(lv2, lpe2, self.Z[j][lv2], offs2, lens2)
        self._write_faces(F, idx.size, halves, col)

    def _write_faces(self, F, n_old, halves, col) -> None:
        """Store the on halves under the old face ids and the off halves as new faces; add the cut edges."""
        pv, ppe, plen, nvx, npe, nlen, has_off, A, B = halves
        nlen = nlen[has_off]
        total = pv.size + nvx.size
        self.live -= n_old
        if self.nbuf + total > self.buf.size:
            self._make_room(total)
        b0 = self.nbuf
        pstart = b0 + np.cumsum(plen) - plen
        nstart = b0 + pv.size + np.cumsum(nlen) - nlen
        Fo = F[has_off]
        k = Fo.size
        nf, ne = self.nf, self.ne
        newf = np.arange(nf, nf + k)
        cut = np.arange(ne, ne + k)
        # Cut edges: placeholders -1 (on half, at A) and -2 (off half, at B).
        self.buf[b0 : b0 + pv.size] = pv
        self.buf[b0 + pv.size : b0 + total] = nvx
        eA = np.full(F.size, -1, dtype=np.intp)
        eA[has_off] = cut
        self.pe[b0 : b0 + pv.size] = np.where(ppe == -1, np.repeat(eA, plen), ppe)
        self.pe[b0 + pv.size : b0 + total] = np.where(npe == -2, np.repeat(cut, nlen), npe)
        self.nbuf = b0 + total
        self.live += total
        self.fs[F] = pstart
        self.fl[F] = plen
        self.fv0[F] = pv[pstart - b0]
        self._grow_faces(nf + k)
        self.fs[newf] = nstart
        self.fl[newf] = nlen
        self.fv0[newf] = nvx[nstart - b0 - pv.size]
        self.bitsT[col, newf] = False
        self.nf = nf + k
        self._grow_edges(ne + k)
        self.eu[cut] = A
        self.ew[cut] = B
        self.ef0[cut] = Fo
        self.ef1[cut] = newf
        # The off halves' other edges now border the new faces.
        own = np.repeat(newf, nlen)
        old = np.repeat(Fo, nlen)
        sel = npe >= 0
        e, old, own = npe[sel], old[sel], own[sel]
        side0 = self.ef0[e] == old
        self.ef0[e[side0]] = own[side0]
        self.ef1[e[~side0]] = own[~side0]
        self.ne = ne + k
        if k:
            self.lineage.append((col, Fo, newf))

    # -- storage -------------------------------------------------------------------
    def _grow_faces(self, n: int) -> None:
        if n > self.fs.size:
            cap = 2 * n
            self.fs = _grow(self.fs, cap)
            self.fl = _grow(self.fl, cap)
            self.fv0 = _grow(self.fv0, cap)
            self.bitsT = _grow_cols(self.bitsT, cap)

    def _grow_edges(self, n: int) -> None:
        if n > self.eu.size:
            cap = 2 * n
            self.eu = _grow(self.eu, cap)
            self.ew = _grow(self.ew, cap)
            self.ef0 = _grow(self.ef0, cap)
            self.ef1 = _grow(self.ef1, cap, fill=-1)
            self.emap = _grow(self.emap, cap, fill=-1)

    def _make_room(self, extra: int) -> None:
        """Drop the replaced cycles from the buffer (faces in id order), growing it if still short."""
        nf = self.nf
        lens = self.fl[:nf]
        ends = np.cumsum(lens)
        offs = ends - lens
        m = int(ends[-1])
        idx = np.arange(m) + np.repeat(self.fs[:nf] - offs, lens)
        size = max(self.buf.size, 2 * (m + extra))
        buf = np.zeros(size, dtype=np.intp)
        pe = np.zeros(size, dtype=np.intp)
        buf[:m] = self.buf[idx]
        pe[:m] = self.pe[idx]
        self.buf, self.pe = buf, pe
        self.fs[:nf] = offs
        self.nbuf = m

    # -- results -------------------------------------------------------------------
    def result(self):
        """(vertices (n, 2), face_ptr, face_vertices, bits (n_faces, n_neurons)), faces in id order."""
        nf = self.nf
        for col, parents, children in self.lineage:
            self.bitsT[:col, children] = self.bitsT[:col, parents]
        lens = self.fl[:nf]
        ends = np.cumsum(lens)
        offs = ends - lens
        idx = np.arange(int(ends[-1])) + np.repeat(self.fs[:nf] - offs, lens)
        cycles = self.buf[idx]
        ptr = np.concatenate([[0], ends]).astype(np.intp)
        vertices = np.ascontiguousarray(self.P[:, : self.nv].T)
        bits = np.ascontiguousarray(self.bitsT[:, :nf].T)
        return vertices, ptr, cycles, bits


def _codes(Z: np.ndarray) -> np.ndarray:
    """Sign codes: 1 where ``Z > 0``, 2 where ``Z < 0``, 0 where ``Z == 0``."""
    C = (Z > 0).view(np.uint8)
    C |= (Z < 0).view(np.uint8) << 1
    return C


def _halves_vectorised(lv2, lpe2, r, isA, isB, fi2, n):
    """Both halves of every cut face when each has one run of positive corners.

    The on half is the run with the corners A (after it) and B (before it);
    the off half is every other corner. The cut edge A→B (on half) and B→A
    (off half) are marked -1 and -2 in the edge arrays.
    """
    pos = r | isA | isB
    neg = ~r
    pv = lv2[pos]
    ppe = np.where(isA, -1, lpe2)[pos]
    nvx = lv2[neg]
    npe = np.where(isB, -2, lpe2)[neg]
    plen = np.bincount(fi2[pos], minlength=n)
    nlen = np.bincount(fi2[neg], minlength=n)
    return pv, ppe, plen, nvx, npe, nlen, np.ones(n, dtype=bool), lv2[isA], lv2[isB]


def _halves_careful(lv2, lpe2, val, offs2, lens2):
    """Both halves of each cut face, one face at a time, tolerating rounding (see the module notes).

    A face whose corners hold several runs of positive values is cut at the
    run with the largest value; the off half takes the other corners. A face
    that cannot be cut into two polygons of three or more corners keeps its
    cycle (with the new vertices) and stays whole (and on).
    """
    pv, ppe, plen, nvx, npe, nlen, has_off, A, B = [], [], [], [], [], [], [], [], []
    for s, n in zip(offs2.tolist(), lens2.tolist()):
        cyc, pe, x = lv2[s : s + n], lpe2[s : s + n], val[s : s + n]
        cut = _cut_at_dominant_run(x)
        if cut is None:
            pv.append(cyc)
            ppe.append(pe)
            plen.append(n)
            nlen.append(0)
            has_off.append(False)
            continue
        on, off = cut  # local positions, on = B..A, off = A..B
        p_pe = pe[on].copy()
        p_pe[-1] = -1
        n_pe = pe[off].copy()
        n_pe[-1] = -2
        pv.append(cyc[on])
        ppe.append(p_pe)
        nvx.append(cyc[off])
        npe.append(n_pe)
        plen.append(on.size)
        nlen.append(off.size)
        has_off.append(True)
        A.append(cyc[on[-1]])
        B.append(cyc[on[0]])
    cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)  # noqa: E731
    arr = lambda xs: np.array(xs, dtype=np.intp)  # noqa: E731
    return (cat(pv), cat(ppe), arr(plen), cat(nvx), cat(npe), arr(nlen),
            np.array(has_off, dtype=bool), arr(A), arr(B))


def _cut_at_dominant_run(val: np.ndarray):
    """Local positions of the on half (B, run, A) and off half (A, ..., B) of one cycle.

    The run is the run of positive values holding the largest value; None when
    either half would have fewer than three corners.
    """
    n = val.size
    p = val > 0
    k0 = int(np.argmax(val))
    s = k0
    while p[(s - 1) % n] and (s - 1) % n != k0:
        s -= 1
    e = k0
    while p[(e + 1) % n] and (e + 1) % n != k0:
        e += 1
    run = e - s + 1
    if n - run < 3:
        return None
    on = np.arange(s - 1, e + 2) % n
    off = np.arange(e + 1, e + 1 + n - run) % n
    return on, off


def _grow(a: np.ndarray, cap: int, fill=0) -> np.ndarray:
    out = np.full(cap, fill, dtype=a.dtype)
    out[: a.size] = a
    return out


def _grow_cols(a: np.ndarray, cap: int) -> np.ndarray:
    out = np.zeros((a.shape[0], cap), dtype=a.dtype)
    out[:, : a.shape[1]] = a
    return out


# -- affine maps ------------------------------------------------------------------
def _face_affine(net: Network, origin, basis, bits) -> tuple[np.ndarray, np.ndarray]:
    """Per-face affine map of the output in plane coordinates, from the patterns.

    ``M`` holds, per face, the map of the current layer's values as rows
    ``[w_s, w_t, c]``; layout (width, n_faces * 3) so that each layer is one
    matrix product.
    """
    n = bits.shape[0]
    first = net.layers[0]
    M0 = np.hstack([first.weight @ basis, (first.weight @ origin + first.bias)[:, None]])  # (w, 3)
    M = np.repeat(M0[:, None, :], n, axis=1)  # (w, n, 3)
    col = 0
    for i, layer in enumerate(net.layers):
        if i > 0:
            w = M.shape[0]
            M = (layer.weight @ M.reshape(w, -1)).reshape(layer.out_dim, n, 3)
            M[:, :, 2] += layer.bias[:, None]
        if layer.has_phases:
            on = bits[:, col : col + layer.out_dim].T  # (w, n)
            col += layer.out_dim
            M *= np.where(on, 1.0, layer.off_slope)[:, :, None]
    W = np.ascontiguousarray(M[:, :, :2].transpose(1, 0, 2))
    c = np.ascontiguousarray(M[:, :, 2].T)
    return W, c


# -- small helpers ------------------------------------------------------------------
def _areas(vertices: np.ndarray, cycles: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Shoelace area of every face."""
    if ptr.size <= 1:
        return np.zeros(0)
    m = cycles.size
    nxt = np.arange(1, m + 1)
    nxt[ptr[1:] - 1] = ptr[:-1]
    x, y = vertices[cycles, 0], vertices[cycles, 1]
    cross = x * y[nxt] - x[nxt] * y
    return 0.5 * np.add.reduceat(cross, ptr[:-1])


def _polygon_area(corners: np.ndarray) -> float:
    x, y = corners[:, 0], corners[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _vertex_means(vertices, cycles, ptr) -> np.ndarray:
    return np.add.reduceat(vertices[cycles], ptr[:-1], axis=0) / np.diff(ptr)[:, None]


def _select_faces(ptr: np.ndarray, cycles: np.ndarray, keep: np.ndarray):
    lens = np.diff(ptr)
    mask = np.repeat(keep, lens)
    new_ptr = np.concatenate([[0], np.cumsum(lens[keep])]).astype(np.intp)
    return new_ptr, cycles[mask]


def _empty(net, domain, origin, basis) -> PlanarSubdivision:
    """The subdivision of a domain without interior: no faces."""
    arrays = [np.zeros((0, 2)), np.zeros(1, dtype=np.intp), np.zeros(0, dtype=np.intp),
              np.zeros((0, net.n_pattern_neurons), dtype=bool), origin, basis]
    for a in arrays:
        a.flags.writeable = False
    return PlanarSubdivision(net, *arrays[:4], domain, origin, basis)


def _warn_incomplete(n_faces: int, why: str) -> None:
    warnings.warn(
        f"planar_regions: stopped at {why} with {n_faces} faces; the faces are unions of regions",
        IncompleteEnumerationWarning,
        stacklevel=4,
    )


# -- validation ---------------------------------------------------------------------
def _plane(net: Network, plane) -> tuple[np.ndarray, np.ndarray]:
    n = net.input_dim
    if plane is None:
        if n != 2:
            raise ShapeError(
                f"planar_regions: the network takes {n} inputs; give plane=(x0, x1, x2) to slice it by a plane"
            )
        return np.zeros(2), np.eye(2)
    try:
        x0, x1, x2 = plane
    except (TypeError, ValueError):
        raise ShapeError("planar_regions: plane must be three points (x0, x1, x2)") from None
    pts = [as_float_array(p, what=f"planar_regions: plane point x{i}", ndim=1) for i, p in enumerate((x0, x1, x2))]
    for i, p in enumerate(pts):
        if p.shape[0] != n:
            raise ShapeError(f"planar_regions: plane point x{i} has length {p.shape[0]}; the network takes {n} inputs")
        if not np.all(np.isfinite(p)):
            raise InvalidValueError(f"planar_regions: plane point x{i} has NaN or inf entries")
    B = np.column_stack([pts[1] - pts[0], pts[2] - pts[0]])
    s = np.linalg.svd(B, compute_uv=False)
    if s[0] == 0 or s[1] <= 1e-12 * s[0]:
        raise InvalidValueError("planar_regions: the plane points x0, x1, x2 lie on one line (the plane is degenerate)")
    return pts[0], B


def _domain_polygon(domain, has_plane: bool) -> tuple[np.ndarray, Polyhedron]:
    """Counter-clockwise corners (k, 2) of the domain polygon, and the domain."""
    if domain is None:
        if not has_plane:
            raise InvalidValueError(
                "planar_regions: give a bounded 2-D domain, e.g. relucid.Box([-1, -1], [1, 1])"
            )
        domain = Box([0.0, 0.0], [1.0, 1.0])
    domain = as_domain(domain, 2, who="planar_regions", bounded=True, what="the 2-D domain (plane coordinates)")
    corners = np.asarray(domain.vertices(), dtype=np.float64).reshape(-1, 2)
    if corners.shape[0] >= 3 and _polygon_area(corners) < 0:
        corners = corners[::-1]
    if corners.shape[0] < 3 or _polygon_area(corners) <= 0:
        corners = np.zeros((0, 2))
    return corners, domain
