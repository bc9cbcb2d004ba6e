"""Dingliwal, Pareek & Arora, "Finding input characterizations for output properties in ReLU
neural networks": the paper's experiments (§3) re-run with relucid, paper's value beside ours.

1. **Pima, the paper's setting.** The Pima diabetes data (the MASS version in
   ``../shared/data/pima``: 532 rows, 7 features; the paper had the 768 x 8 UCI file), an 85/15
   stratified split (seed 0), z-scores fitted on the training split, a 12-10 ReLU
   ``MLPClassifier`` (scikit-learn defaults, seed 0). Domain of every proof: the box of the
   training data's min and max. One input per activation pattern the training set realises (the
   first in data order); for each, "its predicted class wins": the baseline (Algorithm 1) and the
   relaxed method at logit factors 0.9, 0.8, ..., 0.1, all with the paper's greedy
   (``stop_early=True``: stop after the first layer that cannot be freed whole). Metrics: support
   on the training data and the UA-box log-volume (``Characterization.ua_box()``); the paper's
   Figs 4 and 5. Every region is checked: the data points it contains and 1,000 points of its UA
   box must satisfy the property.
2. **MNIST, the paper's setting.** A 784-10x10-10 ReLU network (10 hidden layers of 10), trained
   here (``MLPClassifier``, seed 0, 30 epochs, pixels / 255); domain [0, 1]^784; the first
   training image of each of the 5 activation patterns most populated by the training set (how
   the paper's code chose its inputs); baseline and relaxed (0.9, 0.5, 0.1), paper's greedy, 30 s
   per verifier call and 120 s per run; support on the 60,000 training images.
3. **Variants.** Pima with relucid's default greedy (minimal patterns) on a seeded subset; and
   the cost of giving ``convex_region`` the domain as a ``Box`` (the verifier's "auto" then picks
   input splitting for <= 8 inputs) instead of the same box as a ``Polyhedron`` (MILP).

Resumable: every finished input is stored in ``benchmarks/results/paper_characterize.json`` (keyed
by a hash of the network and settings); a rerun skips them. ``--budget S`` stops starting inputs
after S seconds and writes the report of what is done (marked partial).

Run ``python benchmarks/paper_characterize.py [--budget S]``; writes
``benchmarks/results/paper_characterize.{md,json}`` and ``paper_characterize_{fig4,fig5}.png``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import relucid as rl  # noqa: E402
from relucid.characterize import class_property  # noqa: E402
from relucid.geometry.max_box import box_log_volume  # noqa: E402
from relucid.regions.pattern import activation_bits  # noqa: E402

import _machine  # noqa: E402  (benchmarks/_machine.py, beside this script)

ROOT = _machine.ROOT
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "results"
MD, JS = OUT / "paper_characterize.md", OUT / "paper_characterize.json"
FIG4, FIG5 = OUT / "paper_characterize_fig4.png", OUT / "paper_characterize_fig5.png"

FACTORS = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)  # largest first: counterexamples carry down
MNIST_FACTORS = (0.9, 0.5, 0.1)
MNIST_INPUTS = 5
MNIST_CALL_TIMEOUT, MNIST_RUN_TIMEOUT = 30.0, 120.0
PIMA_CALL_TIMEOUT = 60.0
VARIANT_INPUTS, VARIANT_FACTORS = 25, (0.9, 0.5, 0.1)
BOX_DOMAIN_INPUTS = 2
N_BOX_SAMPLES = 1000

# The paper's numbers (§3.2-3.3 and Figs 4-5), for the tables.
PAPER = {"rows": 768, "features": 8, "accuracy": 0.81, "patterns": 127, "no_find_minimal": 53,
         "more_at_05": 50, "equal_at_05": 41, "best_factor": 0.5, "mnist_before": 343, "mnist_after": 397}


# -- data and networks -------------------------------------------------------------
def pima() -> dict:
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    with np.load(DATA / "pima" / "pima_mass.npz", allow_pickle=False) as z:
        X, y = z["X"], z["y"]
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.15, stratify=y, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    with warnings.catch_warnings():  # 200 Adam epochs (the default) end before sklearn's tolerance
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden_layer_sizes=(12, 10), random_state=0).fit(Xtr, ytr)
    net = rl.from_sklearn(mlp)  # one logit z: class 1 iff z > 0
    assert np.array_equal((net(Xtr)[:, 0] > 0).astype(int), mlp.predict(Xtr))
    box = rl.Box(Xtr.min(axis=0), Xtr.max(axis=0))
    bits = activation_bits(net, Xtr)
    _, first = np.unique(bits, axis=0, return_index=True)
    return {"net": net, "Xtr": Xtr, "Xte": Xte, "ytr": ytr, "yte": yte, "box": box,
            "domain": rl.Polyhedron(box.A, box.b),  # the same box as rows: the verifier uses its MILP
            "reps": np.sort(first), "n_rows": len(X), "n_features": X.shape[1],
            "train_acc": float(mlp.score(Xtr, ytr)), "test_acc": float(mlp.score(Xte, yte)),
            "key": _key(net, "pima", FACTORS, PIMA_CALL_TIMEOUT)}


def mnist() -> dict:
    from sklearn.neural_network import MLPClassifier

    with np.load(DATA / "mnist" / "mnist_train.npz", allow_pickle=False) as z:
        Xtr, ytr = z["x"].reshape(-1, 784) / 255.0, z["y"].astype(int)
    with np.load(DATA / "mnist" / "mnist_test.npz", allow_pickle=False) as z:
        Xte, yte = z["x"].reshape(-1, 784) / 255.0, z["y"].astype(int)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden_layer_sizes=(10,) * 10, random_state=0, max_iter=30).fit(Xtr, ytr)
    train_s = time.perf_counter() - t
    net = rl.from_sklearn(mlp)
    bits = activation_bits(net, Xtr)
    _, first, counts = np.unique(bits, axis=0, return_index=True, return_counts=True)
    top = np.argsort(-counts, kind="stable")[:MNIST_INPUTS]
    return {"net": net, "Xtr": Xtr, "Xte": Xte, "ytr": ytr, "yte": yte, "train_s": train_s,
            "domain": rl.Box(np.zeros(784), np.ones(784)), "n_patterns": len(counts),
            "inputs": [(int(first[k]), int(counts[k])) for k in top],
            "train_acc": float(mlp.score(Xtr, ytr)), "test_acc": float(mlp.score(Xte, yte)),
            "key": _key(net, "mnist", MNIST_FACTORS, MNIST_CALL_TIMEOUT, MNIST_RUN_TIMEOUT)}


def _key(net, *settings) -> str:
    h = hashlib.sha256(repr(settings).encode())
    for layer in net.layers:
        h.update(np.ascontiguousarray(layer.weight).tobytes())
        h.update(np.ascontiguousarray(layer.bias).tobytes())
    return h.hexdigest()[:16]


# -- one run -------------------------------------------------------------------------
def run(net, x, prop, method, factor, domain, Xtr, Xte, pool, *, stop_early, timeout, total_timeout=None,
        boxes=True) -> dict:
    """One ``convex_region`` call (what a user calls), its metrics and a soundness check."""
    t = time.perf_counter()
    ch = rl.convex_region(net, x, prop, method, 0.5 if factor is None else factor, domain=domain, timeout=timeout,
                          total_timeout=total_timeout, witnesses=pool, stop_early=stop_early)
    row = {"method": method, "factor": factor, "time": time.perf_counter() - t,
           "support": ch.support(Xtr), "support_test": ch.support(Xte), "n_fixed": len(ch.pattern),
           "calls": ch.verifier_calls, "reached": ch.reached_find_minimal,
           "unknown": 0 if ch.minimisation is None else ch.minimisation.unknown,
           "pattern": ch.pattern.to_string(net)}
    D = np.vstack([Xtr, Xte])
    inside = ch.contains(D)
    row["data_violations"] = int(np.count_nonzero(~prop.holds_at(net(D[inside])))) if inside.any() else 0
    if boxes:
        t = time.perf_counter()
        box = ch.ua_box()
        row["time_box"] = time.perf_counter() - t
        row["log_volume"] = box_log_volume(box.lo, box.hi)
        row["log_volume_max_box"] = ch.ua_log_volume(grow=False)
        B = box.sample(N_BOX_SAMPLES, rng=0)
        row["box_violations"] = int(np.count_nonzero(~ch.contains(B) | ~prop.holds_at(net(B))))
    return row


def pima_input(s: dict, i: int, *, stop_early: bool, factors, domain=None) -> dict:
    net, x = s["net"], s["Xtr"][i]
    c = int(net(x)[0] > 0)
    prop = class_property(net.output_dim, c)
    pool: list = []
    kw = dict(stop_early=stop_early, timeout=PIMA_CALL_TIMEOUT)
    dom = s["domain"] if domain is None else domain
    rows = [run(net, x, prop, "baseline", None, dom, s["Xtr"], s["Xte"], pool, **kw)]
    rows += [run(net, x, prop, "relaxed", f, dom, s["Xtr"], s["Xte"], pool, **kw) for f in factors]
    return {"index": int(i), "class": c, "rows": rows}


def mnist_input(s: dict, i: int, count: int) -> dict:
    net, x = s["net"], s["Xtr"][i]
    c = int(net(x).argmax())
    prop = rl.ClassWins(c)
    pool: list = []
    kw = dict(stop_early=True, timeout=MNIST_CALL_TIMEOUT, total_timeout=MNIST_RUN_TIMEOUT, boxes=False)
    rows = [run(net, x, prop, "baseline", None, s["domain"], s["Xtr"], s["Xte"], pool, **kw)]
    rows += [run(net, x, prop, "relaxed", f, s["domain"], s["Xtr"], s["Xte"], pool, **kw) for f in MNIST_FACTORS]
    return {"index": int(i), "class": c, "label": int(s["ytr"][i]), "pattern_count": count, "rows": rows}


# -- the resumable store -------------------------------------------------------------
class Store:
    """Finished inputs per section, in ``paper_characterize.json``; a section whose key changed starts over."""

    def __init__(self, path: Path):
        self.path = path
        self.data = json.loads(path.read_text()) if path.exists() else {}
        self.data.setdefault("sections", {})

    def section(self, name: str, key: str) -> dict:
        sec = self.data["sections"].get(name)
        if sec is None or sec.get("key") != key:
            sec = self.data["sections"][name] = {"key": key, "inputs": {}}
        return sec["inputs"]

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        tmp.replace(self.path)


def fill(store: Store, done: dict, items, fn, deadline: float, desc: str) -> None:
    """Run ``fn(item)`` for every item not yet in ``done`` until the deadline, saving after each."""
    todo = [it for it in items if str(it) not in done]
    for it in tqdm(todo, desc=desc, mininterval=5):
        if time.monotonic() > deadline:
            break
        done[str(it)] = fn(it)
        store.save()


# -- summaries -------------------------------------------------------------------------
def col(results, method, factor, key) -> np.ndarray:
    return np.array([next(r[key] for r in res["rows"] if r["method"] == method and r["factor"] == factor)
                     for res in results], dtype=float)


def compare(a, b) -> tuple[int, int, int]:
    """How many of ``a`` are larger than, equal to, smaller than ``b`` (log-volumes: within 1e-9)."""
    return int((a > b + 1e-9).sum()), int((np.abs(a - b) <= 1e-9).sum()), int((a < b - 1e-9).sum())


def pima_summary(results, factors) -> dict:
    base = {k: col(results, "baseline", None, k) for k in ("support", "log_volume")}
    per = {}
    for f in factors:
        sup, vol = col(results, "relaxed", f, "support"), col(results, "relaxed", f, "log_volume")
        per[f] = {"mean_support": sup.mean(), "median_support": np.median(sup), "mean_log_volume": vol.mean(),
                  "median_log_volume": np.median(vol), "mean_fixed": col(results, "relaxed", f, "n_fixed").mean(),
                  "mean_calls": col(results, "relaxed", f, "calls").mean(),
                  "mean_time": col(results, "relaxed", f, "time").mean(),
                  "support_vs_base": compare(sup, base["support"]),
                  "volume_vs_base": compare(vol, base["log_volume"])}
    best_sup = np.max([col(results, "relaxed", f, "support") for f in factors], axis=0)
    best_vol = np.max([col(results, "relaxed", f, "log_volume") for f in factors], axis=0)
    rows = [r for res in results for r in res["rows"]]
    reached = col(results, "baseline", None, "reached").astype(bool)
    mid = 0.5 if 0.5 in factors else factors[0]
    groups = {}
    for name, m in (("minimised", reached), ("not_minimised", ~reached)):
        sup = col(results, "relaxed", mid, "support")[m]
        groups[name] = {"n": int(m.sum()), "vs_base": compare(sup, base["support"][m]),
                        "base_mean": float(base["support"][m].mean()) if m.any() else 0.0,
                        "relaxed_mean": float(sup.mean()) if m.any() else 0.0,
                        "base_fixed": float(col(results, "baseline", None, "n_fixed")[m].mean()) if m.any() else 0.0,
                        "relaxed_fixed": float(col(results, "relaxed", mid, "n_fixed")[m].mean()) if m.any() else 0.0}
    return {
        "groups": groups,
        "n": len(results), "per": per, "base": base, "best_sup": best_sup, "best_vol": best_vol,
        "no_find_minimal": int((~col(results, "baseline", None, "reached").astype(bool)).sum()),
        "base_fixed": col(results, "baseline", None, "n_fixed").mean(),
        "base_calls": col(results, "baseline", None, "calls").mean(),
        "base_time": col(results, "baseline", None, "time").mean(),
        "best_factor_support": max(factors, key=lambda f: per[f]["mean_support"]),
        "best_factor_volume": max(factors, key=lambda f: per[f]["mean_log_volume"]),
        "unknown": int(sum(r["unknown"] for r in rows)),
        "violations": int(sum(r["data_violations"] + r.get("box_violations", 0) for r in rows)),
        "regions": len(rows), "time": float(sum(r["time"] + r.get("time_box", 0.0) for r in rows)),
    }


def why_support(s, n_pat, n_train) -> str:
    g, h = s["groups"]["minimised"], s["groups"]["not_minimised"]
    return (f"{n_pat} patterns for {n_train} training points ({n_train / n_pat:.1f} a pattern; the paper's about "
            f"{653 / PAPER['patterns']:.1f}), so a complete pattern holds few points and most supports are tiny (median "
            f"baseline support {np.median(s['base']['support']):g}). Where the baseline could not call FindMinimal "
            f"({h['n']} inputs) the relaxed region is larger on {h['vs_base'][0]} (mean support {h['relaxed_mean']:.1f} "
            f"against {h['base_mean']:.1f}); where it could ({g['n']}), on {g['vs_base'][0]} only (mean "
            f"{g['relaxed_mean']:.1f} against {g['base_mean']:.1f})")


def why_equal(s) -> str:
    h = s["groups"]["not_minimised"]
    return (f"{h['vs_base'][1]} of the ties are inputs where the baseline could not call FindMinimal: both regions "
            "hold only x0's own pattern's points")


def why_smaller(s) -> str:
    g = s["groups"]["minimised"]
    return (f"{g['vs_base'][2]} of these are inputs where the baseline minimised: 'the class wins' is a weaker demand "
            f"than 'stay within ε of x0's linear extrapolation', and the half-space dW x + db >= ε cuts further "
            f"(mean fixed neurons there: baseline {g['base_fixed']:.1f}, relaxed {g['relaxed_fixed']:.1f})")


def rise_then_fall(values: list) -> str:
    """Whether a curve over factors 0.9..0.1 peaks strictly inside (the paper's Fig. 5 shape)."""
    k = int(np.argmax(values))
    return "peak inside the range (rise, then fall)" if 0 < k < len(values) - 1 else \
        f"no interior peak (maximum at the {'largest' if k == 0 else 'smallest'} factor)"


# -- figures ---------------------------------------------------------------------------------
def figures(results, s) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(12, 8))
    for row, key, best, label in ((0, "support", s["best_sup"], "support in training data"),
                                  (1, "log_volume", s["best_vol"], "log-volume of the UA box")):
        base = s["base"][key]
        order = np.argsort(base, kind="stable")
        xs = np.arange(len(base))
        for a, other, title in ((ax[row, 0], col(results, "relaxed", 0.5, key), "relaxed, logit factor 0.5"),
                                (ax[row, 1], best, "relaxed, best factor per input")):
            a.scatter(xs, base[order], c="tab:red", s=12, label="baseline")
            a.scatter(xs, other[order], c="tab:blue", s=12, marker="x", label="relaxed")
            a.set_title(f"{label}: {title}", fontsize=9)
            a.set_xlabel("input (one per activation pattern), sorted by the baseline's value", fontsize=8)
            a.legend(fontsize=8)
            if key == "support":
                a.set_yscale("log")
    fig.suptitle(f"Pima (MASS) 7-12-10-1 ReLU network, paper's greedy: {s['n']} inputs (paper's Fig. 4)")
    fig.tight_layout()
    fig.savefig(FIG4, dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for a, key, label in ((ax[0], "support", "support in training data"), (ax[1], "log_volume", "UA-box log-volume")):
        a.plot(FACTORS, [s["per"][f][f"mean_{key}"] for f in FACTORS], "o-", c="tab:blue", label="relaxed, mean")
        a.axhline(s["base"][key].mean(), c="tab:red", ls="--", label="baseline, mean")
        a.set_xlabel("logit factor")
        a.set_title(f"mean {label} against the logit factor", fontsize=9)
        a.legend(fontsize=8)
    fig.suptitle(f"Pima (MASS), {s['n']} inputs (paper's Fig. 5)")
    fig.tight_layout()
    fig.savefig(FIG5, dpi=100)
    plt.close(fig)


# -- the report -------------------------------------------------------------------------------
def pct(k, n) -> str:
    return f"{k} of {n} ({100 * k / n:.0f} %)" if n else "none run"


def write_md(P, M, store, head, started, elapsed, cpu) -> None:
    secs = store.data["sections"]
    res = [secs["pima"]["inputs"][str(i)] for i in P["order"] if str(i) in secs["pima"]["inputs"]]
    n_pat = len(P["reps"])
    L = [
        "# Dingliwal, Pareek & Arora: input characterisations — the paper's experiments with relucid",
        "",
        f"Written by `{_machine.command_line()}` on {started} (git {_machine.git_rev()}); this invocation ran "
        f"{elapsed / 60:.1f} min wall, {cpu / 60:.1f} min of this process's CPU (finished inputs of earlier invocations "
        "are read from `paper_characterize.json`). Times in the tables are wall seconds on a shared machine; the "
        f"timed calls of every stored input add up to {stored_seconds(secs) / 60:.0f} min.",
        "",
        "## Machine",
        *head,
        "",
    ]
    s = pima_summary(res, FACTORS) if res else None
    if s:
        figures(res, s)
    m_res = [secs["mnist"]["inputs"][str(i)] for i, _ in M["inputs"] if str(i) in secs["mnist"]["inputs"]]
    L += pima_section(P, s, n_pat)
    L += mnist_section(M, m_res)
    L += variant_sections(P, secs, s)
    L += ["", "## Every Pima input (paper's setting)", "",
          "Support on the training data; `*`: the baseline could not call FindMinimal.", "",
          "| input | class | baseline support | baseline log-vol | relaxed 0.5 support | relaxed 0.5 log-vol | "
          "best factor (support) | its support | fixed: baseline / relaxed 0.5 |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in res:
        b = r["rows"][0]
        h = next(x for x in r["rows"] if x["factor"] == 0.5)
        best = max(r["rows"][1:], key=lambda x: x["support"])
        L.append(f"| {r['index']} | {r['class']} | {b['support']}{'' if b['reached'] else '*'} | {b['log_volume']:.2f} | "
                 f"{h['support']} | {h['log_volume']:.2f} | {best['factor']} | {best['support']} | "
                 f"{b['n_fixed']} / {h['n_fixed']} |")
    MD.write_text("\n".join(L) + "\n")


def stored_seconds(secs) -> float:
    """Wall seconds of every timed call (``convex_region``, ``ua_box``) of every stored input."""
    def rows(rec):
        return rec["rows"] if "rows" in rec else [rec["box"]]
    return float(sum(r["time"] + r.get("time_box", 0.0) for sec in secs.values() for rec in sec["inputs"].values()
                     for r in rows(rec)))


def pima_section(P, s, n_pat) -> list[str]:
    L = ["## Pima: the paper's setting", "",
         f"Data: `../shared/data/pima/pima_mass.npz`, {P['n_rows']} rows x {P['n_features']} features; 85/15 stratified "
         f"split (seed 0): {len(P['Xtr'])} training, {len(P['Xte'])} test points; z-scores from the training split "
         "(inputs, boxes and volumes are in these units). Network: `MLPClassifier((12, 10))`, scikit-learn defaults "
         "(Adam, 200 epochs), seed 0, loaded with `rl.from_sklearn` (one logit z; 'class 1 wins' is z > 0, "
         "`class_property`). Domain: the training data's min/max box, given to `rl.convex_region` as a `Polyhedron` "
         "(see the variant below for why). Greedy: the paper's (`stop_early=True`). Verifier: `rl.verify` inside "
         f"`convex_region`, {PIMA_CALL_TIMEOUT:g} s per call. UA box: `Characterization.ua_box()` (maximum-volume box "
         "inside the region's convex part, grown while DeepPoly proves it inside the region).", ""]
    if not s:
        return L + ["No input finished yet.", ""]
    per5 = s["per"][0.5]
    m, e, l5 = per5["support_vs_base"]
    pm, pe = PAPER["more_at_05"], PAPER["equal_at_05"]
    pl = PAPER["patterns"] - pm - pe
    bm, be, bl = compare(s["best_sup"], s["base"]["support"])
    vm, ve, vl = per5["volume_vs_base"]
    wm, we, wl = compare(s["best_vol"], s["base"]["log_volume"])
    sup_curve = [s["per"][f]["mean_support"] for f in FACTORS]
    vol_curve = [s["per"][f]["mean_log_volume"] for f in FACTORS]
    partial = "" if s["n"] == n_pat else f" **(partial: {s['n']} of {n_pat} inputs run; rerun to continue)**"
    L += [
        f"### Paper against relucid{partial}", "",
        "| quantity | paper | relucid | the difference explained |",
        "|---|---|---|---|",
        f"| data | {PAPER['rows']} rows x {PAPER['features']} features (UCI) | {P['n_rows']} x {P['n_features']} (MASS) | "
        "MASS drops every record with a missing value (coded 0 in the UCI file) and the insulin column |",
        f"| test accuracy (85/15 split) | {PAPER['accuracy']:.0%} | {P['test_acc']:.1%} (training {P['train_acc']:.1%}) | "
        f"retrained network on other data; {len(P['Xte'])} test points, so one point is {100 / len(P['Xte']):.1f} % |",
        f"| activation patterns realised by the training set (of 2^22) | {PAPER['patterns']} (of about 653 points) | "
        f"{n_pat} (of {len(P['Xtr'])} points) | standardised inputs spread the points over many more regions; the paper does "
        "not say how it trained or scaled (its 127 suggests unscaled features, where a few large ones dominate) |",
        f"| inputs run (one per pattern) | {PAPER['patterns']} | {s['n']} | |",
        f"| baseline cannot call FindMinimal (complete pattern does not imply the class) | "
        f"{pct(PAPER['no_find_minimal'], PAPER['patterns'])} | {pct(s['no_find_minimal'], s['n'])} | "
        "measured with relucid's exact verifier over the data box; the paper's Marabou over its input bounds |",
        f"| relaxed (factor 0.5) support **larger** than baseline | {pct(pm, PAPER['patterns'])} | {pct(m, s['n'])} | "
        f"{why_support(s, n_pat, len(P['Xtr']))} |",
        f"| ... **equal** | {pct(pe, PAPER['patterns'])} | {pct(e, s['n'])} | {why_equal(s)} |",
        f"| ... **smaller** | {pct(pl, PAPER['patterns'])} (the rest) | {pct(l5, s['n'])} | {why_smaller(s)} |",
        f"| best factor per input: support larger / equal / smaller | not given (Fig. 4: 'majority above') | "
        f"{bm} / {be} / {bl} | {'a majority above' if bm > be + bl else 'not a majority above'} |",
        f"| UA-box log-volume at 0.5: larger / equal / smaller | not given (Fig. 4: 'majority above') | {vm} / {ve} / {vl} | "
        f"{'a majority above' if vm > ve + vl else 'not a majority above'}; the paper boxed only the pattern's own rows "
        "(and checked two corners); ours are proven inside the region |",
        f"| ... best factor per input | not given (Fig. 4) | {wm} / {we} / {wl} | "
        f"{'a majority above' if wm > we + wl else 'not a majority above'} |",
        f"| best logit factor for mean support (Fig. 5) | {PAPER['best_factor']} | {s['best_factor_support']} | "
        f"mean support {' / '.join(f'{v:.1f}' for v in sup_curve)} at {' / '.join(map(str, FACTORS))}; no factor reaches the "
        f"baseline's mean {s['base']['support'].mean():.1f} |" if max(sup_curve) < s['base']['support'].mean() else
        f"| best logit factor for mean support (Fig. 5) | {PAPER['best_factor']} | {s['best_factor_support']} | "
        f"mean support {' / '.join(f'{v:.1f}' for v in sup_curve)} at {' / '.join(map(str, FACTORS))} |",
        f"| best logit factor for mean log-volume (Fig. 5) | {PAPER['best_factor']} (mean volume) | "
        f"{s['best_factor_volume']} | we average log-volumes (volumes span many orders of magnitude): "
        f"{' / '.join(f'{v:.2f}' for v in vol_curve)} at {' / '.join(map(str, FACTORS))} |",
        f"| shape of Fig. 5, support | rise, then fall | {rise_then_fall(sup_curve)} | a smaller ε frees fewer neurons "
        f"(mean fixed {s['per'][FACTORS[0]]['mean_fixed']:.1f} at {FACTORS[0]}, {s['per'][FACTORS[-1]]['mean_fixed']:.1f} "
        f"at {FACTORS[-1]}) |",
        f"| shape of Fig. 5, volume | rise, then fall | {rise_then_fall(vol_curve)} | |",
        "",
        f"Soundness: {s['regions']} returned regions; data points inside a region that violate its property, plus "
        f"{N_BOX_SAMPLES} samples of each UA box outside the region or violating the property: **{s['violations']}**. "
        f"Verifier calls that ended unknown (timeout): {s['unknown']}. Time in `convex_region` + `ua_box`: "
        f"{s['time']:.0f} s for the {s['n']} inputs ({s['time'] / s['n']:.1f} s per input, 10 runs each).",
        "",
        "### Per logit factor (the data of Fig. 5)", "",
        "| run | mean support | median support | mean log-vol | median log-vol | mean fixed neurons | mean calls | "
        "mean s | support > / = / < baseline | log-vol > / = / < baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        f"| baseline | {s['base']['support'].mean():.1f} | {np.median(s['base']['support']):g} | "
        f"{s['base']['log_volume'].mean():.2f} | {np.median(s['base']['log_volume']):.2f} | {s['base_fixed']:.1f} | "
        f"{s['base_calls']:.1f} | {s['base_time']:.2f} | | |",
    ]
    for f in FACTORS:
        p = s["per"][f]
        L.append(f"| relaxed {f} | {p['mean_support']:.1f} | {p['median_support']:g} | {p['mean_log_volume']:.2f} | "
                 f"{p['median_log_volume']:.2f} | {p['mean_fixed']:.1f} | {p['mean_calls']:.1f} | {p['mean_time']:.2f} | "
                 f"{' / '.join(map(str, p['support_vs_base']))} | {' / '.join(map(str, p['volume_vs_base']))} |")
    L += ["", "![Fig. 4](paper_characterize_fig4.png)", "",
          "Paper's Fig. 4: per input, baseline (red) and relaxed (blue) — left at factor 0.5, right the best factor per "
          "input; top support (log scale), bottom UA-box log-volume.", "",
          "![Fig. 5](paper_characterize_fig5.png)", "",
          "Paper's Fig. 5: mean support and mean UA-box log-volume against the logit factor (baseline dashed).", ""]
    return L


def mnist_section(M, res) -> list[str]:
    L = ["## MNIST, 10 hidden layers of 10: the paper's setting", "",
         f"Network trained here: `MLPClassifier((10,) * 10)`, seed 0, 30 Adam epochs on the 60,000 training images "
         f"(pixels / 255), {M['train_s']:.0f} s; training accuracy {M['train_acc']:.1%}, test {M['test_acc']:.1%}. The "
         "paper used a network from Gopinath et al. (file `mnist_10_layer.txt` in its code; accuracy not reported). "
         f"Activation patterns realised by the training set: {M['n_patterns']}. Inputs: the first training image of "
         f"each of the {MNIST_INPUTS} most populated patterns (the paper's code picks its inputs this way; the paper "
         "reports two). Domain [0, 1]^784. Paper's greedy; "
         f"{MNIST_CALL_TIMEOUT:g} s per verifier call and {MNIST_RUN_TIMEOUT:g} s per `convex_region` call (an unknown "
         "call keeps its neurons fixed: sound, not minimal). No UA boxes (the paper reports none for MNIST; at 784 "
         "inputs the maximum-volume box alone takes minutes). Support: training images in the region (of 60,000).", ""]
    if not res:
        return L + ["No input finished yet.", ""]
    base = np.array([r["rows"][0]["support"] for r in res])
    best = np.array([max(x["support"] for x in r["rows"][1:]) for r in res])
    k = int(np.argmax(best - base))
    more, equal, less = compare(best, base)
    L += ["| quantity | paper | relucid | the difference explained |", "|---|---|---|---|",
          f"| inputs compared | 2 | {len(res)} | |",
          f"| training support, baseline → relaxed, the input with the largest gain | {PAPER['mnist_before']} → "
          f"{PAPER['mnist_after']} (+{PAPER['mnist_after'] - PAPER['mnist_before']}) | {base[k]} → {best[k]} "
          f"({best[k] - base[k]:+d}, input {res[k]['index']}) | another network (retrained), other inputs; the paper's "
          "ε were absolute (1e-5 … 1 in its code), ours are logit factors |",
          f"| inputs where the relaxed method (best factor) has larger / equal / smaller support | 1 of 2 improved "
          f"| {more} / {equal} / {less} | {why_mnist(res, base, best)} |", "",
          "| input | class (label) | its pattern holds | baseline: support, fixed, calls, unknown, s | "
          + " | ".join(f"relaxed {f}: support, fixed, calls, unknown, s" for f in MNIST_FACTORS) + " |",
          "|---:|---|---:|---|" + "---|" * len(MNIST_FACTORS)]
    for r in res:
        cells = []
        for x in r["rows"]:
            star = "" if x["reached"] else " (no FindMinimal)"
            cells.append(f"{x['support']}{star}, {x['n_fixed']}, {x['calls']}, {x['unknown']}, {x['time']:.0f}")
        L.append(f"| {r['index']} | {r['class']} ({r['label']}) | {r['pattern_count']} | " + " | ".join(cells) + " |")
    viol = sum(x["data_violations"] for r in res for x in r["rows"])
    L += ["", f"Soundness: training and test images inside a returned region that violate its property: **{viol}**.", ""]
    return L


def why_mnist(res, base, best) -> str:
    reached = np.array([r["rows"][0]["reached"] for r in res])
    parts = []
    if reached.any():
        m = reached
        parts.append(f"where the baseline could call FindMinimal ({int(m.sum())} inputs) the relaxed method is larger "
                     f"on {int((best[m] > base[m]).sum())}: freeing neurons while keeping within ε of x0's linear map is "
                     "harder than keeping the class")
    if (~reached).any():
        m = ~reached
        parts.append(f"where it could not ({int(m.sum())}: the baseline returns x0's complete pattern and P(Wx+b)) the "
                     f"relaxed method is larger on {int((best[m] > base[m]).sum())}")
    return "; ".join(parts)


def variant_sections(P, secs, s) -> list[str]:
    L = ["## Variant: relucid's default greedy (minimal patterns), Pima", ""]
    v = secs.get("pima_minimal", {}).get("inputs", {})
    res = [v[str(i)] for i in P["order"][:VARIANT_INPUTS] if str(i) in v]
    if res:
        vs = pima_summary(res, VARIANT_FACTORS)
        same = [secs["pima"]["inputs"][str(r["index"])] for r in res if str(r["index"]) in secs["pima"]["inputs"]]
        L += [f"The first {len(res)} inputs of the seeded order, `stop_early=False` (every returned pattern minimal), "
              "baseline and relaxed at 0.9, 0.5, 0.1; the same inputs with the paper's greedy beside.", "",
              "| run | mean support (minimal) | median | mean fixed | mean calls | mean s | support > / = / < baseline "
              "| mean support, paper's greedy (same inputs) |",
              "|---|---:|---:|---:|---:|---:|---|---:|",
              f"| baseline | {vs['base']['support'].mean():.1f} | {np.median(vs['base']['support']):g} | "
              f"{vs['base_fixed']:.1f} | {vs['base_calls']:.1f} | {vs['base_time']:.2f} | | "
              f"{col(same, 'baseline', None, 'support').mean():.1f} |"]
        for f in VARIANT_FACTORS:
            p = vs["per"][f]
            L.append(f"| relaxed {f} | {p['mean_support']:.1f} | {p['median_support']:g} | {p['mean_fixed']:.1f} | "
                     f"{p['mean_calls']:.1f} | {p['mean_time']:.2f} | {' / '.join(map(str, p['support_vs_base']))} | "
                     f"{col(same, 'relaxed', f, 'support').mean():.1f} |")
        L += ["", f"Soundness over these {vs['regions']} regions: {vs['violations']} violations; "
              f"{vs['unknown']} unknown calls.", ""]
    else:
        L += ["Not run yet.", ""]
    L += ["## Variant: the domain as a `Box` (what a user would pass)", ""]
    v = secs.get("pima_box_domain", {}).get("inputs", {})
    res = [v[str(i)] for i in P["order"][:BOX_DOMAIN_INPUTS] if str(i) in v]
    if res:
        L += ["`rl.verify`'s automatic back end uses input splitting for a `Box` of at most 8 inputs, MILP for a "
              "`Polyhedron`. The same baseline runs (paper's greedy) with the data box given both ways (a verifier "
              f"call that runs out of its {PIMA_CALL_TIMEOUT:g} s answers unknown and keeps its neurons fixed, so the "
              "patterns can differ):", "",
              "| input | Box: s, calls, unknown, fixed, support | Polyhedron: s, calls, unknown, fixed, support | "
              "same pattern |",
              "|---:|---|---|---|"]
        for r in res:
            a, b = r["box"], secs["pima"]["inputs"].get(str(r["index"]), {"rows": [None]})["rows"][0]
            bcell = "not run" if b is None else \
                f"{b['time']:.2f}, {b['calls']}, {b['unknown']}, {b['n_fixed']}, {b['support']}"
            L.append(f"| {r['index']} | {a['time']:.2f}, {a['calls']}, {a['unknown']}, {a['n_fixed']}, {a['support']} | "
                     f"{bcell} | "
                     f"{'—' if b is None else 'yes' if a['pattern'] == b['pattern'] else 'no'} |")
        L.append("")
    else:
        L += ["Not run yet.", ""]
    return L


def box_domain_input(P, i: int) -> dict:
    """The paper-setting baseline with the data box as a ``Box`` (compared with the ``Polyhedron`` run of section 1)."""
    net, x = P["net"], P["Xtr"][i]
    prop = class_property(net.output_dim, int(net(x)[0] > 0))
    row = run(net, x, prop, "baseline", None, P["box"], P["Xtr"], P["Xte"], [], stop_early=True,
              timeout=PIMA_CALL_TIMEOUT, boxes=False)
    return {"index": int(i), "box": row}


# -- main ---------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=3600.0,
                    help="seconds after which no new input is started (default 3600); finished inputs are kept")
    ap.add_argument("--seed", type=int, default=0, help="order in which the Pima inputs are run")
    args = ap.parse_args()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = _machine.machine(" (one process, OMP_NUM_THREADS=1)", ["numpy", "scipy", "highspy", "scikit-learn"])
    t0, c0 = time.monotonic(), time.process_time()
    deadline = t0 + args.budget
    store = Store(JS)
    P = pima()
    P["order"] = [int(i) for i in np.random.default_rng(args.seed).permutation(P["reps"])]
    print(f"Pima: {len(P['reps'])} patterns, test accuracy {P['test_acc']:.3f}", flush=True)
    fill(store, store.section("pima", P["key"]), P["order"],
         lambda i: pima_input(P, i, stop_early=True, factors=FACTORS), deadline, "Pima, paper's setting")
    M = mnist()
    print(f"MNIST: test accuracy {M['test_acc']:.3f}, {M['n_patterns']} patterns", flush=True)
    counts = dict(M["inputs"])
    fill(store, store.section("mnist", M["key"]), [i for i, _ in M["inputs"]],
         lambda i: mnist_input(M, i, counts[i]), deadline, "MNIST 10x10")
    fill(store, store.section("pima_minimal", P["key"]), P["order"][:VARIANT_INPUTS],
         lambda i: pima_input(P, i, stop_early=False, factors=VARIANT_FACTORS), deadline, "Pima, minimal greedy")
    fill(store, store.section("pima_box_domain", P["key"]), P["order"][:BOX_DOMAIN_INPUTS],
         lambda i: box_domain_input(P, i), deadline, "Pima, Box domain")
    write_md(P, M, store, head, started, time.monotonic() - t0, time.process_time() - c0)
    print(f"wrote {MD.relative_to(ROOT)} (+ .json, figures) in {(time.monotonic() - t0) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
