"""``relucid tour`` and ``relucid report``: one self-contained HTML report over every analysis.

    relucid tour [--out DIR]                       # the shipped examples
    relucid report NET DATA.npz [--out DIR]        # your network and data

Both write ``DIR/index.html``, print its path and one line per section, and
show a progress bar on stderr (not with ``--json``). Bad inputs (a missing
file, a model relucid cannot read, data whose width does not match the
network) print one line on stderr and exit with code 2; a section that fails
while the report is built is shown as failed in the page and the command
exits with code 1 (``--debug`` raises the section's error instead, ``-v``
logs its traceback). :func:`register` adds both commands to the ``relucid``
parser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import emit

__all__ = ["register", "report", "tour"]


def register(sub, common) -> None:
    """Add ``tour`` and ``report`` to an argparse subparsers object."""
    s = sub.add_parser("tour", parents=[common],
                       help="every analysis on the shipped examples: one self-contained HTML report")
    s.add_argument("--out", type=_out_folder, default="relucid-tour",
                   help="output folder (default: ./relucid-tour); an index.html there is replaced, a link is refused")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(func=tour)

    s = sub.add_parser("report", parents=[common],
                       help="the same report for your network and data (the sections that fit its dimensions)")
    s.add_argument("net", help="network file (.onnx, .nnet, .npz) or example:NAME")
    s.add_argument("data", help="data archive .npz: X (inputs), optional y (labels or targets), feature_names, "
                                "class_names, lo, hi (the input domain; default: the data's range)")
    s.add_argument("--out", type=_out_folder, default="relucid-report",
                   help="output folder (default: ./relucid-report); an index.html there is replaced, a link is refused")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(func=report)


def _out_folder(text: str) -> str:
    """``--out``: an output folder; an empty string is refused (it would mean the working directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected an output folder; got an empty string")
    return text


def tour(args) -> int:
    from ..report import tour as run_tour

    _check_out(args.out)  # before the work, not after it
    rep = run_tour(progress=not (args.json or args.no_progress), strict=args.debug)
    return _finish(args, rep)


def report(args) -> int:
    from ..report import build_report

    _check_out(args.out)
    rep = build_report(args.net, args.data, progress=not (args.json or args.no_progress), strict=args.debug)
    return _finish(args, rep)


def _check_out(out) -> bool:
    """Whether ``out/index.html`` exists (refusing a link or a non-file there, or an ``out`` that is no folder)."""
    from ..report.build import report_exists

    return report_exists(Path(out))


def _finish(args, rep) -> int:
    replaced = _check_out(args.out)
    path = rep.write(Path(args.out))  # logs "replacing the existing report ..." on stderr when it does
    payload = rep.to_dict()
    payload["report"] = str(path)
    payload["replaced"] = replaced
    emit(args, payload, rep.summary() + f"\nreport: {path}" + (" (replaced the previous report)" if replaced else ""))
    if rep.failed:
        names = ", ".join(s.title for s in rep.failed)
        print(f"relucid: {len(rep.failed)} section(s) failed: {names} (the report shows the errors)", file=sys.stderr)
        return 1
    return 0
