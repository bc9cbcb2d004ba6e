"""``relucid characterize``: a region of inputs around x on which an output property provably holds.

Wired into the command line by :func:`register`::

    relucid characterize NET --x "0.1,0.2" --property "class 1" \\
        --domain "-1 <= x0 <= 1, -1 <= x1 <= 1" [--method relaxed --logit-factor 0.5] [--json]
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InvalidValueError
from ._common import add_input_arguments, constraints_text, emit, load_network, parse_domain, parse_vector

__all__ = ["characterize", "parse_property", "register"]

#: Constraint rows are printed in full only for networks with at most this many inputs.
MAX_PRINTED_INPUTS = 12

_CLASS = re.compile(r"^\s*class\s+(\S+)\s*$", re.IGNORECASE)


def register(sub, common) -> None:
    """Add the ``characterize`` sub-command to an argparse sub-parser collection."""
    s = sub.add_parser(
        "characterize", parents=[common],
        help="a region around an input on which an output property provably holds (minimal activation pattern)",
    )
    s.add_argument("net", help="network file (.onnx, .nnet, .npz) or example:NAME")
    add_input_arguments(s, "the start input")
    s.add_argument("--property", type=constraints_text, default=None,
                   help='"class C" (class C wins; default: the class predicted at x) or output constraints, '
                        'e.g. "y0 >= y1, y0 >= y2"')
    s.add_argument("--domain", type=constraints_text, required=True,
                   help='the bounded input domain the proofs are over, e.g. "-1 <= x0 <= 1, -1 <= x1 <= 1"')
    s.add_argument("--method", choices=("baseline", "relaxed"), default="baseline")
    s.add_argument("--logit-factor", type=float, default=0.5,
                   help="relaxed method: ε = factor · margin of x, strictly between 0 and 1 (default 0.5)")
    s.add_argument("--timeout", type=float, default=None,
                   help="seconds per verifier call; a run makes one call per hidden layer plus one per neuron "
                        "tried, so it can take many times this (see --total-timeout)")
    s.add_argument("--total-timeout", type=float, default=None,
                   help="seconds for all verifier calls together; when spent, the neurons not yet tried stay "
                        "fixed (the region is still proven, but maybe not minimal)")
    s.add_argument("--no-grow", action="store_true", help="UA box: the maximum-volume box only, not grown")
    s.set_defaults(func=characterize)


def parse_property(text: str | None, net, x: np.ndarray):
    """``"class C"`` or output constraints (``y0 >= y1``) → a Property; None: the class predicted at ``x``."""
    from ..characterize import class_property
    from ..geometry.parse import parse_constraints
    from ..verify import OutputIn

    if text is None:
        y = net(x)
        c = int(y[0] > 0) if net.output_dim == 1 else int(np.argmax(y))
        return class_property(net.output_dim, c)
    m = _CLASS.match(text)
    if m:
        try:
            c = int(m.group(1))
        except ValueError:
            raise InvalidValueError(f"--property: expected 'class N' with an integer N; got {text!r}") from None
        return class_property(net.output_dim, c)
    return OutputIn(parse_constraints(text, net.output_dim, var="y"))


def characterize(args) -> int:
    from ..characterize import convex_region
    from ..deadline import Deadline
    from ..geometry import Box

    net = load_network(args.net)
    x = parse_vector(args.x, args.x_file, net.input_dim)
    domain = parse_domain(args.domain, net, x=x)
    lo, hi = domain.bounding_box()
    if np.all(np.count_nonzero(domain.A, axis=1) == 1) and np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
        domain = Box(lo, hi)  # axis-aligned rows only: the box is the same set
    prop = parse_property(args.property, net, x)
    deadline = Deadline.after(args.total_timeout, who="characterize --total-timeout")
    ch = convex_region(net, x, prop, args.method, args.logit_factor, domain=domain, timeout=args.timeout,
                        total_timeout=args.total_timeout)
    if args.total_timeout is not None:  # the boxes share the budget (at least a second, so one is returned)
        ch.ua_box(timeout=max(deadline.remaining(), 1.0))
    payload = ch.to_dict()
    box = ch.ua_box(grow=not args.no_grow)
    payload["ua_box"] = {"lo": box.lo, "hi": box.hi, "log_volume": ch.ua_log_volume(grow=not args.no_grow)}
    payload["output_at_x"] = net(x)
    emit(args, payload, _text(ch, payload, net))
    return 0


def _text(ch, payload: dict, net) -> str:
    from ..geometry.parse import format_row

    pat = payload["pattern"]
    lines = [
        f"property        {payload['property']}",
        f"method          {ch.method}" + (f" (logit factor {ch.logit_factor:g})" if ch.logit_factor is not None else ""),
        f"pattern         {pat if len(pat) <= 200 else pat[:200] + '…'}",
        f"                {len(ch.pattern)} of {len(ch.start_pattern)} neurons fixed"
        + ("" if ch.reached_find_minimal else " (x's pattern does not imply the property: find_minimal not called)"),
        f"verifier calls  {ch.verifier_calls}"
        + ("" if ch.minimisation is None or ch.minimisation.minimal else " (some timed out: maybe not minimal)"),
    ]
    if ch.constraints.n_constraints and net.input_dim > MAX_PRINTED_INPUTS:
        lines.append(f"constraints     {ch.constraints.n_constraints} rows over {net.input_dim} inputs (see --json)")
    elif ch.constraints.n_constraints:
        rows = [
            format_row(a, b).replace("<=", "<" if s else "<=") for a, b, s in
            zip(ch.constraints.A, ch.constraints.b, ch.strict)
        ]
        lines.append("constraints     " + rows[0])
        lines += ["                " + r for r in rows[1:]]
    lines += [
        f"polyhedron      {ch.polyhedron.n_constraints} rows, "
        + ("exact (its closure is the closure of the region)" if ch.exact else "an inner approximation of the region"),
        f"UA box          log-volume {payload['ua_box']['log_volume']:.6g} (an inner approximation"
        + ("" if payload.get("ua_box_complete", True) else "; the budget ended its search early") + ")",
    ]
    return "\n".join(lines)
