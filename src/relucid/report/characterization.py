"""Section: an input characterisation — a region around x on which "class c wins" is proved, with its UA-box."""

from __future__ import annotations

import numpy as np

from ..characterize import class_property, convex_region
from ..verify import ClassWins
from .section import Draft, Section, esc, fmt
from .subject import Subject

__all__ = ["characterization_section"]

METHODS = (("baseline", None), ("relaxed", 0.5))
#: Points sampled in each UA-box to re-check the property by forward passes.
N_CHECK = 2000


def characterization_section(s: Subject, x=None, *, timeout: float | None = 5.0) -> Section:
    """Both methods of :func:`relucid.convex_region` at one data row, with the proven boxes per named feature."""
    x, where = s.input_row(x)
    c = int(s.predict(x)[0])
    prop = ClassWins(c) if s.net.output_dim > 1 else class_property(1, c)
    d = Draft("characterize", "Input characterisation", network=s.net_label(), data=s.data_label(),
              params={"x0": fmt(x), "x0 from": where, "property": f"class {s.class_name(c)} wins ({prop.describe()})",
                      "methods": "baseline; relaxed with logit factor 0.5", "domain": s.domain_text(),
                      "timeout_s per verifier call": timeout})
    results = []
    for method, f in METHODS:
        with d.step(f"convex_region ({method})"):
            kw = {} if f is None else {"logit_factor": f}
            ch = convex_region(s.net, x, prop, method=method, domain=s.domain, timeout=timeout, **kw)
            box = ch.ua_box()
        results.append((method, ch, box))
    rng = np.random.default_rng(0)
    checks = []
    with d.step("re-check by forward passes"):
        for _, ch, box in results:
            inside = ch.contains(s.X)
            P = box.lo + (box.hi - box.lo) * rng.random((N_CHECK, len(x)))
            checks.append((int(inside.sum()), int(np.sum(s.predict(s.X[inside]) == c)),
                           int(np.sum(s.predict(P) == c))))
    d.p(f"Start from <code>x0</code> ({esc(where)}), classified <b>{esc(s.class_name(c))}</b>. A characterisation is a "
        "partial activation pattern (plus linear rows) such that a verifier proved: every input of the domain that "
        "follows it is classified the same. The <i>baseline</i> minimises x0's own pattern when it implies the "
        "property; the <i>relaxed</i> method proves a weaker, ε-relaxed property and usually frees many more neurons. "
        "The UA-box is an axis-aligned box proven inside the region: a rule over the named features.")
    n_neurons = s.net.n_pattern_neurons
    rows = []
    for (method, ch, box), (n_in, n_in_c, n_box_c) in zip(results, checks):
        m = ch.minimisation
        rows.append([method, f"{len(ch.pattern)} of {n_neurons}", ch.constraints.n_constraints, ch.verifier_calls,
                     fmt(None if m is None else m.minimal), f"{ch.support(s.X[s.y == c])} / {n_in}",
                     f"{n_in_c} of {n_in}", f"{n_box_c} of {N_CHECK}", fmt(ch.ua_log_volume(), 4),
                     fmt(d.seconds(f"convex_region ({method})"), 3)])
    d.table(["method", "neurons fixed", "linear rows", "verifier calls", "minimal pattern",
             f"data rows inside: of class {s.class_name(c)} / all", "rows inside classified " + s.class_name(c),
             "UA-box samples classified " + s.class_name(c), "UA-box log-volume", "seconds"], rows,
            caption="Each characterisation; the last checks were made here by float64 forward passes")
    brows = []
    for i, name in enumerate(s.feature_names):
        brows.append([name, f"[{fmt(s.lo[i])}, {fmt(s.hi[i])}]", fmt(x[i])]
                     + [f"[{fmt(box.lo[i])}, {fmt(box.hi[i])}]" for _, _, box in results])
    d.table(["feature", "domain", "x0"] + [f"UA-box ({m})" for m, _, _ in results], brows,
            caption="The proven boxes as rules: every input with each feature in its range is classified "
                    f"{s.class_name(c)}")
    for method, ch, _ in results:
        fixed = sorted(ch.pattern.to_dict().items())
        d.p(f"<b>{method}</b> pattern: " + esc(", ".join(f"({k}, {j}) {'on' if on else 'off'}" for (k, j), on in fixed[:40])
                                              + (" …" if len(fixed) > 40 else "") or "no neuron fixed"))
    with d.step("draw"):
        fig = _figure(s, x, c, results)
    d.figure(fig, "Per feature: the domain (grey), the training rows of the class (dots), x0 (star) and the UA-box "
                  "of each method (bars). Every input inside one method's bars on all features is proved to get the "
                  "class. A UA-box is the largest box inside the characterised region, so it need not contain x0.")
    best = max(results, key=lambda r: r[1].support(s.X[s.y == c]))
    return d.done(f"class {s.class_name(c)} at x0: baseline fixes {len(results[0][1].pattern)}, relaxed "
                  f"{len(results[1][1].pattern)} of {n_neurons} neurons; best support {best[1].support(s.X[s.y == c])} "
                  f"rows ({best[0]})")


def _figure(s: Subject, x, c, results):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n = len(s.feature_names)
    show = min(n, 12)
    fig, ax = plt.subplots(figsize=(8.5, 0.75 * show + 1.1))
    span = np.where(s.hi > s.lo, s.hi - s.lo, 1.0)
    mine = s.X[s.y == c][:, :show]
    rng = np.random.default_rng(0)
    colours = ("tab:blue", "tab:orange")
    for i in range(show):
        yv = show - 1 - i
        ax.barh(yv, 1.0, left=0.0, height=0.8, color="0.9")
        u = (mine[:, i] - s.lo[i]) / span[i]
        ax.scatter(u, yv + rng.uniform(-0.3, 0.3, size=len(u)), s=5, color="0.45", zorder=2)
        for k, (method, _, box) in enumerate(results):
            a, b = (box.lo[i] - s.lo[i]) / span[i], (box.hi[i] - s.lo[i]) / span[i]
            ax.barh(yv + (0.18 if k == 0 else -0.18), b - a, left=a, height=0.3, color=colours[k], alpha=0.8,
                    label=f"UA-box ({method})" if i == 0 else None, zorder=3)
        ax.plot((x[i] - s.lo[i]) / span[i], yv, "*", color="yellow", markeredgecolor="k", markersize=12, zorder=4,
                label="x0" if i == 0 else None)
    ax.set_yticks(range(show), [f"{s.feature_names[i]}\n[{s.lo[i]:.3g}, {s.hi[i]:.3g}]" for i in range(show)][::-1],
                  fontsize=7)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("position in the feature's domain (0 = min, 1 = max)", fontsize=8)
    ax.set_title(f"{s.name}: proven boxes for class {s.class_name(c)}"
                 + ("" if show == n else f" (first {show} of {n} features)"), fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09 - 0.4 / fig.get_figheight()), ncol=3, fontsize=7)
    fig.tight_layout()
    return fig
