"""Figures for docs/explain.md (run from the repository root): why and why-not on the moons network."""

from pathlib import Path

import numpy as np

import relucid as rl
from relucid.examples import load_example_data, load_example_network
from relucid.plot import plot_explanation

OUT = Path("docs/img")
OUT.mkdir(parents=True, exist_ok=True)
net = load_example_network("moons")
data = load_example_data("moons")
domain = rl.Box(data.lo, data.hi)
x = np.array([0.5, 0.25])
names = dict(feature_names=data.feature_names, class_names=data.class_names, domain=domain)
why = rl.why(net, x, **names)
ax = plot_explanation(why)
ax.figure.savefig(OUT / "explain_why_moons.png", dpi=110, bbox_inches="tight")
why_not = rl.why_not(net, x, 2, norm="2", **names)
ax = plot_explanation(why_not)
ax.figure.savefig(OUT / "explain_why_not_moons.png", dpi=110, bbox_inches="tight")
print(why_not.hamming, why_not.distance, why_not.confirmed)
