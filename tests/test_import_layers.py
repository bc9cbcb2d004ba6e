"""The import graph of src/relucid: no circles, and imports point down the layers of ../shared/DESIGN.md.

Every ``import`` / ``from ... import`` in every module counts, also those
inside functions (a lazy import is still a dependency). A module importing a
name from a package's ``__init__`` depends on that ``__init__``; importing a
submodule depends on the submodule only.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "relucid"

#: The layers of DESIGN.md, lowest first. A module may import from its own
#: top-level package and from packages of a strictly lower rank; the top
#: layer (what users touch: cli, report, plot, explore and the ``relucid``
#: facade itself) may also import within itself; the circle test keeps that honest.
RANK = {
    "errors": 0, "tolerances": 0,
    "deadline": 0.25,
    "_validate": 0.5, "parallel": 0.5, "phases": 0.5, "_deprecated": 0.5,
    "network": 1,
    "geometry": 2,
    "regions": 3,
    "bounds": 4,
    "verify": 5,
    "io": 6,
    "examples": 7,
    "preimage": 8, "explain": 8, "characterize": 8, "naps": 8, "abstraction": 8,
    "plot": 9, "report": 9, "cli": 9, "explore": 9, "relucid": 9,
    # deprecated shims left at old import paths (they re-export the new modules)
    "preimage_box": 9, "preimage_layers": 9,
}
TOP = 9


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the relucid modules it imports (by AST)."""
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                subs = {f"{target}.{a.name}" for a in node.names} & modules.keys()
                names_from_init = any(f"{target}.{a.name}" not in modules for a in node.names)
                deps = subs | ({target} if names_from_init and target in modules else set())
            elif isinstance(node, ast.Import):
                deps = {a.name for a in node.names} & modules.keys()
            else:
                continue
            edges[name] |= deps - {name}
    for name in modules:
        edges.setdefault(name, set())
    return dict(edges)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "relucid"


def test_every_package_has_a_layer():
    packages = {_package(m) for m in import_graph()}
    assert not packages - RANK.keys(), f"add these to RANK (and to DESIGN.md's picture): {packages - RANK.keys()}"


def test_no_import_circles():
    found = circles(import_graph())
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_imports_point_down_the_layers():
    bad = []
    for a, deps in import_graph().items():
        pa = _package(a)
        for b in deps:
            pb = _package(b)
            if pa == pb or RANK[pb] < RANK[pa] or (RANK[pa] == TOP and RANK[pb] == TOP):
                continue
            bad.append(f"{a} (layer {RANK[pa]}) imports {b} (layer {RANK[pb]})")
    assert not bad, "imports that point up or sideways:\n" + "\n".join(sorted(bad))


def test_the_checker_sees_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
