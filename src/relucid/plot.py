"""Pictures of the region structure of 2-D networks (matplotlib, Agg backend)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .errors import InvalidValueError
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
        verts = reg.reduced().vertices()
        if len(verts) < 3:
            continue
        centre = verts.mean(axis=0)
        cls = int(np.argmax(reg.evaluate(centre))) if reg.network.output_dim > 1 else int(reg.evaluate(centre)[0] > 0)
        base = np.array(cmap(cls % 10)[:3])
        shade = np.clip(base * (0.75 + 0.25 * rng.random()) + 0.15, 0, 1)
        ax.add_patch(Polygon(verts, closed=True, facecolor=shade, edgecolor="0.25", linewidth=0.4, alpha=0.85))
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
    ax.set_title(title or f"{n_drawn} linear regions (colour: predicted class)")
    return ax
