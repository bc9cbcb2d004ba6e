"""relucid's verifier on every unanimous VNN-COMP 2021 verdict: it must never contradict one.

The instances are the rows of ``vnncomp2021_results/consensus_acasxu_mnistfc_eran.csv``
(under ``--data``) of the chosen benchmarks (``--benchmarks``, default
``acasxu,mnistfc``; ``eran`` is also accepted: its ``mnist_relu_9_200`` net is
run as given, its sigmoid net is not in the shared data and is listed as
skipped) whose verdict is unanimous among the tools that decided it
(``unanimous == 1`` and consensus ``holds`` or ``violated``). Each instance runs
:func:`relucid.verify` once with ``--timeout`` seconds (default 20) in a pool of
``--jobs`` single-threaded worker processes (default 2; ``spawn``,
``OMP_NUM_THREADS=1`` etc.; a crashed worker or a call far past its timeout
becomes an ``error`` row and the run goes on).

A contradiction is "proved" where the tools found a counterexample, or
"falsified" where they proved the property. Every counterexample is re-checked
here in float64 (inside the input set with no tolerance; output violating the
property). The script writes ``benchmarks/results/verify_consensus.md``
(per-benchmark counts, the contradictions, the per-instance table in a
collapsible block) and exits with status 1 if relucid contradicts a unanimous
verdict or reports a counterexample that fails the check.

Run ``python benchmarks/verify_consensus.py`` (acasxu has 188 unanimous rows and
mnistfc 63: at most about (188 + 63) x 20 s / 2 jobs = 42 min; most finish far
sooner); ``--only 1_1 --timeout 5`` for a quick trial.
"""

from __future__ import annotations

import verify_vs_marabou as vm  # first: sets the single-thread variables before numpy is imported

import _machine  # noqa: E402  (benchmarks/_machine.py)

import argparse
import datetime as _dt
import json
import statistics
import sys
import time
from collections import deque
from pathlib import Path

ROOT = vm.ROOT
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "verify_consensus.md"
KNOWN = ("acasxu", "mnistfc", "eran")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=vm.DEFAULT_DATA, help="shared data folder (default: %(default)s)")
    ap.add_argument("--benchmarks", default="acasxu,mnistfc", help=f"comma-separated subset of {','.join(KNOWN)}")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per instance (default: 20)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    ap.add_argument("--only", default=None, metavar="SUBSTR",
                    help="run only instances whose id (benchmark onnx vnnlib) contains SUBSTR")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown result file; JSON goes next to it")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    benches = [b.strip() for b in args.benchmarks.split(",") if b.strip()]
    if not benches or any(b not in KNOWN for b in benches):
        sys.exit(f"error: --benchmarks takes a comma-separated subset of {','.join(KNOWN)}; got {args.benchmarks!r}")
    if not args.timeout > 0 or args.jobs < 1:
        sys.exit("error: --timeout must be positive and --jobs at least 1")
    data = args.data.resolve()
    vm.require_data(data, vm.CONSENSUS_CSV, *(Path(vm.BENCH_DIRS[b]) for b in benches))

    todo, skipped = [], []
    for row in vm.read_consensus(data):
        if row["benchmark"] not in benches or row["unanimous"] != "1" or row["consensus"] not in ("holds", "violated"):
            continue
        inst = {"id": f"{row['benchmark']} {Path(row['onnx']).stem} {Path(row['vnnlib']).name}",
                "benchmark": row["benchmark"], "onnx": row["onnx"], "vnnlib": row["vnnlib"],
                "consensus": row["consensus"], "tools": f"{row['n_holds']}/{row['n_violated']}"}
        if args.only is not None and args.only not in inst["id"]:
            continue
        inst["onnx_path"] = vm.resolve(data, row["benchmark"], row["onnx"])
        inst["vnnlib_path"] = vm.resolve(data, row["benchmark"], row["vnnlib"])
        missing = [p for p in (inst["onnx_path"], inst["vnnlib_path"]) if not p.is_file()]
        if missing:
            inst["skip"] = f"missing {missing[0].name}"
            skipped.append(inst)
        else:
            todo.append(inst)
    if not todo and not skipped:
        sys.exit(f"error: no unanimous instance of {benches} matches --only {args.only!r}")

    started = _dt.datetime.now().astimezone()
    header = vm.machine(f" ({args.jobs} single-threaded worker process{'es' if args.jobs > 1 else ''})")
    print(f"verify_consensus: {len(todo)} unanimous instances of {benches} ({len(skipped)} skipped: files missing), "
          f"timeout {args.timeout:g}s, {args.jobs} jobs")
    print("\n".join(header))

    results: dict = {}
    queue = deque((inst["id"], vm.run_job, ("relucid", str(inst["onnx_path"]), str(inst["vnnlib_path"]), False,
                                            args.timeout)) for inst in todo)
    lanes = {f"w{k}": queue for k in range(args.jobs)}
    by_id = {inst["id"]: inst for inst in todo}
    n_done = [0]

    def on_result(lane, key, res):
        if isinstance(res, str):
            res = {"engine": "relucid", "verdict": "error", "status": "error", "note": res, "time": float("nan")}
        results[key] = res
        n_done[0] += 1
        inst = by_id[key]
        flag = ""
        if vm.decided(res) and vm.WORD[res["verdict"]] != inst["consensus"]:
            flag = "  <-- CONTRADICTION"
        if res.get("cex_check", "ok") != "ok":
            flag += f"  <-- counterexample {res['cex_check']}"
        print(f"  [{n_done[0]:3d}/{len(todo)}] {key:58s} {inst['consensus']:8s} -> {res['verdict']:7s} "
              f"{res.get('time', float('nan')):6.2f}s {res.get('method') or ''}{flag}", flush=True)

    t_run = time.perf_counter()
    vm.run_lanes(lanes, hard_limit=args.timeout + max(30.0, 0.5 * args.timeout) + 60.0, on_result=on_result)
    wall = time.perf_counter() - t_run

    summary, lines = report(todo, skipped, results, benches, args, data, started, header, wall)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    sidecar = args.out.with_suffix(".json")
    sidecar.write_text(json.dumps({
        "command": _machine.command_line(), "date": started.isoformat(timespec="seconds"), "git": _machine.git_rev(),
        "timeout_s": args.timeout, "jobs": args.jobs, "benchmarks": benches, "data": str(data),
        "machine": header, "wall_s": wall, "summary": summary,
        "instances": [{k: (str(v) if isinstance(v, Path) else v) for k, v in inst.items()}
                      | {"result": results.get(inst["id"])} for inst in todo + skipped],
    }, indent=1, default=str) + "\n")
    print(f"relucid contradicts {len(summary['contradictions'])} unanimous verdicts; "
          f"{len(summary['bad_counterexamples'])} counterexamples fail the check")
    for c in summary["contradictions"] + summary["bad_counterexamples"]:
        print(f"  !!! {c}")
    print(f"wrote {vm._rel(args.out)} and {vm._rel(sidecar)}")
    return 1 if summary["contradictions"] or summary["bad_counterexamples"] else 0


def _stat(xs, fn) -> str:
    return f"{fn(xs):.2f}" if xs else "n/a"


def report(todo, skipped, results, benches, args, data, started, header, wall):
    contradictions, bad_cex, per = [], [], []
    table = []
    for b in benches:
        mine = [i for i in todo if i["benchmark"] == b]
        n_skip = sum(1 for i in skipped if i["benchmark"] == b)
        res = [(i, results.get(i["id"])) for i in mine]
        dec = [(i, r) for i, r in res if vm.decided(r)]
        agree = [(i, r) for i, r in dec if vm.WORD[r["verdict"]] == i["consensus"]]
        contra = [(i, r) for i, r in dec if vm.WORD[r["verdict"]] != i["consensus"]]
        unknown = [(i, r) for i, r in res if r is not None and r.get("verdict") == "timeout"]
        errors = [(i, r) for i, r in res if r is None or r.get("verdict") == "error"]
        times = [r["time"] for _, r in res if r is not None and r.get("verdict") != "error"]
        dtimes = [r["time"] for _, r in dec]
        n_h = sum(1 for i in mine if i["consensus"] == "holds")
        per.append({"benchmark": b, "instances": len(mine), "holds": n_h, "violated": len(mine) - n_h,
                    "skipped": n_skip, "decided": len(dec), "agree": len(agree), "contradict": len(contra),
                    "unknown": len(unknown), "errors": len(errors),
                    "proved": sum(1 for _, r in dec if r["verdict"] == "unsat"),
                    "falsified": sum(1 for _, r in dec if r["verdict"] == "sat"),
                    "time_median": statistics.median(times) if times else None,
                    "time_max": max(times) if times else None,
                    "decided_time_median": statistics.median(dtimes) if dtimes else None,
                    "_t": (times, dtimes)})
        contradictions += [f"{i['id']}: relucid says {vm.WORD[r['verdict']]} ({r.get('method')}, {r['time']:.2f}s), "
                           f"unanimous consensus {i['consensus']} (tools holds/violated {i['tools']})"
                           for i, r in contra]
        bad_cex += [f"{i['id']}: {r['cex_check']}" for i, r in res if r and r.get("cex_check", "ok") != "ok"]

    for inst in todo:
        r = results.get(inst["id"])
        if vm.decided(r):
            verdict = "agree" if vm.WORD[r["verdict"]] == inst["consensus"] else "**CONTRADICTION**"
        elif r is not None and r.get("verdict") == "timeout":
            verdict = "unknown"
        else:
            verdict = "error"
        table.append(f"| {inst['id']} | {inst['consensus']} ({inst['tools']}) | {vm.cell(r)} | {verdict} |")
    for inst in skipped:
        table.append(f"| {inst['id']} | {inst['consensus']} ({inst['tools']}) | skipped: {inst['skip']} | - |")

    L = [
        "# relucid against the unanimous VNN-COMP 2021 verdicts (`benchmarks/verify_consensus.py`)",
        "",
        f"Date: {started.strftime('%Y-%m-%d %H:%M %Z')}; git {_machine.git_rev()}.",
        "",
        f"Command: `{_machine.command_line()}`",
        "",
        "Machine:",
        *header,
        "",
        f"Setup: `relucid.verify` with a timeout of {args.timeout:g} s per instance, {args.jobs} single-threaded "
        "worker processes in parallel (`spawn`, `OMP_NUM_THREADS=1` etc., HiGHS one thread). Instances: every "
        f"row of `{vm.CONSENSUS_CSV}` (under `{data}`) of {', '.join(benches)} whose verdict is unanimous among "
        "the tools that decided it (consensus holds / violated, `unanimous == 1`). Times are relucid's own wall "
        f"clock (network loading excluded); other work may share the cores. Whole run: {wall / 60:.1f} min.",
    ]
    if args.only:
        L += ["", f"**This run is filtered with `--only {args.only}`.**"]
    L += [
        "",
        "## Per benchmark",
        "",
        "| benchmark | instances (holds / violated) | decided (proved / falsified) | agree | contradict | unknown "
        "| errors | skipped | time median / max s (all run) | time median s (decided) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in per:
        times, dtimes = p.pop("_t")
        L.append(f"| {p['benchmark']} | {p['instances']} ({p['holds']} / {p['violated']}) | {p['decided']} "
                 f"({p['proved']} / {p['falsified']}) | {p['agree']} | {p['contradict']} | {p['unknown']} | "
                 f"{p['errors']} | {p['skipped']} | {_stat(times, statistics.median)} / {_stat(times, max)} | "
                 f"{_stat(dtimes, statistics.median)} |")
    L += ["", "\"unknown\": no verdict within the timeout. \"skipped\": the network or property file is not in "
          "the shared data (eran's sigmoid net).", "", "## Contradictions", ""]
    if contradictions or bad_cex:
        L += ["**!!! relucid contradicts the unanimous verdict of the tools or reports a bad counterexample !!!**", ""]
        L += [f"- **{c}**" for c in contradictions]
        L += [f"- **counterexample fails the check: {c}**" for c in bad_cex]
    else:
        n_cex = sum(1 for r in results.values() if "cex_check" in r)
        L += [f"None: relucid contradicts none of the {sum(p['decided'] for p in per)} unanimous verdicts it "
              f"decided, and all {n_cex} of its counterexamples pass the float64 check."]
    L += [
        "",
        "<details><summary>Per-instance results</summary>",
        "",
        "| instance | consensus (tools holds/violated) | relucid | |",
        "|---|---|---|---|",
        *table,
        "",
        "</details>",
        "",
        f"JSON with every result (stats, notes, counterexamples): `{vm._rel(args.out.with_suffix('.json'))}`.",
    ]
    summary = {"per_benchmark": per, "contradictions": contradictions, "bad_counterexamples": bad_cex,
               "errors": [f"{i['id']}: {results[i['id']].get('note')}" for i in todo
                          if results.get(i["id"], {}).get("verdict") == "error"]}
    return summary, L


if __name__ == "__main__":
    sys.exit(main())
