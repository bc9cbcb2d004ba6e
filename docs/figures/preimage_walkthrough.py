"""Figures and printed output for docs/preimage.md (run from the repository root).

The network is Forets & Schilling's Fig. 1 (2 inputs, two 2-neuron ReLU
layers, 2 outputs); the output set is "class 2 wins", y0 <= y1 (0-based).
"""

from pathlib import Path


import relucid as rl
from relucid.plot import plot_contraction, plot_preimage, plot_stages

OUT = Path("docs/img")
OUT.mkdir(parents=True, exist_ok=True)

net = rl.Network([
    rl.Dense([[0.30, 0.53], [0.77, 0.42]], [0.43, -0.42], "relu"),
    rl.Dense([[0.17, -0.07], [0.71, -0.06]], [-0.01, 0.49], "relu"),
    rl.Dense([[0.35, 0.17], [-0.04, 0.08]], [0.03, 0.17]),
])
domain = rl.Box([0, 0], [1, 1])
stages, stats = rl.preimage_layers(net, "y0 <= y1")  # no domain: the paper's Fig. 3 (a)-(e)
for s in stages:
    print(f"{s.label:22s} space {s.space:3s}: {len(s.union)} pieces")
views = {"y": ([-0.5, -0.5], [1.5, 1.5]), "h1": ([-1, -1], [2, 2]), "z1": ([-1, -1], [2, 2]),
         "h0": ([-1, -1], [2.5, 2.5]), "z0": ([-1, -1], [2.5, 2.5]), "x": ([-0.5, -0.5], [1.5, 1.5])}
fig = plot_stages(stages, views)
fig.savefig(OUT / "preimage_stages.png", dpi=110)

pre = rl.preimage(net, "y0 <= y1", domain=domain)
print(repr(pre), pre.stats)
for k, piece in enumerate(pre):
    print(f"piece {k}:", "; ".join(rl.geometry.parse.format_row(a, b) for a, b in zip(piece.A, piece.b)))
ax = plot_preimage(net, pre, [0, 0], [1, 1], output_set="y0 <= y1")
ax.figure.savefig(OUT / "preimage_fig1.png", dpi=110, bbox_inches="tight")

box = rl.preimage(net, "y0 <= y1", domain=domain, method="box")
print("box:", box.bounding_box())

xor = rl.Network([
    rl.Dense([[-4.60248, 4.74295], [-3.19378, 2.90011]], [2.74108, -1.49695], "sigmoid"),
    rl.Dense([[-4.57199, 4.64925]], [2.10176], "sigmoid"),
])
c = rl.contract_intervals(xor, ([0.8, 0.0], [1.0, 1.0]), ([0.5], [1.0]))
print("contraction:", c.iterations, "iterations; x2 in", c.input[0][1], c.input[1][1], "; N(x) in", c.output[0][0], c.output[1][0])
plot_contraction(c).savefig(OUT / "contraction_xor.png", dpi=110)
