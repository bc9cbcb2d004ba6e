"""Time of why / why-not explanations (``relucid.explain``) on mnistfc 256x4 and on small networks.

Workloads, all measured in one run on this machine:

(a) VNN-COMP 2021 mnistfc 256x4 (784 inputs, 4 x 256 ReLUs) on the first
    ``N_IMAGES`` MNIST test images, domain ``[0, 1]^784``:
    - ``why(net, x, domain)``: building the explanation (forward pass, the
      region's 2,592 rows, 9 class rows);
    - ``.bounds``: the range of every pixel over the why-polytope (2 x 784
      LP answers, most settled by rays and batch LPs);
    - ``.polyhedron``: the minimal H-representation (LP redundancy removal
      of the 2,601 rows), for the first ``N_FULL`` images only (about a
      minute each);
    - ``why_not(net, x, runner-up class)``: level 0 alone
      (``max_hamming=0``: is the target feasible inside x's region?) and the
      full search with a ``WHY_NOT_TIMEOUT`` s limit on a 2-process pool (so
      that the deadline is hard).
(b) Small networks: the shipped 2-D moons classifier (2-16-16-3) and the
    4-input control-policy network of ``docs/explain.md`` (4-8-8-3, trained
    here with scikit-learn, seed 0): full explanations (text included) for
    ``N_SMALL`` points each.

Run ``python benchmarks/explain_bench.py [--images N] [--full N]``; it prints
a summary and writes ``benchmarks/results/explain.md``. Part (a) is skipped,
with a message, when ``../shared/data`` is absent. :func:`explain_section`
returns the figures as a dict (for ``benchmarks/regions.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import relucid as rl
from relucid.examples import load_example_data, load_example_network
from relucid.explain import why, why_not

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _machine  # noqa: E402  benchmarks/_machine.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "explain.md"
N_IMAGES = 20
N_FULL = 20
N_SMALL = 20
WHY_NOT_TIMEOUT = 30.0
WHY_NOT_JOBS = 2


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": statistics.median(values), "mean": statistics.fmean(values),
            "min": min(values), "max": max(values)}


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def policy_network():
    """The docs' 4-input control policy: an 8-8 ReLU MLP imitating a linear rule (seed 0)."""
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    lo = np.array([-2.4, -3.0, -0.21, -3.5])
    X = rng.uniform(lo, -lo, size=(4000, 4))
    s = X[:, 2] + 0.25 * X[:, 3] + 0.02 * X[:, 0] + 0.05 * X[:, 1]
    y = np.where(s > 0.1, 2, np.where(s < -0.1, 0, 1))
    mlp = MLPClassifier(hidden_layer_sizes=(8, 8), max_iter=3000, random_state=0).fit(X, y)
    return rl.from_sklearn(mlp), rl.Box(lo, -lo), X


# -- (a) mnistfc 256x4 -------------------------------------------------------------
def mnist_section(n_images: int = N_IMAGES, n_full: int = N_FULL, log=print) -> dict:
    net = rl.load(SHARED / "mnistfc" / "mnist-net_256x4.onnx")
    with np.load(SHARED / "mnist" / "mnist_test.npz") as z:
        X = z["x"][:n_images].reshape(n_images, -1).astype(np.float64) / 255.0
    dom = rl.Box(0.0, 1.0, dim=784)
    build, bounds, full, kept, level0, whynot = [], [], [], [], [], []
    statuses: dict[str, int] = {}
    steps = []
    for i, x in enumerate(X):
        e, t_build = _timed(lambda: why(net, x, domain=dom))
        _, t_bounds = _timed(lambda: e.bounds)
        build.append(t_build)
        bounds.append(t_bounds)
        line = f"image {i}: why {t_build:.3f} s, bounds {t_bounds:.2f} s"
        if i < n_full:
            P, t_full = _timed(lambda: e.polyhedron)
            full.append(t_full)
            kept.append(P.n_constraints)
            line += f", minimal H-rep {t_full:.1f} s ({P.n_constraints} of {e._system[0].shape[0]} rows)"
        y = net(x)
        target = int(np.argsort(y)[-2])
        w0, t0 = _timed(lambda: why_not(net, x, target, domain=dom, max_hamming=0, timeout=None))
        level0.append((t0, w0.found))
        w, t = _timed(lambda: why_not(net, x, target, domain=dom, timeout=WHY_NOT_TIMEOUT, n_jobs=WHY_NOT_JOBS))
        whynot.append(t)
        statuses[w.status] = statuses.get(w.status, 0) + 1
        if w.found:
            steps.append(w.steps)
        line += (f"; why_not(target {target}): level 0 {t0:.2f} s (found: {w0.found}), "
                 f"search {t:.1f} s -> {w.status}, {w.regions_visited} regions")
        log(line)
    return {
        "n_images": n_images,
        "why_build_s": _stats(build),
        "bounds_s": _stats(bounds),
        "minimal_hrep_s": _stats(full),
        "minimal_hrep_rows": _stats([float(k) for k in kept]),
        "why_not_level0_s": _stats([t for t, _ in level0]),
        "why_not_level0_found": sum(f for _, f in level0),
        "why_not_s": _stats(whynot),
        "why_not_status": statuses,
        "why_not_steps_found": steps,
        "why_not_timeout_s": WHY_NOT_TIMEOUT,
        "why_not_n_jobs": WHY_NOT_JOBS,
    }


# -- (b) small networks ---------------------------------------------------------------
def small_section(n_points: int = N_SMALL) -> dict:
    out = {}
    moons = load_example_network("moons")
    data = load_example_data("moons")
    policy, pdom, PX = policy_network()
    cases = {
        "moons 2-16-16-3": (moons, rl.Box(data.lo, data.hi), data.X),
        "policy 4-8-8-3": (policy, pdom, PX),
    }
    for name, (net, dom, X) in cases.items():
        pts = X[np.linspace(0, len(X) - 1, n_points).astype(int)]
        t_why, t_not, found, steps = [], [], 0, []
        for x in pts:
            _, t = _timed(lambda: why(net, x, domain=dom).text)
            t_why.append(t)
            target = int(np.argsort(net(x))[-2])
            w, t = _timed(lambda: (lambda e: (e, e.text))(why_not(net, x, target, domain=dom, timeout=60.0))[0])
            t_not.append(t)
            found += w.found
            if w.found:
                steps.append(w.steps)
        out[name] = {"why_s": _stats(t_why), "why_not_s": _stats(t_not), "found": found, "n": n_points,
                     "steps": _stats([float(s) for s in steps])}
    return out


def explain_section(n_images: int = N_IMAGES, n_full: int = N_FULL, log=print) -> dict:
    """All figures of this benchmark: ``{"mnist": ... or None, "small": ...}``."""
    mnist = None
    if (SHARED / "mnistfc" / "mnist-net_256x4.onnx").is_file():
        mnist = mnist_section(n_images, n_full, log=log)
    else:
        log(f"(a) skipped: {SHARED} not present (needs mnistfc/mnist-net_256x4.onnx and mnist/mnist_test.npz)")
    return {"mnist": mnist, "small": small_section()}


def _fmt(s: dict, digits: int = 2) -> str:
    if not s.get("n"):
        return "-"
    return f"{s['median']:.{digits}f} / {s['mean']:.{digits}f} / {s['max']:.{digits}f}"


def report(fig: dict) -> list[str]:
    lines = ["# Why / why-not explanations (`benchmarks/explain_bench.py`)", "", "Machine:",
             *_machine.machine(" (HiGHS runs single-threaded; why_not's pool uses 2 processes)",
                               ["numpy", "scipy", "highspy"]), ""]
    m = fig["mnist"]
    lines += ["## (a) mnistfc 256x4, MNIST test images, domain [0, 1]^784", ""]
    if m is None:
        lines += ["skipped: ../shared/data not present", ""]
    else:
        lines += [
            f"Seconds, median / mean / max over {m['n_images']} images (minimal H-representation: first "
            f"{m['minimal_hrep_s'].get('n', 0)}).",
            "",
            "| step | seconds |",
            "|---|---|",
            f"| `why(net, x, domain)`: the explanation object (region rows, class rows, tie check) | "
            f"{_fmt(m['why_build_s'], 3)} |",
            f"| `.bounds`: range of all 784 pixels over the why-polytope | {_fmt(m['bounds_s'])} |",
            f"| `.polyhedron`: minimal H-representation (also needed by `.text`, `.constraints`) | "
            f"{_fmt(m['minimal_hrep_s'], 1)} |",
            f"| `why_not(..., runner-up, max_hamming=0)`: target feasible in x's region? | "
            f"{_fmt(m['why_not_level0_s'])} |",
            f"| `why_not(..., runner-up, timeout={m['why_not_timeout_s']:g}, n_jobs={m['why_not_n_jobs']})` | "
            f"{_fmt(m['why_not_s'], 1)} |",
            "",
            f"Rows kept by the minimal H-representation (of 2,601): {_fmt(m['minimal_hrep_rows'], 0)}.",
            f"Runner-up class feasible inside x's own region: {m['why_not_level0_found']} of {m['n_images']} images.",
            f"why_not outcomes: {m['why_not_status']}; crossings of the regions found: {m['why_not_steps_found']}.",
            "",
        ]
    lines += ["## (b) Small networks: full explanations (text, bounds, vertices included)", "",
              "| network | why s (median / mean / max) | why_not s (median / mean / max) | why_not found "
              "| crossings (median / mean / max) |",
              "|---|---|---|---|---|"]
    for name, s in fig["small"].items():
        lines.append(f"| {name} | {_fmt(s['why_s'], 3)} | {_fmt(s['why_not_s'], 3)} | {s['found']} of {s['n']} | "
                     f"{_fmt(s['steps'], 1)} |")
    lines.append("")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=N_IMAGES)
    ap.add_argument("--full", type=int, default=N_FULL, help="images whose minimal H-representation is computed")
    args = ap.parse_args(argv)
    fig = explain_section(args.images, args.full)
    lines = report(fig)
    print("\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
