"""The ``relucid`` command line.

Every command takes ``--json`` for machine-readable output. Errors print one
line on stderr naming the cause and exit with code 2 (``--debug`` shows the
traceback instead).

One module per command group (:data:`COMMANDS`), each with
``register(sub, common)`` that adds its commands to the parser; the helpers
they share (argument types, readers, :func:`~relucid.cli._common.emit`) are in
:mod:`relucid.cli._common`. A command module imports nothing else of this
package. See docs/architecture.md, "The command line", to add a command.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from ..errors import RelucidError
from . import abstract, characterize, explain, info, naps, preimage, regions, report, verify

__all__ = ["COMMANDS", "main"]

#: The command modules, in the order ``relucid --help`` lists their commands.
COMMANDS = (info, regions, verify, preimage, characterize, naps, abstract, explain, report)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # noqa: D401
        # self.prog is the whole command: "relucid", "relucid naps", "relucid naps verify"
        self.exit(2, f"relucid: error: {_one_line(message)} (see '{self.prog} --help')\n")


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (0 done, 1 a bug or a failed report section, 2 a bad input)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    _configure_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    with warnings.catch_warnings():
        warnings.showwarning = _warning_printer(args.debug)
        return _run(args)


class _LogFormatter(logging.Formatter):
    """Log records as one line: progress (INFO) as it is, ``relucid: warning: ...`` from WARNING up."""

    def format(self, record: logging.LogRecord) -> str:
        text = _one_line(record.getMessage())
        if record.levelno >= logging.WARNING:
            return f"relucid: {record.levelname.lower()}: {text}"
        if record.exc_info:  # -v: a failed report section logs its traceback
            return super().format(record)
        return text


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_LogFormatter())
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


def _warning_printer(debug: bool):
    """``warnings.showwarning`` for the CLI: each warning is one line ``relucid: warning: ...`` on stderr.

    With ``--debug`` the line also names the warning's class and the source line that raised it.
    """

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        where = f" [{category.__name__} at {filename}:{lineno}]" if debug else ""
        print(f"relucid: warning: {_one_line(message)}{where}", file=sys.stderr if file is None else file)

    return show


def _run(args) -> int:
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except (RelucidError, OSError) as exc:
        if args.debug:
            raise
        print(f"relucid: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("relucid: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in relucid: still one line, but say so
        if args.debug:
            raise
        print(
            f"relucid: internal error ({type(exc).__name__}): {_one_line(exc)} — rerun with --debug and report it",
            file=sys.stderr,
        )
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress")
    p = _Parser(prog="relucid", description="Exact geometry of piecewise-linear neural networks.", parents=[common])
    sub = p.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub, common)
    return p
