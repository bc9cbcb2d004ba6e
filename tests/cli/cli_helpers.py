"""Helpers shared by the tests of ``relucid.cli`` (importable as ``cli_helpers``: pytest puts this folder on
``sys.path`` for the test modules in it)."""

from __future__ import annotations

from relucid.cli import main

__all__ = ["refused", "run"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *argv, fragment: str) -> str:
    """Run the CLI and check: exit 2, one line on stderr containing ``fragment``, no traceback, nothing on stdout."""
    code, out, err = run(capsys, *argv)
    assert code == 2, (argv, code, out, err)
    assert err.count("\n") == 1 and err.startswith("relucid: error:"), err
    assert "Traceback" not in err and "internal error" not in err
    assert fragment in err, err
    assert out == ""
    return err
