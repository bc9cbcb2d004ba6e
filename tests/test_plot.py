"""The plot_* functions draw what they are given: patch counts, colours by class, view boxes (issue 16)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import relucid as rl  # noqa: E402
from relucid.plot import plot_explanation, plot_preimage, plot_regions, plot_subdivision, plot_union  # noqa: E402
from relucid.regions.planar import planar_regions  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _abs_net():
    # y0 = |x0| + |x1|, y1 = 1: class 1 inside the diamond |x0| + |x1| < 1, class 0 outside
    W = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
    return rl.Network([rl.Dense(W, np.zeros(4), "relu"), rl.Dense([[1.0, 1, 1, 1], [0, 0, 0, 0]], [0.0, 1.0])])


def test_plot_regions_draws_one_polygon_per_region_coloured_by_class():
    net = _abs_net()
    regs = list(rl.regions(net, rl.Box([-2, -2], [2, 2])))
    assert len(regs) == 4  # the four quadrants
    ax = plot_regions(regs)
    drawn = [p for p in ax.patches if isinstance(p, matplotlib.patches.Polygon)]
    drawn += [path for c in ax.collections for path in c.get_paths()]
    assert len(drawn) >= 4


def test_plot_union_draws_each_piece_and_sets_the_view():
    u = rl.PolyUnion([rl.Box([0, 0], [1, 1]), rl.Box([2, 2], [3, 3])])
    ax = plot_union(u, [-1, -1], [4, 4])
    assert len(ax.patches) == 2
    assert ax.get_xlim() == (-1.0, 4.0) and ax.get_ylim() == (-1.0, 4.0)
    ax = plot_union(rl.PolyUnion([rl.Box([0], [1]), rl.Box([2], [5])]), [-1], [3])
    assert len(ax.patches) == 2  # the second interval clipped to the view
    with pytest.raises(rl.InvalidValueError, match="dimension 3"):
        plot_union(rl.PolyUnion([rl.Box([0, 0, 0], [1, 1, 1])]), [0, 0, 0], [1, 1, 1])


def test_plot_preimage_colours_samples_by_membership():
    net = _abs_net()
    pre = rl.preimage(net, "y1 >= y0", domain=rl.Box([-2, -2], [2, 2]))  # the diamond
    ax = plot_preimage(net, pre, [-2, -2], [2, 2], output_set="y1 >= y0", n_samples=500)
    inside, outside = ax.collections[0].get_offsets(), ax.collections[1].get_offsets()
    assert len(inside) + len(outside) == 500
    assert np.all(np.abs(inside).sum(axis=1) <= 1 + 1e-12) and np.all(np.abs(outside).sum(axis=1) > 1 - 1e-12)
    assert "4 pieces" in ax.get_title() or "pieces" in ax.get_title()


def test_plot_subdivision_draws_every_face_and_the_decision_boundary():
    net = _abs_net()
    sub = planar_regions(net, rl.Box([-2, -2], [2, 2]))
    ax = plot_subdivision(sub)
    fills, outline, boundary = ax.collections[:3]
    assert len(outline.get_paths()) == len(sub) == 4
    assert len(fills.get_paths()) >= len(sub)  # each face, split by class where the boundary crosses it
    assert len(boundary.get_segments()) >= 4  # the diamond |x0| + |x1| = 1
    for seg in boundary.get_segments():
        assert np.allclose(np.abs(seg).sum(axis=1), 1.0)
    assert ax.get_xlim() == (-2.0, 2.0) and "4 linear regions" in ax.get_title()


def test_plot_explanation_marks_the_input():
    net = _abs_net()
    x = np.array([1.5, 0.5])
    e = rl.why(net, x, domain=rl.Box([-2, -2], [2, 2]))
    ax = plot_explanation(e, domain=rl.Box([-2, -2], [2, 2]))
    points = np.vstack([c.get_offsets() for c in ax.collections if len(c.get_offsets())] +
                       [np.column_stack(line.get_data()) for line in ax.lines if len(line.get_xdata())])
    assert np.any(np.all(np.isclose(points, x), axis=1))
