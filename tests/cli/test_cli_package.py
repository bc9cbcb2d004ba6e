"""The shape of the ``relucid.cli`` package: every command registered one way, command modules independent."""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

import relucid.cli as cli

PACKAGE = Path(cli.__file__).parent
NOT_COMMANDS = {"__init__", "__main__", "_common"}


def _command_modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in NOT_COMMANDS)


def _package_imports(path: Path) -> set[str]:
    """The modules of ``relucid.cli`` that ``path`` imports (relative or absolute)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found |= {node.module} if node.module else {a.name for a in node.names}
            elif node.level == 0 and node.module and node.module.startswith("relucid.cli"):
                found.add(node.module.removeprefix("relucid.cli").lstrip(".") or "__init__")
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("relucid.cli").lstrip(".") for a in node.names
                      if a.name.startswith("relucid.cli")}
    return found


def test_every_command_module_registers_and_is_listed_once():
    names = _command_modules()
    assert names, PACKAGE
    assert sorted(m.__name__.rsplit(".", 1)[1] for m in cli.COMMANDS) == names
    for module in cli.COMMANDS:
        assert callable(getattr(module, "register", None)), module.__name__


def test_command_modules_import_only_common():
    for name in _command_modules():
        assert _package_imports(PACKAGE / f"{name}.py") <= {"_common"}, name
    assert _package_imports(PACKAGE / "_common.py") == set()


def test_help_lists_every_command_in_order(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    commands = ["info", "region", "regions", "verify", "preimage", "characterize", "naps", "abstract", "explain",
                "tour", "report"]
    positions = [out.index(f"\n    {c}") for c in commands]
    assert positions == sorted(positions), out


def test_entry_point_is_main():
    """``relucid.cli:main`` stays the console script (``python -m relucid.cli``: tests/cli/test_cli.py)."""
    (script,) = [e for e in metadata.entry_points(group="console_scripts") if e.name == "relucid"]
    assert script.value == "relucid.cli:main" and script.load() is cli.main


def test_import_scan_sees_imports_between_commands(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from . import naps\nfrom .regions import region\nimport relucid.cli.verify\n"
                   "from relucid.cli._common import emit\nfrom ..errors import ShapeError\n")
    assert _package_imports(bad) == {"naps", "regions", "verify", "_common"}
