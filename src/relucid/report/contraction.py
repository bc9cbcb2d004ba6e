"""Section: forward-backward interval contraction (works for sigmoid and tanh networks too)."""

from __future__ import annotations

import numpy as np

from ..bounds.forward_backward import contract_intervals
from .section import Draft, Section, fmt
from .subject import Subject

__all__ = ["contraction_section"]

#: Points of the input box sampled to test that the contracted box keeps every solution.
N_CHECK = 20000
#: Neurons drawn per variable block.
MAX_PANELS = 6


def contraction_section(s: Subject, input_box=None, output_box=None, *, words: str | None = None,
                        more=(), max_iter: int = 50) -> Section:
    """Contract the intervals of the input, every hidden neuron and the output to a fixpoint.

    Default boxes: the domain, and outputs at least their 80th percentile on
    the data (for a single output; else the last output). ``more``: further
    ``(input_box, output_box, words)`` queries, listed in a table (not drawn).
    """
    lo, hi = (s.lo, s.hi) if input_box is None else (np.asarray(input_box[0], float), np.asarray(input_box[1], float))
    if output_box is None:
        k = s.net.output_dim - 1
        q = float(np.quantile(s.net(s.X)[:, k], 0.8))
        olo = np.full(s.net.output_dim, -np.inf)
        olo[k] = q
        output_box = (olo, np.full(s.net.output_dim, np.inf))
        words = words or f"y{k} ≥ {q:.4g} (its 80th percentile on the data)"
    queries = [((lo, hi), output_box, words)] + [
        ((np.asarray(a[0], float), np.asarray(a[1], float)), b, w) for a, b, w in more]
    d = Draft("contraction", "Forward-backward interval contraction", network=s.net_label(), data=s.data_label(),
              params={f"query {i + 1}": f"{_box(s.feature_names, *ib)} → {_out(ob)} ({w or ''})"
                      for i, (ib, ob, w) in enumerate(queries)} | {"max_iter": max_iter})
    results = []
    for i, (ib, ob, w) in enumerate(queries):
        with d.step(f"contract_intervals (query {i + 1})"):
            c = contract_intervals(s.net, ib, ob, max_iter=max_iter)
        with d.step(f"re-check by sampling (query {i + 1})"):
            results.append((ib, ob, w, c, *_sample_check(s, ib, ob, c, seed=i)))
    d.p("Given an input box and an output box, every variable of the network — inputs, pre-activations "
        "z<sub>k</sub>, activations h<sub>k</sub> — keeps an interval; forward passes (interval arithmetic) and backward "
        "passes (inverting each monotone activation and each affine row) shrink them alternately until nothing moves. "
        "Every input whose output lies in the output box stays inside the contracted input box; an empty interval "
        "proves that there is none. This works for sigmoid networks too, where exact preimages do not exist as "
        "polytopes.")
    rows = []
    for i, (ib, ob, w, c, n_sol, kept) in enumerate(results):
        after = "EMPTY (proof: no input of the box maps into the output box)" if c.empty else _box(s.feature_names, *c.input)
        rows.append([i + 1, _box(s.feature_names, *ib), f"{_out(ob)} ({w or ''})", after, c.iterations,
                     fmt(d.seconds(f"contract_intervals (query {i + 1})") * 1000, 3),
                     f"{n_sol} of {N_CHECK}", f"{kept} of {n_sol}"])
    d.table(["query", "input box", "output box", "contracted input box", "iterations", "ms",
             "samples with output in the box", "of those inside the contracted box"], rows,
            caption=f"Re-check here: {N_CHECK} uniform samples of each input box, float64 forward passes; "
                    "an empty result must have no sample in the output box")
    with d.step("draw"):
        fig = _figure(results[0][3])
    d.figure(fig, "Query 1: lower (blue) and upper (red) bound of each variable against the iteration; "
                  f"blocks with more than {MAX_PANELS} neurons show their first {MAX_PANELS}.", tight=False)
    parts = []
    for i, (ib, ob, w, c, n_sol, kept) in enumerate(results):
        parts.append(f"query {i + 1}: " + ("empty (proof)" if c.empty else _moved(s.feature_names, ib, c.input))
                     + f", {kept}/{n_sol} sampled solutions kept")
    return d.done("; ".join(parts))


def _sample_check(s: Subject, ib, ob, c, *, seed: int) -> tuple[int, int]:
    """(samples of the input box whose output is in the output box, how many of them the contracted box holds)."""
    lo, hi = ib
    X = lo + (hi - lo) * np.random.default_rng(seed).random((N_CHECK, s.net.input_dim))
    Y = s.net(X)
    olo, ohi = np.asarray(ob[0], float), np.asarray(ob[1], float)
    sol = np.all((Y >= olo) & (Y <= ohi), axis=1)
    if c.empty:
        return int(sol.sum()), 0
    clo, chi = c.input
    return int(sol.sum()), int(np.sum(np.all((X[sol] >= clo) & (X[sol] <= chi), axis=1)))


def _box(names, lo, hi) -> str:
    return " × ".join(f"{n} ∈ [{fmt(a)}, {fmt(b)}]" for n, a, b in zip(names, lo, hi))


def _out(ob) -> str:
    return " × ".join(f"y{j} ∈ [{fmt(a)}, {fmt(b)}]" for j, (a, b) in enumerate(zip(np.ravel(ob[0]), np.ravel(ob[1]))))


def _moved(names, ib, inp) -> str:
    moved = [f"{n} [{a:.3g}, {b:.3g}] → [{p:.3g}, {q:.3g}]" for n, a, b, p, q in zip(names, *ib, *inp)
             if p > a + 1e-12 or q < b - 1e-12]
    return "; ".join(moved) or "no input interval moved"


def _figure(c):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    hist = c.history
    blocks = list(range(len(c.names)))
    ncols = min(MAX_PANELS, max(len(hist[0][b][0]) for b in blocks))
    fig, axes = plt.subplots(len(blocks), ncols, figsize=(1.9 * ncols, 1.35 * len(blocks)), squeeze=False)
    t = np.arange(len(hist))
    for b in blocks:
        width = len(hist[0][b][0])
        for i in range(ncols):
            ax = axes[b, i]
            if i >= width:
                ax.axis("off")
                continue
            lo = np.array([step[b][0][i] for step in hist])
            hi = np.array([step[b][1][i] for step in hist])
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(t[ok], lo[ok], hi[ok], color="0.88")
            ax.plot(t, np.where(np.isfinite(lo), lo, np.nan), "b.-", lw=0.8, markersize=2)
            ax.plot(t, np.where(np.isfinite(hi), hi, np.nan), "r.-", lw=0.8, markersize=2)
            ax.set_title(f"{c.names[b]}[{i}]", fontsize=7, pad=2)
            ax.locator_params(nbins=3)
            ax.tick_params(labelsize=5, length=2, pad=1)
    for ax in axes[-1]:
        ax.set_xlabel("iteration", fontsize=6)
    fig.suptitle("empty: the constraints are incompatible" if c.empty else "forward-backward contraction", fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.6 / fig.get_figheight(), top=1 - 0.45 / fig.get_figheight(),
                        wspace=0.45, hspace=0.75)
    return fig
