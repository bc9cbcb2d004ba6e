"""DeepAbstract (Ashok et al., ATVA 2020) on MNIST fully connected networks.

What it runs (every figure in the results file comes from one run):

1. **Training** (skipped when ``benchmarks/models/mnist_{arch}.npz`` exists):
   784-L×n-10 ReLU networks for 3×100, 6×100, 6×200, 6×300, as in the
   paper's Appendix A.4: torch (CPU, one thread, float32), Adam with the
   TensorFlow defaults (lr 1e-3), cross-entropy, batches of 128, the 60,000
   training images split 54,000 / 6,000 (train / validation) by a fixed
   permutation, at most 10 epochs, stopped when the validation loss stops
   decreasing. Seeds are fixed (torch and the split). Weights are stored as
   relucid ``.npz`` archives in float32 (exact: the networks were trained
   in float32), readable with ``rl.load``.
2. **Abstraction** (the paper's Table 1): ``rl.identify_clusters`` with the
   activation vectors of the first 1,000 training images as ``X``, the
   binary search keeping the accuracy on the 6,000 validation images at
   least the original's minus 1 point; then ``rl.abstract`` with the found
   counts. Reported: reduction rate (share of hidden neurons removed),
   accuracy drop on the 10,000 test images, abstraction time.
3. **Verification** (the paper's Fig. 3 / Table 2 setting, on our scale):
   DeepPoly (relucid's, numpy, CPU) on the original and on the abstract
   network for the first 50 correctly classified test images at L∞ radius
   ``EPS`` (clipped to [0, 1]); the robustness verdicts and times of both;
   the number of proofs lifted to the original network by the paper's
   Theorem 3 (with ε from Eq. 3, and with the per-sample maximum distance)
   and by the sound lifting; how many verdicts on the abstract network
   differ from verifying the original directly, and for each such image
   the verdict of relucid's complete verifier on the original (attack,
   bounds, MILP; 20 s each).
4. **The paper's Table 2 setting**: 6x300 with the paper's fixed removals in
   its layers 3-6, the same images at ε = 0.005: DeepPoly on the abstract
   network and the three liftings.

Run ``python benchmarks/abstraction.py`` (needs ``../shared/data``).
``--quick`` runs the two smallest networks on 10 images and writes to /tmp.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import relucid as rl  # noqa: E402
from relucid.abstraction import (  # noqa: E402
    lift_paper_unsound,
    lift_sound,
    robust_from_bounds,
    robustness_margins,
)

import _machine  # noqa: E402  (benchmarks/_machine.py)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "mnist"
MODELS = ROOT / "benchmarks" / "models"
RESULTS = ROOT / "benchmarks" / "results"
ARCHS = ("3x100", "6x100", "6x200", "6x300")
#: The paper's Table 1 (accuracy drop %, reduction rate %).
PAPER = {"3x100": (0.40, 15.5), "6x100": (0.10, 13.3), "6x200": (0.10, 30.2), "6x300": (0.20, 39.9)}
SEED = 0
N_CLUSTER = 1000  # inputs whose activation vectors are clustered (the paper's code uses 1,000)
N_VAL = 6000
EPS = (0.005, 0.01)
N_VERIFY = 50
#: The paper's Table 2 (6x300): neurons removed in layers 3-6, and (reduction %, images verified of 200, minutes).
TABLE2 = (
    ((15, 25, 100, 100), (13.33, 195, 36)),
    ((15, 50, 100, 100), (14.72, 195, 36)),
    ((25, 25, 100, 100), (13.89, 190, 36)),
    ((25, 50, 100, 100), (15.28, 190, 36)),
    ((25, 100, 100, 100), (18.06, 63, 35)),
    ((50, 100, 100, 100), (19.44, 0, 34)),
)
TABLE2_EPS = 0.005
#: Seconds per complete check (relucid.verify on the original) of a verdict that differs.
CHECK_TIMEOUT = 20.0
MAX_EPOCHS = 10
BATCH = 128


# -- data and training ------------------------------------------------------------------------------
def load_mnist():
    with np.load(DATA / "mnist_train.npz", allow_pickle=False) as z:
        Xtr, ytr = z["x"].reshape(len(z["x"]), -1).astype(np.float64) / 255.0, z["y"].astype(np.int64)
    with np.load(DATA / "mnist_test.npz", allow_pickle=False) as z:
        Xte, yte = z["x"].reshape(len(z["x"]), -1).astype(np.float64) / 255.0, z["y"].astype(np.int64)
    perm = np.random.default_rng(SEED).permutation(len(Xtr))
    val, tr = perm[:N_VAL], perm[N_VAL:]
    return (Xtr[tr], ytr[tr]), (Xtr[val], ytr[val]), (Xte, yte)


def train(arch: str, train_set, val_set, log) -> tuple[rl.Network, dict]:
    """Train one L×n network as in the paper's Appendix A.4; returns it and a training record."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    depth, width = (int(v) for v in arch.split("x"))
    dims = [784] + [width] * depth + [10]
    mods = []
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        mods.append(torch.nn.Linear(a, b))
        if i < len(dims) - 2:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    Xt = torch.as_tensor(train_set[0], dtype=torch.float32)
    yt = torch.as_tensor(train_set[1])
    Xv = torch.as_tensor(val_set[0], dtype=torch.float32)
    yv = torch.as_tensor(val_set[1])
    gen = torch.Generator().manual_seed(SEED)
    best, best_state, epochs = np.inf, None, 0
    t0 = time.perf_counter()
    for epoch in range(MAX_EPOCHS):
        model.train()
        order = torch.randperm(len(Xt), generator=gen)
        for s in range(0, len(Xt), BATCH):
            idx = order[s : s + BATCH]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            vloss = float(torch.nn.functional.cross_entropy(model(Xv), yv))
        epochs = epoch + 1
        log(f"  {arch} epoch {epochs}: validation loss {vloss:.4f}")
        if vloss >= best:
            break
        best, best_state = vloss, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    net = rl.from_torch(model)
    return net, {"epochs": epochs, "train_seconds": time.perf_counter() - t0, "best_val_loss": best}


def save_float32(net: rl.Network, path: Path, meta: dict) -> None:
    """A relucid-network-v1 archive with float32 weights (what training produced), compressed."""
    arrays = {"format": np.str_("relucid-network-v1"), "n_layers": np.int64(len(net.layers))}
    for i, layer in enumerate(net.layers):
        arrays[f"W{i}"] = np.asarray(layer.weight, dtype=np.float32)
        arrays[f"b{i}"] = np.asarray(layer.bias, dtype=np.float32)
        arrays[f"act{i}"] = np.str_(layer.activation)
    arrays["training"] = np.str_(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def get_network(arch: str, train_set, val_set, log) -> tuple[rl.Network, dict]:
    path = MODELS / f"mnist_{arch}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["training"])) if "training" in z.files else {}
        meta["loaded_from"] = str(path.relative_to(ROOT))
        return rl.load(path), meta
    log(f"training {arch}")
    net, meta = train(arch, train_set, val_set, log)
    save_float32(net, path, meta)
    net = rl.load(path)  # the float32 weights, exactly as stored
    meta["trained_now"] = True
    return net, meta


def accuracy(net: rl.Network, X, y) -> float:
    return float((net.classify(X) == y).mean())


def search(net, Xc, yc, X_acc, y_acc, test_set) -> dict:
    """identify_clusters with the accuracy measured on (X_acc, y_acc), allowing a 1-point drop; then abstract."""
    base = accuracy(net, X_acc, y_acc)
    t0 = time.perf_counter()
    counts = rl.identify_clusters(net, Xc, yc, base - 0.01, X_val=X_acc, y_val=y_acc, rng=SEED)
    t_search = time.perf_counter() - t0
    a = rl.abstract(net, Xc, counts, rng=SEED)
    test0, test1 = accuracy(net, *test_set), accuracy(a.network, *test_set)
    return {"abstraction": a, "counts": list(counts), "sizes": [m for _, m in a.hidden_sizes],
            "reduction_pct": 100 * a.reduction_rate, "test_accuracy": test1, "test_drop_pct": 100 * (test0 - test1),
            "search_accuracy_before": base, "search_accuracy_after": accuracy(a.network, X_acc, y_acc),
            "search_seconds": t_search, "abstract_seconds": a.seconds}


def verification(net, a, images, labels, eps: float, log) -> dict:
    lo, hi = np.clip(images - eps, 0, 1), np.clip(images + eps, 0, 1)
    t_orig, (m_orig, _) = _machine.best_time(lambda: robustness_margins(net, lo, hi, labels), 2)
    t_abs, (m_abs, _) = _machine.best_time(lambda: robustness_margins(a.network, lo, hi, labels), 2)
    p_orig, p_abs = (m_orig > 0).all(axis=1), (m_abs > 0).all(axis=1)
    t_sound, sound = _machine.best_time(lambda: lift_sound(a, lo, hi, labels), 1)
    p_paper = robust_from_bounds(*lift_paper_unsound(a, lo, hi, eps="paper"), labels)
    p_paper_max = robust_from_bounds(*lift_paper_unsound(a, lo, hi, eps="max"), labels)
    differ = np.flatnonzero(p_orig != p_abs)
    # complete checks on the original: verdicts that differ, and paper-lifted proofs DeepPoly did not confirm
    to_check = sorted(set(differ.tolist()) | set(np.flatnonzero((p_paper | p_paper_max) & ~p_orig).tolist()))
    checks = {}
    for i in to_check:
        r = rl.verify(net, rl.Box(lo[i], hi[i]), rl.ClassWins(int(labels[i])), timeout=CHECK_TIMEOUT)
        checks[int(i)] = r.status
        log(f"    image {i}: complete check on the original: {r.status} ({r.time:.1f} s)")
    only_abs = [int(i) for i in differ if p_abs[i]]
    only_orig = [int(i) for i in differ if p_orig[i]]
    return {
        "eps": eps, "n": len(labels),
        "deeppoly_original": {"proved": int(p_orig.sum()), "seconds": t_orig},
        "deeppoly_abstract": {"proved": int(p_abs.sum()), "seconds": t_abs},
        "differ": len(differ), "proved_only_on_abstract": only_abs, "proved_only_on_original": only_orig,
        "complete_checks": checks,
        "abstract_proved_but_original_falsified": [i for i in only_abs if checks.get(i) == "falsified"],
        "lifted_paper_eq3": int(p_paper.sum()), "lifted_paper_max": int(p_paper_max.sum()),
        "paper_lift_refuted": [int(i) for i in np.flatnonzero(p_paper | p_paper_max) if checks.get(int(i)) == "falsified"],
        "lifted_sound": int(sound.proved.sum()), "sound_seconds": t_sound,
        "sound_not_proved_by_deeppoly_original": int((sound.proved & ~p_orig).sum()),
        "sound_refuted": [int(i) for i in np.flatnonzero(sound.proved) if checks.get(int(i)) == "falsified"],
    }


def run_arch(arch, data, n_verify, log) -> dict:
    train_set, val_set, test_set = data
    net, meta = get_network(arch, train_set, val_set, log)
    Xc, yc = train_set[0][:N_CLUSTER], train_set[1][:N_CLUSTER]
    row = {"arch": arch, "training": meta, "val_accuracy": accuracy(net, *val_set),
           "test_accuracy": accuracy(net, *test_set), "hidden": sum(l.out_dim for l in net.layers[:-1])}
    log(f"{arch}: test accuracy {row['test_accuracy']:.4f}")
    row["val_search"] = search(net, Xc, yc, *val_set, test_set)
    row["test_search"] = search(net, Xc, yc, *test_set, test_set)
    for key in ("val_search", "test_search"):
        r = row[key]
        log(f"  {key}: sizes {r['sizes']}, reduction {r['reduction_pct']:.1f} %, test drop {r['test_drop_pct']:.2f} %, "
            f"search {r['search_seconds']:.1f} s")
    a = row["val_search"]["abstraction"]
    Xt, yt = test_set
    correct = np.flatnonzero(np.argmax(net(Xt), axis=1) == yt)[:n_verify]
    row["verify_images"] = correct.tolist()
    row["verification"] = []
    for eps in EPS:
        v = verification(net, a, Xt[correct], yt[correct], eps, log)
        log(f"  eps {eps}: DeepPoly original {v['deeppoly_original']}, abstract {v['deeppoly_abstract']}, "
            f"lifted paper {v['lifted_paper_eq3']}/{v['lifted_paper_max']}, sound {v['lifted_sound']} "
            f"({v['sound_seconds']:.1f} s)")
        row["verification"].append(v)
    for key in ("val_search", "test_search"):
        del row[key]["abstraction"]
    return row


def table2(data, n_verify: int, log) -> dict:
    """The paper's Table 2 setting: fixed removals in the later layers of 6x300, then lifting."""
    train_set, val_set, test_set = data
    net, _ = get_network("6x300", train_set, val_set, log)
    Xc = train_set[0][:N_CLUSTER]
    Xt, yt = test_set
    idx = np.flatnonzero(np.argmax(net(Xt), axis=1) == yt)[:n_verify]
    lo, hi = np.clip(Xt[idx] - TABLE2_EPS, 0, 1), np.clip(Xt[idx] + TABLE2_EPS, 0, 1)
    labels = yt[idx]
    t_orig, (m_orig, _) = _machine.best_time(lambda: robustness_margins(net, lo, hi, labels), 2)
    out = {"eps": TABLE2_EPS, "n": len(idx), "deeppoly_original": {"proved": int((m_orig > 0).all(axis=1).sum()),
                                                                    "seconds": t_orig}, "rows": []}
    for removed, paper in TABLE2:
        counts = [300, *(300 - r for r in removed), 300]  # paper layers 3-6 = our hidden layers 1-4
        a = rl.abstract(net, Xc, counts, rng=SEED)
        t_abs, (m_abs, _) = _machine.best_time(lambda: robustness_margins(a.network, lo, hi, labels), 2)
        t_sound, sound = _machine.best_time(lambda: lift_sound(a, lo, hi, labels), 1)
        row = {"removed": list(removed), "sizes": [m for _, m in a.hidden_sizes], "reduction_pct": 100 * a.reduction_rate,
               "test_drop_pct": 100 * (accuracy(net, *test_set) - accuracy(a.network, *test_set)),
               "abstract_seconds": a.seconds,
               "deeppoly_abstract": {"proved": int((m_abs > 0).all(axis=1).sum()), "seconds": t_abs},
               "lifted_paper_eq3": int(robust_from_bounds(*lift_paper_unsound(a, lo, hi, eps="paper"), labels).sum()),
               "lifted_paper_max": int(robust_from_bounds(*lift_paper_unsound(a, lo, hi, eps="max"), labels).sum()),
               "lifted_paper_max_zero_width": int(robust_from_bounds(*lift_paper_unsound(a, Xt[idx], Xt[idx], eps="max"), labels).sum()),
               "lifted_sound": int(sound.proved.sum()), "sound_seconds": t_sound,
               "max_cluster_eps_max": [float(e.max()) for e in a.eps_max],
               "paper": {"reduction_pct": paper[0], "verified_of_200": paper[1], "minutes": paper[2]}}
        log(f"  table 2 {removed}: reduction {row['reduction_pct']:.1f} %, abstract {row['deeppoly_abstract']}, "
            f"lifted {row['lifted_paper_eq3']}/{row['lifted_paper_max']}/{row['lifted_sound']}")
        out["rows"].append(row)
    return out


def write_json(result: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "abstraction.json").write_text(json.dumps(result, indent=1) + "\n")


def write_markdown(result: dict, out_dir: Path) -> None:
    rows, meta = result["rows"], result["meta"]
    quick = meta["quick"]
    L = ["# Abstraction on MNIST fully connected networks (`benchmarks/abstraction.py`)", "",
         f"Date: {meta['started']}; git {meta['git']}.", "",
         f"Command: `{meta['command']}` — whole run {meta['wall_seconds'] / 60:.1f} min"
         + (" (**--quick: a smoke run, not the results**)" if quick else "") + ".",
         "", "Machine:"]
    L += meta["machine"]
    L += ["", "Paper: Ashok, Hashemi, Křetínský, Mohr, *DeepAbstract: Neural Network Abstraction for Accelerating "
          "Verification*, ATVA 2020 (Table 1, Fig. 3, Table 2). Their networks are not published; ours are trained "
          "here as their Appendix A.4 describes (see the script's docstring), so the comparison is of the method on "
          "networks of the same shape, not on the same networks.", ""]
    L += ["## 0. The networks", "",
          "Trained once by this script (seed 0, torch CPU, one thread) and stored in `benchmarks/models/`; later runs "
          "load them.", "",
          "| network | epochs run (the last one stopped it) | training s | best validation loss | validation acc. | test acc. | file |",
          "|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r["training"]
        f = MODELS / f"mnist_{r['arch']}.npz"
        size = f"{f.stat().st_size / 1e6:.2f} MB" if f.exists() else "-"
        L.append(f"| {r['arch']} | {t.get('epochs', '?')} | {t.get('train_seconds', float('nan')):.1f} | "
                 f"{t.get('best_val_loss', float('nan')):.4f} | {100 * r['val_accuracy']:.2f} | {100 * r['test_accuracy']:.2f} | "
                 f"`{f.relative_to(ROOT)}`, {size} |")
    L += ["", "## 1. Reduction at ≤ 1 % accuracy drop (the paper's Table 1)", "",
          f"`rl.identify_clusters` on the activation vectors of the first {N_CLUSTER:,} training images, seed {SEED}. "
          "**Ours (validation)**: the binary search keeps the accuracy on the 6,000 held-out validation images at least "
          "the original's minus 1 point; the drop is then measured on the 10,000 test images, which the search never "
          "saw. **Ours (test, the paper's protocol)**: the search itself allows a 1-point drop on the test set, as the "
          "paper's Section 5.1 describes. Reduction rate = share of hidden neurons removed.", "",
          "| network | test acc. | ours (validation): drop % | reduction % | ours (test): drop % | reduction % | "
          "paper: drop % | reduction % | reduction ≥ paper at ≤ 1 % drop? |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        v, t = r["val_search"], r["test_search"]
        pd, pr = PAPER[r["arch"]]
        met = lambda s: "yes" if s["reduction_pct"] >= pr and s["test_drop_pct"] <= 1.0 + 1e-9 else "**no**"  # noqa: E731
        L.append(f"| {r['arch']} | {100 * r['test_accuracy']:.2f} | {v['test_drop_pct']:.2f} | {v['reduction_pct']:.1f} | "
                 f"{t['test_drop_pct']:.2f} | {t['reduction_pct']:.1f} | {pd:.2f} | {pr:.1f} | "
                 f"validation: {met(v)}; test: {met(t)} |")
    L += ["", "The paper's drops (0.1-0.4 %) are smaller than ours at smaller reductions: our search spends the "
          "whole 1-point budget, as Algorithm 2 says; the paper does not say how its Table 1 rows were chosen "
          "within the budget.", ""]
    L += ["Abstract layer widths (the paper's Fig. 2) and abstraction times (search = all binary searches, "
          "abstract = rebuilding the abstraction from the found counts):", "",
          "| network | protocol | widths per hidden layer | search s | abstract s | accuracy on the searched set |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        for key, name in (("val_search", "validation"), ("test_search", "test")):
            s = r[key]
            L.append(f"| {r['arch']} | {name} | {' '.join(map(str, s['sizes']))} | {s['search_seconds']:.1f} | "
                     f"{s['abstract_seconds']:.2f} | {s['search_accuracy_before']:.4f} → {s['search_accuracy_after']:.4f} |")
    n = rows[0]["verification"][0]["n"] if rows else 0
    L += ["", f"## 2. Verification of the abstract network and proof lifting ({n} test images)", "",
          f"Images: the first {n} test images the original classifies correctly; L∞ ball of radius ε clipped to [0, 1]; "
          "the class to keep is the true label. Abstraction: the validation protocol above. DeepPoly: relucid's "
          "(numpy, CPU, batched per label), the smaller of two timed runs, all images together. "
          "**differ**: images whose DeepPoly verdict on the abstract network differs from the one on the original "
          "(`+a`: proved only on the abstract, `+o`: only on the original); each is checked with relucid's complete "
          f"verifier on the original ({CHECK_TIMEOUT:g} s timeout; `f` falsified = the original is not robust, "
          "`p` proved, `u` unknown). **Lifted**: proofs for the original from the abstract network — the paper's "
          "Theorem 3 with ε of Eq. 3 (Euclidean over the 1,000 clustering inputs) and with the per-input maximum "
          "distance (both unsound in general; see docs/abstraction.md), and relucid's sound lifting (`lift_sound`, time includes its "
          "DeepPoly pass on the abstract network).", "",
          "| network | ε | DeepPoly original: proved / s | abstract: proved / s | speed-up | differ (checks) | "
          "lifted: Thm 3 Eq. 3 | Thm 3 max | sound / s |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for v in r["verification"]:
            o, a = v["deeppoly_original"], v["deeppoly_abstract"]
            checks = {int(k): c for k, c in v["complete_checks"].items()}  # JSON keys are strings
            marks = ["+a" + checks.get(i, "?")[0] for i in v["proved_only_on_abstract"]]
            marks += ["+o" + checks.get(i, "?")[0] for i in v["proved_only_on_original"]]
            L.append(f"| {r['arch']} | {v['eps']:g} | {o['proved']} / {o['seconds']:.2f} | {a['proved']} / {a['seconds']:.2f} | "
                     f"{o['seconds'] / a['seconds']:.1f}× | {v['differ']} ({' '.join(marks) or '-'}) | "
                     f"{v['lifted_paper_eq3']} | {v['lifted_paper_max']} | {v['lifted_sound']} / {v['sound_seconds']:.2f} |")
    refuted = [(r["arch"], v["eps"], i) for r in rows for v in r["verification"] for i in v["abstract_proved_but_original_falsified"]]
    sound_extra = sum(v["sound_not_proved_by_deeppoly_original"] for r in rows for v in r["verification"])
    sound_bad = sum(len(v["sound_refuted"]) for r in rows for v in r["verification"])
    paper_bad = sum(len(v["paper_lift_refuted"]) for r in rows for v in r["verification"])
    L += ["", f"- Abstract-network proofs that are wrong for the original (complete verifier found a counterexample): "
          f"{len(refuted)}" + (f" ({', '.join(f'{a} ε={e:g} image #{i}' for a, e, i in refuted)})" if refuted else "") + ".",
          f"- Sound-lifted proofs that DeepPoly on the original does not give: {sound_extra}; sound-lifted proofs "
          f"refuted by a complete check: {sound_bad} (none can be: every step is an enclosure).",
          f"- Proofs of the paper's lifting refuted on these images: {paper_bad}."]
    t2 = result.get("table2")
    same = [v for r in rows if r["arch"] == "6x300" for v in r["verification"] if t2 and v["eps"] == t2["eps"]]
    if same:
        L.append(f"- Timing noise: the machine is shared (load average above). The same DeepPoly pass (6x300, the same "
                 f"{t2['n']} images, ε = {t2['eps']:g}) took {same[0]['deeppoly_original']['seconds']:.2f} s here and "
                 f"{t2['deeppoly_original']['seconds']:.2f} s in §3; compare times within a row, not across runs.")
    if t2:
        L += ["", f"## 3. The paper's Table 2 setting: 6x300, removals in later layers only, ε = {t2['eps']:g}", "",
              f"Neurons removed in the paper's layers 3, 4, 5, 6 (layer 1 is the input: our hidden layers 1-4, "
              f"0-based) as in each row of the paper's Table 2; same {t2['n']} images as above. Where a layer has "
              "fewer distinct activation vectors than the clusters asked for (dead neurons), k-means finds fewer "
              "clusters, so our reduction can exceed the paper's for the same row. DeepPoly on the original proves "
              f"{t2['deeppoly_original']['proved']} / {t2['n']} in {t2['deeppoly_original']['seconds']:.2f} s. "
              "The paper's columns are for 200 images and their own 6x300 (ERAN, minutes for the whole pipeline). "
              "\"Thm 3 at ε=0\" is the paper's lifting on a zero-width box (what the paper's published code does) "
              "with the per-input maximum ε.", "",
              "| removed | reduction % | test drop % | abstract: proved / s | lifted: Thm 3 Eq. 3 | Thm 3 max | "
              "Thm 3 max at ε=0 | sound / s | largest ε_max per layer | paper: reduction % | images verified / 200 | min |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in t2["rows"]:
            p = r["paper"]
            L.append(f"| {', '.join(map(str, r['removed']))} | {r['reduction_pct']:.2f} | {r['test_drop_pct']:.2f} | "
                     f"{r['deeppoly_abstract']['proved']} / {r['deeppoly_abstract']['seconds']:.2f} | "
                     f"{r['lifted_paper_eq3']} | {r['lifted_paper_max']} | {r['lifted_paper_max_zero_width']} | "
                     f"{r['lifted_sound']} / {r['sound_seconds']:.2f} | "
                     f"{' '.join(f'{e:.2f}' for e in r['max_cluster_eps_max'])} | {p['reduction_pct']:.2f} | "
                     f"{p['verified_of_200']} | {p['minutes']} |")
    (out_dir / "abstraction.md").write_text("\n".join(L) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3x100 and 6x100 on 10 images, results to /tmp")
    ap.add_argument("--train-only", action="store_true", help="train (or load) the networks and stop")
    ap.add_argument("--markdown-only", action="store_true", help="rewrite abstraction.md from abstraction.json")
    args = ap.parse_args(argv)
    if args.markdown_only:
        write_markdown(json.loads((RESULTS / "abstraction.json").read_text()), RESULTS)
        print(f"wrote {RESULTS / 'abstraction.md'}")
        return 0
    started = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.perf_counter()
    data = load_mnist()
    if args.train_only:
        for arch in ARCHS:
            net, meta = get_network(arch, data[0], data[1], print)
            print(arch, meta, "test accuracy", accuracy(net, *data[2]))
        return 0
    archs = ARCHS[:2] if args.quick else ARCHS
    n_verify = 10 if args.quick else N_VERIFY
    out_dir = Path("/tmp/relucid-abstraction-quick") if args.quick else RESULTS
    log = lambda m: print(m, flush=True)  # noqa: E731
    machine = _machine.machine(" (BLAS, OpenMP and torch on one thread)", ["numpy", "scipy", "scikit-learn", "torch"])
    rows = [run_arch(arch, data, n_verify, log) for arch in archs]
    t2 = None if args.quick else table2(data, n_verify, log)
    result = {"rows": rows, "table2": t2, "eps": EPS, "n_cluster": N_CLUSTER, "seed": SEED,
              "meta": {"started": started, "git": _machine.git_rev(), "command": _machine.command_line(), "machine": machine,
                       "quick": args.quick, "wall_seconds": time.perf_counter() - t0}}
    write_json(result, out_dir)
    write_markdown(result, out_dir)
    print(f"wrote {out_dir / 'abstraction.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
