"""Section: the networks — architecture, size, score on their data, and how often each neuron is on."""

from __future__ import annotations

import numpy as np

from .section import Draft, Section, esc, fmt
from .subject import Subject

__all__ = ["network_section"]


def network_section(subjects: list[Subject]) -> Section:
    """One table row per network, its layer summary, and a strip per layer of neuron activity on the data."""
    d = Draft("network", "The networks" if len(subjects) > 1 else "The network",
              network="; ".join(s.net_label() for s in subjects), data="; ".join(s.data_label() for s in subjects),
              params={"forward pass": "float64, every data row"})
    rows, activity = [], []
    for s in subjects:
        with d.step(f"forward pass ({s.name})"):
            metric, value = s.score()
            pre, post = s.net.trace(s.X)
        net = s.net
        rows.append([s.name, repr(net), net.n_parameters, net.n_pattern_neurons, len(s.X),
                     f"{metric} {value:.1%}" if metric == "accuracy" else f"{metric} {value:.4g}"])
        activity.append((s, [(k, layer, pre[k], post[k]) for k, layer in enumerate(net.layers[:-1])]))
    d.table(["name", "architecture", "parameters", "piecewise-linear neurons", "data rows", "score on its data"], rows,
            caption="Each network and the data it was trained on (score measured in this run)")
    for s in subjects:
        d.raw(f"<details><summary>{esc(s.name)}: layers</summary><pre>{esc(s.net.summary())}</pre></details>")
        if s.notes:
            d.p("Assumed while loading: " + esc("; ".join(s.notes)) + ".")
    fig = _activity_figure(activity)
    if fig is not None:
        d.figure(fig, "Hidden neurons on the data: the fraction of rows on which each ReLU is on (pre-activation > 0), "
                      "or the mean activation of a sigmoid/tanh neuron. A ReLU at 0 is dead on the data, one at 1 is "
                      "linear on it.")
    return d.done(f"{len(subjects)} network(s): " + ", ".join(f"{s.name} {s.net!r}" for s in subjects))


def _activity_figure(activity):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    strips = [(s, k, layer, z, h) for s, layers in activity for k, layer, z, h in layers]
    if not strips:
        return None
    width = max(h.shape[1] for *_, h in strips)
    fig, axes = plt.subplots(len(strips), 1, figsize=(min(1.2 + 0.32 * width, 11), 0.55 * len(strips) + 0.6),
                             squeeze=False)
    im = None
    for ax, (s, k, layer, z, h) in zip(axes[:, 0], strips):
        value = (z > 0).mean(axis=0) if layer.has_phases else np.clip(np.abs(h).mean(axis=0), 0, 1)
        im = ax.imshow(value[None, :], vmin=0, vmax=1, cmap="viridis", aspect="auto",
                       extent=(-0.5, len(value) - 0.5, 0, 1))
        ax.set_xlim(-0.5, width - 0.5)
        ax.set_yticks([])
        ax.set_xticks(range(len(value)))
        ax.tick_params(labelsize=6)
        ax.set_ylabel(f"{s.name}\nlayer {k}", rotation=0, ha="right", va="center", fontsize=7)
        for i, v in enumerate(value):
            ax.text(i, 0.5, fmt(v, 2), ha="center", va="center", fontsize=5, color="w" if v < 0.6 else "k")
    fig.colorbar(im, ax=axes[:, 0].tolist(), shrink=0.9, pad=0.01)
    axes[-1, 0].set_xlabel("neuron", fontsize=7)
    return fig
