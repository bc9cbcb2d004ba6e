"""DeepAbstract's experiments in the paper's own setting: Table 1, Fig. 3 and Table 2.

Ashok, Hashemi, Křetínský, Mohr, *DeepAbstract: Neural Network Abstraction for
Accelerating Verification*, ATVA 2020. Their networks are not published; the
eight of Table 1 (3x100, 4x100, 5x100, 6x100, 6x50, 6x200, 6x300, 6x1000) are
trained here as their Appendix A.4 says, with the training code of
``benchmarks/abstraction.py`` (torch CPU, one thread, seed 0, Adam with the
TensorFlow defaults, 54,000 / 6,000 split, stopped when the validation loss
stops decreasing, at most 10 epochs). Weights are relucid ``.npz`` archives
(float32, no pickle); those under 5 MB live in ``benchmarks/models/``, the
6x1000 one (about 20 MB) in ``build/paper_deepabstract/`` (git-ignored,
retrained on demand; its weight digest is recorded, and rows computed on other
weights are recomputed).

Rows, the paper's setting first, cheap ones first:

1. ``net:<arch>`` — train or load the network.
2. ``t1:<arch>:<budget>:test`` — Table 1: ``rl.identify_clusters`` (the
   paper's Algorithm 2) on the activation vectors of the first 1,000
   training images, accuracy measured on the 10,000 test images as the
   paper's Section 5.1 says, allowing the paper's own drop for that row
   (``paper``) or 1 point (``1pct``); reduction rate and test drop.
3. ``dp:<arch>:<which>`` — Fig. 3: DeepPoly (relucid's, numpy) on the first
   200 test images at L∞ radius 0.005 (clipped to [0, 1], true label) on the
   original and on the Table-1 abstraction at the paper's drop, in chunks of
   10 images, stopping after ``--dp-timeout`` seconds (the paper's 6x1000 run
   timed out after one hour).
4. ``t2:<i>`` — Table 2: 6x300 with the paper's fixed removals in its layers
   3-6, the same 200 images: DeepPoly on the abstraction, the paper's
   Theorem 3 lifting (ε of Eq. 3, the per-input maximum, and the maximum on
   a zero-width box as the paper's code does) and the sound lifting.
5. Extra variant, in its own section: ``t1:<arch>:<budget>:validation`` — the
   search measures accuracy on the 6,000 validation images, the test drop is
   measured after.

Finished rows go to ``benchmarks/results/paper_deepabstract.jsonl`` (a rerun
skips them); ``paper_deepabstract.md`` is rewritten after every row and lists
what is still pending. ``--budget-min`` stops starting rows after that many
minutes; ``--only PREFIX`` runs the rows whose key starts with PREFIX;
``--markdown-only`` rewrites the page from the .jsonl.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import relucid as rl  # noqa: E402
from relucid.abstraction import lift_paper_unsound, lift_sound, robust_from_bounds, robustness_margins  # noqa: E402

import _machine  # noqa: E402  (benchmarks/_machine.py)
import abstraction as base  # noqa: E402  (benchmarks/abstraction.py: data split, training, float32 archives)

ROOT = _machine.ROOT
RESULTS = ROOT / "benchmarks" / "results"
JSONL = RESULTS / "paper_deepabstract.jsonl"
BIG = ROOT / "build" / "paper_deepabstract"  # git-ignored home of the LARGE networks
LARGE = ("6x1000",)  # over 5 MB as float32: not committed, retrained on demand
ARCHS = ("3x100", "4x100", "5x100", "6x100", "6x50", "6x200", "6x300", "6x1000")
#: The paper's Table 1: accuracy drop % and reduction rate % (6x100 is listed twice, with the same numbers).
PAPER_T1 = {"3x100": (0.40, 15.5), "4x100": (0.41, 15.5), "5x100": (0.21, 21.2), "6x100": (0.10, 13.3),
            "6x50": (0.10, 5.7), "6x200": (0.10, 30.2), "6x300": (0.20, 39.9), "6x1000": (0.01, 61.7)}
#: Fig. 3's caption: abstraction times (s) of its seven networks, in its (unnamed) order.
PAPER_FIG3_ABSTRACT_S = (14, 14, 20, 32, 37, 53, 214)
BUDGETS = {"paper": None, "1pct": 1.0}  # None: the paper's drop for the row
N_IMAGES = 200
EPS = 0.005
DP_CHUNK = 10
SEED = base.SEED
N_CLUSTER = base.N_CLUSTER
TABLE2 = base.TABLE2
#: The paper's Section 5.2: DeepPoly proves 197 of 200 on its 6x300 in 48 minutes.
PAPER_T2_ORIGINAL = (197, 48)


# -- networks ----------------------------------------------------------------------------------------
def model_path(arch: str) -> Path:
    return (BIG if arch in LARGE else base.MODELS) / f"mnist_{arch}.npz"


def digest(net: rl.Network) -> str:
    """sha256 of the float32 weights and biases (the archive's zip bytes carry timestamps)."""
    h = hashlib.sha256()
    for layer in net.layers:
        h.update(np.ascontiguousarray(layer.weight, dtype=np.float32).tobytes())
        h.update(np.ascontiguousarray(layer.bias, dtype=np.float32).tobytes())
    return h.hexdigest()[:16]


class Context:
    """Data, networks and abstractions, loaded once per run."""

    def __init__(self, log):
        self.log = log
        self.train, self.val, self.test = base.load_mnist()
        self.Xc = self.train[0][:N_CLUSTER]
        self.nets: dict[str, tuple[rl.Network, dict]] = {}
        self.images = self.test[0][:N_IMAGES], self.test[1][:N_IMAGES]

    def network(self, arch: str) -> tuple[rl.Network, dict]:
        if arch not in self.nets:
            path = model_path(arch)
            if path.exists():
                with np.load(path, allow_pickle=False) as z:
                    meta = json.loads(str(z["training"])) if "training" in z.files else {}
            else:
                self.log(f"training {arch}")
                net, meta = base.train(arch, self.train, self.val, self.log)
                base.save_float32(net, path, meta)
                meta["trained_now"] = True
            meta.update(file=str(path.relative_to(ROOT)), bytes=path.stat().st_size)
            net = rl.load(path)
            self.nets[arch] = (net, meta | {"digest": digest(net)})
        return self.nets[arch]

    def abstraction(self, arch: str, counts) -> rl.Abstraction:
        return rl.abstract(self.network(arch)[0], self.Xc, list(counts), rng=SEED)


def acc(net, X, y) -> float:
    return float((net.classify(X) == y).mean())


# -- rows --------------------------------------------------------------------------------------------
def net_row(ctx: Context, arch: str) -> dict:
    net, meta = ctx.network(arch)
    return {"training": meta, "val_accuracy": acc(net, *ctx.val), "test_accuracy": acc(net, *ctx.test),
            "hidden": sum(layer.out_dim for layer in net.layers[:-1])}


def t1_row(ctx: Context, arch: str, budget: str, protocol: str) -> dict:
    net, _ = ctx.network(arch)
    drop = BUDGETS[budget] if BUDGETS[budget] is not None else PAPER_T1[arch][0]
    X_acc, y_acc = ctx.test if protocol == "test" else ctx.val
    before = acc(net, X_acc, y_acc)
    # accuracies are multiples of 1/len(y): the tolerance only absorbs the rounding of before - drop
    alpha = before - drop / 100 - 1e-9
    t0 = time.perf_counter()
    counts = rl.identify_clusters(net, ctx.Xc, ctx.train[1][:N_CLUSTER], alpha, X_val=X_acc, y_val=y_acc, rng=SEED)
    search_s = time.perf_counter() - t0
    a = ctx.abstraction(arch, counts)
    t_before, t_after = acc(net, *ctx.test), acc(a.network, *ctx.test)
    return {"allowed_drop_pct": drop, "counts": list(counts), "sizes": [m for _, m in a.hidden_sizes],
            "reduction_pct": 100 * a.reduction_rate, "test_drop_pct": 100 * (t_before - t_after),
            "searched_accuracy": [before, acc(a.network, X_acc, y_acc)], "search_seconds": search_s,
            "abstract_seconds": a.seconds}


def deeppoly_chunks(net, lo, hi, labels, timeout: float, desc: str) -> dict:
    """DeepPoly margins in chunks of DP_CHUNK boxes until ``timeout`` seconds have passed."""
    proved, spent = [], 0.0
    for s in tqdm(range(0, len(labels), DP_CHUNK), desc=desc, leave=False):
        if spent > timeout:
            break
        t0 = time.perf_counter()
        m, _ = robustness_margins(net, lo[s : s + DP_CHUNK], hi[s : s + DP_CHUNK], labels[s : s + DP_CHUNK])
        spent += time.perf_counter() - t0
        proved += (m > 0).all(axis=1).tolist()
    return {"n": len(labels), "done": len(proved), "proved": proved, "n_proved": int(sum(proved)),
            "seconds": spent, "timeout": timeout, "timed_out": len(proved) < len(labels)}


def boxes(ctx: Context):
    X, y = ctx.images
    return np.clip(X - EPS, 0, 1), np.clip(X + EPS, 0, 1), y


def dp_row(ctx: Context, arch: str, which: str, done: dict, timeout: float) -> dict:
    net, _ = ctx.network(arch)
    extra = {}
    if which != "original":
        t1 = done[f"t1:{arch}:paper:test"]
        a = ctx.abstraction(arch, t1["counts"])
        net = a.network
        extra = {"counts": t1["counts"], "abstract_seconds": a.seconds,
                 "test_accuracy_rebuilt": acc(net, *ctx.test)}
    lo, hi, y = boxes(ctx)
    return extra | deeppoly_chunks(net, lo, hi, y, timeout, f"DeepPoly {arch} {which}")


def t2_row(ctx: Context, i: int, timeout: float) -> dict:
    removed, paper = TABLE2[i]
    net, _ = ctx.network("6x300")
    counts = [300, *(300 - r for r in removed), 300]  # the paper's layers 3-6 = our hidden layers 1-4 (0-based)
    a = ctx.abstraction("6x300", counts)
    lo, hi, y = boxes(ctx)
    X = ctx.images[0]
    dp = deeppoly_chunks(a.network, lo, hi, y, timeout, f"Table 2 row {i}")
    t0 = time.perf_counter()
    sound = lift_sound(a, lo, hi, y)
    sound_s = time.perf_counter() - t0
    lifted = {kind: robust_from_bounds(*lift_paper_unsound(a, lo, hi, eps=kind), y) for kind in ("paper", "max")}
    zero = robust_from_bounds(*lift_paper_unsound(a, X, X, eps="max"), y)
    return {"removed": list(removed), "counts": counts, "sizes": [m for _, m in a.hidden_sizes],
            "reduction_pct": 100 * a.reduction_rate,
            "test_drop_pct": 100 * (acc(net, *ctx.test) - acc(a.network, *ctx.test)), "abstract_seconds": a.seconds,
            "deeppoly_abstract": dp, "lifted_paper_eq3": int(lifted["paper"].sum()),
            "lifted_paper_max": int(lifted["max"].sum()), "lifted_paper_max_zero_width": int(zero.sum()),
            "lifted_sound": int(sound.proved.sum()), "lifted_sound_list": sound.proved.tolist(), "sound_seconds": sound_s,
            "largest_eps_max": [float(e.max()) for e in a.eps_max],
            "paper": {"reduction_pct": paper[0], "verified_of_200": paper[1], "minutes": paper[2]}}


def plan() -> list[tuple[str, str]]:
    """(key, network it depends on) in run order: the paper's setting first, cheap rows first."""
    small = [a for a in ARCHS if a != "6x1000"]
    keys = [(f"net:{a}", a) for a in small]
    keys += [(f"t1:{a}:{b}:test", a) for a in small for b in BUDGETS]
    keys += [(f"dp:{a}:{w}", a) for a in small for w in ("original", "t1paper")]
    keys += [(f"t2:{i}", "6x300") for i in range(len(TABLE2))]
    keys += [("net:6x1000", "6x1000")] + [(f"t1:6x1000:{b}:test", "6x1000") for b in BUDGETS]
    keys += [("dp:6x1000:t1paper", "6x1000"), ("dp:6x1000:original", "6x1000")]
    keys += [(f"t1:{a}:{b}:validation", a) for a in ARCHS for b in BUDGETS]
    return keys


def compute(ctx: Context, key: str, done: dict, dp_timeout: float) -> dict:
    kind, *rest = key.split(":")
    if kind == "net":
        return net_row(ctx, rest[0])
    if kind == "t1":
        return t1_row(ctx, *rest)
    if kind == "dp":
        return dp_row(ctx, rest[0], rest[1], done, dp_timeout)
    return t2_row(ctx, int(rest[0]), dp_timeout)


def load_rows() -> dict:
    rows = {}
    if JSONL.exists():
        for line in JSONL.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                rows[r["key"]] = r
    return rows


def up_to_date(ctx: Context, row: dict | None, arch: str) -> bool:
    """A recorded row stands unless its network is here with other weights (a large one that is not here
    is not retrained just to check)."""
    if row is None:
        return False
    if not model_path(arch).exists():
        return True
    if row["digest"] == ctx.network(arch)[1]["digest"]:
        return True
    ctx.log(f"{row['key']}: recorded on other weights ({row['digest']}); recomputing")
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-min", type=float, default=float("inf"), help="start no row after this many minutes")
    ap.add_argument("--dp-timeout", type=float, default=1800.0, help="seconds of DeepPoly per network and image set")
    ap.add_argument("--only", default="", help="run only rows whose key starts with this")
    ap.add_argument("--markdown-only", action="store_true", help="rewrite the .md from the .jsonl")
    args = ap.parse_args(argv)
    from paper_deepabstract_md import write_markdown  # noqa: PLC0415  (the page writer, its own module)

    rows = load_rows()
    if args.markdown_only:
        write_markdown(rows, plan())
        return 0
    t_start = time.perf_counter()
    log = lambda m: tqdm.write(str(m))  # noqa: E731
    ctx = Context(log)
    for key, arch in plan():
        if not key.startswith(args.only):
            continue
        if (time.perf_counter() - t_start) / 60 > args.budget_min:
            log(f"budget of {args.budget_min:g} min spent; {key} and later rows stay pending")
            break
        if up_to_date(ctx, rows.get(key), arch):
            continue
        log(f"{key} ...")
        t0 = time.perf_counter()
        out = compute(ctx, key, rows, args.dp_timeout)
        row = {"key": key, "digest": ctx.network(arch)[1]["digest"], **out, "row_seconds": time.perf_counter() - t0,
               "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "git": _machine.git_rev(),
               "load": _machine.load()}
        rows[key] = row
        JSONL.parent.mkdir(parents=True, exist_ok=True)
        JSONL.write_text("".join(json.dumps(r) + "\n" for r in rows.values()))
        write_markdown(rows, plan())
        log(f"{key} done in {row['row_seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
