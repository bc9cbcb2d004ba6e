"""LP core throughput: relucid's HiGHS layer against scipy.optimize.linprog(method="highs").

Two workloads, both measured in this one run on this machine:

(a) Redundancy removal of one activation region of the VNN-COMP 2021 mnistfc
    256x4 network (784 inputs; 4 x 256 neuron rows + 2 x 784 pixel-bound rows
    from the domain [0, 1]^784), for MNIST test image 0. The full removal runs
    with both LP strategies of :mod:`relucid.geometry.redundancy`. Then the same
    per-row LPs (``max a_i x`` with row ``i`` relaxed by one unit, pixel bounds
    as variable bounds) for a fixed sample of rows are solved by a warm-started
    :class:`relucid.geometry.lp.LPModel` and by ``linprog`` from scratch; the
    optimal values are compared.
(b) Emptiness of 10,000 small random polytopes (2-6 dimensions, 5-20 rows,
    about half of them empty): one feasibility LP each through
    ``relucid.geometry.lp.feasible_point`` and through ``linprog``; verdicts are
    compared; ``Polyhedron.is_empty`` (validation, witness shortcut, LP) is
    timed end to end.

Run ``python benchmarks/lp_core.py``; it prints a summary and writes
``benchmarks/results/lp_core.md``. Part (a) is skipped, with a message, when
``../shared/data`` is absent.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linprog

import relucid as rl
from relucid.geometry import lp
from relucid.geometry.redundancy import redundancy_report

import _machine  # benchmarks/_machine.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "lp_core.md"
N_POLYTOPES = 10_000
N_REPLAY = 40  # per-row LPs replayed by both solvers in part (a)


def machine() -> list[str]:
    return _machine.machine(" (HiGHS runs single-threaded here)", ["numpy", "scipy", "highspy"])


# -- (a) redundancy removal of an MNIST region ------------------------------------
def mnist_region() -> rl.Polyhedron:
    net = rl.load(SHARED / "mnistfc" / "mnist-net_256x4.onnx")
    with np.load(SHARED / "mnist" / "mnist_test.npz") as z:
        x = z["x"][0].reshape(-1).astype(np.float64) / 255.0
    return rl.region(net, x, domain=rl.Box(0.0, 1.0, dim=784)).polyhedron


def full_removal(P: rl.Polyhedron, method: str) -> tuple[dict, np.ndarray]:
    t = time.perf_counter()
    rep = redundancy_report(P.A, P.b, method=method)
    seconds = time.perf_counter() - t
    return {
        "method": method,
        "seconds": seconds,
        "lps": rep.n_lps,
        "candidates": rep.n_candidates,
        "certified": rep.n_certified,
        "kept": rep.rows.size,
        "lps_per_s": rep.n_lps / seconds,
    }, rep.rows


def replay_per_row_lps(P: rl.Polyhedron) -> dict:
    """The per-row LP for a fixed sample of neuron rows: warm LPModel against linprog from scratch."""
    A, b = P.A, P.b
    general = np.flatnonzero(np.count_nonzero(A, axis=1) > 1)
    norms = np.linalg.norm(A[general], axis=1)
    G, g = A[general] / norms[:, None], b[general] / norms
    sample = np.linspace(0, general.size - 1, N_REPLAY).astype(int)
    lo, hi = np.zeros(A.shape[1]), np.ones(A.shape[1])

    t = time.perf_counter()
    model = lp.LPModel(G, g, lb=lo, ub=hi)
    ours = []
    for q in sample:
        model.set_rhs(q, g[q] + 1.0)
        ours.append(model.optimize(G[q], maximize=True).value)
        model.set_rhs(q, g[q])
    t_ours = time.perf_counter() - t

    t = time.perf_counter()
    theirs = []
    for q in sample:
        rhs = g.copy()
        rhs[q] += 1.0
        res = linprog(-G[q], A_ub=G, b_ub=rhs, bounds=list(zip(lo, hi)), method="highs")
        theirs.append(-res.fun if res.status == 0 else np.nan)
    t_scipy = time.perf_counter() - t
    diff = float(np.nanmax(np.abs(np.array(ours) - np.array(theirs))))
    return {"n": len(sample), "rows": G.shape[0], "ours_s": t_ours, "scipy_s": t_scipy, "max_diff": diff}


# -- (b) emptiness of many small polytopes ----------------------------------------
def random_polytopes(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(N_POLYTOPES):
        n, m = int(rng.integers(2, 7)), int(rng.integers(5, 21))
        out.append((rng.standard_normal((m, n)), rng.standard_normal(m) * 0.7 + 0.3))
    return out


def emptiness(polys) -> dict:
    t = time.perf_counter()
    ours = [lp.feasible_point(A, b).status is lp.LPStatus.INFEASIBLE for A, b in polys]
    t_ours = time.perf_counter() - t

    t = time.perf_counter()
    poly_empty = [rl.Polyhedron(A, b).is_empty() for A, b in polys]
    t_poly = time.perf_counter() - t
    n_witness = sum(bool(np.all(b >= 0)) for _, b in polys)

    t = time.perf_counter()
    theirs = []
    for A, b in polys:
        res = linprog(np.zeros(A.shape[1]), A_ub=A, b_ub=b, bounds=(None, None), method="highs")
        theirs.append(res.status == 2)
    t_scipy = time.perf_counter() - t
    return {
        "n": len(polys),
        "n_empty": int(sum(theirs)),
        "ours_s": t_ours,
        "poly_s": t_poly,
        "scipy_s": t_scipy,
        "disagree": int(sum(a != c for a, c in zip(ours, theirs))),
        "disagree_poly": int(sum(a != c for a, c in zip(poly_empty, theirs))),
        "n_witness": n_witness,
    }


# -- report -------------------------------------------------------------------------
def main() -> int:
    lines = ["# LP core throughput (`benchmarks/lp_core.py`)", "", "Machine:", *machine(), ""]
    print("\n".join(lines))

    lines += ["## (a) Redundancy removal of an MNIST region (mnistfc 256x4, test image 0, domain [0,1]^784)", ""]
    if not (SHARED / "mnistfc" / "mnist-net_256x4.onnx").is_file():
        msg = f"skipped: {SHARED} not present (needs mnistfc/mnist-net_256x4.onnx and mnist/mnist_test.npz)"
        print("(a) " + msg)
        lines += [msg, ""]
    else:
        P = mnist_region()
        lines += [
            f"Region polytope: {P.n_constraints} rows in dimension {P.dim}.",
            "",
            "| method | total s | LPs | LPs per second of total time | rows after pre-filters | certified by rays (no LP) | kept |",
            "|---|---|---|---|---|---|---|",
        ]
        kept = {}
        for method in ("per-row", "clarkson"):
            r, kept[method] = full_removal(P, method)
            row = (f"| {method} | {r['seconds']:.1f} | {r['lps']} | {r['lps_per_s']:.1f} | {r['candidates']} | "
                   f"{r['certified']} | {r['kept']} |")
            print("(a)", row)
            lines.append(row)
        same = np.array_equal(kept["per-row"], kept["clarkson"])
        lines += ["", f"Both methods keep the same rows: {same}.", ""]
        r = replay_per_row_lps(P)
        ratio = r["scipy_s"] / r["ours_s"]
        lines += [
            f"Same LPs, two solvers: the per-row LP (max a_i x, row i relaxed by one unit, {r['rows']} dense rows, "
            f"pixel bounds as variable bounds) for {r['n']} rows spread over the neuron rows.",
            "",
            "| solver | seconds | LPs/s |",
            "|---|---|---|",
            f"| relucid LPModel (warm-started dual simplex) | {r['ours_s']:.2f} | {r['n'] / r['ours_s']:.1f} |",
            f"| scipy linprog(method='highs'), from scratch | {r['scipy_s']:.2f} | {r['n'] / r['scipy_s']:.1f} |",
            "",
            f"Ratio: relucid is {ratio:.1f}x faster per LP; largest difference in optimal values {r['max_diff']:.2e}.",
            "",
        ]
        print(f"(a) replayed {r['n']} LPs: relucid {r['ours_s']:.2f}s, linprog {r['scipy_s']:.2f}s, ratio {ratio:.1f}x")

    e = emptiness(random_polytopes())
    ratio = e["scipy_s"] / e["ours_s"]
    lines += [
        f"## (b) Emptiness of {e['n']:,} random polytopes (2-6 dims, 5-20 rows; {e['n_empty']:,} empty)",
        "",
        "| path | seconds | per second |",
        "|---|---|---|",
        f"| relucid lp.feasible_point (one LP each) | {e['ours_s']:.2f} | {e['n'] / e['ours_s']:,.0f} LPs |",
        f"| relucid Polyhedron(A, b).is_empty() (validation + witness x=0 + LP) | {e['poly_s']:.2f} | "
        f"{e['n'] / e['poly_s']:,.0f} checks |",
        f"| scipy linprog(method='highs') (one LP each) | {e['scipy_s']:.2f} | {e['n'] / e['scipy_s']:,.0f} LPs |",
        "",
        f"Ratio: relucid's LP path is {ratio:.1f}x faster than linprog on the same LPs. "
        f"Verdicts differing from linprog: {e['disagree']} (feasible_point), {e['disagree_poly']} (is_empty). "
        f"The x=0 witness applied to {e['n_witness']} polytopes.",
        "",
    ]
    print(f"(b) {e['n']} emptiness LPs: relucid {e['ours_s']:.2f}s, linprog {e['scipy_s']:.2f}s, ratio {ratio:.1f}x; "
          f"is_empty end to end {e['poly_s']:.2f}s; disagreements {e['disagree']}/{e['disagree_poly']}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
