"""Implementations of the ``relucid`` commands (argument parsing is in cli.py)."""

from __future__ import annotations

import time

import numpy as np

from ._cli_args import check_domain, read_names_file
from .cli import emit, load_network, parse_domain, parse_vector
from .errors import InvalidValueError
from .geometry.parse import parse_constraints


def info(args) -> int:
    net = load_network(args.net)
    layers = [
        {
            "index": i,
            "in": layer.in_dim,
            "out": layer.out_dim,
            "activation": layer.activation,
            "alpha": layer.alpha,
            "name": layer.name,
        }
        for i, layer in enumerate(net.layers)
    ]
    payload = {
        "input_dim": net.input_dim,
        "output_dim": net.output_dim,
        "n_layers": len(net.layers),
        "n_piecewise_linear_neurons": net.n_pattern_neurons,
        "n_parameters": net.n_parameters,
        "piecewise_linear": net.is_piecewise_linear,
        "layers": layers,
    }
    emit(args, payload, net.summary())
    return 0


def region(args) -> int:
    from .regions import region as region_of

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
    from .regions import planar_regions, regions as all_regions

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
        classes = np.einsum("nij,nj->ni", W, centres).argmax(axis=1) if W.shape[1] > 1 else (sub.evaluate(centres, np.arange(len(sub)))[:, 0] > 0).astype(int)
        entries = [
            {"pattern": sub.pattern(i).to_string(net), "vertices": polys[i], "area": float(a), "class_at_centre": int(k)}
            for i, (a, k) in enumerate(zip(sub.area(), classes))
        ]
        n, method, complete = len(sub), "planar", sub.complete
        if args.plot:
            from .plot import plot_subdivision

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


def preimage(args) -> int:
    from .geometry.parse import format_row
    from .preimage import as_domain, as_output_set, preimage as run_preimage

    net = load_network(args.net)
    if args.plot and net.input_dim > 2:  # refuse before the work, not after it
        raise InvalidValueError(f"--plot: only 1-D and 2-D inputs can be drawn; the network takes {net.input_dim}")
    ys = as_output_set(net, args.output)
    domain = None if args.domain is None else check_domain(as_domain(net, args.domain), args.domain)
    pre = run_preimage(net, parse_constraints(args.output, net.output_dim, var="y"), domain, method=args.method,
                       max_pieces=args.max_pieces, timeout=args.timeout, progress=args.progress)
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
    from .geometry import PolyUnion
    from .plot import plot_preimage

    lo, hi = domain.bounding_box() if domain is not None else (np.full(net.input_dim, -np.inf), np.full(net.input_dim, np.inf))
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        plo, phi = pre.bounding_box()
        span = np.where(np.isfinite(plo) & np.isfinite(phi), np.maximum(phi - plo, 1.0), 10.0)
        lo = np.where(np.isfinite(lo), lo, np.where(np.isfinite(plo), plo - 0.25 * span, -5.0))
        hi = np.where(np.isfinite(hi), hi, np.where(np.isfinite(phi), phi + 0.25 * span, 5.0))
    ax = plot_preimage(net, pre, lo, hi, output_set=PolyUnion(ys))
    ax.figure.savefig(path, dpi=130, bbox_inches="tight")


def explain(args) -> int:
    from .explain import why, why_not

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
                       norm=args.norm, feature_names=features, domain=domain, class_names=classes)
    payload = expl.to_dict()
    text = expl.text
    if args.plot:
        from .plot import plot_explanation

        ax = plot_explanation(expl, domain=domain)
        ax.figure.savefig(args.plot, dpi=130, bbox_inches="tight")
        text += f"\nplot written to {args.plot}"
        payload["plot"] = args.plot
    emit(args, payload, text)
    return 0


def _names_file(path, n: int, flag: str, what: str):
    """Names from a text file, one per line, checked against ``n``; None without a file."""
    return None if path is None else read_names_file(path, n, flag, what)


def verify(args) -> int:
    from .io.vnnlib import load_vnnlib
    from .regions.pattern import Pattern
    from .verify import verify as run_verify

    net = load_network(args.net)
    input_set, prop = load_vnnlib(args.property, input_dim=net.input_dim, output_dim=net.output_dim)
    pattern = Pattern.from_string(net, args.pattern) if args.pattern else None
    if args.engine == "marabou":
        from .verify.marabou import verify_marabou

        result = verify_marabou(net, input_set, prop, pattern=pattern, timeout=args.timeout)
    else:
        result = run_verify(net, input_set, prop, pattern=pattern, timeout=args.timeout,
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
