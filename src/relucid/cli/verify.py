"""``relucid verify``: prove or falsify a VNN-LIB property (sat / unsat / timeout)."""

from __future__ import annotations

from ._common import emit, load_network, positive_seconds

__all__ = ["register", "verify"]


def register(sub, common) -> None:
    """Add ``verify`` to an argparse subparsers object."""
    s = sub.add_parser("verify", parents=[common], help="prove or falsify a VNN-LIB property (sat / unsat / timeout)")
    s.add_argument("net")
    s.add_argument("property", help="a .vnnlib file (its assertions describe a counterexample)")
    s.add_argument("--timeout", type=positive_seconds, default=None,
                   help="seconds, counted from the start of the command's work (loading the network and "
                        "the property included; Python's start-up, ~0.6 s, is not); at expiry the answer is 'timeout'")
    s.add_argument("--engine", choices=("relucid", "marabou"), default="relucid")
    s.add_argument("--method", choices=("auto", "input-split", "milp"), default="auto",
                   help="relucid's complete back end (default: auto)")
    s.add_argument("--pattern", help="fix neuron phases: layer strings of 1 (on) 0 (off) * (free) joined by '|'")
    s.add_argument("--progress", action="store_true", help="show a progress bar")
    s.set_defaults(func=verify)


def verify(args) -> int:
    from ..deadline import Deadline, DeadlineExpired
    from ..io.vnnlib import load_vnnlib
    from ..regions.pattern import Pattern
    from ..verify import Result
    from ..verify import verify as run_verify

    deadline = Deadline.after(args.timeout)  # loading and parsing count against --timeout too
    net = load_network(args.net)
    try:
        input_set, prop = load_vnnlib(args.property, input_dim=net.input_dim, output_dim=net.output_dim,
                                      deadline=deadline)
    except DeadlineExpired:
        input_set = prop = None
    pattern = Pattern.from_string(net, args.pattern) if args.pattern else None
    left = deadline.seconds()
    if prop is None or (left is not None and left <= 0.01):
        result = Result("unknown", time=args.timeout, method="parse",
                        note="timeout (spent loading the network and the property)")
    elif args.engine == "marabou":
        from ..verify.marabou import verify_marabou

        result = verify_marabou(net, input_set, prop, pattern=pattern, timeout=left)
    else:
        result = run_verify(net, input_set, prop, pattern=pattern, timeout=left,
                            method=args.method, progress=args.progress)
    lines = [result.vnncomp]
    if result.counterexample is not None:
        pairs = [f"(X_{i} {v!r})" for i, v in enumerate(result.counterexample.tolist())]
        pairs += [f"(Y_{j} {v!r})" for j, v in enumerate(result.output.tolist())]
        lines.append("(" + "\n ".join(pairs) + ")")
    detail = f"; {result.engine}: {result.status} in {result.time:.3f} s ({result.method})"
    if result.note:
        detail += f"; {result.note}"
    lines.append(detail)
    emit(args, result.to_dict(), "\n".join(lines))
    return 0
