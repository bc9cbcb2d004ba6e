"""Sections: the exact preimage of an output set, and the same set computed layer by layer."""

from __future__ import annotations

import numpy as np

from ..bounds.forward_backward import contract_intervals
from ..preimage import as_output_set, preimage, preimage_layers
from .section import Draft, Section, esc, fmt
from .subject import Subject

__all__ = ["class_output_set", "preimage_layers_section", "preimage_section"]

#: Points of the domain sampled to compare preimage membership with forward passes.
N_CHECK = 4000


def class_output_set(s: Subject, c: int | None = None) -> tuple[str, str]:
    """``(constraints, words)``: "class c wins" (default: the last class), or "y0 >= median output" for a regression."""
    n_out = s.net.output_dim
    if not s.is_classifier:
        t = float(np.median(s.net(s.X)[:, 0]))
        return f"y0 >= {t:.6g}", f"outputs at least {t:.4g} (the median output on the data)"
    if c is None:
        c = s.n_classes - 1
    if n_out == 1:
        return ("y0 >= 0" if c == 1 else "y0 <= 0"), f"class {s.class_name(c)} (logit {'≥' if c == 1 else '≤'} 0)"
    rows = ", ".join(f"y{c} >= y{j}" for j in range(n_out) if j != c)
    return rows, f"class {s.class_name(c)} wins"


def preimage_section(s: Subject, output_set: str | None = None, words: str | None = None, *,
                     timeout: float | None = 60.0) -> Section:
    """Every input of the domain whose output lies in ``output_set``, as a union of polytopes (exact)."""
    if output_set is None:
        output_set, words = class_output_set(s)
    d = Draft("preimage", "Preimage of an output set", network=s.net_label(), data=s.data_label(),
              params={"output set Y": output_set, "meaning": words, "domain": s.domain_text(), "method": "exact",
                      "timeout_s": timeout})
    with d.step("exact preimage"):
        pre = preimage(s.net, output_set, domain=s.domain, method="exact", timeout=timeout)
    st = pre.stats
    with d.step("re-check by forward passes"):
        agree, n = _membership_check(s, pre, output_set)
    d.p(f"The preimage of <code>Y = {{{esc(output_set)}}}</code> ({esc(words)}) within the domain is the set of inputs the "
        f"network maps into Y. It is a union of <b>{len(pre)}</b> polytopes, one per linear region that meets it "
        f"({'complete' if st.complete else '<b>incomplete</b>: stopped at the timeout'}).")
    d.table(["pieces", "explored", "pruned", "LPs", "stable neurons", "seconds", "samples", "membership = forward pass"],
            [[len(pre), st.explored, st.pruned, st.lps, st.stable, fmt(d.seconds("exact preimage"), 3), n,
              f"{agree} of {n}"]],
            caption=f"Search statistics; re-check here: {N_CHECK} uniform points of the domain, 'x in preimage' "
                    "compared with 'net(x) in Y' by a float64 forward pass")
    if s.net.input_dim in (1, 2):
        from ..plot import plot_preimage

        with d.step("draw"):
            ax = plot_preimage(s.net, pre, s.lo, s.hi, output_set=output_set,
                               title=f"{s.name}: preimage of {{{output_set}}}, {len(pre)} pieces")
        d.figure(ax.figure, "The preimage's pieces (blue, outlined) over the domain, with sampled inputs coloured by "
                            "a forward pass: green where net(x) ∈ Y, red elsewhere.")
    else:
        d.p(f"No picture: the network takes {s.net.input_dim} inputs.")
    return d.done(f"preimage of {{{output_set}}}: {len(pre)} pieces, {d.seconds('exact preimage'):.2f} s; "
                  f"membership agrees with forward passes on {agree}/{n} samples")


def preimage_layers_section(s: Subject, output_set: str | None = None, words: str | None = None, *,
                            timeout: float | None = 60.0) -> Section:
    """Forets & Schilling's Algorithm 1: invert the last layer first, drawing the set after every step."""
    if output_set is None:
        output_set, words = class_output_set(s)
    d = Draft("preimage-layers", "The preimage, layer by layer", network=s.net_label(), data=s.data_label(),
              params={"output set Y": output_set, "meaning": words, "domain": s.domain_text(),
                      "order": "backward (the paper's): last layer first", "timeout_s": timeout})
    with d.step("preimage_layers"):
        stages, stats = preimage_layers(s.net, output_set, s.domain, timeout=timeout)
    with d.step("exact preimage (forward order, for comparison)"):
        fwd = preimage(s.net, output_set, domain=s.domain, method="exact", timeout=timeout)
    with d.step("compare the two orders on samples"):
        X = s.lo + (s.hi - s.lo) * np.random.default_rng(1).random((N_CHECK, s.net.input_dim))
        same = int(np.sum(stages[-1].union.contains(X) == fwd.contains(X)))
    d.p(f"The preimage of <code>Y = {{{esc(output_set)}}}</code> ({esc(words)}) computed the paper's way: from the output "
        "back to the input, inverting one activation and one affine map at a time. Each panel is the set after one "
        "step, in the space where it lives (y: outputs, z<sub>k</sub>: pre-activations of layer k, h<sub>k</sub>: its "
        "activations, x: inputs); views are the forward interval bounds of each space over the domain.")
    d.table(["step", "space", "dimension", "pieces"],
            [[st.label, st.space, st.union.dim, len(st.union)] for st in stages],
            caption=f"{stats.explored} pieces explored, {stats.pruned} pruned, {stats.lps} LPs in "
                    f"{d.seconds('preimage_layers'):.3f} s; the forward-order search returns {len(fwd)} pieces, and the "
                    f"two sets agree on {same} of {N_CHECK} sampled inputs")
    drawable = [st for st in stages if st.union.dim in (1, 2)]
    if drawable:
        from ..plot import plot_stages

        with d.step("draw"):
            fig = plot_stages(stages, _views(s), ncols=min(4, len(drawable)), size=3.0)
        d.figure(fig, "The preimage after each backward step (1-D and 2-D spaces only), output first.")
    skipped = [st.space for st in stages if st.union.dim > 2]
    if skipped:
        d.p(f"Spaces of more than 2 dimensions are listed but not drawn: {esc(', '.join(skipped))}.")
    return d.done(f"layer by layer: {len(stages)} stages, {len(stages[-1].union)} pieces in input space, "
                  f"{d.seconds('preimage_layers'):.2f} s; agrees with the forward order on {same}/{N_CHECK} samples")


def _membership_check(s: Subject, pre, output_set) -> tuple[int, int]:
    rng = np.random.default_rng(0)
    X = s.lo + (s.hi - s.lo) * rng.random((N_CHECK, s.net.input_dim))
    Y = s.net(X)
    inside = np.zeros(N_CHECK, dtype=bool)
    for P in as_output_set(s.net, output_set):
        inside |= P.contains(Y)
    return int(np.sum(pre.contains(X) == inside)), N_CHECK


def _views(s: Subject) -> dict:
    """View box of every space: forward interval bounds over the domain, padded by 15 %."""
    c = contract_intervals(s.net, (s.lo, s.hi))
    views = {}
    for name, (lo, hi) in zip(c.names, c.final):
        span = np.maximum(hi - lo, 1e-3)
        views[name] = (lo - 0.15 * span, hi + 0.15 * span)
    views["y"] = views[c.names[-1]]
    return views
