"""``relucid region`` and ``relucid regions``: the linear region of an input, every region of a domain."""

from __future__ import annotations

import time

import numpy as np

from ..errors import InvalidValueError
from ._common import (add_input_arguments, constraints_text, emit, figure_path, load_network, parse_domain, parse_vector, positive_int,
                      positive_seconds)

__all__ = ["region", "regions", "register"]


def register(sub, common) -> None:
    """Add ``region`` and ``regions`` to an argparse subparsers object."""
    s = sub.add_parser("region", parents=[common], help="the linear region of an input")
    s.add_argument("net")
    add_input_arguments(s)
    s.add_argument("--domain", type=constraints_text, help='input constraints, e.g. "0 <= x0 <= 1, 0 <= x1 <= 1"')
    s.set_defaults(func=region)

    s = sub.add_parser("regions", parents=[common], help="every linear region in a bounded 2-D/low-D domain")
    s.add_argument("net")
    s.add_argument("--domain", type=constraints_text, required=True,
                   help='bounded input constraints, e.g. "-1 <= x0 <= 1, -1 <= x1 <= 1"')
    s.add_argument("--plot", type=figure_path, help="write a figure of the regions (2-D only; .png, .svg, .pdf, ...)")
    s.add_argument("--timeout", type=positive_seconds, default=None, help="stop after this many seconds")
    s.add_argument("--max-regions", type=positive_int, default=None, help="stop after this many regions")
    s.set_defaults(func=regions)


def region(args) -> int:
    from ..regions import region as region_of

    net = load_network(args.net)
    x = parse_vector(args.x, args.x_file, net.input_dim)
    domain = parse_domain(args.domain, net, x=x)
    reg = region_of(net, x, domain=domain)
    facets = reg.facets()
    ball = reg.chebyshev_center()
    W, b = reg.affine
    y = net(x)
    payload = {
        "x": x,
        "output": y,
        "pattern": reg.pattern.to_string(net),
        "n_on": len(reg.pattern.on),
        "n_off": len(reg.pattern.off),
        "n_constraints": reg.polyhedron.n_constraints,
        "n_facets": len(facets),
        "facet_neurons": [list(f.neuron) if f.neuron is not None else None for f in facets],
        "affine_W": W,
        "affine_b": b,
        "chebyshev_center": ball.center,
        "chebyshev_radius": ball.radius,
    }
    lines = [
        f"pattern         {payload['pattern'] if len(payload['pattern']) <= 200 else payload['pattern'][:200] + '…'}",
        f"                {payload['n_on']} on, {payload['n_off']} off",
        f"facets          {len(facets)} non-redundant of {reg.polyhedron.n_constraints} constraints "
        f"({sum(f.neuron is None for f in facets)} from the domain)",
        f"chebyshev       radius {ball.radius:.6g}",
        f"output          {np.array2string(y, precision=6, max_line_width=100)}",
    ]
    if W.size <= 120:
        lines.append("local map       y = W x + b with")
        lines.append("W =\n" + np.array2string(W, precision=6, max_line_width=120))
        lines.append("b = " + np.array2string(b, precision=6, max_line_width=120))
    else:
        lines.append(f"local map       y = W x + b, W of shape {W.shape} (use --json for the entries)")
    emit(args, payload, "\n".join(lines))
    return 0


def regions(args) -> int:
    from ..regions import planar_regions, regions as all_regions

    net = load_network(args.net)
    domain = parse_domain(args.domain, net)
    lo, hi = domain.bounding_box()
    if args.plot and net.input_dim != 2:  # refuse before the work, not after it
        raise InvalidValueError(f"--plot: only 2-input networks can be drawn; this one takes {net.input_dim} inputs")
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise InvalidValueError(f"regions: the domain {args.domain!r} is unbounded; bound every input, e.g. '-1 <= x0 <= 1'")
    t0 = time.perf_counter()
    if net.input_dim == 2:  # planar subdivision: no LP, regioncam-class speed
        sub = planar_regions(net, domain, timeout=args.timeout, max_regions=args.max_regions, progress=not args.json)
        elapsed = time.perf_counter() - t0
        polys = sub.polygons()
        W, c = sub.affine
        centres = sub.interior_points()
        Y = np.einsum("nij,nj->ni", W, centres) + c  # each face's output at its interior point
        classes = Y.argmax(axis=1) if Y.shape[1] > 1 else (Y[:, 0] > 0).astype(int)
        entries = [
            {"pattern": sub.pattern(i).to_string(net), "vertices": polys[i], "area": float(a), "class_at_centre": int(k)}
            for i, (a, k) in enumerate(zip(sub.area(), classes))
        ]
        n, method, complete = len(sub), "planar", sub.complete
        if args.plot:
            from ..plot import plot_subdivision

            ax = plot_subdivision(sub)
            ax.figure.savefig(args.plot, dpi=130, bbox_inches="tight")
    else:
        found = list(all_regions(net, domain, timeout=args.timeout, max_regions=args.max_regions, progress=not args.json))
        elapsed = time.perf_counter() - t0
        entries = [
            {
                "pattern": r.pattern.to_string(net),
                "n_facets": len(r.nonredundant_rows),
                "vertices": r.reduced().vertices() if net.input_dim <= 3 else None,
            }
            for r in found
        ]
        n, method = len(found), "march"
        complete = args.timeout is None and args.max_regions is None or n < (args.max_regions or np.inf)
    payload = {"n_regions": n, "seconds": elapsed, "method": method, "complete": bool(complete), "regions": entries}
    text = f"{n} linear regions in the domain ({elapsed:.3f} s, {method})"
    if not complete:
        text += " — stopped early: incomplete"
    if args.plot:
        text += f"; plot written to {args.plot}"
    emit(args, payload, text)
    return 0
