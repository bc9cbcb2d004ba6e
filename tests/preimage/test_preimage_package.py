"""The package's shape: no module of relucid/preimage/ imports another in a circle or reaches for a private name; old paths warn."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

import relucid as rl
from relucid.phases import FREE, OFF, ON

PACKAGE = Path(rl.__file__).parent / "preimage"


def _imports(path: Path) -> list[tuple[str, str]]:
    """``(sibling module, imported name)`` for every ``from .x import name`` in ``path`` (lazy imports too)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            out += [(node.module or "__init__", a.name) for a in node.names]
    return out


def test_modules_form_no_circle_and_share_no_private_names():
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}
    for mod, imports in graph.items():
        for target, name in imports:
            assert not name.startswith("_"), f"preimage/{mod}.py imports the private {name} from .{target}"
            assert target != "__init__", f"preimage/{mod}.py imports the package itself"
    seen, done = set(), set()

    def visit(mod, path):
        assert mod not in seen or mod in done, f"import circle: {' -> '.join(path)}"
        if mod in done:
            return
        seen.add(mod)
        for target, _ in graph.get(mod, ()):
            visit(target, path + [target])
        done.add(mod)

    for mod in graph:
        visit(mod, [mod])


def test_public_names_unchanged():
    from relucid.preimage import (  # noqa: F401  (the names relucid.preimage had before it became a package)
        IncompletePreimageWarning,
        Preimage,
        PreimageStats,
        as_domain,
        as_output_set,
        preimage,
    )

    assert rl.preimage is preimage and rl.Preimage is Preimage


def test_old_module_paths_warn_and_keep_working(monkeypatch):
    """``relucid.preimage_layers`` / ``relucid.preimage_box`` still import (with a DeprecationWarning)."""
    from relucid.preimage import BOX_SLACK, Stage, box_preimage, preimage_layers

    monkeypatch.setattr(rl, "preimage_layers", preimage_layers)  # importing the old module rebinds it; restored after
    monkeypatch.setattr(rl, "preimage_box", None, raising=False)
    names = ("relucid.preimage_layers", "relucid.preimage_box")
    try:
        for name in names:
            sys.modules.pop(name, None)
        with pytest.warns(DeprecationWarning, match="relucid.preimage_layers is deprecated.*relucid.preimage"):
            from relucid.preimage_layers import Stage as OldStage
            from relucid.preimage_layers import preimage_layers as old_layers
        assert OldStage is Stage and old_layers is preimage_layers
        with pytest.warns(DeprecationWarning, match="relucid.preimage_box is deprecated"):
            from relucid.preimage_box import BOX_SLACK as old_slack
            from relucid.preimage_box import box_preimage as old_box
        assert old_box is box_preimage and old_slack == BOX_SLACK
        # rl.preimage_layers is now the old module, which still runs the function (the public call keeps working)
        net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [1.0])])
        stages, stats = rl.preimage_layers(net, "y0 <= 2")
        assert stages[-1].union.contains([[0.5], [1.5]]).tolist() == [True, False] and stats.complete
    finally:
        for name in names:
            sys.modules.pop(name, None)


def test_the_search_uses_the_one_phase_encoding():
    """Stable neurons found by DeepPoly are stored as ON / OFF, the rest FREE (relucid.phases)."""
    from relucid.preimage.forward import ForwardSearch
    from relucid.preimage.inputs import as_domain, as_output_set

    net = rl.Network([rl.Dense(np.eye(3), [5.0, -5.0, 0.0], "relu"), rl.Dense(np.ones((1, 3)), [0.0])])
    dom = as_domain(net, "-1 <= x0 <= 1, -1 <= x1 <= 1, -1 <= x2 <= 1")
    search = ForwardSearch(net, as_output_set(net, "y0 <= 5.5"), dom, max_pieces=None, timeout=None, reduce=True,
                           progress=False)
    assert search.fixed[0].tolist() == [ON, OFF, FREE] and search.fixed[0].dtype == np.int8
    assert search.stats.stable == 2
    pre = rl.preimage(net, "y0 <= 5.5", domain=dom)
    assert sorted(tuple(bits) for bits in pre.patterns) == [(True, False, False), (True, False, True)]
