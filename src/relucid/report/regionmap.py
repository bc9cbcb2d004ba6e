"""Section: every linear region of a 2-input network (or of a 2-D slice), with the decision boundary."""

from __future__ import annotations

import numpy as np

from ..regions.planar import planar_regions
from .section import Draft, Section, fmt
from .subject import Subject

__all__ = ["region_map_section", "slice_points"]


def region_map_section(s: Subject, *, timeout: float | None = 60.0) -> Section:
    """The planar subdivision of the domain (2 inputs) or of the plane through three data points (more inputs)."""
    from ..plot import plot_subdivision

    n = s.net.input_dim
    plane = None if n == 2 else slice_points(s)
    params = {"domain": s.domain_text(), "method": "planar subdivision (no LP)", "timeout_s": timeout}
    if plane is not None:
        params["slice"] = "x = p0 + s (p1 - p0) + t (p2 - p0), 0 <= s, t <= 1, through data rows " + ", ".join(
            str(i) for i in plane[1])
    d = Draft("regions", "Linear regions and the decision boundary", network=s.net_label(), data=s.data_label(),
              params=params)
    with d.step("planar subdivision"):
        if plane is None:
            sub = planar_regions(s.net, s.domain, timeout=timeout)
        else:
            sub = planar_regions(s.net, plane=tuple(plane[0]), timeout=timeout)
    areas = sub.area()
    data = (s.X, s.y) if plane is None and s.is_classifier else None
    with d.step("draw"):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 6))
        plot_subdivision(sub, ax=ax, data=data, class_names=s.class_names or None,
                         title=f"{s.name}: {len(sub)} linear regions" + ("" if plane is None else " on a 2-D slice"))
        if plane is not None:
            ax.set_xlabel(f"s (towards data row {plane[1][1]})")
            ax.set_ylabel(f"t (towards data row {plane[1][2]})")
            ax.plot([0, 1, 0], [0, 0, 1], "w*", markeredgecolor="k", markersize=11, linestyle="none")
    what = "the input domain" if plane is None else "the slice through three data rows"
    d.p(f"<b>{len(sub)}</b> linear regions cover {what}{'' if sub.complete else ' (<b>incomplete</b>: stopped at the timeout)'}, "
        f"computed exactly in {d.seconds('planar subdivision'):.3f} s. Inside each polygon the network is one affine map; "
        "the colour is the class it predicts there (shades tell regions apart), grey lines are region edges, and the "
        "black line is the decision boundary, where two classes tie.")
    d.table(["regions", "smallest area", "median area", "largest area", "complete"],
            [[len(sub), fmt(areas.min()), fmt(np.median(areas)), fmt(areas.max()), fmt(bool(sub.complete))]])
    cap = (f"Region map of {s.name} over {s.domain_text()}, with the data coloured by label."
           if plane is None else f"Region map of {s.name} on the plane through data rows {plane[1]} "
                                 "(stars: the three rows). Other input dimensions vary along the slice.")
    d.figure(fig, cap)
    return d.done(f"{len(sub)} linear regions ({'domain' if plane is None else '2-D slice'}), "
                  f"{d.seconds('planar subdivision'):.2f} s")


def slice_points(s: Subject) -> tuple[np.ndarray, list[int]]:
    """Three data rows spanning a plane: of three different labels where possible, else far apart."""
    X = s.X
    picks: list[int] = []
    if s.is_classifier:
        for c in np.unique(s.y)[:3]:
            picks.append(int(np.flatnonzero(s.y == c)[0]))
    if len(picks) < 3:
        picks = [0]
        picks.append(int(np.argmax(np.linalg.norm(X - X[0], axis=1))))
    while len(picks) < 3:
        a, b = X[picks[0]], X[picks[1]]
        u = (b - a) / max(np.linalg.norm(b - a), 1e-12)
        resid = (X - a) - np.outer((X - a) @ u, u)
        picks.append(int(np.argmax(np.linalg.norm(resid, axis=1))))
    P = X[picks]
    if np.linalg.matrix_rank(np.vstack([P[1] - P[0], P[2] - P[0]]), tol=1e-9) < 2:
        rng = np.random.default_rng(0)
        P = P.copy()
        P[2] = P[0] + (s.hi - s.lo) * rng.uniform(-0.5, 0.5, size=P.shape[1])
    return P, picks
