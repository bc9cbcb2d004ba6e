"""why_not at scale (issue 17): the engine's nearest counterfactual on mnistfc 256x4.

Workload: VNN-COMP 2021 mnistfc 256x4 (784 inputs, 4 x 256 ReLUs), the first
``N_IMAGES`` correctly classified MNIST test images, domain ``[0, 1]^784``.
For each image, ``why_not(net, x, runner-up class, method="engine",
norm="inf", timeout=TIMEOUT)``: the nearest input (L∞) that the network gives
the class with the second-highest score, by radius bisection with
``relucid.verify`` (``relucid/explain/engine_search.py``). Recorded per image:
the distance found, the largest radius proved to hold no such input, whether
the gap is within the tolerance (``minimal_proved``), wall seconds, the
verification queries asked, and the regions the segment from the image to
the point passes through. Before this work the march (``method="march"``)
timed out on 20 of 20 images (``benchmarks/results/explain.md``).

Run alone on a quiet machine (the engine's queries are timed):
``python benchmarks/why_not_scale.py [--limit N] [--timeout S]``. It writes
``benchmarks/results/why_not_scale.md`` (+ ``.json``); a run with
``--limit`` below ``N_IMAGES`` says so in both. Needs ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import relucid as rl
from relucid.explain import why_not

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import ROOT, command_line, git_rev, load, machine  # noqa: E402  benchmarks/_machine.py, beside this script

SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
N_IMAGES = 20
TIMEOUT = 60.0


def images(n: int):
    """The first ``n`` correctly classified MNIST test images: [(index, label, x)]."""
    net = rl.load(SHARED / "mnistfc" / "mnist-net_256x4.onnx")
    with np.load(SHARED / "mnist" / "mnist_test.npz") as z:
        X, y = z["x"], z["y"]
    out = []
    for i in range(len(X)):
        x = X[i].reshape(-1).astype(np.float64) / 255.0
        if int(np.argmax(net(x))) == int(y[i]):
            out.append((i, int(y[i]), x))
            if len(out) == n:
                break
    return net, out


def run(n: int, timeout: float, log=print) -> list[dict]:
    net, chosen = images(n)
    dom = rl.Box(0.0, 1.0, dim=784)
    rows = []
    for i, label, x in chosen:
        y = net(x)
        target = int(np.argsort(y)[-2])
        t0 = time.monotonic()
        e = why_not(net, x, target, domain=dom, method="engine", norm="inf", timeout=timeout)
        secs = time.monotonic() - t0
        row = dict(image=i, label=label, target=target, margin=float(y[label] - y[target]), status=e.status,
                   found=e.found, distance=e.distance, lower_bound=e.distance_lower_bound,
                   minimal_proved=bool(e.minimal_proved), gap_tol=e.gap_tol, seconds=secs, queries=len(e.queries),
                   query_log=[dict(radius=r, status=s, seconds=q) for r, s, q in e.queries],
                   segment_regions=e.segment_regions, segment_flips=len(e.segment_flips), hamming=e.hamming,
                   confirmed=e.confirmed, note=e.note)
        rows.append(row)
        dist = "-" if e.distance is None else f"{e.distance:.5f}"
        log(f"image {i} (label {label} -> {target}): {e.status}, distance {dist}, lower bound "
            f"{e.distance_lower_bound:.5f}, minimal proved {e.minimal_proved}, {secs:.1f} s, {len(e.queries)} queries, "
            f"segment crosses {e.segment_regions} regions")
    return rows


def summary(rows: list[dict], n_wanted: int) -> dict:
    found = [r for r in rows if r["found"]]
    secs = [r["seconds"] for r in rows]
    return dict(
        images=len(rows), wanted=n_wanted, answers=len(found),
        minimal_proved=sum(r["minimal_proved"] for r in rows),
        median_seconds=statistics.median(secs) if secs else None,
        max_seconds=max(secs) if secs else None,
        median_distance=statistics.median([r["distance"] for r in found]) if found else None,
        median_lower_bound=statistics.median([r["lower_bound"] for r in rows]) if rows else None,
        median_gap_ratio=statistics.median([(r["distance"] - r["lower_bound"]) / r["distance"] for r in found])
        if found else None,
        median_segment_regions=statistics.median([r["segment_regions"] for r in found]) if found else None,
        statuses={s: sum(r["status"] == s for r in rows) for s in sorted({r["status"] for r in rows})},
    )


def _f(v, spec: str = ".4f") -> str:
    return "-" if v is None else format(v, spec)


def write(rows: list[dict], summ: dict, timeout: float) -> None:
    RESULTS.mkdir(exist_ok=True)
    partial = summ["images"] < N_IMAGES
    meta = dict(git=git_rev(), load=load(), command=command_line(), timeout=timeout, partial=partial)
    (RESULTS / "why_not_scale.json").write_text(json.dumps(dict(**meta, summary=summ, rows=rows), indent=2))
    lines = [
        "# why_not at scale: the engine's nearest counterfactual on mnistfc 256x4 (issue 17)",
        "",
        f"Command: `{command_line()}` at `{git_rev()}`.",
        *machine(" (HiGHS and the engine run single-threaded)", ["numpy", "scipy", "highspy"]),
        "",
    ]
    if partial:
        lines += [f"**Partial run: {summ['images']} of {N_IMAGES} images (`--limit`).**", ""]
    lines += [
        f"`why_not(net, x, runner-up, method=\"engine\", norm=\"inf\", timeout={timeout:g})` on the first "
        f"{summ['images']} correctly classified MNIST test images, domain [0, 1]^784. Before: the march timed out "
        "on 20 of 20 (`benchmarks/results/explain.md`).",
        "",
        f"- Answers (an input of the runner-up class found and confirmed): **{summ['answers']} of {summ['images']}**",
        f"- Minimal proved (gap to the lower bound within max(1e-3 d, 1e-4)): **{summ['minimal_proved']} of "
        f"{summ['images']}**",
        f"- Seconds per image: median {_f(summ['median_seconds'], '.1f')}, max {_f(summ['max_seconds'], '.1f')}",
        f"- Median distance {_f(summ['median_distance'])}, median lower bound {_f(summ['median_lower_bound'])}, "
        f"median relative gap {_f(summ['median_gap_ratio'], '.2f')}",
        f"- Median regions crossed by the segment from the image to the point: "
        f"{_f(summ['median_segment_regions'], '.0f')}",
        f"- Statuses: {summ['statuses']}",
        "",
        "| image | label → target | margin | status | L∞ distance | lower bound | minimal proved | seconds | queries "
        "| regions crossed | Hamming |",
        "|---:|---|---:|---|---:|---:|:---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['image']} | {r['label']} → {r['target']} | {r['margin']:.3f} | {r['status']} | {_f(r['distance'])} | "
            f"{_f(r['lower_bound'])} | {'yes' if r['minimal_proved'] else 'no'} | {r['seconds']:.1f} | {r['queries']} | "
            f"{_f(r['segment_regions'], 'd')} | {_f(r['hamming'], 'd')} |"
        )
    (RESULTS / "why_not_scale.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=N_IMAGES, help=f"images (default {N_IMAGES})")
    ap.add_argument("--timeout", type=float, default=TIMEOUT, help=f"seconds per image (default {TIMEOUT:g})")
    args = ap.parse_args(argv)
    if not (SHARED / "mnistfc" / "mnist-net_256x4.onnx").is_file():
        print(f"skipped: {SHARED} not present (needs mnistfc/mnist-net_256x4.onnx and mnist/mnist_test.npz)")
        return 0
    rows = run(args.limit, args.timeout)
    summ = summary(rows, args.limit)
    write(rows, summ, args.timeout)
    print(json.dumps(summ, indent=2))
    print(f"wrote {(RESULTS / 'why_not_scale.md').relative_to(ROOT)} (+ .json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
