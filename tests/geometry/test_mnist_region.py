"""Redundancy removal at scale: a region of the mnistfc 256x2 network (784 inputs, 2,080 rows)."""

import numpy as np
import pytest

import relucid as rl
from geom_cases import lp_max
from relucid.geometry.redundancy import redundancy_report


@pytest.mark.shared_data
@pytest.mark.slow
def test_mnistfc_256x2_region_facets_checked_by_linprog(shared_data, mnist_test_image):
    net = rl.load(shared_data / "mnistfc" / "mnist-net_256x2.onnx")
    x = mnist_test_image(0)
    P = rl.region(net, x, domain=rl.Box(0.0, 1.0, dim=784)).polyhedron
    rep = redundancy_report(P.A, P.b)
    keep = rep.rows
    assert rep.n_certified > 0 and rep.n_lps < P.n_constraints  # rays saved LPs
    assert P.contains(x) and rl.Polyhedron(P.A[keep], P.b[keep]).contains(x)
    rng = np.random.default_rng(0)
    removed = np.setdiff1d(np.arange(P.n_constraints), keep)
    for i in rng.choice(keep[keep < 512], size=4, replace=False):  # neuron rows that are facets
        others = np.setdiff1d(keep, [i])
        assert lp_max(P.A[others], P.b[others], P.A[i]) > P.b[i] + 1e-9 * (1 + abs(P.b[i]))
    for i in rng.choice(removed, size=min(4, removed.size), replace=False):
        assert lp_max(P.A[keep], P.b[keep], P.A[i]) <= P.b[i] + 1e-7 * (1 + abs(P.b[i]))
