"""relucid on whole VNN-COMP 2021 categories at the competition's own timeouts, beside the 2021 tools.

For each category (``--category acasxu|mnistfc|eran``) every row of its
instance CSV under ``--data`` (network, property, timeout in seconds) runs
:func:`relucid.verify` once with that row's timeout (times ``--timeout-scale``)
in one worker process (``--threads`` BLAS threads, default 2: the category has
the machine to itself). Rows of networks absent from the shared data (eran's
sigmoid net) are listed as skipped.

Results stream to ``benchmarks/results/verify_vnncomp_<category>.jsonl`` as
they finish, one JSON object per instance with the date, git revision and load
average at its start; re-running the same command skips instances already in
the file (``--redo`` runs them again, ``--retry-undecided`` the timeouts and
errors; the last row of an instance is the one reported), so a category may
be run in parts and across sessions. ``--report`` only rewrites the summary.

The summary, ``benchmarks/results/verify_vnncomp.md``, is rebuilt from every
``.jsonl`` file present: per category, instances decided (proved / falsified),
verdicts that contradict a unanimous 2021 verdict
(``consensus_acasxu_mnistfc_eran.csv``), counterexamples failing the float64
re-check (inside the input set with no tolerance, output violating the
property), total and median times, and beside them each 2021 tool's decided
count, total and median time from ``per_tool_results_acasxu_mnistfc_eran.csv``
(their machines, not this one: VNN-COMP 2021 ran on AWS instances, GPU ones
for the GPU tools).

Run ``python benchmarks/verify_vnncomp.py --category mnistfc`` (90 instances,
at most 6 h if none were decided), ``--only 256x4 --limit 5`` for a trial.
The script exits with status 1 if a verdict contradicts a unanimous one or a
counterexample fails its check.
"""

from __future__ import annotations

import verify_vs_marabou as vm  # first: sets the single-thread variables before numpy is imported

import _machine  # noqa: E402  (benchmarks/_machine.py)

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as _dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections import deque  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
CATEGORIES = {
    "acasxu": ("acasxu", "acasxu_instances.csv"),
    "mnistfc": ("mnistfc", "mnistfc_instances.csv"),
    "eran": ("eran_vnncomp2021", "eran_instances.csv"),
}
#: The 2021 results' benchmark names.
RESULT_NAME = {"acasxu": "acasxu", "mnistfc": "mnistfc", "eran": "eran"}
#: VNN-COMP 2021 figures the issue names, for the summary's "target" column.
TARGETS = {"mnistfc": "≥ 70 decided (α,β-CROWN 2021 on a GPU; Marabou 55, nnenum 47)",
           "acasxu": "all 186 (nnenum, VeriNet, α,β-CROWN)",
           "eran": "≥ 34 of mnist_relu_9_200's 36 (α,β-CROWN; VeriNet 28)"}


def _portfolio(parallel: bool) -> None:
    """relucid's default: the MILP beside the phase search in a forked child (verify_vs_marabou switches it off)."""
    os.environ["RELUCID_PARALLEL_MILP"] = "1" if parallel else "0"


def _threads(n: int) -> None:
    """The worker's BLAS threads (read by :func:`verify_vs_marabou._init_worker` in the spawned worker)."""
    os.environ["RELUCID_BENCH_THREADS"] = str(n)


def instances(data: Path, category: str) -> list[dict]:
    folder, name = CATEGORIES[category]
    rows = []
    with open(data / folder / name) as f:
        for onnx, vnnlib, timeout in csv.reader(f):
            rows.append({"category": category, "onnx": onnx.strip(), "vnnlib": vnnlib.strip(),
                         "timeout": float(timeout), "onnx_path": str(_resolve(data / folder, onnx.strip())),
                         "vnnlib_path": str(_resolve(data / folder, vnnlib.strip()))})
    return rows


def _resolve(folder: Path, rel: str) -> Path:
    """A path of the instance CSV inside the category folder (eran's CSV names ``nets/`` which holds no files)."""
    p = folder / rel
    if not p.exists() and rel.startswith("nets/"):
        p = folder / rel[len("nets/"):]
    return p


def key(row: dict) -> str:
    return f"{row['category']} {Path(row['onnx']).name} {Path(row['vnnlib']).name}"


def read_jsonl(path: Path) -> dict:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                out[r["key"]] = r
    return out


def consensus(data: Path) -> dict:
    """``(benchmark, onnx name, vnnlib name) -> consensus row``."""
    out = {}
    with open(data / "vnncomp2021_results" / "consensus_acasxu_mnistfc_eran.csv") as f:
        for r in csv.DictReader(f):
            out[(r["benchmark"], Path(r["onnx"]).name, Path(r["vnnlib"]).name)] = r
    return out


def tool_results(data: Path) -> dict:
    """``benchmark -> tool -> {(onnx, vnnlib): (result, seconds)}``."""
    out: dict = {}
    with open(data / "vnncomp2021_results" / "per_tool_results_acasxu_mnistfc_eran.csv") as f:
        for r in csv.DictReader(f):
            try:
                t = float(r["runtime_s_incl_overhead"])
            except ValueError:
                t = float("nan")
            word = {"unsat": "holds", "sat": "violated"}.get(r["result"].strip().lower(), r["result"].strip().lower())
            out.setdefault(r["benchmark"], {}).setdefault(r["tool"], {})[
                (Path(r["onnx"]).name, Path(r["vnnlib"]).name)] = (word, t)
    return out


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--category", choices=sorted(CATEGORIES), help="the category to run")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (default: %(default)s)")
    ap.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every row's timeout (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads of the worker (default 2)")
    ap.add_argument("--only", default=None, metavar="SUBSTR", help="only instances whose key contains SUBSTR")
    ap.add_argument("--limit", type=int, default=None, help="at most this many instances (after --only)")
    ap.add_argument("--redo", action="store_true", help="run instances already in the results file again")
    ap.add_argument("--retry-undecided", action="store_true",
                    help="run again the instances whose last row is a timeout or error (e.g. with newer code); "
                         "the new row replaces the old one in the report")
    ap.add_argument("--no-parallel-milp", action="store_true",
                    help="one process per instance (no MILP beside the phase search in a forked child)")
    ap.add_argument("--report", action="store_true", help="only rewrite the summary from the .jsonl files")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    data = args.data.resolve()
    if not (data / "vnncomp2021_results").is_dir():
        sys.exit(f"error: no VNN-COMP 2021 data under {data} (pass --data)")
    if not args.report:
        if args.category is None:
            sys.exit("error: --category is needed (or --report)")
        run_category(args, data)
    return write_report(data)


def run_category(args, data: Path) -> None:
    path = RESULTS / f"verify_vnncomp_{args.category}.jsonl"
    done = {} if args.redo else read_jsonl(path)
    rows = [r for r in instances(data, args.category) if args.only is None or args.only in key(r)]
    if args.retry_undecided:
        done = {k: v for k, v in done.items() if v["verdict"] in ("sat", "unsat", "skipped")}
    todo = [r for r in rows if key(r) not in done]
    n_done = len(rows) - len(todo)
    if args.limit is not None:
        todo = todo[: args.limit]
    skipped = [r for r in todo if not Path(r["onnx_path"]).exists()]
    for r in skipped:
        _append(path, dict(key=key(r), category=r["category"], verdict="skipped",
                           note=f"{r['onnx']} is not in the shared data", timeout=r["timeout"]))
    todo = [r for r in todo if Path(r["onnx_path"]).exists()]
    print(f"{args.category}: {len(rows)} instances, {n_done} already done, "
          f"{len(todo)} to run, {len(skipped)} skipped", flush=True)
    _threads(args.threads)
    _portfolio(not args.no_parallel_milp)
    rev = _machine.git_rev()
    lane = deque()
    meta = {}
    for r in todo:
        t = r["timeout"] * args.timeout_scale
        k = key(r)
        meta[k] = (r, t)
        lane.append((k, vm.run_job, ("relucid", r["onnx_path"], r["vnnlib_path"], False, t)))
    starts = {}

    def on_result(_lane, k, res):
        r, t = meta[k]
        if isinstance(res, str):
            res = {"verdict": "error", "status": "error", "note": res, "time": None}
        row = dict(key=k, category=r["category"], onnx=r["onnx"], vnnlib=r["vnnlib"], timeout=t,
                   parallel_milp=not args.no_parallel_milp,
                   date=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), git=rev,
                   load_at_end=_machine.load(), threads=args.threads, **{x: res.get(x) for x in (
                       "verdict", "status", "time", "wall_s", "method", "note", "cex_check", "stats")})
        _append(path, row)
        starts.pop(k, None)
        print(f"  {k}: {row['verdict']} {row['time'] if row['time'] is None else round(row['time'], 1)} s "
              f"({row.get('method')})", flush=True)

    if lane:
        hard = max(t for _, t in meta.values()) * 1.5 + 60
        vm.run_lanes({"relucid": lane}, hard, on_result)


def _append(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(row, default=str) + "\n")


def _med(xs):
    return statistics.median(xs) if xs else float("nan")


def write_report(data: Path) -> int:
    cons = consensus(data)
    tools = tool_results(data)
    lines = ["# relucid on whole VNN-COMP 2021 categories at the competition's timeouts (`benchmarks/verify_vnncomp.py`)",
             "", f"Report written {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M UTC} from the `.jsonl` files "
             "beside this file (each row records its own date, git revision and load average).", "", "Machine:"]
    lines += vm.machine(" (one worker process; --threads BLAS threads)")
    lines += ["", "The 2021 tools' numbers are from `per_tool_results_acasxu_mnistfc_eran.csv`: their own machines "
              "(VNN-COMP 2021 AWS instances), times include their start-up overhead.", ""]
    bad = 0
    for cat in CATEGORIES:
        path = RESULTS / f"verify_vnncomp_{cat}.jsonl"
        res = read_jsonl(path)
        if not res:
            continue
        all_rows = instances(data, cat)
        ran = [res[key(r)] for r in all_rows if key(r) in res and res[key(r)]["verdict"] != "skipped"]
        skipped = [r for r in all_rows if key(r) in res and res[key(r)]["verdict"] == "skipped"]
        missing = len(all_rows) - len(ran) - len(skipped)
        dec = [r for r in ran if r["verdict"] in ("unsat", "sat")]
        wrong, cexbad = [], []
        for r in ran:
            c = cons.get((RESULT_NAME[cat], Path(r["onnx"]).name, Path(r["vnnlib"]).name))
            if c and c["unanimous"] == "1" and r["verdict"] in ("unsat", "sat"):
                want = {"holds": "unsat", "violated": "sat"}.get(c["consensus"])
                if want and want != r["verdict"]:
                    wrong.append(r)
            if r.get("cex_check") not in (None, "ok"):
                cexbad.append(r)
        bad += len(wrong) + len(cexbad)
        times = [r["time"] for r in dec]
        dates = sorted({r["date"][:10] for r in ran if r.get("date")})
        revs = sorted({r.get("git", "?") for r in ran})
        lines += [f"## {cat}", "",
                  f"Target: {TARGETS[cat]}. Instances: {len(all_rows)} ({len(skipped)} skipped: network not in the "
                  f"shared data; {missing} not run yet). Run on {', '.join(dates)}; git {', '.join(revs)}.", "",
                  "| tool | decided | holds (unsat) | violated (sat) | wrong vs unanimous | cex failing re-check | "
                  "total s (decided) | median s (decided) |", "|---|---|---|---|---|---|---|---|",
                  f"| **relucid** (this machine) | **{len(dec)} / {len(ran)}** | "
                  f"{sum(r['verdict'] == 'unsat' for r in dec)} | {sum(r['verdict'] == 'sat' for r in dec)} | "
                  f"{len(wrong)} | {len(cexbad)} | {sum(times):.0f} | {_med(times):.2f} |"]
        names = {(Path(r["onnx"]).name, Path(r["vnnlib"]).name) for r in ran}
        for tool, per in sorted(tools.get(RESULT_NAME[cat], {}).items()):
            mine = [v for k, v in per.items() if k in names]
            d = [t for res_, t in mine if res_ in ("holds", "violated")]
            if not mine:
                continue
            lines.append(f"| {tool} (2021) | {len(d)} / {len(mine)} | {sum(r == 'holds' for r, _ in mine)} | "
                         f"{sum(r == 'violated' for r, _ in mine)} | | | {sum(d):.0f} | {_med(d):.2f} |")
        member = sum(bool(r.get("parallel_milp")) for r in ran)
        lines += ["", f"Rows run with the MILP beside the phase search (a forked child on the second core): {member} of "
                  f"{len(ran)}; the others ran at a revision without it, one process per instance. BLAS threads per "
                  f"row: {sorted({r.get('threads') for r in ran})}; load averages per row are in the .jsonl (other "
                  "benchmarks shared the machine in the 2026-12-07 runs). RPM's 2021 'violated' verdicts include "
                  "instances other tools proved (it is not a sound tool); 'decided' counts its words as given."]
        lines += ["", "<details><summary>Per instance</summary>", "",
                  "| instance | timeout s | relucid | s | method | consensus | note |", "|---|---|---|---|---|---|---|"]
        for r in all_rows:
            row = res.get(key(r))
            c = cons.get((RESULT_NAME[cat], Path(r["onnx"]).name, Path(r["vnnlib"]).name))
            cw = f"{c['consensus']} ({c['n_holds']}/{c['n_violated']})" if c else "n/a"
            if row is None:
                lines.append(f"| {key(r)} | {r['timeout']:.0f} | not run | | | {cw} | |")
                continue
            t = "" if row.get("time") is None else f"{row['time']:.1f}"
            note = vm._short(row.get("note") or "", 80)
            flag = " **WRONG**" if row in wrong else ""
            flag += f" **cex {row['cex_check']}**" if row in cexbad else ""
            lines.append(f"| {key(r)} | {r['timeout']:.0f} | {row['verdict']}{flag} | {t} | {row.get('method') or ''} "
                         f"| {cw} | {note} |")
        lines += ["", "</details>", ""]
    out = RESULTS / "verify_vnncomp.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
