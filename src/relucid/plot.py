"""Pictures of the region structure of 2-D networks (matplotlib, Agg backend)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .errors import InvalidValueError
from .geometry import Polyhedron
from .regions import Region


def plot_regions(
    regions: Iterable[Region],
    *,
    ax=None,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
):
    """Draw 2-D regions as polygons, coloured by the class the network picks inside.

    Parameters
    ----------
    regions : iterable of Region
        Bounded regions of a network with 2 inputs (e.g. from ``relucid.regions``).
    ax : matplotlib Axes, optional
        Drawn into; a new figure is made when omitted.
    data : (X, y), optional
        Points drawn on top, coloured by label.
    class_names : sequence of str, optional
        Legend labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    cmap = plt.get_cmap("tab10")
    rng = np.random.default_rng(0)
    n_drawn = 0
    for reg in regions:
        if reg.network.input_dim != 2:
            raise InvalidValueError(f"plot_regions: needs a network with 2 inputs; got {reg.network.input_dim}")
        shade = 0.8 + 0.2 * rng.random()
        for cls, verts in class_pieces(reg):
            colour = np.clip(np.array(cmap(cls % 10)[:3]) * shade + 0.12, 0, 1)
            ax.add_patch(Polygon(verts, closed=True, facecolor=colour, edgecolor="none", alpha=0.9))
        outline = reg.reduced().vertices()
        if len(outline) >= 3:
            ax.add_patch(Polygon(outline, closed=True, fill=False, edgecolor="0.3", linewidth=0.35))
            n_drawn += 1
    if data is not None:
        X, y = data
        for c in np.unique(y):
            sel = y == c
            label = class_names[int(c)] if class_names is not None else f"class {int(c)}"
            ax.scatter(X[sel, 0], X[sel, 1], s=6, color=cmap(int(c) % 10), edgecolor="k", linewidth=0.2, label=label)
        ax.legend(loc="upper right", fontsize=8, markerscale=2)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(title or f"{n_drawn} linear regions (colour: predicted class, exact boundaries)")
    return ax


def class_pieces(reg: Region) -> list[tuple[int, np.ndarray]]:
    """Split a 2-D region exactly by the class its affine map picks: [(class, polygon vertices)].

    Inside the region the network is ``W x + b``; class ``c`` wins where
    ``(W_j - W_c) x <= b_c - b_j`` for every ``j`` — a sub-polygon of the region.
    Single-output networks are split at output 0 (class 1 where ``y > 0``).
    """
    W, b = reg.affine
    if W.shape[0] == 1:
        W = np.vstack([np.zeros_like(W), W])
        b = np.concatenate([[0.0], b])
    A0, b0 = reg.polyhedron.A, reg.polyhedron.b
    pieces = []
    for c in range(W.shape[0]):
        others = [j for j in range(W.shape[0]) if j != c]
        A = np.vstack([A0, W[others] - W[c]])
        rhs = np.concatenate([b0, b[c] - b[others]])
        piece = Polyhedron(A, rhs)
        ball = piece.chebyshev_center()
        if ball.center is None or ball.radius <= 1e-12:
            continue
        verts = piece.vertices()
        if len(verts) >= 3:
            pieces.append((c, verts))
    return pieces


# -- preimages ---------------------------------------------------------------------

def _axes(ax, figsize=(6, 6)):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _clipped_polygons(union, lo, hi) -> list[np.ndarray]:
    """Vertices of each 2-D piece of ``union`` cut to the box ``[lo, hi]`` (pieces may be unbounded)."""
    from .geometry import Box

    view = Box(lo, hi)
    out = []
    for piece in union:
        clipped = piece.intersect(view)
        ball = clipped.chebyshev_center()
        if ball.center is None or ball.radius <= 1e-12:
            continue
        verts = clipped.vertices()
        if len(verts) >= 3:
            out.append(verts)
    return out


def _clipped_intervals(union, lo: float, hi: float) -> list[tuple[float, float]]:
    """Each 1-D piece of ``union`` as an interval cut to ``[lo, hi]``."""
    out = []
    for piece in union:
        plo, phi = piece.bounding_box()
        a, b = max(float(plo[0]), lo), min(float(phi[0]), hi)
        if a <= b:
            out.append((a, b))
    return out


def plot_union(union, lo, hi, *, ax=None, color="tab:blue", alpha=0.35, edgecolor="k", label=None):
    """Draw a 1-D or 2-D PolyUnion inside the view box ``[lo, hi]``."""
    from matplotlib.patches import Polygon

    ax = _axes(ax)
    lo, hi = np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
    if union.dim == 1:
        for k, (a, b) in enumerate(_clipped_intervals(union, lo[0], hi[0])):
            ax.axvspan(a, b, color=color, alpha=alpha, label=label if k == 0 else None)
        ax.set_xlim(lo[0], hi[0])
    elif union.dim == 2:
        for k, verts in enumerate(_clipped_polygons(union, lo, hi)):
            ax.add_patch(Polygon(verts, closed=True, facecolor=color, alpha=alpha, edgecolor=edgecolor,
                                 linewidth=0.5, label=label if k == 0 else None))
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_aspect("equal", adjustable="box")
    else:
        raise InvalidValueError(f"plot_union: only 1-D and 2-D sets can be drawn; got dimension {union.dim}")
    return ax


def plot_preimage(net, pre, lo, hi, *, output_set=None, ax=None, n_samples=4000, rng=0, title=None):
    """The preimage's pieces over the view box ``[lo, hi]`` with samples coloured by ``N(x) ∈ Y``.

    ``output_set`` (the Y that ``pre`` inverts) colours the samples; without
    it the samples are coloured by ``pre.contains``. 1-D inputs also show the
    network's outputs over the box.
    """
    from .preimage import as_output_set

    ax = _axes(ax, figsize=(7, 4) if net.input_dim == 1 else (6, 6))
    lo, hi = np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
    gen = np.random.default_rng(rng)
    X = lo + (hi - lo) * gen.random((n_samples, net.input_dim))
    if output_set is not None:
        ys = as_output_set(net, output_set)
        Yv = net(X)
        inside = np.zeros(len(X), dtype=bool)
        for Y in ys:
            inside |= Y.contains(Yv)
    else:
        inside = pre.contains(X)
    plot_union(pre, lo, hi, ax=ax, label=f"preimage ({len(pre)} pieces)")
    if net.input_dim == 1:
        order = np.argsort(X[:, 0])
        Yv = net(X[order])
        for j in range(min(net.output_dim, 4)):
            ax.plot(X[order, 0], Yv[:, j], lw=1, label=f"y{j}")
        ax.scatter(X[inside, 0], np.zeros(inside.sum()), s=4, color="tab:green", label="N(x) ∈ Y")
        ax.scatter(X[~inside, 0], np.zeros((~inside).sum()), s=4, color="tab:red", label="N(x) ∉ Y")
        ax.set_xlabel("x0")
    else:
        ax.scatter(X[inside, 0], X[inside, 1], s=3, color="tab:green", label="N(x) ∈ Y")
        ax.scatter(X[~inside, 0], X[~inside, 1], s=3, color="tab:red", label="N(x) ∉ Y")
        ax.set_xlabel("x0")
        ax.set_ylabel("x1")
    ax.legend(loc="best", fontsize=7)
    ax.set_title(title or f"preimage: {len(pre)} pieces ({pre.kind})")
    return ax


def plot_stages(stages, views, *, ncols: int = 3, size: float = 3.6):
    """One panel per backward step of :func:`relucid.preimage_layers` whose space is 1-D or 2-D.

    ``views`` maps a stage's space name (``"y"``, ``"z1"``, ``"h0"``, ``"x"``)
    to its view box ``(lo, hi)``. Returns the figure.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    shown = [s for s in stages if s.union.dim in (1, 2) and s.space in views]
    nrows = max(1, -(-len(shown) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax, stage in zip(axes.ravel(), shown):
        lo, hi = views[stage.space]
        plot_union(stage.union, lo, hi, ax=ax)
        n = len(stage.union)
        ax.set_title(f"{stage.label}\n{n} piece{'' if n == 1 else 's'} in {stage.space}-space", fontsize=8)
    for ax in axes.ravel()[len(shown):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_contraction(contraction, *, size: float = 2.2, max_blocks: int | None = None):
    """Interval of every neuron against the iteration (Forets & Schilling, Fig. 8). Returns the figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    hist = contraction.history
    names = contraction.names
    cols = [(b, i) for b, (lo, _) in enumerate(hist[0]) for i in range(len(lo))]
    if max_blocks is not None:
        cols = [(b, i) for b, i in cols if b < max_blocks]
    fig, axes = plt.subplots(1, len(cols), figsize=(size * len(cols), size), squeeze=False)
    t = np.arange(len(hist))
    for ax, (b, i) in zip(axes[0], cols):
        lo = np.array([step[b][0][i] for step in hist])
        hi = np.array([step[b][1][i] for step in hist])
        ax.plot(t, lo, "b.-", lw=1)
        ax.plot(t, hi, "r.-", lw=1)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.fill_between(t[ok], lo[ok], hi[ok], color="0.85")
        ax.set_title(f"{names[b]}[{i}]", fontsize=8)
        ax.set_xlabel("iteration", fontsize=7)
    fig.suptitle("empty: constraints incompatible" if contraction.empty else "forward-backward contraction", fontsize=9)
    fig.tight_layout()
    return fig


# -- region maps from a planar subdivision ----------------------------------------

def class_polygons(sub):
    """Split every face of a :class:`~relucid.regions.planar.PlanarSubdivision` by the winning class.

    Inside face ``i`` the network is ``W_i p + c_i`` (plane coordinates), so
    class ``k`` wins on the sub-polygon cut by ``(W_j - W_k) p <= c_k - c_j``
    for all ``j != k``. Returns ``(pieces, boundary)``: ``pieces`` a list of
    ``(face, class, vertices)``, ``boundary`` a list of segments ``(2, 2)`` on
    which two classes tie (the decision boundary, exact up to rounding).
    Single-output networks are split at ``y0 = 0`` (class 1 where ``y0 > 0``).
    """
    from .geometry.polygon import Polygon2D

    W, c = sub.affine
    if W.shape[1] == 1:
        W = np.concatenate([np.zeros_like(W), W], axis=1)
        c = np.concatenate([np.zeros_like(c), c], axis=1)
    n_cls = W.shape[1]
    pieces, boundary = [], []
    for i, verts in enumerate(sub.polygons()):
        face = Polygon2D(verts, np.zeros(len(verts), dtype=np.int64))
        if n_cls == 1:
            pieces.append((i, 0, verts))
            continue
        centre_scores = W[i] @ verts.mean(axis=0) + c[i]
        for k in np.argsort(-centre_scores):  # the likely winner first: most faces have one class only
            poly = face
            for j in range(n_cls):
                if j == k or not isinstance(poly, Polygon2D):
                    continue
                poly = poly.clip(W[i, j] - W[i, k], c[i, k] - c[i, j], row=1)
            if not isinstance(poly, Polygon2D):
                continue
            pieces.append((i, int(k), poly.verts))
            V, E = poly.verts, poly.edges
            for e in np.flatnonzero(E == 1):
                boundary.append(np.array([V[e], V[(e + 1) % len(V)]]))
    return pieces, boundary


def plot_subdivision(sub, *, ax=None, data=None, class_names=None, title=None, outline: bool = True):
    """The "honeycomb": every linear region of a planar subdivision, coloured by predicted class.

    Regions get slightly different shades of their class colour, region
    edges are thin grey lines and the decision boundary is black. ``data``:
    ``(X, y)`` points in plane coordinates drawn on top.
    """
    from matplotlib.collections import LineCollection, PolyCollection

    ax = _axes(ax)
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab10")
    pieces, boundary = class_polygons(sub)
    shade = 0.8 + 0.2 * np.random.default_rng(0).random(len(sub))
    colours = [np.clip(np.array(cmap(k % 10)[:3]) * shade[i] + 0.12, 0, 1) for i, k, _ in pieces]
    ax.add_collection(PolyCollection([v for _, _, v in pieces], facecolors=colours, edgecolors="none"))
    if outline:
        ax.add_collection(PolyCollection(sub.polygons(), facecolors="none", edgecolors="0.35", linewidths=0.25))
    if boundary:
        ax.add_collection(LineCollection(boundary, colors="k", linewidths=1.2))
    if data is not None:
        X, y = data
        for k in np.unique(y):
            sel = y == k
            label = class_names[int(k)] if class_names is not None else f"class {int(k)}"
            ax.scatter(X[sel, 0], X[sel, 1], s=6, color=cmap(int(k) % 10), edgecolor="k", linewidth=0.2, label=label)
        ax.legend(loc="upper right", fontsize=8, markerscale=2)
    lo, hi = sub.vertices.min(axis=0), sub.vertices.max(axis=0)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(title or f"{len(sub)} linear regions (colour: predicted class; black: decision boundary)", fontsize=9)
    return ax


def plot_explanation(expl, *, domain=None, ax=None, pad: float = 0.5):
    """A why / why-not explanation of a 2-input network drawn on its region map.

    The honeycomb (:func:`plot_subdivision`) over ``domain`` (default: the
    explanation's own domain, else a box around ``x`` and the why-not point),
    with ``x``'s region outlined, the explained class's sub-polytope hatched,
    and for why-not the nearest target point joined to ``x``.
    """
    from matplotlib.patches import Polygon

    from .geometry import Box
    from .regions.planar import planar_regions

    if expl.network.input_dim != 2:
        raise InvalidValueError(f"plot_explanation: needs a network with 2 inputs; got {expl.network.input_dim}")
    dom = domain if domain is not None else expl.domain
    if dom is None:
        pts = [expl.x] + ([expl.point] if getattr(expl, "point", None) is not None else [])
        lo, hi = np.min(pts, axis=0) - pad - 0.5, np.max(pts, axis=0) + pad + 0.5
        dom = Box(lo, hi)
    ax = plot_subdivision(planar_regions(expl.network, dom), ax=ax)
    lo, hi = dom.bounding_box()
    view = Box(lo, hi)
    origin = expl.origin.polyhedron.intersect(view)
    verts = origin.vertices() if origin.chebyshev_center().radius > 1e-12 else []
    if len(verts) >= 3:
        ax.add_patch(Polygon(verts, closed=True, fill=False, edgecolor="white", linewidth=2.0, label="region of x"))
    if expl.region is not None:
        sub = expl.polyhedron.intersect(view)
        if sub.chebyshev_center().radius > 1e-12:
            V = sub.vertices()
            name = expl.class_names[expl.explained] if expl.class_names else f"class {expl.explained}"
            ax.add_patch(Polygon(V, closed=True, facecolor="none", edgecolor="k", hatch="///", linewidth=1.2,
                                 label=f"{'why' if expl.kind == 'why' else 'why not'}: {name} wins here"))
    ax.plot(*expl.x, marker="*", color="white", markeredgecolor="k", markersize=14, label="x", linestyle="none")
    if getattr(expl, "point", None) is not None:
        p = expl.point
        ax.plot([expl.x[0], p[0]], [expl.x[1], p[1]], "k--", linewidth=1)
        ax.plot(*p, marker="o", color="yellow", markeredgecolor="k", markersize=8, linestyle="none",
                label=f"nearest point ({expl.norm}-norm, {'confirmed' if expl.confirmed else 'unconfirmed'})")
    ax.legend(loc="lower left", fontsize=7)
    return ax


def region_map(net, domain, *, plane=None, data=None, class_names=None, explanations=(), ax=None, title=None):
    """``plot.regions``: the honeycomb of every region of ``net`` over a 2-D domain (or a plane slice),
    coloured by predicted class with the decision boundary, and why / why-not explanations on top."""
    from .regions.planar import planar_regions

    sub = planar_regions(net, domain, plane=plane)
    ax = plot_subdivision(sub, ax=ax, data=data, class_names=class_names, title=title)
    for expl in explanations:
        plot_explanation(expl, domain=domain, ax=ax)
    return ax


#: DESIGN's name: ``relucid.plot.regions(net, domain, ...)``.
regions = region_map
