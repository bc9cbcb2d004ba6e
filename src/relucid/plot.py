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
