"""Section: local robustness verified — a proof on a small box and a counterexample on a larger one, re-checked."""

from __future__ import annotations

import numpy as np

from ..characterize import class_property
from ..geometry import Box
from ..verify import ClassWins, verify
from .section import Draft, Section, esc, fmt
from .subject import Subject

__all__ = ["verification_section"]

#: Radius tries: the first radius is START of the narrowest feature range; doubled / halved at most this often.
START, MAX_TRIES = 0.02, 7
#: Points sampled in the proved box (evidence, not proof).
N_CHECK = 10000


def verification_section(s: Subject, x=None, *, timeout: float | None = 5.0) -> Section:
    """Robustness of the class at ``x`` on L∞ boxes: the radius is doubled until a counterexample is found and
    halved from there until the verifier proves the property.

    While doubling, each query starts with the verifier's attack; while halving (looking for a proof below
    a radius that has a counterexample) the attack is skipped so that the whole timeout goes to the proof.
    """
    x, where = s.input_row(x)
    c = int(s.predict(x)[0])
    prop = ClassWins(c) if s.net.output_dim > 1 else class_property(1, c)
    start = START * float(np.min(s.hi - s.lo))
    d = Draft("verify", "Verification: a proof and a counterexample", network=s.net_label(), data=s.data_label(),
              params={"x": fmt(x), "x from": where, "property": f"class {s.class_name(c)} wins ({prop.describe()})",
                      "input sets": "L∞ boxes {x' : |x' − x|∞ ≤ ε} ∩ domain", "first ε": f"{start:.4g}",
                      "timeout_s per query": timeout, "method": "relucid verify (attack, DeepPoly, input splitting / MILP)"})
    tries: list[tuple[float, object]] = []

    def run(eps, attack_first=True):
        box = Box(np.maximum(x - eps, s.lo), np.minimum(x + eps, s.hi))
        res = verify(s.net, box, prop, timeout=timeout, attack_first=attack_first)
        tries.append((eps, res, box))
        return res

    with d.step("verify (radius search)"):
        eps, proved, falsified = start, None, None
        for _ in range(MAX_TRIES):
            r = run(eps)
            if r.status == "falsified":
                falsified = (eps, r)
                break
            if r.status == "proved":
                proved = (eps, r)
            eps *= 2
        if falsified is not None and proved is None:
            eps = falsified[0] / 2
            for _ in range(MAX_TRIES):
                r = run(eps, attack_first=False)
                if r.status == "proved":
                    proved = (eps, r)
                    break
                if r.status == "falsified":
                    falsified = (eps, r)
                eps /= 2
    rng = np.random.default_rng(0)
    with d.step("re-check by forward passes"):
        cex_check = None
        if falsified is not None:
            e, r = falsified
            box = next(b for ee, rr, b in tries if rr is r)
            z = r.counterexample
            y = s.net(z)
            inside = bool(np.all(z >= box.lo) and np.all(z <= box.hi))
            cex_check = (inside, int(s.predict(z)[0]), y, float(np.max(np.abs(z - x))), bool(prop.holds_at(y)[0]))
        proof_check = None
        if proved is not None:
            box = next(b for ee, rr, b in tries if rr is proved[1])
            P = box.lo + (box.hi - box.lo) * rng.random((N_CHECK, len(x)))
            proof_check = int(np.sum(prop.holds_at(s.net(P))))
    d.p(f"Is every input within L∞ distance ε of <code>x = {esc(fmt(x))}</code> ({esc(where)}) classified "
        f"<b>{esc(s.class_name(c))}</b>? The verifier answers <i>proved</i> (sound: it holds for every input of the box), "
        "<i>falsified</i> with a counterexample (re-checked by a float64 forward pass), or <i>unknown</i> at its timeout. "
        "The radius is doubled until a counterexample appears, then halved until a proof.")
    d.table(["ε", "status", "decided by", "seconds", "note"],
            [[fmt(e), r.status, r.method, fmt(r.time, 3), r.note or ""] for e, r, _ in tries],
            caption="Every query made, in order (after a counterexample, without the attack stage)")
    checks = []
    if proved is not None:
        checks.append(["proof", fmt(proved[0]), f"{proof_check} of {N_CHECK} uniform samples of the box satisfy the property",
                       "evidence only: sampling cannot prove"])
    if cex_check is not None:
        inside, k, y, dist, holds = cex_check
        checks.append(["counterexample", fmt(falsified[0]),
                       f"inside the box: {fmt(inside)}; |x' − x|∞ = {dist:.4g}; net(x') = {fmt(y)}, class "
                       f"{s.class_name(k)}; property holds there: {fmt(holds)}",
                       "confirmed" if inside and not holds else "NOT confirmed"])
    if checks:
        d.table(["verdict", "ε", "re-check here", "conclusion"], checks)
    if s.net.input_dim == 2 and (proved or falsified):
        with d.step("draw"):
            fig = _figure(s, x, proved, falsified, tries)
        d.figure(fig, "The region map around x (star): the proved box (green) and the falsified box (red) with its "
                      "counterexample (red cross).")
    summary = (f"class {s.class_name(c)} at x: "
               + (f"proved for ε = {proved[0]:.3g}" if proved else "no proof")
               + "; " + (f"counterexample at ε = {falsified[0]:.3g} "
                         f"({'confirmed' if cex_check and cex_check[0] and not cex_check[4] else 'NOT confirmed'})"
                         if falsified else "no counterexample")
               + f"; {len(tries)} queries")
    return d.done(summary)


def _figure(s: Subject, x, proved, falsified, tries):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from ..plot import plot_subdivision
    from ..regions.planar import planar_regions

    big = max(e for e, _, _ in tries if (falsified and e == falsified[0]) or (proved and e == proved[0]))
    lo, hi = np.maximum(x - 2.2 * big, s.lo), np.minimum(x + 2.2 * big, s.hi)
    sub = planar_regions(s.net, Box(lo, hi))
    fig, ax = plt.subplots(figsize=(6.4, 6))
    plot_subdivision(sub, ax=ax, title=f"{len(sub)} regions near x")
    for res, colour, label in ((proved, "tab:green", "proved"), (falsified, "tab:red", "falsified")):
        if res is None:
            continue
        box = next(b for e, r, b in tries if r is res[1])
        ax.add_patch(Rectangle(box.lo, *(box.hi - box.lo), fill=False, edgecolor=colour, linewidth=2,
                               label=f"{label}, ε = {res[0]:.3g}"))
    ax.plot(*x, "*", color="white", markeredgecolor="k", markersize=14, label="x", linestyle="none")
    if falsified is not None:
        z = falsified[1].counterexample
        ax.plot(*z, "X", color="tab:red", markeredgecolor="k", markersize=10, label="counterexample", linestyle="none")
    ax.legend(loc="lower left", fontsize=7)
    return fig
