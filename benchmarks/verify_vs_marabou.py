"""relucid's verifier against Marabou 2.0, side by side, on one fixed list of VNN-COMP 2021 instances.

Both engines get the same query (network, input set, property, optional pattern)
in one run on one machine, with the same wall-clock timeout per engine per
instance (``--timeout``, default 60 s). Marabou is driven through relucid's own
backend, :func:`relucid.verify.marabou.verify_marabou` (one
``MarabouCore.InputQuery`` per disjunct of the violation set, built from the
network's weights, one Marabou worker, no SnC).

Execution: two worker processes run concurrently (``concurrent.futures``
``ProcessPoolExecutor``s with one worker each, ``spawn`` start method): one works
through the relucid jobs in list order, the other through the Marabou jobs.
relucid's MILP-beside-the-phase-search portfolio member (a forked child, a
second core) is switched off here (``RELUCID_PARALLEL_MILP=0``, set below) so
that each engine has one core. Every worker is single-threaded (``OMP_NUM_THREADS=1`` and friends are set before
numpy is imported; relucid's HiGHS runs with one thread, Marabou with
``numWorkers=1``), so on a 2-core machine each engine has one core. Every
engine call is guarded: an exception, a crashed worker or a call that overruns
its timeout by more than a grace period (the worker is then killed) becomes a
row with ``error: ...`` instead of ending the run.

The instance list (fixed here, chosen before any run; consensus = VNN-COMP 2021
verdict of the participating tools, ``consensus_acasxu_mnistfc_eran.csv``):

ACAS Xu, properties 1-4 (12 instances; 5 violated, 7 hold):

==  ==========  ========  =========
#   network     property  consensus
==  ==========  ========  =========
1   1_1         prop_1    holds
2   2_7         prop_1    holds
3   4_9         prop_1    holds
4   1_1         prop_2    holds
5   2_1         prop_2    violated
6   3_3         prop_2    holds (Marabou timed out in VNN-COMP 2021)
7   5_3         prop_2    violated
8   1_1         prop_3    holds
9   1_7         prop_3    violated
10  1_9         prop_3    violated
11  2_4         prop_4    holds
12  1_8         prop_4    violated
==  ==========  ========  =========

mnistfc (12 instances; 6 violated, 6 hold):

==  ======  ============  =========
#   net     property      consensus
==  ======  ============  =========
13  256x2   prop_0_0.03   holds
14  256x2   prop_3_0.03   holds
15  256x2   prop_7_0.03   violated
16  256x2   prop_0_0.05   violated
17  256x2   prop_1_0.05   violated
18  256x2   prop_2_0.05   holds
19  256x4   prop_4_0.03   holds
20  256x4   prop_13_0.03  holds
21  256x4   prop_2_0.03   violated
22  256x4   prop_11_0.05  holds
23  256x4   prop_3_0.05   violated
24  256x4   prop_14_0.05  violated
==  ======  ============  =========

NAP-style queries (6): the same query restricted to inputs that follow a
partial activation pattern: in every hidden layer every other neuron (indices
0, 2, 4, ...) is fixed to its phase at the centre of the input set's bounding
box (on: pre-activation > 0, off: <= 0); the other half is free. Instances:
ACAS Xu 2_1 prop_2 and 1_1 prop_3; mnistfc 256x2 prop_0_0.05 and prop_3_0.03,
256x4 prop_2_0.03 and prop_13_0.03. No verdict is known in advance, but where
the unrestricted property holds, the restricted one holds too (the pattern only
removes inputs), so such rows carry the *implied* verdict "holds" and a
counterexample there would be a contradiction; where the unrestricted property
is violated, the expectation is "?".

Per instance: verdict and time of each engine (the engine's own wall clock),
the consensus verdict (unanimous or not), and whether the engines agree. Every
counterexample is re-checked here in float64: inside the input set (no
tolerance), following the pattern (every fixed neuron with the same phase as
``relucid.pattern(net, x)``), output violating the property.

Run ``python benchmarks/verify_vs_marabou.py`` (about 30 minutes at most with
the default timeout: 30 instances x 60 s per engine, engines in parallel);
``--only 1_1 --timeout 5`` for a quick trial. It writes
``benchmarks/results/verify_vs_marabou.md`` and a JSON sidecar next to it.
"""

from __future__ import annotations

import os

# Single-threaded workers (or RELUCID_BENCH_THREADS, set by a benchmark that gives one worker the
# machine): set before numpy (and anything importing it) is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = os.environ.get("RELUCID_BENCH_THREADS", "1")
os.environ["RELUCID_PARALLEL_MILP"] = "0"  # one core per engine (see the docstring)

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as _dt  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections import deque  # noqa: E402
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # noqa: E402
from concurrent.futures.process import BrokenProcessPool  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import _machine  # noqa: E402  (benchmarks/_machine.py, beside this script)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "verify_vs_marabou.md"
CONSENSUS_CSV = Path("vnncomp2021_results") / "consensus_acasxu_mnistfc_eran.csv"
ENGINES = ("relucid", "marabou")
#: Data folder of each benchmark under --data.
BENCH_DIRS = {"acasxu": "acasxu", "mnistfc": "mnistfc", "eran": "eran_vnncomp2021", "test": "test"}

# -- the fixed instance list ---------------------------------------------------------
_ACAS = [("1_1", 1), ("2_7", 1), ("4_9", 1), ("1_1", 2), ("2_1", 2), ("3_3", 2), ("5_3", 2),
         ("1_1", 3), ("1_7", 3), ("1_9", 3), ("2_4", 4), ("1_8", 4)]
_MNIST = [("256x2", "0_0.03"), ("256x2", "3_0.03"), ("256x2", "7_0.03"), ("256x2", "0_0.05"),
          ("256x2", "1_0.05"), ("256x2", "2_0.05"), ("256x4", "4_0.03"), ("256x4", "13_0.03"),
          ("256x4", "2_0.03"), ("256x4", "11_0.05"), ("256x4", "3_0.05"), ("256x4", "14_0.05")]
_NAP_ACAS = [("2_1", 2), ("1_1", 3)]
_NAP_MNIST = [("256x2", "0_0.05"), ("256x2", "3_0.03"), ("256x4", "2_0.03"), ("256x4", "13_0.03")]


def _acas(net: str, p: int, nap: bool = False) -> dict:
    return {"id": f"acasxu {net} prop_{p}" + (" +NAP" if nap else ""), "benchmark": "acasxu",
            "onnx": f"ACASXU_run2a_{net}_batch_2000.onnx", "vnnlib": f"prop_{p}.vnnlib", "nap": nap}


def _mnist(net: str, p: str, nap: bool = False) -> dict:
    return {"id": f"mnistfc {net} prop_{p}" + (" +NAP" if nap else ""), "benchmark": "mnistfc",
            "onnx": f"mnist-net_{net}.onnx", "vnnlib": f"prop_{p}.vnnlib", "nap": nap}


INSTANCES: list[dict] = (
    [_acas(n, p) for n, p in _ACAS]
    + [_mnist(n, p) for n, p in _MNIST]
    + [_acas(n, p, True) for n, p in _NAP_ACAS]
    + [_mnist(n, p, True) for n, p in _NAP_MNIST]
)


# -- data ---------------------------------------------------------------------------
def require_data(data: Path, *needed: Path) -> None:
    """Exit with a clear message when the data folder (or a file in it) is missing."""
    if not data.is_dir():
        sys.exit(f"error: data folder {data} not found; pass --data DIR (the shared VNN-COMP 2021 data: "
                 "acasxu/, mnistfc/, vnncomp2021_results/ ...)")
    for rel in needed:
        if not (data / rel).exists():
            sys.exit(f"error: {data / rel} not found; is --data {data} the shared VNN-COMP 2021 data folder?")


def resolve(data: Path, benchmark: str, name: str) -> Path:
    """A file of the consensus table under --data (its own path, else by base name in the usual places)."""
    base = data / BENCH_DIRS.get(benchmark, benchmark)
    bare = Path(name).name
    for cand in (base / name, base / bare, base / "specs" / bare, data / "test" / bare):
        if cand.is_file():
            return cand
    return base / name


def read_consensus(data: Path) -> list[dict]:
    with open(data / CONSENSUS_CSV, newline="") as f:
        return list(csv.DictReader(f))


def consensus_index(rows: list[dict]) -> dict:
    return {(r["benchmark"], r["onnx"], Path(r["vnnlib"]).name): r for r in rows}


# -- worker side ----------------------------------------------------------------------
_NETS: dict = {}


def _net(path: str):
    import relucid as rl

    if path not in _NETS:
        _NETS[path] = rl.load(path)
    return _NETS[path]


def nap_pattern(net, input_set):
    """Every other neuron (0, 2, ...) of every hidden layer, fixed to its phase at the input set's centre."""
    import relucid as rl

    lo, hi = input_set.bounding_box()
    centre = (np.asarray(lo, dtype=np.float64) + np.asarray(hi, dtype=np.float64)) / 2
    full = rl.pattern(net, centre)
    hidden = [layer for layer in net.pattern_layers if layer < len(net.layers) - 1]
    keep = {(layer, j) for layer in hidden for j in range(0, net.layers[layer].out_dim, 2)}
    return rl.Pattern(full.on & keep, full.off & keep), centre


def check_counterexample(net, input_set, prop, pattern, x) -> str:
    """'ok', or why ``x`` is not a counterexample (exact float64 checks, no tolerance)."""
    import relucid as rl

    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape[0] != net.input_dim:
        return f"FAILED: has {x.shape[0]} entries, the network {net.input_dim} inputs"
    if not np.all(np.isfinite(x)):
        return "FAILED: not finite"
    if not input_set.contains(x, tol=0.0):
        return "FAILED: outside the input set"
    if pattern is not None:
        bad = pattern.conflicts(rl.pattern(net, x))
        if bad:
            return f"FAILED: {len(bad)} fixed neurons with the wrong phase, e.g. {sorted(bad)[0]}"
    if prop.violated_by(net(x))[0] < 0:
        return "FAILED: the output does not violate the property"
    return "ok"


def run_job(engine: str, onnx: str, vnnlib: str, nap: bool, timeout: float) -> dict:
    """One engine on one instance; never raises (errors become a row)."""
    t0 = time.perf_counter()
    out = {"engine": engine}
    try:
        import relucid as rl

        net = _net(onnx)
        input_set, prop = rl.load_vnnlib(vnnlib, input_dim=net.input_dim, output_dim=net.output_dim)
        pattern = None
        if nap:
            pattern, _ = nap_pattern(net, input_set)
            out["nap_fixed"] = len(pattern)
            out["nap_on"] = len(pattern.on)
        if engine == "marabou":  # import outside the timed call (the first call would pay for it)
            from maraboupy import MarabouCore  # noqa: F401
        t_call = time.perf_counter()
        if engine == "relucid":
            r = rl.verify(net, input_set, prop, pattern=pattern, timeout=timeout)
        elif engine == "marabou":
            from relucid.verify.marabou import verify_marabou

            r = verify_marabou(net, input_set, prop, pattern=pattern, timeout=timeout)
        else:
            raise ValueError(f"unknown engine {engine!r}")
        out.update(
            verdict=r.vnncomp, status=r.status, time=float(r.time), call_s=time.perf_counter() - t_call,
            method=r.method, note=r.note,
            stats={k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.stats.items()},
        )
        if r.counterexample is not None:
            out["cex_check"] = check_counterexample(net, input_set, prop, pattern, r.counterexample)
            out["counterexample"] = np.asarray(r.counterexample, dtype=np.float64).tolist()
        elif r.status == "falsified":
            out["cex_check"] = "FAILED: falsified without a counterexample"
    except BaseException as exc:  # noqa: BLE001 - the guard: any failure becomes a row
        if isinstance(exc, KeyboardInterrupt):
            raise
        tb = traceback.format_exc(limit=3).strip().splitlines()
        out.update(verdict="error", status="error", note=f"error: {type(exc).__name__}: {exc}",
                   time=time.perf_counter() - t0, traceback=tb[-3:])
    out["wall_s"] = time.perf_counter() - t0
    return out


def _init_worker() -> None:
    """Single-threaded BLAS, or ``RELUCID_BENCH_THREADS`` threads where a benchmark gives a worker the machine."""
    n = os.environ.get("RELUCID_BENCH_THREADS", "1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[var] = n


# -- parent side: guarded lanes of one-worker pools -------------------------------------
def _new_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"), initializer=_init_worker)


def _kill(pool: ProcessPoolExecutor) -> None:
    for proc in list(getattr(pool, "_processes", {}).values()):
        try:
            proc.kill()
        except Exception:  # noqa: BLE001
            pass


def run_lanes(lanes: dict[str, deque], hard_limit: float, on_result) -> None:
    """Run jobs in one-worker process pools, one pool per lane, one job at a time per lane.

    ``lanes`` maps a lane name to a deque of ``(key, fn, args)``; several lanes may share one
    deque (a shared queue). ``on_result(lane, key, result_or_exception_text)`` is called per job.
    A job running longer than ``hard_limit`` seconds has its worker killed; a crashed or killed
    worker is replaced and the lane goes on.
    """
    pools = {lane: _new_pool() for lane in lanes}
    running: dict = {}
    killed: dict = {}

    def submit(lane: str) -> None:
        q = lanes[lane]
        if q:
            key, fn, args = q.popleft()
            running[pools[lane].submit(fn, *args)] = (lane, key, time.monotonic())

    try:
        for lane in lanes:
            submit(lane)
        while running:
            done, _ = wait(list(running), timeout=2.0, return_when=FIRST_COMPLETED)
            for fut in done:
                lane, key, t0 = running.pop(fut)
                try:
                    res = fut.result()
                except BrokenProcessPool:
                    why = killed.pop(fut, None) or "the worker process died (crash or out of memory)"
                    res = f"error: {why}"
                    pools[lane].shutdown(wait=False, cancel_futures=True)
                    pools[lane] = _new_pool()
                except Exception as exc:  # noqa: BLE001
                    res = f"error: {type(exc).__name__}: {exc}"
                on_result(lane, key, res)
                submit(lane)
            now = time.monotonic()
            for fut, (lane, key, t0) in list(running.items()):
                if fut not in killed and now - t0 > hard_limit:
                    killed[fut] = f"killed after {now - t0:.0f} s (past the timeout plus grace)"
                    _kill(pools[lane])
    finally:
        for pool in pools.values():
            if running:  # interrupted: do not leave workers behind
                _kill(pool)
            pool.shutdown(wait=False, cancel_futures=True)


# -- report helpers -----------------------------------------------------------------
def machine(extra: str = "") -> list[str]:
    return _machine.machine(extra, ["numpy", "scipy", "highspy", "maraboupy", "relucid"])


WORD = {"unsat": "holds", "sat": "violated"}


def decided(r: dict | None) -> bool:
    return r is not None and r.get("verdict") in ("unsat", "sat")


def cell(r: dict | None) -> str:
    if r is None:
        return "not run"
    v = r.get("verdict", "error")
    if v == "error":
        return f"**{_short(r.get('note') or 'error')}**"
    word = {"unsat": "holds", "sat": "violated", "timeout": "timeout"}.get(v, v)
    s = f"{word} {r['time']:.1f}s"
    if r.get("method") and v != "timeout":
        s += f" ({r['method']})"
    elif v == "timeout" and r.get("note") and r["note"] != "timeout":
        s += f" ({_short(r['note'], 60)})"
    if r.get("cex_check", "ok") != "ok":
        s += f" **cex {r['cex_check']}**"
    return s


def _short(text: str, n: int = 90) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= n else text[: n - 1] + "…"


def _med(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "n/a" if x is None else format(x, spec)


# -- main ---------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per engine per instance (default: 60)")
    ap.add_argument("--only", default=None, metavar="SUBSTR",
                    help="run only instances whose id contains SUBSTR (e.g. '1_1', 'mnistfc', 'NAP')")
    ap.add_argument("--engines", default="relucid,marabou", help="comma-separated subset of relucid,marabou")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown result file; JSON goes next to it")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in engines if e not in ENGINES]
    if bad or not engines:
        sys.exit(f"error: --engines takes a comma-separated subset of {','.join(ENGINES)}; got {args.engines!r}")
    if not args.timeout > 0:
        sys.exit("error: --timeout must be positive")
    data = args.data.resolve()
    require_data(data, CONSENSUS_CSV, Path("acasxu"), Path("mnistfc"))
    cons = consensus_index(read_consensus(data))

    todo = [dict(inst) for inst in INSTANCES if args.only is None or args.only in inst["id"]]
    if not todo:
        sys.exit(f"error: no instance id contains {args.only!r}; ids look like 'acasxu 1_1 prop_1', "
                 "'mnistfc 256x2 prop_0_0.03 +NAP'")
    for inst in todo:
        inst["onnx_path"] = resolve(data, inst["benchmark"], inst["onnx"])
        inst["vnnlib_path"] = resolve(data, inst["benchmark"], inst["vnnlib"])
        for key in ("onnx_path", "vnnlib_path"):
            if not inst[key].is_file():
                sys.exit(f"error: {inst[key]} not found (instance {inst['id']}); is --data right?")
        row = cons.get((inst["benchmark"], inst["onnx"], inst["vnnlib"]))
        inst["consensus"] = row["consensus"] if row else None
        inst["unanimous"] = bool(row and row["unanimous"] == "1")
        inst["consensus_tools"] = (f"{row['n_holds']} holds / {row['n_violated']} violated") if row else ""
        if inst["nap"]:  # only "holds" carries over to the restricted query
            inst["expected"] = "holds" if inst["consensus"] == "holds" else None
        else:
            inst["expected"] = inst["consensus"] if inst["consensus"] in ("holds", "violated") else None

    started = _dt.datetime.now().astimezone()
    header = machine(" (two single-threaded worker processes: one per engine, run concurrently)")
    print(f"verify_vs_marabou: {len(todo)} instances x {engines}, timeout {args.timeout:g}s per engine per instance")
    print("\n".join(header))

    results: dict = {inst["id"]: {} for inst in todo}
    grace = max(30.0, 0.5 * args.timeout)
    lanes = {eng: deque((inst["id"], run_job, (eng, str(inst["onnx_path"]), str(inst["vnnlib_path"]),
                                               inst["nap"], args.timeout)) for inst in todo)
             for eng in engines}

    def on_result(lane, key, res):
        if isinstance(res, str):
            res = {"engine": lane, "verdict": "error", "status": "error", "note": res, "time": float("nan")}
        results[key][lane] = res
        extra = f" [{res['cex_check']}]" if "cex_check" in res else ""
        t = res.get("time", float("nan"))
        print(f"  {lane:8s} {key:32s} {res['verdict']:8s} {t:7.2f}s {res.get('method') or ''}{extra}"
              + (f"  {_short(res['note'], 100)}" if res.get("verdict") == "error" else ""), flush=True)

    t_run = time.perf_counter()
    run_lanes(lanes, hard_limit=args.timeout + grace + 60.0, on_result=on_result)
    wall = time.perf_counter() - t_run

    summary, lines = report(todo, results, engines, args, data, started, header, wall)
    out_md = args.out
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text("\n".join(lines) + "\n")
    sidecar = out_md.with_suffix(".json")
    payload = {
        "command": _machine.command_line(), "date": started.isoformat(timespec="seconds"), "git": _machine.git_rev(),
        "timeout_s": args.timeout, "engines": engines, "data": str(data), "machine": header,
        "wall_s": wall, "summary": summary,
        "instances": [{k: (str(v) if isinstance(v, Path) else v) for k, v in inst.items()}
                      | {"results": results[inst["id"]]} for inst in todo],
    }
    sidecar.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print(f"wrote {_rel(out_md)} and {_rel(sidecar)}")
    return 1 if summary["contradictions"] or summary["consensus_contradictions"] or summary["bad_counterexamples"] else 0


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def report(todo, results, engines, args, data, started, header, wall):
    T = args.timeout
    both = len(engines) == 2
    rows, contradictions, cons_contra, bad_cex = [], [], [], []
    only_m, only_r, agree, both_dec = [], [], 0, 0
    ratios_dec, ratios_all = [], []
    n_dec = {e: 0 for e in engines}
    for inst in todo:
        res = results[inst["id"]]
        r, m = res.get("relucid"), res.get("marabou")
        for e in engines:
            x = res.get(e)
            if decided(x):
                n_dec[e] += 1
                word = WORD[x["verdict"]]
                if inst["expected"] and word != inst["expected"]:
                    cons_contra.append(f"{inst['id']}: {e} says {word}, expected {inst['expected']}"
                                       + (" (unanimous consensus)" if inst["unanimous"] and not inst["nap"] else
                                          " (implied by the unrestricted consensus)" if inst["nap"] else
                                          " (non-unanimous consensus)"))
            if x is not None and x.get("cex_check", "ok") != "ok":
                bad_cex.append(f"{inst['id']}: {e} counterexample {x['cex_check']}")
        if both:
            if decided(r) and decided(m):
                both_dec += 1
                if r["verdict"] == m["verdict"]:
                    agree += 1
                    same = "yes"
                else:
                    same = "**NO - CONTRADICTION**"
                    contradictions.append(f"{inst['id']}: relucid {WORD[r['verdict']]}, marabou {WORD[m['verdict']]}")
                ratios_dec.append(max(r["time"], 1e-3) / max(m["time"], 1e-3))
            elif decided(m):
                same = "only Marabou decides"
                only_m.append(inst["id"])
            elif decided(r):
                same = "only relucid decides"
                only_r.append(inst["id"])
            else:
                same = "neither decides"
            if r is not None and m is not None:
                tr = r["time"] if decided(r) else T
                tm = m["time"] if decided(m) else T
                ratios_all.append(max(tr, 1e-3) / max(tm, 1e-3))
        else:
            same = "n/a (one engine)"
        if inst["nap"]:
            cons = f"(NAP) implied: {inst['expected']}" if inst["expected"] else \
                f"(NAP) ? (unrestricted: {inst['consensus']})"
        elif inst["consensus"]:
            cons = inst["consensus"] + ("" if inst["unanimous"] else " (not unanimous)")
        else:
            cons = "no consensus row"
        nap = ""
        for x in (r, m):
            if x is not None and "nap_fixed" in x:
                nap = f" ({x['nap_fixed']} fixed, {x['nap_on']} on)"
                break
        rows.append(f"| {inst['id']}{nap} | {cons} | "
                    + " | ".join(cell(res.get(e)) for e in engines) + (f" | {same} |" if both else " |"))

    summary = {
        "instances": len(todo), "decided": n_dec, "both_decide": both_dec, "agree": agree,
        "contradictions": contradictions, "consensus_contradictions": cons_contra,
        "decided_by_marabou_only": only_m, "decided_by_relucid_only": only_r,
        "median_ratio_both_decided": _med(ratios_dec), "median_ratio_all_timeouts_as_limit": _med(ratios_all),
        "bad_counterexamples": bad_cex,
        "errors": [f"{i['id']}: {e}: {results[i['id']][e].get('note')}" for i in todo for e in engines
                   if results[i["id"]].get(e, {}).get("verdict") == "error"],
    }

    L = [
        "# relucid vs Marabou on VNN-COMP 2021 instances (`benchmarks/verify_vs_marabou.py`)",
        "",
        f"Date: {started.strftime('%Y-%m-%d %H:%M %Z')}; git {_machine.git_rev()}.",
        "",
        f"Command: `{_machine.command_line()}`",
        "",
        "Machine:",
        *header,
        "",
        "Setup: both engines answer the same query (network, VNN-LIB input set and property, optional "
        f"pattern) with a timeout of {T:g} s per engine per instance. They run concurrently in two "
        "single-threaded worker processes (a `ProcessPoolExecutor` with one worker per engine, `spawn`; "
        "`OMP_NUM_THREADS=1` etc.; HiGHS one thread; Marabou `numWorkers=1`, no SnC): one process works "
        "through the relucid jobs, the other through the Marabou jobs. Marabou runs through "
        "`relucid.verify.marabou.verify_marabou` (one InputQuery per disjunct). Times are each engine's own "
        "wall clock for the call (network loading excluded). Other work may share the two cores, so times "
        f"are indicative. Whole run: {wall / 60:.1f} min.",
        "",
        f"Data: `{data}`; consensus = the verdict of the VNN-COMP 2021 tools "
        "(`vnncomp2021_results/consensus_acasxu_mnistfc_eran.csv`).",
        "",
        "## Instance list (fixed in advance)",
        "",
        "- ACAS Xu properties 1-4, 12 instances: 1_1 p1, 2_7 p1, 4_9 p1, 1_1 p2, 2_1 p2 (violated), "
        "3_3 p2 (Marabou timed out in VNN-COMP 2021), 5_3 p2 (violated), 1_1 p3, 1_7 p3 (violated), "
        "1_9 p3 (violated), 2_4 p4, 1_8 p4 (violated).",
        "- mnistfc, 12 instances: 256x2 prop_0_0.03, prop_3_0.03, prop_7_0.03 (violated), prop_0_0.05 "
        "(violated), prop_1_0.05 (violated), prop_2_0.05; 256x4 prop_4_0.03, prop_13_0.03, prop_2_0.03 "
        "(violated), prop_11_0.05, prop_3_0.05 (violated), prop_14_0.05 (violated).",
        "- NAP-style, 6 queries (`+NAP`): the same query restricted to inputs following a partial pattern: "
        "every other neuron (0, 2, 4, ...) of every hidden layer fixed to its phase at the centre of the "
        "input box. ACAS Xu 2_1 p2, 1_1 p3; mnistfc 256x2 prop_0_0.05, prop_3_0.03; 256x4 prop_2_0.03, "
        "prop_13_0.03. No verdict is known in advance; where the unrestricted property holds, the restricted "
        "one must hold too (\"implied\").",
    ]
    if args.only:
        L += ["", f"**This run is filtered with `--only {args.only}`: {len(todo)} of {len(INSTANCES)} instances.**"]
    L += [
        "",
        "## Results",
        "",
        "| instance | consensus | " + " | ".join(engines) + (" | engines agree |" if both else " |"),
        "|---|---|" + "---|" * len(engines) + ("---|" if both else ""),
        *rows,
        "",
        "Cells: verdict, the engine's time, and what decided it (relucid: attack / bounds / input-split / milp). "
        "\"timeout\" = unknown at the timeout (or a solver limit, noted). NAP rows list the number of fixed "
        "neurons and how many of them are on.",
        "",
        "## Summary",
        "",
    ]
    if contradictions or cons_contra or bad_cex:
        L += ["**!!! PROBLEMS FOUND !!!**", ""]
        L += [f"- **CONTRADICTION between the engines: {c}**" for c in contradictions]
        L += [f"- **CONTRADICTION with the consensus: {c}**" for c in cons_contra]
        L += [f"- **COUNTEREXAMPLE FAILS THE CHECK: {c}**" for c in bad_cex]
        L += [""]
    L += [f"- Instances: {len(todo)}; decided: " + ", ".join(f"{e} {n_dec[e]}" for e in engines) + "."]
    if both:
        L += [
            f"- Both engines decide {both_dec}; they agree on {agree} of them; contradictions between the "
            f"engines: {len(contradictions)}" + (" (listed above)." if contradictions else "."),
            f"- Decided by Marabou but not by relucid ({len(only_m)}): " + (", ".join(only_m) or "none") + ".",
            f"- Decided by relucid but not by Marabou ({len(only_r)}): " + (", ".join(only_r) or "none") + ".",
            f"- Median time ratio relucid / Marabou over the {len(ratios_dec)} instances both decide: "
            f"{_fmt(summary['median_ratio_both_decided'])} (< 1: relucid faster).",
            f"- Median time ratio over all {len(ratios_all)} instances, an undecided run counted as the timeout "
            f"({T:g} s): {_fmt(summary['median_ratio_all_timeouts_as_limit'])}.",
        ]
    L += [
        f"- Verdicts contradicting the consensus (or the verdict a NAP row inherits): {len(cons_contra)}.",
        f"- Counterexamples failing the float64 check (input set without tolerance, pattern, property): "
        f"{len(bad_cex)} of {sum(1 for i in todo for e in engines if 'cex_check' in results[i['id']].get(e, {}))}.",
        f"- Engine errors (exception, crash or kill; each is a row, the run went on): {len(summary['errors'])}"
        + ("" if not summary["errors"] else ": " + "; ".join(_short(s, 160) for s in summary["errors"])) + ".",
        "",
        f"JSON with every result (stats, notes, counterexamples): `{_rel(args.out.with_suffix('.json'))}`.",
    ]
    return summary, L


if __name__ == "__main__":
    sys.exit(main())
