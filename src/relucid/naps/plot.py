"""Overlap heatmaps of the NAPs of every two labels (the paper's Fig. 6), matplotlib Agg."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidValueError
from .stats import overlap_matrix

__all__ = ["plot_overlap"]


def plot_overlap(naps, path=None, *, titles=None, size: float = 3.4):
    """Heatmaps of :func:`~.stats.overlap_matrix`, one panel per NAP set.

    Parameters
    ----------
    naps : dict label -> NAP, or a sequence of them (one panel each, e.g. one per δ)
    path : str or Path, optional
        Write a PNG here (the figure is closed afterwards).
    titles : sequence of str, optional
        Panel titles (default: ``δ = …`` from the NAPs).
    size : float
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure, or the Path written when ``path`` is given.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    sets = [naps] if isinstance(naps, dict) else list(naps)
    if not sets:
        raise InvalidValueError("plot_overlap: no NAPs given")
    if titles is not None and len(titles) != len(sets):
        raise InvalidValueError(f"plot_overlap: {len(sets)} NAP sets but {len(titles)} titles")
    fig, axes = plt.subplots(1, len(sets), figsize=(size * len(sets) + 0.8, size), squeeze=False)
    im = None
    for i, (ax, s) in enumerate(zip(axes[0], sets)):
        labels, M = overlap_matrix(s)
        im = ax.imshow(np.ma.masked_invalid(M), vmin=0.0, vmax=1.0, cmap="viridis")
        ax.set_xticks(range(len(labels)), [str(l) for l in labels], fontsize=7)
        ax.set_yticks(range(len(labels)), [str(l) for l in labels], fontsize=7)
        ax.set_xlabel("reference label b (|N_a ∩ N_b| / |N_b|)", fontsize=7)
        ax.set_ylabel("label a", fontsize=7)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
        else:
            deltas = {n.delta for n in s.values()}
            ax.set_title(f"δ = {deltas.pop():g}" if len(deltas) == 1 and None not in deltas else "NAP overlap", fontsize=9)
        if len(labels) <= 12:
            for a in range(len(labels)):
                for b in range(len(labels)):
                    if np.isfinite(M[a, b]):
                        ax.text(b, a, f"{M[a, b]:.2f}".lstrip("0") if M[a, b] < 1 else "1", ha="center",
                                va="center", fontsize=5, color="w" if M[a, b] < 0.6 else "k")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    if path is None:
        return fig
    path = Path(path)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path
