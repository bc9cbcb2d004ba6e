"""Text of an explanation: constraints in the features' names, bounds, vertices, the why-not story.

Rows are scaled so that their largest coefficient is ±1 (a row with one
nonzero coefficient reads as a bound). Nothing is dropped unless asked
(``drop_below``, ``max_terms``), and each shortened row says what it lost.
"""

from __future__ import annotations

import numpy as np

from ..tolerances import CLASS_TIE_TOL


def render_row(a, b, names, *, digits: int = 4, drop_below: float = 0.0, max_terms: int | None = None) -> str:
    """``a · x <= b`` as text, e.g. ``"0.52*speed - angle <= 0.7"`` (largest |coefficient| scaled to 1).

    A row with one nonzero coefficient reads as a bound (``"speed <= 0.7"``,
    ``"angle >= -1"``). Dropped terms are announced in brackets.
    """
    a = np.asarray(a, dtype=np.float64)
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    if scale == 0.0:
        return f"0 <= {fmt_num(b, digits)}"
    a, b = a / scale, float(b) / scale
    idx = np.flatnonzero(a)
    notes = []
    if drop_below > 0:
        small = idx[np.abs(a[idx]) < drop_below]
        idx = idx[np.abs(a[idx]) >= drop_below]
        if small.size:
            notes.append(f"{small.size} terms with |coefficient| < {drop_below:g} dropped")
    if max_terms is not None and idx.size > max_terms:
        keep = idx[np.argsort(-np.abs(a[idx]), kind="stable")[:max_terms]]
        notes.append(f"{idx.size - max_terms} smaller terms not shown")
        idx = np.sort(keep)
    note = f"   ({'; '.join(notes)})" if notes else ""
    if idx.size == 1 and not notes:
        k = int(idx[0])
        if a[k] > 0:
            return f"{names[k]} <= {fmt_num(b / a[k], digits)}"
        return f"{names[k]} >= {fmt_num(b / a[k], digits)}"
    parts = []
    for pos, k in enumerate(idx):
        coef = a[k]
        mag = abs(coef)
        term = names[k] if np.isclose(mag, 1.0, rtol=0, atol=10.0 ** -digits) else f"{fmt_num(mag, digits)}*{names[k]}"
        if pos == 0:
            parts.append(term if coef > 0 else f"-{term}")
        else:
            parts.append(f"{'+' if coef > 0 else '-'} {term}")
    return f"{' '.join(parts)} <= {fmt_num(b, digits)}{note}"


def fmt_num(v: float, digits: int) -> str:
    """``v`` with ``digits`` significant digits; LP and Qhull rounding noise below 1e-12 prints as 0."""
    if abs(v) < 1e-12:  # rounding noise of LPs and Qhull
        return "0"
    text = f"{float(v):.{digits}g}"
    return "0" if text == "-0" else text


def class_name(c: int, class_names) -> str:
    """``"class 2"``, or the class's name when names are given."""
    return f"class {c}" if class_names is None else f"{class_names[c]!s}"


def render_explanation(e, *, digits: int = 4, drop_below: float = 0.0, max_terms: int | None = None,
                       max_rows: int | None = None) -> str:
    """The text of an :class:`~relucid.explain.Explanation` (see :meth:`Explanation.render`)."""
    if max_terms is None and e.network.input_dim > 12:
        max_terms = 12
    opts = dict(digits=digits, drop_below=drop_below, max_terms=max_terms)
    names, cn = e.feature_names, e.class_names
    out = [_headline(e, digits)]
    if e.ties:
        tied = ", ".join(class_name(j, cn) for j in e.ties)
        out.append(
            f"Note: x lies on a decision boundary: {tied} tie(s) with {class_name(e.predicted, cn)} "
            f"within {CLASS_TIE_TOL:g}."
        )
    if e.kind == "why_not":
        out += _why_not_lines(e, digits)
        if e.region is None:
            return "\n".join(out)
    n_hidden = e.network.n_pattern_neurons
    reg = e.region
    n_on = len(reg.pattern.on)
    where = "x's region" if reg.pattern == e.origin.pattern else "that region"
    out.append(
        f"In {where} ({n_on} of {n_hidden} hidden neurons on) the network is affine; "
        f"{class_name(e.explained, cn)} wins there exactly where these "
        f"{len(e.constraints)} constraints hold (a minimal set; {e.n_rows_unreduced} before "
        f"removing redundant ones; rows scaled to a largest coefficient of 1):"
    )
    rows = e.constraints if max_rows is None else e.constraints[:max_rows]
    texts = [c.render(names, **opts) for c in rows]
    width = min(max((len(t) for t in texts), default=0), 100)
    mark = {id(c) for c in e.distinguishing} if e.kind == "why_not" else set()
    for c, t in zip(rows, texts):
        flag = "  <- x violates" if id(c) in mark else ""
        out.append(f"  {t:<{width}}   [{c.label(cn)}]{flag}")
    if max_rows is not None and len(e.constraints) > max_rows:
        out.append(f"  ... and {len(e.constraints) - max_rows} more")
    lo, hi = e.bounds
    if np.all(lo > hi):
        out.append("The set is empty.")
        return "\n".join(out)
    out.append("Feature ranges over that set (V-representation):")
    shown = range(len(names)) if max_rows is None else range(min(len(names), max_rows))
    w = max(len(str(names[k])) for k in shown) if len(names) else 0
    for k in shown:
        out.append(f"  {names[k]:<{w}} in [{fmt_num(lo[k], digits)}, {fmt_num(hi[k], digits)}]")
    if len(shown) < len(names):
        out.append(f"  ... and {len(names) - len(shown)} more features")
    V = e.vertices
    if V is not None:
        out.append(f"Vertices ({V.shape[0]}):")
        for v in V[:20]:
            out.append("  (" + ", ".join(fmt_num(t, digits) for t in v) + ")")
        if V.shape[0] > 20:
            out.append(f"  ... and {V.shape[0] - 20} more")
    return "\n".join(out)


def _headline(e, digits: int) -> str:
    cn = e.class_names
    y = e.scores
    c = e.predicted
    others = np.delete(np.arange(y.size), c)
    j = int(others[np.argmax(y[others])])
    feats = ", ".join(f"{n}={fmt_num(v, digits)}" for n, v in zip(e.feature_names[:12], e.x[:12]))
    if e.x.size > 12:
        feats += f", ... ({e.x.size} features)"
    if e.kind == "why":
        head = f"Why {class_name(c, cn)}?"
    else:
        head = f"Why {class_name(c, cn)} and not {class_name(e.target, cn)}?"
    return (
        f"{head}  x = ({feats})\n"
        f"Scores: {class_name(c, cn)} = {fmt_num(y[c], digits)}, runner-up {class_name(j, cn)} = "
        f"{fmt_num(y[j], digits)} (margin {fmt_num(y[c] - y[j], digits)})."
    )


def _why_not_lines(e, digits: int) -> list[str]:
    if e.search == "engine":
        return _engine_lines(e, digits)
    cn = e.class_names
    t = class_name(e.target, cn)
    n = e.regions_visited
    secs = f"{n} region{'s' if n != 1 else ''} examined in {e.seconds:.2f} s"
    if e.region is None:
        why = {
            "timeout": "the time limit was reached",
            "max_hamming": f"none within {e.steps} facet crossings",
            "exhausted": "no region reachable by crossing facets has it",
        }.get(e.status, e.status)
        return [f"No region where {t} wins was found ({why}; {secs})."]
    lines = []
    if e.steps == 0:
        lines.append(f"{t} can win inside x's own region (Hamming distance 0; {secs}).")
    else:
        flips = ", ".join(f"{n}{'+' if e.region.pattern.phase(n) else '-'}" for n in e.flipped)
        lines.append(
            f"Nearest region where {t} wins: {e.steps} facet crossing(s) away, Hamming distance "
            f"{e.hamming} (flipped: {flips}; + now on, - now off; {secs})."
        )
    if e.status == "timeout":
        lines.append("The time limit cut that level short: a nearer region at the same level may exist.")
    norm = {"inf": "L-inf", "1": "L1", "2": "L2"}[e.norm]
    pt = ", ".join(f"{n}={fmt_num(v, digits)}" for n, v in zip(e.feature_names[:12], e.point[:12]))
    if e.point.size > 12:
        pt += ", ..."
    state = "confirmed by a float64 forward pass" if e.confirmed else "NOT confirmed by a forward pass"
    lines.append(
        f"Nearest input classified as {t} ({norm} distance {fmt_num(e.exact_distance, digits)} by {e.method}; "
        f"the point, nudged inside, is at {fmt_num(e.distance, digits)} and {state}): ({pt})"
    )
    if e.segment_regions is not None:
        lines.append(_segment_line(e))
    if e.distinguishing:
        lines.append(f"x violates {len(e.distinguishing)} of its constraints (marked below).")
    return lines


#: Phase changes along the segment listed by name in the text (the rest are counted).
MAX_FLIPS_SHOWN = 12

NORM_NAMES = {"inf": "L-inf", "1": "L1", "2": "L2"}


def minimality_text(e, digits: int = 4) -> str:
    """``"minimal within 0.0001: proved"`` or ``"not proved: lower bound 0.02"`` (engine answers)."""
    lower = fmt_num(e.distance_lower_bound, digits)
    if e.minimal_proved:
        return f"minimal within {e.gap_tol:.2g}: proved; no input nearer than {lower} gets it"
    return f"not proved minimal: lower bound {lower}"


def _segment_line(e) -> str:
    flips = e.segment_flips
    shown = ", ".join(f"{n}{'+' if on else '-'}" for _, n, on in flips[:MAX_FLIPS_SHOWN])
    if len(flips) > MAX_FLIPS_SHOWN:
        shown += f", ... and {len(flips) - MAX_FLIPS_SHOWN} more"
    k = e.segment_regions
    if not flips:
        return f"The straight segment from x to that point stays in one region (Hamming distance {e.hamming})."
    return (f"The straight segment from x to that point passes through {k} regions: {len(flips)} neuron flip(s) "
            f"along it ({shown}; + turns on, - turns off); Hamming distance {e.hamming} between the two ends' patterns.")


def _engine_lines(e, digits: int) -> list[str]:
    cn = e.class_names
    t = class_name(e.target, cn)
    nq = len(e.queries)
    secs = f"{nq} verification quer{'y' if nq == 1 else 'ies'} in {e.seconds:.2f} s"
    norm = NORM_NAMES[e.norm]
    lines = []
    if e.region is None:
        why = {
            "timeout": "the time limit was reached",
            "exhausted": "proved: no input of the domain gets it" if e.domain is not None else
                         f"proved: no input within L-inf distance {fmt_num(e.distance_lower_bound, digits)} gets it",
            "unknown": "the engine could decide neither way",
        }.get(e.status, e.status)
        lines.append(f"No input classified as {t} was found by the verification engine ({why}; {secs}).")
    else:
        lines.append(
            f"Nearest input classified as {t}, by the verification engine ({e.method}; {secs}): "
            f"{norm} distance {fmt_num(e.distance, digits)} ({minimality_text(e, digits)})."
        )
        if e.status == "timeout":
            lines.append("The time limit stopped the search: a nearer input may exist (see the lower bound).")
        pt = ", ".join(f"{n}={fmt_num(v, digits)}" for n, v in zip(e.feature_names[:12], e.point[:12]))
        if e.point.size > 12:
            pt += ", ..."
        state = "confirmed by a float64 forward pass" if e.confirmed else "NOT confirmed by a forward pass"
        lines.append(f"The point ({state}): ({pt})")
        lines.append(_segment_line(e))
        if e.distinguishing:
            lines.append(f"x violates {len(e.distinguishing)} of the constraints of the point's region (marked below).")
    if e.note:
        lines.append(f"Note: {e.note}.")
    return lines
