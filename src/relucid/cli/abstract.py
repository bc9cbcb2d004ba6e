"""``relucid abstract``: shrink a network by merging neurons that behave alike (DeepAbstract).

    relucid abstract NET DATA.npz --min-accuracy 0.95 --out small.onnx [--json]
    relucid abstract NET DATA.npz --clusters 60,40 --out small.npz

``DATA.npz`` holds an input array ``x`` and labels ``y`` (as for ``relucid
naps``: rows flatten to the network's input size; uint8 inputs are divided by
255 unless ``--scale`` says otherwise). The first ``--samples`` inputs are
clustered; the accuracy is measured on all of them (or on ``--val``).
:func:`register` adds the command to the ``relucid`` parser.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ._common import check_labels, emit, load_data, load_network, model_path, nonnegative_int, positive_int

__all__ = ["register", "run"]


def register(sub, common) -> None:
    """Add ``abstract`` to an argparse subparsers object."""
    s = sub.add_parser("abstract", parents=[common],
                       help="merge similar neurons into a smaller network (k-means on activations)")
    s.add_argument("net", help="network file (.onnx, .nnet, .npz) or example:NAME")
    s.add_argument("data", help="labelled data: .npz with arrays x (inputs) and y (labels)")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--min-accuracy", type=float,
                   help="search the cluster counts layer by layer keeping at least this accuracy (a fraction)")
    g.add_argument("--clusters", help="cluster counts, one per hidden layer, comma-separated ('-' keeps a layer)")
    s.add_argument("--out", type=model_path, required=True, help="write the abstract network here (.onnx, .npz, .nnet)")
    s.add_argument("--samples", type=positive_int, default=1000, help="inputs whose activations are clustered (default 1000)")
    s.add_argument("--val", help="measure the accuracy on this .npz instead of DATA")
    s.add_argument("--scale", default="auto", help="multiply inputs by this ('auto': 1/255 for uint8 data, else 1)")
    s.add_argument("--seed", type=nonnegative_int, default=0, help="k-means seed (default 0)")
    s.set_defaults(func=run)


def run(args) -> int:
    from ..abstraction import abstract, identify_clusters
    from ..abstraction.search import accuracy
    from ..io import save

    net = load_network(args.net)
    X, y, scale = _inputs(args.data, args.scale, net)
    Xc, yc = X[: args.samples], y[: args.samples]
    if args.val:
        Xv, yv, _ = _inputs(args.val, args.scale, net)
    else:
        Xv, yv = X, y
    t0 = time.perf_counter()
    if args.clusters is not None:
        counts = _clusters(args.clusters)
        searched = False
    else:
        counts = identify_clusters(net, Xc, yc, args.min_accuracy, X_val=Xv, y_val=yv, rng=args.seed)
        searched = True
    a = abstract(net, Xc, counts, rng=args.seed)
    seconds = time.perf_counter() - t0
    save(a.network, args.out)
    acc0, acc1 = accuracy(net, Xv, yv), accuracy(a.network, Xv, yv)
    layers = [{"layer": k, "neurons": n, "abstract": m, "eps_max": float(a.eps_max[k].max())}
              for k, (n, m) in enumerate(a.hidden_sizes)]
    payload = {"out": str(args.out), "clusters": list(a.clusters), "searched": searched,
               "min_accuracy": args.min_accuracy, "accuracy": acc0, "abstract_accuracy": acc1,
               "reduction_rate": a.reduction_rate, "samples": a.n_samples, "seconds": seconds, "layers": layers,
               "mapping": [m.tolist() for m in a.mapping], "kept": [k.tolist() for k in a.kept]}
    lines = [f"{'layer':>5} {'neurons':>8} {'abstract':>9}"]
    lines += [f"{r['layer']:>5} {r['neurons']:>8} {r['abstract']:>9}" for r in layers]
    lines.append(f"hidden neurons removed: {100 * a.reduction_rate:.1f}%; accuracy {acc0:.4f} -> {acc1:.4f} "
                 f"on {len(yv)} inputs; clustered {a.n_samples} inputs in {seconds:.1f} s")
    lines.append(f"wrote {args.out}")
    emit(args, payload, "\n".join(lines))
    return 0


def _inputs(path, scale, net):
    X, y, s = load_data(path, scale=scale)
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1) * s
    if X.shape[1] != net.input_dim:
        raise ShapeError(f"{path}: inputs have {X.shape[1]} values but the network takes {net.input_dim}")
    if len(y) != len(X):
        raise ShapeError(f"{path}: {len(X)} inputs but {len(y)} labels")
    return X, check_labels(y, net.output_dim, str(path)), s


def _clusters(text: str) -> list:
    out = []
    for v in text.split(","):
        v = v.strip()
        if v in ("-", ""):
            out.append(None)
            continue
        try:
            out.append(int(v))
        except ValueError:
            raise InvalidValueError(f"--clusters: expected integers or '-', comma-separated; got {text!r}") from None
    return out
