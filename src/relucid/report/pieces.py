"""Section: a 1-input network is a piecewise-linear function — its pieces, breakpoints and a 1-D preimage."""

from __future__ import annotations

import numpy as np

from ..preimage import preimage
from ..regions import regions
from .section import Draft, Section, esc, fmt
from .subject import Subject

__all__ = ["pieces_section"]

#: Points per piece at which the piece's affine map is compared with the network.
N_PER_PIECE = 50
#: Pieces listed in the table (all are drawn).
MAX_ROWS = 12


def pieces_section(s: Subject, level: float | None = None, *, timeout: float | None = 60.0) -> Section:
    """Every linear piece of a 1-input network over its domain, and the preimage of ``{y0 >= level}``."""
    chosen = "given" if level is not None else "the median output on the data"
    if level is None:
        level = float(np.median(s.net(s.X)[:, 0]))
    out_set = f"y0 >= {level:.6g}"
    d = Draft("pieces", "A 1-input network, piece by piece", network=s.net_label(), data=s.data_label(),
              params={"domain": s.domain_text(), "output set for the preimage": out_set,
                      "level": f"{level:.6g} ({chosen})",
                      "timeout_s": timeout})
    with d.step("enumerate pieces"):
        found = list(regions(s.net, s.domain, timeout=timeout))
    pieces = []
    for r in found:
        lo, hi = r.polyhedron.bounding_box()
        W, b = r.affine
        pieces.append((float(lo[0]), float(hi[0]), W[:, 0].copy(), b.copy(), r))
    pieces.sort(key=lambda p: p[0])
    with d.step("re-check every piece by forward passes"):
        worst = 0.0
        for a, c, w, b, _ in pieces:
            t = np.linspace(a, c, N_PER_PIECE)[1:-1] if c > a else np.array([a])
            worst = max(worst, float(np.max(np.abs(s.net(t[:, None]) - (np.outer(t, w) + b)))))
    with d.step("preimage of the output set"):
        pre = preimage(s.net, out_set, domain=s.domain, timeout=timeout)
    intervals = sorted((float(P.bounding_box()[0][0]), float(P.bounding_box()[1][0])) for P in pre)
    d.p(f"On its domain the network is <b>{len(pieces)}</b> affine pieces joined at {max(len(pieces) - 1, 0)} breakpoints, "
        "where some hidden ReLU changes phase. Each piece's affine map was compared here with the network at "
        f"{N_PER_PIECE - 2} points inside it: the largest difference is <b>{worst:.2e}</b> (float64 rounding).")
    rows = [[k, fmt(a), fmt(c), fmt(w[0]), fmt(b[0]), len(r.pattern.on)] for k, (a, c, w, b, r) in
            enumerate(pieces[:MAX_ROWS])]
    d.table(["piece", "from x0 =", "to x0 =", "slope", "intercept", "neurons on"], rows,
            caption=f"The first {min(MAX_ROWS, len(pieces))} of {len(pieces)} pieces, left to right")
    d.p(f"The preimage of <code>{{{esc(out_set)}}}</code> (level: {esc(chosen)}) is {len(intervals)} interval piece(s): "
        + esc(", ".join(f"[{a:.4g}, {c:.4g}]" for a, c in intervals[:10]) + (" …" if len(intervals) > 10 else "")) + ".")
    with d.step("draw"):
        fig = _figure(s, pieces, intervals, level)
    d.figure(fig, "The network (each piece its own colour, breakpoints dotted) over the training data (grey), "
                  "and the preimage of the output set shaded on the x axis.")
    return d.done(f"{len(pieces)} pieces, affine maps match forward passes to {worst:.1e}; preimage of "
                  f"{{{out_set}}}: {len(intervals)} intervals")


def _figure(s: Subject, pieces, intervals, level):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.scatter(s.X[:, 0], s.y, s=6, color="0.65", label="data", zorder=1)
    cmap = plt.get_cmap("tab10")
    for k, (a, c, w, b, _) in enumerate(pieces):
        t = np.array([a, c])
        ax.plot(t, w[0] * t + b[0], color=cmap(k % 10), lw=2.2, zorder=3)
        if k:
            ax.axvline(a, color="0.5", lw=0.5, ls=":", zorder=2)
    for k, (a, c) in enumerate(intervals):
        ax.axvspan(a, c, color="tab:green", alpha=0.12, label="preimage of {y0 ≥ level}" if k == 0 else None)
    ax.axhline(level, color="tab:green", lw=0.8, ls="--", label=f"level {level:.3g}")
    ax.set_xlim(s.lo[0], s.hi[0])
    ax.set_xlabel(s.feature_names[0])
    ax.set_ylabel("network output y0")
    ax.set_title(f"{s.name}: {len(pieces)} linear pieces", fontsize=10)
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    return fig
