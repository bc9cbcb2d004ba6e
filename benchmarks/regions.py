"""Region enumeration throughput: relucid's planar subdivision against regioncam, and marching.

Sections (each a function returning one entry of the results dict; the script merges the
entries it ran into ``benchmarks/results/regions.json`` and renders every stored entry into
``benchmarks/results/regions.md``, so a section can be added or re-run on its own):

planar_vs_regioncam
    2-input ReLU networks 3x32 and 4x64 (three seeds each; He-normal weights
    ``N(0, 2 / fan_in)``, biases ``N(0, 0.1^2)``, both rounded to float32 so that regioncam,
    which computes in float32, and relucid, in float64, get the same network), domain
    ``[-1, 1]^2``: ``list(rl.regions(net, box))`` (the public API), the planar core
    :func:`relucid.regions.planar.planar_regions` alone, and ``regioncam.Regioncam``, in the
    same run, best wall time of a few interleaved repeats, region counts of all three.
mnist_slices
    The VNN-COMP 2021 mnistfc networks (784 inputs; 2, 4 and 6 layers of 256 ReLUs) on the
    plane through MNIST test images 0, 1 and 2 (the parallelogram ``x0 + s (x1 - x0) +
    t (x2 - x0)``, ``0 <= s, t <= 1``): relucid on the 784-input network; relucid and
    regioncam on the same slice folded into a 2-input float32 network; where counts differ,
    regioncam's faces are checked with float64 forward passes at their centroids. Skipped
    when ``../shared/data`` is absent.
marching
    :func:`relucid.regions` (breadth-first marching, one LP per region plus facet LPs) on
    4-input and 6-input networks over ``[-1, 1]^n``.

Run ``python benchmarks/regions.py`` (all sections) or ``python benchmarks/regions.py
marching`` (some). ``--quick``: seed 0 only, printed, no results file written (for development on
a shared machine). BLAS is pinned to one thread (``OMP_NUM_THREADS=1``) before numpy loads.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import relucid as rl  # noqa: E402
from relucid.regions import IncompleteEnumerationWarning, activation_bits  # noqa: E402
from relucid.regions.planar import planar_regions  # noqa: E402

import _machine  # noqa: E402  (benchmarks/_machine.py, beside this script)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "regions"
BOX = rl.Box([-1.0, -1.0], [1.0, 1.0])


def he_network(seed: int, dims: list[int], *, float32: bool = False) -> rl.Network:
    """He-normal weights N(0, 2/fan_in), biases N(0, 0.1^2), ReLU hidden layers, identity output."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        W = rng.normal(scale=np.sqrt(2.0 / a), size=(b, a))
        c = rng.normal(scale=0.1, size=b)
        if float32:
            W, c = W.astype(np.float32), c.astype(np.float32)
        layers.append(rl.Dense(W, c, "relu" if i < len(dims) - 2 else "identity"))
    return rl.Network(layers)


def regioncam_faces(net: rl.Network):
    """Build regioncam's map of ``net`` over [-1, 1]^2; returns the Regioncam object."""
    import regioncam

    rc = regioncam.Regioncam(1.0)
    for layer in net.layers:
        rc.linear(np.ascontiguousarray(layer.weight.T, dtype=np.float32), layer.bias.astype(np.float32))
        if layer.activation == "relu":
            rc.relu()
        elif layer.activation == "leaky_relu":
            rc.leaky_relu(layer.alpha)
    return rc


def _has_regioncam() -> bool:
    try:
        import regioncam  # noqa: F401
    except ImportError:
        return False
    return True


# -- sections -----------------------------------------------------------------------
def planar_vs_regioncam(seeds=(0, 1, 2)) -> dict:
    rows = []
    have_rc = _has_regioncam()
    load_start = _machine.load()
    for widths, repeats in (([32] * 3, 7), ([64] * 4, 3)):
        for seed in seeds:
            net = he_network(seed, [2, *widths, 1], float32=True)
            t_api, t_core, t_rc, n_rc = np.inf, np.inf, np.inf, None
            for _ in range(repeats):  # interleaved, so all three see the same machine load
                t, found = _machine.best_time(lambda net=net: list(rl.regions(net, BOX)), 1)
                t_api = min(t_api, t)
                n_api = len(found)
                del found
                t, sub = _machine.best_time(lambda net=net: planar_regions(net, BOX), 1)
                t_core = min(t_core, t)
                if have_rc:
                    t, rc = _machine.best_time(lambda net=net: regioncam_faces(net), 1)
                    t_rc, n_rc = min(t_rc, t), rc.num_faces
                    del rc
            t_aff, _ = _machine.best_time(lambda sub=sub: _affine(sub), 1)
            check = _regioncam_check(net, regioncam_faces(net), sub) if have_rc and n_rc != len(sub) else {}
            rc_rate = n_rc / t_rc if have_rc else None
            row = {
                "network": "2-" + "x".join(map(str, widths)) + "-1", "seed": seed,
                "regions_rl_regions": n_api, "regions_relucid": len(sub),
                "regions_regioncam": n_rc, "equal": n_rc == n_api == len(sub) if have_rc else None,
                "seconds_rl_regions": t_api, "seconds_relucid": t_core, "seconds_regioncam": t_rc if have_rc else None,
                "regions_per_s_rl_regions": n_api / t_api, "regions_per_s_relucid": len(sub) / t_core,
                "regions_per_s_regioncam": rc_rate,
                "ratio_rl_regions": (n_api / t_api) / rc_rate if have_rc else None,
                "ratio": (len(sub) / t_core) / rc_rate if have_rc else None,
                "affine_maps_s": t_aff, "repeats": repeats, **check,
            }
            rows.append(row)
            print(f"[planar_vs_regioncam] {row['network']} seed {seed}: rl.regions {n_api} in {t_api * 1e3:.1f} ms, "
                  f"core {len(sub)} in {t_core * 1e3:.1f} ms, regioncam {n_rc} in {t_rc * 1e3:.1f} ms; "
                  f"ratios {_ratio(row['ratio_rl_regions'])} / {_ratio(row['ratio'])}")
    load_end = _machine.load()
    md = [
        "## `rl.regions` and the planar subdivision against regioncam (2-input networks, domain [-1, 1]^2)",
        "",
        "He-normal weights N(0, 2/fan_in), biases N(0, 0.1^2), rounded to float32 (regioncam computes in "
        "float32; relucid in float64). Three timings per network, interleaved in the same run: "
        "`list(rl.regions(net, box))` (what a user calls: the subdivision, then one `LazyRegion` per face, "
        "whose polytope, facets and affine map are computed on first use), the planar core "
        "`planar_regions(net, box)` alone (per-face patterns and areas), and `regioncam.Regioncam`. Wall time: "
        "best of the repeats (7 for 3x32, 3 for 4x64). API ratio = rl.regions regions/s / regioncam regions/s "
        "(goal: >= 1/3); core ratio = planar_regions regions/s / regioncam regions/s. The last column is the "
        "time of all per-face affine maps of the subdivision at once (`PlanarSubdivision.affine`, not part of "
        "either timing).",
        "",
        "| network | seed | regions rl.regions | regions core | regions regioncam | equal | rl.regions ms | "
        "core ms | regioncam ms | rl.regions regions/s | core regions/s | regioncam regions/s | API ratio | "
        "core ratio | affine maps ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(
            f"| {r['network']} | {r['seed']} | {r['regions_rl_regions']} | {r['regions_relucid']} | "
            f"{_num(r['regions_regioncam'])} | {r['equal']} | {r['seconds_rl_regions'] * 1e3:.1f} | "
            f"{r['seconds_relucid'] * 1e3:.1f} | {_ms(r['seconds_regioncam'])} | "
            f"{r['regions_per_s_rl_regions']:,.0f} | {r['regions_per_s_relucid']:,.0f} | "
            f"{_num(r['regions_per_s_regioncam'])} | {_ratio(r['ratio_rl_regions'])} | {_ratio(r['ratio'])} | "
            f"{r['affine_maps_s'] * 1e3:.1f} |"
        )
    if have_rc:
        api = [r["ratio_rl_regions"] for r in rows]
        md += ["", f"API ratio over the {len(rows)} networks: min {min(api):.2f}, max {max(api):.2f} "
               f"({'meets' if min(api) >= 1 / 3 else 'misses'} the goal >= 0.33 on every network); region "
               f"counts equal on {sum(bool(r['equal']) for r in rows)} of {len(rows)}."]
    for r in rows:
        if "regioncam_distinct_patterns" in r:
            text = _mismatch_text(r, r["regions_relucid"], r["regions_regioncam"])
            md += ["", f"{r['network']} seed {r['seed']}: {text}"]
    if not have_rc:
        md += ["", "regioncam is not installed here (`pip install regioncam`); its columns are empty."]
    md += ["", f"Load average (1/5/15 min) at the start of this section: {load_start}; at its end: {load_end}.", ""]
    return {"rows": rows, "markdown": md}


def mnist_slices() -> dict:
    net_dir, data = SHARED / "mnistfc", SHARED / "mnist" / "mnist_test.npz"
    title = "## Plane slices of the mnistfc networks (784 inputs) through MNIST test images 0, 1, 2"
    if not data.is_file():
        msg = f"skipped: {SHARED} not present (needs mnistfc/*.onnx and mnist/mnist_test.npz)"
        print("[mnist_slices] " + msg)
        return {"rows": [], "markdown": [title, "", msg, ""]}
    with np.load(data) as z:
        x0, x1, x2 = z["x"][:3].reshape(3, -1).astype(np.float64) / 255.0
    have_rc = _has_regioncam()
    rows = []
    for name in ("mnist-net_256x2", "mnist-net_256x4", "mnist-net_256x6"):
        net = rl.load(net_dir / f"{name}.onnx")
        t_full, sub = _machine.best_time(lambda net=net: planar_regions(net, plane=(x0, x1, x2)), 2)
        inner = sub.interior_points()
        agree = int(np.all(activation_bits(net, sub.to_input(inner)) == sub.bits, axis=1).sum())
        folded = _fold(net, x0, x1, x2)
        t_fold, sub_f = _machine.best_time(lambda folded=folded: planar_regions(folded, BOX), 2)
        row = {"network": name, "regions_784d": len(sub), "seconds_784d": t_full,
               "interior_points_agreeing": agree, "regions_folded_relucid": len(sub_f),
               "seconds_folded_relucid": t_fold, "regions_folded_regioncam": None, "seconds_folded_regioncam": None}
        if have_rc:
            t_rc, rc = _machine.best_time(lambda folded=folded: regioncam_faces(folded), 1)
            row.update(regions_folded_regioncam=rc.num_faces, seconds_folded_regioncam=t_rc)
            if rc.num_faces != len(sub_f):
                row.update(_regioncam_check(folded, rc, sub_f))
            del rc
        rows.append(row)
        print(f"[mnist_slices] {name}: 784-d slice {len(sub)} regions in {t_full:.2f} s; folded: relucid "
              f"{len(sub_f)} in {t_fold:.2f} s, regioncam {row['regions_folded_regioncam']} in "
              f"{_s(row['seconds_folded_regioncam'])} s")
    md = [
        title,
        "",
        "relucid `planar_regions(net, plane=(x0, x1, x2))` on the 784-input network (float64, the unit square "
        "of the plane). For regioncam the same slice is folded into a 2-input network (the first layer "
        "composed with the plane's affine map, rescaled to [-1, 1]^2) and rounded to float32; relucid is run "
        "on that folded network too, so the last four columns compare the same network. relucid times: best "
        "of 2 runs; regioncam: one run.",
        "",
        "| network | regions (784-d slice) | s | interior points whose float64 pattern is the face's | "
        "folded: relucid regions | relucid s | regioncam regions | regioncam s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(
            f"| {r['network']} | {r['regions_784d']} | {r['seconds_784d']:.2f} | "
            f"{r['interior_points_agreeing']} / {r['regions_784d']} | {r['regions_folded_relucid']} | "
            f"{r['seconds_folded_relucid']:.2f} | {_num(r['regions_folded_regioncam'])} | "
            f"{_s(r['seconds_folded_regioncam'])} |"
        )
    for r in rows:
        if "regioncam_distinct_patterns" in r:
            md += ["", f"{r['network']} (folded): "
                   + _mismatch_text(r, r["regions_folded_relucid"], r["regions_folded_regioncam"])]
    if not have_rc:
        md += ["", "regioncam is not installed here; its columns are empty."]
    md.append("")
    return {"rows": rows, "markdown": md}


def marching() -> dict:
    rows = []
    for n_in, hidden in ((4, [10, 10]), (6, [7, 7])):
        net = he_network(0, [n_in, *hidden, 1])
        domain = rl.Box(-1.0, 1.0, dim=n_in)
        t = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IncompleteEnumerationWarning)
            n = sum(1 for _ in rl.regions(net, domain, timeout=150.0, rng=0))
        seconds = time.perf_counter() - t
        complete = not any(issubclass(w.category, IncompleteEnumerationWarning) for w in caught)
        rows.append({"inputs": n_in, "hidden": hidden, "regions": n, "seconds": seconds,
                     "regions_per_s": n / seconds, "complete": complete})
        print(f"[marching] {n_in} inputs, hidden {hidden}: {n} regions in {seconds:.1f} s "
              f"({n / seconds:.0f}/s){'' if complete else ' (stopped at the timeout)'}")
    md = [
        "## Marching enumerator `rl.regions` (any input dimension)",
        "",
        "Breadth-first marching (one region polytope, one Chebyshev LP and facet LPs per region; then 2,000 "
        "random probes as a degeneracy guard), same network initialisation (seed 0), domain [-1, 1]^n, "
        "timeout 150 s.",
        "",
        "| inputs | hidden | regions | complete | s | regions/s |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(f"| {r['inputs']} | {'x'.join(map(str, r['hidden']))} | {r['regions']} | {r['complete']} | "
                  f"{r['seconds']:.1f} | {r['regions_per_s']:.0f} |")
    md.append("")
    return {"rows": rows, "markdown": md}


def explain_from_bench() -> dict:
    """Why / why-not on mnistfc 256x4: the figures of the last ``benchmarks/explain_bench.py`` run.

    That script takes tens of minutes (the minimal H-representations of 784-D
    regions), so this section copies its results file instead of rerunning it;
    rerun ``python benchmarks/explain_bench.py`` first to refresh them.
    """
    src = ROOT / "benchmarks" / "results" / "explain.md"
    if not src.is_file():
        return {"markdown": ["## Why / why-not", "", "benchmarks/results/explain.md is missing: run benchmarks/explain_bench.py", ""]}
    body = src.read_text().splitlines()
    body = [("#" + line if line.startswith("## ") else line) for line in body[1:]]
    return {"markdown": ["## Why / why-not explanations (copied from `benchmarks/results/explain.md`)", "",
                         "Goal: `why` at most 1 s on mnistfc_256x4 — met for building the explanation "
                         "(region, class rows, ties), NOT met for its minimal H-representation "
                         "(redundancy removal of a 784-D region with ~2,600 rows; see below).", "", *body, ""]}


SECTIONS = {"planar_vs_regioncam": planar_vs_regioncam, "mnist_slices": mnist_slices, "marching": marching,
            "explain": explain_from_bench}


# -- helpers ------------------------------------------------------------------------
def _affine(sub):
    sub.__dict__.pop("affine", None)  # cached_property: time a fresh computation
    return sub.affine


def _fold(net: rl.Network, x0, x1, x2) -> rl.Network:
    """The slice as a 2-input float32 network on [-1, 1]^2: u -> x0 + B (u + 1) / 2 -> net."""
    B = np.column_stack([x1 - x0, x2 - x0])
    first = net.layers[0]
    W = first.weight @ B / 2.0
    c = first.weight @ (x0 + B @ np.array([0.5, 0.5])) + first.bias
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    layers = [rl.Dense(f32(W), f32(c), first.activation, first.alpha)]
    layers += [rl.Dense(f32(L.weight), f32(L.bias), L.activation, L.alpha) for L in net.layers[1:]]
    return rl.Network(layers)


def _regioncam_check(net, rc, sub) -> dict:
    """Float64 patterns at the centroids of regioncam's faces, against relucid's faces."""
    V = np.asarray(rc.vertex_inputs, dtype=np.float64)
    faces = list(rc.faces)
    centroids = np.array([V[list(f.vertex_ids)].mean(axis=0) for f in faces])
    areas = np.array([f.area for f in faces])
    keys = [row.tobytes() for row in np.packbits(activation_bits(net, centroids), axis=1)]
    first: dict[bytes, int] = {}
    dup = []
    for i, k in enumerate(keys):
        if k in first:
            dup += [i, first[k]]
        first.setdefault(k, i)
    packed = np.packbits(sub.bits, axis=1)
    ours = {row.tobytes() for row in packed}
    unseen = [i for i, row in enumerate(packed) if row.tobytes() not in first]
    radii = [rl.region(net, sub.pattern(i), domain=BOX).chebyshev_center().radius for i in unseen]
    dup_areas = areas[dup]
    return {
        "relucid_unseen_areas": [float(a) for a in sub.area()[unseen]],
        "relucid_unseen_chebyshev_radii": [float(x) for x in radii],
        "regioncam_distinct_patterns": len(first),
        "regioncam_duplicate_faces": len(keys) - len(first),
        "regioncam_smallest_duplicate_area": float(dup_areas.min()) if dup else float("nan"),
        "regioncam_patterns_not_relucid": len(set(first) - ours),
        "relucid_patterns_not_seen_by_regioncam": len(ours - set(first)),
        "relucid_smallest_area": float(sub.area().min()),
    }


def _mismatch_text(r: dict, n_ours: int, n_rc: int) -> str:
    radii = r["relucid_unseen_chebyshev_radii"]
    return (
        f"the counts differ ({n_ours} relucid, {n_rc} regioncam). Float64 forward passes at the centroids of "
        f"regioncam's faces give {r['regioncam_distinct_patterns']} distinct patterns: "
        f"{r['regioncam_duplicate_faces']} of its faces repeat the pattern of another of its faces (smallest "
        f"such face: area {r['regioncam_smallest_duplicate_area']:.1e}), and "
        f"{r['regioncam_patterns_not_relucid']} of its patterns are missing from relucid's faces. "
        f"{r['relucid_patterns_not_seen_by_regioncam']} of relucid's faces have a pattern seen at no regioncam "
        f"centroid; their areas are {', '.join(f'{a:.1e}' for a in r['relucid_unseen_areas'][:5])}"
        f"{' ...' if len(radii) > 5 else ''} and the LP gives their region polytopes Chebyshev radii "
        f"{', '.join(f'{x:.1e}' for x in radii[:5])}{' ...' if len(radii) > 5 else ''} (> 0: real regions). "
        "regioncam computes in float32 (about 7 digits), too coarse for these slivers."
    )


def _ms(s):
    return "-" if s is None else f"{s * 1e3:.1f}"


def _s(s):
    return "-" if s is None else f"{s:.2f}"


def _num(x):
    return "-" if x is None else f"{x:,.0f}"


def _ratio(x):
    return "-" if x is None else f"{x:.2f}"


# -- report -------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if a != "--quick"] or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}", file=sys.stderr)
        return 2
    if quick:
        if names != ["planar_vs_regioncam"]:
            print("--quick applies to planar_vs_regioncam only: python benchmarks/regions.py planar_vs_regioncam "
                  "--quick", file=sys.stderr)
            return 2
        print("load average:", _machine.load())
        planar_vs_regioncam(seeds=(0,))
        print("(--quick: nothing written)")
        return 0
    json_path = RESULTS.with_suffix(".json")
    results = json.loads(json_path.read_text()) if json_path.is_file() else {}
    machine = _machine.machine(" (BLAS pinned to 1 thread; regioncam is single-threaded)",
                               ["numpy", "scipy", "highspy", "regioncam"])
    print("\n".join(machine))
    for name in names:
        entry = SECTIONS[name]()
        entry["machine"] = machine
        entry["when"] = time.strftime("%Y-%m-%d %H:%M:%S")
        results[name] = entry
    lines = ["# Region enumeration (`benchmarks/regions.py`)", ""]
    for entry in results.values():
        lines += entry["markdown"]
        lines += [f"Run {entry['when']} on:", *entry["machine"], ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1, default=float))
    RESULTS.with_suffix(".md").write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
