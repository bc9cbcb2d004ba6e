"""Exact preimage throughput on small 2-input ReLU networks over [0, 1]².

For each architecture (2x8, 3x8, 2x16, 3x16 hidden ReLUs, 2 outputs) and
each of several seeds: weights He-normal (std sqrt(2 / fan_in)), biases
N(0, 0.5²); the output set is the half-space ``Y = {y : y0 - y1 <= t}`` with
``t`` the median of ``y0 - y1`` over 4,000 uniform points of the domain, so
that Y's preimage covers about half of it (a class-like decision). Measured
per case, best of 3 runs (single-threaded numpy and HiGHS):

- pieces returned, explored and pruned (definitions in
  :class:`relucid.preimage.PreimageStats`), LPs solved;
- wall time of ``rl.preimage(net, Y, domain)`` (redundant rows removed; in
  2-D the polygon fast path gives the minimal rows for free), and time per
  returned piece;
- the same set computed in the paper's order (output to input,
  ``rl.preimage_layers``): pieces explored and wall time, for comparison.

Every run's result is checked against 20,000 random points (membership ⟺
``N(x) ∈ Y`` off the 1e-7 boundary band); a disagreement aborts the run.

Goals (issue 4): at most 1 ms per returned piece, and explored within 3x of
returned. Run ``python benchmarks/preimage.py``; writes
``benchmarks/results/preimage.md`` and ``.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import relucid as rl  # noqa: E402

import _machine  # noqa: E402  benchmarks/_machine.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "preimage.md"
ARCHS = [(2, 8), (3, 8), (2, 16), (3, 16)]
SEEDS = range(5)
REPEATS = 3
BACKWARD_LIMIT = 15.0  # seconds per backward-order run (a timeout is reported as such)


def network(depth: int, width: int, seed: int) -> rl.Network:
    rng = np.random.default_rng(1000 * depth + width + 7919 * seed)
    dims = [2] + [width] * depth + [2]
    layers = []
    for k, (a, b) in enumerate(zip(dims, dims[1:])):
        act = "relu" if k < depth else "identity"
        layers.append(rl.Dense(rng.normal(0, np.sqrt(2 / a), (b, a)), rng.normal(0, 0.5, b), act))
    return rl.Network(layers)


def output_set(net: rl.Network, rng) -> rl.Polyhedron:
    y = net(rng.random((4000, 2)))
    return rl.Polyhedron([[1.0, -1.0]], [float(np.median(y[:, 0] - y[:, 1]))])


def check(net, pre, Y, rng) -> None:
    X = rng.random((20_000, 2))
    y = net(X)
    slack = Y.b[0] - (y[:, 0] - y[:, 1])
    pre_z = np.hstack(net.preactivations(X)[:-1])
    clear = (np.abs(slack) > 1e-7) & (np.abs(pre_z).min(axis=1) > 1e-7)
    bad = (pre.contains(X) != (slack >= 0)) & clear
    if bad.any():
        raise SystemExit(f"membership check failed on {bad.sum()} points")


def run_case(depth: int, width: int, seed: int) -> dict:
    net = network(depth, width, seed)
    rng = np.random.default_rng(seed)
    Y = output_set(net, rng)
    domain = rl.Box([0.0, 0.0], [1.0, 1.0])
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        pre = rl.preimage(net, Y, domain=domain)
        times.append(time.perf_counter() - t)
    check(net, pre, Y, rng)
    s = pre.stats
    row = {
        "arch": f"{depth}x{width}",
        "seed": seed,
        "returned": s.returned,
        "explored": s.explored,
        "pruned": s.pruned,
        "lps": s.lps,
        "stable": s.stable,
        "seconds": min(times),
        "ms_per_piece": 1e3 * min(times) / max(s.returned, 1),
        "explored_ratio": s.explored / max(s.returned, 1),
    }
    t = time.perf_counter()
    try:
        stages, bstats = rl.preimage_layers(net, Y, domain, timeout=BACKWARD_LIMIT)
        row["backward_seconds"] = time.perf_counter() - t
        row["backward_explored"] = bstats.explored
        row["backward_returned"] = bstats.returned
    except TimeoutError:
        row["backward_seconds"] = None
        row["backward_explored"] = None
        row["backward_returned"] = None
    return row


def main() -> None:
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    head = _machine.machine(" (one process, OMP_NUM_THREADS=1)", ["numpy", "scipy", "highspy"])
    rows = []
    for depth, width in ARCHS:
        for seed in SEEDS:
            row = run_case(depth, width, seed)
            rows.append(row)
            print(json.dumps(row))
    summary = []
    for depth, width in ARCHS:
        sel = [r for r in rows if r["arch"] == f"{depth}x{width}"]
        tot_ret = sum(r["returned"] for r in sel)
        tot_exp = sum(r["explored"] for r in sel)
        tot_t = sum(r["seconds"] for r in sel)
        back = [r for r in sel if r["backward_seconds"] is not None]
        summary.append({
            "arch": f"{depth}x{width}",
            "returned": tot_ret,
            "explored": tot_exp,
            "seconds": tot_t,
            "ms_per_piece": 1e3 * tot_t / max(tot_ret, 1),
            "explored_ratio": tot_exp / max(tot_ret, 1),
            "worst_explored_ratio": max(r["explored_ratio"] for r in sel),
            "median_ms_per_piece": statistics.median(r["ms_per_piece"] for r in sel),
            "backward_explored": sum(r["backward_explored"] for r in back) if back else None,
            "backward_seconds": sum(r["backward_seconds"] for r in back) if back else None,
            "backward_done": f"{len(back)}/{len(sel)}",
        })
    lines = [
        "# Exact preimage on 2-input ReLU networks over [0, 1]²",
        "",
        f"Run {started} by `python benchmarks/preimage.py`. {__doc__.split('Goals')[0].strip()}",
        "",
        "## Machine",
        *head,
        "",
        "## Summary (all seeds of an architecture together)",
        "",
        "| arch | returned | explored | explored / returned (all, worst seed) | wall s "
        "| ms / returned piece (all, median seed) | paper order: explored, s (done) |",
        "|---|---:|---:|---|---:|---|---|",
    ]
    for s in summary:
        back = "-" if s["backward_explored"] is None else f"{s['backward_explored']}, {s['backward_seconds']:.2f} s"
        lines.append(
            f"| {s['arch']} | {s['returned']} | {s['explored']} | {s['explored_ratio']:.2f}, {s['worst_explored_ratio']:.2f} "
            f"| {s['seconds']:.3f} | {s['ms_per_piece']:.3f}, {s['median_ms_per_piece']:.3f} | {back} ({s['backward_done']}) |"
        )
    ok_time = all(s["ms_per_piece"] <= 1.0 for s in summary)
    ok_ratio = all(s["explored_ratio"] <= 3.0 for s in summary)
    lines += [
        "",
        f"Goal ≤ 1 ms per returned piece: {'met' if ok_time else 'NOT met'} (aggregate per architecture). "
        f"Goal explored ≤ 3× returned: {'met' if ok_ratio else 'NOT met'} (aggregate; the worst single seed is shown too).",
        "",
        "## Every case",
        "",
        "| arch | seed | returned | explored | pruned | LPs | stable | s | ms/piece | paper order explored, s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        back = "timeout" if r["backward_seconds"] is None else f"{r['backward_explored']}, {r['backward_seconds']:.2f}"
        lines.append(
            f"| {r['arch']} | {r['seed']} | {r['returned']} | {r['explored']} | {r['pruned']} | {r['lps']} | {r['stable']} "
            f"| {r['seconds']:.4f} | {r['ms_per_piece']:.3f} | {back} |"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    RESULTS.with_suffix(".json").write_text(json.dumps({"started": started, "machine": head, "summary": summary, "cases": rows}, indent=1))
    print("\n".join(lines[: 14 + len(summary)]))


if __name__ == "__main__":
    main()
