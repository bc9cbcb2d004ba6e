"""Section: a smaller network by merging similar neurons, with its reduction and error bound.

Uses :mod:`relucid.abstraction` (``identify_clusters``, ``abstract``,
``error_bounds``) when it is importable; its k-means needs scikit-learn. When
either is missing, :func:`abstraction_unavailable` says why and the report
skips the section.
"""

from __future__ import annotations

import numpy as np

from .section import Draft, Section, fmt
from .subject import Subject

__all__ = ["abstraction_section", "abstraction_unavailable"]

#: Accuracy the abstraction may lose on the data (the paper's α = original accuracy − this).
ACCURACY_DROP = 0.02


def abstraction_unavailable() -> str | None:
    """Why the abstraction section cannot run here, or None when it can."""
    try:
        from ..abstraction import abstract, error_bounds, identify_clusters  # noqa: F401
    except ImportError as exc:
        return f"relucid.abstraction is not importable here ({exc})"
    try:
        import sklearn.cluster  # noqa: F401
    except ImportError:
        return "the abstraction's k-means needs scikit-learn: pip install 'relucid[sklearn]'"
    return None


def abstraction_section(s: Subject, *, drop: float = ACCURACY_DROP) -> Section:
    """Cluster counts from the accuracy search, the merged network, and the error bound against the measured error."""
    from ..abstraction import abstract, error_bounds, identify_clusters

    acc = float(np.mean(s.predict(s.X) == s.y))
    alpha = max(acc - drop, 0.0)
    d = Draft("abstraction", "Abstraction: a smaller network", network=s.net_label(), data=s.data_label(),
              params={"min_accuracy α": f"{alpha:.4g} (original {acc:.4g} − {drop:g}) on the data",
                      "clustering": "k-means on activation vectors (seed 0)"})
    with d.step("identify_clusters"):
        counts = identify_clusters(s.net, s.X, s.y, alpha)
    with d.step("abstract"):
        ab = abstract(s.net, s.X, counts)
    with d.step("error bound and measured error"):
        bound = error_bounds(ab)[-1]
        measured = np.max(np.abs(s.net(s.X) - ab.network(s.X)), axis=0)
        agree = float(np.mean(s.predict(s.X) == ab.network.classify(s.X)))
        acc_abs = float(np.mean(ab.network.classify(s.X) == s.y))
    d.p("Neurons of a layer whose activation vectors over the data are close are merged into one representative "
        "(k-means); the number of clusters per layer is the smallest that keeps the accuracy at least α. The error "
        "bound (Theorem 1 of the paper) bounds, on the data, how far each output of the abstract network can be "
        "from the original's.")
    d.table(["hidden layer", "neurons before", "after"],
            [[k, n, m] for k, (n, m) in enumerate(ab.hidden_sizes)],
            caption=f"Reduction {ab.reduction_rate:.1%} of the hidden neurons ({ab.network!r})")
    d.table(["output", "error bound on the data", "largest error measured on the data"],
            [[f"y{j}", fmt(b), fmt(m)] for j, (b, m) in enumerate(zip(bound, measured))])
    d.table(["accuracy (original)", "accuracy (abstract)", "same prediction"],
            [[f"{acc:.1%}", f"{acc_abs:.1%}", f"{agree:.1%}"]], caption="On the data, float64 forward passes")
    if s.net.input_dim == 2 and ab.network.is_piecewise_linear:
        with d.step("draw"):
            fig = _figure(s, ab)
        d.figure(fig, "Region maps of the original network (left) and its abstraction (right): fewer neurons, fewer "
                      "regions, a similar decision boundary.")
    return d.done(f"{ab.summary()}; accuracy {acc:.1%} → {acc_abs:.1%}; output error ≤ {float(np.max(bound)):.3g} "
                  f"(bound), {float(np.max(measured)):.3g} measured")


def _figure(s: Subject, ab):
    import matplotlib.pyplot as plt

    from ..plot import plot_subdivision
    from ..regions.planar import planar_regions

    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
    for ax, net, name in ((axes[0], s.net, "original"), (axes[1], ab.network, "abstraction")):
        sub = planar_regions(net, s.domain)
        plot_subdivision(sub, ax=ax, title=f"{name} {net!r}: {len(sub)} regions")
    fig.tight_layout()
    return fig
