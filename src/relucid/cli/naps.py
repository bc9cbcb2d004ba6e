"""``relucid naps``: mine NAPs, tabulate them on data, verify NAP properties.

    relucid naps mine NET DATA.npz --delta 0.99 --out naps.json
    relucid naps table NET DATA.npz naps.json [more.json ...] [--heatmap overlap.png]
    relucid naps verify NET naps.json --property robust|augmented|non-ambiguity [--eps 0.05] [--timeout S]

Data files are ``.npz`` archives with an input array ``x`` (any shape
``(n, ...)`` whose rows flatten to the network's input size; uint8 arrays are
divided by 255 unless ``--scale`` says otherwise) and an integer label array
``y`` (read by :func:`relucid.cli._common.load_data`). :func:`register` adds the
command to the ``relucid`` parser.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ._common import (check_labels, emit, figure_path, jobs, load_data, load_network, output_path, parse_vector,
                      positive_int, positive_seconds)

__all__ = ["mine", "register", "table", "verify"]

PROPERTIES = ("robust", "augmented", "non-ambiguity")


def register(sub, common) -> None:
    """Add ``naps`` with its subcommands ``mine``, ``table``, ``verify`` to an argparse subparsers object."""
    p = sub.add_parser("naps", parents=[common], help="neural activation patterns: mine, tabulate, verify")
    nsub = p.add_subparsers(title="naps commands", metavar="SUBCOMMAND", parser_class=type(p))
    p.set_defaults(func=_usage(p))

    s = nsub.add_parser("mine", parents=[common], help="mine one δ-relaxed NAP per label from labelled data")
    s.add_argument("net", help="network file (.onnx, .nnet, .npz) or example:NAME")
    s.add_argument("data", help="labelled data: .npz with arrays x (inputs) and y (labels)")
    s.add_argument("--delta", type=float, required=True, help="relaxing factor in (0.5, 1], e.g. 0.99")
    s.add_argument("--out", type=output_path, required=True, help="write the NAPs here (JSON)")
    _data_options(s)
    s.add_argument("--layers", help="layers to mine, comma-separated (default: every hidden relu layer)")
    s.add_argument("--labels", help="labels to mine, comma-separated (default: those in the data)")
    s.add_argument("--device", help="run the forward passes with torch (float64) on this device, e.g. cuda")
    s.set_defaults(func=mine)

    s = nsub.add_parser("table", parents=[common], help="followers of each NAP per label (the paper's Table 1)")
    s.add_argument("net")
    s.add_argument("data", help="labelled evaluation data (.npz with x and y)")
    s.add_argument("naps", nargs="+", help="NAP files from 'relucid naps mine' (one table row each)")
    _data_options(s)
    s.add_argument("--heatmap", type=figure_path,
                   help="write the overlap heatmaps (one panel per NAP file) to this figure (.png, .svg, ...)")
    s.add_argument("--markdown", action="store_true", help="print Markdown tables")
    s.set_defaults(func=table)

    s = nsub.add_parser("verify", parents=[common], help="prove or refute NAP robustness / augmented robustness / non-ambiguity")
    s.add_argument("net")
    s.add_argument("naps", help="NAP file from 'relucid naps mine'")
    s.add_argument("--property", required=True, choices=PROPERTIES)
    s.add_argument("--labels", help="labels (NAPs) to check, comma-separated (default: all in the file)")
    s.add_argument("--eps", help="augmented: radius of the L-infinity ball (comma-separated for several)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--x", help='augmented: the centre, comma-separated values')
    g.add_argument("--x-file", help="augmented: the centre as .npy or text")
    s.add_argument("--data", help="augmented: .npz whose inputs --index picks as centres; robust and non-ambiguity: "
                                  "search seeds (inputs of each label that follow its NAP)")
    s.add_argument("--index", default="0", help="augmented with --data: input indices, comma-separated (default 0)")
    s.add_argument("--scale", default="auto", help="multiply --data inputs by this ('auto': 1/255 for uint8)")
    s.add_argument("--domain", default="0,1", help="input domain: LO,HI for every input (default 0,1)")
    s.add_argument("--timeout", type=positive_seconds, default=10.0, help="seconds per query (default 10)")
    s.add_argument("--engine", choices=("relucid", "verify", "marabou"), default="relucid")
    s.add_argument("--no-search", action="store_true", help="skip the following-NAP search before the engine")
    s.add_argument("--jobs", type=jobs, default=None, help="independent queries in parallel (-1: all cores)")
    s.set_defaults(func=verify)


def _data_options(s) -> None:
    s.add_argument("--scale", default="auto", help="multiply inputs by this ('auto': 1/255 for uint8 data, else 1)")
    s.add_argument("--limit", type=positive_int, help="use only the first N inputs")


def _usage(p):
    def run(args) -> int:
        p.print_help()
        return 2
    return run


# -- commands -----------------------------------------------------------------------------------
def mine(args) -> int:
    from ..naps import count_activations, save_naps
    from ..naps.mining import check_delta

    check_delta(args.delta, "--delta")
    net = load_network(args.net)
    X, y, scale = load_data(args.data, scale=args.scale, limit=args.limit)
    t0 = time.perf_counter()
    counts = count_activations(net, X, y, layers=_ints(args.layers, "--layers"), labels=_ints(args.labels, "--labels"),
                               scale=scale, device=args.device)
    elapsed = time.perf_counter() - t0
    naps = counts.naps(args.delta)
    save_naps(naps, args.out, network=net,
              meta={"data": str(args.data), "n_inputs": counts.n_inputs, "delta": args.delta, "scale": scale})
    rows = [{"label": l, "support": n.support, "active": len(n.active), "inactive": len(n.inactive),
             "empty": n.is_empty} for l, n in naps.items()]
    payload = {"out": str(args.out), "delta": args.delta, "n_inputs": counts.n_inputs, "layers": list(counts.layers),
               "seconds": elapsed, "inputs_per_second": counts.n_inputs / elapsed if elapsed > 0 else None,
               "naps": rows}
    lines = [f"mined {len(naps)} NAPs (δ = {args.delta:g}) from {counts.n_inputs} inputs in {elapsed:.2f} s "
             f"({counts.n_inputs / max(elapsed, 1e-9):,.0f} inputs/s); layers {list(counts.layers)}",
             f"{'label':>5} {'inputs':>7} {'|A|':>5} {'|D|':>5}"]
    for r in rows:
        lines.append(f"{r['label']:>5} {r['support']:>7} {r['active']:>5} {r['inactive']:>5}"
                     + ("  empty NAP: no neuron reaches δ (every input follows it)" if r["empty"] else ""))
    lines.append(f"wrote {args.out}")
    emit(args, payload, "\n".join(lines))
    return 0


def table(args) -> int:
    from ..naps import load_naps, nap_table, overlap_matrix, plot_overlap

    net = load_network(args.net)
    X, y, scale = load_data(args.data, scale=args.scale, limit=args.limit)
    y = check_labels(y, net.output_dim, str(args.data))
    sets = [load_naps(p, network=net) for p in args.naps]
    tab = nap_table(net, sets, X, y, scale=scale)
    payload = tab.to_dict()
    payload["files"] = list(args.naps)
    payload["overlap"] = []
    for s in sets:
        labels, M = overlap_matrix(s)
        payload["overlap"].append({"labels": list(labels), "ratio": np.where(np.isfinite(M), M, None).tolist()})
    if args.heatmap:
        payload["heatmap"] = str(plot_overlap(sets, args.heatmap))
    if args.markdown:
        text = tab.to_markdown() + "\n\n|A| / |D| per label:\n\n" + tab.sizes_markdown()
    else:
        text = tab.text() + "\n\n|A| / |D|:\n" + tab.sizes_markdown()
    empties = [(r.delta, l) for r in tab.rows for l in tab.labels if r.sizes[l] == (0, 0)]
    if empties:
        text += "\n" + "; ".join(f"empty NAP for label {l} (δ = {d})" for d, l in empties) + ": every input follows it"
    if args.heatmap:
        text += f"\nwrote {args.heatmap}"
    emit(args, payload, text)
    return 0


def verify(args) -> int:
    from ..naps import load_naps, nap_augmented_robustness, nap_robustness, non_ambiguity_all
    from ..parallel import run_all

    net = load_network(args.net)
    naps = load_naps(args.naps, network=net)
    labels = _ints(args.labels, "--labels")
    if labels is not None:
        missing = [l for l in labels if l not in naps]
        if missing:
            raise InvalidValueError(f"--labels: no NAP for label {missing[0]} in {args.naps} (labels: {sorted(naps)})")
        naps = {l: naps[l] for l in labels}
    if not naps:
        raise InvalidValueError(f"{args.naps}: the file holds no NAPs")
    domain = _domain(args.domain, net.input_dim)
    lo, hi = np.asarray(domain.lo), np.asarray(domain.hi)
    search = not args.no_search
    kw = dict(timeout=args.timeout, search=search, engine=args.engine)
    seeds = None
    if args.property != "augmented" and args.data:
        X, y, scale = load_data(args.data, scale=args.scale)
        seeds = {}
        for l, nap in naps.items():
            idx = np.flatnonzero(y == l)[:2000]
            Xl = np.asarray(X[idx], dtype=np.float64).reshape(len(idx), -1) * scale
            seeds[l] = Xl[nap.follows(net, Xl)][:32]
    t0 = time.perf_counter()
    verdicts = []
    if args.property == "robust":
        labels = sorted(naps)
        rows = run_all(lambda l: nap_robustness(net, naps[l], domain=domain, seeds=None if seeds is None else seeds.get(l), **kw),
                       labels, n_jobs=args.jobs)
        grid = [(f"label {l}", l, r) for l, r in zip(labels, rows)]
    elif args.property == "augmented":
        if args.eps is None:
            raise InvalidValueError("--property augmented needs --eps (the L-infinity radius)")
        epss = _floats(args.eps, "--eps")
        if not epss or any(not (np.isfinite(e) and e >= 0) for e in epss):
            raise InvalidValueError(f"--eps must be radii >= 0, comma-separated; got {args.eps!r}")
        centres = _centres(args, net.input_dim)
        jobs = []
        for name, x in centres:
            c = int(np.argmax(net(x)))
            if c not in naps:
                raise InvalidValueError(f"{name} is classified {c} but {args.naps} has no NAP for label {c}")
            jobs += [(name, x, c, e) for e in epss]
        rows = run_all(lambda jb: nap_augmented_robustness(net, naps[jb[2]], jb[1], jb[3], domain=domain, **kw), jobs,
                       n_jobs=args.jobs)
        grid = [(f"{name} (class {c}) eps={e:g}", c, r) for (name, _, c, e), r in zip(jobs, rows)]
    else:
        pairs = non_ambiguity_all(net, naps, domain=domain, n_jobs=args.jobs, seeds=seeds, **kw)
        grid = None
        verdicts = list(pairs.values())
    if grid is not None:
        verdicts = [v for _, _, r in grid for v in r.values()]
        text = _grid_text(grid, net.output_dim)
    else:
        text = _pairs_text(pairs, sorted(naps))
    counts = {s: sum(v.status == s for v in verdicts) for s in ("proved", "falsified", "unknown")}
    text += (f"\n{counts['proved']} proved (Y), {counts['falsified']} falsified (N), {counts['unknown']} undecided (T/o)"
             f" in {time.perf_counter() - t0:.1f} s; engine {args.engine}, timeout {args.timeout:g} s per query"
             f"{'' if search else ', no search'}; domain [{lo.min():g}, {hi.max():g}]^{net.input_dim}")
    notes = sorted({v.note for v in verdicts if v.note})
    for n in notes[:5]:
        text += f"\nnote: {n}"
    payload = {"property": args.property, "engine": args.engine, "timeout": args.timeout, "counts": counts,
               "verdicts": [v.to_dict() for v in verdicts]}
    emit(args, payload, text)
    return 0


# -- helpers ---------------------------------------------------------------------------------------
def _centres(args, dim):
    if args.x is not None or args.x_file is not None:
        return [("x", parse_vector(args.x, args.x_file, dim))]
    if not args.data:
        raise InvalidValueError("--property augmented needs a centre: --x, --x-file, or --data with --index")
    X, _, scale = load_data(args.data, scale=args.scale, need_labels=False)
    out = []
    for i in _ints(args.index, "--index"):
        if not 0 <= i < len(X):
            raise InvalidValueError(f"--index {i}: {args.data} has {len(X)} inputs")
        x = np.asarray(X[i], dtype=np.float64).reshape(-1) * scale
        if x.shape[0] != dim:
            raise ShapeError(f"{args.data}: inputs have {x.shape[0]} values but the network takes {dim}")
        out.append((f"input {i}", x))
    return out


def _domain(text: str, dim: int):
    from ..geometry import Box

    vals = _floats(text, "--domain")
    if len(vals) != 2 or not vals[0] <= vals[1]:
        raise InvalidValueError(f"--domain must be LO,HI with LO <= HI; got {text!r}")
    return Box(np.full(dim, vals[0]), np.full(dim, vals[1]))


def _ints(text, what):
    if text is None:
        return None
    try:
        return [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise InvalidValueError(f"{what}: expected comma-separated integers; got {text!r}") from None


def _floats(text, what):
    try:
        return [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise InvalidValueError(f"{what}: expected comma-separated numbers; got {text!r}") from None


def _grid_text(grid, n_out) -> str:
    from ..naps import verdict_cell

    name_w = max(len(g[0]) for g in grid) + 2
    lines = ["".ljust(name_w) + "".join(f"{j:>5}" for j in range(n_out))]
    for name, c, row in grid:
        lines.append(name.ljust(name_w) + "".join(f"{verdict_cell(row.get(j)) if j != c else '-':>5}" for j in range(n_out)))
    lines.append("Y: no input following the NAP (in the set) lets class j reach the label; N: counterexample found; "
                 "T/o: undecided")
    return "\n".join(lines)


def _pairs_text(pairs, labels) -> str:
    lines = ["non-ambiguity (row a, column b): Y no input follows both NAPs (t: trivially, the NAPs conflict), "
             "N an input follows both, T/o undecided",
             "    " + "".join(f"{b:>5}" for b in labels)]
    for a in labels:
        cells = []
        for b in labels:
            v = pairs.get((a, b)) or pairs.get((b, a))
            cells.append("-" if v is None else ("t" if v.method == "trivial" else v.cell))
        lines.append(f"{a:>4}" + "".join(f"{c:>5}" for c in cells))
    return "\n".join(lines)
