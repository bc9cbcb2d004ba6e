"""``relucid preimage``: every input whose output lies in a polyhedral set."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from ._common import (check_domain, constraints_text, emit, figure_path, load_network, nonnegative_int, positive_int,
                      positive_seconds)

__all__ = ["preimage", "register"]


def register(sub, common) -> None:
    """Add ``preimage`` to an argparse subparsers object."""
    s = sub.add_parser("preimage", parents=[common], help="every input whose output lies in a polyhedral set")
    s.add_argument("net")
    s.add_argument("--output", type=constraints_text, required=True,
                   help='output constraints, e.g. "y0 <= y1" (outputs y0, y1, ...)')
    s.add_argument("--domain", type=constraints_text, help='input constraints, e.g. "0 <= x0 <= 1, 0 <= x1 <= 1"')
    s.add_argument("--method", choices=("exact", "under", "box"), default="exact")
    s.add_argument("--max-pieces", type=positive_int, default=None, help="under: pieces to return (default 10)")
    s.add_argument("--timeout", type=positive_seconds, default=None,
                   help="seconds, loading the network included (exact: stop early, marked incomplete)")
    s.add_argument("--show", type=nonnegative_int, default=5, help="pieces printed in the text output (default 5)")
    s.add_argument("--plot", type=figure_path, help="write a figure of the preimage (1-D and 2-D inputs)")
    s.add_argument("--progress", action="store_true", help="show a progress bar")
    s.set_defaults(func=preimage)


def preimage(args) -> int:
    from ..geometry.parse import format_row, parse_constraints
    from ..deadline import Deadline
    from ..preimage import as_domain, as_output_set, preimage as run_preimage

    deadline = Deadline.after(args.timeout)  # loading the network counts against --timeout too
    net = load_network(args.net)
    if args.plot and net.input_dim > 2:  # refuse before the work, not after it
        raise InvalidValueError(f"--plot: only 1-D and 2-D inputs can be drawn; the network takes {net.input_dim}")
    ys = as_output_set(net, args.output)
    domain = None if args.domain is None else check_domain(as_domain(net, args.domain), args.domain)
    pre = run_preimage(net, parse_constraints(args.output, net.output_dim, var="y"), domain=domain, method=args.method,
                       max_pieces=args.max_pieces, timeout=deadline.seconds(floor=0.01), progress=args.progress)
    s = pre.stats
    where = f" within {args.domain!r}" if args.domain is not None else ""
    lines = [f"preimage of {{{args.output}}}{where} ({args.method}): {len(pre)} pieces"]
    if len(pre) == 0:
        if args.method == "under" and not s.complete:
            lines.append("no piece found before the limit (an under-approximation proves nothing when empty)")
        elif s.complete:
            lines.append("EMPTY: no input" + (" in the domain" if args.domain is not None else "") + " maps into the output set (proof)")
    lines.append(f"explored {s.explored}, pruned {s.pruned}, returned {s.returned}, {s.lps} LPs, {s.time:.3f} s"
                 + ("" if s.complete else " (stopped early: an under-approximation)"))
    names = [f"x{i}" for i in range(net.input_dim)]
    for k, piece in enumerate(pre.pieces[: args.show]):
        rows = "; ".join(format_row(a, b, names) for a, b in zip(piece.A, piece.b))
        lines.append(f"  piece {k}: {rows}")
    if len(pre) > args.show:
        lines.append(f"  ... {len(pre) - args.show} more (--show N, or --json for all)")
    payload = pre.to_dict()
    payload["output"] = args.output
    payload["domain"] = args.domain
    if args.plot:
        _plot_preimage(net, pre, ys, domain, args.plot)
        lines.append(f"plot written to {args.plot}")
        payload["plot"] = args.plot
    emit(args, payload, "\n".join(lines))
    return 0


def _plot_preimage(net, pre, ys, domain, path) -> None:
    from ..geometry import PolyUnion
    from ..plot import plot_preimage

    lo, hi = domain.bounding_box() if domain is not None else (np.full(net.input_dim, -np.inf), np.full(net.input_dim, np.inf))
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        plo, phi = pre.bounding_box()
        span = np.where(np.isfinite(plo) & np.isfinite(phi), np.maximum(phi - plo, 1.0), 10.0)
        lo = np.where(np.isfinite(lo), lo, np.where(np.isfinite(plo), plo - 0.25 * span, -5.0))
        hi = np.where(np.isfinite(hi), hi, np.where(np.isfinite(phi), phi + 0.25 * span, 5.0))
    ax = plot_preimage(net, pre, lo, hi, output_set=PolyUnion(ys))
    ax.figure.savefig(path, dpi=130, bbox_inches="tight")
