"""Section: why the network gives an input its class, and why not another (with the polytopes drawn)."""

from __future__ import annotations

import numpy as np

from ..explain import why, why_not
from .section import Draft, Section, esc, fmt
from .subject import Subject

__all__ = ["explanation_section"]

#: Points sampled in each explained polytope to re-check its class by forward passes.
N_CHECK = 2000
#: Polytopes are re-checked by sampling for at most this many inputs (hit-and-run slows down with the dimension).
CHECK_MAX_DIM = 20


def explanation_section(s: Subject, x=None, target: int | None = None, *, norm: str = "2",
                        timeout: float | None = 15.0) -> Section:
    """``why(x)`` and ``why_not(x, target)``; drawn on the region map for 2 inputs.

    Without ``x``, the correctly classified data row of median margin is
    explained; without ``target``, the runner-up class at ``x``.
    """
    x, where = s.input_row(x)
    scores = s.net(x)
    if target is None:
        target = int(np.argsort(-scores)[1]) if scores.shape[0] > 1 else 1 - int(scores[0] > 0)
    names = dict(feature_names=s.feature_names, class_names=s.class_names, domain=s.domain)
    d = Draft("explain", "Why, and why not", network=s.net_label(), data=s.data_label(),
              params={"x": fmt(x), "x from": where, "why-not target": s.class_name(target), "norm": norm,
                      "domain": s.domain_text(), "timeout_s": timeout})
    with d.step("why"):
        e_why = why(s.net, x, **names)
        _ = e_why.polyhedron, e_why.bounds
    with d.step("why-not"):
        e_not = why_not(s.net, x, target, norm=norm, timeout=timeout, **names)
        if e_not.found:
            _ = e_not.polyhedron, e_not.bounds
    rng = np.random.default_rng(0)
    checks = []
    with d.step("re-check by forward passes"):
        for e in (e_why, e_not):
            checks.append(_recheck(s, e, rng) if e.found and len(x) <= CHECK_MAX_DIM else None)
        p_class = int(s.predict(e_not.point)[0]) if e_not.point is not None else None
    d.p(f"The input <code>x = {esc(fmt(x))}</code> ({esc(where)}) is classified <b>{esc(s.class_name(e_why.predicted))}</b>. "
        "<i>Why</i> gives the minimal set of linear constraints, inside x's linear region, under which that class "
        "wins; <i>why not</i> walks across region facets to the nearest region where the target class wins and "
        "returns the nearest input there.")
    d.pre(e_why.render(max_rows=12))
    d.pre(e_not.render(max_rows=12))
    rows = [["why", s.class_name(e_why.explained), len(e_why.constraints), 0, "—", "—", *_check_cells(checks[0]),
             fmt(d.seconds("why"), 3)]]
    if e_not.found:
        rows.append(["why not", s.class_name(target), len(e_not.constraints), e_not.hamming,
                     fmt(e_not.distance), f"{s.class_name(p_class)} ({'confirmed' if p_class == target else 'NOT the target'})",
                     *_check_cells(checks[1]), fmt(d.seconds("why-not"), 3)])
    else:
        rows.append(["why not", s.class_name(target), "—", "—", "—", f"not found ({e_not.status})", "—", "—",
                     fmt(d.seconds("why-not"), 3)])
    d.table(["kind", "class explained", "constraints", "neurons flipped", f"distance ({norm}-norm)",
             "class at the why-not point (forward pass here)", "sampled points", "of the explained class", "seconds"],
            rows, caption=f"Each polytope re-checked here: {N_CHECK} points sampled uniformly in it (hit-and-run), "
                          "classified by a float64 forward pass"
                          + ("" if len(x) <= CHECK_MAX_DIM else f" — not sampled above {CHECK_MAX_DIM} inputs"))
    if s.net.input_dim == 2:
        with d.step("draw"):
            fig = _figure(e_why, e_not)
        d.figure(fig, "Left: x (star), its region (white outline) and the polytope where its class wins (hatched). "
                      "Right: the region where the target wins nearest to x in facet crossings (hatched) and the "
                      "nearest input of the target class (yellow), joined to x.")
    else:
        d.p(f"No picture: the network takes {s.net.input_dim} inputs (polytopes are drawn for 2 inputs only).")
    n_ok = sum(c is not None and c[0] == c[1] for c in checks)
    n_sampled = sum(c is not None for c in checks)
    check = (f"{n_ok} of {n_sampled} polytopes re-checked by sampling" if n_sampled else
             f"not re-checked by sampling ({len(x)} inputs)")
    return d.done(f"why {s.class_name(e_why.predicted)}: {len(e_why.constraints)} constraints; why not "
                  f"{s.class_name(target)}: " + (f"{e_not.hamming} neurons flipped, distance {e_not.distance:.4g}"
                                                 if e_not.found else e_not.status)
                  + f"; {check}")


def _recheck(s: Subject, e, rng) -> tuple[int, int] | None:
    """(points sampled in the explained polytope, how many the network gives the explained class)."""
    poly = e.polyhedron
    lo, hi = poly.bounding_box()
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return None
    P = poly.sample(N_CHECK, rng=rng)
    return len(P), int(np.sum(s.predict(P) == e.explained))


def _check_cells(c):
    return ("—", "—") if c is None else (c[0], c[1])


def _figure(e_why, e_not):
    import matplotlib.pyplot as plt

    from ..plot import plot_explanation

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6))
    plot_explanation(e_why, ax=axes[0])
    axes[0].set_title("why " + (e_why.class_names[e_why.predicted] if e_why.class_names else f"class {e_why.predicted}"),
                      fontsize=10)
    if e_not.found:
        plot_explanation(e_not, ax=axes[1])
        axes[1].set_title("why not " + (e_not.class_names[e_not.target] if e_not.class_names else f"class {e_not.target}"),
                          fontsize=10)
    else:
        axes[1].axis("off")
    fig.tight_layout()
    return fig
