"""The ``relucid`` command line.

Every command takes ``--json`` for machine-readable output. Errors print one
line on stderr naming the cause and exit with code 2 (``--debug`` shows the
traceback instead).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from pathlib import Path

import numpy as np

from . import _cli_args as arg
from .errors import RelucidError

EXAMPLE_PREFIX = "example:"


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

    from . import cli_commands as cmd

    s = sub.add_parser("info", parents=[common], help="layers, neurons, parameters of a network")
    s.add_argument("net", help="network file (.onnx, .nnet, .npz) or example:NAME")
    s.set_defaults(func=cmd.info)

    s = sub.add_parser("region", parents=[common], help="the linear region of an input")
    s.add_argument("net")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--x", help='the input, comma-separated: "0.1,0.2"')
    g.add_argument("--x-file", help="the input as a .npy or text file")
    s.add_argument("--domain", type=arg.constraints_text, help='input constraints, e.g. "0 <= x0 <= 1, 0 <= x1 <= 1"')
    s.set_defaults(func=cmd.region)

    s = sub.add_parser("regions", parents=[common], help="every linear region in a bounded 2-D/low-D domain")
    s.add_argument("net")
    s.add_argument("--domain", type=arg.constraints_text, required=True,
                   help='bounded input constraints, e.g. "-1 <= x0 <= 1, -1 <= x1 <= 1"')
    s.add_argument("--plot", type=arg.figure_path, help="write a figure of the regions (2-D only; .png, .svg, .pdf, ...)")
    s.add_argument("--timeout", type=arg.positive_seconds, default=None, help="stop after this many seconds")
    s.add_argument("--max-regions", type=arg.positive_int, default=None, help="stop after this many regions")
    s.set_defaults(func=cmd.regions)

    s = sub.add_parser("verify", parents=[common], help="prove or falsify a VNN-LIB property (sat / unsat / timeout)")
    s.add_argument("net")
    s.add_argument("property", help="a .vnnlib file (its assertions describe a counterexample)")
    s.add_argument("--timeout", type=arg.positive_seconds, default=None,
                   help="seconds; at expiry the answer is 'timeout'")
    s.add_argument("--engine", choices=("relucid", "marabou"), default="relucid")
    s.add_argument("--method", choices=("auto", "input-split", "milp"), default="auto",
                   help="relucid's complete back end (default: auto)")
    s.add_argument("--pattern", help="fix neuron phases: layer strings of 1 (on) 0 (off) * (free) joined by '|'")
    s.add_argument("--progress", action="store_true", help="show a progress bar")
    s.set_defaults(func=cmd.verify)

    s = sub.add_parser("preimage", parents=[common], help="every input whose output lies in a polyhedral set")
    s.add_argument("net")
    s.add_argument("--output", type=arg.constraints_text, required=True,
                   help='output constraints, e.g. "y0 <= y1" (outputs y0, y1, ...)')
    s.add_argument("--domain", type=arg.constraints_text, help='input constraints, e.g. "0 <= x0 <= 1, 0 <= x1 <= 1"')
    s.add_argument("--method", choices=("exact", "under", "box"), default="exact")
    s.add_argument("--max-pieces", type=arg.positive_int, default=None, help="under: pieces to return (default 10)")
    s.add_argument("--timeout", type=arg.positive_seconds, default=None,
                   help="seconds (exact: stop early, marked incomplete)")
    s.add_argument("--show", type=arg.nonnegative_int, default=5, help="pieces printed in the text output (default 5)")
    s.add_argument("--plot", type=arg.figure_path, help="write a figure of the preimage (1-D and 2-D inputs)")
    s.add_argument("--progress", action="store_true", help="show a progress bar")
    s.set_defaults(func=cmd.preimage)

    from . import cli_characterize

    cli_characterize.register(sub, common)

    from . import cli_naps

    cli_naps.register(sub, common)

    from . import cli_abstract

    cli_abstract.register(sub, common)

    s = sub.add_parser("explain", parents=[common], help="why the network picks its class at x, and why not another")
    s.add_argument("net")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--x", help='the input, comma-separated: "0.1,0.2"')
    g.add_argument("--x-file", help="the input as a .npy or text file")
    s.add_argument("--why-not", type=arg.nonnegative_int, default=None, metavar="CLASS",
                   help="explain why not this class")
    s.add_argument("--features", help="a text file with one feature name per line")
    s.add_argument("--classes", help="a text file with one class name per line")
    s.add_argument("--domain", type=arg.constraints_text, help='input constraints, e.g. "0 <= x0 <= 1, 0 <= x1 <= 1"')
    s.add_argument("--norm", choices=("inf", "1", "2"), default="inf", help="why-not: distance to the nearest point")
    s.add_argument("--max-hamming", type=arg.nonnegative_int, default=None,
                   help="why-not: most facet crossings to search")
    s.add_argument("--timeout", type=arg.positive_seconds, default=60.0, help="why-not: seconds (default 60)")
    s.add_argument("--jobs", type=arg.jobs, default=None, help="why-not: parallel LP workers (-1: every core)")
    s.add_argument("--plot", type=arg.figure_path,
                   help="write a figure of the region map with the explanation (2-D inputs)")
    s.set_defaults(func=cmd.explain)

    from . import cli_report

    cli_report.register(sub, common)
    return p


def load_network(spec: str):
    """A network from a path or ``example:NAME``."""
    from .examples import load_example_network
    from .io import load

    if spec.startswith(EXAMPLE_PREFIX):
        return load_example_network(spec[len(EXAMPLE_PREFIX) :])
    return load(Path(spec))


def parse_vector(text: str | None, file: str | None, dim: int, *, what: str = "--x") -> np.ndarray:
    """An input vector from ``--x "a,b,c"`` or ``--x-file`` (``.npy`` or text), checked against ``dim``."""
    from .errors import ShapeError

    if file is not None:
        return arg.read_vector_file(file, dim)
    try:
        x = np.array([float(v) for v in text.replace(";", ",").split(",") if v.strip()])
    except ValueError:
        raise ShapeError(f"{what}: expected comma-separated numbers; got {text!r}") from None
    if x.shape[0] != dim:
        raise ShapeError(f"{what} has {x.shape[0]} values but the network takes {dim} inputs")
    if not np.all(np.isfinite(x)):
        raise ShapeError(f"{what} contains NaN or inf")
    return x


def parse_domain(text: str | None, net, *, x: np.ndarray | None = None):
    """``--domain`` as a Polyhedron (None without the option); an empty domain, or one without ``x``, is refused."""
    from .geometry.parse import parse_constraints

    if text is None:
        return None
    return arg.check_domain(parse_constraints(text, net.input_dim), text, x=x)


def emit(args, payload: dict, text: str) -> None:
    """Print JSON (with --json) or text."""
    if args.json:
        print(json.dumps(payload, indent=2, default=_jsonable))
    else:
        print(text)


def _jsonable(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


if __name__ == "__main__":
    sys.exit(main())
