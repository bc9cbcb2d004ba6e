"""``relucid explain``: why the network picks its class at x, and why not another."""

from __future__ import annotations

from ..errors import InvalidValueError
from ._common import (add_input_arguments, constraints_text, emit, figure_path, jobs, load_network, nonnegative_int, parse_domain,
                      parse_vector, positive_seconds, read_names_file)

__all__ = ["explain", "register"]


def register(sub, common) -> None:
    """Add ``explain`` to an argparse subparsers object."""
    s = sub.add_parser("explain", parents=[common], help="why the network picks its class at x, and why not another")
    s.add_argument("net")
    add_input_arguments(s)
    s.add_argument("--why-not", type=nonnegative_int, default=None, metavar="CLASS",
                   help="explain why not this class")
    s.add_argument("--features", help="a text file with one feature name per line")
    s.add_argument("--classes", help="a text file with one class name per line")
    s.add_argument("--domain", type=constraints_text, help='input constraints, e.g. "0 <= x0 <= 1, 0 <= x1 <= 1"')
    s.add_argument("--norm", choices=("inf", "1", "2"), default="inf", help="why-not: distance to the nearest point")
    s.add_argument("--max-hamming", type=nonnegative_int, default=None,
                   help="why-not: most facet crossings to search")
    s.add_argument("--method", choices=("auto", "march", "engine"), default="auto",
                   help="why-not: march over regions by facet crossings, or find the nearest input with the "
                        "verification engine (L-inf, L1); auto: march for small networks and L2, else engine")
    s.add_argument("--timeout", type=positive_seconds, default=60.0, help="why-not: seconds (default 60)")
    s.add_argument("--jobs", type=jobs, default=None, help="why-not: parallel LP workers (-1: every core)")
    s.add_argument("--plot", type=figure_path,
                   help="write a figure of the region map with the explanation (2-D inputs)")
    s.set_defaults(func=explain)


def explain(args) -> int:
    from ..explain import why, why_not

    net = load_network(args.net)
    if args.plot and net.input_dim != 2:  # refuse before the work, not after it
        raise InvalidValueError(f"--plot: only 2-input networks can be drawn; this one takes {net.input_dim} inputs")
    x = parse_vector(args.x, args.x_file, net.input_dim)
    features = _names_file(args.features, net.input_dim, "--features", "input")
    classes = _names_file(args.classes, net.output_dim, "--classes", "output")
    domain = parse_domain(args.domain, net, x=x)
    if args.why_not is None:
        expl = why(net, x, feature_names=features, domain=domain, class_names=classes)
    else:
        expl = why_not(net, x, args.why_not, max_hamming=args.max_hamming, timeout=args.timeout, n_jobs=args.jobs,
                       norm=args.norm, feature_names=features, domain=domain, class_names=classes,
                       method=args.method)
    payload = expl.to_dict()
    text = expl.text
    if args.plot:
        from ..plot import plot_explanation

        ax = plot_explanation(expl, domain=domain)
        ax.figure.savefig(args.plot, dpi=130, bbox_inches="tight")
        text += f"\nplot written to {args.plot}"
        payload["plot"] = args.plot
    emit(args, payload, text)
    return 0


def _names_file(path, n: int, flag: str, what: str):
    """Names from a text file, one per line, checked against ``n``; None without a file."""
    return None if path is None else read_names_file(path, n, flag, what)
