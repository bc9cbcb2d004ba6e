"""Section: neural activation patterns mined from the data, their statistics, and NAP properties verified."""

from __future__ import annotations

import numpy as np

from ..naps import cross_check, mine_naps, nap_augmented_robustness, nap_robustness, nap_table, plot_overlap
from ..naps.verdict import verdict_cell
from .section import Draft, Section, esc, fmt
from .subject import Subject

__all__ = ["naps_section"]

DELTAS = (1.0, 0.99, 0.95)


def naps_section(s: Subject, *, deltas=DELTAS, verify_delta: float = 0.99, verify_labels="explained",
                 eps: float | None = None, timeout: float | None = 3.0) -> Section:
    """Mine one NAP per label and δ, tabulate followers, draw overlaps, verify NAP properties.

    ``verify_labels``: "all", or "explained" (default) for the label of the
    data row of median margin only — whose ε-ball also gets the augmented
    robustness query.
    """
    if eps is None:
        eps = float(0.02 * np.min(s.hi - s.lo))
    x, row = s.median_margin_row()
    lx = int(s.predict(x)[0])
    d = Draft("naps", "Neural activation patterns (NAPs)", network=s.net_label(), data=s.data_label(),
              params={"δ (mining)": ", ".join(f"{v:g}" for v in deltas), "δ (verified)": f"{verify_delta:g}",
                      "domain": s.domain_text(), "augmented robustness ε (L∞)": f"{eps:.4g} (2 % of the narrowest feature range)",
                      "NAP robustness verified for": "every label" if verify_labels == "all" else
                      f"label {s.class_name(lx)} (of data row {row})",
                      "timeout_s per query": timeout, "engine": "relucid (bounds, following-NAP search, MILP)"})
    with d.step("mine NAPs"):
        by_delta = [mine_naps(s.net, s.X, s.y, dl) for dl in deltas]
    with d.step("followers table"):
        tab = nap_table(s.net, by_delta, s.X, s.y)
    naps = by_delta[list(deltas).index(verify_delta)] if verify_delta in deltas else mine_naps(s.net, s.X, s.y, verify_delta)
    d.p("A NAP of a label is the set of hidden neurons that are on (A) or off (D) on at least a fraction δ of that "
        "label's inputs. An input <i>follows</i> it when its own pattern agrees on A ∪ D. Below: how many inputs of "
        "each label follow their own NAP (recall) and how many of the other labels do, per δ.")
    labels = tab.labels
    header = ["δ"] + [h for l in labels for h in (f"{s.class_name(l)}: own ({tab.counts[l]})", "others", "|A| / |D|")]
    rows = []
    for i, r in enumerate(tab.rows):
        rec, oth = tab.recall(i), tab.other_rate(i)
        row = [fmt(r.delta)]
        for l in labels:
            row += [f"{r.same[l]} ({rec[l]:.1%})", f"{r.other[l]} ({oth[l]:.1%})", f"{r.sizes[l][0]} / {r.sizes[l][1]}"]
        rows.append(row)
    d.table(header, rows, caption="Followers of each label's NAP on the data (the paper's Table 1 layout)")
    with d.step("draw overlaps"):
        fig = plot_overlap(by_delta, size=2.8)
    d.figure(fig, "Overlap |N_a ∩ N_b| / |N_b| of the NAPs of every two labels (N = A ∪ D), one panel per δ.")
    if s.net.input_dim == 2:
        with d.step("draw NAP regions"):
            fig = _follow_figure(s, naps, verify_delta)
        d.figure(fig, f"Where each label's NAP (δ = {verify_delta:g}) is followed: the linear regions whose pattern "
                      "agrees with it (coloured), over the region map's outlines, with that label's data.")
    # verification: every label's NAP robustness row, and augmented robustness at one input
    vrows, checks = [], []
    with d.step("verify NAP robustness"):
        for l in (labels if verify_labels == "all" else [lx]):
            nap = naps[l]
            seeds = s.X[(s.y == l) & nap.follows(s.net, s.X)]
            res = nap_robustness(s.net, nap, domain=s.domain, seeds=seeds if len(seeds) else None, timeout=timeout)
            vrows.append(("robustness", l, None, res))
            checks.append([cross_check(s.net, v, nap, seeds=seeds if len(seeds) else None) for v in res.values()])
    with d.step("verify NAP-augmented robustness"):
        res = nap_augmented_robustness(s.net, naps[lx], x, eps, domain=s.domain, timeout=timeout)
        vrows.append(("augmented", lx, row, res))
        checks.append([cross_check(s.net, v, naps[lx], seeds=x[None]) for v in res.values()])
    table = []
    for (kind, l, r, res), cc in zip(vrows, checks):
        cells = "; ".join(f"{s.class_name(j)}: {verdict_cell(v)}" for j, v in res.items())
        methods = ", ".join(sorted({v.method for v in res.values()}))
        what = (f"every input of the domain following NAP({s.class_name(l)}) is classified {s.class_name(l)}"
                if kind == "robustness" else
                f"the same inside the ε-ball around data row {r}")
        table.append([kind, s.class_name(l), what, cells, methods, fmt(sum(v.time for v in res.values()), 3),
                      "all agree" if all(c.ok for c in cc) else "DISAGREE: " + "; ".join(c.note for c in cc if not c.ok)])
    d.table(["property", "NAP", "question", "per competitor (Y proved, N counterexample, T/o timeout)", "decided by",
             "seconds", "independent re-check"], table,
            caption="NAP properties as verification queries, one per competing label; every counterexample was "
                    "re-checked in float64 (inside the box, following the NAP strictly, misclassified) and every proof "
                    "tested by a separate following-NAP search")
    notes = [f"{s.class_name(j)}: {v.note}" for *_, res in vrows for j, v in res.items() if v.note]
    if notes:
        d.p("Notes: " + esc("; ".join(notes[:6])))
    n_y = sum(verdict_cell(v) == "Y" for *_, res in vrows for v in res.values())
    n_all = sum(len(res) for *_, res in vrows)
    return d.done(f"NAPs for {len(labels)} labels at δ = {', '.join(f'{v:g}' for v in deltas)}; "
                  f"{n_y} of {n_all} NAP queries proved, the rest " + ", ".join(
                      sorted({verdict_cell(v) for *_, res in vrows for v in res.values()} - {"Y"})) +
                  "; re-checks " + ("all agree" if all(c.ok for cc in checks for c in cc) else "DISAGREE"))


def _follow_figure(s: Subject, naps: dict, delta: float):
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    from ..regions.planar import planar_regions

    sub = planar_regions(s.net, s.domain)
    polys = sub.polygons()
    centres = sub.interior_points()
    labels = sorted(naps)
    fig, axes = plt.subplots(1, len(labels), figsize=(3.6 * len(labels), 3.6), squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, l in zip(axes[0], labels):
        follows = naps[l].follows(s.net, centres)
        ax.add_collection(PolyCollection(polys, facecolors="none", edgecolors="0.75", linewidths=0.25))
        ax.add_collection(PolyCollection([p for p, f in zip(polys, follows) if f], facecolors=cmap(l % 10),
                                         edgecolors="none", alpha=0.45))
        sel = s.y == l
        ax.scatter(s.X[sel, 0], s.X[sel, 1], s=3, color=cmap(l % 10), edgecolor="k", linewidth=0.15)
        ax.set_xlim(s.lo[0], s.hi[0])
        ax.set_ylim(s.lo[1], s.hi[1])
        ax.set_aspect("equal", adjustable="box")
        n = naps[l]
        ax.set_title(f"NAP({s.class_name(l)}), δ = {delta:g}: |A| = {len(n.active)}, |D| = {len(n.inactive)}\n"
                     f"followed on {int(follows.sum())} of {len(sub)} regions", fontsize=8)
    fig.tight_layout()
    return fig
